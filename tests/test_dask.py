"""LossRegressor / LossClassifier on a dask cluster: fit, predict, score, search.

One real ``distributed.LocalCluster`` (two worker processes on loopback) serves
the whole module and is always closed by the fixture. The references are:

* the in-memory fit of the same estimator on the same numpy data (the dask fit
  must reach the same optimum: same objective, same solver);
* for squared_error, the closed-form weighted ridge solution (normal
  equations solved with numpy in this file), independent of sklloss;
* for scores, scikit-learn's metrics on the computed numpy predictions.
"""

import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

import joblib  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss, r2_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, KFold  # noqa: E402

from sklloss import make_loss_scorer  # noqa: E402
from sklloss.linear_model import LossClassifier, LossRegressor  # noqa: E402
from sklloss.losses import Huber  # noqa: E402

N, P, CHUNK = 2000, 5, 250  # 8 row blocks: several per worker


@pytest.fixture(scope="module")
def client():
    """A two-process LocalCluster on loopback, closed whatever happens."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # no dashboard; the scheduler's health endpoint on a free port, not
        # on 8787 (which another cluster may hold: a UserWarning)
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
    try:
        with distributed.Client(cluster) as c:
            yield c
    finally:
        cluster.close()


def _data(seed=0):
    """Badly scaled columns (10^-1..10^2) and heavy-tailed noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, P)) * np.logspace(-1, 2, P)
    y = X @ (rng.normal(size=P) / np.logspace(-1, 2, P)) + rng.standard_t(3, size=N)
    sw = rng.uniform(0.2, 3.0, size=N)
    return X, y, sw


def _dask(*arrays):
    return [
        da.from_array(a, chunks=CHUNK if a.ndim == 1 else (CHUNK, -1)) for a in arrays
    ]


def test_import_sklloss_does_not_import_dask():
    code = "import sklloss, sys; assert 'dask' not in sys.modules, 'dask imported'"
    root = Path(__file__).resolve().parents[1]  # importable without installing
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_regressor_fit_equals_numpy_fit(client, loss):
    X, y, sw = _data()
    Xd, yd, swd = _dask(X, y, sw)
    n_workers = len(client.scheduler_info()["workers"])
    assert n_workers == 2 and Xd.numblocks[0] >= 2 * n_workers
    ref = LossRegressor(loss=loss, alpha=1e-3).fit(X, y, sample_weight=sw)
    est = LossRegressor(loss=loss, alpha=1e-3).fit(Xd, yd, sample_weight=swd)
    # in memory squared_error takes the normal equations (_direct.py); dask
    # keeps an iterative solver
    expected = "cholesky" if loss == "squared_error" else est.solver_
    assert ref.solver_ == expected and est.solver_ != "cholesky"
    assert_allclose(est.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-8, atol=1e-10)
    assert est.n_features_in_ == P


def test_squared_error_on_dask_is_the_weighted_ridge_solution(client):
    """Normal equations of (1/S) sum s (y - Xw - b)^2 + alpha/2 |w|^2, by numpy."""
    X, y, sw = _data(seed=1)
    alpha = 1e-2
    est = LossRegressor(alpha=alpha).fit(*_dask(X, y, sw))
    A = np.column_stack([X, np.ones(N)])
    s = sw / sw.sum()
    # gradient: -2 A.T (s * (y - A t)) + alpha * [w, 0] = 0
    H = 2 * A.T @ (A * s[:, None]) + alpha * np.diag([1.0] * P + [0.0])
    t = np.linalg.solve(H, 2 * A.T @ (s * y))
    assert_allclose(est.coef_, t[:P], rtol=1e-7)
    assert_allclose(est.intercept_, t[P], rtol=1e-7)


