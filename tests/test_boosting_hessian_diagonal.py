"""Loss.hessian_diagonal and the gradient / diagonal pass the boosting adapters use.

References: the diagonal of the loss's full ``hessian`` (an (n, K, K) array,
a different code path), central finite differences of ``gradient``, and the
loss's own ``gradient``.
"""

import numpy as np
import pytest

from sklloss.losses import Focal, Loss, get_loss

# (id, loss, K): K = 1 is a 1-D raw prediction
CASES = [
    ("log_loss-binary", get_loss("log_loss"), 1),
    ("log_loss-3-class", get_loss("log_loss"), 3),
    ("log_loss-5-class", get_loss("log_loss"), 5),
    ("focal-binary", Focal(gamma=2.0), 1),
    ("focal-binary-alpha0.25", Focal(gamma=2.0, alpha=0.25), 1),
    ("focal-gamma0.5-binary", Focal(gamma=0.5), 1),
    ("focal-3-class", Focal(gamma=2.0), 3),
    ("focal-3-class-alpha", Focal(gamma=1.5, alpha=[0.2, 0.5, 0.3]), 3),
    ("kl_divergence-3-class", get_loss("kl_divergence"), 3),
    ("js_divergence-3-class", get_loss("js_divergence"), 3),
    ("poisson", get_loss("poisson"), 1),
    ("huber", get_loss("huber"), 1),
]
IDS = [c[0] for c in CASES]


def _inputs(K, soft, seed=0, n=200):
    rng = np.random.default_rng(seed)
    if K == 1:
        raw = rng.normal(scale=3, size=n)
        y = rng.uniform(size=n) if soft else (rng.uniform(size=n) < 0.4) * 1.0
        return y, raw
    raw = rng.normal(scale=3, size=(n, K))
    y = rng.dirichlet(np.ones(K), size=n) if soft else rng.integers(0, K, size=n)
    return y, raw


def _targets(loss, K, soft):
    y, raw = _inputs(K, soft)
    if loss.name in ("poisson", "huber"):
        y = np.random.default_rng(1).poisson(2.0, size=len(raw)).astype(float)
        raw = raw / 3
    return y, raw


@pytest.mark.parametrize("soft", [False, True], ids=["labels", "soft"])
@pytest.mark.parametrize("name, loss, K", CASES, ids=IDS)
def test_diagonal_equals_the_full_hessians_diagonal(name, loss, K, soft):
    if soft and loss.name in ("poisson", "huber"):
        pytest.skip("regression losses take no soft targets")
    y, raw = _targets(loss, K, soft)
    full = loss.hessian(y, raw)
    expected = full if K == 1 else np.einsum("nkk->nk", full)
    got = loss.hessian_diagonal(y, raw)
    assert got.shape == raw.shape
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-13)
    grad, diag = loss._gradient_hessian_diagonal(y, raw)
    np.testing.assert_allclose(grad, loss.gradient(y, raw), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(diag, expected, rtol=1e-8, atol=1e-13)


@pytest.mark.parametrize("name, loss, K", CASES, ids=IDS)
def test_diagonal_matches_finite_differences_of_the_gradient(name, loss, K):
    y, raw = _targets(loss, K, soft=False)
    raw = raw / 3  # moderate curvature: FD steps stay inside one regime
    h = 1e-5
    diag = loss.hessian_diagonal(y, raw)
    if K == 1:
        fd = (loss.gradient(y, raw + h) - loss.gradient(y, raw - h)) / (2 * h)
        np.testing.assert_allclose(diag, fd, rtol=1e-5, atol=1e-7)
        return
    for k in range(K):
        e = np.zeros(K)
        e[k] = h
        fd = (loss.gradient(y, raw + e)[:, k] - loss.gradient(y, raw - e)[:, k]) / (
            2 * h
        )
        np.testing.assert_allclose(diag[:, k], fd, rtol=1e-5, atol=1e-7)


def test_softmax_diagonal_keeps_the_layout_and_the_dtype():
    y, raw = _inputs(3, soft=False)
    loss = get_loss("log_loss")
    expected = loss.hessian_diagonal(y, raw)
    grad, diag = loss._gradient_hessian_diagonal(y, np.asfortranarray(raw))
    assert diag.flags.f_contiguous and grad.flags.f_contiguous  # LightGBM's layout
    np.testing.assert_allclose(diag, expected, rtol=1e-12, atol=1e-15)
    d32 = loss.hessian_diagonal(y, raw.astype(np.float32))
    assert d32.dtype == np.float32
    np.testing.assert_allclose(d32, expected, rtol=1e-5, atol=1e-6)


def test_binary_focal_is_exact_far_in_the_tails():
    # |z| = 1e4: no overflow, no nan; the closed forms of the reference
    # implementation (_binary_focal_terms) agree.
    loss = Focal(gamma=2.0)
    y = np.array([0.0, 1.0, 0.0, 1.0])
    raw = np.array([-1e4, 1e4, 1e4, -1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        grad, diag = loss._gradient_hessian_diagonal(y, raw)
    np.testing.assert_allclose(grad, loss.gradient(y, raw), rtol=1e-12)
    np.testing.assert_allclose(diag, loss.hessian(y, raw), rtol=1e-12)


def test_a_users_loss_gets_the_generic_diagonal():
    class Softplus2(Loss):
        """log(1 + e^z) per class, summed: a diagonal Hessian sigma(z)(1-sigma(z))."""

        kind = "probabilistic"

        def loss(self, y_true, raw_prediction):
            return np.logaddexp(0, raw_prediction).sum(axis=-1)

        def gradient(self, y_true, raw_prediction):
            return 1 / (1 + np.exp(-raw_prediction))

        def hessian(self, y_true, raw_prediction):
            s = 1 / (1 + np.exp(-raw_prediction))
            return np.einsum("nk,kj->nkj", s * (1 - s), np.eye(raw_prediction.shape[1]))

    y, raw = _inputs(3, soft=False)
    s = 1 / (1 + np.exp(-raw))
    np.testing.assert_allclose(Softplus2().hessian_diagonal(y, raw), s * (1 - s))
