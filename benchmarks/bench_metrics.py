"""Metric benchmark: every sklloss metric against scikit-learn's equivalent.

For each metric that scikit-learn also has, both functions get the same
numpy inputs; calls are timed with ``timeit`` (the number of calls per
measurement chosen once so that a measurement takes ~20 ms), the two
functions alternate measurement by measurement, and the median per call is
reported with the ratio sklloss / sklearn and the relative difference of the
two values.

Issue 4's goals: every metric no slower than sklearn's (ratio <= 1) at
n = 100 and n = 1e6, and log_loss at n = 1e6 at least 5x faster.

Usage::

    python benchmarks/bench_metrics.py                 # n = 100 and 1e6
    python benchmarks/bench_metrics.py --quick         # seconds; used by the tests
    python benchmarks/bench_metrics.py --sizes 100,1e6 --repeat 9 --output m.md
"""

import argparse
import json
import os
import statistics
import sys
import timeit
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import environment_header, fmt_time, loadavg, markdown_table


def _probas(rng, n, k):
    logits = rng.standard_normal((n, k)) * 2
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    return P / P.sum(axis=1, keepdims=True)


def _reg(rng, n):
    return rng.standard_normal(n), rng.standard_normal(n)


def _positive(rng, n):
    y = rng.poisson(2.0, n).astype(np.float64)
    return y, np.exp(rng.standard_normal(n) * 0.5 + 0.5)


def _strictly_positive(rng, n):
    return rng.gamma(2.0, 1.0, n), np.exp(rng.standard_normal(n) * 0.5 + 0.5)


def _binary_proba(rng, n):
    y = rng.integers(0, 2, n)
    return y, np.clip(rng.random(n), 1e-6, 1 - 1e-6)


def _multi_proba(rng, n):
    return rng.integers(0, 3, n), _probas(rng, n, 3)


def _binary_decision(rng, n):
    return rng.integers(0, 2, n), rng.standard_normal(n) * 2


def _multi_decision(rng, n):
    return rng.integers(0, 3, n), rng.standard_normal((n, 3)) * 2


def _labels(rng, n):
    y = rng.integers(0, 3, n)
    y_pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, 3, n))
    return y, y_pred


# (label, sklloss name, sklloss kwargs, sklearn name, sklearn kwargs, inputs)
METRICS = [
    ("mean_squared_error", "mean_squared_error", {}, "mean_squared_error", {}, _reg),
    (
        "root_mean_squared_error",
        "root_mean_squared_error",
        {},
        "root_mean_squared_error",
        {},
        _reg,
    ),
    ("mean_absolute_error", "mean_absolute_error", {}, "mean_absolute_error", {}, _reg),
    (
        "mean_pinball_loss (q=0.8)",
        "mean_pinball_loss",
        {"quantile": 0.8},
        "mean_pinball_loss",
        {"alpha": 0.8},
        _reg,
    ),
    (
        "mean_poisson_deviance",
        "mean_poisson_deviance",
        {},
        "mean_poisson_deviance",
        {},
        _positive,
    ),
    (
        "mean_gamma_deviance",
        "mean_gamma_deviance",
        {},
        "mean_gamma_deviance",
        {},
        _strictly_positive,
    ),
    (
        "mean_tweedie_deviance (power=1.5)",
        "mean_tweedie_deviance",
        {"power": 1.5},
        "mean_tweedie_deviance",
        {"power": 1.5},
        _positive,
    ),
    ("log_loss (binary)", "log_loss", {}, "log_loss", {}, _binary_proba),
    ("log_loss (3 classes)", "log_loss", {}, "log_loss", {}, _multi_proba),
    ("hinge_loss (binary)", "hinge_loss", {}, "hinge_loss", {}, _binary_decision),
    ("hinge_loss (3 classes)", "hinge_loss", {}, "hinge_loss", {}, _multi_decision),
    ("zero_one_loss (labels)", "zero_one_loss", {}, "zero_one_loss", {}, _labels),
]


def _call(fn, a, b, kw):
    def call():
        return fn(a, b, **kw)

    return call


def _calls_per_measurement(fns, target):
    """Number of calls so that one measurement of the slowest fn ~ target s."""
    slowest = 0.0
    for f in fns:
        f()  # warm-up: imports, caches
        number, t = 1, 0.0
        while True:
            t = timeit.timeit(f, number=number)
            if t >= 0.005 or number >= 10_000:
                break
            number *= 10
        slowest = max(slowest, t / number)
    return max(1, int(target / max(slowest, 1e-9)))


