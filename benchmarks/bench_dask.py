"""Fit on a dask cluster: time with 1 and 2 workers against the in-memory fit.

The data set (several million rows by default) is generated chunk by chunk on
the workers (each block from its own seed), so the client never holds X.
For each loss the script

1. starts a ``distributed.LocalCluster`` with 1, then 2, worker processes
   (one thread each), generates and persists the blocks on the workers
   (timed separately), and times ``fit`` on the persisted dask arrays;
2. fits the same estimator on the same rows in memory, in a subprocess
   (numpy X, all BLAS threads), and reports the time and the largest
   difference between the two sets of coefficients;
   (the workers import sklloss before the timing, as the in-memory
   process has before its own);
3. reports CPU seconds next to wall time (worker processes for dask, the
   process for the in-memory fit; the client's own CPU covers the solver
   and, for a LocalCluster, the scheduler), which a loaded machine distorts
   less than wall time;
4. reports the client process's peak resident memory (``ru_maxrss``) during
   the dask fits against the size of X: it must stay far below it.

Usage::

    python benchmarks/bench_dask.py --quick       # 2e5 rows, seconds
    python benchmarks/bench_dask.py               # 4e6 x 20, a few minutes
    python benchmarks/bench_dask.py --rows 1e7 --chunk 5e5 --losses huber
    python benchmarks/bench_dask.py --output benchmarks/results/dask.md

No result is asserted: this prints a markdown table of what was measured.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a clone without installing
    sys.path.insert(0, str(ROOT))


# ------------------------------------------------------------------- data
def make_block(n_rows, n_features, seed, block):
    """Rows of block ``block``: X (badly scaled), a regression y, a class y."""
    rng = np.random.default_rng([seed, block])
    coef_rng = np.random.default_rng(seed)  # the same true model for all blocks
    scales = np.logspace(-1, 1, n_features)
    w = coef_rng.normal(size=n_features) / scales
    X = rng.normal(size=(n_rows, n_features)) * scales
    z = X @ w
    y_reg = z + rng.standard_t(3, size=n_rows)
    y_cls = (z + rng.logistic(size=n_rows) > 0).astype(np.float64)
    return np.column_stack([X, y_reg, y_cls])


def _dask_block(block_id_array, n_rows, n_features, seed):
    block = int(block_id_array[0])
    return make_block(n_rows, n_features, seed, block)


def dask_data(n_samples, n_features, chunk, seed):
    """Lazy (X, y_reg, y_cls) whose blocks are generated where they are computed."""
    import dask.array as da

    n_blocks = n_samples // chunk
    ids = da.arange(n_blocks, chunks=1)
    XY = ids.map_blocks(
        _dask_block,
        chunk,
        n_features,
        seed,
        new_axis=1,
        chunks=((chunk,) * n_blocks, (n_features + 2,)),
        dtype=np.float64,
    )
    return XY[:, :n_features], XY[:, n_features], XY[:, n_features + 1]


def numpy_data(n_samples, n_features, chunk, seed):
    n_blocks = n_samples // chunk
    XY = np.vstack([make_block(chunk, n_features, seed, b) for b in range(n_blocks)])
    return XY[:, :n_features], XY[:, n_features], XY[:, n_features + 1]


def estimator(loss):
    from sklloss.linear_model import LossClassifier, LossRegressor

    if loss in ("log_loss", "squared_hinge", "focal", "modified_huber"):
        return LossClassifier(loss=loss), "cls"
    return LossRegressor(loss=loss), "reg"


def cpu_seconds():
    """User + system CPU time of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def import_sklloss():
    """Import sklloss (and scikit-learn, scipy) in a worker before the timing.

    The in-memory fit is timed after its imports; so is the dask fit.
    """
    import sklloss.linear_model._dask  # noqa: F401

    return True


def peak_rss_mb():
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -------------------------------------------------------------- in memory
def run_in_memory(args):
    """Subprocess entry: in-memory fit, JSON on stdout."""
    X, y_reg, y_cls = numpy_data(args.rows, args.features, args.chunk, args.seed)
    est, kind = estimator(args.losses)
    y = y_reg if kind == "reg" else y_cls
    t0, c0 = time.perf_counter(), cpu_seconds()
    est.fit(X, y)
    dt = time.perf_counter() - t0
    out = {
        "time": dt,
        "cpu": cpu_seconds() - c0,
        "coef": np.ravel(est.coef_).tolist(),
        "intercept": float(np.ravel(est.intercept_)[0]),
        "n_iter": int(est.n_iter_),
        "solver": est.solver_,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(out))


def in_memory(loss, args):
    cmd = [
        sys.executable,
        __file__,
        "--_in-memory",
        "--rows",
        str(args.mem_rows),
        "--features",
        str(args.features),
        "--chunk",
        str(args.chunk),
        "--seed",
        str(args.seed),
        "--losses",
        loss,
    ]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------- dask
