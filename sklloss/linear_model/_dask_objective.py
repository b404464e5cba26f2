"""The objective of a dask fit: the in-memory code mapped over row blocks.

Part of the dask backend (:mod:`._dask`). :class:`_DaskObjective` is a
:class:`~sklloss.linear_model._objective.LinearObjective` whose data methods
(loss and gradient, Hessian-vector product, dense Hessian) run the in-memory
implementation on every persisted row block and add up the partial sums;
sample weights are normalised by their global sum, so the partial sums add
up exactly.

An evaluation is cheap to dispatch and to run on a block:

* **One task per worker** on a distributed cluster: the blocks are grouped
  by the worker that holds them (``client.who_has``, once per data set), and
  each evaluation submits one task per worker (``client.submit``, no graph
  built) that loops over that worker's blocks, where they already are.
  Without a distributed client (the threaded or synchronous scheduler) it
  is one delayed task per block.
* **Per-block state kept where the block lives**: a block's in-memory
  objective (its targets, normalised weights and the loss's target cache)
  is built on its first evaluation and kept by the :class:`_BlockSpec`
  object, which the cluster holds once per worker (scattered) for the
  lifetime of the objective; every later evaluation is the fused pass of
  :class:`LinearObjective` on the block (X read once) and nothing else.
* **Deterministic sums**: every block returns its own partial sums and the
  client adds them in block order, so the result does not depend on which
  worker holds which block, nor on the scheduler (the distributed and the
  local path give bitwise-equal values).
"""

import threading
import uuid

import dask
import dask.array as da
import numpy as np

from ._classifier import encode_target
from ._objective import LinearObjective, stats_blocks

__all__ = ["_BlockSpec", "_DaskObjective"]


class _BlockSpec:
    """What a block needs besides its data: the loss and the target encoding.

    ``target`` is ``("regression", scale)``, ``("binary", ls)``, ``("softmax", K,
    ls)`` or ``("ovr", k, ls)``, applied to the block of ``y`` (class codes
    for the classifier) exactly as the in-memory estimators build their
    targets. The spec also keeps the block objectives it has built (by block
    index), in the process where the blocks live; a pickled copy starts
    empty.
    """

    def __init__(self, loss, target, *, K, softmax, fit_intercept, sw_sum):
        self.loss = loss
        self.target = target
        self.K = K
        self.softmax = softmax
        self.fit_intercept = fit_intercept
        self.sw_sum = sw_sum
        self._fresh()

    def _fresh(self):
        # (a new identity: a copy with other weights never reads this cache)
        self.token = uuid.uuid4().hex
        self._blocks = {}
        self._lock = threading.Lock()

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_blocks"], state["_lock"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._blocks = {}
        self._lock = threading.Lock()

    def __dask_tokenize__(self):
        return self.token

    def with_sw_sum(self, sw_sum):
        """This spec with another weight total (a row sample), own cache.

        Parameters
        ----------
        sw_sum : float
            The total weight of the sample's rows.

        Returns
        -------
        _BlockSpec
            A new spec (the same loss and target encoding).
        """
        return _BlockSpec(
            self.loss,
            self.target,
            K=self.K,
            softmax=self.softmax,
            fit_intercept=self.fit_intercept,
            sw_sum=sw_sum,
        )

    def targets(self, yb):
        if self.target[0] == "regression":  # ("regression", scale): in its units
            return yb.astype(np.float64, copy=False) / self.target[1]
        return encode_target(self.target, yb)

    def block(self, i, Xb, yb, swb):
        """The in-memory objective of block ``i``, built on first use and kept.

        Parameters
        ----------
        i : int
            The block's index (the key of the cache).
        Xb, yb, swb : ndarray or None
            The block's rows, targets (or class codes) and weights.

        Returns
        -------
        LinearObjective
            The block's objective, weights normalised by the global sum.
        """
        obj = self._blocks.get(i)
        if obj is None:
            obj = _block_objective(self, Xb, yb, swb)
            with self._lock:
                obj = self._blocks.setdefault(i, obj)
        return obj


class _BlockObjective(LinearObjective):
    """The in-memory objective on one row block, weights normalised globally.

    Built through :class:`LinearObjective`'s own constructor, so a block's
    loss, gradient and Hessian are computed by exactly the in-memory code.
    The column statistics are not needed on a block and are skipped.
    """

    def _column_stats(self):
        return None, None


def _block_objective(spec, Xb, yb, swb):
    Xb = np.asarray(Xb)
    if Xb.dtype not in (np.float32, np.float64):  # pragma: no cover - safety
        Xb = Xb.astype(np.float64)
    sw = np.ones(len(Xb)) if swb is None else np.asarray(swb, dtype=np.float64)
    obj = _BlockObjective(
        Xb,
        spec.targets(yb),
        # (a block's weights may all be zero: the constructor must not divide
        # by their sum; the global normalisation is set below in any case)
        sw if swb is None or np.any(sw > 0) else np.ones(len(Xb)),
        spec.loss,
        n_outputs=spec.K,
        softmax=spec.softmax,
        fit_intercept=spec.fit_intercept,
        # one thread per block: blocks run in parallel (tasks, workers), and
        # a block's sums do not depend on a thread count
        n_threads=1,
    )
    # Normalise by the sum over ALL blocks: partial sums then add up exactly.
    obj.sample_weight_raw = sw
    obj.sample_weight = sw / spec.sw_sum
    return obj


