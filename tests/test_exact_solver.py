"""Tests of the exact solver for convex piecewise-linear losses.

References are independent of the code under test:
* sklearn's QuantileRegressor(solver="highs") (an LP solved by HiGHS). Its
  objective is ``sum_i sw_i pinball_tau(r_i) + sum(sw) * alpha * ||w||_1``
  (sklearn rescales alpha by ``sum(sample_weight)``), i.e. after division by
  ``sum(sw)`` exactly ours with ``l1_ratio=1``; the absolute error is twice the
  pinball loss at tau = 0.5, so it matches QuantileRegressor(alpha=alpha / 2).
* sklearn's SVC(kernel="linear"), which minimises
  ``||w||^2 / 2 + C sum_i sw_i hinge_i`` with an unpenalised intercept; ours
  times ``1 / alpha`` is that objective with ``C = 1 / (alpha * sum(sw))``.
* a plain SLSQP solve of the epigraph form written in this file, on tiny
  problems (any loss, any elastic-net mix).
"""

import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog, minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import QuantileRegressor
from sklearn.svm import SVC

from sklloss.linear_model import _exact
from sklloss.linear_model._exact import fit_piecewise_linear


# ---------------------------------------------------------------- stand-ins
class _PWLoss:
    """Stand-in for a Loss subclass: only the attributes the solver reads."""

    is_piecewise_linear = True

    def __init__(self, kind, pieces, name):
        self.kind = kind
        self.convex_pieces = pieces
        self.name = name

    def __repr__(self):
        return self.name


def quantile(tau):
    return _PWLoss("regression", ((tau, 0.0), (tau - 1.0, 0.0)), f"quantile{tau}")


ABSOLUTE = _PWLoss("regression", ((1.0, 0.0), (-1.0, 0.0)), "absolute_error")
EPS_INS = _PWLoss(
    "regression", ((0.0, 0.0), (1.0, -0.3), (-1.0, -0.3)), "epsilon_insensitive"
)
HINGE = _PWLoss("margin", ((0.0, 0.0), (-1.0, 1.0)), "hinge")
LOSSES = [quantile(0.2), ABSOLUTE, EPS_INS, HINGE]


def _ids(losses):
    return [loss.name for loss in losses]


def _loss_values(loss, u):
    """Plain loop over the pieces: max_k (a_k u + c_k)."""
    out = np.full(len(u), -np.inf)
    for a, c in loss.convex_pieces:
        out = np.maximum(out, a * u + c)
    return out


def _margin_or_residual(loss, X, y, coef, intercept):
    raw = X @ coef + intercept
    return (2 * y - 1) * raw if loss.kind == "margin" else y - raw


def objective(loss, X, y, sw, coef, intercept, alpha, l1_ratio):
    u = _margin_or_residual(loss, X, y, coef, intercept)
    data = np.sum(sw * _loss_values(loss, u)) / np.sum(sw)
    pen = alpha * (
        l1_ratio * np.abs(coef).sum() + (1 - l1_ratio) / 2 * np.dot(coef, coef)
    )
    return data + pen


def slsqp_reference(loss, X, y, sw, alpha, l1_ratio, fit_intercept):
    """Epigraph form solved by SLSQP: variables (w, b, t, r), r_j >= |w_j|."""
    n, p = X.shape
    S = sw.sum()
    lam1, lam2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    d = (2 * y - 1) if loss.kind == "margin" else -np.ones(n)
    e = np.zeros(n) if loss.kind == "margin" else y
    iw, ib, it, ir = slice(0, p), p, slice(p + 1, p + 1 + n), slice(p + 1 + n, None)

    def fun(x):
        w = x[iw]
        return sw @ x[it] / S + lam1 * x[ir].sum() + lam2 / 2 * w @ w

    def jac(x):
        g = np.zeros_like(x)
        g[iw] = lam2 * x[iw]
        g[it] = sw / S
        g[ir] = lam1
        return g

    # all constraints are linear, G x - h >= 0: one row per (sample, piece)
    # t_i - a (d_i [x_i, 1] theta + e_i) - c >= 0, then r_j -+ w_j >= 0
    Z = np.hstack([X, np.ones((n, 1))]) * d[:, None]
    rows, rhs = [], []
    for a, c in loss.convex_pieces:
        Jk = np.zeros((n, 2 * p + 1 + n))
        Jk[:, : p + 1] = -a * Z
        Jk[:, it] = np.eye(n)
        rows.append(Jk)
        rhs.append(a * e + c)
    J1 = np.zeros((2 * p, 2 * p + 1 + n))
    J1[:p, iw], J1[:p, ir] = -np.eye(p), np.eye(p)
    J1[p:, iw], J1[p:, ir] = np.eye(p), np.eye(p)
    G = np.vstack(rows + [J1])
    h = np.concatenate(rhs + [np.zeros(2 * p)])
    cons = [dict(type="ineq", fun=lambda x: G @ x - h, jac=lambda x: G)]
    x0 = np.zeros(2 * p + 1 + n)
    x0[it] = _loss_values(loss, e) + 1.0
    x0[ir] = 1.0
    bounds = [(None, None)] * (2 * p + 1 + n)
    if not fit_intercept:
        bounds[ib] = (0.0, 0.0)
    res = minimize(
        fun,
        x0,
        jac=jac,
        constraints=cons,
        bounds=bounds,
        method="SLSQP",
        options=dict(maxiter=2000, ftol=1e-15),
    )
    return res.x[iw], res.x[ib]


