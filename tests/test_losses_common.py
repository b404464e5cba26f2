"""Registry-wide tests: every registered loss, whatever its family.

Inputs come from generators keyed on the loss's ``kind`` (and its
``multiclass`` / domains), so a new loss is covered as soon as it registers.
Reference values are never the code under test: derivatives are checked
against finite differences of ``loss``, weighted means against repeated rows,
the registry against ``inspect.signature`` of the classes.
"""

import math
import pickle
import warnings
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

import sklloss.losses as losses_module
import sklloss.metrics as metrics_module
from sklloss.losses import available_losses, get_loss, loss_names
from sklloss.losses._registry import _ALIASES, _REGISTRY

ALL = loss_names()
KINDS = ("regression", "probabilistic", "margin", "distribution")


def _rng(*keys):
    """A generator seeded by the test's keys: reproducible, different per loss."""
    return np.random.default_rng(zlib.crc32("/".join(map(str, keys)).encode()))


def _regression_y(loss, rng, n):
    """Targets inside ``loss.y_true_domain`` (zeros included where allowed)."""
    dom = loss.y_true_domain
    if dom.low == -np.inf:
        return rng.normal(scale=2.0, size=n)
    y = rng.gamma(2.0, size=n) + 0.05
    if dom.closed in ("both", "left") and dom.low == 0:
        y[: max(1, n // 5)] = 0.0
    return y


def _soft_targets(rng, n, k):
    return rng.dirichlet(np.ones(k), size=n)


def make_cases(loss, n=16, seed=0):
    """``[(case_id, y_true, raw_prediction), ...]`` valid for `loss`.

    regression: 1-D targets in the loss's domain and raw predictions around
    ``link(y)``; probabilistic / margin: binary 0/1 labels with a 1-D score,
    plus K = 3 labels with (n, 3) scores when the loss is multiclass;
    probabilistic and distribution: soft targets (n, 3) with (n, 3) logits;
    distribution: also 1-D Bernoulli targets in [0, 1] with a 1-D score.
    """
    rng = _rng(loss.name, seed)
    cases = []
    if loss.kind == "regression":
        y = _regression_y(loss, rng, n)
        if loss.link == "log":
            raw = np.log(rng.gamma(2.0, size=n) + 0.1)
        else:
            raw = y + rng.normal(scale=2.0, size=n)
        cases.append(("1d", y, raw))
        return cases
    raw2 = rng.normal(scale=2.0, size=(n, 3))
    if loss.kind in ("probabilistic", "margin"):
        cases.append(
            ("binary", rng.integers(0, 2, size=n), rng.normal(scale=2.0, size=n))
        )
        if loss.multiclass is not None:
            cases.append(("multiclass", rng.integers(0, 3, size=n), raw2))
    if loss.kind in ("probabilistic", "distribution"):
        cases.append(("soft", _soft_targets(rng, n, 3), raw2))
    if loss.kind == "distribution":
        cases.append(("bernoulli", rng.uniform(size=n), rng.normal(scale=2.0, size=n)))
    return cases


def _prediction(loss, raw):
    """What a scorer passes as ``y_pred`` for these raw predictions.

    ``inverse_link`` except for classification losses whose response method
    is ``predict`` (the zero-one loss compares labels): then the label of the
    largest score (binary: ``raw > 0``).
    """
    if loss.kind != "regression" and loss.response_method == "predict":
        return (raw > 0).astype(int) if raw.ndim == 1 else np.argmax(raw, axis=1)
    return loss.inverse_link(raw)


def _all_cases():
    for name in ALL:
        loss = get_loss(name)
        for case_id, y, raw in make_cases(loss):
            yield pytest.param(name, case_id, y, raw, id=f"{name}-{case_id}")


CASES = list(_all_cases())


# ------------------------------------------------------------------ registry
def test_registry_is_not_empty_and_kinds_are_known():
    assert {"squared_error", "huber", "poisson", "tukey_biweight"} <= set(ALL)
    for name in ALL:
        assert _REGISTRY[name].kind in KINDS, name


@pytest.mark.parametrize("name", ALL)
def test_get_loss_resolves_key_and_aliases(name):
    cls = _REGISTRY[name]
    assert type(get_loss(name)) is cls
    assert get_loss(name).name == name
    for alias in cls.aliases:
        obj = get_loss(alias)
        assert type(obj) is cls and obj.name == name
        assert _ALIASES[alias] == name
    # an instance is cloned, never returned as is
    inst = cls()
    assert get_loss(inst) is not inst
    assert get_loss(inst).get_params() == inst.get_params()


def test_unknown_loss_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown loss 'no_such_loss'") as exc:
        get_loss("no_such_loss")
    for name in ALL:
        assert repr(name)[1:-1] in str(exc.value)


def test_unknown_parameter_names_the_accepted_ones():
    with pytest.raises(ValueError, match="delta"):
        get_loss("huber", bogus=1.0)


def test_available_losses_content():
    info = available_losses()
    assert sorted(info) == sorted(ALL)
    # grouped by kind: regression first, then probabilistic, margin, distribution
    order = ["regression", "probabilistic", "margin", "distribution"]
    kinds = [order.index(e["kind"]) for e in info.values()]
    assert kinds == sorted(kinds)
    for name, entry in info.items():
        cls = _REGISTRY[name]
        assert entry["aliases"] == tuple(cls.aliases)
        assert entry["params"] == cls().get_params()
        assert entry["kind"] == cls.kind
        assert entry["trainable"] == cls.trainable
        assert entry["metric"] == cls.metric_name
        # the metric exists, is exported and is callable
        assert entry["metric"] in metrics_module.__all__, name
        assert callable(getattr(metrics_module, entry["metric"]))
    all_names = list(info) + [a for e in info.values() for a in e["aliases"]]
    assert len(all_names) == len(set(all_names))


@pytest.mark.parametrize("name", ALL)
def test_class_is_exported(name):
    cls = _REGISTRY[name]
    assert getattr(losses_module, cls.__name__) is cls
    assert cls.__name__ in losses_module.__all__


# --------------------------------------------------------------- parameters
@pytest.mark.parametrize("name", ALL)
def test_params_clone_pickle_repr_round_trip(name):
    loss = get_loss(name)
    params = loss.get_params()
    assert clone(loss).get_params() == params
    assert loss.set_params(**params) is loss
    restored = pickle.loads(pickle.dumps(loss))
    assert type(restored) is type(loss) and restored.get_params() == params
    # the repr is valid Python that rebuilds the same loss
    rebuilt = eval(repr(loss), vars(losses_module))
    assert type(rebuilt) is type(loss) and rebuilt.get_params() == params
    for _, y, raw in make_cases(loss, n=5):
        np.testing.assert_array_equal(restored.loss(y, raw), loss.loss(y, raw))


def _bad_values(default):
    """Values no hyper-parameter of this default's type should accept."""
    if isinstance(default, bool):
        return ["yes"]
    if isinstance(default, (int, float)):
        return [float("nan"), "1.0"]
    if default is None:
        return ["bogus"]
    if isinstance(default, str):
        return ["__bogus__"]
    return []


@pytest.mark.parametrize("name", [n for n in ALL if _REGISTRY[n]().get_params()])
def test_invalid_hyper_parameters_raise_naming_them(name):
    cls = _REGISTRY[name]
    for param, default in cls().get_params().items():
        for bad in _bad_values(default):
            with pytest.raises(ValueError, match=param):
                cls(**{param: bad})
            with pytest.raises(ValueError, match=param):
                get_loss(name, **{param: bad})
            with pytest.raises(ValueError, match=param):
                cls().set_params(**{param: bad})


# ----------------------------------------------------------- flags & shapes
@pytest.mark.parametrize("name", ALL)
def test_flags_are_consistent(name):
    loss = get_loss(name)
    assert loss.link in ("identity", "log", "logit")
    assert loss.multiclass in (None, "softmax", "ovr")
    assert loss.has_hessian == (type(loss).hessian is not losses_module.Loss.hessian)
    if loss.is_piecewise_linear:
        assert not loss.is_smooth and not loss.has_hessian
        assert loss.is_convex
        pieces = loss.convex_pieces
        assert len(pieces) >= 2 and all(len(p) == 2 for p in pieces)
    if loss.has_hessian:
        # a Hessian (even a generalized one) needs a derivative everywhere
        assert loss.is_smooth
    if loss.kind == "regression":
        assert loss.trainable and loss.multiclass is None
    assert loss.metric_name is not None


@pytest.mark.parametrize("name", [n for n in ALL if _REGISTRY[n].is_piecewise_linear])
def test_convex_pieces_reproduce_the_loss(name):
    loss = get_loss(name)
    for _, y, raw in make_cases(loss, n=50):
        if np.ndim(raw) != 1:
            continue
        if loss.kind == "regression":
            u = y - raw
        else:
            u = (2 * y - 1) * raw
        expected = np.max([s * u + o for s, o in loss.convex_pieces], axis=0)
        np.testing.assert_allclose(loss.loss(y, raw), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "case_id", "y", "raw"), CASES)
def test_shapes_and_loss_gradient_agree(name, case_id, y, raw):
    loss = get_loss(name)
    value = loss.loss(y, raw)
    grad = loss.gradient(y, raw)
    assert value.shape == (raw.shape[0],)
    assert grad.shape == raw.shape
    v2, g2 = loss.loss_gradient(y, raw)
    np.testing.assert_allclose(v2, value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g2, grad, rtol=1e-12, atol=1e-14)
    if loss.has_hessian:
        hess = loss.hessian(y, raw)
        expected = raw.shape if raw.ndim == 1 else raw.shape + raw.shape[1:]
        assert hess.shape == expected
        v = _rng(name, "v").normal(size=raw.shape)
        expected_hv = hess * v if raw.ndim == 1 else np.einsum("nij,nj->ni", hess, v)
        np.testing.assert_allclose(
            loss.hessian_product(y, raw, v), expected_hv, rtol=1e-10, atol=1e-12
        )


# -------------------------------------------------------------- derivatives
H = 1e-5  # 4th-order stencil: truncation ~h^4, rounding ~eps |loss| / h


def _directional(f, raw, k, h):
    """Raw prediction shifted by `h` in column `k` (or everywhere for 1-D)."""
    shifted = raw.astype(float, copy=True)
    if raw.ndim == 1:
        shifted += h
    else:
        shifted[:, k] += h
    return f(shifted)


def _central_difference(f, raw, k, h=H):
    """4th-order central difference of the per-sample `f` along column `k`."""
    fp1, fm1 = _directional(f, raw, k, h), _directional(f, raw, k, -h)
    fp2, fm2 = _directional(f, raw, k, 2 * h), _directional(f, raw, k, -2 * h)
    return (-fp2 + 8 * fp1 - 8 * fm1 + fm2) / (12 * h)


@pytest.mark.parametrize(("name", "case_id", "y", "raw"), CASES)
def test_gradient_matches_finite_differences(name, case_id, y, raw):
    """Random points miss the kinks (prob. ~ n * 4h per kink) of non-smooth losses."""
    loss = get_loss(name)
    if not loss.trainable and not loss.is_smooth:
        pytest.skip(f"{name} is a step function; its gradient is zero a.e.")
    grad = loss.gradient(y, raw)
    columns = [None] if raw.ndim == 1 else range(raw.shape[1])
    for k in columns:
        fd = _central_difference(lambda z: loss.loss(y, z), raw, k)
        got = grad if k is None else grad[:, k]
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-7, err_msg=name)


