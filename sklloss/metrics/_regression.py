r"""Metrics of the regression losses, made from the loss classes.

One concept (the regression metrics; most of its lines are their docstrings),
hence one module above 500 lines.

Each metric is built by ``_mean_metric`` from its loss class: the
signature (the data, ``sample_weight``, the loss's parameters with their
defaults, ``multioutput``), the docstring (the formula and notes below, the
loss's own parameter entries, the shared entries), and the body, which
validates its input once, by the check of the loss's kind that
:meth:`Loss.__call__ <sklloss.losses.Loss.__call__>` runs too (one
``check_array`` per argument, the loss's domain, the weights), evaluates
the loss's per-sample value in prediction space
(:meth:`~sklloss.losses.Loss.loss_from_prediction`) and averages it, as
scikit-learn does:

.. math::

    \text{output}_k = \frac{\sum_i w_i \, \ell(y_{ik}, \hat y_{ik})}{\sum_i w_i},

then over the outputs ``k`` according to ``multioutput``. Inputs are never
modified; float32 input is averaged in float64. Two metrics are written by
hand, as scikit-learn's signatures need: ``root_mean_squared_error`` (a root
per output, not a mean of a loss) and ``mean_pinball_loss`` (the level is
scikit-learn's ``alpha`` as well as the loss's ``quantile``). Adding a
regression loss's metric is one ``_mean_metric(...)`` statement below.
"""

import inspect
import math

import numpy as np

from .._validation import (
    _binary_parts,
    check_finite_array,
    warn_if_not_finite,
    weighted_average,
)
from ..losses import (
    AbsoluteError,
    Cauchy,
    EpsilonInsensitive,
    Gamma,
    Huber,
    LogCosh,
    Poisson,
    Quantile,
    SmoothL1,
    SquaredEpsilonInsensitive,
    SquaredError,
    TukeyBiweight,
    Tweedie,
)
from ..losses._checks import check_inputs
from ._factory import loss_params_doc

# The text every regression metric's docstring shares (numpydoc, unindented).
_DATA_PARAMS = """y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
    Ground truth target values.
y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
    Estimated target values.
sample_weight : array-like of shape (n_samples,), default=None
    Non-negative sample weights, not all zero."""

_MULTIOUTPUT = """multioutput : str or array-like of shape (n_outputs,), \
default="uniform_average"
    How to combine the errors of several outputs: ``"raw_values"`` returns
    them all, ``"uniform_average"`` averages them, an array-like of weights
    averages them with these weights."""

_RETURNS = """Returns
-------
loss : float or ndarray of shape (n_outputs,)
    A Python float, or one value per output for ``"raw_values"``.

Raises
------
ValueError
    On NaN or infinite input, mismatched shapes, empty input, negative or
    all-zero weights, or a value outside the loss's domain; the message
    names the argument and the value."""


def _docstring(name, text, params, example):
    """A metric's numpydoc docstring from its own text and the shared parts."""
    entries = "\n".join(e for e in (_DATA_PARAMS, params, _MULTIOUTPUT) if e)
    return (
        f"{text}\n\nParameters\n----------\n{entries}\n\n{_RETURNS}\n\n"
        f"Examples\n--------\n>>> from sklloss.metrics import {name}\n{example}\n"
    )


def _mean_metric(name, loss_cls, text, example):
    """The metric function ``name``: the weighted mean of ``loss_cls``'s loss.

    Its keyword-only parameters after ``sample_weight`` are the loss's own,
    with the loss's defaults, so a loss parameter is documented, defaulted
    and validated in one place: the loss class.
    """
    kw = inspect.Parameter.KEYWORD_ONLY
    loss_params = [
        p.replace(kind=kw) for p in inspect.signature(loss_cls).parameters.values()
    ]
    keys = frozenset(p.name for p in loss_params)

    def metric(
        y_true, y_pred, *, sample_weight=None, multioutput="uniform_average", **params
    ):
        if not keys.issuperset(params):
            unknown = sorted(set(params) - keys)[0]
            raise TypeError(f"{name}() got an unexpected keyword argument {unknown!r}")
        loss = loss_cls(**params)
        return _mean_loss(loss, y_true, y_pred, sample_weight, multioutput)

    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    metric.__signature__ = inspect.Signature(
        [
            inspect.Parameter("y_true", positional),
            inspect.Parameter("y_pred", positional),
            inspect.Parameter("sample_weight", kw, default=None),
            *loss_params,
            inspect.Parameter("multioutput", kw, default="uniform_average"),
        ]
    )
    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = _docstring(name, text, loss_params_doc(loss_cls), example)
    return metric


