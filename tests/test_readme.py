"""The README's and the docs' code runs, and the figures they quote are measured.

* README: every ```python block runs; the tour's numbers are checked against a
  formula written here; its catalogue table matches the registry.
* docs/: every page's ``>>>`` examples run as doctests (their printed output is
  compared), and the custom-loss example reaches the optimum found by scipy.
* The figures the README and the user guide quote from ``sklloss compare`` are
  re-measured by running it.
"""

import doctest
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from sklloss import available_losses
from sklloss.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
DOC_PAGES = sorted(p for p in (ROOT / "docs").rglob("*.rst") if "_build" not in p.parts)
EXAMPLE_PAGES = [p for p in DOC_PAGES if ">>> " in p.read_text()]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def _run_page(path):
    """Run a page's doctests; return (failures, attempted, namespace)."""
    text = path.read_text()
    name = str(path.relative_to(ROOT))
    test = doctest.DocTestParser().get_doctest(text, {}, name, str(path), 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        runner.run(test, clear_globs=False)
    result = runner.summarize(verbose=False)
    return result.failed, result.attempted, test.globs


def test_there_are_docs_examples():
    names = {p.name for p in EXAMPLE_PAGES}
    assert {"getting_started.rst", "custom_loss.rst", "dask.rst"} <= names


@pytest.mark.parametrize(
    "path",
    EXAMPLE_PAGES,
    ids=[p.relative_to(ROOT / "docs").stem for p in EXAMPLE_PAGES],
)
def test_docs_page_examples_run_and_print_what_they_say(path):
    if path.name == "dask.rst":
        pytest.importorskip("distributed")
    failed, attempted, _ = _run_page(path)
    assert attempted > 0
    assert failed == 0, f"{failed} of {attempted} examples of {path.name} failed"


def test_every_readme_python_block_runs():
    blocks = _python_blocks()
    assert blocks
    for block in blocks:
        exec(block, {})


def test_own_loss_example_reaches_the_optimum():
    failed, _, ns = _run_page(ROOT / "docs" / "user_guide" / "custom_loss.rst")
    assert failed == 0
    X, y, reg = ns["X"], ns["y"], ns["reg"]

    # Independent reference: the same objective written here from the formula
    # (pseudo-Huber mean + alpha/2 ||w||^2) minimised by scipy's BFGS.
    delta, alpha = 2.0, reg.alpha

    def objective(theta):
        r = (y - X @ theta[:-1] - theta[-1]) / delta
        return (
            np.mean(delta**2 * (np.sqrt(1 + r * r) - 1))
            + alpha / 2 * theta[:-1] @ theta[:-1]
        )

    ref = minimize(objective, np.zeros(4), method="BFGS", options={"gtol": 1e-10})
    ours = np.r_[reg.coef_, reg.intercept_]
    assert objective(ours) <= ref.fun + 1e-12
    np.testing.assert_allclose(ours, ref.x, atol=1e-5)
    r = (y - reg.predict(X)) / delta
    assert ns["score"] == pytest.approx(-np.mean(delta**2 * (np.sqrt(1 + r * r) - 1)))


def test_tour_runs_and_its_numbers_are_right():
    tour = _python_blocks()[0]
    ns = {}
    exec(tour, ns)
    y, X, reg = ns["y"], ns["X"], ns["reg"]
    r = np.abs(y - reg.predict(X))
    # Huber (delta=2) written out: r^2/2 inside, delta (|r| - delta/2) outside
    expected = np.mean(np.where(r <= 2.0, 0.5 * r * r, 2.0 * (r - 1.0)))
    assert ns["mean_huber_loss"](y, reg.predict(X), delta=2.0) == pytest.approx(
        expected, rel=1e-12
    )
    assert ns["search"].best_params_["loss__delta"] in (0.5, 1.0, 2.0)
    proba = ns["clf"].predict_proba(X[:2])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def _catalogue_rows():
    section = README[README.index("## The catalogue") :]
    section = section[: section.index("\n## ", 1)]
    rows = {}
    for line in section.splitlines():
        # cells split on unescaped pipes (formulas write |r| as \|r\|)
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) == 6 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells
    return rows