def bench_metric(spec, n, repeat, seed, target):
    label, ours, our_kw, theirs, their_kw, make = spec
    import sklearn.metrics as skm

    import sklloss.metrics as slm

    f_ours = getattr(slm, ours, None)
    if f_ours is None:
        return {"label": label, "n": n, "status": f"sklloss.metrics.{ours} missing"}
    f_theirs = getattr(skm, theirs)
    rng = np.random.default_rng(seed)
    a, b = make(rng, n)
    call_ours = _call(f_ours, a, b, our_kw)
    call_theirs = _call(f_theirs, a, b, their_kw)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v_ours, v_theirs = float(call_ours()), float(call_theirs())
    except Exception as exc:  # reported in the table, not a crash
        return {
            "label": label,
            "n": n,
            "status": f"error: {type(exc).__name__}: {exc}"[:120],
        }
    diff = abs(v_ours - v_theirs) / max(abs(v_theirs), 1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        number = _calls_per_measurement([call_ours, call_theirs], target)
        t_ours, t_theirs = [], []
        for r in range(repeat):
            pair = [(call_ours, t_ours), (call_theirs, t_theirs)]
            for fn, sink in pair if r % 2 == 0 else pair[::-1]:
                sink.append(timeit.timeit(fn, number=number) / number)
    to, tt = statistics.median(t_ours), statistics.median(t_theirs)
    return {
        "ratio_min": min(t_ours) / min(t_theirs),
        "label": label,
        "n": n,
        "ours": to,
        "theirs": tt,
        "ratio": to / tt,
        "diff": diff,
        "number": number,
    }


def _goal(rec):
    if "ratio" not in rec:
        return "?"
    ok = rec["ratio"] <= 1.0
    text = "met" if ok else "MISSED"
    if rec["label"].startswith("log_loss") and rec["n"] >= 1_000_000:
        ok5 = rec["ratio"] <= 0.2
        text += "; >= 5x: " + ("met" if ok5 else "MISSED")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 100, 1e4; 3 reps")
    parser.add_argument("--sizes", default=None, help="comma list, default 100,1e6")
    parser.add_argument("--repeat", type=int, default=None, help="default 9")
    parser.add_argument("--metrics", default=None, help="substring filter, comma list")
    parser.add_argument("--output", default=None)
    parser.add_argument("--json", default=None, help="also dump the records here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="threadpoolctl limit (BLAS/OpenMP), same for both libraries",
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or ("100,1e4" if args.quick else "100,1e6")
    sizes = [int(float(s)) for s in sizes.split(",") if s.strip()]
    repeat = args.repeat or (3 if args.quick else 9)
    target = 0.005 if args.quick else 0.02
    specs = METRICS
    if args.metrics:
        keys = [k.strip() for k in args.metrics.split(",")]
        specs = [s for s in METRICS if any(k in s[0] for k in keys)]

    from threadpoolctl import threadpool_limits

    recs = []
    with threadpool_limits(limits=args.threads):
        for n in sizes:
            for spec in specs:
                recs.append(bench_metric(spec, n, repeat, args.seed, target))
                print(recs[-1], file=sys.stderr, flush=True)
    rows = []
    for r in recs:
        if "status" in r:
            rows.append([r["label"], f"{r['n']:.0e}", r["status"], *["-"] * 4, "?"])
            continue
        rows.append(
            [
                r["label"],
                f"{r['n']:.0e}",
                fmt_time(r["theirs"]),
                fmt_time(r["ours"]),
                f"{r['ratio']:.3g} ({1 / r['ratio']:.3g}x)",
                f"{r['ratio_min']:.3g}",
                f"{r['diff']:.1e}",
                _goal(r),
            ]
        )
    out = [
        environment_header(
            "sklloss metrics benchmark", [sys.argv[0], *sys.argv[1:]], args.threads
        ),
        f"- timing: timeit, median of {repeat} alternating measurements per "
        f"function, each of a fixed number of calls (~{target * 1e3:g} ms); "
        f"load average (1 min) at end: {loadavg()}\n",
        "\n## Results\n\n",
        markdown_table(
            [
                "metric",
                "n",
                "sklearn",
                "sklloss",
                "ratio sklloss/sklearn (speed-up)",
                "ratio of minima",
                "rel. diff of values",
                "goal (ratio <= 1)",
            ],
            rows,
        ),
    ]
    text = "".join(out)
    print(text)
    if args.output:
        os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
        with open(args.output, "w") as fh:
            fh.write(text)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(recs, fh, indent=1)
    return recs


if __name__ == "__main__":
    main()
