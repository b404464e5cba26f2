"""Array helpers of the sigmoid / softmax losses (log loss, focal, divergences).

Labels and soft targets in the forms the losses take, the clipping of
probabilities that :func:`sklearn.metrics.log_loss` applies, and column loops
that evaluate a narrow softmax faster than NumPy's row reductions.
"""

import numpy as np


def _float(raw_prediction):
    """``raw_prediction`` as a float32 / float64 array (never a copy if it is one)."""
    raw = np.asarray(raw_prediction)
    if raw.dtype not in (np.float32, np.float64):
        raw = raw.astype(np.float64)
    return raw


def _prepare(y_true, raw_prediction):
    """Return ``(y, raw)``: labels as intp for 2-D raw and 1-D y, else floats.

    Soft targets are cast to the dtype of ``raw`` so that float32 stays float32.
    """
    raw = _float(raw_prediction)
    y = np.asarray(y_true)
    if raw.ndim == 2 and y.ndim == 1:
        return y.astype(np.intp, copy=False), raw
    return y.astype(raw.dtype, copy=False), raw


def _rows(n):
    return np.arange(n)


def _one_hot(y, n_classes, dtype):
    """(n, n_classes) indicator rows of integer labels ``y``."""
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[_rows(len(y)), y] = 1
    return out


def _row_sums(arr):
    # einsum is several times faster than arr.sum(axis=1) on narrow rows.
    return np.einsum("ij->i", arr)


def _pick(arr, y):
    """``arr[i, y[i]]`` for every row (flat indexing when arr is C-contiguous)."""
    n, K = arr.shape
    if arr.flags.c_contiguous:
        return arr.ravel()[_rows(n) * K + y]
    return arr[_rows(n), y]


def _softmax_cov(p):
    """``diag(p) - p p^T`` per row: the Hessian of logsumexp, shape (n, K, K)."""
    h = -p[:, :, None] * p[:, None, :]
    k = np.arange(p.shape[1])
    h[:, k, k] += p
    return h


def _clip_proba(p):
    """Clip probabilities to [eps, 1 - eps] of their dtype (sklearn's log_loss)."""
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1 - eps)


def _binary_columns(y, y_pred):
    """Pair a 1-D target with 1-D probabilities as the two columns (1-y, y)."""
    return (1 - y, y), (_clip_proba(1 - y_pred), _clip_proba(y_pred))


# Column loops for the softmax of a narrow (n, K) raw prediction. NumPy's
# reductions along a short last axis are slow; K passes over (n,) columns are
# about twice as fast. Below 8 columns NumPy sums each row sequentially (its
# pairwise summation unrolls by 8), so the running column sums below give
# bit-identical results to log_softmax / softmax and ``.sum(axis=1)``.
_LOOP_MAX_K = 7
_HESSP_LOOP_MAX_K = 5  # measured: slower than the vectorised code above this


def _col_max(raw):
    """``raw.max(axis=1)`` by a loop over the columns."""
    m = raw[:, 0].copy()
    for k in range(1, raw.shape[1]):
        np.maximum(m, raw[:, k], out=m)
    return m


def _col_sum(arr):
    """``arr.sum(axis=1)`` by a loop over the columns (sequential per row)."""
    s = arr[:, 0].copy()
    for k in range(1, arr.shape[1]):
        s += arr[:, k]
    return s


def _softmax_soft_loss_gradient_loop(y, raw):
    """Multiclass ``LogLoss.loss_gradient`` of soft targets, 1 <= K <= _LOOP_MAX_K.

    The operations of ``log_softmax`` (max, made 0 where not finite; log of
    the sum of ``e_k = exp(z_k - max)``) column by column, with one exp per
    entry: ``p_k = e_k / sum_j e_j`` (within 2 ulp of ``exp(log p_k)``).
    (Integer labels take the compiled formula, ``sklloss._kernels``.)
    """
    n, K = raw.shape
    m = _col_max(raw)
    finite = np.isfinite(m)
    if not finite.all():
        m[~finite] = 0
    # The gradient takes raw's layout: with a column-major raw (the linear
    # models pass (W @ X.T).T) every column below is contiguous.
    column_major = raw.flags.f_contiguous and not raw.flags.c_contiguous
    grad = np.empty((n, K), dtype=raw.dtype, order="F" if column_major else "C")
    s = np.zeros_like(m)
    for k in range(K):
        e_k = grad[:, k]
        np.subtract(raw[:, k], m, out=e_k)
        np.exp(e_k, out=e_k)
        s += e_k
    with np.errstate(divide="ignore"):
        inv = np.divide(1.0, s)
        logs = np.log(s, out=s)
    # Soft targets: loss -sum_k y_k log p_k, gradient s p - y (see below).
    sy = _col_sum(y)
    inv *= sy
    loss = np.zeros_like(m)
    buf = np.empty_like(m)
    for k in range(K):
        y_k = y[:, k]
        np.subtract(raw[:, k], m, out=buf)
        buf -= logs  # log p_k
        buf *= y_k
        loss += buf
        g_k = grad[:, k]
        g_k *= inv  # s p_k
        g_k -= y_k
    return np.negative(loss, out=loss), grad


def _softmax_hessp_loop(y, raw, v):
    """Multiclass ``LogLoss.hessian_product`` for 1 <= K <= _HESSP_LOOP_MAX_K.

    The same operations as ``softmax`` (exp(z - max) / sum), then
    ``s * (p v - p (p . v))``, column by column; ``out`` holds p meanwhile.
    """
    n, K = raw.shape
    m = _col_max(raw)
    out = np.empty((n, K), dtype=raw.dtype)
    s = np.zeros_like(m)
    for k in range(K):
        p_k = out[:, k]
        np.subtract(raw[:, k], m, out=p_k)
        np.exp(p_k, out=p_k)
        s += p_k
    buf = np.empty_like(m)
    pv = np.zeros_like(m)
    for k in range(K):
        p_k = out[:, k]
        np.divide(p_k, s, out=p_k)
        np.multiply(p_k, v[:, k], out=buf)
        pv += buf
    sy = _col_sum(y) if y.ndim == 2 else None
    for k in range(K):
        o_k = out[:, k]
        np.multiply(o_k, v[:, k], out=buf)  # p_k v_k
        np.multiply(o_k, pv, out=o_k)  # p_k (p . v)
        np.subtract(buf, o_k, out=o_k)
        if sy is not None:
            o_k *= sy
    return out
