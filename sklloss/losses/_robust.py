"""Redescending robust losses (M-estimation norms): Cauchy and Tukey's biweight.

Both are functions ``rho(r)`` of the residual ``r = y_true - raw_prediction``
with the scaling of :mod:`statsmodels.robust.norms` (``rho''(0) = 1``, so
near 0 they agree with ``r^2 / 2``); the gradient with respect to the raw
prediction is ``-psi(r)`` and the Hessian ``psi'(r)``. They are smooth but not
convex (``is_convex = False``): a solver finds a local minimum.

Relation to statsmodels, checked in the tests:
``Cauchy(c).loss(y, y - r) == StudentT(c=c, df=1).rho(r)`` and
``TukeyBiweight(c).loss(y, y - r) == statsmodels.robust.norms.TukeyBiweight(c).rho(r)``.
"""

import numpy as np

from ._base import Loss
from ._registry import register
from ._regression import _check_positive, _float_dtype, _residual


def _cauchy_weight(u):
    """``w = 1 / (1 + u^2)`` without forming ``u^2`` for large ``|u|``."""
    au = np.abs(u)
    small = np.minimum(au, 1.0)
    inv = 1.0 / np.maximum(au, 1.0)  # |u| >= 1: w = (1/u)^2 / (1 + (1/u)^2)
    return np.where(
        au < 1.0, 1.0 / (1.0 + small * small), inv * inv / (1.0 + inv * inv)
    )


_LOG2 = float(np.log(2.0))


