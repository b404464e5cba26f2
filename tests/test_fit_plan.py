"""The fit plan (``_plan.make_plan``) and the run that carries it out.

References: the rules of the plan as the documentation states them (the
solver table of ``_plan.py`` and the estimators' docstrings); for the
evaluation count, the passes over X counted in this file by wrapping the
objective's one data pass, independently of the solvers' own counting.
"""

import warnings

import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sklloss import LossClassifier, LossRegressor
from sklloss.linear_model import _base
from sklloss.linear_model._objective import LinearObjective
from sklloss.linear_model._plan import make_plan
from sklloss.losses import Huber, get_loss


class _UserHuber(Huber):
    """A user's loss (defined outside sklloss): its gradient is checked first."""


_UserHuber.__module__ = "my_package.losses"


def _problem(n, p, *, sparse_X=False, seed=0):
    rng = np.random.default_rng(seed)
    if sparse_X:
        X = sparse.random(n, p, density=0.01, format="csr", random_state=seed)
    else:
        X = rng.normal(size=(n, p))
    y = np.asarray(X @ rng.normal(size=p)).ravel() + rng.normal(size=n)
    return X, y


def _plan_of(est, loss, X, y, warm=None):
    loss = get_loss(loss)
    objective = LinearObjective(
        X,
        y,
        np.ones(X.shape[0]),
        loss,
        alpha=est.alpha,
        l1_ratio=est.l1_ratio,
        fit_intercept=est.fit_intercept,
    )
    return make_plan(est, loss, objective, warm=warm)


# (loss, n, p, sparse X, estimator parameters) -> the documented decisions:
# (solver, robust_start, subsample_start, polish, check_gradient)
_CASES = [
    ("squared_error", 1000, 5, False, {}, ("cholesky", 0, 0, 0, 0)),
    ("quantile", 1000, 5, False, {}, ("exact", 0, 0, 0, 0)),
    ("squared_error", 60_000, 30, False, {}, ("cholesky", 0, 0, 0, 0)),
    ("poisson", 60_000, 30, False, {}, ("sampled-newton", 0, 1, 0, 0)),
    ("huber", 60_000, 30, False, {}, ("lbfgs", 0, 1, 0, 0)),
    ("squared_hinge", 60_000, 30, False, {}, ("sampled-newton", 0, 1, 0, 0)),
    ("modified_huber", 60_000, 30, False, {}, ("sampled-newton", 0, 1, 0, 0)),
    ("huber", 20_000, 600, False, {}, ("lbfgs", 0, 0, 0, 0)),
    ("huber", 3000, 400, True, {}, ("newton-cg", 0, 0, 0, 0)),
    ("huber", 3000, 400, True, {"l1_ratio": 0.5}, ("lbfgs", 0, 0, 0, 0)),
    ("cauchy", 1000, 5, False, {}, ("newton-cholesky", 1, 0, 1, 0)),
    ("tukey_biweight", 60_000, 30, False, {}, ("lbfgs", 1, 1, 0, 0)),
    (_UserHuber(), 1000, 5, False, {}, ("newton-cholesky", 0, 0, 0, 1)),
    ("huber", 1000, 5, False, {"solver": "trust-ncg"}, ("trust-ncg", 0, 0, 0, 0)),
]


@pytest.mark.parametrize(
    "loss, n, p, sparse_X, params, expected",
    _CASES,
    ids=[
        f"{c[0] if isinstance(c[0], str) else 'user-loss'}-{c[1]}x{c[2]}"
        + ("-sparse" if c[3] else "")
        + "".join(f"-{k}={v}" for k, v in c[4].items())
        for c in _CASES
    ],
)
def test_the_plan_follows_the_documented_rules(loss, n, p, sparse_X, params, expected):
    X, y = _problem(n, p, sparse_X=sparse_X)
    plan = _plan_of(LossRegressor(loss=loss, **params), loss, X, y)
    got = (
        plan.solver,
        plan.robust_start,
        plan.subsample_start,
        plan.polish,
        plan.check_gradient,
    )
    assert got == tuple(expected[:1]) + tuple(bool(v) for v in expected[1:])


def test_a_warm_start_replaces_every_start():
    X, y = _problem(60_000, 30)
    est = LossRegressor(loss="tukey_biweight")
    warm = (np.zeros((1, 30)), np.zeros(1))
    plan = _plan_of(est, "tukey_biweight", X, y, warm=warm)
    assert plan.start == "warm"
    assert not plan.robust_start and not plan.subsample_start
    assert _plan_of(est, "tukey_biweight", X, y).start == "intercept"
    no_b = LossRegressor(loss="huber", fit_intercept=False)
    assert _plan_of(no_b, "huber", X[:100], y[:100]).start == "zeros"


def test_the_user_thread_count_is_the_plans():
    # Under the user's own limit of one BLAS thread nothing is threaded: the
    # passes get one worker and the solve needs no limit of its own.
    X, y = _problem(200_000, 10)
    est = LossClassifier()
    with threadpool_limits(limits=1, user_api="blas"):
        plan = _plan_of(est, "log_loss", X, y > 0)
    assert plan.n_threads == 1
    assert not plan.one_thread_solve


class _PassCounter:
    """Counts the passes over X, in full-data passes (rows / n each)."""

    def __init__(self, monkeypatch, n_rows):
        self.passes = 0.0
        original = LinearObjective._data_loss_gradient

        def counted(objective, W, b):
            self.passes += objective.X.shape[0] / n_rows
            return original(objective, W, b)

        monkeypatch.setattr(LinearObjective, "_data_loss_gradient", counted)


