r"""Proximal Newton with coordinate descent on sparse columns (L1, sparse X).

The L1 / elastic-net objective of a single-output
:class:`~sklloss.linear_model._objective.LinearObjective` on a sparse X,
in its standardised coordinates ``theta`` (see :mod:`._prox_newton`),

.. math::

    F(\theta) = f(\theta) + \sum_j \lambda_j |\theta_j|,

is minimised as glmnet and skglm do, with the passes over X kept sparse:

1. gradient ``g`` of ``f`` and the KKT violations
   (:func:`~sklloss.linear_model._prox_newton.kkt_violation`); stop when the
   largest is at most ``tol``;
2. a working set of features (the nonzero ones plus the worst violators,
   doubling) and the Newton model on it. Its Hessian is the weighted Gram
   matrix of the working set's columns, formed from the sparse columns
   themselves: with :math:`Z_j = (x_j - m_j) / s_j` (the implicitly centred
   and scaled column), :math:`D = \mathrm{diag}(s_i h_i)` and
   :math:`c = 1 / s`,

   .. math::

       Z^T D Z = C\,(X^T D X - u m^T - m u^T + (1^T D 1)\, m m^T)\,C,
       \quad u = X^T D 1,

   where :math:`X^T D X` is a sparse product of the working set's columns
   only (X is never centred, densified or copied; a float32 X has only
   those columns upcast);
3. the model :math:`g^T d + \frac12 d^T (A + \mu I) d + \lambda^T |\theta + d|`
   is minimised by cyclic coordinate descent (soft-thresholding) over the
   coordinates that can move -- the nonzero ones and the model's own KKT
   violators, found by one matrix-vector product -- alternated with the
   exact solve on the signs found (:func:`_orthant_step`: every sign change
   projected to zero at once when that lowers the model, else the first zero
   on the way; a system without solution follows its flat direction,
   :func:`_flat_step`). A Python loop per coordinate costs microseconds where
   scikit-learn's Cython costs nanoseconds, so the exact solves (BLAS) carry
   the convergence and CD only finds the signs;
4. Armijo backtracking on the true ``F``; a failed search raises the damping
   :math:`\mu`.

For the squared error the model is the objective itself: one step solves the
working set's problem exactly.

A CSR X is converted to CSC once per fit (one copy of X, in its own dtype):
a working set's column slice of CSR reads all of X, every Newton iteration
(measured 30% of a 1e4 x 1e4 TF-IDF lasso fit; no difference at 1e3 x 5e3).
A float32 X stays float32; only the working set's columns are upcast.
"""

import numpy as np
import scipy.linalg
from scipy import sparse
from scipy.linalg.blas import daxpy

from ._prox_newton import _EPS, _sign_step, kkt_violation, prox_newton

__all__ = ["cd_prox_newton", "use_cd"]

_MAX_HALVINGS = 20
# Rounds of the model solver: each is a few CD sweeps over the coordinates
# that can move, then an exact solve on their signs.
_MAX_ROUNDS = 100
_SWEEPS_PER_ROUND = 10
# New features the first working set may take (then doubling, as in
# _prox_newton): TF-IDF lasso / L1 log-loss, 1e3 x 5e3 and 1e4 x 1e4, took
# 3-8 Newton iterations with 200 against 7-13 with 10, in about the same
# time or less (benchmarks/results/sparse_l1.md). A Newton iteration costs
# a sparse Gram and a Cholesky of the working set: little at 200 columns.
_FIRST_NEW_FEATURES = 200


def use_cd(objective):
    """Whether :func:`cd_prox_newton` applies to ``objective``.

    Parameters
    ----------
    objective : LinearObjective
        The objective of the fit (``l1 > 0``).

    Returns
    -------
    bool
        True for an in-memory sparse X, one output (no softmax) and a loss
        with a Hessian.
    """
    return (
        objective.in_memory  # the dask objective's X is lazy blocks
        and sparse.issparse(objective.X)
        and objective.K == 1
        and not objective.softmax
        and objective.loss.has_hessian
    )


def _scaled_columns(X, features, c):
    """``X[:, features] * c`` as a float64 CSC matrix of its own (X untouched)."""
    XF = X if features is None else X[:, features]
    Z = sparse.csc_matrix(XF, dtype=np.float64, copy=True)
    Z.data *= np.repeat(c, np.diff(Z.indptr))
    return Z


