"""Compiled fused kernels of the package against the NumPy passes and the floor.

Per evaluation of ``LinearObjective._data_loss_gradient`` (the data term
``sum_i s_i loss(y_i, x_i . w + b)`` and its gradient; the objective configured
as the first-order solvers use it, ``keep_raw=False``), for the losses with a
compiled formula in ``sklloss/_kernels.pyx``. Columns:

* ``floor``: one ``X @ w`` at one BLAS thread: one read of X;
* ``compiled``: ``_objective.COMPILED_PASSES = True`` (the package's default:
  ``sklloss._kernels.fused_rows``, one sweep over a dense X: by rows in C
  order, by columns per block of rows in F order);
* ``numpy``: ``COMPILED_PASSES = False``: the NumPy fused row blocks, or the
  two-product pass where ``_fused_workers()`` says so (wide X, several
  threads); the ``numpy path`` column says which ran;
* ``two-product``: ``FUSED_PASSES = False``: ``X @ w`` then ``X.T @ g``.

An F-ordered X (``--orders``) takes the compiled column sweep, or the
two-product pass with ``COMPILED_PASSES = False``; its rows also time the
compiled pass on the C-ordered copy of the same X, interleaved with the rest
(``F / C compiled``). ``--orders csr`` times a TF-IDF-like CSR X of n x p
(``bench_sparse.make_tfidf``, ~10 stored entries a row): ``compiled`` is
``sklloss._kernels.csr_fused_rows``, the others scipy's two products. CPU time
(``time.process_time``: at two threads the CPU of both) and wall time, medians
of interleaved repeats, with the load average; after each call at two BLAS
threads the script waits ``SETTLE`` seconds, so that the spinning of
OpenBLAS's idle threads is not charged to the next call. Before anything is
timed, the compiled result is checked against the NumPy ones
(value rel 1e-10, gradient rel 1e-8 in the max norm).

``--fits`` adds whole fits (``LossClassifier`` log_loss and squared_hinge,
``LossRegressor`` huber and squared_error, default settings) with
``COMPILED_PASSES`` True and False, interleaved, at 1 and 2 threads
(``threadpoolctl.threadpool_limits``), on X in the order of ``--fit-order``.
Needs the package only (its compiled module built). Results:
``benchmarks/results/kernels.md``, ``benchmarks/results/kernels_forder.md``.

Usage::

    python benchmarks/bench_kernels.py --repeat 7
    python benchmarks/bench_kernels.py --no-evals --fits --fit-repeat 3
    python benchmarks/bench_kernels.py --sizes 4e4x8 --repeat 1 --fits --quick
    python benchmarks/bench_kernels.py --orders F --no-evals --fits --fit-order F
"""

import argparse
import contextlib
import os
import statistics
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from _common import environment_header, markdown_table, parse_sizes  # noqa: E402

import sklloss.linear_model._objective as _objective  # noqa: E402
from sklloss.linear_model import LossClassifier, LossRegressor  # noqa: E402
from sklloss.linear_model._threads import limit_blas  # noqa: E402
from sklloss.losses import get_loss  # noqa: E402

LOSSES = ("log_loss", "huber", "squared_error", "squared_hinge", "poisson")
# whole fits only (a softmax objective has K outputs): log_loss on 3 classes
FIT_LOSSES = (*LOSSES, "multinomial")
CLASSIFIERS = ("log_loss", "squared_hinge")
# (COMPILED_PASSES, FUSED_PASSES) of each configuration
CONFIGS = {"compiled": (True, True), "numpy": (False, True), "two": (False, False)}
# Seconds to wait after a call at several BLAS threads: OpenBLAS's idle
# threads spin for a while after a parallel call, and that CPU time would be
# charged to whatever is timed next (process_time counts every thread).
SETTLE = 0.2


@contextlib.contextmanager
def flags(compiled, fused=True):
    """Set the objective module's pass switches for the block, then restore."""
    old = _objective.COMPILED_PASSES, _objective.FUSED_PASSES
    _objective.COMPILED_PASSES, _objective.FUSED_PASSES = compiled, fused
    try:
        yield
    finally:
        _objective.COMPILED_PASSES, _objective.FUSED_PASSES = old


