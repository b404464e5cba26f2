"""Dask inputs of a fit: validated, aligned to X's row blocks and persisted once.

Part of the dask backend (:mod:`._dask`): ``X`` is rechunked to one block of
columns (row blocks are kept), ``y`` and ``sample_weight`` are aligned to the
same row blocks, and the three are persisted; one pass over the persisted
blocks then checks them and collects the class labels with their total
weights (classifier) or the range of ``y`` (regressor).
"""

import numbers
import sys

import dask
import dask.array as da
import numpy as np
from dask.base import get_scheduler

__all__ = ["_Data", "_prepare", "_as_dask_X"]


def _as_dask_X(X, name="X"):
    """``X`` as a 2-D floating dask array with one block of columns."""
    if not isinstance(X, da.Array):
        to_array = getattr(X, "to_dask_array", None)
        if to_array is None:
            raise TypeError(
                f"{name} must be a dask array (or a dask DataFrame); got "
                f"{type(X).__name__}."
            )
        X = to_array(lengths=True)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D dask array for {name}, got an array of shape {X.shape}."
        )
    if np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"Complex data not supported; {name} has dtype {X.dtype}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(
            f"Found array with shape {X.shape} for {name}; at least one sample "
            "and one feature are required."
        )
    return X.rechunk({1: -1})


def _align_rows(v, row_chunks, name):
    """A 1-D array-like (numpy or dask) as a dask array with ``row_chunks``."""
    n = sum(row_chunks)
    if isinstance(v, da.Array):
        if any(np.isnan(c) for c in v.chunks[0]):
            v = v.compute_chunk_sizes()
    else:
        to_array = getattr(v, "to_dask_array", None)
        if to_array is not None:
            v = to_array(lengths=True)
        else:
            v = np.asarray(v)
            if v.ndim == 0:
                raise ValueError(f"{name} must be 1-D; got the scalar {v!r}.")
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {v.shape}.")
    if v.shape[0] != n:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"X has {n}, {name} has {v.shape[0]}."
        )
    if isinstance(v, da.Array):
        return v.rechunk((row_chunks,))
    return da.from_array(v, chunks=(row_chunks,))


def _block_summary(Xb, yb, swb, classify):
    """Per-block facts the fit checks once: finiteness, labels or y range, weights."""
    out = {"X_finite": bool(np.isfinite(Xb).all())}
    numeric = np.issubdtype(yb.dtype, np.number) or yb.dtype == bool
    out["y_finite"] = bool(np.isfinite(yb).all()) if numeric else True
    if classify:
        from ._classifier import _check_label_values

        _check_label_values(yb)  # None / NA / NaT: a ValueError, not a TypeError
        out["classes"], inverse = np.unique(yb, return_inverse=True)
        k = len(out["classes"])
        out["totals"] = (
            np.bincount(inverse, minlength=k).astype(np.float64)
            if swb is None
            else np.bincount(inverse, weights=swb, minlength=k)
        )
    else:
        yb = yb.astype(np.float64)
        out["y_min"], out["y_max"] = float(yb.min()), float(yb.max())
    if swb is not None:
        out["sw_finite"] = bool(np.isfinite(swb).all())
        out["sw_min"] = float(swb.min()) if out["sw_finite"] else 0.0
        out["sw_sum"] = float(swb.sum(dtype=np.float64)) if out["sw_finite"] else 0.0
    else:
        out["sw_sum"] = float(len(Xb))
    return out


def _check_summaries(parts, classify, has_sw):
    """Reduce the per-block summaries; raise a ValueError on bad input."""
    if not all(p["X_finite"] for p in parts):
        raise ValueError("Input X contains NaN or infinity.")
    result = {}
    if has_sw:
        if not all(p["sw_finite"] for p in parts):
            raise ValueError("Input sample_weight contains NaN or infinity.")
        sw_min = min(p["sw_min"] for p in parts)
        if sw_min < 0:
            raise ValueError(
                f"sample_weight must be non-negative; got a weight of {sw_min!r}."
            )
    if not all(p["y_finite"] for p in parts):
        raise ValueError("Input y contains NaN or infinity.")
    result["sw_sum"] = float(sum(p["sw_sum"] for p in parts))
    if not result["sw_sum"] > 0:
        raise ValueError("sample_weight must not be all zero.")
    if classify:
        classes = np.unique(np.concatenate([p["classes"] for p in parts]))
        totals = np.zeros(len(classes))
        for p in parts:
            totals[np.searchsorted(classes, p["classes"])] += p["totals"]
        result["classes"], result["totals"] = classes, totals
    else:
        result["y_range"] = np.array(
            [min(p["y_min"] for p in parts), max(p["y_max"] for p in parts)]
        )
    return result


