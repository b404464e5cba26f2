"""Fit-time benchmark: sklloss's LossRegressor / LossClassifier against the peers.

Every estimator of a case minimises (or approximates) the SAME objective

    f(w, b) = mean_i loss(y_i, x_i @ w + b) + alpha / 2 * ||w||^2

(intercept unpenalised; alpha = 0 for quantile / absolute_error), with each
peer's own parameters translated to it (see ``PEER NOTES`` in the output and
benchmarks/README.md). Each solution is scored by the formulas of
``_common.py`` (numpy / scipy, never sklloss code). Every fit runs at the
``--threads`` limit and again inside ``threadpool_limits(1)``; fits are
interleaved (round-robin, order rotated each round) and the medians are
reported, with the fit time in units of one ``X @ w`` (the "limit").

Usage::

    python benchmarks/bench_fit.py                    # full run (tens of minutes)
    python benchmarks/bench_fit.py --quick            # ~1 minute; used by the tests
    python benchmarks/bench_fit.py --cases huber,log_loss --sizes 1e5x100 --repeat 5
    python benchmarks/bench_fit.py --data informative --cases poisson --sizes 1e5x100
    python benchmarks/bench_fit.py --cases log_loss_tfidf --sizes 1e5x1e4
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
    DATA_KINDS,
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
    read_time,
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
TFIDF_NNZ_ROW = 10
CASE_ORDER = (
    "squared_error",
    "log_loss",
    "multinomial",
    "huber",
    "smooth_l1",
    "squared_hinge",
    "quantile",
    "absolute_error",
    "poisson",
    "log_loss_sparse",
    "log_loss_tfidf",
    "squared_hinge_tfidf",
)
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


def logistic(solver, tol=None, intercept_scaling=None):
    """LogisticRegression at C = 1/(alpha n); ``tol`` None: its default 1e-4."""

    def fit(ctx):
        from sklearn.linear_model import LogisticRegression

        # C * sum(loss) + ||w||^2 / 2 = C n (mean loss + alpha/2 ||w||^2)
        kw = {} if tol is None else {"tol": tol, "max_iter": 1000}
        if intercept_scaling is not None:
            kw["intercept_scaling"] = intercept_scaling
        est = LogisticRegression(C=1.0 / (ctx.alpha * ctx.n), solver=solver, **kw)
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    note = "C = 1/(alpha n), default tol=1e-4, max_iter=100"
    if tol is not None:
        note = f"C = 1/(alpha n), tol={tol:g}, max_iter=1000 (the accurate reference)"
    if intercept_scaling is not None:
        note += (
            "; liblinear penalises the intercept as a feature of value "
            f"intercept_scaling={intercept_scaling:g}: alpha/2 (b/"
            f"{intercept_scaling:g})^2 (negligible)"
        )
    name = f"LogisticRegression({solver})"
    if tol is not None:
        name = f"LogisticRegression({solver}, tol={tol:g})"
    return Est(name, fit, note=note)


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


def linear_svc(dual=False):
    def fit(ctx):
        from sklearn.svm import LinearSVC

        est = LinearSVC(
            dual=dual,
            loss="squared_hinge",
            C=1.0 / (ctx.alpha * ctx.n),
            intercept_scaling=LINEARSVC_INTERCEPT_SCALING,
        )
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est(
        f"LinearSVC(dual={dual})",
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
def glum_poisson():
    """glum's GeneralizedLinearRegressor, Poisson family, ridge penalty.

    glum minimises 1/(2 sum s) sum s_i dev_i + alpha_g/2 ||w||^2 (l1_ratio=0),
    as PoissonRegressor does: alpha_g = alpha / 2. Its default solver ("auto":
    IRLS-CD for a ridge) and gradient_tol.
    """

    def fit(ctx):
        from glum import GeneralizedLinearRegressor

        est = GeneralizedLinearRegressor(
            family="poisson", alpha=ctx.alpha / 2, l1_ratio=0.0
        )
        est.fit(ctx.X, ctx.y)
        return (*_coef(est), _n_iter(est))

    return Est("glum", fit, note="alpha_g = alpha / 2, l1_ratio=0; default solver, tol")


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
    sparse: bool = False  # CSR, SPARSE_P columns, p nonzeros a row (random)
    tfidf: bool = False  # CSR TF-IDF-like, n x p (bench_sparse.make_tfidf)
    calibrate: object = None  # fn(X, y, n) -> (alpha, params) for huber-like

    def data_label(self, data):
        """The generator of this case's X under ``--data data``."""
        if self.tfidf:
            return "tfidf"
        return "sparse-random" if self.sparse else data


