"""Fit-time benchmark: sklloss's LossRegressor / LossClassifier against the peers.

Every estimator of a case minimises (or approximates) the SAME objective

    f(w, b) = mean_i loss(y_i, x_i @ w + b) + alpha / 2 * ||w||^2

(intercept unpenalised; alpha = 0 for quantile / absolute_error), with each
peer's own parameters translated to it (see ``PEER NOTES`` in the output and
benchmarks/README.md). Each solution is scored by the formulas of
``_common.py`` (numpy / scipy, never sklloss code). Fits are interleaved
(round-robin, order rotated each round) and the median is reported.

Usage::

    python benchmarks/bench_fit.py                    # full run (tens of minutes)
    python benchmarks/bench_fit.py --quick            # seconds; used by the tests
    python benchmarks/bench_fit.py --cases huber,log_loss --sizes 1e5x100 --repeat 5
    python benchmarks/bench_fit.py --output benchmarks/results/fit.md
"""

import argparse
import dataclasses
import gc
import importlib
import json
import os
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import (
    environment_header,
    fmt_float,
    fmt_time,
    loadavg,
    make_data,
    markdown_table,
    matvec_pair_time,
    measure_memory,
    objective,
    parse_sizes,
    relative_gap,
    time_call,
)

DEFAULT_SIZES = "1e3x20,1e4x100,1e5x20,1e5x100,1e6x20"
QUICK_SIZES = "2e3x10"
QUICK_CASES = "squared_error,log_loss,multinomial,huber,quantile"
ALPHA = 1e-4
HUBER_EPSILON = 1.35  # HuberRegressor's default; delta = epsilon * its scale
LINEARSVC_INTERCEPT_SCALING = 100.0
QUANTILE = 0.75
SPARSE_P = 1000
N_CLASSES = 3
SLOW_FIT = 30.0  # seconds: a fit slower than this is repeated once only
SKLLOSS_SOLVER = "auto"  # --sklloss-solver: to compare sklloss's own solvers
SKLLOSS_TOL = None  # --sklloss-tol: e.g. the peers' accuracy instead of tol=1e-8


def _optional(module):
    try:
        return importlib.import_module(module)
    except Exception:
        return None


# --------------------------------------------------------------------------
# problem context and estimator adapters
# --------------------------------------------------------------------------
@dataclasses.dataclass
class Ctx:
    """One problem: data, the benchmark objective's loss/params and alpha."""

    loss: str
    X: object
    y: np.ndarray
    alpha: float
    params: dict
    n_classes: int = 1

    @property
    def n(self):
        return self.X.shape[0]


@dataclasses.dataclass
class Est:
    """An estimator of a case.

    ``fit(ctx)`` returns ``(coef (p,) or (p, K), intercept, n_iter or None)``.
    ``exact`` peers define "best peer"; approximate ones (SGD) do not.
    ``cost_power``: time assumed to grow like n ** cost_power when the
    harness extrapolates from a smaller size to decide whether to skip.
    ``max_n_unmeasured``: skip above this n when no smaller size was timed.
    """

    name: str
    fit: object
    exact: bool = True
    sklloss: bool = False
    cost_power: float = 1.0
    max_n_unmeasured: int | None = None
    note: str = ""
    jit: bool = False  # numba-compiled (skglm): left out of --quick


def _coef(est):
    coef = np.asarray(est.coef_, dtype=np.float64)
    b = np.asarray(est.intercept_, dtype=np.float64)
    if coef.ndim == 2 and coef.shape[0] == 1:  # binary (1, p)
        return coef[0], float(b.ravel()[0])
    if coef.ndim == 2:  # (K, p) -> (p, K)
        return coef.T, b
    return coef, float(b) if b.ndim == 0 else float(b.ravel()[0])


def _n_iter(est):
    it = getattr(est, "n_iter_", None)
    if it is None:
        return None
    return int(np.max(it))


# ---- sklloss -------------------------------------------------------------
def _sklloss_classes():
    mod = _optional("sklloss")
    if mod is None:
        return None, None
    reg = getattr(mod, "LossRegressor", None)
    clf = getattr(mod, "LossClassifier", None)
    if reg is None or clf is None:
        lm = _optional("sklloss.linear_model")
        reg = reg or getattr(lm, "LossRegressor", None)
        clf = clf or getattr(lm, "LossClassifier", None)
    return reg, clf


