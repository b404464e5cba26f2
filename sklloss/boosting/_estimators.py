"""LossBoostingRegressor / LossBoostingClassifier: gradient boosting for any loss.

One concept (the two boosting estimators over one base class), hence one module
above 500 lines.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.model_selection import train_test_split
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    check_random_state,
    validate_data,
)

from .._raw_classifier import PROBA_KINDS, RawScoreClassifierMixin
from ..losses import get_loss
from ._backend import _check_backend_name
from ._backends import TRAIN
from ._objective import (
    LightGBMMetric,
    LightGBMObjective,
    XGBoostMetric,
    XGBoostObjective,
)
from ._refit import _is_residual_loss

__all__ = ["LossBoostingRegressor", "LossBoostingClassifier"]

_ADAPTERS = {
    "lightgbm": (LightGBMObjective, LightGBMMetric),
    "xgboost": (XGBoostObjective, XGBoostMetric),
}


def _check_params(est):
    _check_backend_name(est.backend)
    for name, low in (("n_estimators", 1), ("n_iter_no_change", 1)):
        value = getattr(est, name)
        if not (isinstance(value, numbers.Integral) and value >= low):
            raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    lr = est.learning_rate
    if not (isinstance(lr, numbers.Real) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"learning_rate must be a number > 0; got {lr!r}.")
    vf = est.validation_fraction
    if not (isinstance(vf, numbers.Real) and 0 < vf < 1):
        raise ValueError(f"validation_fraction must be in (0, 1); got {vf!r}.")
    if est.backend_params is not None and not isinstance(est.backend_params, dict):
        raise ValueError(
            f"backend_params must be a dict or None; got {est.backend_params!r}."
        )


class _LossBoosting(BaseEstimator):
    """Shared fit: validation, split, adapters, backend run, raw prediction."""

    _kinds = ()

    def __init__(
        self,
        loss,
        *,
        backend="lightgbm",
        n_estimators=100,
        learning_rate=0.1,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        hessian_floor="auto",
        random_state=None,
        backend_params=None,
    ):
        self.loss = loss
        self.backend = backend
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.hessian_floor = hessian_floor
        self.random_state = random_state
        self.backend_params = backend_params

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True  # both backends route missing values
        return tags

    def _resolve_loss(self):
        loss = get_loss(self.loss)
        if loss.kind not in self._kinds or not loss.trainable:
            raise ValueError(
                f"loss={self.loss!r} is a {loss.kind} loss"
                + ("" if loss.trainable else " that cannot be trained")
                + f"; {type(self).__name__} trains {' or '.join(self._kinds)} losses."
            )
        return loss

    def _validate(self, X, y, sample_weight):
        _check_params(self)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
            y_numeric=not isinstance(self, ClassifierMixin),
        )
        sw = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        return X, y, sw

    def _backend_params(self):
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        if self.random_state is None:
            seed = 0  # deterministic by default, as the backends are
        return {
            "learning_rate": float(self.learning_rate),
            "seed": int(seed),
            **(self.backend_params or {}),
            "num_boost_round": int(self.n_estimators),
        }

    def _boost(
        self,
        X,
        y,
        sw,
        loss,
        n_classes,
        *,
        hessian_scale=1.0,
        stratify=None,
        refit_loss=None,
    ):
        """Fit the backend on (X, y, sw) from the optimal constant; set attributes."""
        obj_cls, metric_cls = _ADAPTERS[self.backend]
        objective = obj_cls(
            loss, hessian_scale=hessian_scale, hessian_floor=self.hessian_floor
        )
        valid = None
        train = (X, y, sw)
        if self.early_stopping:
            split = train_test_split(
                X,
                y,
                sw,
                test_size=self.validation_fraction,
                random_state=self.random_state,
                stratify=stratify,
            )
            train, valid = split[0::2], split[1::2]
        k = n_classes if n_classes > 2 else None
        const = loss.optimal_constant(train[1], train[2], n_classes=k)
        self.init_score_ = np.asarray(const, dtype=np.float64)
        tr = (*train, self._init_rows(len(train[1])))
        va = None if valid is None else (*valid, self._init_rows(len(valid[1])))
        self._fitted = TRAIN[self.backend](
            objective,
            metric_cls(loss),
            tr,
            va,
            n_classes=n_classes,
            params=self._backend_params(),
            es=int(self.n_iter_no_change),
            **({} if refit_loss is None else {"refit_loss": refit_loss}),
        )
        self.loss_ = loss
        self.n_iter_ = self._fitted.n_trees
        self.booster_ = self._fitted.booster
        self.feature_importances_ = self._fitted._feature_importances()
        return self

    def _init_rows(self, n):
        c = self.init_score_
        return np.full(n, float(c)) if c.ndim == 0 else np.tile(c, (n, 1))

    def _raw(self, X):
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            reset=False,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan",
        )
        return self._fitted._raw_trees(X) + self.init_score_


_PARAMS_DOC = """
    backend : {"lightgbm", "xgboost"}, default="lightgbm"
        The boosting library (an optional dependency: ``sklloss[lightgbm]``,
        ``sklloss[xgboost]``).
    n_estimators : int, default=100
        Number of boosting rounds (trees; K trees per round for a softmax).
    learning_rate : float, default=0.1
        Shrinkage of every tree.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified for a
        classifier), score it with the same loss after every round, and keep
        the best round once ``n_iter_no_change`` rounds did not improve it.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in rounds.
    hessian_floor : "auto" or float, default="auto"
        Lower bound of the per-sample Hessian (see :mod:`sklloss.boosting`):
        "auto" leaves convex, twice-differentiable losses exact and floors the
        others at 0.1 times the mean positive Hessian; losses without a Hessian
        use 1.