# ----------------------------------------------------------------- machinery
def _check_targets(loss, y_true, y_pred, sample_weight):
    """Validated (y_true, y_pred, sample_weight): the loss's own input check."""
    return check_inputs(loss, y_true, y_pred, sample_weight)


def _check_multioutput(multioutput, n_outputs):
    if isinstance(multioutput, str):
        if multioutput not in ("raw_values", "uniform_average"):
            raise ValueError(
                "multioutput must be 'raw_values', 'uniform_average' or an "
                f"array-like of weights; got multioutput={multioutput!r}."
            )
        return multioutput
    weights = check_finite_array(multioutput, name="multioutput")
    if n_outputs == 1:
        # as scikit-learn: weights over a single output are a user error
        raise ValueError(
            "multioutput weights are useful only with several outputs; got "
            f"multioutput={multioutput!r} for a single output."
        )
    if weights.ndim != 1 or weights.shape[0] != n_outputs:
        raise ValueError(
            f"multioutput has shape {weights.shape} but there are {n_outputs} "
            f"outputs: there must be one weight per output; got "
            f"multioutput={multioutput!r}."
        )
    if np.any(weights < 0) or not np.any(weights > 0):
        raise ValueError(
            "multioutput weights must be non-negative and not all zero; got "
            f"multioutput={multioutput!r}."
        )
    return weights


def _per_output(values, sw):
    """Weighted mean over the samples: a float64 scalar (1-D) or array (2-D)."""
    return weighted_average(values, sw)


def _combine(errors, multioutput):
    n_outputs = 1 if np.ndim(errors) == 0 else errors.shape[0]
    multioutput = _check_multioutput(multioutput, n_outputs)
    if isinstance(multioutput, str) and multioutput == "raw_values":
        result = np.atleast_1d(np.asarray(errors, dtype=np.float64))
    elif isinstance(multioutput, str):
        result = float(weighted_average(np.atleast_1d(errors)))
    else:
        result = float(weighted_average(np.atleast_1d(errors), multioutput))
    warn_if_not_finite(result)
    return result


def _values(loss, y_true, y_pred, raw=False):
    """Per-sample losses; float32 input is redone in float64 if it overflowed.

    Overflow is silenced here: a value beyond the float range is reported
    once, by ``_combine``'s :class:`MetricOverflowWarning`.
    """
    evaluate = loss.loss if raw else loss.loss_from_prediction
    with np.errstate(over="ignore"):
        values = evaluate(y_true, y_pred)
        if values.dtype != np.float64 and not np.all(np.isfinite(values)):
            y_true, y_pred = y_true.astype(np.float64), y_pred.astype(np.float64)
            values = evaluate(y_true, y_pred)
    if loss.name in _HOMOGENEOUS and not np.all(np.isfinite(values)):
        values = _rescaled(loss, y_true, y_pred, values)
    return values


# Losses of the residual that are homogeneous once their threshold scales:
# loss_theta(r) = s^k loss_{theta / s}(r / s) for any s > 0. Where y - y_pred
# or its square leaves the float range (a pinball loss of a residual of 2e308
# at quantile 0.1 is 2e307), the loss is evaluated at y / s, y_pred / s with
# s = 2^600 (exact) and scaled back in binary exponent: inf only if it is.
_HOMOGENEOUS = {
    "squared_error": (2, None),
    "absolute_error": (1, None),
    "huber": (2, "delta"),
    "smooth_l1": (1, "beta"),
    "quantile": (1, None),
    "epsilon_insensitive": (1, "epsilon"),
    "squared_epsilon_insensitive": (2, "epsilon"),
}
_SHIFT = 600


