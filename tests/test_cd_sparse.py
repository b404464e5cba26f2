"""L1 / elastic net on sparse X (``_cd.py``) against independent references.

The objective of sklloss is

    (1 / sum(sw)) sum_i sw_i loss_i + alpha (rho ||w||_1 + (1 - rho) / 2 ||w||^2).

For the squared error (loss = r^2) it is twice scikit-learn's ElasticNet
objective ``1 / (2 sum(sw)) sum_i sw_i r_i^2 + a (rho ||w||_1 + (1 - rho) / 2
||w||^2)`` at ``a = alpha / 2``; for the log loss it is LogisticRegression's
``C sum_i loss_i + rho ||w||_1 + (1 - rho) / 2 ||w||^2`` divided by ``C n`` at
``C = 1 / (alpha n)``; huber (``r^2 / 2`` inside delta) is half of cvxpy's
``huber(r, delta)``. Each test recomputes the objective and the subgradient
(KKT) conditions from these formulas, in numpy.
"""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression

from sklloss import LossClassifier, LossRegressor
from sklloss.linear_model import _solvers


@pytest.fixture
def cd_calls(monkeypatch):
    """Count the calls of the sparse CD solver (the tests must exercise it)."""
    calls = []
    inner = _solvers.cd_prox_newton

    def spy(*args, **kwargs):
        calls.append(1)
        return inner(*args, **kwargs)

    monkeypatch.setattr(_solvers, "cd_prox_newton", spy)
    return calls


def _data(n=80, p=300, density=0.05, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = sparse.random(n, p, density=density, format="csr", random_state=seed)
    X.data = rng.normal(size=X.nnz)
    X = X.astype(dtype)
    w = np.zeros(p)
    w[:10] = rng.normal(size=10)
    y = X.astype(np.float64) @ w + 0.3 * rng.normal(size=n)
    return X, y


def _fmt(X, fmt):
    return X.tocsc() if fmt == "csc" else X.tocsr()


def _kkt(X, dz, w, sw, alpha, l1_ratio):
    """Largest KKT violation per column (scaled by the column's rms)."""
    X = X.astype(np.float64)
    s = sw / sw.sum()
    g = np.asarray(X.T @ (s * dz)).ravel() + alpha * (1 - l1_ratio) * w
    lam = alpha * l1_ratio
    viol = np.where(w == 0, np.abs(g) - lam, np.abs(g + lam * np.sign(w)))
    rms = np.sqrt(np.asarray(X.multiply(X).T @ s).ravel()) + 1e-12
    return float(np.max(np.maximum(viol, 0) / rms))


def _se_objective(X, y, w, b, sw, alpha, l1_ratio):
    r = y - X.astype(np.float64) @ w - b
    pen = l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * (w @ w)
    return float(sw @ r**2 / sw.sum() + alpha * pen)


CASES = [
    pytest.param("csr", np.float64, False, True, id="csr-f64"),
    pytest.param("csc", np.float64, False, True, id="csc-f64"),
    pytest.param("csr", np.float32, False, True, id="csr-f32"),
    pytest.param("csc", np.float64, True, True, id="csc-weights"),
    pytest.param("csr", np.float64, True, False, id="csr-weights-no-intercept"),
]


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["lasso", "elasticnet"])
@pytest.mark.parametrize("fmt, dtype, weighted, fit_intercept", CASES)
def test_squared_error_matches_sklearn(
    cd_calls, fmt, dtype, weighted, fit_intercept, l1_ratio
):
    X, y = _data(dtype=dtype)
    Xf = _fmt(X, fmt)
    before = (Xf.data.copy(), Xf.indices.copy(), Xf.indptr.copy())
    sw = np.random.default_rng(3).uniform(0.2, 3, size=len(y))
    sw = sw if weighted else np.ones(len(y))
    alpha = 0.02
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = LossRegressor(
            alpha=alpha, l1_ratio=l1_ratio, scale=1.0, fit_intercept=fit_intercept
        ).fit(Xf, y, sample_weight=sw)
    assert cd_calls
    # never mutated, float32 stays float32
    assert Xf.dtype == dtype
    for a, b in zip(before, (Xf.data, Xf.indices, Xf.indptr), strict=True):
        np.testing.assert_array_equal(a, b)
    Ref = Lasso if l1_ratio == 1 else ElasticNet
    kw = {} if l1_ratio == 1 else {"l1_ratio": l1_ratio}
    X64 = X.astype(np.float64)
    ref = Ref(
        alpha=alpha / 2, tol=1e-14, max_iter=200_000, fit_intercept=fit_intercept, **kw
    ).fit(X64, y, sample_weight=sw)
    f = _se_objective(X64, y, ours.coef_, ours.intercept_, sw, alpha, l1_ratio)
    f_ref = _se_objective(X64, y, ref.coef_, ref.intercept_, sw, alpha, l1_ratio)
    # a float32 X gives float32 coef_ (the estimator's convention): rounded
    # at 6e-8 relative, which moves the objective by about as much
    rtol = 1e-8 if dtype == np.float64 else 1e-6
    assert abs(f - f_ref) <= rtol * f_ref
    r = y - X64 @ ours.coef_ - ours.intercept_
    assert _kkt(X64, -2 * r, ours.coef_, sw, alpha, l1_ratio) <= 1e-6
    if fit_intercept:
        assert abs(sw @ r) / sw.sum() <= 1e-8 * np.sqrt(f)
    assert np.any(ours.coef_ == 0)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.6], ids=["l1", "elasticnet"])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_log_loss_matches_logistic_regression_saga(cd_calls, fmt, l1_ratio):
    X, y = _data(n=150, p=200, density=0.08, seed=2)
    y = (y > np.median(y)).astype(int)
    alpha = 0.01
    n = len(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = LossClassifier(alpha=alpha, l1_ratio=l1_ratio).fit(_fmt(X, fmt), y)
    assert cd_calls
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = LogisticRegression(
            C=1 / (alpha * n),
            l1_ratio=l1_ratio,
            solver="saga",
            tol=1e-12,
            max_iter=20_000,
        ).fit(X, y)

    def objective(w, b):
        z = X @ w + b
        loss = np.mean(np.logaddexp(0, z) - y * z)
        return loss + alpha * (l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * w @ w)

    w, b = ours.coef_.ravel(), float(ours.intercept_[0])
    f = objective(w, b)
    f_ref = objective(ref.coef_.ravel(), float(ref.intercept_[0]))
    # saga is the reference of the value; ours may only be lower (optimum)
    assert f <= f_ref * (1 + 1e-8)
    assert abs(f - f_ref) <= 1e-6 * f_ref
    dz = 1 / (1 + np.exp(-(X @ w + b))) - y
    assert _kkt(X, dz, w, np.ones(n), alpha, l1_ratio) <= 1e-6
    assert abs(dz.mean()) <= 1e-8
    assert np.any(w == 0)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "none"])
