"""Losses of sklloss as LightGBM / XGBoost objectives, and estimators over them.

``import sklloss.boosting`` imports neither library; a backend is imported
when an adapter or an estimator is first used with it, and a missing one is
an ImportError that says which extra to install (``sklloss[lightgbm]``,
``sklloss[xgboost]``).
"""

from ._estimators import LossBoostingClassifier, LossBoostingRegressor
from ._objective import (
    LightGBMMetric,
    LightGBMObjective,
    XGBoostMetric,
    XGBoostObjective,
)

__all__ = [
    "LossBoostingRegressor",
    "LossBoostingClassifier",
    "LightGBMObjective",
    "LightGBMMetric",
    "XGBoostObjective",
    "XGBoostMetric",
]
