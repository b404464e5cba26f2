"""Exact solver for linear models with a convex piecewise-linear loss.

One concept (the interior point, its active-set finish and the LP fallback
share the problem object), hence one module above 500 lines.

Notes
-----
.. rubric:: The problem

For a loss that declares ``convex_pieces = ((a_1, c_1), ..., (a_K, c_K))``, so
that the per-sample loss is ``f(u) = max_k (a_k * u + c_k)``, this module
minimises exactly

.. math::

    J(w, b) = \\frac{1}{\\sum_i s_i} \\sum_i s_i f(u_i)
              + \\alpha \\left(\\rho \\|w\\|_1
              + \\frac{1 - \\rho}{2} \\|w\\|_2^2\\right),

with ``u_i = y_i - x_i w - b`` for ``loss.kind == "regression"`` and
``u_i = (2 y_i - 1)(x_i w + b)`` for ``loss.kind == "margin"``. Both are
``u_i = d_i (x_i w + b) + e_i`` with ``d_i = -1, e_i = y_i`` (regression) or
``d_i = 2 y_i - 1, e_i = 0`` (margin). Only ``kind`` and ``convex_pieces``
are read from the loss.

.. rubric:: The method: a primal-dual interior-point method on the epigraph form

Every term of ``J`` is a convex piecewise-linear function of one linear form
of ``theta = (w, b)``: ``f(u_i)`` of ``u_i``, and ``|w_j|`` (pieces
``(1, 0), (-1, 0)``) of ``w_j``. Each such term ``phi_m(l_m)`` gets an
epigraph variable ``t_m`` with one inequality per piece,
``a_k l_m + c_k <= t_m``, and the problem becomes the convex QP (an LP when
there is no L2 part)

.. math::

    \\min_{\\theta, t} \\sum_m \\mathrm{cost}_m t_m + \\frac{\\lambda_2}{2} \\|w\\|^2
    \\quad \\text{s.t.} \\quad a_k l_m(\\theta) + c_k \\le t_m .

It is solved by Mehrotra's predictor-corrector primal-dual interior-point
method. The epigraph variables enter each Newton system only through
per-row diagonal blocks, so they are eliminated in closed form: with
``W_mk = z_mk / s_mk`` (dual over slack of the constraint of piece k of row
m), the reduced system in ``theta`` is

.. math::

    \\left(\\lambda_2 I + \\sum_m q_m \\, l_m l_m^T\\right) d\\theta = r,
    \\qquad q_m = \\frac{\\sum_{k<k'} W_{mk} W_{mk'} (a_k - a_{k'})^2}
                     {\\sum_k W_{mk}},

a ``(p + 1) x (p + 1)`` matrix ``[X, 1]^T diag(q) [X, 1]`` plus diagonal terms,
factorised by a Jacobi-scaled Cholesky decomposition (so badly scaled
columns do no harm). For the quantile loss this is the same linear algebra
as the Frisch-Newton method of Portnoy and Koenker (1997) used by R's
``quantreg``, and the loss can have any number of pieces (hinge, quantile,
absolute error: 2; epsilon-insensitive: 3). Internally the objective is
multiplied by ``n / sum(sw)`` and, for regression, ``y`` is divided by its
RMS (see :class:`_Problem`); neither changes the minimiser.

.. rubric:: Exact finish

From a relative duality gap of 1e-4 on, every iteration reads the active
set from the iterate: which samples sit on a kink of the loss (for a linear
program, the ``n_free`` rows nearest a breakpoint, a vertex; with an L2 part,
the rows whose two pieces are both active by complementarity) and which
coefficients are zero (both L1 pieces active). The KKT conditions restricted
to that active set are a square linear system; its solution is checked
against every KKT condition (dual values inside their intervals, every other
sample on its piece, the zero coefficients' subgradients inside
``[-lambda_1, lambda_1]``) and returned as soon as it passes. The result is
then the optimum up to rounding (typically 1e-14 relative in the
coefficients on random data), with exact zeros where the L1 penalty makes
them.

For a linear program without penalty whose loss has one kink (quantile,
absolute error, hinge) and at least 200 rows per unknown, a simplex
crossover replaces that finish from a relative gap of 0.1 on
(:func:`_crossover`, within a work budget of a few iterations): from the
vertex of the rows nearest the kink at the iterate, Barrodale-Roberts
exchanges (each a weighted-median line search along an edge) on a working
set of the rows nearest the kink (``n^(2/3)`` of them, more when the
interior point's complementarity says more rows are still undecided) reach
the optimal vertex, which is returned only when the same KKT checks hold on
every row; a failed attempt (pivot limit, singular basis) lets the interior
point go on.

In degenerate cases where no check passes, the interior point runs on
to a relative duality gap of ``min(tol, 1e-10)`` and its iterate is returned,
with the coefficients whose both L1 pieces are active set to exactly zero.

.. rubric:: Cost and memory

Per iteration: three ``X @ v`` (the two directions' ``dl``, by row blocks,
and the new ``l``), three ``X.T @ v``, the weighted Gram matrix in row blocks
that stay in cache (``O(n p^2)``) and a ``(p + 1)^2`` Cholesky; 10-25
iterations. The per-row work (``q``, the right-hand sides, the directions
with their ratio tests, Mehrotra's second-order term, the sums of the
stopping tests) is compiled (``sklloss._ipm_kernels``): one pass over the
``(K, n)`` slacks and duals per quantity. BLAS is limited to one thread
inside the solver: its products are thin, and OpenBLAS threads woken for
them wait longer than they compute.
Working memory at the peak of a step is ``4K`` floats per row for a K-piece
loss (slacks, duals, the complementarity residual and the slack direction),
plus one for the per-row costs when the sample weights differ: every other
per-row quantity (the row sums of ``z / s``, ``dt``, ``dl``, the offsets
``y / sigma``) is recomputed per row or per block of ``_ROWS`` rows where it
is used. A float32 X is not converted: the products read it in float64 blocks. For
wide X (``n < p``, ``p > 2000``) with an L2 part the normal system is solved
through Woodbury's identity on an ``n x n`` matrix.

.. rubric:: Fallback

Without an L2 part the problem is a linear program; for sparse X with many
columns (where a dense ``p x p`` normal matrix is too costly) and whenever
the interior-point method fails, it is handed to
``scipy.optimize.linprog(method="highs")`` with a sparse constraint matrix.
"""

import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy import linalg
from scipy.optimize import linprog
from sklearn.exceptions import ConvergenceWarning

from .. import _ipm_kernels
from .._validation import user_stacklevel
from ._passes import (
    _weighted_gram,
    column_absmax,
    equal_weights,
    scaled_weights,
    x_dot,
    xt_dot,
)
from ._threads import limit_blas

__all__ = ["fit_piecewise_linear"]

# Rows per block of the interior point's elementwise updates: their
# temporaries are ~ _ROWS floats each instead of n.
_ROWS = 16384
# Beyond this many columns a sparse X goes to HiGHS when the problem is an LP,
# and a wide X (n < p) with an L2 part uses an n x n Woodbury system.
_MAX_DENSE_NORMAL = 2000
# Largest dense normal matrix (side) the interior-point method will form.
_MAX_NORMAL_SIDE = 12000
# Rows weighing less than this times the largest weight are left out (see
# _Problem): (1e-32 * n) relative is below the objective's float64 rounding.
_NEGLIGIBLE_WEIGHT = 1e-32
# Columns whose largest |x| is beyond this (or below its inverse) switch on
# the per-column scaling of _Problem.
_EXTREME_SCALE = 1e100
# Largest KKT system of the exact active-set finish.
_MAX_POLISH = 4000
# Relative duality gap from which the simplex crossover (_crossover) is tried
# at every iteration, and its pivots per attempt, in interior-point
# iterations' worth of work (see _crossover_budget).
_CROSSOVER_GAP = 0.1
_CROSSOVER_PIVOTS = 4
# Smallest working set of the crossover, in rows per unknown, and the fewest
# rows per unknown for the crossover to be tried at all.
_CROSSOVER_ROWS = 20
_CROSSOVER_TALL = 200
# The first working set also holds the rows within _CROSSOVER_SPREAD * mu /
# (a_hi - a_lo) of the kink at the iterate (mu the complementarity: the rows
# the interior point has not yet put on a side), up to _CROSSOVER_GROWTH
# times the smallest one; a working set too small for an edge grows by that
# factor.
_CROSSOVER_SPREAD = 2.0
_CROSSOVER_GROWTH = 4
# Crossings of an edge sorted at first (the rest only when the line search
# passes them all).
_FIRST_CROSSINGS = 32
# Rank-one updates of the crossover's basis inverse between two inversions.
_REFRESH = 32


