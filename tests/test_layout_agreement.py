"""The same data in any layout, dtype or sparse format gives the same model.

Issue 12 found an elastic-net softmax fit whose C-order, negative-stride,
float32 and sparse copies ended up to 3% apart. Here every copy of one
problem — C and F order, a negative-stride view, float32 holding the same
values, CSR and CSC in both dtypes — is fitted with the same settings and
the models must agree to 1e-6 relative (float64 copies) or to float32
rounding of the passes (float32 copies). The reference point is checked
independently: the elastic-net subgradient conditions of the softmax fit are
recomputed here from the formula, with scipy's ``log_softmax``.
"""

import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.special import log_softmax
from sklearn.exceptions import ConvergenceWarning

from sklloss import LossClassifier, LossRegressor


def _data(seed=0, n=400, p=12):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * np.logspace(-1, 1, p)
    X[:, 3] = 0.0  # a zero column
    X[::3, 5] = 0.0  # a sparse-ish column
    X = X.astype(np.float32).astype(np.float64)  # float32 copies: same values
    y_reg = X @ rng.standard_normal(p) * 0.1 + rng.standard_normal(n)
    y_clf = rng.integers(0, 3, n)
    return X, y_reg, y_clf


def _layouts(X):
    return {
        "C": np.ascontiguousarray(X),
        "F": np.asfortranarray(X),
        "negative-stride": np.ascontiguousarray(X[::-1])[::-1],
        "float32": X.astype(np.float32),
        "csr": sparse.csr_matrix(X),
        "csc": sparse.csc_matrix(X),
        "csr-float32": sparse.csr_matrix(X.astype(np.float32)),
        "csc-float32": sparse.csc_matrix(X.astype(np.float32)),
    }


def _case(name):
    X, y_reg, y_clf = _data()
    return {
        "softmax": (LossClassifier(loss="log_loss"), y_clf),
        "binary-log-loss": (LossClassifier(loss="log_loss"), y_clf % 2),
        "squared-hinge": (LossClassifier(loss="squared_hinge"), y_clf % 2),
        "huber": (LossRegressor(loss="huber", scale=1.0), y_reg),
        "squared-error": (LossRegressor(loss="squared_error", scale=1.0), y_reg),
        "poisson": (LossRegressor(loss="poisson", scale=1.0), np.abs(y_reg)),
    }[name] + (X,)


def _params(est):
    return np.r_[np.ravel(est.coef_), np.ravel(est.intercept_)].astype(np.float64)


def _assert_same_model_in_every_layout(est, X, y):
    models = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for layout, Xl in _layouts(X).items():
            models[layout] = _params(est.fit(Xl, y))
    ref = models["C"]
    for layout, theta in models.items():
        # float32 passes round each product to ~6e-8 relative
        rtol = 1e-6 if "float32" not in layout else 1e-5
        np.testing.assert_allclose(
            theta, ref, rtol=0, atol=rtol * np.abs(ref).max(), err_msg=layout
        )


CASES = ["softmax", "binary-log-loss", "squared-hinge", "huber", "squared-error"]
CASES += ["poisson"]
PENALTIES = {"l2": 0.0, "elastic-net": 0.5, "l1": 1.0}


@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("name", CASES)
def test_every_layout_gives_the_same_model(name, penalty):
    est, y, X = _case(name)
    est.set_params(alpha=0.01, l1_ratio=PENALTIES[penalty])
    _assert_same_model_in_every_layout(est, X, y)


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg", "newton-cholesky"])
def test_every_layout_gives_the_same_model_with_an_explicit_solver(solver):
    est, y, X = _case("softmax")
    est.set_params(alpha=0.01, solver=solver)
    _assert_same_model_in_every_layout(est, X, y)


@pytest.mark.parametrize("layout", ["negative-stride", "float32", "csr"])
def test_elastic_net_softmax_is_at_its_optimum_in_every_layout(layout):
    # the case: elastic-net softmax; the subgradient conditions of
    # (1/n) sum log_loss + alpha (rho |W|_1 + (1 - rho) / 2 |W|^2),
    # written here from the formula
    _, y, X = _case("softmax")
    alpha, rho = 0.01, 0.5
    Xl = _layouts(X)[layout]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LossClassifier(loss="log_loss", alpha=alpha, l1_ratio=rho).fit(Xl, y)
    W = est.coef_.astype(np.float64)
    Z = X @ W.T + est.intercept_
    P = np.exp(log_softmax(Z, axis=1))
    Y = np.eye(3)[y]
    G = (P - Y).T @ X / len(y) + alpha * (1 - rho) * W
    lam = alpha * rho
    viol = np.where(W == 0, np.abs(G) - lam, np.abs(G + lam * np.sign(W)))
    col_norm = np.sqrt((X * X).mean(axis=0))
    tol = 1e-5 if "float32" in layout else 1e-6
    assert np.all(viol <= tol * np.maximum(col_norm, 1e-12)), viol.max()
    np.testing.assert_allclose((P - Y).mean(axis=0), 0, atol=1e-9)
    assert np.all(W[:, 3] == 0)  # the zero column gets an exact zero