def test_huber_matches_cvxpy(cd_calls, fit_intercept):
    cp = pytest.importorskip("cvxpy")
    pytest.importorskip("clarabel")
    X, y = _data(n=60, p=150, density=0.08, seed=5)
    y[:6] += 20  # outliers beyond delta
    alpha, l1_ratio, delta = 0.05, 0.7, 1.0
    sw = np.random.default_rng(1).uniform(0.5, 2, size=len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = LossRegressor(
            loss="huber",
            alpha=alpha,
            l1_ratio=l1_ratio,
            scale=1.0,
            fit_intercept=fit_intercept,
        ).fit(X, y, sample_weight=sw)
    assert cd_calls
    Xd = X.toarray()
    s = sw / sw.sum()
    w = cp.Variable(X.shape[1])
    b = cp.Variable() if fit_intercept else 0.0
    r = y - Xd @ w - b
    pen = l1_ratio * cp.norm1(w) + (1 - l1_ratio) / 2 * cp.sum_squares(w)
    prob = cp.Problem(cp.Minimize(s @ cp.huber(r, delta) / 2 + alpha * pen))
    prob.solve(solver="CLARABEL")

    def objective(w, b):
        r = np.abs(y - Xd @ w - b)
        h = np.where(r <= delta, r**2 / 2, delta * (r - delta / 2))
        pen = l1_ratio * np.abs(w).sum() + (1 - l1_ratio) / 2 * w @ w
        return s @ h + alpha * pen

    f = objective(ours.coef_, ours.intercept_)
    f_ref = objective(w.value, b.value if fit_intercept else 0.0)
    assert f <= f_ref + 1e-9 * abs(f_ref)
    res = y - Xd @ ours.coef_ - ours.intercept_
    dz = -np.clip(res, -delta, delta)
    assert _kkt(X, dz, ours.coef_, sw, alpha, l1_ratio) <= 1e-6
    assert np.any(ours.coef_ == 0)


def test_max_iter_warns_with_the_kkt_violation(cd_calls):
    X, y = _data(seed=4)
    with pytest.warns(ConvergenceWarning, match=r"max_iter=1 .*KKT"):
        LossRegressor(alpha=0.01, l1_ratio=1.0, scale=1.0, max_iter=1).fit(X, y)
    assert cd_calls


def test_saturated_support_p_greater_than_n(cd_calls):
    # small alpha, p >> n: the support is about n and the Hessian on it
    # nearly singular (where CD alone crawls): the same optimum as Lasso
    X, y = _data(n=60, p=400, density=0.1, seed=6)
    alpha = 1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = LossRegressor(alpha=alpha, l1_ratio=1.0, scale=1.0).fit(X, y)
    ref = Lasso(alpha=alpha / 2, tol=1e-14, max_iter=500_000).fit(X, y)
    sw = np.ones(len(y))
    f = _se_objective(X, y, ours.coef_, ours.intercept_, sw, alpha, 1.0)
    f_ref = _se_objective(X, y, ref.coef_, ref.intercept_, sw, alpha, 1.0)
    assert f <= f_ref * (1 + 1e-8)
    assert np.sum(ours.coef_ != 0) <= len(y)
