"""LossClassifier: a linear classifier minimising any classification loss.

One concept (the estimator: labels, class weights, binary / one-vs-rest /
softmax problems), hence one module above 500 lines.
"""

import numbers
import warnings

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from .._raw_classifier import PROBA_KINDS, RawScoreClassifierMixin
from .._validation import check_no_datetime, user_stacklevel
from ..losses import get_loss
from ..losses._labels import _unique_inverse
from ._base import _is_dask, _LossLinearModel
from ._objective import LinearObjective, scaled_weights
from ._separation import separation

__all__ = ["LossClassifier"]


def _is_missing(v):
    """True for None, NaN, NaT and pandas' NA (whose comparisons are NA)."""
    if v is None or type(v).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(v != v)
    except (TypeError, ValueError):
        return False


# label types that cannot hold a missing value (no per-element check needed)
_NEVER_MISSING = (str, bytes, numbers.Integral, np.bool_)


def _label_family(t):
    """The kind of a label type: strings, numbers (bool included) or the type."""
    if issubclass(t, str | bytes):
        return "str"
    if issubclass(t, numbers.Number | np.bool_):
        return "number"
    return t.__name__


def _object_label_problem(arr):
    """``"missing"``, ``"mixed"`` (with the families) or None, for object labels.

    One pass collects the types (C speed); only labels of a type that can
    hold NaN / NaT / NA are compared with themselves one by one.
    """
    values = arr.ravel().tolist()
    types = set(map(type, values))
    if not all(issubclass(t, _NEVER_MISSING) for t in types) and any(
        map(_is_missing, values)
    ):
        return "missing", None
    families = {_label_family(t) for t in types}
    return ("mixed", sorted(families)) if len(families) > 1 else (None, None)


def _check_label_values(y, name="y"):
    """Refuse missing labels, dates and durations, and mixed label types.

    sklearn lets NaN through as a ValueError that does not name y, and None
    or pandas' NA as a TypeError from the sort inside ``np.unique``; NaT
    would become a class. Dates and durations are refused as labels (and as
    X) rather than taken as their integer counts of a time unit.

    Parameters
    ----------
    y : array-like
        The labels (a NumPy or pandas array, or a list).
    name : str, default="y"
        The argument named in the errors.
    """
    if y is None or hasattr(y, "toarray"):
        return  # validate_data's own errors (y required, sparse y refused)
    arr = np.asarray(y, dtype=object) if isinstance(y, list | tuple) else y
    arr = np.asarray(arr)
    kind = arr.dtype.kind
    if kind in "mM":
        raise ValueError(
            f"{name} has dtype {arr.dtype}: dates and durations are not accepted "
            "as class labels; convert them (e.g. to strings) to use them as classes."
        )
    problem, families = None, None
    if kind == "f" and np.isnan(arr).any():
        problem = "missing"
    elif kind == "O":
        problem, families = _object_label_problem(arr)
    if problem == "missing":
        raise ValueError(
            f"{name} contains missing values (None, NaN, NaT or pandas.NA); "
            "drop those samples or give them a class."
        )
    if problem == "mixed":
        raise ValueError(
            f"{name} mixes label types ({', '.join(families)}); use labels of one type."
        )


def _check_class_weight(class_weight):
    """class_weight is None, "balanced" or a dict of finite weights >= 0."""
    if class_weight is None or (
        isinstance(class_weight, str) and class_weight == "balanced"
    ):
        return
    if not isinstance(class_weight, dict):
        raise ValueError(
            "class_weight must be a dict {class: weight}, 'balanced' or None; "
            f"got class_weight={class_weight!r}."
        )
    for label, w in class_weight.items():
        ok = isinstance(w, numbers.Real) and not isinstance(w, bool)
        if not (ok and np.isfinite(w) and w >= 0):
            raise ValueError(
                "class_weight values must be finite real numbers >= 0; got "
                f"class_weight[{label!r}]={w!r}."
            )


def _check_targets(y):
    """sklearn's ``check_classification_targets``, skipped where it cannot fail.

    A 1-D integer (or bool) y is "binary" or "multiclass" for
    ``type_of_target`` by construction; its check costs a full
    ``np.unique`` (a sort of y). Floats, strings and objects are
    checked as sklearn does (continuous or multi-output y is refused there).
    """
    if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "iub"):
        try:
            check_classification_targets(y)
        except ValueError as exc:  # its message does not say which argument
            raise ValueError(f"y: {exc}") from exc


