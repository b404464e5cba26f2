"""The fused pass over X (row blocks in cache, one worker per BLAS thread).

It must give the two-product pass's value and gradient (to rounding) for
every kind of loss, with weights, without intercept, with any number of
workers, and leave X untouched.
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_info, threadpool_limits

from sklloss import LossClassifier, LossRegressor
from sklloss.linear_model import _objective
from sklloss.linear_model._objective import LinearObjective
from sklloss.losses import Huber, get_loss


@pytest.fixture
def small_blocks(monkeypatch):
    # 1024-row blocks, so a few thousand rows already take the fused path,
    # and a compiled worker per 1000 rows
    monkeypatch.setattr(_objective, "_FUSED_BLOCK_BYTES", 8)
    monkeypatch.setattr(_objective, "_COMPILED_MIN_ROWS", 1000)


def _problem(loss_name, n=5000, p=6, K=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    sw = rng.uniform(0, 2, size=n)
    if loss_name == "log_loss" and K > 1:
        y = rng.integers(0, K, size=n)
    elif loss_name in ("log_loss", "squared_hinge"):
        y = rng.integers(0, 2, size=n).astype(float)
        if loss_name == "squared_hinge":
            y = 2 * y - 1
    elif loss_name == "poisson":
        y = rng.poisson(1.5, size=n).astype(float)
    else:
        y = rng.standard_normal(n) * 2
    return X, y, sw


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "loss_name, K",
    [
        ("log_loss", 1),
        ("log_loss", 3),
        ("huber", 1),
        ("poisson", 1),
        ("squared_hinge", 1),
    ],
)
def test_fused_equals_two_product_pass(
    small_blocks, loss_name, K, fit_intercept, workers
):
    X, y, sw = _problem(loss_name, K=K)
    X_before = X.copy()
    obj = LinearObjective(
        X,
        y,
        sw,
        get_loss(loss_name),
        n_outputs=K,
        softmax=K > 1,
        fit_intercept=fit_intercept,
    )
    obj.keep_raw = False
    rng = np.random.default_rng(1)
    W = rng.standard_normal((K, X.shape[1])) * 0.3
    b = rng.standard_normal(K) * 0.2
    with threadpool_limits(workers, user_api="blas"):
        assert obj._fused_workers() == workers  # one per BLAS thread
        fused = obj._data_loss_gradient(W, b)
    obj.keep_raw = True  # the two-product pass
    assert obj._fused_workers() == 0
    plain = obj._data_loss_gradient(W, b)
    assert fused[0] == pytest.approx(plain[0], rel=1e-13)
    np.testing.assert_allclose(fused[1], plain[1], rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(fused[2], plain[2], rtol=1e-11, atol=1e-15)
    np.testing.assert_array_equal(X, X_before)


class _NumpyHuber(Huber):
    """Huber through the NumPy fused blocks: a loss of its own (no kernel)."""

    def loss_gradient(self, y_true, raw_prediction):
        r = raw_prediction - y_true
        return np.where(np.abs(r) <= 1, 0.5 * r**2, np.abs(r) - 0.5), np.clip(r, -1, 1)


def test_user_loss_gets_one_worker(small_blocks):
    X, y, sw = _problem("huber")
    obj = LinearObjective(X, y, sw, _NumpyHuber())
    obj.keep_raw = False
    assert obj._kernel() is None  # it redefines the formula
    with threadpool_limits(2, user_api="blas"):
        assert obj._fused_workers() == 1


def test_user_subclass_that_keeps_the_formula_keeps_the_kernel(small_blocks):
    class MyHuber(Huber):
        pass

    X, y, sw = _problem("huber")
    obj = LinearObjective(X, y, sw, MyHuber(delta=0.7))
    obj.keep_raw = False
    assert obj._kernel()[1] == 0.7  # compiled: no user code runs in the workers
    with threadpool_limits(2, user_api="blas"):
        assert obj._fused_workers() == 2


def test_wide_or_sparse_x_keeps_the_two_product_pass(small_blocks):
    from scipy import sparse

    X, y, sw = _problem("huber", p=80)
    obj = LinearObjective(X, y, sw, get_loss("log_cosh"))  # no compiled kernel
    assert obj._kernel() is None
    obj.keep_raw = False
    with threadpool_limits(2, user_api="blas"):
        assert obj._fused_workers() == 0  # p * K > 64 with two workers
    with threadpool_limits(1, user_api="blas"):
        assert obj._fused_workers() == 1  # one worker: up to p * K = 200
    X, y, sw = _problem("huber", p=201)
    obj = LinearObjective(X, y, sw, get_loss("log_cosh"))
    obj.keep_raw = False
    with threadpool_limits(1, user_api="blas"):
        assert obj._fused_workers() == 0
    # the compiled sweep has no width limit
    obj = LinearObjective(X, y, sw, get_loss("huber"))
    obj.keep_raw = False
    with threadpool_limits(2, user_api="blas"):
        assert obj._fused_workers() == 2
    # a CSR X without a compiled formula (tests/test_kernels_sparse.py: with)
    Xs = sparse.csr_matrix(_problem("huber")[0])
    obj = LinearObjective(Xs, y, sw, get_loss("log_cosh"))
    obj.keep_raw = False
    assert obj._fused_workers() == 0


@pytest.mark.parametrize(
    "Est, loss, K", [(LossClassifier, "log_loss", 3), (LossRegressor, "huber", 1)]
)
def test_fits_agree_with_and_without_fusion(small_blocks, monkeypatch, Est, loss, K):
    X, y, sw = _problem(loss, n=6000, K=K)
    fused = Est(loss=loss, solver="lbfgs", tol=1e-10).fit(X, y, sample_weight=sw)
    monkeypatch.setattr(_objective, "FUSED_PASSES", False)
    plain = Est(loss=loss, solver="lbfgs", tol=1e-10).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(fused.coef_, plain.coef_, rtol=1e-7, atol=1e-9)


def test_fused_fit_runs_its_other_blas_work_on_one_thread(small_blocks, monkeypatch):
    """Around fused passes, the rest of a solve is single-threaded BLAS.

    OpenBLAS threads left spinning by a threaded call between passes take
    the cores of the pass's workers; the estimators therefore limit BLAS to
    one thread for the solve and hand the workers the user's thread count.
    """
    seen = {"workers": [], "hessian_threads": []}
    fused = LinearObjective._fused_loss_gradient
    hessian = LinearObjective.hessian

    def record_fused(self, W, b, n_workers):
        seen["workers"].append(n_workers)
        return fused(self, W, b, n_workers)

    def record_hessian(self, theta, rows=None):
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        seen["hessian_threads"].append(max(i["num_threads"] for i in blas))
        return hessian(self, theta, rows=rows)

    monkeypatch.setattr(LinearObjective, "_fused_loss_gradient", record_fused)
    monkeypatch.setattr(LinearObjective, "hessian", record_hessian)
    X, y, _ = _problem("log_loss", n=60_000, p=20)  # n P^2 > 1e7: not Newton
    with threadpool_limits(2, user_api="blas"):
        if _objective.blas_threads() < 2:
            pytest.skip("BLAS runs one thread on this machine")
        est = LossClassifier(loss="log_loss").fit(X, y)
        assert _objective.blas_threads() == 2  # restored after the fit
    assert est.solver_ == "sampled-newton"
    assert seen["workers"] and set(seen["workers"]) == {2}
    assert seen["hessian_threads"] and set(seen["hessian_threads"]) == {1}
    ref = LogisticRegression(C=1 / (1e-4 * len(y)), tol=1e-12, max_iter=1000)
    ref.fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-7)


def test_row_sample_keeps_the_parent_coordinates():
    """A theta means the same model on a row sample as on the full objective.

    Reference: the squared error written here, on the sampled rows, at the
    (W, b) the full objective unpacks theta to.
    """
    X, y, sw = _problem("squared_error", n=3000, p=4)
    X = X * [1.0, 10.0, 0.1, 3.0] + [0.0, 5.0, -2.0, 1.0]
    obj = LinearObjective(X, y, sw, get_loss("squared_error"), alpha=0.1)
    sub = obj._every_nth_row(7, offset=3)
    np.testing.assert_array_equal(sub.mean, obj.mean)
    np.testing.assert_array_equal(sub.scale, obj.scale)
    theta = np.random.default_rng(2).standard_normal(obj.n_params)
    W, b = obj.unpack(theta)
    Xs, ys, ss = X[3::7], y[3::7], sw[3::7]
    r = Xs @ W[0] + b[0] - ys
    expected = np.sum(ss * r**2) / ss.sum() + 0.05 * np.sum(W**2)
    value, _ = sub.loss_gradient(theta)
    assert value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("keep_raw", [False, True])  # fused / two-product pass
def test_poisson_objective_is_sklearns_mean_deviance(small_blocks, keep_raw):
    """Poisson's log y is computed once per fit; the value must not change.

    References: sklearn's mean_poisson_deviance for the value, the closed
    form X.T @ (s * 2 (mu - y)) / sum(s) for the gradient.
    """
    from sklearn.metrics import mean_poisson_deviance

    X, y, sw = _problem("poisson")
    y[:50] = 0.0
    obj = LinearObjective(X, y, sw, get_loss("poisson"), alpha=0.0)
    obj.keep_raw = keep_raw
    assert (obj._fused_workers() > 0) is (not keep_raw)
    rng = np.random.default_rng(3)
    for _ in range(2):  # the cached log y serves every evaluation
        W = rng.standard_normal((1, X.shape[1])) * 0.2
        b = rng.standard_normal(1) * 0.3
        value, grad_W, grad_b = obj._data_loss_gradient(W, b)
        mu = np.exp(X @ W[0] + b[0])
        expected = mean_poisson_deviance(y, mu, sample_weight=sw)
        assert value == pytest.approx(expected, rel=1e-12)
        s = sw / sw.sum()
        np.testing.assert_allclose(grad_W[0], X.T @ (s * 2 * (mu - y)), rtol=1e-10)
        assert grad_b[0] == pytest.approx(np.sum(s * 2 * (mu - y)), rel=1e-10)


def test_a_subclass_redefining_the_loss_is_evaluated_as_it_says(small_blocks):
    from sklloss.losses import Poisson

    class TriplePoisson(Poisson):
        def loss_gradient(self, y_true, raw_prediction):
            value, grad = super().loss_gradient(y_true, raw_prediction)
            return 3 * value, 3 * grad

    X, y, sw = _problem("poisson")
    W, b = np.full((1, X.shape[1]), 0.1), np.array([0.2])
    plain = LinearObjective(X, y, sw, Poisson(), alpha=0.0)
    triple = LinearObjective(X, y, sw, TriplePoisson(), alpha=0.0)
    for obj in (plain, triple):
        obj.keep_raw = False
    v1, g1, _ = plain._data_loss_gradient(W, b)
    v3, g3, _ = triple._data_loss_gradient(W, b)
    assert v3 == pytest.approx(3 * v1, rel=1e-12)
    np.testing.assert_allclose(g3, 3 * g1, rtol=1e-12)