def make_data(n, p, loss_name, dtype=np.float64, seed=0):
    """Seeded X ~ N(0, 1) and a target the loss expects (0 / 1 or real)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)).astype(dtype)
    z = X.astype(np.float64) @ (rng.standard_normal(p) / np.sqrt(p))
    if loss_name in CLASSIFIERS:
        y = (rng.random(n) < 1 / (1 + np.exp(-2 * z))).astype(np.float64)
    elif loss_name == "multinomial":
        y = np.digitize(z + rng.logistic(size=n) / 2, [-0.4, 0.4]).astype(np.float64)
    elif loss_name == "poisson":
        y = rng.poisson(np.exp(0.5 * z)).astype(np.float64)
    else:
        y = z + rng.standard_t(2, n)
    return X, y


def make_tfidf_data(n, p, loss_name, dtype=np.float64):
    """A TF-IDF-like CSR X (``bench_sparse.make_tfidf``) and a target."""
    from bench_sparse import make_tfidf

    X, y_class, y_reg = make_tfidf(n, p, nnz_row=10, seed=0)
    if loss_name in CLASSIFIERS:
        y = y_class
    elif loss_name == "poisson":
        y = np.floor(np.abs(y_reg))
    else:
        y = y_reg
    return X.astype(dtype), y


def path_of(obj, config):
    """Name of the pass ``obj`` runs under ``config`` (with worker count)."""
    with flags(*CONFIGS[config]):
        workers = obj._fused_workers()
        kernel = obj._kernel()
    if not workers:
        return "two-product"
    return f"{'compiled' if kernel is not None else 'numpy fused'} x{workers}"


def evaluate(obj, config, W, B):
    """``obj._data_loss_gradient(W, B)`` under the switches of ``config``."""
    with flags(*CONFIGS[config]):
        return obj._data_loss_gradient(W, B)


def check(objs, W, B):
    """The compiled result equals the NumPy ones, at every thread count."""
    for t, obj in objs.items():
        ref = evaluate(obj, "compiled", W, B)
        for config in ("numpy", "two"):
            value, grad_W, grad_b = evaluate(obj, config, W, B)
            where = f"t{t} compiled vs {config}"
            if abs(value - ref[0]) > 1e-10 * abs(value):
                raise AssertionError(f"{where}: value {ref[0]!r} != {value!r}")
            g, r = np.append(grad_W, grad_b), np.append(ref[1], ref[2])
            if np.max(np.abs(g - r)) > 1e-8 * np.max(np.abs(g)):
                raise AssertionError(f"{where}: gradients differ")


def timed(run):
    """(CPU, wall) seconds of ``run()``."""
    c, t = time.process_time(), time.perf_counter()
    run()
    return time.process_time() - c, time.perf_counter() - t


def time_case(X, y, loss_name, threads, repeat, X_c=None):
    """Medians ``{key: (cpu, wall)}`` of interleaved repeats, and the paths.

    ``X_c``: the C-ordered copy of an F-ordered ``X``, whose compiled pass
    is timed too (key ``(t, "C order")``).
    """

    def objectives(X):
        base = _objective.LinearObjective(X, y, np.ones(len(y)), get_loss(loss_name))
        return {t: base.configured(keep_raw=False, n_threads=t) for t in threads}

    objs = objectives(X)
    rng = np.random.default_rng(1)
    W, B = rng.standard_normal((1, X.shape[1])) * 0.1, np.array([0.1])
    check(objs, W, B)
    w = W[0].astype(X.dtype)
    groups = {0: {"floor": lambda: X @ w}}  # BLAS threads -> {key: run}
    paths = {}
    for t, obj in objs.items():
        runs, paths_t = distinct_runs(obj, t, W, B)
        groups[t] = runs
        paths.update(paths_t)
    if X_c is not None:
        for t, obj in objectives(X_c).items():
            groups[t][(t, "C order")] = lambda o=obj: evaluate(o, "compiled", W, B)
    return interleaved_medians(groups, repeat), paths


def distinct_runs(obj, t, W, B):
    """One run per distinct path of ``obj`` at ``t`` threads, and every
    configuration's ``(path name, key of the run that times it)``."""
    runs, paths, seen = {}, {}, {}
    for config in CONFIGS:
        path = path_of(obj, config)
        if path not in seen:
            seen[path] = (t, config)
            runs[(t, config)] = lambda c=config: evaluate(obj, c, W, B)
        paths[(t, config)] = (path, seen[path])
    return runs, paths


def interleaved_medians(groups, repeat):
    """Median (CPU, wall) of each run, the runs interleaved, one warm-up round."""
    samples = {key: [] for runs in groups.values() for key in runs}
    for rep in range(repeat + 1):
        for t, runs in groups.items():
            with limit_blas(max(t, 1)):  # the two-product pass's BLAS threads
                for key, run in runs.items():
                    sample = timed(run)
                    if t > 1:
                        time.sleep(SETTLE)
                    if rep:
                        samples[key].append(sample)
    return {
        key: tuple(statistics.median(s[i] for s in vals) for i in (0, 1))
        for key, vals in samples.items()
    }


def ms(pair):
    return f"{pair[0] * 1e3:.1f} / {pair[1] * 1e3:.1f}"


def ratio(a, b):
    return f"{a[0] / b[0]:.2f} / {a[1] / b[1]:.2f}"


def eval_rows(label, order, med, paths, threads):
    rows = []
    floor = med["floor"]
    for t in threads:
        cell = {c: med[paths[(t, c)][1]] for c in CONFIGS}
        path = paths[(t, "numpy")][0]
        if paths[(t, "compiled")][0] == "two-product":
            path = "all: two-product"
        rows.append(
            [label, order, t, path, ms(floor)]
            + [ms(cell[c]) for c in CONFIGS]
            + [
                ratio(cell["numpy"], cell["compiled"]),
                ratio(cell["two"], cell["compiled"]),
                ratio(cell["compiled"], floor),
            ]
            + [ratio(cell["compiled"], med[(t, "C order")]) if order == "F" else "-"]
        )
    return rows


