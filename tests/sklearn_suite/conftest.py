"""scikit-learn's own metric tests, run against sklloss's same-named metrics.

scikit-learn's installed ``sklearn/metrics/tests/test_regression.py``,
``test_classification.py`` and ``test_common.py`` are executed here as new
modules (``sklearn_suite_<name>``) while ``sklearn.metrics`` holds sklloss's
functions, so every ``from sklearn.metrics import log_loss`` in them, and the
metric dictionaries of ``test_common`` built at import time, bind sklloss's
function; ``sklearn.metrics`` is restored right after. The test modules of
this folder re-export them for collection.

Only the tests that exercise a patched function are kept (the rest test
scikit-learn's other metrics against themselves), which keeps the run short.
A kept test that fails only on a message text or on a documented extension
of sklloss (README, *Drop-in for scikit-learn's metrics*) is a strict xfail
with its reason in ``EXPECTED_FAILURES``; any other failure is a bug.
"""

import importlib.util
import inspect
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn
import sklearn.metrics

import sklloss.metrics

PATCHED = sorted(
    name for name in sklloss.metrics.__all__ if hasattr(sklearn.metrics, name)
)
SUITES = ("test_regression", "test_classification", "test_common")
# EXPECTED_FAILURES was made against scikit-learn 1.9; on another version a
# listed test may pass (its message changed), so the xfails are strict there
# only -- an unlisted failure fails on every version.
_STRICT = sklearn.__version__.startswith("1.9.")
_TESTS_DIR = Path(sklearn.__file__).parent / "metrics" / "tests"

# test id (module:name[params] or module:name for every parametrisation) -> reason
_MULTIOUTPUT = (
    "documented extension: sklloss's deviances take (n, n_outputs) input and "
    "multioutput=, where scikit-learn's refuse 2-D input"
)
_MESSAGE = "message text: sklloss raises the same ValueError, worded differently ({})"
EXPECTED_FAILURES = {
    "test_common:test_format_invariance_with_1d_vectors[mean_gamma_deviance]": (
        _MULTIOUTPUT
    ),
    "test_common:test_format_invariance_with_1d_vectors[mean_poisson_deviance]": (
        _MULTIOUTPUT
    ),
    "test_common:test_format_invariance_with_1d_vectors[mean_tweedie_deviance]": (
        _MULTIOUTPUT
    ),
    "test_common:test_format_invariance_with_1d_vectors[mean_normal_deviance]": (
        _MULTIOUTPUT
    ),
    "test_common:test_format_invariance_with_1d_vectors"
    "[mean_compound_poisson_deviance]": _MULTIOUTPUT,
    "test_common:test_classification_binary_continuous_input": _MESSAGE.format(
        "'y_pred must hold class labels ... got y_pred[0] = 0.1'"
    ),
    "test_regression:test_regression_metrics_at_limits": _MESSAGE.format(
        "the Tweedie domain error names the bound, '(0.0, inf)'"
    ),
    "test_classification:test_hinge_loss_multiclass_missing_labels_with_labels_none": (
        _MESSAGE.format("'pred_decision has 4 columns but there are 3 classes'")
    ),
    "test_classification:"
    "test_hinge_loss_multiclass_no_consistent_pred_decision_shape": _MESSAGE.format(
        "'pred_decision must have shape (n_samples, n_classes) = (7, 3)'"
    ),
    "test_classification:test_log_loss": _MESSAGE.format(
        "the unknown labels are listed as ['b'], not as the set {'b'}"
    ),
}


def _load(suite):
    """Execute scikit-learn's test module `suite` with sklloss's metrics in place."""
    name = f"sklearn_suite_{suite}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _TESTS_DIR / f"{suite}.py")
    module = importlib.util.module_from_spec(spec)
    saved = {n: getattr(sklearn.metrics, n) for n in PATCHED}
    try:
        for n in PATCHED:
            setattr(sklearn.metrics, n, getattr(sklloss.metrics, n))
        spec.loader.exec_module(module)
    finally:
        for n, func in saved.items():
            setattr(sklearn.metrics, n, func)
    sys.modules[name] = module
    return module


for _suite in SUITES:
    _load(_suite)


@pytest.fixture
def global_random_seed():
    """scikit-learn's default seed (its conftest parametrises it from an env var)."""
    return 42


@pytest.fixture(params=[np.float64], ids=["float64"])
def global_dtype(request):
    """float64 only, scikit-learn's default (float32 runs on request there)."""
    return request.param


def _is_patched(value):
    func = getattr(value, "func", value)  # a functools.partial of a metric
    return any(func is getattr(sklloss.metrics, n) for n in PATCHED)


def _carriers(module):
    """Names of `module`'s globals that are, or hold, a patched metric."""
    names = set(PATCHED)
    for name, value in vars(module).items():
        values = value.values() if isinstance(value, dict) else [value]
        try:
            if any(_is_patched(v) for v in values):
                names.add(name)
        except TypeError:  # an unhashable or odd global
            continue
    return names


_CARRIERS = {}


def _metric_param(item, module):
    """The metric a parametrised test runs (a function or a metric's name), or None."""
    for value in getattr(getattr(item, "callspec", None), "params", {}).values():
        if callable(value) and not isinstance(value, type):
            return value  # a metric, or a lambda over one of scikit-learn's
        if isinstance(value, str) and value in getattr(module, "ALL_METRICS", {}):
            return module.ALL_METRICS[value]
    return None


def _uses_patched(item):
    """Whether the test runs a patched metric (by parameter, or in its body)."""
    module = sys.modules[item.function.__module__]
    metric = _metric_param(item, module)
    if metric is not None:
        return _is_patched(metric)
    if module.__name__ not in _CARRIERS:
        _CARRIERS[module.__name__] = _carriers(module)
    try:
        source = inspect.getsource(item.function)
    except (OSError, TypeError):
        return True
    words = set(re.findall(r"\w+", source))
    return not words.isdisjoint(_CARRIERS[module.__name__])


def _expected_failure(item):
    """The reason `item` is expected to fail, or None.

    A key without parameters covers every parametrisation that runs a
    patched metric (scikit-learn's ids such as ``metric10`` are positions).
    """
    module = item.function.__module__
    prefix = module.removeprefix("sklearn_suite_")
    if f"{prefix}:{item.name}" in EXPECTED_FAILURES:
        return EXPECTED_FAILURES[f"{prefix}:{item.name}"]
    metric = _metric_param(item, sys.modules[module])
    if metric is None or _is_patched(metric):
        return EXPECTED_FAILURES.get(f"{prefix}:{item.originalname}")
    return None


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    kept, dropped = [], []
    for item in items:
        module = getattr(getattr(item, "function", None), "__module__", "")
        if here not in Path(item.path).parents or not module.startswith(
            "sklearn_suite_"
        ):
            kept.append(item)
        elif _uses_patched(item):
            # scikit-learn's suite runs with NumPy's warnings as warnings
            item.add_marker(pytest.mark.filterwarnings("default::RuntimeWarning"))
            reason = _expected_failure(item)
            if reason is not None:
                item.add_marker(pytest.mark.xfail(reason=reason, strict=_STRICT))
            kept.append(item)
        else:
            dropped.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_configure(config):
    # scikit-learn's modules parametrise over generators, which pytest 9 warns about
    config.addinivalue_line(
        "filterwarnings", "ignore:Passing a non-Collection iterable:DeprecationWarning"
    )
