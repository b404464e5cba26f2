"""LossDisplay: curves checked against closed forms written here, lazy matplotlib."""

import subprocess
import sys

import numpy as np
import pytest
from scipy.special import expit
from sklearn.metrics import mean_poisson_deviance

from sklloss import Loss, get_loss
from sklloss.losses import loss_names
from sklloss.plotting import LossDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HAS_CLASSIFICATION = "hinge" in loss_names() and "log_loss" in loss_names()
needs_classification = pytest.mark.skipif(
    not HAS_CLASSIFICATION, reason="classification losses not registered"
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_import_sklloss_does_not_import_matplotlib():
    code = (
        "import sys\n"
        "import sklloss, sklloss.plotting, sklloss.cli, sklloss.losses\n"
        "import sklloss.metrics, sklloss.scorers, sklloss.linear_model\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# Closed forms along the residual r (regression) or the margin m (y = 1),
# written independently of sklloss: (value(x), derivative(x)).
def _abs_derivative(r):
    return np.sign(r)


REGRESSION_REFERENCE = {
    "squared_error": (lambda r: r**2, lambda r: 2 * r),
    "absolute_error": (np.abs, _abs_derivative),
    "huber": (
        lambda r: np.where(np.abs(r) <= 1, r**2 / 2, np.abs(r) - 0.5),
        lambda r: np.clip(r, -1, 1),
    ),
    "log_cosh": (lambda r: np.log(np.cosh(r)), np.tanh),
}
CLASSIFICATION_REFERENCE = {
    "log_loss": (lambda m: np.log1p(np.exp(-m)), lambda m: -expit(-m)),
    "hinge": (lambda m: np.maximum(0, 1 - m), lambda m: -(m < 1).astype(float)),
    "squared_hinge": (
        lambda m: np.maximum(0, 1 - m) ** 2,
        lambda m: -2 * np.maximum(0, 1 - m),
    ),
    "exponential": (lambda m: np.exp(-m), lambda m: -np.exp(-m)),
}


@pytest.mark.parametrize("name", sorted(REGRESSION_REFERENCE))
def test_regression_curves_match_closed_forms(name):
    value, deriv = REGRESSION_REFERENCE[name]
    # an even number of points keeps the kinks at 0 and +-1 off the grid
    disp = LossDisplay.from_losses([name], x_range=(-3, 3), n_points=100)
    x = disp.x
    np.testing.assert_allclose(disp.values[name], value(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(disp.derivatives[name], deriv(x), rtol=1e-10, atol=1e-12)
    assert disp.task == "regression"


@needs_classification
@pytest.mark.parametrize("name", sorted(CLASSIFICATION_REFERENCE))
def test_classification_curves_match_closed_forms(name):
    value, deriv = CLASSIFICATION_REFERENCE[name]
    disp = LossDisplay.from_losses([name], x_range=(-3, 3), n_points=100)
    x = disp.x
    np.testing.assert_allclose(disp.values[name], value(x), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(disp.derivatives[name], deriv(x), rtol=1e-8, atol=1e-10)
    assert disp.task == "classification"
    assert "margin" in disp.ax_.get_xlabel()


def test_log_link_loss_is_drawn_against_log_residual():
    # x = log(y) - log(y_pred) at y = 1, so y_pred = exp(-x); the unit deviance
    # of one sample is sklearn's mean_poisson_deviance of that sample.
    disp = LossDisplay.from_losses(["poisson"], x_range=(-2, 2), n_points=9)
    expected = [mean_poisson_deviance([1.0], [np.exp(-x)]) for x in disp.x]
    np.testing.assert_allclose(disp.values["poisson"], expected, rtol=1e-10)
    # derivative of 2 * (x - 1 + exp(-x)) along x
    np.testing.assert_allclose(
        disp.derivatives["poisson"], 2 * (1 - np.exp(-disp.x)), rtol=1e-10, atol=1e-12
    )


def test_derivative_matches_finite_difference_for_every_loss():
    # every registry loss: the drawn derivative is the slope of the drawn curve
    for kind in ("regression", "classification"):
        disp = LossDisplay.from_losses(
            None, kind=kind, x_range=(-2.3, 2.1), n_points=45
        )
        h = 1e-6
        for label in disp.values:
            loss = get_loss(label)
            if disp.derivatives[label] is None or not loss.is_smooth:
                continue
            plus = LossDisplay.from_losses(
                [label], x_range=(-2.3 + h, 2.1 + h), n_points=45
            ).values[label]
            minus = LossDisplay.from_losses(
                [label], x_range=(-2.3 - h, 2.1 - h), n_points=45
            ).values[label]
            np.testing.assert_allclose(
                disp.derivatives[label],
                (plus - minus) / (2 * h),
                rtol=1e-5,
                atol=1e-6,
                err_msg=label,
            )
            plt.close("all")


class CubicLoss(Loss):
    """A user's loss, not registered: |r|^3."""

    kind = "regression"

    def loss(self, y_true, raw_prediction):
        return np.abs(y_true - raw_prediction) ** 3

    def gradient(self, y_true, raw_prediction):
        r = raw_prediction - y_true
        return 3 * r * np.abs(r)


class NoGradientLoss(Loss):
    kind = "regression"

    def loss(self, y_true, raw_prediction):
        return (np.abs(y_true - raw_prediction) > 1).astype(float)


def test_user_defined_loss_and_labels():
    disp = LossDisplay.from_losses(
        [CubicLoss(), get_loss("huber", delta=2.0)], x_range=(-2, 2), n_points=5
    )
    assert list(disp.values) == ["CubicLoss", "huber(delta=2.0)"]
    np.testing.assert_allclose(disp.values["CubicLoss"], [8, 1, 0, 1, 8])
    np.testing.assert_allclose(disp.derivatives["CubicLoss"], [-12, -3, 0, 3, 12])
    assert set(disp.lines_) == {"CubicLoss", "huber(delta=2.0)"}


def test_dict_of_labels_and_given_axes():
    fig, ax = plt.subplots()
    disp = LossDisplay.from_losses(
        {"L2": "mse", "robust": get_loss("huber", delta=0.5)}, ax=ax, derivative=True
    )
    assert disp.ax_ is ax and disp.figure_ is fig
    assert [line.get_label() for line in ax.get_lines()][:2] == ["L2", "robust"]
    assert ax.get_ylabel() == "derivative of the loss"
    # re-plot the same data on new axes
    _, ax2 = plt.subplots()
    disp.plot(ax=ax2)
    assert disp.ax_ is ax2 and ax2.get_ylabel() == "loss"


def test_loss_without_gradient_is_skipped_with_a_warning():
    disp = LossDisplay.from_losses([NoGradientLoss(), "mae"])
    assert disp.derivatives["NoGradientLoss"] is None
    with pytest.warns(UserWarning, match="NoGradientLoss"):
        disp.plot(derivative=True)
    assert list(disp.lines_) == ["absolute_error"]


def test_clip_limits_the_y_axis():
    disp = LossDisplay.from_losses(["mse", "mae"], x_range=(-10, 10), clip=5)
    assert disp.ax_.get_ylim()[1] < 6
    disp = LossDisplay.from_losses(["mse", "mae"], x_range=(-1, 1))
    assert disp.ax_.get_ylim()[1] >= 1  # nothing cut when everything fits


@needs_classification
def test_mixing_regression_and_classification_is_an_error():
    with pytest.raises(ValueError, match="different axes"):
        LossDisplay.from_losses(["huber", "hinge"])
    with pytest.raises(ValueError, match="kind='classification'"):
        LossDisplay.from_losses(["huber"], kind="classification")


def test_default_losses_are_the_registry_of_the_kind():
    disp = LossDisplay.from_losses()
    assert list(disp.values) == loss_names(kind="regression")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "ranking"}, "kind must be"),
        ({"x_range": (1, -1)}, "x_range"),
        ({"n_points": 1}, "n_points"),
        ({"losses": []}, "at least one"),
        ({"losses": ["nope"]}, "Unknown loss"),
        ({"losses": ["mse", "l2"]}, "twice"),
    ],
    ids=["kind", "x_range", "n_points", "empty", "unknown", "duplicate"],
)
def test_bad_arguments(kwargs, match):
    kwargs = {"losses": ["mse"], **kwargs}
    with pytest.raises(ValueError, match=match):
        LossDisplay.from_losses(**kwargs)
