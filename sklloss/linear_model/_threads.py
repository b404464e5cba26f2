"""The thread policy of a fit: BLAS limits and the workers of the passes over X.

The policy, in one place:

* the solvers' own work (vectors of length p, small Cholesky factors) runs
  on one BLAS thread (:func:`limit_blas`, scoped to the solve);
* a pass over at least ``_THREADED_PASS`` entries of X gets the user's BLAS
  threads back for its products (:func:`threaded_passes`);
* the fused passes run in ``n_threads`` workers of our own, one BLAS thread
  each (:func:`pool`); while they run, everything between them stays on one
  BLAS thread (:func:`solve_limit`, decided by the fit plan);
* ``n_threads`` is the user's count (:func:`blas_threads`), read when the fit
  is planned.

threadpoolctl is a dependency of scikit-learn, so it is always present. One
``ThreadpoolController`` is built per process (building one inspects every
loaded library and costs milliseconds).

Why a limiter of our own. A fit runs most of its BLAS work on one thread
(OpenBLAS threads woken for small products keep spinning after the product
and slow the element-wise work that follows; ``benchmarks/bench_fit.py``
measures it), and OpenBLAS (pthreads)
keeps its thread count in one process-wide variable: there is no
thread-local limit to set. threadpoolctl's limiters each save the count they
see and restore it on exit; when fits overlap in threads, one saves the
other's "1" and restores it last, and the process is left on one thread. So
every limit of sklloss goes through one shared, lock-protected state:

* the user's thread counts are read once, when the first limit of any
  thread starts, and written back exactly once, when the last one ends --
  nothing outlives the fits;
* :func:`blas_threads` returns those user's counts while limits are active,
  so the number of pass workers of a fit never depends on another fit's
  limit (concurrent fits split their passes as sequential ones do);
* a request for more than one thread (passes over a large X) is granted
  only while a single thread holds limits; overlapping fits stay on one
  BLAS thread each, which is also what their cores can give them.

While a fit runs, another thread of the process does see BLAS at one
thread: OpenBLAS offers no way to avoid that short of not limiting at all.

Which thread writes. threadpoolctl >= 3.6 lets one live thread "control"
OpenBLAS and ignores the writes of every other thread: a limit set from the
main thread (any ``threadpool_limits`` there, ours or the user's) makes it
the controller for the life of the process, and a later restore from another
thread is ignored -- the process stays on one thread. Our writes therefore
bypass that arbitration where threadpoolctl has the unguarded setter (the
shared state above already keeps our fits from fighting), and run in a
short-lived thread of ours, started with the first limit and ended after the
restore: with the public setter alone it holds the control only while limits
are active, and a restore is never ignored.
"""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

from scipy import sparse
from threadpoolctl import ThreadpoolController

__all__ = [
    "controller",
    "blas_threads",
    "limit_blas",
    "pool",
    "solve_limit",
    "threaded_passes",
]

_CONTROLLER = []
_POOLS = {}
_POOLS_LOCK = threading.Lock()

# The shared limit state (guarded by _LOCK): per thread id, the stack of
# thread counts that thread asked for; the user's counts per library while
# any stack is non-empty; the counts last written.
_LOCK = threading.RLock()
_REQUESTS = {}
_ORIGINAL = []
_APPLIED = []
_WRITER = []  # the one-thread executor that writes the counts, while active


def controller():
    """The process's ThreadpoolController, built on first use.

    Returns
    -------
    threadpoolctl.ThreadpoolController
        The shared controller.
    """
    with _LOCK:
        if not _CONTROLLER:
            _CONTROLLER.append(ThreadpoolController())
        return _CONTROLLER[0]


def _blas_libs():
    return controller().select(user_api="blas").lib_controllers


def blas_threads():
    """The user's largest BLAS thread count (not one of our own limits).

    Returns
    -------
    int
        The largest ``num_threads`` over the loaded BLAS libraries as the
        user set it (1 when none reports a pool). While sklloss limits are
        active in any thread, the counts in effect before the first of them.
    """
    with _LOCK:
        counts = _ORIGINAL or [lib.get_num_threads() for lib in _blas_libs()]
        return max((c for c in counts if c is not None), default=1)


def _wanted():
    """Thread counts per library for the current requests (None: the user's)."""
    active = [stack[-1] for stack in _REQUESTS.values() if stack]
    if not active:
        return None
    if len(active) == 1 and active[0] > 1:
        return [min(active[0], c) if c else c for c in _ORIGINAL]
    return [1 if c else c for c in _ORIGINAL]


def _write(libs, counts):
    for lib, n in zip(libs, counts, strict=True):
        if n is not None:
            getattr(lib, "_real_set_num_threads", lib.set_num_threads)(n)


