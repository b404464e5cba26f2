"""LossRegressor / LossClassifier against an independent convex solver.

Every convex trainable loss that cvxpy can express is fitted on random
problems (wide, collinear, constant and badly scaled columns, zero weights;
L2, L1 and elastic net; with and without intercept) by sklloss and by cvxpy
with Clarabel. The objective, written here from the loss formulas,

    F(w, b) = (1 / sum(sw)) sum_i sw_i loss(y_i, x_i w + b)
              + alpha (l1_ratio ||w||_1 + (1 - l1_ratio) / 2 ||w||_2^2),

is evaluated with numpy at both solutions: sklloss's value is never above
cvxpy's by more than 1e-7 relative. cvxpy's point is any point, so its value
bounds the optimum from above whatever Clarabel's accuracy; a sloppy
reference can only make the check weaker, never fail it. For the smooth
losses the subgradient (KKT) conditions are checked at sklloss's solution
with the loss derivatives written here.
"""

import warnings

import numpy as np
import pytest
from scipy.special import expit, logsumexp, softmax, xlogy
from sklearn.exceptions import ConvergenceWarning

from sklloss import LossClassifier, LossRegressor, available_losses, get_loss

cp = pytest.importorskip("cvxpy")
pytest.importorskip("clarabel")

_CLARABEL = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
_RTOL = 1e-7
_ATOL = 1e-12


# ------------------------------------------------------------ the losses
# name -> (parameters, cvxpy per-sample loss of (z, y), numpy loss of (z, y),
# numpy derivative with respect to z, or None for the piecewise-linear ones).
# Margin losses see y in {-1, +1} (the greater label is positive); log_loss
# sees y in {0, 1}.
def _huber_np(r, d):
    a = np.abs(r)
    return np.where(a <= d, 0.5 * r * r, d * (a - 0.5 * d))


def _tweedie_np(z, y, p):
    mu = np.exp(z)
    ya = np.maximum(y, 0)
    return 2 * (
        ya ** (2 - p) / ((1 - p) * (2 - p))
        - y * mu ** (1 - p) / (1 - p)
        + mu ** (2 - p) / (2 - p)
    )


def _tweedie_cp(z, y, p):
    # the constant y^(2-p) / ((1-p)(2-p)) is added in numpy only
    return 2 * (
        cp.multiply(-y / (1 - p), cp.exp((1 - p) * z)) + cp.exp((2 - p) * z) / (2 - p)
    )


def _mhuber_np(z, y):
    m = y * z
    return np.where(m >= -1, np.maximum(0, 1 - m) ** 2, -4 * m)


def _mhuber_grad(z, y):
    m = y * z
    return y * np.where(m >= -1, -2 * np.maximum(0, 1 - m), -4.0)


