"""Regression losses of the residual ``r = y_true - raw_prediction`` (identity link)."""

import numbers

import numpy as np

from ._base import Loss
from ._registry import register

__all__ = ["SquaredError", "Huber"]


def _check_positive(obj, name, *, allow_zero=False):
    value = getattr(obj, name)
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(
            f"{name} must be a finite real number {bound} for loss "
            f"{type(obj).__name__}; got {name}={value!r}."
        )


@register
class SquaredError(Loss):
    r"""Squared error, the loss whose mean is the MSE.

    .. math::

        \ell(y, z) = (y - z)^2, \qquad
        \frac{\partial \ell}{\partial z} = 2 (z - y), \qquad
        \frac{\partial^2 \ell}{\partial z^2} = 2.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.losses import SquaredError
    >>> SquaredError().loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    array([1., 4.])
    """

    name = "squared_error"
    aliases = ("mse", "l2")
    metric_name = "mean_squared_error"

    def loss(self, y_true, raw_prediction):
        r = y_true - raw_prediction
        return r * r

    def gradient(self, y_true, raw_prediction):
        return 2 * (raw_prediction - y_true)

    def hessian(self, y_true, raw_prediction):
        return np.full_like(raw_prediction, 2)


@register
class Huber(Loss):
    r"""Huber loss with an absolute threshold ``delta`` (PyTorch's definition).

    .. math::

        \ell(y, z) = \begin{cases}
            \tfrac12 r^2 & |r| \le \delta \\
            \delta \left(|r| - \tfrac12 \delta\right) & |r| > \delta
        \end{cases}, \qquad r = y - z.

    Unlike scikit-learn's ``HuberRegressor``, ``delta`` is in the units of
    ``y`` (no jointly estimated scale). The generalized Hessian is 1 inside
    the threshold and 0 outside.

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

    name = "huber"
    metric_name = "mean_huber_loss"

    def __init__(self, delta=1.0):
        self.delta = delta
        self._validate_params()

    def _validate_params(self):
        _check_positive(self, "delta")

    def loss(self, y_true, raw_prediction):
        a = np.abs(y_true - raw_prediction)
        d = self.delta
        return np.where(a <= d, 0.5 * a * a, d * (a - 0.5 * d))

    def gradient(self, y_true, raw_prediction):
        r = raw_prediction - y_true
        return np.clip(r, -self.delta, self.delta)

    def hessian(self, y_true, raw_prediction):
        inside = np.abs(raw_prediction - y_true) <= self.delta
        return inside.astype(np.result_type(raw_prediction, np.float32))
