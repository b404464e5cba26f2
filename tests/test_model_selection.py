"""sklloss scorers inside scikit-learn's model selection.

Every expected number here is recomputed by hand, fold by fold: a clone of the
estimator is fitted on the training indices of the same split, and the metric
on the test indices comes from scikit-learn (``mean_squared_error``,
``mean_pinball_loss``, ``log_loss``, ``hinge_loss``, ``accuracy_score``) or from
a plain Python loop over the formula written in this file — never from
sklloss itself.
"""

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    hinge_loss,
    log_loss,
    mean_absolute_error,
    mean_pinball_loss,
    mean_squared_error,
)
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.svm import LinearSVC

from sklloss import get_scorer, make_loss_scorer

ALPHAS = [0.01, 1.0, 30.0, 300.0]


def huber_by_loop(y_true, y_pred, delta, sample_weight=None):
    """Weighted mean Huber loss, one sample at a time (PyTorch's definition)."""
    if sample_weight is None:
        sample_weight = [1.0] * len(y_true)
    total = norm = 0.0
    for yt, yp, w in zip(y_true, y_pred, sample_weight, strict=True):
        r = abs(float(yt) - float(yp))
        value = 0.5 * r * r if r <= delta else delta * (r - 0.5 * delta)
        total += w * value
        norm += w
    return total / norm