LOSSES = {
    "squared_error": (
        {},
        lambda z, y: cp.square(y - z),
        lambda z, y: (y - z) ** 2,
        lambda z, y: -2 * (y - z),
    ),
    "absolute_error": (
        {},
        lambda z, y: cp.abs(y - z),
        lambda z, y: np.abs(y - z),
        None,
    ),
    "huber": (
        {"delta": 0.5},
        lambda z, y: 0.5 * cp.huber(y - z, 0.5),
        lambda z, y: _huber_np(y - z, 0.5),
        lambda z, y: -np.clip(y - z, -0.5, 0.5),
    ),
    "smooth_l1": (
        {"beta": 0.5},
        lambda z, y: cp.huber(y - z, 0.5),  # huber(r, beta) / beta
        lambda z, y: _huber_np(y - z, 0.5) / 0.5,
        lambda z, y: -np.clip((y - z) / 0.5, -1, 1),
    ),
    "quantile": (
        {"quantile": 0.3},
        lambda z, y: 0.3 * cp.pos(y - z) + 0.7 * cp.neg(y - z),
        lambda z, y: np.maximum(0.3 * (y - z), -0.7 * (y - z)),
        None,
    ),
    "log_cosh": (
        {},
        # log cosh r = r + log(1 + e^(-2r)) - log 2
        lambda z, y: (y - z) + cp.logistic(-2 * (y - z)) - np.log(2),
        lambda z, y: np.logaddexp(y - z, z - y) - np.log(2),
        lambda z, y: -np.tanh(y - z),
    ),
    "epsilon_insensitive": (
        {"epsilon": 0.2},
        lambda z, y: cp.pos(cp.abs(y - z) - 0.2),
        lambda z, y: np.maximum(0, np.abs(y - z) - 0.2),
        None,
    ),
    "squared_epsilon_insensitive": (
        {"epsilon": 0.2},
        lambda z, y: cp.square(cp.pos(cp.abs(y - z) - 0.2)),
        lambda z, y: np.maximum(0, np.abs(y - z) - 0.2) ** 2,
        lambda z, y: -2 * np.sign(y - z) * np.maximum(0, np.abs(y - z) - 0.2),
    ),
    "poisson": (
        {},
        lambda z, y: 2 * (cp.exp(z) - cp.multiply(y, z)),
        lambda z, y: 2 * (xlogy(y, y) - y * z - y + np.exp(z)),
        lambda z, y: 2 * (np.exp(z) - y),
    ),
    "gamma": (
        {},
        lambda z, y: 2 * (z + cp.multiply(y, cp.exp(-z))),
        lambda z, y: 2 * (z - np.log(y) + y * np.exp(-z) - 1),
        lambda z, y: 2 * (1 - y * np.exp(-z)),
    ),
    "tweedie": (
        {"power": 1.5},
        lambda z, y: _tweedie_cp(z, y, 1.5),
        lambda z, y: _tweedie_np(z, y, 1.5),
        # d/dz mu^(2-p) / (2-p) = mu^(2-p), d/dz mu^(1-p) / (1-p) = mu^(1-p)
        lambda z, y: 2 * (np.exp(0.5 * z) - y * np.exp(-0.5 * z)),
    ),
    "log_loss": (
        {},
        lambda z, y: cp.logistic(z) - cp.multiply(y, z),
        lambda z, y: np.logaddexp(0, z) - y * z,
        lambda z, y: expit(z) - y,
    ),
    "hinge": (
        {},
        lambda z, y: cp.pos(1 - cp.multiply(y, z)),
        lambda z, y: np.maximum(0, 1 - y * z),
        None,
    ),
    "squared_hinge": (
        {},
        lambda z, y: cp.square(cp.pos(1 - cp.multiply(y, z))),
        lambda z, y: np.maximum(0, 1 - y * z) ** 2,
        lambda z, y: -2 * y * np.maximum(0, 1 - y * z),
    ),
    # (1 - m)^2 on [-1, 1], 0 above, -4 m below: huber(pos(1 - m), 2)
    "modified_huber": (
        {},
        lambda z, y: cp.huber(cp.pos(1 - cp.multiply(y, z)), 2),
        _mhuber_np,
        _mhuber_grad,
    ),
    "exponential": (
        {},
        lambda z, y: cp.exp(-cp.multiply(y, z)),
        lambda z, y: np.exp(-y * z),
        lambda z, y: -y * np.exp(-y * z),
    ),
}
_MARGIN = {"hinge", "squared_hinge", "modified_huber", "exponential"}
_CLASSIFIER = _MARGIN | {"log_loss", "multinomial"}


def test_every_convex_trainable_loss_is_covered():
    # a new convex loss must be added here (or to the exclusions, with why)
    excluded = {
        # distribution targets (rows of probabilities): another estimator input
        "kl_divergence",
    }
    convex = {
        name
        for name, info in available_losses().items()
        if info["trainable"] and get_loss(name, **LOSSES.get(name, ({},))[0]).is_convex
    }
    assert convex - excluded == set(LOSSES)


