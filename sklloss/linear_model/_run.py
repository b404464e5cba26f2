"""Carrying out a :class:`~._plan.FitPlan`: starts, solver runs, polish.

:func:`run_plan` minimises one objective as its plan says and returns the
solution with the iterations and gradient passes it took. The evaluation
count (``n_evals_`` of the estimators) is owned by the run: every solver call
returns the passes it made (:func:`._solvers.run_solver`), and a subsample
start's passes count for a tenth each (full-data passes).
"""

import dataclasses
import warnings

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning

from ._direct import solve_direct
from ._plan import SUBSAMPLE_MIN_ROWS, newton_ok
from ._solvers import run_solver
from ._threads import solve_limit

__all__ = ["run_plan", "lad_fit", "intercept_init"]

# Sparse X whose smaller side exceeds this gets a Huber start, not the exact
# least-absolute-deviation one (non-convex losses).
_LAD_MAX_SPARSE_SIDE = 2000
# The Hessian sample of "sampled-newton" costs ~ m * q^2 * K (K + 1) / 2
# multiply-adds for m rows, q = p + 1 columns and K outputs, against
# ~ 2 n q K for one gradient pass; dense BLAS-3 runs ~10x faster per
# operation than the memory-bound passes, so m = _HESSIAN_ROWS_PER_PASS * n /
# (q (K + 1) / 2) costs about two passes. Capped at the 10% subsample.
_HESSIAN_ROWS_PER_PASS = 20
# The subsample start stops at this gradient (or the fit's tol if larger).
# Convex losses: its optimum is only as close to the full one as the rows
# allow (full-data gradients of ~1e-2..1e-1 there), so 1e-2 starts the full
# solve as well as 1e-4 did: on bench_fit's six smooth cases (1e5 x 20,
# 1e5 x 100, 1e6 x 20, default and informative data) the full passes were the
# same in 32 fits of 36, one fewer in 3, one more in 1, and the subsample's
# evaluations 2-7 fewer. A non-convex loss keeps 1e-4: its start picks the
# basin.
_SUBSAMPLE_TOL = 1e-2
_SUBSAMPLE_TOL_NONCONVEX = 1e-4


def run_plan(plan, objective, loss, warm=None):
    """Minimise ``objective`` as ``plan`` says.

    Parameters
    ----------
    plan : FitPlan
        From :func:`make_plan` for this objective.
    objective : LinearObjective
        The objective (never modified).
    loss : Loss
        The loss (for the start and the LAD fit).
    warm : tuple (W, b), optional
        The warm start of ``plan.start == "warm"``.

    Returns
    -------
    W : ndarray of shape (K, n_features)
        Coefficients.
    b : ndarray of shape (K,)
        Intercepts.
    n_iter : int
        Solver iterations, starts included.
    n_evals : float
        Gradient passes over X (a subsample's passes count a tenth each).
    """
    if plan.solver == "exact":
        return _solve_exact(plan, objective, loss)
    if plan.solver == "cholesky":
        return _solve_direct(plan, objective, loss)
    with solve_limit(plan.one_thread_solve):
        return _solve_smooth(plan, objective, loss, warm)


def _solve_direct(plan, objective, loss):
    """The normal equations (:mod:`._direct`); an iterative finish if needed.

    When the gradient check fails after the refinements (a normal matrix
    too ill-conditioned for float64), the iterative solver "auto" would
    have taken without the direct one starts from the direct solution and
    warns if it cannot converge either: never a silent wrong answer.
    """
    theta, n_iter, n_evals, converged = solve_direct(
        objective, tol=plan.tol, n_threads=plan.n_threads
    )
    if not converged:
        n = objective.X.shape[0]
        solver = "newton-cholesky" if newton_ok(n, objective.n_params) else "lbfgs"
        finish = dataclasses.replace(plan, solver=solver, start="warm")
        W, b = objective.unpack(theta)
        W, b, more_iter, more_evals = _solve_smooth(finish, objective, loss, (W, b))
        return W, b, n_iter + more_iter, n_evals + more_evals
    W, b = objective.unpack(theta)
    return W, b, n_iter, n_evals


