r"""Deviances of the Tweedie family (Poisson, Gamma, Tweedie) with a log link.

One concept (the Tweedie deviance family), hence one module above 500 lines.

The raw prediction is ``z = log(mu)`` and ``y_pred = mu = exp(z)``. The
per-sample value is the *unit deviance* exactly as
:func:`sklearn.metrics.mean_tweedie_deviance` averages it (no factor 1/2
dropped), so the metric equals scikit-learn's. Writing ``a = 1 - p`` and
``b = 2 - p`` for a power ``p`` outside {0, 1, 2}:

.. math::

    d(y, \mu) = 2 \left(\frac{\max(y, 0)^{b}}{a b} - \frac{y \mu^{a}}{a}
    + \frac{\mu^{b}}{b}\right), \qquad
    \frac{\partial d}{\partial z} = 2 (\mu^{b} - y \mu^{a}), \qquad
    \frac{\partial^2 d}{\partial z^2} = 2 (b \mu^{b} - a y \mu^{a}),

using ``d mu^k / dz = k mu^k``. ``p = 0`` is ``(y - mu)^2``, ``p = 1`` the
Poisson and ``p = 2`` the Gamma deviance (closed forms below).

Extreme values. The formulas above are evaluated as written (scikit-learn's
expressions, bit for bit) and any entry they leave non-finite -- a ratio
``y / mu`` or a power beyond the float range, an ``inf - inf`` -- is
recomputed by :func:`_stable_deviance` in log space, which returns ``+inf``
only where the deviance itself is beyond the largest float. Overflow warnings
are silenced locally (the metrics warn once, on the mean). The gradient keeps
the limit of the ``inf - inf`` it may produce, the sign of the dominant term
(the term with the larger exponent ``b > a`` for ``z > 0``, ``a`` for ``z < 0``).
"""

import math

import numpy as np
from scipy.special import xlogy

from .._kernels import KINDS, elementwise
from .._validation import Interval
from ._base import Loss
from ._registry import register
from ._regression import _check_real

_POSITIVE = Interval(0.0, np.inf, closed="neither")
_NON_NEGATIVE = Interval(0.0, np.inf, closed="left")
_REAL = Interval()
_FAST_EXPONENTS = (-1.0, 0.5, 2.0)  # numpy's scalar-power fast paths


def _y_times_exp(y, k, raw):
    """``y * exp(k * raw)`` with ``0 * inf = 0`` (errstate set by the caller)."""
    return np.where(y == 0, 0.0, y * np.exp(k * raw))


def _nan_to(values, fill):
    """Replace the NaNs of an ``inf - inf`` by their limit ``fill``."""
    # one reduction decides the common case (no NaN) without a boolean temporary
    if np.isnan(np.sum(values)):
        values = np.where(np.isnan(values), fill, values)
    return values


# ------------------------------------------------ stable form for extreme values
# With L = log(y / mu) the unit deviance is d = 2 mu^b h(L), where
#   a b h(L) = e^{bL} - b e^L + a = sum_{k>=2} (b^k - b) L^k / k!
# (the k = 0 and k = 1 terms cancel since b = a + 1); h -> L e^L - e^L + 1 for
# p = 1 and e^L - 1 - L for p = 2, whose series have coefficients k - 1 and 1.
# Near L = 0 the series keeps the relative precision the three-term formula
# loses; away from it the terms are combined after a shift by the largest
# logarithm, so nothing overflows before the final exp of log d.
_LOG2 = math.log(2.0)
_N_SERIES = 24  # |b L| <= 1/2: the 24th term is below 1e-30 of the first


def _series_coefficients(p):
    """``c_k`` of ``h(L) = sum_{k>=2} c_k L^k / k!`` for k = 2.._N_SERIES."""
    ks = np.arange(2, _N_SERIES + 1)
    if p == 1:
        c = ks - 1.0
    elif p == 2:
        c = np.ones(len(ks))
    else:
        a, b = 1.0 - p, 2.0 - p
        c = (float(b) ** ks - b) / (a * b)
    return c / np.cumprod(np.arange(1.0, _N_SERIES + 1))[1:]


