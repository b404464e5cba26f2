"""Hypothesis fuzz of every public metric: the three-state contract of issue 12.

For every name in ``sklloss.metrics.__all__`` a metric call ends in one of:

* a finite Python float equal to a reference computed here in 50-digit
  decimal arithmetic (``decimal``, exponent range 1e±1000000: nothing
  overflows), the weighted mean taken exactly;
* ``inf`` with a :class:`~sklloss._validation.MetricOverflowWarning`, only
  where that reference is beyond the float64 range (or, the one documented
  limitation, a single sample's loss is, whatever its weight);
* a ``ValueError`` naming the argument, for invalid input.

Never another exception type, never NaN, never a NumPy RuntimeWarning, never
a mutated input. Valid inputs are drawn as float64 values in the metric's
domain (zeros, negative zero, 1e-300, subnormals, 1e300, 1.5e308 and ordinary
numbers), then cast to a dtype (int8..uint64, float16/32, bool, object) only
where the cast is exact, and put in a container (list, tuple, C / Fortran /
strided ndarray, pandas Series / DataFrame); weights span 1e-300..1e300.

Setting ``SKLLOSS_FUZZ_TALLY=<file>`` records every outcome in that file
instead of failing at the first bad one (used to count failures for the
issue's report).
"""

import datetime
import decimal
import inspect
import json
import os
import warnings
from decimal import Decimal as D

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sklloss._validation as validation
import sklloss.metrics as M