def _first_point(plan, objective, loss, warm):
    theta0 = np.zeros(objective.n_params)
    if plan.start == "warm":
        theta0 = objective.pack(*warm)
    elif plan.start == "intercept":
        theta0[objective.n_coef :] = intercept_init(objective, loss)
    return theta0


def _solve_smooth(plan, objective, loss, warm):
    run = _Run(plan)
    theta0 = _first_point(plan, objective, loss, warm)
    if plan.check_gradient:
        run.evals += _check_gradient(objective, theta0, loss)
    if plan.robust_start:
        theta0 = _robust_start_point(run, objective, theta0)
    rows = None
    if plan.subsample_start:
        theta0 = _subsample_start(run, objective, theta0, plan.solver)
    if plan.solver == "sampled-newton":
        rows = _hessian_rows(objective)
    if plan.polish:
        res = _polished(run, objective, theta0)
    else:
        res = run.solve(objective, theta0, plan.solver, rows=rows)
    W, b = objective.unpack(res.theta)
    return W, b, run.n_iter, run.evals


class _Run:
    """The iterations and gradient passes of one fit, added up as it goes."""

    def __init__(self, plan):
        self.plan = plan
        self.n_iter = 0
        self.evals = 0.0

    def solve(self, objective, theta0, solver, *, rows=None, **kw):
        p = self.plan
        kw = {"max_iter": p.max_iter, "tol": p.tol, "verbose": p.verbose, **kw}
        res = run_solver(
            objective, theta0, solver=solver, n_threads=p.n_threads, rows=rows, **kw
        )
        self.n_iter += res.n_iter
        self.evals += res.n_evals
        return res


def _polished(run, objective, theta0):
    """Non-convex: L-BFGS-B finds a local minimum, Newton polishes it.

    At most 50 Newton steps, kept only if they converge (their iterations
    then count; their passes always do).
    """
    res = run.solve(objective, theta0, "lbfgs")
    n_iter = run.n_iter
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        polished = run.solve(
            objective,
            res.theta,
            run.plan.solver,
            max_iter=min(run.plan.max_iter, 50),
        )
    if polished.converged:
        return polished
    run.n_iter = n_iter
    return res


