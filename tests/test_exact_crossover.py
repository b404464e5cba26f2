"""Tests of the exact solver's simplex crossover (``_exact._crossover``).

The reference is the linear program written here in its textbook form and
solved by ``scipy.optimize.linprog(method="highs")``: for a loss with pieces
``(a_lo, c_lo), (a_hi, c_hi)`` (``a_lo < a_hi``, kink at ``beta``), the
residual-like ``u_i = d_i (x_i w + b) + e_i`` is split as
``u_i - beta = r+_i - r-_i`` (``r+, r- >= 0``) and the objective is
``sum_i sw_i (a_hi r+_i - a_lo r-_i) + const`` -- a formulation the solver
does not use (it works on the epigraph form). Whether the crossover ran, and
with how many pivots and working sets, is read from its verbose message.
"""

import re

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from sklloss.linear_model import _exact
from sklloss.linear_model._exact import fit_piecewise_linear


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
HINGE = _PWLoss("margin", ((0.0, 0.0), (-1.0, 1.0)), "hinge")

_MESSAGE = re.compile(r"crossover: (\d+) pivots, (\d+) working sets, verified")


@pytest.fixture(autouse=True)
def _generous_budget(monkeypatch):
    # On data this small the work model of _crossover_budget allows almost no
    # pivots (an interior-point iteration costs less than the pivots' Python
    # overhead); a larger budget makes the crossover run here.
    monkeypatch.setattr(_exact, "_CROSSOVER_PIVOTS", 10_000)


def _loss_values(loss, u):
    out = np.full(len(u), -np.inf)
    for a, c in loss.convex_pieces:
        out = np.maximum(out, a * u + c)
    return out


def _linear_form(loss, X, y):
    """``(d, e)`` with ``u = d (X w + b) + e``."""
    if loss.kind == "margin":
        return 2.0 * y - 1.0, np.zeros(len(y))
    return -np.ones(len(y)), y.astype(np.float64)


def objective(loss, X, y, sw, coef, intercept):
    d, e = _linear_form(loss, X, y)
    u = d * (X.astype(np.float64) @ coef + intercept) + e
    return float(np.sum(sw * _loss_values(loss, u)) / np.sum(sw))


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
    return coef, b, objective(loss, X, y, sw, coef, b)


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
def test_crossover_matches_highs(capsys, loss, fit_intercept, weighted):
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
    obj = objective(loss, X, y, sw, coef, b)
    assert obj <= ref_obj * (1 + 1e-12) + 1e-14
    # random continuous data: the optimal vertex is unique
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-7, atol=1e-9)
    assert b == pytest.approx(ref_b, rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("loss", [quantile(0.5), quantile(0.9)], ids=repr)
def test_crossover_with_ties_in_y(capsys, loss):
    # degenerate vertices (many rows exactly on the kink, ties in y): the
    # optimum may not be unique; the objective must be HiGHS's
    X, y = regression_data(1200, 4, seed=3, ties=True)
    sw = np.ones(len(y))
    coef, b, _ = fit_verbose(capsys, loss, X, y, sw)
    ref_obj = highs_reference(loss, X, y, sw, True)[2]
    assert objective(loss, X, y, sw, coef, b) == pytest.approx(ref_obj, rel=1e-10)


def test_crossover_float32(capsys):
    X, y = regression_data(1500, 5, seed=4)
    X = X.astype(np.float32)
    sw = np.ones(len(y))
    coef, b, runs = fit_verbose(capsys, ABSOLUTE, X, y, sw)
    assert coef.dtype == np.float32
    assert runs and runs[-1][0] > 0
    ref_coef, ref_b, ref_obj = highs_reference(ABSOLUTE, X, y, sw, True)
    # coef is rounded to float32 on return: compare at float32 precision
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-6, atol=1e-6)
    assert objective(ABSOLUTE, X, y, sw, coef, b) == pytest.approx(ref_obj, rel=1e-6)


def test_small_working_sets_are_refreshed(capsys, monkeypatch):
    # a working set far smaller than the rows that cross the kink along the
    # pivots: the full pass must take in the rows that changed side (more than
    # one working set) and the answer stays HiGHS's
    monkeypatch.setattr(_exact, "_CROSSOVER_ROWS", 1)
    X, y = regression_data(5000, 8, seed=5)
    sw = np.ones(len(y))
    coef, b, runs = fit_verbose(capsys, quantile(0.7), X, y, sw)
    assert runs and runs[-1][1] > 1
    ref_coef, ref_b, _ = highs_reference(quantile(0.7), X, y, sw, True)
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-7, atol=1e-9)
    assert b == pytest.approx(ref_b, rel=1e-7, abs=1e-9)


def test_failed_crossover_falls_back_to_interior_point(capsys, monkeypatch):
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
def test_penalised_fits_do_not_use_the_crossover(capsys, l1_ratio):
    X, y = regression_data(800, 4, seed=7)
    fit_piecewise_linear(
        X, y, np.ones(len(y)), quantile(0.4), alpha=0.01, l1_ratio=l1_ratio,
        fit_intercept=True, tol=1e-8, max_iter=100, verbose=2,
    )  # fmt: skip
    assert "crossover" not in capsys.readouterr().out


def test_short_wide_fits_do_not_use_the_crossover(capsys):
    # fewer than _CROSSOVER_TALL rows per unknown: the interior point's own
    # finish, still HiGHS's optimum
    X, y = regression_data(600, 9, seed=8)
    sw = np.ones(len(y))
    coef, b, runs = fit_verbose(capsys, ABSOLUTE, X, y, sw)
    assert runs == []
    ref_coef, ref_b, _ = highs_reference(ABSOLUTE, X, y, sw, True)
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-7, atol=1e-9)
