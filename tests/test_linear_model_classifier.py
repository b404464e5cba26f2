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
    np.testing.assert_allclose(scaled.coef_ * c, plain.coef_, rtol=1e-5, atol=1e-6)


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
    from sklloss.linear_model._classifier import _encode_labels

    classes, y_enc = _encode_labels(y)
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
