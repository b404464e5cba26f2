"""Public names derived from the registry, and the prose lists kept equal to it.

The ``__all__`` of ``sklloss.losses`` and ``sklloss.metrics`` are derived from
the registry; these tests pin them to the sets they had when they were kept
by hand, check that each derived name resolves, that a loss without a
written metric gets one (its value checked against a loop written here),
and that the lists of losses the docs write out in prose (README table,
LossRegressor's scale-aware losses) are the registry's.
"""

import doctest
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import sklloss
from sklloss import LossRegressor, available_losses, losses, metrics
from sklloss.losses import Loss
from sklloss.losses._registry import _REGISTRY
from sklloss.metrics._derived import default_metric

ROOT = Path(__file__).resolve().parents[1]

# The hand-kept lists of the session before the registry derived them.
TOP_LEVEL = {
    "Loss",
    "available_losses",
    "get_loss",
    "LossRegressor",
    "LossClassifier",
    "make_loss_scorer",
    "get_scorer",
    "get_scorer_names",
    "__version__",
}
LOSSES = {
    "Loss",
    "register",
    "get_loss",
    "available_losses",
    "loss_names",
    "SquaredError",
    "Huber",
    "AbsoluteError",
    "SmoothL1",
    "Quantile",
    "LogCosh",
    "EpsilonInsensitive",
    "SquaredEpsilonInsensitive",
    "Poisson",
    "Gamma",
    "Tweedie",
    "Cauchy",
    "TukeyBiweight",
    "LogLoss",
    "Focal",
    "Hinge",
    "SquaredHinge",
    "ModifiedHuber",
    "Exponential",
    "ZeroOne",
    "KLDivergence",
    "JSDivergence",
    "Entropy",
}
METRICS = {
    "mean_squared_error",
    "root_mean_squared_error",
    "mean_absolute_error",
    "mean_huber_loss",
    "mean_smooth_l1_loss",
    "mean_pinball_loss",
    "mean_log_cosh_loss",
    "mean_epsilon_insensitive_loss",
    "mean_squared_epsilon_insensitive_loss",
    "mean_poisson_deviance",
    "mean_gamma_deviance",
    "mean_tweedie_deviance",
    "mean_cauchy_loss",
    "mean_tukey_biweight_loss",
    "log_loss",
    "focal_loss",
    "cross_entropy",
    "hinge_loss",
    "squared_hinge_loss",
    "modified_huber_loss",
    "exponential_loss",
    "zero_one_loss",
    "kl_divergence",
    "js_divergence",
    "entropy",
}


@pytest.mark.parametrize(
    "module, expected",
    [(sklloss, TOP_LEVEL), (losses, LOSSES), (metrics, METRICS)],
    ids=["sklloss", "sklloss.losses", "sklloss.metrics"],
)
def test_public_names_are_those_kept_by_hand_before(module, expected):
    # The old names, plus only the class and the metric of a loss registered
    # since (none at the time of writing): nothing else leaks in or out.
    registered = {c.__name__ for c in _REGISTRY.values()}
    registered |= {c.metric_name for c in _REGISTRY.values()}
    assert expected <= set(module.__all__)
    assert set(module.__all__) - expected <= registered - LOSSES - METRICS
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        assert getattr(module, name) is not None, name


def test_every_registered_loss_is_exported_with_its_metric():
    for key, cls in _REGISTRY.items():
        assert getattr(losses, cls.__name__) is cls, key
        assert callable(getattr(metrics, cls.metric_name)), key


class _HalfSquare(Loss):
    r"""Half the squared error, a loss no module writes a metric for.

    .. math::

        \ell(y, z) = \tfrac12 (y - z)^2 .

    Parameters
    ----------
    scale : float, default=1.0
        A factor of the loss.
    """

    metric_name = "mean_half_square_loss"

    def __init__(self, scale=1.0):
        self.scale = scale

    def loss(self, y_true, raw_prediction):
        return 0.5 * self.scale * (y_true - raw_prediction) ** 2

    def gradient(self, y_true, raw_prediction):
        return self.scale * (raw_prediction - y_true)


def test_a_loss_without_a_written_metric_gets_one_from_its_class():
    metric = default_metric(_HalfSquare)
    assert metric.__name__ == "mean_half_square_loss"
    assert list(inspect.signature(metric).parameters) == [
        "y_true",
        "y_pred",
        "sample_weight",
        "scale",
        "multioutput",
    ]
    doc = inspect.getdoc(metric)
    assert r"\tfrac12 (y - z)^2" in doc  # the class's formula
    assert "scale : float, default=1.0" in doc  # the class's parameter entry
    y, p, w = [0.0, 1.0, 4.0], [1.0, 1.0, 1.0], [1.0, 2.0, 3.0]
    # the weighted mean written out as a loop
    total = sum(
        wi * 0.5 * 3.0 * (yi - pi) ** 2 for yi, pi, wi in zip(y, p, w, strict=True)
    )
    assert metric(y, p, sample_weight=w, scale=3.0) == pytest.approx(total / sum(w))
    with pytest.raises(ValueError, match="y_pred"):
        metric(y, [1.0, np.nan, 1.0])


def test_a_default_metric_passes_numpydoc_validation(monkeypatch):
    validate = pytest.importorskip("numpydoc.validate")
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    ignored = set(config["numpydoc_validation"]["checks"]) - {"all"}
    monkeypatch.setattr(
        metrics, "mean_half_square_loss", default_metric(_HalfSquare), raising=False
    )
    result = validate.validate("sklloss.metrics.mean_half_square_loss")
    assert [(c, m) for c, m in result["errors"] if c not in ignored] == []
    # the generated example runs and prints what it says
    test = doctest.DocTestParser().get_doctest(
        metrics.mean_half_square_loss.__doc__, {}, "example", None, 0
    )
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False) == (0, 2)


def _readme_table_keys():
    section = (ROOT / "README.md").read_text()
    section = section[section.index("## The catalogue") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.M)


def test_readme_table_lists_the_registry_in_its_order():
    # the row contents are checked by tests/test_readme.py; here the order
    assert _readme_table_keys() == list(available_losses())


def test_regressor_docstring_lists_the_scale_aware_losses():
    # "auto" re-estimates the scale for the smooth losses whose shape depends
    # on the units of y; the docstring names them in prose
    doc = LossRegressor.__doc__
    found = re.search(r'``loss\.scale_role == "tuning"``:\s*([^)]*)\)', doc)
    named = [n.strip() for n in found.group(1).replace("\n", " ").split(",")]
    expected = [
        key
        for key in available_losses()
        if _REGISTRY[key].scale_role == "tuning" and _REGISTRY[key]().is_smooth
    ]
    assert named == expected
