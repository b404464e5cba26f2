"""Metrics of the classification and distribution losses.

Each function is a thin layer over its loss object (:mod:`sklloss.losses`):
it turns labels of any type into the codes 0..K-1 the object expects, checks
the shapes, and returns the weighted mean of the object's per-sample value as
a Python float.

Argument names follow :mod:`sklearn.metrics` where it has the metric:
``log_loss(y_true, y_proba)`` (scikit-learn 1.9 renamed ``y_pred`` to
``y_proba``), ``hinge_loss(y_true, pred_decision)``,
``zero_one_loss(y_true, y_pred)``. The new metrics take the same names as
their closest sklearn sibling: ``focal_loss`` and ``cross_entropy`` take
``y_proba``, the margin metrics ``pred_decision``, the divergences ``y_pred``.
Scorers pass the prediction positionally, so the name only matters to
keyword callers.

Labels are encoded once, in O(n): integer labels (and floats holding
integers) through ``np.bincount`` over their range, other types through one
``np.unique(..., return_inverse=True)``.
"""

import datetime
import warnings

import numpy as np
from scipy import sparse

from .._validation import (
    check_finite_array,
    check_loss_sample_weight,
    check_same_length,
    weighted_mean,
    weighted_sum,
)
from ..losses._distribution import Entropy, JSDivergence, KLDivergence
from ..losses._margin import (
    Exponential,
    Hinge,
    ModifiedHuber,
    SquaredHinge,
    ZeroOne,
)
from ..losses._probabilistic import (
    UNIT_INTERVAL,
    Focal,
    LogLoss,
    _check_rows_sum_to_one,
    _check_targets,
    warn_if_rows_do_not_sum_to_one,
)

__all__ = [
    "log_loss",
    "focal_loss",
    "cross_entropy",
    "hinge_loss",
    "squared_hinge_loss",
    "modified_huber_loss",
    "exponential_loss",
    "zero_one_loss",
    "kl_divergence",
    "js_divergence",
    "entropy",
]

_LOG_LOSS = LogLoss()


# ------------------------------------------------------------ label encoding
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