def regression_data(n=90, p=5, seed=0):
    """Linear data with heavy-tailed noise, so that the losses disagree."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = X @ rng.normal(size=p) + rng.standard_t(df=1.5, size=n)
    w = rng.integers(1, 5, size=n).astype(float)
    return X, y, w


def per_fold_scores(estimator, values, param, X, y, cv, metric, sample_weight=None):
    """(n_candidates, n_splits) array of -metric on each test fold, by hand."""
    scores = np.empty((len(values), cv.get_n_splits()))
    for i, value in enumerate(values):
        for k, (train, test) in enumerate(cv.split(X, y)):
            est = clone(estimator).set_params(**{param: value})
            fit_kw = {}
            if sample_weight is not None:
                fit_kw["sample_weight"] = sample_weight[train]
            est.fit(X[train], y[train], **fit_kw)
            sw_test = None if sample_weight is None else sample_weight[test]
            scores[i, k] = -metric(y[test], est.predict(X[test]), sw_test)
    return scores


def split_scores(cv_results, key, n_splits):
    return np.column_stack(
        [cv_results[f"split{k}_test_{key}"] for k in range(n_splits)]
    )


# --------------------------------------------------------------- GridSearchCV
def test_grid_search_huber_scorer_selects_best_by_hand():
    X, y, _ = regression_data()
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(
        Ridge(),
        {"alpha": ALPHAS},
        scoring=make_loss_scorer("huber", delta=2),
        cv=cv,
    ).fit(X, y)

    def huber2(yt, yp, sw):
        return huber_by_loop(yt, yp, 2.0, sw)

    expected = per_fold_scores(Ridge(), ALPHAS, "alpha", X, y, cv, huber2)
    np.testing.assert_allclose(
        split_scores(search.cv_results_, "score", 3), expected, rtol=1e-10
    )
    best = int(np.argmax(expected.mean(axis=1)))
    assert search.best_index_ == best
    assert search.best_params_ == {"alpha": ALPHAS[best]}
    np.testing.assert_allclose(search.best_score_, expected.mean(axis=1)[best])


def test_grid_search_multimetric_refit_on_pinball():
    X, y, _ = regression_data(seed=1)
    cv = KFold(4, shuffle=True, random_state=1)
    scoring = {
        "huber": make_loss_scorer("huber", delta=2.0),
        "mae": get_scorer("neg_mean_absolute_error"),
        "pinball90": make_loss_scorer("quantile", quantile=0.9),
    }
    search = GridSearchCV(
        Ridge(), {"alpha": ALPHAS}, scoring=scoring, refit="pinball90", cv=cv
    ).fit(X, y)

    references = {
        "huber": lambda yt, yp, sw: huber_by_loop(yt, yp, 2.0, sw),
        "mae": lambda yt, yp, sw: mean_absolute_error(yt, yp, sample_weight=sw),
        "pinball90": lambda yt, yp, sw: mean_pinball_loss(
            yt, yp, alpha=0.9, sample_weight=sw
        ),
    }
    for key, metric in references.items():
        expected = per_fold_scores(Ridge(), ALPHAS, "alpha", X, y, cv, metric)
        np.testing.assert_allclose(
            split_scores(search.cv_results_, key, 4), expected, rtol=1e-10, err_msg=key
        )
        if key == "pinball90":
            best = int(np.argmax(expected.mean(axis=1)))
    assert search.best_index_ == best
    assert search.best_params_ == {"alpha": ALPHAS[best]}


# ------------------------------------------------------------- sample weights
def _weighted_mse(yt, yp, sw):
    return mean_squared_error(yt, yp, sample_weight=sw)


def _weighted_huber(yt, yp, sw):
    return huber_by_loop(yt, yp, 2.0, sw)


@pytest.mark.parametrize("routing", [False, True], ids=["no_routing", "routing"])
def test_grid_search_forwards_test_fold_sample_weight(routing):
    X, y, w = regression_data(seed=2)
    cv = KFold(3, shuffle=True, random_state=2)
    scoring = {
        "mse": get_scorer("neg_mean_squared_error"),
        "huber": make_loss_scorer("huber", delta=2.0),
    }
    with sklearn.config_context(enable_metadata_routing=routing):
        ridge = Ridge().set_fit_request(sample_weight=True) if routing else Ridge()
        search = GridSearchCV(
            ridge, {"alpha": ALPHAS}, scoring=scoring, refit="mse", cv=cv
        ).fit(X, y, sample_weight=w)
    for key, metric in [("mse", _weighted_mse), ("huber", _weighted_huber)]:
        expected = per_fold_scores(Ridge(), ALPHAS, "alpha", X, y, cv, metric, w)
        np.testing.assert_allclose(
            split_scores(search.cv_results_, key, 3), expected, rtol=1e-10, err_msg=key
        )
        # the weights do change the number: it is not the unweighted metric
        unweighted = per_fold_scores(Ridge(), ALPHAS, "alpha", X, y, cv, metric, None)
        assert not np.allclose(expected, unweighted)


def test_routing_opt_out_scores_without_weights():
    X, y, w = regression_data(seed=3)
    cv = KFold(3, shuffle=True, random_state=3)
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_loss_scorer("huber", delta=2.0).set_score_request(
            sample_weight=False
        )
        search = GridSearchCV(
            Ridge().set_fit_request(sample_weight=True),
            {"alpha": ALPHAS},
            scoring=scorer,
            cv=cv,
        ).fit(X, y, sample_weight=w)

    # fitted with the training weights, scored without the test weights
    def fit_weighted_score_unweighted(alpha, train, test):
        est = Ridge(alpha=alpha).fit(X[train], y[train], sample_weight=w[train])
        return -huber_by_loop(y[test], est.predict(X[test]), 2.0)

    expected = np.array(
        [
            [fit_weighted_score_unweighted(a, tr, te) for tr, te in cv.split(X)]
            for a in ALPHAS
        ]
    )
    np.testing.assert_allclose(
        split_scores(search.cv_results_, "score", 3), expected, rtol=1e-10
    )


# ------------------------------------------------------------ classification
def classification_data(n=120, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    logits = X @ rng.normal(size=(4, n_classes))
    y = np.argmax(logits + rng.gumbel(size=logits.shape), axis=1)
    return X, y


def test_cross_validate_log_loss_multiclass_string_labels():
    X, y = classification_data()
    names = np.array(["ant", "bee", "cat"])[y]
    cv = KFold(4, shuffle=True, random_state=0)
    result = cross_validate(
        LogisticRegression(), X, names, cv=cv, scoring=get_scorer("neg_log_loss")
    )
    for k, (train, test) in enumerate(cv.split(X)):
        est = LogisticRegression().fit(X[train], names[train])
        expected = -log_loss(names[test], est.predict_proba(X[test]))
        np.testing.assert_allclose(result["test_score"][k], expected, rtol=1e-10)


def test_log_loss_scorer_on_fold_missing_a_class():
    """A test fold without class "cat": labels come from the estimator's classes_."""
    X, y = classification_data(seed=4)
    names = np.array(["ant", "bee", "cat"])[y]
    cat = np.flatnonzero(names == "cat")
    rest = np.flatnonzero(names != "cat")
    # two splits whose test folds hold no "cat" (the training folds do)
    splits = [
        (np.concatenate([cat, rest[::2]]), rest[1::2]),
        (np.concatenate([cat, rest[1::2]]), rest[::2]),
    ]
    result = cross_validate(
        LogisticRegression(), X, names, cv=splits, scoring=get_scorer("neg_log_loss")
    )
    for k, (train, test) in enumerate(splits):
        est = LogisticRegression().fit(X[train], names[train])
        proba = est.predict_proba(X[test])
        expected = -log_loss(names[test], proba, labels=est.classes_)
        np.testing.assert_allclose(result["test_score"][k], expected, rtol=1e-10)
        # scikit-learn's own scorer cannot score this fold
        with pytest.raises(ValueError):
            sklearn.metrics.get_scorer("neg_log_loss")(est, X[test], names[test])


