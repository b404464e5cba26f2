"""Metric functions: one per loss, ``name(y_true, y_pred, *, sample_weight=None, ...)``.

Each returns a Python float, the weighted mean of the loss's per-sample value
in prediction space. Names follow :mod:`sklearn.metrics` where it has the
metric; the matching scorer is called ``"neg_" + name``.
"""

# importable from here, to filter it; not a metric, so not in __all__
from .._validation import MetricOverflowWarning as MetricOverflowWarning
from . import _classification, _regression
from ._classification import *  # noqa: F403
from ._regression import *  # noqa: F403

__all__ = [*_regression.__all__, *_classification.__all__]
