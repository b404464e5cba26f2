r"""Truncated Newton (Newton-CG) for smooth objectives with many features.

Each iteration solves the Newton system :math:`H d = -g` only approximately,
by preconditioned conjugate gradients on Hessian-vector products (two passes
over X each, never a :math:`p \times p` matrix), then takes a backtracking
line search along ``d``. The CG solve stops at the relative residual
:math:`\eta_k = \min(0.5, \sqrt{\|g_k\|})` (Eisenstat-Walker's forcing term,
as scikit-learn's and scipy's ``newton-cg``): inexact far from the optimum,
superlinear near it.

Why it is the solver of sparse, wide problems: on TF-IDF-like data (CSR
1e5 x 1e4, Zipf column frequencies, alpha=1e-4) the log loss needed 5 Newton
iterations and 11 Hessian-vector products, where L-BFGS-B needed ~350
gradient passes.

Preconditioner: the diagonal of the Hessian (Jacobi), L2 penalty included.
It costs a pass over the squared entries of X and one over X, and is
recomputed only when a CG solve gets long. It makes the CG iterates
independent of the scale of each column: the implicit standardisation of
the objective, which slowed every unpreconditioned solver 10-40x on rare
Zipf columns (``benchmarks/results/sparse.md``), costs nothing here.

Non-convex losses (cauchy, tukey_biweight): CG stops on a direction of
non-positive curvature, as scipy's ``newton-cg`` and ``trust-ncg`` do; the
step is then the CG iterate so far (or, on the first CG step, the
preconditioned steepest-descent direction), still a descent direction, and
the line search makes the progress.

Convergence: the largest entry of the gradient (in the objective's
coordinates) at most ``tol``, the test of ``"lbfgs"`` and
``"sampled-newton"``.
"""

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .._kernels import csr_column_moments
from ._objective import _compiled_csr
from ._passes import _upcast_blocks

__all__ = ["newton_cg", "hessian_diagonal"]

_EPS = np.finfo(np.float64).eps
# CG products per Newton iteration at most. A well-posed L2 problem needs a
# few dozen; more means an ill-conditioned Hessian, where a longer solve is
# still cheaper than another Newton iteration's line search.
_MAX_CG = 250
_MAX_BACKTRACKS = 40
# Stored entries of a sparse X per block of the Jacobi diagonal's pass.
_CHUNK_NNZ = 2**17
# The Jacobi preconditioner (a pass over the squared entries of X and one
# over X) is recomputed only when the last CG solve needed more products than
# this: a preconditioner from an earlier point still works, and on the
# 1e5 x 1e4 log loss refreshing it at every iteration took a quarter of the
# fit.
_REFRESH_AFTER = 10


@dataclass
class NewtonCGResult:
    """Point, Newton iterations, convergence and why it stopped."""

    theta: np.ndarray
    n_iter: int
    converged: bool
    message: str = ""


def _base(objective):
    """The :class:`LinearObjective` under the solvers' wrappers."""
    while hasattr(objective, "_objective"):
        objective = objective._objective
    return objective


def _squared_column_sums(X, v):
    """``(X * X).T @ v`` without a squared copy of X (float64 sums).

    CSR / CSC: weighted ``bincount`` / ``reduceat`` over the stored entries,
    ``_CHUNK_NNZ`` of them at a time (temporaries of a fixed size); dense:
    float64 row blocks.
    """
    p = X.shape[1]
    if sparse.issparse(X) and X.format in ("csr", "csc"):
        return _sparse_squared_sums(X, v)
    out = np.zeros(p)
    for axis, lo, hi, B in _upcast_blocks(X):
        if sparse.issparse(B):  # pragma: no cover - other sparse formats
            B = B.copy()
            B.data **= 2
            part = np.asarray(B.T @ (v if axis else v[lo:hi])).ravel()
        else:
            part = np.einsum("ij,ij,i->j", B, B, v if axis else v[lo:hi])
        if axis:
            out[lo:hi] = part
        else:
            out += part
    return out


