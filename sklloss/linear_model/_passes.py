"""The passes over X shared by the objective and the exact solver.

Products with X (``x_dot``, ``xt_dot``), column statistics and the weighted
Gram matrix, read in float64 blocks of bounded size whatever X's dtype (no
float64 copy of a float32 X), for dense, CSR and CSC X alike.
"""

import numpy as np
from scipy import sparse

from .._kernels import csr_column_moments

__all__ = [
    "column_absmax",
    "compiled_kernel",
    "equal_weights",
    "is_uniform",
    "scaled_weights",
    "uniform_weights",
    "x_dot",
    "xt_dot",
]

_CHUNK = 8192  # rows per block when a pass over dense X needs a temporary
# Rows per block of the weighted Gram matrix: a block of sqrt(w) [X, 1]
# stays in cache between its scaling and its syrk.
_GRAM_ROWS = 4096
# A float32 X is never converted as a whole: each product reads it in blocks
# of about this many float64 bytes, upcast, so that every sum is accumulated
# in float64 (float32 sums over 1e6 rows lose ~3 digits, enough to stall a
# solver at tol=1e-8) and the temporary stays a fixed size (small: it is extra
# memory of the fit, 0.13 x a float32 X of 1e5 x 20 at 2**20).
_UPCAST_BLOCK_BYTES = 2**18


