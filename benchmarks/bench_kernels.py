"""Compiled fused kernels against the numpy fused pass and the bandwidth floor.

One evaluation of the data term of ``LinearObjective`` (binary log_loss and
huber): ``sum_i s_i loss(y_i, x_i . w + b)`` and its gradient. Timed:

* ``floor``: one ``X @ w`` with one BLAS thread, the time of one read of X;
* ``current``: ``LinearObjective._data_loss_gradient`` (the numpy fused pass,
  row blocks in cache, ``n_threads`` workers);
* ``cython``: the prototype ``_kernels_proto.pyx`` (built here, into a
  temporary directory, with the compiler flags of this Python, or
  ``-march=native`` with ``--native``), C and F order, nogil, one call per
  thread on disjoint row ranges;
* ``numba``: the same sweep in numba (``nogil=True``, the host's ISA), where
  numba is installed.

Both ``process_time`` (one thread: CPU time, robust on a loaded machine) and
wall time (one and two threads) are reported, as medians of interleaved
repeats, with the load average. Needs Cython (and optionally numba):
``pip install cython numba``. Results: ``benchmarks/results/kernels.md``.

Usage::

    python benchmarks/bench_kernels.py
    python benchmarks/bench_kernels.py --sizes 1e5x100 --repeat 3 --native
"""

import argparse
import atexit
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from sklloss.linear_model._objective import LinearObjective  # noqa: E402
from sklloss.linear_model._threads import limit_blas  # noqa: E402
from sklloss.losses import Huber, LogLoss  # noqa: E402

POOL = ThreadPoolExecutor(2)


def build_cython(native):
    """Compile ``_kernels_proto.pyx`` in a temporary directory; import it."""
    tmp = tempfile.mkdtemp(prefix="sklloss_kernels_")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    shutil.copy(os.path.join(HERE, "_kernels_proto.pyx"), tmp)
    env = dict(os.environ)
    if native:
        env["CFLAGS"] = env.get("CFLAGS", "") + " -march=native"
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "Cython.Build.Cythonize", "-i", "-3", "-q"]
        + ["_kernels_proto.pyx"],
        cwd=tmp,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    sys.path.insert(0, tmp)
    import _kernels_proto

    return _kernels_proto, seconds


def numba_kernels():
    """The same sweep in numba, or None without numba: ``{kind: rows}``."""
    try:
        import numba as nb
    except ImportError:
        return None

    @nb.njit(inline="always")
    def loss_grad(kind, delta, y, z):
        if kind == 0:
            t = math.exp(-abs(z))
            inv = 1.0 / (1.0 + t)
            if z >= 0:
                return math.log1p(t) + (z - y * z), ((1 - y) - y * t) * inv
            return math.log1p(t) - y * z, ((1 - y) * t - y) * inv
        r = z - y
        a = abs(r)
        q = min(a, delta)
        return q * (a - 0.5 * q), min(max(r, -delta), delta)

    @nb.njit(nogil=True)
    def rows(X, y, s, w, b, lo, hi, kind, delta, gw):
        value, gb, p = 0.0, 0.0, w.shape[0]
        for i in range(lo, hi):
            x = X[i]
            z0 = z1 = z2 = z3 = 0.0
            j = 0
            while j + 4 <= p:
                z0 += x[j] * w[j]
                z1 += x[j + 1] * w[j + 1]
                z2 += x[j + 2] * w[j + 2]
                z3 += x[j + 3] * w[j + 3]
                j += 4
            for k in range(j, p):
                z0 += x[k] * w[k]
            v, g = loss_grad(kind, delta, y[i], (z0 + z1) + (z2 + z3) + b)
            value += s[i] * v
            sg = s[i] * g
            gb += sg
            for k in range(p):
                gw[k] += sg * x[k]
        return value, gb

    def call(X, y, s, w, b, lo, hi, kind, param):
        gw = np.zeros(X.shape[1])
        value, gb = rows(X, y, s, w, b, lo, hi, kind, param, gw)
        return value, gw, gb

    return call


def make_case(n, p, dtype, loss_name, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)).astype(dtype)
    z = X.astype(np.float64) @ (rng.standard_normal(p) / np.sqrt(p))
    if loss_name == "log_loss":
        y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(np.float64)
        loss, kind, param = LogLoss(), 0, 0.0
    else:
        y = z + rng.standard_t(2, n)
        loss, kind, param = Huber(), 1, 1.0
    obj = LinearObjective(X, y, np.ones(n), loss)
    obj.keep_raw = False  # the first-order solvers' setting: fused passes on
    w = rng.standard_normal(p) * 0.1
    return X, y, obj, w, 0.1, kind, param