EVAL_HEADER = [
    "loss",
    "order",
    "threads",
    "numpy path",
    "floor",
    "compiled",
    "numpy",
    "two-product",
    "numpy / compiled",
    "two-product / compiled",
    "compiled / floor",
    "F / C compiled",
]


def run_evals(args):
    threads = tuple(int(t) for t in args.threads.split(","))
    for n, p in parse_sizes(args.sizes):
        for dtype in args.dtypes.split(","):
            rows, loads = [], []
            for loss_name in args.losses.split(","):
                orders = args.orders.split(",")
                if orders != ["csr"]:  # no dense X of a CSR-only run's size
                    X, y = make_data(n, p, loss_name, np.dtype(dtype))
                for order in orders:
                    X_c = None
                    if order == "csr":
                        XX, y = make_tfidf_data(n, p, loss_name, np.dtype(dtype))
                    else:
                        XX = X if order == "C" else np.asfortranarray(X)
                        X_c = None if order == "C" else X
                    med, paths = time_case(XX, y, loss_name, threads, args.repeat, X_c)
                    rows += eval_rows(loss_name, order, med, paths, threads)
                    loads.append(os.getloadavg()[0])
                    del XX
            print(
                f"\n### {n}x{p} {dtype}: ms per evaluation, CPU / wall "
                f"(load {min(loads):.1f}-{max(loads):.1f})\n"
            )
            print(markdown_table(EVAL_HEADER, rows), flush=True)


# ---------------------------------------------------------------- fits
def fit_once(loss_name, X, y, compiled, t):
    if loss_name == "multinomial":
        est = LossClassifier(loss="log_loss")
    else:
        cls = LossClassifier if loss_name in CLASSIFIERS else LossRegressor
        est = cls(loss=loss_name)
    with flags(compiled), threadpool_limits(limits=t, user_api="blas"):
        cpu, wall = timed(lambda: est.fit(X, y))
    time.sleep(SETTLE)
    return cpu, wall, est


def fit_rows(loss_name, X, y, threads, repeat):
    samples, ests = {}, {}
    for rep in range(repeat + 1):  # the first round warms up
        for t in threads:
            for compiled in (True, False):
                cpu, wall, est = fit_once(loss_name, X, y, compiled, t)
                ests[(t, compiled)] = est
                if rep:
                    samples.setdefault((t, compiled), []).append((cpu, wall))
    rows = []
    for t in threads:
        med = {
            c: tuple(statistics.median(s[i] for s in samples[(t, c)]) for i in (0, 1))
            for c in (True, False)
        }
        on, off = ests[(t, True)], ests[(t, False)]
        diff = np.max(np.abs(on.coef_ - off.coef_)) / max(np.max(np.abs(off.coef_)), 1)
        rows.append(
            [loss_name, t, on.solver_, f"{on.n_evals_} / {off.n_evals_}"]
            + [ms(med[True]), ms(med[False]), ratio(med[False], med[True])]
            + [f"{diff:.1e}"]
        )
    return rows


FIT_HEADER = [
    "loss",
    "threads",
    "solver_",
    "n_evals_ (on / off)",
    "compiled on",
    "compiled off",
    "off / on",
    "max coef diff (rel)",
]


def run_fits(args):
    threads = tuple(int(t) for t in args.threads.split(","))
    (n, p), rows, loads = parse_sizes(args.fit_size)[0], [], []
    for loss_name in args.fit_losses.split(","):
        X, y = make_data(n, p, loss_name, seed=2)
        X = np.asarray(X, order=args.fit_order)
        rows += fit_rows(loss_name, X, y, threads, args.fit_repeat)
        loads.append(os.getloadavg()[0])
    print(
        f"\n### Whole fits {n}x{p} float64 {args.fit_order}, default settings: "
        f"ms per fit, CPU / wall (load {min(loads):.1f}-{max(loads):.1f})\n"
    )
    print(markdown_table(FIT_HEADER, rows), flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e5x100,1e6x20")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--losses", default=",".join(LOSSES))
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument("--orders", default="C,F", help="comma list of C, F, csr")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--no-evals", action="store_true", help="skip the evaluations")
    ap.add_argument("--fits", action="store_true", help="also time whole fits")
    ap.add_argument("--fit-size", default="1e5x100")
    ap.add_argument("--fit-losses", default=",".join(FIT_LOSSES))
    ap.add_argument("--fit-repeat", type=int, default=3)
    ap.add_argument("--fit-order", choices=("C", "F"), default="C")
    ap.add_argument(
        "--quick", action="store_true", help="small fits (4e4x8, one repeat)"
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.fit_size, args.fit_repeat = "4e4x8", 1
    return args


def main(argv=None):
    args = parse_args(argv)
    print(environment_header("Compiled kernels (bench_kernels.py)", argv))
    if not args.no_evals:
        run_evals(args)
    if args.fits:
        run_fits(args)


if __name__ == "__main__":
    main()