@pytest.mark.parametrize(
    "loss, n, p, params",
    [
        ("huber", 2000, 5, {}),
        (_UserHuber(), 2000, 5, {}),
        ("huber", 2000, 5, {"l1_ratio": 0.5, "alpha": 0.01}),
        ("cauchy", 2000, 5, {"scale": 1.0}),
        ("squared_error", 60_000, 30, {"scale": 1.0, "solver": "sampled-newton"}),
    ],
    ids=["huber", "user-loss", "elastic-net", "cauchy-polish", "subsample-start"],
)
def test_n_evals_counts_the_passes_over_x(monkeypatch, loss, n, p, params):
    X, y = _problem(n, p, seed=1)
    counter = _PassCounter(monkeypatch, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = LossRegressor(loss=loss, **params).fit(X, y)
    assert est.n_evals_ == round(counter.passes) > 0


def test_a_solve_leaves_the_objective_as_it_was():
    X, y = _problem(3000, 5)
    objective = LinearObjective(X, y, np.ones(3000), get_loss("cauchy"))
    before = {k: v for k, v in vars(objective).items() if not k.startswith("_")}
    est = LossRegressor(loss="cauchy")
    W, b, n_iter, n_evals = est._solve(objective, get_loss("cauchy"))
    after = {k: v for k, v in vars(objective).items() if not k.startswith("_")}
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert after[key] is value, key
    assert n_evals > 0 and n_iter > 0
    assert est.solver_ == "newton-cholesky"


def test_the_estimators_make_one_plan_per_fit(monkeypatch):
    plans = []
    original = _base.make_plan

    def recording(*args, **kwargs):
        plans.append(original(*args, **kwargs))
        return plans[-1]

    monkeypatch.setattr(_base, "make_plan", recording)
    X, y = _problem(500, 4)
    est = LossClassifier(loss="squared_hinge").fit(X, np.digitize(y, [-1, 1]))
    assert len(plans) == 3  # one-vs-rest: one problem per class
    assert {p.solver for p in plans} == {est.solver_}


@pytest.mark.parametrize(
    "make, target",
    [
        (lambda: LossRegressor(loss="absolute_error", max_iter=2), "y"),
        (lambda: LossRegressor(loss="huber", max_iter=3), "y"),
        (lambda: LossClassifier(loss="log_loss", alpha=0), "labels"),
        (lambda: LossClassifier(loss="hinge", max_iter=1, solver="lbfgs"), "3-class"),
    ],
    ids=["exact-solver", "scale-and-newton", "separable", "one-vs-rest"],
)
def test_convergence_warnings_name_the_users_line(make, target):
    # however deep the plan runs a fit, its warnings point at the line that
    # called fit (here, this file), not into sklloss
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 8))
    y = {
        "y": X[:, 0] + rng.standard_cauchy(600),
        "labels": (X[:, 0] > 0).astype(int),
        "3-class": np.digitize(X[:, 0], [-0.5, 0.5]),
    }[target]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make().fit(X, y)
    found = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert found
    assert {w.filename for w in found} == {__file__}


# curvature of each loss where its Hessian is largest (its quadratic part)
_STIFF_CASES = {
    "huber": (get_loss("huber", delta=1.0), 1.0),
    "smooth_l1": (get_loss("smooth_l1", beta=0.5), 2.0),
    "squared_epsilon_insensitive": (
        get_loss("squared_epsilon_insensitive", epsilon=0.3),
        2.0,
    ),
}


@pytest.mark.parametrize("columns", ["unit", "large", "small"])
@pytest.mark.parametrize("name", sorted(_STIFF_CASES))
def test_a_stiff_penalty_takes_sampled_newton(name, columns):
    # Columns scaled by 10**u, u over [0, 0] / [0, 3] / [-3, 0]: in the
    # standardised coordinates the penalty weighs column j by
    # alpha / std_j**2; beyond 0.1 x the loss's largest curvature (written
    # out above) the plan takes sampled-newton, else L-BFGS-B.
    loss, curvature = _STIFF_CASES[name]
    lo, hi = {"unit": (0, 0), "large": (0, 3), "small": (-3, 0)}[columns]
    X, y = _problem(60_000, 20)
    X = X * np.logspace(lo, hi, 20)
    alpha = 1e-4
    stiff = np.max(alpha / X.std(axis=0) ** 2) > 0.1 * curvature
    assert stiff == (columns == "small")
    plan = _plan_of(LossRegressor(loss=loss, alpha=alpha), loss, X, y)
    assert plan.solver == ("sampled-newton" if stiff else "lbfgs")


@pytest.mark.parametrize("name", ["huber", "smooth_l1"])
def test_the_stiff_penalty_rule_keeps_the_optimum(name):
    # the optimum of the stiff case, by sampled-newton ("auto") and by
    # L-BFGS-B, scored by the objective written out here
    loss = _STIFF_CASES[name][0]
    X, y = _problem(60_000, 20, seed=2)
    X = X * np.logspace(-3, 0, 20)
    alpha = 1e-4

    def objective(est):
        r = y - X @ est.coef_ - est.intercept_
        d = loss.delta if name == "huber" else loss.beta
        rho = np.where(np.abs(r) <= d, r * r / 2, d * (np.abs(r) - d / 2))
        rho = rho if name == "huber" else rho / d
        return np.mean(rho) + alpha / 2 * est.coef_ @ est.coef_

    auto = LossRegressor(loss=loss, alpha=alpha, scale=1.0).fit(X, y)
    lbfgs = LossRegressor(loss=loss, alpha=alpha, scale=1.0, solver="lbfgs")
    lbfgs.fit(X, y)
    assert auto.solver_ == "sampled-newton"
    best = min(objective(auto), objective(lbfgs))
    assert objective(auto) - best <= 1e-10 * best
    assert auto.n_evals_ < lbfgs.n_evals_
