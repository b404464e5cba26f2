r"""The direct solver of quadratic objectives: the normal equations, once.

For the squared error with an identity link and an L2 penalty (or none) the
objective of :class:`~._objective.LinearObjective` is a quadratic in
``(w, b)``:

.. math::

    F(w, b) = \frac{c}{2} \sum_i s_i (y_i - x_i^\top w - b)^2
        + \frac{\lambda}{2} \|w\|_2^2, \qquad \sum_i s_i = 1,

with :math:`c` the loss's (constant) second derivative (2 for
``squared_error``, whose loss is :math:`(y - z)^2`) and :math:`\lambda` =
``alpha * (1 - l1_ratio)``. Its minimiser solves, with the weighted means
:math:`m = X^\top s`, :math:`\bar y = s^\top y` and the centred
:math:`X_c = X - 1 m^\top`,

.. math::

    \Big(X_c^\top S X_c + \frac{\lambda}{c} I\Big) w = X_c^\top S (y - \bar y),
    \qquad b = \bar y - m^\top w.

How (:func:`solve_direct`):

* one pass over X in row blocks of about ``_BLOCK_BYTES``: each block is
  shifted by the objective's column means ``m0`` (estimated on a row sample
  when the objective was built: no pass of its own) and divided by the
  objective's column scales into one float64 buffer (a float32 X is upcast
  there: no float64 copy of X), followed by two columns ``1`` and ``y``;
  one symmetric BLAS product per block adds up ``Z^T S Z``, ``Z^T s`` and
  ``Z^T S y`` at once. With unit weights, a float64 X and column means
  within twice their spread the blocks of X are multiplied in place and
  shifted after the sum (the copy into the buffer cost a third of the
  pass). The exact centring follows without
  a second pass: with ``v = Z^T s`` (the mean of the shifted, scaled
  columns) ``Z_c^T S Z_c = Z^T S Z - v v^T``; because ``m0`` is within a
  sampling error of ``m``, ``v`` is small and nothing cancels (columns of
  ``1e6 + noise`` keep their accuracy). The blocks are shared among the
  user's BLAS threads (one worker each, partial sums added in a fixed
  order);
* Cholesky (``scipy.linalg.cho_factor``) of the scaled normal matrix; when
  it is not positive definite (``alpha = 0`` with collinear columns or
  fewer rows than columns) the minimum-norm solution in the original
  coefficients, as ``numpy.linalg.lstsq`` and ``LinearRegression`` give,
  from an eigendecomposition;
* one gradient pass of the objective checks the optimum by the test of the
  iterative solvers (largest gradient entry in standardised coordinates,
  relative to the objective at the intercept-only start when that is below
  1, at most ``tol``). An ill-conditioned normal matrix is corrected by
  iterative refinement (the Newton step from that gradient, with the same
  factor), at most ``_MAX_REFINE`` times; a point still short of ``tol`` is
  handed back for an iterative solver to finish (:mod:`._run`), which warns
  if it cannot.

``n_iter_`` counts the solve and its refinements, ``n_evals_`` the passes
over X: the Gram pass and each gradient check.
"""

import warnings

import numpy as np
import scipy.linalg

from .._kernels import KINDS
from ._passes import compiled_kernel, equal_weights
from ._threads import limit_blas, pool

__all__ = ["is_quadratic", "solve_direct", "DIRECT_MAX_PARAMS"]

# The P x P normal matrix and its factor (32 MB at P = 2000) and the
# O(n P^2) Gram pass against O(n P) per gradient pass: beyond this many
# parameters an iterative solver is cheaper.
DIRECT_MAX_PARAMS = 2000
_BLOCK_BYTES = 2**21  # float64 bytes of one row block (it stays in cache)
_MIN_BLOCK_ROWS = 256
# rows per worker at least: a thread hand-over costs about that much work
_MIN_WORKER_ROWS = 20_000
_MAX_REFINE = 3


