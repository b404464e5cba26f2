"""The reads of X a fit makes outside the solver's evaluations, counted by a spy.

The spy (``tests/x_reads.py``) replaces X after ``validate_data`` by an
ndarray subclass that adds up the bytes every NumPy operation reads from it,
in units of X, and files them by the phase of the fit; it knows nothing of
sklloss's own counters (``n_evals_``). A read of X is the pass a fit pays at
the memory bandwidth: these tests pin how many a fit makes besides its
evaluations (validation, preconditioning, starts, what comes after).
"""

import importlib.util
import os
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklloss import LossClassifier, LossRegressor

_SPEC = importlib.util.spec_from_file_location(
    "x_reads", os.path.join(os.path.dirname(__file__), "x_reads.py")
)
x_reads = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(x_reads)

_EVALUATIONS = ("eval", "hessp", "hessian")


def _problem(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) / np.sqrt(p) + rng.standard_normal(n)
    return X, y


def _reads(est, X, y):
    spy = x_reads._Spy()
    with x_reads.counting(spy), warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y)
    return spy


def _outside_evaluations(spy):
    """Reads not inside an evaluation of the objective (gradient or Hessian)."""
    return sum(
        r
        for phase, r in spy.reads.items()
        if phase.split(" > ")[-1] not in _EVALUATIONS
    )


def test_the_spy_counts_reads_in_units_of_x():
    # the spy itself, on operations whose reads are known
    spy = x_reads._Spy()
    X = x_reads.spied(np.ones((40_000, 10)), spy)
    with x_reads.counting(spy):
        X @ np.ones(10)  # one read
        np.ones(40_000) @ X  # one read
        np.ascontiguousarray(X[::10]) @ np.ones(10)  # a tenth copied (in cache)
        X[:5000].sum()  # an eighth
    assert spy.total() == pytest.approx(2.0 + 0.1 + 0.125)


# n = 60,000, p = 10: statistics and magnitudes on every 3rd row (20,000 rows,
# a third of X); the finiteness check of validate_data reads X once.
_N, _P = 60_000, 10
_VALIDATION = 1.0  # finiteness (scikit-learn's check_array)
_MAGNITUDES = 1 / 3  # check_representable (identity link only)
_STATS = 1 / 3  # the column statistics, one pass over the row sample


@pytest.mark.parametrize(
    "make, expected",
    [
        # the direct solver's Gram pass reads X once
        (lambda: LossRegressor(loss="squared_error", scale=1.0), 2.0 + 2 / 3),
        (lambda: LossRegressor(loss="poisson"), 1.0 + 1 / 3),
        # outliers_ needs the residuals: the last evaluation's, no read after
        (lambda: LossRegressor(loss="huber", scale=1.0), 1.0 + 2 / 3),
        (lambda: LossClassifier(), 1.0 + 1 / 3),
    ],
    ids=["squared_error", "poisson", "huber-outliers", "log_loss"],
)
def test_reads_outside_the_evaluations(make, expected):
    X, y = _problem(_N, _P)
    est = make()
    if est.loss == "poisson":
        y = np.random.default_rng(1).poisson(np.exp(X[:, 0] / 3))
    if isinstance(est, LossClassifier):
        y = y > 0
    spy = _reads(est, X, y)
    assert _outside_evaluations(spy) == pytest.approx(expected, abs=0.01)
    # no read escaped the phases the spy knows
    assert spy.reads.get("other", 0.0) == 0.0


def test_a_regressor_without_outlier_threshold_reads_no_residuals():
    X, y = _problem(_N, _P)
    spy = _reads(LossRegressor(loss="squared_error", scale=1.0), X, y)
    assert spy.reads.get("residuals", 0.0) == 0.0
    est = LossRegressor(loss="huber", scale=1.0).fit(X, y)
    assert est.outliers_ is not None and est.outliers_.shape == (_N,)