CSC_COPY = True


def _column_layout(X):
    """X for the working sets' column slices: CSC (one copy of a CSR X).

    A column slice of CSR reads all of X, one per Newton iteration.
    """
    if X.format == "csc" or not CSC_COPY:
        return X
    return X.tocsc()


def _solve(M, r):
    """A solution of ``M x = r`` for a positive semi-definite M, or close to one.

    Cholesky; for a singular M (a working set of TF-IDF columns often is:
    rare terms of one single row are identical columns) Cholesky of
    ``M + eps I`` with a few steps of iterative refinement, which converge
    on the range of M. When ``r`` has a part outside that range (no
    solution) the residual keeps it: the caller tests the residual. QR with
    column pivoting only when no factor exists (several times the cost).
    """
    tol = 1e-10 * (1 + float(np.max(np.abs(r), initial=0.0)))
    top = max(float(np.max(np.abs(np.diag(M)), initial=0.0)), 1e-300)
    for ridge in (0.0, 1e-12 * top, 1e-9 * top):
        try:
            c = scipy.linalg.cho_factor(
                M + ridge * np.eye(M.shape[0]) if ridge else M, check_finite=False
            )
        except (np.linalg.LinAlgError, ValueError):
            continue
        x = scipy.linalg.cho_solve(c, r, check_finite=False)
        for _ in range(4 if ridge else 0):
            res = r - M @ x
            if not np.all(np.isfinite(x)) or np.max(np.abs(res)) <= tol:
                break
            x += scipy.linalg.cho_solve(c, res, check_finite=False)
        if np.all(np.isfinite(x)):
            return x
    return scipy.linalg.lstsq(
        M, r, check_finite=False, cond=1e-13, lapack_driver="gelsy"
    )[0]


def working_set_hessian(objective, theta, features, X=None):
    """Hessian of the smooth objective on the working set, from sparse columns.

    Parameters
    ----------
    objective : LinearObjective
        Single-output objective on a sparse X.
    theta : ndarray of shape (n_params,)
        The point (standardised coordinates).
    features : ndarray of int or None
        The working set's features (sorted); None for all of them.
    X : sparse matrix, default=None
        ``objective.X`` in another layout (CSC: cheap column slices); None
        reads ``objective.X``.

    Returns
    -------
    ndarray of shape (k + n_intercepts, k + n_intercepts)
        The Hessian block on ``[theta[features], intercept]``: exact, as every
        other coefficient is held fixed.
    """
    W, b = objective.unpack(theta)
    hs = np.asarray(objective._sample_hessian(W, b), dtype=np.float64)
    idx = np.arange(objective.n_features) if features is None else features
    c = 1.0 / objective.scale[idx]
    mc = objective.mean[idx] * c
    # columns divided before the products: columns of 1e300 would overflow
    Z = _scaled_columns(objective.X if X is None else X, features, c)
    Zh = Z.copy()
    Zh.data *= hs[Zh.indices]
    G = np.asarray((Z.T @ Zh).toarray())
    u = np.asarray(Z.T @ hs).ravel()
    H0 = float(hs.sum())
    if objective.fit_intercept:
        # u m' + m u' - H0 m m' = v m' + m v' with v = u - H0 m / 2: one outer
        T = np.outer(u - 0.5 * H0 * mc, mc)
        G -= T
        G -= T.T
    if objective.l2:
        with np.errstate(over="ignore"):
            pen = objective.l2 * c * c
        G[np.diag_indices_from(G)] += np.minimum(pen, 1e300)
    if not objective.fit_intercept:
        return G
    k = idx.size
    A = np.empty((k + 1, k + 1))
    A[:k, :k] = G
    A[:k, k] = A[k, :k] = u - H0 * mc
    A[k, k] = H0
    return A


