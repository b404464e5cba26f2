r"""Fit, predict and score :class:`LossRegressor` / :class:`LossClassifier` on dask.

The estimators delegate here when ``X`` is a dask collection; nothing else in
sklloss imports this module, so ``import sklloss`` never imports dask.

Notes
-----
.. rubric:: How a fit runs

1. **Validate and persist once.** ``X`` is rechunked to one block of columns
   (row blocks are kept), ``y`` and ``sample_weight`` are aligned to the same
   row blocks, and the three are persisted: the blocks are computed once and
   stay in the workers' memory for the whole fit. One pass over the persisted
   blocks then checks that everything is finite and the weights
   non-negative, and collects the class labels with their total weights
   (classifier) or the range of ``y`` (regressor, checked against the
   loss's domain). The classifier encodes ``y`` block by block
   (``np.searchsorted`` on the sorted classes), folds the class weights
   into the sample weights and persists both.
2. **The same objective, block by block.** :class:`_DaskObjective` is a
   :class:`~sklloss.linear_model._objective.LinearObjective` whose data
   methods (loss and gradient, Hessian-vector product, dense Hessian) map
   the in-memory implementation over the row blocks and add up the partial
   sums; the preconditioner's column statistics are computed by the
   in-memory code on the same strided rows it would use. Sample weights are
   normalised by their global sum, so the partial sums add up exactly:

   .. math::

       \sum_i s_i \ell_i = \sum_{B} \sum_{i \in B} s_i \ell_i, \qquad
       X^\top (s \odot g) = \sum_{B} X_B^\top (s_B \odot g_B).

   On a distributed cluster an evaluation is one task per worker
   (``client.submit``, no graph built), which loops over the blocks that
   worker holds with the fused in-memory pass; each block's objective
   (targets, normalised weights) is built on its first evaluation and kept
   on the worker. Without a client (threaded or synchronous scheduler) it is
   one delayed task per block. Only vectors of length ``p`` per block (or a
   ``p x p`` Hessian) travel back to the client, which adds them in block
   order: the same value on every scheduler and placement.
   (:mod:`._dask_data` validates, persists and dispatches,
   :mod:`._dask_objective` holds the block-wise objective.)
3. **The same plan.** This backend supplies data and passes only: the
   estimator's own fit path (``_fit_data`` / ``_fit_classes``) plans every
   fit with :func:`~._plan.make_plan` and runs it on the client exactly as
   in memory, and its own attribute-setting step stores the result (the
   scale loop of the robust losses starts, as in memory, on every 10th row
   from 50,000 rows). On
   data that fits in memory, a dask fit and a numpy fit agree to the solver
   tolerance (in the tests and the benchmark, to rounding). Non-convex
   losses (cauchy, tukey_biweight) start, as in memory, from the exact
   least-absolute-deviation fit, here on the rows brought to the client
   (all rows of data that fit ``_LAD_ROWS``, else a strided sample), and
   their scale is the same weighted median of residuals: on such data they
   reach the in-memory local optimum.

.. rubric:: Piecewise-linear losses

In memory, ``absolute_error``, ``quantile``, ``epsilon_insensitive`` and
``hinge`` are solved exactly by an interior-point / LP method that keeps
per-sample dual variables; it is not available on dask arrays. With
``solver="auto"`` (or ``"exact"``) their fit on dask arrays raises a
ValueError that says so and names the supported losses; an explicit
``solver="lbfgs"`` runs L-BFGS-B on the *same* (non-smooth) objective, which
gives an approximate optimum and usually a ConvergenceWarning. The objective
is never silently changed.

.. rubric:: Prediction

``predict``, ``decision_function``, ``predict_proba`` and
``predict_log_proba`` return lazy dask arrays: the fitted estimator is
applied to each row block with ``map_blocks``. ``score`` and sklloss
scorers accept dask arrays and return floats: the metric computes the
predictions and reads them, with ``y``, on the client (two columns of
length n; X stays on the workers).
"""

