r"""Divergences between discrete distributions: KL, Jensen-Shannon, entropy.

``y_true`` and ``y_pred`` are (n, K) arrays whose rows are probability
distributions (entries in [0, 1], rows summing to 1 within
``max(sqrt(eps), 1e-6)`` of their dtype; anything else is a ValueError naming
the array, the row and its sum). A 1-D pair is read as Bernoulli
distributions :math:`(1 - y, y)`. As training objectives the prediction is
:math:`q = \operatorname{softmax}(z)` of the raw prediction (the sigmoid for
1-D), so soft targets can be fitted; logarithms are natural (nats).
"""

import numpy as np
from scipy.special import entr, log_softmax, rel_entr, xlogy

from ._probabilistic import LogLoss, _ProbabilisticLoss
from ._registry import register
from ._softmax import _clip_proba, _float, _one_hot, _prepare

_LOG2 = float(np.log(2.0))  # a Python float keeps float32 input float32


def _as_columns(y, raw):
    """2-D (targets, raw) from 1-D Bernoulli pairs or labels; 2-D input as is.

    A 1-D raw prediction z is the softmax of (0, z), so sigmoid(z) is the
    probability of the second column; a 1-D target y becomes (1 - y, y).
    """
    if raw.ndim == 1:
        raw = np.column_stack([np.zeros_like(raw), raw])
        y = np.column_stack([1 - y, y])
    elif y.ndim == 1:
        y = _one_hot(y, raw.shape[1], raw.dtype)
    return y, raw


def _distribution_columns(y_true, y_pred):
    """Prediction-space version of :func:`_as_columns` (probabilities, not raw)."""
    q = _float(y_pred)
    y = np.asarray(y_true)
    if q.ndim == 1:
        y = y.astype(q.dtype, copy=False)
        return np.column_stack([1 - y, y]), np.column_stack([1 - q, q])
    if y.ndim == 1:
        return _one_hot(y, q.shape[1], q.dtype), q
    return y, q


class _DistributionLoss(_ProbabilisticLoss):
    """Flags and link of the divergences; their ``y_pred`` rows must sum to 1."""

    kind = "distribution"


def _neg_entropy(y):
    """sum_k y_k log y_k per sample of a 1-D (Bernoulli) or 2-D target."""
    if y.ndim == 1:
        return xlogy(y, y) + xlogy(1 - y, 1 - y)
    return xlogy(y, y).sum(axis=1)