def _cd_sweeps(A, mg, v, lam, a, idx, tol_in):
    """Cyclic CD on the coordinates ``idx`` of the model; ``v``, ``mg`` in place.

    ``mg`` is the model's gradient ``g + A (v - x)``; each update of ``v_j``
    adds its column of ``A`` to it.
    """
    A_S = A[np.ix_(idx, idx)]
    rows = list(A_S)
    mg_S = mg[idx]
    vl = v[idx].tolist()
    al = a[idx].tolist()
    tl = (lam[idx] / a[idx]).tolist()
    last_signs = None
    for _ in range(_SWEEPS_PER_ROUND):
        change = 0.0
        for jj in range(idx.size):
            vj = vl[jj]
            z = vj - mg_S[jj] / al[jj]
            t = tl[jj]
            new = z - t if z > t else (z + t if z < -t else 0.0)
            delta = new - vj
            if delta != 0.0:
                vl[jj] = new
                daxpy(rows[jj], mg_S, a=delta)  # in place, no temporary
                change = max(change, al[jj] * abs(delta))
        signs = np.sign(vl)
        if change <= tol_in or (
            last_signs is not None and np.array_equal(signs, last_signs)
        ):
            break
        last_signs = signs
    v[idx] = vl


def solve_model(A, g, x, lam, tol_in):
    """Minimise ``g.(v - x) + (v - x).A.(v - x) / 2 + lam.|v|``; return ``v``.

    Rounds of CD sweeps over the coordinates that can move (nonzero,
    unpenalised, or violating the model's KKT conditions), each followed by
    the exact solve on the signs found; stops when the model's KKT
    violations are at most ``tol_in``.

    Parameters
    ----------
    A : ndarray of shape (P, P)
        Positive semi-definite model Hessian (damping included).
    g : ndarray of shape (P,)
        Gradient at ``x``.
    x : ndarray of shape (P,)
        Current point.
    lam : ndarray of shape (P,)
        L1 weights (0 for unpenalised coordinates).
    tol_in : float
        Tolerance on the model's KKT violations.

    Returns
    -------
    ndarray of shape (P,)
        The model's minimiser (to ``tol_in``); exact zeros where it has them.
    """
    a = np.diag(A).copy()
    floor = 1e-8 * max(float(np.max(np.abs(a), initial=0.0)), 1e-300)
    a = np.maximum(a, floor)
    unpen = lam == 0
    v = x.copy()
    tried = set()
    for _ in range(_MAX_ROUNDS):
        mg = g + A @ (v - x)
        viol = kkt_violation(v, mg, lam)
        if float(np.max(viol, initial=0.0)) <= tol_in:
            return v
        idx = np.flatnonzero((v != 0) | unpen | (viol > 0))
        _cd_sweeps(A, mg, v, lam, a, idx, tol_in)
        key = np.sign(v).tobytes()
        if key in tried:
            continue
        tried.add(key)
        v_new, exact = _orthant_step(A, g, x, lam, v, unpen)
        if exact:
            return v_new
        v = v_new
    return v


def _model_value(A, g, x, lam, v):
    d = v - x
    return float(g @ d + 0.5 * d @ (A @ d) + lam @ np.abs(v))


def _orthant_step(A, g, x, lam, v, unpen):
    """The exact solve on the signs of ``v``, sign changes projected to zero.

    Solves the model on the nonzero (and unpenalised) coordinates with their
    signs held fixed. If the solution keeps the signs and no other
    coordinate violates the model's KKT conditions, it is the model's
    minimiser (``exact``). Otherwise two points are compared: the solution
    with every flipped coordinate set to zero at once, and the first zero
    on the segment towards it (a sure decrease, but one coordinate dropped
    per solve: hundreds of solves where the support is about n). Singular
    systems go to :func:`~sklloss.linear_model._prox_newton._sign_step`.
    Returns ``(v_new, exact)``.
    """
    S = (v != 0) | unpen
    if not np.any(S):
        return v, False
    rest = ~S
    d = v - x
    rhs = -(g[S] + lam[S] * np.sign(v[S])) - A[np.ix_(S, rest)] @ d[rest]
    M = A[np.ix_(S, S)]
    step = _solve(M, rhs - M @ d[S])
    size = 1 + float(np.max(np.abs(g))) + float(np.max(np.abs(lam)))
    if not np.all(np.isfinite(step)):
        return _sign_step(A, g, x, lam, v, unpen)
    vS = v[S]
    resid = rhs - M @ (d[S] + step)
    if np.max(np.abs(resid), initial=0.0) > 1e-11 * size:
        return _flat_step(A, g, x, lam, v, S, resid, unpen)
    newS = vS + step
    pen = ~unpen[S]
    flip = pen & (np.sign(newS) != np.sign(vS))
    if not np.any(flip):
        new = v.copy()
        new[S] = newS
        mg = g + A @ (new - x)
        exact = not np.any(np.abs(mg[rest]) > lam[rest] * (1 + 1e-9) + 1e-14 * size)
        return new, exact
    projected = v.copy()
    projected[S] = np.where(flip, 0.0, newS)
    hits = -vS[flip] / step[flip]
    k = np.flatnonzero(flip)[np.argmin(hits)]
    first = v.copy()
    firstS = vS + float(np.min(hits)) * step
    firstS[k] = 0.0
    first[S] = firstS
    if _model_value(A, g, x, lam, projected) < _model_value(A, g, x, lam, first):
        return projected, False
    return first, False