OVERFLOW_WARNING = getattr(validation, "MetricOverflowWarning", RuntimeWarning)
FMAX = D(float(np.finfo(np.float64).max))
CTX = decimal.Context(prec=50, Emax=10**6, Emin=-(10**6))
# floats from 1e-308 to 1e308 hold at most ~770 significant decimal digits:
# a difference of two of them at 2000 digits is exact
EXACT = decimal.Context(prec=2000, Emax=10**6, Emin=-(10**6))
TALLY = os.environ.get("SKLLOSS_FUZZ_TALLY")
SETTINGS = settings(
    max_examples=int(os.environ.get("SKLLOSS_FUZZ_EXAMPLES", 25)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=TALLY is None,  # CI runs the same cases every time
    database=None,  # no example replayed from an earlier run or branch
)
ZERO, ONE, TWO = D(0), D(1), D(2)


# ------------------------------------------------------------ references
def _ln(x):
    return x.ln(CTX)


def _exp(x):
    return x.exp(CTX)


def _rel_entr(a, b):
    """a log(a / b), 0 at a = 0 (scipy's rel_entr)."""
    return ZERO if a == 0 else a * _ln(a / b)


def _huber(r, delta):
    a = abs(r)
    return r * r / 2 if a <= delta else delta * (a - delta / 2)


def _smooth_l1(r, beta):
    a = abs(r)
    return r * r / (2 * beta) if a < beta else a - beta / 2


def _pinball(r, q):
    return q * r if r >= 0 else (q - 1) * r


def _log_cosh(r):
    a = abs(r)
    return a + _ln(1 + _exp(-2 * a)) - _ln(TWO)


def _tukey(r, c):
    # 1 - (1 - u^2)^3 expanded: at 50 digits 1 - 1e-400 would round to 1
    u2 = (r / c) ** 2
    return c * c / 6 * u2 * (3 - 3 * u2 + u2 * u2) if u2 <= 1 else c * c / 6


def _log1p(x):
    # ln(1 + x) rounds 1 + x to 50 digits: the series below x = 1e-20
    return x - x * x / 2 if x < D("1e-20") else _ln(1 + x)


def _tweedie(y, mu, p):
    """(value, scale): scale, the sum of the magnitudes of the terms, bounds the
    rounding error of any float evaluation of the three-term formula."""
    if p == 0:
        return (y - mu) ** 2, (y - mu) ** 2
    if p == 1:
        t = y * _ln(y / mu) if y > 0 else ZERO
        return 2 * (t - y + mu), 2 * (abs(t) + y + mu)
    if p == 2:
        t = _ln(mu / y)
        return 2 * (t + y / mu - 1), 2 * (abs(t) + y / mu + 1)
    a, b = 1 - p, 2 - p
    first = max(y, ZERO) ** b / (a * b) if y > 0 else ZERO
    terms = [first, -y * _pow(mu, a) / a, _pow(mu, b) / b]
    return 2 * sum(terms), 2 * sum(abs(t) for t in terms)


def _pow(x, e):
    return CTX.power(x, e)


def _value(v):
    return v, abs(v)


def _sub(a, b):
    """a - b exactly (the residual, and |r| - epsilon, cancel at 50 digits)."""
    return EXACT.subtract(a, b)


def _eps_ins(y, p, kw):
    # copy_abs: abs() would round to the context's 50 digits
    return max(ZERO, _sub(_sub(y, p).copy_abs(), D(kw["epsilon"])))


def _eps_ins_scale(y, p, kw, power):
    # |y - p| - epsilon cancels: a float evaluation is off by eps (|r| + epsilon)
    v = _eps_ins(y, p, kw)
    bound = abs(y - p) + D(kw["epsilon"])
    return v**power, bound**power


REGRESSION_REFS = {
    "mean_squared_error": lambda y, p, kw: _value((y - p) ** 2),
    "root_mean_squared_error": lambda y, p, kw: _value((y - p) ** 2),
    "mean_absolute_error": lambda y, p, kw: _value(abs(y - p)),
    "mean_huber_loss": lambda y, p, kw: _value(_huber(y - p, D(kw["delta"]))),
    "mean_smooth_l1_loss": lambda y, p, kw: _value(_smooth_l1(y - p, D(kw["beta"]))),
    "mean_pinball_loss": lambda y, p, kw: _value(_pinball(y - p, D(kw["quantile"]))),
    # |r| + log1p(e^{-2|r|}) - log 2 is computed as written: absolute error eps
    "mean_log_cosh_loss": lambda y, p, kw: (_log_cosh(y - p), _log_cosh(y - p) + 1),
    "mean_epsilon_insensitive_loss": lambda y, p, kw: _eps_ins_scale(y, p, kw, 1),
    "mean_squared_epsilon_insensitive_loss": lambda y, p, kw: _eps_ins_scale(
        y, p, kw, 2
    ),
    "mean_poisson_deviance": lambda y, p, kw: _tweedie(y, p, 1),
    "mean_gamma_deviance": lambda y, p, kw: _tweedie(y, p, 2),
    "mean_tweedie_deviance": lambda y, p, kw: _tweedie(y, p, D(kw["power"])),
    "mean_cauchy_loss": lambda y, p, kw: _value(
        D(kw["c"]) ** 2 / 2 * _log1p(((y - p) / D(kw["c"])) ** 2)
    ),
    "mean_tukey_biweight_loss": lambda y, p, kw: _value(_tukey(y - p, D(kw["c"]))),
}

# (domain of y_true, domain of y_pred, hyper-parameter strategies)
REGRESSION_SPECS = {
    "mean_squared_error": ("real", "real", {}),
    "root_mean_squared_error": ("real", "real", {}),
    "mean_absolute_error": ("real", "real", {}),
    "mean_huber_loss": ("real", "real", {"delta": [1.0, 1e-300, 0.5, 1e300]}),
    "mean_smooth_l1_loss": ("real", "real", {"beta": [1.0, 1e-300, 2.0, 1e300]}),
    "mean_pinball_loss": ("real", "real", {"quantile": [0.5, 0.1, 0.93]}),
    "mean_log_cosh_loss": ("real", "real", {}),
    "mean_epsilon_insensitive_loss": ("real", "real", {"epsilon": [0.0, 1.0, 1e300]}),
    "mean_squared_epsilon_insensitive_loss": (
        "real",
        "real",
        {"epsilon": [0.0, 1.0, 1e300]},
    ),
    "mean_poisson_deviance": ("nonneg", "pos", {}),
    "mean_gamma_deviance": ("pos", "pos", {}),
    "mean_tweedie_deviance": ("tweedie", "pos", {"power": [0.0, -1.0, 1.5, 3.0]}),
    "mean_cauchy_loss": ("real", "real", {"c": [2.3849, 1e-10, 1e200]}),
    "mean_tukey_biweight_loss": ("real", "real", {"c": [4.685, 1e-10, 1e200]}),
}

SPECIAL = [0.0, -0.0, 1.0, 5e-324, 1e-310, 1e-300, 1e-10, 0.5, 3.0, 1e10, 1e300]
SPECIAL += [1.5e308, 1e154, 7.0, 2.0, 1e-5]


def _element(domain):
    magnitude = st.one_of(
        st.sampled_from(SPECIAL),
        st.floats(0, 1e6, allow_nan=False),
        st.integers(0, 300).map(float),
        st.floats(0, 1.7e308, allow_nan=False, allow_infinity=False),
    )
    if domain == "pos":
        return magnitude.filter(lambda v: v > 0)
    if domain == "nonneg":
        return magnitude.map(abs)
    return st.tuples(magnitude, st.booleans()).map(lambda t: -t[0] if t[1] else t[0])


# ------------------------------------------------------------ containers
INT_DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint64]
DTYPES = [np.float64, np.float32, np.float16, *INT_DTYPES, bool, object]
CONTAINERS = ["list", "tuple", "C", "F", "strided", "series", "frame"]


