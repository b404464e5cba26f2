"""Label encoding, written once: labels of any type to the codes 0..K-1.

The metrics (``log_loss``, ``focal_loss``, the margin metrics) and the
scorers read class labels through this module; the losses themselves take
the codes. Labels are encoded in O(n) where possible: integer labels (and
floats holding integers) through ``np.bincount`` over their range, a few
distinct strings by masking, other types through one
``np.unique(..., return_inverse=True)``.
"""

import datetime
import warnings

import numpy as np
from scipy import sparse

from ._checks import user_stacklevel

_NOT_LABELS = {
    "M": "datetime64 values",
    "m": "timedelta64 values",
    "c": "complex values",
    "V": "structured values",
}


# dates are refused as labels, as datetime64 arrays are (issue 12)
_NOT_LABEL_TYPES = (
    complex,
    np.complexfloating,
    datetime.date,
    datetime.time,
    np.datetime64,
    np.timedelta64,
    datetime.timedelta,
)


def _is_missing(value):
    """None, NaN, pandas' NA / NaT or NumPy's NaT: a missing label."""
    if value is None:
        return True
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    if isinstance(value, (float, np.floating, np.datetime64, np.timedelta64)):
        return bool(np.isnan(value))
    return False


# scikit-learn dropped this format in 0.17 and refuses it
_SEQUENCES = (
    "{name} looks like a multilabel sequence (one list of labels per sample), "
    "which is not supported: pass a label-indicator matrix instead "
    "(sklearn.preprocessing.MultiLabelBinarizer makes one)."
)


def _check_label_values(y, name):
    """Refuse dates, complex numbers and missing values as class labels."""
    if y.dtype.kind in _NOT_LABELS:
        raise ValueError(
            f"{name} must hold class labels (integers or strings); got "
            f"{_NOT_LABELS[y.dtype.kind]}."
        )
    if y.ndim == 2 and y.shape[1] == 0:
        raise ValueError(_SEQUENCES.format(name=name))
    if y.dtype.kind == "O":
        for i, value in enumerate(y.ravel()):
            if isinstance(value, (list, tuple, set, np.ndarray)):
                raise ValueError(_SEQUENCES.format(name=name))
            if _is_missing(value) or isinstance(value, _NOT_LABEL_TYPES):
                raise ValueError(
                    f"{name} must hold class labels (integers or strings); got "
                    f"{name}[{i}] = {value!r}, a missing or non-label value."
                )


def _as_label_array(y, name):
    """`y` as an array of labels, refusing None, scalars, dicts and sparse input."""
    if y is None or isinstance(y, (dict, set, str, bytes)) or sparse.issparse(y):
        raise ValueError(
            f"{name} must be an array-like of class labels; got {type(y).__name__}."
        )
    try:
        y = np.asarray(y)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} is not a rectangular array: {exc}") from None
    if y.ndim == 0:
        raise ValueError(f"{name} must be an array-like, got the scalar {y!r}.")
    _check_label_values(y, name)
    return y


def _column(y, name):
    """`y` as a 1-D array (a column vector is raveled); reject other shapes."""
    y = _as_label_array(y, name)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D labels; got an array of shape {y.shape}.")
    if y.size == 0:
        raise ValueError(
            "Found empty input array (e.g., `y_true` or `y_pred`) while a minimum "
            f"of 1 sample is required: {name} is empty."
        )
    return y


def _integer_view(y, name):
    """Integer labels as int64, or None when `y` is not numeric.

    Floats must hold integers (sklearn calls anything else a continuous
    target and refuses it); NaN, inf and complex values are refused too.
    """
    kind = y.dtype.kind
    if kind in "iu":
        return y
    if kind == "b":
        return y.view(np.uint8)
    if kind == "c":
        raise ValueError(f"{name} must hold class labels; got complex values.")
    if kind != "f":
        return None
    bad = ~np.isfinite(y)
    if np.any(bad):
        i = int(np.argmax(bad))
        what = "NaN" if np.isnan(y[i]) else "infinity or a value too large"
        raise ValueError(
            f"Input {name} contains {what}: {name}[{i}] = {y[i].item()!r} is not "
            "a class label."
        )
    bad = y != np.floor(y)
    if not np.any(bad):
        # Beyond 2**62 a float is an integer that int64 may not hold (compared
        # in float64: 2**62 overflows float16)
        return y.astype(np.int64) if float(np.abs(y).max()) < 2.0**62 else y
    i = int(np.argmax(bad))
    raise ValueError(
        f"{name} must hold class labels (integers or strings); got "
        f"{name}[{i}] = {y[i].item()!r}, which is not one."
    )


