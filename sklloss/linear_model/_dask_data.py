"""Dask inputs of a fit: validated, aligned to X's row blocks and persisted once.

Part of the dask backend (:mod:`._dask`): ``X`` is rechunked to one block of
columns (row blocks are kept), ``y`` and ``sample_weight`` are aligned to the
same row blocks, and the three are persisted; one pass over the persisted
blocks then checks them and collects the class labels with their total
weights (classifier) or the range of ``y`` (regressor).
"""

import numbers

import dask
import dask.array as da
import numpy as np

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
    list of None without sample weights).
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