def _huber_calibration(X, y, alpha0, cache={}):  # noqa: B006 - deliberate cache
    """HuberRegressor's fixed point (sigma*) at alpha_h = alpha0 * n.

    At fixed sigma, HuberRegressor minimises over w
    (2/sigma) sum huber_{eps sigma}(r) + alpha_h ||w||^2, i.e. our
    mean huber_delta + alpha/2 ||w||^2 with delta = eps sigma and
    alpha = alpha_h sigma / n. Computed once per data set (untimed, tight tol).
    """
    # X's first rows in the key: "informative" and "badly-scaled" share y
    x_head = np.asarray(X[:2].toarray() if hasattr(X, "toarray") else X[:2])
    key = (X.shape, hash(np.asarray(y).tobytes()), hash(x_head.tobytes()))
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


def _has(*modules):
    return all(_optional(m) is not None for m in modules)


def _opt(flag, *ests):
    return list(ests) if flag else []


def _regression_cases():
    skglm, sm = _has("skglm", "numba"), _has("statsmodels.api")
    huber_sgd = sgd_regressor(
        "huber", epsilon=lambda c: c.params["delta"], alpha=lambda c: c.alpha
    )
    smooth_sgd = sgd_regressor(
        "huber",
        epsilon=lambda c: c.params["beta"],
        alpha=lambda c: c.alpha * c.params["beta"],
    )
    quant = [sklloss_est(), quantile_regressor(), *_opt(sm, statsmodels_quantreg())]
    return [
        Case(
            "squared_error",
            "squared_error",
            "gaussian",
            [
                sklloss_est(),
                ridge(),
                sgd_regressor("squared_error", alpha=lambda c: c.alpha / 2),
                *_opt(skglm, skglm_est("Quadratic", scale=0.5)),
            ],
        ),
        Case(
            "huber",
            "huber",
            "outliers",
            [
                sklloss_est(),
                huber_regressor("delta = 1.35 sigma*, alpha = alpha_h sigma*/n"),
                huber_sgd,
                *_opt(skglm, skglm_est("Huber")),
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
                smooth_sgd,
                *_opt(skglm, skglm_est("Huber", scale=lambda c: c.params["beta"])),
            ],
            calibrate=_calibrate_smooth_l1,
        ),
        Case(
            "quantile",
            "quantile",
            "heteroscedastic",
            quant,
            params={"quantile": QUANTILE},
            alpha=0.0,
        ),
        Case(
            "absolute_error",
            "absolute_error",
            "heteroscedastic",
            [*quant, sgd_regressor("epsilon_insensitive", epsilon=0.0, alpha=0.0)],
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
                *_opt(_has("glum"), glum_poisson()),
            ],
        ),
    ]


def _classification_cases():
    skglm = _has("skglm", "numba")
    clf = sklloss_est(classifier=True)
    lr = [logistic("lbfgs"), logistic("newton-cholesky")]
    return [
        Case(
            "log_loss",
            "log_loss",
            "binary",
            [
                clf,
                *lr,
                sgd_classifier("log_loss"),
                *_opt(skglm, skglm_est("Logistic", labels_pm1=True)),
            ],
        ),
        Case("multinomial", "log_loss", "multiclass", [clf, *lr]),
        Case(
            "squared_hinge",
            "squared_hinge",
            "binary",
            [clf, linear_svc(), sgd_classifier("squared_hinge")],
        ),
    ]


