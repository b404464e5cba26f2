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

   Each evaluation is one ``dask.compute`` of a small graph (one task per
   block plus a tree reduction); only vectors of length ``p`` (or a
   ``p x p`` Hessian) travel back to the client.
3. **The same solvers.** The estimator's own ``_solve`` runs
   :mod:`scipy.optimize` on the client exactly as in memory, and its own
   attribute-setting step stores the result. On data that fits in memory, a
   dask fit and a numpy fit agree to the solver tolerance (in the tests and
   the benchmark, to rounding). Non-convex losses (cauchy, tukey_biweight)
   start, as in memory, from the exact least-absolute-deviation fit, here on
   the rows brought to the client (all rows of data that fit
   ``_LAD_ROWS``, else a strided sample), and their scale is the same
   weighted median of residuals: on such data they reach the in-memory
   local optimum.

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

import copy
import numbers

import dask
import dask.array as da
import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._classifier import encode_target, problem_targets
from ._objective import _STATS_ROWS, LinearObjective
from ._plan import choose_solver
from ._regressor import _ScaleLoopData

__all__ = [
    "fit",
    "predict",
    "decision_function",
    "predict_proba",
    "predict_log_proba",
]

# Partial results are added in groups of this many (a tree reduction), so that
# neither one task nor the client receives all blocks' partial sums at once.
_SPLIT_EVERY = 8


# =============================================================== validation
def _as_dask_X(X, name="X"):
    """``X`` as a 2-D floating dask array with one block of columns."""
    if not isinstance(X, da.Array):
        to_array = getattr(X, "to_dask_array", None)
        if to_array is None:
            raise TypeError(
                f"{name} must be a dask array (or a dask DataFrame); got "
                f"{type(X).__name__}."
            )
        X = to_array(lengths=True)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D dask array for {name}, got an array of shape {X.shape}."
        )
    if np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"Complex data not supported; {name} has dtype {X.dtype}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(
            f"Found array with shape {X.shape} for {name}; at least one sample "
            "and one feature are required."
        )
    return X.rechunk({1: -1})


def _align_rows(v, row_chunks, name):
    """A 1-D array-like (numpy or dask) as a dask array with ``row_chunks``."""
    n = sum(row_chunks)
    if isinstance(v, da.Array):
        if any(np.isnan(c) for c in v.chunks[0]):
            v = v.compute_chunk_sizes()
    else:
        to_array = getattr(v, "to_dask_array", None)
        if to_array is not None:
            v = to_array(lengths=True)
        else:
            v = np.asarray(v)
            if v.ndim == 0:
                raise ValueError(f"{name} must be 1-D; got the scalar {v!r}.")
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {v.shape}.")
    if v.shape[0] != n:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"X has {n}, {name} has {v.shape[0]}."
        )
    if isinstance(v, da.Array):
        return v.rechunk((row_chunks,))
    return da.from_array(v, chunks=(row_chunks,))


def _block_summary(Xb, yb, swb, classify):
    """Per-block facts the fit checks once: finiteness, labels or y range, weights."""
    out = {"X_finite": bool(np.isfinite(Xb).all())}
    numeric = np.issubdtype(yb.dtype, np.number) or yb.dtype == bool
    out["y_finite"] = bool(np.isfinite(yb).all()) if numeric else True
    if classify:
        from ._classifier import _check_label_values

        _check_label_values(yb)  # None / NA / NaT: a ValueError, not a TypeError
        out["classes"], inverse = np.unique(yb, return_inverse=True)
        k = len(out["classes"])
        out["totals"] = (
            np.bincount(inverse, minlength=k).astype(np.float64)
            if swb is None
            else np.bincount(inverse, weights=swb, minlength=k)
        )
    else:
        yb = yb.astype(np.float64)
        out["y_min"], out["y_max"] = float(yb.min()), float(yb.max())
    if swb is not None:
        out["sw_finite"] = bool(np.isfinite(swb).all())
        out["sw_min"] = float(swb.min()) if out["sw_finite"] else 0.0
        out["sw_sum"] = float(swb.sum(dtype=np.float64)) if out["sw_finite"] else 0.0
    else:
        out["sw_sum"] = float(len(Xb))
    return out