def _apply():
    """Write the counts the requests want (in the writer thread); end it last."""
    wanted = _wanted()
    done = wanted is None
    if done:
        wanted = list(_ORIGINAL)
    if wanted != _APPLIED:
        if not _WRITER:
            _WRITER.append(
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="sklloss-blas")
            )
        _WRITER[0].submit(_write, _blas_libs(), wanted).result()
        _APPLIED[:] = wanted
    if done:
        _ORIGINAL.clear()
        _APPLIED.clear()
        if _WRITER:
            _WRITER.pop().shutdown(wait=True)  # the thread ends: control released


class _Limit:
    """One request of ``n_threads``; in effect from construction to the end.

    A context manager; ``restore_original_limits()`` also ends it (once).
    """

    def __init__(self, n_threads):
        self._key = threading.get_ident()
        with _LOCK:
            if not any(_REQUESTS.values()):
                _ORIGINAL[:] = [lib.get_num_threads() for lib in _blas_libs()]
                _APPLIED[:] = _ORIGINAL
            _REQUESTS.setdefault(self._key, []).append(int(n_threads))
            self._active = True
            _apply()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.restore_original_limits()
        return False

    def restore_original_limits(self):
        """End this request; the user's counts return with the last one."""
        with _LOCK:
            if not self._active:
                return
            self._active = False
            stack = _REQUESTS[self._key]
            stack.pop()
            if not stack:
                del _REQUESTS[self._key]
            _apply()


def limit_blas(n_threads):
    """Ask for ``n_threads`` BLAS threads until the returned object ends.

    Parameters
    ----------
    n_threads : int
        The thread count wanted; a count above one is granted only while no
        other thread holds a limit (see the module docstring).

    Returns
    -------
    context manager
        In effect from the call; leaving the ``with`` block or calling its
        ``restore_original_limits()`` ends it.
    """
    return _Limit(n_threads)


def pool(n_workers):
    """A process-wide thread pool of ``n_workers`` (kept for reuse).

    Parameters
    ----------
    n_workers : int
        Number of worker threads.

    Returns
    -------
    concurrent.futures.ThreadPoolExecutor
        The pool, created on first use.
    """
    with _POOLS_LOCK:
        if n_workers not in _POOLS:
            _POOLS[n_workers] = ThreadPoolExecutor(
                max_workers=n_workers, thread_name_prefix="sklloss"
            )
        return _POOLS[n_workers]


# Passes over at least this many entries of X (n * p * K) get all threads.
_THREADED_PASS = 1_000_000


def solve_limit(one_thread):
    """The scope of a solve: one BLAS thread if ``one_thread``, else nothing.

    Parameters
    ----------
    one_thread : bool
        Whether the solve runs under a one-thread limit (the fit plan's
        ``one_thread_solve``).

    Returns
    -------
    context manager
        :func:`limit_blas` ``(1)`` or a no-op.
    """
    return limit_blas(1) if one_thread else contextlib.nullcontext()


class _ThreadedPasses:
    """An objective whose evaluations run with ``n_threads`` BLAS threads.

    Wraps the solver-facing methods (``loss_gradient``, ``hessp``,
    ``hessian``) of an objective in a limit of ``n_threads``; every other
    attribute is the objective's.
    """

    _THREADED = ("loss_gradient", "hessp", "hessian")

    def __init__(self, objective, n_threads):
        self._objective = objective
        self._n_threads = n_threads

    def __getattr__(self, name):
        attr = getattr(self._objective, name)
        if name not in self._THREADED:
            return attr
        n_threads = self._n_threads

        def threaded(*args, **kwargs):
            with limit_blas(n_threads):
                return attr(*args, **kwargs)

        return threaded


def threaded_passes(objective, n_threads):
    """``objective`` with its passes on ``n_threads`` threads, if X is large.

    The optimizer's own work is on vectors of length p (L-BFGS-B's C code,
    Cholesky of a small matrix), and OpenBLAS threads woken for it cost more
    than the work: the solve runs on one BLAS thread. Passes over a large X
    (memory-bound products gain from a second thread: benchmarks/bench_fit.py)
    get the user's threads back. A sparse X's passes call no BLAS over X
    (the compiled CSR sweeps have their own workers, scipy's products are
    single-threaded): they stay on one BLAS thread, whose vectors of length
    p would otherwise wake OpenBLAS's threads to spin.

    Parameters
    ----------
    objective : LinearObjective
        The (possibly wrapped) objective.
    n_threads : int
        The user's BLAS threads.

    Returns
    -------
    object
        ``objective`` itself, or a wrapper whose passes run on ``n_threads``.
    """
    X = objective.X
    if sparse.issparse(X):
        return objective
    if n_threads > 1 and X.shape[0] * X.shape[1] * objective.K >= _THREADED_PASS:
        return _ThreadedPasses(objective, n_threads)
    return objective
