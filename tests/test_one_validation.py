"""A loss object's ``__call__`` and its metric validate their input the same way.

Both read the input through the one check of the loss's kind
(``sklloss/losses/_checks.py``); the metric only adds the reading of labels
of any type. For every registered loss, on encoded labels (which are labels
too) the two give the same value, and the same bad input is refused by both
with the same kind of message.
"""

import zlib

import numpy as np
import pytest

from sklloss import metrics
from sklloss.losses import get_loss, loss_names

N = 12


def _data(loss):
    """Valid ``(y_true, y_pred)`` for `loss`: encoded targets, prediction space."""
    rng = np.random.default_rng(zlib.crc32(loss.name.encode()))  # stable seed
    if loss.kind == "regression":
        low = loss.y_true_domain.low
        y = rng.gamma(2.0, size=N) + 0.1 if np.isfinite(low) else rng.normal(size=N)
        return y, rng.gamma(2.0, size=N) + 0.1
    y = np.arange(N) % 3
    if loss.name == "zero_one":
        return y, np.roll(y, 1)
    if loss.kind == "margin":
        return y, rng.normal(size=(N, 3))
    p = rng.dirichlet(np.ones(3), size=N)
    if loss.kind == "distribution":
        return rng.dirichlet(np.ones(3), size=N), p
    return y, p


def _metric(loss):
    return getattr(metrics, loss.metric_name)


NAMES = loss_names()


@pytest.mark.parametrize("name", NAMES)
def test_metric_equals_the_loss_objects_mean(name):
    loss = get_loss(name)
    y, p = _data(loss)
    w = np.linspace(0.5, 2.0, N)
    # encoded labels 0..K-1 are labels in sorted order, so both read the same
    assert _metric(loss)(y, p, sample_weight=w) == loss(y, p, sample_weight=w)


@pytest.mark.parametrize("name", NAMES)
def test_bad_weights_are_refused_in_the_same_words(name):
    loss = get_loss(name)
    y, p = _data(loss)
    w = np.ones(N)
    w[3] = -1.0
    with pytest.raises(ValueError) as by_loss:
        loss(y, p, sample_weight=w)
    with pytest.raises(ValueError) as by_metric:
        _metric(loss)(y, p, sample_weight=w)
    assert str(by_loss.value) == str(by_metric.value)
    assert "sample_weight[3] = -1.0" in str(by_loss.value)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "zero_one"])
def test_a_nan_prediction_is_refused_by_both(name):
    # zero_one compares labels, where NaN is a label that differs
    loss = get_loss(name)
    y, p = _data(loss)
    p = p.astype(float)
    p[(2,) + (0,) * (p.ndim - 1)] = np.nan
    for score in (loss, _metric(loss)):
        with pytest.raises(ValueError, match="NaN"):
            score(y, p)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "entropy"])
def test_lengths_that_differ_are_refused_by_both(name):
    # the entropy ignores y_true
    loss = get_loss(name)
    y, p = _data(loss)
    for score in (loss, _metric(loss)):
        with pytest.raises(ValueError, match="inconsistent numbers of samples"):
            score(y[:-1], p)