def _sparse_cases():
    skglm = _has("skglm", "numba")
    clf = sklloss_est(classifier=True)
    return [
        Case(
            "log_loss_sparse",
            "log_loss",
            "binary",
            [
                clf,
                logistic("lbfgs"),
                # newton-cholesky left out: its p x p Hessian of the sparse
                # 1000-column X took 18 s already at n = 2e3 (measured)
                sgd_classifier("log_loss"),
                *_opt(skglm, skglm_est("Logistic", labels_pm1=True)),
            ],
            sparse=True,
        ),
        Case(
            "log_loss_tfidf",
            "log_loss",
            "binary",
            [
                clf,
                logistic("lbfgs"),
                logistic("newton-cg"),
                logistic("saga"),
                logistic("liblinear", intercept_scaling=LINEARSVC_INTERCEPT_SCALING),
                logistic("newton-cg", tol=1e-8),
                sgd_classifier("log_loss"),
            ],
            tfidf=True,
        ),
        Case(
            "squared_hinge_tfidf",
            "squared_hinge",
            "binary",
            # LinearSVC(dual=True) with intercept_scaling=100 and
            # SGDClassifier(squared_hinge) left out: at 1e4 x 2e3 both ran
            # 1000 iterations and stopped 0.6 and 1e16 (relative) above the
            # optimum (measured); with a small intercept_scaling the dual
            # solves another problem (a penalised intercept)
            [clf, linear_svc(dual=False)],
            tfidf=True,
        ),
    ]


def build_cases():
    """Every case by name (dense regression, dense classification, sparse)."""
    cases = _regression_cases() + _classification_cases() + _sparse_cases()
    by_name = {c.name: c for c in cases}
    return {name: by_name[name] for name in CASE_ORDER}


# --------------------------------------------------------------------------
# running one (case, size)
# --------------------------------------------------------------------------
def _public_params(params):
    return {k: v for k, v in params.items() if not k.startswith("_")}


def _make_xy(case, n, p, seed, data):
    if case.tfidf:
        # the generator of bench_sparse.py (owned there): Zipf column
        # frequencies, log(1 + tf) * idf weights, unit rows
        from bench_sparse import make_tfidf

        X, y, _ = make_tfidf(n, p, nnz_row=TFIDF_NNZ_ROW, seed=seed)
        return X, y.astype(np.int64)
    if case.sparse:
        # SPARSE_P columns, p nonzeros per row on average
        return make_data(
            case.target, n, SPARSE_P, seed=seed, sparse=True, density=p / SPARSE_P
        )
    return make_data(case.target, n, p, seed=seed, n_classes=N_CLASSES, kind=data)


def _make_ctx(case, n, p, seed, data="default"):
    X, y = _make_xy(case, n, p, seed, data)
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
    cmd += ["--threads", str(args.threads), "--data", args.data]
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
        ctx = _make_ctx(case, spec["n"], spec["p"], spec["seed"], args.data)
        for e in case.estimators:
            if e.name in spec["names"]:
                _warm_up(e, case, spec["seed"], args.data)
                gc.collect()
                out[e.name] = measure_memory(_fit_call(e, ctx))
    print(json.dumps(out))
    return 0


def _warm_up(est, case, seed, data):
    """Untimed fit on a small problem: imports, numba compilation, caches."""
    ctx = _make_ctx(case, 300, 5, seed + 1, data)
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


def _thread_settings(args):
    """Thread limits timed in every cell: ``--threads``, then 1 (if different)."""
    if args.threads == 1 or args.no_single_thread:
        return [args.threads]
    return [args.threads, 1]


def _controller(cache=[]):  # noqa: B006 - one controller per process
    # building a ThreadpoolController inspects every loaded library: once
    if not cache:
        from threadpoolctl import ThreadpoolController

        cache.append(ThreadpoolController())
    return cache[0]


def _select(case, n, p, args, history):
    """The estimators a cell runs; the others with the reason (and estimate)."""
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
    return active, skipped, estimates


def _round(active, settings, rep):
    """Round ``rep``'s fits: estimators rotated by ``rep``, thread order alternated."""
    k = rep % max(len(active), 1)
    threads = settings if rep % 2 == 0 else settings[::-1]
    return [(e, t) for e in active[k:] + active[:k] for t in threads]