def _hessian_rows(objective):
    """The row sample whose Hessian starts "sampled-newton" (None: all rows).

    Rows interleaved with the subsample start's (offset half a stride): the
    start is fitted to its own rows, whose Hessian is biased towards it.
    """
    n = objective.X.shape[0]
    q = objective.n_features + 1
    K = objective.K
    m = min(n // 10, int(_HESSIAN_ROWS_PER_PASS * n / (q * (K + 1) / 2)))
    # at most 1000 rows per parameter (relative error ~ sqrt(P / m) = 0.03):
    # on 1e6 x 20 more rows cost memory and gained at most one evaluation
    m = min(m, 1000 * objective.n_params)
    m = max(m, min(n, 20 * objective.n_params))
    if m >= n:
        return None
    step = max(n // m, 2)
    return objective._every_nth_row(step, offset=step // 2)


def _check_gradient(objective, theta, loss):
    """Refuse a user's loss whose gradient contradicts its values.

    The directional derivative along the steepest-descent direction ``-g``
    by a central difference must agree with ``-g @ g``. A sign error in
    ``Loss.gradient`` made every solver stop at its start (zero coefficients)
    with no word: the first line search already goes uphill. Two extra
    evaluations; built-in losses, tested against finite differences, skip it.
    Returns the number of evaluations made.
    """
    f, g = objective.loss_gradient(theta)
    gg = float(g @ g)
    if not (np.isfinite(f) and np.isfinite(gg)) or gg == 0:
        return 1
    d = -g / np.sqrt(gg)
    h = 1e-6 * max(1.0, float(np.max(np.abs(theta), initial=0.0)))
    f_plus, _ = objective.loss_gradient(theta + h * d)
    f_minus, _ = objective.loss_gradient(theta - h * d)
    fd = (f_plus - f_minus) / (2 * h)
    slope = -np.sqrt(gg)
    noise = 1e3 * np.finfo(np.float64).eps * max(abs(f), 1e-300) / h
    if abs(fd - slope) > 0.1 * max(abs(fd), abs(slope)) + noise:
        raise ValueError(
            f"loss={loss!r}: its gradient does not match its values. Along the "
            f"steepest-descent direction the loss changes at rate {fd:.6g} "
            f"(finite differences) where gradient() implies {slope:.6g}; check "
            "that Loss.gradient returns d loss / d raw_prediction (its sign "
            "included)."
        )
    return 3


def _subsample_start(run, objective, theta0, solver):
    """Start a large fit from the solution on every 10th row.

    The subsample's optimum is within O(1/sqrt(n/10)) of the full one, and
    costs a tenth per evaluation: the full problem then needs about half
    the evaluations (``benchmarks/bench_fit.py``), for the same optimum.
    With ``"sampled-newton"`` a subsample that is itself large
    (n >= 500,000) is solved the same way, recursively. Its passes count a
    tenth each.
    """
    sub = objective._every_nth_row(10)  # the dask objective overrides it
    if sub is None:
        return theta0
    sub_run = _Run(run.plan)
    sub_theta0 = sub.pack(*objective.unpack(theta0))
    sub_solver, rows = "lbfgs", None
    if solver == "sampled-newton" and sub.X.shape[0] >= SUBSAMPLE_MIN_ROWS:
        sub_theta0 = _subsample_start(sub_run, sub, sub_theta0, solver)
        sub_solver, rows = solver, _hessian_rows(sub)
    with warnings.catch_warnings():
        # only a starting point: its convergence does not matter
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = sub_run.solve(
            sub,
            sub_theta0,
            sub_solver,
            rows=rows,
            tol=max(
                run.plan.tol,
                _SUBSAMPLE_TOL if sub.loss.is_convex else _SUBSAMPLE_TOL_NONCONVEX,
            ),
            verbose=0,
            # a start: the full solve checks the optimum (the Newton check
            # and polish on the sample read X 1.4 times more for log_loss at
            # 1e5 x 30)
            newton_check=False,
        )
    run.n_iter += sub_run.n_iter
    run.evals += sub_run.evals / 10  # in full-data passes
    return objective.pack(*sub.unpack(res.theta))


def _robust_start_point(run, objective, theta0):
    """Start of a non-convex (redescending) fit: the exact L1 fit.

    A redescending loss is flat beyond its scale ``c``, so a start whose
    residuals all exceed ``c`` is a stationary point the solver never
    leaves. The least-absolute-deviation fit (same penalty) is
    scale-free and has a 50% breakdown point in y: on 95 targets at 1000
    and 5 at 10 it starts Tukey's biweight at 1000, where a Huber start
    with a scale from the MAD of y (0 here, so the standard deviation)
    stopped at 984.7 with every residual beyond ``c``. Problems too large
    for the exact solver fall back to a Huber start. Its passes (LP or
    Huber) are not counted: they are not passes of this objective.
    """
    plan = run.plan
    start = lad_fit(
        objective.X,
        objective.y,
        objective.sample_weight_raw,
        alpha=objective.alpha,
        l1_ratio=plan.l1_ratio,
        fit_intercept=plan.fit_intercept,
        tol=plan.tol,
        max_iter=plan.max_iter,
    )
    if start is None:  # too large for a dense normal matrix
        return _huber_start_point(run, objective, theta0)
    W, b, n_iter = start
    run.n_iter += n_iter
    return objective.pack(W, b)


def lad_fit(X, y, sample_weight, *, alpha, l1_ratio, fit_intercept, tol, max_iter):
    """The least-absolute-deviation fit with this penalty, or None if too large.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Data.
    y, sample_weight : ndarray of shape (n_samples,)
        Targets and weights.
    alpha, l1_ratio : float
        The penalty.
    fit_intercept : bool
        Whether to fit an intercept.
    tol : float
        The fit's tolerance (at most 1e-8 is used).
    max_iter : int
        Iterations of the interior-point method.

    Returns
    -------
    tuple or None
        ``(W (1, p), b (1,), n_iter)``: only a starting point, so its
        convergence warnings are silenced.
    """
    from ..losses import AbsoluteError
    from ._exact import fit_piecewise_linear

    if sparse.issparse(X) and min(X.shape) > _LAD_MAX_SPARSE_SIDE:
        # its dense p x p or n x n normal matrix would cost minutes (a
        # 1e4 x 1e4 factor per iteration on 1e4 x 1e5 CSR) where the
        # Huber start costs a few passes
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            coef, intercept, n_iter = fit_piecewise_linear(
                X,
                y,
                sample_weight,
                AbsoluteError(),
                alpha=alpha,
                l1_ratio=l1_ratio,
                fit_intercept=fit_intercept,
                tol=max(tol, 1e-8),
                max_iter=max_iter,
                verbose=0,
            )
    except ValueError:  # too large for a dense normal matrix
        return None
    W = np.asarray(coef, dtype=np.float64).reshape(1, -1)
    b = np.array([float(intercept) if fit_intercept else 0.0])
    return W, b, n_iter


def _huber_start_point(run, objective, theta0):
    """Solution of the same problem with a Huber loss (non-convex start)."""
    from ..losses import Huber
    from ._objective import LinearObjective

    y = objective.y
    med = np.median(y)
    scale = 1.4826 * np.median(np.abs(y - med))
    if not scale > 0:
        scale = float(np.std(y)) or 1.0
    huber = LinearObjective(
        objective.X,
        y,
        objective.sample_weight_raw,
        Huber(delta=1.345 * scale),
        alpha=objective.alpha,
        l1_ratio=objective.l1_ratio,
        fit_intercept=objective.fit_intercept,
    )
    solver = "newton-cholesky" if newton_ok(len(y), huber.n_params) else "lbfgs"
    if solver == "lbfgs" and sparse.issparse(objective.X):
        solver = "newton-cg"
    side = _Run(run.plan)  # not passes of this objective
    res = side.solve(huber, theta0, solver, verbose=0)
    run.n_iter += side.n_iter
    W, b = huber.unpack(res.theta)
    return objective.pack(W, b)


def _solve_exact(plan, objective, loss):
    from ._exact import fit_piecewise_linear

    coef, intercept, n_iter = fit_piecewise_linear(
        objective.X,
        objective.y,
        objective.sample_weight_raw,
        loss,
        alpha=objective.alpha,
        l1_ratio=objective.l1_ratio,
        fit_intercept=objective.fit_intercept,
        tol=plan.tol,
        max_iter=plan.max_iter,
        verbose=plan.verbose,
    )
    W = np.asarray(coef, dtype=np.float64).reshape(1, -1)
    b = np.array([float(intercept)])
    return W, b, max(int(n_iter), 1), 0.0


def intercept_init(objective, loss):
    """The first intercept: the link of the weighted mean target.

    Regression: the weighted mean target (its log for a log link);
    classification with a logit link: the log-odds of the weighted class
    frequencies (centred for the softmax); zero otherwise.

    Parameters
    ----------
    objective : LinearObjective
        Its targets and normalised weights are read.
    loss : Loss
        The loss (``kind`` and ``link``).

    Returns
    -------
    ndarray of shape (K,)
        The intercepts.
    """
    s, y = objective.sample_weight, objective.y
    if loss.kind == "regression":
        mean = float(s @ y)
        if loss.link == "log":
            return np.array([np.log(max(mean, 1e-12))])
        return np.array([mean])
    if loss.kind not in ("probabilistic", "distribution") or loss.link != "logit":
        return np.zeros(objective.K)
    if objective.softmax:
        if y.ndim == 1:
            freq = np.bincount(y.astype(np.intp), weights=s, minlength=objective.K)
        else:
            freq = s @ y
        logf = np.log(np.clip(freq, 1e-12, None))
        return logf - logf.mean()
    p = float(np.clip(s @ y, 1e-12, 1 - 1e-12))
    return np.array([np.log(p) - np.log1p(-p)])