@pytest.mark.parametrize(
    "labels, kw",
    [
        pytest.param(np.array([0, 1]), {}, id="binary"),
        pytest.param(np.array(["ant", "bee", "cat"]), {}, id="multiclass-str"),
        pytest.param(
            np.array([3, 5, 7]), {"class_weight": "balanced"}, id="multiclass-balanced"
        ),
    ],
)
def test_log_loss_classifier_fit_equals_numpy_fit(client, labels, kw):
    X, y, sw = _data(seed=2)
    cut = np.quantile(y, np.linspace(0, 1, len(labels) + 1)[1:-1])
    yc = labels[np.digitize(y, cut)]
    Xd, ycd, swd = _dask(X, yc, sw)
    ref = LossClassifier(**kw).fit(X, yc, sample_weight=sw)
    est = LossClassifier(**kw).fit(Xd, ycd, sample_weight=swd)
    np.testing.assert_array_equal(est.classes_, ref.classes_)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-7, atol=1e-9)
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-7, atol=1e-9)

    proba = est.predict_proba(Xd)
    assert isinstance(proba, da.Array)  # lazy
    assert_allclose(proba.compute(), ref.predict_proba(X), rtol=1e-7, atol=1e-12)
    pred = est.predict(Xd)
    assert isinstance(pred, da.Array)
    np.testing.assert_array_equal(pred.compute(), ref.predict(X))
    # score and sklloss scorer on dask arrays: floats, equal to sklearn's metrics
    acc = est.score(Xd, ycd)
    assert isinstance(acc, float)
    assert acc == pytest.approx(accuracy_score(yc, ref.predict(X)), rel=1e-12)
    value = make_loss_scorer("log_loss")(est, Xd, ycd)
    expected = -log_loss(yc, ref.predict_proba(X), labels=ref.classes_)
    assert value == pytest.approx(expected, rel=1e-9)


def test_regressor_predict_and_score_on_dask(client):
    X, y, sw = _data(seed=3)
    Xd, yd = _dask(X, y)
    est = LossRegressor(loss="huber").fit(Xd, yd)
    ref = LossRegressor(loss="huber").fit(X, y)
    pred = est.predict(Xd)
    assert isinstance(pred, da.Array) and pred.chunks[0] == Xd.chunks[0]
    assert_allclose(pred.compute(), ref.predict(X), rtol=1e-9, atol=1e-9)
    score = est.score(Xd, yd)
    assert isinstance(score, float)
    assert score == pytest.approx(r2_score(y, ref.predict(X)), rel=1e-9)
    r = y - ref.predict(X)
    huber = np.where(np.abs(r) <= 2, 0.5 * r * r, 2 * (np.abs(r) - 1)).mean()
    assert make_loss_scorer("huber", delta=2.0)(est, Xd, yd) == pytest.approx(
        -huber, rel=1e-9
    )


def test_grid_search_through_the_dask_joblib_backend(client):
    X, y, _ = _data(seed=4)
    X, y = X[:300], y[:300]
    grid = {"loss__delta": [0.5, 1.0, 2.0], "alpha": [1e-4, 1e-1]}
    scoring = make_loss_scorer("absolute_error")
    cv = KFold(3, shuffle=True, random_state=0)
    local = GridSearchCV(LossRegressor(loss=Huber()), grid, scoring=scoring, cv=cv)
    local.fit(X, y)
    search = GridSearchCV(
        LossRegressor(loss=Huber()), grid, scoring=scoring, cv=cv, n_jobs=-1
    )
    with distributed.get_task_stream(client) as stream:
        with joblib.parallel_config(backend="dask"):
            search.fit(X, y)
    # The fits ran as tasks on the cluster (joblib batches them).
    assert any("fit_and_score" in str(task["key"]) for task in stream.data)
    assert search.best_params_ == local.best_params_
    assert_allclose(
        search.cv_results_["mean_test_score"],
        local.cv_results_["mean_test_score"],
        rtol=1e-10,
    )


