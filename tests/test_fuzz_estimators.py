"""Hypothesis fuzzing of LossRegressor / LossClassifier: the three-state contract.

Every fit on hostile input ends in one of three states: (a) fitted, with
finite coefficients and predictions; (b) the same with a ConvergenceWarning;
(c) a ValueError whose message names the argument. Never another exception
type, never NaN coefficients, never a mutated input.

Inputs vary over dtypes (float64/32, int64/8, bool, object, complex),
containers (list, C / F / negative-stride ndarray, pandas, CSR / CSC),
special values (NaN, inf, 1e300, 1e-300, constant and zero columns), label
types and sample weights (zeros, all zero, negative, NaN, 10**U(-300, 300)).

The failures this suite once found in the solvers' numerics (weights
spanning 1e-300..1e300, 1e300-sized data, the interior-point method on three
samples) are fixed; each is reproduced as a plain test at the end of this
file. ``SKLLOSS_FUZZ_REPORT=1`` prints the counts of each outcome and
``SKLLOSS_FUZZ_EXAMPLES`` sets the number of cases per test (100 in CI).
"""

import atexit
import collections
import os
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sklloss import LossClassifier, LossRegressor

pd = pytest.importorskip("pandas")

COUNTS = collections.Counter()
if os.environ.get("SKLLOSS_FUZZ_REPORT"):
    atexit.register(lambda: print("\nfuzz counts:", dict(sorted(COUNTS.items()))))

