"""The Loss base class: the one object every other layer of sklloss reads.

One concept (the Loss base class and its conventions), hence one module above 500 lines.

A loss declares what it is through class attributes (``kind``,
``is_smooth``, ``has_hessian``, ``is_piecewise_linear``, ``is_convex``,
``trainable``, ``multiclass``); estimators read these flags and never switch
on the loss's type.

Notes
-----
Conventions (read these once; every loss follows them):

* ``raw_prediction`` is the decision value of a linear model, ``X @ w + b``:
  shape (n,) for regression and binary classification, (n, K) for a softmax
  over K classes. ``y_pred`` is the prediction a user sees, obtained through
  ``inverse_link(raw_prediction)``: identity (most regression losses), exp
  (log-link GLMs), sigmoid / softmax (probabilistic losses), identity
  (margin losses, whose prediction *is* the decision value).
* ``y_true`` for classification losses is label-encoded: 0 / 1 for binary
  losses, 0..K-1 for multiclass ones; probabilistic losses also accept soft
  targets, an (n, K) array of rows that sum to 1.
* ``loss`` returns per-sample values, the quantity the metric averages, at
  its documented scale (no factor or constant dropped); ``gradient`` and
  ``hessian`` are derivatives of that same value with respect to
  ``raw_prediction``. For piecewise-quadratic losses ``hessian`` is the
  generalized Hessian (the second derivative almost everywhere).
* ``__call__(y_true, y_pred, sample_weight=None)`` validates its input and
  returns the weighted mean of ``loss_from_prediction`` as a Python float.
* Computations keep float32 input in float32.
"""

import copy

import numpy as np
from sklearn.base import BaseEstimator

from .._validation import Interval, check_finite_array, weighted_mean
from ._checks import check_inputs, mean_of

__all__ = ["Loss"]

_RESPONSE_METHOD = {
    "regression": "predict",
    "probabilistic": "predict_proba",
    "distribution": "predict_proba",
    "margin": "decision_function",
}


