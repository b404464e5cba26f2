# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=False
"""Compiled per-sample formulas of the built-in losses, and the fused pass.

The one definition of each formula named in :data:`KINDS`: a ``cdef
inline`` function that returns the per-sample loss at raw prediction ``z``
and, when asked, writes its first and second derivatives. Two callers share
it:

* :func:`elementwise`: the loss classes' ``loss``, ``gradient``,
  ``loss_gradient`` and ``hessian`` for these losses (``sklloss.losses``),
  so the formulas are not also written in NumPy;
* :func:`fused_rows`: one sweep over the rows of a dense X (the
  objective's fused pass, ``sklloss.linear_model._objective``). Each row is
  multiplied by ``w``, its loss and derivative taken and its share of the
  gradient added while it is in cache: X is read once per evaluation.
  An F-ordered X is swept by columns per block of rows that stays in L2
  (its raw prediction, then its share of the gradient). A float32 X is
  read as float32; every product and sum is in float64.
  The GIL is released; a caller runs one call per thread of its own pool on
  disjoint row ranges (no OpenMP: the thread count stays the caller's).

A user's pure-Python ``Loss`` has no kind and takes the generic NumPy path.
``benchmarks/results/kernels.md`` has the measurements behind the design.
"""

from libc.float cimport DBL_MAX
from libc.math cimport exp, fabs, log, log1p, NAN
from libc.stdlib cimport free, malloc
from libc.string cimport memset

import numpy as np

from cython cimport floating

# The losses with a compiled formula. A kind's one parameter (huber's delta,
# smooth_l1's beta) travels as a double.
cdef enum:
    LOG_LOSS = 0
    HUBER = 1
    SQUARED_ERROR = 2
    SQUARED_HINGE = 3
    POISSON = 4
    SMOOTH_L1 = 5
    # narrowest row that the fused pass sweeps alone (see _rows)
    WIDE = 64
    # Sums over the rows are formed per block of this many rows, then added
    # to the totals (the value with Neumaier's compensation): the rounding
    # error grows like SUM_BLOCK rather than n. (One sequential sum over 1e5
    # rows moved a Poisson objective by 4e-15 relative, enough to stall a
    # line search near the optimum at tol=1e-8.) A multiple of 4 (_rows).
    SUM_BLOCK = 128
    # F-ordered X: rows per block of the column sweep (_rows_f), so that the
    # block (rows x p x itemsize) read by the raw prediction is still in L2
    # when the gradient reads it again; between these bounds, a multiple of
    # F_BLOCK_MIN (benchmarks/results/kernels_forder.md).
    F_BLOCK_MIN = 64
    F_BLOCK_MAX = 1024
    F_BLOCK_BYTES = 262144

KINDS = {
    "log_loss": LOG_LOSS,
    "huber": HUBER,
    "squared_error": SQUARED_ERROR,
    "squared_hinge": SQUARED_HINGE,
    "poisson": POISSON,
    "smooth_l1": SMOOTH_L1,
}
# the kinds whose formula reads a per-row value of y alone (``c``): log y
NEEDS_LOG_Y = frozenset({POISSON})


cdef inline double _log_loss(double y, double z, double* g,
                             double* h) noexcept nogil:
    # Binary log loss log(1 + e^z) - y z with t = e^{-|z|} in (0, 1]: one
    # exp and one log1p, nothing overflows at |z| = 1e4. The value is
    # log1p(t) + ((1 - y) z if z > 0 else -y z): the bracket is exactly 0
    # for y = 1, z > 0 and for y = 0, z < 0 (no cancellation). The gradient
    # sigma(z) - y is ((1 - y) - y t) / (1 + t) for z >= 0 and
    # ((1 - y) t - y) / (1 + t) below, the Hessian sigma(z) sigma(-z) is
    # t / (1 + t)^2. Branch-free in the sign of z (random signs would
    # mispredict half the rows).
    cdef double t = exp(-fabs(z))
    cdef double inv = 1.0 / (1.0 + t)
    cdef double up = 1.0 if z >= 0 else t
    cdef double down = t if z >= 0 else 1.0
    if g != NULL:
        g[0] = ((1.0 - y) * up - y * down) * inv
    if h != NULL:
        h[0] = t * inv * inv
    return log1p(t) + ((1.0 - y) * z if z > 0 else -y * z)


cdef inline double _huber(double y, double z, double delta, double unit,
                          double* g, double* h) noexcept nogil:
    # huber_delta(r) / unit: huber itself with unit = 1 (q / 1.0 is q, and
    # the compiler folds it), smooth_l1_beta = huber_beta / beta with unit =
    # beta. The value is (q / unit) (|r| - q / 2) with q = min(|r|, delta):
    # r^2 / 2 inside, delta (|r| - delta / 2) outside, with the rounding of
    # either form; q / unit <= 1 for smooth_l1 (q / beta is exactly 1
    # outside), so nothing overflows or underflows that the value does not
    # (beta |r| would underflow for beta = 1e-300). The gradient
    # clip(z - y, -delta, delta) / unit keeps a NaN residual NaN.
    cdef double r = z - y
    cdef double a = fabs(r)
    cdef double q = a if a < delta else delta
    if g != NULL:
        if a <= delta or r != r:
            g[0] = r / unit
        else:
            g[0] = (delta if r > 0 else -delta) / unit
    if h != NULL:
        h[0] = 1.0 / unit if a <= delta else 0.0
    return (q / unit) * (a - 0.5 * q)


cdef inline double _squared_error(double y, double z, double* g,
                                  double* h) noexcept nogil:
    # (z - y)^2, its derivative 2 (z - y) and second derivative 2
    cdef double r = z - y
    if g != NULL:
        g[0] = 2.0 * r
    if h != NULL:
        h[0] = 2.0
    return r * r


cdef inline double _squared_hinge(double y, double z, double* g,
                                  double* h) noexcept nogil:
    # phi(m) = max(0, 1 - m)^2 of the margin m = s z, s = 2 y - 1 for a 0 / 1
    # label (SquaredHinge passes y = 1: z is then the margin itself).
    # phi' = -2 max(0, 1 - m) times dm/dz = s; generalized phi'' = 2 [m < 1].
    # A NaN margin gives a NaN loss and gradient (not the max's 0).
    cdef double s = 2.0 * y - 1.0
    cdef double m = s * z
    cdef double gap = 1.0 - m
    if gap <= 0:
        gap = 0.0
    if g != NULL:
        g[0] = -2.0 * gap * s
    if h != NULL:
        h[0] = 2.0 if m < 1 else 0.0
    return gap * gap


cdef inline double _poisson(double y, double z, double log_y, double* g,
                            double* h) noexcept nogil:
    # Poisson deviance 2 (y (log y - z) - y + mu), mu = e^z, with log y given
    # (0 where y = 0, so y log y is 0 there): near a perfect fit both
    # brackets are small and the deviance keeps its relative precision.
    # Gradient 2 (mu - y), Hessian 2 mu; mu = inf past z = 709 gives inf.
    cdef double mu = exp(z)
    if g != NULL:
        g[0] = 2.0 * (mu - y)
    if h != NULL:
        h[0] = 2.0 * mu
    return 2.0 * ((log_y - z) * y - y + mu)