def _upcast_blocks(X):
    """Yield ``(axis, lo, hi, block)``: X in float64 pieces of bounded size.

    Rows ``lo:hi`` (``axis=0``) for dense and CSR X, columns (``axis=1``)
    for CSC X, whose row slices cost a pass over all of X.
    """
    n, p = X.shape
    budget = _UPCAST_BLOCK_BYTES // 8  # float64 entries per block
    if sparse.issparse(X):
        density = max(X.nnz, 1) / max(n * p, 1)
        # nonzeros, not entries; a quarter of the dense budget: the caller
        # still holds the previous block while the next is made, and a
        # sparse X is small (a 1e5-row TF-IDF X is a few MB)
        budget = int(budget / 4 / density)
        if X.format == "csc":
            step = max(1, budget // max(n, 1))
            for lo in range(0, p, step):
                hi = min(lo + step, p)
                yield 1, lo, hi, X[:, lo:hi].astype(np.float64)
            return
        X = X.tocsr()
    step = max(1, budget // max(p, 1))
    if sparse.issparse(X):
        yield from _csr_row_blocks(X, step)
        return
    # one buffer for every block: no fresh allocation (a new mapping, page
    # faults) per block; a block is valid until the next one is yielded
    buf = np.empty((min(step, n), p))
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        B = buf[: hi - lo]
        np.copyto(B, X[lo:hi])
        yield 0, lo, hi, B


def _csr_row_blocks(X, step):
    """:func:`_upcast_blocks` of a CSR X: ``step`` rows at a time.

    Only the block's data is upcast; its indices are a view of X's (a
    sliced-then-converted block copied them twice, and with the previous
    block still held by the caller a float32 TF-IDF X's ``x_dot`` peaked
    at half of X's bytes).
    """
    n = X.shape[0]
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        a, b = X.indptr[lo], X.indptr[hi]
        block = sparse.csr_matrix(
            (
                X.data[a:b].astype(np.float64),
                X.indices[a:b],
                X.indptr[lo : hi + 1] - a,
            ),
            shape=(hi - lo, X.shape[1]),
            copy=False,
        )
        yield 0, lo, hi, block
        del block


def x_dot(X, W):
    """``X @ W`` as a float64 ndarray, for ``W`` of shape (p,) or (p, K).

    A float64 X is multiplied as it is; any other dtype (float32) block by
    block (:func:`_upcast_blocks`): no float64 copy of X.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, p)
        Data, float64 or float32.
    W : ndarray of shape (p,) or (p, K)
        Coefficients, float64.

    Returns
    -------
    ndarray of shape (n,) or (n, K)
        ``X @ W``, summed in float64.
    """
    if X.dtype == np.float64:
        out = X @ W
        return out.toarray() if sparse.issparse(out) else np.asarray(out)
    out = np.zeros((X.shape[0], *W.shape[1:]))
    for axis, lo, hi, B in _upcast_blocks(X):
        if axis == 0:
            out[lo:hi] = B @ W
        else:
            out += B @ W[lo:hi]
    return out


def xt_dot(X, G, col=None):
    """``X.T @ G`` as a float64 ndarray, for ``G`` of shape (n,) or (n, K).

    The transpose of :func:`x_dot`, with the same blocks. With ``col`` (one
    positive number per column), ``(X / col).T @ G``, each block divided
    before the product: for columns of 1e300, ``X.T @ G`` itself overflows.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, p)
        Data, float64 or float32.
    G : ndarray of shape (n,) or (n, K)
        Per-row values, float64.
    col : ndarray of shape (p,), default=None
        Positive column divisors; None divides by nothing.

    Returns
    -------
    ndarray of shape (p,) or (p, K)
        ``(X / col).T @ G``, summed in float64.
    """
    if col is None or np.all(col == 1.0):
        if X.dtype == np.float64:
            return np.asarray(X.T @ G)
        col = None
    out = np.zeros((X.shape[1], *G.shape[1:]))
    for axis, lo, hi, B in _upcast_blocks(X):
        if col is not None:
            c = col if axis == 0 else col[lo:hi]
            B = B @ sparse.diags(1.0 / c) if sparse.issparse(B) else B / c
        if axis == 0:
            out += B.T @ G[lo:hi]
        else:
            out[lo:hi] = B.T @ G
    return out


def column_absmax(X, step=1):
    """Largest absolute value of each column (1.0 for an all-zero column).

    Block by block (:func:`_upcast_blocks`): no copy of X.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n, p)
        Data, float64 or float32.
    step : int, default=1
        Read only the rows ``0, step, 2 step, ...`` (in place for a CSR X).

    Returns
    -------
    ndarray of shape (p,)
        ``max_i |X[i, j]|`` per column, 1.0 where that is 0.
    """
    if _readable_csr(X):  # in place, no block copies (csr_column_moments)
        top = csr_column_moments(X.data, X.indices, X.indptr, X.shape[1], step=step)
        top[~(top > 0)] = 1.0
        return top
    if step > 1:
        X = X[::step]
    top = np.zeros(X.shape[1])
    for axis, lo, hi, B in _upcast_blocks(X):
        cols = slice(lo, hi) if axis else slice(None)
        B = abs(B).max(axis=0)
        B = B.toarray().ravel() if sparse.issparse(B) else B
        top[cols] = np.maximum(top[cols], B)
    top[~(top > 0)] = 1.0
    return top


def _readable_csr(X):
    """Whether the compiled CSR kernels read X's arrays as they are.

    The test of ``_objective._compiled_csr`` without its switch: float32 or
    float64 data, indices and indptr of one integer type, contiguous.
    """
    return (
        sparse.issparse(X)
        and X.format == "csr"
        and X.dtype in (np.float32, np.float64)
        and X.indices.dtype == X.indptr.dtype
        and X.indices.dtype in (np.int32, np.int64)
        and X.data.flags.c_contiguous
        and X.indices.flags.c_contiguous
    )


def scaled_weights(sample_weight):
    """Sample weights divided by their maximum, as float64.

    The objective is a weighted *mean*, invariant to a common factor of the
    weights; dividing by the largest weight first keeps their sum finite (at
    most ``n``) whatever their range, so ``[1e308, 1e308, 1]`` and
    ``10 ** U(-300, 300)`` are normalised without overflow.

    Parameters
    ----------
    sample_weight : array-like of shape (n,)
        Non-negative finite weights with a positive maximum.

    Returns
    -------
    ndarray of shape (n,)
        ``sample_weight / max(sample_weight)``, float64, largest entry 1: a
        read-only view of ``sample_weight`` itself when that is already a
        float64 array whose largest entry is 1 (no second n-vector: the
        estimator's weights and the objective's are then one array), and
        :func:`uniform_weights` (ones, one number of stride 0) when every
        weight is equal (``sample_weight=None`` among them).

    Raises
    ------
    ValueError
        If the largest weight is not finite and positive.
    """
    sw = np.asarray(sample_weight, dtype=np.float64)
    top = float(np.max(sw)) if sw.size else 0.0
    if not (np.isfinite(top) and top > 0):
        raise ValueError(
            "sample_weight must be finite and non-negative with a positive "
            f"maximum; got max(sample_weight)={top!r}."
        )
    if equal_weights(sw):
        # equal weights: one number for every row (stride 0), no n-vector;
        # the compiled sweeps read any stride
        return uniform_weights(1.0, sw.shape[0])
    if top != 1.0:
        return sw / top
    view = sw.view()
    view.flags.writeable = False  # never a way to write into the caller's
    return view


def uniform_weights(value, n):
    """``n`` equal weights ``value`` as one number: a read-only stride-0 view.

    Parameters
    ----------
    value : float
        The weight of every row.
    n : int
        The number of rows.

    Returns
    -------
    ndarray of shape (n,)
        ``np.broadcast_to(value, n)``, float64: 8 bytes whatever ``n``.
    """
    return np.broadcast_to(np.float64(value), (int(n),))


def equal_weights(sw):
    """Whether every weight is the same (True for one weight, False for none).

    A :func:`uniform_weights` view answers without reading n entries; any
    other array is compared entry by entry.

    Parameters
    ----------
    sw : ndarray of shape (n,)
        Weights.

    Returns
    -------
    bool
        True when all entries are equal.
    """
    return is_uniform(sw) or bool(sw.size and np.all(sw == sw[0]))


def is_uniform(sw):
    """Whether ``sw`` is a :func:`uniform_weights` view (one number, stride 0).

    Parameters
    ----------
    sw : ndarray of shape (n,)
        Weights.

    Returns
    -------
    bool
        True when every entry is the same memory (more than one row).
    """
    return sw.ndim == 1 and sw.shape[0] > 1 and sw.strides[0] == 0


def _weighted(grad, s, raw, y):
    """``grad * s`` as an (n, K) array, in place when ``grad`` is the loss's own.

    A fresh float64 array returned by the loss is multiplied in place (no
    second n x K array); anything else (a view of the input, a cached
    buffer) is copied.
    """
    grad = np.asarray(grad)
    weights = s[:, None] if grad.ndim == 2 else s
    if (
        grad.dtype == np.float64
        and grad.flags.owndata
        and grad.flags.writeable
        and not np.may_share_memory(grad, raw)
        and not np.may_share_memory(grad, y)
    ):
        grad *= weights
        sg = grad
    else:
        sg = grad * weights
    return sg[:, None] if sg.ndim == 1 else sg


# what defines a loss's value and gradient (a margin loss's: its phi)
_FORMULA = ("loss", "gradient", "loss_gradient", "_phi", "_dphi")


def _defines_at_least_as_derived(loss, name):
    """Whether the class defining ``loss.<name>`` is at least as derived as
    the ones defining the loss and its gradient (``_FORMULA``).

    A subclass that redefines the loss is then evaluated as it says, not by
    a shortcut (``name``) of its parent.
    """
    mro = type(loss).__mro__

    def owner(attr):
        return next((i for i, cls in enumerate(mro) if attr in vars(cls)), len(mro))

    return owner(name) <= min(owner(attr) for attr in _FORMULA)


def _uses_target_cache(loss):
    """Whether ``loss``'s ``_target_cache`` describes its loss and gradient."""
    return _defines_at_least_as_derived(loss, "_loss_gradient_cached")


def compiled_kernel(loss):
    """``(kind, param)`` of ``loss``'s compiled formula (``sklloss._kernels``).

    Parameters
    ----------
    loss : Loss
        A loss object.

    Returns
    -------
    tuple of (int, float) or None
        The kernel's kind and parameter; None for a loss without one, and for
        a subclass that redefines the loss or its gradient below the class
        that declares the kernel.
    """
    if not hasattr(loss, "_kernel_params"):
        return None
    if not _defines_at_least_as_derived(loss, "_kernel_params"):
        return None
    return loss._kernel_params()


def _weighted_gram(X, w, col, intercept):
    """``Z.T @ diag(w) @ Z`` for ``Z = [X / col, 1]`` (the ones if intercept).

    Dense X in float64 row blocks (no copy of X, whatever its dtype).
    """
    n, p = X.shape
    q = p + (1 if intercept else 0)
    G = np.zeros((q, q))
    inv_col = None if np.all(col == 1.0) else 1.0 / col
    if not sparse.issparse(X) and np.all(w >= 0):
        # Z_w = diag(sqrt w) [X / col, 1] one block at a time, the column of
        # ones (sqrt w) inside the block, and Z_w.T @ Z_w: NumPy hands a
        # product of an array with its own transpose to BLAS's syrk (half
        # the work of a general product), and a block of _GRAM_ROWS rows
        # stays in cache between its scaling and its syrk.
        buf = np.empty((min(_GRAM_ROWS, n), q))
        for start in range(0, n, _GRAM_ROWS):
            stop = min(start + _GRAM_ROWS, n)
            Z = buf[: stop - start]
            root = np.sqrt(w[start:stop])
            np.multiply(X[start:stop], root[:, None], out=Z[:, :p])
            if inv_col is not None:
                Z[:, :p] *= inv_col
            if intercept:
                Z[:, p] = root
            G += Z.T @ Z
        return G
    if sparse.issparse(X):
        Z = X.tocsr() @ sparse.diags(1.0 / col)
        G[:p, :p] = (Z.T @ Z.multiply(w[:, None])).toarray()
        if intercept:
            G[:p, p] = np.asarray(Z.T @ w).ravel()
    else:  # negative weights (a non-convex loss's Hessian): no square root
        for start in range(0, n, _CHUNK):
            Z = X[start : start + _CHUNK].astype(np.float64)
            if inv_col is not None:
                Z *= inv_col
            wb = w[start : start + _CHUNK]
            G[:p, :p] += Z.T @ (Z * wb[:, None])
            if intercept:
                G[:p, p] += Z.T @ wb
    if intercept:
        G[p, :p] = G[:p, p]
        G[p, p] = w.sum()
    return G