@pytest.mark.parametrize(
    ("name", "case_id", "y", "raw"),
    [c for c in CASES if _REGISTRY[c.values[0]]().has_hessian],
)
def test_hessian_matches_finite_differences_of_gradient(name, case_id, y, raw):
    loss = get_loss(name)
    hess = loss.hessian(y, raw)
    columns = [None] if raw.ndim == 1 else range(raw.shape[1])
    for k in columns:
        fd = _central_difference(lambda z: loss.gradient(y, z), raw, k)
        got = hess if k is None else hess[:, :, k]
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-7, err_msg=name)


# ----------------------------------------------------------------- values
@pytest.mark.parametrize(("name", "case_id", "y", "raw"), CASES)
def test_loss_is_non_negative(name, case_id, y, raw):
    value = get_loss(name).loss(y, raw)
    assert np.all(value >= -1e-12), name


@pytest.mark.parametrize("name", loss_names(kind="regression"))
def test_loss_is_zero_at_a_perfect_prediction(name):
    loss = get_loss(name)
    y = _regression_y(loss, _rng(name, "perfect"), 20)
    y = y[y > 0] if loss.link == "log" else y  # log(mu) needs mu > 0
    raw = loss.link_function(y)
    np.testing.assert_allclose(loss.loss(y, raw), 0.0, atol=1e-12)
    np.testing.assert_allclose(loss.gradient(y, raw), 0.0, atol=1e-12)
    assert loss(y, y) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("name", "case_id", "y", "raw"), CASES)
