"""Regression losses of the residual ``r = y_true - raw_prediction`` (identity link).

One concept (the losses of the residual), hence one module above 500 lines.

Every loss here is a function of the residual alone. Derivatives are taken
with respect to the raw prediction ``z``, so ``d r / d z = -1``: the gradient
of ``rho(r)`` is ``-rho'(r)`` and the Hessian is ``rho''(r)``.

Hyper-parameters enter the arithmetic as Python floats (``float(self.delta)``)
so that a float32 input stays float32 even when a parameter was set to a NumPy
float64 scalar (NumPy treats Python scalars as "weak").
"""

import math
import numbers

import numpy as np

from .._kernels import KINDS, elementwise
from ._base import Loss
from ._registry import register


def _check_real(obj, name, *, low=-np.inf, high=np.inf, closed="neither"):
    """Raise a ValueError naming `name` unless getattr(obj, name) lies in the interval.

    `closed` says which finite bounds are allowed: "both", "left", "right" or
    "neither". The value must also be a finite real number (not a bool).
    """
    value = getattr(obj, name)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    try:  # a Python int beyond the float range: not finite, not an OverflowError
        ok = ok and math.isfinite(value)
    except OverflowError:
        ok = False
    if ok:
        left_ok = value >= low if closed in ("both", "left") else value > low
        right_ok = value <= high if closed in ("both", "right") else value < high
        ok = bool(left_ok and right_ok)
    if not ok:
        left = "[" if closed in ("both", "left") else "("
        right = "]" if closed in ("both", "right") else ")"
        raise ValueError(
            f"{name} must be a finite real number in {left}{low}, {high}{right} for "
            f"loss {type(obj).__name__}; got {name}={value!r}."
        )


def _check_positive(obj, name, *, allow_zero=False):
    _check_real(obj, name, low=0.0, closed="left" if allow_zero else "neither")


def _float_dtype(a):
    """Floating dtype of the output for input `a` (float32 stays float32)."""
    return np.result_type(a, np.float32)


# Speed: at n = 1e6 every fresh temporary array costs about as much as the
# arithmetic itself (page faults of a new allocation), so the loss values are
# computed in place on arrays these functions own; never on an input.
def _residual(y_true, raw_prediction):
    """``y_true - raw_prediction`` as a new floating array owned by the caller."""
    r = np.asarray(y_true - raw_prediction)
    return r if r.dtype.kind == "f" else r.astype(np.float64)


def _abs_residual(y_true, raw_prediction):
    """``|y_true - raw_prediction|`` as a new array owned by the caller."""
    r = _residual(y_true, raw_prediction)
    return np.abs(r, out=r)


class _CompiledLoss(Loss):
    """A loss whose value, gradient and Hessian are compiled formulas.

    Written once in sklloss/_kernels.pyx; a subclass names its formula with
    ``_kernel_params() -> (kind, param)``, and the objective's fused pass
    runs the same code.
    """

    def _kernel_params(self):
        raise NotImplementedError

    def _compiled(self, y_true, raw_prediction, **wanted):
        return elementwise(*self._kernel_params(), y_true, raw_prediction, **wanted)

    def loss(self, y_true, raw_prediction):
        return self._compiled(y_true, raw_prediction)[0]

    def gradient(self, y_true, raw_prediction):
        return self._compiled(y_true, raw_prediction, loss=False, gradient=True)[0]

    def loss_gradient(self, y_true, raw_prediction):
        return self._compiled(y_true, raw_prediction, gradient=True)

    def hessian(self, y_true, raw_prediction):
        return self._compiled(y_true, raw_prediction, loss=False, hessian=True)[0]


