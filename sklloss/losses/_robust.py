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

__all__ = ["Cauchy", "TukeyBiweight"]


def _cauchy_weight(u):
    """``w = 1 / (1 + u^2)`` without forming ``u^2`` for large ``|u|``."""
    au = np.abs(u)
    small = np.minimum(au, 1.0)
    inv = 1.0 / np.maximum(au, 1.0)  # |u| >= 1: w = (1/u)^2 / (1 + (1/u)^2)
    return np.where(
        au < 1.0, 1.0 / (1.0 + small * small), inv * inv / (1.0 + inv * inv)
    )


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
        u = _residual(y_true, raw_prediction)
        u /= c
        if np.max(np.abs(u), initial=0.0) < 1e18:  # u^2 fits even in float32
            u *= u
            log1p_u2 = np.log1p(u, out=u)
        else:
            au = np.abs(u)
            small = np.minimum(au, 1.0)
            big = np.maximum(au, 1.0)
            inv = 1.0 / big
            log1p_u2 = np.where(
                au < 1.0,
                np.log1p(small * small),
                2.0 * np.log(big) + np.log1p(inv * inv),
            )
        log1p_u2 *= 0.5 * c * c
        return log1p_u2

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
        t, _ = self._t(y_true - raw_prediction)
        c = float(self.c)
        return (c * c / 6.0) * (1.0 - t * t * t)

    def gradient(self, y_true, raw_prediction):
        d = raw_prediction - y_true
        t, _ = self._t(d)
        return d * t * t

    def loss_gradient(self, y_true, raw_prediction):
        d = raw_prediction - y_true
        t, _ = self._t(d)
        c = float(self.c)
        return (c * c / 6.0) * (1.0 - t * t * t), d * t * t

    def hessian(self, y_true, raw_prediction):
        t, u = self._t(y_true - raw_prediction)
        return (t * (1.0 - 5.0 * u * u)).astype(_float_dtype(t), copy=False)
