"""Tests of sklloss.scorers: construction, names, values, weights, pickling.

Reference values come from scikit-learn's metrics and scorers or from plain
formulas written here; the registry-wide test at the end checks the plumbing
(response method, labels, sign) of every scorer name.
"""

import pickle

import numpy as np
import pytest
import sklearn
import sklearn.metrics as skm
from sklearn.linear_model import (
    LinearRegression,
    LogisticRegression,
    PoissonRegressor,
    Ridge,
)
from sklearn.svm import LinearSVC

import sklloss
from sklloss import get_loss, get_scorer, get_scorer_names, make_loss_scorer
from sklloss import metrics as sklloss_metrics
from sklloss.scorers import sklloss_scorer_names

OURS = sklloss_scorer_names()


# ------------------------------------------------------------------- data
def regression_problem(seed=0, n=60, positive=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    if positive:
        y = rng.poisson(np.exp(0.3 * X[:, 0] + 1.0)) + 0.5
        return X, y.astype(float), PoissonRegressor().fit(X, y)
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.standard_t(df=2, size=n)
    return X, y, Ridge().fit(X, y)


def classification_problem(n_classes=2, seed=0, n=90):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    logits = X @ rng.normal(size=(3, n_classes))
    y = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    return X, y


# ---------------------------------------------------------- make_loss_scorer
def test_make_loss_scorer_huber_value_and_repr():
    X, y, est = regression_problem()
    scorer = make_loss_scorer("huber", delta=2.0)
    r = np.abs(y - est.predict(X))
    # Huber with delta=2 written as min/max: quadratic up to 2, linear after
    expected = np.mean(0.5 * np.minimum(r, 2.0) ** 2 + 2.0 * np.maximum(r - 2.0, 0))
    assert scorer(est, X, y) == pytest.approx(-expected, rel=1e-12)
    assert "mean_huber_loss" in repr(scorer)
    assert "greater_is_better=False" in repr(scorer)
    assert "delta=2.0" in repr(scorer)


def test_make_loss_scorer_is_a_make_scorer_scorer():
    scorer = make_loss_scorer("squared_error")
    assert isinstance(scorer, type(skm.make_scorer(skm.r2_score)))


@pytest.mark.parametrize(
    "spec",
    [("huber", {"delta": 3.0}), (sklloss.losses.Huber(delta=3.0), {})],
    ids=["name_and_param", "instance"],
)
def test_make_loss_scorer_name_or_instance(spec):
    loss, params = spec
    X, y, est = regression_problem(seed=1)
    r = np.abs(y - est.predict(X))
    expected = np.mean(np.where(r <= 3.0, 0.5 * r**2, 3.0 * (r - 1.5)))
    assert make_loss_scorer(loss, **params)(est, X, y) == pytest.approx(-expected)


def test_make_loss_scorer_instance_params_overridden_and_not_mutated():
    loss = sklloss.losses.Huber(delta=3.0)
    scorer = make_loss_scorer(loss, delta=0.5)
    assert "delta=0.5" in repr(scorer)
    assert loss.delta == 3.0


def test_make_loss_scorer_alias():
    X, y, est = regression_problem(seed=2)
    expected = skm.mean_squared_error(y, est.predict(X))
    assert make_loss_scorer("mse")(est, X, y) == pytest.approx(-expected, rel=1e-12)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        (("no_such_loss",), {}, "no_such_loss"),
        (("huber",), {"delta": -1.0}, "delta"),
        (("huber",), {"bogus": 1}, "bogus"),
    ],
    ids=["unknown_loss", "bad_param", "unknown_param"],
)
def test_make_loss_scorer_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_loss_scorer(*args, **kwargs)


def test_sample_weight_reaches_metric():
    X, y, est = regression_problem(seed=3)
    w = np.random.default_rng(3).uniform(0.1, 3.0, size=len(y))
    pred = est.predict(X)
    expected = skm.mean_squared_error(y, pred, sample_weight=w)
    got = make_loss_scorer("squared_error")(est, X, y, sample_weight=w)
    assert got == pytest.approx(-expected, rel=1e-12)
    r = np.abs(y - pred)
    huber = np.where(r <= 1.0, 0.5 * r**2, r - 0.5)
    got = make_loss_scorer("huber")(est, X, y, sample_weight=w)
    assert got == pytest.approx(-np.sum(w * huber) / np.sum(w), rel=1e-12)


def test_sample_weight_requested_under_routing_by_default():
    scorer = make_loss_scorer("huber")
    with sklearn.config_context(enable_metadata_routing=True):
        requests = scorer.get_metadata_routing().score.requests
        assert requests["sample_weight"] is True
        scorer.set_score_request(sample_weight=False)
        assert scorer.get_metadata_routing().score.requests["sample_weight"] is False
    # a new scorer is not affected by another one's request
    with sklearn.config_context(enable_metadata_routing=True):
        fresh = make_loss_scorer("huber").get_metadata_routing()
        assert fresh.score.requests["sample_weight"] is True


