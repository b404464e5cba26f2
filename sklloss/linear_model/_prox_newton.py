r"""Proximal Newton for the L1 / elastic-net objective (glmnet, skglm style).

The objective of :class:`~sklloss.linear_model._objective.LinearObjective`
with ``l1_ratio > 0`` is, in its standardised coordinates ``theta``,

.. math::

    F(\theta) = f(\theta) + \sum_j \lambda_j |\theta_j|,

with ``f`` the smooth part (weighted mean loss + L2 term, ``loss_gradient``)
and :math:`\lambda_j` = ``l1_weights`` (``alpha * l1_ratio / scale_j``; zero
for the intercepts). Each iteration

1. computes the gradient ``g`` of ``f`` and the violation of the optimality
   (KKT) conditions of ``F``: :math:`|g_j| \le \lambda_j` where
   :math:`\theta_j = 0`, :math:`g_j + \lambda_j\,\mathrm{sign}(\theta_j) = 0`
   elsewhere (and :math:`g_j = 0` for the intercepts). Because
   :math:`\theta_j = s_j w_j` and :math:`\partial F / \partial\theta_j =
   (\partial F / \partial w_j) / s_j` at a zero intercept gradient, this is
   the subgradient condition of the stated objective in the original
   coefficients, each measured on the standardised column (scale-free);
2. stops when the largest violation is below ``tol``;
3. otherwise picks a working set: the features with a nonzero coefficient
   plus the worst violators (all features when there are few), forms the
   Hessian ``H`` of ``f`` on it (the objective restricted to those columns:
   every other coefficient is zero, so this is an exact block of the full
   Hessian), and minimises the quadratic model
   :math:`g^T d + \frac12 d^T (H + \mu I) d + \sum_j \lambda_j |\theta_j + d_j|`
   by coordinate descent, finished by an exact solve on the identified signs;
4. takes the step with a backtracking (Armijo) line search on the true ``F``;
   a failed search raises the damping :math:`\mu` (Levenberg-Marquardt), which
   also makes the model convex for a non-convex loss (a local optimum).

Zeros are exact: coordinate descent's soft-thresholding sets them.
"""

import numpy as np
import scipy.linalg
from scipy import sparse

from ._objective import LinearObjective

__all__ = ["prox_newton", "kkt_violation"]

_EPS = np.finfo(np.float64).eps
# Up to this many parameters every feature is in the working set.
_ALL_FEATURES_MAX_PARAMS = 120
# Smallest number of new features a working set may add.
_MIN_NEW_FEATURES = 10
_MAX_HALVINGS = 20
_MAX_SWEEPS = 200


def kkt_violation(theta, grad, lam):
    """Per-coordinate violation of the optimality conditions of ``f + lam |.|``.

    Parameters
    ----------
    theta : ndarray of shape (P,)
        The point.
    grad : ndarray of shape (P,)
        Gradient of the smooth part at ``theta``.
    lam : ndarray of shape (P,)
        L1 weight per coordinate (0 for unpenalised ones).

    Returns
    -------
    ndarray of shape (P,)
        ``|grad + lam sign(theta)|`` where ``theta != 0``, else
        ``max(|grad| - lam, 0)``; zero exactly at an optimum.
    """
    return np.where(
        theta != 0,
        np.abs(grad + lam * np.sign(theta)),
        np.maximum(np.abs(grad) - lam, 0.0),
    )


class _Result:
    """The point, iterations, convergence and why it stopped (as SolverResult)."""

    def __init__(self, theta, n_iter, converged, message):
        self.theta = theta
        self.n_iter = n_iter
        self.converged = converged
        self.message = message


def _feature_index(objective):
    """Feature of each coefficient of ``theta`` (-1 for intercepts)."""
    K, p = objective.K, objective.n_features
    idx = np.tile(np.arange(p), K)
    return np.concatenate([idx, np.full(objective.n_params - K * p, -1)])