def test_the_subsample_start_makes_no_newton_check():
    # 1e5 x 30: the 10% subsample (1e4 x 31 parameters) is small enough for
    # the Newton check of an L-BFGS-B result; a start needs none: only the
    # subsample's gradient evaluations read it (two products on a tenth)
    X, y = _problem(100_000, 30)
    spy = _reads(LossClassifier(), X, y > 0)
    start = {k: v for k, v in spy.reads.items() if k.startswith("subsample start")}
    assert start, "the fit made no subsample start"
    assert not [k for k in start if "final check" in k or k.endswith("hessian")]
    n_sub_evals = spy.calls["subsample start > solve > eval"]
    # its copy of every 10th row, then at most two products per evaluation
    # (one with a fused pass)
    assert 0.1 + 0.1 * n_sub_evals - 0.01 <= sum(start.values())
    assert sum(start.values()) <= 0.1 + 0.2 * n_sub_evals + 0.01


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_column_statistics_read_their_row_sample_once(dtype):
    from sklloss.linear_model._objective import LinearObjective
    from sklloss.losses import get_loss

    n, p = 100_000, 30  # 20,000 x 30 in 50 blocks (4.8 MB, beyond a cache)
    rng = np.random.default_rng(2)
    X0 = (rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-3, 3, p)).astype(dtype)
    X0[:, 0] = 7.0  # constant: scaled by its value
    X0[:, 1] = 0.0  # all zero: scale 1
    sw = rng.uniform(0.5, 2.0, n)
    spy = x_reads._Spy()
    X = x_reads.spied(X0, spy)
    with x_reads.counting(spy):
        objective = LinearObjective(X, np.zeros(n), sw, get_loss("squared_error"))
    assert spy.reads["stats"] == pytest.approx(1 / 5)
    # the weighted moments of the sample (50 blocks of 400 rows, the first
    # at row 0, the last ending at row n), written out with numpy
    rows = np.concatenate([np.arange(400) + (n - 400) * k // 49 for k in range(50)])
    assert rows[-1] == n - 1 and np.unique(rows).size == 20_000
    Xs, s = X0[rows].astype(np.float64), sw[rows] / sw[rows].sum()
    mean = s @ Xs
    std = np.sqrt(s @ (Xs - mean) ** 2)
    assert objective.mean == pytest.approx(mean, rel=1e-12, abs=1e-12 * std.max())
    assert objective.scale[2:] == pytest.approx(std[2:], rel=1e-10)
    assert objective.scale[:2] == pytest.approx([7.0, 1.0])


def test_column_statistics_do_not_overflow():
    from sklloss.linear_model._objective import LinearObjective
    from sklloss.losses import get_loss

    rng = np.random.default_rng(3)
    X = rng.standard_normal((30_000, 3)) * np.array([1e200, 1.0, 1e-200])
    objective = LinearObjective(X, np.zeros(30_000), np.ones(30_000), get_loss("huber"))
    Xs = X[::1] / np.array([1e200, 1.0, 1e-200])  # n // 20,000 = 1: every row
    std = Xs.std(axis=0) * np.array([1e200, 1.0, 1e-200])
    assert np.all(np.isfinite(objective.scale))
    assert objective.scale == pytest.approx(std, rel=1e-10)


def _margin_objective(loss, X, d, alpha):
    """Mean margin loss + alpha/2 ||w||^2 and its gradient, written out here."""

    def f(theta):
        m = d * (X @ theta[:-1] + theta[-1])
        if loss == "squared_hinge":
            v, dv = np.maximum(0.0, 1.0 - m) ** 2, -2.0 * np.maximum(0.0, 1.0 - m)
        else:  # modified_huber: -4m below -1, (1 - m)^2 up to 1, 0 beyond
            v = np.where(m < -1, -4.0 * m, np.maximum(0.0, 1.0 - m) ** 2)
            dv = np.where(m < -1, -4.0, -2.0 * np.maximum(0.0, 1.0 - m))
        w = theta[:-1]
        gz = dv * d / len(d)
        grad = np.r_[X.T @ gz + alpha * w, gz.sum()]
        return v.mean() + 0.5 * alpha * w @ w, grad

    return f


@pytest.mark.parametrize("loss", ["squared_hinge", "modified_huber"])
def test_margin_losses_take_sampled_newton_to_the_optimum(loss):
    import scipy.optimize

    rng = np.random.default_rng(4)
    n, p = 60_000, 30
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p)
    y = (X @ rng.standard_normal(p) + rng.logistic(size=n) > 0).astype(int)
    est = LossClassifier(loss=loss)
    spy = _reads(est, X, y)
    assert est.solver_ == "sampled-newton"
    f = _margin_objective(loss, X, 2.0 * y - 1.0, est.alpha)
    ref = scipy.optimize.minimize(
        f,
        np.r_[est.coef_.ravel(), est.intercept_],
        jac=True,
        method="L-BFGS-B",
        options={"gtol": 1e-12, "ftol": 1e-15, "maxiter": 2000},
    )
    ours = f(np.r_[est.coef_.ravel(), est.intercept_])[0]
    assert ours <= ref.fun + 1e-10 * abs(ref.fun)
    # its full-data evaluations: fewer than L-BFGS-B's from the same start
    lbfgs = _reads(LossClassifier(loss=loss, solver="lbfgs"), X, y)
    assert _full_evaluations(spy) < _full_evaluations(lbfgs)


def _full_evaluations(spy):
    """Gradient evaluations of the full objective (not of the row sample)."""
    return sum(
        n
        for phase, n in spy.calls.items()
        if phase.endswith("eval") and not phase.startswith("subsample start")
    )


def _subsample_evaluations(spy):
    return sum(
        n
        for phase, n in spy.calls.items()
        if phase.endswith("eval") and phase.startswith("subsample start")
    )


def test_a_loose_subsample_start_saves_its_evaluations(monkeypatch):
    # the subsample start of a convex loss stops at a gradient of 1e-2: fewer
    # evaluations of the row sample than at 1e-4, no more of the full data,
    # and the same optimum
    from sklloss.linear_model import _run

    # (on 36 such problems, 1e5-1.5e5 rows, log_loss, poisson and
    # squared_hinge: 241 full evaluations against 242, 128 of the subsample
    # against 180; here 6 and 4 against 6 and 7)
    rng = np.random.default_rng(0)
    n, p = 100_000, 20
    X = rng.standard_normal((n, p)) * rng.uniform(0.2, 3, p)
    y = (X[:, :5].sum(axis=1) / 2 + rng.logistic(size=n) > 0).astype(int)
    loose = LossClassifier()
    spy_loose = _reads(loose, X, y)
    monkeypatch.setattr(_run, "_SUBSAMPLE_TOL", 1e-4)
    tight = LossClassifier()
    spy_tight = _reads(tight, X, y)
    assert _subsample_evaluations(spy_loose) < _subsample_evaluations(spy_tight)
    assert _full_evaluations(spy_loose) <= _full_evaluations(spy_tight)
    np.testing.assert_allclose(loose.coef_, tight.coef_, rtol=1e-6, atol=1e-8)
