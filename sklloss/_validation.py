"""Input validation shared by the losses, the metrics and the estimators.

One concept (the input checks every layer shares), hence one module above 500 lines.

Every error names the parameter and the offending value, so that a user who
passes a NaN, a negative weight or a probability of 1.3 knows at once which
argument is wrong. Nothing here modifies its input.
"""

import numbers
import sys
import warnings

import numpy as np
from scipy import sparse
from sklearn.utils import check_array

__all__ = [
    "Interval",
    "MetricOverflowWarning",
    "check_finite_array",
    "check_no_datetime",
    "check_same_length",
    "check_loss_sample_weight",
    "weighted_average",
    "weighted_mean",
    "weighted_sum",
    "user_stacklevel",
    "warn_if_not_finite",
]


class MetricOverflowWarning(RuntimeWarning):
    """The value of a metric lies beyond the float64 range and is returned as inf.

    Raised by the weighted means of :mod:`sklloss.metrics` (and of the loss
    objects' ``__call__``) instead of a silent ``inf``: a per-sample loss or
    their weighted mean is larger than the largest float64, about 1.8e308.
    It is a :class:`RuntimeWarning`, the category of NumPy's own overflow
    warnings, so that ``-W error::RuntimeWarning`` turns it into an error.

    Examples
    --------
    >>> import warnings
    >>> from sklloss.metrics import mean_squared_error
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     value = mean_squared_error([1e300], [-1e300])
    >>> value, caught[-1].category.__name__
    (inf, 'MetricOverflowWarning')
    """


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
    arr = _as_numeric_input(values, name)
    try:
        arr = check_array(
            arr,
            ensure_2d=ensure_2d,
            allow_nd=allow_nd,
            dtype=[np.float64, np.float32],
            ensure_all_finite=True,
            input_name=name,
            ensure_min_samples=1,
        )
    except (ValueError, TypeError, OverflowError) as exc:
        # TypeError: float() of a dict, a datetime object, a complex number
        # inside an object array; each is a bad value of this argument.
        msg = str(exc)
        if name not in msg:
            msg = f"{name}: {msg}"
        raise ValueError(msg) from None
    return arr


_REFUSED_KINDS = {
    "M": "datetime64 values (dates are not numbers)",
    "m": "timedelta64 values (convert them to numbers in a unit first)",
    "c": "complex values",
    "V": "structured or void values",
}


def _dtype_kinds(values):
    """Dtype kinds of `values` without converting it (a DataFrame has several)."""
    dtypes = getattr(values, "dtypes", None)
    if dtypes is not None and not isinstance(dtypes, np.dtype):
        return {np.dtype(getattr(d, "numpy_dtype", d)).kind for d in dtypes}
    dtype = getattr(values, "dtype", None)
    if dtype is None:
        return set()
    return {np.dtype(getattr(dtype, "numpy_dtype", dtype)).kind}


def _as_numeric_input(values, name):
    """`values`, or its array, once None, scalars and non-numbers are refused.

    The refusals come before ``check_array``, which would read datetime64
    as numbers and word the rest as a TypeError that does not name `name`.
    """
    if values is None:
        raise ValueError(f"{name} must be an array-like of numbers; got None.")
    if sparse.issparse(values):
        raise ValueError(
            f"{name} must be a dense array-like; got a sparse "
            f"{type(values).__name__}. Convert it with .toarray()."
        )
    if not hasattr(values, "dtype") and not hasattr(values, "dtypes"):
        if isinstance(values, (str, bytes, dict, set, numbers.Number)):
            raise ValueError(
                f"{name} must be an array-like of numbers; got the "
                f"{type(values).__name__} {values!r}."
            )
        try:
            values = np.asarray(values)
        except (ValueError, TypeError) as exc:  # ragged nested lists
            raise ValueError(f"{name} is not a rectangular array: {exc}") from None
    try:
        kinds = _dtype_kinds(values)
    except TypeError:  # an extension dtype NumPy does not know: check_array decides
        kinds = set()
    for kind in kinds:
        if kind in _REFUSED_KINDS:
            # scikit-learn's words first for complex input, as check_array's
            prefix = "Complex data not supported: " if kind == "c" else ""
            raise ValueError(
                f"{prefix}{name} must hold real numbers; got {_REFUSED_KINDS[kind]}."
            )
    if np.ndim(values) == 0:
        raise ValueError(f"{name} must be an array-like, got the scalar {values!r}.")
    return values


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
        try:
            sample_weight = np.full(n_samples, sample_weight, dtype=dtype)
        except (OverflowError, TypeError):  # 10**400, a complex number
            raise ValueError(
                "sample_weight must be a finite real number or an array-like; got "
                f"sample_weight={sample_weight!r}."
            ) from None
    sw = check_finite_array(sample_weight, name="sample_weight")
    if sw.ndim != 1:
        raise ValueError(
            "Sample weights must be 1D array or scalar: sample_weight must be "
            f"1-D, got an array of shape {sw.shape}."
        )
    if sw.shape[0] != n_samples:
        # scikit-learn's words first, so that code matching them still works
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {n_samples}, {sw.shape[0]}]: sample_weight has "
            f"{sw.shape[0]} elements but there are {n_samples} samples."
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