def _encode(y_true, labels):
    """Return ``(classes, codes)``: sorted classes and y_true's index in them.

    With `labels`, the classes are the sorted distinct `labels` (sklearn's
    LabelBinarizer order; a UserWarning says so when `labels` is not sorted),
    and a label of `y_true` outside them is a ValueError.
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
            stacklevel=3,
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


def _weighted(values, sample_weight, normalize=True):
    """Weighted mean (or weighted sum if not `normalize`) as a Python float.

    `values` may be a callable returning them, evaluated with overflow
    silenced: a value beyond the float range is reported once, by the
    :class:`~sklloss._validation.MetricOverflowWarning` of the mean.
    """
    if callable(values):
        with np.errstate(over="ignore"):
            values = values()
    if normalize:
        return weighted_mean(values, sample_weight)
    return weighted_sum(values, sample_weight)


# ------------------------------------------------------ probabilistic metrics
def _check_proba(y_proba, loss_name, name="y_proba"):
    """Finite float probabilities in [0, 1], 1-D or (n, K); (n, 1) is raveled."""
    p = check_finite_array(y_proba, name=name)
    if p.ndim == 2 and p.shape[1] == 1:
        p = p[:, 0]
    # min / max first: the element-wise check runs only to word the error.
    if p.min() < 0 or p.max() > 1:
        UNIT_INTERVAL.check(p, name=name, loss_name=loss_name)
    return p


def _is_indicator(targets):
    """Whether a 2-D target holds only 0 and 1 (a label-indicator matrix)."""
    return bool(np.all((targets == 0) | (targets == 1)))


def _proba_inputs(y_true, y_proba, labels, sample_weight, loss_name):
    """Validated ``(targets, y_proba, sample_weight)`` for log loss and focal.

    `targets` are codes 0..K-1 (1-D `y_true`) or a checked (n, K) indicator /
    soft-target array (2-D `y_true`, whose columns are the classes).
    """
    p = _check_proba(y_proba, loss_name)
    y_arr = _as_label_array(y_true, "y_true")
    if y_arr.ndim == 2 and y_arr.shape[1] > 1:
        targets = check_finite_array(y_arr, name="y_true")
        check_same_length(("y_true", targets), ("y_proba", p))
        K = 2 if p.ndim == 1 else p.shape[1]
        if targets.shape[1] != K:
            raise ValueError(
                f"y_true has {targets.shape[1]} columns but y_proba describes "
                f"{K} classes."
            )
        UNIT_INTERVAL.check(targets, name="y_true", loss_name=loss_name)
        if loss_name == "log_loss" and _is_indicator(targets):
            # scikit-learn scores a multilabel indicator as -sum_k y_k log p_k,
            # rows of any sum; the 1-D probability is the second column
            if p.ndim == 1:
                p = np.stack([1 - p, p], axis=1)
        else:
            _check_rows_sum_to_one(targets, name="y_true", loss_name=loss_name)
        targets = targets if p.ndim == 2 else targets[:, 1]
    else:
        classes, targets = _encode(y_arr, labels)
        check_same_length(("y_true", targets), ("y_proba", p))
        _require_two_classes(classes, labels)
        K = 2 if p.ndim == 1 else p.shape[1]
        if len(classes) != K:
            if labels is None:
                raise ValueError(
                    f"y_true and y_proba contain different number of classes: "
                    f"{len(classes)} vs {K}. Please provide the true labels "
                    f"explicitly through the labels argument. Classes found in "
                    f"y_true: {classes.tolist()}"
                )
            raise ValueError(
                f"The number of classes in labels ({len(classes)}) is different "
                f"from that in y_proba ({K}). Classes found in labels: "
                f"{classes.tolist()}"
            )
    if p.ndim == 2:
        warn_if_rows_do_not_sum_to_one(p)
    sw = check_loss_sample_weight(sample_weight, len(p))
    return targets, p, sw


def log_loss(
    y_true,
    y_proba=None,
    *,
    normalize=True,
    sample_weight=None,
    labels=None,
    y_pred="deprecated",
):
    r"""Log loss (cross-entropy) of predicted probabilities, like scikit-learn's.

    .. math::

        L = -\frac{1}{\sum_i w_i} \sum_i w_i \log \tilde p_{i, y_i},
        \qquad \tilde p = \operatorname{clip}(p, \epsilon, 1 - \epsilon),

    with :math:`\epsilon` the machine epsilon of ``y_proba``'s dtype. The value
    equals :func:`sklearn.metrics.log_loss` (1.9), in a fraction of its time.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels of any type (or a label-indicator / soft-target matrix whose
        rows sum to 1).
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities: of the positive (greater) label when 1-D, of
        each class in sorted label order when 2-D. Values outside [0, 1], NaN
        and inf are a ValueError; rows that do not sum to 1 raise a
        UserWarning, as in scikit-learn.
    normalize : bool, default=True
        Return the (weighted) mean; otherwise the (weighted) sum.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.
    labels : array-like, default=None
        All class labels, when ``y_true`` does not contain every class.
    y_pred : array-like, default="deprecated"
        The old name of ``y_proba``, accepted with a FutureWarning as
        scikit-learn 1.9 does (it removes the name in 1.11).

    Returns
    -------
    float
        The (weighted) mean log loss, or the (weighted) sum with
        ``normalize=False``.

    Examples
    --------
    >>> from sklloss.metrics import log_loss
    >>> log_loss(["spam", "ham", "ham", "spam"],
    ...          [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
    0.21616...
    """
    y_proba = _renamed_y_pred(y_proba, y_pred)
    targets, p, sw = _proba_inputs(y_true, y_proba, labels, sample_weight, "log_loss")
    return _weighted(lambda: _LOG_LOSS.loss_from_prediction(targets, p), sw, normalize)


def _renamed_y_pred(y_proba, y_pred):
    """``y_proba``, or the deprecated ``y_pred`` with scikit-learn's FutureWarning."""
    if isinstance(y_pred, str) and y_pred == "deprecated":
        if y_proba is None:
            raise ValueError("log_loss needs y_proba; got y_proba=None.")
        return y_proba
    if y_proba is not None:
        raise ValueError(
            "Cannot use both `y_pred` and `y_proba`. `y_pred` is deprecated, "
            "use `y_proba` instead."
        )
    warnings.warn(
        "`y_pred` was renamed to `y_proba` in version 1.9 and will be removed "
        "in 1.11. Use `y_proba` instead.",
        FutureWarning,
        stacklevel=3,
    )
    return y_pred


def focal_loss(
    y_true, y_proba, *, gamma=2.0, alpha=None, sample_weight=None, labels=None
):
    r"""Focal loss of predicted probabilities (Lin et al. 2017).

    .. math::

        L = \frac{1}{\sum_i w_i} \sum_i w_i \,
            \bigl(-\alpha_{y_i} (1 - \tilde p_{i, y_i})^\gamma
            \log \tilde p_{i, y_i}\bigr),

    with probabilities clipped as in :func:`log_loss`. ``gamma=0`` and
    ``alpha=None`` give :func:`log_loss`. See :class:`sklloss.losses.Focal`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Labels of any type, or soft targets.
    y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
        Predicted probabilities, as for :func:`log_loss`.
    gamma : float, default=2.0
        Focusing parameter, >= 0.
    alpha : None, float or array-like of shape (n_classes,), default=None
        Class weights: ``None`` weighs every class 1; a float (binary only)
        weighs the positive (greater) label by ``alpha`` and the other by
        ``1 - alpha``; an array weighs class ``k`` (in sorted label order,
        the order of the columns of ``y_proba``) by ``alpha[k]``.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.
    labels : array-like, default=None
        All class labels, when ``y_true`` does not contain every class.

    Returns
    -------
    float
        The (weighted) mean focal loss.

    Examples
    --------
    >>> from sklloss.metrics import focal_loss
    >>> focal_loss([0, 1, 1], [0.2, 0.7, 0.95])
    0.0137...
    >>> focal_loss([0, 1, 1], [0.2, 0.7, 0.95], gamma=0.0)  # the log loss
    0.2103...
    """
    loss = Focal(gamma=gamma, alpha=alpha)
    targets, p, sw = _proba_inputs(y_true, y_proba, labels, sample_weight, "focal")
    return _weighted(lambda: loss.loss_from_prediction(targets, p), sw)


def cross_entropy(y_true, y_proba, *, sample_weight=None):
    r"""Cross-entropy of predicted probabilities against soft targets.

    .. math::

        L = -\frac{1}{\sum_i w_i} \sum_i w_i \sum_k y_{ik} \log \tilde p_{ik},
        \qquad \tilde p = \operatorname{clip}(p, \epsilon, 1 - \epsilon).

    The :class:`~sklloss.losses.LogLoss` object's metric for targets that are
    distributions: ``(n, K)`` rows in [0, 1] summing to 1, or a 1-D
    probability of the positive class in [0, 1] with 1-D ``y_proba`` (binary
    cross-entropy). With one-hot targets it equals :func:`log_loss`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_classes) or (n_samples,)
        Target distributions (a ValueError names the row whose sum is not 1).
    y_proba : array-like of the same shape
        Predicted probabilities (rows not summing to 1 warn, as in
        :func:`log_loss`).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.

    Returns
    -------
    float
        The (weighted) mean cross-entropy.

    Examples
    --------
    >>> from sklloss.metrics import cross_entropy
    >>> cross_entropy([[0.5, 0.5], [0.9, 0.1]], [[0.5, 0.5], [0.8, 0.2]])
    0.527...
    >>> cross_entropy([0.2, 1.0], [0.2, 0.9])  # binary cross-entropy
    0.303...
    """
    p = _check_proba(y_proba, "log_loss")
    if p.ndim == 2:
        warn_if_rows_do_not_sum_to_one(p)
    targets = _check_targets(
        y_true, p, soft=True, loss_name="log_loss", pred_name="y_proba"
    )
    sw = check_loss_sample_weight(sample_weight, len(p))
    return _weighted(lambda: _LOG_LOSS.loss_from_prediction(targets, p), sw)


# ------------------------------------------------------------ margin metrics
def _margin_inputs(y_true, pred_decision, labels, sample_weight):
    """Codes, decision values and weights, checked like sklearn's hinge_loss.

    Binary (two classes): the greater label is positive, ``pred_decision`` is
    1-D (or (n, 2), read as two class scores). Multiclass: (n, K) scores with
    K the number of classes of ``labels`` (or of ``y_true``).
    """
    pred = check_finite_array(pred_decision, name="pred_decision")
    classes, codes = _encode(y_true, labels)
    check_same_length(("y_true", codes), ("pred_decision", pred))
    _require_two_classes(classes, labels)
    K = len(classes)
    if pred.ndim == 2 and pred.shape[1] == 1:
        pred = pred[:, 0]
    if K > 2 and pred.ndim == 1:
        raise ValueError(
            f"pred_decision must have shape (n_samples, n_classes) = "
            f"({len(codes)}, {K}) with a multiclass target; got {pred.shape}."
        )
    if pred.ndim == 2 and pred.shape[1] != K:
        hint = "" if labels is not None else " Pass every label through labels="
        raise ValueError(
            f"pred_decision has {pred.shape[1]} columns but there are {K} "
            f"classes: {classes.tolist()}.{hint}"
        )
    sw = check_loss_sample_weight(sample_weight, len(pred))
    return codes, pred, sw


def _margin_metric(loss, y_true, pred_decision, labels, sample_weight):
    codes, pred, sw = _margin_inputs(y_true, pred_decision, labels, sample_weight)
    return _weighted(lambda: loss.loss(codes, pred), sw)


_MARGIN_DOC = r"""{title}

    .. math::

        L = \frac{{1}}{{\sum_i w_i}} \sum_i w_i \, \phi(m_i), \qquad
        \phi(m) = {formula},

    with the margin :math:`m = \pm z` (binary: :math:`+` for the greater
    label) or the Crammer-Singer margin :math:`m = z_y - \max_{{j \ne y}} z_j`
    (multiclass), exactly as :func:`sklearn.metrics.hinge_loss` forms it.
    {note}

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels of any type.
    pred_decision : array-like of shape (n_samples,) or (n_samples, n_classes)
        Decision values (``decision_function``), one column per class (in
        sorted label order) for a multiclass target.
    labels : array-like, default=None
        All class labels, when ``y_true`` does not contain every class.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.

    Returns
    -------
    float
        The (weighted) mean loss.

    Examples
    --------
    >>> from sklloss.metrics import {name}
    >>> {name}([-1, 1, 1], [-2.18, 2.36, 0.09])
    {example}
    """


def _margin_metric_function(name, loss_cls, *, title, formula, note, example):
    """The metric ``name``: the weighted mean of the margin loss ``loss_cls``.

    scikit-learn's ``hinge_loss`` signature, shared by the four margin metrics.
    """

    def metric(y_true, pred_decision, *, labels=None, sample_weight=None):
        loss = loss_cls()
        return _margin_metric(loss, y_true, pred_decision, labels, sample_weight)

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = _MARGIN_DOC.format(
        title=title, formula=formula, note=note, name=name, example=example
    )
    return metric


hinge_loss = _margin_metric_function(
    "hinge_loss",
    Hinge,
    title="Average hinge loss, equal to :func:`sklearn.metrics.hinge_loss`.",
    formula=r"\max(0, 1 - m)",
    note="Unlike scikit-learn, a ``y_true`` with one class and no ``labels`` "
    "is a ValueError (which label is positive is then unknown).",
    example="0.30...",
)
squared_hinge_loss = _margin_metric_function(
    "squared_hinge_loss",
    SquaredHinge,
    title="Average squared hinge loss.",
    formula=r"\max(0, 1 - m)^2",
    note="See :class:`sklloss.losses.SquaredHinge`.",
    example="0.2760...",
)
modified_huber_loss = _margin_metric_function(
    "modified_huber_loss",
    ModifiedHuber,
    title="Average modified Huber loss (scikit-learn's SGD definition).",
    formula=r"\max(0, 1 - m)^2 \text{ if } m \ge -1 \text{ else } -4 m",
    note="See :class:`sklloss.losses.ModifiedHuber`.",
    example="0.2760...",
)
exponential_loss = _margin_metric_function(
    "exponential_loss",
    Exponential,
    title="Average exponential loss (AdaBoost).",
    formula=r"e^{-m}",
    note="Beyond :math:`m < -T` (:math:`T = 354.9` in float64) the loss is "
    "continued linearly; see :class:`sklloss.losses.Exponential`.",
    example="0.3737...",
)


def zero_one_loss(y_true, y_pred, *, normalize=True, sample_weight=None):
    r"""Zero-one loss: the (weighted) fraction of wrong labels, like sklearn's.

    .. math::

        L = \frac{\sum_i w_i \mathbb{1}[\hat y_i \ne y_i]}{\sum_i w_i}.

    Equals :func:`sklearn.metrics.zero_one_loss`. 2-D label-indicator arrays
    (dense or SciPy sparse) count a sample as wrong unless its whole row
    matches; the old list-of-label-lists format is refused, as there.

    Parameters
    ----------
    y_true : array-like or sparse matrix
        True labels of any type, of shape (n_samples,), or a label-indicator
        matrix of shape (n_samples, n_labels).
    y_pred : array-like or sparse matrix of the same shape
        Predicted labels (``predict``), of a type comparable to ``y_true``.
    normalize : bool, default=True
        Return the fraction; otherwise the (weighted) number of mistakes.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.

    Returns
    -------
    float
        The (weighted) fraction of wrong labels, or the (weighted) number of
        mistakes with ``normalize=False``.

    Examples
    --------
    >>> from sklloss.metrics import zero_one_loss
    >>> zero_one_loss([2, 2, 3, 4], [1, 2, 3, 4])
    0.25
    >>> zero_one_loss([2, 2, 3, 4], [1, 2, 3, 4], normalize=False)
    1.0
    """
    if sparse.issparse(y_true) or sparse.issparse(y_pred):
        wrong = _sparse_rows_differ(y_true, y_pred)
        sw = check_loss_sample_weight(sample_weight, len(wrong))
        return _weighted(wrong, sw, normalize)
    yt, yp = _as_label_array(y_true, "y_true"), _as_label_array(y_pred, "y_pred")
    if yt.ndim != 2 or yt.shape[1] == 1:
        yt, yp = _column(yt, "y_true"), _column(yp, "y_pred")
    check_same_length(("y_true", yt), ("y_pred", yp))
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {yt.shape} and "
            f"{yp.shape}."
        )
    numeric = [
        _integer_view(a.ravel(), n) is not None
        for a, n in ((yt, "y_true"), (yp, "y_pred"))
    ]
    if numeric[0] != numeric[1]:
        raise ValueError(
            "Mix of label input types (string and number): y_true and y_pred "
            f"mix label types, {yt.dtype} and {yp.dtype}."
        )
    sw = check_loss_sample_weight(sample_weight, len(yt))
    return _weighted(ZeroOne().loss_from_prediction(yt, yp), sw, normalize)


def _sparse_rows_differ(y_true, y_pred):
    """1.0 where two label-indicator matrices (one at least sparse) differ in a row.

    Computed on the sparse difference, as scikit-learn does, without
    densifying; the matrices must have the same shape and hold only 0 and 1.
    """
    yt, yp = sparse.csr_array(y_true), sparse.csr_array(y_pred)
    if yt.shape != yp.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape; got {yt.shape} and "
            f"{yp.shape}."
        )
    if yt.shape[0] == 0:
        raise ValueError(
            "Found empty input array (e.g., `y_true` or `y_pred`) while a minimum "
            "of 1 sample is required: y_true is empty."
        )
    for name, m in (("y_true", yt), ("y_pred", yp)):
        if m.nnz and not np.all(m.data == 1):
            m.eliminate_zeros()
            if not np.all(m.data == 1):
                raise ValueError(
                    f"{name} is sparse, so it must be a label-indicator matrix "
                    "of 0 and 1; it holds other values."
                )
    diff = (yt - yp).tocsr()
    diff.eliminate_zeros()
    return (np.diff(diff.indptr) > 0).astype(np.float64)