import dask
import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._classifier import problem_targets
from ._dask_data import _as_dask_X, _Data, _prepare
from ._dask_objective import _BlockSpec, _DaskObjective
from ._plan import SUBSAMPLE_MIN_ROWS, choose_solver
from ._regressor import _ScaleLoopData

__all__ = [
    "fit",
    "predict",
    "decision_function",
    "predict_proba",
    "predict_log_proba",
]


# ======================================================================= fit
def _supported_losses(est):
    from ..losses import get_loss, loss_names

    names = []
    for kind in est._loss_kinds:
        for name in loss_names(trainable=True, kind=kind):
            if not get_loss(name).is_piecewise_linear:
                names.append(name)
    return names


def _refuse_exact(est, loss, objective):
    """The plan's solver for this objective, refused if it is the exact one."""
    solver = choose_solver(est, loss, objective.X.shape[0], objective.n_params)
    if solver == "exact":
        raise ValueError(
            f"loss={loss._display_name!r} is piecewise linear: in memory it is "
            "solved exactly by an interior-point / linear-programming method that "
            "needs the whole data set, which is not available on dask arrays. "
            f"On dask arrays {type(est).__name__} supports: "
            f"{', '.join(_supported_losses(est))}. Pass solver='lbfgs' to run "
            "L-BFGS-B on this same non-smooth objective (an approximate optimum), "
            "or compute X and fit in memory for the exact solution."
        )


def fit(est, X, y, sample_weight=None):
    """Fit ``est`` (a LossRegressor or LossClassifier) on dask arrays.

    The backend supplies the data and its block-wise passes; the estimator
    runs its own fit on them through a small interface:
    ``est._validated_loss()`` (parameter and loss checks),
    :func:`~._plan.choose_solver` (refusing the exact solver before any
    work), ``est._class_weighted`` (classifier: the class weights of the
    class totals), then ``est._fit_data(data, dtype)`` (regressor: the scale
    loop on a :class:`_DaskPlan`) or ``est._fit_classes(classes, problems,
    loss, dtype)`` (classifier), which plan every fit as in memory and set
    the fitted attributes.

    Parameters
    ----------
    est : LossRegressor or LossClassifier
        The estimator; its parameters are read, its fitted attributes set.
    X : dask.array.Array of shape (n_samples, n_features)
        Training data chunked by rows (columns are rechunked to one block).
    y : dask.array.Array or array-like of shape (n_samples,)
        Targets or class labels.
    sample_weight : dask.array.Array or array-like, default=None
        Non-negative weights.

    Returns
    -------
    est
        The fitted estimator.

    Examples
    --------
    >>> import dask
    >>> import dask.array as da
    >>> import numpy as np
    >>> from sklloss import LossRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + rng.normal(size=1000)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     reg = LossRegressor(loss="huber").fit(
    ...         da.from_array(X, chunks=250), da.from_array(y, chunks=250)
    ...     )
    >>> bool(np.allclose(reg.coef_, LossRegressor(loss="huber").fit(X, y).coef_))
    True
    """
    loss = est._validated_loss()
    classify = is_classifier(est)
    data, facts = _prepare(X, y, sample_weight, classify=classify)
    dtype = data.X.dtype
    est.n_features_in_ = data.n_features
    if hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    if classify:
        return _fit_classifier(est, loss, data, facts, dtype)
    loss.y_true_domain.check(facts["y_range"], name="y", loss_name=loss._display_name)
    plan = _DaskPlan(est, loss, data)
    _refuse_exact(est, loss, plan.objective(1.0))
    return est._fit_data(plan, dtype)


# The LAD start of non-convex losses runs in memory on at most this many rows
# (and values of X): the interior point keeps a few n-vectors per row.
_LAD_ROWS = 50_000
_LAD_VALUES = 5_000_000