@register
class SquaredError(_CompiledLoss):
    r"""Squared error, the loss whose mean is the MSE.

    .. math::

        \ell(y, z) = (y - z)^2, \qquad
        \frac{\partial \ell}{\partial z} = 2 (z - y), \qquad
        \frac{\partial^2 \ell}{\partial z^2} = 2.

    Registry key ``"squared_error"``, aliases ``"mse"`` and ``"l2"``; metric
    :func:`sklloss.metrics.mean_squared_error`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import SquaredError
    >>> SquaredError().loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    array([1., 4.])
    """

    scale_role = "homogeneous"
    name = "squared_error"
    aliases = ("mse", "l2")
    metric_name = "mean_squared_error"

    def _kernel_params(self):
        return KINDS["squared_error"], 0.0


@register
class AbsoluteError(Loss):
    r"""Absolute error, the loss whose mean is the MAE.

    .. math::

        \ell(y, z) = |y - z| = \max(r, -r), \qquad
        \frac{\partial \ell}{\partial z} = \operatorname{sign}(z - y),
        \qquad r = y - z.

    Piecewise linear and convex: ``convex_pieces = ((1, 0), (-1, 0))`` in
    ``u = y - z``. At ``r = 0`` the gradient returns the subgradient 0.
    There is no Hessian. Registry key ``"absolute_error"``, aliases ``"mae"``
    and ``"l1"``; metric :func:`sklloss.metrics.mean_absolute_error`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import AbsoluteError
    >>> AbsoluteError().loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    array([1., 2.])
    >>> AbsoluteError().convex_pieces
    ((1.0, 0.0), (-1.0, 0.0))
    """

    scale_role = "homogeneous"
    name = "absolute_error"
    is_twice_differentiable = False
    aliases = ("mae", "l1")
    metric_name = "mean_absolute_error"
    is_smooth = False
    is_piecewise_linear = True

    @property
    def convex_pieces(self):
        """``((slope, offset), ...)`` with loss ``= max_k(slope_k * u + offset_k)``.

        Returns
        -------
        tuple of (float, float)
            The pieces ``(slope, offset)`` of the loss as a function of the
            residual ``u = y_true - raw_prediction``.
        """
        return ((1.0, 0.0), (-1.0, 0.0))

    def loss(self, y_true, raw_prediction):
        return _abs_residual(y_true, raw_prediction)

    def gradient(self, y_true, raw_prediction):
        return np.sign(raw_prediction - y_true)

    def loss_gradient(self, y_true, raw_prediction):
        d = raw_prediction - y_true
        return np.abs(d), np.sign(d)


@register
class Huber(_CompiledLoss):
    r"""Huber loss with an absolute threshold ``delta`` (PyTorch's definition).

    .. math::

        \ell(y, z) = \begin{cases}
            \tfrac12 r^2 & |r| \le \delta \\
            \delta \left(|r| - \tfrac12 \delta\right) & |r| > \delta
        \end{cases}, \qquad r = y - z.

    Unlike scikit-learn's ``HuberRegressor``, ``delta`` is in the units of
    ``y`` (no jointly estimated scale). The generalized Hessian is 1 inside
    the threshold and 0 outside. It equals ``statsmodels``'
    ``HuberT(t=delta).rho(r)`` and ``scipy.special.huber(delta, r)``.
    Metric :func:`sklloss.metrics.mean_huber_loss`.

    Parameters
    ----------
    delta : float, default=1.0
        Threshold between the quadratic and the linear part, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Huber
    >>> Huber(delta=1.0).loss(np.array([0.0, 0.0]), np.array([0.5, 3.0]))
    array([0.125, 2.5  ])
    """

    scale_role = "tuning"
    name = "huber"
    is_twice_differentiable = False
    metric_name = "mean_huber_loss"

    def __init__(self, delta=1.0):
        self.delta = delta
        self._validate_params()

    @property
    def outlier_threshold(self):
        """Residual, in units of the scale, beyond which a sample is an outlier.

        Returns
        -------
        float
            ``delta``: where the loss turns from quadratic to linear.
        """
        return float(self.delta)

    def _validate_params(self):
        _check_positive(self, "delta")

    def _kernel_params(self):
        return KINDS["huber"], float(self.delta)