def test_integer_sample_weight_equals_repeated_rows(name, case_id, y, raw):
    loss = get_loss(name)
    y_pred = _prediction(loss, raw)
    w = _rng(name, case_id, "w").integers(0, 4, size=len(y))
    w[0] = 2  # never all zero
    weighted = loss(y, y_pred, sample_weight=w)
    repeated = loss(np.repeat(y, w, axis=0), np.repeat(y_pred, w, axis=0))
    assert isinstance(weighted, float)
    assert weighted == pytest.approx(repeated, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize(("name", "case_id", "y", "raw"), CASES)
def test_float32_in_float32_out(name, case_id, y, raw):
    loss = get_loss(name)
    y32 = y.astype(np.float32) if y.dtype.kind == "f" else y
    raw32 = raw.astype(np.float32)
    assert loss.loss(y32, raw32).dtype == np.float32
    assert loss.gradient(y32, raw32).dtype == np.float32
    for part in loss.loss_gradient(y32, raw32):
        assert part.dtype == np.float32
    if loss.has_hessian:
        assert loss.hessian(y32, raw32).dtype == np.float32
    assert loss.inverse_link(raw32).dtype == np.float32


@pytest.mark.parametrize(("name", "case_id", "y", "raw"), CASES)
def test_inputs_are_not_modified(name, case_id, y, raw):
    loss = get_loss(name)
    y0, raw0 = y.copy(), raw.copy()
    loss.loss_gradient(y, raw)
    loss.loss(y, raw)
    if loss.has_hessian:
        loss.hessian(y, raw)
    loss(y, _prediction(loss, raw))
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(raw, raw0)


def _extreme_raw(raw):
    """Raw predictions of magnitude 1e4 of both signs, same shape as `raw`."""
    sign = np.where(np.arange(raw.size).reshape(raw.shape) % 2 == 0, 1.0, -1.0)
    return 1e4 * sign


@pytest.mark.parametrize(("name", "case_id", "y", "raw"), CASES)
def test_no_overflow_or_nan_at_large_raw_predictions(name, case_id, y, raw):
    """|raw| = 1e4: no RuntimeWarning, no NaN.

    Only log-link losses may return +inf: their exact value (``exp(1e4)``
    terms) is beyond the float range.
    """
    loss = get_loss(name)
    big = _extreme_raw(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parts = {"loss": loss.loss(y, big), "gradient": loss.gradient(y, big)}
        if loss.has_hessian:
            parts["hessian"] = loss.hessian(y, big)
        parts["inverse_link"] = np.asarray(loss.inverse_link(big), dtype=float)
    for what, values in parts.items():
        assert not np.any(np.isnan(values)), (name, what)
        if loss.link != "log":
            assert np.all(np.isfinite(values)), (name, what)
    assert np.all(parts["loss"] >= 0), name


def _tiny_probability_inputs(loss):
    """(y_true, y_pred) in prediction space with probabilities of 1e-300."""
    tiny = 1e-300
    if loss.kind == "regression":
        zero_ok = loss.y_true_domain.low < 0 or loss.y_true_domain.closed in (
            "both",
            "left",
        )
        y = np.array([0.0 if zero_ok else 0.5, 1.0, 3.0])
        return y, np.array([tiny, tiny, 1.0])
    if loss.kind == "distribution":
        y = np.array([[0.2, 0.8], [1.0, 0.0], [0.5, 0.5]])
        return y, np.array([[tiny, 1.0], [1.0, tiny], [0.5, 0.5]])
    return np.array([1, 0, 1, 0]), np.array([tiny, 1.0, 1.0, 0.5])


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in ALL
        if _REGISTRY[n].kind in ("probabilistic", "distribution")
        or _REGISTRY[n].link == "log"
    ],
)
def test_tiny_probabilities_through_the_metric_are_finite(name):
    loss = get_loss(name)
    metric = getattr(metrics_module, loss.metric_name)
    y, y_pred = _tiny_probability_inputs(loss)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        from_metric = metric(y, y_pred)
        from_call = loss(y, y_pred)
    assert isinstance(from_metric, float) and math.isfinite(from_metric), name
    assert from_metric >= 0
    assert from_call == pytest.approx(from_metric, rel=1e-12)