def split(kernel, X, y, s, w, b, kind, param, n_threads):
    """The kernel on ``n_threads`` disjoint row ranges, partial sums added."""
    n = X.shape[0]
    if n_threads == 1:
        return kernel(X, y, s, w, b, 0, n, kind, param)
    cuts = [n * t // n_threads for t in range(n_threads + 1)]
    futures = [
        POOL.submit(kernel, X, y, s, w, b, lo, hi, kind, param)
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)
    ]
    parts = [f.result() for f in futures]
    return tuple(sum(part[i] for part in parts) for i in range(3))


def methods(case, kernels):
    """``{name: (n_threads, callable)}`` for one case."""
    X, y, obj, w, b, kind, param = case
    s, W, B, wd = obj.sample_weight, w[None, :], np.array([b]), w.astype(X.dtype)
    XF = np.asfortranarray(X)

    def current(t):
        def run():
            obj.n_threads = t
            return obj._data_loss_gradient(W, B)

        return run

    out = {"floor X@w": (1, lambda: X @ wd)}
    for t in (1, 2):
        out[f"current t{t}"] = (t, current(t))
        for name, kernel in kernels.items():
            layouts = [("C", X), ("F", XF)] if name == "cython" else [("C", X)]
            for order, XX in layouts:
                args = (kernel, XX, y, s, w, b, kind, param, t)
                out[f"{name} {order} t{t}"] = (t, lambda args=args: split(*args))
    return out


def check(case, kernels):
    """Every kernel agrees with the generic path before it is timed."""
    X, y, obj, w, b, kind, param = case
    ref = obj._data_loss_gradient(w[None, :], np.array([b]))
    for name, kernel in kernels.items():
        for XX in (X, np.asfortranarray(X)) if name == "cython" else (X,):
            v, gw, gb = kernel(XX, y, obj.sample_weight, w, b, 0, len(y), kind, param)
            assert math.isclose(v, ref[0], rel_tol=1e-10), (name, v, ref[0])
            np.testing.assert_allclose(gw, ref[1][0], rtol=1e-8, atol=1e-12)
            assert math.isclose(gb, ref[2][0], rel_tol=1e-8, abs_tol=1e-12)


def time_case(case, kernels, repeat):
    check(case, kernels)
    meths = methods(case, kernels)
    wall = {k: [] for k in meths}
    cpu = {k: [] for k in meths}
    with limit_blas(1):
        for _, run in meths.values():  # warm-up: compiles, caches, pools
            run()
        for _ in range(repeat):
            for name, (_, run) in meths.items():
                c, t = time.process_time(), time.perf_counter()
                run()
                wall[name].append(time.perf_counter() - t)
                cpu[name].append(time.process_time() - c)
    med = statistics.median
    return {k: (med(wall[k]), med(cpu[k]), meths[k][0]) for k in meths}


def report(label, res, load):
    floor = res["floor X@w"][0]
    print(f"\n### {label} (load {load:.2f})\n")
    print(
        "| method | wall | current / this (wall) | CPU (t1) | current / this (CPU) "
        "| this / floor (wall) |"
    )
    print("|---|---|---|---|---|---|")
    for name, (wall, cpu, t) in res.items():
        cur_wall, cur_cpu, _ = res.get(f"current t{t}", res["current t1"])
        cpu_cells = f"{cpu * 1e3:.1f} ms | {cur_cpu / cpu:.2f}" if t == 1 else "- | -"
        print(
            f"| {name} | {wall * 1e3:.1f} ms | {cur_wall / wall:.2f} | {cpu_cells} "
            f"| {wall / floor:.2f} |"
        )
    sys.stdout.flush()


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1e5x100,1e6x20")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--native", action="store_true", help="-march=native for Cython")
    ap.add_argument("--no-numba", action="store_true")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    module, build_s = build_cython(args.native)
    kernels = {"cython": module.fused_rows}
    print(f"cython build (cythonize + compile): {build_s:.1f} s, native={args.native}")
    nb_kernel = None if args.no_numba else numba_kernels()
    if nb_kernel is not None:
        X, y, s, w = np.ones((8, 4)), np.zeros(8), np.ones(8), np.zeros(4)
        start = time.perf_counter()
        for dtype in (np.float64, np.float32):
            nb_kernel(X.astype(dtype), y, s, w, 0.0, 0, 8, 0, 0.0)
        seconds = time.perf_counter() - start
        print(f"numba first calls (compile, 2 dtypes): {seconds:.1f} s")
        kernels["numba"] = nb_kernel
    for size in args.sizes.split(","):
        n, p = (int(float(v)) for v in size.split("x"))
        for dtype in (np.float64, np.float32):
            for loss_name in ("log_loss", "huber"):
                case = make_case(n, p, dtype, loss_name)
                res = time_case(case, kernels, args.repeat)
                label = f"{loss_name} {n}x{p} {np.dtype(dtype).name}"
                report(label, res, os.getloadavg()[0])


if __name__ == "__main__":
    main()
