# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False
"""PROTOTYPE (benchmarks only, not part of the package): compiled fused passes.

One evaluation of ``sum_i s_i loss(y_i, x_i . w + b)`` and its gradient
``(sum_i s_i g_i x_i, sum_i s_i g_i)`` in a single sweep over the rows of
X: each row (C order) or each block of rows (F order) is multiplied, its
loss and derivative taken and its share of the gradient added while it is
in cache. A float32 X is read as float32; every product and sum is in
float64. ``fused_rows`` releases the GIL: a caller runs one per thread on
disjoint row ranges (threads from the caller's pool, no OpenMP) and adds
the partial sums in a fixed order.

The per-sample formulas are twins of ``LogLoss`` (binary) and ``Huber`` in
``sklloss.losses``, written here for the measurement only;
``benchmarks/bench_kernels.py`` builds this file and checks it against
``LinearObjective`` before timing it. ``benchmarks/results/kernels.md``:
the figures and the decision.
"""

from libc.math cimport exp, fabs, log1p
from libc.stdlib cimport free, malloc

import numpy as np

from cython cimport floating

# loss kinds; a kind's parameter (huber's delta) travels as one double
cdef enum:
    LOG_LOSS = 0
    HUBER = 1
    # rows per block of the F-order kernel: the block's columns stay in
    # cache between the product and the gradient sweep
    F_BLOCK = 2048
    # narrowest row swept alone by the C-order kernel
    WIDE = 64


cdef inline double _loss_grad(int kind, double param, double y, double z,
                              double* grad) noexcept nogil:
    """Per-sample loss at raw prediction z; its derivative into grad."""
    cdef double t, inv, r, a, q, up, down
    if kind == LOG_LOSS:
        # as LogLoss.loss_gradient: t = e^{-|z|} in (0, 1] never overflows.
        # Branch-free on the sign of z (random signs mispredict half the
        # rows): sigma(z) - y = ((1 - y) up - y down) / (1 + t) with
        # (up, down) = (1, t) for z >= 0 and (t, 1) below.
        t = exp(-fabs(z))
        inv = 1.0 / (1.0 + t)
        up = 1.0 if z >= 0 else t
        down = t if z >= 0 else 1.0
        grad[0] = ((1.0 - y) * up - y * down) * inv
        return log1p(t) + ((z if z > 0 else 0.0) - y * z)
    # HUBER, as Huber.loss / Huber.gradient with delta = param
    r = z - y
    a = fabs(r)
    q = a if a < param else param
    grad[0] = r if a <= param else (param if r > 0 else -param)
    return q * (a - 0.5 * q)


cdef inline double _dot(const floating* x, const double* w,
                        Py_ssize_t p) noexcept nogil:
    # four partial sums: the compiler vectorises without -ffast-math
    cdef Py_ssize_t j = 0
    cdef double z0 = 0.0, z1 = 0.0, z2 = 0.0, z3 = 0.0
    while j + 4 <= p:
        z0 += x[j] * w[j]
        z1 += x[j + 1] * w[j + 1]
        z2 += x[j + 2] * w[j + 2]
        z3 += x[j + 3] * w[j + 3]
        j += 4
    while j < p:
        z0 += x[j] * w[j]
        j += 1
    return (z0 + z1) + (z2 + z3)


# Raw pointers, not memoryviews, inside the sweeps: a memoryview handed to a
# function per row is a struct copy and an atomic reference count each time.
cdef double _rows_c(const floating* X, Py_ssize_t p, const double* y,
                    const double* s, const double* w, double b,
                    Py_ssize_t lo, Py_ssize_t hi, int kind, double param,
                    double* grad_w, double* grad_b) noexcept nogil:
    # Few columns (p < WIDE): four rows at a time, so that w and grad_w are
    # loaded and stored once per four rows and the four dot products are
    # independent chains (a single short row's chain, not the memory, is
    # the bottleneck). Wide rows: one row at a time, four partial sums.
    cdef Py_ssize_t i = lo, j
    cdef const floating* x0
    cdef const floating* x1
    cdef const floating* x2
    cdef const floating* x3
    cdef double z0, z1, z2, z3, g0, g1, g2, g3, wj, value = 0.0, gb = 0.0
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
        value += s[i] * _loss_grad(kind, param, y[i], z0, &g0)
        value += s[i + 1] * _loss_grad(kind, param, y[i + 1], z1, &g1)
        value += s[i + 2] * _loss_grad(kind, param, y[i + 2], z2, &g2)
        value += s[i + 3] * _loss_grad(kind, param, y[i + 3], z3, &g3)
        g0 *= s[i]
        g1 *= s[i + 1]
        g2 *= s[i + 2]
        g3 *= s[i + 3]
        gb += (g0 + g1) + (g2 + g3)
        for j in range(p):
            grad_w[j] += (g0 * x0[j] + g1 * x1[j]) + (g2 * x2[j] + g3 * x3[j])
        i += 4
    while i < hi:
        x0 = X + i * p
        value += s[i] * _loss_grad(kind, param, y[i], _dot(x0, w, p) + b, &g0)
        g0 *= s[i]
        gb += g0
        for j in range(p):
            grad_w[j] += g0 * x0[j]
        i += 1
    grad_b[0] = gb
    return value


