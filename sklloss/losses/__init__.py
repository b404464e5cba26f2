"""The loss catalogue: one object per loss, and the registry that names them.

Importing the family modules registers their classes (``@register``); the
public names of this package are the registry's classes under their class
names, plus the registry's functions, so a new built-in loss is exported by
its ``@register`` alone.
"""

from . import (  # noqa: F401  (imported for their @register)
    _distribution,
    _focal,
    _glm,
    _margin,
    _probabilistic,
    _regression,
    _robust,
)
from ._base import Loss
from ._registry import _REGISTRY, available_losses, get_loss, loss_names, register

globals().update({cls.__name__: cls for cls in _REGISTRY.values()})

__all__ = [
    "Loss",
    "register",
    "get_loss",
    "available_losses",
    "loss_names",
    *(cls.__name__ for cls in _REGISTRY.values()),
]