def is_quadratic(loss):
    """Whether ``loss`` is the squared error ``c / 2 * (y - z)^2`` (identity link).

    Read from the compiled formula the loss declares (:func:`compiled_kernel`,
    None for a subclass that redefines the loss or its gradient).

    Parameters
    ----------
    loss : Loss
        The resolved loss.

    Returns
    -------
    bool
        True for the squared error and its unmodified subclasses.
    """
    kernel = compiled_kernel(loss)
    return bool(
        kernel is not None
        and kernel[0] == KINDS["squared_error"]
        and loss.link == "identity"
        and loss.kind == "regression"
    )


def solve_direct(objective, *, tol, n_threads):
    """Minimise a quadratic ``objective`` through its normal equations.

    Parameters
    ----------
    objective : LinearObjective
        One output, dense in-memory X, a quadratic loss (:func:`is_quadratic`)
        and no L1 term; never modified.
    tol : float
        The largest gradient entry (standardised coordinates) accepted.
    n_threads : int
        The user's BLAS threads (workers of the passes over X).

    Returns
    -------
    theta : ndarray of shape (objective.n_params,)
        The solution, in the objective's coordinates (:meth:`pack`).
    n_iter : int
        1 plus the refinement steps.
    n_evals : int
        Passes over X: the Gram pass and the gradient checks.
    converged : bool
        False when the gradient check still fails after the refinements
        (or the normal matrix is not finite): an iterative solver should
        finish from ``theta``.
    """
    c = float(objective.loss.hessian(np.zeros(1), np.zeros(1))[0])
    normal = _normal_equations(objective, c, n_threads)
    if normal is None:  # overflow in the Gram matrix
        return objective.pack(*_zero_start(objective)), 0, 1, False
    solve = _factor(normal.A, objective.scale)
    ws = solve(normal.rhs)
    checked = objective.configured(keep_raw=False, n_threads=n_threads)
    n_evals = 1
    best = None
    for it in range(_MAX_REFINE + 1):
        theta = _theta(objective, normal, ws)
        _, g = checked.loss_gradient(theta)
        n_evals += 1
        gmax = float(np.max(np.abs(g), initial=0.0)) * normal.unit
        if not np.isfinite(gmax):
            break
        if best is not None and gmax >= best[1]:
            break  # refinement stalled at rounding level
        best = (theta, gmax)
        if gmax <= tol:
            return theta, it + 1, n_evals, True
        if it < _MAX_REFINE:
            ws = ws - _refinement(normal, g, c, solve)
    return (theta if best is None else best[0]), it + 1, n_evals, False


def _zero_start(objective):
    return np.zeros((1, objective.n_features)), np.zeros(1)


class _Normal:
    """The scaled normal equations ``A w_s = rhs`` and what maps them back."""

    def __init__(self, A, rhs, v, ybar, unit):
        self.A, self.rhs, self.v, self.ybar, self.unit = A, rhs, v, ybar, unit


def _normal_equations(objective, c, n_threads):
    """``A = Z_c^T S Z_c + diag(lambda / (c scale^2))``, ``rhs``, in one pass.

    ``Z = (X - m0) / scale`` in the objective's coordinates; ``w_s = w *
    scale``. Returns None when an entry is not finite.
    """
    X, s, y = objective.X, objective.sample_weight, objective.y
    m0, col = objective.mean, objective.scale
    G, v, u = _gram_pass(X, s, y, m0, col, n_threads)
    ybar = float(s @ y) if objective.fit_intercept else 0.0
    if objective.fit_intercept:
        G -= np.outer(v, v)  # the exact centring (module notes)
        rhs = u - ybar * v
    else:
        rhs = u
    if not (np.all(np.isfinite(G)) and np.all(np.isfinite(rhs))):
        return None
    if objective.l2:
        # columns of 1e-300: the penalty's 1e600 overflows; capped, it still
        # pins those coefficients at zero (as LinearObjective.hessian)
        with np.errstate(over="ignore"):
            pen = objective.l2 / c / col / col
        G[np.diag_indices_from(G)] += np.minimum(pen, 1e300)
    # The objective at the intercept-only start: the solvers' gradient test
    # is relative to it when it is below 1 (_solvers._UnitObjective).
    f0 = 0.5 * c * _weighted_spread(s, y, ybar)
    unit = 1.0 / f0 if np.isfinite(f0) and 0 < f0 < 1 else 1.0
    return _Normal(G, rhs, v, ybar, unit)