cdef double _rows_f(const floating* X, Py_ssize_t n, Py_ssize_t p,
                    const double* y, const double* s, const double* w,
                    double b, Py_ssize_t lo, Py_ssize_t hi, int kind,
                    double param, double* grad_w, double* grad_b,
                    double* z) noexcept nogil:
    # column sweeps over blocks of rows: each column piece is contiguous
    cdef Py_ssize_t i, j, m, stop, start = lo
    cdef const floating* x
    cdef double g, acc, wj, value = 0.0, gb = 0.0
    while start < hi:
        stop = min(start + F_BLOCK, hi)
        m = stop - start
        for i in range(m):
            z[i] = b
        for j in range(p):
            x = X + j * n + start
            wj = w[j]
            for i in range(m):
                z[i] += x[i] * wj
        for i in range(m):
            value += s[start + i] * _loss_grad(
                kind, param, y[start + i], z[i], &g
            )
            z[i] = s[start + i] * g  # z now holds s_i g_i
            gb += z[i]
        for j in range(p):
            x = X + j * n + start
            acc = 0.0
            for i in range(m):
                acc += x[i] * z[i]
            grad_w[j] += acc
        start = stop
    grad_b[0] = gb
    return value


def _check_range(X, y, s, w, lo, hi):
    n, p = X.shape
    if not (y.shape[0] == s.shape[0] == n and w.shape[0] == p and 0 <= lo <= hi <= n):
        raise ValueError(
            f"fused_rows: X of shape {X.shape}, y {y.shape}, s {s.shape}, "
            f"w {w.shape} and rows {lo}:{hi} do not match."
        )


def fused_rows(X, const double[::1] y, const double[::1] s,
               const double[::1] w, double b, Py_ssize_t lo, Py_ssize_t hi,
               int kind, double param):
    """Loss and gradient sums over rows ``lo:hi`` of a dense X, GIL released.

    Returns ``(value, grad_w, grad_b)``: ``sum_i s_i loss_i`` (float),
    ``sum_i s_i g_i x_i`` (float64 array of shape (p,)) and
    ``sum_i s_i g_i`` (float), with ``g_i`` the derivative at
    ``x_i . w + b``. X is float32 or float64, C- or F-contiguous.
    """
    _check_range(X, y, s, w, lo, hi)
    grad = np.zeros(X.shape[1])
    cdef double[::1] gw = grad
    cdef double value = 0.0, grad_b = 0.0
    cdef Py_ssize_t n = X.shape[0], p = X.shape[1]
    cdef const float[:, ::1] c32
    cdef const double[:, ::1] c64
    cdef const float[::1, :] f32
    cdef const double[::1, :] f64
    cdef double* z = NULL
    if n == 0 or p == 0 or lo == hi:
        return _empty_rows(X, y, s, w, b, lo, hi, kind, param, grad)
    if X.flags.c_contiguous:
        if X.dtype == np.float32:
            c32 = X
            with nogil:
                value = _rows_c(&c32[0, 0], p, &y[0], &s[0], &w[0], b, lo, hi,
                                kind, param, &gw[0], &grad_b)
        else:
            c64 = X
            with nogil:
                value = _rows_c(&c64[0, 0], p, &y[0], &s[0], &w[0], b, lo, hi,
                                kind, param, &gw[0], &grad_b)
        return value, grad, grad_b
    z = <double*> malloc(F_BLOCK * sizeof(double))
    if z == NULL:
        raise MemoryError()
    try:
        if X.dtype == np.float32:
            f32 = X
            with nogil:
                value = _rows_f(&f32[0, 0], n, p, &y[0], &s[0], &w[0], b, lo,
                                hi, kind, param, &gw[0], &grad_b, z)
        else:
            f64 = X
            with nogil:
                value = _rows_f(&f64[0, 0], n, p, &y[0], &s[0], &w[0], b, lo,
                                hi, kind, param, &gw[0], &grad_b, z)
    finally:
        free(z)
    return value, grad, grad_b


def _empty_rows(X, y, s, w, b, lo, hi, kind, param, grad):
    # no row or no column: sums over the rows without touching X
    value, grad_b = 0.0, 0.0
    cdef double g
    for i in range(lo, hi):
        value += s[i] * _loss_grad(kind, param, y[i], b, &g)
        grad_b += s[i] * g
    return value, grad, grad_b


def kernel_kind(loss):
    """``(kind, param)`` of the compiled kernel for ``loss``, or None.

    By exact type: a subclass may redefine the formula. Binary log loss
    only (1-D raw prediction; the caller checks).
    """
    from sklloss.losses import Huber, LogLoss

    if type(loss) is LogLoss:
        return LOG_LOSS, 0.0
    if type(loss) is Huber:
        return HUBER, float(loss.delta)
    return None
