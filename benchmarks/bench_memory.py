"""Peak extra memory of a sklloss fit, float32 and float64 X, as a multiple of X.

Each (case, dtype) is fitted once in a fresh child process (glibc's mmap
threshold fixed, as in ``bench_fit.py``'s memory mode, so that freed arrays
are returned to the OS and the peak resident set is seen); the data are made
before the measurement, and a small fit first imports and warms everything.
The figure is the larger of the tracemalloc peak and the VmHWM increase
during ``fit``, divided by ``X.nbytes`` of the dtype fitted (the README
promises at most one extra copy; issue 12 asks for at most 0.5 x X).
The fit times are not a timing benchmark (``bench_fit.py`` is): tracemalloc
and the fixed mmap threshold (every freed temporary goes back to the OS)
slow allocation-heavy code.

    python benchmarks/bench_memory.py --size 2e6x50
    python benchmarks/bench_memory.py --size 5e5x50 --cases log_loss,huber \
        --output benchmarks/results/memory.md
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (
    environment_header,
    markdown_table,
    measure_memory,
    parse_sizes,
)

CASES = {
    # name: (estimator, loss, target)
    "squared_error": ("regressor", "squared_error", "regression"),
    "huber": ("regressor", "huber", "regression"),
    "log_loss": ("classifier", "log_loss", "binary"),
    "absolute_error": ("regressor", "absolute_error", "regression"),
}


def _data(target, n, p, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    z = X @ rng.standard_normal(p) / np.sqrt(p)
    if target == "binary":
        y = (z + rng.logistic(size=n) > 0).astype(np.float64)
    else:
        y = z + rng.standard_normal(n)
    return X, y


def _estimator(case):
    from sklloss import LossClassifier, LossRegressor

    kind, loss, _ = CASES[case]
    cls = LossClassifier if kind == "classifier" else LossRegressor
    return cls(loss=loss)


def _child(spec):
    """Measure one fit; print one JSON line."""
    case, n, p, dtype, seed = (spec[k] for k in ("case", "n", "p", "dtype", "seed"))
    target = CASES[case][2]
    Xs, ys = _data(target, 300, p, seed + 1)
    _estimator(case).fit(Xs.astype(dtype), ys)  # imports, caches
    X, y = _data(target, n, p, seed)
    X = np.ascontiguousarray(X, dtype=dtype)
    gc.collect()
    est = _estimator(case)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mem = measure_memory(lambda: est.fit(X, y))
    seconds = time.perf_counter() - t0
    extra = max(mem["tracemalloc_mb"], mem["rss_mb"] or 0.0)
    out = dict(
        mem,
        extra_mb=extra,
        x_mb=X.nbytes / 2**20,
        ratio=extra * 2**20 / X.nbytes,
        seconds=seconds,
        solver=getattr(est, "solver_", "?"),
        warnings=[str(w.message)[:80] for w in caught],
        coef=np.ravel(est.coef_).astype(float).tolist(),
    )
    print(json.dumps(out))
    return 0


def _run(spec):
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="5e5x50")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(json.loads(args.child))
    (n, p), *_ = parse_sizes(args.size)
    rows = []
    for case in args.cases.split(","):
        coefs = {}
        for dtype in ("float64", "float32"):
            r = _run(dict(case=case, n=n, p=p, dtype=dtype, seed=args.seed))
            if r is None:
                rows.append([case, dtype, "failed", "", "", "", "", "", ""])
                continue
            coefs[dtype] = np.array(r["coef"])
            rows.append(
                [
                    case,
                    dtype,
                    r["solver"],
                    f"{r['x_mb']:.0f}",
                    f"{r['tracemalloc_mb']:.0f}",
                    f"{r['rss_mb']:.0f}" if r["rss_mb"] is not None else "-",
                    f"{r['ratio']:.2f}",
                    f"{r['seconds']:.1f}",
                    "; ".join(r["warnings"]) or "none",
                ]
            )
            print(" | ".join(rows[-1]), file=sys.stderr)
        if len(coefs) == 2:
            a, b = coefs["float64"], coefs["float32"]
            rel = float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-300))
            rows[-1][-1] += f" (coef float32 vs float64: {rel:.1e} rel.)"
    header = [
        "case",
        "X dtype",
        "solver",
        "X (MB)",
        "tracemalloc peak (MB)",
        "RSS peak (MB)",
        "extra / X",
        "fit under the probe (s)",
        "warnings",
    ]
    text = environment_header(f"Peak memory of one fit, {n} x {p}") + "\n"
    text += markdown_table(header, rows)
    print(text)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
