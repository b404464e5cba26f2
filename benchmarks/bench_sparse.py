"""Sparse, wide problems: sklloss against scikit-learn on TF-IDF-like data.

The data imitate a bag-of-words TF-IDF matrix: about ``nnz_row`` distinct
terms a row (10 for ``log_loss_1e4``, ``--nnz-row`` for ``wide``) drawn from a
Zipf distribution over the columns (the frequency of the k-th most common
term ~ 1 / k^1.1, columns shuffled), weights
``log(1 + tf) * idf``, rows scaled to unit norm. Labels come from a logistic
model on a dense random ``w``; the regression target is the same linear
model plus normal noise and 5% gross outliers.

Cases (``--cases``):

``log_loss_1e4``
    Binary log loss on n x 1e4 (1e5 x 1e4 by default, density 1e-3):
    LossClassifier against LogisticRegression (lbfgs, newton-cg, liblinear,
    saga; each at its default tol=1e-4 and at tol=1e-8), LinearSVC and
    SGDClassifier (log loss).
``wide``
    n x n with ~``--nnz-row`` terms a row (default 11: 1e5 x 1e5 with 9.8e5
    stored entries once duplicates merge; 12 gives 1.06e6): log_loss against
    LogisticRegression, squared_error against Ridge, and huber and cauchy
    (scale=1.0, the stated objective; and the default scale="auto").

``l1``
    L1 / elastic net (sklloss's sparse proximal Newton, ``_cd.py``): the
    squared error on the TF-IDF-like regression target against Lasso /
    ElasticNet (each at its default tol=1e-4 and at tol=1e-10), at
    ``alpha = alpha_max / 20`` (a support of a few hundred) and
    ``alpha_max / 100`` (a support of about n: the hard, saturated case),
    and the log loss with an L1 penalty against LogisticRegression (saga and
    liblinear; liblinear penalises the intercept). Sizes ``--l1-sizes``
    (default 1000x5000,10000x10000). Repeats are interleaved (every
    estimator once, then again) and the median is reported; the load
    average before and after is printed.

Every model is scored by the objective ``mean_i loss_i + alpha / 2 ||w||^2``
written in this file / ``_common.py`` with numpy only (LogisticRegression's
``C = 1 / (alpha n)``, Ridge's ``alpha_ridge = alpha n / 2``), together with
the largest entry of its gradient (``|grad|``, the optimality check where no
peer solves the same problem). ``gap`` is relative to the best objective of
the case. liblinear penalises the intercept and LinearSVC minimises the
squared hinge: their gaps are shown for information. Every call runs inside
``threadpool_limits(--threads)`` (default 1, as in issue 14).

    python benchmarks/bench_sparse.py [--quick] [--cases log_loss_1e4,wide,l1]
        [--output benchmarks/results/sparse.md] [--json out.json]
"""

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    environment_header,
    fmt_float,
    fmt_time,
    loadavg,
    markdown_table,
    objective,
    relative_gap,
)

ALPHA = 1e-4
CAUCHY_C = 2.3849  # the default of sklloss's Cauchy
HUBER_DELTA = 1.0  # the default of sklloss's Huber


# ---------------------------------------------------------------- data
def make_tfidf(n, p, *, nnz_row=10, zipf=1.1, seed=0):
    """TF-IDF-like CSR X (unit rows), binary labels and a regression target."""
    rng = np.random.default_rng(seed)
    prob = np.arange(1, p + 1, dtype=np.float64) ** -zipf
    prob /= prob.sum()
    perm = rng.permutation(p)
    counts = rng.poisson(nnz_row - 1, n) + 1
    cols = perm[rng.choice(p, size=int(counts.sum()), p=prob)]
    rows = np.repeat(np.arange(n), counts)
    X = sp.csr_matrix((np.ones(cols.size), (rows, cols)), shape=(n, p))
    X.sum_duplicates()  # term frequencies
    df = np.bincount(X.indices, minlength=p)
    idf = np.log((1 + n) / (1 + df)) + 1
    X.data = np.log1p(X.data) * idf[X.indices]
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    X = (sp.diags(1.0 / np.maximum(norms, 1e-12)) @ X).tocsr()
    raw = X @ (3.0 * rng.standard_normal(p))
    y_class = (rng.random(n) < 1.0 / (1.0 + np.exp(-raw))).astype(np.float64)
    y_reg = raw + 0.5 * rng.standard_normal(n)
    out = rng.random(n) < 0.05
    y_reg[out] += 10.0 * rng.standard_normal(int(out.sum()))
    return X, y_class, y_reg


# ----------------------------------------------------------- objective
def _cauchy(r):
    return 0.5 * CAUCHY_C**2 * np.log1p((r / CAUCHY_C) ** 2)


