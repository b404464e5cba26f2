"""`sklloss compare` end to end; scores checked against a direct cross_validate."""

import csv
import io
import json
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import t as student_t
from scipy.stats import ttest_rel
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklloss import get_loss
from sklloss.cli import DEFAULT_LOSSES, main, parse_specs
from sklloss.losses import loss_names

HAS_CLASSIFICATION = "hinge" in loss_names() and "log_loss" in loss_names()
needs_classification = pytest.mark.skipif(
    not HAS_CLASSIFICATION, reason="classification losses not registered"
)


def run(argv, capsys):
    """Run the CLI in-process; return (exit status, stdout, stderr)."""
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def regression_csv(tmp_path_factory):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 3)) * [1.0, 10.0, 0.1]
    y = X @ [1.0, -0.2, 5.0] + rng.normal(size=80)
    y[:6] += 15  # a few outliers
    path = tmp_path_factory.mktemp("data") / "reg.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "c", "target"])
        w.writerows(np.column_stack([X, y]).tolist())
    return path, X, y


@pytest.fixture(scope="module")
def classification_csv(tmp_path_factory):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(90, 3))
    y = np.where(X @ [1.0, -1.0, 0.5] + 0.5 * rng.normal(size=90) > 0, "yes", "no")
    path = tmp_path_factory.mktemp("data") / "clf.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["x1", "x2", "x3", "label"])
        w.writerows([[*row, lab] for row, lab in zip(X.tolist(), y, strict=True)])
    return path, X, y