# --------------------------------------------------------------------------
# pieces
# --------------------------------------------------------------------------
def _upper_envelope(pieces):
    """Return the pieces of ``max_k(a_k u + c_k)`` that are maximal somewhere.

    Sorted by slope, duplicate slopes reduced to their largest offset, and
    lines that never attain the maximum removed (convex-hull trick), so that
    consecutive pieces meet at strictly increasing breakpoints.
    """
    pieces = np.asarray(pieces, dtype=np.float64).reshape(-1, 2)
    if pieces.shape[0] == 0 or not np.all(np.isfinite(pieces)):
        raise ValueError(
            f"loss.convex_pieces must be finite (slope, offset) pairs; got {pieces!r}."
        )
    order = np.lexsort((pieces[:, 1], pieces[:, 0]))
    hull = []
    for a, c in pieces[order]:
        if hull and hull[-1][0] == a:  # same slope: the larger offset wins
            hull.pop()
        # the middle line l2 of (l1, l2, l3) is never maximal iff
        # (a2 - a1)(c1 - c3) + (c2 - c1)(a3 - a1) <= 0
        while len(hull) >= 2:
            (a1, c1), (a2, c2) = hull[-2], hull[-1]
            if (a2 - a1) * (c1 - c) + (c2 - c1) * (a - a1) <= 0:
                hull.pop()
            else:
                break
        hull.append((a, c))
    slopes = np.array([h[0] for h in hull])
    offsets = np.array([h[1] for h in hull])
    # a_k b + c_k = a_{k+1} b + c_{k+1}
    breaks = (offsets[:-1] - offsets[1:]) / (slopes[1:] - slopes[:-1])
    return slopes, offsets, breaks


# --------------------------------------------------------------------------
# the scaled problem
# --------------------------------------------------------------------------
def _at(v, idx):
    """v[idx] for an array, or the scalar v repeated."""
    if np.ndim(v) == 0:
        return np.full(len(idx), float(v))
    return v[idx]


def _rms(y, weights):
    """Weighted root mean square of ``y``, without overflow (1.0 if zero).

    Computed on ``y / max|y|``: ``y ** 2`` overflows from ``|y| = 1.4e154``.
    """
    top = float(np.max(np.abs(y), initial=0.0))
    if not (np.isfinite(top) and top > 0):
        return 1.0
    return top * float(np.sqrt(np.average((y / top) ** 2, weights=weights)))