def _time_fits(case, ctx, active, settings, args, log):
    """Interleaved timed fits: ``{(name, threads): [s]}``, results, errors."""
    times = {(e.name, t): [] for e in active for t in settings}
    result, errors = {}, {}
    for e in active:
        _warm_up(e, case, args.seed, args.data)
    for rep in range(args.repeat):
        for e, threads in _round(active, settings, rep):
            key = (e.name, threads)
            if e.name in errors or (times[key] and times[key][0] > SLOW_FIT):
                continue
            gc.collect()
            if args.pause:
                # let the previous fit's spinning thread pools (OpenMP in
                # scikit-learn's Cython losses, OpenBLAS) go idle: measured,
                # a sklloss fit right after LogisticRegression took 157 ms
                # against 114-118 ms alone or 0.5 s later
                time.sleep(args.pause)
            try:
                with _controller().limit(limits=threads):
                    t, out = time_call(_fit_call(e, ctx))
            except Exception as exc:
                errors[e.name] = f"error: {type(exc).__name__}: {exc}"[:160]
                continue
            times[key].append(t)
            result[key] = out
            log(f"  {case.name} {e.name} {threads} thr rep {rep}: {t:.4g} s")
    return times, result, errors


def _cost_units(ctx, settings):
    """Per thread limit: one ``X @ w`` (the limit) and ``X @ w + X.T @ g``."""
    units = {}
    for t in settings:
        with _controller().limit(limits=t):
            units[t] = {
                "read": read_time(ctx.X, n_cols=ctx.n_classes),
                "pair": matvec_pair_time(ctx.X, n_cols=ctx.n_classes),
            }
    return units


def _stats(active, times, objectives, units, settings):
    """Per estimator and thread limit: median, min, ratio, gap, passes, reads."""
    best = min(objectives.values()) if objectives else None
    out = {}
    for t in settings:
        peer = [
            statistics.median(times[(e.name, t)])
            for e in active
            if e.exact and not e.sklloss and times[(e.name, t)]
        ]
        best_peer = min(peer) if peer else None
        for e in active:
            ts, key = times[(e.name, t)], (e.name, t)
            if not ts or key not in objectives:
                continue
            med = statistics.median(ts)
            out[key] = {
                "time": med,
                "time_min": min(ts),
                "reps": len(ts),
                "ratio": med / best_peer if best_peer else None,
                "objective": objectives[key],
                "gap": relative_gap(objectives[key], best),
                "passes": med / units[t]["pair"],
                "reads": med / units[t]["read"],
            }
    return out


def _best_peer_objective(active, objectives):
    """Lowest objective an exact peer (not sklloss, not SGD) reached."""
    exact = {e.name for e in active if e.exact and not e.sklloss}
    values = [v for (name, _), v in objectives.items() if name in exact]
    return min(values) if values else None


def _record(e, stats, settings, best_peer_obj, mem):
    """The JSON record of one estimator (keys with ``_1thread``: one thread).

    ``gap_vs_best_peer`` is the worse of its thread settings: the goals ask
    for the best peer's objective at every thread count.
    """
    rec = {"name": e.name, "sklloss": e.sklloss, "exact": e.exact}
    for t in settings:
        suffix = "" if t == settings[0] else "_1thread"
        rec.update({k + suffix: v for k, v in stats[(e.name, t)].items()})
    if settings == [1]:  # --threads 1: the one-thread column is the same fits
        rec.update({k + "_1thread": v for k, v in stats[(e.name, 1)].items()})
    worst = max(stats[(e.name, t)]["objective"] for t in settings)
    rec["gap_vs_best_peer"] = (
        relative_gap(worst, best_peer_obj) if best_peer_obj is not None else None
    )
    rec["mem_tracemalloc"] = mem.get("tracemalloc_mb")
    rec["mem_rss"] = mem.get("rss_mb")
    return rec


def _time_cell(rec, suffix):
    t = rec.get("time" + suffix)
    return "-" if t is None else f"{fmt_time(t)} ({fmt_time(rec['time_min' + suffix])})"


def _gap_cell(rec):
    a = f"{rec['gap']:.1e}"
    b = rec.get("gap_1thread")
    if b is None or f"{b:.1e}" == a:
        return a
    return f"{a} (1 thr: {b:.1e})"