cdef inline double _per_sample(int kind, double param, double y, double z,
                               double c, double* g, double* h) noexcept nogil:
    if kind == LOG_LOSS:
        return _log_loss(y, z, g, h)
    if kind == HUBER:
        return _huber(y, z, param, 1.0, g, h)
    if kind == SMOOTH_L1:
        return _huber(y, z, param, param, g, h)
    if kind == SQUARED_ERROR:
        return _squared_error(y, z, g, h)
    if kind == SQUARED_HINGE:
        return _squared_hinge(y, z, g, h)
    if kind == POISSON:
        return _poisson(y, z, c, g, h)
    return NAN


cdef inline double _softmax_row(const double* z, Py_ssize_t K, Py_ssize_t y,
                               double* g) noexcept nogil:
    # Multiclass log loss of label y: log sum_k e^{z_k - m} - (z_y - m) with
    # m = max_k z_k (0 where that is not finite, as scipy's log_softmax);
    # gradient p_k - [k = y] into g (which may be NULL), p_k = e_k / sum e.
    cdef Py_ssize_t k
    cdef double m = z[0], total = 0.0, e, inv
    for k in range(1, K):
        if z[k] > m:
            m = z[k]
    if not fabs(m) <= DBL_MAX:
        m = 0.0
    for k in range(K):
        e = exp(z[k] - m)
        total += e
        if g != NULL:
            g[k] = e
    if g != NULL:
        inv = 1.0 / total
        for k in range(K):
            g[k] *= inv
        g[y] -= 1.0
    return log(total) - (z[y] - m)


# --------------------------------------------------------------- elementwise
cdef void _elementwise(int kind, double param, const floating* y,
                       const floating* z, const floating* c, Py_ssize_t n,
                       floating* loss, floating* grad,
                       floating* hess) noexcept nogil:
    cdef Py_ssize_t i
    cdef double g = 0.0, h = 0.0, v
    cdef double* gp = &g if grad != NULL else NULL
    cdef double* hp = &h if hess != NULL else NULL
    for i in range(n):
        v = _per_sample(kind, param, y[i], z[i], c[i] if c != NULL else 0.0,
                        gp, hp)
        if loss != NULL:
            loss[i] = <floating> v
        if grad != NULL:
            grad[i] = <floating> g
        if hess != NULL:
            hess[i] = <floating> h


cdef void _elementwise_typed(int kind, double param, const floating[::1] y,
                             const floating[::1] z, object cache, list outs,
                             bint want_loss, bint want_grad, bint want_hess):
    cdef Py_ssize_t n = z.shape[0]
    cdef floating[::1] lo, gr, he
    cdef floating* lp = NULL
    cdef floating* gp = NULL
    cdef floating* hp = NULL
    cdef const floating[::1] cv
    cdef const floating* cp = NULL
    if n == 0:
        return
    if cache is not None:
        cv = cache
        cp = &cv[0]
    if want_loss:
        lo = outs[0]
        lp = &lo[0]
    if want_grad:
        gr = outs[1]
        gp = &gr[0]
    if want_hess:
        he = outs[2]
        hp = &he[0]
    with nogil:
        _elementwise(kind, param, &y[0], &z[0], cp, n, lp, gp, hp)


def elementwise(int kind, double param, y_true, raw_prediction, *,
                cache=None, bint loss=True, bint gradient=False,
                bint hessian=False):
    """Per-sample loss, gradient and Hessian of a compiled loss.

    Parameters
    ----------
    kind : int
        A value of :data:`KINDS`.
    param : float
        The loss's parameter (huber's delta, smooth_l1's beta; ignored by
        the others).
    y_true, raw_prediction : array-like
        Broadcast against each other.
    cache : array-like, default=None
        The per-row value of y alone that the kinds of ``NEEDS_LOG_Y`` read
        (``log y``, 0 where y = 0), of y's shape, for their loss value (their
        gradient and Hessian do not read it); None for the other kinds.
    loss, gradient, hessian : bool
        Which arrays to return.

    Returns
    -------
    tuple of ndarray
        The arrays asked for, in the order loss, gradient, Hessian, of the
        broadcast shape and of the floating dtype NumPy's arithmetic on the
        two inputs would give (float32 stays float32). Computed in float64.
    """
    y = np.asarray(y_true)
    z = np.asarray(raw_prediction)
    dtype = np.result_type(y.dtype, z.dtype, np.float32)
    if dtype != np.float32:
        dtype = np.dtype(np.float64)
    if y.shape != z.shape:
        y, z = np.broadcast_arrays(y, z)
    shape = z.shape
    yc = np.ascontiguousarray(y, dtype=dtype).reshape(-1)
    zc = np.ascontiguousarray(z, dtype=dtype).reshape(-1)
    if (cache is not None and kind not in NEEDS_LOG_Y) or (
        cache is None and kind in NEEDS_LOG_Y and loss
    ):
        raise ValueError(f"elementwise: kind {kind} and cache={type(cache)} disagree.")
    if cache is not None:
        cache = np.broadcast_to(cache, shape)
        cache = np.ascontiguousarray(cache, dtype=dtype).reshape(-1)
    wanted = (loss, gradient, hessian)
    outs = [np.empty(zc.shape[0], dtype=dtype) if w else None for w in wanted]
    if dtype == np.float32:
        _elementwise_typed[float](kind, param, yc, zc, cache, outs, loss,
                                  gradient, hessian)
    else:
        _elementwise_typed[double](kind, param, yc, zc, cache, outs, loss,
                                   gradient, hessian)
    return tuple(out.reshape(shape) for out in outs if out is not None)


cdef int _softmax_typed(const Py_ssize_t[::1] y, const floating[:, :] z,
                        floating[::1] loss, floating[:, :] grad) except -1:
    cdef Py_ssize_t n = z.shape[0], K = z.shape[1], i, k
    cdef double* row = <double*> malloc(2 * K * sizeof(double))
    cdef double* g = row + K
    if row == NULL:
        raise MemoryError()
    try:
        with nogil:
            for i in range(n):
                for k in range(K):
                    row[k] = z[i, k]
                loss[i] = <floating> _softmax_row(row, K, y[i], g)
                for k in range(K):
                    grad[i, k] = <floating> g[k]
    finally:
        free(row)
    return 0