def _log_h_far(L, p):
    """``log h(L)`` for ``|L|`` away from 0, without overflow."""
    if p == 1:  # h = e^L (L - 1) + 1
        pos = L > 0
        return np.where(
            pos,
            L + np.log(L - 1 + np.exp(-np.abs(L))),
            np.log1p(np.where(np.isinf(L), 0.0, np.exp(np.minimum(L, 0)) * (L - 1))),
        )
    if p == 2:  # h = e^L - 1 - L
        return np.where(
            L > 0,
            L + np.log1p(-np.exp(-np.abs(L)) * (1 + L)),
            np.log(np.expm1(np.minimum(L, 0)) - L),
        )
    a, b = 1.0 - p, 2.0 - p
    logs = np.stack([b * L, math.log(abs(b)) + L, np.full_like(L, math.log(abs(a)))])
    top = logs.max(axis=0)
    signs = np.array([1.0, -math.copysign(1.0, b), math.copysign(1.0, a)])[:, None]
    ratio = (signs * np.exp(logs - top)).sum(axis=0) / (a * b)
    return top + np.log(np.maximum(ratio, 0.0))


def _log_h(L, p):
    """``log h(L)``: the series near 0, the shifted terms elsewhere."""
    scale = 1.0 if p in (1, 2) else max(1.0, abs(2.0 - p))
    near = np.abs(L) * scale <= 0.5
    out = np.empty_like(L)
    if np.any(near):
        x = L[near]
        h = np.zeros_like(x)
        for c in _series_coefficients(p)[::-1]:  # Horner in L, from k = N down
            h = (h + c) * x
        out[near] = np.log(h * x)
    if not np.all(near):
        out[~near] = _log_h_far(L[~near], p)
    return out


def _log_deviance_y_not_positive(y, log_mu, p):
    """``log d`` where ``y <= 0`` (``p < 2``): a sum of non-negative terms."""
    b = 2.0 - p
    log_mu_b = _LOG2 + b * log_mu - math.log(b)
    if p >= 1:  # y = 0: d = 2 mu^b / b
        return log_mu_b
    a = 1.0 - p  # p < 0: d = 2 (mu^b / b - y mu^a / a), both terms >= 0
    return np.logaddexp(log_mu_b, _LOG2 + np.log(-y) + a * log_mu - math.log(a))


def _log_ratio(y, log_mu, mu):
    """``L = log(y / mu)``: of the ratio where it is a normal float (error
    eps, not eps |log y|: the series near ``L = 0`` needs it), else of logs."""
    if mu is None:
        return np.log(y) - log_mu
    ratio = y / mu
    normal = (ratio >= np.finfo(np.float64).tiny) & (ratio < np.inf)
    L = np.where(normal, np.log(np.where(normal, ratio, 1.0)), np.log(y) - log_mu)
    # within a factor 2, y - mu is exact (Sterbenz): log1p keeps L's relative
    # precision as L -> 0, where the deviance is about mu^b L^2
    near = (ratio >= 0.5) & (ratio <= 2.0)
    return np.where(near, np.log1p((y - mu) / np.where(near, mu, 1.0)), L)


def _stable_deviance(y, log_mu, p, mu=None):
    """Unit deviance from ``y`` and ``log mu`` in log space (float64), p != 0.

    ``mu`` itself, when known, sharpens ``log(y / mu)``. Returns ``+inf``
    only where the deviance is beyond the float range.
    """
    y, log_mu = np.broadcast_arrays(
        np.asarray(y, dtype=np.float64), np.asarray(log_mu, dtype=np.float64)
    )
    if mu is not None:
        mu = np.broadcast_to(np.asarray(mu, dtype=np.float64), y.shape)
    out = np.empty(y.shape)
    pos = y > 0
    with np.errstate(all="ignore"):
        if not np.all(pos):
            out[~pos] = np.exp(_log_deviance_y_not_positive(y[~pos], log_mu[~pos], p))
        lm = log_mu[pos]
        L = _log_ratio(y[pos], lm, None if mu is None else mu[pos])
        out[pos] = np.exp(_LOG2 + (2.0 - p) * lm + _log_h(L, p))
    return out


