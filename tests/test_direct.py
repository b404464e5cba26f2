"""The direct solver of squared_error: the normal equations (``_direct.py``).

References are independent of the code under test: ``numpy.linalg.lstsq`` on
the weighted, centred least-squares system augmented by the penalty rows,
scikit-learn's ``Ridge`` with its alpha mapped to sklloss's normalisation,
and the objective evaluated in extended precision by a loop of this file.
"""

import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from sklloss import LossRegressor
from sklloss.linear_model import _direct


def _lstsq(X, y, sw, alpha, fit_intercept):
    """argmin (1/S) sum sw (y - Xw - b)^2 + alpha/2 |w|^2, by lstsq.

    The intercept's optimum is ``b = ybar - xbar @ w`` (weighted means), so
    the problem is least squares on the centred rows times sqrt(sw / S),
    stacked on sqrt(alpha / 2) I; lstsq returns the minimum-norm ``w`` when
    that system is rank deficient (alpha = 0, collinear columns).
    """
    X = np.asarray(X, dtype=np.float64)
    s = sw / sw.sum()
    xbar = s @ X if fit_intercept else np.zeros(X.shape[1])
    ybar = s @ y if fit_intercept else 0.0
    r = np.sqrt(s)[:, None]
    A = r * (X - xbar)
    b = r[:, 0] * (y - ybar)
    if alpha:
        A = np.vstack([A, np.sqrt(alpha / 2) * np.eye(X.shape[1])])
        b = np.concatenate([b, np.zeros(X.shape[1])])
    w = np.linalg.lstsq(A, b, rcond=None)[0]
    return w, ybar - xbar @ w


def _objective(X, y, sw, alpha, w, b):
    """The objective in extended precision (a loop over rows of this test)."""
    Xl = np.asarray(X, dtype=np.longdouble)
    r = y - Xl @ np.asarray(w, dtype=np.longdouble) - b
    return float((sw * r * r).sum() / sw.sum() + alpha / 2 * (w @ w))


