"""Shared helpers of the sklloss benchmarks.

Environment header, seeded synthetic data, the objective formulas, timing,
memory measurement and markdown tables. The objective formulas below are
written out with numpy / scipy only and never call sklloss: every estimator,
sklloss included, is scored by the same independent code.

Benchmark objective (the one in ``shared/DESIGN.md``)::

    f(w, b) = mean_i loss(y_i, x_i @ w + b) + alpha / 2 * ||w||_2^2

with the intercept ``b`` not penalised and the per-sample losses of
:func:`per_sample_loss` (PyTorch-style scale for huber / smooth_l1, squared
error without the 1/2, Poisson *deviance*, pinball for quantile).
"""

import datetime
import math
import os
import platform
import re
import shlex
import statistics
import sys
import time
import tracemalloc

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
from scipy.special import logsumexp, xlogy

__all__ = [
    "environment_header",
    "parse_sizes",
    "DATA_KINDS",
    "column_scales",
    "make_data",
    "per_sample_loss",
    "objective",
    "relative_gap",
    "time_call",
    "matvec_pair_time",
    "read_time",
    "measure_memory",
    "markdown_table",
    "fmt_time",
    "fmt_float",
    "loadavg",
]


# --------------------------------------------------------------------------
# environment
# --------------------------------------------------------------------------
def loadavg():
    """Return the 1-minute load average as a string ('n/a' where unknown)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:  # pragma: no cover - not on Linux
        return "n/a"


def environment_header(title, argv=None, threads=None):
    """Markdown header: command, date, versions, machine, load, thread limit."""
    argv = sys.argv if argv is None else argv
    cmd = "python " + " ".join(shlex.quote(a) for a in argv)
    try:
        import threadpoolctl

        tp = threadpoolctl.__version__
    except ImportError:  # pragma: no cover
        tp = "not installed"
    try:
        import subprocess

        here = os.path.dirname(os.path.abspath(__file__))
        commit = subprocess.run(
            ["git", "-C", here, "log", "-1", "--format=%h %cI"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):  # pragma: no cover
        commit = ""
    lines = [
        f"# {title}",
        "",
        f"- command: `{cmd}`",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, "
        f"threadpoolctl {tp}",
        f"- sklloss commit: {commit or 'unknown'}",
        f"- machine: {platform.machine()}, nproc = {os.cpu_count()}, "
        f"load average (1 min) at start: {loadavg()}",
    ]
    if threads is not None:
        lines.append(
            f"- threads: every timed call (sklloss and peers) runs inside "
            f"`threadpoolctl.threadpool_limits(limits={threads})` (BLAS and "
            f"OpenMP pools alike)"
        )
    return "\n".join(lines) + "\n"


def parse_sizes(text):
    """Parse ``"1e3x20,1e5x100"`` into ``[(1000, 20), (100000, 100)]``."""
    sizes = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        m = re.fullmatch(r"([0-9.e+]+)x([0-9.e+]+)", item)
        if m is None:
            raise ValueError(f"--sizes: expected items like 1e5x100, got {item!r}")
        sizes.append((int(float(m.group(1))), int(float(m.group(2)))))
    return sizes


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
DATA_KINDS = ("default", "informative", "badly-scaled")
N_INFORMATIVE = 20


def _design(rng, n, p, sparse, density):
    if sparse:
        X = sp.random(
            n, p, density=density, format="csr", random_state=rng, dtype=np.float64
        )
        # nonzeros ~ N(0, 1), scaled so that the row norms match the dense case
        X.data = rng.standard_normal(X.data.size) / math.sqrt(density)
        return X
    return rng.standard_normal((n, p))


def column_scales(p, seed=0):
    """Factors ``10**u``, u evenly spaced over [-3, 3], in a seeded column order."""
    return np.random.default_rng(seed + 1).permutation(np.logspace(-3, 3, p))


def _informative_design(target, n, p, seed, n_classes):
    """make_classification / make_regression data with 20 informative columns.

    Returns ``(X, y, None)`` for class targets (scikit-learn's labels, 2
    classes for "binary", ``n_classes`` for "multiclass"; no redundant
    columns) and ``(X, None, w)`` otherwise: make_regression's X and its
    coefficients normalised to ``||w|| = 1``, so that ``X @ w`` has unit
    variance as in the default generator.
    """
    from sklearn.datasets import make_classification, make_regression

    k = min(N_INFORMATIVE, p)
    if target in ("binary", "multiclass"):
        X, y = make_classification(
            n,
            p,
            n_informative=k,
            n_redundant=0,
            n_classes=2 if target == "binary" else n_classes,
            random_state=seed,
        )
        return X, y.astype(np.int64), None
    X, _, coef = make_regression(n, p, n_informative=k, coef=True, random_state=seed)
    return X, None, coef / np.linalg.norm(coef)


def _targets(rng, target, X, w, n_classes):
    """Draw y from the linear model ``X @ w + 0.5`` (see :func:`make_data`)."""
    n, p = X.shape
    raw = X @ w + 0.5
    if target == "gaussian":
        return raw + rng.standard_normal(n)
    if target == "outliers":  # 5 % gross outliers on top of unit noise
        y = raw + rng.standard_normal(n)
        out = rng.random(n) < 0.05
        y[out] += rng.standard_normal(out.sum()) * 20
        return y
    if target == "heteroscedastic":
        return raw + (0.5 + np.abs(raw)) * rng.standard_t(3, n)
    if target == "binary":
        return (rng.random(n) < 1 / (1 + np.exp(-2 * raw))).astype(np.int64)
    if target == "multiclass":
        W = rng.standard_normal((p, n_classes)) / math.sqrt(p)
        logits = 2 * (X @ W)
        logits -= logits.max(axis=1, keepdims=True)
        P = np.exp(logits)
        P /= P.sum(axis=1, keepdims=True)
        u = rng.random((n, 1))
        return (u > np.cumsum(P, axis=1)).sum(axis=1).clip(0, n_classes - 1)
    if target == "poisson":
        return rng.poisson(np.exp(0.5 * raw)).astype(np.float64)
    raise ValueError(f"unknown target {target!r}")


def make_data(
    target,
    n,
    p,
    *,
    seed=0,
    sparse=False,
    density=0.01,
    n_classes=3,
    kind="default",
):
    """Seeded synthetic problem.

    Parameters
    ----------
    target : {"gaussian", "outliers", "heteroscedastic", "binary",
              "multiclass", "poisson"}
        How y is drawn from the linear model ``X @ w_true + 0.5``: normal
        noise; normal noise plus 5 % gross outliers (heavy tails for the
        robust losses); Student-t(3) noise growing with ``|raw|``; logistic
        labels; softmax labels; Poisson counts of mean ``exp(raw / 2)``.
    n, p : int
        Rows and columns of X (float64, C-contiguous; CSR when ``sparse``).
    kind : {"default", "informative", "badly-scaled"}
        "default": X ~ N(0, 1) and a dense ``w_true`` of norm ~1.
        "informative": ``sklearn.datasets.make_classification`` for class
        targets (20 informative columns, the rest noise) and, for the other
        targets, make_regression's X with ``w_true`` nonzero on 20 columns
        and the noise above. "badly-scaled": "informative" with column j of
        X multiplied by ``column_scales(p)[j]`` (1e-3 .. 1e3) after y is
        drawn, i.e. the same y with ``w_true / scale``.

    Returns
    -------
    X, y : arrays
        y is float for regression targets, int 0/1 or 0..K-1 for classes.
    """
    if kind not in DATA_KINDS:
        raise ValueError(f"kind: expected one of {DATA_KINDS}, got {kind!r}")
    rng = np.random.default_rng(seed)
    if kind == "default" or sparse:
        X = _design(rng, n, p, sparse, density)
        w = rng.standard_normal(p) / math.sqrt(p)
        return X, _targets(rng, target, X, w, n_classes)
    X, y, w = _informative_design(target, n, p, seed, n_classes)
    if y is None:
        y = _targets(rng, target, X, w, n_classes)
    if kind == "badly-scaled":
        X *= column_scales(p, seed)
    return X, y


# --------------------------------------------------------------------------
# objective formulas (independent of sklloss)
# --------------------------------------------------------------------------
def per_sample_loss(loss, y, raw, **params):
    """Per-sample loss, written out here with numpy / scipy only.

    - squared_error: ``(y - z)^2``
    - huber(delta): ``r^2 / 2`` if ``|r| <= delta`` else
      ``delta * (|r| - delta / 2)`` (PyTorch, skglm)
    - smooth_l1(beta): ``r^2 / (2 beta)`` if ``|r| < beta`` else
      ``|r| - beta / 2`` (PyTorch)
    - absolute_error: ``|r|``; quantile(quantile=tau): ``max(tau r, (tau - 1) r)``
    - poisson: unit deviance ``2 (y log(y / mu) - y + mu)``, ``mu = exp(z)``
    - log_loss: ``log(1 + e^z) - y z`` (binary, 1-D z) or
      ``logsumexp(z) - z[y]`` (softmax, 2-D z)
    - squared_hinge: ``max(0, 1 - m)^2`` with ``m = (2y - 1) z``
    """
    if loss == "log_loss":
        if raw.ndim == 2:
            return logsumexp(raw, axis=1) - raw[np.arange(raw.shape[0]), y]
        return np.logaddexp(0.0, raw) - y * raw
    if loss == "squared_hinge":
        m = (2.0 * y - 1.0) * raw
        return np.maximum(0.0, 1.0 - m) ** 2
    if loss == "poisson":
        return 2.0 * (xlogy(y, y) - y * raw - y + np.exp(raw))
    r = y - raw
    a = np.abs(r)
    if loss == "squared_error":
        return r * r
    if loss == "huber":
        d = params["delta"]
        return np.where(a <= d, 0.5 * r * r, d * (a - 0.5 * d))
    if loss == "smooth_l1":
        beta = params["beta"]
        return np.where(a < beta, 0.5 * r * r / beta, a - 0.5 * beta)
    if loss == "absolute_error":
        return a
    if loss == "quantile":
        tau = params["quantile"]
        return np.maximum(tau * r, (tau - 1.0) * r)
    raise ValueError(f"no formula for loss {loss!r}")


def objective(loss, X, y, coef, intercept, alpha, **params):
    """``mean(loss(y, X @ coef + intercept)) + alpha / 2 * ||coef||^2``.

    ``coef`` is (p,) or (p, K); ``intercept`` a scalar or (K,). Computed in
    float64 with ``math.fsum`` for the mean so that gaps of 1e-12 are visible.
    """
    coef = np.asarray(coef, dtype=np.float64)
    raw = np.asarray(X @ coef, dtype=np.float64) + np.asarray(intercept)
    values = per_sample_loss(loss, y, raw, **params)
    data_term = math.fsum(values) / values.shape[0]
    return data_term + 0.5 * alpha * float(np.sum(coef * coef))


def relative_gap(value, best):
    """``(value - best) / |best|`` (best > 0 for every benchmark objective)."""
    return (value - best) / max(abs(best), 1e-300)


# --------------------------------------------------------------------------
# timing and memory
# --------------------------------------------------------------------------
def time_call(fn):
    """Run ``fn()`` once; return (seconds, result) with ``time.perf_counter``."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def matvec_pair_time(X, n_cols=1, repeat=9, seed=0):
    """Median time of one ``X @ w`` plus one ``X.T @ g`` (the cost unit).

    ``w`` is (p,) (or (p, K) for ``n_cols = K``) and ``g`` (n,) (or (n, K)).
    "gradient passes" in the tables = fit time / this time.
    """
    rng = np.random.default_rng(seed)
    n, p = X.shape
    shape_w = (p,) if n_cols == 1 else (p, n_cols)
    shape_g = (n,) if n_cols == 1 else (n, n_cols)
    w = rng.standard_normal(shape_w)
    g = rng.standard_normal(shape_g)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        z = X @ w
        v = X.T @ g
        times.append(time.perf_counter() - t0)
        del z, v
    return statistics.median(times)