def test_catalogue_table_matches_the_registry():
    rows = _catalogue_rows()
    info = available_losses()
    assert set(rows) == set(info)
    for key, (_, aliases, params, _, metric, trains) in rows.items():
        expected_aliases = ", ".join(info[key]["aliases"]) or "–"
        assert aliases == expected_aliases, key
        expected_params = (
            ", ".join(f"{k}={v}" for k, v in info[key]["params"].items()) or "–"
        )
        assert params == expected_params, key
        assert f"`{info[key]['metric']}`" in metric, key
        assert trains.startswith("yes") == info[key]["trainable"], key


def test_available_losses_lists_what_the_readme_says():
    # README: aliases, parameter defaults, kind, trainable flag and metric name
    for entry in available_losses().values():
        assert set(entry) == {"aliases", "params", "kind", "trainable", "metric"}


def _compare(capsys, *args):
    assert main(["compare", "--format", "json", "--quiet", *args]) == 0
    out = json.loads(capsys.readouterr().out)
    return {
        row["loss"]: {k: v["mean"] for k, v in row["scores"].items()}
        for row in out["results"]
    }


def test_compare_figures_quoted_in_readme_and_user_guide(capsys):
    clean = _compare(capsys, "--outliers", "0")
    assert round(clean["squared_error"]["mean_squared_error"]) == 2977
    assert round(clean["squared_error"]["mean_absolute_error"], 2) == 44.29
    assert round(clean["absolute_error"]["mean_absolute_error"], 2) == 45.56
    assert min(clean, key=lambda k: clean[k]["mean_squared_error"]) == "squared_error"
    assert min(clean, key=lambda k: clean[k]["mean_absolute_error"]) == "squared_error"

    dirty = _compare(capsys)
    mae = {k: round(v["mean_absolute_error"], 2) for k, v in dirty.items()}
    assert (mae["huber"], mae["squared_error"], mae["absolute_error"]) == (
        87.42,
        98.94,
        88.18,
    )
    assert (mae["log_cosh"], mae["tukey_biweight"]) == (87.50, 87.62)
    assert min(mae, key=mae.get) == "huber"

    clf = _compare(capsys, "--task", "classification")
    accuracy = [v["accuracy"] for v in clf.values()]
    assert round(min(accuracy), 3) == 0.963 and round(max(accuracy), 3) == 0.970


PERFORMANCE = README[README.index("## Performance") : README.index("## Documentation")]


def _performance_rows():
    """``(loss, size, peer, 2-thread text, 1-thread text)`` of the README's table."""
    rows = []
    for line in PERFORMANCE.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[\d.]+", cells[3]):
            loss = cells[0].split(" (")[0]
            size = cells[1].replace(" × ", " x ").replace("1e5", "1e+05")
            size = size.replace("1e6", "1e+06")
            rows.append((loss, size, cells[2].replace("`", ""), cells[3], cells[4]))
    return rows


def _goal_ratios(files, loss, size, peer):
    """The two ratios of the goal-table line ``<= g x peer | loss size | ...``."""
    for name in files:
        text = (ROOT / "benchmarks" / "results" / name).read_text()
        for line in text.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if (
                len(cells) == 6
                and cells[0].startswith("<=")
                and cells[0].endswith(f" x {peer}")
                and cells[1] == f"{loss} {size}"
            ):
                return [float(c.rsplit("= ", 1)[1]) for c in cells[2:4]]
    return None


def test_readme_performance_table_quotes_the_results_files():
    # Every ratio of the README's table is its results file's, rounded to
    # the digits the README shows (the files the section names).
    files = re.findall(r"`(?:benchmarks/results/)?(fit_key\w*\.md)`", PERFORMANCE)
    rows = _performance_rows()
    assert len(rows) >= 10
    for loss, size, peer, two, one in rows:
        measured = _goal_ratios(files, loss, size, peer)
        assert measured is not None, (loss, size, peer)
        for text, value in zip((two, one), measured, strict=True):
            unit = 10.0 ** -len(text.split(".")[1])
            assert abs(float(text) - value) <= unit / 2 + 1e-9, (
                loss,
                size,
                text,
                value,
            )
