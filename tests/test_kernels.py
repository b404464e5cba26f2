"""The compiled formulas (``sklloss._kernels``) and the compiled fused pass.

Each compiled loss is checked against an independent reference (scipy's
log-sigmoid and ``scipy.special.huber``, closed-form derivatives), against
finite differences, and the fused pass against a loop over the rows written
here in NumPy, for both dtypes, both orders (C: the row sweep, F: the column
sweep), with and without intercept and weights, at one and two threads; X's
other layouts (CSC, strided views) take the generic path and must give the
same sums. CSR has its own compiled sweep (tests/test_kernels_sparse.py).
"""

import numpy as np
import pytest
from scipy import sparse
from scipy.special import expit, huber, log_expit, log_softmax, softmax, xlogy

from sklloss import LossClassifier, LossRegressor, _kernels
from sklloss._kernels import KINDS, NEEDS_LOG_Y, fused_rows
from sklloss.linear_model import _objective
from sklloss.linear_model._objective import LinearObjective
from sklloss.losses import (
    Huber,
    LogLoss,
    Poisson,
    SmoothL1,
    SquaredError,
    SquaredHinge,
)


def _ref_log_loss(y, z):
    return (
        -(y * log_expit(z) + (1 - y) * log_expit(-z)),
        expit(z) - y,
        expit(z) * expit(-z),
    )


def _ref_huber(delta):
    def ref(y, z):
        r = z - y
        return huber(delta, r), np.clip(r, -delta, delta), 1.0 * (abs(r) <= delta)

    return ref


def _ref_smooth_l1(beta):
    # PyTorch's SmoothL1Loss: 0.5 r^2 / beta if |r| < beta else |r| - 0.5 beta
    def ref(y, z):
        r = z - y
        inside = np.abs(r) < beta
        value = np.where(inside, 0.5 * r * r / beta, np.abs(r) - 0.5 * beta)
        return value, np.clip(r / beta, -1, 1), inside / beta

    return ref


def _ref_squared_error(y, z):
    return (y - z) ** 2, 2 * (z - y), np.full_like(z, 2.0)


def _ref_squared_hinge(y, z):
    # LinearSVC's loss of the margin m = (2 y - 1) z, y in {0, 1}
    sign = 2 * y - 1
    gap = np.maximum(0, 1 - sign * z)
    return gap**2, -2 * gap * sign, 2.0 * (sign * z < 1)


def _ref_poisson(y, z):
    # the unit deviance 2 (y log(y / mu) - y + mu), mu = e^z (scipy's xlogy)
    mu = np.exp(z)
    return 2 * (xlogy(y, y) - y * z - y + mu), 2 * (mu - y), 2 * mu


CASES = {
    "log_loss": (LogLoss(), _ref_log_loss),
    "huber": (Huber(delta=1.3), _ref_huber(1.3)),
    "squared_error": (SquaredError(), _ref_squared_error),
    "squared_hinge": (SquaredHinge(), _ref_squared_hinge),
    "poisson": (Poisson(), _ref_poisson),
    "smooth_l1": (SmoothL1(beta=0.7), _ref_smooth_l1(0.7)),
}
LABELS = ("log_loss", "squared_hinge")  # 1-D raw prediction; 2-D is multiclass


def _targets(name, n, rng):
    if name == "squared_hinge":
        return rng.integers(0, 2, size=n).astype(float)
    if name == "poisson":
        return rng.poisson(2.0, size=n).astype(float)
    if name == "log_loss":
        hard = rng.integers(0, 2, size=n).astype(float)
        soft = rng.uniform(0, 1, size=n)
        return np.where(rng.random(n) < 0.5, hard, soft)
    return rng.standard_normal(n) * 3