@pytest.mark.parametrize("loss", ["quantile", "absolute_error"])
def test_piecewise_linear_loss_is_refused_with_auto_solver(client, loss):
    X, y, _ = _data()
    with pytest.raises(ValueError, match="piecewise linear.*squared_error, huber"):
        LossRegressor(loss=loss).fit(*_dask(X, y))


def test_hinge_is_refused_and_lbfgs_is_an_explicit_choice(client):
    X, y, _ = _data()
    yc = (y > 0).astype(int)
    Xd, ycd = _dask(X, yc)
    with pytest.raises(ValueError, match="piecewise linear.*log_loss"):
        LossClassifier(loss="hinge").fit(Xd, ycd)
    # An explicit first-order choice runs on the same (non-smooth) objective,
    # with the in-memory solver's outcome (the same iterates, block sums aside).
    est = LossClassifier(loss="hinge", solver="lbfgs", max_iter=30)
    ref = LossClassifier(loss="hinge", solver="lbfgs", max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with dask.config.set(scheduler="sync"):
            est.fit(Xd, ycd)
        ref.fit(X, yc)
    assert est.solver_ == "lbfgs"
    assert_allclose(est.coef_, ref.coef_, rtol=1e-4, atol=1e-6)


def _bad_inputs():
    X, y, sw = _data()
    X_nan = X.copy()
    X_nan[1500, 2] = np.nan
    sw_neg = sw.copy()
    sw_neg[1999] = -1.0
    return [
        pytest.param(X_nan, y, None, "X contains NaN", id="nan-in-X"),
        pytest.param(X, y, sw_neg, "non-negative", id="negative-weight"),
        pytest.param(X, y[:-1], None, "inconsistent numbers", id="length"),
        pytest.param(X, y, np.zeros(N), "all zero", id="zero-weights"),
        pytest.param(X, -np.abs(y), None, "y must lie in", id="poisson-domain"),
    ]


@pytest.mark.parametrize("X, y, sw, match", _bad_inputs())
def test_bad_input_is_a_clear_value_error(X, y, sw, match):
    loss = "poisson" if match.startswith("y must") else "squared_error"
    Xd, yd = _dask(X, y)
    swd = None if sw is None else _dask(sw)[0]
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError, match=match):
        LossRegressor(loss=loss).fit(Xd, yd, sample_weight=swd)


def test_nan_label_is_refused():
    X, y, _ = _data()
    yc = (y > 0).astype(float)
    yc[7] = np.nan
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError, match="NaN"):
        LossClassifier().fit(*_dask(X, yc))


def test_unknown_chunk_sizes_and_numpy_y():
    """A boolean-masked X (chunk sizes unknown) with y and weights as numpy."""
    X, y, sw = _data()
    keep = np.arange(N) % 7 != 0
    Xd = _dask(X)[0][da.from_array(keep, chunks=CHUNK)]
    assert np.isnan(Xd.chunks[0][0])
    ref = LossRegressor(loss="huber").fit(X[keep], y[keep], sample_weight=sw[keep])
    with dask.config.set(scheduler="sync"):
        est = LossRegressor(loss="huber").fit(Xd, y[keep], sample_weight=sw[keep])
    assert_allclose(est.coef_, ref.coef_, rtol=1e-8, atol=1e-10)