def _sparse_squared_sums(X, v):
    counts = np.diff(X.indptr)
    n_major = len(counts)  # rows (CSR) or columns (CSC)
    step = max(1, int(n_major * _CHUNK_NNZ / max(X.nnz, 1)))
    out = np.zeros(X.shape[1])
    for lo in range(0, n_major, step):
        hi = min(lo + step, n_major)
        a, b = X.indptr[lo], X.indptr[hi]
        if a == b:
            continue
        data = X.data[a:b].astype(np.float64)
        data *= data
        if X.format == "csr":
            data *= np.repeat(v[lo:hi], counts[lo:hi])
            out += np.bincount(X.indices[a:b], weights=data, minlength=len(out))
        else:
            data *= v[X.indices[a:b]]
            nonempty = counts[lo:hi] > 0
            starts = X.indptr[lo:hi][nonempty] - a
            out[lo:hi][nonempty] = np.add.reduceat(data, starts)
    return out


def hessian_diagonal(objective, theta):
    """Diagonal of the smooth objective's Hessian in ``theta`` coordinates.

    Column ``j`` of the standardised design is ``(x_j - m_j) / s_j``, so the
    data part is ``sum_i h_i (x_ij - m_j)^2 / s_j^2``, expanded into sums of
    ``h x^2``, ``h x`` and ``h`` (no centred copy of X); the L2 penalty adds
    ``l2 / s_j^2`` and the intercept's entry is ``sum_i h_i``. ``h`` are the
    weighted per-sample second derivatives (the diagonal blocks of a
    softmax's), at the point of the last evaluation when it is ``theta``.

    Parameters
    ----------
    objective : LinearObjective
        The objective (wrappers of the solvers are looked through).
    theta : ndarray of shape (n_params,)
        The point, in the objective's coordinates.

    Returns
    -------
    ndarray of shape (n_params,)
        The diagonal, in the units of the unwrapped objective.
    """
    obj = _base(objective)
    W, b = obj.unpack(theta)
    # h = factor * the weights for a loss of constant second derivative
    # (no n-vector for them), else factor = 1
    h, factor = obj._hessian_parts(W, b)
    X, K, p = obj.X, obj.K, obj.n_features
    diag = np.zeros(obj.n_params)
    centred = bool(np.any(obj.mean))
    for k in range(K):
        hk = h[:, k, k] if h.ndim == 3 else h
        if _compiled_csr(X):  # sum h x and sum h x^2 in one read of X
            hk = np.ascontiguousarray(hk, dtype=np.float64)
            c, d = csr_column_moments(X.data, X.indices, X.indptr, p, s=hk)
        else:
            d = _squared_column_sums(X, hk)
            c = np.asarray(X.T @ hk, dtype=np.float64).ravel() if centred else None
        t = float(np.sum(hk))
        if factor != 1.0:
            d, t = d * factor, t * factor
            c = None if c is None else c * factor
        if centred:
            d = d - 2.0 * obj.mean * c + obj.mean**2 * t
        with np.errstate(over="ignore"):
            d = (np.maximum(d, 0.0) + obj.l2) / obj.scale**2
        diag[k * p : (k + 1) * p] = np.minimum(d, 1e300)
        if obj.fit_intercept:
            diag[obj.n_coef + k] = t
    return diag


def _truncated_cg(hessp, g, minv, max_cg):
    """Approximate ``H d = -g`` by preconditioned CG (``minv``: 1 / diag M).

    Returns ``(d, n_products, negative)``; on non-positive curvature the
    iterate so far, or the preconditioned gradient step on the first one.
    """
    gnorm = float(np.linalg.norm(g))
    target = min(0.5, np.sqrt(gnorm)) * gnorm
    # four p-vectors alive across the products (x, r, d, Hd): z = minv * r
    # lives only long enough to update d, in place
    x = np.zeros_like(g)
    r = g.copy()  # residual H x + g
    d = minv * r
    rz = float(r @ d)
    d *= -1.0
    for i in range(max_cg):
        Hd = hessp(d)
        dHd = float(d @ Hd)
        if not dHd > 1e-14 * float(d @ d) * float(np.max(1.0 / minv)):
            return (-minv * g if i == 0 else x), i + 1, True
        a = rz / dHd
        x += a * d
        r += a * Hd
        if float(np.linalg.norm(r)) <= target:
            return x, i + 1, False
        z = minv * r
        rz_new = float(r @ z)
        d *= rz_new / rz
        d -= z
        del z, Hd
        rz = rz_new
    return x, max_cg, False


