"""Issue 12: metrics on hostile input — extreme weights, overflow, bad types.

Every expected value comes from an exact computation written here
(``fractions.Fraction`` over the float inputs, or a closed form), never from
sklloss itself.
"""

import datetime
import decimal
import math
import warnings
from decimal import Decimal as D
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
from sklloss.losses._glm import _stable_deviance


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


# ------------------------------------------------- stable forms, closed forms
def _poisson_ref(y, mu):
    # 2 (y log(y / mu) - y + mu), log(y / mu) as a difference of logs (exact
    # enough: no cancellation at these scales)
    return 2 * (y * (math.log(y) - math.log(mu)) - y + mu)


def _gamma_ref(y, mu):
    return 2 * (math.log(mu) - math.log(y) + y / mu - 1)


@pytest.mark.parametrize(
    ("fn", "y", "mu", "expected"),
    [
        ("poisson", 1e300, 1e-300, _poisson_ref(1e300, 1e-300)),  # y / mu overflows
        ("poisson", 1e-300, 1e300, _poisson_ref(1e-300, 1e300)),  # y / mu is 0
        ("gamma", 1e-300, 1e300, _gamma_ref(1e-300, 1e300)),  # mu / y overflows
        ("gamma", 1e-10, 1e300, _gamma_ref(1e-10, 1e300)),
    ],
    ids=["poisson-big-y", "poisson-big-mu", "gamma-big-mu", "gamma-big-mu-2"],
)
def test_deviances_finite_where_ratios_leave_the_float_range(fn, y, mu, expected):
    metric = getattr(M, f"mean_{fn}_deviance")
    assert metric([y], [mu]) == pytest.approx(expected, rel=1e-13)
    power = {"poisson": 1, "gamma": 2}[fn]
    assert M.mean_tweedie_deviance([y], [mu], power=power) == pytest.approx(
        expected, rel=1e-13
    )


def _tweedie_exact(y, mu, p):
    """2 (y^b / (a b) - y mu^a / a + mu^b / b) in Fractions, integer p < 0 or > 2."""
    a, b = 1 - p, 2 - p
    y, mu = Fraction(y), Fraction(mu)
    return float(2 * (y**b / (a * b) - y * mu**a / a + mu**b / b))


@pytest.mark.parametrize(
    ("y", "mu", "p"),
    [
        (1e103, 1e103 * (1 + 2.0**-20), -1),  # mu^3 overflows, d is 1e297
        (1e300, 1e300, -1),  # d = 0 exactly; inf - inf before
        (3e-200, 1e-200, 3),  # mu^-2 overflows
        (1e-155, 1e-155 * (1 + 2.0**-10), 4),  # mu^-2 overflows, d is 1e304
    ],
    ids=["p-1-near", "p-1-equal", "p3-tiny-mu", "p4-near"],
)
def test_tweedie_deviance_against_exact_fractions(y, mu, p):
    expected = _tweedie_exact(y, mu, p)
    got = M.mean_tweedie_deviance([y], [mu], power=p)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-300)


def _tweedie_decimal(y, mu, p):
    """The unit deviance in 60-digit decimal arithmetic (no overflow: Emax 1e6)."""
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.Emax, ctx.Emin = 60, 10**6, -(10**6)
        y, mu, p = D(float(y)), D(float(mu)), D(float(p))
        if p == 1:
            y_log = y * (y / mu).ln() if y > 0 else D(0)
            return float(2 * (y_log - y + mu))
        if p == 2:
            return float(2 * ((mu / y).ln() + y / mu - 1))
        a, b = 1 - p, 2 - p
        y_pos = max(y, D(0))
        first = y_pos**b / (a * b) if y_pos > 0 else D(0)
        return float(2 * (first - y * mu**a / a + mu**b / b))


@pytest.mark.parametrize("p", [-2.0, -1.0, -0.5, 1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 7.0])
def test_stable_deviance_against_60_digit_decimals(p):
    # the log-space form used where the direct formula leaves the float range
    rng = np.random.default_rng(int(p * 10) + 100)
    n = 60
    y = 10.0 ** rng.uniform(-250, 250, size=n)
    mu = np.where(
        rng.uniform(size=n) < 0.5,
        y * np.exp(rng.normal(scale=1e-3, size=n)),  # near y: the series
        10.0 ** rng.uniform(-250, 250, size=n),
    )
    if p < 2:
        y[:5] = 0.0
    if p < 0:
        y[5:10] = -y[5:10]
    with np.errstate(over="ignore"):
        got = _stable_deviance(y, np.log(mu), p, mu=mu)
    for i in range(n):
        expected = _tweedie_decimal(y[i], mu[i], p)
        if expected > np.finfo(np.float64).max:
            assert got[i] == np.inf
        else:
            # exp(log d) with |log d| up to ~1500: relative error ~1e-12
            assert got[i] == pytest.approx(expected, rel=1e-11, abs=1e-300), i


def test_tweedie_deviance_beyond_float_range_warns():
    # 2 y mu^a / |a| = 2 * 1e300 * 1e150 / 0.5: beyond 1.8e308
    with pytest.warns(MetricOverflowWarning):
        assert M.mean_tweedie_deviance([1e300], [1e-300], power=1.5) == math.inf


