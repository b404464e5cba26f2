"""compare_losses against scikit-learn's cross_validate on the same folds.

The per-fold values come from ``cross_validate`` (or a loop written here) on
the same splits; the p-values behind the marks from scipy's ``ttest_rel``
with the Nadeau-Bengio factor applied here.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy.stats import t as student_t
from scipy.stats import ttest_rel
from sklearn.datasets import load_diabetes
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklloss import LossClassifier, LossRegressor, get_loss
from sklloss.model_selection import compare_losses

pd = pytest.importorskip("pandas")


def pipeline(loss="squared_error"):
    return make_pipeline(StandardScaler(), LossRegressor(loss=loss))


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def reference_p(a, b, ratio):
    """Two-sided corrected paired t-test from scipy's plain statistic."""
    k = len(a)
    t = ttest_rel(a, b).statistic * np.sqrt((1 / k) / (1 / k + ratio))
    return 2 * student_t.sf(abs(t), df=k - 1)


def test_values_equal_cross_validate_on_the_same_folds(diabetes):
    X, y = diabetes
    q90 = get_loss("quantile", quantile=0.9)
    result = compare_losses(
        pipeline(),
        X,
        y,
        losses={"ls": "squared_error", "q90": q90},
        scoring=["mean_squared_error", "r2"],
        cv=4,
        random_state=3,
    )
    cv = KFold(4, shuffle=True, random_state=3)
    for label, loss in [("ls", "squared_error"), ("q90", q90)]:
        ref = cross_validate(
            pipeline(loss), X, y, cv=cv, scoring=["neg_mean_squared_error", "r2"]
        )
        for metric, values in [
            ("mean_squared_error", -ref["test_neg_mean_squared_error"]),
            ("r2", ref["test_r2"]),
        ]:
            row = result.loc[(label, metric)]
            folds = row[[f"fold_{k}" for k in range(4)]].to_numpy(dtype=float)
            np.testing.assert_allclose(folds, values, rtol=1e-9)
            assert row["mean"] == pytest.approx(values.mean(), rel=1e-9)
            assert row["std"] == pytest.approx(values.std(), rel=1e-9)
    assert list(result.index.get_level_values("metric")[:3]) == [
        "mean_squared_error",
        "r2",
        "fit_time",
    ]
    assert not result.xs("fit_time", level="metric")["best"].any()


def test_the_plain_result_is_the_same_table(diabetes):
    X, y = diabetes
    kwargs = dict(losses=["mse", "mae"], scoring="r2", cv=3, random_state=0)
    frame = compare_losses(pipeline(), X, y, as_frame=True, **kwargs)
    plain = compare_losses(pipeline(), X, y, as_frame=False, **kwargs)
    assert isinstance(plain, dict)
    assert plain["loss"] == ["squared_error"] * 2 + ["absolute_error"] * 2
    assert plain["metric"] == ["r2", "fit_time"] * 2
    np.testing.assert_allclose(
        [f for f, m in zip(plain["folds"], plain["metric"], strict=True) if m == "r2"],
        frame.xs("r2", level="metric")[["fold_0", "fold_1", "fold_2"]],
        rtol=1e-12,
    )
    rebuilt = pd.DataFrame(plain).set_index(["loss", "metric"])
    np.testing.assert_allclose(rebuilt["mean"].iloc[::2], frame["mean"].iloc[::2])


def test_sample_weight_reaches_fit_and_score(diabetes):
    X, y = diabetes
    w = np.random.default_rng(0).integers(1, 4, size=len(y)).astype(float)
    result = compare_losses(
        pipeline(),
        X,
        y,
        losses=["huber"],
        scoring="mean_absolute_error",
        cv=3,
        random_state=1,
        sample_weight=w,
    )
    for k, (tr, te) in enumerate(KFold(3, shuffle=True, random_state=1).split(X)):
        model = pipeline("huber").fit(X[tr], y[tr], lossregressor__sample_weight=w[tr])
        err = np.abs(y[te] - model.predict(X[te]))
        expected = np.sum(w[te] * err) / np.sum(w[te])
        got = result.loc[("huber", "mean_absolute_error"), f"fold_{k}"]
        assert got == pytest.approx(expected, rel=1e-9)


