# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, embedsignature=False
"""Per-row kernels of the exact solver's interior point (``_exact.py``).

A group of ``m`` rows shares the pieces ``(a_k, c_k)``, ``k < K``, and keeps
its slacks ``s`` and duals ``z`` as piece-major float64 arrays of shape
``(K, m)``. Every quantity of a Newton step is a function of one row's
``K`` slacks, duals and complementarity residuals ``r_c`` (``s * z`` when
``r_c`` is None): with ``W_k = z_k / s_k``, ``Rk_k = r_c_k / s_k``,

* ``P0 = sum_k W_k``, ``P1 = sum_k a_k W_k``, ``R0 = -sum_k Rk_k``,
  ``R1 = -sum_k a_k Rk_k``, ``r_t = cost - sum_k z_k``;
* the reduced system's row weight ``q = sum_{k<j} (a_k - a_j)^2 W_k W_j / P0``
  (a sum of non-negative terms: ``P2 - P1^2 / P0`` cancels);
* its right-hand side ``v = R1 - P1 (R0 - r_t) / P0``;
* for a step ``dl`` of the row's linear form: ``dt = (P1 dl + R0 - r_t) / P0``,
  ``ds_k = dt - a_k dl``, ``dz_k = -(z_k ds_k + r_c_k) / s_k``.

NumPy computed each of these as its own pass over ``(K, m)`` arrays (a
dozen per step); here each row's ``K`` values are read once while they
are in registers. Rows ``lo:hi`` only, so that the caller can work in
blocks of rows. ``cost`` is one number per row, or of length 1 (shared).
"""

from libc.math cimport fabs, INFINITY
from libc.stdlib cimport free, malloc

import numpy as np


cdef inline Py_ssize_t _step(const double[::1] cost) noexcept:
    """Stride of the per-row costs: 0 for one shared cost.

    The kernels read ``cost`` through a pointer: a memoryview passed to a
    helper per row would count references at every call.
    """
    return 0 if cost.shape[0] == 1 else 1


def reduced_rows(const double[::1] a, const double[:, ::1] s,
                 const double[:, ::1] z, const double[:, ::1] r_c,
                 const double[::1] cost, double[::1] v, double[::1] q,
                 Py_ssize_t lo, Py_ssize_t hi):
    """Right-hand side ``v`` (and row weights ``q``) of rows ``lo:hi``.

    Parameters
    ----------
    a : ndarray of shape (K,)
        Slopes of the pieces.
    s, z : ndarray of shape (K, m)
        Slacks and duals, positive.
    r_c : ndarray of shape (K, m) or None
        Complementarity residuals; None means ``s * z``.
    cost : ndarray of shape (m,) or (1,)
        Per-row costs (one shared cost when of length 1).
    v : ndarray of shape (m,)
        Output: ``R1 - P1 (R0 - r_t) / P0`` at rows ``lo:hi``.
    q : ndarray of shape (m,) or None
        Output when given: ``sum_{k<j} (a_k - a_j)^2 W_k W_j / P0``.
    lo, hi : int
        Rows to compute.
    """
    cdef Py_ssize_t K = a.shape[0], i, k, j
    cdef double P0, P1, R0, R1, zs, W, Rk, acc, inv
    cdef bint has_rc = r_c is not None, has_q = q is not None
    cdef double* Wb = <double*> malloc(K * sizeof(double))
    if Wb == NULL:
        raise MemoryError()
    cdef const double* cp = &cost[0]
    cdef Py_ssize_t cs = _step(cost)
    with nogil:
        for i in range(lo, hi):
            P0 = 0.0
            P1 = 0.0
            R0 = 0.0
            R1 = 0.0
            zs = 0.0
            for k in range(K):
                inv = 1.0 / s[k, i]
                W = z[k, i] * inv
                Wb[k] = W
                P0 += W
                P1 += a[k] * W
                Rk = r_c[k, i] * inv if has_rc else z[k, i]
                R0 -= Rk
                R1 -= a[k] * Rk
                zs += z[k, i]
            v[i] = R1 - P1 * (R0 - (cp[i * cs] - zs)) / P0
            if has_q:
                acc = 0.0
                for k in range(K):
                    for j in range(k + 1, K):
                        acc += (a[k] - a[j]) * (a[k] - a[j]) * (Wb[k] * Wb[j])
                q[i] = acc / P0
    free(Wb)


