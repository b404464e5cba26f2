"""Extreme weights, extreme scales, float32 X and degenerate classification.

Every fit here ends in one of the three states of issue 12: the optimum of
the stated objective (checked against scikit-learn, cvxpy or a closed form),
a ConvergenceWarning that says why, or a ValueError naming the argument.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression

from sklloss import LossClassifier, LossRegressor


def _regression(n=200, p=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ np.arange(1.0, p + 1) + rng.normal(size=n)
    return X, y


def _mean_pinball(y, pred, w, q=0.5):
    r = y - pred
    return float(np.sum(w * np.maximum(q * r, (q - 1) * r)) / np.sum(w))


def _mean_hinge(y01, raw, w):
    m = (2 * y01 - 1) * raw
    return float(np.sum(w * np.maximum(0.0, 1.0 - m)) / np.sum(w))


# ------------------------------------------------------------------ weights
# A common factor of the weights does not change a weighted mean: weights
# c * w0 must give the fit on w0, wherever sum(c * w0) overflows.
HUGE = 1e307  # 200 rows: the sum overflows to inf


def test_weights_whose_sum_overflows_squared_error():
    X, y = _regression()
    w0 = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = LossRegressor(loss="squared_error", alpha=0.0).fit(
            X, y, sample_weight=HUGE * w0
        )
    ref = LinearRegression().fit(X, y, sample_weight=w0)
    np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-8)
    np.testing.assert_allclose(reg.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("loss", ["absolute_error", "quantile"])
def test_weights_whose_sum_overflows_exact_solver(loss):
    X, y = _regression()
    w0 = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = LossRegressor(loss=loss, alpha=0.0).fit(X, y, sample_weight=HUGE * w0)
    from sklearn.linear_model import QuantileRegressor

    ref = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(
        X, y, sample_weight=w0
    )
    mine = _mean_pinball(y, X @ reg.coef_ + reg.intercept_, w0)
    theirs = _mean_pinball(y, ref.predict(X), w0)
    assert np.all(np.isfinite(reg.coef_))
    assert mine <= theirs * (1 + 1e-9)


@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
def test_weights_whose_sum_overflows_classifier(loss):
    X, y = _regression()
    y01 = (y > 1).astype(int)
    w0 = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    alpha = 1e-2
    clf = LossClassifier(loss=loss, alpha=alpha).fit(X, y01, sample_weight=HUGE * w0)
    assert np.all(np.isfinite(clf.coef_))
    if loss == "log_loss":
        # sum_i s_i loss_i + alpha/2 ||w||^2 (s = w0 / sum w0) is
        # LogisticRegression's C sum_i s_i loss_i + 1/2 ||w||^2 with C = 1/alpha
        ref = LogisticRegression(C=1 / alpha, tol=1e-12, max_iter=10_000).fit(
            X, y01, sample_weight=w0 / w0.sum()
        )
        np.testing.assert_allclose(clf.coef_, ref.coef_, rtol=1e-5)
    else:
        same = LossClassifier(loss=loss, alpha=alpha).fit(X, y01, sample_weight=w0)
        np.testing.assert_allclose(clf.coef_, same.coef_, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "loss",
    [
        "squared_error",
        "huber",
        "absolute_error",
        "quantile",
        "epsilon_insensitive",
        "cauchy",
        "tukey_biweight",
    ],
)
def test_weights_spanning_600_decades(loss):
    """10 ** U(-300, 300): the fit is the one on the weights over their max."""
    X, y = _regression()
    sw = 10 ** np.random.default_rng(4).uniform(-300, 300, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = LossRegressor(loss=loss, alpha=0.0).fit(X, y, sample_weight=sw)
    assert np.all(np.isfinite(reg.coef_))
    # A reference on the rescaled weights, written with scikit-learn
    s = sw / sw.max()
    if loss == "squared_error":
        ref = LinearRegression().fit(X, y, sample_weight=s)
        np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-6)
    elif loss in ("absolute_error", "quantile", "epsilon_insensitive"):
        # epsilon=0: all three are the absolute error; compare objectives
        # (the LP may have several minimisers)
        big = s > 1e-30
        from sklearn.linear_model import QuantileRegressor

        ref = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(
            X[big], y[big], sample_weight=s[big]
        )
        mine = _mean_pinball(y, X @ reg.coef_ + reg.intercept_, s)
        assert mine <= _mean_pinball(y, ref.predict(X), s) * (1 + 1e-8)


# ------------------------------------------------- degenerate classification
def test_hinge_single_positive_row():
    """issue 12: one positive row among 2000 gave an all-NaN hinge model."""
    rng = np.random.default_rng(12)
    X = rng.normal(size=(2000, 5))
    y = np.zeros(2000)
    y[772] = 1
    alpha = 1e-4
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = LossClassifier(loss="hinge", alpha=alpha).fit(X, y)
    assert np.all(np.isfinite(clf.coef_))
    cp = pytest.importorskip("cvxpy")
    w, b = cp.Variable(5), cp.Variable()
    m = cp.multiply(2 * y - 1, X @ w + b)
    prob = cp.Problem(
        cp.Minimize(cp.sum(cp.pos(1 - m)) / 2000 + alpha / 2 * cp.sum_squares(w))
    )
    prob.solve(solver="CLARABEL")

    def objective(coef, intercept):
        return _mean_hinge(y, X @ coef + intercept, np.ones(2000)) + alpha / 2 * (
            coef @ coef
        )

    ours = objective(clf.coef_.ravel(), clf.intercept_[0])
    assert ours <= prob.value + 1e-9
    # Clarabel's default accuracy is ~1e-5 in the coefficients here
    np.testing.assert_allclose(clf.coef_.ravel(), w.value, atol=5e-5)
    np.testing.assert_allclose(clf.intercept_[0], b.value, atol=5e-5)
    assert clf.predict(X[772:773])[0] == 0  # the optimum is b = -1, w = 0
