"""Count the reads of X a fit makes, by phase (a spy, not sklloss's own counters).

After ``validate_data`` the estimator's X is replaced by a view of type
:class:`_SpiedX`, an ndarray subclass whose every NumPy operation (ufuncs such
as ``@`` and reductions, array functions such as ``copyto`` and ``einsum``,
copies through ``np.ascontiguousarray`` / ``np.asarray`` / ``astype``) adds
the bytes it reads, in units of X (a strided tenth counts 0.1). An operation
on the region of X the same thread read last, when that region fits in cache
(<= 2 MB, a fused block), is not counted again: a fused pass multiplies a
block twice while it is in cache and reads memory once. Copies of X larger
than that made by the fit (row samples) stay spied, their reads counted in
units of X as well.

Inside ``validate_data`` (whose ``check_array`` strips any subclass) the
finiteness check of scikit-learn is counted: one read per call on X.

A compiled kernel that reads X through the buffer protocol is invisible to
the spy; a spied X is not a plain ndarray, so the objective takes its NumPy
blocks instead (one read per fused evaluation, as the compiled sweep).

Each read is filed under the stack of fit phases active when it happened
(functions of sklloss wrapped by name: validation, column statistics,
starts, solver runs, the objective's evaluations, the final check, the
separation certificate, the residuals). The wrapped names are those of the
current code; a read outside every phase is filed under "other", so a phase
added later is still counted.

Run as a script it prints the table of ``benchmarks/results/reads.md``::

    python tests/x_reads.py --sizes 1e5x100 --data default,informative
"""

import argparse
import contextlib
import functools
import os
import sys
import threading
from collections import defaultdict

import numpy as np

_CACHE_BYTES = 2**21  # a fused block (_objective._FUSED_BLOCK_BYTES)


class _Spy:
    """The reads of one fit, by phase stack."""

    def __init__(self):
        self.reads = defaultdict(float)
        self.calls = defaultdict(int)
        self.stack = []
        self._last = threading.local()
        self._lock = threading.Lock()

    @property
    def phase(self):
        return " > ".join(self.stack) if self.stack else "other"

    def read(self, arr, full_bytes):
        if arr.size == 0:
            return
        # a block and its transpose are the same bytes (X_b.T @ X_b reads once)
        key = (
            arr.__array_interface__["data"][0],
            tuple(sorted(zip(arr.shape, arr.strides, strict=True))),
        )
        nbytes = arr.size * arr.itemsize
        if getattr(self._last, "key", None) == key and nbytes <= _CACHE_BYTES:
            return  # still in cache: a fused pass's second product of a block
        self._last.key = key
        with self._lock:
            self.reads[self.phase] += nbytes / full_bytes

    def total(self):
        return sum(self.reads.values())

    @contextlib.contextmanager
    def entered(self, label):
        self.stack.append(label)
        self.calls[self.phase] += 1
        try:
            yield
        finally:
            self.stack.pop()


