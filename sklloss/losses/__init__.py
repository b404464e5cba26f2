"""The loss catalogue: one object per loss, and the registry that names them."""

from ._base import Loss
from ._registry import available_losses, get_loss, loss_names, register
from ._regression import Huber, SquaredError

__all__ = [
    "Loss",
    "register",
    "get_loss",
    "available_losses",
    "loss_names",
    "SquaredError",
    "Huber",
]