@pytest.mark.parametrize(("name", "case_id", "y", "raw"), CASES)
def test_metric_function_equals_loss_call(name, case_id, y, raw):
    loss = get_loss(name)
    metric = getattr(metrics_module, loss.metric_name)
    y_pred = _prediction(loss, raw)
    w = _rng(name, case_id, "mw").uniform(0.5, 2.0, size=len(y))
    assert metric(y, y_pred) == pytest.approx(loss(y, y_pred), rel=1e-12)
    assert metric(y, y_pred, sample_weight=w) == pytest.approx(
        loss(y, y_pred, sample_weight=w), rel=1e-12
    )


# ----------------------------------------------------- property-based tests
_FINITE = st.floats(-20, 20, allow_nan=False, allow_infinity=False)
CONVEX = [n for n in ALL if _REGISTRY[n]().is_convex and _REGISTRY[n].trainable]


def _one_target(loss, u):
    """A valid scalar target for `loss` from u in [0, 1]."""
    if loss.kind == "regression":
        dom = loss.y_true_domain
        if dom.low == -np.inf:
            return 10 * (u - 0.5)
        return 0.1 + 5 * u
    if loss.kind == "distribution":
        return u
    return float(u >= 0.5)


@pytest.mark.parametrize("name", CONVEX)
@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(a=_FINITE, b=_FINITE, t=st.floats(0, 1), u=st.floats(0, 1))
def test_convex_along_segments(name, a, b, t, u):
    """``l((1-t) a + t b) <= (1-t) l(a) + t l(b)`` for losses flagged convex."""
    loss = get_loss(name)
    y = np.array([_one_target(loss, u)])
    za, zb = np.array([a]), np.array([b])
    mid = loss.loss(y, (1 - t) * za + t * zb)[0]
    chord = (1 - t) * loss.loss(y, za)[0] + t * loss.loss(y, zb)[0]
    assert mid <= chord + 1e-9 * (1 + abs(chord))


