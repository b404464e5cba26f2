"""LossRegressor: parameters, inputs, solvers and realistic use."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklloss import LossRegressor
from sklloss.losses import Huber, get_loss, loss_names


def _data(n=150, p=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + 1.0 + 0.3 * rng.standard_t(3, size=n)
    return X, y


def test_loss_instance_is_not_modified_and_searchable():
    X, y = _data()
    loss = Huber(delta=1.0)
    grid = GridSearchCV(
        LossRegressor(loss=loss), {"loss__delta": [0.5, 1.0, 2.0]}, cv=3
    ).fit(X, y)
    assert loss.delta == 1.0  # the user's object is untouched
    assert grid.best_estimator_.loss_.delta == grid.best_params_["loss__delta"]
    grid = GridSearchCV(
        LossRegressor(), {"loss": ["huber", "squared_error", "mae"]}, cv=3
    ).fit(X, y)
    assert grid.best_params_["loss"] in {"huber", "squared_error", "mae"}


def test_alias_and_name_give_the_same_fit():
    X, y = _data()
    a = LossRegressor(loss="mse").fit(X, y)
    b = LossRegressor(loss="squared_error").fit(X, y)
    np.testing.assert_allclose(a.coef_, b.coef_)


@pytest.mark.parametrize("loss", ["zero_one", "entropy", "log_loss", "hinge"])
def test_wrong_or_untrainable_loss_is_refused(loss):
    assert loss in loss_names()
    X, y = _data()
    with pytest.raises(ValueError, match="squared_error.*huber|huber.*squared_error"):
        LossRegressor(loss=loss).fit(X, (y > 0).astype(float))


@pytest.mark.parametrize(
    "param, value",
    [
        ("alpha", -1.0),
        ("l1_ratio", 1.5),
        ("tol", 0.0),
        ("max_iter", 0),
        ("solver", "sgd"),
        ("fit_intercept", "yes"),
    ],
)
def test_invalid_parameters_name_themselves(param, value):
    X, y = _data()
    with pytest.raises(ValueError, match=param):
        LossRegressor(**{param: value}).fit(X, y)


def test_exact_solver_refused_for_smooth_loss():
    X, y = _data()
    with pytest.raises(ValueError, match="exact"):
        LossRegressor(loss="huber", solver="exact").fit(X, y)


def test_newton_solver_refused_without_hessian():
    X, y = _data()
    with pytest.raises(ValueError, match="Hessian"):
        LossRegressor(loss="absolute_error", solver="newton-cholesky").fit(X, y)


def test_target_outside_domain_is_a_value_error():
    X, y = _data()
    with pytest.raises(ValueError, match="poisson"):
        LossRegressor(loss="poisson").fit(X, y - 100)


@pytest.mark.parametrize(
    "solver", ["newton-cholesky", "sampled-newton", "trust-ncg", "lbfgs"]
)
@pytest.mark.parametrize("loss", ["huber", "log_cosh", "poisson"])
def test_solvers_agree(loss, solver):
    X, y = _data()
    if loss == "poisson":
        y = np.random.default_rng(0).poisson(np.exp(0.3 * X[:, 0]))
    ref = LossRegressor(loss=loss, solver="newton-cholesky").fit(X, y)
    est = LossRegressor(loss=loss, solver=solver, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-7)


def test_badly_scaled_columns_converge_by_default():
    # coefficients of a column rescaled by c are divided by c (alpha = 0)
    X, y = _data(n=400, p=6, seed=3)
    c = 10.0 ** np.random.default_rng(1).uniform(-2, 2, size=6)
    for solver in ["auto", "lbfgs"]:
        with __import__("warnings").catch_warnings():
            __import__("warnings").simplefilter("error", ConvergenceWarning)
            plain = LossRegressor(loss="huber", alpha=0.0, solver=solver).fit(X, y)
            scaled = LossRegressor(loss="huber", alpha=0.0, solver=solver).fit(X * c, y)
        np.testing.assert_allclose(scaled.coef_ * c, plain.coef_, rtol=1e-6)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("loss", ["squared_error", "huber", "poisson"])
def test_sparse_equals_dense(loss, fmt):
    X, y = _data()
    X[np.abs(X) < 0.7] = 0.0
    if loss == "poisson":
        y = np.random.default_rng(0).poisson(np.exp(0.3 * X[:, 0]))
    dense = LossRegressor(loss=loss, alpha=1e-3).fit(X, y)
    sparse = LossRegressor(loss=loss, alpha=1e-3).fit(sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-8)


def test_float32_kept():
    X, y = _data()
    est = LossRegressor().fit(X.astype(np.float32), y)
    assert est.coef_.dtype == np.float32
    est = LossRegressor().fit(X, y)
    assert est.coef_.dtype == np.float64


def test_log_link_predicts_through_exp():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = rng.poisson(np.exp(X @ [0.5, -0.2] + 1))
    est = LossRegressor(loss="poisson").fit(X, y)
    np.testing.assert_allclose(est.predict(X), np.exp(X @ est.coef_ + est.intercept_))
    assert np.all(est.predict(X) > 0)


def test_warm_start_reuses_solution():
    X, y = _data()
    est = LossRegressor(loss="huber", warm_start=True).fit(X, y)
    first = est.n_iter_
    est.fit(X, y)
    assert est.n_iter_ <= 2 < first + 1
    cold = LossRegressor(loss="huber").fit(X, y)
    np.testing.assert_allclose(est.coef_, cold.coef_, rtol=1e-9)


def test_no_intercept():
    X, y = _data()
    est = LossRegressor(fit_intercept=False, alpha=0.0).fit(X, y)
    ref = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(est.coef_, ref, rtol=1e-9)
    assert est.intercept_ == 0.0


def test_verbose_prints_progress(capsys):
    X, y = _data()
    LossRegressor(loss="huber", verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "objective" in out and "|grad|" in out


def test_convergence_warning_not_exception():
    X, y = _data()
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        est = LossRegressor(loss="log_cosh", solver="lbfgs", max_iter=1).fit(X, y)
    assert est.n_iter_ >= 1


def test_user_loss_without_hessian_trains_with_lbfgs():
    from sklloss.losses import Loss

    class Quartic(Loss):
        """(y - z)^4 / 4, value and gradient only."""

        def loss(self, y_true, raw_prediction):
            return (y_true - raw_prediction) ** 4 / 4

        def gradient(self, y_true, raw_prediction):
            return (raw_prediction - y_true) ** 3

    X, y = _data()
    est = LossRegressor(loss=Quartic(), alpha=1e-3).fit(X, y)
    assert est.solver_ == "lbfgs"
    r = y - est.predict(X)
    grad = -X.T @ r**3 / len(y) + 1e-3 * est.coef_
    assert np.max(np.abs(grad)) < 1e-6
    assert abs(np.mean(r**3)) < 1e-6


def test_pipeline_in_grid_search_with_sklloss_scorer():
    from sklloss.scorers import get_scorer

    X, y = _data(n=200)
    pipe = make_pipeline(StandardScaler(), LossRegressor(loss=Huber()))
    grid = GridSearchCV(
        pipe,
        {"lossregressor__alpha": [1e-4, 1e-1], "lossregressor__loss__delta": [0.5, 2]},
        scoring=get_scorer("neg_mean_huber_loss"),
        cv=3,
    ).fit(X, y)
    assert np.isfinite(grid.best_score_)


def test_column_transformer_on_dataframe():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "size": rng.uniform(10, 200, 120),
            "rooms": rng.integers(1, 6, 120),
            "city": rng.choice(["a", "b", "c"], 120),
        }
    )
    y = 3 * df["size"] + 10 * df["rooms"] + (df["city"] == "a") * 50
    ct = ColumnTransformer(
        [
            ("num", StandardScaler(), ["size", "rooms"]),
            ("cat", OneHotEncoder(), ["city"]),
        ]
    )
    model = make_pipeline(ct, LossRegressor(loss="huber", alpha=0.0)).fit(df, y)
    assert model.score(df, y) > 0.99
    est = LossRegressor().fit(df[["size", "rooms"]], y)
    assert list(est.feature_names_in_) == ["size", "rooms"]


def test_pickle_round_trip():
    X, y = _data()
    est = LossRegressor(loss=get_loss("quantile", quantile=0.5), alpha=1e-3)
    try:
        est.fit(X, y)
    except ImportError:
        est = LossRegressor(loss="huber").fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(back.predict(X), est.predict(X))
    assert clone(est).get_params()["loss"].get_params() == est.loss.get_params()


def test_nonconvex_loss_is_robust_to_outliers():
    X, y = _data(n=200, seed=5)
    y_out = y.copy()
    y_out[:20] += 50
    clean = LossRegressor().fit(X[20:], y[20:])
    est = LossRegressor(loss="tukey_biweight").fit(X, y_out)
    np.testing.assert_allclose(est.coef_, clean.coef_, atol=0.15)


@pytest.mark.parametrize("loss", ["tukey_biweight", "cauchy"])
def test_redescending_loss_starts_inside_its_scale(loss):
    # 95 targets at 1000 and 5 at 10: the objective's global minimum is at
    # b = 1000 (for Tukey: only the 5 outliers pay, c^2/6 each; moving b
    # makes the 95 inliers pay too). A Huber start with a scale taken from y
    # put every residual beyond Tukey's c, a flat region where the gradient
    # is zero, and the fit stopped at 984.7.
    y = np.r_[np.full(95, 1000.0), np.full(5, 10.0)]
    X = np.zeros((100, 1))
    reg = LossRegressor(loss=loss).fit(X, y)
    assert reg.intercept_ == pytest.approx(1000.0, abs=1e-3)


@pytest.mark.parametrize("passes", ["compiled", "numpy"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("scale", [1.0, 2.5, "auto"], ids=lambda s: f"scale={s}")
@pytest.mark.parametrize("loss", ["huber", "smooth_l1"])
def test_outliers_are_those_of_the_returned_coefficients(
    monkeypatch, loss, scale, order, passes
):
    # 60,000 x 20 (L-BFGS-B from a subsample start): the compiled sweep (or
    # without it the NumPy blocks, or the two products of an F-ordered X)
    # records each evaluation's raw prediction, and outliers_ is taken from
    # the fit's last one, without a pass over X after the fit (no x_dot over
    # all rows for residuals; scale="auto" reads X once to look for an
    # interpolating fit first). The reference is the residual of the
    # returned coef_ / intercept_, written out here.
    import sys

    from sklloss.linear_model import _objective, _regressor

    if passes == "numpy":
        monkeypatch.setattr(_objective, "COMPILED_PASSES", False)
    rng = np.random.default_rng(3)
    n, p = 60_000, 20
    X = np.asarray(rng.standard_normal((n, p)), order=order)
    y = X @ rng.standard_normal(p) + rng.standard_t(2, n)
    full_reads = []

    def x_dot(A, w):
        caller = sys._getframe(1).f_code.co_name
        full_reads.append(A.shape[0] == n and caller == "residuals")
        return A @ w

    monkeypatch.setattr(_regressor, "x_dot", x_dot)
    est = LossRegressor(loss=loss, scale=scale).fit(X, y)
    assert est.solver_ == "lbfgs"
    r = y - (X @ est.coef_ + est.intercept_)
    expected = np.abs(r) > est.loss_.outlier_threshold * est.scale_
    assert 0 < expected.sum() < n
    np.testing.assert_array_equal(est.outliers_, expected)
    assert not any(full_reads)


def test_residuals_fall_back_to_a_pass_away_from_the_last_evaluation():
    # The recorded raw prediction serves only the point it was computed at:
    # after a later evaluation elsewhere (a line search's trial point), the
    # residuals of the earlier point come from a pass over X.
    from sklloss.linear_model._regressor import _InMemoryPlan

    rng = np.random.default_rng(4)
    n, p = 30_000, 5
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    est = LossRegressor(loss="huber", scale=1.0)
    plan = _InMemoryPlan(est, X, y, np.ones(n), get_loss("huber"))
    objective = plan.objective(1.0).configured(keep_raw=False, n_threads=1)
    theta = rng.standard_normal(objective.n_params) * 0.1
    W, b = objective.unpack(theta)
    objective.loss_gradient(theta)
    np.testing.assert_allclose(
        objective.last_raw(W, b), X @ W[0] + b[0], rtol=1e-12, atol=1e-14
    )
    objective.loss_gradient(theta * 0.5)
    assert objective.last_raw(W, b) is None
    plan._last_fit = (objective, W, b, W, b, 1.0)
    np.testing.assert_allclose(
        plan.residuals(W, b), y - X @ W[0] - b[0], rtol=1e-12, atol=1e-14
    )