def softmax_loss_gradient(y_true, raw_prediction):
    """Multiclass log loss and its gradient for integer labels.

    Parameters
    ----------
    y_true : ndarray of shape (n,)
        Labels in ``0..K-1`` (integers).
    raw_prediction : ndarray of shape (n, K)
        The softmax's input, float32 or float64, any layout.

    Returns
    -------
    loss : ndarray of shape (n,)
    gradient : ndarray of shape (n, K)
        ``softmax(z) - onehot(y)``, in the layout (C or F) of
        ``raw_prediction``, of its dtype.
    """
    z = np.asarray(raw_prediction)
    if z.dtype not in (np.float32, np.float64):
        z = z.astype(np.float64)
    y = np.ascontiguousarray(y_true, dtype=np.intp)
    n, K = z.shape
    if y.shape != (n,):
        raise ValueError(
            f"y_true must have shape ({n},) for raw_prediction of shape {z.shape}; "
            f"got {y.shape}."
        )
    if n and K and not (0 <= y.min() and y.max() < K):
        raise ValueError(
            f"y_true must hold labels in 0..{K - 1}; got labels from {y.min()} "
            f"to {y.max()}."
        )
    order = "F" if z.flags.f_contiguous and not z.flags.c_contiguous else "C"
    loss = np.empty(n, dtype=z.dtype)
    grad = np.empty((n, K), dtype=z.dtype, order=order)
    if n and K:
        if z.dtype == np.float32:
            _softmax_typed[float](y, z, loss, grad)
        else:
            _softmax_typed[double](y, z, loss, grad)
    return loss, grad


# ---------------------------------------------------------------- fused pass
cdef inline double _dot(const floating* x, const double* w,
                        Py_ssize_t p) noexcept nogil:
    # eight partial sums: four independent chains of two-double vectors, so
    # the compiler vectorises without -ffast-math and the adds' latency is
    # hidden (four sums left a 100-column dot latency-bound)
    cdef Py_ssize_t j = 0
    cdef double z0 = 0.0, z1 = 0.0, z2 = 0.0, z3 = 0.0
    cdef double z4 = 0.0, z5 = 0.0, z6 = 0.0, z7 = 0.0
    while j + 8 <= p:
        z0 += x[j] * w[j]
        z1 += x[j + 1] * w[j + 1]
        z2 += x[j + 2] * w[j + 2]
        z3 += x[j + 3] * w[j + 3]
        z4 += x[j + 4] * w[j + 4]
        z5 += x[j + 5] * w[j + 5]
        z6 += x[j + 6] * w[j + 6]
        z7 += x[j + 7] * w[j + 7]
        j += 8
    while j < p:
        z0 += x[j] * w[j]
        j += 1
    return ((z0 + z1) + (z2 + z3)) + ((z4 + z5) + (z6 + z7))


# Raw pointers, not memoryviews, inside the sweep: a memoryview handed to a
# function per row is a struct copy and an atomic reference count each time.
cdef Py_ssize_t _weight_step(const double[:] s, name) except? -1:
    # The per-row weights may be any strided float64 vector: stride 0 is one
    # number for every row (np.broadcast_to; equal weights need no n-vector),
    # read as s[i * step] from &s[0].
    if s.strides[0] % <Py_ssize_t> sizeof(double):
        raise ValueError(
            f"{name}: the weights' stride ({s.strides[0]} bytes) is not a "
            "multiple of 8."
        )
    return s.strides[0] // <Py_ssize_t> sizeof(double)


cdef double _rows(const floating* X, Py_ssize_t p, const double* y,
                  const double* c, const double* s, Py_ssize_t ss,
                  const double* w, double b,
                  Py_ssize_t lo, Py_ssize_t hi, int kind, double param,
                  double* grad_w, double* grad_b, double* r) noexcept nogil:
    # r: NULL, or receives each row's raw prediction z_i (same rounding).
    # Few columns (p < WIDE): four rows at a time, so that w and grad_w are
    # loaded and stored once per four rows and the four dot products are
    # independent chains (a short row's dependency chain, not the memory, is
    # the bottleneck). Wide rows: one row at a time, four partial sums.
    cdef Py_ssize_t i = lo, j
    cdef const floating* x0
    cdef const floating* x1
    cdef const floating* x2
    cdef const floating* x3
    cdef double z0, z1, z2, z3, wj, value = 0.0, gb = 0.0
    cdef double g0 = 0.0, g1 = 0.0, g2 = 0.0, g3 = 0.0
    while i + 4 <= hi and p < WIDE:
        x0 = X + i * p
        x1 = x0 + p
        x2 = x1 + p
        x3 = x2 + p
        z0 = b
        z1 = b
        z2 = b
        z3 = b
        for j in range(p):
            wj = w[j]
            z0 += x0[j] * wj
            z1 += x1[j] * wj
            z2 += x2[j] * wj
            z3 += x3[j] * wj
        if r != NULL:
            r[i] = z0
            r[i + 1] = z1
            r[i + 2] = z2
            r[i + 3] = z3
        value += s[i * ss] * _per_sample(kind, param, y[i], z0,
                                        c[i] if c != NULL else 0.0,
                                        &g0, NULL)
        value += s[(i + 1) * ss] * _per_sample(kind, param, y[i + 1], z1,
                                        c[i + 1] if c != NULL else 0.0,
                                        &g1, NULL)
        value += s[(i + 2) * ss] * _per_sample(kind, param, y[i + 2], z2,
                                        c[i + 2] if c != NULL else 0.0,
                                        &g2, NULL)
        value += s[(i + 3) * ss] * _per_sample(kind, param, y[i + 3], z3,
                                        c[i + 3] if c != NULL else 0.0,
                                        &g3, NULL)
        g0 *= s[i * ss]
        g1 *= s[(i + 1) * ss]
        g2 *= s[(i + 2) * ss]
        g3 *= s[(i + 3) * ss]
        gb += (g0 + g1) + (g2 + g3)
        for j in range(p):
            grad_w[j] += (g0 * x0[j] + g1 * x1[j]) + (g2 * x2[j] + g3 * x3[j])
        i += 4
    while i + 2 <= hi:
        # wide rows two at a time: one sweep of grad_w per pair
        x0 = X + i * p
        x1 = x0 + p
        z0 = _dot(x0, w, p) + b
        z1 = _dot(x1, w, p) + b
        if r != NULL:
            r[i] = z0
            r[i + 1] = z1
        value += s[i * ss] * _per_sample(kind, param, y[i], z0,
                                    c[i] if c != NULL else 0.0, &g0, NULL)
        value += s[(i + 1) * ss] * _per_sample(kind, param, y[i + 1], z1,
                                        c[i + 1] if c != NULL else 0.0,
                                        &g1, NULL)
        g0 *= s[i * ss]
        g1 *= s[(i + 1) * ss]
        gb += g0 + g1
        for j in range(p):
            grad_w[j] += g0 * x0[j] + g1 * x1[j]
        i += 2
    while i < hi:
        x0 = X + i * p
        z0 = _dot(x0, w, p) + b
        if r != NULL:
            r[i] = z0
        value += s[i * ss] * _per_sample(kind, param, y[i], z0,
                                    c[i] if c != NULL else 0.0, &g0, NULL)
        g0 *= s[i * ss]
        gb += g0
        for j in range(p):
            grad_w[j] += g0 * x0[j]
        i += 1
    grad_b[0] = gb
    return value