def _row(case, size, rec, n_iter):
    """One markdown row of the results table from a record."""
    name = "**" + rec["name"] + "**" if rec["sklloss"] else rec["name"]
    return [
        case.name,
        size,
        name,
        _time_cell(rec, ""),
        _time_cell(rec, "_1thread"),
        rec["reps"],
        fmt_float(rec["ratio"], ".3g"),
        fmt_float(rec.get("ratio_1thread"), ".3g"),
        _gap_cell(rec),
        fmt_float(rec["passes"], ".3g"),
        fmt_float(rec["reads"], ".3g"),
        fmt_float(rec.get("reads_1thread"), ".3g"),
        "-" if n_iter is None else str(n_iter),
        fmt_float(rec["mem_tracemalloc"], ".3g"),
        fmt_float(rec["mem_rss"], ".3g"),
    ]


def _size_label(case, n, p, X):
    if case.tfidf:
        nnz = X.nnz / X.shape[0]
        return f"{n:.0e} x {p:.0e} (TF-IDF CSR, {nnz:.1f}/row)"
    if case.sparse:
        return f"{n:.0e} x {SPARSE_P} (sparse, {p}/row)"
    return f"{n:.0e} x {p}"


def _x_mb(X):
    if hasattr(X, "indptr"):
        return (X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2**20
    return X.nbytes / 2**20


def run_case(case, n, p, args, history, log):
    """Time, score and tabulate one (case, size): markdown rows and a record."""
    ctx = _make_ctx(case, n, p, args.seed, args.data)
    settings = _thread_settings(args)
    units = _cost_units(ctx, settings)
    load_start = loadavg()
    active, skipped, estimates = _select(case, n, p, args, history)
    times, result, errors = _time_fits(case, ctx, active, settings, args, log)
    lp = _loss_params(ctx)
    objectives = {
        key: objective(ctx.loss, ctx.X, ctx.y, coef, b, ctx.alpha, **lp)
        for key, (coef, b, _) in result.items()
    }
    stats = _stats(active, times, objectives, units, settings)
    memory = {}
    if not args.no_memory:
        names = [e.name for e in active if stats.get((e.name, settings[0]), {})]
        names = [m for m in names if stats[(m, settings[0])]["time"] < 60]
        memory = _memory(case, n, p, args, names, ctx)
    best_peer_obj = _best_peer_objective(active, objectives)
    size = _size_label(case, n, p, ctx.X)
    rows, records = [], []
    blank = ["-"] * (len(HEADER) - 4)
    for e in case.estimators:
        why = skipped.get(e.name) or errors.get(e.name)
        if why:
            rows.append([case.name, size, e.name, why, *blank])
            records.append(
                {"name": e.name, "skipped" if e.name in skipped else "error": why}
            )
            if e.name in estimates:
                records[-1]["estimate"] = estimates[e.name]
            continue
        if not all((e.name, t) in stats for t in settings):
            continue
        rec = _record(e, stats, settings, best_peer_obj, memory.get(e.name, {}))
        history.setdefault((case.name, e.name), []).append((n, p, rec["time"]))
        rows.append(_row(case, size, rec, result[(e.name, settings[0])][2]))
        records.append(rec)
    info = {
        "case": case.name,
        "data": case.data_label(args.data),
        "n": n,
        "p": p,
        "threads": settings,
        "pair": units[settings[0]]["pair"],
        "read": units[settings[0]]["read"],
        "read_1thread": units[1]["read"] if 1 in units else None,
        "x_mb": _x_mb(ctx.X),
        "load": (load_start, loadavg()),
        "records": records,
        "params": dict(_public_params(ctx.params)),
        "alpha": ctx.alpha,
    }
    return rows, info


def results_header(threads):
    """Column names of the results table (``threads``: the --threads value)."""
    return [
        "case",
        "n x p",
        "estimator",
        f"time median (min), {threads} thr",
        "time median (min), 1 thr",
        "reps",
        f"ratio to best peer, {threads} thr",
        "ratio to best peer, 1 thr",
        "rel. objective gap",
        "gradient passes",
        f"X reads (limit), {threads} thr",
        "X reads (limit), 1 thr",
        "n_iter (sklloss: / evals (solver))",
        "peak MB (tracemalloc)",
        "peak MB (RSS)",
    ]


HEADER = results_header("T")


# --------------------------------------------------------------------------
# goals of issue 14
# --------------------------------------------------------------------------
_KEY = ((100_000, 100), (1_000_000, 20))
# (cases, sizes (None: every size with n >= 1e5), peer name prefix (the
# fastest matching peer counts), limit on sklloss time / peer time)
RATIO_GOALS = (
    (("log_loss",), _KEY, "LogisticRegression(lbfgs)", 0.35),
    (("multinomial",), _KEY, "LogisticRegression(lbfgs)", 0.4),
    (("poisson",), _KEY, "PoissonRegressor(lbfgs)", 0.4),
    (("poisson",), _KEY, "glum", 1.0),
    (("huber", "smooth_l1"), _KEY[:1], "HuberRegressor", 0.08),
    (("huber", "smooth_l1"), _KEY[:1], "skglm", 0.5),
    (("squared_hinge",), _KEY[:1], "LinearSVC(dual=False)", 0.08),
    (("log_loss_tfidf",), None, "LogisticRegression", 0.5),
    (("squared_error",), None, "Ridge", 0.8),
    (("quantile", "absolute_error"), ((100_000, 20),), "statsmodels QuantReg", 0.1),
    (("quantile", "absolute_error"), ((1_000_000, 20),), "statsmodels QuantReg", 0.2),
)
# the same, against the fastest matching peer that ended within GAP_TOL of the
# best objective (at default tolerances the fastest LogisticRegression on
# TF-IDF data stops ~1e-4 above the optimum)
ACCURATE_GOALS = ((("log_loss_tfidf",), None, "LogisticRegression", 0.5),)
NONSMOOTH = ("quantile", "absolute_error")
MAX_READS = 12
MAX_EXTRA_MEMORY = 0.5  # x the size of X
GAP_TOL = 1e-8


def _sklloss_record(info):
    recs = [r for r in info["records"] if r.get("sklloss") and "time" in r]
    return recs[0] if recs else None


def _peer_time(info, prefix, suffix, accurate=False):
    ts = [
        r["time" + suffix]
        for r in info["records"]
        if r["name"].startswith(prefix)
        and r.get("time" + suffix) is not None
        and (not accurate or r["gap" + suffix] <= GAP_TOL)
    ]
    return min(ts) if ts else None


def _goal_cells(infos, cases, sizes):
    for info in infos:
        if info["case"] not in cases:
            continue
        if sizes is None and info["n"] < 100_000:
            continue
        if sizes is not None and (info["n"], info["p"]) not in sizes:
            continue
        s = _sklloss_record(info)
        if s is not None:
            yield info, s


def _status(checks, gap):
    if not checks:
        return "?"
    ok = all(checks) and gap is not None and gap <= GAP_TOL
    return "met" if ok else "MISSED"


def _ratio_goal_rows(infos, cases, sizes, prefix, limit, accurate=False):
    rows = []
    label = f"<= {limit:g} x {prefix}"
    if accurate:
        label += f" at gap <= {GAP_TOL:g}"
    for info, s in _goal_cells(infos, cases, sizes):
        figures, checks = [], []
        for suffix in ("", "_1thread"):
            peer = _peer_time(info, prefix, suffix, accurate)
            if s.get("time" + suffix) is None or peer is None:
                figures.append("-" if peer else f"{prefix}: not run")
                continue
            r = s["time" + suffix] / peer
            figures.append(
                f"{fmt_time(s['time' + suffix])} / {fmt_time(peer)} = {r:.3g}"
            )
            checks.append(r <= limit)
        gap = s.get("gap_vs_best_peer")
        rows.append(
            [
                label,
                f"{info['case']} {info['n']:.0e} x {info['p']:g}",
                *figures,
                fmt_float(gap, ".1e"),
                _status(checks, gap),
            ]
        )
    return rows


def _reads_and_memory_rows(infos):
    rows = []
    for info in infos:
        s = _sklloss_record(info)
        if s is None or info["n"] < 100_000:
            continue
        cell = f"{info['case']} {info['n']:.0e} x {info['p']:g}"
        if info["case"] not in NONSMOOTH:
            reads = [s.get("reads"), s.get("reads_1thread")]
            checks = [r <= MAX_READS for r in reads if r is not None]
            figs = [fmt_float(r, ".3g") + " reads" if r else "-" for r in reads]
            rows.append(
                [f"<= {MAX_READS} reads of X", cell, *figs, "-", _status(checks, 0)]
            )
        if s.get("mem_rss") is not None:
            extra = max(s["mem_rss"], s["mem_tracemalloc"] or 0)
            ratio = extra / info["x_mb"]
            fig = f"{extra:.0f} MB / X {info['x_mb']:.0f} MB = {ratio:.2f}"
            ok = _status([ratio <= MAX_EXTRA_MEMORY], 0)
            rows.append(
                [f"<= {MAX_EXTRA_MEMORY} x X extra memory", cell, fig, "-", "-", ok]
            )
    return rows


def goals_table(infos):
    """Issue 14's goals met or missed, at --threads and at one thread."""
    rows = []
    for cases, sizes, prefix, limit in RATIO_GOALS:
        rows += _ratio_goal_rows(infos, cases, sizes, prefix, limit)
    for cases, sizes, prefix, limit in ACCURATE_GOALS:
        rows += _ratio_goal_rows(infos, cases, sizes, prefix, limit, accurate=True)
    rows += _reads_and_memory_rows(infos)
    if not rows:
        return ""
    threads = infos[0]["threads"][0]
    header = ["goal", "case", f"sklloss / peer, {threads} thr", "1 thr"]
    return markdown_table([*header, "gap vs best peer", "status"], rows)


def peer_notes(cases):
    seen, lines = set(), []
    for case in cases:
        for e in case.estimators:
            if e.name not in seen and e.note:
                seen.add(e.name)
                lines.append(f"- **{e.name}**: {e.note}")
    return "\n".join(lines) + "\n"


def _parser():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog=f"cases: {', '.join(CASE_ORDER)}",
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="tiny sizes, 1 repeat, 1 thread")
    add("--cases", default=None, help="comma list of cases (default: all but *_tfidf)")
    add(
        "--sizes",
        default=None,
        help=f"comma list of n x p (default {DEFAULT_SIZES}); for log_loss_sparse "
        f"p is the nonzeros a row of {SPARSE_P} columns, for *_tfidf the columns",
    )
    add("--data", default="default", choices=DATA_KINDS, help=DATA_HELP)
    add("--repeat", type=int, default=None, help="interleaved repeats (default 5)")
    add("--output", default=None, help="also write the markdown report here")
    add("--json", default=None, help="also dump the records here")
    add("--seed", type=int, default=0, help="seed of the data (default 0)")
    add(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="threadpoolctl limit for BLAS/OpenMP, same for every estimator "
        "(default: all cores); every fit is also timed at 1 thread",
    )
    add(
        "--no-single-thread",
        action="store_true",
        help="do not time the one-thread column (halves the run time)",
    )
    add(
        "--budget",
        type=float,
        default=60.0,
        help="skip a fit whose time extrapolated from a smaller size exceeds "
        "this many seconds (default 60)",
    )
    add(
        "--estimators",
        default=None,
        help="comma list of substrings: peers to keep (sklloss always runs)",
    )
    add(
        "--sklloss-solver",
        default="auto",
        help="solver= for sklloss (default 'auto'; e.g. lbfgs, newton-cholesky)",
    )
    add(
        "--sklloss-tol",
        type=float,
        default=None,
        help="tol= for sklloss (default: the estimators' 1e-8)",
    )
    add(
        "--pause",
        type=float,
        default=None,
        help="seconds of sleep before each timed fit, so that the previous "
        "fit's thread pools are idle (default 0.5; 0 with --quick)",
    )
    add("--no-memory", action="store_true", help="skip the peak-memory fits")
    # internal: measure memory of one cell in a child process (see _memory)
    add("--memory-child", default=None, help=argparse.SUPPRESS)
    add("--verbose", action="store_true", help="log each fit (stderr)")
    return parser