def score(loss, X, y, coef, intercept):
    """Objective value and largest gradient entry (w and b), numpy only."""
    coef = np.asarray(coef, dtype=np.float64).ravel()
    raw = np.asarray(X @ coef).ravel() + intercept
    if loss == "cauchy":
        f = float(np.mean(_cauchy(y - raw))) + 0.5 * ALPHA * float(coef @ coef)
    else:
        params = {"delta": HUBER_DELTA} if loss == "huber" else {}
        f = objective(loss, X, y, coef, intercept, ALPHA, **params)
    r = y - raw
    if loss == "log_loss":
        d = 1.0 / (1.0 + np.exp(-raw)) - y
    elif loss == "squared_error":
        d = -2.0 * r
    elif loss == "huber":
        d = -np.clip(r, -HUBER_DELTA, HUBER_DELTA)
    else:
        d = -r / (1.0 + (r / CAUCHY_C) ** 2)
    n = X.shape[0]
    g = np.asarray(X.T @ d).ravel() / n + ALPHA * coef
    return f, max(float(np.max(np.abs(g))), abs(float(d.mean())))


# ---------------------------------------------------------- estimators
def _peers_log_loss(n, quick):
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.svm import LinearSVC

    C = 1.0 / (ALPHA * n)
    out = []
    for solver in ("lbfgs", "newton-cg", "liblinear", "saga"):
        for tol in (1e-4, 1e-8):
            # saga at tol=1e-8 needs thousands of epochs: capped
            max_iter = 100 if solver == "saga" else 1000
            out.append(
                (
                    f"LogisticRegression({solver}, tol={tol:g})",
                    LogisticRegression(C=C, solver=solver, tol=tol, max_iter=max_iter),
                )
            )
    out.append(("LinearSVC (squared hinge)", LinearSVC(C=C)))
    out.append(("SGDClassifier(log_loss)", SGDClassifier(loss="log_loss", alpha=ALPHA)))
    return out


def _fit(est, X, y, threads):
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with threadpool_limits(limits=threads):
            t0 = time.perf_counter()
            est.fit(X, y)
            seconds = time.perf_counter() - t0
    conv = [w for w in caught if "Convergence" in type(w.message).__name__]
    return seconds, (str(conv[0].message)[:80] if conv else "")


def _row(name, loss, est, X, y, threads, repeat):
    times, warn = [], ""
    for _ in range(repeat):
        seconds, warn = _fit(est, X, y, threads)
        times.append(seconds)
    coef = np.ravel(est.coef_)
    intercept = float(np.ravel(est.intercept_)[0])
    f, g = score(loss, X, y, coef, intercept)
    n_iter = np.max(getattr(est, "n_iter_", None) or 0)
    return {
        "name": name,
        "loss": loss,
        "time": min(times),
        "objective": f,
        "grad": g,
        "n_iter": int(n_iter),
        "warning": warn,
    }


def run_log_loss(n, p, threads, repeat, quick):
    from sklloss import LossClassifier

    X, y, _ = make_tfidf(n, p)
    rows = [
        _row(
            "sklloss LossClassifier",
            "log_loss",
            LossClassifier(loss="log_loss", alpha=ALPHA),
            X,
            y,
            threads,
            repeat,
        )
    ]
    for name, est in _peers_log_loss(n, quick):
        rows.append(_row(name, "log_loss", est, X, y, threads, repeat))
    return f"log_loss {n:.0e} x {p:.0e} (nnz {X.nnz})", rows


def run_wide(n, threads, repeat, nnz_row=11):
    from sklearn.linear_model import LogisticRegression, Ridge

    from sklloss import LossClassifier, LossRegressor

    X, y_class, y_reg = make_tfidf(n, n, nnz_row=nnz_row)
    C = 1.0 / (ALPHA * n)
    cases = [
        ("log_loss", y_class, "sklloss LossClassifier", LossClassifier()),
        (
            "log_loss",
            y_class,
            "LogisticRegression(newton-cg, tol=1e-8)",
            LogisticRegression(C=C, solver="newton-cg", tol=1e-8, max_iter=1000),
        ),
        (
            "log_loss",
            y_class,
            "LogisticRegression(lbfgs, tol=1e-8)",
            LogisticRegression(C=C, solver="lbfgs", tol=1e-8, max_iter=5000),
        ),
        ("squared_error", y_reg, "sklloss scale=1.0", LossRegressor(scale=1.0)),
        ("squared_error", y_reg, "sklloss scale='auto'", LossRegressor()),
        (
            "squared_error",
            y_reg,
            "Ridge(sparse_cg, tol=1e-10)",
            Ridge(alpha=ALPHA * n / 2, solver="sparse_cg", tol=1e-10, max_iter=10000),
        ),
        ("huber", y_reg, "sklloss scale=1.0", LossRegressor("huber", scale=1.0)),
        ("huber", y_reg, "sklloss scale='auto'", LossRegressor("huber")),
        ("cauchy", y_reg, "sklloss scale=1.0", LossRegressor("cauchy", scale=1.0)),
        ("cauchy", y_reg, "sklloss scale='auto'", LossRegressor("cauchy")),
    ]
    rows = []
    for loss, y, name, est in cases:
        row = _row(name, loss, est, X, y, threads, repeat)
        if "auto" in name:  # another objective (y / scale_): no gap, no |grad|
            row["objective"] = row["grad"] = float("nan")
            row["note"] = f"scale_={est.scale_:.3g}"
        rows.append(row)
    return f"wide {n:.0e} x {n:.0e} (nnz {X.nnz})", rows