def make_regression(n, p, seed=0, scales=None):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if scales is not None:
        X *= scales
    beta = rng.standard_normal(p) / (1 if scales is None else scales)
    y = X @ beta + 0.5
    y = y + rng.standard_normal(n)
    return X, y


def make_binary(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + 0.7 * rng.standard_normal(n) > 0.2
    return X, y.astype(np.float64)


def fit(loss, X, y, sw=None, **kw):
    params = dict(
        alpha=0.0, l1_ratio=1.0, fit_intercept=True, tol=1e-8, max_iter=100, verbose=0
    )
    params.update(kw)
    if sw is None:
        sw = np.ones(X.shape[0])
    return fit_piecewise_linear(X, y, sw, loss, **params)


def data_for(loss, n=40, p=3, seed=0):
    if loss.kind == "margin":
        return make_binary(n, p, seed)
    return make_regression(n, p, seed)


# ---------------------------------------------------- quantile vs sklearn
@pytest.mark.parametrize("tau", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_b"])
@pytest.mark.parametrize("alpha", [0.0, 0.02], ids=["alpha0", "alpha0.02"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_quantile_matches_quantile_regressor(tau, fit_intercept, alpha, weighted):
    X, y = make_regression(120, 5, seed=3)
    rng = np.random.default_rng(4)
    sw = rng.uniform(0.2, 3.0, len(y)) if weighted else np.ones(len(y))
    loss = quantile(tau)
    coef, b, n_iter = fit(loss, X, y, sw, alpha=alpha, fit_intercept=fit_intercept)
    ref = QuantileRegressor(
        quantile=tau, alpha=alpha, fit_intercept=fit_intercept, solver="highs"
    ).fit(X, y, sample_weight=sw)
    ours = objective(loss, X, y, sw, coef, b, alpha, 1.0)
    theirs = objective(loss, X, y, sw, ref.coef_, ref.intercept_, alpha, 1.0)
    assert ours <= theirs + 1e-9 * max(1.0, abs(theirs))
    assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12)
    # random continuous data: the LP optimum is unique
    np.testing.assert_allclose(coef, ref.coef_, atol=1e-6, rtol=1e-6)
    assert b == pytest.approx(ref.intercept_, abs=1e-6)
    np.testing.assert_array_equal(coef == 0, ref.coef_ == 0)
    assert n_iter >= 1


def test_absolute_error_is_twice_median_pinball():
    X, y = make_regression(150, 4, seed=5)
    coef, b, _ = fit(ABSOLUTE, X, y, alpha=0.04)
    ref = QuantileRegressor(quantile=0.5, alpha=0.02, solver="highs").fit(X, y)
    np.testing.assert_allclose(coef, ref.coef_, atol=1e-7)
    assert b == pytest.approx(ref.intercept_, abs=1e-7)


def test_l1_gives_exact_zeros():
    X, y = make_regression(200, 8, seed=6)
    coef, _, _ = fit(quantile(0.5), X, y, alpha=0.3)
    ref = QuantileRegressor(quantile=0.5, alpha=0.3, solver="highs").fit(X, y)
    assert np.any(ref.coef_ == 0) and np.any(coef == 0)
    np.testing.assert_array_equal(coef == 0, ref.coef_ == 0)


def test_badly_scaled_columns():
    scales = 10.0 ** np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    X, y = make_regression(300, 5, seed=7, scales=scales)
    y = y * 1e3
    coef, b, _ = fit(quantile(0.3), X, y)
    ref = QuantileRegressor(quantile=0.3, alpha=0.0, solver="highs").fit(X, y)
    np.testing.assert_allclose(coef, ref.coef_, rtol=1e-7)
    assert b == pytest.approx(ref.intercept_, rel=1e-7)


# ------------------------------------------ every loss, every penalty mix
@pytest.mark.parametrize("loss", LOSSES, ids=_ids(LOSSES))
@pytest.mark.parametrize(
    "alpha, l1_ratio",
    [(0.0, 0.0), (0.1, 1.0), (0.1, 0.0), (0.05, 0.5)],
    ids=["none", "l1", "l2", "elasticnet"],
)
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_b"])
def test_matches_slsqp_epigraph(loss, alpha, l1_ratio, fit_intercept):
    X, y = data_for(loss, n=20, p=3, seed=11)
    sw = np.random.default_rng(12).uniform(0.5, 2.0, len(y))
    coef, b, _ = fit(
        loss, X, y, sw, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept
    )
    if not fit_intercept:
        assert b == 0.0
    ref_w, ref_b = slsqp_reference(loss, X, y, sw, alpha, l1_ratio, fit_intercept)
    ours = objective(loss, X, y, sw, coef, b, alpha, l1_ratio)
    theirs = objective(loss, X, y, sw, ref_w, ref_b, alpha, l1_ratio)
    assert ours <= theirs + 1e-10
    assert ours == pytest.approx(theirs, rel=1e-8, abs=1e-10)
    if alpha > 0 and l1_ratio < 1:  # strongly convex: unique minimiser
        np.testing.assert_allclose(coef, ref_w, atol=1e-5)


@pytest.mark.parametrize("alpha", [1e-3, 1e-2, 1.0])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_hinge_l2_matches_svc(alpha, weighted):
    X, y = make_binary(200, 4, seed=13)
    rng = np.random.default_rng(14)
    sw = rng.integers(1, 4, len(y)).astype(float) if weighted else np.ones(len(y))
    coef, b, _ = fit(HINGE, X, y, sw, alpha=alpha, l1_ratio=0.0, max_iter=200)
    svc = SVC(kernel="linear", C=1.0 / (alpha * sw.sum()), tol=1e-12, max_iter=-1)
    svc.fit(X, y, sample_weight=sw)
    ours = objective(HINGE, X, y, sw, coef, b, alpha, 0.0)
    theirs = objective(HINGE, X, y, sw, svc.coef_[0], svc.intercept_[0], alpha, 0.0)
    # libsvm stops at its own tolerance: ours is never worse
    assert ours <= theirs + 1e-12
    assert ours == pytest.approx(theirs, rel=1e-6)
    np.testing.assert_allclose(coef, svc.coef_[0], rtol=1e-3, atol=1e-4)


# ---------------------------------------------- data representations
# ---------------------------------------- row blocks of the interior point
# The elementwise updates, the LP vertex rows (merged across blocks) and the
# KKT row check run in blocks of _exact._ROWS rows; tiny blocks put block
# edges everywhere on the small problems below.
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_small_row_blocks_quantile_matches_quantile_regressor(monkeypatch, weighted):
    monkeypatch.setattr(_exact, "_ROWS", 7)
    X, y = make_regression(120, 5, seed=3)
    sw = np.random.default_rng(4).uniform(0.2, 3.0, len(y)) if weighted else None
    coef, b, _ = fit(quantile(0.2), X, y, sw, alpha=0.02)
    ref = QuantileRegressor(quantile=0.2, alpha=0.02, solver="highs")
    ref.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(coef, ref.coef_, atol=1e-6, rtol=1e-6)
    assert b == pytest.approx(ref.intercept_, abs=1e-6)
    np.testing.assert_array_equal(coef == 0, ref.coef_ == 0)
    # the exact finish found a vertex: a row on the kink per free unknown
    on_kink = np.abs(y - X @ coef - b) <= 1e-12 * np.max(np.abs(y))
    assert on_kink.sum() >= np.count_nonzero(coef) + 1


def test_small_row_blocks_hinge_l2_matches_svc(monkeypatch):
    monkeypatch.setattr(_exact, "_ROWS", 7)
    X, y = make_binary(200, 4, seed=13)
    sw = np.random.default_rng(14).integers(1, 4, len(y)).astype(float)
    coef, b, _ = fit(HINGE, X, y, sw, alpha=1e-2, l1_ratio=0.0, max_iter=200)
    svc = SVC(kernel="linear", C=1.0 / (1e-2 * sw.sum()), tol=1e-12, max_iter=-1)
    svc.fit(X, y, sample_weight=sw)
    ours = objective(HINGE, X, y, sw, coef, b, 1e-2, 0.0)
    theirs = objective(HINGE, X, y, sw, svc.coef_[0], svc.intercept_[0], 1e-2, 0.0)
    assert ours <= theirs + 1e-12
    np.testing.assert_allclose(coef, svc.coef_[0], rtol=1e-3, atol=1e-4)


def test_small_row_blocks_epsilon_insensitive_matches_slsqp(monkeypatch):
    monkeypatch.setattr(_exact, "_ROWS", 3)
    X, y = data_for(EPS_INS, n=20, p=3, seed=11)
    sw = np.random.default_rng(12).uniform(0.5, 2.0, len(y))
    coef, b, _ = fit(EPS_INS, X, y, sw, alpha=0.05, l1_ratio=0.5)
    ref_w, ref_b = slsqp_reference(EPS_INS, X, y, sw, 0.05, 0.5, True)
    ours = objective(EPS_INS, X, y, sw, coef, b, 0.05, 0.5)
    theirs = objective(EPS_INS, X, y, sw, ref_w, ref_b, 0.05, 0.5)
    assert ours <= theirs + 1e-10
    np.testing.assert_allclose(coef, ref_w, atol=1e-5)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize(
    "loss", [quantile(0.3), HINGE], ids=_ids([quantile(0.3), HINGE])
)
@pytest.mark.parametrize("alpha", [0.0, 0.01], ids=["alpha0", "alpha0.01"])
def test_sparse_equals_dense(fmt, loss, alpha):
    X, y = data_for(loss, n=200, p=6, seed=15)
    X[np.abs(X) < 0.8] = 0.0
    dense = fit(loss, X, y, alpha=alpha, l1_ratio=0.5)
    sparse = fit(loss, sp.csr_matrix(X).asformat(fmt), y, alpha=alpha, l1_ratio=0.5)
    np.testing.assert_allclose(sparse[0], dense[0], atol=1e-10)
    assert sparse[1] == pytest.approx(dense[1], abs=1e-10)


def test_sparse_wide_lp_uses_highs(monkeypatch):
    monkeypatch.setattr(_exact, "_MAX_DENSE_NORMAL", 0)
    X, y = make_regression(150, 5, seed=16)
    coef, b, _ = fit(quantile(0.6), sp.csr_matrix(X), y, alpha=0.01)
    ref = QuantileRegressor(quantile=0.6, alpha=0.01, solver="highs").fit(X, y)
    np.testing.assert_allclose(coef, ref.coef_, atol=1e-7)
    assert b == pytest.approx(ref.intercept_, abs=1e-7)


@pytest.mark.parametrize("loss", LOSSES, ids=_ids(LOSSES))
def test_highs_path_agrees_with_interior_point(monkeypatch, loss):
    X, y = data_for(loss, n=120, p=4, seed=29)
    ipm = fit(loss, X, y, alpha=0.01)
    monkeypatch.setattr(_exact, "_MAX_DENSE_NORMAL", 0)
    highs = fit(loss, sp.csc_matrix(X), y, alpha=0.01)
    obj_ipm = objective(loss, X, y, np.ones(len(y)), *ipm[:2], 0.01, 1.0)
    obj_highs = objective(loss, X, y, np.ones(len(y)), *highs[:2], 0.01, 1.0)
    assert obj_ipm == pytest.approx(obj_highs, rel=1e-9)


@pytest.mark.parametrize("loss", LOSSES, ids=_ids(LOSSES))
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_b"])
def test_wide_woodbury_path_agrees_with_dense(monkeypatch, loss, fit_intercept):
    X, y = data_for(loss, n=30, p=60, seed=30)
    X[np.abs(X) < 0.5] = 0.0
    kw = dict(alpha=0.05, l1_ratio=0.3, fit_intercept=fit_intercept)
    dense = fit(loss, X, y, **kw)
    monkeypatch.setattr(_exact, "_MAX_DENSE_NORMAL", 10)
    assert _exact._Problem(X, y, np.ones(30), loss, 0.05, 0.3, fit_intercept).wide
    for Xw in (X, sp.csr_matrix(X)):
        wide = fit(loss, Xw, y, **kw)
        np.testing.assert_allclose(wide[0], dense[0], atol=1e-8)
        assert wide[1] == pytest.approx(dense[1], abs=1e-8)
        # the same iterates up to rounding: as many iterations (the
        # intercept's Schur complement written as sum(q) - x_q^T N^-1 x_q
        # cancelled late in the iterations and took 42-100 instead of 8)
        assert wide[2] <= dense[2] + 2


def test_too_large_normal_matrix_is_refused(monkeypatch):
    monkeypatch.setattr(_exact, "_MAX_NORMAL_SIDE", 3)
    X, y = make_regression(20, 5)
    with pytest.raises(ValueError, match="dense matrix"):
        fit(ABSOLUTE, X, y, alpha=0.1, l1_ratio=0.0)


@pytest.mark.parametrize("loss", LOSSES, ids=_ids(LOSSES))
def test_float32_in_float32_out(loss):
    X, y = data_for(loss, n=100, p=4, seed=17)
    coef64, b64, _ = fit(loss, X, y, alpha=0.01, l1_ratio=0.5)
    coef32, b32, _ = fit(loss, X.astype(np.float32), y, alpha=0.01, l1_ratio=0.5)
    assert coef32.dtype == np.float32
    assert isinstance(b32, float)
    np.testing.assert_allclose(coef32, coef64, rtol=1e-4, atol=1e-4)
    coefs, _, _ = fit(loss, sp.csr_matrix(X, dtype=np.float32), y, alpha=0.01)
    assert coefs.dtype == np.float32


# ---------------------------------------------------- sample weights
@pytest.mark.parametrize("loss", LOSSES, ids=_ids(LOSSES))
@pytest.mark.parametrize("l1_ratio", [0.0, 1.0], ids=["l2", "l1"])
def test_zero_weights_equal_dropped_rows(loss, l1_ratio):
    X, y = data_for(loss, n=80, p=4, seed=18)
    sw = np.random.default_rng(19).uniform(0.5, 2.0, len(y))
    sw[::4] = 0.0
    keep = sw > 0
    full = fit(loss, X, y, sw, alpha=0.01, l1_ratio=l1_ratio)
    dropped = fit(loss, X[keep], y[keep], sw[keep], alpha=0.01, l1_ratio=l1_ratio)
    np.testing.assert_allclose(full[0], dropped[0], atol=1e-9)
    assert full[1] == pytest.approx(dropped[1], abs=1e-9)


@pytest.mark.parametrize("loss", LOSSES, ids=_ids(LOSSES))
@pytest.mark.parametrize("l1_ratio", [0.0, 0.5], ids=["l2", "elasticnet"])
def test_integer_weights_equal_repeated_rows(loss, l1_ratio):
    # the shape of sklearn's check_sample_weight_equivalence (15 x 30, 0..4)
    X, y = data_for(loss, n=15, p=30 if loss.kind == "margin" else 10, seed=20)
    sw = np.random.default_rng(21).integers(0, 5, len(y)).astype(float)
    rep = np.repeat(np.arange(len(y)), sw.astype(int))
    weighted = fit(loss, X, y, sw, alpha=0.05, l1_ratio=l1_ratio)
    repeated = fit(loss, X[rep], y[rep], alpha=0.05, l1_ratio=l1_ratio)
    np.testing.assert_allclose(weighted[0], repeated[0], rtol=1e-7, atol=1e-9)
    assert weighted[1] == pytest.approx(repeated[1], rel=1e-7, abs=1e-9)


# ---------------------------------------------------- pieces handling
def test_redundant_and_unsorted_pieces():
    # max(-u, u, 0.5 u - 3, u) == |u|: the dominated and duplicate pieces go
    messy = _PWLoss(
        "regression", ((-1.0, 0.0), (1.0, 0.0), (0.5, -3.0), (1.0, -1.0)), "messy"
    )
    X, y = make_regression(100, 3, seed=22)
    np.testing.assert_allclose(fit(messy, X, y)[0], fit(ABSOLUTE, X, y)[0], atol=1e-10)


def test_upper_envelope_matches_max():
    rng = np.random.default_rng(23)
    pieces = rng.standard_normal((12, 2))
    slopes, offsets, breaks = _exact._upper_envelope(pieces)
    u = np.linspace(-30, 30, 2001)
    brute = np.max(pieces[:, :1] * u + pieces[:, 1:], axis=0)
    env = np.max(slopes[:, None] * u + offsets[:, None], axis=0)
    np.testing.assert_allclose(env, brute)
    assert np.all(np.diff(slopes) > 0) and np.all(np.diff(breaks) > 0)


# ---------------------------------------------------- failures, verbosity
def test_iteration_limit_with_l2_warns():
    X, y = make_regression(200, 5, seed=24)
    with pytest.warns(ConvergenceWarning, match="iteration limit"):
        coef, b, n_iter = fit(quantile(0.5), X, y, alpha=0.1, l1_ratio=0.0, max_iter=2)
    assert n_iter == 2 and np.all(np.isfinite(coef))


def test_iteration_limit_without_l2_falls_back_to_highs():
    X, y = make_regression(200, 5, seed=25)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        coef, _, _ = fit(quantile(0.5), X, y, alpha=0.0, max_iter=2)
    ref = QuantileRegressor(quantile=0.5, alpha=0.0, solver="highs").fit(X, y)
    np.testing.assert_allclose(coef, ref.coef_, atol=1e-7)


def test_verbose_prints_progress(capsys):
    X, y = make_regression(50, 2, seed=26)
    fit(ABSOLUTE, X, y, verbose=1)
    out = capsys.readouterr().out
    assert "iter" in out and "rel. gap" in out


def test_bad_parameters():
    X, y = make_regression(20, 2)
    with pytest.raises(ValueError, match="alpha"):
        fit(ABSOLUTE, X, y, alpha=-1.0)
    with pytest.raises(ValueError, match="0/1 labels"):
        fit(HINGE, X, np.sign(y))
    with pytest.raises(ValueError, match="kind"):
        fit(_PWLoss("probabilistic", ((1.0, 0.0),), "bad"), X, y)


def test_input_not_modified():
    X, y = make_regression(60, 3, seed=27)
    sw = np.ones(60)
    sw[0] = 0
    copies = X.copy(), y.copy(), sw.copy()
    fit(EPS_INS, X, y, sw, alpha=0.1, l1_ratio=0.5)
    for before, after in zip(copies, (X, y, sw), strict=True):
        np.testing.assert_array_equal(before, after)


# ---------------------------------------------------- the real catalogue
REAL = [
    ("quantile", {"quantile": 0.2}, quantile(0.2)),
    ("absolute_error", {}, ABSOLUTE),
    ("epsilon_insensitive", {"epsilon": 0.3}, EPS_INS),
    ("hinge", {}, HINGE),
]


@pytest.mark.parametrize(
    "name, params, stand_in", REAL, ids=[name for name, _, _ in REAL]
)
def test_registered_losses_match_stand_ins(name, params, stand_in):
    from sklloss import losses

    loss = losses.get_loss(name, **params)
    assert loss.is_piecewise_linear
    X, y = data_for(stand_in, n=80, p=3, seed=28)
    ours = fit(loss, X, y, alpha=0.01, l1_ratio=0.5)
    ref = fit(stand_in, X, y, alpha=0.01, l1_ratio=0.5)
    np.testing.assert_allclose(ours[0], ref[0], atol=1e-12)


# ------------------------------------------------------ simplex crossover
# Tests of ``_exact._crossover``.
# The reference is the linear program written here in its textbook form and
# solved by ``scipy.optimize.linprog(method="highs")``: for a loss with pieces
# ``(a_lo, c_lo), (a_hi, c_hi)`` (``a_lo < a_hi``, kink at ``beta``), the
# residual-like ``u_i = d_i (x_i w + b) + e_i`` is split as
# ``u_i - beta = r+_i - r-_i`` (``r+, r- >= 0``) and the objective is
# ``sum_i sw_i (a_hi r+_i - a_lo r-_i) + const`` -- a formulation the solver
# does not use (it works on the epigraph form). Whether the crossover ran, and
# with how many pivots and working sets, is read from its verbose message.

_MESSAGE = re.compile(r"crossover: (\d+) pivots, (\d+) working sets, verified")


@pytest.fixture
def generous_budget(monkeypatch):
    # On data this small the work model of _crossover_budget allows almost no
    # pivots (an interior-point iteration costs less than the pivots' Python
    # overhead); a larger budget makes the crossover run here.
    monkeypatch.setattr(_exact, "_CROSSOVER_PIVOTS", 10_000)


def _linear_form(loss, X, y):
    """``(d, e)`` with ``u = d (X w + b) + e``."""
    if loss.kind == "margin":
        return 2.0 * y - 1.0, np.zeros(len(y))
    return -np.ones(len(y)), y.astype(np.float64)


def _lp_objective(loss, X, y, sw, coef, intercept):
    """The unpenalised objective, X read in float64."""
    X = np.asarray(X, dtype=np.float64)
    return float(objective(loss, X, y, sw, coef, intercept, 0.0, 0.0))


def highs_reference(loss, X, y, sw, fit_intercept):
    """The split-residual LP (module docstring); returns ``(coef, b, obj)``."""
    (a1, c1), (a2, c2) = sorted(loss.convex_pieces)
    beta = (c1 - c2) / (a2 - a1)
    n, p = X.shape
    d, e = _linear_form(loss, X, y)
    Z = d[:, None] * np.hstack([X.astype(np.float64), np.ones((n, 1))])
    if not fit_intercept:
        Z = Z[:, :p]
    k = Z.shape[1]
    # u - beta = Z theta + e - beta = r+ - r-
    A_eq = sp.hstack([sp.csr_matrix(Z), -sp.eye(n), sp.eye(n)]).tocsc()
    b_eq = beta - e
    cost = np.concatenate([np.zeros(k), sw * a2, -sw * a1])
    bounds = [(None, None)] * k + [(0, None)] * (2 * n)
    res = linprog(cost, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert res.status == 0
    theta = res.x[:k]
    coef, b = theta[:p], (theta[p] if fit_intercept else 0.0)
    return coef, b, _lp_objective(loss, X, y, sw, coef, b)


def fit_verbose(capsys, loss, X, y, sw, fit_intercept=True):
    coef, b, _ = fit_piecewise_linear(
        X, y, sw, loss, alpha=0.0, l1_ratio=0.0, fit_intercept=fit_intercept,
        tol=1e-8, max_iter=100, verbose=2,
    )  # fmt: skip
    found = _MESSAGE.findall(capsys.readouterr().out)
    runs = [(int(piv), int(sets)) for piv, sets in found]
    return coef, b, runs


def regression_data(n, p, seed, ties=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + 0.5 + rng.standard_t(3, n)
    if ties:
        # integer X and y: many rows share y and lie on the kink together
        X = np.round(2 * X)
        y = np.round(y)
    return X, y


def binary_data(n, p, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n) > 0.3
    return X, y.astype(np.float64)


@pytest.mark.parametrize("loss", [quantile(0.3), ABSOLUTE, HINGE], ids=repr)
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_b"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_crossover_matches_highs(
    generous_budget, capsys, loss, fit_intercept, weighted
):
    n, p = 1500, 6
    if loss.kind == "margin":
        X, y = binary_data(n, p, seed=1)
    else:
        X, y = regression_data(n, p, seed=1)
    rng = np.random.default_rng(2)
    sw = rng.uniform(0.2, 3.0, n) if weighted else np.ones(n)
    coef, b, runs = fit_verbose(capsys, loss, X, y, sw, fit_intercept)
    # the crossover ended the fit, after exchanges (its start was not optimal)
    assert runs and runs[-1][0] > 0
    ref_coef, ref_b, ref_obj = highs_reference(loss, X, y, sw, fit_intercept)
    obj = _lp_objective(loss, X, y, sw, coef, b)
    assert obj <= ref_obj * (1 + 1e-12) + 1e-14
    # random continuous data: the optimal vertex is unique
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-7, atol=1e-9)
    assert b == pytest.approx(ref_b, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("loss", [quantile(0.5), quantile(0.9)], ids=repr)
def test_crossover_with_ties_in_y(generous_budget, capsys, loss):
    # degenerate vertices (many rows exactly on the kink, ties in y): the
    # optimum may not be unique; the objective must be HiGHS's
    X, y = regression_data(1200, 4, seed=3, ties=True)
    sw = np.ones(len(y))
    coef, b, _ = fit_verbose(capsys, loss, X, y, sw)
    ref_obj = highs_reference(loss, X, y, sw, True)[2]
    assert _lp_objective(loss, X, y, sw, coef, b) == pytest.approx(ref_obj, rel=1e-10)


def test_crossover_float32(generous_budget, capsys):
    X, y = regression_data(1500, 5, seed=4)
    X = X.astype(np.float32)
    sw = np.ones(len(y))
    coef, b, runs = fit_verbose(capsys, ABSOLUTE, X, y, sw)
    assert coef.dtype == np.float32
    assert runs and runs[-1][0] > 0
    ref_coef, ref_b, ref_obj = highs_reference(ABSOLUTE, X, y, sw, True)
    # coef is rounded to float32 on return: compare at float32 precision
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-6, atol=1e-6)
    assert _lp_objective(ABSOLUTE, X, y, sw, coef, b) == pytest.approx(
        ref_obj, rel=1e-6
    )


def test_small_working_sets_are_refreshed(generous_budget, capsys, monkeypatch):
    # a working set far smaller than the rows that cross the kink along the
    # pivots: the full pass must take in the rows that changed side (more than
    # one working set) and the answer stays HiGHS's
    monkeypatch.setattr(_exact, "_CROSSOVER_ROWS", 1)
    monkeypatch.setattr(_exact, "_CROSSOVER_SPREAD", 0.0)  # n^(2/3) rows only
    X, y = regression_data(5000, 8, seed=5)
    sw = np.ones(len(y))
    coef, b, runs = fit_verbose(capsys, quantile(0.7), X, y, sw)
    assert runs and runs[-1][1] > 1
    ref_coef, ref_b, _ = highs_reference(quantile(0.7), X, y, sw, True)
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-7, atol=1e-9)
    assert b == pytest.approx(ref_b, rel=1e-7, abs=1e-9)


_FIRST_SET = re.compile(r"crossover: .*verified \(first working set (\d+) rows\)")


@pytest.mark.parametrize("loss", [quantile(0.7), ABSOLUTE], ids=repr)
@pytest.mark.parametrize("seed", [5, 9])
def test_first_working_set_from_complementarity(
    generous_budget, capsys, monkeypatch, loss, seed
):
    # more rows than n^(2/3) within 10 mu of the kink at the iterate (a wider
    # reach than the default, so that this small problem has them): the
    # first working set holds them (within its cap), and the vertex found
    # from it is HiGHS's
    monkeypatch.setattr(_exact, "_CROSSOVER_SPREAD", 10.0)
    n, p = 5000, 8
    X, y = regression_data(n, p, seed=seed)
    sw = np.ones(n)
    coef, b, runs = fit_verbose(capsys, loss, X, y, sw)
    assert runs and runs[-1][0] > 0
    # fit_verbose consumed the output: the first working set's size again
    fit_piecewise_linear(
        X, y, sw, loss, alpha=0.0, l1_ratio=0.0, fit_intercept=True,
        tol=1e-8, max_iter=100, verbose=2,
    )  # fmt: skip
    sizes = [int(m) for m in _FIRST_SET.findall(capsys.readouterr().out)]
    least = max(_exact._CROSSOVER_ROWS * (p + 1), int(n ** (2 / 3)))
    assert sizes and least < sizes[-1] <= _exact._CROSSOVER_GROWTH * least
    ref_coef, ref_b, ref_obj = highs_reference(loss, X, y, sw, True)
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-7, atol=1e-9)
    assert b == pytest.approx(ref_b, rel=1e-7, abs=1e-9)


def _first_crossing_loop(tc, rise, slope0):
    """Reference line search: walk the crossings one at a time, in sorted order."""
    slope = slope0
    for pos, i in enumerate(sorted(range(len(tc)), key=lambda i: tc[i])):
        slope += rise[i]
        if slope >= 0:
            return pos, i
    return None


@pytest.mark.parametrize("m", [1, 5, 100, 129, 2000, 20000])
@pytest.mark.parametrize("depth", [0.01, 0.2, 0.9, 1.5])
def test_first_crossing_matches_a_loop(m, depth):
    # the partial sorts (argpartition of the first 32, 256, ... crossings)
    # against a plain walk over all of them; ``depth`` is -slope0 as a share
    # of the total rise (> 1: no crossing stops the edge)
    rng = np.random.default_rng(m)
    tc = rng.exponential(size=m)
    rise = rng.uniform(0.1, 2.0, m)
    slope0 = -depth * rise.sum()
    order = _exact._first_crossing(tc, rise, slope0)
    ref = _first_crossing_loop(tc, rise, slope0)
    if ref is None:
        assert order is None
        return
    pos, i = ref
    assert order is not None and len(order) == pos + 1 and order[-1] == i
    np.testing.assert_array_equal(tc[order], np.sort(tc)[: pos + 1])


def test_failed_crossover_falls_back_to_interior_point(
    generous_budget, capsys, monkeypatch
):
    # no pivots allowed: every attempt from a wrong basis fails, and the
    # interior point runs on to its own exact finish
    monkeypatch.setattr(_exact, "_CROSSOVER_PIVOTS", 0)
    X, y = regression_data(3000, 5, seed=6)
    sw = np.ones(len(y))
    coef, b, _ = fit_piecewise_linear(
        X, y, sw, ABSOLUTE, alpha=0.0, l1_ratio=0.0, fit_intercept=True,
        tol=1e-8, max_iter=100, verbose=2,
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "crossover: 0 pivots, 1 working sets, no vertex" in out
    ref_coef, ref_b, _ = highs_reference(ABSOLUTE, X, y, sw, True)
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-7, atol=1e-9)
    assert b == pytest.approx(ref_b, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
def test_penalised_fits_do_not_use_the_crossover(generous_budget, capsys, l1_ratio):
    X, y = regression_data(800, 4, seed=7)
    fit_piecewise_linear(
        X, y, np.ones(len(y)), quantile(0.4), alpha=0.01, l1_ratio=l1_ratio,
        fit_intercept=True, tol=1e-8, max_iter=100, verbose=2,
    )  # fmt: skip
    assert "crossover" not in capsys.readouterr().out


def test_short_wide_fits_do_not_use_the_crossover(generous_budget, capsys):
    # fewer than _CROSSOVER_TALL rows per unknown: the interior point's own
    # finish, still HiGHS's optimum
    X, y = regression_data(600, 9, seed=8)
    sw = np.ones(len(y))
    coef, b, runs = fit_verbose(capsys, ABSOLUTE, X, y, sw)
    assert runs == []
    ref_coef, ref_b, _ = highs_reference(ABSOLUTE, X, y, sw, True)
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-7, atol=1e-9)
