"""Regression metrics: equality with scikit-learn, independent references, validation.

Where scikit-learn has the metric it is the reference (1e-12 relative);
the others are checked against plain loops written here, scipy or
statsmodels, each source named next to the value.
"""

import math

import numpy as np
import pytest
import sklearn.metrics as skm
from scipy.special import huber as scipy_huber
from statsmodels.robust import norms

import sklloss.metrics as M
from sklloss import available_losses

RNG = np.random.default_rng(0)
N = 60
Y1 = RNG.normal(size=N) * 3
P1 = Y1 + RNG.standard_t(df=3, size=N)
Y2 = RNG.normal(size=(N, 3)) * 3
P2 = Y2 + RNG.standard_t(df=3, size=(N, 3))
YPOS = RNG.gamma(2.0, size=N) + 0.05
YNONNEG = np.where(RNG.uniform(size=N) < 0.2, 0.0, YPOS)
MU = RNG.gamma(2.0, size=N) + 0.05
W = RNG.uniform(0.1, 3.0, size=N)
MO_WEIGHTS = np.array([0.2, 0.5, 0.3])
MULTIOUTPUTS = ["raw_values", "uniform_average", MO_WEIGHTS]


def _close(ours, theirs):
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    else:
        assert isinstance(ours, float)
        assert ours == pytest.approx(float(theirs), rel=1e-12, abs=1e-15)


# ----------------------------------------------------------- sklearn parity
SKLEARN_SAME_NAME = [
    ("mean_squared_error", {}, {}),
    ("root_mean_squared_error", {}, {}),
    ("mean_absolute_error", {}, {}),
    ("mean_pinball_loss", {"quantile": 0.1}, {"alpha": 0.1}),
    ("mean_pinball_loss", {"quantile": 0.5}, {"alpha": 0.5}),
    ("mean_pinball_loss", {"quantile": 0.93}, {"alpha": 0.93}),
]