DATA_HELP = (
    "generator of dense X and y: 'default' (X ~ N(0, 1), dense w), "
    "'informative' (make_classification / make_regression-style, 20 "
    "informative columns), 'badly-scaled' (informative with columns "
    "multiplied by 1e-3 .. 1e3); sparse cases keep their own"
)


def _configure(parser, args):
    """Defaults that depend on --quick; the cases to run."""
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
    default = [c for c in all_cases if not all_cases[c].tfidf]
    names = args.cases.split(",") if args.cases else default
    unknown = [c for c in names if c not in all_cases]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {list(all_cases)}")
    return [all_cases[c] for c in names]


def _header(args):
    one = "every fit also timed inside `threadpool_limits(1)`, interleaved"
    if args.threads == 1:
        one = "the same fits (--threads 1)"
    elif args.no_single_thread:
        one = "not measured (--no-single-thread)"
    return [
        environment_header(
            "sklloss fit benchmark", [sys.argv[0], *sys.argv[1:]], args.threads
        ),
        f"- one-thread column: {one}\n",
        f"- data: `--data {args.data}` ({DATA_HELP}; column `data` of the "
        "parameter table)\n",
        f"- objective: mean loss + alpha/2 ||w||^2, alpha = {ALPHA:g} (0 for "
        "quantile/absolute_error; huber/smooth_l1: see notes), intercept "
        "unpenalised; repeats: "
        f"{args.repeat} interleaved (1 when a fit takes > {SLOW_FIT:g} s)\n",
    ]