def sklloss_est(classifier=False):
    def fit(ctx):
        from sklloss import get_loss

        reg, clf = _sklloss_classes()
        cls = clf if classifier else reg
        loss_name = "quantile" if ctx.loss == "quantile" else ctx.loss
        est = cls(loss=get_loss(loss_name, **ctx.params), alpha=ctx.alpha)
        if "scale" in est.get_params():
            # the peers are mapped onto the objective in the units of y
            est.set_params(scale=1.0)
        if SKLLOSS_SOLVER != "auto":
            est.set_params(solver=SKLLOSS_SOLVER)
        if SKLLOSS_TOL is not None:
            est.set_params(tol=SKLLOSS_TOL)
        est.fit(ctx.X, ctx.y)
        info = f"{_n_iter(est)}"
        if hasattr(est, "n_evals_"):
            info += f" / {est.n_evals_} evals"
        if hasattr(est, "solver_"):
            info += f" ({est.solver_})"
        return (*_coef(est), info)

    name = "sklloss LossClassifier" if classifier else "sklloss LossRegressor"
    note = "defaults (solver='auto', tol=1e-8); regressors at scale=1.0"
    if SKLLOSS_TOL is not None:
        name += f" (tol={SKLLOSS_TOL:g})"
        note = f"solver='auto', tol={SKLLOSS_TOL:g}"
    return Est(name, fit, sklloss=True, note=note)


# ---- scikit-learn peers --------------------------------------------------
def ridge():
    def fit(ctx):
        from sklearn.linear_model import Ridge

        # ||y - Xw - b||^2 + a ||w||^2 = n * (mean r^2 + a / n ||w||^2)
        est = Ridge(alpha=ctx.n * ctx.alpha / 2).fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est("Ridge(auto)", fit, note="alpha_ridge = n * alpha / 2; direct solve")


def logistic(solver):
    def fit(ctx):
        from sklearn.linear_model import LogisticRegression

        # C * sum(loss) + ||w||^2 / 2 = C n (mean loss + alpha/2 ||w||^2)
        est = LogisticRegression(C=1.0 / (ctx.alpha * ctx.n), solver=solver)
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est(
        f"LogisticRegression({solver})",
        fit,
        note="C = 1/(alpha n), default tol=1e-4, max_iter=100",
    )


def huber_regressor(scale_for):
    """HuberRegressor at the calibrated (epsilon, alpha_h) of the case."""

    def fit(ctx):
        from sklearn.linear_model import HuberRegressor

        cal = ctx.params["_calibration"]
        est = HuberRegressor(epsilon=HUBER_EPSILON, alpha=cal["alpha_h"])
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est(
        "HuberRegressor",
        fit,
        note=(
            "fits (w, b, sigma) jointly; the case's delta and alpha are set at "
            "its fixed point sigma* so that its w minimises our objective "
            f"({scale_for}); default tol=1e-5"
        ),
    )


def sgd_regressor(loss, **kw):
    def fit(ctx):
        from sklearn.linear_model import SGDRegressor

        extra = {k: (v(ctx) if callable(v) else v) for k, v in kw.items()}
        est = SGDRegressor(loss=loss, random_state=0, **extra)
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est(f"SGDRegressor({loss})", fit, exact=False, note="approximate peer")


def sgd_classifier(loss):
    def fit(ctx):
        from sklearn.linear_model import SGDClassifier

        est = SGDClassifier(loss=loss, alpha=ctx.alpha, random_state=0)
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est(
        f"SGDClassifier({loss})", fit, exact=False, note="approximate peer, alpha"
    )


def linear_svc():
    def fit(ctx):
        from sklearn.svm import LinearSVC

        est = LinearSVC(
            dual=False,
            loss="squared_hinge",
            C=1.0 / (ctx.alpha * ctx.n),
            intercept_scaling=LINEARSVC_INTERCEPT_SCALING,
        )
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est(
        "LinearSVC(dual=False)",
        fit,
        note=(
            "C = 1/(alpha n); liblinear penalises the intercept as a feature of "
            f"value intercept_scaling={LINEARSVC_INTERCEPT_SCALING:g}, i.e. "
            "alpha/2 (b/100)^2 (negligible); default tol=1e-4"
        ),
    )


def quantile_regressor():
    def fit(ctx):
        from sklearn.linear_model import QuantileRegressor

        est = QuantileRegressor(
            quantile=ctx.params.get("quantile", 0.5), alpha=0.0, solver="highs"
        )
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est(
        "QuantileRegressor(highs)",
        fit,
        cost_power=2.0,
        max_n_unmeasured=20_000,
        note="exact LP, alpha=0",
    )


def poisson_regressor(solver):
    def fit(ctx):
        from sklearn.linear_model import PoissonRegressor

        # 1/(2n) sum dev + a/2 ||w||^2 = (mean dev + a ||w||^2) / 2
        est = PoissonRegressor(alpha=ctx.alpha / 2, solver=solver)
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est(
        f"PoissonRegressor({solver})",
        fit,
        note="alpha_p = alpha / 2; default tol=1e-4",
    )


