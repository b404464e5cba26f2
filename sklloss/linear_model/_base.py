"""What LossRegressor and LossClassifier share: parameters, loss, solver choice.

``fit`` of both estimators follows the same four steps, which the dask
helper (``_dask.py``) reuses:

1. validate (``validate_data``, ``_check_sample_weight``) and resolve the
   loss (:meth:`_LossLinearModel._resolve_loss`);
2. encode y (estimator specific);
3. build one :class:`~sklloss.linear_model._objective.LinearObjective` per
   sub-problem (one, or one per class for one-vs-rest);
4. ``self._solve(objective, loss)`` -> ``(W (K, p), b (K,), n_iter)`` and set
   the fitted attributes.

``_solve`` picks the solver from the loss's flags (``solver="auto"``):

=============================================  ===============================
loss                                           solver
=============================================  ===============================
``is_piecewise_linear`` (convex_pieces)        ``"exact"`` (LP / QP, _exact.py)
Hessian, ``n * P**2 <= 1e7`` (P parameters)    ``"newton-cholesky"``
convex, ``is_twice_differentiable``, Hessian,  ``"sampled-newton"`` (subsample
n >= 50,000, dense X, P <= 500, larger         start, Hessian of a row sample)
Hessian, sparse X, larger problems             ``"newton-cg"`` (_newton_cg.py)
Hessian, larger problems                       ``"lbfgs"`` (standardised)
gradient only (a user's loss without Hessian)  ``"lbfgs"``
``l1_ratio > 0``                               proximal Newton, KKT stopping
                                               rule (``_prox_newton.py``)
not ``is_convex``                              least-absolute-deviation start
                                               (identity link), L-BFGS-B,
                                               bounded Newton polish
=============================================  ===============================

Above 50,000 rows L-BFGS-B and sampled-newton start from the solution on
every 10th row (``_subsample_start``): the same optimum in about half the
full passes.
"""

import numbers
import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning

from ..losses import get_loss, loss_names
from ..losses._base import Loss
from ._objective import LinearObjective
from ._solvers import SOLVERS, run_solver
from ._threads import blas_threads, limit_blas

__all__ = ["_LossLinearModel"]

_ALL_SOLVERS = ("auto", "exact", *SOLVERS)

# Newton-Cholesky forms a P x P Hessian in O(n P^2) per iteration, against
# O(n P) for a gradient pass; it is chosen when that is affordable (every
# problem of check_estimator, 1e4 x 30; not 1e5 x 20, where
# L-BFGS-B is measured faster at the same optimum).
_NEWTON_MAX_WORK = 1e7
# Above this many rows, L-BFGS-B starts from the solution on a 10% subsample.
_SUBSAMPLE_MIN_ROWS = 50_000
# Sparse X whose smaller side exceeds this gets a Huber start, not the exact
# least-absolute-deviation one (non-convex losses).
_LAD_MAX_SPARSE_SIDE = 2000


def _is_dask(X):
    return type(X).__module__.split(".")[0] == "dask"


def _newton_ok(n_samples, n_params):
    return n_params <= 2000 and n_samples * n_params**2 <= _NEWTON_MAX_WORK


# "sampled-newton" forms a dense P x P Hessian on >= 20 P rows and its
# Jacobian products cost O(P^3): beyond this many parameters (about 2.5
# passes' worth at P = 500, n = 1e5), or with a sparse X (cheap passes, a
# costly dense Hessian), another solver is used. Softmax on 100 features and
# 3 classes has P = 303.
_SAMPLED_NEWTON_MAX_PARAMS = 500

