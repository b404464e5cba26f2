"""Linear models minimising any sklloss loss: LossRegressor and LossClassifier."""

from ._classifier import LossClassifier
from ._regressor import LossRegressor

__all__ = ["LossRegressor", "LossClassifier"]