cdef inline void _add(double* total, double* comp, double x) noexcept nogil:
    # Neumaier's compensated sum: total + comp is the sum to ~1 ulp
    cdef double t = total[0] + x
    if fabs(total[0]) >= fabs(x):
        comp[0] += (total[0] - t) + x
    else:
        comp[0] += (x - t) + total[0]
    total[0] = t


cdef double _rows_blocked(const floating* X, Py_ssize_t p, const double* y,
                          const double* c, const double* s,
                          Py_ssize_t ss, const double* w,
                          double b, Py_ssize_t lo, Py_ssize_t hi, int kind,
                          double param, double* grad_w, double* grad_b,
                          double* part_w, double* r) noexcept nogil:
    # _rows per SUM_BLOCK rows into part_w (p doubles), added to the totals
    cdef Py_ssize_t start = lo, stop, j
    cdef double value = 0.0, comp = 0.0, part_b = 0.0
    grad_b[0] = 0.0
    while start < hi:
        stop = start + SUM_BLOCK if start + SUM_BLOCK < hi else hi
        memset(part_w, 0, p * sizeof(double))
        _add(&value, &comp, _rows(X, p, y, c, s, ss, w, b, start, stop, kind,
                                  param, part_w, &part_b, r))
        grad_b[0] += part_b
        for j in range(p):
            grad_w[j] += part_w[j]
        start = stop
    return value + comp


# F order: X[i, j] at X[i + j n]. Each column of a block of rows is a
# contiguous run; the block is swept twice while it is in L2 (_rows_f).
cdef void _raw_f(const floating* X, Py_ssize_t n, Py_ssize_t p,
                 const double* W, const double* b, Py_ssize_t K,
                 Py_ssize_t start, Py_ssize_t m, double* Z) noexcept nogil:
    # Z[k m + i] = b_k + sum_j X[start + i, j] W[k, j] for the block's m rows:
    # column axpys, four columns at a time (Z read and written once per four
    # columns, each column read from memory once for the K outputs); the
    # products are added in the order of j.
    cdef Py_ssize_t i, j = 0, k
    cdef const floating* c0
    cdef const floating* c1
    cdef const floating* c2
    cdef const floating* c3
    cdef double* z
    cdef const double* wk
    cdef double w0, w1, w2, w3
    for k in range(K):
        for i in range(m):
            Z[k * m + i] = b[k]
    while j + 4 <= p:
        c0 = X + j * n + start
        c1 = c0 + n
        c2 = c1 + n
        c3 = c2 + n
        for k in range(K):
            z = Z + k * m
            wk = W + k * p + j
            w0 = wk[0]
            w1 = wk[1]
            w2 = wk[2]
            w3 = wk[3]
            for i in range(m):
                z[i] = (((z[i] + c0[i] * w0) + c1[i] * w1) + c2[i] * w2) + c3[i] * w3
        j += 4
    while j < p:
        c0 = X + j * n + start
        for k in range(K):
            z = Z + k * m
            w0 = W[k * p + j]
            for i in range(m):
                z[i] += c0[i] * w0
        j += 1


cdef void _xt_f(const floating* X, Py_ssize_t n, Py_ssize_t p,
                const double* G, Py_ssize_t K, Py_ssize_t start, Py_ssize_t m,
                double* grad_W) noexcept nogil:
    # grad_W[k, j] += sum_i X[start + i, j] G[k m + i]: one dot product (four
    # partial sums) per column and output, the column in L1 for the K outputs
    cdef Py_ssize_t j, k
    cdef const floating* col
    for j in range(p):
        col = X + j * n + start
        for k in range(K):
            grad_W[k * p + j] += _dot(col, G + k * m, m)


cdef Py_ssize_t _f_block(Py_ssize_t p, Py_ssize_t itemsize,
                         Py_ssize_t block) noexcept nogil:
    # rows per block of the F sweep: ``block`` if given, else F_BLOCK_BYTES of
    # X, a multiple of F_BLOCK_MIN within [F_BLOCK_MIN, F_BLOCK_MAX]
    if block <= 0:
        block = F_BLOCK_BYTES // (p * itemsize)
        block -= block % F_BLOCK_MIN
    if block < F_BLOCK_MIN:
        return F_BLOCK_MIN
    return block if block < F_BLOCK_MAX else F_BLOCK_MAX


cdef double _rows_f(const floating* X, Py_ssize_t n, Py_ssize_t p,
                    Py_ssize_t K, const double* y, const double* c,
                    const double* s, Py_ssize_t ss, const double* W,
                    const double* b,
                    Py_ssize_t lo, Py_ssize_t hi, bint softmax, int kind,
                    double param, Py_ssize_t block, double* grad_W,
                    double* grad_b, double* Z, double* r) noexcept nogil:
    # The sweep of an F-ordered X, per block of ``block`` rows: the raw
    # prediction by column axpys (_raw_f), each row's loss and derivative
    # (the same formulas as the C-order sweep: _per_sample, or _softmax_row
    # if ``softmax``), then the block's share of the gradient (_xt_f), while
    # the block is in L2. The value and the intercept's gradient are summed
    # as _rows_blocked / _rows_softmax sum them: per SUM_BLOCK rows from lo,
    # then added to the totals (the value with Neumaier's compensation), so
    # that the result depends on the layout only through the rounding of the
    # raw prediction. Z holds block * K + 3 K doubles; its first block * K
    # receive the raw prediction, then s_i times its derivative. r: NULL, or
    # receives the raw prediction (K = 1).
    cdef Py_ssize_t start = lo, m, i, k, row, flush = lo + SUM_BLOCK
    cdef double value = 0.0, comp = 0.0, part = 0.0, g = 0.0, gk
    cdef double* zr = Z + block * K
    cdef double* gr = zr + K
    cdef double* part_b = gr + K
    memset(part_b, 0, K * sizeof(double))
    while start < hi:
        m = block if start + block < hi else hi - start
        _raw_f(X, n, p, W, b, K, start, m, Z)
        for i in range(m):
            row = start + i
            if not softmax:
                if r != NULL:
                    r[row] = Z[i]
                part += s[row * ss] * _per_sample(kind, param, y[row], Z[i],
                                             c[row] if c != NULL else 0.0,
                                             &g, NULL)
                Z[i] = s[row * ss] * g
                part_b[0] += Z[i]
            else:
                for k in range(K):
                    zr[k] = Z[k * m + i]
                part += s[row * ss] * _softmax_row(zr, K, <Py_ssize_t> y[row], gr)
                for k in range(K):
                    gk = s[row * ss] * gr[k]
                    Z[k * m + i] = gk
                    part_b[k] += gk
            if row + 1 == flush or row + 1 == hi:
                _add(&value, &comp, part)
                part = 0.0
                for k in range(K):
                    grad_b[k] += part_b[k]
                    part_b[k] = 0.0
                flush += SUM_BLOCK
        _xt_f(X, n, p, Z, K, start, m, grad_W)
        start += m
    return value + comp