def _repair(dev, y, pred, p, *, raw):
    """Recompute the non-finite entries of `dev` by :func:`_stable_deviance`.

    `pred` is the raw prediction ``log mu`` (``raw=True``) or ``mu``. One
    reduction decides the common case, all finite, without a temporary.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # inf + -inf is the signal
        total = np.sum(dev)
    if p == 0 or np.isfinite(total):  # (y - mu)^2 is inf only if it is
        return dev
    bad = ~np.isfinite(dev)
    y_b, pred_b = np.broadcast_arrays(y, pred)
    dev = np.array(dev, copy=True)
    if raw:
        dev[bad] = _stable_deviance(y_b[bad], pred_b[bad], p)
    else:
        mu = pred_b[bad].astype(np.float64)
        dev[bad] = _stable_deviance(y_b[bad], np.log(mu), p, mu=mu)
    return dev


# ------------------------------------------------------------ raw-space formulas
def _log_y(y):
    """``log y`` where ``y > 0``, 0 elsewhere (so that ``y log y`` is 0 at 0)."""
    return np.log(np.where(y > 0, y, 1.0))


def _deviance_raw(y, raw, p):
    return _repair(_deviance_raw_direct(y, raw, p), y, raw, p, raw=True)


def _deviance_raw_direct(y, raw, p):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if p == 0:
            r = y - np.exp(raw)
            return r * r
        if p == 1:
            # 2 (y log(y / mu) - y + mu); y log y is 0 at y = 0 (log of 1 there).
            return _poisson_loss_gradient(y, raw, _log_y(y), gradient=False)[0]
        if p == 2:
            # with t = log(y / mu): 2 (y / mu - 1 - log(y / mu)) = 2 (expm1(t) - t)
            t = np.log(y) - raw
            return 2.0 * (np.expm1(t) - t)
        a, b = 1.0 - p, 2.0 - p
        y_pos = np.maximum(y, 0.0)
        return 2.0 * (
            y_pos**b / (a * b) - _y_times_exp(y, a, raw) / a + np.exp(b * raw) / b
        )


def _gradient_raw(y, raw, p):
    with np.errstate(over="ignore", invalid="ignore"):
        if p == 0:
            mu = np.exp(raw)
            return 2.0 * mu * (mu - y)
        if p == 1:  # the compiled formula, as loss_gradient's
            return elementwise(
                KINDS["poisson"], 0.0, y, raw, loss=False, gradient=True
            )[0]
        if p == 2:
            return -2.0 * np.expm1(np.log(y) - raw)
        a, b = 1.0 - p, 2.0 - p
        grad = 2.0 * (np.exp(b * raw) - _y_times_exp(y, a, raw))
        return _nan_to(grad, np.copysign(np.inf, raw))


def _hessian_raw(y, raw, p):
    with np.errstate(over="ignore", invalid="ignore"):
        if p == 0:
            mu = np.exp(raw)
            return 2.0 * mu * (2.0 * mu - y)
        if p == 1:
            return elementwise(KINDS["poisson"], 0.0, y, raw, loss=False, hessian=True)[
                0
            ]
        if p == 2:
            return 2.0 * np.exp(np.log(y) - raw)
        a, b = 1.0 - p, 2.0 - p
        hess = 2.0 * (b * np.exp(b * raw) - a * _y_times_exp(y, a, raw))
        return _nan_to(hess, np.inf)


def _poisson_loss_gradient(y, raw, log_y, **wanted):
    """Poisson ``(deviance, gradient)`` given ``log_y = log y`` (0 at y = 0).

    ``2 (y (log y - z) - y + mu)``: near a perfect fit both brackets are
    small, so the deviance keeps its relative precision. The formula is
    written once, compiled, in sklloss/_kernels.pyx; the objective's fused
    pass runs the same code.
    """
    wanted = {"gradient": True, **wanted}
    return elementwise(KINDS["poisson"], 0.0, y, raw, cache=log_y, **wanted)


def _loss_gradient_raw(y, raw, p):
    """``(deviance, gradient)`` sharing the exponentials between them."""
    dev, grad = _loss_gradient_raw_direct(y, raw, p)
    return _repair(dev, y, raw, p, raw=True), grad


def _loss_gradient_raw_direct(y, raw, p):
    with np.errstate(over="ignore", invalid="ignore"):
        if p == 1:
            return _poisson_loss_gradient(y, raw, _log_y(y))
        if p == 2:
            t = np.log(y) - raw
            e = np.expm1(t)
            return 2.0 * (e - t), -2.0 * e
        if p == 0:
            mu = np.exp(raw)
            d = mu - y
            return d * d, 2.0 * mu * d
        a, b = 1.0 - p, 2.0 - p
        mu_b = np.exp(b * raw)
        y_mu_a = _y_times_exp(y, a, raw)
        y_pos = np.maximum(y, 0.0)
        dev = 2.0 * (y_pos**b / (a * b) - y_mu_a / a + mu_b / b)
        grad = 2.0 * (mu_b - y_mu_a)
        return dev, _nan_to(grad, np.copysign(np.inf, raw))


def _deviance_mu(y, mu, p):
    return _repair(_deviance_mu_direct(y, mu, p), y, mu, p, raw=False)


def _deviance_mu_direct(y, mu, p):
    """Unit deviance in prediction space, the expression sklearn averages.

    Evaluated in place on owned temporaries (see ``_regression._residual``),
    operation by operation in scikit-learn's order, so the values agree to the
    last bit or two.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if p == 0:
            r = np.asarray(y - mu)
            return np.multiply(r, r, out=r)
        if p == 1:
            # 2 (xlogy(y, y / mu) - y + mu)
            t = np.asarray(y / mu)
            xlogy(y, t, out=t)
            t -= y
            t += mu
            t *= 2.0
            return t
        if p == 2:
            # 2 (log(mu / y) + y / mu - 1)
            t = np.asarray(mu / y)
            np.log(t, out=t)
            t += y / mu
            t -= 1.0
            t *= 2.0
            return t
        a, b = 1.0 - p, 2.0 - p
        y_pos = np.maximum(y, 0.0) if p < 0 else y
        # one power of mu instead of two (b = a + 1), and preferably the one
        # NumPy computes by a fast path (sqrt, reciprocal, square)
        if b in _FAST_EXPONENTS:
            mu_b = np.asarray(mu**b)
            mu_a = mu_b / mu
        else:
            mu_a = np.asarray(mu**a)
            mu_b = mu_a * mu
        dev = np.asarray(y_pos**b)
        dev /= a * b
        mu_a *= y
        mu_a /= a
        dev -= mu_a
        mu_b /= b
        dev += mu_b
        dev *= 2.0
        return dev


