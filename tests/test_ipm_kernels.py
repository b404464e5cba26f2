"""The interior point's per-row kernels (sklloss._ipm_kernels).

The directions are checked against the equations of the Newton step they
solve (not against a second copy of their formulas), the sums against
NumPy written per piece.
"""

import numpy as np
import pytest

from sklloss import _ipm_kernels as kern

PIECES = {
    "one piece": np.array([0.5]),
    "quantile 0.75": np.array([-0.25, 0.75]),
    "eps-insensitive": np.array([-1.0, 0.0, 1.0]),
}


def _iterate(K, m, seed):
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.01, 2.0, (K, m))
    z = rng.uniform(0.01, 2.0, (K, m))
    r_c = rng.standard_normal((K, m))
    return s, z, r_c


def _costs(m, shared, seed):
    if shared:
        return np.array([1.7])
    return np.random.default_rng(seed).uniform(0.1, 3.0, m)


def _per_row(cost, m):
    return np.broadcast_to(cost, (m,)) if len(cost) == 1 else cost


@pytest.mark.parametrize("pieces", list(PIECES), ids=list(PIECES))
@pytest.mark.parametrize("shared", [True, False], ids=["shared cost", "row costs"])
@pytest.mark.parametrize("given_rc", [False, True], ids=["r_c = s z", "r_c given"])
def test_step_rows_solve_the_newton_equations(pieces, shared, given_rc):
    """ds, dz: primal ds_k = dt - a_k dl, z ds + s dz = -r_c, sum dz = r_t,
    and sum_k a_k dz_k = q dl + v with q, v of reduced_rows."""
    a = PIECES[pieces]
    K, m, lo, hi = len(a), 300, 40, 260
    s, z, r_c = _iterate(K, m, 0)
    cost = _costs(m, shared, 1)
    dl = np.random.default_rng(2).standard_normal(hi - lo)
    ds, dz = np.full((K, m), np.nan), np.full((K, m), np.nan)
    rc_arg = r_c if given_rc else None
    worst_s, worst_z = kern.step_rows(a, s, z, rc_arg, cost, dl, ds, dz, lo)
    rows = slice(lo, hi)
    rc = r_c[:, rows] if given_rc else s[:, rows] * z[:, rows]
    # the rows outside lo:hi are untouched
    assert np.all(np.isnan(ds[:, :lo])) and np.all(np.isnan(dz[:, hi:]))
    ds, dz = ds[:, rows], dz[:, rows]
    dt = ds[0] + a[0] * dl
    for k in range(K):
        np.testing.assert_allclose(ds[k], dt - a[k] * dl, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        z[:, rows] * ds + s[:, rows] * dz, -rc, rtol=1e-10, atol=1e-10
    )
    r_t = _per_row(cost, m)[rows] - z[:, rows].sum(axis=0)
    np.testing.assert_allclose(dz.sum(axis=0), r_t, rtol=1e-10, atol=1e-10)
    v, q = np.full(m, np.nan), np.full(m, np.nan)
    kern.reduced_rows(a, s, z, rc_arg, cost, v, q, lo, hi)
    np.testing.assert_allclose(
        (a[:, None] * dz).sum(axis=0), q[rows] * dl + v[rows], rtol=1e-9, atol=1e-9
    )
    assert np.all(np.isnan(v[:lo])) and np.all(np.isnan(q[hi:]))
    # the ratio tests
    assert worst_s == pytest.approx(np.max(-ds / s[:, rows]), rel=1e-12)
    assert worst_z == pytest.approx(np.max(-dz / z[:, rows]), rel=1e-12)


@pytest.mark.parametrize("pieces", list(PIECES), ids=list(PIECES))
def test_reduced_rows_weight_is_the_schur_complement(pieces):
    """q = sum_k a_k^2 W_k - (sum_k a_k W_k)^2 / sum_k W_k, W = z / s."""
    a = PIECES[pieces]
    K, m = len(a), 200
    s, z, _ = _iterate(K, m, 3)
    v, q = np.empty(m), np.empty(m)
    kern.reduced_rows(a, s, z, None, np.ones(1), v, q, 0, m)
    W = z / s
    P0, P1, P2 = W.sum(axis=0), a @ W, (a**2) @ W
    np.testing.assert_allclose(q, P2 - P1**2 / P0, rtol=1e-9, atol=1e-12)
    assert np.all(q >= 0)


def test_step_rows_may_write_dz_over_r_c():
    a = PIECES["quantile 0.75"]
    s, z, r_c = _iterate(2, 100, 4)
    dl = np.linspace(-1.0, 1.0, 100)
    cost = np.ones(1)
    ds_ref, dz_ref = np.empty_like(s), np.empty_like(s)
    kern.step_rows(a, s, z, r_c.copy(), cost, dl, ds_ref, dz_ref, 0)
    ds, buf = np.empty_like(s), r_c.copy()
    kern.step_rows(a, s, z, buf, cost, dl, ds, buf, 0)
    np.testing.assert_array_equal(buf, dz_ref)
    np.testing.assert_array_equal(ds, ds_ref)


def test_affine_rows():
    s, z, ds = _iterate(3, 150, 5)
    dz = np.random.default_rng(6).standard_normal((3, 150))
    ap, ad = 0.3, 0.7
    expected_mu = sum(
        float(np.dot(s[k] + ap * ds[k], z[k] + ad * dz[k])) for k in range(3)
    )
    expected_rc = s * z + ds * dz
    buf = ds.copy()
    mu = kern.affine_rows(s, z, buf, dz, ap, ad)
    assert mu == pytest.approx(expected_mu, rel=1e-12)
    np.testing.assert_allclose(buf, expected_rc, rtol=1e-14)


@pytest.mark.parametrize("pieces", list(PIECES), ids=list(PIECES))
@pytest.mark.parametrize("shared", [True, False], ids=["shared cost", "row costs"])
def test_measure_rows_and_pieces_sum(pieces, shared):
    a = PIECES[pieces]
    K, m = len(a), 250
    c = np.linspace(-0.3, 0.4, K)
    s, z, _ = _iterate(K, m, 7)
    cost = _costs(m, shared, 8)
    ell = np.random.default_rng(9).standard_normal(m)
    az = np.empty(m)
    sz, r_t_max, zk, value = kern.measure_rows(a, c, s, z, cost, ell, az)
    full = _per_row(cost, m)
    top = np.max([a[k] * ell + c[k] for k in range(K)], axis=0)
    assert sz == pytest.approx(float(np.sum(s * z)), rel=1e-12)
    assert r_t_max == pytest.approx(float(np.max(np.abs(full - z.sum(axis=0)))))
    np.testing.assert_allclose(zk, z.sum(axis=1), rtol=1e-12)
    np.testing.assert_allclose(az, a @ z, rtol=1e-12, atol=1e-15)
    assert value == pytest.approx(float(full @ top), rel=1e-12)
    # a block of rows 100:180
    part = kern.pieces_sum(a, c, ell[100:180], cost, 100)
    assert part == pytest.approx(float(full[100:180] @ top[100:180]), rel=1e-12)