def test_empty_and_zero_weight_blocks_are_harmless():
    """A block with all-zero weights, and an empty block, change nothing."""
    X, y, _ = _data()
    sw = np.ones(N)
    sw[:CHUNK] = 0.0
    ref = LossRegressor(loss="huber").fit(X[CHUNK:], y[CHUNK:])
    keep = da.from_array(np.arange(N) >= CHUNK, chunks=CHUNK)
    Xd, yd, swd = _dask(X, y, sw)
    with dask.config.set(scheduler="sync"):
        zero = LossRegressor(loss="huber").fit(Xd, yd, sample_weight=swd)
        empty = LossRegressor(loss="huber").fit(Xd[keep], yd[keep])
    assert_allclose(zero.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    assert_allclose(empty.coef_, ref.coef_, rtol=1e-8, atol=1e-10)


def test_large_n_objective_equals_in_memory_objective():
    """Above 20,000 rows: the same preconditioner, and the same 1-in-10 subsample.

    The reference is LinearObjective built in memory on the same rows; the
    subsample keeps the full objective's coordinates (mean and scale of the
    full data, not of its own rows). The objective and gradient are
    compared at a random point.
    """
    from sklloss.linear_model import _dask as dask_impl
    from sklloss.linear_model._objective import LinearObjective

    rng = np.random.default_rng(5)
    n = 45_000
    X = rng.normal(size=(n, 3)) * [0.1, 1.0, 100.0]
    y = X @ [10.0, 1.0, 0.01] + rng.normal(size=n)
    sw = rng.uniform(0.0, 2.0, size=n)
    Xd, yd, swd = (da.from_array(a, chunks=4_000) for a in (X, y, sw))
    theta = rng.normal(size=4)
    with dask.config.set(scheduler="sync"):
        data, _ = dask_impl._prepare(Xd, yd, swd, classify=False)
        spec = dask_impl._BlockSpec(
            Huber(),
            ("regression", 1.0),
            K=1,
            softmax=False,
            fit_intercept=True,
            sw_sum=data.sw_sum,
        )
        obj = dask_impl._DaskObjective(data, spec, alpha=1e-3, l1_ratio=0.0)
        sub = obj._every_nth_row(10)
        full = LinearObjective(X, y, sw, Huber(), alpha=1e-3)
        pairs = [
            (obj, full),
            (
                sub,
                LinearObjective(
                    X[::10],
                    y[::10],
                    sw[::10],
                    Huber(),
                    alpha=1e-3,
                    column_stats=(full.mean, full.scale),
                ),
            ),
        ]
        for got, ref in pairs:
            assert_allclose(got.mean, ref.mean, rtol=1e-12)
            assert_allclose(got.scale, ref.scale, rtol=1e-12)
            f, g = got.loss_gradient(theta)
            f_ref, g_ref = ref.loss_gradient(theta)
            assert f == pytest.approx(f_ref, rel=1e-12)
            assert_allclose(g, g_ref, rtol=1e-10, atol=1e-12)


def test_predict_log_proba_is_stable_on_dask():
    """log-probabilities of far-away points stay finite (no log(0))."""
    from sklloss.linear_model import _dask as dask_impl

    X, y, _ = _data()
    yc = np.digitize(y, [-1.0, 1.0])
    with dask.config.set(scheduler="sync"):
        est = LossClassifier().fit(*_dask(X, yc))
        far = _dask(X[:50] * 1e3)[0]
        logp = dask_impl.predict_log_proba(est, far)
        assert isinstance(logp, da.Array)
        logp = logp.compute()
    assert np.all(np.isfinite(logp))
    assert_allclose(logp, est.predict_log_proba(X[:50] * 1e3), rtol=1e-12)


def test_one_class_is_refused():
    X, y, _ = _data()
    with dask.config.set(scheduler="sync"), pytest.raises(ValueError, match="class"):
        LossClassifier().fit(*_dask(X, np.ones(N)))


def test_blocks_are_computed_once():
    """Persisted once: the blocks' source runs once per block for a whole fit."""
    X, y, _ = _data()
    calls = []

    def source(block, block_info=None):
        calls.append(block_info[None]["chunk-location"])
        return block

    Xd = da.from_array(X, chunks=(CHUNK, -1)).map_blocks(source, dtype=X.dtype)
    with dask.config.set(scheduler="sync"):
        est = LossRegressor(loss="huber").fit(Xd, _dask(y)[0])
    assert est.n_evals_ > 3  # several passes over the data ...
    assert sorted(calls) == [(i, 0) for i in range(N // CHUNK)]  # ... one source run


def test_float32_in_float32_coef_out():
    X, y, _ = _data()
    X32 = X.astype(np.float32)
    with dask.config.set(scheduler="sync"):
        est = LossRegressor().fit(*_dask(X32, y))
    ref = LossRegressor().fit(X32, y)
    assert est.coef_.dtype == ref.coef_.dtype == np.float32
    assert_allclose(est.coef_, ref.coef_, rtol=1e-6)
    assert est.predict(_dask(X32)[0]).dtype == ref.predict(X32).dtype


def test_predict_checks_the_number_of_features():
    X, y, _ = _data()
    with dask.config.set(scheduler="sync"):
        est = LossRegressor().fit(*_dask(X, y))
        with pytest.raises(ValueError, match="X has 4 features"):
            est.predict(_dask(X[:, :4])[0])


def test_sampled_newton_on_dask_matches_numpy(client):
    # >= 50,000 rows: "auto" picks sampled-newton; its subsample start and
    # Hessian sample come from the dask objective's _every_nth_row
    n, p = 60_000, 25
    # generated on the workers (a 12 MB numpy array would be shipped in the graph)
    Xd = da.random.RandomState(7).standard_normal((n, p), chunks=(15_000, p))
    X = Xd.compute()
    rng = np.random.default_rng(7)
    w = rng.standard_normal(p) / 5
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ w))).astype(int)
    yd = da.from_array(y, chunks=15_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ref = LossClassifier().fit(X, y)
        est = LossClassifier().fit(Xd, yd)
    assert ref.solver_ == est.solver_ == "sampled-newton"
    assert_allclose(est.coef_, ref.coef_, rtol=1e-7, atol=1e-9)


# One plan for both backends (issue 13): every trainable loss that the dask
# backend accepts is fitted on the same numpy data in memory and on dask, and
# the two fits must agree -- including the non-convex losses, which start
# from the exact LAD fit in both (they used to start from a Huber fit on
# dask, and could reach another local optimum).
_PIECEWISE = {"absolute_error", "quantile", "epsilon_insensitive", "hinge"}


def _trainable(kind):
    from sklloss.losses import get_loss, loss_names

    kinds = ("probabilistic", "distribution", "margin")
    if kind == "regression":
        kinds = ("regression",)
    return [
        name
        for name in loss_names(trainable=True)
        if get_loss(name).kind in kinds and name not in _PIECEWISE
    ]


@pytest.mark.parametrize("loss", _trainable("regression"))
def test_every_regression_loss_fits_the_same_on_dask(client, loss):
    X, y, sw = _data(seed=3)
    if loss in ("poisson", "gamma", "tweedie"):
        y = np.exp(X @ (0.1 / np.logspace(-1, 2, P)) + 0.1 * np.sin(y))
    y[:40] += 25.0  # outliers: the non-convex losses' local optima differ
    Xd, yd, swd = _dask(X, y, sw)
    ref = LossRegressor(loss=loss, alpha=1e-3).fit(X, y, sample_weight=sw)
    est = LossRegressor(loss=loss, alpha=1e-3).fit(Xd, yd, sample_weight=swd)
    assert_allclose(est.scale_, ref.scale_, rtol=1e-6)
    scale = np.abs(ref.coef_).max() + abs(ref.intercept_)
    assert_allclose(est.coef_, ref.coef_, rtol=0, atol=1e-6 * scale)
    assert_allclose(est.intercept_, ref.intercept_, rtol=0, atol=1e-6 * scale)


@pytest.mark.parametrize("loss", _trainable("classification"))
def test_every_classification_loss_fits_the_same_on_dask(client, loss):
    X, y, sw = _data(seed=4)
    labels = np.digitize(y, np.quantile(y, [0.4, 0.7]))  # 3 classes
    Xd, swd = _dask(X, sw)
    yd = da.from_array(labels, chunks=CHUNK)
    ref = LossClassifier(loss=loss, alpha=1e-3).fit(X, labels, sample_weight=sw)
    est = LossClassifier(loss=loss, alpha=1e-3).fit(Xd, yd, sample_weight=swd)
    scale = np.abs(ref.coef_).max()
    assert_allclose(est.coef_, ref.coef_, rtol=0, atol=1e-6 * scale)
    assert_allclose(est.intercept_, ref.intercept_, rtol=0, atol=1e-6 * scale)


@pytest.mark.parametrize("loss", ["cauchy", "tukey_biweight"])
def test_non_convex_loss_reaches_the_in_memory_local_optimum(client, loss):
    # 40% of the rows on a second line: two local optima. From the dask
    # backend's old Huber start, tukey_biweight ended 0.73 away from the
    # in-memory fit (the LAD start) on this seed.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(N, P))
    b = rng.normal(size=P)
    y = X @ b + 0.3 * rng.normal(size=N)
    second = rng.random(N) < 0.4
    y[second] = X[second] @ (-b) + 5 + 0.3 * rng.normal(size=second.sum())
    Xd, yd = _dask(X, y)
    ref = LossRegressor(loss=loss).fit(X, y)
    est = LossRegressor(loss=loss).fit(Xd, yd)
    assert_allclose(est.coef_, ref.coef_, rtol=0, atol=1e-6)
    if loss == "tukey_biweight":  # redescending: it finds the majority's line
        assert np.abs(ref.coef_ - b).max() < 0.1


def _recorded_plans(monkeypatch, fit):
    """The FitPlans ``fit()`` makes, in order (make_plan wrapped, not changed)."""
    from sklloss.linear_model import _base

    plans = []
    make_plan = _base.make_plan

    def recording(*args, **kwargs):
        plans.append(make_plan(*args, **kwargs))
        return plans[-1]

    monkeypatch.setattr(_base, "make_plan", recording)
    fit()
    monkeypatch.setattr(_base, "make_plan", make_plan)
    return plans


def _fit_both(loss):
    """(in-memory fit, dask fit) of ``loss`` on the same data, as callables."""
    from sklloss.losses import get_loss

    X, y, sw = _data(seed=3)
    if get_loss(loss).kind == "regression":
        if loss in ("poisson", "gamma", "tweedie"):
            y = np.exp(X @ (0.1 / np.logspace(-1, 2, P)) + 0.1 * np.sin(y))
        y[:40] += 25.0
        est = LossRegressor(loss=loss, alpha=1e-3)
    else:
        y = np.digitize(y, np.quantile(y, [0.4, 0.7]))
        est = LossClassifier(loss=loss, alpha=1e-3)
    Xd, yd, swd = _dask(X, y, sw)
    return (
        lambda: clone(est).fit(X, y, sample_weight=sw),
        lambda: clone(est).fit(Xd, yd, sample_weight=swd),
    )


@pytest.mark.parametrize(
    "loss", _trainable("regression") + _trainable("classification")
)
def test_every_trainable_loss_gets_the_same_plan_on_dask(monkeypatch, loss):
    # One plan for both backends: make_plan sees the estimator, the loss and
    # the objective, and a dask objective must lead it to the same decisions
    # (solver, start, polish, threads, tolerance) at every fit of the run.
    in_memory, on_dask = _fit_both(loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref = _recorded_plans(monkeypatch, in_memory)
        with dask.config.set(scheduler="sync"):
            got = _recorded_plans(monkeypatch, on_dask)
    assert ref, "the in-memory fit made no plan"
    if loss == "squared_error":  # in memory the normal equations (_direct.py)
        assert {p.solver for p in ref} == {"cholesky"} != {p.solver for p in got}
        ref = [replace(p, solver=q.solver) for p, q in zip(ref, got, strict=True)]
    # the scale loop's inner tolerances follow the scale, equal up to the
    # rounding of the block sums; every decision is equal exactly
    assert [replace(p, tol=0.0) for p in got] == [replace(p, tol=0.0) for p in ref]
    assert_allclose([p.tol for p in got], [p.tol for p in ref], rtol=1e-6)