class _Problem:
    """Data of the scaled problem and the linear maps ``l = L theta + e``.

    Scaling (does not change the minimiser): the objective is multiplied by
    ``N / sum(sw)`` (N rows with positive weight) so that the per-row costs
    have mean 1, and for regression ``y`` is divided by ``sigma`` (its RMS),
    with ``theta = sigma * theta'``, the offsets ``c_k / sigma``, the L1
    strength ``N * lambda_1`` and the L2 strength ``N * lambda_2 * sigma``
    (f is positively homogeneous in (u, c), the L2 term is quadratic).
    """

    def __init__(self, X, y, sw, loss, alpha, l1_ratio, fit_intercept):
        self.dtype = X.dtype
        # Rows weighing less than _NEGLIGIBLE_WEIGHT times the largest weight
        # change the objective by less than its rounding error, but their
        # duals (~ weight) underflow inside the interior point: dropped.
        keep = sw > _NEGLIGIBLE_WEIGHT * np.max(sw)
        self.sparse = sp.issparse(X)
        if not np.all(keep):
            X = X[np.flatnonzero(keep)]
            y, sw = y[keep], sw[keep]
        if self.sparse:
            X = sp.csr_matrix(X)  # copies only if needed
        # a float32 X stays float32: every product upcasts it block by
        # block (x_dot, xt_dot, gram), with float64 sums
        self.X = X
        # Columns of extreme scale (1e300, 1e-300) are divided by their
        # largest |x| inside every product, and theta holds w * col: X^T v
        # and the normal matrix would overflow otherwise. Ordinary data keep
        # col = 1 (no per-block division).
        col = column_absmax(X)
        extreme = np.any(col > _EXTREME_SCALE) or np.any(col < 1 / _EXTREME_SCALE)
        self.col = col if extreme else np.ones(X.shape[1])
        self.n, self.p = X.shape
        self.fit_intercept = bool(fit_intercept)
        self.n_theta = self.p + self.fit_intercept
        y = np.asarray(y, dtype=np.float64)
        cost = sw * (self.n / sw.sum())
        self.total_weight = float(sw.sum())
        # equal weights: one number instead of an n-vector (the same values)
        self.cost = float(cost[0]) if equal_weights(sw) else cost

        slopes, offsets, breaks = _upper_envelope(loss.convex_pieces)
        if loss.kind == "regression":
            self.d = -1.0  # a scalar: one n-vector less
            self.sigma = _rms(y, cost)
            self._y = y  # e = y / sigma, computed where used (offset)
        elif loss.kind == "margin":
            if not np.all((y == 0) | (y == 1)):
                raise ValueError(
                    "y must hold 0/1 labels for a margin loss; got values "
                    f"{np.unique(y)[:5]!r}."
                )
            self.d = 2.0 * y - 1.0
            self.sigma = 1.0
            self._y = None  # e = 0
        else:
            raise ValueError(
                "fit_piecewise_linear needs loss.kind 'regression' or 'margin'; "
                f"got {loss.kind!r}."
            )
        self.slopes = slopes
        self.offsets = offsets / self.sigma
        self.breaks = breaks / self.sigma
        self.lam1 = self.n * alpha * l1_ratio
        self.lam2 = self.n * alpha * (1.0 - l1_ratio) * self.sigma
        # the same per coefficient of the scaled columns X / col
        with np.errstate(over="ignore", divide="ignore"):
            self.lam1w = self.lam1 / self.col
            self.lam2w = self.lam2 / self.col / self.col
        self._pin_columns(col, np.max(np.abs(slopes)))
        # n x n (Woodbury) instead of p x p normal matrix for wide X with L2
        self.wide = (
            self.lam2 > 0
            and self.n < self.p
            and self.p > _MAX_DENSE_NORMAL
            and not extreme
        )

    # l = d * (X w + b) (without the offset e)
    def _pin_columns(self, absmax, max_slope):
        """Take out the columns whose coefficient the penalty pins at 0.

        In scaled units ``|x_j^T v| <= bound_j = n max|slope| max|x_j| / col_j``
        for every dual-feasible ``v``. An L1 weight ``lam1w_j >= bound_j``
        makes ``w_j = 0`` the exact optimum (the subgradient condition holds
        for any residuals); an L2 curvature ``lam2w_j > 1e17 bound_j^2 / n``
        leaves ``|w_j| <= bound_j / lam2w_j``, whose effect on the objective
        is below its rounding. Left in, such weights (columns of 1e-120 with
        an elastic net: curvatures of 1e240) break the interior point down.
        A pinned column is divided by 1e300 (0 in every product) and its
        coefficient gets unit weights (a unit L1 weight where there is an L1
        term: the interior point keeps a dual per weight): it stays 0.
        """
        bound = self.n * max_slope * absmax / self.col
        with np.errstate(over="ignore", invalid="ignore"):
            pinned = (self.lam1w >= bound) | (self.lam2w * self.n > 1e17 * bound**2)
        pinned &= self.lam1w + self.lam2w > 0
        if np.any(pinned):
            self.col = np.where(pinned, 1e300, self.col)
            has_l1, has_l2 = self.lam1 > 0, self.lam2 > 0
            self.lam1w = np.where(pinned, float(has_l1), self.lam1w)
            self.lam2w = np.where(pinned, float(has_l2), self.lam2w)

    def offset(self, rows=None):
        """``e`` on the given rows: ``y / sigma`` (regression) or 0.0 (margin).

        Computed where used rather than kept as one more n-vector (the same
        values).

        Parameters
        ----------
        rows : slice or ndarray of int, default=None
            Rows to return; None for all.

        Returns
        -------
        ndarray or float
            ``e[rows]``, or 0.0 for a margin loss.
        """
        if self._y is None:
            return 0.0
        return (self._y if rows is None else self._y[rows]) / self.sigma

    def matvec(self, theta, rows=None):
        """``l - e = d (X w + b)`` on a slice of rows.

        Parameters
        ----------
        theta : ndarray of shape (n_theta,)
            Scaled parameters ``(w, b)`` (``b`` only with an intercept).
        rows : slice, default=None
            Rows to compute; None for all.

        Returns
        -------
        ndarray
            ``d (X w + b)`` on those rows, a new float64 array.
        """
        X = self.X if rows is None else self.X[rows]
        out = x_dot(X, theta[: self.p] / self.col)
        if self.fit_intercept:
            out += theta[self.p]
        out *= self.d if rows is None else _part(self.d, rows)
        return out

    def rmatvec(self, v):
        out = np.empty(self.n_theta)
        if np.ndim(self.d) == 0:
            # d = -1: X^T (d v) = d X^T v exactly (a sign), without a copy of v
            out[: self.p] = xt_dot(self.X, v, col=self.col)
            out[: self.p] *= self.d
            if self.fit_intercept:
                out[self.p] = self.d * v.sum()
            return out
        dv = self.d * v
        out[: self.p] = xt_dot(self.X, dv, col=self.col)
        if self.fit_intercept:
            out[self.p] = dv.sum()
        return out

    def gram(self, q):
        """[X / col, 1]^T diag(q) [X / col, 1] (d_i^2 = 1), in row blocks.

        Parameters
        ----------
        q : ndarray of shape (n,)
            Non-negative row weights.

        Returns
        -------
        ndarray of shape (n_theta, n_theta)
            The weighted Gram matrix of the columns scaled by their largest
            absolute value ``col`` (the column of ones only with an intercept).
        """
        # of the columns X / col: entries of X near 1e300 square to inf
        return _weighted_gram(self.X, q, self.col, self.fit_intercept)

    def normal_solver(self, q, diag):
        """Return ``rhs -> N^{-1} rhs`` for ``N = diag + [X 1]^T diag(q) [X 1]``.

        ``diag`` holds the L2 and L1 terms (zero for the intercept). Dense
        path: form N ((p + 1)^2 memory) and factor it. Wide path (more
        columns than rows, an L2 part so that ``diag > 0`` on w): Woodbury
        on the n x n matrix ``I + S X D^{-1} X^T S`` (``S = sqrt(q)``), with
        the unpenalised intercept eliminated by its Schur complement.

        Parameters
        ----------
        q : ndarray of shape (n,)
            Non-negative row weights of the reduced system.
        diag : ndarray of shape (n_theta,)
            Diagonal added to the weighted Gram matrix.

        Returns
        -------
        callable
            Maps a right-hand side of shape (n_theta,) to ``N^{-1} rhs``, of the
            same shape.

        Raises
        ------
        scipy.linalg.LinAlgError
            If the matrix to factor is not positive definite, even regularised.
        """
        if not self.wide:
            N = self.gram(q)
            N[np.diag_indices(self.n_theta)] += diag
            fac = _factor(N)
            return lambda rhs: _solve(fac, rhs)
        p, X = self.p, self.X
        dinv = 1.0 / diag[:p]
        sq = np.sqrt(q)
        XD = X @ sp.diags(dinv) if self.sparse else X * dinv
        Kmat = XD @ X.T
        Kmat = Kmat.toarray() if sp.issparse(Kmat) else np.asarray(Kmat)
        Kmat *= sq[:, None]
        Kmat *= sq[None, :]
        Kmat[np.diag_indices(self.n)] += 1.0
        del XD
        fac = _factor(Kmat)
        # With e = X w + b (the rows' values) and f = S e, the normal
        # equations D w + X^T Q e = r_w, 1^T Q e = r_b become
        #     M f = S X D^-1 r_w + b s,   s^T f = r_b,   M = I + S X D^-1 X^T S,
        # and w = D^-1 (r_w - X^T S f). The intercept's Schur complement
        # s^T M^-1 s is the squared norm of a triangular solve here; written
        # as sum(q) - x_q^T N_w^-1 x_q it cancels to noise once q spans many
        # orders of magnitude (late iterations), and the iterations stall.
        if self.fit_intercept:
            m_s = _solve(fac, sq)
            schur = _quadratic_form(fac, sq)

        def solve(rhs):
            f = _solve(fac, sq * x_dot(X, dinv * rhs[:p]))
            out = np.empty(self.n_theta)
            if self.fit_intercept:
                b = (rhs[p] - sq @ f) / schur
                f += b * m_s
                out[p] = b
            out[:p] = dinv * (rhs[:p] - xt_dot(X, sq * f))
            return out

        return solve

    def rows(self, idx, cols):
        """Dense d_i [x_i, 1] for the rows idx, restricted to theta's cols.

        Parameters
        ----------
        idx : ndarray of int
            Row indices.
        cols : ndarray of int
            Indices into the ``n_theta`` entries of ``theta`` (``p`` is the
            intercept's column).

        Returns
        -------
        ndarray of shape (len(idx), len(cols))
            The selected rows of ``d * [X, 1]``.
        """
        Xr = self.X[idx]
        Xr = Xr.toarray() if self.sparse else np.asarray(Xr, dtype=np.float64)
        Xr = Xr / self.col
        if self.fit_intercept:
            Xr = np.hstack([Xr, np.ones((len(idx), 1))])
        return _at(self.d, idx)[:, None] * Xr[:, cols]

    def objective(self, theta):
        """Scaled objective (sum of costs times losses plus penalties).

        Parameters
        ----------
        theta : ndarray of shape (n_theta,)
            Scaled parameters ``(w, b)`` (``b`` only with an intercept).

        Returns
        -------
        float
            ``cost @ f(u) + lam1 * ||w||_1 + lam2 / 2 * ||w||^2`` in the scaled
            problem.
        """
        cost = np.ascontiguousarray(np.atleast_1d(self.cost), dtype=np.float64)
        loss = 0.0
        for rows in _blocks(self.n):
            u = self.matvec(theta, rows)
            u += self.offset(rows)
            loss += _ipm_kernels.pieces_sum(
                self.slopes, self.offsets, u, cost, rows.start
            )
        w = theta[: self.p]
        return float(loss + self.lam1w @ np.abs(w) + 0.5 * (self.lam2w * w) @ w)

    def unscale(self, theta):
        """Map scaled theta back to (coef, intercept).

        Parameters
        ----------
        theta : ndarray of shape (n_theta,)
            Scaled parameters ``(w, b)`` (``b`` only with an intercept).

        Returns
        -------
        coef : ndarray of shape (p,)
            Coefficients of the original problem.
        intercept : float
            Intercept of the original problem (0.0 without one).
        """
        theta = theta * self.sigma
        coef = theta[: self.p] / self.col
        b = float(theta[self.p]) if self.fit_intercept else 0.0
        return coef, b


# --------------------------------------------------------------------------
# interior point
# --------------------------------------------------------------------------
def _blocks(m):
    """Slices of at most ``_ROWS`` consecutive rows covering ``range(m)``."""
    return [slice(lo, min(lo + _ROWS, m)) for lo in range(0, m, _ROWS)]


def _part(v, rows):
    """``v[rows]`` for a vector, ``v`` itself for a scalar."""
    return v if np.ndim(v) == 0 else v[rows]


