"""LossRegressor / LossClassifier reach the true optimum of their objective.

Every check compares with an INDEPENDENT reference: a scikit-learn estimator
solving the same objective (rescaled as derived in each test), or the
objective written here from the formula and minimised by a different scipy
method from a different start. The objective of sklloss is

    F(w, b) = (1 / sum(sw)) sum_i sw_i loss(y_i, x_i w + b)
              + alpha (l1_ratio ||w||_1 + (1 - l1_ratio) / 2 ||w||_2^2).
"""

import warnings

import numpy as np
import pytest
import scipy.optimize
from scipy.special import expit, log_softmax, logsumexp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    ElasticNet,
    GammaRegressor,
    Lasso,
    LogisticRegression,
    PoissonRegressor,
    QuantileRegressor,
    Ridge,
    TweedieRegressor,
)

from sklloss.linear_model import LossClassifier, LossRegressor
from sklloss.losses import loss_names


def _needs(name):
    if name not in loss_names():
        raise AssertionError(f"loss {name!r} is not in the registry")


def _needs_exact():
    from sklloss.linear_model import _exact  # noqa: F401


def _regression_data(n=120, p=5, seed=0, bad_scale=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    w = rng.normal(size=p)
    y = X @ w + 0.5 + rng.standard_t(3, size=n)
    if bad_scale:
        X = X * 10.0 ** rng.uniform(-2, 2, size=p)
    return X, y


# --------------------------------------------------------- squared error
@pytest.mark.parametrize("bad_scale", [False, True], ids=["scaled", "badly_scaled"])
def test_squared_error_matches_ridge(bad_scale):
    # ours * S/2 = 1/2 sum sw r^2 + alpha S / 4 ||w||^2 ... Ridge minimises
    # sum sw r^2 + a ||w||^2, i.e. ours * S: a = alpha * S / 2.
    X, y = _regression_data(bad_scale=bad_scale)
    sw = np.random.default_rng(1).uniform(0.5, 2, size=len(y))
    alpha = 0.05
    ours = LossRegressor(alpha=alpha, scale=1.0).fit(X, y, sample_weight=sw)
    ref = Ridge(alpha=alpha * sw.sum() / 2, solver="cholesky", tol=1e-12).fit(
        X, y, sample_weight=sw
    )
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5], ids=["lasso", "elasticnet"])
def test_squared_error_matches_lasso_elasticnet(l1_ratio):
    # ElasticNet: 1/(2n) ||r||^2 + a (rho ||w||_1 + (1 - rho)/2 ||w||^2);
    # ours / 2 is exactly that with a = alpha / 2 (Lasso is rho = 1).
    X, y = _regression_data(n=150, p=8, seed=3)
    alpha = 0.8
    ours = LossRegressor(alpha=alpha, l1_ratio=l1_ratio, scale=1.0).fit(X, y)
    Ref = Lasso if l1_ratio == 1 else ElasticNet
    kw = {} if l1_ratio == 1 else {"l1_ratio": l1_ratio}
    ref = Ref(alpha=alpha / 2, tol=1e-14, max_iter=100_000, **kw).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)
    # the same exact zeros
    assert np.array_equal(ours.coef_ == 0, ref.coef_ == 0)
    assert np.any(ours.coef_ == 0)


# ------------------------------------------------------------------ GLMs
@pytest.mark.parametrize(
    "loss, Ref, kw",
    [
        ("poisson", PoissonRegressor, {}),
        ("gamma", GammaRegressor, {}),
        ("tweedie", TweedieRegressor, {"power": 1.5, "link": "log"}),
    ],
    ids=["poisson", "gamma", "tweedie"],
)
def test_glm_matches_sklearn(loss, Ref, kw):
    # sklearn GLMs: 1/(2n) sum deviance + a/2 ||w||^2; ours / 2 is that with
    # a = alpha / 2 (our per-sample loss is the unit deviance).
    _needs(loss)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)) * [1, 10, 0.1, 3]
    mu = np.exp(X @ [0.2, -0.03, 1.0, 0.1] + 0.3)
    y = rng.poisson(mu) if loss == "poisson" else rng.gamma(2.0, mu / 2.0)
    if loss == "tweedie":
        y = y * (rng.uniform(size=len(y)) > 0.2)  # some exact zeros
    params = {"power": 1.5} if loss == "tweedie" else {}
    from sklloss.losses import get_loss

    alpha = 0.01
    ours = LossRegressor(loss=get_loss(loss, **params), alpha=alpha, scale=1.0).fit(
        X, y
    )
    ref = Ref(alpha=alpha / 2, tol=1e-12, max_iter=10_000, solver="newton-cholesky")
    ref.set_params(**kw).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-6)


