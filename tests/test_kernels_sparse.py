"""The compiled sweeps over a CSR X (``csr_fused_rows``, ``csr_hessp``,
``csr_column_moments``).

Checked against scipy's products written here (``X @ w``, ``X.T @ g``,
``X.T @ (h * (X @ v))``) with per-sample formulas taken from scipy (not from
the kernels), and against the dense compiled pass on ``X.toarray()``: every
compiled loss, float32 / float64 data, int32 / int64 indices, unsorted
indices, empty rows, explicit zeros, with and without an intercept, at one
and two workers; X is left unchanged. The column statistics and newton-cg's
Jacobi diagonal equal the generic path's; a sparse fit takes the compiled
sweeps and ends where the generic path ends, and at LogisticRegression's
optimum on TF-IDF-like data; a CSC X keeps the generic path.
"""

import numpy as np
import pytest
from scipy import sparse
from scipy.special import expit, huber, log_expit, xlogy
from sklearn.linear_model import LogisticRegression

from sklloss import LossClassifier, LossRegressor
from sklloss._kernels import (
    KINDS,
    csr_column_moments,
    csr_fused_rows,
    csr_hessp,
    fused_rows,
)
from sklloss.linear_model import _objective
from sklloss.linear_model._newton_cg import hessian_diagonal
from sklloss.linear_model._objective import LinearObjective
from sklloss.losses import (
    Huber,
    LogLoss,
    Poisson,
    SmoothL1,
    SquaredError,
    SquaredHinge,
)

DELTA = 1.3


def _ref(name, y, z):
    """(loss, gradient, Hessian) per sample, from scipy's functions."""
    if name == "log_loss":
        p = expit(z)
        return -(y * log_expit(z) + (1 - y) * log_expit(-z)), p - y, p * (1 - p)
    if name == "huber":
        r = z - y
        return huber(DELTA, r), np.clip(r, -DELTA, DELTA), 1.0 * (abs(r) <= DELTA)
    if name == "smooth_l1":  # PyTorch's SmoothL1Loss: huber_beta / beta
        r = z - y
        g = np.clip(r, -DELTA, DELTA) / DELTA
        return huber(DELTA, r) / DELTA, g, (abs(r) <= DELTA) / DELTA
    if name == "squared_error":
        return (y - z) ** 2, 2 * (z - y), np.full_like(z, 2.0)
    if name == "squared_hinge":
        sign = 2 * y - 1
        gap = np.maximum(0, 1 - sign * z)
        return gap**2, -2 * gap * sign, 2.0 * (sign * z < 1)
    mu = np.exp(z)  # poisson's unit deviance
    return 2 * (xlogy(y, y) - y * z - y + mu), 2 * (mu - y), 2 * mu


LOSSES = {
    "log_loss": LogLoss(),
    "huber": Huber(delta=DELTA),
    "smooth_l1": SmoothL1(beta=DELTA),
    "squared_error": SquaredError(),
    "squared_hinge": SquaredHinge(),
    "poisson": Poisson(),
}


def _targets(name, n, rng):
    if name in ("log_loss", "squared_hinge"):
        return rng.integers(0, 2, n).astype(float)
    if name == "poisson":
        return rng.poisson(1.5, n).astype(float)
    return rng.standard_normal(n)


def _messy_csr(n, p, rng, dtype=np.float64, index=np.int32):
    """A CSR X with empty rows, explicit zeros and unsorted indices."""
    X = sparse.random(n, p, density=0.15, random_state=rng, format="csr")
    X = X.astype(dtype)
    X.data[rng.random(X.nnz) < 0.1] = 0.0  # stored zeros
    empty = rng.random(n) < 0.2  # rows with nothing stored
    X = sparse.diags(1.0 * ~empty) @ X
    X = sparse.csr_matrix(X, dtype=dtype)
    X.data[rng.random(X.nnz) < 0.05] = 0.0
    for i in range(n):  # reverse the stored order of every row
        a, b = X.indptr[i], X.indptr[i + 1]
        X.indices[a:b] = X.indices[a:b][::-1].copy()
        X.data[a:b] = X.data[a:b][::-1].copy()
    X.has_sorted_indices = False
    X.indices = X.indices.astype(index)
    X.indptr = X.indptr.astype(index)
    assert not np.all(np.diff(X.indptr) > 0) and np.any(X.data == 0)
    return X


