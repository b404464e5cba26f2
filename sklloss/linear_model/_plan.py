"""The one place a fit is planned: solver, start, polish and threads.

:func:`make_plan` reads the estimator's parameters, the loss's flags and the
data's shape and sparsity (through the objective) and returns a frozen
:class:`FitPlan`; :func:`._run.run_plan` carries it out on that objective and
returns the solution with the number of gradient passes it took. Both
backends (in memory and dask) go through these two functions: a dask
objective differs only in how it makes its passes over X.

``solver="auto"`` picks the solver from the loss's flags:

=============================================  ===============================
loss                                           solver
=============================================  ===============================
``is_piecewise_linear`` (convex_pieces)        ``"exact"`` (LP / QP, _exact.py)
quadratic (squared_error), dense X in memory,  ``"cholesky"``: the normal
``l1_ratio == 0``, P <= 2000                   equations (_direct.py)
Hessian, ``n * P**2 <= 1e7`` (P parameters)    ``"newton-cholesky"``
convex, Hessian, ``is_twice_differentiable``,  ``"sampled-newton"`` (subsample
a margin loss, or a stiff penalty (below);     start, Hessian of a row
n >= 50,000, dense X, P <= 500, larger         sample)
problems
Hessian, sparse X, larger problems             ``"newton-cg"`` (_newton_cg.py)
Hessian, larger problems                       ``"lbfgs"`` (standardised)
gradient only (a user's loss without Hessian)  ``"lbfgs"``
``l1_ratio > 0``                               proximal Newton, KKT stopping
                                               rule (``_prox_newton.py``)
not ``is_convex``                              least-absolute-deviation start
                                               (regression, identity link),
                                               L-BFGS-B, bounded Newton polish
=============================================  ===============================

Above 50,000 rows L-BFGS-B and sampled-newton start from the solution on
every 10th row (the *subsample start*): the same optimum in about half the
full passes.

*Stiff penalty.* The convex losses whose Hessian jumps (huber, smooth_l1,
squared_epsilon_insensitive) go to L-BFGS-B, except when the ridge penalty
is stiff in the standardised coordinates the solvers work in: there it
weighs column j by ``l2 / scale_j**2`` (``scale_j`` the column's standard
deviation), against a data curvature of order ``c``, the largest loss
Hessian over the residuals ``y - median(y)`` of a sample of y (1 for huber,
``1 / beta`` for smooth_l1, 2 for squared_epsilon_insensitive). When
``max_j l2 / scale_j**2 > 0.1 c`` ("sampled-newton" then). Measured at
1e5 x 100 (make_regression's informative columns multiplied by factors
``10**u``, HuberRegressor-calibrated alpha, full passes L-BFGS-B /
sampled-newton, same optimum to 3e-14):

==========================  =========  ========  =========  ===========
column factors              max pen/c  huber     smooth_l1  sq. eps-ins.
==========================  =========  ========  =========  ===========
1 (informative)             7e-5       8 / 9     8 / 9      7 / 9
1e-1.5 .. 1e1.5             0.07       8 / 9     8 / 9      7 / 9
1e-2 .. 1e2                 0.7        12 / 9    12 / 9     10 / 9
1e-3 .. 1e3 (badly-scaled)  68         56 / 10   56 / 10    40 / 10
1 .. 1e3                    7e-5       8 / 9     8 / 9      7 / 9
1e-3 .. 1                   68         70 / 11   70 / 11    49 / 10
==========================  =========  ========  =========  ===========

(max pen / c for huber; smooth_l1 and squared_epsilon_insensitive within a
factor 2.) The spread of the scales alone does not decide (1 .. 1e3 and
1e-3 .. 1 have the same spread): small columns under a penalty do. The
threshold sits between 0.07 (L-BFGS-B one pass better) and 0.7 (three
passes worse); a needless sampled-newton costs about one pass and the
Hessian sample, a needless L-BFGS-B up to 6 x the passes.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from ._direct import DIRECT_MAX_PARAMS, is_quadratic
from ._solvers import SOLVERS
from ._threads import blas_threads

__all__ = ["FitPlan", "make_plan", "choose_solver", "newton_ok"]

ALL_SOLVERS = ("auto", "exact", "cholesky", *SOLVERS)

# Newton-Cholesky forms a P x P Hessian in O(n P^2) per iteration, against
# O(n P) for a gradient pass; it is chosen when that is affordable (every
# problem of check_estimator, 1e4 x 30; not 1e5 x 20, where
# L-BFGS-B is measured faster at the same optimum).
_NEWTON_MAX_WORK = 1e7
# Above this many rows, L-BFGS-B starts from the solution on a 10% subsample.
SUBSAMPLE_MIN_ROWS = 50_000
# "sampled-newton" forms a dense P x P Hessian on >= 20 P rows and its
# Jacobian products cost O(P^3): beyond this many parameters (about 2.5
# passes' worth at P = 500, n = 1e5), or with a sparse X (cheap passes, a
# costly dense Hessian), another solver is used. Softmax on 100 features and
# 3 classes has P = 303.
_SAMPLED_NEWTON_MAX_PARAMS = 500
# max_j l2 / scale_j**2 over the data curvature above which the ridge
# penalty is stiff (module notes), and the y values the curvature is read on
_STIFF_PENALTY = 0.1
_CURVATURE_ROWS = 2000


@dataclass(frozen=True)
class FitPlan:
    """How one objective is minimised (see the module notes).

    Attributes
    ----------
    solver : str
        ``"exact"``, ``"cholesky"`` (:mod:`._direct`) or one of the smooth
        solvers of :mod:`._solvers`.
    start : {"warm", "intercept", "zeros"}
        The first point: the previous model, the link of the mean target
        (or the log-odds of the class frequencies), or zero.
    robust_start : bool
        Start a non-convex regression from the least-absolute-deviation fit.
    subsample_start : bool
        Start from the solution on every 10th row (large fits).
    polish : bool
        L-BFGS-B first, then at most 50 Newton steps kept only if they
        converge (non-convex losses where Newton is affordable).
    check_gradient : bool
        Check a user's loss gradient against its values first.
    n_threads : int
        The user's BLAS threads: workers of the fused passes, threads of the
        passes over a large X (:mod:`._threads`).
    one_thread_solve : bool
        Whether the solve outside the passes runs on one BLAS thread.
    fit_intercept, l1_ratio, max_iter, tol, verbose
        The estimator's parameters (``tol`` of this fit).
    """

    solver: str
    start: str
    robust_start: bool
    subsample_start: bool
    polish: bool
    check_gradient: bool
    n_threads: int
    one_thread_solve: bool
    fit_intercept: bool
    l1_ratio: float
    max_iter: int
    tol: float
    verbose: int


def newton_ok(n_samples, n_params):
    return n_params <= 2000 and n_samples * n_params**2 <= _NEWTON_MAX_WORK


def choose_solver(
    est,
    loss,
    n_samples,
    n_params,
    sparse_X=False,
    in_memory=True,
    stiff_penalty=False,
):
    """The solver of ``est.solver`` for this loss and data size.

    Parameters
    ----------
    est : LossRegressor or LossClassifier
        Its ``solver`` and ``l1_ratio`` are read.
    loss : Loss
        The resolved loss (its flags are read).
    n_samples, n_params : int
        Rows of X and parameters of the objective.
    sparse_X : bool, default=False
        Whether X is a scipy sparse matrix.
    in_memory : bool, default=True
        Whether X is an in-memory array (False: dask blocks).
    stiff_penalty : bool, default=False
        Whether the ridge penalty is stiff in standardised coordinates
        (:func:`_stiff_penalty`).

    Returns
    -------
    str
        ``"exact"``, ``"cholesky"`` or a solver name of :mod:`._solvers`.
    """
    if est.solver != "auto":
        if est.solver == "exact" and not loss.is_piecewise_linear:
            raise ValueError(
                "solver='exact' is for piecewise-linear losses (absolute_error, "
                f"quantile, epsilon_insensitive, hinge); got loss="
                f"{loss._display_name!r}."
            )
        if est.solver == "cholesky":
            _check_direct(est, loss, n_params, sparse_X, in_memory)
        if (
            est.solver in ("newton-cholesky", "sampled-newton", "trust-ncg")
            and not loss.has_hessian
        ):
            raise ValueError(
                f"solver={est.solver!r} needs the loss's Hessian, and loss="
                f"{loss._display_name!r} defines none; use solver='lbfgs' or "
                "'auto'."
            )
        return est.solver
    if loss.is_piecewise_linear and hasattr(loss, "convex_pieces"):
        return "exact"
    if _direct_ok(est, loss, n_params, sparse_X, in_memory):
        return "cholesky"
    if loss.has_hessian and newton_ok(n_samples, n_params):
        return "newton-cholesky"
    if loss.has_hessian and sparse_X and est.l1_ratio == 0:
        # (Zipf-distributed TF-IDF columns, 1e5 x 1e4: 5 Newton
        # iterations, 11 Hessian products, where L-BFGS-B needed 350
        # gradient passes; _newton_cg.py)
        return "newton-cg"
    if (
        loss.has_hessian
        and loss.is_convex
        and (_sampled_hessian_ok(loss) or stiff_penalty)
        and n_samples >= SUBSAMPLE_MIN_ROWS
        and n_params <= _SAMPLED_NEWTON_MAX_PARAMS
        and not sparse_X
        and est.l1_ratio == 0
    ):
        return "sampled-newton"
    return "lbfgs"


def _direct_ok(est, loss, n_params, sparse_X, in_memory):
    """Whether the normal equations solve this fit (:mod:`._direct`)."""
    return bool(
        is_quadratic(loss)
        and not sparse_X
        and in_memory
        and est.l1_ratio == 0
        and n_params <= DIRECT_MAX_PARAMS + 1
    )


def _check_direct(est, loss, n_params, sparse_X, in_memory):
    """Refuse ``solver="cholesky"`` where the normal equations do not apply."""
    if not is_quadratic(loss):
        raise ValueError(
            "solver='cholesky' solves the normal equations of a quadratic "
            f"objective (loss='squared_error'); got loss={loss._display_name!r}."
        )
    if not _direct_ok(est, loss, n_params, sparse_X, in_memory):
        raise ValueError(
            "solver='cholesky' needs a dense in-memory X, l1_ratio=0 and at most "
            f"{DIRECT_MAX_PARAMS} features; got l1_ratio={est.l1_ratio!r}, "
            f"{'sparse' if sparse_X else 'dense'} X"
            f"{'' if in_memory else ' on dask'} and {n_params} parameters. "
            "Use solver='auto'."
        )


def _sampled_hessian_ok(loss):
    """Whether a Hessian on a row sample starts a good quasi-Newton model.

    Yes for a Hessian continuous in the raw prediction. The margin losses
    whose generalized Hessian jumps (squared_hinge, modified_huber) too:
    from 1e5 x 20 to 1e6 x 20 and 1e5 x 100, on the default, informative and
    badly-scaled data of ``benchmarks/bench_fit.py``, "sampled-newton" took
    6-12 passes where L-BFGS-B took 10-67, to the same optimum. Regression
    losses of that kind (huber, smooth_l1) took as many passes either way on
    well-scaled data: the sampled Hessian would cost more than it saves.
    """
    return bool(loss.is_twice_differentiable or loss.kind == "margin")


def _stiff_penalty(objective, loss):
    """Whether ``max_j l2 / scale_j**2`` exceeds 0.1 x the data curvature.

    The module notes give the rule and its measurements. ``c`` is the
    largest loss Hessian at the residuals ``y - median(y)`` of about
    ``_CURVATURE_ROWS`` evenly strided targets (no pass over X). False
    where y is not an in-memory array (a dask objective), or the loss has
    no Hessian.
    """
    y = objective.y
    if not (loss.has_hessian and objective.l2 > 0 and isinstance(y, np.ndarray)):
        return False
    y = y[:: max(1, len(y) // _CURVATURE_ROWS)]
    if y.ndim != 1 or not y.size:
        return False
    with np.errstate(all="ignore"):
        h = loss.hessian(y, np.full(len(y), np.median(y)))
        curvature = float(np.max(h, initial=0.0))
        stiffness = float(np.max(objective.l2 / objective.scale**2))
    return bool(curvature > 0 and stiffness > _STIFF_PENALTY * curvature)


def make_plan(est, loss, objective, *, warm=None, tol=None):
    """The plan of one fit: everything decided before the first pass.

    Parameters
    ----------
    est : LossRegressor or LossClassifier
        Its parameters are read, nothing is written.
    loss : Loss
        The resolved loss.
    objective : LinearObjective
        The objective to minimise (its shape, sparsity and passes).
    warm : tuple (W, b), optional
        A warm start.
    tol : float, optional
        The tolerance of this fit (default ``est.tol``).

    Returns
    -------
    FitPlan
        The frozen plan.
    """
    n = objective.X.shape[0]
    solver = choose_solver(
        est,
        loss,
        n,
        objective.n_params,
        sparse_X=sparse.issparse(objective.X),
        in_memory=objective.in_memory and objective.K == 1,
        stiff_penalty=(
            est.solver == "auto"
            and not _sampled_hessian_ok(loss)
            and _stiff_penalty(objective, loss)
        ),
    )
    smooth = solver not in ("exact", "cholesky")
    first_order = solver in ("lbfgs", "sampled-newton")
    n_threads = blas_threads()
    if warm is not None:
        start = "warm"
    else:
        start = "intercept" if objective.fit_intercept else "zeros"
    return FitPlan(
        solver=solver,
        start=start,
        robust_start=bool(
            smooth
            and not loss.is_convex
            and warm is None
            and loss.kind == "regression"
            and loss.link == "identity"
        ),
        subsample_start=bool(first_order and warm is None and n >= SUBSAMPLE_MIN_ROWS),
        polish=solver == "newton-cholesky" and not loss.is_convex,
        check_gradient=smooth and not type(loss).__module__.startswith("sklloss."),
        n_threads=n_threads,
        # The fused passes run in our workers, one BLAS thread each. A
        # threaded BLAS call between them (a dot product over the n rows, a
        # Hessian sample) leaves OpenBLAS's idle threads spinning on those
        # cores (log-loss 1e6 x 20 evaluations took half as long again). So
        # the rest of the solve runs on one BLAS thread; the passes keep
        # their workers. The same for a sparse X, whose passes use no BLAS at
        # all: a dot product over the n rows (the intercept's start, with
        # unequal weights) kept the second core spinning (with the passes'
        # own, 57-510 ms of CPU a fit: benchmarks/results/fit_sparse3.md).
        one_thread_solve=bool(
            n_threads > 1
            and (
                (first_order and objective._fused_workers(keep_raw=False) > 1)
                or (
                    sparse.issparse(objective.X)
                    and solver in ("lbfgs", "sampled-newton", "newton-cg")
                )
            )
        ),
        fit_intercept=bool(est.fit_intercept),
        l1_ratio=float(est.l1_ratio),
        max_iter=int(est.max_iter),
        tol=float(tol or est.tol),
        verbose=int(est.verbose),
    )