# ------------------------------------------------ piecewise linear (exact)
@pytest.mark.parametrize("quantile", [0.5, 0.8], ids=["median", "q0.8"])
def test_quantile_matches_quantile_regressor(quantile):
    # QuantileRegressor: (1/n) sum pinball + a ||w||_1 = ours with l1_ratio=1.
    _needs("quantile")
    _needs_exact()
    from sklloss.losses import get_loss

    X, y = _regression_data(n=100, p=4, seed=5)
    alpha = 0.01
    ours = LossRegressor(
        loss=get_loss("quantile", quantile=quantile),
        alpha=alpha,
        l1_ratio=1.0,
        scale=1.0,
    ).fit(X, y)
    ref = QuantileRegressor(quantile=quantile, alpha=alpha, solver="highs").fit(X, y)

    def objective(w, b):
        r = y - X @ w - b
        pin = np.maximum(quantile * r, (quantile - 1) * r)
        return pin.mean() + alpha * np.abs(w).sum()

    f_ours = objective(ours.coef_, ours.intercept_)
    f_ref = objective(ref.coef_, ref.intercept_)
    assert f_ours <= f_ref + 1e-9 * max(1, abs(f_ref))


# ------------------------------------------ losses no peer fits: formulas
def _huber(r, d):
    a = np.abs(r)
    return np.where(a <= d, 0.5 * r**2, d * (a - 0.5 * d))


def _huber_grad(r, d):  # derivative with respect to the residual r
    return np.clip(r, -d, d)


_REGRESSION_FORMULAS = {
    # name: (value of r = y - raw, derivative with respect to r)
    "huber": (lambda r: _huber(r, 1.0), lambda r: _huber_grad(r, 1.0)),
    "smooth_l1": (
        lambda r: _huber(r, 0.5) / 0.5,
        lambda r: _huber_grad(r, 0.5) / 0.5,
    ),
    "log_cosh": (
        lambda r: np.abs(r) + np.log1p(np.exp(-2 * np.abs(r))) - np.log(2),
        np.tanh,
    ),
    "squared_epsilon_insensitive": (
        lambda r: np.maximum(np.abs(r) - 0.3, 0) ** 2,
        lambda r: 2 * np.sign(r) * np.maximum(np.abs(r) - 0.3, 0),
    ),
}
_REGRESSION_PARAMS = {
    "huber": {"delta": 1.0},
    "smooth_l1": {"beta": 0.5},
    "squared_epsilon_insensitive": {"epsilon": 0.3},
}


def _reference_minimum(fun, grad, x0, method="BFGS"):
    res = scipy.optimize.minimize(
        fun, x0, jac=grad, method=method, options={"gtol": 1e-12, "maxiter": 10_000}
    )
    return res.x