def _restricted(objective, features):
    """The objective on the columns ``features`` only (same coordinates)."""
    X = objective.X
    Xs = X[:, features]
    if sparse.issparse(Xs):
        Xs = Xs.tocsr()
    sub = LinearObjective(
        Xs,
        objective.y,
        objective.sample_weight_raw,
        objective.loss,
        n_outputs=objective.K,
        softmax=objective.softmax,
        alpha=objective.alpha,
        l1_ratio=objective.l1_ratio,
        fit_intercept=objective.fit_intercept,
        column_stats=(objective.mean[features], objective.scale[features]),
        n_threads=objective.n_threads,
    )
    return sub


class _WorkingSets:
    """Chooses the coordinates of each Newton step and their Hessian."""

    def __init__(self, objective):
        self.objective = objective
        self.feature = _feature_index(objective)
        p = objective.n_features
        self.all = (
            objective.n_params <= _ALL_FEATURES_MAX_PARAMS
            or not objective.in_memory  # dask: no column access
        )
        self.n_new = _MIN_NEW_FEATURES
        self.p = p

    def choose(self, theta, viol):
        """Coordinates of the next step: all, or a working set of features.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
            The current point.
        viol : ndarray of shape (n_params,)
            Its KKT violations (:func:`kkt_violation`).

        Returns
        -------
        coords : ndarray of int
            Indices into ``theta`` of the step (intercepts always included).
        features : ndarray of int or None
            The working set's features, None for all of them.
        """
        if self.all:
            return np.arange(theta.size), None
        K, p = self.objective.K, self.p
        m = K * p
        nonzero = np.any(theta[:m].reshape(K, p) != 0, axis=0)
        score = viol[:m].reshape(K, p).max(axis=0)
        score[nonzero] = np.inf
        n_take = int(nonzero.sum()) + max(self.n_new, int(nonzero.sum()))
        n_take = min(n_take, p)
        order = np.argsort(-score, kind="stable")[:n_take]
        features = np.sort(order[(score[order] > 0)])
        if features.size == p:
            self.all = True
            return np.arange(theta.size), None
        coords = np.flatnonzero(np.isin(self.feature, features) | (self.feature < 0))
        return coords, features

    def hessian(self, theta, coords, features):
        if not self.objective.loss.has_hessian:
            return _difference_hessian(self.objective, theta, coords)
        if features is None:
            return self.objective.hessian(theta)
        sub = _restricted(self.objective, features)
        return sub.hessian(theta[coords])

    def grow(self):
        """A step made little progress: let more features in next time."""
        self.n_new *= 2


def _difference_hessian(objective, theta, coords):
    """Hessian block on ``coords`` from forward differences of the gradient.

    For a loss that gives only its gradient: one gradient pass per
    coordinate. The Newton model needs no exact Hessian -- the line search
    and the KKT test use the exact objective and gradient -- only a
    positive semi-definite metric close to it (symmetrised here; the damping
    handles the rest).
    """
    _, g0 = objective.loss_gradient(theta)
    H = np.empty((coords.size, coords.size))
    for i, j in enumerate(coords):
        h = np.sqrt(_EPS) * max(1.0, abs(theta[j]))
        e = theta.copy()
        e[j] += h
        H[:, i] = (objective.loss_gradient(e)[1][coords] - g0[coords]) / h
    H = (H + H.T) / 2
    lam = np.linalg.eigvalsh(H)
    if lam[0] < 0:  # rounding, or a kink crossed: keep the model convex
        H += (-lam[0] + 1e-10 * max(lam[-1], 1e-12)) * np.eye(coords.size)
    return H


def _soft(z, t):
    return np.sign(z) * max(abs(z) - t, 0.0)