class _LogLinkDeviance(Loss):
    """Shared machinery: log link, deviance of power ``self._power``."""

    link = "log"
    y_pred_domain = _POSITIVE
    scale_role = "homogeneous"

    @property
    def _power(self):
        raise NotImplementedError

    def inverse_link(self, raw_prediction):
        """``mu = exp(raw_prediction)`` (``+inf`` beyond the float range, silently).

        Parameters
        ----------
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Raw prediction, the log of the mean.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted mean ``mu``.
        """
        with np.errstate(over="ignore"):
            return np.exp(raw_prediction)

    def link_function(self, y_pred):
        """``raw_prediction = log(mu)``.

        Parameters
        ----------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted mean ``mu``, > 0.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            ``log(y_pred)``.
        """
        return np.log(y_pred)

    def loss(self, y_true, raw_prediction):
        return _deviance_raw(y_true, raw_prediction, self._power)

    def gradient(self, y_true, raw_prediction):
        return _gradient_raw(y_true, raw_prediction, self._power)

    def loss_gradient(self, y_true, raw_prediction):
        return _loss_gradient_raw(y_true, raw_prediction, self._power)

    def hessian(self, y_true, raw_prediction):
        return _hessian_raw(y_true, raw_prediction, self._power)

    def loss_from_prediction(self, y_true, y_pred):
        # Straight from mu: no log/exp round trip, the same expression as sklearn.
        return _deviance_mu(y_true, y_pred, self._power)


@register
class Poisson(_LogLinkDeviance):
    r"""Poisson deviance with a log link (``mu = exp(z)``).

    .. math::

        \ell(y, z) = 2\left(y \log\frac{y}{\mu} - y + \mu\right), \qquad
        \frac{\partial \ell}{\partial z} = 2 (\mu - y), \qquad
        \frac{\partial^2 \ell}{\partial z^2} = 2 \mu,

    with ``0 log 0 = 0``; ``y >= 0``, ``mu > 0``. The mean is scikit-learn's
    ``mean_poisson_deviance``. Convex in ``z``. At ``z > 709`` the value is
    ``+inf`` (beyond the float range), without a warning. Metric
    :func:`sklloss.metrics.mean_poisson_deviance`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Poisson
    >>> loss = Poisson()
    >>> loss.loss_from_prediction(np.array([0.0, 2.0]), np.array([1.0, 2.0]))
    array([2., 0.])
    >>> loss.gradient(np.array([0.0]), np.log([1.0]))
    array([2.])
    """

    name = "poisson"
    metric_name = "mean_poisson_deviance"
    y_true_domain = _NON_NEGATIVE
    _power = 1

    def _kernel_params(self):
        # the compiled formula (``_poisson_loss_gradient``) for the fused pass
        return KINDS["poisson"], 0.0

    def _target_cache(self, y_true):
        # log y (0 where y = 0), the one logarithm of the deviance: computed
        # once per fit (loss and gradient on 1e6 rows: 13.3 -> 7.0 ms)
        return _log_y(y_true)

    def _loss_gradient_cached(self, y_true, raw_prediction, cache):
        return _poisson_loss_gradient(y_true, raw_prediction, cache)


