"""LossClassifier: labels, multiclass schemes, probabilities, weights, use."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklloss import LossClassifier
from sklloss.losses import loss_names


def _needs(*names):
    missing = [n for n in names if n not in loss_names()]
    if missing:
        raise AssertionError(f"losses {missing} are not registered")


def _data(n=150, p=3, K=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    W = 2 * rng.normal(size=(K, p))
    y = np.argmax(X @ W.T + rng.gumbel(size=(n, K)), axis=1)
    return X, y


def test_string_labels_binary_positive_class_is_classes_1():
    _needs("log_loss")
    X, y = _data()
    labels = np.array(["cat", "dog"])[y]
    clf = LossClassifier().fit(X, labels)
    assert list(clf.classes_) == ["cat", "dog"]
    assert clf.coef_.shape == (1, 3) and clf.intercept_.shape == (1,)
    d = clf.decision_function(X)
    assert d.shape == (len(y),)
    np.testing.assert_array_equal(clf.predict(X), np.where(d > 0, "dog", "cat"))
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expit(d), rtol=1e-12)


def test_multinomial_softmax_shapes_and_probabilities():
    _needs("log_loss")
    X, y = _data(K=4)
    labels = np.array(["a", "b", "c", "d"])[y]
    clf = LossClassifier().fit(X, labels)
    assert clf.coef_.shape == (4, 3) and clf.intercept_.shape == (4,)
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P, softmax(clf.decision_function(X), axis=1))
    np.testing.assert_allclose(P.sum(axis=1), 1)
    np.testing.assert_allclose(np.log(P), clf.predict_log_proba(X), atol=1e-12)
    assert np.isclose(clf.intercept_.sum(), 0, atol=1e-10)  # centred


def test_margin_losses_train_one_vs_rest():
    _needs("squared_hinge")
    X, y = _data(K=3)
    clf = LossClassifier(loss="squared_hinge").fit(X, y)
    assert clf.coef_.shape == (3, 3)
    for k in range(3):
        binary = LossClassifier(loss="squared_hinge").fit(X, (y == k).astype(int))
        np.testing.assert_allclose(clf.coef_[k], binary.coef_[0], rtol=1e-8)
    assert clf.score(X, y) > 0.7


@pytest.mark.parametrize(
    "loss, has",
    [
        ("log_loss", True),
        ("focal", True),
        ("hinge", False),
        ("squared_hinge", False),
        ("exponential", False),
    ],
)
def test_predict_proba_exists_exactly_for_probabilistic_losses(loss, has):
    _needs(loss)
    clf = LossClassifier(loss=loss)
    assert hasattr(clf, "predict_proba") is has
    assert hasattr(clf, "predict_log_proba") is has
    assert hasattr(clf, "decision_function")


@pytest.mark.parametrize("loss", ["squared_error", "zero_one", "entropy"])
def test_refused_losses_name_the_valid_ones(loss):
    _needs(loss, "log_loss")
    X, y = _data()
    with pytest.raises(ValueError, match="log_loss"):
        LossClassifier(loss=loss).fit(X, y)


def test_label_smoothing_needs_probabilistic_loss():
    _needs("hinge")
    X, y = _data()
    with pytest.raises(ValueError, match="label_smoothing"):
        LossClassifier(loss="squared_hinge", label_smoothing=0.1).fit(X, y)
    with pytest.raises(ValueError, match="label_smoothing"):
        LossClassifier(label_smoothing=1.0).fit(X, y)


def test_label_smoothing_binary_equals_soft_targets():
    # binary smoothing eps: targets y (1 - eps) + eps / 2; the optimum of the
    # smoothed log loss solves sum (sigmoid(z_i) - t_i) x_i + alpha w = 0
    _needs("log_loss")
    X, y = _data()
    eps, alpha = 0.2, 1e-3
    clf = LossClassifier(alpha=alpha, label_smoothing=eps).fit(X, y)
    t = y * (1 - eps) + eps / 2
    r = expit(clf.decision_function(X)) - t
    grad = np.append(X.T @ r / len(y) + alpha * clf.coef_[0], r.mean())
    assert np.max(np.abs(grad)) < 1e-10
    # smoothing shrinks the confidence
    plain = LossClassifier(alpha=alpha).fit(X, y)
    assert np.abs(clf.coef_).sum() < np.abs(plain.coef_).sum()


def test_class_weight_equals_sample_weight():
    _needs("log_loss")
    X, y = _data()
    a = LossClassifier(class_weight={0: 1.0, 1: 3.0}).fit(X, y)
    b = LossClassifier().fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)
    # "balanced" is n / (K * count) per class
    bal = LossClassifier(class_weight="balanced").fit(X, y)
    counts = np.bincount(y)
    sw = (len(y) / (2 * counts))[y]
    ref = LossClassifier().fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(bal.coef_, ref.coef_, rtol=1e-8)


def test_binary_only_loss_on_multiclass_is_refused():
    from sklloss.losses import Loss

    class Binary(Loss):
        kind = "margin"
        multiclass = None

        def loss(self, y_true, raw_prediction):
            return np.logaddexp(0, -(2 * y_true - 1) * raw_prediction)

        def gradient(self, y_true, raw_prediction):
            s = 2 * y_true - 1
            return -s * expit(-s * raw_prediction)

    X, y = _data(K=3)
    with pytest.raises(ValueError, match="binary only"):
        LossClassifier(loss=Binary()).fit(X, y)
    clf = LossClassifier(loss=Binary()).fit(X, (y == 0).astype(int))
    assert clf.solver_ == "lbfgs" and not hasattr(clf, "predict_proba")


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("loss", ["log_loss", "squared_hinge"])
def test_sparse_equals_dense(loss, fmt):
    _needs(loss)
    X, y = _data(K=3)
    X[np.abs(X) < 0.5] = 0
    d = LossClassifier(loss=loss).fit(X, y)
    s = LossClassifier(loss=loss).fit(sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_allclose(s.coef_, d.coef_, rtol=1e-7, atol=1e-9)


def test_badly_scaled_multinomial_converges():
    _needs("log_loss")
    X, y = _data(n=300, p=5, K=3, seed=4)
    c = 10.0 ** np.random.default_rng(0).uniform(-2, 2, size=5)
    plain = LossClassifier(alpha=0.0, solver="lbfgs").fit(X, y)
    scaled = LossClassifier(alpha=0.0, solver="lbfgs").fit(X * c, y)
    # without a penalty the softmax coefficients are defined up to a common
    # shift across classes: compare them centred, and the probabilities
    centred = [m.coef_ - m.coef_.mean(axis=0) for m in (scaled, plain)]
    np.testing.assert_allclose(centred[0] * c, centred[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        scaled.predict_proba(X * c), plain.predict_proba(X), rtol=1e-6, atol=1e-9
    )


def test_l1_gives_exact_zeros():
    _needs("log_loss")
    X, y = _data(n=200, p=8, K=2)
    X[:, 4:] = np.random.default_rng(0).normal(size=(200, 4))  # pure noise
    clf = LossClassifier(alpha=0.05, l1_ratio=1.0).fit(X, y)
    assert np.any(clf.coef_ == 0)


def test_grid_search_pickle_and_scorer():
    _needs("log_loss", "focal")
    from sklloss.scorers import get_scorer

    X, y = _data(n=120)
    labels = np.array(["no", "yes"])[y]
    pipe = make_pipeline(StandardScaler(), LossClassifier())
    grid = GridSearchCV(
        pipe,
        {"lossclassifier__loss": ["log_loss", "focal"]},
        scoring=get_scorer("neg_log_loss"),
        cv=3,
    ).fit(X, labels)
    back = pickle.loads(pickle.dumps(grid.best_estimator_))
    np.testing.assert_array_equal(back.predict(X), grid.predict(X))
    assert cross_val_score(LossClassifier(), X, labels, cv=3).mean() > 0.7


def test_warm_start_multiclass():
    _needs("log_loss")
    X, y = _data(K=3)
    clf = LossClassifier(warm_start=True).fit(X, y)
    first = clf.n_iter_
    clf.fit(X, y)
    assert clf.n_iter_ < first


@pytest.mark.parametrize(
    "y",
    [
        np.array([3, -2, 3, 7, -2], dtype=np.int64),
        np.array([1, 0, 1, 1], dtype=np.uint8),
        np.array([True, False, True]),
        np.array([5, 5, 5], dtype=np.int16),
        np.array([0, 2**40, 7]),  # too wide a range: np.unique itself
        np.array(["b", "a", "b"]),
    ],
)
def test_label_encoding_equals_np_unique(y):
    from sklloss.losses._labels import _unique_inverse  # LossClassifier's encoder

    classes, y_enc = _unique_inverse(y, "y")
    ref_classes, ref_enc = np.unique(y, return_inverse=True)
    np.testing.assert_array_equal(classes, ref_classes)
    assert classes.dtype == ref_classes.dtype
    np.testing.assert_array_equal(y_enc, ref_enc)


@pytest.mark.parametrize(
    "y, kind",
    [
        (np.array([0.5, 1.5, 2.25, 0.5]), "continuous"),
        (np.array([[0, 1], [1, 0], [1, 1], [0, 1]]), None),  # multilabel indicator
    ],
)
def test_non_class_targets_are_refused_like_sklearn(y, kind):
    X = np.arange(8.0).reshape(4, 2)
    with pytest.raises(ValueError, match="Unknown label type|should be a 1d array"):
        LossClassifier().fit(X, y)


def test_integer_labels_skip_type_of_target(monkeypatch):
    """1-D integer labels cannot fail the check: it is skipped (a full unique)."""
    from sklloss.linear_model import _classifier

    def refuse(y):
        raise AssertionError("check_classification_targets was called")

    monkeypatch.setattr(_classifier, "check_classification_targets", refuse)
    X = np.random.default_rng(0).standard_normal((40, 3))
    y = np.arange(40) % 3
    clf = LossClassifier().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    with pytest.raises(AssertionError, match="was called"):
        LossClassifier().fit(X, y.astype(float))  # floats still checked


# ---------------------------------------------------------------------------
# Issue 12: every argument validated, with a ValueError that names it.


@pytest.mark.parametrize(
    "class_weight, shown",
    [
        ({0: np.nan}, "nan"),
        ({0: np.inf}, "inf"),
        ({1: -1.0}, "-1.0"),
        ({0: "heavy"}, "heavy"),
        ({0: True}, "True"),
        ({7: 2.0}, "[7]"),
        ("unbalanced", "unbalanced"),
        ([1.0, 2.0], "[1.0, 2.0]"),
    ],
    ids=[
        "nan",
        "inf",
        "negative",
        "string-value",
        "bool-value",
        "key-not-a-class",
        "unknown-string",
        "list",
    ],
)
def test_invalid_class_weight_is_a_value_error_naming_it(class_weight, shown):
    X, y = _data()
    with pytest.raises(ValueError, match="class_weight") as err:
        LossClassifier(class_weight=class_weight).fit(X, y)
    assert shown in str(err.value)


@pytest.mark.parametrize("labels", [[0, 1], ["no", "yes"]], ids=["int", "str"])
def test_class_weight_leaving_one_class_is_refused(labels):
    X, y = _data()
    y = np.asarray(labels)[y]
    with pytest.raises(ValueError, match="class_weight.*fewer than 2 classes"):
        LossClassifier(class_weight={labels[1]: 0}).fit(X, y)


def test_zero_class_weight_is_the_problem_without_that_class():
    """{2: 0} on 3 classes: softmax over the two others, class 2 never predicted.

    With class 2 weightless its intercept tends to -inf and W_2 to 0, and the
    remaining 2-class softmax (rows W_0, W_1, both penalised) is binary
    logistic regression in w = W_1 - W_0 with half the penalty: the reference
    is scikit-learn's LogisticRegression on the rows of classes 0 and 1, with
    C = 2 / (alpha * n) (its objective is C * sum(loss) + |w|^2 / 2).
    """
    from sklearn.linear_model import LogisticRegression

    X, y = _data(n=400, K=3, seed=3)
    alpha = 1e-2
    clf = LossClassifier(alpha=alpha, class_weight={2: 0.0}).fit(X, y)
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.intercept_))
    assert not np.any(clf.predict(X) == 2)
    assert clf.predict_proba(X)[:, 2].max() < 1e-6
    keep = y < 2
    ref = LogisticRegression(C=2 / (alpha * keep.sum()), tol=1e-12, max_iter=10_000)
    ref.fit(X[keep], y[keep])
    np.testing.assert_allclose(clf.coef_[1] - clf.coef_[0], ref.coef_[0], rtol=1e-5)


@pytest.mark.parametrize(
    "first, second",
    [
        ("binary", "three-classes"),
        ("three-classes", "binary"),
        ("three-classes", "four-classes"),
        ("binary", "fewer-features"),
    ],
)
@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
def test_warm_start_after_a_shape_change_is_a_value_error(loss, first, second):
    """As LogisticRegression / SGDClassifier: no silent cold start, no reshape error."""
    X, y = _data(n=200, K=4)
    sets = {
        "binary": (X, y % 2),
        "three-classes": (X, y % 3),
        "four-classes": (X, y),
        "fewer-features": (X[:, :2], y % 2),
    }
    clf = LossClassifier(loss=loss, warm_start=True).fit(*sets[first])
    coef = clf.coef_.copy()
    with pytest.raises(ValueError, match="warm_start=True.*shape"):
        clf.fit(*sets[second])
    np.testing.assert_array_equal(clf.coef_, coef)  # the model is untouched
    clf.set_params(warm_start=False).fit(*sets[second])  # the advice works


def _missing_label_cases():
    pd = pytest.importorskip("pandas")
    return {
        "None-object": np.array(["a", "b", None, "a", "b", "a"], dtype=object),
        "None-list": ["a", "b", None, "a", "b", "a"],
        "NaN-float": np.array([0.0, 1.0, np.nan, 0.0, 1.0, 0.0]),
        "NaN-object": np.array(["a", "b", np.nan, "a", "b", "a"], dtype=object),
        "pd.NA-string": pd.array(["a", "b", pd.NA, "a", "b", "a"], dtype="string"),
        "pd.NA-Int64": pd.array([0, 1, None, 0, 1, 0], dtype="Int64"),
        "pd.NA-object": np.array(["a", "b", pd.NA, "a", "b", "a"], dtype=object),
        "NaT-object": np.array([pd.Timestamp(0), pd.NaT] * 3, dtype=object),
        "NaN-category": pd.Series(["a", "b", None, "b", "a", "b"], dtype="category"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "None-object",
        "None-list",
        "NaN-float",
        "NaN-object",
        "pd.NA-string",
        "pd.NA-Int64",
        "pd.NA-object",
        "NaT-object",
        "NaN-category",
    ],
)
def test_missing_labels_are_a_value_error_naming_y(case):
    y = _missing_label_cases()[case]
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match="^y contains missing values"):
        LossClassifier().fit(X, y)


@pytest.mark.parametrize(
    "y, message",
    [
        (np.array(["2020-01-01", "NaT"] * 3, dtype="datetime64[D]"), "^y has dtype"),
        (np.array(["2020-01-01", "2021-01-01"] * 3, dtype="datetime64[s]"), "^y has"),
        (np.array([1, 2] * 3, dtype="timedelta64[s]"), "^y has dtype timedelta64"),
        (np.array([1, "a"] * 3, dtype=object), "^y mixes label types"),
        ([1, "a"] * 3, "^y mixes label types"),
        (np.array([1, 2] * 3, dtype=object), "^y: Unknown label type"),
    ],
    ids=["NaT", "datetime64", "timedelta64", "mixed-object", "mixed-list", "obj-int"],
)
def test_dates_and_mixed_labels_are_value_errors_naming_y(y, message):
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match=message):
        LossClassifier().fit(X, y)


@pytest.mark.parametrize("kind", ["datetime64", "timedelta64", "frame", "frame-tz"])
def test_datetime_features_are_a_value_error_naming_X(kind):
    """validate_data would cast them to float (counts of a time unit)."""
    if kind.startswith("frame"):
        pd = pytest.importorskip("pandas")
        dates = pd.to_datetime(["2020-01-01"] * 6, utc=kind == "frame-tz")
        X = pd.DataFrame({"when": dates, "x": np.arange(6.0)})
    else:
        X = np.arange(12).reshape(6, 2).astype(f"{kind}[s]")
    with pytest.raises(ValueError, match="^X has datetime or timedelta columns"):
        LossClassifier().fit(X, [0, 1] * 3)


def test_int8_labels_spanning_more_than_127():
    """[-100, 100] as int8: no overflow in the counting encoders (fit and metric)."""
    from sklearn.metrics import log_loss as sk_log_loss

    from sklloss.metrics import log_loss

    X, y = _data(n=200)
    y8 = np.where(y == 1, 100, -100).astype(np.int8)
    clf = LossClassifier().fit(X, y8)
    assert clf.classes_.dtype == np.int8
    np.testing.assert_array_equal(clf.classes_, [-100, 100])
    ref = LossClassifier().fit(X, y)  # the same problem with labels 0 / 1
    np.testing.assert_array_equal(clf.coef_, ref.coef_)
    proba = clf.predict_proba(X)
    assert log_loss(y8, proba) == pytest.approx(sk_log_loss(y8, proba), rel=1e-12)


def test_missing_labels_from_a_dask_worker_are_a_value_error():
    da = pytest.importorskip("dask.array")
    distributed = pytest.importorskip("distributed")
    X = np.random.default_rng(0).normal(size=(400, 3))
    y = np.array(["a", "b", "a", None] * 100, dtype=object)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        Xd, yd = da.from_array(X, chunks=(100, 3)), da.from_array(y, chunks=100)
        with pytest.raises(ValueError, match="^y contains missing values"):
            LossClassifier().fit(Xd, yd)