# ---------------------------------------------------------------- weighted means
# Below 1e-280 a weighted sum may have lost its precision to underflow (the
# products w_i v_i become subnormal); above the float range it is inf. Both
# are rare and go to the exact-scaling path; the common case costs one dot.
_SAFE_LOW = 1e-280


def _binary_parts(values, sample_weight, split=None):
    """``(S, E)`` with ``sum_i w_i v_i = S * 2**E`` along axis 0, never overflowing.

    Every product is written ``m_i * 2**e_i`` (``frexp`` of each factor, so
    the exponents are exact integers) and summed after an exact shift by the
    largest exponent: the terms are at most 1 in magnitude, the sum at most
    n, and only terms below ``2**-1074`` of the largest are lost.
    """
    # `split`: values already given as (mantissas, exponents), e.g. squares
    # r^2 = (m^2) 2^(2e) that float64 could not hold
    mv, ev = split if split is not None else np.frexp(np.asarray(values, np.float64))
    if sample_weight is None:
        m, e = mv, ev
    else:
        mw, ew = np.frexp(np.asarray(sample_weight, dtype=np.float64))
        shape = (-1,) + (1,) * (mv.ndim - 1)
        # a zero weight drops its sample, even an infinite loss (no 0 * inf)
        m = np.where(mw.reshape(shape) == 0, 0.0, mw.reshape(shape) * mv)
        e = ew.reshape(shape) + ev
    none = -(2**20)  # below every exponent
    e = np.where(m != 0, e, none)
    top = np.max(e, axis=0)
    top = np.where(top == none, 0, top)
    # shifts below -1100 give 0 anyway; clipping them keeps ldexp on its fast
    # path (libm is slow on the far-subnormal range)
    shift = np.maximum(e - top, -1100)
    with np.errstate(under="ignore"):
        total = np.sum(np.ldexp(m, shift), axis=0)
    return total, top


