"""Probabilistic classification losses: log loss (cross-entropy) and focal loss.

Both see the raw prediction through the logit link: the sigmoid for a 1-D
``raw_prediction`` (binary, ``y_true`` in {0, 1} or a soft target in [0, 1]),
the softmax for a 2-D one of shape (n, K) (``y_true`` holds labels 0..K-1, or
soft targets of shape (n, K) whose rows sum to 1). Every quantity is formed
from log-sigmoids and log-softmaxes, so nothing overflows at |raw| = 1e4.

This module also holds the target checks shared by the margin and the
distribution losses (``_check_targets``, ``_check_rows_sum_to_one``).
"""

import math
import numbers
import warnings

import numpy as np
from scipy.special import (
    expit,
    log_expit,
    log_softmax,
    logit,
    logsumexp,
    softmax,
    xlogy,
)

from .._validation import (
    Interval,
    check_finite_array,
    check_loss_sample_weight,
    check_same_length,
)
from ._base import Loss, weighted_mean
from ._registry import register

__all__ = ["LogLoss", "Focal"]


# ----------------------------------------------------------- shared helpers
UNIT_INTERVAL = Interval(0, 1)  # probabilities, soft targets


def _float(raw_prediction):
    """``raw_prediction`` as a float32 / float64 array (never a copy if it is one)."""
    raw = np.asarray(raw_prediction)
    if raw.dtype not in (np.float32, np.float64):
        raw = raw.astype(np.float64)
    return raw


def _prepare(y_true, raw_prediction):
    """Return ``(y, raw)``: labels as intp for 2-D raw and 1-D y, else floats.

    Soft targets are cast to the dtype of ``raw`` so that float32 stays float32.
    """
    raw = _float(raw_prediction)
    y = np.asarray(y_true)
    if raw.ndim == 2 and y.ndim == 1:
        return y.astype(np.intp, copy=False), raw
    return y.astype(raw.dtype, copy=False), raw


def _rows(n):
    return np.arange(n)


def _one_hot(y, n_classes, dtype):
    """(n, n_classes) indicator rows of integer labels ``y``."""
    out = np.zeros((len(y), n_classes), dtype=dtype)
    out[_rows(len(y)), y] = 1
    return out


def _row_sums(arr):
    # einsum is several times faster than arr.sum(axis=1) on narrow rows.
    return np.einsum("ij->i", arr)


def _pick(arr, y):
    """``arr[i, y[i]]`` for every row (flat indexing when arr is C-contiguous)."""
    n, K = arr.shape
    if arr.flags.c_contiguous:
        return arr.ravel()[_rows(n) * K + y]
    return arr[_rows(n), y]


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


def _softmax_cov(p):
    """``diag(p) - p p^T`` per row: the Hessian of logsumexp, shape (n, K, K)."""
    h = -p[:, :, None] * p[:, None, :]
    k = np.arange(p.shape[1])
    h[:, k, k] += p
    return h


def _clip_proba(p):
    """Clip probabilities to [eps, 1 - eps] of their dtype (sklearn's log_loss)."""
    eps = np.finfo(p.dtype).eps
    return np.clip(p, eps, 1 - eps)


def _binary_columns(y, y_pred):
    """Pair a 1-D target with 1-D probabilities as the two columns (1-y, y)."""
    return (1 - y, y), (_clip_proba(1 - y_pred), _clip_proba(y_pred))