def test_a_clear_winner_is_marked(diabetes):
    # the 0.9-quantile fit is far worse on the MSE, in every fold
    X, y = diabetes
    result = compare_losses(
        pipeline(),
        X,
        y,
        losses=["squared_error", get_loss("quantile", quantile=0.9)],
        scoring="mean_squared_error",
        cv=5,
        random_state=0,
    )
    rows = result.xs("mean_squared_error", level="metric")
    folds = rows[[f"fold_{j}" for j in range(5)]].to_numpy(dtype=float)
    splits = KFold(5, shuffle=True, random_state=0).split(X)
    ratio = np.mean([len(te) / len(tr) for tr, te in splits])
    p = reference_p(folds[1], folds[0], ratio)
    assert p < 0.05
    assert rows["p_value"].iloc[1] == pytest.approx(p, rel=1e-9)
    assert list(rows["best"]) == [True, False]


def test_a_noise_level_difference_is_not_marked():
    # two near-identical fits on clean Gaussian data: one has the lower mean
    # MSE, by less than the fold-to-fold noise
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, 2.0, 3.0] + rng.normal(size=200)
    result = compare_losses(
        pipeline(),
        X,
        y,
        losses=["squared_error", "huber"],
        scoring="mean_squared_error",
        cv=5,
        random_state=0,
    )
    rows = result.xs("mean_squared_error", level="metric")
    folds = rows[[f"fold_{j}" for j in range(5)]].to_numpy(dtype=float)
    assert folds[0].mean() != folds[1].mean()
    p = reference_p(folds[0], folds[1], ratio=1 / 4)
    assert p > 0.05
    assert rows["p_value"].max() == pytest.approx(p, rel=1e-9)
    assert not rows["best"].any()


def test_the_plain_t_test_would_have_marked_it():
    # why the correction: constant-ish differences that the uncorrected paired
    # t-test calls significant, the corrected one not; values from scipy
    from sklloss.model_selection._paired import _corrected_ttest_pvalue

    diffs = np.array([0.9, 1.3, 0.4, 1.1, 0.2])
    plain = ttest_rel(diffs, np.zeros(5)).pvalue
    assert plain < 0.05
    corrected = _corrected_ttest_pvalue(diffs, 1 / 4)
    assert corrected == pytest.approx(reference_p(diffs, np.zeros(5), 1 / 4))
    assert corrected > plain


def test_classifier_on_a_continuous_target_is_a_valueerror():
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(ValueError, match="y: a classifier needs class labels"):
        compare_losses(LossClassifier(), X, X[:, 0], losses=["log_loss"])


def test_bad_options_are_valueerrors_naming_them(diabetes):
    X, y = diabetes
    with pytest.raises(ValueError, match="significance"):
        compare_losses(pipeline(), X, y, significance=1.5)
    with pytest.raises(ValueError, match="scoring: unknown metric 'nope'"):
        compare_losses(pipeline(), X, y, scoring="nope")
    with pytest.raises(ValueError, match="losses: Unknown loss 'nope'"):
        compare_losses(pipeline(), X, y, losses=["mse", "nope"])
    with pytest.raises(ValueError, match="losses: listed twice: squared_error"):
        compare_losses(pipeline(), X, y, losses=["mse", "l2"])


def test_without_pandas_the_result_is_a_dict(diabetes, monkeypatch):
    X, y = diabetes
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="needs pandas"):
        compare_losses(pipeline(), X, y, losses=["mse"], as_frame=True)
    monkeypatch.undo()


def test_a_failed_fit_is_nan_with_a_warning(diabetes, monkeypatch):
    X, y = diabetes
    real = LossRegressor.fit

    def fit(self, X, y, *args, **kwargs):
        if self.loss.name == "absolute_error":
            raise FloatingPointError("solver exploded")
        return real(self, X, y, *args, **kwargs)

    monkeypatch.setattr(LossRegressor, "fit", fit)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        result = compare_losses(
            pipeline(), X, y, losses=["mse", "mae"], scoring="r2", cv=3
        )
    assert any("'absolute_error': the fit failed" in str(w.message) for w in rec)
    assert np.isnan(result.loc[("absolute_error", "r2"), "mean"])
    with pytest.raises(FloatingPointError):
        compare_losses(pipeline(), X, y, losses=["mae"], cv=3, error_score="raise")


def test_sklloss_works_without_pandas():
    # scikit-learn itself imports pandas when it is installed, so the test
    # blocks it: sklloss must import and compare without it
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'pandas':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import sklloss, sklloss.model_selection, sklloss.cli\n"
        "from sklearn.datasets import load_diabetes\n"
        "X, y = load_diabetes(return_X_y=True)\n"
        "r = sklloss.model_selection.compare_losses(\n"
        "    sklloss.LossRegressor(), X, y, losses=['mse'], cv=2)\n"
        "assert isinstance(r, dict) and 'pandas' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