@pytest.mark.parametrize("name", sorted(_REGRESSION_FORMULAS))
@pytest.mark.parametrize("bad_scale", [False, True], ids=["scaled", "badly_scaled"])
def test_regression_loss_beats_independent_reference(name, bad_scale):
    _needs(name)
    from sklloss.losses import get_loss

    value, dvalue = _REGRESSION_FORMULAS[name]
    X, y = _regression_data(n=80, p=4, seed=7, bad_scale=bad_scale)
    sw = np.random.default_rng(2).uniform(0.2, 3, size=len(y))
    alpha = 1e-3
    loss = get_loss(name, **_REGRESSION_PARAMS.get(name, {}))
    est = LossRegressor(loss=loss, alpha=alpha, scale=1.0).fit(X, y, sample_weight=sw)

    def F(theta):
        w, b = theta[:-1], theta[-1]
        r = y - X @ w - b
        return sw @ value(r) / sw.sum() + alpha / 2 * w @ w

    def dF(theta):
        w, b = theta[:-1], theta[-1]
        g = -dvalue(y - X @ w - b) * sw / sw.sum()
        return np.append(X.T @ g + alpha * w, g.sum())

    # the reference solves in the original (unscaled) coordinates with BFGS,
    # from a random start: a different method and a different path.
    x0 = np.random.default_rng(9).normal(size=X.shape[1] + 1) * 0.01
    ref = _reference_minimum(F, dF, x0)
    ours = np.append(est.coef_, est.intercept_)
    assert F(ours) <= F(ref) + 1e-12 * max(1.0, abs(F(ref)))
    # first-order condition at our solution, relative to the gradient scale
    # of each coordinate (X's column norms)
    scale = np.append(np.sqrt(np.mean(X**2, axis=0)), 1.0)
    assert np.max(np.abs(dF(ours)) / scale) < 1e-8


def test_l1_subgradient_condition_huber_badly_scaled():
    _needs("huber")
    X, y = _regression_data(n=200, p=10, seed=11, bad_scale=True)
    alpha, rho = 0.05, 0.7
    est = LossRegressor(loss="huber", alpha=alpha, l1_ratio=rho, scale=1.0).fit(X, y)
    w, b = est.coef_, est.intercept_
    r = y - X @ w - b
    g_data = -X.T @ _huber_grad(r, 1.0) / len(y)
    g = g_data + alpha * (1 - rho) * w
    zero = w == 0
    assert zero.any() and (~zero).any()
    # nonzero: gradient + alpha rho sign(w) = 0 (relative to the column's
    # scale, which multiplies its gradient); zero: |gradient| <= alpha rho
    col = np.sqrt(np.mean(X**2, axis=0))
    kkt = (g + alpha * rho * np.sign(w)) / np.maximum(col, 1)
    np.testing.assert_allclose(kkt[~zero], 0, atol=1e-10)
    assert np.all(np.abs(g[zero]) <= alpha * rho * (1 + 1e-9))
    assert abs(_huber_grad(r, 1.0).sum()) < 1e-9 * len(y)


@pytest.mark.parametrize("loss", ["cauchy", "tukey_biweight"])
def test_nonconvex_reaches_a_stationary_point(loss):
    _needs(loss)
    X, y = _regression_data(n=150, p=3, seed=4)
    y[:10] += 30  # gross outliers: the robust fit ignores them
    est = LossRegressor(loss=loss, alpha=1e-4, scale=1.0).fit(X, y)
    clean = LossRegressor(loss="squared_error", alpha=1e-4).fit(X[10:], y[10:])
    np.testing.assert_allclose(est.coef_, clean.coef_, atol=0.3)
    # gradient of the objective vanishes (finite differences of our loss)
    from sklloss.losses import get_loss

    L = get_loss(loss)
    theta = np.append(est.coef_, est.intercept_)

    def F(t):
        return L.loss(y, X @ t[:-1] + t[-1]).mean() + 1e-4 / 2 * t[:-1] @ t[:-1]

    g = scipy.optimize.approx_fprime(theta, F, 1e-7)
    assert np.max(np.abs(g)) < 1e-5


# -------------------------------------------------------- classification
def _classification_data(n=150, p=4, K=2, seed=0, bad_scale=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    W = rng.normal(size=(K, p))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, K)), axis=1)
    if bad_scale:
        X = X * 10.0 ** rng.uniform(-2, 2, size=p)
    return X, y


@pytest.mark.parametrize("bad_scale", [False, True], ids=["scaled", "badly_scaled"])
@pytest.mark.parametrize("K", [2, 3], ids=["binary", "multinomial"])
def test_log_loss_matches_logistic_regression(K, bad_scale):
    # LogisticRegression: C sum logloss + 1/2 ||w||^2 = ours * C n / ... with
    # C = 1 / (alpha n).
    _needs("log_loss")
    X, y = _classification_data(K=K, bad_scale=bad_scale)
    alpha = 1e-2
    ours = LossClassifier(loss="log_loss", alpha=alpha).fit(X, y)
    ref = LogisticRegression(
        C=1 / (alpha * len(y)), solver="newton-cholesky", tol=1e-12, max_iter=1000
    ).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    # multinomial intercepts are defined up to a common shift: compare centred
    b1 = ours.intercept_ - ours.intercept_.mean() * (K > 2)
    b2 = ref.intercept_ - ref.intercept_.mean() * (K > 2)
    np.testing.assert_allclose(b1, b2, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        ours.predict_proba(X), ref.predict_proba(X), rtol=1e-6, atol=1e-10
    )