@pytest.mark.parametrize("name", sorted(CASES))
def test_elementwise_matches_the_references(name):
    loss, ref = CASES[name]
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.standard_normal(500) * 5, [-1e4, -40.0, 0.0, 40.0, 1e4]])
    if name == "poisson":  # e^z: keep mu finite for the reference
        z = z[np.abs(z) <= 40]
    y = _targets(name, len(z), rng)
    value, grad = loss.loss_gradient(y, z)
    r_value, r_grad, r_hess = ref(y, z)
    np.testing.assert_allclose(value, r_value, rtol=1e-13, atol=1e-300)
    # sigma(z) - y: the reference itself cancels to ~eps absolute near y
    np.testing.assert_allclose(grad, r_grad, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(loss.hessian(y, z), r_hess, rtol=1e-13, atol=1e-300)
    np.testing.assert_array_equal(loss.loss(y, z), value)
    np.testing.assert_array_equal(loss.gradient(y, z), grad)


@pytest.mark.parametrize("name", sorted(CASES))
def test_elementwise_derivatives_are_the_finite_differences(name):
    loss, _ = CASES[name]
    rng = np.random.default_rng(1)
    z = rng.standard_normal(300) * 3
    y = _targets(name, len(z), rng)
    h = 1e-6
    fd = (loss.loss(y, z + h) - loss.loss(y, z - h)) / (2 * h)
    np.testing.assert_allclose(loss.gradient(y, z), fd, atol=1e-7)
    if name not in ("huber", "smooth_l1"):  # the second derivative jumps
        fd2 = (loss.gradient(y, z + h) - loss.gradient(y, z - h)) / (2 * h)
        np.testing.assert_allclose(loss.hessian(y, z), fd2, atol=1e-7)


def test_log_loss_value_is_accurate_far_out():
    # y = 1 at z = 40: the loss is e^-40 (relative accuracy, no cancellation)
    value = LogLoss().loss(np.array([1.0, 0.0]), np.array([40.0, -40.0]))
    np.testing.assert_allclose(value, np.exp(-40.0), rtol=1e-15)


@pytest.mark.parametrize("name", sorted(CASES))
def test_elementwise_dtypes_shapes_and_inputs(name):
    loss, ref = CASES[name]
    rng = np.random.default_rng(2)
    shape = (40,) if name in LABELS else (20, 2)
    y = _targets(name, 40, rng).reshape(shape)
    z = (rng.standard_normal(40) * 3).reshape(shape)
    y.flags.writeable = False  # read-only input is accepted, never written
    z32 = z.astype(np.float32)
    value, grad = loss.loss_gradient(y.astype(np.float32), z32)
    assert value.dtype == grad.dtype == np.float32  # float32 stays float32
    assert value.shape == grad.shape == shape
    np.testing.assert_allclose(value, ref(y, z32.astype(float))[0], rtol=1e-6)
    # F order and strided views give the same values
    zf = np.asfortranarray(z)
    np.testing.assert_array_equal(loss.loss(y, zf), loss.loss(y, z))
    np.testing.assert_array_equal(loss.loss(y[::2], z[::2]), loss.loss(y, z)[::2])
    # NaN stays NaN in the value and the gradient
    v, g = loss.loss_gradient(np.array([0.0]), np.array([np.nan]))
    assert np.isnan(v[0]) and np.isnan(g[0])
    assert loss.loss(np.array([]), np.array([])).shape == (0,)


def _numpy_sums(X, y, s, w, b, name):
    """The fused pass's sums, written as a plain NumPy pass in float64."""
    _, ref = CASES[name]
    z = X.astype(np.float64) @ w + b
    value, grad, _ = ref(y, z)
    return float(s @ value), X.astype(np.float64).T @ (s * grad), float(s @ grad)


def _weights(kind, n, rng):
    """Row weights: random, or equal (the objective keeps them as one number)."""
    if kind == "equal":
        return np.full(n, 0.7)
    return rng.uniform(0, 2, size=n)


@pytest.mark.parametrize("weights", ["random", "equal"])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("p", [3, 70])  # the 4-row sweep and the wide-row sweep
@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_pass_matches_a_numpy_pass(
    monkeypatch, name, p, order, dtype, fit_intercept, threads, weights
):
    monkeypatch.setattr(_objective, "_COMPILED_MIN_ROWS", 500)
    rng = np.random.default_rng(3)
    n = 2003  # not a multiple of 4, of the workers or of the F blocks
    X = np.asarray(rng.standard_normal((n, p)), dtype=dtype, order=order)
    X_before = X.copy()
    y = _targets(name, n, rng)
    sw = _weights(weights, n, rng)
    loss = CASES[name][0]
    obj = LinearObjective(X, y, sw, loss, fit_intercept=fit_intercept)
    # equal weights: one number of stride 0, no n-vector
    assert (obj.sample_weight.strides == (0,)) == (weights == "equal")
    obj = obj.configured(keep_raw=False, n_threads=threads)
    assert obj._kernel() is not None
    assert obj._fused_workers() == threads
    W = rng.standard_normal((1, p)) * 0.3
    b = np.array([0.4])
    value, grad_W, grad_b = obj._data_loss_gradient(W, b)
    s = obj.sample_weight
    r_value, r_grad, r_gb = _numpy_sums(X, y, s, W[0], b[0] * fit_intercept, name)
    assert value == pytest.approx(r_value, rel=1e-12)
    np.testing.assert_allclose(grad_W[0], r_grad, rtol=1e-10, atol=1e-14)
    assert grad_b[0] == pytest.approx(r_gb, rel=1e-10, abs=1e-14)
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_gradient_is_the_finite_difference(name):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((300, 5))
    y = _targets(name, 300, rng)
    w, b, h = rng.standard_normal(5), 0.2, 1e-6
    s = np.full(300, 1 / 300)
    kind, param = CASES[name][0]._kernel_params()
    log_y = np.log(np.where(y > 0, y, 1.0)) if kind in NEEDS_LOG_Y else None

    def fused_rows(kind, param, X, y, s, w, b, lo, hi):
        return _kernels.fused_rows(kind, param, X, y, s, w, b, lo, hi, log_y)

    _, grad, gb = fused_rows(kind, param, X, y, s, w, b, 0, 300)
    for j in range(5):
        e = np.zeros(5)
        e[j] = h
        up = fused_rows(kind, param, X, y, s, w + e, b, 0, 300)[0]
        down = fused_rows(kind, param, X, y, s, w - e, b, 0, 300)[0]
        assert grad[j] == pytest.approx((up - down) / (2 * h), abs=1e-7)
    up = fused_rows(kind, param, X, y, s, w, b + h, 0, 300)[0]
    down = fused_rows(kind, param, X, y, s, w, b - h, 0, 300)[0]
    assert gb == pytest.approx((up - down) / (2 * h), abs=1e-7)


@pytest.mark.parametrize("layout", ["csc", "rows-strided", "columns-strided"])
def test_other_layouts_take_the_generic_path_with_the_same_sums(layout):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3000, 6))
    y = _targets("log_loss", 3000, rng)
    W, b = rng.standard_normal((1, 6)), np.array([0.1])
    compiled = LinearObjective(X, y, np.ones(3000), LogLoss()).configured(
        keep_raw=False, n_threads=1
    )
    assert compiled._kernel() is not None
    wide = np.repeat(X, 2, axis=1)  # every other column is X's
    other = {
        "csc": sparse.csc_matrix(X),
        "rows-strided": np.repeat(X, 2, axis=0)[::2],
        "columns-strided": np.asfortranarray(wide)[:, ::2],
    }[layout]
    assert sparse.issparse(other) or not (
        other.flags.c_contiguous or other.flags.f_contiguous
    )
    generic = LinearObjective(other, y, np.ones(3000), LogLoss()).configured(
        keep_raw=False, n_threads=1
    )
    assert generic._kernel() is None
    a, b_ = compiled._data_loss_gradient(W, b), generic._data_loss_gradient(W, b)
    assert a[0] == pytest.approx(b_[0], rel=1e-13)
    np.testing.assert_allclose(a[1], b_[1], rtol=1e-11)