# ---- optional peers --------------------------------------------------------
def skglm_est(datafit, scale=1.0, labels_pm1=False):
    """skglm GeneralizedLinearEstimator with AndersonCD and a ridge penalty.

    skglm 0.5's ``L2`` penalty has no ``prox_1d`` (AndersonCD refuses it), so
    the ridge is ``L1_plus_L2(a, l1_ratio=0)`` = a/2 ||w||^2. ``scale``: its
    datafit is divided by ``scale`` relative to ours, so a = alpha * scale.
    """

    def fit(ctx):
        from skglm import GeneralizedLinearEstimator, datafits
        from skglm.penalties import L1_plus_L2
        from skglm.solvers import AndersonCD

        if datafit == "Huber":
            df = datafits.Huber(ctx.params["_skglm_delta"])
        else:
            df = getattr(datafits, datafit)()
        s = scale(ctx) if callable(scale) else scale
        y = 2.0 * ctx.y - 1.0 if labels_pm1 else ctx.y
        est = GeneralizedLinearEstimator(
            datafit=df,
            penalty=L1_plus_L2(ctx.alpha * s, l1_ratio=0.0),
            solver=AndersonCD(fit_intercept=True),
        )
        est.fit(ctx.X, y)
        return (*_coef(est), _n_iter(est))

    return Est(
        f"skglm {datafit} (AndersonCD)",
        fit,
        note="optional peer; numba compiled in an untimed warm-up; default tol=1e-4",
        jit=True,
    )