class _SpiedX(np.ndarray):
    """X, or a view or copy of it, whose reads are filed with a spy."""

    def __array_finalize__(self, obj):
        self._spy = getattr(obj, "_spy", None)
        self._full = getattr(obj, "_full", None)

    def _note(self):
        if self._spy is not None:
            self._spy.read(self, self._full)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        inputs = tuple(_plain(x) for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(_plain(x, note=False) for x in kwargs["out"])
        return getattr(ufunc, method)(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        args = tuple(_plain_tree(a) for a in args)
        kwargs = {k: _plain_tree(v) for k, v in kwargs.items()}
        return func(*args, **kwargs)

    def astype(self, *args, **kwargs):
        self._note()
        return _spied_like(
            np.ndarray.astype(self.view(np.ndarray), *args, **kwargs), self
        )

    def copy(self, *args, **kwargs):
        self._note()
        return _spied_like(
            np.ndarray.copy(self.view(np.ndarray), *args, **kwargs), self
        )

    def dot(self, other, *args):
        self._note()
        return np.ndarray.dot(self.view(np.ndarray), _plain(other), *args)


def _plain(x, note=True):
    if isinstance(x, _SpiedX):
        if note:
            x._note()
        return x.view(np.ndarray)
    return x


def _plain_tree(x):
    if isinstance(x, list | tuple):
        return type(x)(_plain(v) for v in x)
    return _plain(x)


def _spied_like(arr, parent):
    """A copy of (part of) X: spied if larger than a cache, as X itself is."""
    if not isinstance(arr, np.ndarray) or arr.ndim != 2:
        return arr
    if arr.nbytes <= _CACHE_BYTES and not np.may_share_memory(arr, parent):
        return arr  # a block copied into cache: reading it is no read of X
    out = arr.view(_SpiedX)
    out._spy, out._full = parent._spy, parent._full
    return out


def spied(X, spy):
    """A view of ``X`` whose reads ``spy`` counts (in units of ``X.nbytes``)."""
    out = np.asarray(X).view(_SpiedX)
    out._spy, out._full = spy, X.nbytes
    return out


def _copying(original):
    @functools.wraps(original)
    def wrapper(a, *args, **kwargs):
        if not isinstance(a, _SpiedX):
            return original(a, *args, **kwargs)
        plain = a.view(np.ndarray)
        out = original(plain, *args, **kwargs)
        if isinstance(out, np.ndarray) and not np.may_share_memory(out, plain):
            a._note()  # a copy reads the source
        return _spied_like(out, a)

    return wrapper


# (module, attribute, phase label): the fit's phases in the current code
_PHASES = [
    ("sklloss.linear_model._regressor", "check_representable", "validation"),
    ("sklloss.linear_model._objective", "LinearObjective._column_stats", "stats"),
    ("sklloss.linear_model._run", "_subsample_start", "subsample start"),
    ("sklloss.linear_model._run", "_hessian_rows", "hessian rows"),
    ("sklloss.linear_model._run", "_check_gradient", "gradient check"),
    ("sklloss.linear_model._run", "_robust_start_point", "robust start"),
    ("sklloss.linear_model._run", "intercept_init", "intercept start"),
    ("sklloss.linear_model._run", "run_solver", "solve"),
    ("sklloss.linear_model._direct", "_gram_pass", "gram"),
    ("sklloss.linear_model._solvers", "_newton_finish", "final check"),
    ("sklloss.linear_model._objective", "LinearObjective.loss_gradient", "eval"),
    ("sklloss.linear_model._objective", "LinearObjective.hessp", "hessp"),
    ("sklloss.linear_model._objective", "LinearObjective.hessian", "hessian"),
    ("sklloss.linear_model._classifier", "_warn_if_separable", "separation"),
    ("sklloss.linear_model._regressor", "_InMemoryPlan.residuals", "residuals"),
    ("sklloss.linear_model._regressor", "_InMemoryPlan.interpolates", "interpolates"),
]


def _resolve(module, dotted):
    owner = sys.modules.get(module) or __import__(module, fromlist=["_"])
    *path, name = dotted.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, name


def _phase_wrapper(spy, original, label):
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        with spy.entered(label):
            return original(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def counting(spy):
    """Install the spy: phases, the X swap after validation, numpy copies.

    Everything is restored on exit. Fits inside the block are counted in
    ``spy``.
    """
    import sklearn.utils.validation as skv

    from sklloss.linear_model import _classifier, _objective, _regressor

    patches = []

    def patch(owner, name, value):
        patches.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, value)

    for module, dotted, label in _PHASES:
        owner, name = _resolve(module, dotted)
        if name in owner.__dict__:
            patch(owner, name, _phase_wrapper(spy, owner.__dict__[name], label))
    original_validate = _regressor.validate_data

    def validate(est, X, y=None, **kwargs):
        with spy.entered("validation"):
            out = original_validate(est, X, y, **kwargs)
            Xv = out[0] if isinstance(out, tuple) else out
            if isinstance(Xv, np.ndarray) and Xv.ndim == 2:
                if not np.may_share_memory(Xv, np.asarray(X)):
                    spy.reads[spy.phase] += 1.0  # check_array copied X
                Xv = spied(Xv, spy)
        return (Xv, *out[1:]) if isinstance(out, tuple) else Xv

    original_finite = skv._assert_all_finite

    def finite(X, *args, **kwargs):
        if getattr(X, "ndim", 0) == 2 and spy.stack:
            spy.reads[spy.phase] += 1.0  # xp.sum(X): one read
        return original_finite(X, *args, **kwargs)

    patch(_regressor, "validate_data", validate)
    patch(_classifier, "validate_data", validate)
    patch(skv, "_assert_all_finite", finite)
    # _fused_workers requires type(X) is np.ndarray: ask it about the
    # plain view, so that the spied fit takes the path a plain one takes
    original_workers = _objective.LinearObjective._fused_workers

    def workers(self, keep_raw=None):
        if not isinstance(self.X, _SpiedX):
            return original_workers(self, keep_raw)
        spiedX = self.X
        self.X = spiedX.view(np.ndarray)
        try:
            return original_workers(self, keep_raw)
        finally:
            self.X = spiedX

    patch(_objective.LinearObjective, "_fused_workers", workers)
    for name in ("ascontiguousarray", "asfortranarray", "asarray", "array"):
        patch(np, name, _copying(getattr(np, name)))
    try:
        yield spy
    finally:
        for owner, name, value in reversed(patches):
            setattr(owner, name, value)


# --------------------------------------------------------------------------
# the table of benchmarks/results/reads.md
# --------------------------------------------------------------------------
_CASES = {
    "log_loss": "log_loss",
    "multinomial": "multinomial",
    "poisson": "poisson",
    "huber": "huber",
    "squared_error": "squared_error",
    "squared_hinge": "squared_hinge",
}

_GROUPS = [
    ("validation", lambda p: p.startswith("validation")),
    ("stats", lambda p: p.startswith("stats")),
    (
        "start",
        lambda p: (
            p.split(" > ")[0]
            in (
                "subsample start",
                "robust start",
                "intercept start",
                "gradient check",
                "hessian rows",
                "interpolates",
            )
        ),
    ),
    (
        "evals",
        lambda p: (
            p.startswith("solve") and "final check" not in p and p.endswith("eval")
        ),
    ),
    (
        "hessian",
        lambda p: (
            p.startswith("solve")
            and "final check" not in p
            and (p.endswith("hessp") or p.endswith("hessian"))
        ),
    ),
    ("final check", lambda p: "final check" in p),
    ("after", lambda p: p.split(" > ")[0] in ("separation", "residuals")),
]


def _group(phase):
    for name, match in _GROUPS:
        if match(phase):
            return name
    return "other"


def _fit_counted(case_name, n, p, data, seed=0):
    bench = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks")
    sys.path.insert(0, bench)
    import bench_fit

    case = bench_fit.build_cases()[case_name]
    ctx = bench_fit._make_ctx(case, n, p, seed, data)
    est = next(e for e in case.estimators if e.sklloss)
    ctx.params = bench_fit._public_params(ctx.params)
    spy = _Spy()
    with counting(spy):
        _, _, info = est.fit(ctx)
    return spy, info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(_CASES))
    parser.add_argument("--sizes", default="1e5x100")
    parser.add_argument("--data", default="default,informative")
    parser.add_argument("--detail", action="store_true", help="every phase stack")
    args = parser.parse_args(argv)
    cols = [g for g, _ in _GROUPS] + ["other"]
    print(
        "| case | data | n x p | solver: iters / evals | "
        + " | ".join(cols)
        + " | total reads |"
    )
    print("|" + " --- |" * (len(cols) + 5))
    for size in args.sizes.split(","):
        n, p = (int(float(v)) for v in size.split("x"))
        for data in args.data.split(","):
            for case in args.cases.split(","):
                spy, info = _fit_counted(case, n, p, data)
                by = defaultdict(float)
                for phase, r in spy.reads.items():
                    by[_group(phase)] += r
                cells = " | ".join(f"{by[c]:.2f}" for c in cols)
                print(
                    f"| {case} | {data} | {size} | {info} | {cells} | "
                    f"{spy.total():.2f} |",
                    flush=True,
                )
                if args.detail:
                    for phase, r in sorted(spy.reads.items()):
                        print(
                            f"|   | {phase} | {r:.3f} | calls "
                            f"{spy.calls.get(phase, 0)} |"
                        )


if __name__ == "__main__":
    main()
