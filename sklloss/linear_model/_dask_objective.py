"""The objective of a dask fit: the in-memory code mapped over row blocks.

Part of the dask backend (:mod:`._dask`). :class:`_DaskObjective` is a
:class:`~sklloss.linear_model._objective.LinearObjective` whose data methods
(loss and gradient, Hessian-vector product, dense Hessian) run the in-memory
implementation on every persisted row block and add up the partial sums;
sample weights are normalised by their global sum, so the partial sums add
up exactly.
"""

import copy

import dask
import numpy as np

from ._classifier import encode_target
from ._dask_data import _Data
from ._objective import _STATS_ROWS, LinearObjective

__all__ = ["_BlockSpec", "_DaskObjective"]

# Partial results are added in groups of this many (a tree reduction), so that
# neither one task nor the client receives all blocks' partial sums at once.
_SPLIT_EVERY = 8


class _BlockSpec:
    """What a block needs besides its data: the loss and the target encoding.

    ``target`` is ``("regression", scale)``, ``("binary", ls)``, ``("softmax", K,
    ls)`` or ``("ovr", k, ls)``, applied to the block of ``y`` (class codes
    for the classifier) exactly as the in-memory estimators build their
    targets.
    """

    def __init__(self, loss, target, *, K, softmax, fit_intercept, sw_sum):
        self.loss = loss
        self.target = target
        self.K = K
        self.softmax = softmax
        self.fit_intercept = fit_intercept
        self.sw_sum = sw_sum

    def targets(self, yb):
        if self.target[0] == "regression":  # ("regression", scale): in its units
            return yb.astype(np.float64, copy=False) / self.target[1]
        return encode_target(self.target, yb)


class _BlockObjective(LinearObjective):
    """The in-memory objective on one row block, weights normalised globally.

    Built through :class:`LinearObjective`'s own constructor, so a block's
    loss, gradient and Hessian are computed by exactly the in-memory code.
    The column statistics are not needed on a block and are skipped.
    """

    def _column_stats(self):
        return None, None


def _block_objective(spec, Xb, yb, swb):
    Xb = np.asarray(Xb, dtype=np.float64)
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
    )
    # Normalise by the sum over ALL blocks: partial sums then add up exactly.
    obj.sample_weight_raw = sw
    obj.sample_weight = sw / spec.sw_sum
    return obj


def _block_call(spec, method, Xb, yb, swb, args):
    return getattr(_block_objective(spec, Xb, yb, swb), method)(*args)


def _add(*parts):
    """Element-wise sum of partial results (floats, arrays or tuples of them)."""
    first = parts[0]
    if isinstance(first, tuple):
        return tuple(_add(*items) for items in zip(*parts, strict=True))
    total = first
    for p in parts[1:]:
        total = total + p
    return total


def _tree_sum(parts):
    while len(parts) > 1:
        parts = [
            dask.delayed(_add)(*parts[i : i + _SPLIT_EVERY])
            for i in range(0, len(parts), _SPLIT_EVERY)
        ]
    return parts[0]


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

    def _map_reduce(self, func, *args):
        """One ``dask.compute``: ``func`` on every block, partial sums added."""
        d = self._data
        spec = dask.delayed(self._spec)
        args = dask.delayed(args)  # shipped once, shared by all tasks
        parts = [
            dask.delayed(func)(spec, *block, args)
            for block in zip(d.x_parts, d.y_parts, d.sw_parts, strict=True)
        ]
        return dask.compute(_tree_sum(parts))[0]

    def _column_stats(self):
        """The in-memory statistics, on the rows the in-memory code would use.

        Above ``_STATS_ROWS`` rows, :class:`LinearObjective` estimates the
        preconditioner on the evenly strided rows ``0, step, 2 step, ...``
        (``step = n // _STATS_ROWS``); those few rows are brought to the
        client and handed to its own ``_column_stats``, so the dask fit runs
        in exactly the same coordinates.
        """
        d = self._data
        step = max(d.n_samples // _STATS_ROWS, 1)
        Xs, ss = dask.compute(d.X[::step], None if d.sw is None else d.sw[::step])
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
        d = self._data
        X, y = d.X[offset::step], d.y[offset::step]
        sw = None if d.sw is None else d.sw[offset::step]
        X, y, sw = dask.persist(X, y, sw)
        sw_sum = float(X.shape[0]) if sw is None else float(sw.sum().compute())
        if not sw_sum > 0:
            return None
        spec = copy.copy(self._spec)
        spec.sw_sum = sw_sum
        return _DaskObjective(
            _Data(X, y, sw, sw_sum),
            spec,
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            column_stats=(self.mean, self.scale),
            n_threads=self.n_threads,
        )

    def _data_loss_gradient(self, W, b):
        return self._map_reduce(_block_loss_gradient, W, b)

    def _data_hessp(self, W, b, V, vb):
        return self._map_reduce(_block_hessp, W, b, V, vb)

    def _data_hessian(self, W, b):
        return self._map_reduce(_block_hessian, W, b)


def _block_loss_gradient(spec, Xb, yb, swb, args):
    return _block_call(spec, "_data_loss_gradient", Xb, yb, swb, args)


def _block_hessp(spec, Xb, yb, swb, args):
    return _block_call(spec, "_data_hessp", Xb, yb, swb, args)


def _block_hessian(spec, Xb, yb, swb, args):
    return _block_call(spec, "_data_hessian", Xb, yb, swb, args)