class _ProbabilisticLoss(Loss):
    """Shared link, checks and ``__call__`` of the sigmoid / softmax losses.

    ``__call__(y_true, y_proba)``: 1-D probabilities of the positive class with
    ``y_true`` in {0, 1} or [0, 1], or (n, K) probabilities with labels
    0..K-1 or soft targets. Rows of ``y_proba`` that do not sum to 1 only warn,
    as in :func:`sklearn.metrics.log_loss`; soft targets must sum to 1.
    """

    kind = "probabilistic"
    link = "logit"
    multiclass = "softmax"
    y_true_domain = UNIT_INTERVAL
    y_pred_domain = UNIT_INTERVAL

    def inverse_link(self, raw_prediction):
        """Sigmoid of a 1-D raw prediction, softmax over the rows of a 2-D one.

        Parameters
        ----------
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Probability of the positive class (1-D) or of each class (2-D).
        """
        raw = _float(raw_prediction)
        return expit(raw) if raw.ndim == 1 else softmax(raw, axis=1)

    def link_function(self, y_pred):
        """Logit of 1-D probabilities, log of (n, K) ones (a softmax preimage).

        Parameters
        ----------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Probability of the positive class (1-D) or of each class (2-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction whose sigmoid (1-D) or softmax (2-D) is ``y_pred``;
            a zero probability gives ``-inf``.
        """
        p = _float(y_pred)
        if p.ndim == 1:
            return logit(p)
        with np.errstate(divide="ignore"):
            return np.log(p)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Weighted mean of :meth:`loss_from_prediction`, as a Python float.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels (0/1, or 0..K-1 for 2-D ``y_pred``), or soft targets.
        y_pred : array-like of shape (n_samples,) or (n_samples, n_classes)
            Probability of the positive class, or of each class.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, not all zero.

        Returns
        -------
        float
        """
        y_pred = self._check_y_pred(y_pred)
        if y_pred.ndim == 2:
            warn_if_rows_do_not_sum_to_one(y_pred)
        y_true = _check_targets(y_true, y_pred, soft=True, loss_name=self._display_name)
        sw = check_loss_sample_weight(sample_weight, len(y_pred))
        with np.errstate(over="ignore"):  # reported by weighted_mean's warning
            values = self.loss_from_prediction(y_true, y_pred)
        return weighted_mean(values, sw)


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
            stacklevel=3,
        )


# Column loops for the softmax of a narrow (n, K) raw prediction. NumPy's
# reductions along a short last axis are slow; K passes over (n,) columns are
# about twice as fast. Below 8 columns NumPy sums each row sequentially (its
# pairwise summation unrolls by 8), so the running column sums below give
# bit-identical results to log_softmax / softmax and ``.sum(axis=1)``.
_LOOP_MAX_K = 7
_HESSP_LOOP_MAX_K = 5  # measured: slower than the vectorised code above this


def _col_max(raw):
    """``raw.max(axis=1)`` by a loop over the columns."""
    m = raw[:, 0].copy()
    for k in range(1, raw.shape[1]):
        np.maximum(m, raw[:, k], out=m)
    return m


def _col_sum(arr):
    """``arr.sum(axis=1)`` by a loop over the columns (sequential per row)."""
    s = arr[:, 0].copy()
    for k in range(1, arr.shape[1]):
        s += arr[:, k]
    return s


def _softmax_loss_gradient_loop(y, raw):
    """Multiclass ``LogLoss.loss_gradient`` for 1 <= K <= _LOOP_MAX_K columns.

    The operations of ``log_softmax`` (max, made 0 where not finite; log of
    the sum of ``e_k = exp(z_k - max)``) column by column, with one exp per
    entry: ``p_k = e_k / sum_j e_j`` (within 2 ulp of ``exp(log p_k)``).
    """
    n, K = raw.shape
    m = _col_max(raw)
    finite = np.isfinite(m)
    if not finite.all():
        m[~finite] = 0
    # The gradient takes raw's layout: with a column-major raw (the linear
    # models pass (W @ X.T).T) every column below is contiguous.
    column_major = raw.flags.f_contiguous and not raw.flags.c_contiguous
    grad = np.empty((n, K), dtype=raw.dtype, order="F" if column_major else "C")
    s = np.zeros_like(m)
    for k in range(K):
        e_k = grad[:, k]
        np.subtract(raw[:, k], m, out=e_k)
        np.exp(e_k, out=e_k)
        s += e_k
    with np.errstate(divide="ignore"):
        inv = np.divide(1.0, s)
        logs = np.log(s, out=s)
    if y.ndim == 1:
        for k in range(K):
            grad[:, k] *= inv  # p_k
        del inv  # (memory: the flat index below takes its place)
        if column_major:  # grad.T and raw.T are C-contiguous (K, n) views
            flat = y * n
            flat += _rows(n)
            grad.T.ravel()[flat] -= 1
            z_y = raw.T.ravel()[flat]
        else:
            flat = _rows(n) * K + y
            grad.ravel()[flat] -= 1
            z_y = raw.ravel()[flat] if raw.flags.c_contiguous else raw[_rows(n), y]
        del flat
        z_y -= m
        return np.subtract(logs, z_y, out=z_y), grad
    # Soft targets: loss -sum_k y_k log p_k, gradient s p - y (see below).
    sy = _col_sum(y)
    inv *= sy
    loss = np.zeros_like(m)
    buf = np.empty_like(m)
    for k in range(K):
        y_k = y[:, k]
        np.subtract(raw[:, k], m, out=buf)
        buf -= logs  # log p_k
        buf *= y_k
        loss += buf
        g_k = grad[:, k]
        g_k *= inv  # s p_k
        g_k -= y_k
    return np.negative(loss, out=loss), grad


def _softmax_hessp_loop(y, raw, v):
    """Multiclass ``LogLoss.hessian_product`` for 1 <= K <= _HESSP_LOOP_MAX_K.

    The same operations as ``softmax`` (exp(z - max) / sum), then
    ``s * (p v - p (p . v))``, column by column; ``out`` holds p meanwhile.
    """
    n, K = raw.shape
    m = _col_max(raw)
    out = np.empty((n, K), dtype=raw.dtype)
    s = np.zeros_like(m)
    for k in range(K):
        p_k = out[:, k]
        np.subtract(raw[:, k], m, out=p_k)
        np.exp(p_k, out=p_k)
        s += p_k
    buf = np.empty_like(m)
    pv = np.zeros_like(m)
    for k in range(K):
        p_k = out[:, k]
        np.divide(p_k, s, out=p_k)
        np.multiply(p_k, v[:, k], out=buf)
        pv += buf
    sy = _col_sum(y) if y.ndim == 2 else None
    for k in range(K):
        o_k = out[:, k]
        np.multiply(o_k, v[:, k], out=buf)  # p_k v_k
        np.multiply(o_k, pv, out=o_k)  # p_k (p . v)
        np.subtract(buf, o_k, out=o_k)
        if sy is not None:
            o_k *= sy
    return out


# ------------------------------------------------------------------ log loss
def _binary_log_loss(y, raw):
    # Two log-sigmoids rather than log1p(e^z) - y z: no cancellation when
    # y = 1 and z is large, so the value is accurate relatively.
    return -(y * log_expit(raw) + (1 - y) * log_expit(-raw))


def _binary_log_loss_derivatives(y, raw):
    """Gradient and second derivative of the binary log loss, one exp.

    With t = e^{-|z|}: sigma(z) sigma(-z) = t / (1 + t)^2, and the gradient
    in the exact form of ``LogLoss.loss_gradient``.
    """
    t = np.exp(-np.abs(raw))
    inv = 1 / (1 + t)
    y0 = 1 - y
    grad = np.where(raw >= 0, y0 - y * t, y0 * t - y)
    grad *= inv
    t *= inv
    t *= inv
    return grad, t


def _softmax_gradient_hessian_diagonal(y, raw):
    """``(p - y, s p (1 - p))`` of the softmax log loss; raw's memory layout.

    s is 1 for labels and the row sums of soft targets (see loss_gradient).
    """
    p = raw - _col_max(raw)[:, None]  # a reduction over 3 columns is slow
    np.exp(p, out=p)
    p /= _row_sums(p)[:, None]
    hess = np.subtract(1, p)
    hess *= p
    if y.ndim == 1:
        p[_rows(len(y)), y] -= 1
        return p, hess
    s = _row_sums(y)[:, None]
    hess *= s
    p *= s
    p -= y
    return p, hess


@register
class LogLoss(_ProbabilisticLoss):
    r"""Log loss (logistic loss, cross-entropy) through the sigmoid or the softmax.

    Binary, with a 1-D raw prediction :math:`z` and :math:`y \in [0, 1]`:

    .. math::

        \ell(y, z) = -y \log \sigma(z) - (1 - y) \log \sigma(-z)
                   = \log(1 + e^z) - y z, \qquad
        \ell' = \sigma(z) - y, \qquad \ell'' = \sigma(z) \sigma(-z).

    Multiclass, with raw predictions :math:`z \in \mathbb{R}^K`, label
    :math:`c` (or soft target :math:`y` with :math:`\sum_k y_k = 1`) and
    :math:`p = \operatorname{softmax}(z)`:

    .. math::

        \ell(y, z) = -\sum_k y_k \log p_k = \operatorname{logsumexp}(z)
                     - \sum_k y_k z_k, \qquad
        \nabla \ell = p - y, \qquad
        \nabla^2 \ell = \operatorname{diag}(p) - p p^\top.

    ``cross_entropy``, ``binary_cross_entropy``, ``logistic``, ``softmax`` and
    ``multinomial`` are aliases: the same object handles hard labels and soft
    targets. In prediction space (:meth:`loss_from_prediction`, the metric)
    probabilities are clipped to :math:`[\epsilon, 1 - \epsilon]` of their
    dtype, exactly as :func:`sklearn.metrics.log_loss` does.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import LogLoss
    >>> LogLoss().loss(np.array([1, 0]), np.array([0.0, 2.0]))
    array([0.693..., 2.126...])
    >>> LogLoss()(np.array([0, 2]), np.array([[0.8, 0.1, 0.1], [0.2, 0.3, 0.5]]))
    0.458...
    """

    name = "log_loss"
    aliases = (
        "logistic",
        "cross_entropy",
        "binary_cross_entropy",
        "softmax",
        "multinomial",
    )
    metric_name = "log_loss"

    def loss(self, y_true, raw_prediction):
        """Per-sample log loss at the raw prediction.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return _binary_log_loss(y, raw)
        logp = log_softmax(raw, axis=1)
        if y.ndim == 1:
            return -logp[_rows(len(y)), y]
        return -(y * logp).sum(axis=1)

    def gradient(self, y_true, raw_prediction):
        """Derivative of :meth:`loss` with respect to the raw prediction.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        return self.loss_gradient(y_true, raw_prediction)[1]

    def loss_gradient(self, y_true, raw_prediction):
        """Per-sample loss and gradient in one pass over the softmax.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        loss : ndarray of shape (n_samples,)
            Per-sample loss.
        gradient : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            # One exp and one log1p: t = e^{-|z|} in (0, 1] never overflows.
            # loss = log1p(t) + (max(z, 0) - y z); the bracket is exactly 0 for
            # y = 1, z > 0 (no cancellation). The gradient sigma(z) - y is
            # ((1-y) - y t) / (1+t) for z >= 0 and ((1-y) t - y) / (1+t) below.
            t = np.exp(-np.abs(raw))
            inv = 1 / (1 + t)
            loss = np.log1p(t) + (np.maximum(raw, 0) - y * raw)
            grad = np.where(raw >= 0, (1 - y) - y * t, (1 - y) * t - y) * inv
            return loss, grad
        if 1 <= raw.shape[1] <= _LOOP_MAX_K:
            return _softmax_loss_gradient_loop(y, raw)
        logp = log_softmax(raw, axis=1)
        p = np.exp(logp)
        if y.ndim == 1:
            rows = _rows(len(y))
            p[rows, y] -= 1
            return -logp[rows, y], p
        # Soft targets: d/dz of -sum_k y_k log p_k is s p - y with s = sum_k y_k
        # (s = 1 for a distribution; kept so the gradient is exact).
        s = y.sum(axis=1, keepdims=True)
        return -(y * logp).sum(axis=1), s * p - y

    def _softmax_scale(self, y, raw):
        p = softmax(raw, axis=1)
        s = 1 if y.ndim == 1 else y.sum(axis=1, keepdims=True)
        return p, s

    def hessian(self, y_true, raw_prediction):
        """``sigma(z) sigma(-z)`` (1-D) or ``diag(p) - p p^T`` per sample (2-D).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes, n_classes)
            Per-sample second derivative (1-D raw) or Hessian matrix (2-D raw).
        """
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return expit(raw) * expit(-raw)
        p, s = self._softmax_scale(y, raw)
        return _softmax_cov(p) * (s[:, :, None] if y.ndim == 2 else 1)

    def hessian_product(self, y_true, raw_prediction, v):
        """Hessian times ``v`` without forming it: ``p*v - p*(p.v)`` per sample.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).
        v : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Direction, of the shape of ``raw_prediction``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Each sample's Hessian times its row of ``v``.
        """
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return self.hessian(y, raw) * v
        v = np.asarray(v)
        if (
            1 <= raw.shape[1] <= _HESSP_LOOP_MAX_K
            and v.shape == raw.shape
            and np.result_type(raw, v) == raw.dtype
        ):
            return _softmax_hessp_loop(y, raw, v)
        p, s = self._softmax_scale(y, raw)
        pv = p * v
        return s * (pv - p * pv.sum(axis=1, keepdims=True))

    def hessian_diagonal(self, y_true, raw_prediction):
        """``sigma(z) sigma(-z)`` (1-D) or ``p_k (1 - p_k)`` per sample (2-D).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D; the diagonal is then scaled by their row sums).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The diagonal of :meth:`hessian`, without forming the (n, K, K) array.
        """
        return self._gradient_hessian_diagonal(y_true, raw_prediction)[1]

    def _gradient_hessian_diagonal(self, y_true, raw_prediction):
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return _binary_log_loss_derivatives(y, raw)
        return _softmax_gradient_hessian_diagonal(y, raw)

    def loss_from_prediction(self, y_true, y_pred):
        """Per-sample log loss of probabilities clipped to [eps, 1 - eps].

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``y_pred``: 0 / 1 labels or soft targets in [0, 1]. With
            a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Probability of the positive class (1-D) or of each class (2-D).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        y_pred = _float(y_pred)
        y = np.asarray(y_true)
        hard = y.dtype.kind in "iub"
        if y_pred.ndim == 1:
            if hard:  # one log per sample: the probability of the true class
                return -np.log(_clip_proba(np.where(y == 1, y_pred, 1 - y_pred)))
            (y0, y1), (q0, q1) = _binary_columns(y.astype(y_pred.dtype), y_pred)
            return -(xlogy(y0, q0) + xlogy(y1, q1))
        if y.ndim == 1:
            return -np.log(_clip_proba(_pick(y_pred, y)))
        return -xlogy(y.astype(y_pred.dtype, copy=False), _clip_proba(y_pred)).sum(1)


# --------------------------------------------------------------- focal loss
def _check_alpha(obj):
    alpha = obj.alpha
    if alpha is None:
        return
    if isinstance(alpha, numbers.Real) and not isinstance(alpha, bool):
        if not 0 <= alpha <= 1:
            raise ValueError(
                f"alpha must be None, a real number in [0, 1] or an array of "
                f"per-class weights >= 0 for loss Focal; got alpha={alpha!r}."
            )
        return
    arr = np.asarray(alpha)
    ok = arr.ndim == 1 and arr.size >= 2 and arr.dtype.kind in "iuf"
    if not (ok and np.all(np.isfinite(arr)) and np.all(arr >= 0)):
        raise ValueError(
            f"alpha must be None, a real number in [0, 1] or a 1-D array of at "
            f"least 2 finite per-class weights >= 0 for loss Focal; got "
            f"alpha={alpha!r}."
        )


def _binary_focal_terms(z, gamma):
    r"""f(z), f'(z), f''(z) of the binary focal term at the signed margin z.

    With p = sigma(z) (the probability of the true class), q = 1 - p =
    sigma(-z) and s = -log p = softplus(-z):

        f   = q^g s
        f'  = -q^g (g p s + q)                       [dq/dz = -pq, ds/dz = -q]
        f'' = q^g p (g s (g p - q) + q (2g + 1))

    (f'' from differentiating f' once more: d(q^g)/dz = -g q^g p and
    d(g p s + q)/dz = p q (g s - g - 1)). Every factor is bounded where it
    matters: q^g -> 0 kills s -> inf only through products that stay finite,
    and nothing divides by q, so the forms hold for any g >= 0 at |z| = 1e4.
    """
    p, q, s = expit(z), expit(-z), -log_expit(z)
    qg = q**gamma
    return (
        qg * s,
        -qg * (gamma * p * s + q),
        qg * p * (gamma * s * (gamma * p - q) + q * (2 * gamma + 1)),
    )


def _binary_focal_derivatives(z, gamma):
    """f'(z), f''(z) of ``_binary_focal_terms`` from one exp and one log1p.

    With t = e^{-|z|} and r = 1 / (1 + t): p = r and q = t r for z >= 0
    (swapped below 0), s = softplus(-z) = log1p(t) - min(z, 0); then the
    formulas of ``_binary_focal_terms``.
    """
    t = np.exp(-np.abs(z))
    s = np.log1p(t)
    s -= np.minimum(z, 0)
    r = 1 / (1 + t)
    t *= r
    pos = z >= 0
    p = np.where(pos, r, t)
    q = np.where(pos, t, r)
    qg = q**gamma
    d1 = gamma * p * s
    d1 += q
    d1 *= qg
    np.negative(d1, out=d1)
    d2 = gamma * p - q  # g s (g p - q) + q (2g + 1), times q^g p
    d2 *= gamma * s
    q *= 2 * gamma + 1
    d2 += q
    d2 *= qg
    d2 *= p
    return d1, d2


def _softmax_focal_parts(raw):
    """log p, p, u = 1 - p, r = -log(p) / u of a softmax, accurate as p -> 1.

    At most one class per row has p > 1/2, the row maximum m. For it,
    1 - p_m = S / (1 + S) with S = sum_{j != m} exp(z_j - z_m) <= K - 1,
    so u_m = sigma(log S), log p_m = log sigma(-log S), and r_m -> 1 when S
    underflows. Elsewhere u = 1 - p >= 1/2 needs no care.
    """
    rows = _rows(len(raw))
    m = np.argmax(raw, axis=1)
    d = raw - raw[rows, m][:, None]
    d[rows, m] = -np.inf
    log_s = logsumexp(d, axis=1)  # finite for K >= 2, even when S underflows
    logp = log_softmax(raw, axis=1)
    p = np.exp(logp)
    u = 1 - p
    logp[rows, m] = log_expit(-log_s)
    p[rows, m] = expit(-log_s)
    u[rows, m] = expit(log_s)
    r = np.divide(-logp, u, out=np.ones_like(u), where=u > 0)
    # (p_i / u_m) for i != m: the softmax over the other classes, used by nu.
    others = np.exp(d - log_s[:, None])
    return logp, p, u, r, m, others


def _focal_nu(k, p, u, m, others):
    """nu_k = (e_k - p) / (1 - p_k) per row for the class index k of each row."""
    n = len(k)
    rows = _rows(n)
    dominant = k == m
    uk = np.where(dominant, 1, u[rows, k])
    nu = -p / uk[:, None]
    nu[dominant] = -others[dominant]
    nu[rows, k] = 1
    return nu


@register
class Focal(_ProbabilisticLoss):
    r"""Focal loss (Lin et al. 2017): log loss down-weighted on easy examples.

    Binary, with :math:`p_t` the predicted probability of the true class
    (:math:`p = \sigma(z)` if :math:`y = 1`, :math:`1 - p` if :math:`y = 0`):

    .. math::

        \ell(y, z) = -\alpha_t (1 - p_t)^\gamma \log p_t .

    Multiclass through the softmax, :math:`p = \operatorname{softmax}(z)`:

    .. math::

        \ell(c, z) = -\alpha_c (1 - p_c)^\gamma \log p_c, \qquad
        \ell(y, z) = -\sum_k y_k \alpha_k (1 - p_k)^\gamma \log p_k

    for a label :math:`c` and for soft targets :math:`y`; a binary soft target
    :math:`y \in [0, 1]` is the pair :math:`(1 - y, y)`. With
    :math:`\gamma = 0` and ``alpha=None`` the loss is :class:`LogLoss`.

    Gradient and Hessian with respect to the raw prediction are exact (their
    derivations are in the source), formed from log-sigmoids and a
    log-softmax that stay accurate as :math:`p_t \to 1`. The loss is not
    convex in the raw prediction for :math:`\gamma > 0` (``is_convex``
    says so): badly misclassified samples have a negative curvature.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, >= 0.
    alpha : None, float in [0, 1] or array-like of shape (n_classes,), default=None
        Class weights. ``None``: every class weighs 1. A float (binary only,
        RetinaNet's convention): the POSITIVE class (label 1, the second
        column) weighs ``alpha`` and the negative class ``1 - alpha``. An array:
        ``alpha[k]`` weighs the terms of class ``k`` (the true class of a
        labelled sample), in the order of the columns of ``y_pred``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Focal
    >>> Focal(gamma=2.0).loss(np.array([1, 0]), np.array([0.0, 0.0]))
    array([0.173..., 0.173...])
    >>> Focal(gamma=2.0, alpha=0.25)(np.array([1, 0]), np.array([0.9, 0.2]))
    0.00347...
    """

    name = "focal"
    aliases = ("focal_loss",)
    metric_name = "focal_loss"

    def __init__(self, gamma=2.0, alpha=None):
        self.gamma = gamma
        self.alpha = alpha
        self._validate_params()

    def _validate_params(self):
        g = self.gamma
        ok = isinstance(g, numbers.Real) and not isinstance(g, bool)
        try:  # a Python int beyond the float range: not finite
            finite = ok and math.isfinite(g)
        except OverflowError:
            finite = False
        if not (finite and g >= 0):
            raise ValueError(
                f"gamma must be a finite real number >= 0 for loss Focal; got "
                f"gamma={g!r}."
            )
        _check_alpha(self)

    @property
    def is_convex(self):
        """True only for ``gamma = 0`` (the log loss).

        For ``gamma > 0`` the second derivative of the binary term is negative
        for badly misclassified samples (about ``z < -2`` at ``gamma = 2``).

        Returns
        -------
        bool
            ``gamma == 0``.
        """
        return self.gamma == 0

    def _class_weights(self, n_classes, dtype):
        """alpha as an array of n_classes weights, or None (all ones)."""
        alpha = self.alpha
        if alpha is None:
            return None
        if isinstance(alpha, numbers.Real):
            if n_classes != 2:
                raise ValueError(
                    f"alpha={alpha!r} (a float) weighs the positive class of a "
                    f"binary problem; with {n_classes} classes pass an array of "
                    f"{n_classes} per-class weights."
                )
            return np.array([1 - alpha, alpha], dtype=dtype)
        arr = np.asarray(alpha, dtype=dtype)
        if arr.size != n_classes:
            raise ValueError(
                f"alpha has {arr.size} per-class weights but there are "
                f"{n_classes} classes; got alpha={self.alpha!r}."
            )
        return arr

    # Binary: loss = a1 y f(z) + a0 (1-y) f(-z) with f the focal term of the
    # signed margin; derivatives follow by the chain rule (d(-z)/dz = -1).
    def _binary(self, y, raw, order):
        a = self._class_weights(2, raw.dtype)
        a0, a1 = (1, 1) if a is None else a
        pos = _binary_focal_terms(raw, float(self.gamma))
        neg = _binary_focal_terms(-raw, float(self.gamma))
        w1, w0 = a1 * y, a0 * (1 - y)
        return w1 * pos[order] + (-1) ** order * w0 * neg[order]

    # Multiclass, per class k with l_k = log p_k, u_k = 1 - p_k, r_k = -l_k/u_k:
    #   phi_k(l)    = -alpha_k u^g l
    #   phi_k'(l)   = -alpha_k u^g (1 + g p r)              [du/dl = -p]
    #   phi_k''(l) u^2 = alpha_k g p u^(g+1) ((g-1) p r - r u + 2) =: psi_k
    # and with grad l_k = e_k - p, hess l_k = -(diag p - p p^T):
    #   grad = sum_k w_k phi_k' (e_k - p) = a - p sum(a),  a_k = w_k phi_k'
    #   hess = sum_k w_k [psi_k nu_k nu_k^T - phi_k' (diag p - p p^T)]
    # where nu_k = (e_k - p) / u_k is bounded even when u_k underflows.
    def _softmax_terms(self, raw):
        g = float(self.gamma)
        logp, p, u, r, m, others = _softmax_focal_parts(raw)
        ug = u**g
        a = self._class_weights(raw.shape[1], raw.dtype)
        a = 1 if a is None else a
        phi = -a * ug * logp
        dphi = -a * ug * (1 + g * p * r)
        psi = a * g * p * ug * u * ((g - 1) * p * r - r * u + 2)
        return phi, dphi, psi, p, u, m, others

    @staticmethod
    def _weights(y, K, dtype):
        return y if y.ndim == 2 else _one_hot(y, K, dtype)

    def loss(self, y_true, raw_prediction):
        """Per-sample focal loss at the raw prediction.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return self._binary(y, raw, 0)
        phi = self._softmax_terms(raw)[0]
        if y.ndim == 1:
            return phi[_rows(len(y)), y]
        return (y * phi).sum(axis=1)

    def gradient(self, y_true, raw_prediction):
        """Derivative of :meth:`loss` with respect to the raw prediction.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        return self.loss_gradient(y_true, raw_prediction)[1]

    def loss_gradient(self, y_true, raw_prediction):
        """Per-sample loss and gradient from one softmax evaluation.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        loss : ndarray of shape (n_samples,)
            Per-sample loss.
        gradient : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return self._binary(y, raw, 0), self._binary(y, raw, 1)
        phi, dphi, _, p, *_ = self._softmax_terms(raw)
        w = self._weights(y, raw.shape[1], raw.dtype)
        a = w * dphi
        return (w * phi).sum(axis=1), a - p * a.sum(axis=1, keepdims=True)

    def _curvature(self, y, raw):
        """``-sum_k w_k phi_k'`` and the pairs (w_k psi_k, nu_k) of the Hessian.

        One pair per row for labels (the true class), K pairs for soft targets.
        """
        _, dphi, psi, p, u, m, others = self._softmax_terms(raw)
        w = self._weights(y, raw.shape[1], raw.dtype)
        if y.ndim == 1:
            pairs = [(psi[_rows(len(y)), y], _focal_nu(y, p, u, m, others))]
        else:
            pairs = [
                (w[:, k] * psi[:, k], _focal_nu(np.full(len(y), k), p, u, m, others))
                for k in range(raw.shape[1])
            ]
        return -(w * dphi).sum(axis=1, keepdims=True), p, pairs

    def hessian(self, y_true, raw_prediction):
        """Exact second derivative: (n,) for 1-D, (n, K, K) for 2-D raw.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes, n_classes)
            Per-sample second derivative (1-D raw) or Hessian matrix (2-D raw).
        """
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return self._binary(y, raw, 2)
        scale, p, pairs = self._curvature(y, raw)
        h = scale[:, :, None] * _softmax_cov(p)
        for c, nu in pairs:
            h += c[:, None, None] * nu[:, :, None] * nu[:, None, :]
        return h

    def hessian_product(self, y_true, raw_prediction, v):
        """Hessian times ``v`` in O(n K) per (w_k psi_k, nu_k) pair.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).
        v : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Direction, of the shape of ``raw_prediction``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Each sample's Hessian times its row of ``v``.
        """
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return self._binary(y, raw, 2) * v
        scale, p, pairs = self._curvature(y, raw)
        pv = p * v
        out = scale * (pv - p * pv.sum(axis=1, keepdims=True))
        for c, nu in pairs:
            out += (c * (nu * v).sum(axis=1))[:, None] * nu
        return out

    def hessian_diagonal(self, y_true, raw_prediction):
        """Diagonal of :meth:`hessian` in O(n K), without the (n, K, K) array.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``raw_prediction``: 0 / 1 labels or soft targets in [0, 1].
            With a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the logit of the positive class (1-D) or the input of the
            softmax (2-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample second derivative (1-D raw) or Hessian diagonal (2-D raw).
        """
        return self._gradient_hessian_diagonal(y_true, raw_prediction)[1]

    # Diagonal of the softmax Hessian (see _softmax_terms): the diagonal of
    # diag(p) - p p^T is p u, that of nu nu^T is nu^2.
    def _gradient_hessian_diagonal(self, y_true, raw_prediction):
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return self._binary_gradient_hessian(y, raw)
        _, dphi, psi, p, u, m, others = self._softmax_terms(raw)
        K = raw.shape[1]
        a = self._weights(y, K, raw.dtype) * dphi
        a_sum = a.sum(axis=1, keepdims=True)
        diag = -a_sum * p * u
        labels = [y] if y.ndim == 1 else [np.full(len(y), k) for k in range(K)]
        for k, lab in enumerate(labels):
            c = psi[_rows(len(y)), lab] if y.ndim == 1 else y[:, k] * psi[:, k]
            diag += c[:, None] * _focal_nu(lab, p, u, m, others) ** 2
        return a - p * a_sum, diag

    def _binary_gradient_hessian(self, y, raw):
        """Hard labels: the focal term at the signed margin (2y - 1) z only."""
        if not np.all((y == 0) | (y == 1)):
            return self._binary(y, raw, 1), self._binary(y, raw, 2)
        sign = 2 * y - 1
        d1, d2 = _binary_focal_derivatives(sign * raw, float(self.gamma))
        a = self._class_weights(2, raw.dtype)
        if a is not None:  # alpha_y = a0 + (a1 - a0) y
            w = (a[1] - a[0]) * y + a[0]
            d1 *= w
            d2 *= w
        d1 *= sign
        return d1, d2

    def loss_from_prediction(self, y_true, y_pred):
        """Per-sample focal loss of probabilities clipped to [eps, 1 - eps].

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            With a 1-D ``y_pred``: 0 / 1 labels or soft targets in [0, 1]. With
            a 2-D one: labels 0..n_classes-1 (1-D) or soft targets whose rows
            sum to 1 (2-D).
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Probability of the positive class (1-D) or of each class (2-D).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        y_pred = _float(y_pred)
        y = np.asarray(y_true)
        g = float(self.gamma)
        if y_pred.ndim == 1:
            (y0, y1), (q0, q1) = _binary_columns(y.astype(y_pred.dtype), y_pred)
            a = self._class_weights(2, y_pred.dtype)
            a0, a1 = (1, 1) if a is None else a
            # Class 1 has probability q1 and 1 - q1 = q0 (up to the clipping).
            return -(a1 * q0**g * xlogy(y1, q1) + a0 * q1**g * xlogy(y0, q0))
        K = y_pred.shape[1]
        a = self._class_weights(K, y_pred.dtype)
        q = _clip_proba(y_pred)
        if y.ndim == 1:
            qy = q[_rows(len(y)), y]
            ay = 1 if a is None else a[y]
            return -ay * (1 - qy) ** g * np.log(qy)
        a = 1 if a is None else a
        return -(a * (1 - q) ** g * xlogy(y.astype(q.dtype, copy=False), q)).sum(1)