RESULTS_NOTE = (
    "\nratio: time / fastest exact peer (SGD excluded) at the same thread "
    "limit. gap: (f - f_best) / f_best with f_best the lowest objective any "
    "fit of the cell reached (both thread limits), every f computed by "
    "benchmarks/_common.py; shown for the --threads fit, and for the "
    "one-thread fit when it differs. gradient passes: time / time of one "
    "X @ w + X.T @ g (K columns for multinomial). X reads (limit): time / "
    "time of one X @ w at the same thread limit, the bandwidth floor of one "
    "evaluation (X @ W with K columns for multinomial). Memory: one extra "
    "untimed fit; tracemalloc = Python/numpy allocations; RSS = Linux peak "
    "resident set (VmHWM reset via /proc/self/clear_refs) above the resident "
    "set before the fit.\n"
)


def _params_table(infos):
    rows = [
        [
            i["case"],
            i["data"],
            f"{i['n']:.0e} x {i['p']}",
            f"{i['alpha']:.4g}",
            ", ".join(f"{k}={v:.4g}" for k, v in i["params"].items()) or "-",
            fmt_time(i["read"]),
            fmt_time(i["read_1thread"]),
            fmt_time(i["pair"]),
            f"{i['x_mb']:.1f}",
            f"{i['load'][0]} -> {i['load'][1]}",
        ]
        for i in infos
    ]
    threads = infos[0]["threads"][0] if infos else "T"
    header = ["case", "data", "n x p", "alpha", "loss params"]
    header += [f"X@w, {threads} thr", "X@w, 1 thr", f"X@w + X.T@g, {threads} thr"]
    return markdown_table([*header, "X MB", "load avg start -> end"], rows)


