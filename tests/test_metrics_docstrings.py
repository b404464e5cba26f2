"""numpydoc validation of the metric functions as objects.

Most metrics are made by a factory from their loss class, so their
docstrings exist only on the objects, where ``numpydoc lint`` (which reads
the source) does not see them. This runs numpydoc's validation on every
public metric with the checks configured in ``pyproject.toml``, and checks
that each docstring documents exactly the function's parameters.
"""

import inspect
from pathlib import Path

import pytest

from sklloss import metrics

validate = pytest.importorskip("numpydoc.validate")
tomllib = pytest.importorskip("tomllib")  # Python 3.11+

_CONFIG = tomllib.loads(
    (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
)["tool"]["numpydoc_validation"]


def _selected(code):
    """Whether pyproject's ``checks`` list (``"all"`` minus the rest) keeps `code`."""
    checks = _CONFIG["checks"]
    if "all" in checks:
        return code not in checks
    return code in checks


@pytest.mark.parametrize("name", metrics.__all__)
def test_metric_docstring_passes_numpydoc_validation(name):
    result = validate.validate(f"sklloss.metrics.{name}")
    errors = [(code, msg) for code, msg in result["errors"] if _selected(code)]
    assert errors == []


@pytest.mark.parametrize("name", metrics.__all__)
def test_metric_docstring_documents_its_signature(name):
    func = getattr(metrics, name)
    documented = [
        line.split(" : ")[0].strip()
        for line in inspect.getdoc(func)
        .split("Parameters\n----------\n")[1]
        .split("\n\n")[0]
        .splitlines()
        if " : " in line and not line.startswith(" ")
    ]
    assert documented == list(inspect.signature(func).parameters)