def _solve(M, r):
    """``M^+ r``: Cholesky when M is positive definite, else least squares."""
    try:
        c = scipy.linalg.cho_factor(M, check_finite=False)
        x = scipy.linalg.cho_solve(c, r, check_finite=False)
        if np.all(np.isfinite(x)) and np.max(np.abs(M @ x - r), initial=0.0) <= (
            1e-10 * (1 + float(np.max(np.abs(r), initial=0.0)))
        ):
            return x
    except (np.linalg.LinAlgError, ValueError):
        pass
    return scipy.linalg.lstsq(M, r, check_finite=False, cond=1e-13)[0]


def _sign_step(A, g, x, lam, v, unpen):
    """Minimise the model with the signs of ``v`` held fixed.

    On ``S = {v != 0} | unpenalised`` the model is smooth (the L1 term is
    linear with slope ``lam * sign(v)``): one linear system. Returns
    ``(v_new, exact)``: ``exact`` when its solution keeps the signs and every
    coordinate outside ``S`` satisfies ``|model gradient| <= lam`` (the
    model's minimiser). Otherwise ``v_new`` is the point where the segment
    towards it first reaches a zero (set exactly), from which coordinate
    descent goes on. When the system has no solution (collinear columns or
    p > n with an L1 slope along a flat direction of H) the segment follows
    that flat direction, where the model decreases linearly, until a
    coefficient reaches zero: coordinate descent would crawl there.
    """
    S = (v != 0) | unpen
    if not np.any(S):
        return v, False
    d = v - x
    rest = ~S
    rhs = -(g[S] + lam[S] * np.sign(v[S])) - A[np.ix_(S, rest)] @ d[rest]
    M = A[np.ix_(S, S)]
    # of the many solutions of a singular M, the nearest to the CD iterate
    d_cur = d[S]
    target = d_cur + _solve(M, rhs - M @ d_cur)
    if not np.all(np.isfinite(target)):
        return v, False
    resid = rhs - M @ target
    size = 1 + float(np.max(np.abs(g))) + float(np.max(np.abs(lam)))
    consistent = np.max(np.abs(resid), initial=0.0) <= 1e-11 * size
    direction = target - d_cur if consistent else resid
    vS = v[S]
    pen = ~unpen[S]
    toward_zero = pen & (vS * direction < 0)
    hits = -vS[toward_zero] / direction[toward_zero]
    s_max = 1.0 if consistent else np.inf
    s = min(s_max, float(np.min(hits, initial=np.inf)))
    if not np.isfinite(s):
        return v, False
    new_S = vS + s * direction
    if s < s_max:
        k = np.flatnonzero(toward_zero)[np.argmin(hits)]
        new_S[k] = 0.0
    new = v.copy()
    new[S] = new_S
    if s < s_max or np.any(np.sign(new_S[pen]) != np.sign(vS[pen])):
        return new, False
    mg = g + A @ (new - x)
    exact = not np.any(np.abs(mg[rest]) > lam[rest] * (1 + 1e-9) + 1e-14 * size)
    return new, exact


def _model_step(H, g, x, lam, mu, tol_in):
    """Minimise ``g.d + d.(H + mu I).d / 2 + lam.|x + d|``; return ``v = x + d``.

    Cyclic coordinate descent on ``v`` (soft-thresholding for the penalised
    coordinates), finished by an exact solve once the signs settle. The
    point itself is returned, not ``d``: ``x + (v - x)`` is not always
    ``v`` in floating point, and an exact zero must stay one.
    """
    P = g.size
    A = H + mu * np.eye(P) if mu else H
    a = np.diag(A).copy()
    # a coordinate without curvature (a constant standardised column, huber
    # with its rows beyond delta) gets a little, so its step stays finite
    floor = 1e-8 * max(float(np.max(np.abs(a), initial=0.0)), 1e-300)
    a = np.maximum(a, floor)
    unpen = lam == 0
    v = x.copy()
    Ad = np.zeros(P)
    rows = [A[j] for j in range(P)]
    gl, al, laml = g.tolist(), a.tolist(), lam.tolist()
    last_signs, tried = None, set()
    for sweep in range(_MAX_SWEEPS):
        change = 0.0
        for j in range(P):
            gj = gl[j] + Ad[j]
            vj = v[j]
            z = vj - gj / al[j]
            new = z if laml[j] == 0 else _soft(z, laml[j] / al[j])
            delta = new - vj
            if delta != 0.0:
                v[j] = new
                Ad += delta * rows[j]
                change = max(change, al[j] * abs(delta))
        if change <= tol_in:
            break
        # once the signs settle (or CD crawls: ill-conditioned), try the
        # exact solve on them, once per sign pattern
        signs = np.sign(v)
        settled = last_signs is not None and np.array_equal(signs, last_signs)
        if (settled or sweep % 10 == 9) and signs.tobytes() not in tried:
            tried.add(signs.tobytes())
            v_new, exact = _sign_step(A, g, x, lam, v, unpen)
            if exact:
                return v_new
            if v_new is not v:
                v = v_new
                Ad = A @ (v - x)
                signs = np.sign(v)
        last_signs = signs
    return v