# ------------------------------------------------------ distribution metrics
def kl_divergence(y_true, y_pred, *, sample_weight=None):
    r"""Mean Kullback-Leibler divergence of predicted from target distributions.

    .. math::

        L = \frac{1}{\sum_i w_i} \sum_i w_i \sum_k y_{ik}
            \log \frac{y_{ik}}{\tilde q_{ik}}, \qquad 0 \log 0 = 0,

    in nats, with :math:`\tilde q` clipped to :math:`[\epsilon, 1 - \epsilon]`
    (so a zero prediction where the target is positive is large, not
    ``inf``). See :class:`sklloss.losses.KLDivergence`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_classes) or (n_samples,)
        Target distributions (rows in [0, 1] summing to 1; 1-D: Bernoulli
        parameters).
    y_pred : array-like of the same shape
        Predicted distributions, checked the same way.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.

    Returns
    -------
    float
        The (weighted) mean KL divergence, in nats.

    Examples
    --------
    >>> from sklloss.metrics import kl_divergence
    >>> kl_divergence([[0.5, 0.5], [1.0, 0.0]], [[0.9, 0.1], [0.5, 0.5]])
    0.601...
    """
    return KLDivergence()(y_true, y_pred, sample_weight=sample_weight)


def js_divergence(y_true, y_pred, *, sample_weight=None):
    r"""Mean Jensen-Shannon divergence between target and predicted distributions.

    .. math::

        L = \frac{1}{\sum_i w_i} \sum_i w_i \left(\tfrac12 \mathrm{KL}(y_i \| m_i)
            + \tfrac12 \mathrm{KL}(q_i \| m_i)\right), \qquad
        m_i = \tfrac12 (y_i + q_i),

    in nats (natural logarithm), so each term lies in :math:`[0, \log 2]`; it
    is the square of :func:`scipy.spatial.distance.jensenshannon`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, n_classes) or (n_samples,)
        Target distributions.
    y_pred : array-like of the same shape
        Predicted distributions.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.

    Returns
    -------
    float
        The (weighted) mean JS divergence, in nats.

    Examples
    --------
    >>> from sklloss.metrics import js_divergence
    >>> js_divergence([[1.0, 0.0]], [[0.5, 0.5]])
    0.215...
    """
    return JSDivergence()(y_true, y_pred, sample_weight=sample_weight)


def entropy(y_true, y_pred, *, sample_weight=None):
    r"""Mean Shannon entropy of the predicted distributions (``y_true`` ignored).

    .. math::

        L = \frac{1}{\sum_i w_i} \sum_i w_i \left(-\sum_k q_{ik} \log q_{ik}\right)

    in nats. ``y_true`` is part of the signature so the function works as a
    scorer, and is ignored.

    Parameters
    ----------
    y_true : object
        Ignored.
    y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
        Predicted distributions (1-D: Bernoulli probabilities).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, not all zero.

    Returns
    -------
    float
        The (weighted) mean entropy, in nats.

    Examples
    --------
    >>> from sklloss.metrics import entropy
    >>> entropy(None, [[0.5, 0.5], [0.9, 0.1]])
    0.509...
    """
    return Entropy()(y_true, y_pred, sample_weight=sample_weight)