def step_rows(const double[::1] a, const double[:, ::1] s,
              const double[:, ::1] z, const double[:, ::1] r_c,
              const double[::1] cost, const double[::1] dl,
              double[:, ::1] ds, double[:, ::1] dz, Py_ssize_t lo):
    """Directions ``ds``, ``dz`` of rows ``lo:lo + len(dl)``; the ratio tests.

    ``dz`` may be the buffer of ``r_c`` (each entry is read before it is
    written).

    Parameters
    ----------
    a : ndarray of shape (K,)
        Slopes of the pieces.
    s, z : ndarray of shape (K, m)
        Slacks and duals, positive.
    r_c : ndarray of shape (K, m) or None
        Complementarity residuals; None means ``s * z``.
    cost : ndarray of shape (m,) or (1,)
        Per-row costs.
    dl : ndarray of shape (hi - lo,)
        Step of the rows' linear forms.
    ds, dz : ndarray of shape (K, m)
        Outputs at rows ``lo:hi``.
    lo : int
        First row.

    Returns
    -------
    worst_s, worst_z : float
        ``max(-ds / s)`` and ``max(-dz / z)`` over these rows (``-inf`` when
        there are none): the largest steps keeping ``s, z >= 0`` are their
        inverses when positive.
    """
    cdef Py_ssize_t K = a.shape[0], n = dl.shape[0], i, r, k
    cdef double P0, P1, R0, zs, W, Rk, dt, d, rc, dsk, dzk, inv, t
    cdef double worst_s = -INFINITY, worst_z = -INFINITY
    cdef bint has_rc = r_c is not None
    cdef const double* cp = &cost[0]
    cdef Py_ssize_t cs = _step(cost)
    # 1 / s of the row's K slacks, computed once (divisions dominate)
    cdef double* inv_s = <double*> malloc(K * sizeof(double))
    if inv_s == NULL:
        raise MemoryError()
    with nogil:
        for r in range(n):
            i = lo + r
            P0 = 0.0
            P1 = 0.0
            R0 = 0.0
            zs = 0.0
            for k in range(K):
                inv = 1.0 / s[k, i]
                inv_s[k] = inv
                W = z[k, i] * inv
                P0 += W
                P1 += a[k] * W
                Rk = r_c[k, i] * inv if has_rc else z[k, i]
                R0 -= Rk
                zs += z[k, i]
            d = dl[r]
            dt = (P1 * d + R0 - (cp[i * cs] - zs)) / P0
            for k in range(K):
                inv = inv_s[k]
                dsk = dt - a[k] * d
                rc = r_c[k, i] if has_rc else s[k, i] * z[k, i]
                dzk = -(z[k, i] * dsk + rc) * inv
                ds[k, i] = dsk
                dz[k, i] = dzk
                # plain comparisons: libm's fmax is a call per entry
                t = -dsk * inv
                if t > worst_s:
                    worst_s = t
                t = -dzk / z[k, i]
                if t > worst_z:
                    worst_z = t
    free(inv_s)
    return worst_s, worst_z


