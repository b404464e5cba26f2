"""The one validation of a loss's inputs, by kind, and the one weighted mean.

:meth:`Loss.__call__ <sklloss.losses.Loss.__call__>` and every metric of
:mod:`sklloss.metrics` read their input through :func:`check_inputs`: the
prediction first (finite, inside the loss's ``y_pred_domain``; distributions
must sum to 1), then the targets by the loss's kind, then the weights. A
metric that takes labels of any type passes ``read_targets`` (its label
encoder) in place of the kind's check of encoded targets; the rest is shared.
:func:`mean_of` is the weighted mean both return.

The kinds and what their targets are:

* ``"regression"``: real values in ``y_true_domain``; (n,) against (n, 1) is
  one output, as in scikit-learn;
* ``"probabilistic"``: labels 0..K-1, 0 / 1 against 1-D probabilities, or
  soft targets (rows summing to 1); rows of ``y_pred`` that do not sum to 1
  only warn, as in :func:`sklearn.metrics.log_loss`;
* ``"distribution"``: the same, and ``y_pred``'s rows must sum to 1;
* ``"margin"``: labels 0 / 1 (1-D decision values) or 0..K-1;
* ``"labels"`` (the zero-one loss): labels of any type, equal shapes;
* ``"prediction"`` (the entropy): ``y_true`` is ignored.
"""

import warnings
from functools import partial

import numpy as np

from .._validation import (
    Interval,
    check_finite_array,
    check_loss_sample_weight,
    check_same_length,
    user_stacklevel,
    weighted_mean,
    weighted_sum,
)
from ._softmax import _row_sums

UNIT_INTERVAL = Interval(0, 1)  # probabilities, soft targets


def _row_sum_tol(dtype):
    """Tolerance of the check that rows sum to 1: sqrt(eps), at least 1e-6."""
    return max(float(np.sqrt(np.finfo(dtype).eps)), 1e-6)


def _check_rows_sum_to_one(arr, *, name, loss_name):
    """Raise a ValueError naming `name`, the row and its sum if one is not 1."""
    sums = _row_sums(arr)
    bad = np.abs(sums - 1.0) > _row_sum_tol(arr.dtype)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} must hold probability distributions whose rows sum to 1 "
            f"(within {_row_sum_tol(arr.dtype):g}) for loss {loss_name!r}; got "
            f"sum({name}[{i}]) = {float(sums[i])!r}."
        )


def _check_labels(y, n_classes, *, name, loss_name):
    """1-D `y` must hold integer labels 0..n_classes-1; return them as intp."""
    bad = (y < 0) | (y > n_classes - 1) | (y != np.floor(y))  # before any cast
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} must hold integer labels in 0..{n_classes - 1} (one per "
            f"column of y_pred) for loss {loss_name!r}; got {name}[{i}] = "
            f"{y[i].item()!r}."
        )
    return y.astype(np.intp)


def _check_targets(y_true, y_pred, *, soft, loss_name, pred_name="y_pred"):
    """Validate `y_true` against a checked `y_pred` (1-D or (n, K)).

    * 1-D `y_pred`: `y_true` 1-D in [0, 1] (``soft``) or in {0, 1}.
    * 2-D `y_pred`: `y_true` 1-D integer labels 0..K-1, or (``soft``) an
      (n, K) array of rows in [0, 1] that sum to 1.

    Returns labels as intp in the label case, floats otherwise.
    """
    y_true = check_finite_array(y_true, name="y_true")
    check_same_length(("y_true", y_true), (pred_name, y_pred))
    if y_pred.ndim == 2 and y_true.ndim == 1:
        return _check_labels(
            y_true, y_pred.shape[1], name="y_true", loss_name=loss_name
        )
    if y_true.ndim != y_pred.ndim or (soft is False and y_true.ndim == 2):
        raise ValueError(
            f"y_true of shape {y_true.shape} does not fit {pred_name} of shape "
            f"{y_pred.shape} for loss {loss_name!r}: pass 1-D labels"
            + (f", or soft targets of {pred_name}'s shape." if soft else ".")
        )
    if y_true.ndim == 1 and not soft:
        return _check_labels(y_true, 2, name="y_true", loss_name=loss_name)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but {pred_name} has shape "
            f"{y_pred.shape}; "
            f"soft targets need one column per class for loss {loss_name!r}."
        )
    UNIT_INTERVAL.check(y_true, name="y_true", loss_name=loss_name)
    if y_true.ndim == 2:
        _check_rows_sum_to_one(y_true, name="y_true", loss_name=loss_name)
    return y_true