def test_binary_log_loss_fold_with_one_class():
    X, y = classification_data(n_classes=2, seed=5)
    est = LogisticRegression().fit(X, y)
    only_ones = y == 1
    score = get_scorer("neg_log_loss")(est, X[only_ones], y[only_ones])
    expected = -log_loss(
        y[only_ones], est.predict_proba(X[only_ones]), labels=est.classes_
    )
    np.testing.assert_allclose(score, expected, rtol=1e-10)


@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "multiclass"])
def test_cross_validate_hinge_decision_function(n_classes):
    X, y = classification_data(n_classes=n_classes, seed=6)
    labels = np.array([-7, 3, 11])[:n_classes][y]  # not 0..K-1 on purpose
    cv = KFold(3, shuffle=True, random_state=6)
    result = cross_validate(
        LinearSVC(), X, labels, cv=cv, scoring=get_scorer("neg_hinge_loss")
    )
    for k, (train, test) in enumerate(cv.split(X)):
        est = LinearSVC().fit(X[train], labels[train])
        decision = est.decision_function(X[test])
        expected = -hinge_loss(labels[test], decision, labels=est.classes_)
        np.testing.assert_allclose(result["test_score"][k], expected, rtol=1e-10)


def test_cross_validate_zero_one_uses_predict():
    X, y = classification_data(seed=7)
    cv = KFold(3, shuffle=True, random_state=7)
    scorer = get_scorer("neg_zero_one_loss")
    result = cross_validate(LinearSVC(), X, y, cv=cv, scoring=scorer)
    for k, (train, test) in enumerate(cv.split(X)):
        est = LinearSVC().fit(X[train], y[train])
        expected = accuracy_score(y[test], est.predict(X[test])) - 1.0
        np.testing.assert_allclose(result["test_score"][k], expected, rtol=1e-10)


def test_grid_search_logistic_multimetric_classification():
    X, y = classification_data(seed=8)
    cv = KFold(3, shuffle=True, random_state=8)
    cs = [0.001, 0.1, 10.0]
    search = GridSearchCV(
        LogisticRegression(),
        {"C": cs},
        scoring={
            "log": get_scorer("neg_log_loss"),
            "zero_one": get_scorer("neg_zero_one_loss"),
        },
        refit="log",
        cv=cv,
    ).fit(X, y)
    expected = np.empty((len(cs), 3))
    for i, c in enumerate(cs):
        for k, (train, test) in enumerate(cv.split(X)):
            est = LogisticRegression(C=c).fit(X[train], y[train])
            expected[i, k] = -log_loss(y[test], est.predict_proba(X[test]))
    np.testing.assert_allclose(
        split_scores(search.cv_results_, "log", 3), expected, rtol=1e-8
    )
    assert search.best_index_ == int(np.argmax(expected.mean(axis=1)))


# ------------------------------------------------------ our own estimator
def test_grid_search_loss_regressor_huber_delta():
    from sklloss import linear_model
    from sklloss.losses import Huber

    X, y, _ = regression_data(n=60, p=3, seed=9)
    cv = KFold(3, shuffle=True, random_state=9)
    deltas = [0.3, 1.0, 5.0]
    base = linear_model.LossRegressor(loss=Huber())
    search = GridSearchCV(
        base,
        {"loss__delta": deltas},
        scoring=make_loss_scorer("absolute_error"),
        cv=cv,
    ).fit(X, y)

    def mae(yt, yp, sw):
        return mean_absolute_error(yt, yp, sample_weight=sw)

    expected = per_fold_scores(base, deltas, "loss__delta", X, y, cv, mae)
    np.testing.assert_allclose(
        split_scores(search.cv_results_, "score", 3), expected, rtol=1e-8
    )
    best = int(np.argmax(expected.mean(axis=1)))
    assert search.best_params_ == {"loss__delta": deltas[best]}
    assert search.best_estimator_.loss.delta == deltas[best]