def _check_summaries(parts, classify, has_sw):
    """Reduce the per-block summaries; raise a ValueError on bad input."""
    if not all(p["X_finite"] for p in parts):
        raise ValueError("Input X contains NaN or infinity.")
    result = {}
    if has_sw:
        if not all(p["sw_finite"] for p in parts):
            raise ValueError("Input sample_weight contains NaN or infinity.")
        sw_min = min(p["sw_min"] for p in parts)
        if sw_min < 0:
            raise ValueError(
                f"sample_weight must be non-negative; got a weight of {sw_min!r}."
            )
    if not all(p["y_finite"] for p in parts):
        raise ValueError("Input y contains NaN or infinity.")
    result["sw_sum"] = float(sum(p["sw_sum"] for p in parts))
    if not result["sw_sum"] > 0:
        raise ValueError("sample_weight must not be all zero.")
    if classify:
        classes = np.unique(np.concatenate([p["classes"] for p in parts]))
        totals = np.zeros(len(classes))
        for p in parts:
            totals[np.searchsorted(classes, p["classes"])] += p["totals"]
        result["classes"], result["totals"] = classes, totals
    else:
        result["y_range"] = np.array(
            [min(p["y_min"] for p in parts), max(p["y_max"] for p in parts)]
        )
    return result


class _Data:
    """Persisted row blocks of one fit: X, y (or its codes) and the weights.

    ``X`` is a dask array (one block of columns); ``x_parts``, ``y_parts`` and
    ``sw_parts`` are the matching per-block delayed objects (``sw_parts`` is a
    list of None without sample weights).
    """

    def __init__(self, X, y, sw, sw_sum):
        self.X, self.y, self.sw = X, y, sw
        self.sw_sum = float(sw_sum)
        self.n_samples, self.n_features = X.shape
        # Empty blocks (e.g. after boolean masking) carry nothing: skip them.
        keep = [i for i, c in enumerate(X.chunks[0]) if c > 0]
        self.x_parts = [X.to_delayed().ravel()[i] for i in keep]
        self.y_parts = [y.to_delayed().ravel()[i] for i in keep]
        if sw is None:
            self.sw_parts = [None] * len(keep)
        else:
            self.sw_parts = [sw.to_delayed().ravel()[i] for i in keep]

    def normalised_weights(self):
        """Lazy ``sw / sum(sw)`` (for the estimators' start-point formulas).

        Returns
        -------
        dask.array.Array of shape (n_samples,)
            The normalised sample weights (``1 / n_samples`` each without weights),
            in the row blocks of ``X``.
        """
        if self.sw is None:
            return da.full(
                (self.n_samples,),
                1.0 / self.n_samples,
                chunks=(self.X.chunks[0],),
            )
        return self.sw.astype(np.float64) / self.sw_sum


def _prepare(X, y, sample_weight, *, classify):
    """Validate, align and persist; return ``(data, facts)``."""
    X = _as_dask_X(X)
    rows = X.chunks[0]
    y = _align_rows(y, rows, "y")
    if classify:
        if np.issubdtype(y.dtype, np.complexfloating):
            raise ValueError(f"Complex data not supported; y has dtype {y.dtype}.")
    elif not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise ValueError(f"y must be numeric for a regressor; got dtype {y.dtype}.")
    sw = None
    if sample_weight is not None:
        if isinstance(sample_weight, numbers.Number):
            sample_weight = da.full((X.shape[0],), float(sample_weight), chunks=(rows,))
        sw = _align_rows(sample_weight, rows, "sample_weight").astype(np.float64)
    # The one computation of the inputs: later passes read the workers' memory.
    X, y, sw = dask.persist(X, y, sw)
    data = _Data(X, y, sw, 1.0)
    blocks = zip(data.x_parts, data.y_parts, data.sw_parts, strict=True)
    summaries = dask.compute(
        *[dask.delayed(_block_summary)(*block, classify) for block in blocks]
    )
    facts = _check_summaries(summaries, classify, sw is not None)
    data.sw_sum = facts["sw_sum"]
    return data, facts


