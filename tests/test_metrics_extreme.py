"""Issue 12: metrics on hostile input — extreme weights, overflow, bad types.

Every expected value comes from an exact computation written here
(``fractions.Fraction`` over the float inputs, or a closed form), never from
sklloss itself.
"""

import datetime
import math
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import sklloss.metrics as M
from sklloss._validation import (
    MetricOverflowWarning,
    weighted_average,
    weighted_mean,
    weighted_sum,
)


def _exact_mean(values, weights):
    """Weighted mean of floats, exactly (Fractions), rounded once at the end."""
    pairs = zip(values, weights, strict=True)
    num = sum(Fraction(float(w)) * Fraction(float(v)) for v, w in pairs)
    return float(num / sum(Fraction(float(w)) for w in weights))


# ------------------------------------------------------------- weighted means
def test_mse_with_weights_whose_sum_overflows_is_2_5():
    # (1 * 1e308 + 4 * 1e308) / (2e308) = 2.5 exactly; the sum of the weights
    # and the dot product both overflow float64.
    got = M.mean_squared_error([1.0, 2.0], [0.0, 0.0], sample_weight=[1e308, 1e308])
    assert got == 2.5


@pytest.mark.parametrize("seed", range(5), ids=lambda s: f"seed{s}")
def test_weights_spanning_600_decades_give_the_exact_weighted_mean(seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=50)
    p = rng.normal(size=50)
    w = 10.0 ** rng.uniform(-300, 300, size=50)
    expected = _exact_mean((y - p) ** 2, w)
    got = M.mean_squared_error(y, p, sample_weight=w)
    assert got == pytest.approx(expected, rel=1e-13)
    assert M.mean_absolute_error(y, p, sample_weight=w) == pytest.approx(
        _exact_mean(np.abs(y - p), w), rel=1e-13
    )


@pytest.mark.parametrize(
    ("values", "weights"),
    [
        ([1e300, 1e-300], [1e-300, 1e300]),  # products of very different scales
        ([1e-300, 3e-300], [1e-10, 1e-10]),  # products below the normal range
        ([1e308, 1e308, 1e308], None),  # a sum beyond the float range
        ([0.0, 0.0], [1e-320, 5e-324]),  # subnormal weights, zero mean
    ],
    ids=["crossed-scales", "underflowing-products", "overflowing-sum", "zero-mean"],
)
def test_weighted_average_is_exact_in_scale(values, weights):
    w = np.ones(len(values)) if weights is None else np.asarray(weights)
    expected = _exact_mean(values, w)
    got = float(weighted_average(np.asarray(values), None if weights is None else w))
    assert got == pytest.approx(expected, rel=1e-14, abs=0)


def test_weighted_average_per_column():
    v = np.array([[1e308, 1.0], [1e308, 3.0]])
    w = np.array([1e300, 3e300])
    got = weighted_average(v, w)
    expected = [_exact_mean(v[:, k], w) for k in range(2)]
    np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_weighted_sum_beyond_float_range_warns():
    with pytest.warns(MetricOverflowWarning, match="overflows float64"):
        assert weighted_sum([1e308, 1e308]) == math.inf
    assert weighted_sum([1.0, 2.0], [1e-300, 1e300]) == pytest.approx(2e300, rel=1e-15)


def test_log_loss_sum_with_huge_weights():
    y, p = [0, 1], [0.2, 0.7]
    w = [1e308, 1e308]
    expected = [-math.log(0.8), -math.log(0.7)]
    assert M.log_loss(y, p, sample_weight=w) == pytest.approx(
        _exact_mean(expected, w), rel=1e-14
    )
    with pytest.warns(MetricOverflowWarning):  # 1.7e308 * (4.6 + 0.01): > 1.8e308
        M.log_loss(y, [0.99, 0.01], sample_weight=[1.7e308, 1.7e308], normalize=False)


def test_weighted_mean_of_outputs_beyond_float_range_warns_once():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = weighted_mean(np.array([[np.inf, 1e308]]))
    assert got == math.inf
    assert [w.category for w in caught] == [MetricOverflowWarning]


def test_mse_whose_true_value_overflows_warns_and_returns_inf():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = M.mean_squared_error([1e300], [-1e300])
    assert got == math.inf
    assert [w.category for w in caught] == [MetricOverflowWarning]


def test_float32_input_is_recomputed_in_float64_when_it_overflows():
    # (1e20)^2 = 1e40 is beyond float32 but not float64
    y = np.array([1e20, 0.0], dtype=np.float32)
    p = np.zeros(2, dtype=np.float32)
    expected = float(Fraction(float(y[0])) ** 2 / 2)
    assert M.mean_squared_error(y, p) == pytest.approx(expected, rel=1e-15)


# ---------------------------------------------------------------- multioutput
Y2 = np.array([[1.0, 2.0], [3.0, 4.0]])
P2 = np.zeros((2, 2))


@pytest.mark.parametrize(
    "multioutput",
    [[0, 0], [-1, 2], [1, 2, 3], [[1, 2]], [np.nan, 1.0]],
    ids=["all-zero", "negative", "too-long", "2-d", "nan"],
)
def test_bad_multioutput_weights_are_a_value_error_naming_them(multioutput):
    with pytest.raises(ValueError, match="multioutput"):
        M.mean_squared_error(Y2, P2, multioutput=multioutput)


def test_multioutput_weights_that_overflow_when_summed():
    # per-output MSE: (1 + 9) / 2 = 5 and (4 + 16) / 2 = 10
    got = M.mean_squared_error(Y2, P2, multioutput=[1e308, 1e308])
    assert got == 7.5


# ------------------------------------------------------------ bad input types
BAD_INPUTS = {
    "0-d": 1.0,
    "numpy-0-d": np.float64(1.0),
    "complex": [1j, 2.0],
    "dict": {"a": 1.0},
    "None": None,
    "datetime64": np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"),
    "timedelta64": np.array([1, 2], dtype="timedelta64[s]"),
    "datetime-objects": [datetime.datetime(2020, 1, 1), datetime.datetime(2021, 1, 1)],
    "datetime-series": pd.Series(pd.to_datetime(["2020-01-01", "2020-01-02"])),
    "strings": ["a", "b"],
    "object-with-None": np.array([1.0, None], dtype=object),
    "pd.NA": pd.array([1.0, pd.NA]),
    "ragged": [[1.0], [1.0, 2.0]],
    "string": "ab",
}
REGRESSION = [
    name
    for name in M.__all__
    if name.startswith("mean_") or name == "root_mean_squared_error"
]


@pytest.mark.parametrize("bad", list(BAD_INPUTS), ids=list(BAD_INPUTS))
@pytest.mark.parametrize("name", REGRESSION)
@pytest.mark.parametrize("where", ["y_true", "y_pred", "sample_weight"])
def test_regression_metrics_refuse_bad_input_naming_it(name, bad, where):
    args = {"y_true": [1.0, 2.0], "y_pred": [1.0, 1.5], "sample_weight": None}
    args[where] = BAD_INPUTS[bad]
    if where == "sample_weight" and bad in ("0-d", "numpy-0-d"):
        pytest.skip("a number is a valid sample_weight (every sample weighs it)")
    if where == "sample_weight" and bad == "None":
        pytest.skip("None is the default sample_weight")
    fn = getattr(M, name)
    with pytest.raises(ValueError, match=where):
        fn(args["y_true"], args["y_pred"], sample_weight=args["sample_weight"])