IDENTITY_REGRESSION = [
    n
    for n in ALL
    if _REGISTRY[n].kind == "regression" and _REGISTRY[n].link == "identity"
]


@pytest.mark.parametrize("name", IDENTITY_REGRESSION)
@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(y=_FINITE, d1=st.floats(0, 50), d2=st.floats(0, 50))
def test_regression_loss_grows_with_the_residual(name, y, d1, d2):
    """Nondecreasing in |r| on each side of the target."""
    loss = get_loss(name)
    lo, hi = min(d1, d2), max(d1, d2)
    yy = np.array([y])
    for sign in (1.0, -1.0):
        near = loss.loss(yy, yy + sign * lo)[0]
        far = loss.loss(yy, yy + sign * hi)[0]
        assert near <= far + 1e-12 * (1 + abs(far))


TRAINABLE_1D = [n for n in ALL if _REGISTRY[n].trainable]


@pytest.mark.parametrize("name", TRAINABLE_1D)
@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(z=_FINITE, u=st.floats(0, 1))
def test_gradient_points_away_from_the_target(name, z, u):
    """Gradient sign on 1-D raw predictions: descent moves toward the target.

    regression: ``sign(grad) == sign(y_pred - y)`` (or 0); binary
    probabilistic and margin: ``(2y - 1) grad <= 0``; distribution (Bernoulli
    pairs): ``sign(grad) == sign(q - y)``.
    """
    loss = get_loss(name)
    y = np.array([_one_target(loss, u)])
    raw = np.array([z])
    g = loss.gradient(y, raw)[0]
    if loss.kind == "regression":
        assert g * (loss.inverse_link(raw)[0] - y[0]) >= 0
    elif loss.kind == "distribution":
        q = 1 / (1 + math.exp(-z))
        assert g * (q - y[0]) >= -1e-15
    else:
        assert (2 * y[0] - 1) * g <= 0


@pytest.mark.parametrize("name", [n for n in ALL if _REGISTRY[n]().get_params()])
def test_set_params_leaves_the_loss_unchanged_when_it_raises(name):
    # issue 12: set_params kept the value it had just rejected
    cls = _REGISTRY[name]
    for param, default in cls().get_params().items():
        for bad in _bad_values(default):
            loss = cls()
            before = loss.get_params()
            with pytest.raises(ValueError, match=param):
                loss.set_params(**{param: bad})
            assert loss.get_params() == before
    loss = cls()
    before = loss.get_params()
    with pytest.raises(ValueError, match="no_such_parameter"):
        loss.set_params(no_such_parameter=1)
    assert loss.get_params() == before
