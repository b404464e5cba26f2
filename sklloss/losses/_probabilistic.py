"""The log loss (logistic loss, cross-entropy) and its shared base.

Probabilistic losses see the raw prediction through the logit link: the
sigmoid for a 1-D ``raw_prediction`` (binary, ``y_true`` in {0, 1} or a soft
target in [0, 1]), the softmax for a 2-D one of shape (n, K) (``y_true``
holds labels 0..K-1, or soft targets of shape (n, K) whose rows sum to 1).
Every quantity is formed from log-sigmoids and log-softmaxes, so nothing
overflows at |raw| = 1e4. The focal loss lives in ``_focal.py``, the
divergences in ``_distribution.py``; input checks in ``_checks.py``.
"""

import numpy as np
from scipy.special import expit, log_softmax, logit, softmax, xlogy

from .._kernels import KINDS, elementwise, softmax_loss_gradient
from ._base import Loss
from ._checks import UNIT_INTERVAL
from ._registry import register
from ._softmax import (
    _HESSP_LOOP_MAX_K,
    _LOOP_MAX_K,
    _binary_columns,
    _clip_proba,
    _col_max,
    _float,
    _pick,
    _prepare,
    _row_sums,
    _rows,
    _softmax_cov,
    _softmax_hessp_loop,
    _softmax_soft_loss_gradient_loop,
)


class _ProbabilisticLoss(Loss):
    """Shared link and derivatives of the sigmoid / softmax losses.

    ``__call__(y_true, y_proba)`` (checks in ``_checks.py``): 1-D
    probabilities of the positive class with ``y_true`` in {0, 1} or [0, 1],
    or (n, K) probabilities with labels 0..K-1 or soft targets. Rows of
    ``y_proba`` that do not sum to 1 only warn, as in
    :func:`sklearn.metrics.log_loss`; soft targets must sum to 1.
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


class _OnePassDerivatives:
    """``gradient`` and ``hessian_diagonal`` of the log and focal losses.

    Both losses compute them together with the value (``loss_gradient``) or
    with each other (``_gradient_hessian_diagonal``); this documents the two
    once. (The divergences that derive from the base class without these
    passes keep :class:`Loss`'s generic forms.)
    """

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


# ------------------------------------------------------------------ log loss
# The binary formulas (value, gradient, Hessian) are written once, compiled,
# in sklloss/_kernels.pyx; the objective's fused pass uses the same code.
def _binary(y, raw, **wanted):
    return elementwise(KINDS["log_loss"], 0.0, y, raw, **wanted)


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
class LogLoss(_OnePassDerivatives, _ProbabilisticLoss):
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
            return _binary(y, raw)[0]
        if y.ndim == 1:  # labels: the compiled formula (sklloss/_kernels.pyx)
            return softmax_loss_gradient(y, raw)[0]
        return -(y * log_softmax(raw, axis=1)).sum(axis=1)

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
            return _binary(y, raw, gradient=True)
        if y.ndim == 1:  # labels: the compiled formula (sklloss/_kernels.pyx)
            return softmax_loss_gradient(y, raw)
        if 1 <= raw.shape[1] <= _LOOP_MAX_K:
            return _softmax_soft_loss_gradient_loop(y, raw)
        logp = log_softmax(raw, axis=1)
        # Soft targets: d/dz of -sum_k y_k log p_k is s p - y with s = sum_k y_k
        # (s = 1 for a distribution; kept so the gradient is exact).
        s = y.sum(axis=1, keepdims=True)
        return -(y * logp).sum(axis=1), s * np.exp(logp) - y

    def _kernel_params(self):
        # the binary formulas' compiled code (``_binary``), for the fused pass
        return KINDS["log_loss"], 0.0

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
            return _binary(y, raw, loss=False, hessian=True)[0]
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

    # sigma(z) sigma(-z) (1-D) or p_k (1 - p_k) per sample (2-D; times the row
    # sums of soft targets), with the gradient from the same exponentials.
    def _gradient_hessian_diagonal(self, y_true, raw_prediction):
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 1:
            return _binary(y, raw, loss=False, gradient=True, hessian=True)
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