# ========================================================== block objective
class _BlockSpec:
    """What a block needs besides its data: the loss and the target encoding.

    ``target`` is ``("regression", scale)``, ``("binary", ls)``, ``("softmax", K,
    ls)`` or ``("ovr", k, ls)``, applied to the block of ``y`` (class codes
    for the classifier) exactly as the in-memory estimators build their
    targets.
    """

    def __init__(self, loss, target, *, K, softmax, fit_intercept, sw_sum):
        self.loss = loss
        self.target = target
        self.K = K
        self.softmax = softmax
        self.fit_intercept = fit_intercept
        self.sw_sum = sw_sum

    def targets(self, yb):
        if self.target[0] == "regression":  # ("regression", scale): in its units
            return yb.astype(np.float64, copy=False) / self.target[1]
        return encode_target(self.target, yb)


class _BlockObjective(LinearObjective):
    """The in-memory objective on one row block, weights normalised globally.

    Built through :class:`LinearObjective`'s own constructor, so a block's
    loss, gradient and Hessian are computed by exactly the in-memory code.
    The column statistics are not needed on a block and are skipped.
    """

    def _column_stats(self):
        return None, None


def _block_objective(spec, Xb, yb, swb):
    Xb = np.asarray(Xb, dtype=np.float64)
    sw = np.ones(len(Xb)) if swb is None else np.asarray(swb, dtype=np.float64)
    obj = _BlockObjective(
        Xb,
        spec.targets(yb),
        # (a block's weights may all be zero: the constructor must not divide
        # by their sum; the global normalisation is set below in any case)
        sw if swb is None or np.any(sw > 0) else np.ones(len(Xb)),
        spec.loss,
        n_outputs=spec.K,
        softmax=spec.softmax,
        fit_intercept=spec.fit_intercept,
    )
    # Normalise by the sum over ALL blocks: partial sums then add up exactly.
    obj.sample_weight_raw = sw
    obj.sample_weight = sw / spec.sw_sum
    return obj


def _block_call(spec, method, Xb, yb, swb, args):
    return getattr(_block_objective(spec, Xb, yb, swb), method)(*args)


def _add(*parts):
    """Element-wise sum of partial results (floats, arrays or tuples of them)."""
    first = parts[0]
    if isinstance(first, tuple):
        return tuple(_add(*items) for items in zip(*parts, strict=True))
    total = first
    for p in parts[1:]:
        total = total + p
    return total


def _tree_sum(parts):
    while len(parts) > 1:
        parts = [
            dask.delayed(_add)(*parts[i : i + _SPLIT_EVERY])
            for i in range(0, len(parts), _SPLIT_EVERY)
        ]
    return parts[0]


