"""The README's code runs and its catalogue table matches the registry."""

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from sklloss import available_losses

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def _block_after(marker):
    start = README.index(marker)
    return re.search(r"```python\n(.*?)```", README[start:], flags=re.S).group(1)


def test_own_loss_example_reaches_the_optimum():
    ns = {}
    exec(_block_after("<!-- readme-example: own-loss -->"), ns)
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
