"""Solvers for :class:`~sklloss.linear_model._objective.LinearObjective`.

One concept (the smooth solvers behind one result type), hence one module above
500 lines.

This module runs the smooth solvers (the exact solver of piecewise-linear
losses, with its LP fallback, is :mod:`._exact`). Each solver takes
an objective and a start ``theta0`` and returns a :class:`SolverResult`; an
optimizer that stops early is reported as a
:class:`~sklearn.exceptions.ConvergenceWarning` naming the reason, never as an
exception.

Notes
-----
Solvers:

``"newton-cholesky"``
    Damped Newton with the full Hessian (Cholesky of a p x p matrix, p the
    number of parameters), Armijo backtracking. Exact for smooth losses and,
    through the generalized Hessian, semismooth Newton for the
    piecewise-quadratic ones (huber, smooth_l1, squared_hinge,
    modified_huber). Stops when the Newton step is below ``tol`` (relative to
    the coefficients): the error is then of the order of ``tol**2``.
``"trust-ncg"``
    scipy's trust-region Newton-CG with exact Hessian-vector products; for
    many features when a Hessian exists.
``"sampled-newton"``
    For many rows: quasi-Newton steps ``d = -B g`` whose initial inverse
    Hessian ``B_0`` is the Cholesky inverse of the exact Hessian on a sample
    of the rows (a few thousand), corrected by L-BFGS updates on the full
    data, unit step first, Armijo backtracking. One evaluation is one full
    gradient pass; from the estimators' subsample start a well-posed problem
    needs 4-9 of them (scipy's L-BFGS-B needs 10-16: its first step is a
    unit-length gradient step and it learns the curvature from scratch).
    Near the optimum the unit steps are accepted and the iteration is
    conjugate gradients preconditioned by the sampled Hessian: the gradient
    falls by a factor of about ``sqrt(P / m)`` per pass (P parameters, m
    sampled rows), where the sampled-Newton step alone gives about
    ``2 sqrt(P / m)``. A larger sample, a refreshed one or exact Newton
    steps cost at least the time of the passes they save
    (``benchmarks/results/poisson.md``).
    Stops like ``"lbfgs"`` (largest gradient entry below ``tol``); if the
    line search fails, L-BFGS-B continues from the last point.
``"lbfgs"``
    scipy's L-BFGS-B.
``"newton-cg"``
    Truncated Newton with Jacobi-preconditioned CG on Hessian-vector
    products (:mod:`._newton_cg`); chosen for sparse X where the dense
    Hessian of ``"newton-cholesky"`` costs too much.

With an L1 term (``l1_ratio > 0``) every solver name runs proximal Newton
(:mod:`._prox_newton`): coordinate descent on the Newton model with working
sets, a line search on the true objective, and the KKT conditions checked
before it reports convergence; on a sparse X with one output the working
set's Newton model comes from its sparse columns (:mod:`._cd`).
"""

import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning

from .._validation import user_stacklevel
from ._cd import cd_prox_newton, use_cd
from ._newton_cg import newton_cg
from ._prox_newton import prox_newton
from ._threads import blas_threads, limit_blas, threaded_passes

__all__ = ["SolverResult", "SOLVERS", "run_solver"]

SOLVERS = ("lbfgs", "newton-cholesky", "sampled-newton", "trust-ncg")

_EPS = np.finfo(np.float64).eps


@dataclass
class SolverResult:
    """What a solver returns: the point, iterations, and whether it converged."""

    theta: np.ndarray
    n_iter: int
    converged: bool
    message: str = ""
    n_evals: int = 0


class _Counted:
    """An objective whose gradient passes and Hessian products are counted.

    The count belongs to the solver run (:func:`run_solver` returns it in
    :attr:`SolverResult.n_evals`), not to the objective: one
    ``loss_gradient`` is one pass ``X @ W`` plus ``X.T @ G``.
    """

    def __init__(self, objective):
        self._objective = objective
        self.n_evals = 0
        self.n_hessp = 0

    def __getattr__(self, name):
        return getattr(self._objective, name)

    def loss_gradient(self, theta):
        self.n_evals += 1
        return self._objective.loss_gradient(theta)

    def hessp(self, theta, v):
        self.n_hessp += 1
        return self._objective.hessp(theta, v)