@register
class KLDivergence(_DistributionLoss, LogLoss):
    r"""Kullback-Leibler divergence of the prediction from the target.

    .. math::

        \mathrm{KL}(y \,\|\, q) = \sum_k y_k \log \frac{y_k}{q_k},
        \qquad 0 \log 0 = 0,

    in nats (scipy's ``rel_entr`` summed over the classes). With
    :math:`q = \operatorname{softmax}(z)` it is the cross-entropy minus the
    entropy of the target, a constant in :math:`z`: the gradient
    :math:`q - y` and Hessian :math:`\operatorname{diag}(q) - q q^\top` are
    those of :class:`LogLoss`, and it is convex in the logits. In prediction
    space ``q`` is clipped to :math:`[\epsilon, 1 - \epsilon]` like the log
    loss, so a zero probability where the target is positive gives a large
    finite value instead of ``inf``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import KLDivergence
    >>> KLDivergence()(np.array([[0.5, 0.5]]), np.array([[0.9, 0.1]]))
    0.510...
    """

    name = "kl_divergence"
    aliases = ("kl", "kullback_leibler")
    metric_name = "kl_divergence"

    def _entropy_shift(self, y_true, raw_prediction):
        y, raw = _prepare(y_true, raw_prediction)
        if raw.ndim == 2 and y.ndim == 1:  # labels: one-hot, zero entropy
            return 0
        return _neg_entropy(y)

    def loss(self, y_true, raw_prediction):
        """Per-sample KL divergence of softmax(raw) from ``y_true``.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Target distributions (rows summing to 1), Bernoulli parameters in
            [0, 1] with a 1-D ``raw_prediction``, or labels 0..n_classes-1 with a
            2-D one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the predicted distribution is its softmax (2-D) or the
            Bernoulli pair of its sigmoid (1-D).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        shift = self._entropy_shift(y_true, raw_prediction)
        return super().loss(y_true, raw_prediction) + shift

    def loss_gradient(self, y_true, raw_prediction):
        """Per-sample KL divergence and its gradient ``q - y``.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Target distributions (rows summing to 1), Bernoulli parameters in
            [0, 1] with a 1-D ``raw_prediction``, or labels 0..n_classes-1 with a
            2-D one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the predicted distribution is its softmax (2-D) or the
            Bernoulli pair of its sigmoid (1-D).

        Returns
        -------
        loss : ndarray of shape (n_samples,)
            Per-sample loss.
        gradient : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        value, grad = super().loss_gradient(y_true, raw_prediction)
        return value + self._entropy_shift(y_true, raw_prediction), grad

    def loss_from_prediction(self, y_true, y_pred):
        """``sum_k rel_entr(y_k, q_k)`` with q clipped to [eps, 1 - eps].

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Target distributions (rows summing to 1), Bernoulli parameters in
            [0, 1] with a 1-D ``y_pred``, or labels 0..n_classes-1 with a 2-D
            one.
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted distributions (1-D: Bernoulli probabilities).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        y, q = _distribution_columns(y_true, y_pred)
        return rel_entr(y.astype(q.dtype, copy=False), _clip_proba(q)).sum(axis=1)


def _js_terms_in_log_space(y, q):
    """``y log(y / m) + q log(q / m)`` with ``m = (y + q) / 2``, in float64 logs."""
    y64, q64 = y.astype(np.float64), q.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 * -inf, masked
        ly, lq = np.log(y64), np.log(q64)
        lm = np.logaddexp(ly, lq) - _LOG2
        y_part = np.where(y64 > 0, y64 * (ly - lm), 0.0)
        q_part = np.where(q64 > 0, q64 * (lq - lm), 0.0)
    return y_part + q_part


@register
class JSDivergence(_DistributionLoss):
    r"""Jensen-Shannon divergence, in nats (natural logarithm).

    .. math::

        \mathrm{JS}(y, q) = \tfrac12 \mathrm{KL}(y \,\|\, m)
            + \tfrac12 \mathrm{KL}(q \,\|\, m), \qquad m = \tfrac12 (y + q).

    It lies in :math:`[0, \log 2]` and is the square of
    :func:`scipy.spatial.distance.jensenshannon` (natural base). With
    :math:`q = \operatorname{softmax}(z)`, and
    :math:`g_k = \tfrac12 \log(q_k / m_k)` (the derivative with respect to
    :math:`q_k`):

    .. math::

        \frac{\partial\, \mathrm{JS}}{\partial z_j}
            = q_j \bigl(g_j - \textstyle\sum_k q_k g_k\bigr).

    JS is symmetric and bounded but not convex in the logits
    (``is_convex = False``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import JSDivergence
    >>> JSDivergence()(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    0.693...
    """

    name = "js_divergence"
    aliases = ("js", "jensen_shannon")
    metric_name = "js_divergence"
    is_convex = False

    @staticmethod
    def _parts(y_true, raw_prediction):
        """Targets, q, log q, log m, g, in 2-D (the Bernoulli columns for 1-D)."""
        y, raw = _as_columns(*_prepare(y_true, raw_prediction))
        lq = log_softmax(raw, axis=1)
        lp = np.log(y, out=np.full_like(lq, -np.inf), where=y > 0)
        lm = np.logaddexp(lp, lq) - _LOG2  # finite: lq is, and m >= q / 2
        return y, np.exp(lq), lq, lp, lm, 0.5 * (lq - lm)

    @staticmethod
    def _back(raw_prediction, out2d):
        """Map a 2-D result back to a 1-D raw prediction (its second column)."""
        return out2d[:, 1] if np.ndim(raw_prediction) == 1 else out2d

    @staticmethod
    def _value(y, q, lp, lm, g):
        """JS per sample: (1/2) sum y log(y/m) + sum q g, with 0 log 0 = 0."""
        y_log_ratio = np.subtract(lp, lm, out=np.zeros_like(lm), where=y > 0)
        return 0.5 * (y * y_log_ratio).sum(axis=1) + (q * g).sum(axis=1)

    def loss(self, y_true, raw_prediction):
        """Per-sample JS divergence between ``y_true`` and softmax(raw).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Target distributions (rows summing to 1), Bernoulli parameters in
            [0, 1] with a 1-D ``raw_prediction``, or labels 0..n_classes-1 with a
            2-D one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the predicted distribution is its softmax (2-D) or the
            Bernoulli pair of its sigmoid (1-D).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        y, q, _, lp, lm, g = self._parts(y_true, raw_prediction)
        return self._value(y, q, lp, lm, g)

    def gradient(self, y_true, raw_prediction):
        """``q_j (g_j - sum_k q_k g_k)`` with ``g = log(q / m) / 2``.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Target distributions (rows summing to 1), Bernoulli parameters in
            [0, 1] with a 1-D ``raw_prediction``, or labels 0..n_classes-1 with a
            2-D one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the predicted distribution is its softmax (2-D) or the
            Bernoulli pair of its sigmoid (1-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        return self.loss_gradient(y_true, raw_prediction)[1]

    def loss_gradient(self, y_true, raw_prediction):
        """Per-sample loss and gradient from one log-softmax.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Target distributions (rows summing to 1), Bernoulli parameters in
            [0, 1] with a 1-D ``raw_prediction``, or labels 0..n_classes-1 with a
            2-D one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the predicted distribution is its softmax (2-D) or the
            Bernoulli pair of its sigmoid (1-D).

        Returns
        -------
        loss : ndarray of shape (n_samples,)
            Per-sample loss.
        gradient : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        y, q, _, lp, lm, g = self._parts(y_true, raw_prediction)
        qg = (q * g).sum(axis=1, keepdims=True)
        grad = self._back(raw_prediction, q * (g - qg))
        return self._value(y, q, lp, lm, g), grad

    # Second derivative: dg_j/dz_i = b_j (delta_ij - q_i) with
    # b_j = p_j / (2 (p_j + q_j)); with t = g + b, G = sum q g, B = sum q b,
    #   H_ij = delta_ij q_j (t_j - G) - q_i q_j (t_i + t_j - 2G - B).
    def _hessian_parts(self, y_true, raw_prediction):
        y, q, lq, lp, lm, g = self._parts(y_true, raw_prediction)
        b = 0.5 * np.exp(lp - lm - _LOG2)  # exp(-inf) = 0 where p = 0
        t = g + b
        G = (q * g).sum(axis=1, keepdims=True)
        B = (q * b).sum(axis=1, keepdims=True)
        return q, t, G, B

    def hessian(self, y_true, raw_prediction):
        """Exact Hessian: (n,) for 1-D raw, (n, K, K) for 2-D raw.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Target distributions (rows summing to 1), Bernoulli parameters in
            [0, 1] with a 1-D ``raw_prediction``, or labels 0..n_classes-1 with a
            2-D one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the predicted distribution is its softmax (2-D) or the
            Bernoulli pair of its sigmoid (1-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes, n_classes)
            Per-sample second derivative (1-D raw) or Hessian matrix (2-D raw).
        """
        q, t, G, B = self._hessian_parts(y_true, raw_prediction)
        K = q.shape[1]
        c = (t - G - 0.5 * B)[:, :, None]
        h = -q[:, :, None] * q[:, None, :] * (c + c.transpose(0, 2, 1))
        h[:, np.arange(K), np.arange(K)] += q * (t - G)
        return h[:, 1, 1] if np.ndim(raw_prediction) == 1 else h

    def hessian_product(self, y_true, raw_prediction, v):
        """Hessian times ``v`` in O(n K).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Target distributions (rows summing to 1), Bernoulli parameters in
            [0, 1] with a 1-D ``raw_prediction``, or labels 0..n_classes-1 with a
            2-D one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the predicted distribution is its softmax (2-D) or the
            Bernoulli pair of its sigmoid (1-D).
        v : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Direction, of the shape of ``raw_prediction``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Each sample's Hessian times its row of ``v``.
        """
        if np.ndim(raw_prediction) == 1:
            return self.hessian(y_true, raw_prediction) * v
        q, t, G, B = self._hessian_parts(y_true, raw_prediction)
        qv = (q * v).sum(axis=1, keepdims=True)
        qtv = (q * t * v).sum(axis=1, keepdims=True)
        return q * (t - G) * v - q * (qtv + (t - 2 * G - B) * qv)

    def loss_from_prediction(self, y_true, y_pred):
        """``(rel_entr(y, m) + rel_entr(q, m)).sum() / 2`` with ``m = (y + q) / 2``.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Target distributions (rows summing to 1), Bernoulli parameters in
            [0, 1] with a 1-D ``y_pred``, or labels 0..n_classes-1 with a 2-D
            one.
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted distributions (1-D: Bernoulli probabilities).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        y, q = _distribution_columns(y_true, y_pred)
        y = y.astype(q.dtype, copy=False)
        m = 0.5 * (y + q)
        terms = rel_entr(y, m) + rel_entr(q, m)
        if not np.all(np.isfinite(terms)):
            # m = (y + q) / 2 underflows to 0 when y and q are the smallest
            # subnormals, and rel_entr(y, 0) is inf: redo those entries with
            # log m = logaddexp(log y, log q) - log 2, which cannot underflow.
            bad = ~np.isfinite(terms)
            terms[bad] = _js_terms_in_log_space(y[bad], q[bad])
        return 0.5 * terms.sum(axis=1)


@register
class Entropy(_DistributionLoss):
    r"""Shannon entropy of the prediction, in nats (a metric, not trainable).

    .. math::

        H(q) = -\sum_k q_k \log q_k, \qquad
        \frac{\partial H}{\partial z_j} = -q_j (\log q_j + H)
        \quad (q = \operatorname{softmax}(z)).

    ``y_true`` is accepted for the metric signature and ignored: the entropy
    measures how uncertain the predictions are, whatever the truth.
    Concave in :math:`q` (``is_convex = False``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Entropy
    >>> Entropy()(None, np.array([[0.5, 0.5], [1.0, 0.0]]))
    0.346...
    """

    name = "entropy"
    aliases = ("shannon_entropy",)
    metric_name = "entropy"
    is_convex = False
    trainable = False
    _input_kind = "prediction"  # y_true ignored

    @staticmethod
    def _columns(raw_prediction):
        raw = _float(raw_prediction)
        if raw.ndim == 1:
            raw = np.column_stack([np.zeros_like(raw), raw])
        lq = log_softmax(raw, axis=1)
        return np.exp(lq), lq

    def loss(self, y_true, raw_prediction):
        """Per-sample entropy of softmax(raw); ``y_true`` is ignored.

        Parameters
        ----------
        y_true : object
            Ignored (any value, ``None`` included).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the predicted distribution is its softmax (2-D) or the
            Bernoulli pair of its sigmoid (1-D).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        q, lq = self._columns(raw_prediction)
        return -(q * lq).sum(axis=1)

    def gradient(self, y_true, raw_prediction):
        """``-q_j (log q_j + H)``; ``y_true`` is ignored.

        Parameters
        ----------
        y_true : object
            Ignored (any value, ``None`` included).
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction: the predicted distribution is its softmax (2-D) or the
            Bernoulli pair of its sigmoid (1-D).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        q, lq = self._columns(raw_prediction)
        grad = -q * (lq - (q * lq).sum(axis=1, keepdims=True))
        return grad[:, 1] if np.ndim(raw_prediction) == 1 else grad

    def loss_from_prediction(self, y_true, y_pred):
        """``sum_k entr(q_k)`` per sample; ``y_true`` is ignored.

        Parameters
        ----------
        y_true : object
            Ignored (any value, ``None`` included).
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted distributions (1-D: Bernoulli probabilities).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        q = _float(y_pred)
        if q.ndim == 1:
            return entr(q) + entr(1 - q)
        return entr(q).sum(axis=1)
