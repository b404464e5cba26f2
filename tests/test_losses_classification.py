"""Classification and distribution loss objects: values, derivatives, numerics.

Every value is checked against an independent reference: a plain-Python loop
written from the paper's or textbook's formula (``math`` module, one sample
at a time), a hand-computed table, or scipy. Derivatives are checked against
4th-order central finite differences of the object's own loss / gradient.
"""

import math
import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr, softmax
from scipy.stats import entropy as scipy_entropy
from sklearn.base import clone

from sklloss.losses import (
    Entropy,
    Exponential,
    Focal,
    Hinge,
    JSDivergence,
    KLDivergence,
    LogLoss,
    ModifiedHuber,
    SquaredHinge,
    ZeroOne,
    get_loss,
)

RNG = np.random.default_rng(0)
N, K = 9, 4


# --------------------------------------------------------------- references
def ref_sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


def ref_softmax(row):
    mx = max(row)
    e = [math.exp(v - mx) for v in row]
    return [v / sum(e) for v in e]


def ref_focal_binary(y, z, gamma, alpha):
    """Lin et al. (2017), eq. (5): FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t)."""
    p = ref_sigmoid(z)
    p_t = p if y == 1 else 1 - p
    if alpha is None:
        a_t = 1.0
    else:
        a_t = alpha if y == 1 else 1 - alpha
    return -a_t * (1 - p_t) ** gamma * math.log(p_t)


def ref_focal_soft(y_row, z_row, gamma, alpha):
    """sum_k y_k alpha_k (1 - p_k)^gamma (-log p_k), one sample at a time."""
    p = ref_softmax(z_row)
    total = 0.0
    for k, (yk, pk) in enumerate(zip(y_row, p, strict=True)):
        a = 1.0 if alpha is None else alpha[k]
        if yk:
            total += yk * a * (1 - pk) ** gamma * -math.log(pk)
    return total


def cs_margin(y, row):
    """Crammer-Singer margin written as a loop over the classes."""
    best_other = max(v for j, v in enumerate(row) if j != y)
    return row[y] - best_other


# -------------------------------------------------------------- data makers
def make_case(case, *, k=K, scale=2.0, rng=RNG):
    if case == "binary":
        return rng.integers(0, 2, N), rng.normal(size=N) * scale
    if case == "binary_soft":
        return rng.uniform(size=N), rng.normal(size=N) * scale
    if case == "labels":
        return rng.integers(0, k, N), rng.normal(size=(N, k)) * scale
    if case == "soft":
        return rng.dirichlet(np.ones(k), N), rng.normal(size=(N, k)) * scale
    raise AssertionError(case)


PROBA_CASES = ["binary", "binary_soft", "labels", "soft"]
MARGIN_CASES = ["binary", "labels"]

# (id, loss, cases): every loss object with the targets it accepts.
LOSSES = [
    ("log_loss", LogLoss(), PROBA_CASES),
    ("focal", Focal(), PROBA_CASES),
    ("focal_gamma0.5", Focal(gamma=0.5), PROBA_CASES),
    ("focal_gamma1.5_alpha0.25", Focal(gamma=1.5, alpha=0.25), PROBA_CASES[:2]),
    (
        "focal_gamma3_alpha_vec",
        Focal(gamma=3.0, alpha=[0.1, 0.2, 0.3, 0.4]),
        PROBA_CASES[2:],
    ),
    ("hinge", Hinge(), MARGIN_CASES),
    ("squared_hinge", SquaredHinge(), MARGIN_CASES),
    ("modified_huber", ModifiedHuber(), MARGIN_CASES),
    ("exponential", Exponential(), MARGIN_CASES),
    ("zero_one", ZeroOne(), MARGIN_CASES),
    ("kl_divergence", KLDivergence(), PROBA_CASES),
    ("js_divergence", JSDivergence(), PROBA_CASES),
    ("entropy", Entropy(), PROBA_CASES),
]
LOSS_CASES = [
    pytest.param(loss, case, id=f"{name}-{case}")
    for name, loss, cases in LOSSES
    for case in cases
]
ALL_LOSSES = [pytest.param(loss, id=name) for name, loss, _ in LOSSES]


