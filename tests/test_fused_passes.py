"""The fused pass over X (row blocks in cache, one worker per BLAS thread).

It must give the two-product pass's value and gradient (to rounding) for
every kind of loss, with weights, without intercept, with any number of
workers, and leave X untouched.
"""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from sklloss import LossClassifier, LossRegressor
from sklloss.linear_model import _objective
from sklloss.linear_model._objective import LinearObjective
from sklloss.losses import Huber, get_loss


@pytest.fixture
def small_blocks(monkeypatch):
    # 1024-row blocks, so a few thousand rows already take the fused path
    monkeypatch.setattr(_objective, "_FUSED_BLOCK_BYTES", 8)


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


def test_user_loss_gets_one_worker(small_blocks):
    class MyHuber(Huber):
        pass

    X, y, sw = _problem("huber")
    obj = LinearObjective(X, y, sw, MyHuber())
    obj.keep_raw = False
    with threadpool_limits(2, user_api="blas"):
        assert obj._fused_workers() == 1


def test_wide_or_sparse_x_keeps_the_two_product_pass(small_blocks):
    from scipy import sparse

    X, y, sw = _problem("huber", p=80)
    obj = LinearObjective(X, y, sw, get_loss("huber"))
    obj.keep_raw = False
    assert obj._fused_workers() == 0  # p * K > 64
    Xs = sparse.csr_matrix(_problem("huber")[0])
    obj = LinearObjective(Xs, y, sw, get_loss("huber"))
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