def _f_ordered(X, name):
    """Whether the sweep of X is by columns (F order); checks X's dtype and layout."""
    if X.dtype not in (np.float32, np.float64) or not (
        X.flags.c_contiguous or X.flags.f_contiguous
    ):
        raise ValueError(
            f"{name}: X must be C- or F-contiguous float32 or float64; got "
            f"dtype {X.dtype}, C-contiguous {X.flags.c_contiguous}, "
            f"F-contiguous {X.flags.f_contiguous}."
        )
    # both (one row or one column): the row sweep
    return not X.flags.c_contiguous


cdef double _sweep_f(X, Py_ssize_t K, const double* y, const double* c,
                     const double* s, Py_ssize_t ss, const double* W,
                     const double* b,
                     Py_ssize_t lo, Py_ssize_t hi, bint softmax, int kind,
                     double param, Py_ssize_t block, double* grad_W,
                     double* grad_b, double* r=NULL) except? -1.0:
    # _rows_f over an F-ordered X (p >= 1, lo < hi), GIL released
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1]
    cdef const float[::1, :] x32
    cdef const double[::1, :] x64
    cdef double value
    block = _f_block(p, X.itemsize, block)
    cdef double* Z = <double*> malloc((block * K + 3 * K) * sizeof(double))
    if Z == NULL:
        raise MemoryError()
    try:
        if X.dtype == np.float32:
            x32 = X
            with nogil:
                value = _rows_f(&x32[0, 0], n, p, K, y, c, s, ss, W, b, lo, hi,
                                softmax, kind, param, block, grad_W, grad_b, Z, r)
        else:
            x64 = X
            with nogil:
                value = _rows_f(&x64[0, 0], n, p, K, y, c, s, ss, W, b, lo, hi,
                                softmax, kind, param, block, grad_W, grad_b, Z, r)
    finally:
        free(Z)
    return value




def fused_rows(int kind, double param, X, const double[::1] y,
               const double[:] s, const double[::1] w, double b,
               Py_ssize_t lo, Py_ssize_t hi, cache=None, Py_ssize_t block=0,
               raw=None):
    """Loss and gradient sums over rows ``lo:hi`` of a dense X, GIL released.

    Parameters
    ----------
    kind, param : int, float
        The loss, as for :func:`elementwise`.
    X : ndarray of shape (n, p)
        C- or F-contiguous (swept by rows, or by columns per block of rows),
        float32 or float64.
    y, s : ndarray of shape (n,)
        Targets and per-row weights, float64; the weights of any stride
        (0: one number for every row, as ``np.broadcast_to`` gives it).
    w : ndarray of shape (p,)
        Coefficients, float64.
    b : float
        Intercept.
    lo, hi : int
        The rows to sweep, ``0 <= lo <= hi <= n``.
    cache : ndarray of shape (n,), default=None
        For the kinds of ``NEEDS_LOG_Y``: ``log y`` (0 where y = 0), float64.
    block : int, default=0
        Rows per block of an F-ordered X (0: about ``F_BLOCK_BYTES`` of X,
        within ``F_BLOCK_MIN..F_BLOCK_MAX``); ignored for C order.
    raw : ndarray of shape (n,), default=None
        If given (float64, C-contiguous), ``raw[lo:hi]`` receives the raw
        predictions ``x_i . w + b`` of the sweep (the values the loss saw);
        the other entries are left as they are.

    Returns
    -------
    value : float
        ``sum_i s_i loss(y_i, x_i . w + b)``.
    grad_w : ndarray of shape (p,)
        ``sum_i s_i g_i x_i``, float64.
    grad_b : float
        ``sum_i s_i g_i``.
    """
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1]
    if not (
        y.shape[0] == s.shape[0] == n and w.shape[0] == p and 0 <= lo <= hi <= n
    ):
        raise ValueError(
            f"fused_rows: X of shape {X.shape}, y {y.shape[0]}, s "
            f"{s.shape[0]}, w {w.shape[0]} and rows {lo}:{hi} do not match."
        )
    cdef bint by_columns = _f_ordered(X, "fused_rows")
    cdef Py_ssize_t ss = _weight_step(s, "fused_rows")
    if (cache is None) != (kind not in NEEDS_LOG_Y) or (
        cache is not None and len(cache) != n
    ):
        raise ValueError(f"fused_rows: kind {kind} and its cache do not match.")
    cdef double[::1] rv
    cdef double* rp = NULL
    if raw is not None:
        if len(raw) != n:
            raise ValueError(f"fused_rows: raw of length {len(raw)}, X has {n} rows.")
        rv = raw
        if hi > lo:
            rp = &rv[0]
    grad = np.zeros(p)
    cdef double[::1] gw = grad
    cdef const double[::1] cv
    cdef const double* cp = NULL
    cdef double value = 0.0, grad_b = 0.0
    cdef const float[:, ::1] x32
    cdef const double[:, ::1] x64
    cdef double bias = b
    cdef double g = 0.0
    cdef Py_ssize_t i
    if lo == hi:
        return 0.0, grad, 0.0
    if cache is not None:
        cv = cache
        cp = &cv[0]
    if p == 0:  # no column: the rows' sums at the intercept alone
        for i in range(lo, hi):
            if rp != NULL:
                rp[i] = bias
            value += s[i] * _per_sample(kind, param, y[i], bias,
                                        cp[i] if cp != NULL else 0.0, &g, NULL)
            grad_b += s[i] * g
        return value, grad, grad_b
    if by_columns:
        value = _sweep_f(X, 1, &y[0], cp, &s[0], ss, &w[0], &bias, lo, hi, False,
                         kind, param, block, &gw[0], &grad_b, rp)
        return value, grad, grad_b
    cdef double* part_w = <double*> malloc(p * sizeof(double))
    if part_w == NULL:
        raise MemoryError()
    try:
        if X.dtype == np.float32:
            x32 = X
            with nogil:
                value = _rows_blocked(&x32[0, 0], p, &y[0], cp, &s[0], ss, &w[0],
                                      bias, lo, hi, kind, param, &gw[0],
                                      &grad_b, part_w, rp)
        else:
            x64 = X
            with nogil:
                value = _rows_blocked(&x64[0, 0], p, &y[0], cp, &s[0], ss, &w[0],
                                      bias, lo, hi, kind, param, &gw[0],
                                      &grad_b, part_w, rp)
    finally:
        free(part_w)
    return value, grad, grad_b