class _Data:
    """Persisted row blocks of one fit: X, y (or its codes) and the weights.

    ``X`` is a dask array (one block of columns); ``x_parts``, ``y_parts`` and
    ``sw_parts`` are the matching per-block delayed objects (``sw_parts`` is a
    list of None without sample weights). ``client`` is the distributed
    client the blocks were persisted with (None under the threaded or
    synchronous scheduler).
    """

    def __init__(self, X, y, sw, sw_sum):
        self.X, self.y, self.sw = X, y, sw
        self.sw_sum = float(sw_sum)
        self.n_samples, self.n_features = X.shape
        # Empty blocks (e.g. after boolean masking) carry nothing: skip them.
        keep = [i for i, c in enumerate(X.chunks[0]) if c > 0]
        self.x_parts = [X.to_delayed().ravel()[i] for i in keep]
        self.y_parts = [y.to_delayed().ravel()[i] for i in keep]
        if sw is None:
            self.sw_parts = [None] * len(keep)
        else:
            self.sw_parts = [sw.to_delayed().ravel()[i] for i in keep]
        self.n_blocks = len(keep)
        self.block_rows = [X.chunks[0][i] for i in keep]
        self.client = _distributed_client()
        self._groups = None
        self._samples = {}

    def blocks(self):
        """The ``(X, y, sw)`` delayed parts of each block, in order.

        Returns
        -------
        zip
            One ``(x_part, y_part, sw_part)`` per non-empty block.
        """
        return zip(self.x_parts, self.y_parts, self.sw_parts, strict=True)

    def map(self, func, *args):
        """``func(*args, i, Xb, yb, swb)`` on every block ``i``, in block order.

        On a distributed cluster one task per worker loops over the blocks
        it holds (``args`` may hold futures, e.g. a scattered object);
        otherwise one delayed task per block, computed at once.

        Parameters
        ----------
        func : callable
            Called on each block where the block is.
        *args
            Its leading arguments, shipped once per task.

        Returns
        -------
        list
            ``func``'s results, one per block, in block order.
        """
        groups = self.worker_groups()
        if groups is None:  # threaded / synchronous scheduler: a task per block
            call = dask.delayed(func, pure=False)
            return list(
                dask.compute(
                    *[call(*args, i, *block) for i, block in enumerate(self.blocks())]
                )
            )
        futures = [
            self.client.submit(
                _map_group,
                func,
                args,
                ids,
                *parts,
                workers=None if worker is None else [worker],
                allow_other_workers=True,  # (a lost worker's blocks move)
                pure=False,
            )
            for worker, ids, parts in groups
        ]
        results = [None] * self.n_blocks
        gathered = self.client.gather(futures)
        for (_, ids, _), result in zip(groups, gathered, strict=True):
            for i, part in zip(ids, result, strict=True):
                results[i] = part
        return results

    def worker_groups(self):
        """The blocks grouped by the worker that holds them (None without a client).

        Found once (``client.who_has`` on the persisted blocks' keys): a
        block held by several workers goes to the one with the fewest rows
        so far. Each group is ``(worker, block indices, (xs, ys, sws))``
        with the blocks' futures, in block order.

        Returns
        -------
        list of tuple or None
            One group per worker holding blocks; None when the blocks are
            not on a distributed cluster.
        """
        if self.client is None:
            return None
        if self._groups is None:
            self._groups = _group_by_worker(self.client, self)
        return self._groups

    def every_nth(self, step, offset=0):
        """The rows ``offset, offset + step, ...``, persisted once (a ``_Data``).

        Parameters
        ----------
        step, offset : int
            The stride and the first row.

        Returns
        -------
        _Data
            The sample's blocks; its ``sw_sum`` is its own weight total.
        """
        key = (step, offset)
        if key not in self._samples:
            X, y = self.X[offset::step], self.y[offset::step]
            sw = None if self.sw is None else self.sw[offset::step]
            X, y, sw = dask.persist(X, y, sw)
            sw_sum = float(X.shape[0]) if sw is None else float(sw.sum().compute())
            self._samples[key] = _Data(X, y, sw, sw_sum)
        return self._samples[key]

    def normalised_weights(self):
        """Lazy ``sw / sum(sw)`` (for the estimators' start-point formulas).

        Returns
        -------
        dask.array.Array of shape (n_samples,)
            The normalised sample weights (``1 / n_samples`` each without weights),
            in the row blocks of ``X``.
        """
        if self.sw is None:
            return da.full(
                (self.n_samples,),
                1.0 / self.n_samples,
                chunks=(self.X.chunks[0],),
            )
        return self.sw.astype(np.float64) / self.sw_sum