class _Group:
    """Rows m sharing the pieces (a, c): constraints a_k l_m + c_k <= t_m.

    The iterate is kept as the slacks ``s`` and the duals ``z``, piece-major
    arrays of shape (K, m), and ``l = L theta + e`` (recomputed from theta
    after each step, dropped during it); the epigraph variables
    ``t = s + a l + c`` never need storing because the Newton steps keep
    ``a_k l + c_k + s_k - t = 0`` (the start is feasible), so that
    ``ds_k = dt - a_k dl``. Everything else a step needs per row (the row
    sums of ``W = z / s``, the dual residual ``cost - sum_k z``, ``dt``) is
    recomputed from ``s`` and ``z`` by the compiled kernels of
    ``sklloss._ipm_kernels`` where it is used, and ``dl`` in blocks of
    ``_ROWS`` rows: at the peak of a step only ``s``, ``z``, the
    complementarity residual and ``ds`` (K floats per row each) are n-sized.
    """

    def __init__(self, slopes, offsets, cost, offset, matvec, rmatvec):
        self.a = slopes
        self.c = offsets
        self.cost = cost
        # the kernels' form: one cost per row, or one shared (length 1)
        self._cost = np.ascontiguousarray(np.atleast_1d(cost), dtype=np.float64)
        self.offset = offset  # rows -> e[rows], a scalar or a vector
        self.matvec = matvec
        self.rmatvec = rmatvec
        self.K = len(slopes)
        self.ell = None

    def pieces(self, ell):
        return np.array([self.a[k] * ell + self.c[k] for k in range(self.K)])

    def line(self, theta):
        """``l = L theta + e``.

        Parameters
        ----------
        theta : ndarray of shape (n_theta,)
            Scaled parameters.

        Returns
        -------
        ndarray of shape (m,)
            The linear forms of the group's rows, a new array.
        """
        ell = self.matvec(theta)
        for rows in _blocks(len(ell)):
            ell[rows] += self.offset(rows)
        return ell

    def start(self, theta):
        self.ell = self.line(theta)
        vals = self.pieces(self.ell)
        top = vals.max(axis=0)
        top += 1.0
        self.s = np.subtract(top, vals, out=vals)  # t = max + 1, s >= 1
        del top
        self.z = np.empty_like(vals)
        self.z[:] = self.cost / self.K

    def measure(self):
        """Sums of the iterate that the stopping tests need, in one pass.

        ``max |cost - sum_k z|`` is stored as ``self.r_t_max``.

        Returns
        -------
        grad : ndarray of shape (n_theta,)
            ``L^T (a . z)``, the group's part of the dual residual in
            ``theta``.
        sz : float
            ``sum s * z``, the group's complementarity.
        value : float
            Sum of ``cost_m * phi(l_m)`` at the current ``l``.
        dual : float
            ``sum_mk z_mk (a_k e_m + c_k)``, the group's dual objective term
            (``e`` a vector or a scalar).
        """
        az = np.empty(self.z.shape[1])
        sz, self.r_t_max, zk, value = _ipm_kernels.measure_rows(
            self.a, self.c, self.s, self.z, self._cost, self.ell, az
        )
        dual = float(zk @ self.c)
        for rows in _blocks(len(az)):
            e = self.offset(rows)
            dual += float(np.dot(az[rows], e)) if np.ndim(e) else e * az[rows].sum()
        return self.rmatvec(az), sz, value, dual

    def prepare(self):
        """Row weights q of the reduced system (and the predictor's rhs).

        The predictor's right-hand side (``r_c = s * z``) is computed in the
        same pass over ``s`` and ``z`` and kept for :meth:`rhs`.

        Returns
        -------
        ndarray of shape (m,)
            The weights ``q_m`` of the group's rows in the reduced system.
        """
        m = self.z.shape[1]
        q, v = np.empty(m), np.empty(m)
        _ipm_kernels.reduced_rows(self.a, self.s, self.z, None, self._cost, v, q, 0, m)
        self._rhs_affine = self.rmatvec(v)
        return q

    def rhs(self, r_c):
        """Right-hand side contribution; r_c None means r_c = s * z.

        Parameters
        ----------
        r_c : ndarray of shape (K, m) or None
            Complementarity residual of the group's constraints; ``None`` means
            ``r_c = s * z`` (computed by :meth:`prepare`).

        Returns
        -------
        ndarray of shape (n_theta,)
            The group's contribution to the right-hand side of the reduced
            system.
        """
        if r_c is None:
            return self._rhs_affine
        m = self.z.shape[1]
        v = np.empty(m)
        _ipm_kernels.reduced_rows(
            self.a, self.s, self.z, r_c, self._cost, v, None, 0, m
        )
        return self.rmatvec(v)

    def back(self, dtheta, r_c):
        """Directions (ds, dz) of the slacks and duals for the step dtheta.

        ``r_c`` (when given) is overwritten: its buffer becomes ``dz``. The
        largest steps keeping ``s`` and ``z`` non-negative are stored as
        ``self.max_steps``.

        Parameters
        ----------
        dtheta : ndarray of shape (n_theta,)
            Step in ``theta``, the solution of the reduced system.
        r_c : ndarray of shape (K, m) or None
            Complementarity residual of the group's constraints; ``None`` means
            ``r_c = s * z``.

        Returns
        -------
        ds : ndarray of shape (K, m)
            Direction of the slacks.
        dz : ndarray of shape (K, m)
            Direction of the duals.
        """
        ds = np.empty_like(self.s)
        dz = np.empty_like(self.s) if r_c is None else r_c
        worst_s = worst_z = -np.inf
        for rows in _blocks(ds.shape[1]):
            dl = self.matvec(dtheta, rows)  # by blocks: no n-vector dl
            ws, wz = _ipm_kernels.step_rows(
                self.a, self.s, self.z, r_c, self._cost, dl, ds, dz, rows.start
            )
            worst_s, worst_z = max(worst_s, ws), max(worst_z, wz)
        # largest a with v + a dv >= 0 (v > 0) is 1 / max(-dv / v)
        self.max_steps = tuple(
            np.inf if w <= 0 else 1.0 / w for w in (worst_s, worst_z)
        )
        return ds, dz


def _factor(N):
    """Jacobi-scaled Cholesky factor of the SPD normal matrix (regularised)."""
    diag = np.sqrt(np.maximum(np.diag(N), 1e-300))
    Ns = N / diag[:, None] / diag[None, :]
    for reg in (0.0, 1e-14, 1e-12, 1e-10, 1e-8):
        try:
            Ns_reg = Ns + reg * np.eye(len(Ns)) if reg else Ns
            return linalg.cho_factor(Ns_reg, check_finite=False), diag
        except linalg.LinAlgError:
            continue
    raise linalg.LinAlgError("normal matrix is not positive definite")


def _solve(fac, rhs):
    cf, diag = fac
    return linalg.cho_solve(cf, rhs / diag, check_finite=False) / diag


def _quadratic_form(fac, v):
    """``v^T N^-1 v`` from the factor of :func:`_factor`, as a sum of squares."""
    (cf, lower), diag = fac
    t = linalg.solve_triangular(cf, v / diag, trans=0 if lower else 1, lower=lower)
    return float(t @ t)


def _ipm_groups(prob):
    """The constraint groups of the epigraph QP: the loss, then the L1 term."""
    p, nt = prob.p, prob.n_theta
    groups = [
        _Group(
            prob.slopes, prob.offsets, prob.cost, prob.offset, prob.matvec, prob.rmatvec
        )
    ]
    if prob.lam1 > 0:

        def l1_matvec(theta, rows=None):
            return theta[:p].copy() if rows is None else theta[:p][rows].copy()

        def l1_rmatvec(v):
            out = np.zeros(nt)
            out[:p] = v
            return out

        l1 = _Group(
            np.array([-1.0, 1.0]), np.zeros(2), prob.lam1w, lambda rows=None: 0.0,
            l1_matvec, l1_rmatvec,
        )  # fmt: skip
        groups.append(l1)
    return groups


def _ipm_measures(prob, theta, groups, qdiag, n_cons):
    """``(r_theta, pobj, rel_gap, dual_inf, mu)`` at the current iterate."""
    p = prob.p
    sums = [g.measure() for g in groups]
    r_theta = qdiag * theta + sum(m[0] for m in sums)
    mu = sum(m[1] for m in sums) / n_cons
    quad = 0.5 * float((prob.lam2w * theta[:p]) @ theta[:p])
    pobj = sum(m[2] for m in sums) + quad
    dobj = sum(m[3] for m in sums) - quad
    rel_gap = (pobj - dobj) / max(1.0, abs(pobj))
    dual_inf = float(np.max(np.abs(r_theta))) / max(
        1.0, float(np.max(np.abs(r_theta - qdiag * theta)))
    )
    for g in groups:
        dual_inf = max(dual_inf, g.r_t_max / float(np.max(g.cost)))
    return r_theta, pobj, rel_gap, dual_inf, mu


def _step_lengths(groups, is_lp, eta=1.0):
    """Primal and dual step lengths (equal for a QP), ``eta`` of the boundary.

    From the ratio tests of the groups' last :meth:`_Group.back`.
    """
    ap = min([1.0] + [eta * g.max_steps[0] for g in groups])
    ad = min([1.0] + [eta * g.max_steps[1] for g in groups])
    return (min(ap, ad),) * 2 if not is_lp else (ap, ad)