def _with_l1(objective, lam):
    def F(theta):
        f, g = objective.loss_gradient(theta)
        return f + float(lam @ np.abs(theta)), g

    return F


def prox_newton(
    objective,
    theta0,
    *,
    max_iter,
    tol,
    printer,
    hessian=None,
    line_search=None,
    first_new=0,
):
    """Minimise the L1 / elastic-net objective by proximal Newton.

    Parameters
    ----------
    objective : LinearObjective
        The objective (``l1 > 0``; the loss has a Hessian).
    theta0 : ndarray of shape (objective.n_params,)
        Start, in standardised coordinates (not modified).
    max_iter : int
        Maximum number of Newton iterations.
    tol : float
        Stop when every KKT violation (:func:`kkt_violation` in standardised
        coordinates) is at most ``tol`` (times the objective at ``theta0``
        when that is below 1).
    printer : callable (iteration, objective, violations)
        Progress reporter.
    hessian : callable (theta, coords, features) -> ndarray, default=None
        The working set's Hessian (default: the working sets' own, dense
        products). The sparse coordinate-descent variant (``_cd.py``) passes
        its own, formed from the sparse columns.
    line_search : callable, default=None
        ``line_search(F_of, x, F, g, lam, H, coords, mu, tol_in)`` -> step or
        None: the model's solution and the backtracking along it (default:
        :func:`_line_search`).
    first_new : int, default=0
        At least this many features enter the first working set.

    Returns
    -------
    result
        With ``theta``, ``n_iter``, ``converged`` and ``message`` (no warning
        is raised here).
    """
    m = objective.n_coef
    lam = np.zeros(objective.n_params)
    lam[:m] = objective.l1_weights
    F_of = _with_l1(objective, lam)
    ws = _WorkingSets(objective)
    ws.n_new = max(ws.n_new, first_new)
    hessian = ws.hessian if hessian is None else hessian
    line_search = _line_search if line_search is None else line_search
    x = np.array(theta0, dtype=np.float64)
    F, g = F_of(x)
    # The test is relative to the objective's size when that is below 1
    # (targets of 1e-6: a squared error of 1e-12 and gradients to match).
    if np.isfinite(F) and 0 < abs(F) < 1:
        tol = tol * abs(F)
    mu = 0.0
    for it in range(1, max_iter + 1):
        if not (np.isfinite(F) and np.all(np.isfinite(g))):
            return _Result(x, it, False, "the objective or its gradient is not finite")
        viol = kkt_violation(x, g, lam)
        worst = float(np.max(viol, initial=0.0))
        printer(it - 1, F, viol)
        if worst <= tol:
            return _Result(x, it, True, "KKT conditions hold")
        # inexact Newton: the model is solved to a fraction of the current
        # violation (superlinear), never below what the KKT test asks
        tol_in = max(0.1 * tol, min(0.1, worst) * worst)
        coords, features = ws.choose(x, viol)
        H = hessian(x, coords, features)
        step, mu, scale = _damped_step(
            objective, line_search, F_of, x, F, g, lam, H, coords, mu, tol_in
        )
        if step is None:
            return _Result(
                x,
                it,
                False,
                "the line search failed with the L1 optimality (KKT) "
                f"conditions violated by {worst:.2e} > tol={tol:g}",
            )
        x_new, F_new, g_new, t, tiny = step
        if tiny:
            new_worst = float(np.max(kkt_violation(x_new, g_new, lam), initial=0.0))
            if new_worst >= worst:
                # no progress left at this precision: F is at its minimum
                printer(it, F, viol)
                return _Result(x, it, True, "objective at rounding level")
        if t < 1 and features is not None:
            ws.grow()
        mu = mu / 10 if (t == 1 and mu > 1e-6 * scale) else (0.0 if t == 1 else mu)
        x, F, g = x_new, F_new, g_new
    viol = kkt_violation(x, g, lam)
    worst = float(np.max(viol, initial=0.0))
    if worst <= tol:
        return _Result(x, max_iter, True, "KKT conditions hold")
    return _Result(
        x,
        max_iter,
        False,
        f"max_iter={max_iter} reached with the L1 optimality (KKT) conditions "
        f"violated by {worst:.2e} > tol={tol:g}",
    )