# -------------------------------------------------------------- problems
def _features(rng, n, p, kind):
    X = rng.normal(size=(n, p))
    if kind == "collinear":
        X[:, 1] = X[:, 0]
        X[:, 2] = X[:, 0] - X[:, 3]
    elif kind == "constant_scaled":
        X[:, 0] = 3.0
        X = X * 10.0 ** rng.uniform(-2, 2, size=p)
    return X


def _targets(rng, name, eta):
    noise = rng.normal(size=eta.size)
    if name in ("poisson",):
        return rng.poisson(np.exp(np.clip(0.5 * eta, -3, 3))).astype(float)
    if name in ("gamma", "tweedie"):
        return np.exp(0.5 * eta + 0.3 * noise)
    if name in _CLASSIFIER:
        y = (eta + noise > 0).astype(int)
        y[:2] = [0, 1]  # both classes
        return y
    return eta + rng.standard_t(3, size=eta.size)


def _problem(name, shape, kind, seed):
    rng = np.random.default_rng(seed)
    n, p = {"tall": (50, 6), "wide": (16, 30)}[shape]
    X = _features(rng, n, p, kind)
    w = np.zeros(p)
    w[: min(p, 5)] = rng.normal(size=min(p, 5))
    Xs = X / np.sqrt(np.mean(X * X, axis=0))
    y = _targets(rng, name, Xs @ w)
    sw = rng.uniform(0.5, 2.0, size=n)
    sw[rng.choice(np.arange(2, n), size=n // 5, replace=False)] = 0.0
    return X, y, sw


def _multinomial_problem(shape, kind, seed, K=3):
    rng = np.random.default_rng(seed)
    n, p = {"tall": (60, 5), "wide": (18, 24)}[shape]
    X = _features(rng, n, p, kind)
    Xs = X / np.sqrt(np.mean(X * X, axis=0))
    y = np.argmax(Xs[:, :4] @ rng.normal(size=(4, K)) + rng.gumbel(size=(n, K)), 1)
    y[:K] = np.arange(K)
    sw = rng.uniform(0.5, 2.0, size=n)
    sw[rng.choice(np.arange(K, n), size=n // 5, replace=False)] = 0.0
    return X, y, sw


# ------------------------------------------------------------ references
def _solve_cvxpy(build, X, K, fit_intercept, alpha, l1_ratio, sw):
    """Minimise ``build(W, b) / sum(sw) + penalty(W)`` with Clarabel.

    The variable is ``V = c * W`` with ``c`` the root mean square of each
    column (the same problem, better conditioned for the interior-point
    method on badly scaled columns); on a solver failure at the tight
    tolerances the defaults are tried.
    """
    p = X.shape[1]
    c = np.sqrt(np.mean(X * X, axis=0))
    c[c == 0] = 1.0
    shape = (p,) if K is None else (p, K)
    V = cp.Variable(shape)
    W = cp.multiply(V, (1 / c) if K is None else (1 / c)[:, None])
    b = cp.Variable(() if K is None else (K,)) if fit_intercept else 0.0
    pen = alpha * (
        l1_ratio * cp.sum(cp.abs(W)) + (1 - l1_ratio) / 2 * cp.sum_squares(W)
    )
    problem = cp.Problem(cp.Minimize(build(W, b) / sw.sum() + pen))
    for settings in (_CLARABEL, {}):
        try:
            with warnings.catch_warnings():
                # "may be inaccurate": only makes the comparison weaker
                warnings.simplefilter("ignore", UserWarning)
                problem.solve(solver=cp.CLARABEL, **settings)
        except cp.error.SolverError:
            continue
        if V.value is not None:
            break
    assert V.value is not None, problem.status
    b_value = np.asarray(b.value) if fit_intercept else np.zeros(() if K is None else K)
    return np.asarray(W.value), b_value


def _reference(name, X, y, sw, alpha, l1_ratio, fit_intercept):
    keep = sw > 0  # rows of weight zero do not enter the objective
    Xk, yk, swk = X[keep], y[keep], sw[keep]
    yc = 2.0 * yk - 1 if name in _MARGIN else yk
    cp_loss = LOSSES[name][1]

    def build(W, b):
        return swk @ cp_loss(Xk @ W + b, yc)

    return _solve_cvxpy(build, X, None, fit_intercept, alpha, l1_ratio, sw)


def reg(**kw):
    """A LossRegressor whose objective is the one stated above (no scale)."""
    est = LossRegressor(**kw)
    if "scale" in est.get_params():
        est.set_params(scale=1.0)
    return est


def _fit_sklloss(name, X, y, sw, alpha, l1_ratio, fit_intercept):
    """sklloss's (W (K, p), b (K,)) and whether it warned."""
    if name == "multinomial":
        kw = {"loss": "log_loss"}
    else:
        kw = {"loss": get_loss(name, **LOSSES[name][0])}
    kw.update(alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept)
    est = LossClassifier(**kw) if name in _CLASSIFIER else reg(**kw)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(X, y, sample_weight=sw)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    W = np.reshape(est.coef_, (-1, X.shape[1]))
    return W, np.ravel(est.intercept_).astype(float), warned


def _multinomial_reference(X, Y, sw, alpha, l1_ratio, fit_intercept):
    keep = sw > 0
    K = Y.shape[1]

    def build(W, b):
        Z = X[keep] @ W
        if fit_intercept:
            Z = Z + cp.reshape(b, (1, K), order="C")
        rows = cp.log_sum_exp(Z, axis=1) - cp.sum(cp.multiply(Y[keep], Z), axis=1)
        return sw[keep] @ rows

    W, b = _solve_cvxpy(build, X, K, fit_intercept, alpha, l1_ratio, sw)
    return W.T, b


def _compare(name, penalty, shape, kind, fit_intercept, seed):
    """Fit one problem both ways.

    Returns the objective of sklloss and of cvxpy (numpy formulas), whether
    sklloss warned, and the worst KKT violation relative to its tolerance
    (None for the piecewise-linear losses, which have no gradient).
    """
    alpha, l1_ratio = PENALTIES[penalty]
    if name == "multinomial":
        X, y, sw = _multinomial_problem(shape, kind, seed)
        Y = np.eye(int(y.max()) + 1)[y]
        W_ref, b_ref = _multinomial_reference(X, Y, sw, alpha, l1_ratio, fit_intercept)

        def value_grad(W, b):
            Z = X @ W.T + b
            value = logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1)
            return value, softmax(Z, axis=1) - Y

    else:
        X, y, sw = _problem(name, shape, kind, seed)
        W_ref, b_ref = _reference(name, X, y, sw, alpha, l1_ratio, fit_intercept)
        W_ref, b_ref = W_ref[None, :], np.atleast_1d(b_ref)
        yc = 2.0 * y - 1 if name in _MARGIN else y
        _, _, loss_np, derivative = LOSSES[name]

        def value_grad(W, b):
            z = X @ W[0] + b[0]
            grad = None if derivative is None else derivative(z, yc)[:, None]
            return loss_np(z, yc), grad

    W, b, warned = _fit_sklloss(name, X, y, sw, alpha, l1_ratio, fit_intercept)

    def objective(W, b):
        return float(sw @ value_grad(W, b)[0]) / sw.sum() + _penalty_np(
            W, alpha, l1_ratio
        )

    _, G = value_grad(W, b)
    kkt = None
    if G is not None:
        G = sw[:, None] * G / sw.sum()
        kkt = _kkt_ratio(G.T @ X, G.sum(axis=0), W, X, sw, alpha, l1_ratio)
        if not fit_intercept:
            kkt = max(kkt[0], 0.0), 0.0
    return objective(W, b), objective(W_ref, b_ref), warned, kkt


def _penalty_np(W, alpha, l1_ratio):
    l1, l2 = np.abs(W).sum(), float(np.sum(W * W))
    return alpha * (l1_ratio * l1 + (1 - l1_ratio) / 2 * l2)


def _kkt_ratio(grad_W, grad_b, W, X, sw, alpha, l1_ratio):
    """Worst violation of the subgradient conditions over its tolerance.

    In the original coefficients: ``|g_j| <= alpha * l1_ratio`` where
    ``w_j = 0``, ``g_j + alpha * l1_ratio * sign(w_j) = 0`` elsewhere, with
    ``g`` the gradient of the smooth part; and a zero intercept gradient.
    sklloss stops when they hold to 1e-8 on the standardised columns, i.e.
    to 1e-8 times the column's scale here; the tolerance gives 100x room.
    Returns ``(coefficients, intercepts)``.
    """
    s = sw / sw.sum()
    tol = 1e-6 * (np.sqrt(s @ (X * X)) + 1e-12)  # rms of each column
    g = grad_W + alpha * (1 - l1_ratio) * W
    lam = alpha * l1_ratio
    viol = np.where(
        W == 0, np.maximum(np.abs(g) - lam, 0), np.abs(g + lam * np.sign(W))
    )
    return float(np.max(viol / tol)), float(np.max(np.abs(grad_b)) / 1e-6)


# ---------------------------------------------------------------- tests
PENALTIES = {"l2": (0.05, 0.0), "l1": (0.02, 1.0), "enet": (0.03, 0.5)}
CASES = [("wide", "collinear"), ("tall", "constant_scaled")]
SEEDS = (0, 1)
NAMES = [*sorted(LOSSES), "multinomial"]


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no_b"])
@pytest.mark.parametrize("shape, kind", CASES, ids=[f"{s}-{k}" for s, k in CASES])
@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("name", NAMES)
def test_objective_at_cvxpy_optimum(name, penalty, shape, kind, fit_intercept):
    for seed in SEEDS:
        f, f_ref, warned, kkt = _compare(
            name, penalty, shape, kind, fit_intercept, seed
        )
        assert not warned, seed
        assert f <= f_ref + _RTOL * abs(f_ref) + _ATOL, (seed, f, f_ref)
        if kkt is not None:
            assert kkt[0] <= 1 and kkt[1] <= 1, (seed, kkt)


def _count(seeds):
    """Run every problem; print how many end above cvxpy's optimum."""
    n = above = above_warned = worse_1e4 = kkt_failed = 0
    for name in NAMES:
        for penalty in PENALTIES:
            for shape, kind in CASES:
                for fit_intercept in (True, False):
                    for seed in seeds:
                        case = (name, penalty, shape, kind, fit_intercept, seed)
                        try:
                            f, f_ref, warned, kkt = _compare(*case)
                        except Exception as exc:  # a crash counts as a failure
                            print(*case, exc)
                            f, f_ref, warned, kkt = np.inf, 0.0, False, None
                        n += 1
                        kkt_failed += kkt is not None and max(kkt) > 1
                        rel = (f - f_ref) / max(abs(f_ref), 1e-300)
                        if f > f_ref + _RTOL * abs(f_ref) + _ATOL:
                            above += 1
                            above_warned += warned
                            worse_1e4 += rel > 1e-4
                            print(*case, f"{rel:.2e} above, warned={warned}")
    print(
        f"{n} problems, {above} above the optimum by > 1e-7 relative "
        f"({worse_1e4} by > 1e-4), {above_warned} of them warned; "
        f"KKT conditions violated in {kkt_failed}"
    )


if __name__ == "__main__":
    # python tests/test_optimality_cvxpy.py [n_seeds]: the count, not a test
    import sys

    _count(range(int(sys.argv[1])) if len(sys.argv) > 1 else SEEDS)