def _flat_step(A, g, x, lam, v, S, resid, unpen):
    """No solution on the signs of ``v``: follow the flat direction to a zero.

    The residual of the sign-fixed system is (up to rounding) the part of
    its right-hand side in the null space of M (collinear columns, or p > n
    with an L1 slope along a flat direction of the model): the model
    decreases linearly along it until a coefficient reaches zero, where
    coordinate descent would crawl. Checked on the model's value; otherwise
    :func:`~sklloss.linear_model._prox_newton._sign_step`.
    """
    vS = v[S]
    pen = ~unpen[S]
    toward_zero = pen & (vS * resid < 0)
    if np.any(toward_zero):
        hits = -vS[toward_zero] / resid[toward_zero]
        k = np.flatnonzero(toward_zero)[np.argmin(hits)]
        newS = vS + float(np.min(hits)) * resid
        newS[k] = 0.0
        new = v.copy()
        new[S] = newS
        if _model_value(A, g, x, lam, new) < _model_value(A, g, x, lam, v):
            return new, False
    return _sign_step(A, g, x, lam, v, unpen)


def _line_search(F_of, x, F, g, lam, A, coords, tol_in):
    """Model step on ``coords`` and Armijo backtracking on the true objective.

    Returns ``(x_new, F_new, g_new, t, tiny)``, or None when the search
    failed (the caller raises the damping).
    """
    v = x.copy()
    v[coords] = solve_model(A, g[coords], x[coords], lam[coords], tol_in)
    d = v - x
    decrease = float(g @ d + lam @ (np.abs(v) - np.abs(x)))
    if not decrease < 0:
        return (x, F, g, 1.0, True) if decrease == 0 else None
    # below F's rounding level only the model can judge the step
    tiny = -decrease <= 64 * _EPS * max(abs(F), 1e-300)
    t = 1.0
    for _ in range(_MAX_HALVINGS + 1):
        x_new = v if t == 1 else x + t * d
        F_new, g_new = F_of(x_new)
        if np.isfinite(F_new) and (tiny or F_new <= F + 1e-4 * t * decrease):
            return x_new, F_new, g_new, t, tiny
        t *= 0.5
    return None


def cd_prox_newton(objective, theta0, *, max_iter, tol, printer):
    """Minimise the L1 / elastic-net objective of a sparse X (see module notes).

    Parameters
    ----------
    objective : LinearObjective
        Single-output objective on a sparse X (:func:`use_cd`), ``l1 > 0``.
    theta0 : ndarray of shape (objective.n_params,)
        Start, in standardised coordinates (not modified).
    max_iter : int
        Maximum number of Newton iterations.
    tol : float
        Stop when every KKT violation is at most ``tol`` (times the objective
        at ``theta0`` when that is below 1), as
        :func:`~sklloss.linear_model._prox_newton.prox_newton`.
    printer : callable (iteration, objective, violations)
        Progress reporter.

    Returns
    -------
    result
        With ``theta``, ``n_iter``, ``converged`` and ``message`` (no warning
        is raised here).
    """
    Xc = _column_layout(objective.X)

    def hessian(theta, coords, features):
        return working_set_hessian(objective, theta, features, Xc)

    def line_search(F_of, x, F, g, lam, H, coords, mu, tol_in):
        A = H + mu * np.eye(H.shape[0]) if mu else H
        return _line_search(F_of, x, F, g, lam, A, coords, tol_in)

    return prox_newton(
        objective,
        theta0,
        max_iter=max_iter,
        tol=tol,
        printer=printer,
        hessian=hessian,
        line_search=line_search,
        first_new=_FIRST_NEW_FEATURES,
    )
