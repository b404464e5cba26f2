"""Input validation shared by the losses, the metrics and the estimators.

Every error names the parameter and the offending value, so that a user who
passes a NaN, a negative weight or a probability of 1.3 knows at once which
argument is wrong. Nothing here modifies its input.
"""

import numbers

import numpy as np
from sklearn.utils import check_array

__all__ = [
    "Interval",
    "check_finite_array",
    "check_same_length",
    "check_loss_sample_weight",
]


class Interval:
    """An interval of the real line, used as the domain of y_true or y_pred.

    Parameters
    ----------
    low, high : float
        Bounds; ``-np.inf`` / ``np.inf`` for an unbounded side.
    closed : {"both", "left", "right", "neither"}, default="both"
        Which bounds belong to the interval.
    """

    def __init__(self, low=-np.inf, high=np.inf, closed="both"):
        self.low = low
        self.high = high
        self.closed = closed

    @property
    def is_unbounded(self):
        return self.low == -np.inf and self.high == np.inf

    def __repr__(self):
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"{left}{self.low}, {self.high}{right}"

    def _inside(self, values):
        left_ok = self.low == -np.inf or (
            values >= self.low if self.closed in ("both", "left") else values > self.low
        )
        right_ok = self.high == np.inf or (
            values <= self.high
            if self.closed in ("both", "right")
            else values < self.high
        )
        return np.logical_and(left_ok, right_ok)

    def check(self, values, *, name, loss_name):
        """Raise a ValueError naming `name`, `loss_name` and the first bad value.

        Parameters
        ----------
        values : array-like
            Values to check (any shape).
        name : str
            Name of the argument, for the message (e.g. ``"y_true"``).
        loss_name : str
            Name of the loss, for the message.

        Raises
        ------
        ValueError
            If a value lies outside the interval; the message gives the index and
            the value of the first one.
        """
        if self.is_unbounded:
            return
        values = np.asarray(values)
        # An interval is convex: when the min and the max lie inside, every
        # value does. Two reductions instead of a full boolean mask.
        if values.size and np.all(self._inside(np.array([values.min(), values.max()]))):
            return
        inside = self._inside(values)
        if not np.all(inside):
            idx = np.unravel_index(np.argmin(inside), np.shape(values))
            where = ", ".join(str(int(i)) for i in idx)
            raise ValueError(
                f"{name} must lie in {self!r} for loss {loss_name!r}; "
                f"got {name}[{where}] = {values[idx].item()!r}."
            )


def check_finite_array(values, *, name, ensure_2d=False, allow_nd=False):
    """Return `values` as a float32/float64 array; reject NaN, inf and empty input.

    Integer and boolean input becomes float64; float32 stays float32. The input
    is never modified (a copy is made whenever a conversion is needed).

    Parameters
    ----------
    values : array-like
        Input to validate.
    name : str
        Name of the argument, used in the error messages.
    ensure_2d : bool, default=False
        Whether to require a 2-D input.
    allow_nd : bool, default=False
        Whether to accept more than two dimensions.

    Returns
    -------
    ndarray
        The validated float32 or float64 array (at least 1-D).

    Raises
    ------
    ValueError
        On NaN, infinite or empty input, a scalar, or a wrong number of
        dimensions; the message names the argument.
    """
    try:
        arr = check_array(
            values,
            ensure_2d=ensure_2d,
            allow_nd=allow_nd,
            dtype=[np.float64, np.float32],
            ensure_all_finite=True,
            input_name=name,
            ensure_min_samples=1,
        )
    except ValueError as exc:
        msg = str(exc)
        if name not in msg:
            msg = f"{name}: {msg}"
        raise ValueError(msg) from None
    if arr.ndim == 0:
        raise ValueError(f"{name} must be an array-like, got the scalar {values!r}.")
    return arr


def check_same_length(*named_arrays):
    """Raise a ValueError when the arrays do not have the same number of rows.

    Parameters
    ----------
    *named_arrays : tuple of (str, array)
        Pairs ``(name, array)``; an array that is None is skipped.

    Raises
    ------
    ValueError
        If two arrays have different lengths; the message gives every length.
    """
    lengths = {name: len(arr) for name, arr in named_arrays if arr is not None}
    if len(set(lengths.values())) > 1:
        desc = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: {desc}."
        )


def check_loss_sample_weight(sample_weight, n_samples, dtype=np.float64):
    """Validate `sample_weight` for a mean loss: finite, >= 0, 1-D, not all zero.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), float or None
        The weights; a number is repeated for every sample.
    n_samples : int
        Number of samples the weights must match.
    dtype : dtype, default=np.float64
        Dtype of the array built from a scalar ``sample_weight``.

    Returns
    -------
    ndarray of shape (n_samples,) or None
        The validated weights (float32 or float64); None when `sample_weight`
        is None (uniform weights).

    Raises
    ------
    ValueError
        If the weights are not finite, not 1-D, of the wrong length, negative
        somewhere or all zero.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
    sw = check_finite_array(sample_weight, name="sample_weight")
    if sw.ndim != 1:
        raise ValueError(
            f"sample_weight must be 1-D, got an array of shape {sw.shape}."
        )
    if sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {sw.shape[0]} elements but there are {n_samples} "
            "samples."
        )
    if np.any(sw < 0):
        i = int(np.argmin(sw))
        raise ValueError(
            "sample_weight must be non-negative; got "
            f"sample_weight[{i}] = {sw[i].item()!r}."
        )
    if not np.any(sw > 0):
        raise ValueError("sample_weight must not be all zero.")
    return sw