def _cauchy_far(y_true, raw_prediction, c):
    """Cauchy loss in float64 for residuals or scales beyond the squares' range.

    With the half residual ``h = |y/2 - z/2|`` (which cannot overflow) and
    ``log|u| = log h + log 2 - log c``:
    ``(r^2 / 2) log1p(u^2) / u^2`` for ``|u| < 1`` (no ``c^2``, which may
    overflow while the loss is about ``r^2 / 2``) and
    ``c (c (log|u| + log1p(u^-2) / 2))`` beyond, whose only overflow is the
    loss's own.
    """
    y = np.asarray(y_true, dtype=np.float64)
    z = np.asarray(raw_prediction, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        h = np.abs(0.5 * y - 0.5 * z)
        log_u = np.log(h) + _LOG2 - np.log(c)
        inside = log_u < 0
        r = np.where(inside, 2.0 * h, 0.0)  # < c: finite
        u2 = np.square(r / c)
        ratio = np.where(u2 > 0, np.log1p(u2) / np.where(u2 > 0, u2, 1.0), 1.0)
        near = (0.5 * r * ratio) * r
        lu = np.maximum(log_u, 0.0)
        far = c * (c * (lu + 0.5 * np.log1p(np.exp(-2.0 * lu))))
    return np.where(inside, near, far)


@register
class Cauchy(Loss):
    r"""Cauchy (Lorentzian) loss, the negative log-likelihood of a Cauchy error.

    .. math::

        \ell(y, z) = \frac{c^2}{2} \log\left(1 + \frac{r^2}{c^2}\right), \qquad
        \frac{\partial \ell}{\partial z} = -\frac{r}{1 + r^2 / c^2}, \qquad
        \frac{\partial^2 \ell}{\partial z^2}
        = \frac{1 - r^2 / c^2}{(1 + r^2 / c^2)^2},

    with ``r = y - z``. Non-convex (the Hessian is negative for ``|r| > c``),
    smooth, unbounded but growing only logarithmically. The default
    ``c = 2.3849`` gives 95 % asymptotic efficiency at the normal
    distribution (Holland & Welsch 1977; MATLAB ``robustfit``; the default of
    statsmodels' ``StudentT`` norm, which with ``df=1`` is exactly this loss).
    For ``|r| >= c`` the value is computed as ``c^2 (log|u| + log1p(u^-2) / 2)``,
    ``u = r / c``, which never overflows. Metric
    :func:`sklloss.metrics.mean_cauchy_loss`.

    Parameters
    ----------
    c : float, default=2.3849
        Scale of the residual, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Cauchy
    >>> Cauchy(c=1.0).loss(np.zeros(3), np.array([0.0, 1.0, -1.0]))
    array([0.        , 0.34657359, 0.34657359])
    """

    scale_role = "tuning"
    name = "cauchy"
    metric_name = "mean_cauchy_loss"
    is_convex = False

    def __init__(self, c=2.3849):
        self.c = c
        self._validate_params()

    @property
    def outlier_threshold(self):
        """Residual, in units of the scale, beyond which a sample is an outlier.

        Returns
        -------
        float
            ``c``: the weight psi(r)/r has halved there.
        """
        return float(self.c)

    def _validate_params(self):
        _check_positive(self, "c")

    def loss(self, y_true, raw_prediction):
        c = float(self.c)
        with np.errstate(over="ignore"):
            u = _residual(y_true, raw_prediction)
            u /= c
        if c < 1e150 and np.max(np.abs(u), initial=0.0) < 1e18:
            # u^2 and c^2 fit even in float32 (the max is NaN-free: inputs are)
            u *= u
            log1p_u2 = np.log1p(u, out=u)
            log1p_u2 *= 0.5 * c * c
            return log1p_u2
        return _cauchy_far(y_true, raw_prediction, c).astype(u.dtype, copy=False)

    def gradient(self, y_true, raw_prediction):
        # d / (1 + u^2) for |u| < 1, c sign(u) / (|u| + 1/|u|) beyond (no underflow
        # of 1 / (1 + u^2) at huge |u|), with u = d / c
        c = float(self.c)
        d = np.asarray(raw_prediction - y_true)
        au = np.abs(d) / c
        small = np.minimum(au, 1.0)
        big = np.maximum(au, 1.0)
        return np.where(
            au < 1.0, d / (1.0 + small * small), np.sign(d) * c / (big + 1.0 / big)
        )

    def hessian(self, y_true, raw_prediction):
        w = _cauchy_weight((raw_prediction - y_true) / float(self.c))
        # (1 - u^2) / (1 + u^2)^2 = w (2 w - 1) with w = 1 / (1 + u^2)
        return w * (2.0 * w - 1.0)


@register
class TukeyBiweight(Loss):
    r"""Tukey's biweight (bisquare) loss, constant beyond ``c``.

    .. math::

        \ell(y, z) = \begin{cases}
            \dfrac{c^2}{6}\left(1 - \left(1 - u^2\right)^3\right) & |u| \le 1 \\
            \dfrac{c^2}{6} & |u| > 1
        \end{cases}, \qquad u = \frac{r}{c},\ r = y - z,

    .. math::

        \frac{\partial \ell}{\partial z} = -r (1 - u^2)^2 \mathbb{1}_{|u| \le 1},
        \qquad
        \frac{\partial^2 \ell}{\partial z^2} = (1 - u^2)(1 - 5 u^2)
        \mathbb{1}_{|u| \le 1}.

    The second derivative is continuous (both sides vanish at ``|u| = 1``),
    so the loss is twice differentiable and ``hessian`` is its true second
    derivative; non-convex (the Hessian is negative for ``1/sqrt(5) < |u| < 1``).
    The default ``c = 4.685`` gives 95 % efficiency at the normal; it is the
    scaling of ``statsmodels.robust.norms.TukeyBiweight``. Metric
    :func:`sklloss.metrics.mean_tukey_biweight_loss`.

    Parameters
    ----------
    c : float, default=4.685
        Rejection threshold, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import TukeyBiweight
    >>> TukeyBiweight(c=1.0).loss(np.zeros(3), np.array([0.0, 0.5, 3.0]))
    array([0.        , 0.096354..., 0.166666...])
    """

    scale_role = "tuning"
    name = "tukey_biweight"
    metric_name = "mean_tukey_biweight_loss"
    is_convex = False

    def __init__(self, c=4.685):
        self.c = c
        self._validate_params()

    @property
    def outlier_threshold(self):
        """Residual, in units of the scale, beyond which a sample is an outlier.

        Returns
        -------
        float
            ``c``: the loss is constant beyond it (weight 0).
        """
        return float(self.c)

    def _validate_params(self):
        _check_positive(self, "c")

    def _t(self, r):
        # 1 - u^2 with u clipped to [-1, 1]: exactly 0 outside, no overflow
        u = np.clip(r / float(self.c), -1.0, 1.0)
        return 1.0 - u * u, u

    def loss(self, y_true, raw_prediction):
        # With u = r / c clipped to [-1, 1] and r_c = r clipped to [-c, c]:
        # 1 - (1 - u^2)^3 = u^2 (3 - 3 u^2 + u^4), so the loss is
        # r_c^2 (3 - 3 u^2 + u^4) / 6: no c^2 / 6 times a difference that
        # rounds to 0 (or inf * 0) when |r| << c, and 1 at |u| = 1.
        c = float(self.c)
        with np.errstate(over="ignore"):
            r = _residual(y_true, raw_prediction)
            u = np.clip(r / c, -1.0, 1.0)
        with np.errstate(over="ignore", invalid="ignore"):  # masked entries
            r_c = np.where(np.abs(u) < 1.0, r, c * u)
        u *= u
        poly = 3.0 - 3.0 * u + u * u
        return (r_c * poly / 6.0) * r_c

    def gradient(self, y_true, raw_prediction):
        d = raw_prediction - y_true
        t, _ = self._t(d)
        return d * t * t

    def loss_gradient(self, y_true, raw_prediction):
        return self.loss(y_true, raw_prediction), self.gradient(y_true, raw_prediction)

    def hessian(self, y_true, raw_prediction):
        t, u = self._t(y_true - raw_prediction)
        return (t * (1.0 - 5.0 * u * u)).astype(_float_dtype(t), copy=False)
