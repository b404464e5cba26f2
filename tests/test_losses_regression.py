"""Regression losses: exact values, independent references, domains, flags.

Each expected value names its source: a hand computation, scipy, statsmodels,
a formula written out from PyTorch's documentation, or scikit-learn's private
``_loss`` module (half deviances, an implementation independent of ours).
"""

import math
import warnings

import numpy as np
import pytest
from scipy.special import huber as scipy_huber
from statsmodels.robust import norms

from sklloss.losses import (
    AbsoluteError,
    Cauchy,
    EpsilonInsensitive,
    Gamma,
    Huber,
    LogCosh,
    Poisson,
    Quantile,
    SmoothL1,
    SquaredEpsilonInsensitive,
    SquaredError,
    TukeyBiweight,
    Tweedie,
    get_loss,
)

RNG = np.random.default_rng(42)
Y = RNG.normal(scale=3.0, size=200)
RAW = Y + RNG.standard_t(df=2, size=200) * 2.0
R = Y - RAW

# --------------------------------------------------------- exact value table
# (loss, y, raw prediction or mu, expected, how the number was obtained)
E = math.e
EXACT = [
    (SquaredError(), 1.0, 3.0, 4.0, "(1 - 3)^2"),
    (AbsoluteError(), 1.0, -2.0, 3.0, "|1 + 2|"),
    (Huber(delta=1.0), 0.0, 0.5, 0.125, "0.5^2 / 2"),
    (Huber(delta=1.0), 0.0, 3.0, 2.5, "1 * (3 - 1/2)"),
    (Huber(delta=2.0), 0.0, -3.0, 4.0, "2 * (3 - 1)"),
    (SmoothL1(beta=2.0), 0.0, 1.0, 0.25, "1^2 / (2 * 2)"),
    (SmoothL1(beta=2.0), 0.0, 3.0, 2.0, "3 - 2/2"),
    (Quantile(quantile=0.9), 1.0, 0.0, 0.9, "0.9 * 1"),
    (Quantile(quantile=0.9), 1.0, 2.0, 0.1, "(0.9 - 1) * (-1)"),
    (Quantile(quantile=0.25), 0.0, 4.0, 3.0, "(0.25 - 1) * (-4)"),
    (LogCosh(), 0.0, 0.0, 0.0, "log cosh 0"),
    (LogCosh(), 0.0, math.log(2.0), math.log(1.25), "cosh(ln 2) = (2 + 1/2) / 2"),
    (EpsilonInsensitive(epsilon=0.5), 0.0, 2.0, 1.5, "2 - 0.5"),
    (EpsilonInsensitive(epsilon=0.5), 0.0, -0.3, 0.0, "inside the tube"),
    (SquaredEpsilonInsensitive(epsilon=0.5), 0.0, 2.0, 2.25, "(2 - 0.5)^2"),
    (Cauchy(c=1.0), 0.0, 1.0, 0.5 * math.log(2.0), "1/2 log(1 + 1)"),
    (Cauchy(c=2.0), 0.0, 2.0, 2.0 * math.log(2.0), "4/2 log(1 + 1)"),
    (TukeyBiweight(c=1.0), 0.0, 0.5, 37 / 384, "(1 - (3/4)^3) / 6"),
    (TukeyBiweight(c=1.0), 0.0, 3.0, 1 / 6, "c^2 / 6 beyond c"),
]
# log-link losses: the third entry is mu (prediction space)
EXACT_MU = [
    (Poisson(), 2.0, 2.0, 0.0, "perfect prediction"),
    (Poisson(), 0.0, 1.0, 2.0, "2 (0 - 0 + 1)"),
    (Poisson(), 1.0, E, 2 * (E - 2), "2 (log(1/e) - 1 + e)"),
    (Gamma(), 1.0, 1.0, 0.0, "perfect prediction"),
    (Gamma(), 2.0, 1.0, 2 * (1 - math.log(2.0)), "2 (log(1/2) + 2 - 1)"),
    (Tweedie(power=0), 1.0, 3.0, 4.0, "(1 - 3)^2"),
    (Tweedie(power=1.5), 0.0, 1.0, 4.0, "2 mu^(1/2) / (1/2) at mu = 1"),
    (Tweedie(power=1.5), 1.0, 1.0, 0.0, "2 (-4 + 2 + 2)"),
    (Tweedie(power=3), 1.0, 2.0, 0.25, "inverse Gaussian (y-mu)^2/(y mu^2)"),
    (Tweedie(power=-1), 2.0, 1.0, 2 * (8 / 6 - 2 / 2 + 1 / 3), "p=-1: a=2, b=3"),
]


