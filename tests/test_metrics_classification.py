"""Classification and distribution metrics against independent references.

Where scikit-learn has the metric (log_loss, hinge_loss, zero_one_loss) the
value must equal sklearn's to 1e-12 relative, weighted and unweighted, for
integer, string, boolean and float labels. Focal loss is checked against a
plain loop written from the paper's formula; KL / JS / entropy against scipy;
the other margin metrics against per-sample loops.
"""

import math
import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from numpy.testing import assert_allclose
from scipy.spatial.distance import jensenshannon
from scipy.special import rel_entr
from scipy.stats import entropy as scipy_entropy

from sklloss import metrics as m

RNG = np.random.default_rng(42)
N = 60
RTOL = 1e-12


def probas(n, k, rng=RNG):
    return rng.dirichlet(np.ones(k), n)


def weights(n, rng=RNG):
    return rng.uniform(0.1, 3.0, n)


def label_sets():
    """(id, labels drawn for y_true): integer, gapped, negative, strings..."""
    return [
        ("int01", np.array([0, 1])),
        ("int_pm1", np.array([-1, 1])),
        ("int_gapped", np.array([3, 7, 100])),
        ("negative", np.array([-5, -2, 0, 9])),
        ("large_range", np.array([0, 10**9])),
        ("float", np.array([1.0, 2.0, 4.0])),
        ("bool", np.array([False, True])),
        ("str", np.array(["spam", "ham"])),
        ("str3", np.array(["b", "a", "c"])),
        ("str_many", np.array([f"c{i:02d}" for i in range(11)])),
        ("object", np.array(["x", "y", "z"], dtype=object)),
    ]


LABEL_SETS = [pytest.param(v, id=i) for i, v in label_sets()]


def draw(values, n=N, rng=RNG):
    y = values[rng.integers(0, len(values), n)]
    y[: len(values)] = values  # every class present
    return y