def _binary_margin_formulas():
    # value as a function of the margin m = (2y - 1) raw, and its derivative
    return {
        "squared_hinge": (
            lambda m: np.maximum(1 - m, 0) ** 2,
            lambda m: -2 * np.maximum(1 - m, 0),
        ),
        "exponential": (lambda m: np.exp(-m), lambda m: -np.exp(-m)),
        "modified_huber": (
            lambda m: np.where(m >= -1, np.maximum(1 - m, 0) ** 2, -4 * m),
            lambda m: np.where(m >= -1, -2 * np.maximum(1 - m, 0), -4.0),
        ),
    }


@pytest.mark.parametrize("name", sorted(_binary_margin_formulas()))
@pytest.mark.parametrize("bad_scale", [False, True], ids=["scaled", "badly_scaled"])
def test_margin_loss_beats_independent_reference(name, bad_scale):
    _needs(name)
    value, dvalue = _binary_margin_formulas()[name]
    X, y = _classification_data(n=100, p=3, seed=2, bad_scale=bad_scale)
    s = 2 * y - 1
    alpha = 1e-2
    est = LossClassifier(loss=name, alpha=alpha).fit(X, y)

    def F(theta):
        m = s * (X @ theta[:-1] + theta[-1])
        return value(m).mean() + alpha / 2 * theta[:-1] @ theta[:-1]

    def dF(theta):
        g = dvalue(s * (X @ theta[:-1] + theta[-1])) * s / len(y)
        return np.append(X.T @ g + alpha * theta[:-1], g.sum())

    ref = _reference_minimum(F, dF, np.full(X.shape[1] + 1, 0.01))
    ours = np.append(est.coef_.ravel(), est.intercept_)
    assert F(ours) <= F(ref) + 1e-12 * max(1.0, abs(F(ref)))
    scale = np.append(np.sqrt(np.mean(X**2, axis=0)), 1.0)
    assert np.max(np.abs(dF(ours)) / scale) < 1e-8


def test_focal_binary_beats_powell_reference():
    _needs("focal")
    from sklloss.losses import get_loss

    loss = get_loss("focal")
    gamma = loss.gamma
    weight = getattr(loss, "alpha", None)
    X, y = _classification_data(n=60, p=2, seed=8)
    alpha = 1e-2
    est = LossClassifier(loss=loss, alpha=alpha).fit(X, y)

    def F(theta):
        z = X @ theta[:-1] + theta[-1]
        pt = np.where(y == 1, expit(z), expit(-z))
        at = 1.0 if weight is None else np.where(y == 1, weight, 1 - weight)
        log_pt = -np.logaddexp(0, np.where(y == 1, -z, z))
        return np.mean(-at * (1 - pt) ** gamma * log_pt) + alpha / 2 * np.sum(
            theta[:-1] ** 2
        )

    res = scipy.optimize.minimize(
        F,
        np.array([0.3, -0.3, 0.1]),
        method="Powell",
        options={"xtol": 1e-12, "ftol": 1e-15, "maxiter": 100_000},
    )
    ours = np.append(est.coef_.ravel(), est.intercept_)
    assert F(ours) <= res.fun + 1e-12
    g = scipy.optimize.approx_fprime(ours, F, 1e-8)
    assert np.max(np.abs(g)) < 1e-6