def _mehrotra_step(prob, theta, groups, qdiag, r_theta, mu, n_cons):
    """One predictor-corrector step; returns the new theta (groups updated).

    Raises ``LinAlgError`` when the normal matrix is not positive definite.
    """
    is_lp = prob.lam2 == 0
    for g in groups:
        g.ell = None  # not used by the step, recomputed at its end
    diag = qdiag.copy()
    for g in groups[1:]:
        diag += g.rmatvec(g.prepare())  # L1 rows are unit vectors
    normal_solve = prob.normal_solver(groups[0].prepare(), diag)

    def direction(r_cs):
        pairs = list(zip(groups, r_cs, strict=True))
        dtheta = normal_solve(-r_theta - sum(g.rhs(r_c) for g, r_c in pairs))
        return dtheta, [g.back(dtheta, r_c) for g, r_c in pairs]

    # predictor (affine scaling): r_c = s * z
    _, dirs = direction([None] * len(groups))
    ap, ad = _step_lengths(groups, is_lp)
    mu_aff = 0.0
    r_cs = []
    for g, (ds, dz) in zip(groups, dirs, strict=True):
        # r_c = s * z + ds * dz (Mehrotra's second-order term) in ds's buffer
        mu_aff += _ipm_kernels.affine_rows(g.s, g.z, ds, dz, ap, ad)
        r_cs.append(ds)
    del dirs, ds, dz
    sigma = (mu_aff / n_cons / mu) ** 3 if mu > 0 else 0.0
    # corrector: r_c = s * z + ds_aff * dz_aff - sigma * mu
    for r_c in r_cs:
        r_c -= sigma * mu
    dtheta, dirs = direction(r_cs)
    del r_cs
    # never the full step to the boundary: a slack of exactly zero
    # divides by zero in the next Newton system (z / s)
    eta = min(max(0.95, 1.0 - 10 * mu), 1.0 - 1e-8)
    ap, ad = _step_lengths(groups, is_lp, eta)
    theta = theta + ap * dtheta
    for g, (ds, dz) in zip(groups, dirs, strict=True):
        ds *= ap
        g.s += ds
        dz *= ad
        g.z += dz
    del dirs, ds, dz
    for g in groups:
        g.ell = g.line(theta)
    return theta


def _ipm(prob, *, gap_tol, max_iter, verbose):
    """Mehrotra predictor-corrector on the epigraph QP; returns a dict.

    From a relative gap of 1e-4 on, each iteration first tries the exact
    active-set finish (:func:`_polish`); the iterations stop as soon as it
    returns a solution that passes every KKT check.
    """
    groups = _ipm_groups(prob)
    qdiag = np.zeros(prob.n_theta)
    qdiag[: prob.p] = prob.lam2w
    theta = last_finite = np.zeros(prob.n_theta)
    for g in groups:
        g.start(theta)
    n_cons = sum(g.s.size for g in groups)
    status, message, polished = 1, "iteration limit reached", None
    crossover = _crossover_applies(prob)
    budget = _crossover_budget(prob)
    next_crossover = _CROSSOVER_GAP
    t0 = time.perf_counter()
    it = 0
    for it in range(1, max_iter + 1):
        r_theta, pobj, rel_gap, dual_inf, mu = _ipm_measures(
            prob, theta, groups, qdiag, n_cons
        )
        if verbose > 0:
            print(
                f"[exact ipm] iter {it:3d}  objective "
                f"{pobj * prob.sigma / prob.n:.10e}  rel. gap {rel_gap:.2e}  "
                f"dual inf. {dual_inf:.2e}  mu {mu:.2e}"
            )
        if crossover and abs(rel_gap) <= next_crossover:
            polished, pivots, rounds, exhausted, m_first = _crossover(
                prob, groups, budget, mu
            )
            if verbose > 1:
                print(
                    f"[exact ipm] crossover: {pivots} pivots, {rounds} working "
                    "sets, "
                    + ("verified" if polished is not None else "no vertex")
                    + f" (first working set {m_first} rows)"
                )
            if polished is not None:
                status = 0
                message = (
                    f"converged (crossover: {pivots} pivots, {rounds} working "
                    "sets, verified)"
                )
                break
            if exhausted:
                # an expensive failure: the next attempt only 10x closer
                next_crossover = abs(rel_gap) / 10
        elif abs(rel_gap) <= 1e-4 and dual_inf <= 1e-6:
            polished = _polish(prob, theta, groups)
            if polished is not None:
                status, message = 0, "converged (active set verified)"
                break
        if abs(rel_gap) <= gap_tol and mu <= gap_tol and dual_inf <= 1e-9:
            status, message = 0, "converged"
            break
        if not np.isfinite(pobj) or not np.isfinite(mu) or abs(pobj) > 1e30:
            status, message = 2, "numerical breakdown (problem unbounded?)"
            theta = last_finite  # never a NaN model
            break
        last_finite = theta
        try:
            theta = _mehrotra_step(prob, theta, groups, qdiag, r_theta, mu, n_cons)
        except linalg.LinAlgError:
            status, message = 2, "normal matrix not positive definite"
            break
    if verbose > 0:
        print(
            f"[exact ipm] {message} after {it} iterations "
            f"({time.perf_counter() - t0:.3f} s)"
        )
    return dict(
        theta=theta,
        polished=polished,
        groups=groups,
        status=status,
        message=message,
        n_iter=it,
    )


# --------------------------------------------------------------------------
# exact finish: solve the KKT system on the identified active set
# --------------------------------------------------------------------------
def _active_pieces(g):
    """Boolean (m, K): constraint k of row m is active (z / cost > s)."""
    return (g.z / g.cost > g.s).T


def _kink_rows(g):
    """Sorted rows with at least two active constraints, in blocks of rows."""
    found = []
    for rows in _blocks(g.z.shape[1]):
        z = g.z[:, rows] / _part(g.cost, rows)
        found.append(np.flatnonzero((z > g.s[:, rows]).sum(axis=0) >= 2) + rows.start)
    return np.concatenate(found)


def _nearest_rows(dist, lo, m, best):
    """Merge the ``m`` smallest of ``dist`` (rows ``lo + i``) into ``best``.

    ``best`` is ``(rows, values)`` of the ``m`` smallest seen so far.
    """
    if len(dist) > m:
        idx = np.argpartition(dist, m - 1)[:m]
        dist, rows = dist[idx], idx + lo
    else:
        rows = np.arange(lo, lo + len(dist))
    rows = np.concatenate([best[0], rows])
    dist = np.concatenate([best[1], dist])
    if len(dist) > m:
        keep = np.argpartition(dist, m - 1)[:m]
        rows, dist = rows[keep], dist[keep]
    return rows, dist


def _row_pieces(prob, groups, n_free):
    """Each row's maximal piece ``first`` and the rows on a kink, in blocks.

    On a kink, ``first`` is the lower piece of the nearest breakpoint. For
    a linear program (a vertex) the kink rows are the ``n_free`` rows
    nearest a breakpoint; with an L2 part, those whose two pieces are active.
    ``first`` is stored in int8 when the loss has fewer than 127 pieces.
    """
    a, brk = prob.slopes, prob.breaks
    K = len(a)
    u = groups[0].ell
    n = len(u)
    first = np.empty(n, dtype=np.int8 if K < 127 else np.intp)
    if K == 1:
        first[:] = 0
        return first, np.array([], dtype=np.intp)
    near = np.empty_like(first)
    lp = prob.lam2 == 0 and n_free < n
    best = (np.zeros(0, dtype=np.intp), np.zeros(0))
    for rows in _blocks(n):
        ub = u[rows]
        first[rows] = np.argmax(groups[0].pieces(ub), axis=0)
        nb = np.clip(np.searchsorted(brk, ub), 1, K - 1)
        nb = np.where(
            np.abs(ub - brk[nb - 1]) <= np.abs(ub - brk[np.minimum(nb, K - 2)]),
            nb - 1,
            np.minimum(nb, K - 2),
        )  # index of the nearest breakpoint
        near[rows] = nb
        if lp:
            best = _nearest_rows(np.abs(ub - brk[nb]), rows.start, n_free, best)
    if prob.lam2 > 0:
        kink = _kink_rows(groups[0])
    elif lp:
        # a vertex of the LP: as many rows on kinks as free unknowns
        kink = np.sort(best[0])
    else:
        kink = np.arange(n)
    first[kink] = near[kink]  # lower piece of the kink
    return first, kink


def _active_set(prob, theta_ipm, groups):
    """The active set read at the interior-point iterate ``theta_ipm``.

    Returns ``(free_w, sign, cols, first, kink)``: the coefficients not
    pinned at 0 by the L1 term and their signs, the free unknowns, each
    row's piece and the rows on a kink.
    """
    p, nt = prob.p, prob.n_theta
    # coefficients: zero where both L1 pieces are active, else free with
    # the sign of the iterate
    w_ipm = theta_ipm[:p]
    if prob.lam1 > 0:
        free_w = _active_pieces(groups[1]).sum(axis=1) < 2
    else:
        free_w = np.ones(p, dtype=bool)
    sign = np.where(free_w, np.sign(w_ipm), 0.0)
    free = np.concatenate([free_w, np.ones(nt - p, dtype=bool)])
    cols = np.flatnonzero(free)
    # rows: on one piece (the maximal one at the iterate) or on a kink
    first, kink = _row_pieces(prob, groups, len(cols))
    return free_w, sign, cols, first, kink


