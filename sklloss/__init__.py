"""sklloss: loss functions as first-class citizens of scikit-learn."""

from .losses import Loss, available_losses, get_loss

__version__ = "0.1.0"

__all__ = ["Loss", "available_losses", "get_loss", "__version__"]
