"""Metric functions: one per loss, ``name(y_true, y_pred, *, sample_weight=None, ...)``.

Each returns a Python float, the weighted mean of the loss's per-sample value
in prediction space. Names follow :mod:`sklearn.metrics` where it has the
metric; the matching scorer is called ``"neg_" + name``. The public names
are the metric of every registered loss (see ``_derived.py``) and the few
other metrics the modules write (``root_mean_squared_error``,
``cross_entropy``).
"""

# importable from here, to filter it; not a metric, so not in __all__
from .._validation import MetricOverflowWarning as MetricOverflowWarning
from . import _classification, _regression
from ._derived import registry_metrics

_METRICS = registry_metrics(_regression, _classification)
globals().update(_METRICS)

__all__ = list(_METRICS)

# Metrics made by a factory outside the module that binds them live here:
# pickle looks them up by module and name, and doctest's module scan would
# not see their examples, so they are listed for it.
__test__ = {n: f for n, f in _METRICS.items() if f.__globals__.get(n) is not f}
for _f in __test__.values():
    _f.__module__ = __name__
