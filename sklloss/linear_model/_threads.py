"""BLAS thread control and the worker pool of the fused passes over X.

threadpoolctl is a dependency of scikit-learn, so it is always present. One
``ThreadpoolController`` is built per process (building one inspects every
loaded library and costs milliseconds).
"""

from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController

__all__ = ["controller", "blas_threads", "limit_blas", "pool"]

_CONTROLLER = []
_POOLS = {}


def controller():
    """The process's ThreadpoolController, built on first use.

    Returns
    -------
    threadpoolctl.ThreadpoolController
        The shared controller.
    """
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def blas_threads():
    """The largest BLAS thread count in effect now.

    Returns
    -------
    int
        The largest ``num_threads`` over the loaded BLAS libraries (1 when
        none reports a pool).
    """
    blas = controller().select(user_api="blas").lib_controllers
    return max((lib.num_threads for lib in blas), default=1)


def limit_blas(n_threads):
    """Limit every BLAS library to ``n_threads`` threads.

    Parameters
    ----------
    n_threads : int
        The limit.

    Returns
    -------
    threadpoolctl limiter
        A context manager; ``restore_original_limits()`` also ends it.
    """
    return controller().limit(limits=n_threads, user_api="blas")


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
    if n_workers not in _POOLS:
        _POOLS[n_workers] = ThreadPoolExecutor(
            max_workers=n_workers, thread_name_prefix="sklloss"
        )
    return _POOLS[n_workers]