# ----------------------------------------------------- finite differences
def fd(f, x, h):
    """4th-order central difference of a per-sample function, per coordinate."""
    out = []
    for e in np.eye(x.shape[1]) if x.ndim == 2 else [None]:
        step = h if e is None else h * e
        d = (-f(x + 2 * step) + 8 * f(x + step) - 8 * f(x - step) + f(x - 2 * step)) / (
            12 * h
        )
        out.append(d)
    return out[0] if x.ndim == 1 else np.stack(out, axis=-1)


def away_from_kinks(loss, y, raw):
    """Move samples off the kinks of piecewise losses so FD is meaningful."""
    if not isinstance(loss, (Hinge, SquaredHinge, ModifiedHuber, ZeroOne)):
        return raw
    m = loss._margin(*loss._prepare(y, raw))[0]
    for kink in (1.0, -1.0, 0.0):
        raw = np.where(
            (np.abs(m - kink) < 0.05)[(...,) + (None,) * (raw.ndim - 1)],
            raw + 0.3,
            raw,
        )
        m = loss._margin(*loss._prepare(y, raw))[0]
    return raw


@pytest.mark.parametrize("loss, case", LOSS_CASES)
def test_gradient_matches_finite_differences(loss, case):
    y, raw = make_case(case)
    raw = away_from_kinks(loss, y, raw)
    expected = fd(lambda r: loss.loss(y, r), raw, 1e-4)
    assert_allclose(loss.gradient(y, raw), expected, rtol=1e-7, atol=1e-8)
    value, grad = loss.loss_gradient(y, raw)
    assert_allclose(value, loss.loss(y, raw), rtol=1e-14)
    assert_allclose(grad, loss.gradient(y, raw), rtol=1e-14)


HESSIAN_CASES = [p for p in LOSS_CASES if p.values[0].has_hessian]


@pytest.mark.parametrize("loss, case", HESSIAN_CASES)
def test_hessian_matches_finite_differences(loss, case):
    y, raw = make_case(case)
    raw = away_from_kinks(loss, y, raw)
    H = loss.hessian(y, raw)
    expected = fd(lambda r: loss.gradient(y, r), raw, 1e-4)
    assert_allclose(H, expected, rtol=1e-6, atol=1e-8)
    if raw.ndim == 2:
        assert H.shape == (N, raw.shape[1], raw.shape[1])
        assert_allclose(H, H.transpose(0, 2, 1), atol=1e-14)


@pytest.mark.parametrize("loss, case", HESSIAN_CASES)
def test_hessian_product_matches_hessian(loss, case):
    y, raw = make_case(case)
    v = RNG.normal(size=raw.shape)
    H = loss.hessian(y, raw)
    expected = H * v if raw.ndim == 1 else np.einsum("nij,nj->ni", H, v)
    assert_allclose(loss.hessian_product(y, raw, v), expected, rtol=1e-12, atol=1e-15)


def test_has_hessian_flags():
    with_h = {"log_loss", "focal", "squared_hinge", "modified_huber", "exponential"}
    with_h |= {"kl_divergence", "js_divergence"}
    for name, loss, _ in LOSSES:
        assert loss.has_hessian == (loss.name in with_h), name


# ------------------------------------------------------------ log loss values
def test_log_loss_binary_matches_closed_form():
    y, raw = make_case("binary_soft")
    expected = [
        -(yi * math.log(ref_sigmoid(z)) + (1 - yi) * math.log(1 - ref_sigmoid(z)))
        for yi, z in zip(y, raw, strict=True)
    ]
    assert_allclose(LogLoss().loss(y, raw), expected, rtol=1e-12)
    assert_allclose(LogLoss().inverse_link(raw), [ref_sigmoid(z) for z in raw])