# A message names its argument, or is one of scikit-learn's input checks
# that describe X without naming it (empty or complex input).
_NAMES = re.compile(
    r"\b(X|y|sample_weight|class_weight|classes?|loss)\b"
    r"|[Ss]ample weights?|Found array with|Complex data not supported"
)
_FUZZ = settings(
    max_examples=int(os.environ.get("SKLLOSS_FUZZ_EXAMPLES", 100)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
# Valid values are repeated: most cases should reach the solver, not the checks.
DTYPES = ["float64"] * 3 + ["float32", "int64", "int8", "bool", "object", "complex"]
CONTAINERS = ["list", "C", "F", "neg-stride", "pandas", "csr", "csc"]
SPECIALS = ["none"] * 4 + ["nan", "inf", "huge", "tiny", "constant", "zero-col"]
SPECIALS += ["scaled"] * 2
WEIGHTS = ["none"] * 3 + ["ones", "zeros", "all-zero", "negative", "nan"]
WEIGHTS += ["extreme"] * 2


def _features(rng, n, p, dtype, special):
    X = rng.standard_normal((n, p))
    i, j = rng.integers(n), rng.integers(p)
    if special == "nan":
        X[i, j] = np.nan
    elif special == "inf":
        X[i, j] = -np.inf
    elif special == "huge":
        X[:, j] *= 1e300
    elif special == "tiny":
        X[:, j] *= 1e-300
    elif special == "constant":
        X[:, j] = 1e300 if p > 1 else 3.0
    elif special == "zero-col":
        X[:, j] = 0.0
    elif special == "scaled":
        X *= np.logspace(-3, 3, p)
    if dtype in ("int64", "int8"):
        with np.errstate(invalid="ignore", over="ignore"):
            X = np.nan_to_num(np.round(X * 3), posinf=100, neginf=-100)
            return np.clip(X, -100, 100).astype(dtype)
    if dtype == "bool":
        return X > 0
    if dtype == "complex":
        return X + 0j
    if dtype == "float32":
        with np.errstate(over="ignore"):
            return X.astype(np.float32)
    return X.astype(object) if dtype == "object" else X


def _container(X, kind):
    if kind == "list":
        return X.tolist()
    if kind == "F":
        return np.asfortranarray(X)
    if kind == "neg-stride":
        return np.ascontiguousarray(X[::-1])[::-1]
    if kind == "pandas":
        return pd.DataFrame(X, columns=[f"f{k}" for k in range(X.shape[1])])
    if kind in ("csr", "csc") and X.dtype.kind in "fib" and X.dtype != object:
        return sp.csr_matrix(X) if kind == "csr" else sp.csc_matrix(X)
    return X


def _weights(rng, n, kind):
    if kind == "none":
        return None
    w = np.ones(n)
    if kind == "zeros":
        w[rng.integers(n)] = 0.0
    elif kind == "all-zero":
        w[:] = 0.0
    elif kind == "negative":
        w[rng.integers(n)] = -1.0
    elif kind == "nan":
        w[rng.integers(n)] = np.nan
    elif kind == "extreme":
        w = 10.0 ** rng.uniform(-300, 300, n)
    return w


def _labels(rng, n, kind):
    k = rng.integers(0, 3, n)
    k[:2] = [0, 1]  # at least two classes, unless the case says one
    if kind == "int":
        return k
    if kind == "int8-wide":
        return np.array([-100, 0, 100], dtype=np.int8)[k]
    if kind == "str":
        return np.array(["ham", "spam", "eggs"])[k]
    if kind == "bool":
        return k == 1
    if kind == "float":
        return k.astype(float)
    if kind == "object":
        return np.array(["a", "b", "c"], dtype=object)[k]
    if kind == "one-class":
        return np.zeros(n, dtype=int)
    if kind == "with-None":
        y = np.array(["a", "b", "c"], dtype=object)[k]
        y[-1] = None
        return y
    if kind == "list":
        return [str(v) for v in k]
    raise AssertionError(kind)


def _targets(rng, n, kind, nonnegative):
    y = rng.standard_normal(n) * 2
    if nonnegative:
        y = np.abs(y)
    if kind == "nan":
        y[-1] = np.nan
    elif kind == "huge":
        y *= 1e300
    elif kind == "negative":
        y[-1] = -1.0
    elif kind == "list":
        return y.tolist()
    elif kind == "int":
        return np.round(y).astype(np.int64)
    return y


def _snapshot(v):
    if v is None:
        return None
    if sp.issparse(v):
        return ("sparse", v.format, v.data.copy(), v.indices.copy(), v.indptr.copy())
    if isinstance(v, pd.DataFrame):
        return ("frame", v.copy(deep=True))
    if isinstance(v, list):
        return ("list", repr(v))
    return ("array", np.array(v, copy=True), np.asarray(v).strides)


def _unchanged(v, snap):
    if snap is None:
        return v is None
    if snap[0] == "sparse":
        return (
            v.format == snap[1]
            and np.array_equal(v.data, snap[2], equal_nan=True)
            and np.array_equal(v.indices, snap[3])
            and np.array_equal(v.indptr, snap[4])
        )
    if snap[0] == "frame":
        return v.equals(snap[1])
    if snap[0] == "list":
        return repr(v) == snap[1]
    arr = np.asarray(v)
    same = arr.dtype == snap[1].dtype and arr.strides == snap[2]
    if arr.dtype == object:
        return same and repr(arr.tolist()) == repr(snap[1].tolist())
    return same and np.array_equal(arr, snap[1], equal_nan=arr.dtype.kind in "fc")


def _warned(caught):
    return any(issubclass(w.category, ConvergenceWarning) for w in caught)


def _check_contract(est, X, y, sw, case):
    snaps = [_snapshot(v) for v in (X, y, sw)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X, y, sample_weight=sw)
            outcome = None
        except ValueError as exc:
            outcome = exc
        except Exception as exc:  # the contract forbids any other type
            outcome = exc
    for v, snap in zip((X, y, sw), snaps, strict=True):
        assert _unchanged(v, snap), f"input mutated: {case}"
    if outcome is None:
        finite = np.all(np.isfinite(est.coef_)) and np.all(np.isfinite(est.intercept_))
        if finite:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pred = est.decision_function(X) if hasattr(est, "classes_") else None
                if pred is None:
                    pred = est.predict(X)
            finite = np.all(np.isfinite(np.asarray(pred, dtype=float)))
        assert finite, f"a fit reported success with a non-finite model: {case}"
        COUNTS["ConvergenceWarning" if _warned(caught) else "fitted"] += 1
        return
    if not isinstance(outcome, ValueError):
        raise AssertionError(f"{type(outcome).__name__}: {outcome} for {case}")
    assert _NAMES.search(str(outcome)), f"unnamed ValueError {outcome!r} for {case}"
    COUNTS["ValueError"] += 1


_common = dict(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    p=st.integers(1, 5),
    dtype=st.sampled_from(DTYPES),
    container=st.sampled_from(CONTAINERS),
    special=st.sampled_from(SPECIALS),
    weights=st.sampled_from(WEIGHTS),
)


@_FUZZ
@given(
    loss=st.sampled_from(["squared_error", "huber", "absolute_error", "poisson"]),
    y_kind=st.sampled_from(["normal"] * 3 + ["nan", "huge", "negative", "list", "int"]),
    **_common,
)
def test_regressor_three_state_contract(
    loss, y_kind, seed, n, p, dtype, container, special, weights
):
    rng = np.random.default_rng(seed)
    case = dict(loss=loss, y=y_kind, n=n, p=p, dtype=dtype, container=container)
    case.update(special=special, weights=weights, seed=seed)
    X = _container(_features(rng, n, p, dtype, special), container)
    y = _targets(rng, n, y_kind, nonnegative=loss == "poisson")
    sw = _weights(rng, n, weights)
    COUNTS["cases"] += 1
    _check_contract(LossRegressor(loss=loss), X, y, sw, case)


@_FUZZ
@given(
    loss=st.sampled_from(["log_loss", "hinge", "squared_hinge"]),
    y_kind=st.sampled_from(
        [
            "int",
            "int8-wide",
            "str",
            "bool",
            "float",
            "object",
            "one-class",
            "with-None",
            "list",
        ]
    ),
    class_weight=st.sampled_from([None, "balanced", "zero-for-one", "nan"]),
    **_common,
)
def test_classifier_three_state_contract(
    loss, y_kind, class_weight, seed, n, p, dtype, container, special, weights
):
    rng = np.random.default_rng(seed)
    case = dict(loss=loss, y=y_kind, n=n, p=p, dtype=dtype, container=container)
    case.update(special=special, weights=weights, cw=class_weight, seed=seed)
    X = _container(_features(rng, n, p, dtype, special), container)
    y = _labels(rng, max(n, 2), y_kind)[:n]
    sw = _weights(rng, n, weights)
    labels = np.unique(np.asarray([v for v in np.asarray(y, dtype=object) if v]))
    cw = class_weight
    if class_weight in ("zero-for-one", "nan") and len(labels):
        cw = {labels[0]: 0.0 if class_weight == "zero-for-one" else np.nan}
    elif class_weight in ("zero-for-one", "nan"):
        cw = None
    COUNTS["cases"] += 1
    _check_contract(LossClassifier(loss=loss, class_weight=cw), X, y, sw, case)


# ---------------------------------------------------------------------------
# What the fuzz found in the solvers' numerics (issue 12), reproduced.


def _extreme_weight_problem(n=60, p=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    return X, y, 10.0 ** rng.uniform(-300, 300, n)


@pytest.mark.parametrize("loss", ["absolute_error", "quantile"])
def test_extreme_weights_piecewise_linear(loss):
    X, y, sw = _extreme_weight_problem()
    est = LossRegressor(loss=loss).fit(X, y, sample_weight=sw)
    assert np.all(np.isfinite(est.coef_))


def test_constant_huge_column():
    X, y, _ = _extreme_weight_problem()
    X[:, 1] = 1e300
    est = LossRegressor(loss="squared_error").fit(X, y)
    assert np.all(np.isfinite(est.coef_))


def test_exact_solver_breakdown_on_three_samples():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = LossClassifier(loss="hinge").fit([[0.0], [0.0], [2.0]], [0, 1, 2])
    assert np.all(np.isfinite(clf.coef_))


def test_regressor_complex_list():
    with pytest.raises(ValueError, match="Complex data not supported"):
        LossRegressor().fit([[1 + 1j], [2 + 0j]], [1.0, 2.0])


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error"])
def test_weight_sum_overflow(loss):
    X, y, _ = _extreme_weight_problem()
    sw = np.ones(len(y))
    sw[:2] = 1e308
    est = LossRegressor(loss=loss).fit(X, y, sample_weight=sw)
    ref = LossRegressor(loss=loss).fit(X, y, sample_weight=sw / 1e308)
    np.testing.assert_allclose(est.coef_, ref.coef_, rtol=1e-6)


def test_poisson_with_extreme_weights_and_a_tiny_column_ends():
    # found at 1000 examples: the Hessian overflowed (a column of 1e-301,
    # weights of 1e104), the damping scale became inf and Newton's damping
    # loop never ended. Now a ConvergenceWarning naming the Hessian.
    rng = np.random.default_rng(610)
    X = sp.csr_matrix(_features(rng, 10, 2, "float64", "tiny"))
    y = _targets(rng, 10, "list", nonnegative=True)
    sw = _weights(rng, 10, "extreme")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = LossRegressor(loss="poisson").fit(X, y, sample_weight=sw)
    finite = np.all(np.isfinite(est.coef_)) and np.isfinite(est.intercept_)
    assert finite and (_warned(caught) or np.all(np.isfinite(est.predict(X))))