# ------------------------------------------------------------------ get_scorer
def test_get_scorer_sklearn_fallback():
    X, y, est = regression_problem(seed=4)
    assert get_scorer("r2")(est, X, y) == pytest.approx(skm.r2_score(y, est.predict(X)))
    Xc, yc = classification_problem()
    clf = LogisticRegression().fit(Xc, yc)
    assert get_scorer("accuracy")(clf, Xc, yc) == pytest.approx(
        skm.accuracy_score(yc, clf.predict(Xc))
    )


def test_get_scorer_passthrough_and_none():
    scorer = make_loss_scorer("huber")
    assert get_scorer(scorer) is scorer

    def my_scorer(estimator, X, y):
        return 0.0

    assert get_scorer(my_scorer) is my_scorer
    assert get_scorer(None) is None


def test_get_scorer_returns_a_new_object_each_time():
    assert get_scorer("neg_mean_huber_loss") is not get_scorer("neg_mean_huber_loss")


def test_get_scorer_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="neg_mean_huber_loss") as info:
        get_scorer("neg_mean_nonsense")
    assert "neg_mean_nonsense" in str(info.value)
    assert "r2" in str(info.value)


def test_get_scorer_names():
    names = get_scorer_names()
    assert names == sorted(names)
    assert len(names) == len(set(names))
    assert set(skm.get_scorer_names()) <= set(names)
    assert set(OURS) <= set(names)
    for name in ("neg_mean_huber_loss", "neg_mean_squared_error", "neg_log_loss"):
        assert name in OURS


def test_every_metric_has_a_scorer():
    """A metric function without a scorer name would be silently unreachable."""
    expected = {"neg_" + name for name in sklloss_metrics.__all__}
    assert set(OURS) == expected


def test_every_loss_metric_name_is_a_scorer():
    for key, info in sklloss.available_losses().items():
        assert "neg_" + info["metric"] in OURS, key


# ---------------------------------------------- names shared with scikit-learn
SHARED = sorted(set(OURS) & set(skm.get_scorer_names()))


def fitted_for_shared(name):
    if name in ("neg_mean_poisson_deviance", "neg_mean_gamma_deviance"):
        return regression_problem(seed=5, positive=True)
    if name in ("neg_log_loss",):
        X, y = classification_problem(n_classes=3, seed=5)
        return X, y, LogisticRegression().fit(X, y)
    return regression_problem(seed=5)


@pytest.mark.parametrize("name", SHARED)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_shared_names_equal_sklearn_scorers(name, weighted):
    X, y, est = fitted_for_shared(name)
    kw = {}
    if weighted:
        kw["sample_weight"] = np.random.default_rng(6).uniform(0.2, 2.0, len(y))
    ours = get_scorer(name)(est, X, y, **kw)
    theirs = skm.get_scorer(name)(est, X, y, **kw)
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_shared_names_cover_the_common_metrics():
    for name in (
        "neg_mean_squared_error",
        "neg_root_mean_squared_error",
        "neg_mean_absolute_error",
        "neg_log_loss",
    ):
        assert name in SHARED


# ------------------------------------------------------------- classification
def test_log_loss_labels_from_classes_string_labels_missing_class():
    X, y = classification_problem(n_classes=3, seed=7)
    names = np.array(["x", "y", "z"])[y]
    clf = LogisticRegression().fit(X, names)
    keep = names != "y"
    proba = clf.predict_proba(X[keep])
    expected = skm.log_loss(names[keep], proba, labels=clf.classes_)
    assert get_scorer("neg_log_loss")(clf, X[keep], names[keep]) == pytest.approx(
        -expected, rel=1e-12
    )


def test_explicit_labels_are_respected():
    X, y = classification_problem(n_classes=3, seed=8)
    clf = LogisticRegression().fit(X, y)
    scorer = make_loss_scorer("log_loss", labels=[0, 1, 2])
    expected = skm.log_loss(y, clf.predict_proba(X))
    assert scorer(clf, X, y) == pytest.approx(-expected, rel=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "multiclass"])
def test_hinge_scorer_matches_sklearn_hinge_loss(n_classes):
    X, y = classification_problem(n_classes=n_classes, seed=9)
    labels = np.array([-1, 4, 9])[:n_classes][y]
    clf = LinearSVC().fit(X, labels)
    expected = skm.hinge_loss(labels, clf.decision_function(X), labels=clf.classes_)
    assert get_scorer("neg_hinge_loss")(clf, X, labels) == pytest.approx(
        -expected, rel=1e-12
    )


def test_zero_one_scorer_is_predict_based():
    X, y = classification_problem(n_classes=3, seed=10)
    clf = LinearSVC().fit(X, y)
    expected = skm.zero_one_loss(y, clf.predict(X))
    assert get_scorer("neg_zero_one_loss")(clf, X, y) == pytest.approx(-expected)


# ---------------------------------------------------- every scorer, by name
def _loss_of(name):
    for key, info in sklloss.available_losses().items():
        if "neg_" + info["metric"] == name:
            return get_loss(key)
    return None