def _label(case):
    return f"{case[0].name}-{case[1]}-{case[2]:.3g}"


@pytest.mark.parametrize("case", EXACT, ids=_label)
def test_exact_values(case):
    loss, y, raw, expected, _source = case
    got = loss.loss(np.array([y]), np.array([raw]))[0]
    assert got == pytest.approx(expected, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("case", EXACT_MU, ids=_label)
def test_exact_values_log_link(case):
    loss, y, mu, expected, _source = case
    yy, mm = np.array([y]), np.array([mu])
    assert loss.loss_from_prediction(yy, mm)[0] == pytest.approx(
        expected, rel=1e-13, abs=1e-14
    )
    # the raw-space formula (z = log mu) agrees with the prediction-space one
    assert loss.loss(yy, np.log(mm))[0] == pytest.approx(expected, rel=1e-12, abs=1e-13)


# ------------------------------------------------ independent references
def test_huber_matches_scipy_and_statsmodels():
    for delta in (0.3, 1.0, 2.5):
        expected = scipy_huber(delta, R)  # scipy: r^2/2 inside, delta(|r|-delta/2)
        np.testing.assert_allclose(
            Huber(delta=delta).loss(Y, RAW), expected, rtol=1e-13
        )
        hub = norms.HuberT(t=delta)
        np.testing.assert_allclose(
            Huber(delta=delta).loss(Y, RAW), hub.rho(R), rtol=1e-13
        )
        # d/draw rho(y - raw) = -psi(r)
        np.testing.assert_allclose(
            Huber(delta=delta).gradient(Y, RAW), -hub.psi(R), rtol=1e-13, atol=1e-15
        )


def _torch_smooth_l1(r, beta):
    """PyTorch SmoothL1Loss documentation, written out element by element."""
    out = []
    for x in r:
        out.append(0.5 * x * x / beta if abs(x) < beta else abs(x) - 0.5 * beta)
    return np.array(out)


@pytest.mark.parametrize("beta", [0.1, 1.0, 3.0])
def test_smooth_l1_matches_torch_formula_and_scaled_huber(beta):
    got = SmoothL1(beta=beta).loss(Y, RAW)
    np.testing.assert_allclose(got, _torch_smooth_l1(R, beta), rtol=1e-13)
    np.testing.assert_allclose(got, scipy_huber(beta, R) / beta, rtol=1e-13)


def test_smooth_l1_rejects_beta_zero_and_points_to_absolute_error():
    with pytest.raises(ValueError, match=r"beta.*got beta=0"):
        SmoothL1(beta=0.0)


@pytest.mark.parametrize("q", [0.05, 0.5, 0.9])
def test_quantile_plain_loop(q):
    expected = [q * r if r >= 0 else (q - 1) * r for r in R]  # definition
    np.testing.assert_allclose(Quantile(quantile=q).loss(Y, RAW), expected, rtol=1e-14)
    # the subgradient: -q above the prediction, 1 - q below, 0 on it
    g = Quantile(quantile=q).gradient(np.array([1.0, 1.0, 1.0]), np.array([0, 1, 2.0]))
    np.testing.assert_allclose(g, [-q, 0.0, 1 - q])


def test_quantile_half_is_half_the_absolute_error():
    np.testing.assert_allclose(
        Quantile(quantile=0.5).loss(Y, RAW), 0.5 * np.abs(R), rtol=1e-15
    )


def test_log_cosh_matches_numpy_and_is_stable():
    r = np.linspace(-30, 30, 121)
    np.testing.assert_allclose(
        LogCosh().loss(np.zeros_like(r), r), np.log(np.cosh(r)), rtol=1e-13, atol=1e-15
    )
    np.testing.assert_allclose(
        LogCosh().hessian(np.zeros_like(r), r), 1 / np.cosh(r) ** 2, rtol=1e-12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = LogCosh().loss(np.zeros(2), np.array([1e4, -1e300]))
    np.testing.assert_allclose(big, [1e4 - math.log(2), 1e300])


@pytest.mark.parametrize("eps", [0.0, 0.5, 2.0])
def test_epsilon_insensitive_plain_loop(eps):
    expected = [max(0.0, abs(r) - eps) for r in R]
    np.testing.assert_allclose(EpsilonInsensitive(epsilon=eps).loss(Y, RAW), expected)
    np.testing.assert_allclose(
        SquaredEpsilonInsensitive(epsilon=eps).loss(Y, RAW),
        [e * e for e in expected],
        rtol=1e-14,
    )


def test_epsilon_zero_is_absolute_and_squared_error():
    np.testing.assert_allclose(EpsilonInsensitive().loss(Y, RAW), np.abs(R))
    np.testing.assert_allclose(SquaredEpsilonInsensitive().loss(Y, RAW), R**2)


@pytest.mark.parametrize("c", [1.0, 2.3849, 5.0])
def test_cauchy_is_statsmodels_student_t_with_one_degree_of_freedom(c):
    # StudentT(c, df).rho = c^2 df / 2 log(df + (z/c)^2) - const, df = 1
    ref = norms.StudentT(c=c, df=1)
    loss = Cauchy(c=c)
    np.testing.assert_allclose(loss.loss(Y, RAW), ref.rho(R), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(loss.gradient(Y, RAW), -ref.psi(R), rtol=1e-12)
    np.testing.assert_allclose(loss.hessian(Y, RAW), ref.psi_deriv(R), rtol=1e-11)


def test_cauchy_does_not_overflow_at_huge_residuals():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = Cauchy(c=1.0).loss(np.zeros(2), np.array([1e200, 1.0]))
        g = Cauchy(c=1.0).gradient(np.zeros(1), np.array([1e200]))
        h = Cauchy(c=1.0).hessian(np.zeros(1), np.array([1e200]))
    # log(1 + u^2) = 2 log u + log1p(u^-2) at u = 1e200
    np.testing.assert_allclose(v, [0.5 * 2 * 200 * math.log(10), 0.5 * math.log(2)])
    np.testing.assert_allclose(g, [1e-200], rtol=1e-12)  # r / (1 + r^2) ~ 1 / r
    assert abs(h[0]) <= 1e-300  # (1 - u^2) / (1 + u^2)^2 underflows to 0


@pytest.mark.parametrize("c", [1.0, 4.685])
def test_tukey_matches_statsmodels(c):
    ref = norms.TukeyBiweight(c=c)
    loss = TukeyBiweight(c=c)
    np.testing.assert_allclose(loss.loss(Y, RAW), ref.rho(R), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        loss.gradient(Y, RAW), -ref.psi(R), rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(
        loss.hessian(Y, RAW), ref.psi_deriv(R), rtol=1e-12, atol=1e-15
    )


def test_tukey_second_derivative_is_continuous_at_c():
    c = 2.0
    loss = TukeyBiweight(c=c)
    h = loss.hessian(np.zeros(2), np.array([c - 1e-9, c + 1e-9]))
    np.testing.assert_allclose(h, 0.0, atol=1e-7)


# ------------------------------------------------------------- GLM deviances
def _sklearn_half_loss(name, **kw):
    """scikit-learn's private half deviances (an independent implementation)."""
    loss_mod = pytest.importorskip("sklearn._loss.loss")
    return getattr(loss_mod, name)(**kw)


@pytest.mark.parametrize(
    ("ours", "theirs", "kw"),
    [
        (Poisson(), "HalfPoissonLoss", {}),
        (Gamma(), "HalfGammaLoss", {}),
        (Tweedie(power=1.5), "HalfTweedieLoss", {"power": 1.5}),
        (Tweedie(power=3.0), "HalfTweedieLoss", {"power": 3.0}),
        (Tweedie(power=-1.0), "HalfTweedieLoss", {"power": -1.0}),
    ],
    ids=["poisson", "gamma", "tweedie1.5", "tweedie3", "tweedie-1"],
)
def test_glm_derivatives_are_twice_sklearns_half_losses(ours, theirs, kw):
    half = _sklearn_half_loss(theirs, **kw)
    rng = np.random.default_rng(3)
    y = rng.gamma(2.0, size=50) + 0.1
    if ours.name == "poisson":
        y[:5] = 0.0
    raw = rng.normal(scale=1.5, size=50)
    g, h = half.gradient_hessian(y_true=y, raw_prediction=raw)
    np.testing.assert_allclose(ours.gradient(y, raw), 2 * g, rtol=1e-10)
    np.testing.assert_allclose(ours.hessian(y, raw), 2 * h, rtol=1e-10)
    # sklearn's half loss drops a constant in y; differences in raw are exact
    d_ours = ours.loss(y, raw) - ours.loss(y, raw + 0.3)
    d_half = half.loss(y_true=y, raw_prediction=raw) - half.loss(
        y_true=y, raw_prediction=raw + 0.3
    )
    np.testing.assert_allclose(d_ours, 2 * d_half, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("power", [-1.0, 0.0, 1.0, 1.2, 1.5, 2.0, 3.0])
def test_tweedie_raw_and_prediction_space_agree(power):
    loss = Tweedie(power=power)
    rng = np.random.default_rng(7)
    y = rng.gamma(2.0, size=40) + 0.1
    mu = rng.gamma(2.0, size=40) + 0.1
    np.testing.assert_allclose(
        loss.loss(y, np.log(mu)), loss.loss_from_prediction(y, mu), rtol=1e-10
    )
    value, grad = loss.loss_gradient(y, np.log(mu))
    np.testing.assert_allclose(value, loss.loss(y, np.log(mu)), rtol=1e-13)
    np.testing.assert_allclose(grad, loss.gradient(y, np.log(mu)), rtol=1e-13)


def test_poisson_and_gamma_are_tweedie_one_and_two():
    rng = np.random.default_rng(8)
    y = rng.gamma(2.0, size=40) + 0.1
    raw = rng.normal(size=40)
    for special, power in ((Poisson(), 1), (Gamma(), 2)):
        tw = Tweedie(power=power)
        for method in ("loss", "gradient", "hessian"):
            np.testing.assert_allclose(
                getattr(special, method)(y, raw),
                getattr(tw, method)(y, raw),
                rtol=1e-12,
            )


@pytest.mark.parametrize(
    ("power", "y_ok", "y_bad", "mu_bad"),
    [
        (-1.0, -3.0, None, 0.0),
        (0.0, -3.0, None, None),
        (1.0, 0.0, -1.0, 0.0),
        (1.5, 0.0, -1.0, 0.0),
        (2.0, 0.5, 0.0, 0.0),
        (3.0, 0.5, 0.0, -1.0),
    ],
)
def test_tweedie_domains_follow_sklearn(power, y_ok, y_bad, mu_bad):
    loss = Tweedie(power=power)
    assert loss(np.array([y_ok, 1.0]), np.array([1.0, 1.0])) >= 0
    if y_bad is not None:
        with pytest.raises(ValueError, match="y_true"):
            loss(np.array([y_bad, 1.0]), np.array([1.0, 1.0]))
    if mu_bad is not None:
        with pytest.raises(ValueError, match="y_pred"):
            loss(np.array([1.0, 1.0]), np.array([mu_bad, 1.0]))
    else:  # power 0: any real prediction, as sklearn's metric
        assert loss(np.array([1.0]), np.array([-2.0])) == pytest.approx(9.0)


@pytest.mark.parametrize("power", [0.5, 0.001, 0.999])
def test_tweedie_power_between_zero_and_one_is_invalid(power):
    with pytest.raises(ValueError, match=r"power.*\(0, 1\)"):
        Tweedie(power=power)


def test_tweedie_convexity_flag():
    assert not Tweedie(power=0).is_convex
    assert Tweedie(power=1).is_convex and Tweedie(power=1.5).is_convex
    assert Tweedie(power=2).is_convex and not Tweedie(power=3).is_convex
    # the flag is right: p = 0 and p = 3 have negative Hessians somewhere
    assert Tweedie(power=0).hessian(np.array([4.0]), np.array([0.0]))[0] < 0
    assert Tweedie(power=3).hessian(np.array([1.0]), np.array([3.0]))[0] < 0


@pytest.mark.parametrize(
    "loss",
    [
        Poisson(),
        Gamma(),
        Tweedie(power=0),
        Tweedie(power=1.5),
        Tweedie(power=3),
        Tweedie(power=-1),
    ],
    ids=lambda l: f"{l.name}{getattr(l, 'power', '')}",
)
def test_log_link_extremes_are_clear_values(loss):
    """At |raw| = 1e4 the exact value is beyond the float range: +inf, never NaN."""
    y = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0])
    if loss.y_true_domain.low == 0 and loss.y_true_domain.closed == "neither":
        y = y + 0.5
    raw = np.array([1e4, 1e4, 1e4, -1e4, -1e4, -1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v, g = loss.loss(y, raw), loss.gradient(y, raw)
        h = loss.hessian(y, raw)
        v2, g2 = loss.loss_gradient(y, raw)
    np.testing.assert_array_equal(v2, v)
    np.testing.assert_array_equal(g2, g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mu = loss.inverse_link(raw)
    for arr in (v, g, h):
        assert not np.isnan(arr).any()
    assert np.all(v >= 0)
    assert np.all(np.isinf(mu[:3])) and np.all(mu[3:] == 0)
    # the gradient's sign is that of mu - y (0 where the exact value underflows)
    assert np.all(g[:3] >= 0)
    assert np.all(g[3:][y[3:] > 0] <= 0)


# ------------------------------------------------------------ flags & pieces
FLAGS = {
    # name: (is_smooth, has_hessian, is_piecewise_linear, is_convex)
    "squared_error": (True, True, False, True),
    "absolute_error": (False, False, True, True),
    "huber": (True, True, False, True),
    "smooth_l1": (True, True, False, True),
    "quantile": (False, False, True, True),
    "log_cosh": (True, True, False, True),
    "epsilon_insensitive": (False, False, True, True),
    "squared_epsilon_insensitive": (True, True, False, True),
    "poisson": (True, True, False, True),
    "gamma": (True, True, False, True),
    "tweedie": (True, True, False, False),  # default power 0 with a log link
    "cauchy": (True, True, False, False),
    "tukey_biweight": (True, True, False, False),
}


@pytest.mark.parametrize("name", list(FLAGS))
def test_flags(name):
    loss = get_loss(name)
    got = (loss.is_smooth, loss.has_hessian, loss.is_piecewise_linear, loss.is_convex)
    assert got == FLAGS[name]
    assert loss.kind == "regression" and loss.trainable
    assert loss.link == (
        "log" if name in ("poisson", "gamma", "tweedie") else "identity"
    )


def test_convex_pieces_values():
    assert AbsoluteError().convex_pieces == ((1.0, 0.0), (-1.0, 0.0))
    assert Quantile(quantile=0.3).convex_pieces == ((0.3, 0.0), (0.3 - 1.0, 0.0))
    assert EpsilonInsensitive(epsilon=0.2).convex_pieces == (
        (0.0, 0.0),
        (1.0, -0.2),
        (-1.0, -0.2),
    )


def test_aliases():
    assert get_loss("mse").name == get_loss("l2").name == "squared_error"
    assert get_loss("mae").name == get_loss("l1").name == "absolute_error"
    assert get_loss("pinball", quantile=0.2).quantile == 0.2


@pytest.mark.parametrize(
    ("cls", "param", "bad"),
    [
        (Huber, "delta", 0.0),
        (Huber, "delta", -1.0),
        (SmoothL1, "beta", -0.5),
        (Quantile, "quantile", 0.0),
        (Quantile, "quantile", 1.0),
        (Quantile, "quantile", 1.5),
        (EpsilonInsensitive, "epsilon", -0.1),
        (SquaredEpsilonInsensitive, "epsilon", np.inf),
        (Cauchy, "c", 0.0),
        (TukeyBiweight, "c", -4.685),
        (Tweedie, "power", np.nan),
        (Huber, "delta", True),
    ],
)
def test_invalid_parameters_name_parameter_and_value(cls, param, bad):
    with pytest.raises(ValueError, match=rf"{param}.*{param}={bad!r}"):
        cls(**{param: bad})


@pytest.mark.parametrize(
    "loss",
    [Huber(delta=np.float64(2.0)), SmoothL1(beta=np.float64(0.5))],
    ids=["huber", "smooth_l1"],
)
def test_numpy_scalar_parameters_keep_float32(loss):
    y, raw = np.zeros(3, np.float32), np.array([0.1, 1.0, 5.0], np.float32)
    assert loss.loss(y, raw).dtype == np.float32
    assert loss.gradient(y, raw).dtype == np.float32


def test_integer_input_gives_float_output():
    for loss in (SquaredError(), AbsoluteError(), Huber(), Quantile(quantile=0.2)):
        out = loss.loss(np.array([1, 2]), np.array([0, 5]))
        assert out.dtype == np.float64