def _block_call(spec, call, i, Xb, yb, swb):
    """One data method on block ``i``; ``call`` is ``(method, keep_raw, args)``."""
    method, keep_raw, args = call
    obj = spec.block(i, Xb, yb, swb)
    # the solver's choice: keep the raw prediction for a Hessian at the
    # same point (Newton), or drop it and take the fused pass (X read once)
    obj.keep_raw = keep_raw
    return getattr(obj, method)(*args)


def _add(parts):
    """Element-wise sum of partial results (floats, arrays or tuples of them).

    Added left to right in the order given (block order): the same value
    whatever the scheduler and wherever the blocks are.
    """
    first = parts[0]
    if isinstance(first, tuple):
        return tuple(_add(items) for items in zip(*parts, strict=True))
    total = first
    for p in parts[1:]:
        total = total + p
    return total


class _DaskObjective(LinearObjective):
    """:class:`LinearObjective` whose data methods run over persisted row blocks.

    Everything that does not touch X (packing, standardisation, penalty, L1
    split) is inherited unchanged; ``X``, ``y`` and ``sample_weight`` are lazy
    dask arrays used only for their shape and by the estimators' start-point
    formulas.
    """

    in_memory = False  # no column slices, no exact (interior-point) solver

    def __init__(
        self, data, spec, *, alpha, l1_ratio, column_stats=None, n_threads=None
    ):
        self._data = data
        self._spec = spec
        # the spec's future on a cluster, shared by the solvers' configured copies
        self._remote = {}
        y = data.y.map_blocks(
            spec.targets,
            dtype=np.float64,
            **(
                {"new_axis": 1, "chunks": (data.y.chunks[0], (spec.K,))}
                if spec.target[0] == "softmax" and spec.target[2]
                else {}
            ),
        )
        super().__init__(
            data.X,
            y,
            np.ones(1),  # placeholder; replaced by the lazy weights below
            spec.loss,
            n_outputs=spec.K,
            softmax=spec.softmax,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=spec.fit_intercept,
            column_stats=column_stats,
            n_threads=n_threads,
        )
        self.sample_weight = data.normalised_weights()
        self.sample_weight_raw = data.sw

    def _map_reduce(self, method, *args):
        """``method`` of every block's objective, partial sums added in block order."""
        call = (method, self.keep_raw, args)
        return _add(self._data.map(_block_call, self._remote_spec(), call))

    def _remote_spec(self):
        """The spec where the blocks are: on a cluster, held once by each worker.

        Scattered once per objective, so that each worker keeps one spec, and
        with it its blocks' objectives, for all evaluations.
        """
        groups = self._data.worker_groups()
        if groups is None:
            return self._spec
        remote = self._remote.get("spec")
        if remote is None:
            workers = [w for w, _, _ in groups if w is not None] or None
            remote = self._data.client.scatter(
                self._spec, workers=workers, broadcast=True, hash=False
            )
            self._remote["spec"] = remote
        return remote

    def _column_stats(self):
        """The in-memory statistics, on the rows the in-memory code would use.

        Above ``_STATS_ROWS`` rows, :class:`LinearObjective` estimates the
        preconditioner on the contiguous row blocks of
        :func:`~._objective.stats_blocks`; those few rows are brought to the
        client and handed to its own ``_column_stats``, so the dask fit runs
        in exactly the same coordinates.
        """
        d = self._data
        blocks = stats_blocks(d.n_samples)
        Xs = da.concatenate([d.X[lo:hi] for lo, hi in blocks])
        sw = d.sw
        if sw is not None:
            sw = da.concatenate([sw[lo:hi] for lo, hi in blocks])
        Xs, ss = dask.compute(Xs, sw)
        ss = np.ones(len(Xs)) if ss is None or not np.any(ss > 0) else ss
        local = LinearObjective(
            np.asarray(Xs, dtype=np.float64),
            np.zeros(len(Xs)),
            ss,
            self._spec.loss,
            fit_intercept=self.fit_intercept,
        )
        return local.mean, local.scale

    def _every_nth_row(self, step, offset=0):
        """The same objective on the rows ``offset, offset + step, ...`` (persisted).

        What the estimators' subsample start of large fits solves first, and
        the Hessian sample of ``"sampled-newton"``; None when those rows'
        weights are all zero. The sample keeps this objective's coordinates.
        """
        sample = self._data.every_nth(step, offset)
        if not sample.sw_sum > 0:
            return None
        spec = self._spec.with_sw_sum(sample.sw_sum)
        return _DaskObjective(
            sample,
            spec,
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            column_stats=(self.mean, self.scale),
            n_threads=self.n_threads,
        )

    def _data_loss_gradient(self, W, b):
        return self._map_reduce("_data_loss_gradient", W, b)

    def _data_hessp(self, W, b, V, vb):
        return self._map_reduce("_data_hessp", W, b, V, vb)

    def _data_hessian(self, W, b):
        return self._map_reduce("_data_hessian", W, b)