def _damped_step(objective, line_search, F_of, x, F, g, lam, H, coords, mu, tol_in):
    """``(step or None, mu, scale)``: the line search, damped until it succeeds."""
    if not objective.loss.is_convex:
        mu = max(mu, _convexify(H))
    scale = max(float(np.max(np.abs(np.diag(H)), initial=0.0)), 1e-12)
    g_max = float(np.max(np.abs(g[coords]), initial=0.0))
    if scale <= 1e-12 * (1 + g_max):
        # no curvature at all (huber with every residual beyond delta and no
        # L2 term): the model is linear, so damp it to a step of about one
        # standardised unit; the line search does the rest
        mu = max(mu, g_max)
        scale = max(scale, g_max)
    while True:
        step = line_search(F_of, x, F, g, lam, H, coords, mu, tol_in)
        if step is not None:
            return step, mu, scale
        mu = max(10 * mu, 1e-6 * scale)
        if mu > 1e12 * scale:
            return None, mu, scale


def _convexify(H):
    """Shift that makes an indefinite Hessian positive definite (non-convex loss)."""
    lam_min = float(scipy.linalg.eigvalsh(H, subset_by_index=[0, 0])[0])
    top = max(float(np.max(np.abs(np.diag(H)), initial=0.0)), 1e-12)
    return 0.0 if lam_min > 0 else -1.1 * lam_min + 1e-8 * top


def _line_search(F_of, x, F, g, lam, H, coords, mu, tol_in):
    """Model step on ``coords`` and Armijo backtracking on the true objective.

    Returns ``(x_new, F_new, g_new, t, tiny)`` or None when the
    search failed (the caller raises the damping).
    """
    v = x.copy()
    v[coords] = _model_step(H, g[coords], x[coords], lam[coords], mu, tol_in)
    d = v - x
    decrease = float(g @ d + lam @ (np.abs(v) - np.abs(x)))
    if not decrease < 0:
        if decrease == 0:
            return x, F, g, 1.0, True  # the caller sees no progress
        return None
    # Near the optimum the predicted decrease falls below the rounding level
    # of F: F cannot judge the step, the model (exact there) can.
    tiny = -decrease <= 64 * _EPS * max(abs(F), 1e-300)
    t = 1.0
    for _ in range(_MAX_HALVINGS + 1):
        x_new = v if t == 1 else x + t * d
        F_new, g_new = F_of(x_new)
        if np.isfinite(F_new) and (tiny or F_new <= F + 1e-4 * t * decrease):
            return x_new, F_new, g_new, t, tiny
        t *= 0.5
    return None