@pytest.mark.parametrize("block", [0, 64, 192, 1024], ids=lambda b: f"block{b}")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", [*sorted(CASES), "softmax"])
def test_the_column_sweep_gives_the_row_sweeps_sums(name, dtype, block):
    # Same data in C and F order: the F sweep sums the value per SUM_BLOCK
    # rows from lo as the C sweep does, so only the rounding of the raw
    # prediction differs; rows lo:hi cut through blocks at both ends.
    rng = np.random.default_rng(11)
    n, p, lo, hi = 5000, 37, 301, 4733
    X = rng.standard_normal((n, p)).astype(dtype)
    XF = np.asfortranarray(X)
    XF_before = XF.copy(order="K")
    s = rng.uniform(0, 2, size=n)
    if name == "softmax":
        y = rng.integers(0, 4, size=n).astype(float)
        W, b = rng.standard_normal((4, p)) * 0.3, rng.standard_normal(4)
        c_sums = _kernels.fused_rows_softmax(X, y, s, W, b, lo, hi)
        f_sums = _kernels.fused_rows_softmax(XF, y, s, W, b, lo, hi, block=block)
    else:
        y = _targets(name, n, rng)
        w = rng.standard_normal(p) * 0.3 / np.sqrt(p)
        kind, param = CASES[name][0]._kernel_params()
        log_y = np.log(np.where(y > 0, y, 1.0)) if kind in NEEDS_LOG_Y else None
        args = (kind, param, X, y, s, w, 0.2, lo, hi, log_y)
        c_sums = _kernels.fused_rows(*args)
        f_sums = _kernels.fused_rows(*args[:2], XF, *args[3:], block=block)
    assert f_sums[0] == pytest.approx(c_sums[0], rel=2e-15)
    for c_part, f_part in zip(c_sums[1:], f_sums[1:], strict=True):
        scale = np.max(np.abs(c_part))
        np.testing.assert_allclose(f_part, c_part, rtol=0, atol=1e-14 * scale)
    np.testing.assert_array_equal(XF, XF_before)
    assert XF.flags.f_contiguous


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("softmax", [False, True], ids=["binary", "softmax"])
def test_the_column_sweep_allocates_no_copy_of_x(softmax, dtype):
    # An evaluation on an F-ordered X allocates its outputs, a few per-row
    # arrays (the softmax's label check: n floats, a 40th of X) and a block
    # buffer, never a (C-ordered or float64) copy of X (NumPy reports its
    # allocations to tracemalloc; the block buffer is below 0.1 MB).
    import tracemalloc

    rng = np.random.default_rng(13)
    n, p, K = 100_000, 40, 3 if softmax else 1
    X = np.asfortranarray(rng.standard_normal((n, p)).astype(dtype))
    y = rng.integers(0, K if softmax else 2, size=n)
    obj = LinearObjective(
        X, y, np.ones(n), LogLoss(), n_outputs=K, softmax=softmax
    ).configured(keep_raw=False, n_threads=1)
    obj._data_loss_gradient(np.zeros((K, p)), np.zeros(K))  # targets cached
    assert obj._kernel() is not None
    tracemalloc.start()
    try:
        obj._data_loss_gradient(np.ones((K, p)) * 0.1, np.zeros(K))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.2 * X.nbytes


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("p", [0, 3, 37, 130], ids=lambda p: f"p{p}")
def test_fused_rows_writes_the_raw_prediction_of_its_rows(p, order, dtype):
    # raw[lo:hi] receives x_i . w + b (the product written out in float64
    # here), the rows outside lo:hi are left alone, and the sums are those
    # of the sweep without the output. lo:hi leaves 1-3 rows after the
    # groups of four and two rows of the C sweep.
    rng = np.random.default_rng(17)
    n, lo, hi = 1200, 5, 1183
    X = np.asarray(rng.standard_normal((n, p)).astype(dtype), order=order)
    y, s = rng.standard_normal(n), rng.uniform(0, 2, size=n)
    w = rng.standard_normal(p)
    args = (KINDS["huber"], 1.0, X, y, s, w, 0.3, lo, hi)
    raw = np.full(n, 7.0)
    sums = fused_rows(*args, raw=raw)
    expected = X.astype(np.float64) @ w + 0.3
    np.testing.assert_allclose(raw[lo:hi], expected[lo:hi], rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(raw[:lo], 7.0)
    np.testing.assert_array_equal(raw[hi:], 7.0)
    plain = fused_rows(*args)
    assert sums[0] == plain[0] and sums[2] == plain[2]
    np.testing.assert_array_equal(sums[1], plain[1])
    with pytest.raises(ValueError, match="raw of length"):
        fused_rows(*args, raw=np.empty(n - 1))


def _strided(kind, s):
    """``s``'s values in a layout other than contiguous (a fresh array)."""
    if kind == "every-other":
        out = np.zeros(2 * len(s))
        out[::2] = s
        return out[::2]
    if kind == "reversed":
        return np.ascontiguousarray(s[::-1])[::-1]
    return np.broadcast_to(s[0], s.shape)  # "equal": stride 0


@pytest.mark.parametrize("layout", ["equal", "every-other", "reversed"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("p", [3, 70])
def test_fused_rows_read_weights_of_any_stride(p, order, layout):
    # the weights as one number (stride 0), a view of every other entry, a
    # reversed view: the sums of the NumPy pass written above
    rng = np.random.default_rng(12)
    n = 1003
    X = np.asarray(rng.standard_normal((n, p)), order=order)
    y = _targets("log_loss", n, rng)
    s = rng.uniform(0, 2, size=n) if layout != "equal" else np.full(n, 0.3)
    view = _strided(layout, s)
    assert not view.flags.c_contiguous
    w = rng.standard_normal(p) * 0.3
    value, grad_w, grad_b = fused_rows(KINDS["log_loss"], 0.0, X, y, view, w, 0.2, 0, n)
    r_value, r_grad, r_gb = _numpy_sums(X, y, s, w, 0.2, "log_loss")
    assert value == pytest.approx(r_value, rel=1e-12)
    np.testing.assert_allclose(grad_w, r_grad, rtol=1e-10, atol=1e-14)
    assert grad_b == pytest.approx(r_gb, rel=1e-10)
    K = 3
    labels = rng.integers(0, K, size=n).astype(float)
    W = rng.standard_normal((K, p)) * 0.3
    b = rng.standard_normal(K)
    value, grad_W, grad_b = _kernels.fused_rows_softmax(X, labels, view, W, b, 0, n)
    r_value, r_grad = _ref_softmax(labels.astype(int), X @ W.T + b)
    assert value == pytest.approx(float(s @ r_value), rel=1e-12)
    np.testing.assert_allclose(grad_W, (s[:, None] * r_grad).T @ X, rtol=1e-10)
    np.testing.assert_allclose(grad_b, s @ r_grad, rtol=1e-10, atol=1e-14)


def test_fused_rows_refuses_what_it_cannot_sweep():
    X = np.ones((4, 2))
    y = s = np.ones(4)
    for other in (np.ones((4, 4))[:, ::2], X.astype(np.float16)):
        with pytest.raises(ValueError, match="C- or F-contiguous"):
            fused_rows(KINDS["huber"], 1.0, other, y, s, np.ones(2), 0, 0, 4)
    with pytest.raises(ValueError, match="do not match"):
        fused_rows(KINDS["huber"], 1.0, X, y, s, np.ones(3), 0, 0, 4)
    with pytest.raises(ValueError, match="do not match"):
        fused_rows(KINDS["huber"], 1.0, X, y, s, np.ones(2), 0, 0, 5)


@pytest.mark.parametrize(
    "Est, loss, make_y",
    [
        (LossClassifier, "log_loss", lambda z, rng: rng.random(len(z)) < expit(z)),
        (LossRegressor, "huber", lambda z, rng: z + rng.standard_t(2, len(z))),
    ],
)
def test_fits_take_the_compiled_pass_and_agree_with_the_generic_one(
    monkeypatch, Est, loss, make_y
):
    calls = []

    def spy(*args, **kw):
        calls.append(args[7:9])
        return fused_rows(*args, **kw)

    monkeypatch.setattr(_objective, "fused_rows", spy)
    monkeypatch.setattr(_objective, "_COMPILED_MIN_ROWS", 1000)
    rng = np.random.default_rng(6)
    X = rng.standard_normal((4000, 5)).astype(np.float32)
    y = make_y(X @ rng.standard_normal(5), rng)
    kwargs = dict(loss=loss, solver="lbfgs", tol=1e-10)
    if Est is LossRegressor:
        kwargs["scale"] = 1.0
    compiled = Est(**kwargs).fit(X, y)
    assert calls  # the fit's evaluations ran the compiled sweep
    monkeypatch.setattr(_objective, "COMPILED_PASSES", False)
    n_calls = len(calls)
    generic = Est(**kwargs).fit(X, y)
    assert len(calls) == n_calls
    np.testing.assert_allclose(compiled.coef_, generic.coef_, rtol=1e-6, atol=1e-8)
    assert compiled.coef_.dtype == np.float32  # float32 X: float32 coefficients


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", ["log_loss", "multinomial", "huber"])
def test_a_fit_on_f_ordered_x_takes_the_column_sweep(monkeypatch, loss, dtype):
    # the F-ordered copy of X is swept by columns (spy), never copied, and
    # the fit ends at the coefficients of the fit on the C-ordered X
    layouts = []

    def spy(entry):
        def call(*args, **kwargs):
            X = args[2] if entry is fused_rows else args[0]
            layouts.append("F" if not X.flags.c_contiguous else "C")
            return entry(*args, **kwargs)

        return call

    monkeypatch.setattr(_objective, "fused_rows", spy(fused_rows))
    monkeypatch.setattr(
        _objective, "fused_rows_softmax", spy(_kernels.fused_rows_softmax)
    )
    monkeypatch.setattr(_objective, "_COMPILED_MIN_ROWS", 1000)
    rng = np.random.default_rng(12)
    X = (rng.standard_normal((4000, 6)) * [1, 2, 3, 0.5, 1, 4]).astype(dtype)
    z = X @ rng.standard_normal(6) / 3
    if loss == "huber":
        Est, y, kwargs = LossRegressor, z + rng.standard_t(2, 4000), {"scale": 1.0}
    elif loss == "multinomial":
        Est, y, kwargs = LossClassifier, np.digitize(z, [-0.5, 0.5]), {}
        loss = "log_loss"
    else:
        Est, y, kwargs = LossClassifier, rng.random(4000) < expit(z), {}
    kwargs.update(loss=loss, solver="lbfgs", tol=1e-10)
    XF = np.asfortranarray(X)
    XF_before = XF.copy(order="K")
    by_rows = Est(**kwargs).fit(X, y)
    assert set(layouts) == {"C"}
    del layouts[:]
    by_columns = Est(**kwargs).fit(XF, y)
    assert set(layouts) == {"F"}
    np.testing.assert_array_equal(XF, XF_before)
    rtol = 1e-12 if dtype == np.float64 else 1e-6
    # relative to the largest coefficient: a small one (0.013 beside 9.7)
    # differs in its 12th digit when the sums' rounding moves the path
    atol = rtol * np.max(np.abs(by_rows.coef_))
    np.testing.assert_allclose(by_columns.coef_, by_rows.coef_, rtol=rtol, atol=atol)
    np.testing.assert_allclose(by_columns.intercept_, by_rows.intercept_, rtol=rtol)


def test_a_subclass_that_redefines_the_formula_loses_the_kernel():
    from sklloss.linear_model._passes import compiled_kernel

    class Cubed(SquaredHinge):
        def _phi(self, m):
            return np.maximum(0, 1 - m) ** 3

    class Doubled(Huber):
        def loss(self, y_true, raw_prediction):
            return 2 * super().loss(y_true, raw_prediction)

    assert compiled_kernel(Cubed()) is None
    assert compiled_kernel(Doubled()) is None
    assert compiled_kernel(type("Same", (Huber,), {})(delta=2.0)) == (
        KINDS["huber"],
        2.0,
    )


# ------------------------------------------------------------------ softmax
def _ref_softmax(y, Z):
    """scipy's log_softmax and softmax: loss and gradient of integer labels."""
    rows = np.arange(len(y))
    onehot = np.zeros_like(Z)
    onehot[rows, y] = 1
    return -log_softmax(Z, axis=1)[rows, y], softmax(Z, axis=1) - onehot


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_elementwise_matches_scipy(dtype, order):
    rng = np.random.default_rng(7)
    Z = rng.standard_normal((400, 4)) * 5
    Z[:4] = [[1e4, 0, -1e4, 3], [-1e4, -1e4, -1e4, -1e4], [0, 0, 0, 0], [40, -40, 1, 2]]
    y = rng.integers(0, 4, size=400)
    Zd = np.asarray(Z, dtype=dtype, order=order)
    value, grad = LogLoss().loss_gradient(y, Zd)
    r_value, r_grad = _ref_softmax(y, Zd.astype(np.float64))
    rtol = 1e-13 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(value, r_value, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(grad, r_grad, rtol=rtol, atol=1e-12)
    assert value.dtype == grad.dtype == dtype
    assert grad.flags.f_contiguous == (order == "F")  # the raw prediction's layout
    np.testing.assert_array_equal(LogLoss().loss(y, Zd), value)


def test_softmax_elementwise_refuses_labels_out_of_range():
    with pytest.raises(ValueError, match=r"labels in 0\.\.2"):
        LogLoss().loss_gradient(np.array([0, 3]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"labels in 0\.\.2"):
        LogLoss().loss_gradient(np.array([-1, 0]), np.zeros((2, 3)))


@pytest.mark.parametrize("weights", ["random", "equal"])
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("p", [3, 70])
def test_compiled_softmax_pass_matches_a_numpy_pass(
    monkeypatch, p, order, dtype, fit_intercept, threads, weights
):
    monkeypatch.setattr(_objective, "_COMPILED_MIN_ROWS", 500)
    rng = np.random.default_rng(8)
    n, K = 2003, 3
    X = np.asarray(rng.standard_normal((n, p)), dtype=dtype, order=order)
    y = rng.integers(0, K, size=n)
    sw = _weights(weights, n, rng)
    obj = LinearObjective(
        X, y, sw, LogLoss(), n_outputs=K, softmax=True, fit_intercept=fit_intercept
    ).configured(keep_raw=False, n_threads=threads)
    assert obj._kernel() is not None
    assert obj._fused_workers() == threads
    W = rng.standard_normal((K, p)) * 0.3
    b = rng.standard_normal(K) * fit_intercept
    value, grad_W, grad_b = obj._data_loss_gradient(W, b)
    s = obj.sample_weight
    r_value, r_grad = _ref_softmax(y, X.astype(np.float64) @ W.T + b)
    assert value == pytest.approx(float(s @ r_value), rel=1e-12)
    sg = s[:, None] * r_grad
    np.testing.assert_allclose(grad_W, sg.T @ X.astype(np.float64), rtol=1e-10)
    np.testing.assert_allclose(grad_b, sg.sum(axis=0), rtol=1e-10, atol=1e-14)


def test_compiled_softmax_gradient_is_the_finite_difference():
    from sklloss._kernels import fused_rows_softmax

    rng = np.random.default_rng(9)
    X = rng.standard_normal((300, 4))
    y = rng.integers(0, 3, size=300).astype(float)
    s = np.full(300, 1 / 300)
    W, b, h = rng.standard_normal((3, 4)), rng.standard_normal(3), 1e-6
    _, grad, gb = fused_rows_softmax(X, y, s, W, b, 0, 300)
    for k in range(3):
        for j in range(4):
            E = np.zeros((3, 4))
            E[k, j] = h
            up = fused_rows_softmax(X, y, s, W + E, b, 0, 300)[0]
            down = fused_rows_softmax(X, y, s, W - E, b, 0, 300)[0]
            assert grad[k, j] == pytest.approx((up - down) / (2 * h), abs=1e-7)
        e = np.zeros(3)
        e[k] = h
        up = fused_rows_softmax(X, y, s, W, b + e, 0, 300)[0]
        down = fused_rows_softmax(X, y, s, W, b - e, 0, 300)[0]
        assert gb[k] == pytest.approx((up - down) / (2 * h), abs=1e-7)
    with pytest.raises(ValueError, match="labels"):
        fused_rows_softmax(X, y + 0.5, s, W, b, 0, 300)


@pytest.mark.parametrize("name", ["poisson", "log_loss"])
def test_compiled_value_is_the_correctly_rounded_sum(name):
    # Sums over many rows lose digits when formed one row after another
    # (4e-15 relative at 1e5 rows stalled a line search); the compiled pass
    # must match math.fsum of the per-row terms to the last bits.
    import math

    rng = np.random.default_rng(10)
    n = 200_000
    X = rng.standard_normal((n, 3))
    w = rng.standard_normal(3) * 0.3
    y = _targets(name, n, rng)
    s = np.full(n, 1 / n)
    kind, param = CASES[name][0]._kernel_params()
    log_y = np.log(np.where(y > 0, y, 1.0)) if kind in NEEDS_LOG_Y else None
    value = _kernels.fused_rows(kind, param, X, y, s, w, 0.1, 0, n, log_y)[0]
    exact = math.fsum(s * CASES[name][1](y, X @ w + 0.1)[0])
    assert value == pytest.approx(exact, rel=5e-16)