@register
class SmoothL1(_CompiledLoss):
    r"""Smooth L1 loss, PyTorch's ``SmoothL1Loss`` with threshold ``beta``.

    .. math::

        \ell(y, z) = \begin{cases}
            \dfrac{r^2}{2\beta} & |r| < \beta \\
            |r| - \tfrac12 \beta & |r| \ge \beta
        \end{cases}, \qquad r = y - z,

    i.e. ``huber(delta=beta) / beta``: the linear part has slope 1 whatever
    ``beta``. The generalized Hessian is ``1 / beta`` inside and 0 outside.
    PyTorch accepts ``beta = 0`` (then the loss is the absolute error); here
    ``beta`` must be > 0 so that the loss is smooth, as its flags declare: use
    ``"absolute_error"`` for ``beta = 0``. Metric
    :func:`sklloss.metrics.mean_smooth_l1_loss`.

    Parameters
    ----------
    beta : float, default=1.0
        Threshold between the quadratic and the linear part, > 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import SmoothL1
    >>> SmoothL1(beta=2.0).loss(np.array([0.0, 0.0]), np.array([1.0, 3.0]))
    array([0.25, 2.  ])
    """

    scale_role = "tuning"
    name = "smooth_l1"
    is_twice_differentiable = False
    metric_name = "mean_smooth_l1_loss"

    def __init__(self, beta=1.0):
        self.beta = beta
        self._validate_params()

    @property
    def outlier_threshold(self):
        """Residual, in units of the scale, beyond which a sample is an outlier.

        Returns
        -------
        float
            ``beta``: where the loss turns from quadratic to linear.
        """
        return float(self.beta)

    def _validate_params(self):
        _check_positive(self, "beta")

    def _kernel_params(self):
        return KINDS["smooth_l1"], float(self.beta)


@register
class Quantile(Loss):
    r"""Pinball (quantile) loss of level ``quantile``.

    .. math::

        \ell(y, z) = \max\left(\tau r, (\tau - 1) r\right), \qquad
        r = y - z,\ \tau = \text{quantile},

    minimized in expectation by the ``tau``-quantile of ``y``; ``tau = 0.5``
    gives half the absolute error. The mean is scikit-learn's
    ``mean_pinball_loss(alpha=quantile)``. Piecewise linear and convex:
    ``convex_pieces = ((tau, 0), (tau - 1, 0))`` in ``u = y - z``. The gradient
    is ``-tau`` for ``r > 0``, ``1 - tau`` for ``r < 0`` and the subgradient
    0 at ``r = 0``. Registry key ``"quantile"``, alias ``"pinball"``; metric
    :func:`sklloss.metrics.mean_pinball_loss`.

    Parameters
    ----------
    quantile : float, default=0.5
        The level, in the open interval (0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import Quantile
    >>> Quantile(quantile=0.9).loss(np.array([1.0, 1.0]), np.array([0.0, 2.0]))
    array([0.9, 0.1])
    """

    scale_role = "homogeneous"
    name = "quantile"
    is_twice_differentiable = False
    aliases = ("pinball",)
    metric_name = "mean_pinball_loss"
    is_smooth = False
    is_piecewise_linear = True

    def __init__(self, quantile=0.5):
        self.quantile = quantile
        self._validate_params()

    def _validate_params(self):
        _check_real(self, "quantile", low=0.0, high=1.0, closed="neither")

    @property
    def convex_pieces(self):
        """``((slope, offset), ...)`` with loss ``= max_k(slope_k * u + offset_k)``.

        Returns
        -------
        tuple of (float, float)
            The pieces ``(slope, offset)`` of the loss as a function of the
            residual ``u = y_true - raw_prediction``.
        """
        q = float(self.quantile)
        return ((q, 0.0), (q - 1.0, 0.0))

    def loss(self, y_true, raw_prediction):
        r = _residual(y_true, raw_prediction)
        q = float(self.quantile)
        below = (q - 1.0) * r
        r *= q
        return np.maximum(r, below, out=r)

    def gradient(self, y_true, raw_prediction):
        r = y_true - raw_prediction
        q = float(self.quantile)
        g = np.where(r > 0, -q, 1.0 - q).astype(_float_dtype(r), copy=False)
        g[r == 0] = 0.0
        return g