def _rescaled(loss, y_true, y_pred, values):
    degree, threshold = _HOMOGENEOUS[loss.name]
    params = loss.get_params()
    shift = _SHIFT
    if threshold is not None:
        theta = float(params[threshold])
        # a tiny threshold would underflow; its quadratic part is then tiny
        # too and only y - y_pred can overflow, which a factor 4 undoes
        shift = _SHIFT if theta == 0 or theta >= 1e-10 else 2
        params[threshold] = math.ldexp(theta, -shift)
    small = type(loss)(**params)
    bad = ~np.isfinite(values)
    y_b, p_b = np.broadcast_arrays(y_true, y_pred)
    with np.errstate(over="ignore", under="ignore"):
        inner = small.loss(
            np.ldexp(y_b[bad].astype(np.float64), -shift),
            np.ldexp(p_b[bad].astype(np.float64), -shift),
        )
        values = np.array(values, dtype=np.float64, copy=True)
        values[bad] = np.ldexp(inner, degree * shift)
    return values


def _mean_loss(loss, y_true, y_pred, sample_weight, multioutput):
    y_true, y_pred, sw = _check_targets(loss, y_true, y_pred, sample_weight)
    return _combine(_per_output(_values(loss, y_true, y_pred), sw), multioutput)


# ------------------------------------------------- the metrics made from a loss
mean_squared_error = _mean_metric(
    "mean_squared_error",
    SquaredError,
    r"""Mean squared error, the mean of :class:`~sklloss.losses.SquaredError`.

.. math::

    \text{MSE} = \frac{\sum_i w_i (y_i - \hat y_i)^2}{\sum_i w_i}.

Equals :func:`sklearn.metrics.mean_squared_error`.""",
    """>>> mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
0.375""",
)


mean_absolute_error = _mean_metric(
    "mean_absolute_error",
    AbsoluteError,
    r"""Mean absolute error, the mean of :class:`~sklloss.losses.AbsoluteError`.

.. math::

    \text{MAE} = \frac{\sum_i w_i |y_i - \hat y_i|}{\sum_i w_i}.

Equals :func:`sklearn.metrics.mean_absolute_error`.""",
    """>>> mean_absolute_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
0.5""",
)


mean_huber_loss = _mean_metric(
    "mean_huber_loss",
    Huber,
    r"""Mean Huber loss with absolute threshold ``delta`` (PyTorch's ``HuberLoss``).

.. math::

    \ell(r) = \begin{cases}
        \tfrac12 r^2 & |r| \le \delta \\
        \delta (|r| - \tfrac12 \delta) & |r| > \delta
    \end{cases}, \qquad r = y - \hat y.

The mean of :class:`~sklloss.losses.Huber`; equals
``torch.nn.HuberLoss(delta=delta)`` and ``scipy.special.huber(delta, r)``.""",
    """>>> mean_huber_loss([0.0, 0.0], [0.5, 3.0])
1.3125""",
)


mean_smooth_l1_loss = _mean_metric(
    "mean_smooth_l1_loss",
    SmoothL1,
    r"""Mean smooth L1 loss (PyTorch's ``SmoothL1Loss``) of threshold ``beta``.

.. math::

    \ell(r) = \begin{cases}
        r^2 / (2\beta) & |r| < \beta \\
        |r| - \tfrac12 \beta & |r| \ge \beta
    \end{cases}, \qquad r = y - \hat y.

The mean of :class:`~sklloss.losses.SmoothL1`; ``beta`` must be > 0
(use :func:`mean_absolute_error` for PyTorch's ``beta=0``).""",
    """>>> mean_smooth_l1_loss([0.0, 0.0], [1.0, 3.0], beta=2.0)
1.125""",
)


mean_log_cosh_loss = _mean_metric(
    "mean_log_cosh_loss",
    LogCosh,
    r"""Mean log-cosh loss.

.. math::

    \ell(r) = \log\cosh(r) = |r| + \operatorname{log1p}(e^{-2|r|}) - \log 2,
    \qquad r = y - \hat y.

The mean of :class:`~sklloss.losses.LogCosh` (Keras' ``LogCosh``).""",
    """>>> mean_log_cosh_loss([0.0, 0.0], [0.0, 1.0])
0.2168...""",
)