"""
_PARAMS_TAIL_DOC = """    random_state : int, RandomState or None, default=None
        Seed of the early-stopping split and of the backend (None: seed 0).
    backend_params : dict, default=None
        Further parameters of the backend, passed through (``num_leaves``,
        ``max_depth``, ``min_child_samples``, ``reg_lambda``, ``num_threads``
        / ``nthread``, ...).
"""

_ATTRS_DOC = """
    loss_ : Loss
        The loss instance trained.
    init_score_ : ndarray of shape () or (n_classes,)
        The raw-space start, the loss's optimal constant.
    booster_ : lightgbm.Booster or xgboost.Booster
        The trained booster (its raw score plus ``init_score_`` is the model's).
    n_iter_ : int
        Number of rounds used (the best one under early stopping).
    feature_importances_ : ndarray of shape (n_features,)
        Total split gain per feature, normalised to sum to 1.
    n_features_in_ : int
        Number of features seen in ``fit``.
"""


class LossBoostingRegressor(RegressorMixin, _LossBoosting):
    __doc__ = (
        r"""Gradient-boosted trees that minimise any sklloss regression loss.

    Fits :math:`F(x) = c^* + \sum_t f_t(x)` by Newton boosting of

    .. math::

        \frac{1}{\sum_i s_i} \sum_i s_i\, \ell\big(y_i, F(x_i)\big)

    with :math:`c^*` the loss's optimal constant
    (:meth:`~sklloss.losses.Loss.optimal_constant`) and the trees grown by
    LightGBM or XGBoost from the loss's exact per-sample gradients and
    Hessians; ``predict`` applies the loss's inverse link (``exp`` for the
    Poisson, Gamma and Tweedie deviances).

    Parameters
    ----------
    loss : str or Loss, default="squared_error"
        A trainable regression loss: a registry name, an alias, or an instance
        (a user's subclass too)."""
        + _PARAMS_DOC
        + """    refit_leaves : "auto", True or False, default="auto"
        Re-estimate every leaf of a new tree as the loss's optimal constant of
        the residuals of its rows (the leaf's weighted quantile for
        ``quantile`` / ``absolute_error``), as LightGBM's native ``quantile``
        and ``l1`` objectives do; the tree itself is grown from the gradient
        with a Hessian of 1. Only for a piecewise-linear loss of the residual
        :math:`y - F(x)` (``absolute_error``, ``quantile``,
        ``epsilon_insensitive``, a user's such loss) with LightGBM: XGBoost
        has no API to set a leaf value, and there each leaf takes the bounded
        gradient step (more rounds reach the same loss). "auto": wherever
        possible; True: raise a ValueError where not possible.
"""
        + _PARAMS_TAIL_DOC
        + """
    Attributes
    ----------"""
        + _ATTRS_DOC
        + """
    See Also
    --------
    LossBoostingClassifier : The classifier.
    sklloss.LossRegressor : A linear model for the same losses.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.boosting import LossBoostingRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = X[:, 0] ** 2 + rng.standard_t(2, size=300)
    >>> reg = LossBoostingRegressor("huber", n_estimators=20).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """
    )

    _kinds = ("regression",)

    def __init__(
        self,
        loss="squared_error",
        *,
        backend="lightgbm",
        n_estimators=100,
        learning_rate=0.1,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        hessian_floor="auto",
        refit_leaves="auto",
        random_state=None,
        backend_params=None,
    ):
        self.refit_leaves = refit_leaves
        super().__init__(
            loss,
            backend=backend,
            n_estimators=n_estimators,
            learning_rate=learning_rate,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            hessian_floor=hessian_floor,
            random_state=random_state,
            backend_params=backend_params,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            loss = get_loss(self.loss)
        except (TypeError, ValueError):
            return tags
        tags.target_tags.positive_only = loss.y_true_domain.low >= 0
        q = getattr(loss, "quantile", 0.5)
        tags.regressor_tags.poor_score = abs(q - 0.5) > 0.3
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the boosted trees.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (NaN allowed: the backends route missing values).
        y : array-like of shape (n_samples,)
            Targets, in the loss's domain.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : LossBoostingRegressor
            The fitted estimator.
        """
        loss = self._resolve_loss()
        X, y, sw = self._validate(X, y, sample_weight)
        y = loss._check_y_true(y.astype(np.float64, copy=False))
        refit = loss if self._refits(loss, y) else None
        return self._boost(X, y, sw, loss, 1, refit_loss=refit)

    def _refits(self, loss, y):
        """Whether to re-estimate the leaves (``refit_leaves``; module notes)."""
        if self.refit_leaves not in ("auto", True, False):
            raise ValueError(
                f"refit_leaves must be 'auto', True or False; got "
                f"refit_leaves={self.refit_leaves!r}."
            )
        if self.refit_leaves is False:
            return False
        ok = self.backend == "lightgbm" and _is_residual_loss(loss, y)
        if self.refit_leaves is True and not ok:
            raise ValueError(
                f"refit_leaves=True needs backend='lightgbm' (XGBoost cannot set "
                f"a leaf value) and a piecewise-linear loss of the residual y - z; "
                f"got backend={self.backend!r}, loss={self.loss!r}."
            )
        return ok

    def predict(self, X):
        """Predict through the loss's inverse link.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,)
            ``inverse_link(init_score_ + trees(X))``.
        """
        raw = self._raw(X)
        return self.loss_.inverse_link(raw)


class LossBoostingClassifier(RawScoreClassifierMixin, ClassifierMixin, _LossBoosting):
    __doc__ = (
        r"""Gradient-boosted trees that minimise any sklloss classification loss.

    Binary: one raw score :math:`F(x)` per sample (``classes_[1]`` is
    positive); K > 2 classes: K raw scores, one tree per class and round,
    through the softmax for the probabilistic losses and the Crammer-Singer
    margin for the margin losses. The trees minimise

    .. math::

        \frac{1}{\sum_i s_i} \sum_i s_i\, \ell\big(y_i, F(x_i)\big)

    from the loss's optimal constant, with :math:`s_i` the sample weights
    times the class weights. The softmax's diagonal Hessian carries
    LightGBM's ``K / (K - 1)`` factor (Friedman's multiclass leaf factor).
    ``predict_proba`` (probabilistic losses only) is the loss's inverse link
    of the raw score: rows in [0, 1] that sum to 1.

    Parameters
    ----------
    loss : str or Loss, default="log_loss"
        A trainable probabilistic or margin loss: a registry name, an alias
        or an instance (a user's subclass too)."""
        + _PARAMS_DOC
        + _PARAMS_TAIL_DOC
        + """    class_weight : dict, "balanced" or None, default=None
        Weights multiplying the sample weights per class, as in scikit-learn.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels."""
        + _ATTRS_DOC
        + """
    See Also
    --------
    LossBoostingRegressor : The regressor.
    sklloss.LossClassifier : A linear model for the same losses.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.boosting import LossBoostingClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 3))
    >>> y = np.where(X[:, 0] + rng.normal(size=300) > 1, "rare", "common")
    >>> clf = LossBoostingClassifier("focal", n_estimators=20).fit(X, y)
    >>> proba = clf.predict_proba(X[:3])
    >>> bool(np.allclose(proba.sum(axis=1), 1))
    True
    """
    )

    _kinds = ("probabilistic", "margin")

    def __init__(
        self,
        loss="log_loss",
        *,
        backend="lightgbm",
        n_estimators=100,
        learning_rate=0.1,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        hessian_floor="auto",
        random_state=None,
        backend_params=None,
        class_weight=None,
    ):
        super().__init__(
            loss,
            backend=backend,
            n_estimators=n_estimators,
            learning_rate=learning_rate,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            hessian_floor=hessian_floor,
            random_state=random_state,
            backend_params=backend_params,
        )
        self.class_weight = class_weight

    def fit(self, X, y, sample_weight=None):
        """Fit the boosted trees.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (NaN allowed: the backends route missing values).
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : LossBoostingClassifier
            The fitted estimator.
        """
        loss = self._resolve_loss()
        X, y, sw = self._validate(X, y, sample_weight)
        check_classification_targets(y)
        classes, y_enc = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has 1 class ({classes[0]!r}); a classifier needs at least 2 "
                f"classes."
            )
        self.classes_ = classes
        if self.class_weight is not None:
            sw = sw * compute_sample_weight(self.class_weight, y)
        weighted = np.bincount(y_enc, weights=sw, minlength=len(classes)) > 0
        if np.count_nonzero(weighted) < 2:
            raise ValueError(
                f"Only class {classes[weighted][0]!r} has a positive sample weight; "
                f"a classifier needs at least 2 classes with positive weight."
            )
        K = len(classes)
        hessian_scale = K / (K - 1) if K > 2 and loss.kind in PROBA_KINDS else 1.0
        return self._boost(
            X,
            y_enc.astype(np.float64),
            sw,
            loss,
            K,
            hessian_scale=hessian_scale,
            stratify=y_enc if self.early_stopping else None,
        )

    def decision_function(self, X):
        """Raw score: one per sample (binary) or one per class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``init_score_ + trees(X)``.
        """
        return self._raw(X)