# ----------------------------------------------------------------- the default
def test_default_run_as_a_module():
    proc = subprocess.run(
        [sys.executable, "-m", "sklloss", "compare"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("sklloss compare: regression on diabetes")
    for name in DEFAULT_LOSSES["regression"]:
        assert any(line.startswith(name + " ") for line in lines), name
    # progress on stderr, one line per loss
    assert proc.stderr.count("5 folds in") == len(DEFAULT_LOSSES["regression"])
    assert "5 folds in" not in proc.stdout


def test_default_json_has_the_documented_content(capsys):
    status, out, _ = run(["compare", "--format", "json", "--quiet"], capsys)
    assert status == 0
    report = json.loads(out)
    assert report["task"] == "regression"
    assert (report["n_samples"], report["n_features"]) == (442, 10)
    assert "44 of 442 targets" in report["dataset"]
    assert [r["loss"] for r in report["results"]] == DEFAULT_LOSSES["regression"]
    by = {r["loss"]: r["scores"] for r in report["results"]}
    # measured property of the outlier data: the robust fits beat least
    # squares on the median absolute error
    for robust in ("absolute_error", "huber"):
        assert (
            by[robust]["median_absolute_error"]["mean"]
            < by["squared_error"]["median_absolute_error"]["mean"]
        )


# --------------------------------------------------- json against cross_validate
def _reference_regressor(loss, alpha):
    from sklloss.linear_model import LossRegressor

    return TransformedTargetRegressor(
        regressor=make_pipeline(
            StandardScaler(), LossRegressor(loss=loss, alpha=alpha)
        ),
        transformer=StandardScaler(),
    )


def test_json_matches_cross_validate_regression(regression_csv, capsys):
    path, X, y = regression_csv
    argv = ["compare", "--csv", str(path), "--target", "target", "--cv", "4"]
    argv += ["--losses", "mse,absolute_error,huber:delta=0.5", "--alpha", "0.01"]
    argv += ["--metrics", "mean_squared_error,mean_absolute_error,r2"]
    argv += ["--seed", "7", "--format", "json"]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    report = json.loads(out)
    assert [r["loss"] for r in report["results"]] == [
        "squared_error",
        "absolute_error",
        "huber(delta=0.5)",
    ]
    losses = [get_loss("squared_error"), get_loss("absolute_error")]
    losses.append(get_loss("huber", delta=0.5))
    cv = KFold(4, shuffle=True, random_state=7)
    scoring = ["neg_mean_squared_error", "neg_mean_absolute_error", "r2"]
    for entry, loss in zip(report["results"], losses, strict=True):
        ref = cross_validate(
            _reference_regressor(loss, 0.01), X, y, cv=cv, scoring=scoring
        )
        got = entry["scores"]
        np.testing.assert_allclose(
            got["mean_squared_error"]["folds"],
            -ref["test_neg_mean_squared_error"],
            rtol=1e-7,
        )
        np.testing.assert_allclose(
            got["mean_absolute_error"]["folds"],
            -ref["test_neg_mean_absolute_error"],
            rtol=1e-7,
        )
        np.testing.assert_allclose(got["r2"]["folds"], ref["test_r2"], rtol=1e-7)
        assert got["r2"]["mean"] == pytest.approx(np.mean(ref["test_r2"]), rel=1e-7)
        assert got["r2"]["std"] == pytest.approx(np.std(ref["test_r2"]), rel=1e-6)
        assert len(entry["fit_time"]["folds"]) == 4
    # the marks: a two-sided paired t-test of each loss against the best mean,
    # its variance corrected for the shared training data (Nadeau-Bengio);
    # the reference statistic comes from scipy's ttest_rel
    for name, lower in [("mean_squared_error", True), ("r2", False)]:
        folds = {
            r["loss"]: np.array(r["scores"][name]["folds"]) for r in report["results"]
        }
        means = {k: v.mean() for k, v in folds.items()}
        best = (min if lower else max)(means, key=means.get)
        ratio = np.mean([len(te) / len(tr) for tr, te in cv.split(X)])
        p_values = {}
        for other in folds.keys() - {best}:
            t = ttest_rel(folds[other], folds[best]).statistic
            t_corr = t * np.sqrt((1 / 4) / (1 / 4 + ratio))
            p_values[other] = 2 * student_t.sf(abs(t_corr), df=3)
            got = next(r for r in report["results"] if r["loss"] == other)
            assert got["scores"][name]["p_value"] == pytest.approx(p_values[other])
        expected = [best] if all(p < 0.05 for p in p_values.values()) else []
        assert report["best"][name] == expected
    assert report["best"]["fit_time"] == []


@needs_classification
def test_json_matches_cross_validate_classification(classification_csv, capsys):
    from sklloss.linear_model import LossClassifier

    path, X, y = classification_csv
    argv = ["compare", "--csv", str(path), "--target", "label", "--task"]
    argv += ["classification", "--losses", "log_loss,hinge", "--cv", "3"]
    argv += ["--metrics", "accuracy,log_loss", "--format", "json", "--quiet"]
    status, out, _ = run(argv, capsys)
    assert status == 0
    report = json.loads(out)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    for entry in report["results"]:
        model = make_pipeline(
            StandardScaler(), LossClassifier(loss=entry["loss"], alpha=1e-4)
        )
        ref = cross_validate(model, X, y, cv=cv, scoring=["accuracy"])
        np.testing.assert_allclose(
            entry["scores"]["accuracy"]["folds"], ref["test_accuracy"], rtol=1e-12
        )
    by = {r["loss"]: r["scores"] for r in report["results"]}
    # log loss needs probabilities: available for log_loss, not for hinge
    assert by["log_loss"]["log_loss"]["mean"] > 0
    assert by["hinge"]["log_loss"]["mean"] is None
    # one loss has a log loss: nothing to compare it with, so no mark
    assert report["best"]["log_loss"] == []


@needs_classification
def test_default_classification_run(capsys):
    status, out, err = run(["compare", "--task", "classification", "--cv", "3"], capsys)
    assert status == 0, err
    assert "breast_cancer" in out
    assert "n/a" in out  # log loss of margin losses
    for name in DEFAULT_LOSSES["classification"]:
        assert name in out


# ----------------------------------------------------------------- the formats
def _csv_run(path, fmt, capsys):
    argv = ["compare", "--csv", str(path), "--target", "target", "--cv", "3"]
    argv += ["--losses", "mse,mae,huber", "--format", fmt, "--quiet"]
    status, out, _ = run(argv, capsys)
    assert status == 0
    return out


def test_csv_format_parses(regression_csv, capsys):
    out = _csv_run(regression_csv[0], "csv", capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["loss"] for r in rows] == ["squared_error", "absolute_error", "huber"]
    for r in rows:
        for key in ("mean_squared_error_mean", "r2_std", "fit_time_mean"):
            assert np.isfinite(float(r[key]))
    marked = [name for r in rows for name in r["best_in"].split(";") if name]
    assert len(marked) == len(set(marked))  # at most one best per column
    assert "fit_time" not in marked


def test_table_and_markdown_formats_parse(regression_csv, capsys):
    table = _csv_run(regression_csv[0], "table", capsys)
    lines = table.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("loss "))
    body = lines[header + 2 : header + 5]
    assert [line.split()[0] for line in body] == [
        "squared_error",
        "absolute_error",
        "huber",
    ]
    # 5 columns (4 metrics + fit time); the fit time is never marked
    assert not any(line.rstrip().endswith("*") for line in body)
    for line in body:
        means = [float(c.split("±")[0].split()[-1]) for c in line.split("±")[:-1]]
        assert len(means) == 5

    md = _csv_run(regression_csv[0], "markdown", capsys)
    rows = [line for line in md.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 3
    assert all(row.count("|") == 7 for row in rows)  # loss + 5 columns
    assert rows[1].startswith("| --- |")
    assert "paired t-test" in md


def test_plot_writes_a_png(regression_csv, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "cmp.png"
    argv = ["compare", "--csv", str(regression_csv[0]), "--target", "target"]
    argv += ["--cv", "3", "--losses", "mse,mae", "--plot", str(out)]
    status, _, err = run(argv, capsys)
    assert status == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}" in err


# ---------------------------------------------------------- usage errors -> 2
def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


BAD_ARGUMENTS = {
    "no-command": ([], "required: COMMAND"),
    "unknown-option": (["compare", "--frobnicate"], "unrecognized arguments"),
    "cv-too-small": (["compare", "--cv", "1"], "--cv: must be >= 2"),
    "cv-not-int": (["compare", "--cv", "five"], "--cv: expected an integer"),
    "alpha-negative": (["compare", "--alpha", "-1"], "--alpha: must be a finite"),
    "bad-format": (["compare", "--format", "xml"], "invalid choice: 'xml'"),
    "bad-task": (["compare", "--task", "ranking"], "invalid choice: 'ranking'"),
    "unknown-loss": (
        ["compare", "--losses", "mse,nope"],
        "unknown loss 'nope'; valid regression losses: squared_error, absolute_error",
    ),
    "bad-loss-param": (["compare", "--losses", "huber:delta=-1"], "delta"),
    "loss-param-no-value": (["compare", "--losses", "huber:delta"], "key=value"),
    "loss-twice": (["compare", "--losses", "mse,l2"], "listed twice: squared_error"),
    "wrong-task-loss": (
        ["compare", "--task", "classification", "--losses", "squared_error"],
        "'squared_error' is a regression loss",
    ),
    "unknown-metric": (["compare", "--metrics", "nope"], "unknown metric 'nope'"),
    "missing-file": (
        ["compare", "--csv", "{tmp}/absent.csv", "--target", "y"],
        "no such file",
    ),
    "no-target": (["compare", "--csv", "{ok}"], "--target COLUMN is required"),
    "target-without-csv": (["compare", "--target", "y"], "--target needs --csv"),
    "missing-target-column": (
        ["compare", "--csv", "{ok}", "--target", "price"],
        "no column 'price' in",
    ),
    "non-numeric-feature": (
        ["compare", "--csv", "{text}", "--target", "y"],
        "non-numeric feature columns: city",
    ),
    "non-numeric-target": (
        ["compare", "--csv", "{text}", "--target", "city"],
        "is not numeric",
    ),
    "target-outside-loss-domain": (
        ["compare", "--csv", "{ok}", "--target", "a", "--losses", "poisson"],
        "the target must lie in [0",
    ),
    "empty-cells": (
        ["compare", "--csv", "{holes}", "--target", "y"],
        "missing values (NA or empty cells) in feature columns: b (1 of 3)",
    ),
    "na-cells": (
        ["compare", "--csv", "{na}", "--target", "y"],
        "missing values (NA or empty cells) in feature columns: a (1 of 3)",
    ),
    "missing-target-values": (
        ["compare", "--csv", "{na_target}", "--target", "y"],
        "--target: column 'y' has 1 missing values",
    ),
    "classification-on-continuous-target": (
        ["compare", "--csv", "{floaty}", "--target", "y", "--task", "classification"],
        "column 'y' is a continuous target",
    ),
    "drop-unknown-column": (
        ["compare", "--csv", "{ok}", "--target", "y", "--drop", "zz"],
        "--drop: no column 'zz'",
    ),
    "drop-the-target": (
        ["compare", "--csv", "{ok}", "--target", "y", "--drop", "a,y"],
        "--drop: 'y' is the target column",
    ),
    "sep-without-csv": (["compare", "--sep", ";"], "--sep needs --csv"),
    "impute-without-csv": (["compare", "--impute", "mean"], "--impute needs --csv"),
    "unnamed-middle-column": (
        ["compare", "--csv", "{unnamed}", "--target", "y"],
        "columns without a name in the header: column 2",
    ),
    "wrong-separator": (
        ["compare", "--csv", "{ok}", "--target", "y", "--sep", ";"],
        "(is --sep ';' right?)",
    ),
    "plot-directory-missing": (
        ["compare", "--plot", "{tmp}/absent/cmp.png"],
        "--plot: no such directory",
    ),
    "plot-extension-unsupported": (
        ["compare", "--plot", "{tmp}/cmp.xyz"],
        "--plot: unsupported file type '.xyz'",
    ),
    "plot-no-extension": (["compare", "--plot", "{tmp}/cmp"], "'(none)'"),
    "too-many-folds": (
        ["compare", "--csv", "{ok}", "--target", "y", "--cv", "9"],
        "--cv: Cannot have number of splits n_splits=9",
    ),
}
if HAS_CLASSIFICATION:
    BAD_ARGUMENTS["classification-loss-for-regression"] = (
        ["compare", "--losses", "hinge"],
        "'hinge' is a classification loss; valid regression losses",
    )
    BAD_ARGUMENTS["untrainable-loss"] = (
        ["compare", "--task", "classification", "--losses", "zero_one"],
        "'zero_one' cannot be trained",
    )


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_bad_arguments_exit_2_with_one_line(case, tmp_path, capsys):
    argv, message = BAD_ARGUMENTS[case]
    files = {
        "tmp": str(tmp_path),
        "ok": _write(tmp_path, "ok.csv", "a,b,y\n-1,2,3\n2,3,5\n3,1,4\n4,4,9\n5,0,4\n"),
        "text": _write(tmp_path, "t.csv", "a,city,y\n1,Rome,3\n2,Oslo,5\n3,Lima,4\n"),
        "holes": _write(tmp_path, "h.csv", "a,b,y\n1,,3\n2,3,5\n3,1,4\n"),
        "na": _write(tmp_path, "na.csv", "a,b,y\nNA,1,3\n2,3,5\n3,1,4\n"),
        "na_target": _write(tmp_path, "nt.csv", "a,b,y\n1,1,NA\n2,3,5\n3,1,4\n"),
        "floaty": _write(tmp_path, "f.csv", "a,b,y\n1,2,0.5\n2,3,1.7\n3,1,4.2\n"),
        "unnamed": _write(tmp_path, "u.csv", "a,,y\n1,2,3\n2,3,5\n3,1,4\n"),
    }
    argv = [a.format(**files) for a in argv]
    status, out, err = run(argv, capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith("sklloss: error: ")
    assert message in err


def test_help_exits_0(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--losses LIST" in out and "diabetes" in out


def test_bad_argument_in_a_subprocess_exits_2():
    proc = subprocess.run(
        [sys.executable, "-m", "sklloss", "compare", "--losses", "nope"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("sklloss: error: --losses: unknown loss 'nope'")


# ---------------------------------------------------------------- loss specs
@pytest.mark.parametrize(
    "text, expected",
    [
        ("mse", [("mse", {})]),
        ("mse, mae", [("mse", {}), ("mae", {})]),
        ("huber:delta=2", [("huber", {"delta": 2})]),
        ("quantile:quantile=0.9,mse", [("quantile", {"quantile": 0.9}), ("mse", {})]),
        (
            "focal:gamma=2,alpha=0.25,log_loss",
            [("focal", {"gamma": 2, "alpha": 0.25}), ("log_loss", {})],
        ),
        ("focal:gamma=2:alpha=none", [("focal", {"gamma": 2, "alpha": None})]),
    ],
    ids=["one", "two", "param", "float-param", "comma-params", "colon-params"],
)
def test_parse_specs(text, expected):
    assert parse_specs(text, "--losses") == expected


# ------------------------------------------------------- run-time failure -> 1
def test_a_failing_fit_is_reported_and_exits_1(regression_csv, capsys, monkeypatch):
    from sklloss.linear_model import LossRegressor

    real = LossRegressor.fit

    def fit(self, X, y, *args, **kwargs):
        if self.loss.name == "absolute_error":
            raise FloatingPointError("solver exploded")
        return real(self, X, y, *args, **kwargs)

    monkeypatch.setattr(LossRegressor, "fit", fit)
    argv = ["compare", "--csv", str(regression_csv[0]), "--target", "target"]
    argv += ["--cv", "3", "--losses", "mse,mae"]
    status, out, err = run(argv, capsys)
    assert status == 1
    row = next(line for line in out.splitlines() if line.startswith("absolute_error"))
    assert row.split()[1:] == ["failed"] * 5
    assert "absolute_error: failed: FloatingPointError: solver exploded" in err
    # the other loss is still reported; with nothing to compare it with, it
    # is not marked
    row = next(line for line in out.splitlines() if line.startswith("squared_error"))
    assert "failed" not in row and "*" not in row


def test_metrics_given_as_loss_specs(regression_csv, capsys):
    from sklearn.metrics import mean_pinball_loss as sk_pinball

    from sklloss.metrics import mean_huber_loss

    path, X, y = regression_csv
    argv = ["compare", "--csv", str(path), "--target", "target", "--cv", "3"]
    argv += ["--losses", "mse", "--format", "json", "--no-scale-target"]
    argv += ["--metrics", "huber:delta=2,quantile:quantile=0.9,mean_huber_loss"]
    status, out, _ = run(argv, capsys)
    assert status == 0
    report = json.loads(out)
    names = [m["name"] for m in report["metrics"]]
    assert names == [
        "mean_huber_loss(delta=2)",
        "mean_pinball_loss(quantile=0.9)",
        "mean_huber_loss",
    ]
    assert all(m["lower_is_better"] for m in report["metrics"])
    # reference: fit each fold by hand, score with the metric functions
    from sklloss.linear_model import LossRegressor

    scores = report["results"][0]["scores"]
    cv = KFold(3, shuffle=True, random_state=0)
    for k, (tr, te) in enumerate(cv.split(X)):
        model = make_pipeline(StandardScaler(), LossRegressor(loss="squared_error"))
        pred = model.fit(X[tr], y[tr]).predict(X[te])
        r = y[te] - pred
        huber2 = np.mean(np.where(np.abs(r) <= 2, r**2 / 2, 2 * (np.abs(r) - 1)))
        pinball = np.mean(np.maximum(0.9 * r, -0.1 * r))
        assert scores["mean_huber_loss(delta=2)"]["folds"][k] == pytest.approx(huber2)
        assert scores["mean_pinball_loss(quantile=0.9)"]["folds"][k] == pytest.approx(
            pinball
        )
        assert scores["mean_huber_loss"]["folds"][k] == pytest.approx(
            mean_huber_loss(y[te], pred)
        )
        assert pinball == pytest.approx(sk_pinball(y[te], pred, alpha=0.9))


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_ascii_fallback_for_terminals_without_unicode(regression_csv, capsys, fmt):
    from sklloss.cli import _render

    argv = ["compare", "--csv", str(regression_csv[0]), "--target", "target"]
    argv += ["--cv", "3", "--losses", "mse,mae", "--format", "json"]
    status, out, _ = run(argv, capsys)
    report = json.loads(out)

    class AsciiStream:
        encoding = "ascii"

    text = _render(report, fmt, AsciiStream())
    text.encode("ascii")  # no UnicodeEncodeError
    assert "+/-" in text and "(min)" in text
    assert "±" in _render(report, fmt, sys.stdout)


@pytest.mark.parametrize("loss", ["huber", "tukey_biweight", "poisson"])
def test_cli_fits_the_api_model(regression_csv, capsys, loss):
    # Issue 11: the same data through the CLI and through the API give the
    # same model: LossRegressor's default scale behind a StandardScaler,
    # every fold scored on the original target.
    path, X, y = regression_csv
    y = np.exp(y / 10) if loss == "poisson" else y
    csv_path = path.with_name(f"api_{loss}.csv")
    with open(csv_path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "c", "target"])
        w.writerows(np.column_stack([X, y]).tolist())
    argv = ["compare", "--csv", str(csv_path), "--target", "target", "--cv", "3"]
    argv += ["--losses", loss, "--metrics", "mean_absolute_error", "--format", "json"]
    status, out, _ = run(argv, capsys)
    assert status == 0
    folds = json.loads(out)["results"][0]["scores"]["mean_absolute_error"]["folds"]
    from sklloss.linear_model import LossRegressor

    for k, (tr, te) in enumerate(KFold(3, shuffle=True, random_state=0).split(X)):
        model = make_pipeline(StandardScaler(), LossRegressor(loss=loss))
        pred = model.fit(X[tr], y[tr]).predict(X[te])
        assert folds[k] == pytest.approx(np.mean(np.abs(y[te] - pred)), rel=1e-9)


@pytest.mark.parametrize("backend", ["lightgbm", "xgboost"])
def test_cli_boosting_fits_the_api_model(regression_csv, capsys, backend):
    # Issue 16: the same "which loss?" table for boosted trees; every fold
    # equals a LossBoostingRegressor fitted by hand on the same fold.
    pytest.importorskip(backend)
    from sklloss.boosting import LossBoostingRegressor

    path, X, y = regression_csv
    argv = ["compare", "--csv", str(path), "--target", "target", "--cv", "3"]
    argv += ["--losses", "huber,mse", "--metrics", "mean_absolute_error"]
    argv += ["--model", "boosting", "--backend", backend, "--format", "json"]
    status, out, _ = run(argv, capsys)
    assert status == 0
    report = json.loads(out)
    assert report["model"] == f"boosting ({backend})"
    for row, loss in zip(report["results"], ["huber", "squared_error"], strict=True):
        folds = row["scores"]["mean_absolute_error"]["folds"]
        for k, (tr, te) in enumerate(KFold(3, shuffle=True, random_state=0).split(X)):
            model = LossBoostingRegressor(loss=loss, backend=backend, random_state=0)
            pred = model.fit(X[tr], y[tr]).predict(X[te])
            assert folds[k] == pytest.approx(np.mean(np.abs(y[te] - pred)), rel=1e-6)


# ------------------------------------------------------------- CSV by pandas
def _mae_folds(X, y, k=3, steps=()):
    """Per-fold MAE of a LossRegressor pipeline fitted by hand."""
    from sklloss.linear_model import LossRegressor

    out = []
    for tr, te in KFold(k, shuffle=True, random_state=0).split(X):
        model = make_pipeline(*steps, StandardScaler(), LossRegressor(loss="huber"))
        out.append(np.mean(np.abs(y[te] - model.fit(X[tr], y[tr]).predict(X[te]))))
    return out


def _json_run(capsys, path, *extra):
    argv = ["compare", "--csv", str(path), "--target", "target", "--cv", "3"]
    argv += ["--losses", "huber", "--metrics", "mean_absolute_error"]
    argv += ["--format", "json", *extra]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    return json.loads(out), err


def test_csv_with_sep_drop_and_an_unnamed_index_column(regression_csv, capsys):
    pd = pytest.importorskip("pandas")
    path, X, y = regression_csv
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(target=y)
    frame.insert(0, "id", np.arange(len(y)) * 7)
    semi = path.with_name("semi.csv")
    frame.to_csv(semi, sep=";")  # with pandas' unnamed index column first
    report, err = _json_run(capsys, semi, "--sep", ";", "--drop", "id")
    assert "the first column has no name; read as the row index" in err
    assert (report["n_samples"], report["n_features"]) == (len(y), 3)
    folds = report["results"][0]["scores"]["mean_absolute_error"]["folds"]
    np.testing.assert_allclose(folds, _mae_folds(X, y), rtol=1e-9)


@pytest.mark.parametrize("strategy", ["mean", "median"])
def test_impute_matches_a_simple_imputer_in_the_pipeline(
    regression_csv, capsys, strategy
):
    from sklearn.impute import SimpleImputer

    path, X, y = regression_csv
    X = X.copy()
    X[[2, 11, 40], [0, 2, 1]] = np.nan
    holes = path.with_name("holes.csv")
    cells = [["" if np.isnan(v) else repr(float(v)) for v in row] for row in X]
    cells[11][2] = "NA"  # pandas' NA and an empty cell are both missing
    with open(holes, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "c", "target"])
        w.writerows([[*row, repr(float(t))] for row, t in zip(cells, y, strict=True)])
    report, _ = _json_run(capsys, holes, "--impute", strategy)
    folds = report["results"][0]["scores"]["mean_absolute_error"]["folds"]
    expected = _mae_folds(X, y, steps=[SimpleImputer(strategy=strategy)])
    np.testing.assert_allclose(folds, expected, rtol=1e-9)


def test_impute_drop_leaves_the_rows_out(regression_csv, capsys):
    path, X, y = regression_csv
    holes = path.with_name("drop.csv")
    lines = path.read_text().splitlines()
    lines[3] = ",".join(lines[3].split(",")[:2] + ["NA", lines[3].split(",")[3]])
    lines[8] = ",".join(lines[8].split(",")[:3] + [""])  # a missing target
    holes.write_text("\n".join(lines) + "\n")
    report, _ = _json_run(capsys, holes, "--impute", "drop")
    keep = np.setdiff1d(np.arange(len(y)), [2, 7])
    assert report["n_samples"] == len(keep)
    folds = report["results"][0]["scores"]["mean_absolute_error"]["folds"]
    np.testing.assert_allclose(folds, _mae_folds(X[keep], y[keep]), rtol=1e-9)


def test_csv_without_pandas_is_one_line_and_exit_2(regression_csv, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    argv = ["compare", "--csv", str(regression_csv[0]), "--target", "target"]
    status, out, err = run(argv, capsys)
    assert (status, out) == (2, "")
    assert err == (
        "sklloss: error: --csv needs pandas, which is not installed: "
        "pip install 'sklloss[cli]'\n"
    )


def test_the_default_run_does_not_need_pandas():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'pandas':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from sklloss.cli import main\n"
        "assert main(['compare', '--cv', '2', '--losses', 'mse', '--quiet']) == 0\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr


def test_plot_path_is_checked_before_any_work(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    import sklloss.cli as cli

    def fail(*args, **kwargs):
        raise AssertionError("data loaded before the --plot check")

    monkeypatch.setattr(cli, "_default_regression_data", fail)
    status, _, err = run(["compare", "--plot", str(tmp_path / "x" / "a.png")], capsys)
    assert status == 2 and "no such directory" in err