def _data(n=500, p=8, seed=0, mean=0.0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * np.logspace(-1, 1, p) + mean
    y = X @ rng.normal(size=p) + rng.normal(size=n) + 3.0
    return X, y


def _fit(X, y, sw=None, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LossRegressor(**params).fit(X, y, sample_weight=sw)
    assert est.solver_ == "cholesky"
    return est


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-b"])
@pytest.mark.parametrize("weights", ["unweighted", "weights-1e-6..1e6"])
def test_matches_ridge_and_lstsq(fit_intercept, weights):
    X, y = _data()
    rng = np.random.default_rng(1)
    sw = (
        np.ones(len(y))
        if weights == "unweighted"
        else 10.0 ** rng.uniform(-6, 6, len(y))
    )
    alpha = 1e-2
    est = _fit(X, y, sw, alpha=alpha, fit_intercept=fit_intercept)
    w, b = _lstsq(X, y, sw, alpha, fit_intercept)
    assert_allclose(est.coef_, w, rtol=1e-7, atol=1e-9)
    assert_allclose(est.intercept_, b, rtol=1e-7, atol=1e-9)
    # Ridge minimises sum sw (y - Xw - b)^2 + alpha_r |w|^2: alpha_r = alpha S / 2
    ref = Ridge(alpha=alpha * sw.sum() / 2, fit_intercept=fit_intercept)
    ref.fit(X, y, sample_weight=sw)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
    ours = _objective(X, y, sw, alpha, est.coef_, est.intercept_)
    best = _objective(X, y, sw, alpha, w, b)
    assert ours <= best * (1 + 1e-12)


@pytest.mark.parametrize("order", ["C", "F"])
def test_float32_stays_float32_without_a_float64_copy(order):
    rng = np.random.default_rng(2)
    n, p = 60_000, 100
    X = np.asarray(rng.normal(size=(n, p)), dtype=np.float32, order=order)
    y = X[:, :5].astype(np.float64).sum(axis=1) + rng.normal(size=n)
    X0 = X.copy()
    tracemalloc.start()
    try:
        est = _fit(X, y, alpha=1e-3)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert est.coef_.dtype == np.float32
    assert peak < 0.5 * X.nbytes  # a float64 copy alone is 2 X
    np.testing.assert_array_equal(X, X0)  # X unchanged
    w, b = _lstsq(X, y, np.ones(n), 1e-3, True)
    assert_allclose(est.coef_, w, rtol=1e-5, atol=1e-6)
    assert_allclose(est.intercept_, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("weights", ["unweighted", "weighted"])
def test_columns_with_huge_means_keep_their_accuracy(order, weights):
    """Columns 1e6 + noise: the centring happens before the Gram, not after."""
    X, y = _data(n=3000, p=6, seed=3, mean=1e6)
    X = np.asarray(X, order=order)
    sw = np.ones(len(y))
    if weights == "weighted":
        sw = np.random.default_rng(4).uniform(0.5, 2.0, len(y))
    alpha = 1e-3
    est = _fit(X, y, sw, alpha=alpha)
    w, b = _lstsq(X, y, sw, alpha, True)
    assert_allclose(est.coef_, w, rtol=1e-6)
    # b = ybar - xbar @ w cancels ~1e6 * |w| down to ~3
    assert abs(est.intercept_ - b) <= 1e-8 * 1e6 * np.abs(w).sum()
    ours = _objective(X, y, sw, alpha, est.coef_, est.intercept_)
    best = _objective(X, y, sw, alpha, w, b)
    assert ours <= best * (1 + 1e-10)


@pytest.mark.parametrize("shape", ["collinear", "n<p"])
def test_rank_deficient_without_penalty_gives_the_minimum_norm_solution(shape):
    rng = np.random.default_rng(5)
    if shape == "collinear":
        X = rng.normal(size=(200, 4))
        X = np.column_stack([X, X[:, 0] + 2 * X[:, 1], 3 * X[:, 2]])
    else:
        X = rng.normal(size=(10, 25))
    y = rng.normal(size=X.shape[0])
    est = _fit(X, y, alpha=0.0)
    w, b = _lstsq(X, y, np.ones(len(y)), 0.0, True)
    assert_allclose(est.coef_, w, rtol=1e-7, atol=1e-9)
    assert_allclose(est.intercept_, b, rtol=1e-7, atol=1e-9)


def test_fewer_rows_than_columns_with_a_penalty():
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(15, 30)), rng.normal(size=15)
    sw = rng.integers(1, 4, size=15).astype(float)
    est = _fit(X, y, sw, alpha=1e-4)
    w, b = _lstsq(X, y, sw, 1e-4, True)
    assert_allclose(est.coef_, w, rtol=1e-7, atol=1e-9)
    # repeated rows equal integer weights (check_estimator's test, tightly)
    rep = _fit(
        np.repeat(X, sw.astype(int), axis=0),
        np.repeat(y, sw.astype(int)),
        alpha=1e-4,
    )
    assert_allclose(rep.coef_, est.coef_, rtol=1e-7, atol=1e-10)


def test_scale_equivariance_and_input_not_modified():
    X, y = _data(seed=7)
    X0, y0 = X.copy(), y.copy()
    est = _fit(X, y)
    big = _fit(X, 1e6 * y)
    assert_allclose(big.coef_, 1e6 * est.coef_, rtol=1e-9)
    assert_allclose(big.intercept_, 1e6 * est.intercept_, rtol=1e-9)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_one_pass_for_the_gram_and_one_gradient_check():
    X, y = _data(n=2000)
    est = _fit(X, y)
    assert (est.n_iter_, est.n_evals_) == (1, 2)


def _perturbed_factor(relative):
    """A factor of the normal matrix off by ``relative`` (a poor Cholesky)."""
    exact = _direct._factor

    def factor(A, col):
        rng = np.random.default_rng(9)
        E = rng.uniform(-1, 1, A.shape) * relative * np.abs(A).max()
        return exact(A + (E + E.T) / 2, col)

    return factor


def test_a_poor_factor_is_corrected_by_iterative_refinement(monkeypatch):
    """The gradient check finds the error; the same factor refines it away."""
    monkeypatch.setattr(_direct, "_factor", _perturbed_factor(1e-3))
    X, y = _data(n=2000, seed=10)
    est = _fit(X, y, alpha=1e-3)
    assert est.n_iter_ > 1 and est.n_evals_ == 1 + est.n_iter_
    w, b = _lstsq(X, y, np.ones(len(y)), 1e-3, True)
    # refined until the largest gradient entry is below tol = 1e-8
    assert_allclose(est.coef_, w, rtol=1e-5)
    ours = _objective(X, y, np.ones(len(y)), 1e-3, est.coef_, est.intercept_)
    best = _objective(X, y, np.ones(len(y)), 1e-3, w, b)
    assert ours <= best * (1 + 1e-12)


def test_a_factor_refinement_cannot_fix_is_finished_iteratively(monkeypatch):
    """Refinement diverges: an iterative solver finishes, never a wrong answer."""
    monkeypatch.setattr(_direct, "_factor", _perturbed_factor(3.0))
    X, y = _data(n=2000, seed=11)
    est = _fit(X, y, alpha=1e-3)
    assert est.n_evals_ > 2  # the direct passes, then the iterative solver's
    w, b = _lstsq(X, y, np.ones(len(y)), 1e-3, True)
    assert_allclose(est.coef_, w, rtol=1e-6, atol=1e-8)
    assert_allclose(est.intercept_, b, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------ the plan
def test_auto_chooses_it_only_where_it_applies():
    X, y = _data(n=300)
    assert LossRegressor().fit(X, y).solver_ == "cholesky"
    assert LossRegressor(loss="huber").fit(X, y).solver_ != "cholesky"
    assert LossRegressor(l1_ratio=0.5).fit(X, y).solver_ != "cholesky"
    assert LossRegressor().fit(sparse.csr_matrix(X), y).solver_ != "cholesky"


@pytest.mark.parametrize("loss", ["huber", "poisson", "absolute_error"])
def test_naming_it_for_another_loss_is_a_value_error(loss):
    X, y = _data(n=100)
    with pytest.raises(ValueError, match=f"solver='cholesky'.*loss='{loss}'"):
        LossRegressor(loss=loss, solver="cholesky").fit(X, np.abs(y) + 1)


def test_naming_it_for_sparse_x_or_an_l1_term_is_a_value_error():
    X, y = _data(n=100)
    with pytest.raises(ValueError, match="solver='cholesky'.*sparse"):
        LossRegressor(solver="cholesky").fit(sparse.csr_matrix(X), y)
    with pytest.raises(ValueError, match="solver='cholesky'.*l1_ratio=0.5"):
        LossRegressor(solver="cholesky", l1_ratio=0.5).fit(X, y)


def test_is_quadratic_reads_the_compiled_formula():
    from sklloss.losses import Huber, SquaredError

    class Redefined(SquaredError):
        def loss(self, y_true, raw_prediction):
            return np.abs(y_true - raw_prediction) ** 3

    assert _direct.is_quadratic(SquaredError())
    assert not _direct.is_quadratic(Huber())
    assert not _direct.is_quadratic(Redefined())


@pytest.mark.parametrize("limit", [1, 2])
def test_the_gram_pass_takes_the_users_threads(monkeypatch, limit):
    """One worker per user's BLAS thread, each on one BLAS thread; nothing kept."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from sklloss.linear_model import _threads

    seen = []
    original = _direct._raw_rows

    def recording(*args):
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        seen.append(max(i["num_threads"] for i in blas))
        return original(*args)

    monkeypatch.setattr(_direct, "_raw_rows", recording)
    X, y = _data(n=60_000, p=10, seed=12)
    with threadpool_limits(limit, user_api="blas"):
        if _threads.blas_threads() < limit:
            pytest.skip("BLAS runs one thread on this machine")
        est = _fit(X, y)
        assert _threads.blas_threads() == limit  # the user's limit, restored
    assert seen == [1] * limit
    w, b = _lstsq(X, y, np.ones(len(y)), est.alpha, True)
    assert_allclose(est.coef_, w, rtol=1e-7, atol=1e-9)