def test_label_smoothing_multinomial_beats_reference():
    _needs("log_loss")
    X, y = _classification_data(n=90, p=2, K=3, seed=6)
    K, ls, alpha = 3, 0.2, 1e-2
    est = LossClassifier(loss="log_loss", alpha=alpha, label_smoothing=ls).fit(X, y)
    Y = np.full((len(y), K), ls / K)
    Y[np.arange(len(y)), y] += 1 - ls
    p = X.shape[1]

    def F(theta):
        W = theta[: K * p].reshape(K, p)
        raw = X @ W.T + theta[K * p :]
        return (
            -np.mean(np.sum(Y * log_softmax(raw, axis=1), axis=1))
            + alpha / 2 * (W**2).sum()
        )

    def dF(theta):
        W = theta[: K * p].reshape(K, p)
        raw = X @ W.T + theta[K * p :]
        P = np.exp(raw - logsumexp(raw, axis=1, keepdims=True))
        G = (P - Y) / len(y)
        return np.concatenate([(G.T @ X + alpha * W).ravel(), G.sum(axis=0)])

    ref = _reference_minimum(F, dF, np.full(K * p + K, 0.05))
    ours = np.concatenate([est.coef_.ravel(), est.intercept_])
    assert F(ours) <= F(ref) + 1e-12
    assert np.max(np.abs(dF(ours))) < 1e-8