def _polish(prob, theta_ipm, groups):
    """Return theta solving the KKT system on the active set, or None.

    The active set is read at the interior-point iterate ``theta_ipm``
    (through the slacks and duals of ``groups``); the solution is returned
    only if every KKT condition holds (:func:`_kkt_holds`).
    """
    p, nt = prob.p, prob.n_theta
    a, brk = prob.slopes, prob.breaks
    free_w, sign, cols, first, kink = _active_set(prob, theta_ipm, groups)
    if len(kink) > max(3 * nt, 50) or len(cols) + len(kink) > _MAX_POLISH:
        return None
    nf, nk = len(cols), len(kink)

    # nu_i = cost_i * v_i, v_i the loss slope; fixed for rows on one piece
    nu = a[first]
    nu *= prob.cost
    nu[kink] = 0.0
    g_fixed = prob.rmatvec(nu)
    A_k = prob.rows(kink, cols)  # (nk, nf)
    lin = np.zeros(nf)
    lin[: int(free_w.sum())] = prob.lam2w[free_w]
    M = np.zeros((nf + nk, nf + nk))
    M[:nf, :nf] = np.diag(lin)
    M[:nf, nf:] = A_k.T
    M[nf:, :nf] = A_k
    rhs = np.empty(nf + nk)
    pen = np.zeros(nt)
    pen[:p] = prob.lam1w * sign
    rhs[:nf] = -(pen + g_fixed)[cols]
    rhs[nf:] = brk[first[kink]] - prob.offset(kink)
    # No unknowns (strong L1, no intercept, no row on a kink): the active set
    # says theta = 0, and only the checks below remain.
    sol = _solve_kkt(M, rhs) if nf + nk else np.zeros(0)
    if not np.all(np.isfinite(sol)):
        return None
    scale_r = max(1.0, float(np.max(np.abs(rhs), initial=0.0)))
    if np.max(np.abs(M @ sol - rhs), initial=0.0) > 1e-9 * scale_r:
        return None
    theta = np.zeros(nt)
    theta[cols] = sol[:nf]
    if not _kkt_holds(prob, theta, nu, sol[nf:], first, kink, free_w, sign):
        return None
    return theta


def _crossover_applies(prob):
    """Whether :func:`_crossover` handles the problem.

    A linear program without penalty (no L1 group, so that the free unknowns
    are all of theta) whose loss has one breakpoint (quantile, absolute
    error, hinge), dense normal equations, and at least ``_CROSSOVER_TALL``
    rows per unknown: with fewer, an optimal vertex is thousands of pivots
    away from the interior point's early iterates, and the working set's
    rows are a large share of X (memory).
    """
    return (
        prob.lam1 == 0
        and prob.lam2 == 0
        and len(prob.slopes) == 2
        and not prob.wide
        and prob.n >= _CROSSOVER_TALL * prob.n_theta > 0
    )


def _working_rows(prob, near=0):
    """Rows of the crossover's first working set.

    ``n^(2/3)`` and at least ``_CROSSOVER_ROWS`` per unknown; ``near`` (the
    rows still undecided at the iterate) when larger, up to
    ``_CROSSOVER_GROWTH`` times that.
    """
    least = max(_CROSSOVER_ROWS * prob.n_theta, int(prob.n ** (2 / 3)))
    return min(prob.n, max(least, min(near, _CROSSOVER_GROWTH * least)))


def _first_crossing(tc, rise, slope0):
    """Barrodale-Roberts line search: the crossing where the slope turns >= 0.

    Parameters
    ----------
    tc : ndarray of shape (m,)
        Step lengths at which rows cross the kink along the edge (>= 0).
    rise : ndarray of shape (m,)
        Each crossing's increase of the directional derivative (> 0).
    slope0 : float
        The directional derivative at the start (< 0).

    Returns
    -------
    order : ndarray of int or None
        Indices into ``tc`` by increasing ``tc``, up to and including the
        crossing reached (the last one); None when the slope stays negative
        past every crossing.

    Notes
    -----
    Only the ``_FIRST_CROSSINGS`` smallest step lengths are sorted at
    first (an edge usually stops within a few crossings, and a full sort of
    a large working set's crossings was most of a pivot's time); 8 times more
    each time the slope is still negative past them.
    """
    k = _FIRST_CROSSINGS
    while True:
        if 4 * k >= len(tc):
            order = np.argsort(tc)
        else:
            order = np.argpartition(tc, k - 1)[:k]
            order = order[np.argsort(tc[order])]
        climb = slope0 + np.cumsum(rise[order])
        reached = np.flatnonzero(climb >= 0)
        if len(reached):
            return order[: int(reached[0]) + 1]
        if len(order) == len(tc):
            return None
        k *= 8


def _crossover_budget(prob):
    """Work allowed to a crossover attempt: ``_CROSSOVER_PIVOTS`` iterations.

    Work model (in units of about one flop of the products, by the
    measurements in ``benchmarks/results/quantile_ipm.md``): an interior-point
    iteration ``20 n n_theta`` (its passes over X), a pivot ``3e5`` (the
    Python and small-matrix overhead) plus ``3 m n_theta`` (its product with
    the working set of ``m`` rows and the line search), a working set
    ``4 n n_theta`` (the passes that choose and check it; see
    :func:`_crossover`).
    """
    return _CROSSOVER_PIVOTS * 20.0 * prob.n * prob.n_theta