_LOG2 = math.log(2.0)


def _log_cosh(a):
    """``log(cosh(a))`` of ``a >= 0``, overwriting ``a``, accurate for every a.

    ``a + log1p(exp(-2a)) - log 2`` never overflows but cancels for small a
    (at a = 1e-6 it was 1e-4 off, relative: the fits of targets in units of
    1e-6 stopped on a rounded objective); below 1 the identity
    ``cosh(a) = 1 + 2 sinh(a/2)^2`` gives ``log1p(2 sinh(a/2)^2)``, exact to
    rounding and free of cancellation.
    """
    small = a < 1.0
    s = np.sinh(0.5 * a[small])
    e = np.exp(-2.0 * a)
    a += np.log1p(e, out=e)
    a -= _LOG2
    a[small] = np.log1p(2.0 * s * s)
    return a


@register
class LogCosh(Loss):
    r"""Log-cosh loss, quadratic near 0 and linear in the tails.

    .. math::

        \ell(y, z) = \log\cosh(r) = |r| + \operatorname{log1p}(e^{-2|r|}) - \log 2,
        \qquad
        \frac{\partial \ell}{\partial z} = \tanh(z - y), \qquad
        \frac{\partial^2 \ell}{\partial z^2} = \operatorname{sech}^2(r)
        = \frac{4 e^{-2|r|}}{(1 + e^{-2|r|})^2},

    with ``r = y - z``. The right-hand forms never overflow (``cosh`` itself
    overflows for ``|r| > 710``). Smooth, convex, with a Hessian everywhere.
    Metric :func:`sklloss.metrics.mean_log_cosh_loss`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import LogCosh
    >>> LogCosh().loss(np.zeros(3), np.array([0.0, 1.0, 30.0]))
    array([ 0.        ,  0.43378083, 29.30685282])
    """

    scale_role = "tuning"
    name = "log_cosh"
    metric_name = "mean_log_cosh_loss"

    def loss(self, y_true, raw_prediction):
        return _log_cosh(_abs_residual(y_true, raw_prediction))

    def gradient(self, y_true, raw_prediction):
        return np.tanh(raw_prediction - y_true)

    def loss_gradient(self, y_true, raw_prediction):
        r = raw_prediction - y_true
        return _log_cosh(np.abs(r)), np.tanh(r)

    def hessian(self, y_true, raw_prediction):
        e = np.exp(-2.0 * np.abs(y_true - raw_prediction))
        return 4.0 * e / ((1.0 + e) * (1.0 + e))