# ------------------------------------------------- all-zero L1 optimum (exact)
@pytest.mark.parametrize(
    "estimator",
    [
        LossRegressor(loss="absolute_error"),
        LossRegressor(loss="quantile"),
        LossRegressor(loss="epsilon_insensitive"),
        LossClassifier(loss="hinge"),
    ],
    ids=["absolute_error", "quantile", "epsilon_insensitive", "hinge"],
)
def test_exact_solver_all_zero_l1_optimum(estimator):
    # With no intercept, w = 0 is optimal as soon as alpha >= max_j |x_j^T v| / S
    # for a subgradient v of the loss at 0 (|v_i| <= 1 for these losses):
    # alpha = max_j sum_i |x_ij| / n is large enough, whatever v.
    _needs_exact()
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 5))
    y = X @ rng.normal(size=5) + rng.normal(size=40)
    if isinstance(estimator, LossClassifier):
        y = (y > 0).astype(int)
    alpha = float(np.max(np.abs(X).sum(axis=0))) / len(y) * 1.5
    est = clone(estimator).set_params(alpha=alpha, l1_ratio=1.0, fit_intercept=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    np.testing.assert_array_equal(est.coef_, 0.0)


# ----------------------------------------- L1 / elastic net: proximal Newton
def _lasso_objective(X, y, w, b, alpha):
    return np.mean((y - X @ w - b) ** 2) + alpha * np.abs(w).sum()


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_wide_lasso_matches_sklearn_support_and_objective(fmt):
    # ours = mean r^2 + alpha ||w||_1 = 2 * Lasso's objective at alpha / 2.
    # p > n: the optimum has at most n nonzero coefficients, exactly zero.
    from scipy import sparse

    rng = np.random.default_rng(7)
    X = rng.normal(size=(60, 300))
    X[X < 0.5] = 0.0  # sparse-ish, so the CSR / CSC copies are meaningful
    y = X[:, :8] @ rng.normal(size=8) + 0.1 * rng.normal(size=60)
    alpha = 0.05
    ref = Lasso(alpha=alpha / 2, tol=1e-14, max_iter=100_000).fit(X, y)
    Xf = {"dense": X, "csr": sparse.csr_matrix(X), "csc": sparse.csc_matrix(X)}[fmt]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = LossRegressor(alpha=alpha, l1_ratio=1.0, scale=1.0).fit(Xf, y)
    f = _lasso_objective(X, y, ours.coef_, ours.intercept_, alpha)
    f_ref = _lasso_objective(X, y, ref.coef_, ref.intercept_, alpha)
    assert f <= f_ref * (1 + 1e-10)
    np.testing.assert_array_equal(ours.coef_ != 0, ref.coef_ != 0)
    assert np.sum(ours.coef_ != 0) < 60


def test_l1_multinomial_kkt_and_exact_zeros():
    # softmax with elastic net on badly scaled columns, zero weights: the
    # subgradient conditions, from the formula, in the original coefficients
    X, y = _classification_data(n=120, p=6, K=3, seed=4, bad_scale=True)
    sw = np.random.default_rng(0).uniform(0.5, 2.0, size=len(y))
    sw[::7] = 0.0
    alpha, l1_ratio = 0.02, 0.7
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LossClassifier(loss="log_loss", alpha=alpha, l1_ratio=l1_ratio).fit(
            X, y, sample_weight=sw
        )
    Y = np.eye(3)[np.searchsorted(est.classes_, y)]
    Z = X @ est.coef_.T + est.intercept_
    P = np.exp(log_softmax(Z, axis=1))
    s = sw / sw.sum()
    G = (s[:, None] * (P - Y)).T @ X + alpha * (1 - l1_ratio) * est.coef_
    lam = alpha * l1_ratio
    W = est.coef_
    tol = 1e-6 * np.sqrt(s @ (X * X))
    viol = np.where(W == 0, np.abs(G) - lam, np.abs(G + lam * np.sign(W)))
    assert np.all(viol <= tol)
    assert np.any(W == 0)
    np.testing.assert_allclose((s[:, None] * (P - Y)).sum(axis=0), 0, atol=1e-9)


def test_l1_nonconvex_reaches_a_stationary_point():
    # cauchy (non-convex) with L1: a local optimum -- the subgradient
    # conditions hold there -- and no divergence
    X, y = _regression_data(n=150, p=6, seed=2)
    y[:10] += 30  # outliers, where the loss is concave
    alpha = 0.02
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LossRegressor(loss="cauchy", alpha=alpha, l1_ratio=1.0, scale=1.0).fit(
            X, y
        )
    c = 2.3849
    r = y - X @ est.coef_ - est.intercept_
    dz = -r / (1 + (r / c) ** 2)  # d/dz of c^2/2 log(1 + (r/c)^2)
    g = X.T @ dz / len(y)
    w = est.coef_
    viol = np.where(w == 0, np.abs(g) - alpha, np.abs(g + alpha * np.sign(w)))
    assert np.all(viol <= 1e-6 * X.std(axis=0))
    assert abs(dz.mean()) <= 1e-8
    assert np.all(np.abs(w) < 10)


def test_l1_loss_without_hessian_reaches_the_optimum():
    # a user's loss with a gradient only: the Newton model comes from
    # differences of the gradient; compared with the same objective as
    # squared error (pseudo squared error = r^2 through loss/gradient only)
    from sklloss import Loss

    class GradientOnlySquared(Loss):
        def loss(self, y_true, raw_prediction):
            return (y_true - raw_prediction) ** 2

        def gradient(self, y_true, raw_prediction):
            return -2 * (y_true - raw_prediction)

    X, y = _regression_data(n=80, p=5, seed=3, bad_scale=True)
    alpha = 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LossRegressor(loss=GradientOnlySquared(), alpha=alpha, l1_ratio=1.0)
        est.fit(X, y)
    ref = Lasso(alpha=alpha / 2, tol=1e-14, max_iter=100_000).fit(X, y)
    f = _lasso_objective(X, y, est.coef_, est.intercept_, alpha)
    f_ref = _lasso_objective(X, y, ref.coef_, ref.intercept_, alpha)
    assert f <= f_ref * (1 + 1e-10)


def test_l1_not_converged_warns_with_the_kkt_violation():
    X, y = _regression_data(n=100, p=8, seed=1)
    with pytest.warns(ConvergenceWarning, match="KKT"):
        LossRegressor(loss="huber", alpha=0.01, l1_ratio=0.5, max_iter=1).fit(X, y)


def test_l1_tiny_targets_reach_the_optimum():
    # targets of 1e-6: the objective is ~1e-12 from the start, and the
    # stopping test must be relative to it
    rng = np.random.default_rng(5)
    X = rng.normal(size=(80, 6))
    y = 1e-6 * (X @ rng.normal(size=6) + rng.normal(size=80))
    alpha = 1e-8
    ours = LossRegressor(alpha=alpha, l1_ratio=1.0, scale=1.0).fit(X, y)
    ref = Lasso(alpha=alpha / 2, tol=1e-16, max_iter=100_000).fit(X, y)
    f = _lasso_objective(X, y, ours.coef_, ours.intercept_, alpha)
    f_ref = _lasso_objective(X, y, ref.coef_, ref.intercept_, alpha)
    assert f <= f_ref * (1 + 1e-9)