def _cache(name, y):
    """The kernel's per-row ``log y`` (0 where y = 0) for poisson, else None."""
    return np.log(np.where(y > 0, y, 1.0)) if name == "poisson" else None


def _weights(layout, n, rng):
    """``(values, the array given)``: contiguous, or a view of another stride."""
    s = rng.uniform(0, 2, n) / n
    if layout == "equal":  # one number (stride 0), as the objective keeps it
        s = np.full(n, 1.0 / n)
        return s, np.broadcast_to(s[0], (n,))
    if layout == "every-other":
        out = np.zeros(2 * n)
        out[::2] = s
        return s, out[::2]
    return s, s


@pytest.mark.parametrize("layout", ["contiguous", "equal", "every-other"])
@pytest.mark.parametrize("intercept", [0.0, 0.4], ids=["no_intercept", "intercept"])
@pytest.mark.parametrize("index", [np.int32, np.int64], ids=["int32", "int64"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_csr_fused_rows_matches_the_scipy_products(
    name, dtype, index, intercept, layout
):
    rng = np.random.default_rng(0)
    n, p = 300, 40
    X = _messy_csr(n, p, rng, dtype, index)
    copies = [X.data.copy(), X.indices.copy(), X.indptr.copy()]
    y = _targets(name, n, rng)
    s, given = _weights(layout, n, rng)
    w = 0.5 * rng.standard_normal(p)
    raw_out, hess_out = np.full(n, np.nan), np.full(n, np.nan)
    kind = KINDS[name]
    param = DELTA if name in ("huber", "smooth_l1") else 0.0
    value, grad_w, grad_b = csr_fused_rows(
        kind, param, X.data, X.indices, X.indptr, y, given, w, intercept, 0, n,
        raw_out, hess_out, _cache(name, y),
    )  # fmt: skip
    X64 = X.astype(np.float64)
    z = X64 @ w + intercept
    loss, g, h = _ref(name, y, z)
    assert value == pytest.approx(s @ loss, rel=1e-13)
    np.testing.assert_allclose(grad_w, X64.T @ (s * g), rtol=1e-12, atol=1e-16)
    assert grad_b == pytest.approx(np.sum(s * g), rel=1e-12, abs=1e-16)
    np.testing.assert_allclose(raw_out, z, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(hess_out, s * h, rtol=1e-12, atol=1e-300)
    for before, after in zip(copies, [X.data, X.indices, X.indptr], strict=True):
        np.testing.assert_array_equal(before, after)  # X unchanged
        assert before.dtype == after.dtype


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_csr_fused_rows_matches_the_dense_kernel(name):
    rng = np.random.default_rng(1)
    n, p = 500, 30
    X = _messy_csr(n, p, rng)
    y = _targets(name, n, rng)
    s = rng.uniform(0, 1, n)
    w = 0.3 * rng.standard_normal(p)
    param = DELTA if name in ("huber", "smooth_l1") else 0.0
    args = (y, s, w, -0.2, 17, 433)
    c = _cache(name, y)
    sparse_ = csr_fused_rows(
        KINDS[name], param, X.data, X.indices, X.indptr, *args, cache=c
    )
    dense = fused_rows(KINDS[name], param, X.toarray(), *args, cache=c)
    assert sparse_[0] == pytest.approx(dense[0], rel=1e-13)
    np.testing.assert_allclose(sparse_[1], dense[1], rtol=1e-12, atol=1e-14)
    assert sparse_[2] == pytest.approx(dense[2], rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("vb", [0.0, 0.7], ids=["no_intercept", "intercept"])
@pytest.mark.parametrize("index", [np.int32, np.int64], ids=["int32", "int64"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_csr_hessp_matches_the_scipy_products(dtype, index, vb):
    rng = np.random.default_rng(2)
    n, p = 400, 25
    X = _messy_csr(n, p, rng, dtype, index)
    h = rng.uniform(0, 3, n)
    v = rng.standard_normal(p)
    out, out_b = csr_hessp(X.data, X.indices, X.indptr, h, v, vb, 0, n)
    X64 = X.astype(np.float64)
    u = h * (X64 @ v + vb)
    np.testing.assert_allclose(out, X64.T @ u, rtol=1e-12, atol=1e-14)
    assert out_b == pytest.approx(u.sum(), rel=1e-12)
    part = csr_hessp(X.data, X.indices, X.indptr, h, v, vb, 100, 250)
    np.testing.assert_allclose(part[0], X64[100:250].T @ u[100:250], rtol=1e-12)


def test_empty_x_and_empty_row_ranges():
    X = sparse.csr_matrix((0, 5))
    none = np.zeros(0)
    value, grad_w, grad_b = csr_fused_rows(
        KINDS["log_loss"], 0.0, X.data, X.indices, X.indptr, none, none,
        np.ones(5), 0.3, 0, 0,
    )  # fmt: skip
    assert (value, grad_b) == (0.0, 0.0)
    np.testing.assert_array_equal(grad_w, np.zeros(5))
    out, out_b = csr_hessp(X.data, X.indices, X.indptr, none, np.ones(5), 1.0, 0, 0)
    assert out_b == 0.0 and out.shape == (5,) and not out.any()
    # rows without stored entries: the loss at the intercept alone
    X = sparse.csr_matrix((4, 3))
    y = np.array([0.0, 1.0, 1.0, 0.0])
    s = np.full(4, 0.25)
    value, grad_w, grad_b = csr_fused_rows(
        KINDS["log_loss"], 0.0, X.data, X.indices, X.indptr, y, s, np.ones(3),
        0.5, 0, 4,
    )  # fmt: skip
    loss, g, _ = _ref("log_loss", y, np.full(4, 0.5))
    assert value == pytest.approx(s @ loss, rel=1e-15)
    assert grad_b == pytest.approx(s @ g, rel=1e-15)
    assert not grad_w.any()


def test_csr_sweeps_refuse_what_they_cannot_read():
    X = sparse.csr_matrix(np.eye(4))
    y = s = np.ones(4)
    k = KINDS["huber"]
    with pytest.raises(ValueError, match=r"indices be column numbers in 0\.\.2"):
        csr_fused_rows(k, 1.0, X.data, X.indices, X.indptr, y, s, np.ones(3), 0, 0, 4)
    bad = X.indptr.copy()
    bad[2] = 9
    with pytest.raises(ValueError, match="indptr must increase"):
        csr_hessp(X.data, X.indices, bad, y, np.ones(4), 0.0, 0, 4)
    with pytest.raises(ValueError, match="do not match"):
        csr_fused_rows(k, 1.0, X.data, X.indices, X.indptr, y, s, np.ones(4), 0, 0, 5)
    with pytest.raises(ValueError, match="int32 or int64"):
        csr_hessp(X.data, X.indices.astype(np.int64), X.indptr, y, y, 0.0, 0, 4)
    with pytest.raises(ValueError, match="cache do not match"):
        csr_fused_rows(
            KINDS["poisson"], 0.0, X.data, X.indices, X.indptr, y, s, y, 0, 0, 4
        )


def _objectives(X, y, loss, fit_intercept, n_threads, **kwargs):
    def make():
        return LinearObjective(
            X, y, np.linspace(0.5, 2.0, len(y)), loss, fit_intercept=fit_intercept
        ).configured(n_threads=n_threads, **kwargs)

    compiled = make()
    _objective.COMPILED_PASSES = False
    try:
        generic = make()
        assert generic._kernel() is None and generic._fused_workers() == 0
    finally:
        _objective.COMPILED_PASSES = True
    return compiled, generic


def _generic(method, *args):
    _objective.COMPILED_PASSES = False
    try:
        return method(*args)
    finally:
        _objective.COMPILED_PASSES = True


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_b"])
@pytest.mark.parametrize("name", sorted(LOSSES))
def test_the_objective_uses_the_sweeps_at_one_and_two_workers(
    monkeypatch, name, fit_intercept, threads
):
    monkeypatch.setattr(_objective, "_COMPILED_MIN_NNZ", 200)
    rng = np.random.default_rng(3)
    X = _messy_csr(2000, 30, rng, np.float32)
    y = _targets(name, 2000, rng)
    obj, ref = _objectives(X, y, LOSSES[name], fit_intercept, threads, keep_raw=True)
    param = DELTA if name in ("huber", "smooth_l1") else 0.0
    assert obj._kernel() == (KINDS[name], param)
    assert obj._fused_workers() == threads
    W, b = 0.3 * rng.standard_normal((1, 30)), np.array([0.2])
    V, vb = rng.standard_normal((1, 30)), np.array([-0.4])
    got = obj._data_loss_gradient(W, b)
    want = _generic(ref._data_loss_gradient, W, b)
    assert got[0] == pytest.approx(want[0], rel=1e-13)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-12, atol=1e-16)
    hv = obj._data_hessp(W, b, V, vb)
    hv_ref = _generic(ref._data_hessp, W, b, V, vb)
    np.testing.assert_allclose(hv[0], hv_ref[0], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(hv[1], hv_ref[1], rtol=1e-12, atol=1e-16)
    again = obj._data_loss_gradient(W, b)  # the same sums in the same order
    assert again[0] == got[0] and np.array_equal(again[1], got[1])


@pytest.mark.parametrize("name", ["log_cosh", "cauchy"])
def test_a_loss_without_a_kernel_keeps_its_evaluation_and_gets_the_hessp(
    monkeypatch, name
):
    from sklloss.losses import get_loss

    rng = np.random.default_rng(9)
    X = _messy_csr(1500, 20, rng)
    y = rng.standard_normal(1500)
    obj, ref = _objectives(X, y, get_loss(name), True, 1, keep_raw=True)
    assert obj._kernel() is None and obj._fused_workers() == 0
    calls = _spied(monkeypatch)
    W, b = 0.3 * rng.standard_normal((1, 20)), np.array([0.1])
    V, vb = rng.standard_normal((1, 20)), np.array([0.5])
    got = obj._data_hessp(W, b, V, vb)
    assert calls == {"csr_fused_rows": 0, "csr_hessp": 1}
    want = _generic(ref._data_hessp, W, b, V, vb)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-12)


def _spied(monkeypatch):
    calls = {"csr_fused_rows": 0, "csr_hessp": 0}

    def spy(name, fn):
        def wrapped(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)

        monkeypatch.setattr(_objective, name, wrapped)

    spy("csr_fused_rows", csr_fused_rows)
    spy("csr_hessp", csr_hessp)
    return calls


@pytest.mark.parametrize(
    "Est, loss, make_y",
    [
        (LossClassifier, "log_loss", lambda z, rng: rng.random(len(z)) < expit(z)),
        (
            LossClassifier,
            "squared_hinge",
            lambda z, rng: z > rng.logistic(0, 1, len(z)),
        ),
        (LossRegressor, "poisson", lambda z, rng: rng.poisson(np.exp(z / 3))),
    ],
    ids=["log_loss", "squared_hinge", "poisson"],
)
def test_sparse_fits_take_the_sweeps_and_end_where_the_generic_path_ends(
    monkeypatch, Est, loss, make_y
):
    rng = np.random.default_rng(4)
    X = _messy_csr(3000, 60, rng)
    y = make_y(X @ (3 * rng.standard_normal(60)), rng)
    copies = [X.data.copy(), X.indices.copy(), X.indptr.copy()]
    calls = _spied(monkeypatch)
    kwargs = dict(loss=loss, alpha=1e-3, tol=1e-10)  # sparse X: newton-cg
    compiled = Est(**kwargs).fit(X, y)
    assert calls["csr_fused_rows"] > 0 and calls["csr_hessp"] > 0
    seen = dict(calls)
    monkeypatch.setattr(_objective, "COMPILED_PASSES", False)
    generic = Est(**kwargs).fit(X, y)
    assert calls == seen  # the generic path ran no sweep
    np.testing.assert_allclose(compiled.coef_, generic.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(compiled.intercept_, generic.intercept_, rtol=1e-10)
    for before, after in zip(copies, [X.data, X.indices, X.indptr], strict=True):
        np.testing.assert_array_equal(before, after)


def test_csc_keeps_the_generic_path_and_is_not_copied(monkeypatch):
    rng = np.random.default_rng(5)
    X = _messy_csr(1000, 20, rng).tocsc()
    y = rng.integers(0, 2, 1000)
    obj = LinearObjective(X, y.astype(float), np.ones(1000), LogLoss())
    assert obj._kernel() is None and obj._fused_workers() == 0
    calls = _spied(monkeypatch)
    LossClassifier().fit(X, y)
    assert calls == {"csr_fused_rows": 0, "csr_hessp": 0}


def _tfidf(n, p, seed):
    # TF-IDF-like rows: Zipf column frequencies, log term counts, unit rows
    rng = np.random.default_rng(seed)
    prob = np.arange(1, p + 1) ** -1.1
    counts = rng.poisson(9, n) + 1
    cols = rng.permutation(p)[rng.choice(p, counts.sum(), p=prob / prob.sum())]
    X = sparse.csr_matrix(
        (np.ones(cols.size), (np.repeat(np.arange(n), counts), cols)), shape=(n, p)
    )
    X.sum_duplicates()
    X.data = (
        np.log1p(X.data)
        * (np.log(n / (1 + np.bincount(X.indices, minlength=p))) + 1)[X.indices]
    )
    X = sparse.diags(1 / np.sqrt(X.multiply(X).sum(axis=1).A1)) @ X
    z = X @ (3 * rng.standard_normal(p))
    return X.tocsr(), (rng.random(n) < expit(z)).astype(int)


def test_tfidf_fit_reaches_logistic_regressions_objective():
    X, y = _tfidf(20_000, 2_000, seed=0)
    alpha, n = 1e-4, X.shape[0]

    def objective(coef, b):
        z = X @ coef + b
        return np.mean(np.logaddexp(0, z) - y * z) + 0.5 * alpha * coef @ coef

    ours = LossClassifier(loss="log_loss", alpha=alpha).fit(X, y)
    lr = LogisticRegression(C=1 / (alpha * n), tol=1e-10, max_iter=1000).fit(X, y)
    f_ours = objective(ours.coef_.ravel(), ours.intercept_[0])
    f_lr = objective(lr.coef_.ravel(), lr.intercept_[0])
    assert f_ours <= f_lr * (1 + 1e-9)


@pytest.mark.parametrize("layout", ["contiguous", "equal", "every-other"])
@pytest.mark.parametrize("step", [1, 3])
@pytest.mark.parametrize("index", [np.int32, np.int64], ids=["int32", "int64"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_csr_column_moments_match_scipy(dtype, index, step, layout):
    rng = np.random.default_rng(6)
    X = _messy_csr(301, 20, rng, dtype, index)
    X.data[:5] = -4.0  # the maxima are of absolute values
    rows = X.astype(np.float64)[::step]
    arrays = (X.data, X.indices, X.indptr, 20)
    top = csr_column_moments(*arrays, step=step)
    np.testing.assert_array_equal(top, abs(rows).max(axis=0).toarray().ravel())
    s, given = _weights(layout, rows.shape[0], rng)
    col = rng.uniform(0.5, 2.0, 20)
    first, second = csr_column_moments(*arrays, s=given, col=col, step=step)
    scaled = rows @ sparse.diags(1 / col)
    np.testing.assert_allclose(first, scaled.T @ s, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        second, scaled.multiply(scaled).T @ s, rtol=1e-12, atol=1e-15
    )
    with pytest.raises(ValueError, match="do not match"):
        csr_column_moments(*arrays, s=s[1:], step=step)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_b"])
def test_column_stats_and_hessian_diagonal_match_the_generic_path(
    monkeypatch, fit_intercept
):
    rng = np.random.default_rng(7)
    X = _messy_csr(50_000, 40, rng, np.float32)  # > _STATS_ROWS: a row sample
    y = rng.integers(0, 2, 50_000).astype(float)
    sw = rng.uniform(0.1, 2.0, 50_000)

    def diagonal():
        obj = LinearObjective(X, y, sw, LogLoss(), fit_intercept=fit_intercept)
        theta = 0.1 * rng.standard_normal(obj.n_params)
        obj.loss_gradient(theta)
        return obj.mean, obj.scale, hessian_diagonal(obj, theta)

    rng = np.random.default_rng(8)
    compiled = diagonal()
    monkeypatch.setattr(_objective, "COMPILED_PASSES", False)
    rng = np.random.default_rng(8)
    generic = diagonal()
    for got, want in zip(compiled, generic, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
