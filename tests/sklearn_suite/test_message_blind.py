"""The tests xfailed for a message text, rerun blind to the message.

A ``pytest.raises(..., match=...)`` that fails on the words stops the test
there, so the assertions after it would go unchecked. Here each such test
runs again with ``match`` ignored (the exception type still checked), and
must pass: the only difference from scikit-learn is the wording.
"""

import functools
import sys
import types

import pytest

import sklloss.metrics


class _RaisesAnyMessage:
    """The ``pytest`` module, but ``raises`` ignores ``match``."""

    def __getattr__(self, name):
        return getattr(pytest, name)

    @staticmethod
    def raises(expected, *args, match=None, **kwargs):
        return pytest.raises(expected, *args, **kwargs)


def _blind(module, name):
    func = getattr(sys.modules[f"sklearn_suite_{module}"], name)
    func = getattr(func, "__wrapped__", func)
    namespace = {**func.__globals__, "pytest": _RaisesAnyMessage()}
    return types.FunctionType(func.__code__, namespace, name, func.__defaults__)


_UNNORMALIZED = functools.partial(sklloss.metrics.zero_one_loss, normalize=False)
CASES = {
    "regression_metrics_at_limits": ("test_regression", "", ()),
    "hinge_missing_labels": (
        "test_classification",
        "test_hinge_loss_multiclass_missing_labels_with_labels_none",
        (),
    ),
    "hinge_pred_decision_shape": (
        "test_classification",
        "test_hinge_loss_multiclass_no_consistent_pred_decision_shape",
        (),
    ),
    "log_loss": ("test_classification", "test_log_loss", ()),
    "binary_continuous_zero_one": (
        "test_common",
        "test_classification_binary_continuous_input",
        (sklloss.metrics.zero_one_loss,),
    ),
    "binary_continuous_zero_one_count": (
        "test_common",
        "test_classification_binary_continuous_input",
        (_UNNORMALIZED,),
    ),
}


# scikit-learn's own metrics in these tests warn about divisions by zero
@pytest.mark.filterwarnings("default::RuntimeWarning")
@pytest.mark.parametrize("case", list(CASES))
def test_passes_blind_to_the_message(case):
    module, name, args = CASES[case]
    _blind(module, name or f"test_{case}")(*args)