cdef double _rows_softmax(const floating* X, Py_ssize_t p, Py_ssize_t K,
                          const double* y, const double* s, Py_ssize_t ss,
                          const double* W,
                          const double* b, Py_ssize_t lo, Py_ssize_t hi,
                          double* grad_W, double* grad_b,
                          double* z) noexcept nogil:
    # Per pair of rows: 2 K dot products (the rows stay in L1), the softmax
    # of each, and the pair's share of every class's gradient in one sweep
    # of part_W (a row at a time stored part_W's K p doubles once per row:
    # the sweep, not the arithmetic, bounded the pass). The sums of each
    # SUM_BLOCK rows are formed in part and then added to the totals (see
    # SUM_BLOCK). z holds 5 K + K p doubles: z, g of two rows, part_b and
    # part_W.
    cdef Py_ssize_t i, j, k, start = lo, stop
    cdef const floating* x
    cdef const floating* x1
    cdef double* z1 = z + K
    cdef double* g = z + 2 * K
    cdef double* g1 = z + 3 * K
    cdef double* part_b = z + 4 * K
    cdef double* part_W = z + 5 * K
    cdef double* pw
    cdef double value = 0.0, comp = 0.0, block_value, gk, gk1
    while start < hi:
        stop = start + SUM_BLOCK if start + SUM_BLOCK < hi else hi
        memset(part_b, 0, (K + K * p) * sizeof(double))
        block_value = 0.0
        i = start
        while i < stop:
            x = X + i * p
            if i + 1 < stop:
                x1 = x + p
                for k in range(K):
                    z[k] = _dot(x, W + k * p, p) + b[k]
                    z1[k] = _dot(x1, W + k * p, p) + b[k]
                block_value += s[i * ss] * _softmax_row(z, K, <Py_ssize_t> y[i], g)
                block_value += s[(i + 1) * ss] * _softmax_row(
                    z1, K, <Py_ssize_t> y[i + 1], g1)
                for k in range(K):
                    gk = s[i * ss] * g[k]
                    gk1 = s[(i + 1) * ss] * g1[k]
                    part_b[k] += gk + gk1
                    pw = part_W + k * p
                    for j in range(p):
                        pw[j] += gk * x[j] + gk1 * x1[j]
                i += 2
            else:
                for k in range(K):
                    z[k] = _dot(x, W + k * p, p) + b[k]
                block_value += s[i * ss] * _softmax_row(z, K, <Py_ssize_t> y[i], g)
                for k in range(K):
                    gk = s[i * ss] * g[k]
                    part_b[k] += gk
                    pw = part_W + k * p
                    for j in range(p):
                        pw[j] += gk * x[j]
                i += 1
        _add(&value, &comp, block_value)
        for k in range(K):
            grad_b[k] += part_b[k]
        for j in range(K * p):
            grad_W[j] += part_W[j]
        start = stop
    return value + comp


def fused_rows_softmax(X, const double[::1] y, const double[:] s,
                       const double[:, ::1] W, const double[::1] b,
                       Py_ssize_t lo, Py_ssize_t hi, Py_ssize_t block=0):
    """:func:`fused_rows` for the multiclass log loss with integer labels.

    Parameters
    ----------
    X : ndarray of shape (n, p)
        C- or F-contiguous, float32 or float64.
    y : ndarray of shape (n,)
        Labels ``0..K-1`` as float64 (checked here).
    s : ndarray of shape (n,)
        Per-row weights, float64, of any stride (0: one for every row).
    W : ndarray of shape (K, p)
        Coefficients, C-contiguous float64.
    b : ndarray of shape (K,)
        Intercepts.
    lo, hi : int
        The rows to sweep.
    block : int, default=0
        Rows per block of an F-ordered X, as for :func:`fused_rows`.

    Returns
    -------
    value : float
    grad_W : ndarray of shape (K, p)
    grad_b : ndarray of shape (K,)
    """
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1], K = W.shape[0]
    if not (
        y.shape[0] == s.shape[0] == n and W.shape[1] == p and b.shape[0] == K
        and K >= 1 and 0 <= lo <= hi <= n
    ):
        raise ValueError(
            f"fused_rows_softmax: X of shape {X.shape}, y {y.shape[0]}, s "
            f"{s.shape[0]}, W ({K}, {W.shape[1]}), b {b.shape[0]} and rows "
            f"{lo}:{hi} do not match."
        )
    cdef bint by_columns = _f_ordered(X, "fused_rows_softmax")
    cdef Py_ssize_t ss = _weight_step(s, "fused_rows_softmax")
    labels = np.asarray(y[lo:hi])
    if hi > lo and not (
        labels.min() >= 0 and labels.max() < K and np.all(labels == np.floor(labels))
    ):
        raise ValueError(f"fused_rows_softmax: y must hold labels in 0..{K - 1}.")
    grad = np.zeros((K, p))
    grad_b = np.zeros(K)
    cdef double[:, ::1] gw = grad
    cdef double[::1] gb = grad_b
    cdef double value = 0.0
    cdef const float[:, ::1] x32
    cdef const double[:, ::1] x64
    cdef double* z
    if hi == lo:
        return 0.0, grad, grad_b
    if by_columns and p > 0:
        value = _sweep_f(X, K, &y[0], NULL, &s[0], ss, &W[0, 0], &b[0], lo, hi,
                         True, 0, 0.0, block, &gw[0, 0], &gb[0])
        return value, grad, grad_b
    z = <double*> malloc((5 * K + K * p) * sizeof(double))
    if z == NULL:
        raise MemoryError()
    try:
        if p == 0:
            with nogil:
                value = _rows_softmax(<const double*> NULL, 0, K, &y[0], &s[0], ss,
                                      <const double*> NULL, &b[0], lo, hi,
                                      <double*> NULL, &gb[0], z)
        elif X.dtype == np.float32:
            x32 = X
            with nogil:
                value = _rows_softmax(&x32[0, 0], p, K, &y[0], &s[0], ss, &W[0, 0],
                                      &b[0], lo, hi, &gw[0, 0], &gb[0], z)
        else:
            x64 = X
            with nogil:
                value = _rows_softmax(&x64[0, 0], p, K, &y[0], &s[0], ss, &W[0, 0],
                                      &b[0], lo, hi, &gw[0, 0], &gb[0], z)
    finally:
        free(z)
    return value, grad, grad_b


# ------------------------------------------------------------ CSR passes
# The sparse twins of fused_rows: one sweep over the stored entries of rows
# lo:hi of a CSR X (data, indices, indptr), read once per evaluation and
# once per Hessian-vector product (scipy's X @ w then X.T @ g reads them
# twice). The value is summed per SUM_BLOCK rows and the blocks with
# Neumaier's compensation, as in _rows_blocked. The gradient is added entry
# by entry into its total, in row order, as scipy's X.T @ g does: blocked
# sums (a buffer per block, moved into the total by a second walk over the
# block's indices) cost half again the sweep, and a sparse column's sum
# runs over its stored entries only (the generic path rounds the same way).
from libc.stdint cimport int32_t, int64_t

ctypedef fused csr_index:
    int32_t
    int64_t

