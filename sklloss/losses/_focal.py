"""The focal loss (Lin et al. 2017): the log loss down-weighted on easy examples.

Binary through the sigmoid, multiclass through the softmax, like
:class:`~sklloss.losses.LogLoss` (whose base class it shares); the exact
derivatives are derived in the comments below.
"""

import math
import numbers

import numpy as np
from scipy.special import expit, log_expit, log_softmax, logsumexp, xlogy

from ._probabilistic import _OnePassDerivatives, _ProbabilisticLoss
from ._registry import register
from ._softmax import (
    _binary_columns,
    _clip_proba,
    _float,
    _one_hot,
    _prepare,
    _rows,
    _softmax_cov,
)


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
class Focal(_OnePassDerivatives, _ProbabilisticLoss):
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
