r"""Margin losses :math:`\phi(m)` of the signed margin of a decision value.

The margin of a 1-D raw prediction :math:`z` with a label :math:`y \in \{0, 1\}`
is :math:`m = (2y - 1) z`. For a 2-D raw prediction of shape (n, K) and labels
0..K-1 it is the Crammer-Singer margin
:math:`m = z_y - \max_{j \ne y} z_j` (what :func:`sklearn.metrics.hinge_loss`
uses for multiclass); its gradient is :math:`\phi'(m) (e_y - e_{j^*})` with
:math:`j^*` the best wrong class. Estimators train margin losses one-vs-rest,
through the 1-D form. The link is the identity: the prediction a margin loss
scores is the decision value itself.
"""

import numpy as np

from .._kernels import KINDS, elementwise
from ._base import Loss
from ._registry import register
from ._softmax import _prepare, _rows


class _MarginLoss(Loss):
    """Margin and chain rule shared by every margin loss.

    A subclass defines ``_phi(m)`` and ``_dphi(m)`` (and ``_d2phi(m)`` by
    deriving from :class:`_SmoothMarginLoss`).
    """

    kind = "margin"
    link = "identity"
    multiclass = "ovr"

    def _margin(self, y, raw):
        """Return the margin m and what the chain rule needs: the sign or (y, j*)."""
        if raw.ndim == 1:
            sign = (2 * y - 1).astype(raw.dtype, copy=False)
            return sign * raw, sign
        rows = _rows(len(y))
        others = raw.copy()
        others[rows, y] = -np.inf
        j = np.argmax(others, axis=1)
        return raw[rows, y] - raw[rows, j], (y, j)

    @staticmethod
    def _spread(d, raw, where):
        """d * dm/draw: d times the sign (1-D) or d (e_y - e_j*) (2-D)."""
        if raw.ndim == 1:
            return where * d
        y, j = where
        rows = _rows(len(y))
        out = np.zeros_like(raw)
        out[rows, y] = d
        out[rows, j] -= d
        return out

    def loss(self, y_true, raw_prediction):
        """Per-sample ``phi(m)`` at the margin of the raw prediction.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,)
            Labels: 0 / 1 with a 1-D ``raw_prediction``, 0..n_classes-1 with a 2-D
            one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values: one per sample (binary) or one per class (2-D, scored
            through the Crammer-Singer margin).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss.
        """
        y, raw = self._prepare(y_true, raw_prediction)
        return self._phi(self._margin(y, raw)[0])

    def gradient(self, y_true, raw_prediction):
        """``phi'(m)`` times the derivative of the margin (a subgradient at kinks).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,)
            Labels: 0 / 1 with a 1-D ``raw_prediction``, 0..n_classes-1 with a 2-D
            one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values: one per sample (binary) or one per class (2-D, scored
            through the Crammer-Singer margin).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        return self.loss_gradient(y_true, raw_prediction)[1]

    def loss_gradient(self, y_true, raw_prediction):
        """Per-sample loss and gradient from one margin computation.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,)
            Labels: 0 / 1 with a 1-D ``raw_prediction``, 0..n_classes-1 with a 2-D
            one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values: one per sample (binary) or one per class (2-D, scored
            through the Crammer-Singer margin).

        Returns
        -------
        loss : ndarray of shape (n_samples,)
            Per-sample loss.
        gradient : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample gradient, of the shape of ``raw_prediction``.
        """
        y, raw = self._prepare(y_true, raw_prediction)
        m, where = self._margin(y, raw)
        return self._phi(m), self._spread(self._dphi(m), raw, where)

    @staticmethod
    def _prepare(y_true, raw_prediction):
        y, raw = _prepare(y_true, raw_prediction)
        return (y if raw.ndim == 2 else y.astype(np.intp, copy=False)), raw


class _SmoothMarginLoss(_MarginLoss):
    """A margin loss with a (generalized) second derivative ``_d2phi``."""

    def hessian(self, y_true, raw_prediction):
        """``phi''(m)`` (1-D) or ``phi''(m) (e_y - e_j*)(e_y - e_j*)^T`` (2-D).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,)
            Labels: 0 / 1 with a 1-D ``raw_prediction``, 0..n_classes-1 with a 2-D
            one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values: one per sample (binary) or one per class (2-D, scored
            through the Crammer-Singer margin).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes, n_classes)
            Per-sample generalized second derivative (1-D raw) or Hessian
            matrix (2-D raw).
        """
        y, raw = self._prepare(y_true, raw_prediction)
        m, where = self._margin(y, raw)
        h = self._d2phi(m)
        if raw.ndim == 1:
            return h
        e = self._spread(np.ones_like(m), raw, where)
        return h[:, None, None] * e[:, :, None] * e[:, None, :]

    def hessian_product(self, y_true, raw_prediction, v):
        """Hessian times ``v`` without forming the (n, K, K) array.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,)
            Labels: 0 / 1 with a 1-D ``raw_prediction``, 0..n_classes-1 with a 2-D
            one.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Decision values: one per sample (binary) or one per class (2-D, scored
            through the Crammer-Singer margin).
        v : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Direction, of the shape of ``raw_prediction``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Each sample's Hessian times its row of ``v``.
        """
        y, raw = self._prepare(y_true, raw_prediction)
        m, where = self._margin(y, raw)
        h = self._d2phi(m)
        if raw.ndim == 1:
            return h * v
        yy, j = where
        rows = _rows(len(yy))
        return self._spread(h * (v[rows, yy] - v[rows, j]), raw, where)


@register
class Hinge(_MarginLoss):
    r"""Hinge loss, the loss of the linear SVM.

    .. math::

        \phi(m) = \max(0, 1 - m), \qquad
        \phi'(m) = -\mathbb{1}[m < 1],

    with :math:`m = (2y - 1) z` (binary) or the Crammer-Singer margin
    (2-D raw prediction). Piecewise linear:
    :math:`\phi(m) = \max(0 \cdot m + 0, -1 \cdot m + 1)`, i.e.
    ``convex_pieces = ((0, 0), (-1, 1))`` in :math:`u = m`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Hinge
    >>> Hinge().loss(np.array([1, 0, 1]), np.array([2.0, 0.5, -1.0]))
    array([0. , 1.5, 2. ])
    """

    name = "hinge"
    is_twice_differentiable = False
    metric_name = "hinge_loss"
    is_smooth = False
    is_piecewise_linear = True

    @property
    def convex_pieces(self):
        """``((0, 0), (-1, 1))``: hinge(u) = max(0, 1 - u), u = (2y - 1) raw.

        Returns
        -------
        tuple of (float, float)
            The pieces ``(slope, offset)``: the loss is
            ``max_k(slope_k * u + offset_k)`` in the margin ``u``.
        """
        return ((0.0, 0.0), (-1.0, 1.0))

    def _phi(self, m):
        return np.maximum(0, 1 - m)

    def _dphi(self, m):
        return -(m < 1).astype(m.dtype)


@register
class SquaredHinge(_SmoothMarginLoss):
    r"""Squared hinge loss (the L2-SVM loss of ``LinearSVC``).

    .. math::

        \phi(m) = \max(0, 1 - m)^2, \qquad
        \phi'(m) = -2 \max(0, 1 - m), \qquad
        \phi''(m) = 2 \cdot \mathbb{1}[m < 1] \ \text{(generalized)}.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import SquaredHinge
    >>> SquaredHinge().loss(np.array([1, 0, 1]), np.array([2.0, 0.5, -1.0]))
    array([0.  , 2.25, 4.  ])
    """

    name = "squared_hinge"
    is_twice_differentiable = False
    metric_name = "squared_hinge_loss"

    # phi and its derivatives are written once, compiled, in
    # sklloss/_kernels.pyx (a label of 1 makes the kernel's margin m itself);
    # the objective's fused pass runs the same code on 0 / 1 labels.
    def _kernel_params(self):
        return KINDS["squared_hinge"], 0.0

    def _compiled(self, m, **wanted):
        one = np.ones((), m.dtype)
        return elementwise(*self._kernel_params(), one, m, **wanted)[0]

    def _phi(self, m):
        return self._compiled(m)

    def _dphi(self, m):
        return self._compiled(m, loss=False, gradient=True)

    def _d2phi(self, m):
        return self._compiled(m, loss=False, hessian=True)


@register
class ModifiedHuber(_SmoothMarginLoss):
    r"""Modified Huber loss, as in :class:`sklearn.linear_model.SGDClassifier`.

    .. math::

        \phi(m) = \begin{cases}
            \max(0, 1 - m)^2 & m \ge -1 \\
            -4 m & m < -1
        \end{cases}, \qquad
        \phi'(m) = \begin{cases}
            -2 \max(0, 1 - m) & m \ge -1 \\ -4 & m < -1
        \end{cases},

    and the generalized second derivative :math:`2 \cdot \mathbb{1}[-1 \le m < 1]`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import ModifiedHuber
    >>> ModifiedHuber().loss(np.array([1, 1, 1]), np.array([2.0, 0.0, -3.0]))
    array([ 0.,  1., 12.])
    """

    name = "modified_huber"
    is_twice_differentiable = False
    metric_name = "modified_huber_loss"

    def _phi(self, m):
        return np.where(m >= -1, np.maximum(0, 1 - m) ** 2, -4 * m)

    def _dphi(self, m):
        return np.where(m >= -1, -2 * np.maximum(0, 1 - m), -4).astype(m.dtype)

    def _d2phi(self, m):
        return 2 * ((m >= -1) & (m < 1)).astype(m.dtype)


@register
class Exponential(_SmoothMarginLoss):
    r"""Exponential loss (AdaBoost), exact up to a huge margin, then linear.

    .. math::

        \phi(m) = \begin{cases}
            e^{-m} & -m \le T \\
            e^{T} (1 - m - T) & -m > T
        \end{cases}, \qquad
        T = \tfrac12 \log(\text{largest float of the dtype}),

    i.e. :math:`T \approx 354.9` in float64 and :math:`44.4` in float32. Below
    :math:`m = -T` the loss continues along its tangent, so it stays finite,
    convex and continuously differentiable: ``phi(-1e4)`` is about ``1e158``
    instead of an overflow to ``inf``. A trainer needs this: a line search
    that meets ``inf`` (and a gradient of ``inf * 0 = nan`` in ``X.T @ g``)
    cannot back-track, and keeping :math:`e^T` below the square root of the
    largest float also keeps Hessian products finite. Below :math:`-T` the
    generalized second derivative is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Exponential
    >>> Exponential().loss(np.array([1, 0]), np.array([0.0, 1.0]))
    array([1.        , 2.71828183])
    """

    name = "exponential"
    metric_name = "exponential_loss"

    @staticmethod
    def _threshold(dtype):
        return 0.5 * float(np.log(np.finfo(dtype).max))

    def _parts(self, m):
        T = self._threshold(m.dtype)
        t = -m
        return np.exp(np.minimum(t, T)), t > T, t - T

    def _phi(self, m):
        e, beyond, excess = self._parts(m)
        return np.where(beyond, e * (1 + excess), e)

    def _dphi(self, m):
        return -self._parts(m)[0]

    def _d2phi(self, m):
        e, beyond, _ = self._parts(m)
        return np.where(beyond, 0, e).astype(m.dtype)


@register
class ZeroOne(_MarginLoss):
    r"""Zero-one loss: the misclassification rate (a metric, not trainable).

    As a function of the margin (for plots),
    :math:`\phi(m) = \mathbb{1}[m \le 0]`, whose derivative is 0 almost
    everywhere. As a metric it compares predicted LABELS with true labels
    (``response_method = "predict"``), exactly as
    :func:`sklearn.metrics.zero_one_loss`:

    .. math::

        L = \frac{\sum_i w_i \mathbb{1}[\hat y_i \ne y_i]}{\sum_i w_i}.

    Examples
    --------
    >>> from sklloss.losses import ZeroOne
    >>> ZeroOne()(["cat", "dog", "dog"], ["cat", "cat", "dog"])
    0.333...
    """

    name = "zero_one"
    is_twice_differentiable = False
    aliases = ("zero_one_loss", "0-1")
    metric_name = "zero_one_loss"
    is_smooth = False
    is_convex = False
    trainable = False
    _input_kind = "labels"  # labels of any type, equal shapes

    @property
    def response_method(self):
        """``"predict"``: the zero-one loss scores predicted labels.

        Returns
        -------
        str
            ``"predict"``.
        """
        return "predict"

    def _phi(self, m):
        return (m <= 0).astype(m.dtype)

    def _dphi(self, m):
        return np.zeros_like(m)

    def loss_from_prediction(self, y_true, y_pred):
        """1 where the predicted label differs (any column of a 2-D indicator).

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_labels)
            True labels, of any type (or 2-D label indicators).
        y_pred : array-like of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels, of the same form.

        Returns
        -------
        ndarray of shape (n_samples,)
            1.0 for a wrong label (a row with any differing entry), else 0.0;
            always float64.
        """
        wrong = np.asarray(y_true) != np.asarray(y_pred)
        if wrong.ndim == 2:
            wrong = wrong.any(axis=1)
        return wrong.astype(np.float64)