def response_method(name):
    return get_scorer(name)._response_method


def is_classification(name):
    loss = _loss_of(name)
    if loss is None:
        return response_method(name) != "predict"
    return loss.kind != "regression"


def fitted_case(name, n_classes):
    """A suitable fitted estimator, X and y for the scorer `name`."""
    method = response_method(name)
    if not is_classification(name):
        loss = _loss_of(name)
        positive = loss is not None and (
            np.isfinite(loss.y_pred_domain.low) or np.isfinite(loss.y_true_domain.low)
        )
        return regression_problem(seed=11, positive=positive)
    X, y = classification_problem(n_classes=n_classes, seed=11)
    if method == "predict_proba":
        return X, y, LogisticRegression().fit(X, y)
    return X, y, LinearSVC().fit(X, y)


def _response(estimator, X, method):
    out = getattr(estimator, method)(X)
    if method == "predict_proba" and out.shape[1] == 2:
        out = out[:, 1]
    return out


CASES = [(name, 2) for name in OURS] + [
    (name, 3) for name in OURS if is_classification(name)
]


@pytest.mark.parametrize(
    "name, n_classes",
    CASES,
    ids=[f"{name}-{'binary' if k == 2 else 'multiclass'}" for name, k in CASES],
)
def test_every_scorer_builds_runs_and_pickles(name, n_classes):
    X, y, est = fitted_case(name, n_classes)
    scorer = get_scorer(name)
    score = scorer(est, X, y)
    assert isinstance(score, float)
    assert np.isfinite(score) and score <= 0.0
    # the score is minus the metric on the response the loss declares
    metric = getattr(sklloss_metrics, name.removeprefix("neg_"))
    expected = metric(y, _response(est, X, response_method(name)))
    assert score == pytest.approx(-expected, rel=1e-12)
    # scorers pickle and give the same value after a round trip
    clone = pickle.loads(pickle.dumps(scorer))
    assert clone(est, X, y) == score


def test_linear_regression_doctest_numbers():
    """The docstring example: residuals (0, 0, 0, 6) and delta=2 give 2.5."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array([0.0, 1.0, 2.0, 9.0])
    model = LinearRegression().fit(X[:3], y[:3])
    assert make_loss_scorer("huber", delta=2.0)(model, X, y) == pytest.approx(-2.5)


# ------------------------------------- labels of any type, encoded via classes_
def test_distribution_scorers_binary_string_labels():
    """1-D positive-class probability and string labels: y becomes 0/1 by classes_."""
    X, y = classification_problem(n_classes=2, seed=12)
    names = np.array(["no", "yes"])[y]
    clf = LogisticRegression().fit(X, names)
    p_yes = clf.predict_proba(X)[:, 1]
    p_true = np.where(names == "yes", p_yes, 1 - p_yes)
    # one-hot target: KL = cross-entropy = -log p(true class)
    expected = -np.mean(np.log(p_true))
    for name in ("neg_kl_divergence", "neg_cross_entropy"):
        assert get_scorer(name)(clf, X, names) == pytest.approx(-expected, rel=1e-12)
    # entropy of the prediction ignores the labels
    ent = -np.mean(p_yes * np.log(p_yes) + (1 - p_yes) * np.log(1 - p_yes))
    assert get_scorer("neg_entropy")(clf, X, names) == pytest.approx(-ent, rel=1e-12)


def test_unseen_label_is_a_value_error():
    X, y = classification_problem(n_classes=3, seed=13)
    clf = LogisticRegression().fit(X, y)
    y_new = y.copy()
    y_new[5] = 7
    with pytest.raises(ValueError, match="7"):
        get_scorer("neg_kl_divergence")(clf, X, y_new)
    with pytest.raises(ValueError):
        get_scorer("neg_log_loss")(clf, X, y_new)


def test_focal_alpha_weighs_the_greater_label():
    X, y = classification_problem(n_classes=2, seed=14)
    labels = np.array([-1, 1])[y]
    clf = LogisticRegression().fit(X, labels)
    p_pos = clf.predict_proba(X)[:, 1]  # column of label 1, the greater one
    total = 0.0
    for label, p in zip(labels, p_pos, strict=True):
        pt, a = (p, 0.25) if label == 1 else (1 - p, 0.75)
        total += -a * (1 - pt) ** 2 * np.log(pt)
    scorer = make_loss_scorer("focal", gamma=2.0, alpha=0.25)
    assert scorer(clf, X, labels) == pytest.approx(-total / len(labels), rel=1e-12)


def test_focal_multiclass_fold_missing_a_class():
    X, y = classification_problem(n_classes=3, seed=15)
    clf = LogisticRegression().fit(X, y)
    keep = y != 0
    proba = clf.predict_proba(X[keep])
    pt = proba[np.arange(keep.sum()), y[keep]]
    expected = np.mean(-((1 - pt) ** 1.5) * np.log(pt))
    scorer = make_loss_scorer("focal", gamma=1.5)
    assert scorer(clf, X[keep], y[keep]) == pytest.approx(-expected, rel=1e-12)
