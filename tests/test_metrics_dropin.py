"""sklloss's metrics as drop-ins for scikit-learn's same-named ones.

Each test calls sklloss's function the way scikit-learn's is called and
compares with scikit-learn's value (the reference); scikit-learn's own test
suites run against sklloss in ``tests/sklearn_suite/``.
"""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from scipy import sparse
from sklearn.dummy import DummyRegressor
from sklearn.metrics import make_scorer
from sklearn.model_selection import GridSearchCV

from sklloss import metrics


@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9], ids=lambda a: f"alpha={a}")
def test_pinball_alpha_is_sklearns_level(alpha):
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=50), rng.normal(size=50)
    expected = skm.mean_pinball_loss(y, p, alpha=alpha)
    assert metrics.mean_pinball_loss(y, p, alpha=alpha) == pytest.approx(expected)
    assert metrics.mean_pinball_loss(y, p, quantile=alpha) == pytest.approx(expected)


def test_pinball_alpha_and_quantile_that_disagree_are_an_error():
    with pytest.raises(ValueError, match="alpha=0.9, quantile=0.1"):
        metrics.mean_pinball_loss([1.0], [0.0], alpha=0.9, quantile=0.1)


def test_pinball_alpha_in_a_grid_search_picks_sklearns_choice():
    # scikit-learn's own tuning test: the 0.95 quantile wins, no NaN scores
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(200, 1)), rng.exponential(size=200)
    grid = {"quantile": [0.5, 0.8, 0.95]}
    scores = {}
    for name, func in (("sklearn", skm.mean_pinball_loss), ("sklloss", None)):
        func = func or metrics.mean_pinball_loss
        scorer = make_scorer(func, alpha=0.95, greater_is_better=False)
        search = GridSearchCV(
            DummyRegressor(strategy="quantile"), grid, scoring=scorer, cv=3
        ).fit(X, y)
        scores[name] = search.cv_results_["mean_test_score"]
        assert search.best_params_ == {"quantile": 0.95}
    np.testing.assert_allclose(scores["sklloss"], scores["sklearn"], rtol=1e-12)


def test_log_loss_old_keyword_warns_like_sklearn():
    y, p = [0, 1, 1], [0.2, 0.7, 0.9]
    with pytest.warns(FutureWarning, match="renamed to `y_proba`"):
        value = metrics.log_loss(y, y_pred=p)
    assert value == pytest.approx(skm.log_loss(y, p))
    with pytest.raises(ValueError, match="Cannot use both"):
        metrics.log_loss(y, p, y_pred=p)


@pytest.mark.parametrize("n_labels", [2, 4], ids=lambda k: f"{k}_labels")
def test_log_loss_of_a_multilabel_indicator_equals_sklearns(n_labels):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=(40, n_labels))
    p = rng.dirichlet(np.ones(n_labels), size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rows of y sum to 0..K
        expected = skm.log_loss(y, p)
        assert metrics.log_loss(y, p) == pytest.approx(expected, rel=1e-12)


def test_log_loss_of_an_indicator_with_one_column_of_probabilities():
    y, p = np.array([[1, 1], [0, 0], [1, 0]]), np.array([0.3, 0.6, 0.1])
    assert metrics.log_loss(y, p) == pytest.approx(skm.log_loss(y, p), rel=1e-12)


@pytest.mark.parametrize(
    "container", [sparse.csr_matrix, sparse.coo_array], ids=["csr_matrix", "coo_array"]
)
@pytest.mark.parametrize("normalize", [True, False], ids=["mean", "count"])
def test_zero_one_loss_of_sparse_indicators_equals_sklearns(container, normalize):
    rng = np.random.default_rng(2)
    a, b = rng.integers(0, 2, size=(30, 4)), rng.integers(0, 2, size=(30, 4))
    w = rng.uniform(size=30)
    expected = skm.zero_one_loss(a, b, normalize=normalize, sample_weight=w)
    got = metrics.zero_one_loss(
        container(a), container(b), normalize=normalize, sample_weight=w
    )
    assert got == pytest.approx(expected, rel=1e-12)
    assert metrics.zero_one_loss(
        a, container(b), normalize=normalize, sample_weight=w
    ) == (pytest.approx(expected, rel=1e-12))


@pytest.mark.parametrize(
    "sequences",
    [[[1], [2], [0, 1]], [[]], [()], np.array([[], [1, 2]], dtype=object)],
    ids=["ragged", "one_empty_list", "one_empty_tuple", "object_array"],
)
def test_zero_one_loss_refuses_multilabel_sequences_as_sklearn(sequences):
    with pytest.raises(ValueError):
        skm.zero_one_loss(sequences, sequences)
    with pytest.raises(ValueError, match="y_true"):
        metrics.zero_one_loss(sequences, sequences)


def test_zero_one_loss_refuses_a_sparse_matrix_that_is_not_an_indicator():
    a = sparse.csr_matrix(np.array([[0, 2], [1, 0]]))
    with pytest.raises(ValueError, match="y_true is sparse"):
        metrics.zero_one_loss(a, a)