class Loss(BaseEstimator):
    """Base class of every loss: per-sample value, derivatives, link and metric.

    Subclass it to add a loss: implement :meth:`loss` and :meth:`gradient`
    (and :meth:`hessian` when the second derivative exists), set the class
    attributes that describe it, and validate hyper-parameters in
    :meth:`_validate_params`. The object is then a scikit-learn style
    parameterised object: ``get_params`` / ``set_params``, ``clone``,
    pickling and a readable ``repr`` come from :class:`~sklearn.base.BaseEstimator`.

    Attributes
    ----------
    name : str
        Registry key (``None`` for a user's loss that is not registered).
    kind : {"regression", "probabilistic", "margin", "distribution"}
        What the estimator and scorer do with it.
    link : {"identity", "log", "logit"}
        Link from prediction to raw prediction (``"logit"`` is the sigmoid
        for 1-D and the softmax for 2-D raw predictions).
    is_smooth, has_hessian, is_piecewise_linear, is_convex, trainable : bool
        Flags read by the estimators' solver choice.
    is_twice_differentiable : bool
        Whether the Hessian is continuous in the raw prediction (False for
        the piecewise-quadratic losses, whose generalized Hessian jumps: a
        Hessian measured on a sample of rows predicts their curvature poorly,
        so the estimators pick ``"sampled-newton"`` for them only for margin
        losses, where it was measured to need fewer passes).
    multiclass : {None, "softmax", "ovr"}
        How an estimator trains it on K > 2 classes.
    y_true_domain, y_pred_domain : Interval
        Valid values of ``y_true`` and of ``y_pred`` (prediction space).
    metric_name : str
        Name of the matching function in :mod:`sklloss.metrics`.
    scale_role : {None, "homogeneous", "tuning"}
        How the loss depends on the units of ``y`` (read by
        :class:`~sklloss.LossRegressor`'s ``scale``): ``"tuning"``, its
        shape depends on them through a tuning constant (``delta``, ``c``,
        ``epsilon``) or a built-in unit (log-cosh), so the estimator works in
        units of an estimated scale; ``"homogeneous"``, rescaling ``y`` and
        the prediction by ``a`` multiplies the loss by a power of ``a``
        (squared and absolute error, quantile, the deviances), so the units
        only weigh the penalty; ``None`` (a user's loss), unknown: fitted in
        the units of ``y``.
    outlier_threshold : float or None
        For a robust loss, the residual (in units of the scale) beyond which
        a sample counts as an outlier (``outliers_`` of the estimator).
    """

    name = None
    aliases = ()
    kind = "regression"
    link = "identity"
    is_smooth = True
    is_twice_differentiable = True
    is_piecewise_linear = False
    is_convex = True
    trainable = True
    multiclass = None
    y_true_domain = Interval()
    y_pred_domain = Interval()
    metric_name = None
    scale_role = None
    outlier_threshold = None
    _input_kind = None  # the input check, if not the kind's (see _checks.py)

    # ------------------------------------------------------------------ params
    def _validate_params(self):
        """Check hyper-parameters; raise a ValueError naming the bad one."""

    def set_params(self, **params):
        """Set hyper-parameters, validated first: on error nothing changes.

        Parameters
        ----------
        **params : dict
            Hyper-parameters by name.

        Returns
        -------
        self : Loss
            The loss itself.

        Raises
        ------
        ValueError
            If a name is not a parameter or a value is invalid; the loss then
            keeps every previous value.
        """
        # Validate a shallow copy, so that a rejected value never lands on self.
        candidate = copy.copy(self)
        BaseEstimator.set_params(candidate, **params)
        candidate._validate_params()
        super().set_params(**params)
        return self

    # ------------------------------------------------------------------ flags
    @property
    def has_hessian(self):
        """True when the subclass implements :meth:`hessian`.

        Returns
        -------
        bool
            Whether ``hessian`` is overridden (not the base class's).
        """
        return type(self).hessian is not Loss.hessian

    @property
    def response_method(self):
        """The estimator method whose output a scorer passes as ``y_pred``.

        Returns
        -------
        str
            ``"predict"`` (regression), ``"predict_proba"`` (probabilistic and
            distribution losses) or ``"decision_function"`` (margin losses).
        """
        return _RESPONSE_METHOD[self.kind]

    # ------------------------------------------------------------ derivatives
    def loss(self, y_true, raw_prediction):
        """Per-sample loss at the raw prediction.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Targets: real values for a regression loss; labels (0 / 1, or
            0..n_classes-1 with a 2-D ``raw_prediction``) or soft targets for a
            classification loss.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction, the decision value ``X @ w + b`` (2-D for a softmax over
            n_classes classes).

        Returns
        -------
        ndarray of shape (n_samples,)
            Per-sample loss at its documented scale; an element-wise regression
            loss given 2-D input returns shape (n_samples, n_outputs).

        Raises
        ------
        NotImplementedError
            Always: a subclass implements it.
        """
        raise NotImplementedError

    def gradient(self, y_true, raw_prediction):
        """Derivative of :meth:`loss` with respect to ``raw_prediction``.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Targets: real values for a regression loss; labels (0 / 1, or
            0..n_classes-1 with a 2-D ``raw_prediction``) or soft targets for a
            classification loss.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction, the decision value ``X @ w + b`` (2-D for a softmax over
            n_classes classes).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample derivative, of the shape of ``raw_prediction``.

        Raises
        ------
        NotImplementedError
            Always: a subclass implements it.
        """
        raise NotImplementedError

    def loss_gradient(self, y_true, raw_prediction):
        """Return ``(loss, gradient)``; subclasses may share work between them.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Targets: real values for a regression loss; labels (0 / 1, or
            0..n_classes-1 with a 2-D ``raw_prediction``) or soft targets for a
            classification loss.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction, the decision value ``X @ w + b`` (2-D for a softmax over
            n_classes classes).

        Returns
        -------
        loss : ndarray of shape (n_samples,)
            Per-sample loss, as :meth:`loss`.
        gradient : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Per-sample derivative, as :meth:`gradient`.
        """
        return self.loss(y_true, raw_prediction), self.gradient(y_true, raw_prediction)

    def _target_cache(self, y_true):
        """Per-row values computed from the targets alone, or None.

        A fit evaluates the loss many times on the same targets; a loss with
        a costly target-only part (Poisson's ``log y``) returns it here once,
        and the linear models' objective then calls
        :meth:`_loss_gradient_cached` with it (sliced like ``y_true``).
        Internal; None: nothing to cache.
        """
        return None

    def _loss_gradient_cached(self, y_true, raw_prediction, cache):
        """:meth:`loss_gradient` given :meth:`_target_cache`'s ``cache``."""
        return self.loss_gradient(y_true, raw_prediction)

    def hessian(self, y_true, raw_prediction):
        """Second derivative of :meth:`loss` with respect to ``raw_prediction``.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Targets: real values for a regression loss; labels (0 / 1, or
            0..n_classes-1 with a 2-D ``raw_prediction``) or soft targets for a
            classification loss.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction, the decision value ``X @ w + b`` (2-D for a softmax over
            n_classes classes).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes, n_classes)
            Per-sample second derivative: shape (n,) for 1-D raw predictions,
            (n, K, K) for 2-D ones.

        Raises
        ------
        NotImplementedError
            When the loss has no Hessian (``has_hessian`` is False).
        """
        raise NotImplementedError(f"{type(self).__name__} does not define a Hessian.")

    def hessian_product(self, y_true, raw_prediction, v):
        """Per-sample Hessian times ``v`` (same shape as ``raw_prediction``).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Targets: real values for a regression loss; labels (0 / 1, or
            0..n_classes-1 with a 2-D ``raw_prediction``) or soft targets for a
            classification loss.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction, the decision value ``X @ w + b`` (2-D for a softmax over
            n_classes classes).
        v : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Direction, of the shape of ``raw_prediction``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``hessian * v`` (1-D) or the product of each sample's (K, K)
            Hessian with its row of ``v`` (2-D).
        """
        h = self.hessian(y_true, raw_prediction)
        if np.ndim(raw_prediction) == 1:
            return h * v
        return np.einsum("nij,nj->ni", h, v)

    def hessian_diagonal(self, y_true, raw_prediction):
        r"""Diagonal of the per-sample Hessian, of the shape of ``raw_prediction``.

        .. math::

            d_{ik} = \frac{\partial^2 \ell(y_i, z_i)}{\partial z_{ik}^2}

        what a boosting library takes as each sample's Hessian (one tree per
        class and round sees only its own column). The base class takes the
        diagonal of :meth:`hessian`'s (n, K, K) array; a loss with a cheaper
        closed form (the softmax's :math:`p_k (1 - p_k)`) overrides it.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Targets, as for :meth:`hessian`.
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction, as for :meth:`hessian`.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            :meth:`hessian` itself (1-D raw) or its diagonals (2-D raw).

        Examples
        --------
        >>> import numpy as np
        >>> from sklloss.losses import get_loss
        >>> get_loss("log_loss").hessian_diagonal(np.array([0]), np.zeros((1, 2)))
        array([[0.25, 0.25]])
        """
        h = self.hessian(y_true, raw_prediction)
        if np.ndim(raw_prediction) == 1:
            return h
        return np.ascontiguousarray(np.einsum("nkk->nk", h))

    def _gradient_hessian_diagonal(self, y_true, raw_prediction):
        """``(gradient, hessian_diagonal)``; a loss may share work between them."""
        return (
            self.gradient(y_true, raw_prediction),
            self.hessian_diagonal(y_true, raw_prediction),
        )

    # --------------------------------------------------------- best constant
    def optimal_constant(self, y_true, sample_weight=None, *, n_classes=None):
        r"""The constant raw prediction that minimises the weighted mean loss.

        .. math::

            c^* = \operatorname{argmin}_c \frac{\sum_i s_i \ell(y_i, c)}{\sum_i s_i}

        the start of a boosted model (its init score / base margin) and of an
        intercept. Closed forms: the weighted mean (``squared_error``), the
        weighted median or ``quantile``-quantile (``absolute_error``,
        ``quantile``; the smallest minimiser), the log of the weighted mean
        (``poisson``, ``gamma``, ``tweedie``), the logit of the weighted
        frequency of class 1 (binary ``log_loss``) and the log of the class
        frequencies (softmax ``log_loss``). Every other loss, a user's
        subclass too, is minimised numerically: a bounded Brent search in 1-D,
        L-BFGS-B with the gradient for a softmax. Probabilities and means are
        clipped to ``[1e-15, 1 - 1e-15]`` / ``>= 1e-15`` so that a class or a
        target that never occurs gives a finite (essentially optimal) value.

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Targets, as in :meth:`loss` (labels 0..n_classes-1 for a softmax).
        sample_weight : ndarray of shape (n_samples,), default=None
            Non-negative weights, not all zero.
        n_classes : int, default=None
            Number of classes of a softmax loss (``multiclass="softmax"``) over
            K > 2 classes, which gets a K-vector; None or 2 gives a scalar.

        Returns
        -------
        float or ndarray of shape (n_classes,)
            The optimal constant in raw-prediction space.

        Examples
        --------
        >>> import numpy as np
        >>> from sklloss.losses import get_loss
        >>> get_loss("squared_error").optimal_constant(np.array([1.0, 2.0, 6.0]))
        3.0
        >>> get_loss("absolute_error").optimal_constant(np.array([1.0, 2.0, 6.0]))
        2.0
        >>> get_loss("log_loss").optimal_constant(np.array([0, 1, 1, 1]))
        1.0986...
        """
        y = np.asarray(y_true)
        sw = None if sample_weight is None else np.asarray(sample_weight, float)
        softmax = y.ndim == 2 or (n_classes is not None and n_classes > 2)
        if softmax and self.kind != "regression":
            K = y.shape[1] if y.ndim == 2 else int(n_classes)
            return _optimal_constant_vector(self, y, sw, K)
        closed = _CLOSED_FORM_CONSTANT.get(self.name)
        if closed is not None and type(self).loss.__module__.startswith(__package__):
            return float(closed(self, y, sw))
        return _optimal_constant_scalar(self, y, sw)

    def _has_closed_form_constant(self):
        """Whether :meth:`optimal_constant` of a scalar is a closed form (no search)."""
        closed = _CLOSED_FORM_CONSTANT.get(self.name)
        return closed is not None and type(self).loss.__module__.startswith(__package__)

    # ------------------------------------------------------------------ links
    def inverse_link(self, raw_prediction):
        """Prediction from raw prediction (identity unless overridden).

        Parameters
        ----------
        raw_prediction : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw prediction, the decision value ``X @ w + b`` (2-D for a softmax over
            n_classes classes).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The prediction ``y_pred``; here ``raw_prediction`` itself.
        """
        return raw_prediction

    def link_function(self, y_pred):
        """Raw prediction from prediction (identity unless overridden).

        Parameters
        ----------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Prediction in prediction space.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The raw prediction; here ``y_pred`` itself.
        """
        return y_pred

    def loss_from_prediction(self, y_true, y_pred):
        """Per-sample loss in prediction space (what the metric averages).

        Parameters
        ----------
        y_true : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Targets: real values for a regression loss; labels (0 / 1, or
            0..n_classes-1 with a 2-D ``raw_prediction``) or soft targets for a
            classification loss.
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Prediction in prediction space (see :meth:`inverse_link`).

        Returns
        -------
        ndarray of shape (n_samples,)
            :meth:`loss` at ``link_function(y_pred)``.
        """
        return self.loss(y_true, self.link_function(y_pred))

    # ----------------------------------------------------------------- metric
    def _check_y_true(self, y_true):
        y_true = check_finite_array(y_true, name="y_true", allow_nd=False)
        self.y_true_domain.check(y_true, name="y_true", loss_name=self._display_name)
        return y_true

    def _check_y_pred(self, y_pred):
        y_pred = check_finite_array(y_pred, name="y_pred")
        self.y_pred_domain.check(y_pred, name="y_pred", loss_name=self._display_name)
        return y_pred

    @property
    def _display_name(self):
        return self.name if self.name is not None else type(self).__name__

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Weighted mean of the per-sample loss, as a Python float.

        The input is checked by the loss's kind, as the metrics check it
        (``sklloss/losses/_checks.py``): regression targets of the shape of
        ``y_pred``; labels 0..K-1 (0 / 1 against 1-D probabilities or
        decision values) or soft targets whose rows sum to 1; probabilities
        in [0, 1] (rows that do not sum to 1 warn; a distribution loss
        refuses them); ``y_true`` ignored by the entropy.

        Parameters
        ----------
        y_true : array-like
            Targets (label-encoded for classification losses).
        y_pred : array-like
            Predictions in prediction space (see :meth:`inverse_link`).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, not all zero.

        Returns
        -------
        float
            The weighted mean of :meth:`loss_from_prediction`.
        """
        y_true, y_pred, sw = check_inputs(self, y_true, y_pred, sample_weight)
        return mean_of(lambda: self.loss_from_prediction(y_true, y_pred), sw)


_TINY = 1e-15  # clip of a frequency or a mean of 0: a finite, near-optimal start


def _mean(y, sw):
    return np.average(y, axis=0, weights=sw)


def _weighted_quantile(y, sw, q):
    """Smallest y_i whose cumulative weight reaches q of the total (a minimiser)."""
    order = np.argsort(y, kind="stable")
    w = np.ones(len(y)) if sw is None else sw[order]
    cum = np.cumsum(w)
    return y[order][np.searchsorted(cum, q * cum[-1], side="left")]


def _frequencies(y, sw, K):
    """Weighted class frequencies of labels (1-D) or soft targets (2-D)."""
    onehot = y if y.ndim == 2 else (y[:, None] == np.arange(K)).astype(float)
    return np.clip(_mean(onehot, sw), _TINY, 1 - _TINY)


_CLOSED_FORM_CONSTANT = {
    "squared_error": lambda loss, y, sw: _mean(y, sw),
    "absolute_error": lambda loss, y, sw: _weighted_quantile(y, sw, 0.5),
    "quantile": lambda loss, y, sw: _weighted_quantile(y, sw, float(loss.quantile)),
    "poisson": lambda loss, y, sw: np.log(max(_mean(y, sw), _TINY)),
    "gamma": lambda loss, y, sw: np.log(max(_mean(y, sw), _TINY)),
    "tweedie": lambda loss, y, sw: np.log(max(_mean(y, sw), _TINY)),
    "log_loss": lambda loss, y, sw: (
        np.log(_frequencies(y, sw, 2)[1]) - np.log(_frequencies(y, sw, 2)[0])
    ),
}


def _optimal_constant_scalar(loss, y, sw):
    """Bounded Brent search of the mean loss over a bracket of the raw constant."""
    from scipy.optimize import minimize_scalar

    if loss.kind == "regression":
        with np.errstate(divide="ignore"):
            lo, hi = (
                float(loss.link_function(np.asarray(v, float)))
                for v in (np.min(y), np.max(y))
            )
        lo = lo if np.isfinite(lo) else hi - 40.0  # log link with y = 0
    else:
        lo, hi = -40.0, 40.0  # a logit or a margin: beyond +-40 nothing changes
    if hi - lo < 1e-12:
        return float(lo)

    def mean_loss(c):
        return weighted_mean(loss.loss(y, np.full(len(y), c)), sw)

    # A grid first: a redescending loss (tukey_biweight) is flat far from the
    # data, where a bracketing search alone would stop; Brent then polishes
    # between the grid neighbours of the best point.
    grid = np.linspace(lo, hi, 65)
    i = int(np.argmin([mean_loss(c) for c in grid]))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    res = minimize_scalar(
        mean_loss,
        bounds=(a, b),
        method="bounded",
        options={"xatol": 1e-10 * max(1.0, abs(lo), abs(hi))},
    )
    return float(res.x) if res.fun <= mean_loss(grid[i]) else float(grid[i])


def _optimal_constant_vector(loss, y, sw, K):
    """L-BFGS-B over the K softmax constants, from the log class frequencies."""
    from scipy.optimize import minimize

    def fun(c):
        raw = np.tile(c, (len(y), 1))
        values, grad = loss.loss_gradient(y, raw)
        return weighted_mean(values, sw), _mean(grad, sw)

    start = np.log(_frequencies(y, sw, K))
    if loss.name == "log_loss" and type(loss).loss.__module__.startswith(__package__):
        return start  # the closed form: softmax(log p) = p
    res = minimize(fun, start, jac=True, method="L-BFGS-B", options={"gtol": 1e-10})
    return res.x - res.x.mean()  # the softmax is invariant to a shift; centre it