@register
class EpsilonInsensitive(Loss):
    r"""Epsilon-insensitive loss of support vector regression.

    .. math::

        \ell(y, z) = \max(0, |r| - \varepsilon), \qquad r = y - z.

    The default ``epsilon = 0.0`` is that of scikit-learn's ``LinearSVR``
    (``SGDRegressor`` uses 0.1), so by default the loss equals the absolute
    error. Piecewise linear and convex:
    ``convex_pieces = ((0, 0), (1, -eps), (-1, -eps))`` in ``u = y - z``. The
    gradient is ``sign(z - y)`` outside the tube and 0 inside and on its
    border (a subgradient). Metric
    :func:`sklloss.metrics.mean_epsilon_insensitive_loss`.

    Parameters
    ----------
    epsilon : float, default=0.0
        Half-width of the tube, >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import EpsilonInsensitive
    >>> EpsilonInsensitive(epsilon=0.5).loss(np.zeros(2), np.array([0.2, -2.0]))
    array([0. , 1.5])
    """

    scale_role = "tuning"
    name = "epsilon_insensitive"
    is_twice_differentiable = False
    metric_name = "mean_epsilon_insensitive_loss"
    is_smooth = False
    is_piecewise_linear = True

    def __init__(self, epsilon=0.0):
        self.epsilon = epsilon
        self._validate_params()

    def _validate_params(self):
        _check_positive(self, "epsilon", allow_zero=True)

    @property
    def convex_pieces(self):
        """``((slope, offset), ...)`` with loss ``= max_k(slope_k * u + offset_k)``.

        Returns
        -------
        tuple of (float, float)
            The pieces ``(slope, offset)`` of the loss as a function of the
            residual ``u = y_true - raw_prediction``.
        """
        e = float(self.epsilon)
        return ((0.0, 0.0), (1.0, -e), (-1.0, -e))

    def loss(self, y_true, raw_prediction):
        a = _abs_residual(y_true, raw_prediction)
        a -= float(self.epsilon)
        return np.maximum(a, 0.0, out=a)

    def gradient(self, y_true, raw_prediction):
        d = raw_prediction - y_true
        return np.where(np.abs(d) > float(self.epsilon), np.sign(d), 0.0)

    def loss_gradient(self, y_true, raw_prediction):
        d = raw_prediction - y_true
        excess = np.abs(d) - float(self.epsilon)
        return np.maximum(excess, 0.0), np.where(excess > 0, np.sign(d), 0.0)


@register
class SquaredEpsilonInsensitive(Loss):
    r"""Squared epsilon-insensitive loss (scikit-learn's SGD / ``LinearSVR`` scale).

    .. math::

        \ell(y, z) = \max(0, |r| - \varepsilon)^2, \qquad
        \frac{\partial \ell}{\partial z} = 2\operatorname{sign}(z - y)
        \max(0, |r| - \varepsilon), \qquad r = y - z.

    Continuously differentiable (``is_smooth``), convex; the generalized
    Hessian is 2 outside the tube and 0 inside. The default ``epsilon = 0.0``
    is ``LinearSVR``'s (the loss is then the squared error). Metric
    :func:`sklloss.metrics.mean_squared_epsilon_insensitive_loss`.

    Parameters
    ----------
    epsilon : float, default=0.0
        Half-width of the tube, >= 0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import SquaredEpsilonInsensitive
    >>> loss = SquaredEpsilonInsensitive(epsilon=0.5)
    >>> loss.loss(np.zeros(2), np.array([0.2, -2.0]))
    array([0.  , 2.25])
    """

    scale_role = "tuning"
    name = "squared_epsilon_insensitive"
    is_twice_differentiable = False
    metric_name = "mean_squared_epsilon_insensitive_loss"

    def __init__(self, epsilon=0.0):
        self.epsilon = epsilon
        self._validate_params()

    def _validate_params(self):
        _check_positive(self, "epsilon", allow_zero=True)

    def loss(self, y_true, raw_prediction):
        a = _abs_residual(y_true, raw_prediction)
        a -= float(self.epsilon)
        np.maximum(a, 0.0, out=a)
        return np.multiply(a, a, out=a)

    def gradient(self, y_true, raw_prediction):
        d = raw_prediction - y_true
        return 2.0 * np.sign(d) * np.maximum(np.abs(d) - float(self.epsilon), 0.0)

    def loss_gradient(self, y_true, raw_prediction):
        d = raw_prediction - y_true
        e = np.maximum(np.abs(d) - float(self.epsilon), 0.0)
        return e * e, 2.0 * np.sign(d) * e

    def hessian(self, y_true, raw_prediction):
        outside = np.abs(raw_prediction - y_true) > float(self.epsilon)
        return 2.0 * outside.astype(_float_dtype(raw_prediction))