def dask_fit(loss, n_workers, args):
    import dask
    from distributed import Client, LocalCluster, wait

    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            # no dashboard; the scheduler's health endpoint on a free port, not
            # on 8787 (which another cluster may hold: a UserWarning)
            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            memory_limit=args.memory_limit,
        ) as cluster,
        Client(cluster) as client,
    ):
        X, y_reg, y_cls = dask_data(args.rows, args.features, args.chunk, args.seed)
        est, kind = estimator(loss)
        y = y_reg if kind == "reg" else y_cls
        t0 = time.perf_counter()
        X, y = dask.persist(X, y)
        wait([X, y])
        t_gen = time.perf_counter() - t0
        client.run(import_sklloss)
        w0, c0 = sum(client.run(cpu_seconds).values()), cpu_seconds()
        t0 = time.perf_counter()
        est.fit(X, y)
        t_fit = time.perf_counter() - t0
        workers_cpu = sum(client.run(cpu_seconds).values()) - w0
        print(f"{loss}, {n_workers} worker(s): fit {t_fit:.2f} s", file=sys.stderr)
        return {
            "generate": t_gen,
            "time": t_fit,
            "cpu": workers_cpu,
            "client_cpu": cpu_seconds() - c0,
            "coef": np.ravel(est.coef_),
            "intercept": float(np.ravel(est.intercept_)[0]),
            "n_iter": int(est.n_iter_),
            "n_evals": int(est.n_evals_),
            "solver": est.solver_,
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=4e6)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--chunk", type=float, default=2.5e5)
    parser.add_argument(
        "--mem-rows",
        type=float,
        default=None,
        help="rows of the in-memory fit (default: --rows)",
    )
    parser.add_argument("--losses", default="huber,log_loss")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--memory-limit", default="8GB")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", default=None)
    parser.add_argument(
        "--_in-memory", dest="in_memory", action="store_true", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.chunk = 2e5, 2.5e4
    args.rows, args.chunk = int(args.rows), int(args.chunk)
    args.rows -= args.rows % args.chunk
    args.mem_rows = args.rows if args.mem_rows is None else int(args.mem_rows)
    if args.in_memory:
        return run_in_memory(args)

    import dask
    import distributed

    rss_start = peak_rss_mb()
    x_mb = args.rows * args.features * 8 / 2**20
    workers = [int(w) for w in args.workers.split(",")]
    rows = []
    for loss in args.losses.split(","):
        for k in workers:
            rows.append((loss, f"dask, {k} worker(s)", dask_fit(loss, k, args)))
    rss_dask = peak_rss_mb()
    for loss in args.losses.split(","):
        rows.append((loss, "numpy, in memory", in_memory(loss, args)))

    load = os.getloadavg()
    lines = [
        f"# `python benchmarks/bench_dask.py {' '.join(sys.argv[1:])}`".rstrip(),
        "",
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; Python "
        f"{platform.python_version()}, numpy {np.__version__}, dask "
        f"{dask.__version__}, distributed {distributed.__version__}; "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f}.",
        "",
        f"Data: {args.rows:,} x {args.features} float64 (X = {x_mb:,.0f} MiB), "
        f"blocks of {args.chunk:,} rows generated on the workers; in-memory fit "
        f"on {args.mem_rows:,} rows in a subprocess (all BLAS threads); each dask "
        "worker is one process with one thread.",
        "",
        "| loss | fit | rows | generate + persist (s) | fit wall (s) | "
        "fit CPU, workers or process (s) | fit CPU, client (s) | solver | "
        "n_iter | gradient passes | max abs coef diff vs in memory |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    ref = {loss: r for loss, how, r in rows if how.startswith("numpy")}
    for loss, how, r in rows:
        diff = ""
        n = args.mem_rows if how.startswith("numpy") else args.rows
        if how.startswith("dask") and args.mem_rows == args.rows:
            diff = f"{np.max(np.abs(r['coef'] - np.asarray(ref[loss]['coef']))):.1e}"
        gen = f"{r['generate']:.2f}" if "generate" in r else "-"
        client_cpu = f"{r['client_cpu']:.2f}" if "client_cpu" in r else "-"
        lines.append(
            f"| {loss} | {how} | {n:,} | {gen} | {r['time']:.2f} | {r['cpu']:.2f} | "
            f"{client_cpu} | {r['solver']} | {r['n_iter']} | "
            f"{r.get('n_evals', '-')} | {diff} |"
        )
    mem_peaks = ", ".join(
        f"{loss}: {r['peak_rss_mb']:,.0f} MiB" for loss, r in ref.items()
    )
    lines += [
        "",
        f"Client process peak RSS: {rss_start:,.0f} MiB after imports, "
        f"{rss_dask:,.0f} MiB after all dask fits, for X of {x_mb:,.0f} MiB "
        f"(in-memory subprocesses peaked at {mem_peaks}).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        Path(args.output).write_text(text)
    return None


if __name__ == "__main__":
    main()