def _few_distinct(y, max_classes=8):
    """The distinct values of `y` by repeated masking, or None if there are many.

    For strings a few O(n) comparisons beat the O(n log n) sort of np.unique
    (about 5x at n = 1e6 with two classes).
    """
    found, rest = [], y
    while rest.size:
        if len(found) == max_classes:
            return None
        found.append(rest[0])
        smaller = rest[rest != rest[0]]
        if len(smaller) == len(rest):  # a value unequal to itself (NaN)
            return None
        rest = smaller
    return found


def _unique_inverse(y, name):
    """Sorted distinct labels of `y` and the code 0..K-1 of every sample."""
    ints = _integer_view(y, name)
    if ints is not None:
        lo, hi = int(ints.min()), int(ints.max())
        span = hi - lo + 1
        if span <= 4 * len(ints) + 1024:  # a bincount over the range is O(n)
            # widen before shifting: int8 [-100, 100] - (-100) overflows int8
            shifted = ints.astype(np.intp, copy=False) - lo
            present = np.bincount(shifted, minlength=span) > 0
            values = np.flatnonzero(present)
            classes = (values + lo).astype(y.dtype)
            if len(values) == span:  # labels are already lo..hi, all present
                return classes, shifted
            return classes, (np.cumsum(present) - 1)[shifted]
    try:
        found = _few_distinct(y)
        if found is None:
            return np.unique(y, return_inverse=True)
        classes = np.sort(np.array(found, dtype=y.dtype))
        codes = np.zeros(len(y), dtype=np.intp)
        for k in range(1, len(classes)):
            codes[y == classes[k]] = k
        return classes, codes
    except TypeError:
        raise ValueError(
            f"{name} mixes label types that cannot be sorted together (e.g. "
            "strings and numbers)."
        ) from None


def encode(y_true, labels):
    """Return ``(classes, codes)``: sorted classes and y_true's index in them.

    With `labels`, the classes are the sorted distinct `labels` (sklearn's
    LabelBinarizer order; a UserWarning says so when `labels` is not sorted),
    and a label of `y_true` outside them is a ValueError.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels of any sortable type (a column vector is raveled).
    labels : array-like or None
        All class labels, or None for the distinct labels of `y_true`.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        The sorted classes.
    codes : ndarray of shape (n_samples,)
        ``classes[codes] == y_true``.
    """
    y = _column(y_true, "y_true")
    if labels is None:
        return _unique_inverse(y, "y_true")
    given = _column(labels, "labels")
    classes = _unique_inverse(given, "labels")[0]
    if len(classes) == len(given) and np.any(classes != given):
        warnings.warn(
            f"Labels passed were {given.tolist()}. But this function assumes "
            "labels are ordered lexicographically. Pass the ordered labels="
            f"{classes.tolist()} and ensure that the columns of y_prob "
            "correspond to this ordering.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    try:
        codes = np.searchsorted(classes, y)
        found = classes[np.minimum(codes, len(classes) - 1)] == y
    except TypeError:
        raise ValueError(
            f"y_true and labels mix label types: {y.dtype} and {given.dtype}."
        ) from None
    if not np.all(found):
        missing = np.unique(y[~found])[:10].tolist()
        raise ValueError(
            f"y_true contains values {missing} not belonging to the passed "
            f"labels {classes.tolist()}."
        )
    return classes, codes


def _require_two_classes(classes, labels):
    """Raise scikit-learn's ValueError when fewer than two classes are known."""
    if len(classes) >= 2:
        return
    if labels is None:
        raise ValueError(
            f"y_true contains only one label ({classes.tolist()[0]!r}). Please "
            "provide the list of all expected class labels explicitly through "
            "the labels argument."
        )
    raise ValueError(
        f"labels must contain at least two labels, got labels={classes.tolist()}."
    )


def positions(y, classes):
    """Position of each label of `y` in `classes` (a ValueError for a new label).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Labels.
    classes : array-like of shape (n_classes,)
        The classes, in any order (an estimator's ``classes_``).

    Returns
    -------
    ndarray of shape (n_samples,)
        ``classes[result] == y``.
    """
    y = np.asarray(y)
    classes = np.asarray(classes)
    order = np.argsort(classes, kind="stable")
    ordered = classes[order]
    pos = np.clip(np.searchsorted(ordered, y), 0, len(ordered) - 1)
    unknown = ordered[pos] != y
    if np.any(unknown):
        i = int(np.argmax(unknown))
        raise ValueError(
            f"y_true[{i}] = {y[i]!r} is not one of the estimator's classes_ "
            f"{classes.tolist()}."
        )
    return order[pos]