def statsmodels_quantreg():
    def fit(ctx):
        import statsmodels.api as sm

        n = ctx.n
        Xc = np.hstack([np.ones((n, 1)), np.asarray(ctx.X)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.QuantReg(ctx.y, Xc).fit(q=ctx.params.get("quantile", 0.5))
        params = np.asarray(res.params)
        return params[1:], float(params[0]), None

    return Est(
        "statsmodels QuantReg",
        fit,
        note="IRLS, default p_tol=1e-6, max_iter=1000; optional peer",
    )


# --------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------
@dataclasses.dataclass
class Case:
    name: str
    loss: str
    target: str
    estimators: list
    params: dict = dataclasses.field(default_factory=dict)
    alpha: float = ALPHA
    sparse: bool = False
    calibrate: object = None  # fn(X, y, n) -> (alpha, params) for huber-like


def _huber_calibration(X, y, alpha0, cache={}):  # noqa: B006 - deliberate cache
    """HuberRegressor's fixed point (sigma*) at alpha_h = alpha0 * n.

    At fixed sigma, HuberRegressor minimises over w
    (2/sigma) sum huber_{eps sigma}(r) + alpha_h ||w||^2, i.e. our
    mean huber_delta + alpha/2 ||w||^2 with delta = eps sigma and
    alpha = alpha_h sigma / n. Computed once per data set (untimed, tight tol).
    """
    key = (X.shape, hash(np.asarray(y).tobytes()))
    if key not in cache:
        from sklearn.linear_model import HuberRegressor

        n = X.shape[0]
        alpha_h = alpha0 * n
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = HuberRegressor(
                epsilon=HUBER_EPSILON, alpha=alpha_h, tol=1e-9, max_iter=1000
            ).fit(X, y)
        cache[key] = {"sigma": float(est.scale_), "alpha_h": alpha_h}
    return cache[key]


def _calibrate_huber(X, y, alpha0):
    cal = _huber_calibration(X, y, alpha0)
    sigma, n = cal["sigma"], X.shape[0]
    delta = HUBER_EPSILON * sigma
    alpha = cal["alpha_h"] * sigma / n
    return alpha, {"delta": delta, "_skglm_delta": delta, "_calibration": cal}


def _calibrate_smooth_l1(X, y, alpha0):
    # smooth_l1_beta(r) = huber_beta(r) / beta: our objective is
    # (1/beta) (mean huber_beta + alpha beta / 2 ||w||^2)
    cal = _huber_calibration(X, y, alpha0)
    sigma, n = cal["sigma"], X.shape[0]
    beta = HUBER_EPSILON * sigma
    alpha = cal["alpha_h"] * sigma / (n * beta)
    return alpha, {"beta": beta, "_skglm_delta": beta, "_calibration": cal}


def build_cases():
    has_skglm = _optional("skglm") is not None and _optional("numba") is not None
    has_sm = _optional("statsmodels.api") is not None

    def opt(flag, est):
        return [est] if flag else []

    cases = [
        Case(
            "squared_error",
            "squared_error",
            "gaussian",
            [
                sklloss_est(),
                ridge(),
                sgd_regressor("squared_error", alpha=lambda c: c.alpha / 2),
                *opt(has_skglm, skglm_est("Quadratic", scale=0.5)),
            ],
        ),
        Case(
            "log_loss",
            "log_loss",
            "binary",
            [
                sklloss_est(classifier=True),
                logistic("lbfgs"),
                logistic("newton-cholesky"),
                sgd_classifier("log_loss"),
                *opt(has_skglm, skglm_est("Logistic", labels_pm1=True)),
            ],
        ),
        Case(
            "multinomial",
            "log_loss",
            "multiclass",
            [
                sklloss_est(classifier=True),
                logistic("lbfgs"),
                logistic("newton-cholesky"),
            ],
        ),
        Case(
            "huber",
            "huber",
            "outliers",
            [
                sklloss_est(),
                huber_regressor("delta = 1.35 sigma*, alpha = alpha_h sigma*/n"),
                sgd_regressor(
                    "huber",
                    epsilon=lambda c: c.params["delta"],
                    alpha=lambda c: c.alpha,
                ),
                *opt(has_skglm, skglm_est("Huber")),
            ],
            calibrate=_calibrate_huber,
        ),
        Case(
            "smooth_l1",
            "smooth_l1",
            "outliers",
            [
                sklloss_est(),
                huber_regressor("beta = 1.35 sigma*, alpha = alpha_h sigma*/(n beta)"),
                sgd_regressor(
                    "huber",
                    epsilon=lambda c: c.params["beta"],
                    alpha=lambda c: c.alpha * c.params["beta"],
                ),
                *opt(has_skglm, skglm_est("Huber", scale=lambda c: c.params["beta"])),
            ],
            calibrate=_calibrate_smooth_l1,
        ),
        Case(
            "squared_hinge",
            "squared_hinge",
            "binary",
            [
                sklloss_est(classifier=True),
                linear_svc(),
                sgd_classifier("squared_hinge"),
            ],
        ),
        Case(
            "quantile",
            "quantile",
            "heteroscedastic",
            [
                sklloss_est(),
                quantile_regressor(),
                *opt(has_sm, statsmodels_quantreg()),
            ],
            params={"quantile": QUANTILE},
            alpha=0.0,
        ),
        Case(
            "absolute_error",
            "absolute_error",
            "heteroscedastic",
            [
                sklloss_est(),
                quantile_regressor(),
                *opt(has_sm, statsmodels_quantreg()),
                sgd_regressor("epsilon_insensitive", epsilon=0.0, alpha=0.0),
            ],
            alpha=0.0,
        ),
        Case(
            "poisson",
            "poisson",
            "poisson",
            [
                sklloss_est(),
                poisson_regressor("lbfgs"),
                poisson_regressor("newton-cholesky"),
            ],
        ),
        Case(
            "log_loss_sparse",
            "log_loss",
            "binary",
            [
                sklloss_est(classifier=True),
                logistic("lbfgs"),
                # newton-cholesky left out: its p x p Hessian of the sparse
                # 1000-column X took 18 s already at n = 2e3 (measured)
                sgd_classifier("log_loss"),
                *opt(has_skglm, skglm_est("Logistic", labels_pm1=True)),
            ],
            sparse=True,
        ),
    ]
    return {c.name: c for c in cases}


# --------------------------------------------------------------------------
# running one (case, size)
# --------------------------------------------------------------------------
def _public_params(params):
    return {k: v for k, v in params.items() if not k.startswith("_")}


def _make_ctx(case, n, p, seed):
    if case.sparse:
        # SPARSE_P columns, p nonzeros per row on average
        X, y = make_data(
            case.target, n, SPARSE_P, seed=seed, sparse=True, density=p / SPARSE_P
        )
    else:
        X, y = make_data(case.target, n, p, seed=seed, n_classes=N_CLASSES)
    alpha, params = case.alpha, dict(case.params)
    if case.calibrate is not None:
        alpha, extra = case.calibrate(X, y, case.alpha)
        params.update(extra)
    k = N_CLASSES if case.target == "multiclass" else 1
    return Ctx(case.loss, X, y, alpha, params, k)


def _loss_params(ctx):
    return _public_params(ctx.params)


def _fit_call(est, ctx):
    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est_ctx = dataclasses.replace(ctx, params=dict(ctx.params))
            if est.sklloss:
                est_ctx.params = _loss_params(ctx)
            return est.fit(est_ctx)

    return call


def _memory(case, n, p, args, names, ctx):
    """Peak memory of one fit of each named estimator of a cell.

    glibc raises its mmap threshold after each large free (up to 32 MB), after
    which freed arrays stay in the heap and a later fit reuses them without
    touching new pages: the RSS peak would read ~0. A fixed threshold
    (``MALLOC_MMAP_THRESHOLD_``) returns every large array to the OS on free,
    but makes every temporary above 128 KB a fresh mapping, which slows
    allocation-heavy code: the timed fits (this process) keep glibc's
    defaults and the memory fits run in a child process with the fixed
    threshold, on the same seeded data.
    """
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        out = {}
        for e in case.estimators:
            if e.name in names:
                gc.collect()
                out[e.name] = measure_memory(_fit_call(e, ctx))
        return out
    spec = json.dumps(
        {"case": case.name, "n": n, "p": p, "seed": args.seed, "names": names}
    )
    cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", spec]
    cmd += ["--threads", str(args.threads)]
    if SKLLOSS_SOLVER != "auto":
        cmd += ["--sklloss-solver", SKLLOSS_SOLVER]
    if SKLLOSS_TOL is not None:
        cmd += ["--sklloss-tol", repr(SKLLOSS_TOL)]
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    import subprocess

    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _memory_child(args):
    """Child side of :func:`_memory`: print {name: measure_memory(...)}."""
    from threadpoolctl import threadpool_limits

    spec = json.loads(args.memory_child)
    global SKLLOSS_SOLVER, SKLLOSS_TOL
    SKLLOSS_SOLVER = args.sklloss_solver
    SKLLOSS_TOL = args.sklloss_tol
    case = build_cases()[spec["case"]]
    out = {}
    with threadpool_limits(limits=args.threads):
        ctx = _make_ctx(case, spec["n"], spec["p"], spec["seed"])
        for e in case.estimators:
            if e.name in spec["names"]:
                _warm_up(e, case, spec["seed"])
                gc.collect()
                out[e.name] = measure_memory(_fit_call(e, ctx))
    print(json.dumps(out))
    return 0


def _warm_up(est, case, seed):
    """Untimed fit on a small problem: imports, numba compilation, caches."""
    ctx = _make_ctx(case, 300, 5, seed + 1)
    try:
        _fit_call(est, ctx)()
    except Exception:
        pass


def _reference_timing(timings, n, p):
    """The timing to extrapolate from: same p and largest n, else largest n*p."""
    smaller = [t for t in timings if t[0] * t[1] < n * p or (t[1] == p and t[0] < n)]
    if not smaller:
        return None
    same_p = [t for t in smaller if t[1] == p]
    pool = same_p or smaller
    return max(pool, key=lambda t: (t[0] * t[1], t[0]))


def run_case(case, n, p, args, history, log):
    ctx = _make_ctx(case, n, p, args.seed)
    k = ctx.n_classes
    pair = matvec_pair_time(ctx.X, n_cols=k)
    load_start = loadavg()
    x_mb = (
        ctx.X.data.nbytes + ctx.X.indices.nbytes + ctx.X.indptr.nbytes
        if hasattr(ctx.X, "indptr")
        else ctx.X.nbytes
    ) / 2**20

    active, skipped, estimates = [], {}, {}
    sklloss_ok = _sklloss_classes()[0] is not None
    for est in case.estimators:
        if args.estimators and not est.sklloss:
            if not any(k in est.name for k in args.estimators.split(",")):
                continue
        if est.jit and args.quick:
            skipped[est.name] = "left out of --quick (numba compilation)"
            continue
        if est.sklloss and not sklloss_ok:
            skipped[est.name] = "sklloss.linear_model not importable"
            continue
        prev = _reference_timing(history.get((case.name, est.name), []), n, p)
        if prev is not None:
            n0, p0, t0 = prev
            guess = t0 * (n / n0) ** est.cost_power * (p / p0)
            if guess > args.budget:
                skipped[est.name] = f"skipped (est. > {guess:.0f} s)"
                estimates[est.name] = guess
                continue
        elif est.max_n_unmeasured is not None and n > est.max_n_unmeasured:
            skipped[est.name] = (
                f"skipped (n > {est.max_n_unmeasured:.0e} and not timed at a "
                "smaller size in this run)"
            )
            continue
        active.append(est)

    times = {e.name: [] for e in active}
    result, errors = {}, {}
    for e in active:
        _warm_up(e, case, args.seed)
    for rep in range(args.repeat):
        order = (
            active[rep % max(len(active), 1) :] + active[: rep % max(len(active), 1)]
        )
        for e in order:
            if e.name in errors:
                continue
            if rep > 0 and times[e.name] and times[e.name][0] > SLOW_FIT:
                continue
            gc.collect()
            if args.pause:
                # let the previous fit's spinning thread pools (OpenMP in
                # scikit-learn's Cython losses, OpenBLAS) go idle: measured,
                # a sklloss fit right after LogisticRegression took 157 ms
                # against 114-118 ms alone or 0.5 s later
                time.sleep(args.pause)
            try:
                t, out = time_call(_fit_call(e, ctx))
            except Exception as exc:
                errors[e.name] = f"error: {type(exc).__name__}: {exc}"[:160]
                continue
            times[e.name].append(t)
            result[e.name] = out
            log(f"  {case.name} {n}x{p} {e.name} rep {rep}: {t:.4g} s")

    # memory: one more untimed fit each (skip slow ones)
    memory = {}
    if not args.no_memory:
        names = [
            e.name
            for e in active
            if e.name in result and statistics.median(times[e.name]) < 60
        ]
        memory = _memory(case, n, p, args, names, ctx)

    objectives = {}
    lp = _loss_params(ctx)
    for name, (coef, b, _) in result.items():
        objectives[name] = objective(ctx.loss, ctx.X, ctx.y, coef, b, ctx.alpha, **lp)
    best = min(objectives.values()) if objectives else None

    rows = []
    peer_times = {
        e.name: statistics.median(times[e.name])
        for e in active
        if e.exact and not e.sklloss and times.get(e.name)
    }
    best_peer = min(peer_times.values()) if peer_times else None
    peer_objs = [objectives[e] for e in peer_times if e in objectives]
    best_peer_obj = min(peer_objs) if peer_objs else None
    size = (
        f"{n:.0e} x {SPARSE_P} (sparse, {p}/row)" if case.sparse else f"{n:.0e} x {p}"
    )
    records = []
    for e in case.estimators:
        if e.name in skipped:
            rows.append([case.name, size, e.name, skipped[e.name], *["-"] * 8])
            records.append(
                {
                    "name": e.name,
                    "skipped": skipped[e.name],
                    "estimate": estimates.get(e.name),
                }
            )
            continue
        if e.name in errors:
            rows.append([case.name, size, e.name, errors[e.name], *["-"] * 8])
            records.append({"name": e.name, "error": errors[e.name]})
            continue
        if e.name not in times:
            continue
        t = statistics.median(times[e.name])
        history.setdefault((case.name, e.name), []).append((n, p, t))
        mem = memory.get(e.name, {})
        gap = relative_gap(objectives[e.name], best)
        rss = mem.get("rss_mb")
        rows.append(
            [
                case.name,
                size,
                ("**" + e.name + "**") if e.sklloss else e.name,
                f"{fmt_time(t)} ({fmt_time(min(times[e.name]))})",
                len(times[e.name]),
                fmt_float(t / best_peer, ".3g") if best_peer else "-",
                f"{gap:.1e}",
                fmt_float(t / pair, ".3g"),
                "-" if result[e.name][2] is None else str(result[e.name][2]),
                fmt_float(mem.get("tracemalloc_mb"), ".3g"),
                fmt_float(rss, ".3g"),
            ]
        )
        records.append(
            {
                "name": e.name,
                "sklloss": e.sklloss,
                "exact": e.exact,
                "time": t,
                "time_min": min(times[e.name]),
                "objective": objectives[e.name],
                "gap": gap,
                "gap_vs_best_peer": (
                    relative_gap(objectives[e.name], best_peer_obj)
                    if best_peer_obj
                    else None
                ),
                "passes": t / pair,
                "mem_tracemalloc": mem.get("tracemalloc_mb"),
                "mem_rss": rss,
            }
        )
    info = {
        "case": case.name,
        "n": n,
        "p": p,
        "pair": pair,
        "x_mb": x_mb,
        "load": (load_start, loadavg()),
        "records": records,
        "params": {k: v for k, v in _public_params(ctx.params).items()},
        "alpha": ctx.alpha,
    }
    return rows, info


HEADER = [
    "case",
    "n x p",
    "estimator",
    "time median (min)",
    "reps",
    "ratio to best peer",
    "rel. objective gap",
    "gradient passes",
    "n_iter (sklloss: / evals (solver))",
    "peak MB (tracemalloc)",
    "peak MB (RSS)",
]


# --------------------------------------------------------------------------
# goals of issue 4
# --------------------------------------------------------------------------
def _rec(infos, case, n, p, name):
    for info in infos:
        if (info["case"], info["n"], info["p"]) == (case, n, p):
            for r in info["records"]:
                if r["name"] == name:
                    return r
    return None


def _skl(infos, case, n, p):
    for info in infos:
        if (info["case"], info["n"], info["p"]) == (case, n, p):
            for r in info["records"]:
                if r.get("sklloss"):
                    return r
    return None


def goals_table(infos, history):
    rows = []

    def ratio_goal(case, n, p, peer, limit, label):
        s, r = _skl(infos, case, n, p), _rec(infos, case, n, p, peer)
        if s is None or "time" not in s:
            return
        if r is not None and r.get("estimate"):
            ratio = s["time"] / r["estimate"]
            gap = s["gap_vs_best_peer"]
            rows.append(
                [
                    label,
                    f"{case} {n:.0e}x{p}",
                    f"{fmt_time(s['time'])} / {peer} skipped, est. "
                    f"{r['estimate']:.0f} s = {ratio:.2g} (est.)",
                    f"{gap:.1e}" if gap is not None else "-",
                    ("met (est.)" if ratio <= limit else "MISSED (est.)"),
                ]
            )
            return
        if r is None or "time" not in r:
            why = (r or {}).get("skipped") or (r or {}).get("error") or "not run"
            rows.append([label, f"{case} {n:.0e}x{p}", f"vs {peer}: {why}", "-", "?"])
            return
        ratio = s["time"] / r["time"]
        gap = s["gap_vs_best_peer"]
        ok = ratio <= limit and gap is not None and gap <= 1e-8
        rows.append(
            [
                label,
                f"{case} {n:.0e}x{p}",
                f"{fmt_time(s['time'])} / {fmt_time(r['time'])} = {ratio:.3g}",
                f"{gap:.1e}" if gap is not None else "-",
                "met" if ok else "MISSED",
            ]
        )

    for n, p in [(100_000, 100), (1_000_000, 20)]:
        ratio_goal("log_loss", n, p, "LogisticRegression(lbfgs)", 0.4, "<= 0.4 x lbfgs")
        ratio_goal(
            "multinomial", n, p, "LogisticRegression(lbfgs)", 0.6, "<= 0.6 x lbfgs"
        )
    for case in ("huber", "smooth_l1"):
        ratio_goal(case, 100_000, 100, "HuberRegressor", 0.1, "<= 0.1 x HuberRegressor")
        ratio_goal(case, 100_000, 100, "skglm Huber (AndersonCD)", 1.0, "< skglm")
    ratio_goal(
        "squared_hinge",
        100_000,
        100,
        "LinearSVC(dual=False)",
        0.1,
        "<= 0.1 x LinearSVC",
    )
    for case in ("quantile", "absolute_error"):
        ratio_goal(
            case, 100_000, 20, "QuantileRegressor(highs)", 0.01, "<= 0.01 x highs"
        )
        ratio_goal(case, 100_000, 20, "statsmodels QuantReg", 1.0, "<= QuantReg")
    for case in (
        "squared_error",
        "log_loss",
        "multinomial",
        "huber",
        "smooth_l1",
        "squared_hinge",
        "poisson",
    ):
        a, b = _skl(infos, case, 100_000, 20), _skl(infos, case, 1_000_000, 20)
        if a and b and "time" in a and "time" in b:
            r = b["time"] / a["time"]
            rows.append(
                [
                    "t(1e6)/t(1e5) <= 12",
                    f"{case} x20",
                    f"{fmt_time(b['time'])} / {fmt_time(a['time'])} = {r:.3g}",
                    "-",
                    "met" if r <= 12 else "MISSED",
                ]
            )
    for info in infos:
        s = _skl(infos, info["case"], info["n"], info["p"])
        if s and s.get("mem_rss") is not None and info["n"] * info["p"] >= 2_000_000:
            extra = max(s["mem_rss"], s["mem_tracemalloc"] or 0)
            ratio = extra / info["x_mb"]
            rows.append(
                [
                    "peak <= 1 copy of X",
                    f"{info['case']} {info['n']:.0e}x{info['p']}",
                    f"{extra:.0f} MB / X {info['x_mb']:.0f} MB = {ratio:.2f}",
                    "-",
                    "met" if ratio <= 1.0 else "MISSED",
                ]
            )
    if not rows:
        return ""
    return markdown_table(
        ["goal", "case", "sklloss / peer time", "gap vs best peer", "status"], rows
    )


def peer_notes(cases):
    seen, lines = set(), []
    for case in cases:
        for e in case.estimators:
            if e.name not in seen and e.note:
                seen.add(e.name)
                lines.append(f"- **{e.name}**: {e.note}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 repeat")
    parser.add_argument("--cases", default=None, help="comma list (default: all)")
    parser.add_argument("--sizes", default=None, help=f"default {DEFAULT_SIZES}")
    parser.add_argument("--repeat", type=int, default=None, help="default 5")
    parser.add_argument("--output", default=None, help="also write markdown here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="threadpoolctl limit for BLAS/OpenMP, same for every estimator",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="skip a fit whose time extrapolated from a smaller size exceeds this",
    )
    parser.add_argument("--json", default=None, help="also dump the records here")
    parser.add_argument(
        "--estimators",
        default=None,
        help="comma list of substrings: peers to keep (sklloss always runs)",
    )
    parser.add_argument(
        "--sklloss-solver",
        default="auto",
        help="solver= for sklloss (default 'auto'; e.g. lbfgs, newton-cholesky)",
    )
    parser.add_argument(
        "--sklloss-tol",
        type=float,
        default=None,
        help="tol= for sklloss (default: the estimators' 1e-8)",
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=None,
        help="seconds of sleep before each timed fit, so that the previous "
        "fit's thread pools are idle (default 0.5; 0 with --quick)",
    )
    parser.add_argument("--no-memory", action="store_true")
    # internal: measure memory of one cell in a child process (see _memory)
    parser.add_argument("--memory-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="log each fit (stderr)")
    args = parser.parse_args(argv)
    if args.memory_child:
        return _memory_child(args)
    if args.pause is None:
        args.pause = 0.0 if args.quick else 0.5
    if args.quick:
        args.cases = args.cases or QUICK_CASES
        args.sizes = args.sizes or QUICK_SIZES
        args.repeat = args.repeat or 1
        args.threads = 1
    global SKLLOSS_SOLVER, SKLLOSS_TOL
    SKLLOSS_SOLVER = args.sklloss_solver
    SKLLOSS_TOL = args.sklloss_tol
    args.sizes = parse_sizes(args.sizes or DEFAULT_SIZES)
    args.sizes.sort(key=lambda s: (s[0] * s[1], s[0]))
    args.repeat = args.repeat or 5
    all_cases = build_cases()
    names = args.cases.split(",") if args.cases else list(all_cases)
    unknown = [c for c in names if c not in all_cases]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(all_cases)}")
    cases = [all_cases[c] for c in names]

    def log(msg):
        if args.verbose:
            print(msg, file=sys.stderr, flush=True)

    from threadpoolctl import threadpool_limits

    out = [
        environment_header(
            "sklloss fit benchmark", [sys.argv[0], *sys.argv[1:]], args.threads
        )
    ]
    out.append(
        f"- objective: mean loss + alpha/2 ||w||^2, alpha = {ALPHA:g} (0 for "
        "quantile/absolute_error; huber/smooth_l1: see notes), intercept "
        "unpenalised; repeats: "
        f"{args.repeat} interleaved (1 when a fit takes > {SLOW_FIT:g} s)\n"
    )
    rows, infos, history = [], [], {}
    with threadpool_limits(limits=args.threads):
        for n, p in args.sizes:
            for case in cases:
                log(f"{case.name} {n}x{p} (load {loadavg()})")
                r, info = run_case(case, n, p, args, history, log)
                rows.extend(r)
                infos.append(info)
                print(markdown_table(HEADER, r), file=sys.stderr, flush=True)
    out.append("\n## Results\n\n")
    out.append(markdown_table(HEADER, rows))
    out.append(
        "\nratio: time / fastest exact peer (SGD excluded). gap: (f - f_best) / "
        "f_best with f_best the lowest objective any estimator reached, every "
        "f computed by benchmarks/_common.py. gradient passes: time / time of "
        "one X @ w + X.T @ g (K columns for multinomial). Memory: one extra "
        "untimed fit; tracemalloc = Python/numpy allocations; RSS = Linux peak "
        "resident set (VmHWM reset via /proc/self/clear_refs) above the "
        "resident set before the fit.\n"
    )
    out.append("\n## Per-case parameters, load and the cost unit\n\n")
    prow = [
        [
            i["case"],
            f"{i['n']:.0e} x {i['p']}",
            f"{i['alpha']:.4g}",
            ", ".join(f"{k}={v:.4g}" for k, v in i["params"].items()) or "-",
            fmt_time(i["pair"]),
            f"{i['x_mb']:.1f}",
            f"{i['load'][0]} -> {i['load'][1]}",
        ]
        for i in infos
    ]
    out.append(
        markdown_table(
            [
                "case",
                "n x p",
                "alpha",
                "loss params",
                "X@w + X.T@g",
                "X MB",
                "load avg start -> end",
            ],
            prow,
        )
    )
    goals = goals_table(infos, history)
    if goals:
        out.append("\n## Issue 4 goals\n\n" + goals)
    out.append("\n## Peer notes\n\n" + peer_notes(cases))
    text = "".join(out)
    print(text)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as fh:
            fh.write(text)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(infos, fh, indent=1, default=str)
    return infos


if __name__ == "__main__":
    main()
