"""The "sampled-newton" solver: quasi-Newton from a Hessian on a row sample.

References are independent of the solver: scipy's L-BFGS-B / a closed form on
an objective written out here, and scikit-learn's LogisticRegression.
"""

import warnings

import numpy as np
import pytest
import scipy.optimize
from scipy.special import expit, log_expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sklloss import LossClassifier, LossRegressor
from sklloss.linear_model import _solvers
from sklloss.linear_model._solvers import SolverResult, sampled_newton

ALPHA = 1e-3


def _silent(it, f, g):
    pass


_silent.verbose = 0


def _quadratic(seed=0, p=8):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((3 * p, p))
    A = A.T @ A / (3 * p) + 0.1 * np.eye(p)
    b = rng.standard_normal(p)
    calls = []

    def fg(x):
        calls.append(1)
        return 0.5 * x @ A @ x - b @ x, A @ x - b

    return A, b, fg, calls


@pytest.mark.parametrize("factor", [1.0, 0.5, 3.0, -1.0])
def test_quadratic_reaches_closed_form(factor):
    # the exact Hessian (factor 1) needs one step; a model off by a factor
    # (or of the wrong sign: |eigenvalues| are used) still converges
    A, b, fg, calls = _quadratic()
    res = sampled_newton(
        fg,
        lambda x: factor * A,
        np.zeros(len(b)),
        max_iter=200,
        tol=1e-12,
        printer=_silent,
    )
    assert res.converged
    np.testing.assert_allclose(res.theta, np.linalg.solve(A, b), rtol=1e-9)
    if factor == 1.0:  # one Newton step (+ one for the 1e-8 ridge)
        assert len(calls) <= 3


def _binary(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, size=p)
    w = rng.standard_normal(p) / np.sqrt(p)
    y = (rng.random(n) < expit(X @ w + 0.3)).astype(int)
    return X, y


def _log_loss_objective(theta, X, y, alpha):
    z = X @ theta[:-1] + theta[-1]
    return np.mean(-y * log_expit(z) - (1 - y) * log_expit(-z)) + 0.5 * alpha * (
        theta[:-1] @ theta[:-1]
    )


def test_auto_uses_it_above_50000_rows_and_matches_logistic_regression():
    X, y = _binary(60_000, 25)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LossClassifier(loss="log_loss", alpha=ALPHA).fit(X, y)
    assert est.solver_ == "sampled-newton"
    ref = LogisticRegression(C=1 / (ALPHA * len(y)), tol=1e-12, max_iter=10_000).fit(
        X, y
    )
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-5, atol=1e-8)
    ours = _log_loss_objective(np.r_[est.coef_.ravel(), est.intercept_], X, y, ALPHA)
    theirs = _log_loss_objective(np.r_[ref.coef_.ravel(), ref.intercept_], X, y, ALPHA)
    assert ours <= theirs * (1 + 1e-12)


def test_poisson_with_weights_matches_scipy_on_the_formula():
    rng = np.random.default_rng(1)
    n, p = 55_000, 20
    X = rng.standard_normal((n, p))
    y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1] + 0.5)).astype(float)
    sw = rng.integers(0, 4, size=n).astype(float)
    est = LossRegressor(loss="poisson", alpha=ALPHA, scale=1.0)
    est.fit(X, y, sample_weight=sw)
    assert est.solver_ == "sampled-newton"

    def f(theta):
        # mean unit deviance 2 (y log(y / mu) - y + mu), mu = exp(z)
        z = X @ theta[:-1] + theta[-1]
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
        dev = 2 * (ylogy - y * z - y + np.exp(z))
        return sw @ dev / sw.sum() + 0.5 * ALPHA * theta[:-1] @ theta[:-1]

    ref = scipy.optimize.minimize(
        f, np.zeros(p + 1), method="BFGS", options={"gtol": 1e-10, "maxiter": 1000}
    )
    ours = f(np.r_[est.coef_, est.intercept_])
    assert ours <= ref.fun + 1e-10 * abs(ref.fun)
    np.testing.assert_allclose(est.coef_, ref.x[:-1], atol=1e-5)