def _cast(a, dtype):
    """`a` cast to `dtype` when the cast is exact (and finite), else `a`."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            b = a.astype(dtype)
            back = b.astype(np.float64)
        except (OverflowError, ValueError, TypeError):
            return a
    same = np.array_equal(back, a) and np.array_equal(np.signbit(back), np.signbit(a))
    return b if same and np.all(np.isfinite(back)) else a


def _contain(a, container):
    if container == "list":
        return a.tolist()
    if container == "tuple":
        return tuple(map(tuple, a.tolist())) if a.ndim == 2 else tuple(a.tolist())
    if container == "F":
        return np.asfortranarray(a)
    if container == "strided":
        big = np.empty((2 * a.shape[0],) + a.shape[1:], dtype=a.dtype)
        big[::2] = a
        return big[::2]
    if container == "series" and a.ndim == 1:
        return pd.Series(a)
    if container == "frame" and a.ndim == 2:
        return pd.DataFrame(a)
    return np.ascontiguousarray(a)


@st.composite
def _array(draw, domain, n, n_outputs=None):
    shape = (n,) if n_outputs is None else (n, n_outputs)
    values = draw(
        st.lists(
            _element(domain),
            min_size=n * (n_outputs or 1),
            max_size=n * (n_outputs or 1),
        )
    )
    a = np.array(values, dtype=np.float64).reshape(shape)
    a = _cast(a, draw(st.sampled_from(DTYPES)))
    return a, _contain(a, draw(st.sampled_from(CONTAINERS)))


@st.composite
def _weights(draw, n):
    kind = draw(st.sampled_from(["none", "scalar", "spread", "huge", "zeros", "ints"]))
    if kind == "none":
        return None, [1.0] * n
    if kind == "scalar":
        w = draw(st.sampled_from([1e-300, 2.0, 1e300]))
        return w, [w] * n
    if kind == "spread":
        exps = draw(st.lists(st.floats(-300, 300), min_size=n, max_size=n))
        w = [10.0**e for e in exps]
    elif kind == "huge":
        w = [1e308] * n
    elif kind == "zeros":
        w = list(  # a copy: a drawn value is never mutated
            draw(
                st.lists(
                    st.sampled_from([0.0, 1.0, 1e-320, 3.0]), min_size=n, max_size=n
                )
            )
        )
        w[0] = w[0] or 2.0
    else:
        w = list(draw(st.lists(st.integers(0, 5), min_size=n, max_size=n)))
        w[0] = w[0] or 1
    w = np.asarray(w)
    return _contain(w, draw(st.sampled_from(["list", "C", "strided", "series"]))), [
        float(v) for v in w
    ]


# ------------------------------------------------------ running one case
def _snapshot(x):
    if isinstance(x, (pd.Series, pd.DataFrame, pd.api.extensions.ExtensionArray)):
        return x.copy()
    if isinstance(x, np.ndarray) or sp.issparse(x):
        return x.copy()
    return x


def _unchanged(before, after):
    if isinstance(before, (pd.Series, pd.DataFrame, pd.api.extensions.ExtensionArray)):
        return before.equals(after)
    if sp.issparse(before):
        return (before != after).nnz == 0
    if isinstance(before, np.ndarray):
        if before.dtype != after.dtype or before.shape != after.shape:
            return False
        if before.dtype == object:
            pairs = zip(before.ravel(), after.ravel(), strict=True)
            return all(a is b or a == b for a, b in pairs)
        return before.tobytes() == after.tobytes()
    return before == after


def _exact_mean(values, weights):
    """Weighted mean of Decimal values with float weights, over samples."""
    with decimal.localcontext(CTX):
        total = sum(D(w) for w in weights)
        return sum(D(w) * v for w, v in zip(weights, values, strict=True)) / total


def _run(fn, args, kwargs):
    """Outcome of one call: ("value", result, warnings) or ("error", exc, [])."""
    before = [_snapshot(a) for a in args.values()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            y_true, y_pred, weights = args.values()
            result = fn(y_true, y_pred, sample_weight=weights, **kwargs)
        except Exception as exc:  # the contract says which types are allowed
            outcome = ("error", exc, list(caught))
        else:
            outcome = ("value", result, list(caught))
    for name, b, a in zip(args, before, args.values(), strict=True):
        if not _unchanged(b, a):
            return ("mutated", name, [])
    return outcome


def _verdict(outcome, reference, per_sample_max, rtol, eps=2.0**-52):
    """'ok' or a short description of how the contract is broken."""
    kind, result, caught = outcome
    if kind == "mutated":
        return f"mutated {result}"
    if kind == "error":
        return f"raised {type(result).__name__}: {str(result)[:80]}"
    numpy_warnings = [
        w
        for w in caught
        if issubclass(w.category, RuntimeWarning)
        and not issubclass(w.category, OVERFLOW_WARNING)
    ]
    if numpy_warnings:
        return f"RuntimeWarning: {str(numpy_warnings[0].message)[:60]}"
    if not isinstance(result, float):
        return f"returned {type(result).__name__}"
    value, scale = reference
    overflow = value > FMAX * (1 - D("1e-9")) or per_sample_max > FMAX
    warned = any(issubclass(w.category, OVERFLOW_WARNING) for w in caught)
    if overflow:
        return "ok" if result == float("inf") and warned else f"{result} for > max"
    if not np.isfinite(result):
        return f"{result} for finite {float(value):.6g}"
    if warned:
        return "overflow warning for a finite value"
    # rtol for the summation and the logs; 8 eps of the terms' magnitudes for
    # the cancellation any float evaluation of the formula has
    error = abs(D(result) - value)
    if error > D(rtol) * abs(value) + 8 * D(eps) * scale + D("1e-290"):
        return f"{result!r} != {float(value)!r}"
    return "ok"


def _report(name, verdict, case):
    if TALLY:
        with open(TALLY, "a") as fh:
            record = {"metric": name, "verdict": verdict}
            if verdict != "ok":
                record["case"] = repr(case)[:600]
            fh.write(json.dumps(record) + "\n")
        return
    assert verdict == "ok", f"{name}: {verdict}\n{case}"


def _rtol(*arrays):
    """(rtol, eps): float32 input is evaluated in float32, float16 in float64."""
    if any(np.asarray(a).dtype == np.float32 for a in arrays):
        return 1e-4, float(np.finfo(np.float32).eps)
    return 1e-9, float(np.finfo(np.float64).eps)


# ------------------------------------------------------- regression fuzz
@pytest.mark.parametrize("name", sorted(REGRESSION_SPECS))
@SETTINGS
@given(data=st.data())
def test_regression_metric_three_state_contract(name, data):
    true_domain, pred_domain, params = REGRESSION_SPECS[name]
    kwargs = {k: data.draw(st.sampled_from(v), label=k) for k, v in params.items()}
    power = kwargs.get("power")
    if true_domain == "tweedie":
        true_domain = {0.0: "real", -1.0: "real", 1.5: "nonneg", 3.0: "pos"}[power]
    if power == 0.0:
        pred_domain = "real"
    n = data.draw(st.integers(1, 5), label="n")
    n_outputs = data.draw(st.sampled_from([None, None, 2]), label="n_outputs")
    y, y_in = data.draw(_array(true_domain, n, n_outputs), label="y_true")
    p, p_in = data.draw(_array(pred_domain, n, n_outputs), label="y_pred")
    sw_in, w = data.draw(_weights(n), label="sample_weight")
    ref_fn = REGRESSION_REFS[name]
    with decimal.localcontext(CTX):
        yd = [[D(float(v)) for v in np.atleast_1d(row)] for row in y.astype(float)]
        pd_ = [[D(float(v)) for v in np.atleast_1d(row)] for row in p.astype(float)]
        cols = len(yd[0])
        per_col = [
            [ref_fn(yd[i][k], pd_[i][k], kwargs) for i in range(n)] for k in range(cols)
        ]
        means = [_exact_mean([v for v, _ in col], w) for col in per_col]
        scales = [_exact_mean([s for _, s in col], w) for col in per_col]
        if name == "root_mean_squared_error":
            means = [m.sqrt(CTX) for m in means]
            scales = [s.sqrt(CTX) for s in scales]
            per_col = []  # the root of a mean of squares: no per-sample limit
        value = sum(means) / cols
        scale = sum(scales) / cols
        peak = max(
            (v for col in per_col for (v, _), wi in zip(col, w, strict=True) if wi > 0),
            default=ZERO,
        )
    args = {"y_true": y_in, "y_pred": p_in, "sample_weight": sw_in}
    outcome = _run(getattr(M, name), args, kwargs)
    verdict = _verdict(outcome, (value, scale), peak, *_rtol(y_in, p_in))
    _report(name, verdict, (kwargs, y_in, p_in, sw_in))


# --------------------------------------------------- classification fuzz
def _clip(q, eps):
    return min(max(q, eps), 1 - eps)


def _margin(y, z, classes):
    """Binary: +z for the greater label; multiclass: Crammer-Singer margin."""
    if len(z) == 1:
        return z[0] if y == classes[-1] else -z[0]
    k = classes.index(y)
    return z[k] - max(v for j, v in enumerate(z) if j != k)


def _exponential(m, dtype):
    T = D(0.5 * float(np.log(np.finfo(dtype).max)))
    return _exp(-m) if -m <= T else _exp(T) * (1 + (-m - T))


def _mod_huber(m):
    return max(ZERO, 1 - m) ** 2 if m >= -1 else -4 * m


MARGIN_REFS = {
    "hinge_loss": lambda m, dt: max(ZERO, 1 - m),
    "squared_hinge_loss": lambda m, dt: max(ZERO, 1 - m) ** 2,
    "modified_huber_loss": lambda m, dt: _mod_huber(m),
    "exponential_loss": _exponential,
}
LABEL_SETS = [[0, 1], [-1, 1], [3, 7], ["a", "b"], [0, 1, 2], ["x", "y", "z"]]
LABEL_SETS += [[-100, 100], [True, False]]


@st.composite
def _labels(draw, n):
    classes = draw(st.sampled_from(LABEL_SETS))
    y = [classes[0], classes[1]] + draw(
        st.lists(st.sampled_from(classes), min_size=n - 2, max_size=n - 2)
    )
    arr = np.array(y)
    if arr.dtype.kind in "iu":
        arr = arr.astype(draw(st.sampled_from([np.int64, np.int8, np.int16, object])))
    if len(classes) > len(set(y)):  # a class absent from y_true: pass labels
        return arr, sorted(classes), sorted(classes)
    return arr, sorted(set(y)), None


def _proba_element():
    return st.one_of(
        st.sampled_from([0.0, 1.0, 0.5, 1e-300, 5e-324, 1 - 2**-53, 1e-17, 0.25]),
        st.floats(0, 1),
    )


@pytest.mark.parametrize("name", ["log_loss", "focal_loss", *sorted(MARGIN_REFS)])
@SETTINGS
@given(data=st.data())
def test_label_metric_three_state_contract(name, data):
    n = data.draw(st.integers(2, 5), label="n")
    y, classes, labels = data.draw(_labels(n), label="y_true")
    K = len(classes)
    kwargs = {} if labels is None else {"labels": labels}
    if name == "focal_loss":
        kwargs["gamma"] = data.draw(st.sampled_from([2.0, 0.0, 0.5]), label="gamma")
        if K == 2:
            kwargs["alpha"] = data.draw(st.sampled_from([None, 0.25]), label="alpha")
    dtype = data.draw(st.sampled_from([np.float64, np.float32]), label="dtype")
    if name in MARGIN_REFS:
        cols = 1 if K == 2 else K
        z = np.array(
            data.draw(
                st.lists(_element("real"), min_size=n * cols, max_size=n * cols),
                label="z",
            )
        )
        z = _cast(z.reshape(n, cols) if cols > 1 else z, dtype)
        pred = z
    else:
        if K == 2:
            pred = np.array(
                data.draw(st.lists(_proba_element(), min_size=n, max_size=n), label="p")
            )
        else:  # rows (a, b, 1 - a - b) with a + b <= 1
            a = np.array(data.draw(st.lists(_proba_element(), min_size=n, max_size=n)))
            b = (1 - a) * np.array(
                data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
            )
            pred = np.column_stack([a, b, np.maximum(1 - a - b, 0.0)])
        pred = _cast(pred, dtype)
    sw_in, w = data.draw(_weights(n), label="sample_weight")
    seen = np.float32 if pred.dtype == np.float32 else np.float64
    eps = D(float(np.finfo(seen).eps))
    with decimal.localcontext(CTX):
        values, scales = [], []
        for i in range(n):
            row = [D(float(v)) for v in np.atleast_1d(pred[i])]
            yi = y[i].item() if hasattr(y[i], "item") else y[i]
            if name in MARGIN_REFS:
                v = MARGIN_REFS[name](_margin(yi, row, classes), seen)
                values.append(v)
                scales.append(abs(v))
                continue
            q = (
                row[classes.index(yi)]
                if K > 2
                else (row[0] if yi == classes[-1] else 1 - row[0])
            )
            q = _clip(q, eps)
            v = -_ln(q)
            if name == "focal_loss":
                v *= (1 - q) ** D(kwargs["gamma"]) if kwargs["gamma"] else ONE
                alpha = kwargs.get("alpha")
                if alpha is not None:
                    v *= D(alpha) if yi == classes[-1] else 1 - D(alpha)
            values.append(v)
            scales.append(abs(v) + 2)  # 1 - p formed in float: eps / q, q >= 1/2
        value, scale = _exact_mean(values, w), _exact_mean(scales, w)
        peak = max((v for v, wi in zip(values, w, strict=True) if wi > 0), default=ZERO)
    args = {"y_true": y, "y_pred": pred, "sample_weight": sw_in}
    outcome = _run(
        lambda yt, yp, sample_weight: getattr(M, name)(
            yt, yp, sample_weight=sample_weight, **kwargs
        ),
        args,
        {},
    )
    verdict = _verdict(outcome, (value, scale), peak, *_rtol(pred))
    _report(name, verdict, (kwargs, y, pred, sw_in))


def _bernoulli(v):
    return [1 - v, v]


DISTRIBUTION_REFS = {
    # (per-sample value from Decimal columns y, q, eps) -> (value, scale)
    "cross_entropy": lambda y, q, eps: _sum_terms(
        [-a * _ln(_clip(b, eps)) if a else ZERO for a, b in zip(y, q, strict=True)]
    ),
    "kl_divergence": lambda y, q, eps: _sum_terms(
        [_rel_entr(a, _clip(b, eps)) for a, b in zip(y, q, strict=True)]
    ),
    "js_divergence": lambda y, q, eps: _sum_terms(
        [
            (_rel_entr(a, (a + b) / 2) + _rel_entr(b, (a + b) / 2)) / 2
            for a, b in zip(y, q, strict=True)
        ]
    ),
    "entropy": lambda y, q, eps: _sum_terms([-_rel_entr(b, ONE) for b in q]),
}


def _sum_terms(terms):
    # 1 - y is formed in float: a term moves by about eps (x log x at x ~ 1)
    return sum(terms), sum(abs(t) for t in terms) + 2


@pytest.mark.parametrize("name", sorted(DISTRIBUTION_REFS))
@SETTINGS
@given(data=st.data())
def test_distribution_metric_three_state_contract(name, data):
    n = data.draw(st.integers(1, 5), label="n")
    dtype = data.draw(st.sampled_from([np.float64, np.float32]), label="dtype")
    y = np.array(data.draw(st.lists(_proba_element(), min_size=n, max_size=n)))
    q = np.array(data.draw(st.lists(_proba_element(), min_size=n, max_size=n)))
    two_d = data.draw(st.booleans(), label="2-d")
    if two_d:
        y = np.column_stack([1 - y, y])
        q = np.column_stack([1 - q, q])
    y, q = _cast(y, dtype), _cast(q, dtype)
    sw_in, w = data.draw(_weights(n), label="sample_weight")
    y_in = _contain(y, data.draw(st.sampled_from(CONTAINERS)))
    q_in = _contain(q, data.draw(st.sampled_from(CONTAINERS)))
    # the dtype the metric computes in: a list of float32 values is float64
    seen = np.float32 if np.asarray(q_in).dtype == np.float32 else np.float64
    eps = D(float(np.finfo(seen).eps))
    with decimal.localcontext(CTX):
        refs = []
        for i in range(n):
            yi = [D(float(v)) for v in np.atleast_1d(y[i])]
            qi = [D(float(v)) for v in np.atleast_1d(q[i])]
            if not two_d:
                yi, qi = _bernoulli(yi[0]), _bernoulli(qi[0])
            refs.append(DISTRIBUTION_REFS[name](yi, qi, eps))
        value = _exact_mean([v for v, _ in refs], w)
        scale = _exact_mean([s for _, s in refs], w)
    args = {"y_true": y_in, "y_pred": q_in, "sample_weight": sw_in}
    outcome = _run(getattr(M, name), args, {})
    verdict = _verdict(outcome, (value, scale), ZERO, *_rtol(y_in, q_in))
    _report(name, verdict, (y, q, sw_in))


@SETTINGS
@given(data=st.data())
def test_zero_one_loss_three_state_contract(data):
    n = data.draw(st.integers(1, 6), label="n")
    classes = data.draw(st.sampled_from(LABEL_SETS), label="classes")
    y = data.draw(st.lists(st.sampled_from(classes), min_size=n, max_size=n))
    p = data.draw(st.lists(st.sampled_from(classes), min_size=n, max_size=n))
    sw_in, w = data.draw(_weights(n), label="sample_weight")
    value = _exact_mean([D(int(a != b)) for a, b in zip(y, p, strict=True)], w)
    container = data.draw(st.sampled_from(["list", "C", "series"]))
    args = {
        "y_true": _contain(np.array(y), container),
        "y_pred": _contain(np.array(p), container),
        "sample_weight": sw_in,
    }
    outcome = _run(M.zero_one_loss, args, {})
    _report("zero_one_loss", _verdict(outcome, (value, value), ZERO, 1e-9), args)


def test_every_public_metric_is_fuzzed():
    fuzzed = {*REGRESSION_SPECS, "log_loss", "focal_loss", *MARGIN_REFS}
    fuzzed |= {*DISTRIBUTION_REFS, "zero_one_loss"}
    assert fuzzed == set(M.__all__)


# ------------------------------------------------------------ hostile input
BAD = {
    "0-d": lambda n: 1.0,
    "None": lambda n: None,
    "dict": lambda n: {"a": 1.0},
    "string": lambda n: "ab",
    "complex": lambda n: np.full(n, 1j),
    "datetime64": lambda n: np.arange(n).astype("datetime64[D]"),
    "NaT": lambda n: np.full(n, np.datetime64("NaT")),
    "datetime-objects": lambda n: [datetime.datetime(2020, 1, 1 + i) for i in range(n)],
    "object-None": lambda n: np.array([None] * n, dtype=object),
    "pd.NA": lambda n: pd.array([pd.NA] * n, dtype="Int64"),
    "ragged": lambda n: [[1.0]] + [[1.0, 2.0]] * (n - 1),
    "nan": lambda n: np.full(n, np.nan),
    "inf": lambda n: np.full(n, np.inf),
    "empty": lambda n: [],
    "wrong-length": lambda n: np.full(n + 1, 0.5),
    "3-d": lambda n: np.full((n, 1, 1), 0.5),
    "sparse": lambda n: sp.csr_matrix(np.full((n, 1), 0.5)),
}
VALID = {
    "regression": ([1.0, 2.0, 3.0], [1.5, 2.0, 2.5]),
    "labels": ([0, 1, 1], [0.2, 0.7, 0.9]),
    "zero_one_loss": ([0, 1, 1], [0, 1, 0]),
    "distribution": ([0.2, 0.5, 1.0], [0.3, 0.5, 0.9]),
}


def _valid_args(name):
    if name in REGRESSION_SPECS:
        return VALID["regression"]
    if name == "zero_one_loss":
        return VALID["zero_one_loss"]
    if name in DISTRIBUTION_REFS:
        return VALID["distribution"]
    return VALID["labels"]


CASES = [
    (name, position, bad)
    for name in M.__all__
    for position in (0, 1, 2)
    for bad in BAD
    # entropy ignores y_true (so its length too)
    if not (name == "entropy" and (position == 0 or bad == "wrong-length"))
    if not (position == 2 and bad in ("0-d", "None"))  # valid sample_weight
    # a 3-D array of labels is 1-D after raveling a column; a single
    # datetime object list is not a label set either, kept
]


@pytest.mark.parametrize(
    ("name", "position", "bad"), CASES, ids=[f"{n}-arg{p}-{b}" for n, p, b in CASES]
)
def test_hostile_input_is_a_value_error_naming_the_argument(name, position, bad):
    fn = getattr(M, name)
    params = list(inspect.signature(fn).parameters)
    arg_name = "sample_weight" if position == 2 else params[position]
    y, p = _valid_args(name)
    args = {"y_true": y, params[1]: p, "sample_weight": None}
    key = "sample_weight" if position == 2 else params[position]
    args[key] = BAD[bad](3)
    outcome = _run(fn, args, {})
    kind, result, caught = outcome
    if TALLY:
        ok = (
            kind == "error"
            and isinstance(result, ValueError)
            and arg_name in str(result)
        )
        verdict = (
            "ok" if ok else (f"{kind}: {type(result).__name__}: {str(result)[:80]}")
        )
        return _report(name, verdict, args)
    assert kind == "error", f"{name}({arg_name}={bad}) returned {result!r}"
    assert isinstance(result, ValueError), f"{type(result).__name__}: {result}"
    assert arg_name in str(result), str(result)