def test_log_loss_multiclass_matches_loop():
    y, raw = make_case("labels")
    expected = [-math.log(ref_softmax(r)[c]) for c, r in zip(y, raw, strict=True)]
    assert_allclose(LogLoss().loss(y, raw), expected, rtol=1e-12)
    Y = np.eye(K)[y]  # one-hot soft targets give the same values
    assert_allclose(LogLoss().loss(Y, raw), expected, rtol=1e-12)
    assert_allclose(LogLoss().inverse_link(raw), [ref_softmax(r) for r in raw])


def test_log_loss_binary_equals_two_column_softmax():
    y, z = make_case("binary_soft")
    raw2 = np.column_stack([np.zeros(N), z])
    Y = np.column_stack([1 - y, y])
    loss = LogLoss()
    assert_allclose(loss.loss(y, z), loss.loss(Y, raw2), rtol=1e-12)
    assert_allclose(loss.gradient(y, z), loss.gradient(Y, raw2)[:, 1], atol=1e-15)


@pytest.mark.parametrize(
    "alias",
    ["logistic", "cross_entropy", "binary_cross_entropy", "softmax", "multinomial"],
)
def test_log_loss_aliases(alias):
    assert isinstance(get_loss(alias), LogLoss)


# ------------------------------------------------------------- focal values
@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25, 0.9], ids=lambda a: f"alpha{a}")
def test_focal_binary_matches_paper_formula(gamma, alpha):
    y, raw = make_case("binary")
    expected = [
        ref_focal_binary(yi, z, gamma, alpha) for yi, z in zip(y, raw, strict=True)
    ]
    assert_allclose(Focal(gamma=gamma, alpha=alpha).loss(y, raw), expected, rtol=1e-12)


@pytest.mark.parametrize("case", ["labels", "soft"])
@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.5])
@pytest.mark.parametrize(
    "alpha", [None, [0.1, 0.4, 0.2, 0.3]], ids=["alphaNone", "alpha_vec"]
)
def test_focal_multiclass_matches_loop(case, gamma, alpha):
    y, raw = make_case(case)
    Y = np.eye(K)[y] if case == "labels" else y
    expected = [
        ref_focal_soft(yr, r, gamma, alpha) for yr, r in zip(Y, raw, strict=True)
    ]
    assert_allclose(Focal(gamma=gamma, alpha=alpha).loss(y, raw), expected, rtol=1e-12)


@pytest.mark.parametrize("case", PROBA_CASES)
def test_focal_gamma0_equals_log_loss(case):
    y, raw = make_case(case)
    focal, log = Focal(gamma=0.0), LogLoss()
    assert_allclose(focal.loss(y, raw), log.loss(y, raw), rtol=1e-13)
    assert_allclose(focal.gradient(y, raw), log.gradient(y, raw), atol=1e-15)
    assert_allclose(focal.hessian(y, raw), log.hessian(y, raw), atol=1e-15)


@pytest.mark.parametrize("alpha", [None, 0.3], ids=["alphaNone", "alpha0.3"])
def test_focal_binary_equals_two_column_softmax(alpha):
    """A float alpha is the class-weight pair (1 - alpha, alpha)."""
    y, z = make_case("binary_soft")
    raw2 = np.column_stack([np.zeros(N), z])
    Y = np.column_stack([1 - y, y])
    one = Focal(gamma=2.0, alpha=alpha)
    two = Focal(gamma=2.0, alpha=None if alpha is None else [1 - alpha, alpha])
    assert_allclose(one.loss(y, z), two.loss(Y, raw2), rtol=1e-12)
    assert_allclose(one.gradient(y, z), two.gradient(Y, raw2)[:, 1], atol=1e-14)
    assert_allclose(one.hessian(y, z), two.hessian(Y, raw2)[:, 1, 1], atol=1e-14)


def test_focal_is_convex_only_for_gamma0():
    z = np.linspace(-8, 8, 33)
    assert Focal(gamma=0.0).is_convex
    assert np.all(Focal(gamma=0.0).hessian(np.ones_like(z), z) > 0)
    assert not Focal(gamma=2.0).is_convex
    assert np.any(Focal(gamma=2.0).hessian(np.ones_like(z), z) < 0)
    assert not Focal().set_params(gamma=1.0).is_convex


