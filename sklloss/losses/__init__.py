"""The loss catalogue: one object per loss, and the registry that names them."""

from ._base import Loss
from ._distribution import Entropy, JSDivergence, KLDivergence
from ._glm import Gamma, Poisson, Tweedie
from ._margin import Exponential, Hinge, ModifiedHuber, SquaredHinge, ZeroOne
from ._probabilistic import Focal, LogLoss
from ._registry import available_losses, get_loss, loss_names, register
from ._regression import (
    AbsoluteError,
    EpsilonInsensitive,
    Huber,
    LogCosh,
    Quantile,
    SmoothL1,
    SquaredEpsilonInsensitive,
    SquaredError,
)
from ._robust import Cauchy, TukeyBiweight

__all__ = [
    "Loss",
    "register",
    "get_loss",
    "available_losses",
    "loss_names",
    "SquaredError",
    "Huber",
    "AbsoluteError",
    "SmoothL1",
    "Quantile",
    "LogCosh",
    "EpsilonInsensitive",
    "SquaredEpsilonInsensitive",
    "Poisson",
    "Gamma",
    "Tweedie",
    "Cauchy",
    "TukeyBiweight",
    "LogLoss",
    "Focal",
    "Hinge",
    "SquaredHinge",
    "ModifiedHuber",
    "Exponential",
    "ZeroOne",
    "KLDivergence",
    "JSDivergence",
    "Entropy",
]