# ------------------------------------------------------------ L1 cases
def l1_objective(loss, X, y, coef, intercept, alpha, l1_ratio):
    """sklloss's objective: mean loss + alpha (rho |w|_1 + (1 - rho)/2 |w|^2)."""
    coef = np.asarray(coef, dtype=np.float64).ravel()
    raw = np.asarray(X @ coef).ravel() + intercept
    if loss == "log_loss":
        data = float(np.mean(np.logaddexp(0.0, raw) - y * raw))
    else:
        data = float(np.mean((y - raw) ** 2))
    pen = l1_ratio * np.abs(coef).sum() + (1 - l1_ratio) / 2 * float(coef @ coef)
    return data + alpha * pen


def _l1_estimators(loss, alpha, l1_ratio, n):
    from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression

    from sklloss import LossClassifier, LossRegressor

    if loss == "squared_error":
        # sklearn: 1/(2n) |r|^2 + a (...): ours / 2 at a = alpha / 2
        Ref = Lasso if l1_ratio == 1 else ElasticNet
        kw = {} if l1_ratio == 1 else {"l1_ratio": l1_ratio}
        out = [
            (
                "sklloss LossRegressor",
                LossRegressor(alpha=alpha, l1_ratio=l1_ratio, scale=1.0),
            )
        ]
        for tol in (1e-4, 1e-10):
            est = Ref(alpha=alpha / 2, tol=tol, max_iter=100_000, **kw)
            out.append((f"{Ref.__name__}(tol={tol:g})", est))
        return out
    C = 1.0 / (alpha * n)
    out = [("sklloss LossClassifier", LossClassifier(alpha=alpha, l1_ratio=l1_ratio))]
    for solver, tol, max_iter in (
        ("saga", 1e-4, 1000),
        ("saga", 1e-8, 1000),
        ("liblinear", 1e-4, 1000),
        ("liblinear", 1e-8, 1000),
    ):
        if solver == "liblinear" and l1_ratio != 1:
            continue
        est = LogisticRegression(
            C=C, l1_ratio=l1_ratio, solver=solver, tol=tol, max_iter=max_iter
        )
        out.append((f"LogisticRegression({solver}, tol={tol:g})", est))
    return out


def _l1_problems(sizes):
    for n, p in sizes:
        X, y_class, y_reg = make_tfidf(n, p)
        for loss, y, div, l1_ratio in (
            ("squared_error", y_reg, 20, 1.0),
            ("squared_error", y_reg, 20, 0.5),
            ("squared_error", y_reg, 100, 1.0),
            ("log_loss", y_class, 20, 1.0),
        ):
            # alpha_max: the smallest alpha with the all-zero solution
            d = y - y.mean()
            g = np.abs(np.asarray(X.T @ d).ravel()) / n
            alpha_max = (2.0 if loss == "squared_error" else 1.0) * float(g.max())
            alpha = alpha_max / div / l1_ratio
            yield (n, p, X, y, loss, alpha, l1_ratio, div)


def run_l1(sizes, threads, repeat):
    tables = []
    for n, p, X, y, loss, alpha, l1_ratio, div in _l1_problems(sizes):
        ests = _l1_estimators(loss, alpha, l1_ratio, n)
        times = {name: [] for name, _ in ests}
        warns = {}
        for _ in range(repeat):  # interleaved: every estimator, then again
            for name, est in ests:
                seconds, warn = _fit(est, X, y, threads)
                times[name].append(seconds)
                warns[name] = warn
        rows = []
        for name, est in ests:
            coef = np.ravel(est.coef_)
            intercept = float(np.ravel(est.intercept_)[0])
            rows.append(
                {
                    "name": name,
                    "loss": loss,
                    "time": float(np.median(times[name])),
                    "objective": l1_objective(
                        loss, X, y, coef, intercept, alpha, l1_ratio
                    ),
                    "grad": float("nan"),
                    "nnz": int(np.sum(coef != 0)),
                    "n_iter": int(np.max(getattr(est, "n_iter_", 0))),
                    "warning": warns[name],
                }
            )
        title = (
            f"{loss}, l1_ratio={l1_ratio:g}, alpha=alpha_max/{div} ({alpha:.3g}), "
            f"{n} x {p} (nnz {X.nnz})"
        )
        tables.append((title, rows))
    return tables