mean_epsilon_insensitive_loss = _mean_metric(
    "mean_epsilon_insensitive_loss",
    EpsilonInsensitive,
    r"""Mean epsilon-insensitive loss of support vector regression.

.. math::

    \ell(r) = \max(0, |r| - \varepsilon), \qquad r = y - \hat y.

The mean of :class:`~sklloss.losses.EpsilonInsensitive`; the default
``epsilon=0.0`` is ``LinearSVR``'s.""",
    """>>> mean_epsilon_insensitive_loss([0.0, 0.0], [0.2, -2.0], epsilon=0.5)
0.75""",
)


mean_squared_epsilon_insensitive_loss = _mean_metric(
    "mean_squared_epsilon_insensitive_loss",
    SquaredEpsilonInsensitive,
    r"""Mean squared epsilon-insensitive loss.

.. math::

    \ell(r) = \max(0, |r| - \varepsilon)^2, \qquad r = y - \hat y.

The mean of :class:`~sklloss.losses.SquaredEpsilonInsensitive`.""",
    """>>> mean_squared_epsilon_insensitive_loss([0.0, 0.0], [0.2, -2.0], epsilon=0.5)
1.125""",
)


mean_poisson_deviance = _mean_metric(
    "mean_poisson_deviance",
    Poisson,
    r"""Mean Poisson deviance (``y_true >= 0``, ``y_pred > 0``).

.. math::

    d(y, \mu) = 2\left(y \log\frac{y}{\mu} - y + \mu\right).

The mean of :class:`~sklloss.losses.Poisson`; equals
:func:`sklearn.metrics.mean_poisson_deviance` (which has no
``multioutput``; here each column is one output).""",
    """>>> mean_poisson_deviance([2, 0, 1, 4], [0.5, 0.5, 2.0, 2.0])
1.4260...""",
)


mean_gamma_deviance = _mean_metric(
    "mean_gamma_deviance",
    Gamma,
    r"""Mean Gamma deviance (``y_true > 0``, ``y_pred > 0``).

.. math::

    d(y, \mu) = 2\left(\log\frac{\mu}{y} + \frac{y}{\mu} - 1\right).

The mean of :class:`~sklloss.losses.Gamma`; equals
:func:`sklearn.metrics.mean_gamma_deviance`.""",
    """>>> mean_gamma_deviance([2, 0.5, 1, 4], [0.5, 0.5, 2.0, 2.0])
1.0568...""",
)


mean_tweedie_deviance = _mean_metric(
    "mean_tweedie_deviance",
    Tweedie,
    r"""Mean Tweedie deviance of power ``power``.

With ``a = 1 - p`` and ``b = 2 - p``,

.. math::

    d(y, \mu) = 2 \left(\frac{\max(y, 0)^{b}}{a b} - \frac{y \mu^{a}}{a}
    + \frac{\mu^{b}}{b}\right),

and ``(y - mu)^2`` for ``p = 0``, the Poisson deviance for ``p = 1``, the
Gamma deviance for ``p = 2``. Domains: ``p < 0``: ``y`` real, ``mu > 0``;
``p = 0``: both real; ``1 <= p < 2``: ``y >= 0``, ``mu > 0``; ``p >= 2``:
both ``> 0``; ``0 < p < 1`` is invalid. The mean of
:class:`~sklloss.losses.Tweedie`; equals
:func:`sklearn.metrics.mean_tweedie_deviance`.""",
    """>>> mean_tweedie_deviance([2, 0, 1, 4], [0.5, 0.5, 2.0, 2.0], power=1)
1.4260...""",
)


mean_cauchy_loss = _mean_metric(
    "mean_cauchy_loss",
    Cauchy,
    r"""Mean Cauchy (Lorentzian) loss with scale ``c``.

.. math::

    \ell(r) = \frac{c^2}{2} \log\left(1 + \frac{r^2}{c^2}\right),
    \qquad r = y - \hat y.

The mean of :class:`~sklloss.losses.Cauchy` (statsmodels'
``StudentT(c=c, df=1).rho``).""",
    """>>> mean_cauchy_loss([0.0, 0.0], [1.0, -1.0], c=1.0)
0.3465...""",
)


mean_tukey_biweight_loss = _mean_metric(
    "mean_tukey_biweight_loss",
    TukeyBiweight,
    r"""Mean Tukey biweight (bisquare) loss with threshold ``c``.

.. math::

    \ell(r) = \frac{c^2}{6} \left(1 - \left(1 - \min(1, (r / c)^2)\right)^3
    \right), \qquad r = y - \hat y.

The mean of :class:`~sklloss.losses.TukeyBiweight` (statsmodels'
``TukeyBiweight(c).rho``).""",
    """>>> mean_tukey_biweight_loss([0.0, 0.0], [0.0, 3.0], c=1.0)
0.0833...""",
)