class _DaskPlan(_ScaleLoopData):
    """The data steps of :func:`~._scale.fit_scaled` on dask arrays.

    The scale is a weighted median of residuals: y, the weights and each
    residual vector are brought into memory (n floats each, 1/p of X).
    """

    def __init__(self, est, loss, data, y=None, sw=None):
        if y is None:
            y = np.asarray(data.y.compute(), dtype=np.float64)
        if sw is None:
            sw = (
                np.ones(data.n_samples)
                if data.sw is None
                else np.asarray(data.sw.compute(), dtype=np.float64)
            )
        super().__init__(est, loss, y, sw)
        self.data = data
        self.n_features = data.n_features
        self._stats = None  # the column statistics do not depend on y: once

    def objective(self, sigma):
        spec = _BlockSpec(
            self.loss,
            ("regression", float(sigma)),
            K=1,
            softmax=False,
            fit_intercept=self.est.fit_intercept,
            sw_sum=self.data.sw_sum,
        )
        objective = _objective(self.est, self.data, spec, self._stats)
        self._stats = (objective.mean, objective.scale)
        return objective

    def interpolates(self):
        """Whether the rows can be interpolated (only with more columns than rows).

        Returns
        -------
        bool
            ``n_samples <= n_features + intercept`` (no distinct-row count on
            dask arrays).
        """
        return self.data.n_samples <= self.data.n_features + bool(
            self.est.fit_intercept
        )

    def subsample(self):
        """The plan on every 10th row, from 50,000 rows (None below), as in memory.

        Returns
        -------
        _DaskPlan or None
            The plan of the row sample (its ``step`` is 10), on the sample's
            blocks persisted once.
        """
        if self.data.n_samples < SUBSAMPLE_MIN_ROWS:
            return None
        rows = slice(None, None, 10)
        sub = _DaskPlan(
            self.est,
            self.loss,
            self.data.every_nth(10),
            y=self.y[rows],
            sw=self.sw[rows],
        )
        sub.step = 10
        return sub

    def residuals(self, W, b):
        # one task per worker (as the objective's passes), not a dask graph
        raw = self.data.map(_block_raw, W[0].astype(self.data.X.dtype), b[0])
        return self.y - np.concatenate(raw).astype(np.float64, copy=False)

    def _lad_rows(self):
        """The rows of the LAD start, brought to the client.

        There is no interior-point solver over dask blocks, so the rows of the
        start -- all of them up to ``_LAD_ROWS`` (and at most ``_LAD_VALUES``
        values of X), else an evenly strided sample -- are computed on the
        client and fitted by the same exact LAD fit as in memory. On data
        that fits the limits, the dask fit of a non-convex loss therefore
        starts where the in-memory fit starts and reaches the same local
        optimum.
        """
        d = self.data
        rows = min(_LAD_ROWS, max(_LAD_VALUES // max(d.n_features, 1), 1))
        step = -(-d.n_samples // rows)  # ceil: at most ``rows`` rows
        X = np.asarray(d.X[::step].compute())
        return X, self.y[::step], self.sw[::step]


def _objective(est, data, spec, column_stats=None):
    return _DaskObjective(
        data, spec, alpha=est.alpha, l1_ratio=est.l1_ratio, column_stats=column_stats
    )


def _block_raw(w, b, i, Xb, yb, swb):
    """``Xb @ w + b`` of block ``i`` (a task of :meth:`_DaskPlan.residuals`)."""
    return np.asarray(Xb) @ w + b


def _fit_classifier(est, loss, data, facts, dtype):
    classes, totals = facts["classes"], facts["totals"]
    check_classification_targets(classes)
    K = len(classes)
    # The estimator's own class weighting, applied to one "row" per class
    # whose weight is that class's total weight: it validates the classes
    # (at least two with positive weight) and returns totals * class_weight.
    weighted = est._class_weighted(totals, classes, classes, np.arange(K))
    # Encode y block by block, with class weights folded into the weights.
    codes = data.y.map_blocks(_encode, classes, dtype=np.intp)
    sw = data.sw
    if est.class_weight is not None:
        cw = np.divide(weighted, totals, out=np.zeros(K), where=totals > 0)
        w = codes.map_blocks(_take, cw, dtype=np.float64)
        sw = w if sw is None else sw * w
    codes, sw = dask.persist(codes, sw)
    sw_sum = data.sw_sum
    if est.class_weight is not None:
        sw_sum = float(sw.sum().compute())
        if not sw_sum > 0:
            raise ValueError("sample_weight times class_weight must not be all zero.")
    enc = _Data(data.X, codes, sw, sw_sum)
    common = dict(fit_intercept=est.fit_intercept, sw_sum=sw_sum)
    problems = [
        _objective(est, enc, _BlockSpec(loss, target, K=k, softmax=soft, **common))
        for target, k, soft in problem_targets(K, loss, est.label_smoothing, classes)
    ]
    _refuse_exact(est, loss, problems[0])
    return est._fit_classes(classes, problems, loss, dtype)


def _encode(yb, classes):
    return np.searchsorted(classes, yb)


def _take(codes, values):
    return values[codes]


# =================================================================== predict
def _apply(Xb, est, method):
    return getattr(est, method)(Xb)


def _map_rows(est, X, method):
    """``getattr(est, method)`` on each row block of ``X``, as a lazy dask array."""
    check_is_fitted(est)
    X = _as_dask_X(X)
    if X.shape[1] != est.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(est).__name__} is expecting "
            f"{est.n_features_in_} features as input."
        )
    # The output's shape and dtype from one row (a linear model: cheap).
    probe = getattr(est, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    meta = np.empty((0,) + probe.shape[1:], dtype=probe.dtype)
    if probe.ndim == 1:
        return X.map_blocks(
            _apply, est, method, drop_axis=1, dtype=probe.dtype, meta=meta
        )
    return X.map_blocks(
        _apply,
        est,
        method,
        chunks=(X.chunks[0], (probe.shape[1],)),
        dtype=probe.dtype,
        meta=meta,
    )


def decision_function(est, X):
    """Lazy ``est.decision_function`` over the row blocks of a dask ``X``.

    Parameters
    ----------
    est : LossRegressor or LossClassifier
        A fitted estimator with a ``decision_function`` method.
    X : dask array or dask DataFrame of shape (n_samples, n_features)
        Input data, with as many features as the estimator was fitted on.

    Returns
    -------
    dask.array.Array of shape (n_samples,) or (n_samples, n_classes)
        ``est.decision_function`` of each row block, lazy (nothing is computed here).
    """
    return _map_rows(est, X, "decision_function")


def predict(est, X):
    """Lazy ``est.predict`` over the row blocks of a dask ``X``.

    Parameters
    ----------
    est : LossRegressor or LossClassifier
        A fitted estimator with a ``predict`` method.
    X : dask array or dask DataFrame of shape (n_samples, n_features)
        Input data, with as many features as the estimator was fitted on.

    Returns
    -------
    dask.array.Array of shape (n_samples,)
        ``est.predict`` of each row block, lazy (nothing is computed here).
    """
    return _map_rows(est, X, "predict")


def predict_proba(est, X):
    """Lazy ``est.predict_proba`` over the row blocks of a dask ``X``.

    Parameters
    ----------
    est : LossClassifier
        A fitted classifier with a ``predict_proba`` method.
    X : dask array or dask DataFrame of shape (n_samples, n_features)
        Input data, with as many features as the estimator was fitted on.

    Returns
    -------
    dask.array.Array of shape (n_samples, n_classes)
        ``est.predict_proba`` of each row block, lazy (nothing is computed here).
    """
    return _map_rows(est, X, "predict_proba")


def predict_log_proba(est, X):
    """Lazy ``est.predict_log_proba`` over the row blocks of a dask ``X``.

    Parameters
    ----------
    est : LossClassifier
        A fitted classifier with a ``predict_log_proba`` method.
    X : dask array or dask DataFrame of shape (n_samples, n_features)
        Input data, with as many features as the estimator was fitted on.

    Returns
    -------
    dask.array.Array of shape (n_samples, n_classes)
        ``est.predict_log_proba`` of each row block, lazy (nothing is computed here).
    """
    return _map_rows(est, X, "predict_log_proba")