# The Hessian sample of "sampled-newton" costs ~ m * q^2 * K (K + 1) / 2
# multiply-adds for m rows, q = p + 1 columns and K outputs, against
# ~ 2 n q K for one gradient pass; dense BLAS-3 runs ~10x faster per
# operation than the memory-bound passes, so m = _HESSIAN_ROWS_PER_PASS * n /
# (q (K + 1) / 2) costs about two passes. Capped at the 10% subsample.
_HESSIAN_ROWS_PER_PASS = 20


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
    """
    f, g = objective.loss_gradient(theta)
    gg = float(g @ g)
    if not (np.isfinite(f) and np.isfinite(gg)) or gg == 0:
        return
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


class _LossLinearModel(BaseEstimator):
    """Parameters, loss resolution and solver dispatch of the linear models."""

    _loss_kinds = ()  # set by the subclasses
    _estimator_name = ""

    # ---------------------------------------------------------- validation
    def _check_params(self):
        def real(name, low, high=np.inf, *, low_open=False, high_open=False):
            v = getattr(self, name)
            ok = isinstance(v, numbers.Real) and not isinstance(v, bool)
            ok = ok and bool(np.isfinite(v))
            if ok:
                ok = (v > low if low_open else v >= low) and (
                    v < high if high_open else v <= high
                )
            if not ok:
                lo = "(" if low_open else "["
                hi = ")" if high_open else "]"
                raise ValueError(
                    f"{name} must be a real number in {lo}{low}, {high}{hi}; "
                    f"got {name}={v!r}."
                )

        real("alpha", 0.0)
        real("l1_ratio", 0.0, 1.0)
        real("tol", 0.0, low_open=True)
        if (
            not isinstance(self.max_iter, numbers.Integral)
            or isinstance(self.max_iter, bool)
            or self.max_iter < 1
        ):
            raise ValueError(
                f"max_iter must be an integer >= 1; got max_iter={self.max_iter!r}."
            )
        if self.solver not in _ALL_SOLVERS:
            raise ValueError(
                f"solver must be one of {_ALL_SOLVERS}; got solver={self.solver!r}."
            )
        for name in ("fit_intercept", "warm_start"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(
                    f"{name} must be a bool; got {name}={getattr(self, name)!r}."
                )

    def _resolve_loss(self):
        """A fresh, validated Loss for this fit (the user's object is cloned)."""
        if isinstance(self.loss, str | Loss) or (
            isinstance(self.loss, type) and issubclass(self.loss, Loss)
        ):
            loss = get_loss(self.loss)
        else:
            raise ValueError(
                f"loss must be a loss name or a Loss instance; got loss={self.loss!r}."
            )
        if not loss.trainable or loss.kind not in self._loss_kinds:
            valid = [
                n for k in self._loss_kinds for n in loss_names(trainable=True, kind=k)
            ]
            why = (
                "cannot be trained"
                if not loss.trainable
                else f"is of kind {loss.kind!r}"
            )
            raise ValueError(
                f"loss={loss._display_name!r} {why}; {self._estimator_name} accepts "
                f"the trainable losses of kind {list(self._loss_kinds)}: "
                f"{', '.join(valid)} (or a Loss instance of those kinds)."
            )
        return loss

    # ---------------------------------------------------------- solving
    @property
    def _solve_tol(self):
        """``tol``, or the looser one of an intermediate fit of a scale loop."""
        return getattr(self, "_tol_override", None) or self.tol

    def _choose_solver(self, loss, n_samples, n_params, sparse_X=False):
        if self.solver != "auto":
            if self.solver == "exact" and not loss.is_piecewise_linear:
                raise ValueError(
                    "solver='exact' is for piecewise-linear losses (absolute_error, "
                    f"quantile, epsilon_insensitive, hinge); got loss="
                    f"{loss._display_name!r}."
                )
            if (
                self.solver in ("newton-cholesky", "sampled-newton", "trust-ncg")
                and not loss.has_hessian
            ):
                raise ValueError(
                    f"solver={self.solver!r} needs the loss's Hessian, and loss="
                    f"{loss._display_name!r} defines none; use solver='lbfgs' or "
                    "'auto'."
                )
            return self.solver
        if loss.is_piecewise_linear and hasattr(loss, "convex_pieces"):
            return "exact"
        if loss.has_hessian and _newton_ok(n_samples, n_params):
            return "newton-cholesky"
        if loss.has_hessian and sparse_X and self.l1_ratio == 0:
            # (Zipf-distributed TF-IDF columns, 1e5 x 1e4: 5 Newton
            # iterations, 11 Hessian products, where L-BFGS-B needed 350
            # gradient passes; _newton_cg.py)
            return "newton-cg"
        if (
            loss.has_hessian
            and loss.is_convex
            and loss.is_twice_differentiable
            and n_samples >= _SUBSAMPLE_MIN_ROWS
            and n_params <= _SAMPLED_NEWTON_MAX_PARAMS
            and not sparse_X
            and self.l1_ratio == 0
        ):
            return "sampled-newton"
        return "lbfgs"

    def _solve(self, objective, loss, *, theta0=None, warm=None):
        """Minimise ``objective``; return ``(W (K, p), b (K,), n_iter)``.

        ``warm`` is an optional ``(W, b)`` start (warm_start); ``theta0`` an
        optional start in the objective's coordinates.
        """
        n = objective.X.shape[0]
        solver = self._choose_solver(
            loss, n, objective.n_params, sparse_X=sparse.issparse(objective.X)
        )
        self.solver_ = solver
        if solver == "exact":
            return self._solve_exact(objective, loss)
        n_threads = blas_threads()
        if (
            solver in ("lbfgs", "sampled-newton")
            and n_threads > 1
            and objective._fused_workers(keep_raw=False) > 1
        ):
            # The fused passes run in our workers, one BLAS thread each. A
            # threaded BLAS call between them (a dot product over the n
            # rows, a Hessian sample) leaves OpenBLAS's idle threads
            # spinning on those cores for ~0.1 s: log-loss 1e6 x 20
            # evaluations took 37 ms instead of 25 ms. So the rest of the
            # solve runs on one BLAS thread; the passes keep their workers.
            objective.n_threads = n_threads
            with limit_blas(1):
                return self._solve_smooth(objective, loss, solver, theta0, warm)
        return self._solve_smooth(objective, loss, solver, theta0, warm)

    def _solve_smooth(self, objective, loss, solver, theta0, warm):
        if theta0 is None:
            theta0 = np.zeros(objective.n_params)
            if warm is not None:
                theta0 = objective.pack(*warm)
            elif objective.fit_intercept:
                theta0[objective.n_coef :] = self._intercept_init(objective, loss)
        n_iter = 0
        if not type(loss).__module__.startswith("sklloss."):
            _check_gradient(objective, theta0, loss)
        if (
            not loss.is_convex
            and warm is None
            and self._robust_start
            and loss.link == "identity"
        ):
            theta0, n_iter = self._robust_start_point(objective, theta0)
        rows = None
        if solver in ("lbfgs", "sampled-newton") and warm is None:
            theta0, n_iter = self._subsample_start(
                objective, loss, theta0, n_iter, solver
            )
        if solver == "sampled-newton":
            rows = _hessian_rows(objective)
        if solver == "newton-cholesky" and not loss.is_convex:
            # Non-convex: L-BFGS-B finds a local minimum, Newton polishes it
            # (at most 50 steps; kept only if it converges).
            res = run_solver(
                objective,
                theta0,
                solver="lbfgs",
                max_iter=self.max_iter,
                tol=self._solve_tol,
                verbose=self.verbose,
            )
            n_iter += res.n_iter
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                polished = run_solver(
                    objective,
                    res.theta,
                    solver=solver,
                    max_iter=min(self.max_iter, 50),
                    tol=self._solve_tol,
                    verbose=self.verbose,
                )
            if polished.converged:
                res = polished
                n_iter += polished.n_iter
        else:
            res = run_solver(
                objective,
                theta0,
                solver=solver,
                max_iter=self.max_iter,
                tol=self._solve_tol,
                verbose=self.verbose,
                rows=rows,
            )
        W, b = objective.unpack(res.theta)
        return W, b, n_iter + res.n_iter

    _robust_start = False  # non-convex regression: a LAD (or Huber) start

    def _subsample_start(self, objective, loss, theta0, n_iter, solver="lbfgs"):
        """Start a large fit from the solution on every 10th row.

        The subsample's optimum is within O(1/sqrt(n/10)) of the full one, and
        costs a tenth per evaluation: the full problem then needs about half
        the evaluations (``benchmarks/bench_fit.py``), for the same optimum.
        With ``"sampled-newton"`` a subsample that is itself large
        (n >= 500,000) is solved the same way, recursively.
        """
        n = objective.X.shape[0]
        if n < _SUBSAMPLE_MIN_ROWS:
            return theta0, n_iter
        sub = objective._every_nth_row(10)  # the dask objective overrides it
        if sub is None:
            return theta0, n_iter
        sub_theta0 = sub.pack(*objective.unpack(theta0))
        sub_solver, rows = "lbfgs", None
        if solver == "sampled-newton" and sub.X.shape[0] >= _SUBSAMPLE_MIN_ROWS:
            sub_theta0, n_iter = self._subsample_start(
                sub, loss, sub_theta0, n_iter, solver
            )
            sub_solver, rows = solver, _hessian_rows(sub)
        with warnings.catch_warnings():
            # only a starting point: its convergence does not matter
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = run_solver(
                sub,
                sub_theta0,
                solver=sub_solver,
                max_iter=self.max_iter,
                tol=max(self._solve_tol, 1e-4),
                rows=rows,
            )
        objective.n_evals += sub.n_evals / 10  # in full-data passes
        return objective.pack(*sub.unpack(res.theta)), n_iter + res.n_iter

    def _robust_start_point(self, objective, theta0):
        """Start of a non-convex (redescending) fit: the exact L1 fit.

        A redescending loss is flat beyond its scale ``c``, so a start whose
        residuals all exceed ``c`` is a stationary point the solver never
        leaves. The least-absolute-deviation fit (same penalty) is
        scale-free and has a 50% breakdown point in y: on 95 targets at 1000
        and 5 at 10 it starts Tukey's biweight at 1000, where a Huber start
        with a scale from the MAD of y (0 here, so the standard deviation)
        stopped at 984.7 with every residual beyond ``c``. Problems too large
        for the exact solver fall back to a Huber start.
        """
        start = self._lad_fit(
            objective.X, objective.y, objective.sample_weight_raw, objective.alpha
        )
        if start is None:  # too large for a dense normal matrix
            return self._huber_start_point(objective, theta0)
        W, b, n_iter = start
        return objective.pack(W, b), n_iter

    def _lad_fit(self, X, y, sample_weight, alpha):
        """The least-absolute-deviation fit with this penalty, or None if too large.

        Returns ``(W (1, p), b (1,), n_iter)``: only a starting point, so its
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
                    l1_ratio=self.l1_ratio,
                    fit_intercept=self.fit_intercept,
                    tol=max(self._solve_tol, 1e-8),
                    max_iter=self.max_iter,
                    verbose=0,
                )
        except ValueError:  # too large for a dense normal matrix
            return None
        W = np.asarray(coef, dtype=np.float64).reshape(1, -1)
        b = np.array([float(intercept) if self.fit_intercept else 0.0])
        return W, b, n_iter

    def _huber_start_point(self, objective, theta0):
        """Solution of the same problem with a Huber loss (non-convex start)."""
        from ..losses import Huber

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
        solver = "newton-cholesky" if _newton_ok(len(y), huber.n_params) else "lbfgs"
        if solver == "lbfgs" and sparse.issparse(objective.X):
            solver = "newton-cg"
        res = run_solver(
            huber, theta0, solver=solver, max_iter=self.max_iter, tol=self._solve_tol
        )
        W, b = huber.unpack(res.theta)
        return objective.pack(W, b), res.n_iter

    def _solve_exact(self, objective, loss):
        from ._exact import fit_piecewise_linear

        coef, intercept, n_iter = fit_piecewise_linear(
            objective.X,
            objective.y,
            objective.sample_weight_raw,
            loss,
            alpha=objective.alpha,
            l1_ratio=objective.l1_ratio,
            fit_intercept=objective.fit_intercept,
            tol=self._solve_tol,
            max_iter=self.max_iter,
            verbose=self.verbose,
        )
        W = np.asarray(coef, dtype=np.float64).reshape(1, -1)
        b = np.array([float(intercept)])
        return W, b, max(int(n_iter), 1)

    def _intercept_init(self, objective, loss):
        return np.zeros(objective.K)