class _DaskObjective(LinearObjective):
    """:class:`LinearObjective` whose data methods run over persisted row blocks.

    Everything that does not touch X (packing, standardisation, penalty, L1
    split) is inherited unchanged; ``X``, ``y`` and ``sample_weight`` are lazy
    dask arrays used only for their shape and by the estimators' start-point
    formulas.
    """

    in_memory = False  # no column slices, no exact (interior-point) solver

    def __init__(
        self, data, spec, *, alpha, l1_ratio, column_stats=None, n_threads=None
    ):
        self._data = data
        self._spec = spec
        y = data.y.map_blocks(
            spec.targets,
            dtype=np.float64,
            **(
                {"new_axis": 1, "chunks": (data.y.chunks[0], (spec.K,))}
                if spec.target[0] == "softmax" and spec.target[2]
                else {}
            ),
        )
        super().__init__(
            data.X,
            y,
            np.ones(1),  # placeholder; replaced by the lazy weights below
            spec.loss,
            n_outputs=spec.K,
            softmax=spec.softmax,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=spec.fit_intercept,
            column_stats=column_stats,
            n_threads=n_threads,
        )
        self.sample_weight = data.normalised_weights()
        self.sample_weight_raw = data.sw

    def _map_reduce(self, func, *args):
        """One ``dask.compute``: ``func`` on every block, partial sums added."""
        d = self._data
        spec = dask.delayed(self._spec)
        args = dask.delayed(args)  # shipped once, shared by all tasks
        parts = [
            dask.delayed(func)(spec, *block, args)
            for block in zip(d.x_parts, d.y_parts, d.sw_parts, strict=True)
        ]
        return dask.compute(_tree_sum(parts))[0]

    def _column_stats(self):
        """The in-memory statistics, on the rows the in-memory code would use.

        Above ``_STATS_ROWS`` rows, :class:`LinearObjective` estimates the
        preconditioner on the evenly strided rows ``0, step, 2 step, ...``
        (``step = n // _STATS_ROWS``); those few rows are brought to the
        client and handed to its own ``_column_stats``, so the dask fit runs
        in exactly the same coordinates.
        """
        d = self._data
        step = max(d.n_samples // _STATS_ROWS, 1)
        Xs, ss = dask.compute(d.X[::step], None if d.sw is None else d.sw[::step])
        ss = np.ones(len(Xs)) if ss is None or not np.any(ss > 0) else ss
        local = LinearObjective(
            np.asarray(Xs, dtype=np.float64),
            np.zeros(len(Xs)),
            ss,
            self._spec.loss,
            fit_intercept=self.fit_intercept,
        )
        return local.mean, local.scale

    def _every_nth_row(self, step, offset=0):
        """The same objective on the rows ``offset, offset + step, ...`` (persisted).

        What the estimators' subsample start of large fits solves first, and
        the Hessian sample of ``"sampled-newton"``; None when those rows'
        weights are all zero. The sample keeps this objective's coordinates.
        """
        d = self._data
        X, y = d.X[offset::step], d.y[offset::step]
        sw = None if d.sw is None else d.sw[offset::step]
        X, y, sw = dask.persist(X, y, sw)
        sw_sum = float(X.shape[0]) if sw is None else float(sw.sum().compute())
        if not sw_sum > 0:
            return None
        spec = copy.copy(self._spec)
        spec.sw_sum = sw_sum
        return _DaskObjective(
            _Data(X, y, sw, sw_sum),
            spec,
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            column_stats=(self.mean, self.scale),
            n_threads=self.n_threads,
        )

    def _data_loss_gradient(self, W, b):
        return self._map_reduce(_block_loss_gradient, W, b)

    def _data_hessp(self, W, b, V, vb):
        return self._map_reduce(_block_hessp, W, b, V, vb)

    def _data_hessian(self, W, b):
        return self._map_reduce(_block_hessian, W, b)


def _block_loss_gradient(spec, Xb, yb, swb, args):
    return _block_call(spec, "_data_loss_gradient", Xb, yb, swb, args)


def _block_hessp(spec, Xb, yb, swb, args):
    return _block_call(spec, "_data_hessp", Xb, yb, swb, args)


def _block_hessian(spec, Xb, yb, swb, args):
    return _block_call(spec, "_data_hessian", Xb, yb, swb, args)


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

    def __init__(self, est, loss, data):
        y = np.asarray(data.y.compute(), dtype=np.float64)
        sw = (
            np.ones(data.n_samples)
            if data.sw is None
            else np.asarray(data.sw.compute(), dtype=np.float64)
        )
        super().__init__(est, loss, y, sw)
        self.data = data
        self.n_features = data.n_features

    def objective(self, sigma):
        spec = _BlockSpec(
            self.loss,
            ("regression", float(sigma)),
            K=1,
            softmax=False,
            fit_intercept=self.est.fit_intercept,
            sw_sum=self.data.sw_sum,
        )
        return _objective(self.est, self.data, spec)

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
        """No row sample of the scale loop on dask arrays (None).

        Returns
        -------
        None
            The loop starts on the full data.
        """
        return None

    def residuals(self, W, b):
        raw = self.data.X @ W[0].astype(self.data.X.dtype) + b[0]
        return self.y - np.asarray(raw.compute(), dtype=np.float64)

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


def _objective(est, data, spec):
    return _DaskObjective(data, spec, alpha=est.alpha, l1_ratio=est.l1_ratio)


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