# ------------------------------------------------------------------ log loss
@pytest.mark.parametrize("values", LABEL_SETS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_log_loss_equals_sklearn(values, weighted):
    y = draw(values)
    k = len(values)
    p = RNG.uniform(size=N) if k == 2 else probas(N, k)
    sw = weights(N) if weighted else None
    expected = skm.log_loss(y, p, sample_weight=sw)
    got = m.log_loss(y, p, sample_weight=sw)
    assert isinstance(got, float)
    assert_allclose(got, expected, rtol=RTOL)
    assert_allclose(
        m.log_loss(y, p, sample_weight=sw, normalize=False),
        skm.log_loss(y, p, sample_weight=sw, normalize=False),
        rtol=RTOL,
    )


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_log_loss_with_labels_equals_sklearn(weighted):
    y = np.array(["b", "c", "b", "c", "b"])
    p = probas(5, 3)
    sw = weights(5) if weighted else None
    labels = ["a", "b", "c"]
    assert_allclose(
        m.log_loss(y, p, labels=labels, sample_weight=sw),
        skm.log_loss(y, p, labels=labels, sample_weight=sw),
        rtol=RTOL,
    )
    # Binary with one class present in y_true: labels= makes it valid.
    yb, pb = np.ones(4, dtype=int), RNG.uniform(size=4)
    assert_allclose(
        m.log_loss(yb, pb, labels=[0, 1]),
        skm.log_loss(yb, pb, labels=[0, 1]),
        rtol=RTOL,
    )


def test_huge_float_labels():
    """Integral floats beyond int64 (sklearn itself warns on a cast there)."""
    y01 = draw(np.array([0, 1]))
    y = np.where(y01 == 1, 1e30, -3e30)
    p = RNG.uniform(size=N)
    assert_allclose(m.log_loss(y, p), m.log_loss(y01, p), rtol=0)
    assert_allclose(m.hinge_loss(y, p - 0.5), m.hinge_loss(y01, p - 0.5), rtol=0)
    assert m.zero_one_loss(y, y[::-1]) == m.zero_one_loss(y01, y01[::-1])


def test_log_loss_unsorted_labels_warn_like_sklearn():
    y, p = np.array([0, 1, 1]), RNG.uniform(size=3)
    with pytest.warns(UserWarning, match="lexicographically"):
        expected = skm.log_loss(y, p, labels=[1, 0])
    with pytest.warns(UserWarning, match="lexicographically"):
        got = m.log_loss(y, p, labels=[1, 0])
    assert_allclose(got, expected, rtol=RTOL)


def test_log_loss_clipping_equals_sklearn():
    """0, 1 and 1e-300 are clipped to [eps, 1 - eps] of the dtype, as sklearn."""
    y = np.array([0, 1, 1, 0, 1, 0])
    p = np.array([0.0, 1.0, 1e-300, 1.0, 1 - 1e-17, 1e-300])
    got = m.log_loss(y, p)
    assert_allclose(got, skm.log_loss(y, p), rtol=RTOL)
    assert np.isfinite(got)
    P = np.array([[1.0, 0.0, 0.0], [1e-300, 1 - 1e-300, 0.0], [0.0, 0.0, 1.0]])
    assert_allclose(m.log_loss([1, 2, 0], P), skm.log_loss([1, 2, 0], P), rtol=RTOL)


def test_log_loss_float32_equals_sklearn():
    y = draw(np.array([0, 1, 2]))
    p = probas(N, 3).astype(np.float32)
    p /= p.sum(axis=1, keepdims=True)
    # float32 arithmetic in both; only the final mean's accumulation differs.
    assert_allclose(m.log_loss(y, p), skm.log_loss(y, p), rtol=1e-6)
    pb = np.array([0.0, 1.0, 0.3, 1e-30], dtype=np.float32)
    assert_allclose(
        m.log_loss([1, 0, 1, 1], pb), skm.log_loss([1, 0, 1, 1], pb), rtol=1e-6
    )


def test_log_loss_indicator_and_column_inputs_equal_sklearn():
    y = draw(np.array([0, 1, 2]))
    p = probas(N, 3)
    onehot = np.eye(3)[y]
    assert_allclose(m.log_loss(onehot, p), skm.log_loss(onehot, p), rtol=RTOL)
    yb, pb = draw(np.array([0, 1])), RNG.uniform(size=N)
    assert_allclose(
        m.log_loss(yb, pb[:, None]), skm.log_loss(yb, pb[:, None]), rtol=RTOL
    )
    assert_allclose(
        m.log_loss(yb, np.column_stack([1 - pb, pb])), skm.log_loss(yb, pb), rtol=RTOL
    )


def test_log_loss_rows_not_summing_to_one_warn_like_sklearn():
    y = np.array([0, 1, 2])
    p = np.array([[0.5, 0.3, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]])
    with pytest.warns(UserWarning, match="do not sum to one"):
        expected = skm.log_loss(y, p)
    with pytest.warns(UserWarning, match="do not sum to one"):
        got = m.log_loss(y, p)
    assert_allclose(got, expected, rtol=RTOL)  # neither renormalises


def test_log_loss_accepts_lists_and_pandas():
    pd = pytest.importorskip("pandas")
    y = pd.Series(["a", "b", "a", "b"])
    p = pd.Series([0.2, 0.9, 0.4, 0.6])
    assert_allclose(m.log_loss(y, p), skm.log_loss(y, p), rtol=RTOL)
    assert_allclose(m.log_loss(list(y), list(p)), skm.log_loss(y, p), rtol=RTOL)


BAD_LOG_LOSS = [
    ("proba_gt1", [0, 1], [0.2, 1.2], r"y_proba\[1\] = .*1\.2"),
    ("proba_neg", [0, 1], [[0.2, 0.8], [1.1, -0.1]], r"y_proba\[1, 0\] = .*1\.1"),
    ("proba_nan", [0, 1], [0.2, np.nan], "y_proba.*NaN"),
    ("proba_inf", [0, 1], [0.2, np.inf], "y_proba.*infinity"),
    ("length", [0, 1, 1], [0.2, 0.3], "inconsistent numbers of samples"),
    ("one_class", [1, 1, 1], [0.2, 0.3, 0.4], "only one label"),
    ("k_vs_classes", [0, 1, 2], [0.2, 0.3, 0.4], "different number of classes"),
    ("k_vs_labels", [0, 1], [[0.5, 0.5], [0.5, 0.5]], "labels"),
    ("unknown_label", [0, 3], [0.2, 0.3], r"\[3\] not belonging"),
    ("continuous_y", [0.5, 1.0], [0.2, 0.3], r"y_true\[0\] = 0\.5"),
    ("nan_y", [0.0, np.nan], [0.2, 0.3], r"y_true\[1\] = nan"),
    ("mixed_types", np.array(["a", 1], dtype=object), [0.2, 0.3], "mix"),
    ("y_true_3d", np.zeros((2, 2, 2)), [0.2, 0.3], "y_true"),
    ("soft_not_summing", [[0.5, 0.6], [1.0, 0.0]], [0.2, 0.3], r"sum\(y_true\[0\]\)"),
    ("empty", [], [], "empty|0 sample"),
]


@pytest.mark.parametrize(
    "y_true, y_proba, match",
    [b[1:] for b in BAD_LOG_LOSS],
    ids=[b[0] for b in BAD_LOG_LOSS],
)
def test_log_loss_bad_input(y_true, y_proba, match):
    labels = {"labels": [0, 1, 2], "not belonging": [0, 1]}
    labels = next((v for k, v in labels.items() if k in match), None)
    with pytest.raises(ValueError, match=match):
        m.log_loss(y_true, y_proba, labels=labels)


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        ([1.0, -1.0], r"sample_weight\[1\]"),
        ([0.0, 0.0], "all zero"),
        ([1.0], "2 samples"),
    ],
    ids=["negative", "all_zero", "length"],
)
def test_bad_sample_weight(sample_weight, match):
    with pytest.raises(ValueError, match=match):
        m.log_loss([0, 1], [0.2, 0.7], sample_weight=sample_weight)
    with pytest.raises(ValueError, match=match):
        m.hinge_loss([0, 1], [0.2, 0.7], sample_weight=sample_weight)