def test_focal_alpha_weighs_positive_class():
    raw = np.array([0.3, 0.3])
    y = np.array([1, 0])
    base = Focal(gamma=2.0).loss(y, raw)
    weighted = Focal(gamma=2.0, alpha=0.25).loss(y, raw)
    assert_allclose(weighted, [0.25 * base[0], 0.75 * base[1]], rtol=1e-14)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"gamma": -0.5}, "gamma"),
        ({"gamma": float("nan")}, "gamma"),
        ({"gamma": "2"}, "gamma"),
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": -0.1}, "alpha"),
        ({"alpha": [0.5, -1.0]}, "alpha"),
        ({"alpha": [0.5]}, "alpha"),
        ({"alpha": [[0.5, 0.5]]}, "alpha"),
    ],
    ids=[
        "gamma_neg",
        "gamma_nan",
        "gamma_str",
        "alpha_gt1",
        "alpha_neg",
        "alpha_vec_neg",
        "alpha_vec_short",
        "alpha_2d",
    ],
)
def test_focal_rejects_bad_params(params, match):
    with pytest.raises(ValueError, match=match):
        Focal(**params)
    with pytest.raises(ValueError, match=match):
        Focal().set_params(**params)


def test_focal_alpha_must_fit_the_classes():
    y, raw = make_case("labels")
    with pytest.raises(ValueError, match="alpha"):
        Focal(alpha=0.25).loss(y, raw)
    with pytest.raises(ValueError, match="alpha"):
        Focal(alpha=[1.0, 2.0]).loss(y, raw)


# ------------------------------------------------------------ margin values
# m -> phi(m), by hand.
MARGIN_TABLE = {
    "hinge": {-3.0: 4.0, -1.0: 2.0, 0.0: 1.0, 0.5: 0.5, 1.0: 0.0, 2.0: 0.0},
    "squared_hinge": {-3.0: 16.0, -1.0: 4.0, 0.0: 1.0, 0.5: 0.25, 1.0: 0.0, 2.0: 0.0},
    "modified_huber": {-3.0: 12.0, -1.0: 4.0, 0.0: 1.0, 0.5: 0.25, 1.0: 0.0, 2.0: 0.0},
    "exponential": {-3.0: math.e**3, 0.0: 1.0, 0.5: math.exp(-0.5), 2.0: math.exp(-2)},
    "zero_one": {-3.0: 1.0, -1.0: 1.0, 0.0: 1.0, 0.5: 0.0, 2.0: 0.0},
}
MARGIN_LOSSES = {
    "hinge": Hinge(),
    "squared_hinge": SquaredHinge(),
    "modified_huber": ModifiedHuber(),
    "exponential": Exponential(),
    "zero_one": ZeroOne(),
}


@pytest.mark.parametrize("name", list(MARGIN_TABLE))
def test_margin_losses_match_table(name):
    loss = MARGIN_LOSSES[name]
    m = np.array(list(MARGIN_TABLE[name]))
    expected = list(MARGIN_TABLE[name].values())
    # y = 1: m = raw; y = 0: m = -raw.
    assert_allclose(loss.loss(np.ones(len(m)), m), expected, rtol=1e-14)
    assert_allclose(loss.loss(np.zeros(len(m)), -m), expected, rtol=1e-14)


@pytest.mark.parametrize("name", list(MARGIN_TABLE))
def test_margin_losses_multiclass_use_crammer_singer(name):
    loss = MARGIN_LOSSES[name]
    y, raw = make_case("labels")
    m = np.array([cs_margin(c, r) for c, r in zip(y, raw, strict=True)])
    assert_allclose(loss.loss(y, raw), loss.loss(np.ones(N), m), rtol=1e-14)


def test_hinge_convex_pieces_reproduce_loss():
    u = np.linspace(-3, 3, 61)
    pieces = Hinge().convex_pieces
    assert pieces == ((0.0, 0.0), (-1.0, 1.0))
    by_pieces = np.max([s * u + b for s, b in pieces], axis=0)
    assert_allclose(by_pieces, Hinge().loss(np.ones_like(u), u))
    assert Hinge().is_piecewise_linear and not Hinge().is_smooth