# what a sweep computes per row, from z = x_i . w (+ b)
cdef enum:
    SWEEP_LOSS = 0   # the loss's derivative g_i (kernels of KINDS)
    SWEEP_HESSP = 1  # h_i z: the Hessian-vector product's row factor


cdef inline double _csr_dot(const floating* data, const csr_index* indices,
                            Py_ssize_t a, Py_ssize_t e, const double* w,
                            Py_ssize_t p, int* bad) noexcept nogil:
    # x_i . w in the order of the stored entries (scipy's csr_matvec order,
    # so the raw prediction is the generic path's to the last bit); an index
    # outside 0..p-1 sets bad and ends the sweep (w is never read out of it)
    cdef Py_ssize_t k, j
    cdef double z = 0.0
    for k in range(a, e):
        j = indices[k]
        if <size_t> j >= <size_t> p:
            bad[0] = 1
            return NAN
        z += data[k] * w[j]
    return z


cdef double _csr_sweep(int mode, int kind, double param,
                       const floating* data, const csr_index* indices,
                       const csr_index* indptr, Py_ssize_t nnz, Py_ssize_t p,
                       const double* y, const double* c, const double* s,
                       Py_ssize_t ss,
                       const double* w, double b, Py_ssize_t lo, Py_ssize_t hi,
                       double* grad_w, double* grad_b,
                       double* raw_out, double* hess_out,
                       int* bad) noexcept nogil:
    # SWEEP_LOSS: returns sum_i s_i loss_i, adds sum_i s_i g_i x_i to grad_w
    # and sum_i s_i g_i to grad_b; writes z_i to raw_out and s_i h_i to
    # hess_out (either may be NULL). SWEEP_HESSP: y holds the row factors
    # h_i; adds sum_i h_i z_i x_i and sum_i h_i z_i; returns 0.
    cdef Py_ssize_t start = lo, stop, i, k, j, a, e
    cdef double value = 0.0, comp = 0.0, block, part_b, z, g = 0.0, h = 0.0
    cdef double* hp = &h if hess_out != NULL else NULL
    while start < hi:
        stop = start + SUM_BLOCK if start + SUM_BLOCK < hi else hi
        block = 0.0
        part_b = 0.0
        for i in range(start, stop):
            a = indptr[i]
            e = indptr[i + 1]
            if a < 0 or a > e or e > nnz:
                bad[0] = 2
                return NAN
            z = _csr_dot(data, indices, a, e, w, p, bad) + b
            if bad[0]:
                return NAN
            if mode == SWEEP_HESSP:
                g = y[i] * z
            else:
                block += s[i * ss] * _per_sample(kind, param, y[i], z,
                                            c[i] if c != NULL else 0.0, &g,
                                            hp)
                g *= s[i * ss]
                if raw_out != NULL:
                    raw_out[i] = z
                if hess_out != NULL:
                    hess_out[i] = s[i * ss] * h
            part_b += g
            for k in range(a, e):
                grad_w[indices[k]] += g * data[k]
        _add(&value, &comp, block)
        grad_b[0] += part_b
        start = stop
    return value + comp


def _csr_typed(int mode, int kind, double param, const floating[::1] data,
               const csr_index[::1] indices, const csr_index[::1] indptr,
               const double[::1] y, c, s, const double[::1] w, double b,
               Py_ssize_t lo, Py_ssize_t hi, raw_out, hess_out,
               double[::1] grad_w):
    # the fused-type dispatch (dtype of data x dtype of indices) of the
    # public functions below; arrays checked by them
    cdef Py_ssize_t nnz = data.shape[0], p = w.shape[0]
    cdef const double[::1] cv
    cdef const double[:] sv
    cdef Py_ssize_t ss = 0
    cdef double[::1] rv, hv
    cdef const double* cp = NULL
    cdef const double* sp = NULL
    cdef double* rp = NULL
    cdef double* hp = NULL
    cdef double value, grad_b = 0.0
    cdef double no_column = 0.0
    cdef int bad = 0
    if c is not None:
        cv = c
        cp = &cv[0]
    if s is not None:
        sv = s
        sp = &sv[0]
        ss = _weight_step(sv, "csr")
    if raw_out is not None:
        rv = raw_out
        rp = &rv[0]
    if hess_out is not None:
        hv = hess_out
        hp = &hv[0]
    with nogil:
        value = _csr_sweep(mode, kind, param, &data[0] if nnz else NULL,
                           &indices[0] if nnz else NULL, &indptr[0], nnz, p,
                           &y[0], cp, sp, ss, &w[0] if p else NULL, b, lo, hi,
                           &grad_w[0] if p else &no_column, &grad_b, rp, hp,
                           &bad)
    if bad:
        raise ValueError(
            "csr: indptr must increase from 0 to len(indices) and indices be "
            f"column numbers in 0..{p - 1}; found otherwise in rows {lo}:{hi}."
        )
    return value, grad_b


def _csr_arrays(name, data, indices, indptr, Py_ssize_t n, Py_ssize_t lo,
                Py_ssize_t hi, arrays):
    # the checks shared by the CSR functions (shapes, dtypes, row range)
    if data.dtype not in (np.float32, np.float64) or indices.dtype not in (
        np.int32, np.int64
    ) or indptr.dtype != indices.dtype:
        raise ValueError(
            f"{name}: data must be float32 or float64 and indices, indptr both "
            f"int32 or int64; got {data.dtype}, {indices.dtype}, {indptr.dtype}."
        )
    if not (
        indptr.shape[0] == n + 1 and data.shape[0] == indices.shape[0]
        and 0 <= lo <= hi <= n
        and all(a is None or a.shape[0] == n for a in arrays)
    ):
        raise ValueError(
            f"{name}: indptr of length {indptr.shape[0]} (n + 1), data "
            f"{data.shape[0]}, indices {indices.shape[0]}, rows {lo}:{hi} and "
            f"the per-row arrays {[None if a is None else a.shape[0] for a in arrays]} "
            "do not match."
        )