def user_stacklevel():
    """The ``stacklevel`` of a warning raised here that names the user's line.

    Returns
    -------
    int
        One more than the number of sklloss frames above the caller: the
        metrics and ``Loss.__call__`` reach a warning through a varying
        number of internal calls.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        "sklloss."
    ):
        frame, level = frame.f_back, level + 1
    return level


def warn_if_not_finite(result, what="weighted mean"):
    """Warn with a :class:`MetricOverflowWarning` when `result` is not finite.

    Parameters
    ----------
    result : float or ndarray
        The value a metric is about to return.
    what : str, default="weighted mean"
        What `result` is, for the message.
    """
    if np.all(np.isfinite(result)):
        return
    kind = "is NaN" if np.any(np.isnan(result)) else "overflows float64 (> 1.8e308)"
    warnings.warn(
        f"The {what} {kind}: a per-sample loss or their weighted mean is beyond "
        "the float64 range, and the result is returned as inf. Rescale y_true "
        "and y_pred (or the weights) to evaluate it.",
        MetricOverflowWarning,
        stacklevel=user_stacklevel(),
    )


def weighted_average(values, sample_weight=None):
    r"""Weighted mean over the samples (axis 0), exact in scale.

    .. math::

        \bar v_k = \frac{\sum_i w_i v_{ik}}{\sum_i w_i}.

    The weights and values are normalised by powers of two before summing, so
    weights up to 1e308 or down to 1e-300, and sums beyond the float range,
    give the correctly rounded mean (up to the n-term summation error). A
    mean that is itself beyond the float range is returned as ``inf`` with a
    :class:`MetricOverflowWarning`.

    Parameters
    ----------
    values : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Per-sample values.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights, not all zero; ``None`` weighs every sample 1.

    Returns
    -------
    float64 or ndarray of shape (n_outputs,)
        The weighted mean of each column (a NumPy scalar for 1-D values).

    Examples
    --------
    >>> from sklloss._validation import weighted_average
    >>> float(weighted_average([1.0, 4.0], [1e308, 1e308]))
    2.5
    """
    values = np.asarray(values)
    with np.errstate(all="ignore"):
        if sample_weight is None:
            fast = np.mean(values, axis=0, dtype=np.float64)
            ok = np.all(np.isfinite(fast))
        else:
            w_sum = np.sum(sample_weight, dtype=np.float64)
            fast = np.dot(sample_weight, values) / w_sum
            ok = _SAFE_LOW <= w_sum < np.inf and np.all(np.abs(fast) >= _SAFE_LOW)
            ok = ok and np.all(np.isfinite(fast))
            # a zero mean is exact when every value is 0 (a perfect fit)
            ok = ok or (_SAFE_LOW <= w_sum < np.inf and not np.any(values))
    if ok:
        return fast
    with np.errstate(over="ignore", invalid="ignore"):
        total, top = _binary_parts(values, sample_weight)
        if sample_weight is None:
            w_total, w_top = np.frexp(np.float64(values.shape[0]))
        else:
            w_total, w_top = _binary_parts(sample_weight, None)
        return np.ldexp(total / w_total, top - w_top)


def weighted_mean(values, sample_weight=None):
    r"""Weighted mean of per-sample values, averaged over outputs, as a float.

    .. math::

        \frac{1}{K} \sum_k \frac{\sum_i w_i v_{ik}}{\sum_i w_i}

    computed by :func:`weighted_average` (exact in scale: no overflow of the
    weights' sum, a :class:`MetricOverflowWarning` when the mean itself is
    beyond the float range).

    Parameters
    ----------
    values : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Per-sample values.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights, not all zero; ``None`` weighs every sample 1.

    Returns
    -------
    float
        The weighted mean over samples, then the plain mean over outputs.

    Examples
    --------
    >>> from sklloss._validation import weighted_mean
    >>> weighted_mean([[1.0, 3.0], [2.0, 5.0]], [1.0, 3.0])
    3.125
    """
    result = weighted_average(values, sample_weight)
    if np.ndim(result) != 0:
        result = weighted_average(result)
    warn_if_not_finite(result)
    return float(result)


def weighted_sum(values, sample_weight=None):
    r"""Weighted sum :math:`\sum_i w_i v_i` of 1-D values, as a Python float.

    Like :func:`weighted_average`, exact in scale: the weights may span
    1e-300..1e300; a sum beyond the float range is ``inf`` with a
    :class:`MetricOverflowWarning`.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
        Per-sample values.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights; ``None`` weighs every sample 1.

    Returns
    -------
    float
        The weighted sum.

    Examples
    --------
    >>> from sklloss._validation import weighted_sum
    >>> weighted_sum([1.0, 2.0], [3.0, 0.5])
    4.0
    """
    with np.errstate(all="ignore"):
        if sample_weight is None:
            fast = np.sum(values, dtype=np.float64)
        else:
            fast = np.dot(sample_weight, np.asarray(values, dtype=np.float64))
    if np.isfinite(fast) and (abs(fast) >= _SAFE_LOW or sample_weight is None):
        return float(fast)
    with np.errstate(over="ignore", invalid="ignore"):
        result = np.ldexp(*_binary_parts(values, sample_weight))
    warn_if_not_finite(result, "weighted sum")
    return float(result)


def check_no_datetime(X, name="X"):
    """Refuse datetime64 / timedelta64 features (validate_data casts them).

    Parameters
    ----------
    X : array-like, DataFrame or sparse matrix
        The input (features, or a target).
    name : str, default="X"
        Its name in the error message.

    Returns
    -------
    X : array-like
        X, a list converted to an array first: ``validate_data`` would cast
        a list straight to float, past its own checks of dates and complex
        numbers (a TypeError for complex entries).
    """
    if isinstance(X, list | tuple):
        try:
            X = np.asarray(X)
        except ValueError as exc:  # ragged rows
            raise ValueError(f"{name} is not a 2-D array of numbers: {exc}") from exc
    dtypes = getattr(X, "dtypes", None)  # a DataFrame: one dtype per column
    if dtypes is None or not hasattr(dtypes, "__iter__"):
        dtypes = [getattr(X, "dtype", None)]
    bad = [d for d in dtypes if getattr(d, "kind", "") in ("m", "M")]
    if bad:
        raise ValueError(
            f"{name} has datetime or timedelta columns (dtype {bad[0]}); convert "
            "them to numeric features (e.g. elapsed seconds) explicitly."
        )
    return X
