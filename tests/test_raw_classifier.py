"""Labels and (log-)probabilities from raw scores, shared by the classifiers.

References: scipy's ``log_expit`` and ``log_softmax``, exact for raw scores of
any size; labels by a loop written in the test.
"""

import numpy as np
import pytest
from scipy.special import log_expit, log_softmax

from sklloss import LossClassifier
from sklloss._raw_classifier import _labels_from_raw, _log_proba_from_raw
from sklloss.boosting import LossBoostingClassifier
from sklloss.losses import get_loss

RAW_1D = np.array([-1e4, -800.0, -30.0, 0.0, 1e-300, 30.0, 800.0, 1e4])
RAW_2D = np.array([[-1e4, 0.0, 1e4], [800.0, -800.0, 0.0], [1.0, 2.0, 3.0]])


def test_binary_log_proba_stable_at_any_logit():
    got = _log_proba_from_raw(get_loss("log_loss"), RAW_1D)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got[:, 1], log_expit(RAW_1D), rtol=1e-15)
    np.testing.assert_allclose(got[:, 0], log_expit(-RAW_1D), rtol=1e-15)


def test_softmax_log_proba_stable_at_any_logit():
    got = _log_proba_from_raw(get_loss("log_loss"), RAW_2D)
    np.testing.assert_allclose(got, log_softmax(RAW_2D, axis=1), rtol=1e-15)


def test_labels_from_raw_matches_a_loop():
    classes = np.array(["a", "b", "c"])
    got = _labels_from_raw(classes, RAW_2D)
    want = [classes[max(range(3), key=lambda k: row[k])] for row in RAW_2D]
    assert list(got) == want
    got = _labels_from_raw(classes[:2], RAW_1D)
    assert list(got) == ["b" if r > 0 else "a" for r in RAW_1D]


@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "3-class"])
@pytest.mark.parametrize(
    "make", [LossClassifier, LossBoostingClassifier], ids=["linear", "boosting"]
)
def test_estimators_share_the_stable_formulas(make, n_classes):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = np.digitize(X[:, 0], np.linspace(-0.5, 0.5, n_classes - 1))
    kwargs = {"n_estimators": 5} if make is LossBoostingClassifier else {}
    est = make(loss="log_loss", **kwargs).fit(X * 1e3, y)  # far-off logits
    raw = est.decision_function(X * 1e3)
    want = (
        np.column_stack([log_expit(-raw), log_expit(raw)])
        if raw.ndim == 1
        else log_softmax(raw, axis=1)
    )
    np.testing.assert_allclose(est.predict_log_proba(X * 1e3), want, rtol=1e-14)
    np.testing.assert_allclose(est.predict_proba(X * 1e3), np.exp(want), rtol=1e-14)
    assert np.all(np.isfinite(est.predict_log_proba(X * 1e3)))