def _crossover(prob, groups, budget, mu, max_rounds=8):
    """Exact vertex from the interior-point iterate by simplex pivots, or None.

    Starts at the vertex where the ``n_theta`` rows nearest the kink at the
    iterate (the basis) sit on it, and repairs the basis by
    Barrodale-Roberts exchanges instead of more interior-point iterations:
    the basis row whose multiplier lies furthest outside its slope interval
    leaves the kink in the direction that lowers the objective, and the step
    along that edge goes to the weighted median of the other rows' kink
    crossings (the first crossing after which the directional derivative is
    no longer negative); the row crossed there enters the basis.

    The pivots look only at a working set of the ``n^(2/3)`` rows nearest
    the kink (Portnoy and Koenker's size), whose rows of ``[X, 1]`` are
    gathered once: a pivot then costs ``O(n^(2/3) p)`` instead of passes
    over X. When more rows than that are within a few ``mu`` of the kink at
    the iterate (not yet on a side by complementarity), the first working set
    holds them (up to ``_CROSSOVER_GROWTH`` times as many rows): the rows
    that the pivots cross are among them, and a set too small for an edge
    would otherwise grow by that factor at once. When the working set is
    optimal, one pass over all rows finds the rows outside it that changed
    side; they are taken in (their multipliers updated) and the pivots go on
    from a new working set. The vertex is returned only when no row changed
    side and :func:`_kkt_holds` verifies it from scratch: the answer is exact
    by construction, whatever the working set was.

    Parameters
    ----------
    prob : _Problem
        The scaled problem (see :func:`_crossover_applies`).
    groups : list of _Group
        The interior point's groups; ``groups[0].ell`` is the iterate's ``l``.
    budget : float
        Largest work of the pivots (see :func:`_crossover_budget`).
    mu : float
        The interior point's complementarity ``s^T z / n_cons``.
    max_rounds : int, default=8
        Largest number of working sets.

    Returns
    -------
    theta : ndarray of shape (n_theta,) or None
        The optimal vertex, verified; None when not found within the limits,
        on a singular basis or an edge without a crossing in the working set.
    pivots : int
        Exchanges made.
    rounds : int
        Working sets used.
    exhausted : bool
        Whether the attempt stopped at its work budget.
    m_first : int
        Rows of the first working set.
    """
    n, nt = prob.n, prob.n_theta
    cols = np.arange(nt)
    a_lo, a_hi = float(prob.slopes[0]), float(prob.slopes[1])
    beta = float(prob.breaks[0])
    ell = groups[0].ell
    reach = _CROSSOVER_SPREAD * mu / (a_hi - a_lo)
    best = (np.zeros(0, dtype=np.intp), np.zeros(0))
    near = 0
    for rows in _blocks(n):
        dist = np.abs(ell[rows] - beta)
        near += int(np.count_nonzero(dist <= reach))
        best = _nearest_rows(dist, rows.start, nt, best)
    basis = np.sort(best[0])  # the rows nearest the kink at the iterate
    del ell, dist
    m_work = m_first = _working_rows(prob, near)
    A = prob.rows(basis, cols)

    def invert():
        try:
            B = linalg.inv(A, check_finite=False)
        except linalg.LinAlgError:
            return None
        return B if np.all(np.isfinite(B)) else None

    def vertex(B):
        # the basis rows on the kink: d_i [x_i, 1] theta + e_i = beta
        return B @ np.broadcast_to(beta - prob.offset(basis), (nt,))

    # B = A^{-1}: kept by rank-one updates along the pivots (one solve less
    # each), computed afresh every _REFRESH pivots and before a vertex is
    # declared optimal
    B = invert()
    if B is None:
        return None, 0, 0, False, m_first
    theta = vertex(B)

    def multipliers(up):
        # nu_i = cost_i * (the slope of row i's piece), 0 on the basis: an
        # n-vector only while it is used (memory)
        nu = np.where(up, a_hi, a_lo)
        nu *= prob.cost
        nu[basis] = 0.0
        return nu

    def side_values(up_rows, cost_rows):
        return np.where(up_rows, a_hi, a_lo) * cost_rows

    u = groups[0].line(theta)
    up = u > beta  # each non-basis row's side: on the upper piece
    g_fixed = None
    pivots = updates = 0
    work = 0.0
    for rounds in range(1, max_rounds + 1):
        # the working set: the rows nearest the kink (the basis among them),
        # found block by block (no n-sized temporaries)
        work += 4.0 * n * nt  # this pass, the gathering, the one after
        best = (np.zeros(0, dtype=np.intp), np.zeros(0))
        for rows in _blocks(n):
            best = _nearest_rows(np.abs(u[rows] - beta), rows.start, m_work, best)
        R = np.union1d(best[0], basis)
        # gathered in chunks: prob.rows makes several copies of its rows
        XR = np.empty((len(R), nt))
        for lo in range(0, len(R), 1024):
            XR[lo : lo + 1024] = prob.rows(R[lo : lo + 1024], cols)
        uR, upR, costR = u[R], up[R], _at(prob.cost, R)
        u = None  # recomputed after the pivots
        if g_fixed is None:
            g_fixed = prob.rmatvec(multipliers(up))
        bpos = np.searchsorted(R, basis)
        isb = np.zeros(len(R), dtype=bool)
        isb[bpos] = True
        optimal = fresh = False
        while True:
            nu_h = -(B.T @ g_fixed)
            cost_h = costR[bpos]
            lo, hi = cost_h * a_lo, cost_h * a_hi
            viol = np.maximum(lo - nu_h, nu_h - hi) / (hi - lo)
            j = int(np.argmax(viol))
            if viol[j] <= 1e-10:
                if fresh:
                    optimal = True
                    break
                B = invert()  # the optimality test on an exact inverse
                if B is None:
                    return None, pivots, rounds, False, m_first
                theta, fresh, updates = vertex(B), True, 0
                continue
            work += 3e5 + 3.0 * len(R) * nt
            if work > budget:
                return None, pivots, rounds, True, m_first
            pivots += 1
            # basis row j leaves the kink, up (s = 1) or down (s = -1):
            # F'(0+) = s (cost_j a_side - nu_j) < 0 by stationarity
            s = 1.0 if nu_h[j] > hi[j] else -1.0
            delta = s * B[:, j]
            wR = XR @ delta  # du / dt of the working rows
            slope0 = s * (cost_h[j] * (a_hi if s > 0 else a_lo) - nu_h[j])
            toward = np.where(upR, wR < 0, wR > 0)
            toward[isb] = False
            idx = np.flatnonzero(toward)
            absw = np.abs(wR[idx])
            tc = np.abs(uR[idx] - beta) / absw
            # each crossing raises the slope by cost_i (a_hi - a_lo) |w_i|
            order = _first_crossing(tc, costR[idx] * ((a_hi - a_lo) * absw), slope0)
            if order is None:
                # the crossings that stop this edge lie outside the working
                # set: a larger one, around the same vertex
                if m_work == n:  # F is bounded below: only by rounding
                    return None, pivots, rounds, False, m_first
                m_work = min(n, _CROSSOVER_GROWTH * m_work)
                break
            crossed, enter = idx[order[:-1]], int(idx[order[-1]])
            uR += tc[order[-1]] * wR
            leave = int(bpos[j])
            changed = np.concatenate([crossed, [leave, enter]])
            old = side_values(upR[changed], costR[changed])
            old[-2] = 0.0  # the leaving row was on the kink
            upR[crossed] = ~upR[crossed]
            upR[leave] = s > 0
            new = side_values(upR[changed], costR[changed])
            new[-1] = 0.0  # the entering row sits on the kink
            g_fixed = g_fixed + XR[changed].T @ (new - old)
            isb[leave], isb[enter] = False, True
            bpos[j], basis[j] = enter, R[enter]
            # row j of A becomes XR[enter]: Sherman-Morrison, whose pivot
            # 1 + v^T B e_j = XR[enter] . B e_j = s w_enter is not zero
            vB = (XR[enter] - A[j]) @ B
            A[j] = XR[enter]
            updates += 1
            denom = 1.0 + vB[j]
            if updates >= _REFRESH or abs(denom) < 1e-8 * np.max(np.abs(vB)):
                B, updates = invert(), 0
                if B is None:
                    return None, pivots, rounds, False, m_first
            else:
                B -= np.outer(B[:, j] / denom, vB)
            theta, fresh = vertex(B), False
            uR[bpos] = beta
        # every row: did any change side along the pivots?
        up[R] = upR
        u = groups[0].line(theta)
        moved = (u > beta) != up
        moved[basis] = False
        moved = np.flatnonzero(moved)
        if len(moved) == 0 and optimal:
            u = None  # _kkt_holds recomputes it by blocks
            order = np.argsort(basis)
            first = up.astype(np.int8)  # 0: the lower piece, 1: the upper
            first[basis] = 0  # a kink row: the lower piece of the kink
            free_w = np.ones(prob.p, dtype=bool)
            ok = _kkt_holds(
                prob, theta, multipliers(up), nu_h[order], first, basis[order],
                free_w, np.ones(prob.p),
            )  # fmt: skip
            return (theta if ok else None), pivots, rounds, False, m_first
        cost_m = _at(prob.cost, moved)
        old = side_values(up[moved], cost_m)
        up[moved] = ~up[moved]
        dnu = side_values(up[moved], cost_m) - old
        g_fixed = g_fixed + prob.rows(moved, cols).T @ dnu
    return None, pivots, max_rounds, False, m_first


def _kkt_holds(prob, theta, nu, nu_k, first, kink, free_w, sign):
    """Every KKT condition of the active-set solution ``theta``, to 1e-9.

    The kink rows' multipliers ``nu_k`` inside their slope interval (``nu``
    completed with them, in place), every other row still on its piece, the
    L1 subgradient conditions of the zero coefficients and the signs of the
    free ones.
    """
    p, a = prob.p, prob.slopes
    K = len(a)
    tol = 1e-9
    cost = _at(prob.cost, kink)
    lo = cost * a[first[kink]]
    hi = cost * a[np.minimum(first[kink] + 1, K - 1)]
    span = np.maximum(hi - lo, 1e-300)
    if np.any(nu_k < lo - tol * span) or np.any(nu_k > hi + tol * span):
        return False
    nu[kink] = np.clip(nu_k, lo, hi)
    if not _rows_on_pieces(prob, theta, first, kink, tol):
        return False
    grad = prob.rmatvec(nu)
    if prob.lam1 > 0:
        zero = ~free_w
        gz = grad[:p][zero]
        if np.any(np.abs(gz) > prob.lam1w[zero] * (1 + 1e-7) + 1e-12):
            return False
        w = theta[:p]
        if np.any(w[free_w] * sign[free_w] < 0):
            return False
    return True


def _rows_on_pieces(prob, theta, first, kink, tol):
    """Every row but the kinks still on its piece: max_k piece_k(u) == piece_first(u).

    Checked in blocks of rows, to ``tol`` relative to ``1 + |u|``.
    """
    a, c = prob.slopes, prob.offsets
    scale = tol * max(1.0, float(np.max(np.abs(a))))
    for rows in _blocks(prob.n):
        u = prob.matvec(theta, rows)
        u += prob.offset(rows)
        top = np.full(len(u), -np.inf)
        for k in range(len(a)):
            np.maximum(top, a[k] * u + c[k], out=top)
        fb = first[rows]
        top -= a[fb] * u
        top -= c[fb]
        np.abs(u, out=u)
        u += 1.0
        u *= scale
        top -= u
        lo, hi = np.searchsorted(kink, [rows.start, rows.stop])
        top[kink[lo:hi] - rows.start] = 0.0
        if np.any(top > 0):
            return False
    return True