def _distributed_client():
    """The distributed Client ``dask.compute`` uses now, or None.

    None under the threaded or synchronous scheduler, also while a client
    exists but ``dask.config.set(scheduler=...)`` chose another one.
    """
    if "distributed" not in sys.modules:  # never imported: no client
        return None
    from distributed import Client

    client = getattr(get_scheduler(), "__self__", None)
    return client if isinstance(client, Client) else None


def _map_group(func, args, ids, xs, ys, sws):
    """:meth:`_Data.map`'s task on one worker: its blocks, in block order."""
    return [
        func(*args, i, *block)
        for i, block in zip(ids, zip(xs, ys, sws, strict=True), strict=True)
    ]


def _group_by_worker(client, data):
    """``(worker, block indices, (xs, ys, sws))`` for each worker holding blocks."""
    from distributed import Future, wait

    def futures(parts):
        return [None if p is None else Future(p.key, client) for p in parts]

    xs, ys, sws = (futures(p) for p in (data.x_parts, data.y_parts, data.sw_parts))
    wait([f for f in xs + ys + sws if f is not None])
    who_has = client.who_has(xs)
    load, owner = {}, []
    for i, f in enumerate(xs):
        holders = sorted(who_has.get(f.key, ())) or [None]
        worker = min(holders, key=lambda w: (load.get(w, 0), str(w)))
        load[worker] = load.get(worker, 0) + data.block_rows[i]
        owner.append(worker)
    groups = []
    for worker in sorted(set(owner), key=owner.index):
        ids = [i for i, w in enumerate(owner) if w == worker]
        groups.append(
            (
                worker,
                ids,
                tuple([parts[i] for i in ids] for parts in (xs, ys, sws)),
            )
        )
    return groups


def _prepare(X, y, sample_weight, *, classify):
    """Validate, align and persist; return ``(data, facts)``."""
    X = _as_dask_X(X)
    rows = X.chunks[0]
    y = _align_rows(y, rows, "y")
    if classify:
        if np.issubdtype(y.dtype, np.complexfloating):
            raise ValueError(f"Complex data not supported; y has dtype {y.dtype}.")
    elif not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise ValueError(f"y must be numeric for a regressor; got dtype {y.dtype}.")
    sw = None
    if sample_weight is not None:
        if isinstance(sample_weight, numbers.Number):
            sample_weight = da.full((X.shape[0],), float(sample_weight), chunks=(rows,))
        sw = _align_rows(sample_weight, rows, "sample_weight").astype(np.float64)
    # The one computation of the inputs: later passes read the workers' memory.
    X, y, sw = dask.persist(X, y, sw)
    data = _Data(X, y, sw, 1.0)
    blocks = zip(data.x_parts, data.y_parts, data.sw_parts, strict=True)
    summaries = dask.compute(
        *[dask.delayed(_block_summary)(*block, classify) for block in blocks]
    )
    facts = _check_summaries(summaries, classify, sw is not None)
    data.sw_sum = facts["sw_sum"]
    return data, facts