def _weighted_spread(s, y, ybar):
    """``sum_i s_i (y_i - ybar)^2``, block by block (no n-vector of residuals)."""
    step = 65536
    total = 0.0
    for lo in range(0, len(y), step):
        r = y[lo : lo + step] - ybar
        total += float(s[lo : lo + step] @ (r * r))
    return total


def _gram_pass(X, s, y, m0, col, n_threads):
    """``(Z^T S Z, Z^T s, Z^T S y)`` for ``Z = (X - m0) / col``, one read of X."""
    n, p = X.shape
    uniform = equal_weights(s)
    raw = uniform and X.dtype == np.float64 and _moderate(m0, col)
    n_workers = max(1, min(int(n_threads), n // _MIN_WORKER_ROWS))
    # each worker's float64 buffer of p + 2 columns: in cache, and all of
    # them together at most about 1 / 32 of the rows (at p = 20 a cache-sized
    # block of each of 2 workers was 0.5 x a float32 X of 1e5 rows; 32 blocks
    # cost a few numpy calls each)
    rows = max(
        _MIN_BLOCK_ROWS, min(_BLOCK_BYTES // (8 * (p + 2)), n // (32 * n_workers))
    )
    cuts = [n * i // n_workers for i in range(n_workers + 1)]
    if raw:
        rows_sum, args = _raw_rows, (X, y, rows)
    else:
        rows_sum, args = _shifted_rows, (X, s, y, m0, 1.0 / col, rows, uniform)
    # one BLAS thread per worker: the workers are the threads
    with limit_blas(1 if n_workers > 1 else n_threads):
        if n_workers == 1:
            parts = [rows_sum(*args, 0, n)]
        else:
            futures = [
                pool(n_workers).submit(rows_sum, *args, lo, hi)
                for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)
            ]
            parts = [f.result() for f in futures]
    G = sum(parts)
    if raw:
        G = _shift(G, m0, 1.0 / col)
    if uniform:
        G *= s[0]
    return G[:p, :p], G[:p, p], G[:p, p + 1]


def _moderate(m0, col):
    """Whether the raw Gram ``X^T X`` may be centred after the fact.

    Centring ``X^T X - n m m^T`` loses the digits of ``(m / sd)^2``: with
    means within twice the columns' spread at most a factor 5 (a digit);
    columns far from zero (``1e6 + noise``) are shifted block by block
    instead. Scales far from 1 could overflow in ``X^T X``.
    """
    return bool(
        np.all(np.abs(m0) <= 2 * col) and np.all((col > 1e-100) & (col < 1e100))
    )


def _raw_rows(X, y, rows, lo, hi):
    """``[X, 1, y]^T [X, 1, y]`` over rows ``lo:hi``, reading X in place.

    Unit weights, float64 X: no copy of a block, the BLAS products read X
    itself (``X_b^T X_b`` is a ``syrk``, ``X_b^T 1`` and ``X_b^T y`` two
    matrix-vector products while the block is in cache).
    """
    p = X.shape[1]
    G = np.zeros((p + 2, p + 2))
    ones = np.ones(min(rows, hi - lo))
    for start in range(lo, hi, rows):
        stop = min(start + rows, hi)
        Xb, yb = X[start:stop], y[start:stop]
        G[:p, :p] += Xb.T @ Xb
        G[:p, p] += Xb.T @ ones[: stop - start]
        G[:p, p + 1] += Xb.T @ yb
    G[p, p] = hi - lo
    G[p, p + 1] = y[lo:hi].sum()
    G[p + 1, p + 1] = y[lo:hi] @ y[lo:hi]
    G[p:, :p] = G[:p, p:].T
    G[p + 1, p] = G[p, p + 1]
    return G


def _shift(G, m0, inv_col):
    """``[Z, 1, y]^T [Z, 1, y]`` from the raw one, ``Z = (X - m0) * inv_col``."""
    p = len(m0)
    a, c, N = G[:p, p], G[:p, p + 1], G[p, p]
    out = G.copy()
    # (X - 1 m0^T)^T (X - 1 m0^T) = X^T X - m0 a^T - a m0^T + N m0 m0^T
    out[:p, :p] -= np.outer(m0, a) + np.outer(a, m0) - N * np.outer(m0, m0)
    out[:p, :p] *= np.outer(inv_col, inv_col)
    out[:p, p] = (a - N * m0) * inv_col
    out[:p, p + 1] = (c - G[p, p + 1] * m0) * inv_col
    out[p:, :p] = out[:p, p:].T
    return out


def _shifted_rows(X, s, y, m0, inv_col, rows, uniform, lo, hi):
    """``[Z, 1, y]^T S [Z, 1, y]`` over rows ``lo:hi``, block by block.

    Each block goes into one float64 buffer of ``p + 2`` columns: ``(X_b -
    m0) / col`` (a float32 X upcast here: no float64 copy of X), then ``1``
    and ``y_b``, all times ``sqrt(s_b)`` per row unless the weights are
    uniform (then ``s`` is applied once, at the end); one symmetric product
    (a BLAS ``syrk``) per block adds the Gram of the columns and their
    products with the weights and the targets.
    """
    p = X.shape[1]
    G = np.zeros((p + 2, p + 2))
    buf = np.empty((min(rows, hi - lo), p + 2))
    for start in range(lo, hi, rows):
        stop = min(start + rows, hi)
        B = buf[: stop - start]
        Z = B[:, :p]
        np.subtract(X[start:stop], m0, out=Z)
        Z *= inv_col
        B[:, p] = 1.0
        B[:, p + 1] = y[start:stop]
        if not uniform:
            B *= np.sqrt(s[start:stop])[:, None]
        G += B.T @ B
    return G


def _factor(A, col):
    """``rhs -> A^{-1} rhs``: Cholesky, else the minimum-norm solution.

    The minimum norm is that of the original coefficients ``w = w_s /
    col`` (as lstsq and LinearRegression): with ``D = diag(col)`` the
    original normal matrix is ``D A D``, and ``w_s = D pinv(D A D) D rhs``.
    """
    try:
        factor = scipy.linalg.cho_factor(A, lower=False, check_finite=False)
    except scipy.linalg.LinAlgError:
        factor = None
    if factor is not None and np.all(np.diag(factor[0]) > 0):
        d = np.abs(np.diag(factor[0]))
        # a pivot at rounding level: numerically singular, the factor's
        # solution would be noise of size 1 / eps
        if d.min() > 1e-7 * d.max():
            return lambda rhs: scipy.linalg.cho_solve(factor, rhs, check_finite=False)
    with np.errstate(over="ignore", invalid="ignore"):
        A_orig = A * col[:, None] * col[None, :]
    if not np.all(np.isfinite(A_orig)):  # columns of 1e300: the scaled pinv
        A_orig, col = A, np.ones_like(col)
    lam, V = scipy.linalg.eigh(A_orig, check_finite=False)
    top = max(float(np.max(np.abs(lam), initial=0.0)), 1e-300)
    cut = len(lam) * np.finfo(np.float64).eps * top
    inv = np.where(lam > cut, 1.0 / np.where(lam > cut, lam, 1.0), 0.0)

    def solve(rhs):
        return col * (V @ (inv * (V.T @ (col * rhs))))

    return solve


def _theta(objective, normal, ws):
    """The objective's ``theta`` of the scaled coefficients ``ws``."""
    W = (ws / objective.scale)[None, :]
    if objective.fit_intercept:
        # b = ybar - m^T w, with m = m0 + v * scale (the exact weighted mean)
        b = np.array([normal.ybar - objective.mean @ W[0] - normal.v @ ws])
    else:
        b = np.zeros(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (see pack: inf * 0)
        return objective.pack(W, b)


def _refinement(normal, g, c, solve):
    """The Newton step in ``w_s`` from the gradient ``g`` in theta coordinates.

    With theta's ``g_W = (grad_w - grad_b m0) * scale`` (per scaled column) and
    ``g_b = grad_b``, the centred Newton system of the quadratic gives
    ``A dw_s = (g_W - g_b v) / c``; the intercept follows from ``ws`` in
    :func:`_theta`.
    """
    p = len(normal.rhs)
    gW = g[:p]
    gb = g[p] if len(g) > p else 0.0
    return solve((gW - gb * normal.v) / c)