def warn_if_rows_do_not_sum_to_one(y_proba):
    """Warn like sklearn's log_loss when rows of `y_proba` do not sum to 1.

    The test is sklearn's: ``isclose(sum, 1, rtol=sqrt(eps), atol=1e-8)``.

    Parameters
    ----------
    y_proba : ndarray of shape (n_samples, n_classes)
        Predicted probabilities, one row per sample.

    Warns
    -----
    UserWarning
        If a row does not sum to 1 within the tolerance.
    """
    sums = _row_sums(y_proba)
    tol = 1e-8 + np.sqrt(np.finfo(y_proba.dtype).eps)
    if not np.all(np.abs(sums - 1) <= tol):
        warnings.warn(
            "The y_prob values do not sum to one. Make sure to pass probabilities.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


# ------------------------------------------------------------- by kind
def _check_regression(loss, y_true, y_pred, pred_name):
    # both finite before either domain: the order of scikit-learn's checks
    y_true = check_finite_array(y_true, name="y_true")
    y_pred = check_finite_array(y_pred, name=pred_name)
    loss.y_true_domain.check(y_true, name="y_true", loss_name=loss._display_name)
    loss.y_pred_domain.check(y_pred, name=pred_name, loss_name=loss._display_name)
    check_same_length(("y_true", y_true), (pred_name, y_pred))
    if y_true.ndim != y_pred.ndim:
        # (n,) against (n, 1): one output, as in scikit-learn
        y_true = y_true.reshape(len(y_true), -1)
        y_pred = y_pred.reshape(len(y_pred), -1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and {pred_name} have different numbers of outputs: "
            f"y_true has shape {y_true.shape}, {pred_name} has shape "
            f"{y_pred.shape}."
        )
    return y_true, y_pred


def _check_label_targets(loss, y_true, y_pred, pred_name):
    y_true = np.asarray(y_true)
    check_same_length(("y_true", y_true), (pred_name, y_pred))
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and {pred_name} must have the same shape; got {y_true.shape} "
            f"and {y_pred.shape}."
        )
    return y_true, y_pred


def _checker(soft):
    def check(loss, y_true, y_pred, pred_name):
        targets = _check_targets(
            y_true, y_pred, soft=soft, loss_name=loss._display_name, pred_name=pred_name
        )
        return targets, y_pred

    return check


_TARGETS = {
    "probabilistic": _checker(soft=True),
    "distribution": _checker(soft=True),
    "margin": _checker(soft=False),
    "labels": _check_label_targets,
    "prediction": lambda loss, y_true, y_pred, pred_name: (None, y_pred),
}


def _input_kind(loss):
    """The kind of input check: ``loss.kind`` unless the loss names another."""
    return loss._input_kind or loss.kind


def _check_prediction(loss, y_pred, pred_name):
    if _input_kind(loss) == "labels":
        return np.asarray(y_pred)
    y_pred = check_finite_array(y_pred, name=pred_name)
    loss.y_pred_domain.check(y_pred, name=pred_name, loss_name=loss._display_name)
    if _input_kind(loss) in ("distribution", "prediction") and y_pred.ndim == 2:
        _check_rows_sum_to_one(y_pred, name=pred_name, loss_name=loss._display_name)
    return y_pred


def check_inputs(
    loss, y_true, y_pred, sample_weight, *, pred_name="y_pred", read_targets=None
):
    """Validated ``(y_true, y_pred, sample_weight)`` for ``loss``, by its kind.

    Parameters
    ----------
    loss : Loss
        The loss; its kind (or ``_input_kind``) chooses the checks.
    y_true, y_pred : array-like
        Targets and predictions (prediction space).
    sample_weight : array-like of shape (n_samples,) or None
        Non-negative weights, not all zero.
    pred_name : str, default="y_pred"
        The prediction's name in the messages (``"y_proba"``, ...).
    read_targets : callable, default=None
        ``read_targets(y_true, y_pred) -> (targets, y_pred)``, a metric's
        reading of labels of any type; None: the kind's check of encoded
        targets.

    Returns
    -------
    y_true, y_pred : ndarray
        The checked arrays (``y_true`` None for the entropy).
    sample_weight : ndarray or None
        The checked weights.
    """
    kind = _input_kind(loss)
    if kind == "regression":
        y_true, y_pred = _check_regression(loss, y_true, y_pred, pred_name)
    else:
        y_pred = _check_prediction(loss, y_pred, pred_name)
        read = read_targets or partial(_TARGETS[kind], loss, pred_name=pred_name)
        y_true, y_pred = read(y_true, y_pred)
    if kind == "probabilistic" and y_pred.ndim == 2:
        warn_if_rows_do_not_sum_to_one(y_pred)
    sw = check_loss_sample_weight(sample_weight, len(y_pred))
    return y_true, y_pred, sw


def mean_of(values, sample_weight, *, normalize=True):
    """The weighted mean (or sum) of per-sample values, as a Python float.

    Parameters
    ----------
    values : ndarray or callable
        The per-sample values, or a callable returning them, evaluated with
        overflow silenced: a value beyond the float range is reported once,
        by the :class:`~sklloss._validation.MetricOverflowWarning` of the mean.
    sample_weight : ndarray or None
        Checked weights.
    normalize : bool, default=True
        The mean; otherwise the weighted sum.

    Returns
    -------
    float
        The weighted mean (averaged over outputs for 2-D values) or sum.
    """
    if callable(values):
        with np.errstate(over="ignore"):
            values = values()
    if normalize:
        return weighted_mean(values, sample_weight)
    return weighted_sum(values, sample_weight)