def affine_rows(const double[:, ::1] s, const double[:, ::1] z, double[:, ::1] ds,
                const double[:, ::1] dz, double ap, double ad):
    """``sum (s + ap ds)(z + ad dz)``, then ``ds`` becomes ``s z + ds dz``.

    Mehrotra's predictor: the complementarity after the affine step, and the
    corrector's residual (its second-order term) in the predictor's buffer.

    Parameters
    ----------
    s, z : ndarray of shape (K, m)
        Slacks and duals.
    ds : ndarray of shape (K, m)
        Predictor's slack direction; overwritten with ``s * z + ds * dz``.
    dz : ndarray of shape (K, m)
        Predictor's dual direction.
    ap, ad : float
        Primal and dual step lengths.

    Returns
    -------
    float
        ``sum_k,m (s + ap ds)(z + ad dz)``.
    """
    cdef Py_ssize_t K = s.shape[0], m = s.shape[1], k, i
    cdef double total = 0.0, part
    with nogil:
        for k in range(K):
            part = 0.0
            for i in range(m):
                part += (s[k, i] + ap * ds[k, i]) * (z[k, i] + ad * dz[k, i])
                ds[k, i] = s[k, i] * z[k, i] + ds[k, i] * dz[k, i]
            total += part
    return total


def measure_rows(const double[::1] a, const double[::1] c, const double[:, ::1] s,
                 const double[:, ::1] z, const double[::1] cost,
                 const double[::1] ell, double[::1] az):
    """Per-group sums of an iterate; ``az = a @ z`` (the dual residual's rows).

    Parameters
    ----------
    a, c : ndarray of shape (K,)
        Slopes and offsets of the pieces.
    s, z : ndarray of shape (K, m)
        Slacks and duals.
    cost : ndarray of shape (m,) or (1,)
        Per-row costs.
    ell : ndarray of shape (m,)
        The rows' linear forms ``l``.
    az : ndarray of shape (m,)
        Output: ``sum_k a_k z_k`` per row.

    Returns
    -------
    sz : float
        ``sum s * z``.
    r_t_max : float
        ``max |cost - sum_k z_k|``.
    zk : ndarray of shape (K,)
        ``sum_m z_km`` per piece.
    value : float
        ``sum_m cost_m max_k (a_k l_m + c_k)``, the group's primal term.
    """
    cdef Py_ssize_t K = s.shape[0], m = s.shape[1], k, i
    cdef double sz = 0.0, r_t_max = 0.0, value = 0.0, zs, acc, r, top, t
    zk_arr = np.zeros(K)
    cdef double[::1] zk = zk_arr
    cdef const double* cp = &cost[0]
    cdef Py_ssize_t cs = _step(cost)
    with nogil:
        for i in range(m):
            zs = 0.0
            acc = 0.0
            for k in range(K):
                sz += s[k, i] * z[k, i]
                zs += z[k, i]
                acc += a[k] * z[k, i]
                zk[k] += z[k, i]
            az[i] = acc
            r = fabs(cp[i * cs] - zs)
            if r > r_t_max:
                r_t_max = r
            top = a[0] * ell[i] + c[0]
            for k in range(1, K):
                t = a[k] * ell[i] + c[k]
                if t > top:
                    top = t
            value += cp[i * cs] * top
    return sz, r_t_max, zk_arr, value


def pieces_sum(const double[::1] a, const double[::1] c, const double[::1] u,
               const double[::1] cost, Py_ssize_t lo):
    """``sum_i cost_{lo+i} max_k (a_k u_i + c_k)``: a block's share of the loss.

    Parameters
    ----------
    a, c : ndarray of shape (K,)
        Slopes and offsets of the pieces.
    u : ndarray of shape (b,)
        The linear forms of rows ``lo:lo + b``.
    cost : ndarray of shape (m,) or (1,)
        Per-row costs.
    lo : int
        Row of ``u[0]``.

    Returns
    -------
    float
        The cost-weighted sum of the piecewise-linear function.
    """
    cdef Py_ssize_t K = a.shape[0], n = u.shape[0], i, k
    cdef double total = 0.0, top, t
    cdef const double* cp = &cost[0]
    cdef Py_ssize_t cs = _step(cost)
    with nogil:
        for i in range(n):
            top = a[0] * u[i] + c[0]
            for k in range(1, K):
                t = a[k] * u[i] + c[k]
                if t > top:
                    top = t
            total += cp[(lo + i) * cs] * top
    return total