# ------------------------------------------------------------------- focal
def ref_focal(y_codes, P, gamma, alpha):
    """Lin et al. (2017): FL = -alpha_t (1 - p_t)^gamma log p_t, per sample."""
    eps = np.finfo(float).eps
    out = []
    for c, row in zip(y_codes, P, strict=True):
        p_t = min(max(row[c], eps), 1 - eps)
        a_t = 1.0 if alpha is None else alpha[c]
        out.append(-a_t * (1 - p_t) ** gamma * math.log(p_t))
    return out


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 4.0])
@pytest.mark.parametrize("alpha", [None, 0.25], ids=["alphaNone", "alpha0.25"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_focal_binary_matches_loop(gamma, alpha, weighted):
    y = draw(np.array(["neg", "pos"]))
    p = RNG.uniform(size=N)
    sw = weights(N) if weighted else None
    codes = (y == "pos").astype(int)
    pair = None if alpha is None else [1 - alpha, alpha]  # alpha weighs "pos"
    values = ref_focal(codes, np.column_stack([1 - p, p]), gamma, pair)
    expected = np.average(values, weights=sw)
    got = m.focal_loss(y, p, gamma=gamma, alpha=alpha, sample_weight=sw)
    assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
@pytest.mark.parametrize(
    "alpha", [None, [0.5, 0.2, 0.3]], ids=["alphaNone", "alpha_vec"]
)
def test_focal_multiclass_matches_loop(gamma, alpha):
    y = draw(np.array(["b", "c", "a"]))
    P = probas(N, 3)
    codes = np.searchsorted(["a", "b", "c"], y)  # alpha follows sorted labels
    expected = np.mean(ref_focal(codes, P, gamma, alpha))
    assert_allclose(m.focal_loss(y, P, gamma=gamma, alpha=alpha), expected, rtol=1e-12)


@pytest.mark.parametrize("values", LABEL_SETS)
def test_focal_gamma0_equals_sklearn_log_loss(values):
    y = draw(values)
    k = len(values)
    p = RNG.uniform(size=N) if k == 2 else probas(N, k)
    sw = weights(N)
    assert_allclose(
        m.focal_loss(y, p, gamma=0.0, sample_weight=sw),
        skm.log_loss(y, p, sample_weight=sw),
        rtol=RTOL,
    )


def test_focal_bad_params():
    with pytest.raises(ValueError, match="gamma"):
        m.focal_loss([0, 1], [0.2, 0.7], gamma=-1)
    with pytest.raises(ValueError, match="alpha"):
        m.focal_loss([0, 1, 2], probas(3, 3), alpha=0.25)
    with pytest.raises(ValueError, match="alpha"):
        m.focal_loss([0, 1, 2], probas(3, 3), alpha=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"y_proba.*'focal'"):
        m.focal_loss([0, 1], [0.2, 1.7])


# ----------------------------------------------------------- cross-entropy
def test_cross_entropy_soft_targets_match_loop():
    Y, P = probas(N, 4), probas(N, 4)
    sw = weights(N)
    expected = np.average(
        [-np.dot(y, np.log(p)) for y, p in zip(Y, P, strict=True)], weights=sw
    )
    assert_allclose(m.cross_entropy(Y, P, sample_weight=sw), expected, rtol=1e-12)


def test_cross_entropy_one_hot_equals_sklearn_log_loss():
    y = draw(np.array([0, 1, 2]))
    P = probas(N, 3)
    assert_allclose(m.cross_entropy(np.eye(3)[y], P), skm.log_loss(y, P), rtol=RTOL)


def test_binary_cross_entropy():
    y, p = RNG.uniform(size=N), RNG.uniform(0.01, 0.99, size=N)
    expected = np.mean(
        [
            -(a * math.log(b) + (1 - a) * math.log(1 - b))
            for a, b in zip(y, p, strict=True)
        ]
    )
    assert_allclose(m.cross_entropy(y, p), expected, rtol=1e-12)


def test_cross_entropy_bad_input():
    with pytest.raises(ValueError, match=r"sum\(y_true\[0\]\)"):
        m.cross_entropy([[0.5, 0.6]], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="shape"):
        m.cross_entropy([[0.5, 0.5]], [[0.2, 0.3, 0.5]])
    with pytest.raises(ValueError, match=r"y_true\[1\]"):
        m.cross_entropy([0.2, 1.5], [0.5, 0.5])


# ------------------------------------------------------------------- hinge
@pytest.mark.parametrize("values", LABEL_SETS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_hinge_loss_equals_sklearn(values, weighted):
    y = draw(values)
    k = len(values)
    d = RNG.normal(size=N) * 2 if k == 2 else RNG.normal(size=(N, k)) * 2
    sw = weights(N) if weighted else None
    got = m.hinge_loss(y, d, sample_weight=sw)
    assert isinstance(got, float)
    assert_allclose(got, skm.hinge_loss(y, d, sample_weight=sw), rtol=RTOL)


def test_hinge_loss_with_labels_equals_sklearn():
    y = np.array([0, 2, 3, 0, 2])
    d = RNG.normal(size=(5, 4))
    labels = [0, 1, 2, 3]
    assert_allclose(
        m.hinge_loss(y, d, labels=labels),
        skm.hinge_loss(y, d, labels=labels),
        rtol=RTOL,
    )
    # sklearn's docstring example
    assert_allclose(m.hinge_loss([-1, 1, 1], [-2.18, 2.36, 0.09]), 0.91 / 3, rtol=1e-12)


def test_hinge_loss_accepts_sklearn_keyword():
    assert_allclose(
        m.hinge_loss(y_true=[0, 1], pred_decision=[-1.0, 0.5]),
        skm.hinge_loss(y_true=[0, 1], pred_decision=[-1.0, 0.5]),
        rtol=RTOL,
    )


def ref_margins(y_codes, D):
    """Binary m = (+/-1) d; multiclass Crammer-Singer, as plain loops."""
    if D.ndim == 1:
        return [(1 if c == 1 else -1) * d for c, d in zip(y_codes, D, strict=True)]
    return [
        row[c] - max(v for j, v in enumerate(row) if j != c)
        for c, row in zip(y_codes, D, strict=True)
    ]


PHI = {
    "squared_hinge_loss": lambda t: max(0.0, 1 - t) ** 2,
    "modified_huber_loss": lambda t: max(0.0, 1 - t) ** 2 if t >= -1 else -4 * t,
    "exponential_loss": lambda t: math.exp(-t),
    "hinge_loss": lambda t: max(0.0, 1 - t),
}


@pytest.mark.parametrize("name", list(PHI))
@pytest.mark.parametrize("k", [2, 4], ids=["binary", "multiclass"])
def test_margin_metrics_match_loops(name, k):
    values = np.array(["w", "x", "y", "z"][:k])
    y = draw(values)
    codes = np.searchsorted(values, y)
    D = RNG.normal(size=N) * 2 if k == 2 else RNG.normal(size=(N, k)) * 2
    sw = weights(N)
    expected = np.average([PHI[name](t) for t in ref_margins(codes, D)], weights=sw)
    assert_allclose(getattr(m, name)(y, D, sample_weight=sw), expected, rtol=1e-12)


def test_exponential_loss_is_finite_for_huge_negative_margins():
    got = m.exponential_loss([0, 1], [1e4, -1e4])
    assert np.isfinite(got) and got > 1e150


BAD_HINGE = [
    ("one_class", [1, 1, 1], [0.2, 0.3, 0.4], None, "only one label"),
    (
        "1d_multiclass",
        [0, 1, 2],
        [0.2, 0.3, 0.4],
        None,
        r"pred_decision must have shape",
    ),
    ("k_mismatch", [0, 1, 2], np.zeros((3, 4)), None, "4 columns but there are 3"),
    (
        "k_vs_labels",
        [0, 1, 2],
        np.zeros((3, 3)),
        [0, 1, 2, 3],
        "3 columns but there are 4",
    ),
    ("nan", [0, 1], [0.2, np.nan], None, "pred_decision.*NaN"),
    ("length", [0, 1, 0], [0.2, 0.1], None, "inconsistent"),
    ("unknown_label", [0, 5], [0.2, 0.1], [0, 1], r"\[5\] not belonging"),
]


@pytest.mark.parametrize(
    "y_true, pred, labels, match",
    [b[1:] for b in BAD_HINGE],
    ids=[b[0] for b in BAD_HINGE],
)
@pytest.mark.parametrize("name", list(PHI))
def test_margin_metrics_bad_input(name, y_true, pred, labels, match):
    with pytest.raises(ValueError, match=match):
        getattr(m, name)(y_true, pred, labels=labels)


# ---------------------------------------------------------------- zero-one
@pytest.mark.parametrize("values", LABEL_SETS)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_zero_one_loss_equals_sklearn(values, weighted):
    y, yp = draw(values), draw(values)
    sw = weights(N) if weighted else None
    for normalize in (True, False):
        assert_allclose(
            m.zero_one_loss(y, yp, normalize=normalize, sample_weight=sw),
            skm.zero_one_loss(y, yp, normalize=normalize, sample_weight=sw),
            rtol=RTOL,
        )


def test_zero_one_loss_multilabel_equals_sklearn():
    Y = RNG.integers(0, 2, (N, 3))
    Yp = RNG.integers(0, 2, (N, 3))
    assert_allclose(m.zero_one_loss(Y, Yp), skm.zero_one_loss(Y, Yp), rtol=RTOL)


@pytest.mark.parametrize(
    "y_true, y_pred, match",
    [
        (["a", "b"], [0, 1], "mix label types"),
        ([0.5, 1.0], [0, 1], r"y_true\[0\] = 0\.5"),
        ([0, 1, 1], [0, 1], "inconsistent"),
        (np.zeros((2, 3)), np.zeros((2, 2)), "same shape"),
    ],
    ids=["str_vs_int", "continuous", "length", "shape"],
)
def test_zero_one_loss_bad_input(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        m.zero_one_loss(y_true, y_pred)


# ------------------------------------------------------------ distributions
def test_kl_divergence_matches_scipy():
    P, Q = probas(N, 5), probas(N, 5)
    sw = weights(N)
    assert_allclose(m.kl_divergence(P, Q), rel_entr(P, Q).sum(1).mean(), rtol=1e-12)
    assert_allclose(
        m.kl_divergence(P, Q, sample_weight=sw),
        np.average(scipy_entropy(P, Q, axis=1), weights=sw),
        rtol=1e-12,
    )


def test_kl_divergence_zero_entries():
    P = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    Q = np.array([[0.5, 0.25, 0.25], [0.25, 0.25, 0.5]])
    assert_allclose(m.kl_divergence(P, Q), rel_entr(P, Q).sum(1).mean(), rtol=1e-12)
    # q = 0 where p > 0: inf for scipy, a large finite value here (clipped).
    got = m.kl_divergence([[0.5, 0.5]], [[1.0, 0.0]])
    assert np.isfinite(got)
    assert_allclose(
        got, 0.5 * math.log(0.5 / (1 - 2.0**-52)) + 0.5 * math.log(0.5 / 2.0**-52)
    )


def test_js_divergence_matches_scipy():
    P, Q = probas(N, 5), probas(N, 5)
    P[0] = [1, 0, 0, 0, 0]
    Q[0] = [0, 0, 0, 0, 1]
    sw = weights(N)
    expected = np.average(jensenshannon(P, Q, axis=1) ** 2, weights=sw)
    assert_allclose(m.js_divergence(P, Q, sample_weight=sw), expected, rtol=1e-12)
    assert_allclose(m.js_divergence(P[:1], Q[:1]), math.log(2), rtol=1e-15)


def test_entropy_matches_scipy():
    Q = probas(N, 5)
    Q[0] = [1, 0, 0, 0, 0]
    assert_allclose(m.entropy(None, Q), scipy_entropy(Q, axis=1).mean(), rtol=1e-12)
    q = RNG.uniform(size=N)
    expected = scipy_entropy(np.column_stack([q, 1 - q]), axis=1).mean()
    assert_allclose(m.entropy(np.zeros(N), q), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["kl_divergence", "js_divergence", "cross_entropy"])
def test_distribution_metrics_float32(name):
    P, Q = probas(N, 3), probas(N, 3)
    got = getattr(m, name)(P.astype(np.float32), Q.astype(np.float32))
    assert_allclose(got, getattr(m, name)(P, Q), rtol=1e-5)


BAD_DIST = [
    ("pred_sum", [[0.5, 0.5]], [[0.5, 0.4]], r"y_pred.*sum\(y_pred\[0\]\) = .*0\.9"),
    (
        "true_sum",
        [[0.5, 0.6], [1, 0]],
        [[0.5, 0.5], [1, 0]],
        r"sum\(y_true\[0\]\) = .*1\.1",
    ),
    ("true_range", [[1.5, -0.5]], [[0.5, 0.5]], r"y_true\[0, 0\] = .*1\.5"),
    ("pred_nan", [[0.5, 0.5]], [[np.nan, 0.5]], "y_pred.*NaN"),
    ("shape", [[0.5, 0.5]], [[0.2, 0.3, 0.5]], "shape"),
    ("length", [[0.5, 0.5], [0.5, 0.5]], [[0.5, 0.5]], "inconsistent"),
]


@pytest.mark.parametrize("name", ["kl_divergence", "js_divergence"])
@pytest.mark.parametrize(
    "y_true, y_pred, match", [b[1:] for b in BAD_DIST], ids=[b[0] for b in BAD_DIST]
)
def test_distribution_metrics_bad_input(name, y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        getattr(m, name)(y_true, y_pred)


def test_entropy_bad_input():
    with pytest.raises(ValueError, match=r"sum\(y_pred\[1\]\)"):
        m.entropy(None, [[0.5, 0.5], [0.5, 0.6]])
    with pytest.raises(ValueError, match=r"y_pred\[0\] = .*1\.5"):
        m.entropy(None, [1.5, 0.5])


# --------------------------------------------------------------- hygiene
METRIC_CALLS = [
    ("log_loss", lambda y, P: m.log_loss(y, P)),
    ("focal_loss", lambda y, P: m.focal_loss(y, P)),
    ("hinge_loss", lambda y, P: m.hinge_loss(y, P)),
    ("squared_hinge_loss", lambda y, P: m.squared_hinge_loss(y, P)),
    ("modified_huber_loss", lambda y, P: m.modified_huber_loss(y, P)),
    ("exponential_loss", lambda y, P: m.exponential_loss(y, P)),
    ("cross_entropy", lambda y, P: m.cross_entropy(np.eye(3)[y], P)),
    ("kl_divergence", lambda y, P: m.kl_divergence(np.eye(3)[y], P)),
    ("js_divergence", lambda y, P: m.js_divergence(np.eye(3)[y], P)),
    ("entropy", lambda y, P: m.entropy(y, P)),
]


@pytest.mark.parametrize(
    "call", [c[1] for c in METRIC_CALLS], ids=[c[0] for c in METRIC_CALLS]
)
def test_metrics_return_float_and_never_modify_input(call):
    y = draw(np.array([0, 1, 2]))
    P = probas(N, 3)
    P32 = P.astype(np.float32)
    P32 /= P32.sum(1, keepdims=True)
    for probs in (P, P32):
        y0, p0 = y.copy(), probs.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = call(y, probs)
        assert type(out) is float and np.isfinite(out)
        np.testing.assert_array_equal(y, y0)
        np.testing.assert_array_equal(probs, p0)


def test_metric_names_match_loss_objects():
    from sklloss.losses import available_losses

    for key, info in available_losses().items():
        if info["kind"] in ("probabilistic", "margin", "distribution"):
            assert callable(getattr(m, info["metric"])), key