# ------------------------------------- the metrics scikit-learn's signature needs
def root_mean_squared_error(
    y_true, y_pred, *, sample_weight=None, multioutput="uniform_average"
):
    loss = SquaredError()
    y_true, y_pred, sw = _check_targets(loss, y_true, y_pred, sample_weight)
    mse = _per_output(_values(loss, y_true, y_pred, raw=True), sw)
    if np.all(np.isfinite(mse)) and np.all(mse >= 1e-280):
        return _combine(np.sqrt(mse), multioutput)
    return _combine(_scaled_rmse(y_true, y_pred, sw), multioutput)


def _scaled_rmse(y_true, y_pred, sw):
    """RMSE per output from the squares held as ``m^2 2^(2e)`` (``frexp`` of the
    residual): no square overflows or underflows, so an RMSE of 1e200 or
    1e-232 is returned even where its square is not a float."""
    with np.errstate(over="ignore"):
        r = 0.5 * y_true.astype(np.float64) - 0.5 * y_pred.astype(np.float64)
    m, e = np.frexp(r)
    total, top = _binary_parts(None, sw, split=(m * m, 2 * e + 2))  # 2e + 2: r/2
    if sw is None:
        w_total, w_top = np.frexp(np.float64(r.shape[0]))
    else:
        w_total, w_top = _binary_parts(sw, None)
    ratio, exponent = total / w_total, top - w_top
    odd = exponent % 2 == 1
    ratio = np.where(odd, 2.0 * ratio, ratio)
    exponent = np.where(odd, exponent - 1, exponent)
    with np.errstate(over="ignore"):  # inf: _combine warns
        return np.ldexp(np.sqrt(ratio), exponent // 2)


root_mean_squared_error.__doc__ = _docstring(
    "root_mean_squared_error",
    r"""Root mean squared error: the square root of the MSE of each output.

.. math::

    \text{RMSE}_k = \sqrt{\frac{\sum_i w_i (y_{ik} - \hat y_{ik})^2}{\sum_i w_i}},

then averaged over outputs (the root is taken per output, as in
:func:`sklearn.metrics.root_mean_squared_error`, which it equals).""",
    "",
    """>>> root_mean_squared_error([3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0])
0.612...""",
)


def mean_pinball_loss(
    y_true,
    y_pred,
    *,
    sample_weight=None,
    alpha=0.5,
    quantile=None,
    multioutput="uniform_average",
):
    level = _pinball_level(alpha, quantile)
    return _mean_loss(
        Quantile(quantile=level), y_true, y_pred, sample_weight, multioutput
    )


def _pinball_level(alpha, quantile):
    """The level of :func:`mean_pinball_loss` from its two spellings."""
    if quantile is None:
        return alpha
    if alpha != 0.5 and alpha != quantile:
        raise ValueError(
            "mean_pinball_loss takes the level as alpha or as quantile, not "
            f"two different values; got alpha={alpha!r}, quantile={quantile!r}."
        )
    return quantile


mean_pinball_loss.__doc__ = _docstring(
    "mean_pinball_loss",
    r"""Mean pinball loss of level ``alpha`` (also spelt ``quantile``).

.. math::

    \ell(r) = \max(\tau r, (\tau - 1) r), \qquad r = y - \hat y,
    \ \tau = \text{alpha}.

The mean of :class:`~sklloss.losses.Quantile`; a drop-in for
:func:`sklearn.metrics.mean_pinball_loss`, with the same ``alpha``.
``quantile=`` is the same level under the loss's parameter name (what
:func:`~sklloss.make_loss_scorer` passes; in the estimators ``alpha`` is
a penalty strength).""",
    """alpha : float, default=0.5
    The level, in (0, 1), as in scikit-learn.
quantile : float, default=None
    The level under the loss's parameter name; if given, ``alpha`` must
    be left at its default or equal it.""",
    """>>> mean_pinball_loss([1.0, 1.0], [0.0, 2.0], alpha=0.9)
0.5""",
)