def problem_targets(n_classes, loss, label_smoothing, classes):
    """The problems of a classification fit: ``(target, n_outputs, softmax)``.

    One binary problem, one softmax problem, or one per class (one-vs-rest);
    ``target`` says how :func:`encode_target` builds its ``y`` from the
    class codes: ``("binary", ls)``, ``("softmax", K, ls)`` or ``("ovr", k,
    ls)`` with ``ls`` the label smoothing.

    Parameters
    ----------
    n_classes : int
        ``K``.
    loss : Loss
        The loss (its ``multiclass``).
    label_smoothing : float
        The estimator's label smoothing.
    classes : ndarray
        The classes (for the message of a binary-only loss).

    Returns
    -------
    list of tuple
        One ``(target, n_outputs, softmax)`` per problem.
    """
    K, ls = n_classes, float(label_smoothing)
    if K == 2:
        return [(("binary", ls), 1, False)]
    if loss.multiclass == "softmax":
        return [(("softmax", K, ls), K, True)]
    if loss.multiclass == "ovr":
        return [(("ovr", k, ls), 1, False) for k in range(K)]
    raise ValueError(
        f"loss={loss._display_name!r} is binary only (multiclass=None), and y "
        f"has {K} classes: {list(classes)}."
    )


def encode_target(target, codes):
    """The loss's ``y`` of one problem from the class codes ``0..K-1``.

    Parameters
    ----------
    target : tuple
        From :func:`problem_targets`.
    codes : ndarray of int of shape (n,)
        Class codes.

    Returns
    -------
    ndarray of shape (n,) or (n, K)
        Float targets (soft with label smoothing; codes for a softmax
        without smoothing).
    """
    kind = target[0]
    if kind == "binary":
        t, ls = codes.astype(np.float64, copy=False), target[1]
    elif kind == "ovr":
        t, ls = (codes == target[1]).astype(np.float64), target[2]
    else:  # softmax
        K, ls = target[1], target[2]
        if not ls:
            return codes.astype(np.float64, copy=False)
        Y = np.full((len(codes), K), ls / K)
        Y[np.arange(len(codes)), codes] += 1 - ls
        return Y
    return t * (1 - ls) + ls / 2 if ls else t


def _warn_if_separable(objective, W, b):
    """ConvergenceWarning when alpha=0 and the classes are separable."""
    why = separation(objective, W, b)
    if why is not None:
        warnings.warn(why, ConvergenceWarning, stacklevel=user_stacklevel())