def test_exponential_continues_linearly_beyond_threshold():
    loss = Exponential()
    T = 0.5 * math.log(np.finfo(np.float64).max)
    m = np.array([-T + 1.0, -T - 1.0, -1e4])
    expected = [math.exp(T - 1.0), math.exp(T) * 2.0, math.exp(T) * (1 + 1e4 - T)]
    assert_allclose(loss.loss(np.ones(3), m), expected, rtol=1e-12)
    assert_allclose(
        loss.gradient(np.ones(3), m),
        [-math.exp(T - 1), -math.exp(T), -math.exp(T)],
        rtol=1e-12,
    )
    T32 = 0.5 * math.log(np.finfo(np.float32).max)
    v32 = loss.loss(np.ones(1), np.array([-1e4], dtype=np.float32))
    assert v32.dtype == np.float32
    assert_allclose(v32, [math.exp(T32) * (1 + 1e4 - T32)], rtol=1e-5)


def test_zero_one_scores_labels():
    loss = ZeroOne()
    assert loss.response_method == "predict"
    assert not loss.trainable and not loss.is_convex
    assert loss(["a", "b", "b", "c"], ["a", "b", "c", "c"]) == 0.25
    assert loss([0, 1], [1, 1], sample_weight=[3.0, 1.0]) == 0.75
    assert_allclose(loss.gradient(np.array([0, 1]), np.array([0.3, -2.0])), 0.0)


def test_response_methods_and_kinds():
    assert LogLoss().response_method == "predict_proba"
    assert KLDivergence().response_method == "predict_proba"
    assert Hinge().response_method == "decision_function"
    assert LogLoss().multiclass == "softmax" and Hinge().multiclass == "ovr"
    assert KLDivergence().kind == "distribution" and KLDivergence().is_convex
    assert not JSDivergence().is_convex and not Entropy().trainable


# ------------------------------------------------------ distribution values
def test_kl_matches_scipy():
    y, raw = make_case("soft")
    q = softmax(raw, axis=1)
    assert_allclose(KLDivergence().loss(y, raw), rel_entr(y, q).sum(1), rtol=1e-11)
    assert_allclose(
        KLDivergence().loss(y, raw), scipy_entropy(y, q, axis=1), rtol=1e-11
    )
    # KL = cross-entropy - H(y): same gradient as the log loss.
    assert_allclose(KLDivergence().gradient(y, raw), LogLoss().gradient(y, raw))


