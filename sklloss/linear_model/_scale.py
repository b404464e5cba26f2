r"""The scale of a regression: how :class:`~sklloss.LossRegressor` is unit-free.

One concept (the scale of a regression fit), hence one module above 500 lines.

A fit with scale :math:`\sigma` minimises the stated objective on the target
in units of :math:`\sigma`,

.. math::

    \min_{\tilde w, \tilde b}\; \frac{1}{\sum_i s_i} \sum_i s_i\,
    \ell\big(y_i / \sigma,\; x_i^\top \tilde w + \tilde b\big)
    + \alpha\, P(\tilde w),

and reports the coefficients in units of ``y``: :math:`w = \sigma \tilde w`,
:math:`b = \sigma \tilde b` for an identity link, :math:`w = \tilde w`,
:math:`b = \tilde b + \log \sigma` for a log link. The loss's tuning
constants (``delta``, ``beta``, ``c``, ``epsilon``) are therefore in units of
:math:`\sigma`, and the penalty weighs coefficients in units of
:math:`\sigma`: when :math:`\sigma` follows the units of ``y`` (every choice
but a fixed number does), multiplying ``y`` by :math:`a > 0` multiplies the
coefficients by :math:`a` (identity link) or adds :math:`\log a` to the
intercept (log link), exactly, whatever ``alpha``.

How :math:`\sigma` is chosen (``scale=``):

``"mad"``
    Re-estimated from the residuals as statsmodels' ``RLM`` and R's
    ``MASS::rlm`` do: :math:`\sigma = \operatorname{median}_i |r_i| /
    \Phi^{-1}(3/4)` (weighted median with sample weights), alternated with
    the fit at that :math:`\sigma` until it stops changing (a fixed point).
    A non-convex loss starts from the least-absolute-deviation fit.
``"joint"``
    HuberRegressor's concomitant scale: :math:`(w, b, \sigma)` minimise the
    jointly convex perspective
    :math:`\sigma\,[\text{objective at } \sigma] + \sigma / 2`, i.e.
    :math:`\frac{1}{\sum s}\sum_i s_i\, \sigma \ell(r_i / \sigma) + \sigma/2
    + \alpha \sigma P(w / \sigma)` (for ``huber`` with ``alpha=0`` this is
    ``HuberRegressor``'s objective divided by twice the total weight).
    Solved by alternating the fit at fixed :math:`\sigma` and the exact
    one-dimensional minimisation over :math:`\sigma` (block coordinate
    descent on a convex function).
``"auto"``
    ``"mad"`` for a smooth loss whose shape depends on the units of ``y``
    (``scale_role == "tuning"``; ``epsilon_insensitive``, piecewise linear,
    gets the spread of ``y`` below); for a ``"homogeneous"`` loss, whose shape
    does not, a spread of ``y`` computed once (the weighted MAD about the
    weighted median for an identity link, the weighted mean of ``|y|`` for a log link),
    which only normalises the penalty; 1 for a user's loss (no
    ``scale_role``) and for a log link without intercept.
a positive number
    That :math:`\sigma`, fixed (``scale=1.0`` is the objective in the units
    of ``y``).
"""

import math
import warnings

import numpy as np
from scipy import sparse
from scipy.optimize import brentq
from sklearn.exceptions import ConvergenceWarning

from .._validation import user_stacklevel, weighted_mean
from ._objective import column_absmax
from ._passes import equal_weights

__all__ = ["check_scale", "fit_scaled", "rescale", "weighted_median"]

# Phi^{-1}(3/4): the MAD of a normal sample divided by this estimates sigma.
_MAD_NORMAL = 0.6744897501960817
# E|z| = sqrt(2 / pi) at the normal: the fallback when the MAD is 0.
_MEAN_ABS_NORMAL = math.sqrt(2.0 / math.pi)
SCALE_MODES = ("auto", "mad", "joint")
# The fixed-point iteration of RLM converges linearly (stackloss: ~25 steps
# to 1e-8), bisection gains a bit per step: more than this means no solution.
_MAX_STEPS = 200
_COLLAPSE = 1e-6