def _l1_table(title, rows):
    best = min(r["objective"] for r in rows if "liblinear" not in r["name"])
    ours = next(r for r in rows if r["name"].startswith("sklloss"))
    body = []
    for r in rows:
        gap = relative_gap(r["objective"], best)
        body.append(
            [
                r["name"],
                fmt_time(r["time"]),
                f"{ours['time'] / r['time']:.2f}" if r is not ours else "",
                fmt_float(r["objective"], ".12g"),
                fmt_float(gap, ".1e"),
                str(r["nnz"]),
                str(r["n_iter"]),
                r["warning"] or "",
            ]
        )
    header = [
        "estimator",
        "time (median)",
        "sklloss time / this",
        "objective",
        "gap",
        "nonzeros",
        "n_iter",
        "ConvergenceWarning",
    ]
    return f"### {title}\n\n" + markdown_table(header, body) + "\n"


# -------------------------------------------------------------- output
def _table(title, rows):
    by_loss = {}
    for r in rows:
        if np.isfinite(r["objective"]) and not r["name"].startswith(
            ("LinearSVC", "LogisticRegression(liblinear")
        ):
            best = by_loss.get(r["loss"], np.inf)
            by_loss[r["loss"]] = min(best, r["objective"])
    peers = {}
    for r in rows:
        if r["name"].startswith("LogisticRegression") or r["name"].startswith("Ridge"):
            peers[r["loss"]] = min(peers.get(r["loss"], np.inf), r["time"])
    body = []
    for r in rows:
        gap = relative_gap(r["objective"], by_loss.get(r["loss"], np.nan))
        r["gap"] = gap
        ratio = ""
        if r["name"].startswith("sklloss") and r["loss"] in peers:
            ratio = f"{r['time'] / peers[r['loss']]:.2f}"
        body.append(
            [
                r["loss"],
                r["name"],
                fmt_time(r["time"]),
                ratio,
                fmt_float(r["objective"], ".12g"),
                fmt_float(gap, ".1e"),
                fmt_float(r["grad"], ".1e"),
                str(r["n_iter"]),
                r.get("note", "") or r["warning"] or "",
            ]
        )
    header = [
        "loss",
        "estimator",
        "time",
        "time / fastest LR or Ridge",
        "objective",
        "gap",
        "max |grad|",
        "n_iter",
        "ConvergenceWarning / note",
    ]
    return f"### {title}\n\n" + markdown_table(header, body) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    parser.add_argument("--cases", default="log_loss_1e4,wide")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--l1-sizes", default="1000x5000,10000x10000")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument(
        "--nnz-row",
        type=int,
        default=11,
        help="mean terms a row of the wide case (default 11)",
    )
    parser.add_argument("--output", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.quick else 3)
    cases = args.cases.split(",")
    parts = [environment_header("Sparse TF-IDF-like problems", threads=args.threads)]
    parts.append("## Results\n")
    records = []
    if "log_loss_1e4" in cases:
        n, p = (5000, 2000) if args.quick else (100_000, 10_000)
        title, rows = run_log_loss(n, p, args.threads, repeat, args.quick)
        parts.append(_table(title, rows))
        records.append({"case": title, "rows": rows})
        print(parts[-1], flush=True)
    if "wide" in cases:
        n = 5000 if args.quick else 100_000
        title, rows = run_wide(n, args.threads, max(1, repeat - 2), args.nnz_row)
        parts.append(_table(title, rows))
        records.append({"case": title, "rows": rows})
        print(parts[-1], flush=True)
    if "l1" in cases:
        sizes = [tuple(int(v) for v in s.split("x")) for s in args.l1_sizes.split(",")]
        if args.quick:
            sizes = [(500, 2000)]
        parts.append(f"L1 cases: load average (1 min) before: {loadavg()}\n")
        for title, rows in run_l1(sizes, args.threads, repeat):
            parts.append(_l1_table(title, rows))
            records.append({"case": title, "rows": rows})
            print(parts[-1], flush=True)
        parts.append(f"L1 cases: load average (1 min) after: {loadavg()}\n")
    parts.append(
        "Objective and max |grad| computed by benchmarks/bench_sparse.py / "
        "_common.py (numpy; scikit-learn and sklloss scored alike); the "
        "comparison is against scikit-learn.\n"
    )
    text = "\n".join(parts)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(records, fh, indent=1, default=float)


if __name__ == "__main__":
    main()