def _solve_kkt(M, rhs):
    """``M x = rhs`` (least squares when M is singular)."""
    try:
        return np.linalg.solve(M, rhs)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(M, rhs, rcond=None)[0]


# --------------------------------------------------------------------------
# HiGHS fallback (linear programs only)
# --------------------------------------------------------------------------
def _fit_highs(prob, *, verbose):
    """The LP (no L2 part) with linprog(method="highs"), sparse constraints.

    Variables (w+, w-, b, t) with w = w+ - w- >= 0 split only when L1 is
    present (w free otherwise) and one epigraph variable t_i per row:
    a_k d_i (x_i w + b) - t_i <= -c_k - a_k e_i for each piece k.
    """
    n, p = prob.n, prob.p
    a, c = prob.slopes, prob.offsets
    K = len(a)
    d = np.broadcast_to(prob.d, (n,))
    e = np.broadcast_to(prob.offset(), (n,))
    Xd = sp.diags(d) @ sp.csr_matrix(prob.X) @ sp.diags(1.0 / prob.col)
    Aw = sp.vstack([Xd * a[k] for k in range(K)])
    cols = [Aw, -Aw] if prob.lam1 > 0 else [Aw]
    if prob.fit_intercept:
        cols.append(sp.csr_matrix(np.concatenate([a[k] * d for k in range(K)])).T)
    cols.append(-sp.vstack([sp.eye(n)] * K))
    A_ub = sp.hstack(cols).tocsc()
    b_ub = np.concatenate([-c[k] - a[k] * e for k in range(K)])
    nw = 2 * p if prob.lam1 > 0 else p
    cost = np.concatenate(
        [
            np.tile(prob.lam1w, nw // p) if p else np.zeros(0),
            np.zeros(int(prob.fit_intercept)),
            np.broadcast_to(prob.cost, (n,)),
        ]
    )
    bounds = [(0, None)] * nw if prob.lam1 > 0 else [(None, None)] * nw
    bounds += [(None, None)] * (int(prob.fit_intercept) + n)
    res = linprog(
        cost,
        A_ub=A_ub,
        b_ub=b_ub,
        bounds=bounds,
        method="highs",
        options={"disp": verbose > 1},
    )
    theta = np.zeros(prob.n_theta)
    if res.x is not None:
        x = res.x
        theta[:p] = x[:p] - x[p : 2 * p] if prob.lam1 > 0 else x[:p]
        if prob.fit_intercept:
            theta[p] = x[nw]
    return theta, res.status, res.message, int(getattr(res, "nit", 0) or 0)


# --------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------
def fit_piecewise_linear(
    X, y, sample_weight, loss, *, alpha, l1_ratio, fit_intercept, tol, max_iter, verbose
):
    """Exact minimiser of a convex piecewise-linear loss with elastic net.

    Minimises

    .. math::

        \\frac{1}{\\sum_i s_i} \\sum_i s_i \\max_k (a_k u_i + c_k)
        + \\alpha \\left(\\rho \\|w\\|_1 + \\frac{1 - \\rho}{2} \\|w\\|_2^2\\right)

    with ``(a_k, c_k) = loss.convex_pieces``, ``rho = l1_ratio``,
    ``u_i = y_i - x_i w - b`` (``loss.kind == "regression"``) or
    ``u_i = (2 y_i - 1)(x_i w + b)`` (``loss.kind == "margin"``), by a
    primal-dual interior-point method finished by an exact active-set solve
    (see the module docstring).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Dense or CSR/CSC design matrix, float64 or float32.
    y : ndarray of shape (n_samples,)
        Targets (regression) or 0/1 labels (margin).
    sample_weight : ndarray of shape (n_samples,)
        Non-negative weights with a positive sum; zero-weight rows are dropped.
    loss : Loss
        Convex piecewise-linear loss; only ``kind`` and ``convex_pieces`` are
        read.
    alpha : float
        Penalty strength (>= 0).
    l1_ratio : float
        Share of the L1 part in the penalty, in [0, 1].
    fit_intercept : bool
        Whether to fit an unpenalised intercept.
    tol : float
        Relative duality-gap tolerance of the interior-point method; it is
        capped at 1e-10 so that the exact finishing step can identify the
        active set.
    max_iter : int
        Maximum number of interior-point iterations.
    verbose : int
        Print progress when > 0.

    Returns
    -------
    coef : ndarray of shape (n_features,)
        Coefficients, in X's dtype.
    intercept : float
        Intercept (0.0 when ``fit_intercept=False``).
    n_iter : int
        Interior-point iterations (HiGHS iterations on the fallback path).

    Examples
    --------
    >>> import numpy as np
    >>> class Absolute:
    ...     kind = "regression"
    ...     convex_pieces = ((1.0, 0.0), (-1.0, 0.0))
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> y = np.array([0.0, 1.0, 2.0, 10.0])
    >>> coef, intercept, n_iter = fit_piecewise_linear(
    ...     X, y, np.ones(4), Absolute(), alpha=0.0, l1_ratio=0.0,
    ...     fit_intercept=True, tol=1e-8, max_iter=100, verbose=0)
    >>> np.round(coef, 6), round(intercept, 6)
    (array([1.]), 0.0)
    """
    if alpha < 0 or not 0 <= l1_ratio <= 1:
        raise ValueError(
            f"alpha must be >= 0 and l1_ratio in [0, 1]; got alpha={alpha!r}, "
            f"l1_ratio={l1_ratio!r}."
        )
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim != 1 or not np.any(sw > 0):
        raise ValueError("sample_weight must be 1-D with a positive sum.")
    # divided by the largest weight: a sum that overflows (weights near
    # 1e308) would make every per-row cost zero
    sw = scaled_weights(sw)
    if sp.issparse(X):
        out_dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    else:
        X = np.asarray(X)
        out_dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    prob = _Problem(X, np.asarray(y), sw, loss, alpha, l1_ratio, fit_intercept)
    del sw  # prob.cost holds what is needed: one n-vector less
    gap_tol = min(float(tol), 1e-10)
    use_highs = prob.lam2 == 0 and prob.sparse and prob.p > _MAX_DENSE_NORMAL

    side = min(prob.n, prob.n_theta) if prob.wide else prob.n_theta
    if not use_highs and side > _MAX_NORMAL_SIDE:
        raise ValueError(
            f"The exact solver would factor a {side} x {side} dense matrix "
            f"(n_samples={prob.n}, n_features={prob.p}); it handles up to "
            f"{_MAX_NORMAL_SIDE}. Use l1_ratio=1 (a linear program, solved by "
            "HiGHS for sparse X) or reduce the number of features."
        )
    theta, n_iter = None, 0
    if not use_highs:
        # One BLAS thread: the products are thin (n x p times n x p with p
        # small); OpenBLAS threads woken for them wait more than they work.
        with limit_blas(1):
            res = _ipm(prob, gap_tol=gap_tol, max_iter=int(max_iter), verbose=verbose)
        n_iter = res["n_iter"]
        theta = res["theta"]
        polished = res["polished"]
        if polished is None and res["status"] in (0, 1):
            polished = _polish(prob, theta, res["groups"])
        obj_ipm = prob.objective(theta) if polished is not None else np.nan
        if polished is not None and prob.objective(polished) <= obj_ipm + 1e-9 * max(
            1.0, abs(obj_ipm)
        ):
            theta = polished
            if verbose > 0:
                print("[exact] active-set solve verified the KKT conditions")
        elif prob.lam1 > 0:
            # exact zeros where both L1 pieces are active
            zero = _active_pieces(res["groups"][1]).sum(axis=1) == 2
            theta[: prob.p][zero] = 0.0
        if res["status"] != 0:
            if prob.lam2 == 0:
                use_highs = True
                if verbose > 0:
                    print(f"[exact] interior point: {res['message']}; trying HiGHS")
            else:
                warnings.warn(
                    "The interior-point solver did not converge: "
                    f"{res['message']} ({n_iter} iterations). "
                    "Increase max_iter or check the data.",
                    ConvergenceWarning,
                    stacklevel=user_stacklevel(),
                )
    if use_highs:
        theta_h, status, message, nit = _fit_highs(prob, verbose=verbose)
        n_iter += nit
        if status == 0:
            theta = theta_h
        else:
            warnings.warn(
                f"HiGHS (scipy.optimize.linprog) did not solve the linear "
                f"program: {message}",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )
            if theta is None:
                theta = theta_h
    coef, intercept = prob.unscale(theta)
    return coef.astype(out_dtype, copy=False), float(intercept), max(int(n_iter), 1)
