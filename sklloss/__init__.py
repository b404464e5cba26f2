"""Loss functions as first-class citizens of scikit-learn: the sklloss package."""

from .linear_model import LossClassifier, LossRegressor
from .losses import Loss, available_losses, get_loss
from .scorers import get_scorer, get_scorer_names, make_loss_scorer

__version__ = "0.1.0"

__all__ = [
    "Loss",
    "available_losses",
    "get_loss",
    "LossRegressor",
    "LossClassifier",
    "make_loss_scorer",
    "get_scorer",
    "get_scorer_names",
    "__version__",
]
