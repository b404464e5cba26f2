"""Peak extra memory of a sklloss fit, float32 and float64 X, as a multiple of X.

Each (case, dtype) is fitted once in a fresh child process (glibc's mmap
threshold fixed, as in ``bench_fit.py``'s memory mode, so that freed arrays
are returned to the OS and the peak resident set is seen); the data are made
before the measurement, and a small fit first imports and warms everything.
The figure ("extra / X") is the larger of the tracemalloc peak and the VmHWM increase
during ``fit``, divided by ``X.nbytes`` of the dtype fitted (the README
promises at most one extra copy; issue 12 asks for at most 0.5 x X).
The fit times are not a timing benchmark (``bench_fit.py`` is): tracemalloc
and the fixed mmap threshold (every freed temporary goes back to the OS)
slow allocation-heavy code.

``--data tfidf`` fits the TF-IDF-like CSR X of ``bench_sparse.py`` (Zipf
column frequencies, ``TFIDF_NNZ_ROW`` entries a row, unit rows) instead of
a dense Gaussian X; X's bytes are then those of its three arrays (data,
indices, indptr), and a float32 X keeps int32 indices.

    python benchmarks/bench_memory.py --size 2e6x50
    python benchmarks/bench_memory.py --size 5e5x50 --cases log_loss,huber \
        --output benchmarks/results/memory.md
    python benchmarks/bench_memory.py --data tfidf --size 1e5x1e4 \
        --cases log_loss,squared_hinge,squared_error,huber \
        --output benchmarks/results/sparse_memory.md
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
    "squared_hinge": ("classifier", "squared_hinge", "binary"),
}
TFIDF_NNZ_ROW = 10  # as bench_fit.py's *_tfidf cases


def _nbytes(X):
    """Bytes of X: its array, or a sparse X's data, indices and indptr."""
    if hasattr(X, "indptr"):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def _data(target, n, p, seed, kind="dense"):
    if kind == "tfidf":
        from bench_sparse import make_tfidf

        X, y_class, y_reg = make_tfidf(n, p, nnz_row=TFIDF_NNZ_ROW, seed=seed)
        return X, (y_class if target == "binary" else y_reg)
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
    kind = spec.get("data", "dense")
    target = CASES[case][2]
    Xs, ys = _data(target, 300, p, seed + 1, kind)
    _estimator(case).fit(Xs.astype(dtype), ys)  # imports, caches
    X, y = _data(target, n, p, seed, kind)
    X = X.astype(dtype) if kind == "tfidf" else np.ascontiguousarray(X, dtype=dtype)
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
        x_mb=_nbytes(X) / 2**20,
        ratio=extra * 2**20 / _nbytes(X),
        tm_ratio=mem["tracemalloc_mb"] * 2**20 / _nbytes(X),
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
    parser.add_argument(
        "--data",
        choices=("dense", "tfidf"),
        default="dense",
        help="dense Gaussian X, or the TF-IDF-like CSR X of bench_sparse.py",
    )
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
            spec = dict(case=case, n=n, p=p, dtype=dtype, seed=args.seed)
            r = _run(dict(spec, data=args.data))
            if r is None:
                rows.append([case, dtype, "failed", *[""] * 7])
                continue
            coefs[dtype] = np.array(r["coef"])
            rows.append(
                [
                    case,
                    dtype,
                    r["solver"],
                    f"{r['x_mb']:.3g}",
                    f"{r['tracemalloc_mb']:.3g}",
                    f"{r['rss_mb']:.3g}" if r["rss_mb"] is not None else "-",
                    f"{r['tm_ratio']:.2f}",
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
        "tracemalloc / X",
        "extra / X",
        "fit under the probe (s)",
        "warnings",
    ]
    shape = f"{n} x {p}" + (" TF-IDF CSR" if args.data == "tfidf" else "")
    text = environment_header(f"Peak memory of one fit, {shape}") + "\n"
    text += markdown_table(header, rows)
    print(text)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
