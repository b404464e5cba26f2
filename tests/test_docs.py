"""The generated docs pages cover the package: every public name, every loss.

The full Sphinx build (warnings as errors, nitpicky) runs in ``.ci/run``; these
tests check, without Sphinx, what the build-time generators in
``docs/_ext/sklloss_docs.py`` write.
"""

import importlib
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import sklloss
from sklloss import available_losses
from sklloss.scorers import get_scorer_names

pytest.importorskip("numpydoc")
pytest.importorskip("matplotlib")

DOCS = Path(__file__).resolve().parents[1] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))
sklloss_docs = importlib.import_module("sklloss_docs")


def _public_names():
    """Every dotted name of sklloss.__all__ and of its public subpackages'."""
    names = {f"sklloss.{n}" for n in sklloss.__all__}
    for info in pkgutil.iter_modules(sklloss.__path__):
        if info.name.startswith("_"):
            continue
        try:
            module = importlib.import_module(f"sklloss.{info.name}")
        except ImportError:  # an optional subpackage without its extra
            continue
        names |= {f"sklloss.{info.name}.{n}" for n in getattr(module, "__all__", ())}
    return names


def test_api_page_documents_every_public_name(tmp_path):
    sklloss_docs.write_api(tmp_path / "body.rst.inc")
    body = (tmp_path / "body.rst.inc").read_text()
    pages = {p.stem for p in (tmp_path / "generated").glob("*.rst")}
    canon, alias = sklloss_docs.canonical_names()
    for name in sorted(_public_names()):
        if name.endswith("__version__"):
            assert repr(sklloss.__version__) in body
            continue
        # one page per object; other spellings point at it
        assert alias[name] in pages, name
        assert alias[name] in body or name.rsplit(".", 1)[1] in body, name
    assert "sklloss.metrics.mean_huber_loss" in pages
    assert "sklloss.LossRegressor" in pages


def test_catalogue_has_one_entry_per_registered_loss(tmp_path):
    sklloss_docs.write_catalogue(tmp_path / "cat.rst.inc", tmp_path / "img", "/img")
    text = (tmp_path / "cat.rst.inc").read_text()
    info = available_losses()
    anchors = re.findall(r"^\.\. _loss-(\w+):$", text, flags=re.M)
    assert anchors == list(info)
    for key, entry in info.items():
        assert (tmp_path / "img" / f"{key}.png").read_bytes()[:4] == b"\x89PNG"
        assert f"sklloss.metrics.{entry['metric']}" in text
        assert f"neg_{entry['metric']}" in get_scorer_names()
    # a formula from each class's docstring, and the units of the thresholds
    assert text.count(".. math::") >= len(info)
    assert "units of y" in text


def test_benchmark_tables_are_rendered_verbatim(tmp_path):
    results = DOCS.parent / "benchmarks" / "results"
    sklloss_docs.write_benchmarks(tmp_path / "bench.rst.inc", results)
    text = (tmp_path / "bench.rst.inc").read_text()
    source = (results / "fit_key.md").read_text()
    # the first sklloss time of the key cells appears as measured
    first = re.search(r"\*\*sklloss \w+\*\* \| ([^|]+) \|", source).group(1).strip()
    assert first in text