@pytest.mark.parametrize("c", [1e100, 1e160, 1e200, 1e300])
def test_cauchy_and_tukey_with_a_large_c_are_r2_over_2(c):
    # c^2 / 2 log1p(r^2 / c^2) = r^2 / 2 (1 - r^2 / (2 c^2) + ...) and
    # c^2 / 6 (1 - (1 - u^2)^3) = r^2 / 2 (1 - u^2 + u^4 / 3): both 0.5 at r = 1
    assert M.mean_cauchy_loss([0.0], [1.0], c=c) == pytest.approx(0.5, rel=1e-15)
    assert M.mean_tukey_biweight_loss([0.0], [1.0], c=c) == pytest.approx(
        0.5, rel=1e-15
    )


def test_cauchy_with_a_residual_beyond_the_float_range():
    # r = 2e308 overflows; the loss is c^2 (log|u| + log1p(u^-2) / 2), u = r / c
    c = 2.3849
    expected = c * c * (math.log(1e308) + math.log(2) - math.log(c))
    got = M.mean_cauchy_loss([1e308], [-1e308], c=c)
    assert got == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("c", [1e-300, 1e-10])
def test_tukey_beyond_c_is_c2_over_6(c):
    got = M.mean_tukey_biweight_loss([1e300], [-1e300], c=c)
    assert got == pytest.approx(c * c / 6, rel=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_js_divergence_with_smallest_subnormals_is_finite(dtype):
    tiny = np.finfo(dtype).smallest_subnormal
    y = np.array([[tiny, 1.0]], dtype=dtype)
    q = np.array([[0.0, 1.0]], dtype=dtype)
    got = M.js_divergence(y, q)
    # JS = (tiny log 2) / 2 + (terms of the second column, ~ tiny): about 0
    assert 0.0 <= got <= 1e-300
    assert M.js_divergence([[1.0, 0.0]], [[0.0, 1.0]]) == pytest.approx(math.log(2))


HUGE_INT = 10**400  # a Python int beyond the float range


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("mean_huber_loss", "delta"),
        ("mean_smooth_l1_loss", "beta"),
        ("mean_pinball_loss", "quantile"),
        ("mean_epsilon_insensitive_loss", "epsilon"),
        ("mean_tweedie_deviance", "power"),
        ("mean_cauchy_loss", "c"),
        ("mean_tukey_biweight_loss", "c"),
        ("mean_squared_error", "sample_weight"),
    ],
    ids=lambda v: str(v),
)
def test_huge_python_int_parameter_is_a_value_error_naming_it(name, param):
    # issue 12: OverflowError / TypeError escaped from float conversion
    with pytest.raises(ValueError, match=param):
        getattr(M, name)([1.0, 2.0], [1.0, 1.5], **{param: HUGE_INT})


def test_focal_gamma_huge_int_is_a_value_error():
    with pytest.raises(ValueError, match="gamma"):
        M.focal_loss([0, 1], [0.2, 0.6], gamma=HUGE_INT)


@pytest.mark.parametrize(
    "labels",
    [np.array([-128, 127], dtype=np.int8), np.array([-100, 100], dtype=np.int8)],
    ids=["int8-full-range", "int8-span-200"],
)
def test_int8_labels_spanning_more_than_127(labels):
    # the greater label is positive: margins -1 * 1.0 and +1 * 2.0 -> hinge 2, 0
    assert M.hinge_loss(labels, [1.0, 2.0]) == 1.0


@pytest.mark.parametrize(
    "y_true",
    [
        [0, None, 1],
        pd.array([0, pd.NA, 1], dtype="Int64"),
        np.array(["2020-01-01", "NaT", "2020-01-02"], dtype="datetime64[D]"),
        [datetime.date(2020, 1, 1), datetime.date(2020, 1, 2)] * 1 + [None],
    ],
    ids=["None", "pd.NA", "NaT", "date-objects"],
)
@pytest.mark.parametrize("name", ["log_loss", "hinge_loss", "zero_one_loss"])
def test_missing_or_date_labels_are_a_value_error_naming_y_true(name, y_true):
    pred = [0.2, 0.6, 0.9] if name != "zero_one_loss" else [0, 1, 1]
    with pytest.raises(ValueError, match="y_true"):
        getattr(M, name)(y_true, pred)


def test_smooth_l1_with_a_tiny_beta():
    # |r| = 9.7e-195 >= beta: the loss is |r| - beta / 2, found by the fuzz suite
    r = 9.71019791e-195
    got = M.mean_smooth_l1_loss([0.0], [r], beta=1e-300)
    assert got == pytest.approx(r, rel=1e-12, abs=0)


def test_overflow_warning_names_the_users_line():
    # the metric and the loss object reach the warning through different
    # numbers of sklloss frames; both name the calling line (this file)
    from sklloss import get_loss
    from sklloss.metrics import mean_squared_error

    y, p = np.array([1e200, 0.0]), np.array([-1e200, 0.0])
    for call in (mean_squared_error, get_loss("squared_error")):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(y, p)
        (w,) = [w for w in caught if issubclass(w.category, MetricOverflowWarning)]
        assert w.filename == __file__