class LossClassifier(RawScoreClassifierMixin, ClassifierMixin, _LossLinearModel):
    r"""Linear classifier that minimises the loss you choose, to its optimum.

    Fits ``coef_`` (:math:`W`) and ``intercept_`` (:math:`b`) minimising

    .. math::

        \frac{1}{\sum_i s_i} \sum_{i=1}^{n} s_i\, \ell\big(y_i, W x_i + b\big)
        + \alpha \Big(\rho \|W\|_1 + \frac{1 - \rho}{2} \|W\|_2^2\Big)

    with :math:`s_i` the sample weights times the class weights and
    :math:`\rho` = ``l1_ratio``; intercepts are not penalised. Labels of any
    type are encoded to ``0..K-1`` in the order of ``classes_``.

    * Binary: one decision value :math:`x^\top w + b`; ``classes_[1]`` is
      the positive class (``y = 1`` for the loss).
    * Multiclass, losses with ``multiclass="softmax"`` (log_loss, focal):
      one row of ``W`` per class and the softmax of the decision values.
    * Multiclass, margin losses (``multiclass="ovr"``): one binary problem
      per class against the rest.

    ``predict_proba`` and ``predict_log_proba`` exist exactly for the
    probabilistic losses (``hasattr`` is False otherwise);
    ``decision_function`` always. Solvers as in :class:`LossRegressor`.

    Parameters
    ----------
    loss : str or Loss, default="log_loss"
        A registry name or alias or a Loss instance of kind
        ``"probabilistic"``, ``"distribution"`` or ``"margin"``.
    alpha : float, default=1e-4
        Penalty strength, >= 0. ``LogisticRegression(C=C)`` is
        ``alpha = 1 / (C * n_samples)``.
    l1_ratio : float, default=0.0
        Share of the L1 norm in the penalty, in [0, 1].
    fit_intercept : bool, default=True
        Whether to fit (unpenalised) intercepts.
    solver : {"auto", "newton-cholesky", "sampled-newton", "trust-ncg", "lbfgs", \
            "exact"}, default="auto"
        Optimisation method; ``"exact"`` only for piecewise-linear losses
        (hinge); see :class:`LossRegressor`.
    max_iter : int, default=1000
        Maximum number of solver iterations.
    tol : float, default=1e-8
        Stopping tolerance (see :class:`LossRegressor`).
    warm_start : bool, default=False
        Start from the previous solution when refitting.
    verbose : int, default=0
        Print the solver's progress.
    class_weight : dict, "balanced" or None, default=None
        Weights multiplying the sample weights per class, as in scikit-learn.
    label_smoothing : float, default=0.0
        In [0, 1): train probabilistic losses on the soft targets
        :math:`y (1 - \epsilon) + \epsilon / K`, as PyTorch's
        ``CrossEntropyLoss``. A ValueError for other losses.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients (one row for binary problems).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    loss_ : Loss
        The resolved loss.
    solver_ : str
        The solver ``"auto"`` chose.
    n_iter_ : int
        Solver iterations (summed over one-vs-rest problems), >= 1.
    n_evals_ : int
        Gradient passes of the fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when X has string column names.

    See Also
    --------
    LossRegressor : The same for regression losses.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss import LossClassifier
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0], [0.5], [-0.5]])
    >>> y = np.array(["no", "no", "yes", "yes", "yes", "no"])
    >>> clf = LossClassifier(loss="squared_hinge").fit(X, y)
    >>> clf.predict([[3.0], [-3.0]])
    array(['yes', 'no'], dtype='<U3')
    >>> hasattr(clf, "predict_proba")
    False
    """

    _loss_kinds = ("probabilistic", "distribution", "margin")
    _estimator_name = "LossClassifier"

    def __init__(
        self,
        loss="log_loss",
        *,
        alpha=1e-4,
        l1_ratio=0.0,
        fit_intercept=True,
        solver="auto",
        max_iter=1000,
        tol=1e-8,
        warm_start=False,
        verbose=0,
        class_weight=None,
        label_smoothing=0.0,
    ):
        self.loss = loss
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        try:
            loss = get_loss(self.loss)
        except (TypeError, ValueError):
            return tags
        tags.classifier_tags.multi_class = loss.multiclass is not None
        return tags

    # ------------------------------------------------------------------ fit
    def _check_loss(self, loss):
        self._check_label_smoothing(loss)
        _check_class_weight(self.class_weight)

    def _check_label_smoothing(self, loss):
        ls = self.label_smoothing
        ok = isinstance(ls, numbers.Real) and not isinstance(ls, bool)
        if not (ok and 0 <= ls < 1):
            raise ValueError(
                f"label_smoothing must be a real number in [0, 1); got "
                f"label_smoothing={ls!r}."
            )
        if ls > 0 and loss.kind not in PROBA_KINDS:
            raise ValueError(
                f"label_smoothing={ls!r} needs a probabilistic loss (soft targets); "
                f"loss={loss._display_name!r} is of kind {loss.kind!r}."
            )

    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimising the penalised mean loss.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights (multiplied by the class weights).

        Returns
        -------
        self : LossClassifier
            The fitted estimator.
        """
        if _is_dask(X):
            from . import _dask

            return _dask.fit(self, X, y, sample_weight)
        loss = self._validated_loss()
        X = check_no_datetime(X)
        _check_label_values(y)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=("csr", "csc"),
            dtype=[np.float64, np.float32],
        )
        _check_targets(y)
        sw = scaled_weights(  # no overflow in sums of weights (class totals)
            _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        )
        classes, y_enc = _unique_inverse(y, "y")  # the one label encoder
        sw = self._class_weighted(sw, classes, y, y_enc)
        common = dict(
            alpha=self.alpha, l1_ratio=self.l1_ratio, fit_intercept=self.fit_intercept
        )
        targets = [
            (encode_target(target, y_enc), k, softmax)
            for target, k, softmax in problem_targets(
                len(classes), loss, self.label_smoothing, classes
            )
        ]
        # the codes are not needed from here: one n-vector less while the
        # objectives take their column statistics
        del y_enc
        # float32 stays float32: the passes upcast block by block
        problems = [
            LinearObjective(X, t, sw, loss, n_outputs=k, softmax=softmax, **common)
            for t, k, softmax in targets
        ]
        del targets, sw  # the problems hold what they need: n-vectors less in the fit
        return self._fit_classes(classes, problems, loss, X.dtype)

    def _class_weighted(self, sw, classes, y, y_enc):
        _check_class_weight(self.class_weight)  # also for the dask path
        totals = np.bincount(y_enc, weights=sw, minlength=len(classes))
        if len(classes) < 2 or np.count_nonzero(totals) < 2:
            present = classes[totals > 0] if len(classes) > 1 else classes
            raise ValueError(
                "This solver needs samples of at least 2 classes with positive "
                f"weight in the data, but the data contains only one class: "
                f"{getattr(present[0], 'item', lambda: present[0])()!r}."
            )
        if self.class_weight is None:
            return sw
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            # "balanced" from the weighted class totals, so that weighting a
            # row by k and repeating it k times stay the same problem:
            # n_samples / (n_classes * count) with counts and n weighted.
            cw = np.zeros(len(classes))
            nz = totals > 0
            cw[nz] = totals.sum() / (np.count_nonzero(nz) * totals[nz])
        else:
            cw = self._dict_class_weights(classes)
        if np.count_nonzero(totals * cw) < 2:
            # a zero weight for every class but one leaves a one-class problem,
            # whose optimum is an infinite intercept: refused, as one class is
            raise ValueError(
                f"class_weight={self.class_weight!r} leaves fewer than 2 classes "
                f"with positive weight (classes {classes.tolist()}, weighted totals "
                f"{(totals * cw).tolist()}); a classifier needs two."
            )
        return sw * cw[y_enc]

    def _dict_class_weights(self, classes):
        """Weights per class from the class_weight dict (1 for absent keys)."""
        known = set(classes.tolist())
        unknown = [k for k in self.class_weight if k not in known]
        if unknown:
            raise ValueError(
                f"class_weight has keys that are not classes of y: {unknown}; "
                f"the classes are {classes.tolist()}."
            )
        return compute_class_weight(self.class_weight, classes=classes, y=classes)

    def _fit_classes(self, classes, problems, loss, dtype):
        """Fit the problems of ``classes`` (in memory or dask); set the attributes.

        ``problems`` are the objectives of :func:`problem_targets`, in order.
        """
        K = len(classes)
        self._check_warm_start(1 if K == 2 else K, problems[0].n_features)
        self.classes_ = classes
        return self._fit_problems(problems, loss, dtype)

    def _fit_problems(self, problems, loss, dtype):
        """Solve each problem and set the fitted attributes."""
        warm = self._warm_start_rows(len(problems), problems[0].n_features)
        Ws, bs, n_iter, n_evals = [], [], 0, 0
        for k, objective in enumerate(problems):
            start = None if warm is None else (warm[0][k], warm[1][k])
            W, b, it, evals = self._solve(objective, loss, warm=start)
            _warn_if_separable(objective, W, b)
            Ws.append(W)
            bs.append(b)
            n_iter += it
            n_evals += evals
        W, b = np.vstack(Ws), np.concatenate(bs)
        if problems[0].softmax and self.fit_intercept:
            b = b - b.mean()  # the softmax is invariant to a common shift
        dtype = dtype if dtype == np.float32 else np.float64
        self.loss_ = loss
        self.coef_ = W.astype(dtype)
        self.intercept_ = (b if self.fit_intercept else np.zeros_like(b)).astype(dtype)
        self.n_iter_ = max(int(n_iter), 1)
        self.n_evals_ = round(n_evals)
        return self

    def _check_warm_start(self, n_rows, n_features):
        """A warm start needs a previous model of the new shape.

        As LogisticRegression and SGDClassifier do, a changed number of
        classes or features is a ValueError rather than a silent cold start:
        warm_start=True asks to continue the previous model, and a model of
        another shape cannot be continued (often the new data lost a class).
        """
        if not (self.warm_start and hasattr(self, "coef_")):
            return
        if self.coef_.shape != (n_rows, n_features):
            raise ValueError(
                f"warm_start=True needs the previous model's shape; coef_ has shape "
                f"{self.coef_.shape}, and this fit's data needs ({n_rows}, "
                f"{n_features}) (a changed number of classes or features). Set "
                "warm_start=False to fit from scratch."
            )

    def _warm_start_rows(self, n_problems, p):
        """Previous (W, b) split per problem, if warm_start applies."""
        if not (self.warm_start and hasattr(self, "coef_")):
            return None
        self._check_warm_start(len(self.classes_) if len(self.classes_) > 2 else 1, p)
        if n_problems == 1:
            W, b = self.coef_, self.intercept_
            return [W], [b]
        return [self.coef_[k : k + 1] for k in range(n_problems)], [
            self.intercept_[k : k + 1] for k in range(n_problems)
        ]

    # -------------------------------------------------------------- predict
    def _validate_X_predict(self, X):
        check_is_fitted(self)
        return validate_data(
            self,
            X,
            accept_sparse=("csr", "csc"),
            dtype=[np.float64, np.float32],
            reset=False,
        )

    def decision_function(self, X):
        """Decision values ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For binary problems, positive values predict ``classes_[1]``.
        """
        if _is_dask(X):
            from . import _dask

            return _dask.decision_function(self, X)
        X = self._validate_X_predict(X)
        raw = np.asarray(X @ self.coef_.T) + self.intercept_
        return raw[:, 0] if raw.shape[1] == 1 else raw

    def _delegate(self, method, X):
        """Dask arrays go to the dask backend (RawScoreClassifierMixin)."""
        if not _is_dask(X):
            return None
        from . import _dask

        return getattr(_dask, method)(self, X)