class _UnitObjective:
    """The objective divided by its value at the start when that is below 1.

    Every stopping test of the solvers is absolute in the objective's units:
    L-BFGS-B's relative-reduction test divides by ``max(|f|, 1)``, the
    gradient tests compare ``max|g|`` with ``tol``. With targets of 1e-6 the
    squared error is ~1e-12 from the start and L-BFGS-B stopped 6.5e-8
    above the optimum, reporting success. Dividing by ``|f(theta0)|`` (fixed
    at the first evaluation, never enlarging an objective above 1) makes
    those tests relative; an objective of size ~1 (classification, targets
    in units of their scale) is left as it is.
    """

    _SCALED = ("loss_gradient", "hessp", "hessian")

    def __init__(self, objective):
        self._objective = objective
        self._factor = None

    def __getattr__(self, name):
        attr = getattr(self._objective, name)
        if name not in self._SCALED:
            return attr

        def scaled(*args, **kwargs):
            out = attr(*args, **kwargs)
            if self._factor is None:
                f = abs(float(out[0])) if isinstance(out, tuple) else np.nan
                self._factor = 1.0 / f if np.isfinite(f) and 0 < f < 1 else 1.0
            if self._factor == 1.0:
                return out
            if isinstance(out, tuple):
                return tuple(self._factor * v for v in out)
            return self._factor * out

        return scaled


class _Printer:
    """Verbose progress lines: iteration, objective and gradient norm."""

    def __init__(self, name, verbose):
        self.name = name
        self.verbose = verbose
        self.t0 = time.perf_counter()
        if verbose:
            print(f"[{name}] iter       objective    |grad|_inf    time(s)")

    def __call__(self, it, f, g):
        if self.verbose:
            gn = float(np.max(np.abs(g))) if g is not None and g.size else 0.0
            dt = time.perf_counter() - self.t0
            print(f"[{self.name}] {it:4d}  {f:.10e}  {gn:.3e}  {dt:8.3f}")


def _warn(solver, message):
    warnings.warn(
        f"The {solver} solver did not converge: {message}. Increase max_iter, "
        "loosen tol, or scale the data.",
        ConvergenceWarning,
        stacklevel=user_stacklevel(),
    )