@pytest.mark.parametrize(
    ("name", "ours", "theirs"),
    SKLEARN_SAME_NAME,
    ids=[f"{n}{o}" for n, o, _ in SKLEARN_SAME_NAME],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_equals_sklearn_1d(name, ours, theirs, weighted):
    sw = W if weighted else None
    got = getattr(M, name)(Y1, P1, sample_weight=sw, **ours)
    _close(got, getattr(skm, name)(Y1, P1, sample_weight=sw, **theirs))


@pytest.mark.parametrize(
    ("name", "ours", "theirs"),
    SKLEARN_SAME_NAME,
    ids=[f"{n}{o}" for n, o, _ in SKLEARN_SAME_NAME],
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("multioutput", MULTIOUTPUTS, ids=["raw", "uniform", "array"])
def test_equals_sklearn_multioutput(name, ours, theirs, weighted, multioutput):
    sw = W if weighted else None
    got = getattr(M, name)(Y2, P2, sample_weight=sw, multioutput=multioutput, **ours)
    expected = getattr(skm, name)(
        Y2, P2, sample_weight=sw, multioutput=multioutput, **theirs
    )
    _close(got, expected)


@pytest.mark.parametrize("multioutput", MULTIOUTPUTS, ids=["raw", "uniform", "array"])
def test_one_column_2d_and_1d_agree_with_sklearn(multioutput):
    for y, p in ((Y1, P1[:, None]), (Y1[:, None], P1), (Y1[:, None], P1[:, None])):
        if isinstance(multioutput, np.ndarray):
            # both reject weights over a single output
            with pytest.raises(ValueError, match="only in multi-output"):
                skm.mean_squared_error(y, p, multioutput=np.array([1.0]))
            with pytest.raises(ValueError, match="several outputs"):
                M.mean_squared_error(y, p, multioutput=np.array([1.0]))
            continue
        got = M.mean_squared_error(y, p, multioutput=multioutput)
        _close(got, skm.mean_squared_error(y, p, multioutput=multioutput))


DEVIANCES = [
    ("mean_poisson_deviance", {}, YNONNEG),
    ("mean_gamma_deviance", {}, YPOS),
]
TWEEDIE_POWERS = [-1.5, -1.0, 0.0, 1.0, 1.2, 1.5, 1.9, 2.0, 2.5, 3.0, 4.0]


@pytest.mark.parametrize(("name", "kw", "y"), DEVIANCES, ids=["poisson", "gamma"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_deviances_equal_sklearn(name, kw, y, weighted):
    sw = W if weighted else None
    _close(
        getattr(M, name)(y, MU, sample_weight=sw),
        getattr(skm, name)(y, MU, sample_weight=sw),
    )


@pytest.mark.parametrize("power", TWEEDIE_POWERS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_tweedie_equals_sklearn(power, weighted):
    sw = W if weighted else None
    if power < 1:
        y = Y1  # any real target
    elif power < 2:
        y = YNONNEG
    else:
        y = YPOS
    got = M.mean_tweedie_deviance(y, MU, sample_weight=sw, power=power)
    _close(got, skm.mean_tweedie_deviance(y, MU, sample_weight=sw, power=power))


def test_tweedie_power_zero_accepts_negative_predictions_like_sklearn():
    _close(
        M.mean_tweedie_deviance(Y1, P1, power=0.0),
        skm.mean_tweedie_deviance(Y1, P1, power=0.0),
    )
    _close(M.mean_tweedie_deviance(Y1, P1), skm.mean_squared_error(Y1, P1))


@pytest.mark.parametrize("power", [0.0, 1.0, 1.5, 2.0, 3.0])
def test_deviance_multioutput_is_columnwise_sklearn(power):
    # sklearn's deviances are single-output: compare column by column
    y = np.column_stack([YPOS, YPOS[::-1], YPOS**0.5])
    mu = np.column_stack([MU, MU[::-1], MU * 2])
    raw = M.mean_tweedie_deviance(
        y, mu, power=power, sample_weight=W, multioutput="raw_values"
    )
    cols = [
        skm.mean_tweedie_deviance(y[:, k], mu[:, k], power=power, sample_weight=W)
        for k in range(3)
    ]
    _close(raw, np.array(cols))
    _close(
        M.mean_tweedie_deviance(y, mu, power=power, multioutput=MO_WEIGHTS),
        np.average(
            [
                skm.mean_tweedie_deviance(y[:, k], mu[:, k], power=power)
                for k in range(3)
            ],
            weights=MO_WEIGHTS,
        ),
    )


def test_docstring_example_of_sklearn():
    # sklearn's own mean_tweedie_deviance example: 1.4260...
    got = M.mean_tweedie_deviance([2, 0, 1, 4], [0.5, 0.5, 2.0, 2.0], power=1)
    assert got == pytest.approx(1.4260, abs=1e-4)


# ------------------------------------------- metrics without sklearn twin
def _loop_mean(fn, y, p, sw=None):
    """Plain-Python weighted mean of fn(residual) over the rows."""
    sw = np.ones(len(y)) if sw is None else sw
    total = sum(w * fn(a - b) for a, b, w in zip(y, p, sw, strict=True))
    return total / sum(sw)


def _huber_ref(delta):
    # PyTorch HuberLoss documentation, written out
    return lambda r: 0.5 * r * r if abs(r) <= delta else delta * (abs(r) - 0.5 * delta)


def _smooth_l1_ref(beta):
    # PyTorch SmoothL1Loss documentation, written out
    return lambda r: 0.5 * r * r / beta if abs(r) < beta else abs(r) - 0.5 * beta


REFERENCES = [
    ("mean_huber_loss", {}, _huber_ref(1.0)),
    ("mean_huber_loss", {"delta": 0.4}, _huber_ref(0.4)),
    ("mean_smooth_l1_loss", {}, _smooth_l1_ref(1.0)),
    ("mean_smooth_l1_loss", {"beta": 2.5}, _smooth_l1_ref(2.5)),
    ("mean_log_cosh_loss", {}, lambda r: math.log(math.cosh(r))),
    ("mean_epsilon_insensitive_loss", {}, abs),
    ("mean_epsilon_insensitive_loss", {"epsilon": 0.7}, lambda r: max(0, abs(r) - 0.7)),
    ("mean_squared_epsilon_insensitive_loss", {}, lambda r: r * r),
    (
        "mean_squared_epsilon_insensitive_loss",
        {"epsilon": 0.7},
        lambda r: max(0, abs(r) - 0.7) ** 2,
    ),
    # statsmodels: Cauchy is StudentT(df=1); Tukey is TukeyBiweight
    ("mean_cauchy_loss", {}, lambda r: float(norms.StudentT(c=2.3849, df=1).rho(r))),
    ("mean_cauchy_loss", {"c": 1.0}, lambda r: 0.5 * math.log1p(r * r)),
    ("mean_tukey_biweight_loss", {}, lambda r: float(norms.TukeyBiweight().rho(r))),
    (
        "mean_tukey_biweight_loss",
        {"c": 1.5},
        lambda r: float(norms.TukeyBiweight(c=1.5).rho(r)),
    ),
]


@pytest.mark.parametrize(
    ("name", "kw", "ref"), REFERENCES, ids=[f"{n}{k}" for n, k, _ in REFERENCES]
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_against_plain_loop_reference(name, kw, ref, weighted):
    sw = W if weighted else None
    got = getattr(M, name)(Y1, P1, sample_weight=sw, **kw)
    assert isinstance(got, float)
    assert got == pytest.approx(_loop_mean(ref, Y1, P1, sw), rel=1e-12)


@pytest.mark.parametrize(
    ("name", "kw", "ref"), REFERENCES, ids=[f"{n}{k}" for n, k, _ in REFERENCES]
)
def test_multioutput_against_columnwise_reference(name, kw, ref):
    raw = getattr(M, name)(Y2, P2, sample_weight=W, multioutput="raw_values", **kw)
    cols = [_loop_mean(ref, Y2[:, k], P2[:, k], W) for k in range(3)]
    np.testing.assert_allclose(raw, cols, rtol=1e-12)
    got = getattr(M, name)(Y2, P2, multioutput=MO_WEIGHTS, **kw)
    cols = [_loop_mean(ref, Y2[:, k], P2[:, k]) for k in range(3)]
    assert got == pytest.approx(np.dot(cols, MO_WEIGHTS) / MO_WEIGHTS.sum(), rel=1e-12)


def test_huber_metric_equals_scipy_huber_mean():
    assert M.mean_huber_loss(Y1, P1, delta=1.3) == pytest.approx(
        np.mean(scipy_huber(1.3, Y1 - P1)), rel=1e-12
    )


# hand-computed (y_true, y_pred, value) per metric
HAND = [
    ("mean_squared_error", {}, [0, 0], [1, 3], 5.0),  # (1 + 9) / 2
    ("root_mean_squared_error", {}, [0, 0], [1, 7], 5.0),  # sqrt((1 + 49) / 2)
    ("mean_absolute_error", {}, [0, 0], [1, -3], 2.0),
    ("mean_huber_loss", {}, [0, 0], [0.5, 3.0], 1.3125),  # (0.125 + 2.5) / 2
    ("mean_smooth_l1_loss", {"beta": 2.0}, [0, 0], [1, 3], 1.125),  # (0.25 + 2) / 2
    ("mean_pinball_loss", {"quantile": 0.9}, [1, 1], [0, 2], 0.5),  # (0.9 + 0.1) / 2
    ("mean_log_cosh_loss", {}, [0], [math.log(2)], math.log(1.25)),
    ("mean_epsilon_insensitive_loss", {"epsilon": 0.5}, [0, 0], [0.2, -2], 0.75),
    (
        "mean_squared_epsilon_insensitive_loss",
        {"epsilon": 0.5},
        [0, 0],
        [0.2, -2],
        1.125,
    ),
    ("mean_poisson_deviance", {}, [0, 2], [1, 2], 1.0),  # (2 + 0) / 2
    ("mean_gamma_deviance", {}, [2], [1], 2 * (1 - math.log(2))),
    ("mean_tweedie_deviance", {"power": 3}, [1], [2], 0.25),  # (y-mu)^2/(y mu^2)
    ("mean_cauchy_loss", {"c": 1.0}, [0, 0], [1, -1], 0.5 * math.log(2)),
    ("mean_tukey_biweight_loss", {"c": 1.0}, [0, 0], [0.5, 3], (37 / 384 + 1 / 6) / 2),
]


@pytest.mark.parametrize(
    ("name", "kw", "y", "p", "expected"), HAND, ids=[h[0] for h in HAND]
)
def test_hand_computed_values(name, kw, y, p, expected):
    got = getattr(M, name)(y, p, **kw)
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-14)


def test_sample_weight_of_ones_and_scaled_weights_are_neutral():
    base = M.mean_huber_loss(Y1, P1)
    assert M.mean_huber_loss(Y1, P1, sample_weight=np.ones(N)) == pytest.approx(base)
    assert M.mean_huber_loss(Y1, P1, sample_weight=W) == pytest.approx(
        M.mean_huber_loss(Y1, P1, sample_weight=7 * W), rel=1e-13
    )


# ------------------------------------------------------------------ validation
# every regression loss's metric, and the root of the MSE
ALL_METRICS = [
    info["metric"]
    for info in available_losses().values()
    if info["kind"] == "regression"
] + ["root_mean_squared_error"]


def _valid_inputs(name):
    if name in ("mean_poisson_deviance", "mean_gamma_deviance"):
        return YPOS[:5].copy(), MU[:5].copy()
    return Y1[:5].copy(), P1[:5].copy()


@pytest.mark.parametrize("name", ALL_METRICS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("where", ["y_true", "y_pred"])
def test_non_finite_input_names_the_argument(name, bad, where):
    y, p = _valid_inputs(name)
    (y if where == "y_true" else p)[1] = bad
    with pytest.raises(ValueError, match=where):
        getattr(M, name)(y, p)


@pytest.mark.parametrize("name", ALL_METRICS)
def test_shape_mismatch_empty_and_weights(name):
    fn = getattr(M, name)
    y, p = _valid_inputs(name)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        fn(y, p[:-1])
    with pytest.raises(ValueError, match="outputs"):
        fn(np.column_stack([y, y]), np.column_stack([p, p, p]))
    with pytest.raises(ValueError, match="y_true"):
        fn([], [])
    with pytest.raises(ValueError, match=r"sample_weight\[2\] = (np\.float64\()?-1"):
        fn(y, p, sample_weight=[1, 1, -1, 1, 1])
    with pytest.raises(ValueError, match="all zero"):
        fn(y, p, sample_weight=np.zeros(5))
    with pytest.raises(ValueError, match="sample_weight has 4 elements"):
        fn(y, p, sample_weight=np.ones(4))
    with pytest.raises(ValueError, match="multioutput='mean'"):
        fn(y, p, multioutput="mean")
    with pytest.raises(ValueError, match="one weight per output"):
        fn(np.column_stack([y, y]), np.column_stack([p, p]), multioutput=[1, 2, 3])


@pytest.mark.parametrize(
    ("name", "kw", "y", "p", "arg", "value"),
    [
        ("mean_poisson_deviance", {}, [1, -1], [1, 1], "y_true", "-1"),
        ("mean_poisson_deviance", {}, [1, 1], [1, 0], "y_pred", "0"),
        ("mean_gamma_deviance", {}, [1, 0], [1, 1], "y_true", "0"),
        ("mean_gamma_deviance", {}, [1, 1], [-2, 1], "y_pred", "-2"),
        ("mean_tweedie_deviance", {"power": 1.5}, [-3, 1], [1, 1], "y_true", "-3"),
        ("mean_tweedie_deviance", {"power": -1}, [-3, 1], [0, 1], "y_pred", "0"),
        ("mean_tweedie_deviance", {"power": 3}, [0, 1], [1, 1], "y_true", "0"),
    ],
)
def test_domain_errors_name_argument_and_value(name, kw, y, p, arg, value):
    with pytest.raises(
        ValueError, match=rf"{arg}.*{arg}\[\d+\] = (np\.float64\()?{value}"
    ):
        getattr(M, name)(y, p, **kw)


@pytest.mark.parametrize(
    ("name", "kw", "param"),
    [
        ("mean_huber_loss", {"delta": 0}, "delta"),
        ("mean_smooth_l1_loss", {"beta": 0}, "beta"),
        ("mean_pinball_loss", {"quantile": 1.2}, "quantile"),
        ("mean_epsilon_insensitive_loss", {"epsilon": -1}, "epsilon"),
        ("mean_squared_epsilon_insensitive_loss", {"epsilon": np.nan}, "epsilon"),
        ("mean_tweedie_deviance", {"power": 0.5}, "power"),
        ("mean_cauchy_loss", {"c": -1}, "c"),
        ("mean_tukey_biweight_loss", {"c": 0}, "c"),
    ],
)
def test_invalid_loss_parameters(name, kw, param):
    with pytest.raises(ValueError, match=rf"\b{param}\b"):
        getattr(M, name)(Y1[:3], P1[:3], **kw)


@pytest.mark.parametrize("name", ALL_METRICS)
def test_inputs_not_modified_and_types(name):
    fn = getattr(M, name)
    y, p = _valid_inputs(name)
    w = np.arange(1.0, 6.0)
    y0, p0, w0 = y.copy(), p.copy(), w.copy()
    out = fn(y, p, sample_weight=w)
    assert type(out) is float
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(w, w0)
    # lists, float32 and integer weights work; float32 is averaged in float64
    assert type(fn(list(y), list(p))) is float
    out32 = fn(y.astype(np.float32), p.astype(np.float32))
    assert type(out32) is float
    assert out32 == pytest.approx(fn(y, p), rel=1e-5)
    raw = fn(np.column_stack([y, y]), np.column_stack([p, p]), multioutput="raw_values")
    assert isinstance(raw, np.ndarray) and raw.shape == (2,)
    np.testing.assert_allclose(raw, [fn(y, p), fn(y, p)], rtol=1e-13)


@pytest.mark.parametrize("name", ALL_METRICS)
def test_signature_follows_sklearn_convention(name):
    import inspect

    sig = inspect.signature(getattr(M, name))
    params = list(sig.parameters.values())
    assert [p.name for p in params[:2]] == ["y_true", "y_pred"]
    assert (
        params[2].name == "sample_weight" and params[2].kind is params[2].KEYWORD_ONLY
    )
    assert params[-1].name == "multioutput"
    assert params[-1].default == "uniform_average"
    assert all(p.kind is p.KEYWORD_ONLY for p in params[2:])