def check_scale(scale):
    """Validate the estimator's ``scale`` parameter.

    Parameters
    ----------
    scale : object
        ``"auto"``, ``"mad"``, ``"joint"`` or a positive finite number.

    Raises
    ------
    ValueError
        Naming ``scale`` and the value, for anything else.
    """
    if isinstance(scale, str):
        if scale in SCALE_MODES:
            return
    elif isinstance(scale, int | float | np.floating | np.integer) and not isinstance(
        scale, bool
    ):
        if np.isfinite(scale) and scale > 0:
            return
    raise ValueError(
        f"scale must be one of {SCALE_MODES} or a positive finite number; "
        f"got scale={scale!r}."
    )


def weighted_median(v, w, *, overwrite=False):
    """Weighted median of ``v`` (``np.median`` for equal weights).

    The smallest value whose cumulative weight reaches half the total; when
    it reaches exactly half, the mean of it and the next value (as
    ``np.median`` does for an even count). Weights are divided by their
    maximum first, so their sum cannot overflow.

    Parameters
    ----------
    v : ndarray of shape (n,)
        Values.
    w : ndarray of shape (n,)
        Non-negative weights, not all zero.
    overwrite : bool, default=False
        Whether ``v`` may be reordered in place (a temporary of the caller's:
        no copy of it for the partition).

    Returns
    -------
    float
        The weighted median.
    """
    v = np.asarray(v, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if equal_weights(w) and w[0] > 0:
        # equal weights: a partition, O(n)
        return float(np.median(v, overwrite_input=overwrite))
    keep = w > 0
    v, w = v[keep], w[keep] / np.max(w[keep])
    order = np.argsort(v)
    v, cw = v[order], np.cumsum(w[order])
    half = 0.5 * cw[-1]
    k = int(np.searchsorted(cw, half * (1 - 1e-12)))
    if k + 1 < v.size and abs(cw[k] - half) <= 1e-12 * cw[-1]:
        return 0.5 * (v[k] + v[k + 1])
    return float(v[k])


def _mad_scale(r, sw):
    """RLM's scale: weighted median of ``|r|`` / Phi^{-1}(3/4) (centre 0).

    0 when more than half the weight sits on exact zeros: the fit then
    interpolates a majority of the data, and the scale has collapsed.
    """
    return weighted_median(np.abs(r), sw, overwrite=True) / _MAD_NORMAL


def _data_scale(y, sw, link):
    """A spread of ``y`` that follows its units (1 for a constant y)."""
    if link == "log":
        # the mean of |y|: the mean itself for the usual positive targets,
        # and no cancellation for tweedie's real-valued ones (power <= 0)
        m = weighted_mean(np.abs(y), sw)
        return m if m > 0 and np.isfinite(m) else 1.0
    d = np.abs(y - weighted_median(y, sw))
    s = weighted_median(d, sw) / _MAD_NORMAL
    if not s > 0:
        s = weighted_mean(d, sw) / _MEAN_ABS_NORMAL
    return s if s > 0 and np.isfinite(s) else 1.0


# Beyond these powers of ten a fit cannot be represented: the residual scale
# (down to 1e-6 of the spread of y) must keep a finite float64 reciprocal, and
# a coefficient of order spread(y) / max|x_j| must be a normal number of the
# dtype of the fitted coefficients (that of X), as must the predictions.
_MIN_SPREAD_EXP = -280
_MAX_EXP = {np.dtype(np.float64): 305, np.dtype(np.float32): 36}
_MAGNITUDE_ROWS = 20_000
_MAGNITUDE_BLOCKS = 20


def check_representable(y, sw, X, link, *, exact_spread=True):
    """Refuse data whose fitted model is not representable in X's dtype.

    ``y`` whose spread is below 1e-280 (its residual scale would underflow),
    and, for the identity link, columns whose coefficients would be of order
    ``spread(y) / max|x_j|`` beyond 1e±305 (``X`` × 1e300 with ``y`` ×
    1e-20: every coefficient would round to 0), or beyond 1e±36 for a
    float32 X (whose coefficients and predictions are float32), where a
    y beyond 1e36 is refused too. A ``ValueError`` naming ``X``
    and ``y`` and the powers of ten, instead of a silently zero or infinite
    model.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Targets.
    sw : ndarray of shape (n_samples,)
        Non-negative sample weights.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        The data (float64 or float32: the dtype of the coefficients and
        predictions). Only orders of magnitude matter here, so the largest
        ``|x_j|`` is read on at most ``_MAGNITUDE_ROWS`` rows
        (:func:`_sampled_absmax`).
    link : str
        The loss's link (only ``"identity"`` is checked for coefficients).
    exact_spread : bool, default=True
        Compute the spread of ``y`` on every row (for :func:`fit_scaled` to
        reuse it as a scale). False: on about ``_MAGNITUDE_ROWS`` evenly
        strided rows (:func:`_sampled_spread`), enough for the orders of
        magnitude checked here; the caller then has no use for the value.

    Returns
    -------
    float
        The spread of ``y`` it checked (the ``"auto"`` scale of a homogeneous
        loss), for :func:`fit_scaled` to reuse: two weighted medians, about
        as long as the Gram pass of a 1e6 x 20 least-squares fit.
    """
    if exact_spread:
        spread = _data_scale(y, sw, link)
    else:
        spread = _sampled_spread(y, sw, link)
    if link == "identity" and np.any(y != 0) and spread < 10.0**_MIN_SPREAD_EXP:
        raise ValueError(
            f"y has a spread of {spread:.3g}: below 1e{_MIN_SPREAD_EXP} a fit "
            "cannot be represented in float64; multiply y by a power of ten."
        )
    if link != "identity":
        return spread
    dtype = np.dtype(X.dtype)
    limit = _MAX_EXP.get(dtype, 305)
    top = float(np.max(np.abs(y[sw > 0]), initial=0.0))
    if dtype == np.float32 and top > 10.0**limit:
        raise ValueError(
            f"X is float32 and y reaches {top:.3g}: the predictions (float32, "
            f"as X) cannot reach beyond 1e{limit}; pass X as float64."
        )
    cols = _sampled_absmax(X)
    cols = cols[(cols > 0) & np.isfinite(cols)]
    if cols.size == 0:
        return spread
    order = np.log10(spread) - np.log10(cols)
    worst = order[np.argmax(np.abs(order))]
    if abs(worst) > limit:
        raise ValueError(
            f"X and y: coefficients of order 1e{worst:.0f} (spread of y over "
            f"the largest |x| of a column) are not representable in {dtype}; "
            "rescale the columns of X or y"
            + (", or pass X as float64." if dtype == np.float32 else ".")
        )
    return spread


def _sampled_spread(y, sw, link):
    """:func:`_data_scale` on about ``_MAGNITUDE_ROWS`` evenly strided rows.

    A fixed scale uses the spread of ``y`` only for the magnitudes of
    :func:`check_representable`; its two medians on every row cost about
    30 ms at n = 1e6 (a quarter of a 1e6 x 20 least-squares fit). A sample
    on which ``y`` is constant (the spread's fallback) says nothing about
    the rest: the spread is then computed on every row.
    """
    n = len(y)
    if n <= _MAGNITUDE_ROWS:
        return _data_scale(y, sw, link)
    rows = slice(None, None, n // _MAGNITUDE_ROWS)
    ys, ws = y[rows], sw[rows]
    keep = ws > 0
    if np.any(keep) and np.ptp(ys[keep]) > 0:
        return _data_scale(ys, ws, link)
    return _data_scale(y, sw, link)


def _sampled_absmax(X):
    """``column_absmax`` of about ``_MAGNITUDE_ROWS`` rows spread over X.

    A dense X: ``_MAGNITUDE_BLOCKS`` contiguous blocks of rows, evenly
    spaced. Every 5th row of a 1e5 x 100 X (the strided sample) touched
    every page of X and took as long as a full pass; the blocks are read
    at the memory's speed. A sparse X: evenly strided rows (read in place
    for CSR; a slice of X copied those rows, all of X below 40,000 rows).
    """
    n = X.shape[0]
    if n <= _MAGNITUDE_ROWS:
        return column_absmax(X)
    if sparse.issparse(X):
        return column_absmax(X, step=n // _MAGNITUDE_ROWS)
    rows = _MAGNITUDE_ROWS // _MAGNITUDE_BLOCKS
    top = np.zeros(X.shape[1])
    for k in range(_MAGNITUDE_BLOCKS):
        lo = (n - rows) * k // (_MAGNITUDE_BLOCKS - 1)
        B = X[lo : lo + rows]
        np.maximum(top, B.max(axis=0), out=top)
        np.maximum(top, -B.min(axis=0), out=top)
    top[~(top > 0)] = 1.0  # as column_absmax: an all-zero column
    return top


def _resolve_mode(scale, loss, fit_intercept):
    """The mode of a fit: ``(mode, sigma)``, sigma given only for "fixed"."""
    if not isinstance(scale, str):
        return "fixed", float(scale)
    if scale == "mad" and loss.link != "identity":
        raise ValueError(
            "scale='mad' re-estimates the scale from residuals y - prediction, "
            f"which needs an identity link; got loss={loss._display_name!r} "
            f"(link={loss.link!r}). Use scale='auto' or a number."
        )
    if scale == "joint":
        if loss.link != "identity" or not loss.is_convex:
            raise ValueError(
                "scale='joint' (the concomitant scale) needs a convex loss with an "
                f"identity link; got loss={loss._display_name!r}. Use scale='mad'."
            )
        return "joint", None
    if loss.link == "log" and not fit_intercept:
        # exp(X w) cannot absorb a change of units without an intercept
        return "fixed", 1.0
    if scale == "mad":
        return "mad", None
    role = getattr(loss, "scale_role", None)
    if role == "tuning" and not loss.is_piecewise_linear:
        return "mad", None
    if role == "tuning":
        # An LP solution jumps as the scale moves, so the MAD iteration can
        # cycle (epsilon_insensitive in check_estimator's weight checks did):
        # epsilon is in units of the spread of y instead, computed once.
        return "data", None
    if role == "homogeneous":
        return "data", None
    return "fixed", 1.0


def _joint_scale(loss, r, sw, sigma, l2):
    r"""argmin over s > 0 of  s mean(rho(r / s)) + s / 2 + l2 / s  (convex in s).

    Its derivative, :math:`\text{mean}(\rho(z) - z \psi(z)) + 1/2 - l2/s^2`
    with :math:`z = r / s`, increases with s; its root is found by Brent's
    method on log s after bracketing.
    """
    w = sw / np.sum(sw)
    zero = np.zeros_like(r)

    def slope(u):
        s = math.exp(u)
        z = r / s
        rho = loss.loss(z, zero)
        z_psi = -z * loss.gradient(z, zero)  # psi = rho' = -d loss / d raw
        return float(w @ (rho - z_psi)) + 0.5 - l2 / (s * s)

    u0 = math.log(sigma)
    lo, hi = u0 - 1.0, u0 + 1.0
    for _ in range(200):
        if slope(lo) < 0:
            break
        lo -= 2.0
    else:
        raise ValueError(
            "scale='joint': the concomitant objective decreases down to a zero "
            f"scale with loss={loss._display_name!r} (huber needs delta > 1, as "
            "HuberRegressor needs epsilon > 1). Use scale='mad'."
        )
    for _ in range(200):
        if slope(hi) > 0:
            break
        hi += 2.0
    return math.exp(brentq(slope, lo, hi, xtol=1e-13, rtol=4 * np.finfo(float).eps))


def fit_scaled(
    plan, *, scale, loss, fit_intercept, y, sw, tol, max_iter, warm=None, spread=None
):
    """Fit at a fixed or estimated scale (the module notes say how).

    Parameters
    ----------
    plan : object
        The data-specific steps (in memory or on dask): ``plan.fit_at(sigma,
        warm)`` -> ``(W, b, n_iter)`` in units of y, ``plan.residuals(W, b)``
        -> ``y - X @ W[0] - b[0]`` (an ndarray), ``plan.lad_start(sigma)`` ->
        ``(W, b, n_iter)`` or None, ``plan.interpolates()`` -> whether there
        are no more distinct rows than parameters, ``plan.subsample()`` -> a
        plan on a row
        sample (``.y``, ``.sw``, ``.step``, ``.n_evals``) or None, and
        ``plan.l2_weight`` (``alpha * (1 - l1_ratio)``).
    scale : str or float
        The estimator's ``scale``.
    loss : Loss
        The loss.
    fit_intercept : bool
        Whether the model has an intercept.
    y, sw : ndarray of shape (n_samples,)
        Targets and sample weights.
    tol : float
        Relative change of the scale at which the re-estimation stops.
    max_iter : int
        Maximum number of re-estimations.
    warm : tuple (W, b, sigma), optional
        A start (warm_start); ``sigma`` may be None.
    spread : float, optional
        The spread of ``y`` when the caller has it (what
        :func:`check_representable` returns); computed here otherwise.

    Returns
    -------
    W : ndarray of shape (1, n_features)
        Coefficients in units of y.
    b : ndarray of shape (1,)
        Intercept in units of y.
    sigma : float
        The scale of the fit.
    n_iter : int
        Solver iterations, summed over the fits.
    """
    mode, sigma = _resolve_mode(scale, loss, fit_intercept)
    W0, b0 = (None, None) if warm is None else warm[:2]
    if mode == "fixed":
        return _fixed(plan, sigma, W0, b0)
    if spread is None:
        spread = _data_scale(y, sw, loss.link)
    sigma = float(warm[2]) if warm is not None and warm[2] is not None else spread
    # Below a millionth of the spread of y the residual scale has collapsed
    # (a majority fitted almost exactly): y / sigma would be ill-conditioned.
    floor = _COLLAPSE * spread
    if mode == "data" or plan.interpolates():
        # (with no more distinct rows than parameters the fit can pass
        # through every point: residual scales collapse towards 0 and the
        # scale equation has no meaningful solution; the spread of y is kept)
        return _fixed(plan, sigma, W0, b0)
    n_iter = 0
    sub = plan.subsample() if W0 is None else None
    if sub is not None:
        # Many rows: the scale and the fit on every 10th row first (a tenth
        # of the cost per pass), then the full data from there: the first
        # full fits start at the right scale instead of the spread of y.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # a start only
            W0, b0, sigma, n_iter = fit_scaled(
                sub,
                scale=scale,
                loss=loss,
                fit_intercept=fit_intercept,
                y=sub.y,
                sw=sub.sw,
                tol=max(tol, 1e-4),
                max_iter=max_iter,
            )
        plan.n_evals += sub.n_evals / sub.step
        del sub  # its rows and last objective, not kept through the full fits
    if W0 is None and not loss.is_convex:
        start = plan.lad_start(sigma)
        if start is not None:
            W0, b0, n_iter = start
            new = _next_scale("mad", loss, plan.residuals(W0, b0), sw, sigma, 0.0)
            sigma = new if new > floor else sigma
    W, b, it = plan.fit_at(
        sigma, None if W0 is None else (W0, b0), tol=_inner_tol(tol, 1.0)
    )
    n_iter += it
    W, b, sigma, n_iter, why = _solve_scale_equation(
        plan, mode, loss, sw, sigma, W, b, n_iter, tol, min(max_iter, _MAX_STEPS), floor
    )
    if why is not None:
        warnings.warn(
            f"The scale (scale={scale!r}) did not converge: {why}; the "
            "coefficients are the optimum at the last scale. Pass a fixed "
            "scale (e.g. scale=model.scale_).",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    return W, b, sigma, n_iter


def _solve_scale_equation(
    plan, mode, loss, sw, sigma, W, b, n_iter, tol, max_steps, floor
):
    """Solve ``T(sigma) = sigma``, T the scale re-estimated from the fit at sigma.

    Fixed-point steps (RLM's iteration, a contraction in the usual case)
    while they stay inside the bracket of the points seen so far, where
    ``T(s) > s`` below and ``T(s) < s`` above; otherwise, or when they stop
    shrinking, bisection of that bracket (in log sigma). A fit whose
    residuals are nearly piecewise constant in sigma (huber with a tiny
    delta is almost least absolute deviations) makes T jump over the
    diagonal: the fixed-point steps then cycle, and the bisection finds the
    crossing to ``tol``, which is the solution of the scale equation there.
    Returns ``(W, b, sigma, n_iter, why)``, ``why`` None on success.
    """
    lo = hi = None
    last_step = np.inf
    exact = False  # whether (W, b) was fitted with the full tol
    prev = None  # (sigma, T(sigma) - sigma) of the previous step
    strict = False  # every fit at the full tol (after an inconsistent bracket)
    for _ in range(max_steps):
        l2 = plan.l2_weight * float(np.sum(W**2)) / 2.0 if mode == "joint" else 0.0
        # (the residuals are not kept alive through the next fit)
        new = _next_scale(mode, loss, plan.residuals(W, b), sw, sigma, l2)
        if not new > floor:
            # An exact fit of the majority (mad) or of all the data (joint):
            # the scale collapses to 0, where the fit at this scale already is.
            return W, b, sigma, n_iter, None
        if abs(new - sigma) <= tol * sigma:
            if exact:
                return W, b, sigma, n_iter, None
            W, b, it = plan.fit_at(sigma, (W, b), tol=tol)
            n_iter, exact = n_iter + it, True
            continue
        if new > sigma:
            lo = sigma if lo is None else max(lo, sigma)
        else:
            hi = sigma if hi is None else min(hi, sigma)
        if lo is not None and hi is not None:
            if hi <= lo and not strict:
                # the bracket came from inexact fits (T read from a fit at a
                # loose tolerance can land on the wrong side of the diagonal):
                # rebuild it from fits at the full tolerance only
                W, b, it = plan.fit_at(sigma, (W, b), tol=tol)
                n_iter, exact, strict = n_iter + it, True, True
                lo = hi = prev = None
                last_step = np.inf
                continue
            if hi <= lo:
                return W, b, sigma, n_iter, "the scale equation is not monotone here"
            if hi - lo <= tol * lo and exact:
                return W, b, sigma, n_iter, None
        fixed_point = new
        if prev is not None and (new - sigma) != prev[1]:
            # secant on g(s) = T(s) - s: superlinear where T is smooth
            secant = sigma - (new - sigma) * (sigma - prev[0]) / (
                (new - sigma) - prev[1]
            )
            a, z = min(sigma, new), max(sigma, new)
            if 0.5 * a < secant < 2.0 * z:
                new = secant
        prev = (sigma, fixed_point - sigma)
        step = abs(math.log(new / sigma))
        inside = (lo is None or new > lo) and (hi is None or new < hi)
        if lo is not None and hi is not None and (not inside or step > 0.9 * last_step):
            new = math.sqrt(lo * hi)
        last_step = step
        sigma = new
        # Far from the fixed point the fit need not be exact: its tolerance
        # follows the last change of the scale (the final fits get ``tol``).
        inner = tol if strict else _inner_tol(tol, step)
        W_new, b_new, it = plan.fit_at(sigma, (W, b), tol=inner)
        n_iter += it
        if exact and inner == tol and _same(W_new, b_new, W, b):
            # The change of scale no longer moves the fit at its tolerance:
            # the scale is resolved as far as the coefficients can tell.
            return W, b, sigma, n_iter, None
        W, b, exact = W_new, b_new, inner == tol
    return (
        W,
        b,
        sigma,
        n_iter,
        f"no fixed point within {max_steps} re-estimations (min(max_iter, "
        f"{_MAX_STEPS}))",
    )


def _same(W1, b1, W2, b2):
    return np.array_equal(W1, W2) and np.array_equal(b1, b2)


def _inner_tol(tol, step):
    inner = min(1e-4, 1e-2 * step)
    return inner if inner > 2 * tol else tol


def rescale(W, b, sigma, link):
    """Coefficients fitted on ``y / sigma`` in the units of ``y``.

    Parameters
    ----------
    W : ndarray of shape (1, n_features)
        Coefficients fitted on ``y / sigma``.
    b : ndarray of shape (1,)
        Intercept fitted on ``y / sigma``.
    sigma : float
        The scale; ``rescale(W, b, 1 / sigma, link)`` is the inverse.
    link : {"identity", "log"}
        The loss's link.

    Returns
    -------
    W, b : ndarray
        The coefficients and intercept in the units of ``y``.
    """
    if link == "log":
        return W, b + math.log(sigma)
    return W * sigma, b * sigma


def _fixed(plan, sigma, W0, b0):
    W, b, n_iter = plan.fit_at(sigma, None if W0 is None else (W0, b0))
    return W, b, sigma, n_iter


def _next_scale(mode, loss, r, sw, sigma, l2):
    if mode == "mad":
        return _mad_scale(r, sw)
    if not np.any(r[sw > 0]) and l2 == 0:
        return 0.0
    return _joint_scale(loss, r, sw, sigma, l2)