# ------------------------------------------- cross_validate and sample weights
@pytest.mark.parametrize("routing", [False, True], ids=["no_routing", "routing"])
def test_cross_validate_sample_weight_reaches_scorer_only_with_routing(routing):
    """scikit-learn's cross_validate forwards weights to scorers only under routing.

    Without routing, ``params={"sample_weight": w}`` goes to ``fit`` only and
    the test folds are scored unweighted (scikit-learn's behaviour, not ours).
    """
    X, y, w = regression_data(seed=10)
    cv = KFold(3, shuffle=True, random_state=10)
    with sklearn.config_context(enable_metadata_routing=routing):
        ridge = Ridge().set_fit_request(sample_weight=True) if routing else Ridge()
        result = cross_validate(
            ridge,
            X,
            y,
            cv=cv,
            scoring=get_scorer("neg_mean_squared_error"),
            params={"sample_weight": w},
        )
    for k, (train, test) in enumerate(cv.split(X)):
        est = Ridge().fit(X[train], y[train], sample_weight=w[train])
        sw_test = w[test] if routing else None
        expected = -mean_squared_error(
            y[test], est.predict(X[test]), sample_weight=sw_test
        )
        np.testing.assert_allclose(result["test_score"][k], expected, rtol=1e-10)


def test_cross_validate_weighted_log_loss_under_routing():
    X, y = classification_data(seed=11)
    w = np.random.default_rng(11).uniform(0.2, 3.0, size=len(y))
    cv = KFold(3, shuffle=True, random_state=11)
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            LogisticRegression().set_fit_request(sample_weight=True),
            X,
            y,
            cv=cv,
            scoring=get_scorer("neg_log_loss"),
            params={"sample_weight": w},
        )
    for k, (train, test) in enumerate(cv.split(X)):
        est = LogisticRegression().fit(X[train], y[train], sample_weight=w[train])
        expected = -log_loss(y[test], est.predict_proba(X[test]), sample_weight=w[test])
        np.testing.assert_allclose(result["test_score"][k], expected, rtol=1e-8)


# ------------------------------------------- folds missing a class, many scorers
def test_multimetric_on_folds_missing_a_class_through_a_pipeline():
    """Labels come from the fitted pipeline's classes_ in the multi-metric path."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = classification_data(n=150, seed=12)
    names = np.array(["ant", "bee", "cat"])[y]
    cat = np.flatnonzero(names == "cat")
    rest = np.flatnonzero(names != "cat")
    splits = [
        (np.concatenate([cat, rest[::2]]), rest[1::2]),
        (np.concatenate([cat, rest[1::2]]), rest[::2]),
    ]
    scoring = {
        "log": get_scorer("neg_log_loss"),
        "hinge": get_scorer("neg_hinge_loss"),
        "kl": get_scorer("neg_kl_divergence"),
        "zero_one": get_scorer("neg_zero_one_loss"),
    }
    model = make_pipeline(StandardScaler(), LogisticRegression())
    result = cross_validate(model, X, names, cv=splits, scoring=scoring)
    for k, (train, test) in enumerate(splits):
        est = clone(model).fit(X[train], names[train])
        proba = est.predict_proba(X[test])
        decision = est.decision_function(X[test])
        classes = est.classes_
        expected = {
            "log": log_loss(names[test], proba, labels=classes),
            "hinge": hinge_loss(names[test], decision, labels=classes),
            # KL from a one-hot target is -log p of the true class: the log loss
            "kl": log_loss(names[test], proba, labels=classes),
            "zero_one": 1.0 - accuracy_score(names[test], est.predict(X[test])),
        }
        for key, value in expected.items():
            np.testing.assert_allclose(
                result[f"test_{key}"][k], -value, rtol=1e-10, err_msg=key
            )


@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
def test_cross_validate_loss_classifier_scored_by_its_own_loss(loss):
    from sklloss import linear_model

    X, y = classification_data(n=90, seed=13)
    names = np.array(["ant", "bee", "cat"])[y]
    cv = KFold(3, shuffle=True, random_state=13)
    model = linear_model.LossClassifier(loss=loss, alpha=0.01)
    result = cross_validate(model, X, names, cv=cv, scoring=make_loss_scorer(loss))
    for k, (train, test) in enumerate(cv.split(X)):
        est = clone(model).fit(X[train], names[train])
        if loss == "log_loss":
            value = log_loss(
                names[test], est.predict_proba(X[test]), labels=est.classes_
            )
        else:
            value = hinge_loss(
                names[test], est.decision_function(X[test]), labels=est.classes_
            )
        np.testing.assert_allclose(result["test_score"][k], -value, rtol=1e-10)