@pytest.mark.parametrize("loss", ["huber", "smooth_l1"])
def test_not_chosen_for_piecewise_quadratic_regression_losses(loss):
    # their generalized Hessian jumps: L-BFGS-B needed as many passes
    # (margin losses of that kind take it: tests/test_fit_plan.py)
    X, y = _binary(55_000, 20)
    Est = LossRegressor
    est = Est(loss=loss, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert est.solver_ == "lbfgs"


def test_multinomial_explicit_solver_agrees_with_newton_cholesky():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((600, 6))
    y = np.argmax(X[:, :3] + rng.gumbel(size=(600, 3)), axis=1)
    ref = LossClassifier(solver="newton-cholesky", tol=1e-12).fit(X, y)
    est = LossClassifier(solver="sampled-newton", tol=1e-10).fit(X, y)
    assert est.solver_ == "sampled-newton"
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-8)


def test_line_search_failure_hands_over_to_lbfgs(monkeypatch):
    def fail(fun_grad, hessian, x0, **kwargs):
        return SolverResult(x0.copy(), 2, False, "the line search failed")

    monkeypatch.setattr(_solvers, "sampled_newton", fail)
    X, y = _binary(400, 4)
    ref = LossClassifier(solver="newton-cholesky", tol=1e-12).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LossClassifier(solver="sampled-newton").fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-7)
    assert est.n_iter_ > 2  # the failed attempt's iterations are counted


def test_hessian_of_a_row_sample_keeps_the_full_objectives_coordinates():
    # LinearObjective.hessian(theta, rows=sub) with sub = all rows equals the
    # objective's own Hessian, and both equal finite differences of the gradient
    from sklloss.linear_model._objective import LinearObjective
    from sklloss.losses import get_loss

    X, y = _binary(300, 4)
    obj = LinearObjective(X, y.astype(float), np.ones(300), get_loss("log_loss"))
    same = obj._every_nth_row(1)
    theta = np.random.default_rng(3).standard_normal(obj.n_params) * 0.3
    H = obj.hessian(theta, rows=same)
    np.testing.assert_allclose(H, obj.hessian(theta), rtol=1e-12, atol=1e-14)
    eps = 1e-6

    def grad(t):
        return obj.loss_gradient(t)[1]

    fd = np.column_stack(
        [(grad(theta + eps * e) - grad(theta - eps * e)) / (2 * eps) for e in np.eye(5)]
    )
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "name, y",
    [
        ("squared_error", 0.0),
        ("huber", 0.0),
        ("smooth_l1", 0.0),
        ("log_cosh", 0.0),
        ("squared_epsilon_insensitive", 0.0),
        ("poisson", 2.0),
        ("log_loss", 1.0),
        ("squared_hinge", 1.0),
        ("modified_huber", 1.0),
        ("exponential", 1.0),
    ],
)
def test_is_twice_differentiable_flag_matches_the_hessian(name, y):
    # On a grid of step 1e-4 a continuous Hessian moves by O(1e-4); the
    # generalized Hessian of a piecewise-quadratic loss jumps by O(1).
    from sklloss.losses import get_loss

    loss = get_loss(name)
    z = np.linspace(-3, 3, 60_001)
    h = loss.hessian(np.full(z.shape, y), z)
    jump = np.max(np.abs(np.diff(h)))
    if loss.is_twice_differentiable:
        assert jump < 1e-2
    else:
        assert jump > 0.1


@pytest.mark.parametrize("case", ["sparse", "wide"])
def test_not_chosen_for_sparse_or_wide_x(case):
    # a dense P x P Hessian costs more than the cheap passes of a sparse X,
    # and O(P^3) beyond 500 parameters
    from scipy import sparse

    rng = np.random.default_rng(4)
    n = 52_000
    if case == "sparse":
        X = sparse.random(n, 40, density=0.05, format="csr", random_state=4)
    else:
        X = rng.standard_normal((n, 510)).astype(np.float32)
    y = rng.integers(0, 2, size=n)
    est = LossClassifier(max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    # sparse X: truncated Newton (Hessian products, no dense Hessian)
    assert est.solver_ == ("newton-cg" if case == "sparse" else "lbfgs")