def _write(args, text, infos):
    print(text)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as fh:
            fh.write(text)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(infos, fh, indent=1, default=str)


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.memory_child:
        return _memory_child(args)
    cases = _configure(parser, args)

    def log(msg):
        if args.verbose:
            print(msg, file=sys.stderr, flush=True)

    header = results_header(args.threads)
    rows, infos, history = [], [], {}
    out = _header(args)
    with _controller().limit(limits=args.threads):
        for n, p in args.sizes:
            for case in cases:
                log(f"{case.name} {n}x{p} (load {loadavg()})")
                r, info = run_case(case, n, p, args, history, log)
                rows.extend(r)
                infos.append(info)
                print(markdown_table(header, r), file=sys.stderr, flush=True)
    out += ["\n## Results\n\n", markdown_table(header, rows), RESULTS_NOTE]
    out += ["\n## Per-case data, parameters, load and the cost units\n\n"]
    out.append(_params_table(infos))
    goals = goals_table(infos)
    if goals:
        data = ", ".join(sorted({i["data"] for i in infos}))
        out.append(f"\n## Issue 14 goals (data: {data})\n\n" + goals)
    out.append("\n## Peer notes\n\n" + peer_notes(cases))
    _write(args, "".join(out), infos)
    return infos


if __name__ == "__main__":
    main()