def csr_fused_rows(int kind, double param, data, indices, indptr,
                   const double[::1] y, const double[:] s,
                   const double[::1] w, double b, Py_ssize_t lo, Py_ssize_t hi,
                   raw_out=None, hess_out=None, cache=None):
    """:func:`fused_rows` over rows ``lo:hi`` of a CSR X, GIL released.

    Parameters
    ----------
    kind, param : int, float
        The loss, as for :func:`elementwise`.
    data, indices, indptr : ndarray
        The CSR arrays of X (n rows, ``len(w)`` columns): data float32 or
        float64, indices and indptr both int32 or both int64, contiguous.
        Indices may be unsorted or repeated (summed, as scipy's products).
    y, s : ndarray of shape (n,)
        Targets and per-row weights, float64; the weights of any stride
        (0: one number for every row, as ``np.broadcast_to`` gives it).
    w : ndarray of shape (p,)
        Coefficients, float64.
    b : float
        Intercept.
    lo, hi : int
        The rows to sweep, ``0 <= lo <= hi <= n``.
    raw_out, hess_out : ndarray of shape (n,), default=None
        float64 arrays that receive, at rows ``lo:hi``, the raw prediction
        ``x_i . w + b`` and the weighted second derivative ``s_i h_i``.
    cache : ndarray of shape (n,), default=None
        For the kinds of ``NEEDS_LOG_Y``: ``log y`` (0 where y = 0), float64.

    Returns
    -------
    value : float
        ``sum_i s_i loss(y_i, x_i . w + b)``, summed per block of rows with
        a compensated sum of the blocks.
    grad_w : ndarray of shape (p,)
        ``sum_i s_i g_i x_i``, float64.
    grad_b : float
        ``sum_i s_i g_i``.
    """
    cdef Py_ssize_t n = y.shape[0]
    _csr_arrays("csr_fused_rows", data, indices, indptr, n, lo, hi,
                [np.asarray(s), raw_out, hess_out, cache])
    if (cache is None) != (kind not in NEEDS_LOG_Y):
        raise ValueError(f"csr_fused_rows: kind {kind} and its cache do not match.")
    grad = np.zeros(w.shape[0])
    if lo == hi:
        return 0.0, grad, 0.0
    value, grad_b = _csr_typed(SWEEP_LOSS, kind, param, data, indices, indptr,
                               y, cache, s, w, b, lo, hi, raw_out, hess_out,
                               grad)
    return value, grad, grad_b


def csr_hessp(data, indices, indptr, const double[::1] h, const double[::1] v,
              double vb, Py_ssize_t lo, Py_ssize_t hi):
    """``X^T diag(h) (X v + vb)`` over rows ``lo:hi`` of a CSR X, one read.

    Parameters
    ----------
    data, indices, indptr : ndarray
        The CSR arrays of X, as for :func:`csr_fused_rows`.
    h : ndarray of shape (n,)
        The rows' factors, float64: the weighted second derivatives
        ``s_i h_i`` (the ``hess_out`` of :func:`csr_fused_rows`).
    v : ndarray of shape (p,)
        The direction's coefficients, float64.
    vb : float
        The direction's intercept.
    lo, hi : int
        The rows to sweep.

    Returns
    -------
    out : ndarray of shape (p,)
        ``sum_i h_i (x_i . v + vb) x_i``, float64.
    out_b : float
        ``sum_i h_i (x_i . v + vb)``.
    """
    cdef Py_ssize_t n = h.shape[0]
    _csr_arrays("csr_hessp", data, indices, indptr, n, lo, hi, [])
    out = np.zeros(v.shape[0])
    if lo == hi:
        return out, 0.0
    _, out_b = _csr_typed(SWEEP_HESSP, 0, 0.0, data, indices, indptr, h, None,
                          None, v, vb, lo, hi, None, None, out)
    return out, out_b


cdef int _csr_columns(const floating* data, const csr_index* indices,
                      const csr_index* indptr, Py_ssize_t nnz, Py_ssize_t p,
                      Py_ssize_t m, Py_ssize_t step, const double* s,
                      Py_ssize_t ss,
                      const double* col, double* first,
                      double* second) noexcept nogil:
    # rows 0, step, ..., (m - 1) step: with s, first[j] += s_k x / col_j and
    # second[j] += s_k (x / col_j)^2 (col may be NULL: 1); without s,
    # first[j] = max(first[j], |x|). Returns 1 on an index out of range.
    cdef Py_ssize_t k, t, j, a, e
    cdef double x, sk
    for k in range(m):
        a = indptr[k * step]
        e = indptr[k * step + 1]
        if a < 0 or a > e or e > nnz:
            return 1
        sk = s[k * ss] if s != NULL else 0.0
        for t in range(a, e):
            j = indices[t]
            if <size_t> j >= <size_t> p:
                return 1
            x = data[t]
            if s == NULL:
                x = fabs(x)
                if x > first[j]:
                    first[j] = x
                continue
            if col != NULL:
                x = x / col[j]
            first[j] += sk * x
            second[j] += sk * x * x
    return 0


def _csr_columns_typed(const floating[::1] data, const csr_index[::1] indices,
                       const csr_index[::1] indptr, Py_ssize_t m,
                       Py_ssize_t step, s, col, double[::1] first,
                       double[::1] second):
    cdef Py_ssize_t nnz = data.shape[0], p = first.shape[0]
    cdef const double[::1] cv
    cdef const double[:] sv
    cdef Py_ssize_t ss = 0
    cdef const double* sp = NULL
    cdef const double* cp = NULL
    cdef int bad
    if s is not None:
        sv = s
        sp = &sv[0]
        ss = _weight_step(sv, "csr_column_moments")
    if col is not None:
        cv = col
        cp = &cv[0]
    with nogil:
        bad = _csr_columns(&data[0] if nnz else NULL,
                           &indices[0] if nnz else NULL, &indptr[0], nnz, p, m,
                           step, sp, ss, cp, &first[0] if p else NULL,
                           &second[0] if p else NULL)
    if bad:
        raise ValueError(
            "csr: indptr must increase from 0 to len(indices) and indices be "
            f"column numbers in 0..{p - 1}; found otherwise."
        )


def csr_column_moments(data, indices, indptr, Py_ssize_t p, s=None, col=None,
                       Py_ssize_t step=1):
    """Column sums of the rows ``0, step, 2 step, ...`` of a CSR X, one read.

    Parameters
    ----------
    data, indices, indptr : ndarray
        The CSR arrays of X, as for :func:`csr_fused_rows`.
    p : int
        X's number of columns.
    s : ndarray of shape (m,), default=None
        float64 weights of the rows read (any stride), ``m = ceil(n / step)``; None
        returns the columns' largest absolute values instead.
    col : ndarray of shape (p,), default=None
        float64 divisors of the columns (None: 1): ``(x / col)^2`` stays
        finite where ``x^2`` overflows.
    step : int, default=1
        Read every ``step``-th row (no copy of the rows).

    Returns
    -------
    ndarray of shape (p,) or tuple of two
        Without ``s``: ``max_k |x_kj|`` (0 for a column with nothing
        stored). With ``s``: ``sum_k s_k x_kj / col_j`` and
        ``sum_k s_k (x_kj / col_j)^2``.
    """
    n = indptr.shape[0] - 1
    m = -(-n // step) if step >= 1 else -1
    _csr_arrays("csr_column_moments", data, indices, indptr, n, 0, n, [])
    if not (
        m >= 0 and (s is None or s.shape[0] == m) and (col is None or col.shape[0] == p)
    ):
        raise ValueError(
            f"csr_column_moments: step {step}, weights of length "
            f"{None if s is None else s.shape[0]} for {n} rows, divisors "
            f"{None if col is None else col.shape[0]} for {p} columns do not match."
        )
    first, second = np.zeros(p), np.zeros(p)
    if m:
        _csr_columns_typed(data, indices, indptr, m, step, s, col, first, second)
    return first if s is None else (first, second)