def _line_search(fun_grad, x, f, g, d):
    """Armijo backtracking from the unit step; ``None`` when it fails.

    Returns ``(t, x_new, f_new, g_new, tiny)``. Near the optimum the
    predicted decrease is below the rounding of f, which then cannot judge
    the step: the full step is taken (``tiny``), as the Newton solvers do.
    """
    slope = float(g @ d)
    tiny = -slope <= 64 * _EPS * max(abs(f), 1e-300)
    t = 1.0
    for _ in range(_MAX_BACKTRACKS):
        x_new = x + t * d
        f_new, g_new = fun_grad(x_new)
        if np.isfinite(f_new) and (tiny or f_new <= f + 1e-4 * t * slope):
            return t, x_new, f_new, g_new, tiny
        # safeguarded quadratic interpolation of f along d
        curv = f_new - f - slope * t
        t_q = -slope * t * t / (2 * curv) if np.isfinite(curv) and curv > 0 else 0.0
        t = min(max(t_q, 0.1 * t), 0.5 * t)
    return None


def newton_cg(objective, x0, *, max_iter, tol, printer, precondition=True):
    """Minimise a smooth objective by truncated Newton with Jacobi-PCG.

    Parameters
    ----------
    objective : LinearObjective or a wrapper of one
        Provides ``loss_gradient(theta) -> (f, g)`` and ``hessp(theta, v)``.
    x0 : ndarray of shape (n_params,)
        Starting point (not modified).
    max_iter : int
        Maximum number of Newton iterations.
    tol : float
        Stop when ``max|g| <= tol``.
    printer : callable (iteration, f, g)
        Progress reporter.
    precondition : bool, default=True
        Whether CG uses the Hessian's diagonal (:func:`hessian_diagonal`).

    Returns
    -------
    NewtonCGResult
        ``converged=False`` with the reason when max_iter or the line search
        stopped it (no warning is raised here).
    """
    x = np.array(x0, dtype=np.float64)
    f, g = objective.loss_gradient(x)
    minv, n_products = None, 0
    for it in range(max_iter):
        printer(it, f, g)
        if not (np.isfinite(f) and np.all(np.isfinite(g))):
            return NewtonCGResult(x, max(it, 1), False, "the gradient is not finite")
        if np.max(np.abs(g), initial=0.0) <= tol:
            return NewtonCGResult(x, max(it, 1), True, "gradient below tol")
        if minv is None or n_products > _REFRESH_AFTER:
            minv = _inverse_diagonal(objective, x) if precondition else np.ones_like(x)

        def hessp(v, x=x):
            return objective.hessp(x, v)

        d, n_products, _ = _truncated_cg(hessp, g, minv, min(_MAX_CG, 2 * x.size + 2))
        if not float(g @ d) < 0:  # rounding: fall back on the gradient
            d = -minv * g
        found = _line_search(objective.loss_gradient, x, f, g, d)
        if found is None:
            return NewtonCGResult(
                x, it + 1, False, "the line search found no decrease (rounding?)"
            )
        _, x_new, f_new, g_new, tiny = found
        if tiny and np.max(np.abs(g_new)) >= np.max(np.abs(g)):
            printer(it + 1, f, g)
            return NewtonCGResult(x, it + 1, True, "gradient at rounding level")
        x, f, g = x_new, f_new, g_new
        del d, found  # not alive through the next CG solve (a p-vector)
    printer(max_iter, f, g)
    if np.max(np.abs(g), initial=0.0) <= tol:
        return NewtonCGResult(x, max_iter, True, "gradient below tol")
    return NewtonCGResult(
        x,
        max_iter,
        False,
        f"max_iter={max_iter} Newton iterations reached with max|gradient| = "
        f"{np.max(np.abs(g)):.3g} > tol={tol:g}",
    )


def _inverse_diagonal(objective, x):
    """``1 / diag(H)``, safe for zero or non-positive entries (non-convex)."""
    diag = np.abs(hessian_diagonal(objective, x))
    top = float(np.max(diag, initial=0.0))
    if not top > 0 or not np.isfinite(top):
        return np.ones_like(x)
    return 1.0 / np.maximum(diag, 1e-10 * top)