def test_kl_handles_zero_targets_and_bernoulli():
    y = np.array([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]])
    raw = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, -1.0]])
    q = softmax(raw, axis=1)
    assert_allclose(KLDivergence().loss(y, raw), rel_entr(y, q).sum(1), rtol=1e-12)
    yb, z = np.array([0.0, 0.3, 1.0]), np.array([0.5, -1.0, 2.0])
    p = 1 / (1 + np.exp(-z))
    expected = rel_entr(yb, p) + rel_entr(1 - yb, 1 - p)
    assert_allclose(KLDivergence().loss(yb, z), expected, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("case", ["soft", "labels", "binary_soft"])
def test_js_matches_scipy(case):
    target, raw = make_case(case)
    y, q = target, LogLoss().inverse_link(raw)
    if case == "labels":
        y = np.eye(K)[target]
    if case == "binary_soft":
        y, q = np.column_stack([1 - y, y]), np.column_stack([1 - q, q])
    expected = jensenshannon(y, q, axis=1) ** 2
    assert_allclose(JSDivergence().loss(target, raw), expected, rtol=1e-10)


def test_js_is_bounded_by_log2():
    y = np.array([[1.0, 0.0]])
    assert_allclose(
        JSDivergence().loss(y, np.array([[-1e4, 1e4]])), [math.log(2)], rtol=1e-15
    )


@pytest.mark.parametrize("case", ["soft", "binary_soft"])
def test_entropy_matches_scipy(case):
    _, raw = make_case(case)
    q = LogLoss().inverse_link(raw)
    Q = np.column_stack([1 - q, q]) if raw.ndim == 1 else q
    assert_allclose(Entropy().loss(None, raw), scipy_entropy(Q, axis=1), rtol=1e-12)


# ------------------------------------------------------------------ numerics
EXTREME = [1e4, -1e4]


@pytest.mark.parametrize("loss, case", LOSS_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_finite_and_dtype_at_extreme_raw(loss, case, dtype):
    """|raw| = 1e4: finite values, no RuntimeWarning (an error in pytest.ini)."""
    y, raw = make_case(case)
    raw = (np.sign(raw) * 1e4).astype(dtype)
    if raw.ndim == 2:
        raw[:, 0] = 1e4  # ties at the top and at the bottom
    out = [loss.loss(y, raw), *loss.loss_gradient(y, raw), loss.gradient(y, raw)]
    if loss.has_hessian:
        out += [loss.hessian(y, raw), loss.hessian_product(y, raw, np.ones_like(raw))]
    for arr in out:
        assert arr.dtype == dtype
        assert np.all(np.isfinite(arr))


@pytest.mark.parametrize("gamma", [0.0, 0.3, 1.0, 1.7, 2.0])
def test_focal_limits_at_extreme_raw(gamma):
    focal = Focal(gamma=gamma)
    raw = np.array([1e4, -1e4])
    y = np.array([1, 1])
    assert_allclose(focal.loss(y, raw), [0.0, 1e4], rtol=1e-15, atol=0)
    assert_allclose(focal.gradient(y, raw), [0.0, -1.0], atol=1e-300)
    assert_allclose(focal.hessian(y, raw), [0.0, 0.0], atol=1e-300)
    raw2 = np.array([[1e4, -1e4, -1e4], [-1e4, 1e4, 0.0]])
    y2 = np.array([0, 0])
    assert_allclose(focal.loss(y2, raw2), [0.0, 2e4], rtol=1e-15, atol=0)
    assert_allclose(focal.gradient(y2, raw2), [[0, 0, 0], [-1, 1, 0]], atol=1e-300)
    assert np.all(np.isfinite(focal.hessian(y2, raw2)))


def test_log_loss_is_relatively_accurate_for_confident_predictions():
    # log(1 + e^-40) = 4.248e-18: the two-log-sigmoid form keeps it.
    assert_allclose(
        LogLoss().loss(np.array([1.0]), np.array([40.0])), [math.exp(-40)], rtol=1e-12
    )
    assert_allclose(
        LogLoss().gradient(np.array([1.0]), np.array([40.0])),
        [-math.exp(-40)],
        rtol=1e-12,
    )


def test_focal_is_accurate_when_probability_is_near_one():
    """The dominant class's 1 - p comes from the other classes, not 1 - p."""
    raw = np.array([[40.0, 0.0, 0.0]])
    u = 2 * math.exp(-40) / (1 + 2 * math.exp(-40))
    expected = u**2 * math.log1p(2 * math.exp(-40))
    assert_allclose(Focal(gamma=2.0).loss(np.array([0]), raw), [expected], rtol=1e-12)


@pytest.mark.parametrize("loss, case", LOSS_CASES)
def test_inputs_are_not_modified(loss, case):
    y, raw = make_case(case)
    y0, raw0 = y.copy(), raw.copy()
    loss.loss_gradient(y, raw)
    if loss.has_hessian:
        loss.hessian(y, raw)
        loss.hessian_product(y, raw, np.ones_like(raw))
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(raw, raw0)


# --------------------------------------------------------- object metric
def test_log_loss_object_call_equals_clipped_mean():
    y = np.array([0, 1, 2])
    p = np.array([[0.7, 0.2, 0.1], [0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])
    eps = np.finfo(float).eps
    expected = (-math.log(0.7) - math.log(1 - eps) - math.log(eps)) / 3
    assert_allclose(LogLoss()(y, p), expected, rtol=1e-14)
    assert isinstance(LogLoss()(y, p), float)


@pytest.mark.parametrize(
    "loss, y_true, y_pred, match",
    [
        (LogLoss(), [0, 1], [0.2, 1.2], r"y_pred\[1\]"),
        (LogLoss(), [0, 1], [0.2, np.nan], "y_pred"),
        (LogLoss(), [0, 2], [0.2, 0.5], r"y_true\[1\]"),
        (LogLoss(), [0, 3], [[0.5, 0.5], [0.5, 0.5]], r"y_true\[1\]"),
        (
            LogLoss(),
            [[0.5, 0.6], [1, 0]],
            [[0.5, 0.5], [0.5, 0.5]],
            r"sum\(y_true\[0\]\)",
        ),
        (LogLoss(), [0, 1, 1], [0.2, 0.5], "inconsistent"),
        (Hinge(), [0, 0.5], [0.2, 1.0], r"y_true\[1\]"),
        (Hinge(), [0, 1], [0.2, np.inf], "y_pred"),
        (KLDivergence(), [[0.5, 0.5]], [[0.5, 0.4]], r"sum\(y_pred\[0\]\) = .*0\.9"),
        (KLDivergence(), [[0.5, 0.6]], [[0.5, 0.5]], r"sum\(y_true\[0\]\) = .*1\.1"),
        (JSDivergence(), [[0.5, 0.5]], [[1.5, -0.5]], "y_pred"),
        (Entropy(), None, [[0.5, 0.6]], r"sum\(y_pred\[0\]\)"),
    ],
    ids=[
        "proba_gt1",
        "proba_nan",
        "binary_label_2",
        "label_ge_K",
        "soft_sum",
        "length",
        "hinge_soft_label",
        "hinge_inf",
        "kl_pred_sum",
        "kl_true_sum",
        "js_range",
        "entropy_sum",
    ],
)
def test_object_call_rejects_bad_input(loss, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        loss(y_true, y_pred)


def test_log_loss_object_warns_on_rows_not_summing_to_one():
    with pytest.warns(UserWarning, match="do not sum to one"):
        LogLoss()([0, 1], [[0.5, 0.4], [0.5, 0.5]])


def test_entropy_ignores_y_true():
    q = np.array([[0.2, 0.8], [0.5, 0.5]])
    expected = scipy_entropy(q, axis=1).mean()
    assert_allclose(Entropy()(None, q), expected, rtol=1e-14)
    assert_allclose(Entropy()(["anything", "else"], q), expected, rtol=1e-14)


# ----------------------------------------------------------- sklearn object
@pytest.mark.parametrize("loss", ALL_LOSSES)
def test_clone_pickle_repr(loss):
    c = clone(loss)
    assert repr(c) == repr(loss)
    assert repr(pickle.loads(pickle.dumps(loss))) == repr(loss)
    assert get_loss(loss.name).name == loss.name


def test_registry_entries():
    for name in [
        "log_loss",
        "focal",
        "hinge",
        "squared_hinge",
        "modified_huber",
        "exponential",
        "zero_one",
        "kl_divergence",
        "js_divergence",
        "entropy",
    ]:
        loss = get_loss(name)
        assert loss.name == name
        assert loss.metric_name is not None
    assert get_loss("focal", gamma=1.0, alpha=0.5).alpha == 0.5


def test_no_warning_at_all_at_extreme_raw():
    """Not only RuntimeWarnings: no warning of any kind at |raw| = 1e4."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _, loss, cases in LOSSES:
            for case in cases:
                y, raw = make_case(case)
                loss.loss_gradient(y, raw * 1e4)


@pytest.mark.parametrize("loss", ALL_LOSSES)
def test_float_labels_equal_integer_labels_for_2d_raw(loss):
    """Estimators pass label codes as float64; they must mean the same."""
    y, raw = make_case("labels")
    if isinstance(loss, Focal) and isinstance(loss.alpha, float):
        pytest.skip("a float alpha is binary only")
    assert_allclose(loss.loss(y.astype(float), raw), loss.loss(y, raw), rtol=0)
    assert_allclose(loss.gradient(y.astype(float), raw), loss.gradient(y, raw), rtol=0)
