"""How a dask fit dispatches its evaluations: one task per worker, sums in order.

On a distributed cluster the row blocks are grouped by the worker holding
them and each evaluation is one task per worker; without a client it is one
delayed task per block. The references:

* the Huber loss and its derivative written out in this file (closed form),
  for the partial sums of one evaluation;
* scikit-learn's LogisticRegression on the same L2-penalised objective
  (``C = 1 / (n * alpha)``), and the in-memory LossRegressor, for whole fits;
* the in-memory fit's sequence of plans, for the plan of a large fit.

One in-process LocalCluster (``processes=False``) serves the module.
"""

import warnings
from dataclasses import replace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from sklloss.linear_model import (  # noqa: E402
    LossClassifier,
    LossRegressor,
    _dask_data,
    _dask_objective,
)
from sklloss.losses import Huber  # noqa: E402

N, P, CHUNK, DELTA = 3000, 4, 250, 1.35  # 12 row blocks over 2 workers


@pytest.fixture(scope="module")
def client():
    """Two in-process workers (one thread each), closed whatever happens."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
    try:
        with distributed.Client(cluster) as c:
            yield c
    finally:
        cluster.close()


def _data(seed=0, n=N):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, P)) * np.logspace(-1, 1, P)
    y = X @ rng.normal(size=P) + rng.standard_t(3, size=n)
    sw = rng.uniform(0.2, 3.0, size=n)
    return X, y, sw


def _dask(*arrays, chunk=CHUNK):
    return [
        da.from_array(a, chunks=chunk if a.ndim == 1 else (chunk, -1)) for a in arrays
    ]


def _huber_objective(X, y, sw):
    """The dask objective of Huber(DELTA) at scale 1 on (X, y, sw)."""
    data, _ = _dask_data._prepare(*_dask(X, y, sw), classify=False)
    spec = _dask_objective._BlockSpec(
        Huber(delta=DELTA),
        ("regression", 1.0),
        K=1,
        softmax=False,
        fit_intercept=True,
        sw_sum=data.sw_sum,
    )
    return _dask_objective._DaskObjective(data, spec, alpha=1e-3, l1_ratio=0.0)


def _huber_sums(X, y, sw, w, b):
    """sum s_i l_i, X.T (s g), sum s g with s = sw / sum(sw), written out."""
    r = X @ w + b - y  # raw prediction minus target
    a = np.abs(r)
    loss = np.where(a <= DELTA, 0.5 * r**2, DELTA * (a - 0.5 * DELTA))
    grad = np.clip(r, -DELTA, DELTA)  # d loss / d raw
    s = sw / sw.sum()
    return s @ loss, X.T @ (s * grad), np.sum(s * grad)


def _evaluate(objective, W, b, *, keep_raw):
    view = objective.configured(keep_raw=keep_raw, n_threads=None)
    return view._data_loss_gradient(W, b)


def test_one_task_per_worker_and_the_closed_form_sums(client, monkeypatch):
    X, y, sw = _data()
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(1, P)), rng.normal(size=1)
    objective = _huber_objective(X, y, sw)
    groups = objective._data.worker_groups()
    # every block in exactly one group, held by that group's worker
    assert sorted(i for _, ids, _ in groups for i in ids) == list(range(N // CHUNK))
    assert len(groups) == 2
    blocks = [distributed.Future(p.key, client) for p in objective._data.x_parts]
    who_has = client.who_has(blocks)
    for worker, ids, _ in groups:
        assert all(worker in who_has[blocks[i].key] for i in ids)
    submitted = []
    submit = client.submit

    def counted(*args, **kwargs):
        submitted.append(tuple(kwargs["workers"]))
        return submit(*args, **kwargs)

    monkeypatch.setattr(client, "submit", counted)
    monkeypatch.setattr(_dask_data.dask, "compute", None)  # no graph is computed
    for keep_raw in (False, True):  # the fused pass and the two-product pass
        value, gW, gb = _evaluate(objective, W, b, keep_raw=keep_raw)
        ref = _huber_sums(X, y, sw, W[0], b[0])
        assert value == pytest.approx(ref[0], rel=1e-12)
        assert_allclose(gW[0], ref[1], rtol=1e-11, atol=1e-14)
        assert gb[0] == pytest.approx(ref[2], rel=1e-11, abs=1e-14)
    assert sorted(submitted) == sorted(2 * [(w,) for w, _, _ in groups])


def test_cluster_and_local_scheduler_give_bitwise_equal_sums(client):
    # Partial sums are added on the client in block order: the value does not
    # depend on the scheduler, nor on which worker holds which block.
    X, y, sw = _data(seed=2)
    W, b = np.full((1, P), 0.3), np.array([-0.2])
    on_cluster = _evaluate(_huber_objective(X, y, sw), W, b, keep_raw=False)
    with dask.config.set(scheduler="sync"):
        local = _huber_objective(X, y, sw)
        assert local._data.worker_groups() is None  # the client is not in use
        on_one_thread = _evaluate(local, W, b, keep_raw=False)
    with dask.config.set(scheduler="threads"):
        on_threads = _evaluate(_huber_objective(X, y, sw), W, b, keep_raw=False)
    for got in (on_one_thread, on_threads):
        assert got[0] == on_cluster[0]
        assert_array_equal(got[1], on_cluster[1])
        assert_array_equal(got[2], on_cluster[2])


def test_block_objectives_are_built_once_per_objective(client, monkeypatch):
    X, y, sw = _data(seed=3)
    built = []
    make = _dask_objective._block_objective
    monkeypatch.setattr(
        _dask_objective,
        "_block_objective",
        lambda *a: built.append(1) or make(*a),
    )
    scattered = []
    scatter = client.scatter
    monkeypatch.setattr(
        client, "scatter", lambda *a, **k: scattered.append(1) or scatter(*a, **k)
    )
    W, b = np.zeros((1, P)), np.zeros(1)
    for scheduler in ("cluster", "sync"):
        built.clear()
        with dask.config.set(
            **({} if scheduler == "cluster" else {"scheduler": scheduler})
        ):
            objective = _huber_objective(X, y, sw)
            assert (objective._data.worker_groups() is None) == (scheduler == "sync")
            for _ in range(3):
                _evaluate(objective, W, b, keep_raw=False)
                objective.configured(keep_raw=True, n_threads=None).hessp(
                    np.ones(P + 1), np.ones(P + 1)
                )
        # once per block, whatever the solvers' configured copies
        assert len(built) == N // CHUNK, scheduler
    assert len(scattered) == 1  # the spec, once, for the cluster's objective


def test_log_loss_on_a_cluster_is_logistic_regression(client):
    X, y, sw = _data(seed=4)
    labels = (y > np.median(y)).astype(int)
    alpha = 1e-2
    ref = LogisticRegression(C=1 / (alpha * sw.sum()), tol=1e-12, max_iter=10_000)
    ref.fit(X, labels, sample_weight=sw)
    Xd, yd, swd = _dask(X, labels, sw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LossClassifier(alpha=alpha, tol=1e-10).fit(Xd, yd, sample_weight=swd)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(est.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)


def test_large_huber_fit_has_the_in_memory_plan_and_optimum(client, monkeypatch):
    # From 50,000 rows the scale loop starts on every 10th row, on dask as in
    # memory: the same plans, the same passes, the same coefficients.
    from sklloss.linear_model import _base

    X, y, _ = _data(seed=5, n=60_000)
    plans = []
    make_plan = _base.make_plan
    monkeypatch.setattr(
        _base,
        "make_plan",
        lambda *a, **k: plans.append(make_plan(*a, **k)) or plans[-1],
    )
    ref = LossRegressor(loss="huber").fit(X, y)
    ref_plans, plans[:] = plans[:], []
    est = LossRegressor(loss="huber").fit(*_dask(X, y, chunk=7_500))
    assert [replace(p, tol=0.0) for p in plans] == [
        replace(p, tol=0.0) for p in ref_plans
    ]
    assert est.n_evals_ == ref.n_evals_
    assert est.scale_ == pytest.approx(ref.scale_, rel=1e-8)
    assert_allclose(est.coef_, ref.coef_, rtol=1e-8)
    assert est.intercept_ == pytest.approx(ref.intercept_, rel=1e-8, abs=1e-10)