@register
class Gamma(_LogLinkDeviance):
    r"""Gamma deviance with a log link (``mu = exp(z)``).

    .. math::

        \ell(y, z) = 2\left(\log\frac{\mu}{y} + \frac{y}{\mu} - 1\right), \qquad
        \frac{\partial \ell}{\partial z} = 2 \left(1 - \frac{y}{\mu}\right),
        \qquad \frac{\partial^2 \ell}{\partial z^2} = \frac{2 y}{\mu},

    with ``y > 0``, ``mu > 0``; computed as ``2 (expm1(t) - t)`` with
    ``t = log(y) - z``. The mean is scikit-learn's ``mean_gamma_deviance``.
    Convex in ``z``. Metric :func:`sklloss.metrics.mean_gamma_deviance`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Gamma
    >>> Gamma().loss_from_prediction(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    array([0.        , 0.61370564])
    """

    name = "gamma"
    metric_name = "mean_gamma_deviance"
    y_true_domain = _POSITIVE
    _power = 2


@register
class Tweedie(_LogLinkDeviance):
    r"""Tweedie deviance of power ``power`` with a log link (``mu = exp(z)``).

    With ``a = 1 - p``, ``b = 2 - p``:

    .. math::

        \ell(y, z) = 2 \left(\frac{\max(y, 0)^{b}}{a b} - \frac{y \mu^{a}}{a}
        + \frac{\mu^{b}}{b}\right), \quad
        \frac{\partial \ell}{\partial z} = 2 \mu^{a} (\mu - y), \quad
        \frac{\partial^2 \ell}{\partial z^2} = 2 (b \mu^{b} - a y \mu^{a}),

    and, as in scikit-learn, ``(y - mu)^2`` for ``p = 0``, the Poisson
    deviance for ``p = 1`` and the Gamma deviance for ``p = 2``. The mean is
    ``sklearn.metrics.mean_tweedie_deviance(power=p)``, with its domains:

    ============  ==============  =====================================
    power         y_true          y_pred
    ============  ==============  =====================================
    p < 0         real            > 0
    p = 0         real            real (the metric; the log link needs > 0)
    1 <= p < 2    >= 0            > 0
    p >= 2        > 0             > 0
    0 < p < 1     invalid         ValueError (no Tweedie distribution)
    ============  ==============  =====================================

    The default ``power=0.0`` is that of scikit-learn's ``TweedieRegressor``
    (whose link is then the identity; here it is always the log). The loss is
    convex in ``z`` only for ``1 <= p <= 2`` (``is_convex`` reflects it): for
    ``p = 0`` the Hessian ``2 mu (2 mu - y)`` is negative when ``mu < y / 2``.
    Metric :func:`sklloss.metrics.mean_tweedie_deviance`.

    Parameters
    ----------
    power : float, default=0.0
        Tweedie power ``p``, a real number not in the open interval (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Tweedie
    >>> loss = Tweedie(power=1.5)
    >>> loss.loss_from_prediction(np.array([0.0, 1.0]), np.array([1.0, 1.0]))
    array([4., 0.])
    >>> loss.is_convex
    True
    """

    name = "tweedie"
    metric_name = "mean_tweedie_deviance"

    def __init__(self, power=0.0):
        self.power = power
        self._validate_params()

    def _validate_params(self):
        _check_real(self, "power")
        if 0 < self.power < 1:
            raise ValueError(
                "power must not lie in the open interval (0, 1) for loss Tweedie "
                f"(no Tweedie distribution exists there); got power={self.power!r}."
            )

    @property
    def _power(self):
        return float(self.power)

    @property
    def is_convex(self):
        """True for ``1 <= power <= 2``: only there the deviance is convex in ``z``.

        Returns
        -------
        bool
            ``1 <= power <= 2``.
        """
        return 1 <= self.power <= 2

    @property
    def y_true_domain(self):
        """Valid ``y_true``: real (p <= 0), >= 0 (1 <= p < 2), > 0 (p >= 2).

        Returns
        -------
        Interval
            The interval of valid targets for this ``power``.
        """
        if self.power <= 0:
            return _REAL
        return _NON_NEGATIVE if self.power < 2 else _POSITIVE

    @property
    def y_pred_domain(self):
        """Valid ``y_pred``: any real for ``p = 0`` (as sklearn), else ``> 0``.

        Returns
        -------
        Interval
            The interval of valid predictions for this ``power``.
        """
        return _REAL if self.power == 0 else _POSITIVE