# ----------------------------------------------------------------- Newton
def _newton_direction(H, g):
    """Solve H d = -g, robust to a singular or an indefinite H.

    Positive definite: Cholesky. Otherwise the eigendecomposition: a
    singular positive semi-definite H (a softmax intercept, huber with every
    residual beyond delta and no L2 term) gets the minimum-norm step; an
    indefinite one (a non-convex loss, e.g. focal or cauchy, away from a
    minimum) gets ``|eigenvalues|``, which keeps a descent direction and
    follows negative curvature.
    """
    n = H.shape[0]
    if n == 0:
        return np.zeros(0)
    ridge = 1e-13 * max(float(np.max(np.abs(np.diag(H)))), 1e-300)
    try:
        c = scipy.linalg.cho_factor(H + ridge * np.eye(n), check_finite=False)
        return -scipy.linalg.cho_solve(c, g, check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        pass
    lam, V = scipy.linalg.eigh(H, check_finite=False)
    top = max(float(np.max(np.abs(lam))), 1e-300)
    if lam[0] >= -1e-10 * top:
        inv = np.where(lam > 1e-12 * top, 1.0 / np.where(lam > 0, lam, 1.0), 0.0)
    else:
        inv = 1.0 / np.maximum(np.abs(lam), 1e-8 * top)
    return -V @ (inv * (V.T @ g))


def newton(fun_grad, hess, x0, *, max_iter, tol, printer):
    """Damped (semismooth) Newton: Armijo backtracking + Levenberg-Marquardt.

    The step solves ``(H + mu I) d = -g``. ``mu`` starts at 0 (pure Newton,
    quadratic convergence near the optimum); when a step needs more than
    ``_MAX_HALVINGS`` halvings (far from the optimum, or a nearly singular
    H, e.g. huber with every residual beyond delta), ``mu`` grows tenfold
    and the step is recomputed, which bends it towards the gradient; each
    accepted full step divides ``mu`` by ten again.

    Parameters
    ----------
    fun_grad : callable, x -> (f, g)
        Objective value (float) and gradient (ndarray like ``x``) at ``x``.
    hess : callable, x -> dense Hessian
        Dense Hessian at ``x``, of shape ``(x.size, x.size)``.
    x0 : ndarray
        Starting point (not modified).
    max_iter : int
        Maximum number of Newton iterations.
    tol : float
        Stop when ``max|step| <= tol * max(1, max|x|)``.
    printer : callable (iteration, f, g)
        Called with the iteration number, objective value and gradient to
        report progress (it prints only in verbose mode).

    Returns
    -------
    SolverResult
        The last point, the number of iterations, whether it converged and
        why it stopped. Unlike :func:`run_solver`, no warning is raised here.
    """
    x = x0.copy()
    f, g = fun_grad(x)
    mu = 0.0
    for it in range(1, max_iter + 1):
        printer(it - 1, f, g)
        if not np.all(np.isfinite(g)):
            return SolverResult(x, it, False, "the gradient is not finite")
        H = hess(x)
        if not np.all(np.isfinite(H)):
            return SolverResult(x, it, False, "the Hessian is not finite")
        scale, polyak = _damping_scale(H, g, f)
        # mu grows tenfold from 1e-6 scale to 1e12 scale at most: a bounded
        # loop (an overflowing scale must not make it endless)
        for _ in range(_MAX_DAMPINGS):
            d, slope, t, accepted = _damped_step(fun_grad, x, f, g, H, mu)
            if accepted is None:  # stationary to rounding level
                return SolverResult(x, it, True, "stationary point")
            if accepted:
                break
            # A singular H that gives no descent direction starts the damping
            # at the curvature of the Polyak step; otherwise from the diagonal.
            mu = max(10 * mu, 1e-6 * scale, polyak if t == 0.0 else 0.0)
            if not mu <= 1e12 * scale:
                break
        if not accepted:
            return SolverResult(
                x,
                it,
                False,
                "the line search failed along the solver's own descent "
                "direction (is the loss's gradient consistent with its "
                "values?)",
            )
        x_new, f_new, g_new, tiny = accepted
        if tiny and np.max(np.abs(g_new)) >= np.max(np.abs(g)):
            # no progress left at this precision: x is the optimum
            printer(it, f, g)
            return SolverResult(x, it, True, "gradient at rounding level")
        newton_step = mu == 0 and t == 1 and slope != -float(g @ g)
        mu = mu / 10 if (t == 1 and mu > 1e-6 * scale) else (0.0 if t == 1 else mu)
        step = t * np.max(np.abs(d))
        x, f, g = x_new, f_new, g_new
        # Only a full, undamped Newton step measures the distance to the
        # optimum (the error is then ~ step**2); a damped or gradient step
        # can be short far from it. Relative to the largest parameter, with
        # no absolute floor, so that the test means the same in any units.
        if newton_step and step <= tol * float(np.max(np.abs(x), initial=0.0)):
            printer(it, f, g)
            return SolverResult(x, it, True, "Newton step below tol")
    printer(max_iter, f, g)
    return SolverResult(x, max_iter, False, f"max_iter={max_iter} reached")


def _damping_scale(H, g, f):
    """Sizes of the Levenberg-Marquardt damping, in units of a Hessian.

    ``scale``: the largest diagonal entry of H, or ``polyak`` when H
    vanishes. ``polyak = |g|^2 / f``: the damping whose gradient step
    ``-g / polyak`` is Polyak's step ``f / |g|^2`` towards the lower bound 0
    of the objective. When H is singular along g (huber with every residual
    beyond delta: the problem is then locally least absolute deviations) the
    step is as long as the distance to the optimum suggests, in any units of
    y, where an absolute floor gave steps of 0.5 at residuals of 1e5.
    """
    diag = float(np.max(np.abs(np.diag(H)), initial=0.0))
    gg = float(g @ g)
    polyak = gg / f if f > 0 and np.isfinite(f) else gg
    return max(diag, polyak, 1e-300), max(polyak, 1e-300)


_MAX_HALVINGS = 8
_MAX_DAMPINGS = 40  # tenfold increases of mu: 1e-6 .. 1e12 of the scale


def _damped_step(fun_grad, x, f, g, H, mu):
    """One (damped) Newton direction and its backtracking line search.

    Returns ``(d, slope, t, accepted)`` with ``accepted`` the tuple
    ``(x_new, f_new, g_new, tiny)``, False when the search gave up, or None
    when x is stationary to rounding level.
    """
    Hm = H + mu * np.eye(H.shape[0]) if mu else H
    d = _newton_direction(Hm, g)
    slope = float(g @ d)
    if not slope < 0:
        if np.max(np.abs(g)) <= 1e3 * _EPS * (1 + abs(f)) or not np.any(g):
            return d, slope, 0.0, None
        if not mu:
            # g is not in the range of a singular or indefinite H (huber with
            # every residual beyond delta): not stationary, damp the system
            return d, slope, 0.0, False
        d, slope = -g, -float(g @ g)  # not a descent direction: gradient step
    # Near the optimum the decrease -slope/2 falls below the rounding level
    # of f: f can no longer judge the step, the quadratic model can (it is
    # exact to rounding there), so the full step is taken.
    tiny = -slope <= 64 * _EPS * max(abs(f), 1e-300)
    t = 1.0
    for _ in range(_MAX_HALVINGS + 1):
        x_new = x + t * d
        f_new, g_new = fun_grad(x_new)
        if np.isfinite(f_new) and (tiny or f_new <= f + 1e-4 * t * slope):
            return d, slope, t, (x_new, f_new, g_new, tiny)
        t *= 0.5
    return d, slope, t, False


# ---------------------------------------------------------- sampled Newton
def _inverse_operator(H):
    """``v -> H^{-1} v`` for a symmetric H, robust to (near) singularity.

    A small ridge (1e-8 of the mean diagonal) keeps the Cholesky factor of a
    positive semi-definite H well defined; an indefinite H (a non-convex
    loss away from its minimum) falls back to ``|eigenvalues|``.
    """
    diag = np.diag(H)
    ridge = 1e-8 * max(float(np.mean(np.abs(diag))), 1e-300)
    # One BLAS thread: OpenBLAS's threaded potrf on a few hundred columns
    # was measured at 60-110 ms (0.6 ms single-threaded) right after the
    # large threaded products of a fit.
    with limit_blas(1):
        try:
            c = scipy.linalg.cho_factor(
                H + ridge * np.eye(H.shape[0]), check_finite=False
            )
            return lambda v: scipy.linalg.cho_solve(c, v, check_finite=False)
        except (np.linalg.LinAlgError, ValueError):
            lam, V = scipy.linalg.eigh(H, check_finite=False)
            inv = 1.0 / np.maximum(np.abs(lam), ridge)
            return lambda v: V @ (inv * (V.T @ v))


def sampled_newton(fun_grad, hessian, x0, *, max_iter, tol, printer, memory=10):
    """Quasi-Newton from a sampled Hessian: L-BFGS with ``B_0 = H_S^{-1}``.

    ``H_S`` (``hessian(x0)``) is the Hessian of the objective restricted to
    a sample of rows; the two-loop recursion applies the last ``memory``
    curvature pairs of the full objective on top of it, so the steps start
    as sub-sampled Newton steps and become exact quasi-Newton steps. Each
    iteration tries the unit step first (backtracking with a safeguarded
    quadratic interpolation, Armijo constant 1e-4); a step that needed
    backtracking refreshes ``H_S`` at the new point.

    Parameters
    ----------
    fun_grad : callable, x -> (f, g)
        Objective value and gradient.
    hessian : callable, x -> ndarray of shape (x.size, x.size)
        The sampled Hessian (dense, symmetric).
    x0 : ndarray
        Starting point (not modified).
    max_iter : int
        Maximum number of iterations.
    tol : float
        Stop when ``max|g| <= tol`` (the criterion of ``"lbfgs"``).
    printer : callable (iteration, f, g)
        Progress reporter.
    memory : int, default=10
        Number of curvature pairs kept.

    Returns
    -------
    SolverResult
        ``converged=False`` when the line search or max_iter stopped it (no
        warning is raised here).
    """
    x = x0.copy()
    f, g = fun_grad(x)
    apply_inv = _inverse_operator(hessian(x))
    S, Y = [], []
    for it in range(max_iter):
        printer(it, f, g)
        if not np.all(np.isfinite(g)):
            return SolverResult(x, max(it, 1), False, "the gradient is not finite")
        if np.max(np.abs(g), initial=0.0) <= tol:
            return SolverResult(x, max(it, 1), True, "gradient below tol")
        # two-loop recursion with B_0 = H_S^{-1}
        q = g.copy()
        coefs = []
        for s, y in zip(reversed(S), reversed(Y), strict=True):
            rho = 1.0 / float(y @ s)
            a = rho * float(s @ q)
            q -= a * y
            coefs.append((rho, a))
        r = apply_inv(q)
        for s, y, (rho, a) in zip(S, Y, reversed(coefs), strict=True):
            r += s * (a - rho * float(y @ r))
        d = -r
        slope = float(g @ d)
        if not slope < 0:  # B lost positive definiteness: restart from H_S
            S, Y = [], []
            d = -apply_inv(g)
            slope = float(g @ d)
            if not slope < 0:
                d, slope = -g, -float(g @ g)
        tiny = -slope <= 64 * _EPS * max(abs(f), 1e-300)
        t = 1.0
        for _ in range(30):
            x_new = x + t * d
            f_new, g_new = fun_grad(x_new)
            if np.isfinite(f_new) and (tiny or f_new <= f + 1e-4 * t * slope):
                break
            curv = f_new - f - slope * t
            t_q = -slope * t * t / (2 * curv) if np.isfinite(curv) and curv > 0 else 0
            t = min(max(t_q, 0.1 * t), 0.5 * t)
        else:
            return SolverResult(x, it + 1, False, "the line search failed")
        if tiny and np.max(np.abs(g_new)) >= np.max(np.abs(g)):
            # no progress left at this precision: x is the optimum
            return SolverResult(x, it + 1, True, "gradient at rounding level")
        s, y = x_new - x, g_new - g
        if float(s @ y) > 1e-10 * float(y @ y):
            S.append(s)
            Y.append(y)
            if len(S) > memory:
                S.pop(0)
                Y.pop(0)
        x, f, g = x_new, f_new, g_new
        if t < 1.0:  # the sampled model was off here: refresh it
            apply_inv = _inverse_operator(hessian(x))
    printer(max_iter, f, g)
    return SolverResult(x, max_iter, False, f"max_iter={max_iter} reached")


# ----------------------------------------------------------------- L-BFGS-B
def _lbfgs(fun_grad, x0, *, bounds, max_iter, tol, printer):
    state = {"it": 0, "g": None}

    def fg(x):
        f, g = fun_grad(x)
        state["g"] = g
        return f, g

    def callback(intermediate_result):
        state["it"] += 1
        printer(state["it"], intermediate_result.fun, state["g"])

    res = scipy.optimize.minimize(
        fg,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        callback=callback if printer.verbose else None,
        options={
            "maxiter": max_iter,
            "maxfun": 2 * max_iter + 20,
            "maxls": 50,
            "maxcor": 20,
            "gtol": tol,
            "ftol": 64 * _EPS,
        },
    )
    ok = res.status == 0
    msg = res.message if isinstance(res.message, str) else str(res.message)
    return SolverResult(res.x, max(int(res.nit), 1), ok, msg)


def _trust_ncg(objective, x0, *, max_iter, tol, printer):
    state = {"it": 0, "g": None}

    def fg(x):
        f, g = objective.loss_gradient(x)
        state["g"] = g
        return f, g

    def callback(intermediate_result):
        state["it"] += 1
        printer(state["it"], intermediate_result.fun, state["g"])

    try:
        res = scipy.optimize.minimize(
            fg,
            x0,
            jac=True,
            hessp=objective.hessp,
            method="trust-ncg",
            callback=callback if printer.verbose else None,
            options={"maxiter": max_iter, "gtol": tol},
        )
    except (ValueError, np.linalg.LinAlgError) as exc:
        # scipy's CG step on a vanishing Hessian (log_cosh with residuals of
        # 1e6: sech^2 = 0) divides by zero and raises; report, do not crash
        return SolverResult(x0, max(state["it"], 1), False, f"trust-ncg failed: {exc}")
    ok = res.status == 0
    if res.status == 2 and np.max(np.abs(res.jac), initial=0.0) <= 1e2 * tol:
        # "A bad approximation caused failure to predict improvement": the
        # trust region shrank at rounding level, next to the optimum.
        ok = True
    return SolverResult(res.x, max(int(res.nit), 1), ok, str(res.message))


# -------------------------------------------------------------- dispatcher
# Only the Newton solvers ask for a Hessian at the point just evaluated: the
# others let the evaluation drop its raw prediction (memory, fused passes).
_KEEP_RAW = ("newton-cholesky", "trust-ncg", "newton-cg")


def run_solver(
    objective,
    theta0,
    *,
    solver,
    max_iter,
    tol,
    verbose=0,
    rows=None,
    n_threads=None,
    newton_check=True,
):
    """Minimise ``objective`` from ``theta0`` with the named solver.

    Parameters
    ----------
    objective : LinearObjective
        The objective (never modified); with an L1 term (``objective.l1 >
        0``) every solver name runs proximal Newton
        (:func:`._prox_newton.prox_newton`).
    theta0 : ndarray of shape (objective.n_params,)
        Starting point, in the objective's standardised coordinates.
    solver : {"lbfgs", "newton-cholesky", "sampled-newton", "trust-ncg", \
            "newton-cg"}
        The solver (see the module notes).
    max_iter : int
        Maximum number of iterations of the solver.
    tol : float
        Tolerance: the Newton step for ``"newton-cholesky"``, the gradient for
        ``"lbfgs"``, ``"trust-ncg"`` (scipy's ``gtol``) and ``"newton-cg"``.
    verbose : int
        If non-zero, print one progress line per iteration.
    rows : LinearObjective, optional
        For ``"sampled-newton"``: the objective on the sample of rows whose
        Hessian starts the quasi-Newton model (default: all rows).
    n_threads : int, optional
        BLAS threads of the passes over X (default: the user's count,
        :func:`._threads.blas_threads`).
    newton_check : bool, default=True
        Whether a gradient solver's result is checked (and finished) by the
        Newton step where the Hessian is affordable (:func:`_newton_finish`);
        a starting point (the subsample start) needs no such check.

    Returns
    -------
    SolverResult
        With the gradient passes made in ``n_evals``; ``converged=False``
        results have already raised a ConvergenceWarning.
    """
    printer = _Printer(solver, verbose)
    if n_threads is None:
        n_threads = blas_threads()
    l1 = objective.l1 > 0
    counted = _Counted(
        objective.configured(keep_raw=l1 or solver in _KEEP_RAW, n_threads=n_threads)
    )
    if l1:
        res = _run_l1(counted, theta0, solver, max_iter, tol, printer)
    else:
        res = _run_smooth(
            _UnitObjective(counted),
            theta0,
            solver,
            (max_iter, tol, printer),
            rows,
            newton_check,
        )
    res.n_evals = counted.n_evals
    return res


def _run_smooth(objective, theta0, solver, limits, rows, newton_check):
    """The smooth solvers, L1-free (:func:`run_solver`)."""
    max_iter, tol, printer = limits
    done = 0
    if solver == "sampled-newton":
        # No thread limit: this loop's own work is numpy on length-p
        # vectors, which never wakes BLAS threads; the X products keep the
        # user's threads.
        res = sampled_newton(
            objective.loss_gradient,
            lambda theta: objective.hessian(theta, rows=rows),
            theta0,
            max_iter=max_iter,
            tol=tol,
            printer=printer,
        )
        if res.converged or res.n_iter >= max_iter:
            if not res.converged:
                _warn(solver, res.message)
            return res
        # the line search failed (e.g. a sampled model far off): L-BFGS-B
        # finishes from the last point
        solver, theta0 = "lbfgs", res.theta
        max_iter, done = max_iter - res.n_iter, res.n_iter
    run = _SMOOTH[solver] if newton_check else _UNCHECKED.get(solver, _SMOOTH[solver])
    with limit_blas(1):
        res = run(
            threaded_passes(objective, objective.n_threads),
            theta0,
            max_iter=max_iter,
            tol=tol,
            printer=printer,
        )
    if not res.converged:
        _warn(solver, res.message)
    res.n_iter += done
    return res


def _run_newton(objective, theta0, *, max_iter, tol, printer):
    return newton(
        objective.loss_gradient,
        objective.hessian,
        theta0,
        max_iter=max_iter,
        tol=tol,
        printer=printer,
    )


def _run_newton_cg(objective, theta0, *, max_iter, tol, printer):
    res = newton_cg(objective, theta0, max_iter=max_iter, tol=tol, printer=printer)
    return _newton_finish(objective, SolverResult(**vars(res)), tol, printer)


def _run_trust_ncg(objective, theta0, *, max_iter, tol, printer):
    res = _trust_ncg(objective, theta0, max_iter=max_iter, tol=tol, printer=printer)
    return _newton_finish(objective, res, tol, printer)


def _run_lbfgs(objective, theta0, *, max_iter, tol, printer):
    res = _run_lbfgs_unchecked(
        objective, theta0, max_iter=max_iter, tol=tol, printer=printer
    )
    return _newton_finish(objective, res, tol, printer)


def _run_lbfgs_unchecked(objective, theta0, *, max_iter, tol, printer):
    return _lbfgs(
        objective.loss_gradient,
        theta0,
        bounds=None,
        max_iter=max_iter,
        tol=tol,
        printer=printer,
    )


_SMOOTH = {
    "newton-cholesky": _run_newton,
    "trust-ncg": _run_trust_ncg,
    "newton-cg": _run_newton_cg,
    "lbfgs": _run_lbfgs,
}
# without the Newton check of the result (newton_check=False)
_UNCHECKED = {"lbfgs": _run_lbfgs_unchecked}


def _newton_finish(objective, res, tol, printer):
    """Check a gradient solver's optimum by its Newton step; polish if needed.

    A small gradient is not a small error where the curvature is small:
    with more features than rows and the default ``alpha=1e-4`` (the 15 x 30
    problems of check_estimator's weight checks) L-BFGS-B stopped with
    ``|g| < tol`` and coefficients 3e-3 off (squared_hinge; trust-ncg 0.1
    off), so weighted and repeated rows gave different models. Where the
    dense Hessian is affordable, the Newton step ``H^-1 g`` measures the
    distance to the optimum; above ``tol`` (relative) Newton finishes. An
    unconverged run (trust-ncg on a piecewise-quadratic loss reaching
    max_iter) is finished the same way, and warns only if Newton fails too.
    """
    X = objective.X
    P = objective.n_params
    if not objective.loss.has_hessian or P > 2000 or X.shape[0] * P * P > 1e7:
        return res
    f, g = objective.loss_gradient(res.theta)
    if not np.all(np.isfinite(g)):
        return res
    # the step in the range of H only: a null direction (the softmax's
    # shift across classes without an L2 term) is no distance to the optimum,
    # and a ridge would blow its rounding-level gradient up into a step
    lam, V = scipy.linalg.eigh(objective.hessian(res.theta), check_finite=False)
    top = max(float(np.max(np.abs(lam), initial=0.0)), 1e-300)
    inv = np.where(lam > 1e-10 * top, 1.0 / np.where(lam > 0, lam, 1.0), 0.0)
    step = np.max(np.abs(V @ (inv * (V.T @ g))), initial=0.0)
    if res.converged and step <= tol * np.max(np.abs(res.theta), initial=0):
        return res
    polished = newton(
        objective.loss_gradient,
        objective.hessian,
        res.theta,
        max_iter=50,
        tol=tol,
        printer=printer,
    )
    polished.n_iter += res.n_iter
    if not polished.converged:
        # (an unconverged run keeps its own reason; a converged one failed
        # the check)
        why = "its optimum failed the Newton check" if res.converged else res.message
        polished.message = f"{why}; the Newton finish: {polished.message}"
    return polished


def _run_l1(objective, theta0, solver, max_iter, tol, printer):
    """Every fit with an L1 term: proximal Newton, whatever ``solver`` says.

    The smooth solvers cannot reach the exact zeros of an L1 optimum (and
    L-BFGS-B on the split ``W = u - v`` stopped on its relative-reduction
    test up to 67% above the optimum, issue 12): the named solver applies to
    the smooth problem only. The Newton model uses the loss's Hessian, or
    forward differences of the gradient for a loss without one.
    """
    # (the objective keeps its raw prediction: the Hessian reuses the
    # gradient's X @ W) One BLAS thread for the small dense algebra of the
    # Newton model, as the other solvers do.
    # sparse X, one output: the working set's Newton model from its sparse
    # columns, solved by coordinate descent (_cd.py)
    solve = cd_prox_newton if use_cd(objective) else prox_newton
    with limit_blas(1):
        res = solve(objective, theta0, max_iter=max_iter, tol=tol, printer=printer)
    res = SolverResult(res.theta, res.n_iter, res.converged, res.message)
    if not res.converged:
        _warn(solver, res.message)
    return res
