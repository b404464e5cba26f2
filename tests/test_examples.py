"""Every gallery example runs headless, draws a figure and follows the gallery style."""

import ast
import runpy
import warnings
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("plot_*.py"))


def test_there_are_examples():
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_headless_and_draws(path, tmp_path, monkeypatch):
    monkeypatch.setenv("SKLLOSS_FIGURE_DIR", str(tmp_path / "images"))
    monkeypatch.chdir(tmp_path)
    plt.close("all")
    try:
        with warnings.catch_warnings():
            # an example must not leave the solver unconverged
            from sklearn.exceptions import ConvergenceWarning

            warnings.simplefilter("error", ConvergenceWarning)
            runpy.run_path(str(path), run_name="__main__")
        numbers = plt.get_fignums()
        assert numbers, f"{path.name} drew no figure"
        for i, num in enumerate(numbers):
            fig = plt.figure(num)
            assert fig.axes, f"{path.name}: figure {num} is empty"
            fig.savefig(tmp_path / f"figure_{i}.png")
    finally:
        plt.close("all")
    if path.stem == "plot_loss_functions":
        png = tmp_path / "images" / "loss_curves.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_gallery_style(path):
    source = path.read_text()
    doc = ast.get_docstring(ast.parse(source), clean=False)
    assert doc is not None, "no module docstring"
    lines = doc.strip("\n").splitlines()
    # title framed by ==== lines of at least the title's length
    assert set(lines[0]) == {"="} and set(lines[2]) == {"="}, lines[:3]
    assert len(lines[0]) >= len(lines[1].rstrip()) and lines[0] == lines[2]
    assert "# %%" in source
    assert "plt.show()" in source or "savefig" in source