def read_time(X, n_cols=1, repeat=15, seed=0):
    """Median time of one ``X @ w``: one read of X, the floor of one evaluation.

    ``w`` is (p,), or (p, K) for ``n_cols = K`` (multinomial). A fit that
    evaluates its objective and gradient must read X at least once per
    evaluation; "X reads" in the tables = fit time / this time.
    """
    rng = np.random.default_rng(seed)
    p = X.shape[1]
    w = rng.standard_normal((p,) if n_cols == 1 else (p, n_cols))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        z = X @ w
        times.append(time.perf_counter() - t0)
        del z
    return statistics.median(times)


def _status_kb(key):
    with open("/proc/self/status") as fh:
        m = re.search(key + r":\s+(\d+) kB", fh.read())
    return int(m.group(1)) if m else None


def measure_memory(fn):
    """Peak memory of one call of ``fn`` above what was held before it, in MB.

    Two methods, both reported:

    - ``tracemalloc``: peak of Python-tracked allocations (numpy arrays
      included; C/C++ buffers inside liblinear, HiGHS, numba code or BLAS are
      not seen);
    - ``rss``: Linux peak resident set (VmHWM) after resetting it through
      ``/proc/self/clear_refs``, minus the resident set before the call (sees
      every allocation that touches memory; None where unavailable).
    """
    rss_before = None
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        rss_before = _status_kb("VmRSS")
    except OSError:
        pass
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss = None
    if rss_before is not None:
        hwm = _status_kb("VmHWM")
        rss = max(hwm - rss_before, 0) / 1024 if hwm is not None else None
    return {"tracemalloc_mb": (peak - base) / 2**20, "rss_mb": rss}


# --------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------
def fmt_time(seconds):
    """Human time: µs / ms / s with 3 significant digits."""
    if seconds is None or not np.isfinite(seconds):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_float(x, spec=".3g"):
    """Format a float or return '-' for None / nan."""
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "-"
    return format(x, spec)


def markdown_table(header, rows):
    """A GitHub markdown table from a header list and a list of row lists."""
    out = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in rows:
        out.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(out) + "\n"
