r"""Any sklloss loss as a LightGBM / XGBoost custom objective and metric.

One concept (the LightGBM / XGBoost adapters of one loss object), hence one
module above 500 lines.

A boosting library asks its custom objective for two arrays per iteration:
the per-sample first and second derivatives of the loss with respect to the
raw score (``z``, the sum of the trees and the init score). The loss object
already has both; what remains is layout, weights and the Hessian's sign.

Conventions (stated once; every class here follows them):

* ``grad = scale * sw * dl/dz`` and ``hess = scale * hessian_scale * sw *
  d2l/dz2`` at the loss's documented scale (``scale=1``): sklloss's
  ``squared_error`` is ``r^2`` and its deviances are twice a negative
  log-likelihood, so their derivatives are twice those of LightGBM's ``l2`` /
  ``poisson`` and XGBoost's ``reg:squarederror`` / ``count:poisson``. With no
  L2 leaf penalty (LightGBM's default ``lambda_l2=0``) a common factor
  cancels in every leaf value ``-G / (H + lambda)``; with XGBoost's default
  ``reg_lambda=1`` it does not, and ``scale=0.5`` reproduces the native
  objective.
* Softmax (K classes): the raw score is (n, K) and the Hessian is its diagonal
  ``p_k (1 - p_k)``, as both libraries use. Their native objectives inflate
  it: LightGBM's ``multiclass`` by ``K / (K - 1)`` (Friedman's multiclass
  leaf factor), XGBoost's ``multi:softprob`` by 2; ``hessian_scale``
  reproduces either. Native ``poisson`` / ``count:poisson`` use
  ``exp(z + max_delta_step)`` (``max_delta_step = 0.7``) as the Hessian, that
  is ``hessian_scale = exp(0.7)``.
* Losses without a Hessian (``has_hessian`` False: absolute error, quantile,
  hinge, epsilon-insensitive) get a constant Hessian of 1 per unit weight, as
  the natives' ``l1`` / ``quantile`` / ``reg:absoluteerror`` do before their
  leaf re-estimation; each leaf then takes a gradient step. With LightGBM,
  ``LossBoostingRegressor(refit_leaves="auto")`` re-estimates the leaves as
  the natives do (``_refit``); XGBoost cannot set a leaf value.
* The Hessian is the diagonal of the loss's (n, K, K) Hessian for a softmax
  (:meth:`~sklloss.losses.Loss.hessian_diagonal`, ``p_k (1 - p_k)`` for the
  log loss), taken in one pass with the gradient and written once, weighted
  and scaled, into the float32 arrays the libraries take.
* A Hessian that is zero or negative (non-convex losses: focal with
  ``gamma > 0``, cauchy, tukey_biweight; piecewise-quadratic ones: huber,
  squared_hinge, outside their quadratic zone) is floored:
  ``max(h, hessian_floor)``. A floor is needed: a leaf whose Hessians sum to
  about 0 takes an unbounded Newton step, one whose sum is negative steps
  uphill. The default ``"auto"`` leaves convex, twice-differentiable losses
  exact and floors the others at ``0.1 *`` the weighted mean of the positive
  Hessians of the iteration (scale-free, like a trust region).

Measured (LightGBM, 200 rounds of 0.1, held out; the options are "auto", an
absolute floor, and "constant": the loss's gradient with a Hessian of 1):

* focal, gamma = 2, 5000 rows with 5% positives (focal loss / average
  precision): floor 0 or 1e-6: 0.0561 / 0.601; 1e-3: 0.0557 / 0.582;
  0.05: 0.0430 / 0.599; auto: 0.0556 / 0.600; constant: 0.0380 / 0.573.
* regression with 10% gross outliers (sd 30), RMSE to the clean signal
  (squared error: 3.93): cauchy 1e-6: 0.610, 1e-3: 7.46, auto: 0.524,
  constant: 0.423; huber 1e-6: 0.967, 1e-3: 50.4, auto: 0.935, constant:
  0.463.

An absolute floor is scale-dependent: at 1e-3 leaves of outliers pass
LightGBM's ``min_sum_hessian_in_leaf`` (1e-3) and step by about 1e3 times
their gradient (huber, cauchy fail badly); at 1e-6 that guard keeps such
leaves from forming. "auto" never failed; the constant
Hessian (what the natives use for ``huber``) was best on the robust
regressions and worst in ranking for focal. Pass ``hessian_floor`` to choose.
"""

import numpy as np

__all__ = [
    "LightGBMObjective",
    "LightGBMMetric",
    "XGBoostObjective",
    "XGBoostMetric",
]

_AUTO_FLOOR = 0.1  # relative floor of "auto" (measured, see the module notes)


def _labels(y, raw):
    """Labels as the loss expects them: integer labels for a 2-D raw score."""
    y = np.asarray(y)
    if raw.ndim == 2 and y.ndim == 1:
        return y.astype(np.intp)
    return y.astype(np.float64, copy=False)


def _check_floor(hessian_floor):
    if hessian_floor == "auto":
        return hessian_floor
    ok = isinstance(hessian_floor, (int, float)) and not isinstance(hessian_floor, bool)
    if not (ok and np.isfinite(hessian_floor) and hessian_floor >= 0):
        raise ValueError(
            f"hessian_floor must be 'auto' or a finite number >= 0; got "
            f"hessian_floor={hessian_floor!r}."
        )
    return float(hessian_floor)


def _floor(loss, h, sw, hessian_floor):
    """``max(h, floor)``; "auto": none for a convex, twice-differentiable loss,
    else 0.1 x the weighted mean of the positive Hessians (1 if none)."""
    if hessian_floor != "auto":
        return np.maximum(h, hessian_floor) if hessian_floor > 0 else h
    if loss.is_convex and loss.is_twice_differentiable:
        return h
    mean = np.average(np.maximum(h, 0), axis=0, weights=sw)
    return np.maximum(h, np.where(mean > 0, _AUTO_FLOOR * mean, 1.0))


def _loss_derivatives(
    loss,
    y,
    raw,
    sample_weight=None,
    *,
    scale=1.0,
    hessian_scale=1.0,
    hessian_floor="auto",
    dtype=np.float64,
):
    """``(grad, hess)`` of ``loss`` at the raw score, as the boosting libraries want.

    Weighted, scaled and with the Hessian treatment of the module notes;
    arrays of ``dtype`` and of the shape and memory layout of ``raw``. The
    Hessian is the diagonal (:meth:`~sklloss.losses.Loss.hessian_diagonal`),
    computed in the same pass as the gradient where the loss shares work.
    """
    raw = np.asarray(raw, dtype=np.float64)
    y = _labels(y, raw)
    sw = None if sample_weight is None else np.asarray(sample_weight, np.float64)
    if loss.has_hessian:
        grad, hess = loss._gradient_hessian_diagonal(y, raw)
        hess = _floor(loss, hess, sw, hessian_floor)
    else:
        grad, hess = loss.gradient(y, raw), None
    w = 1.0 if sw is None else (sw if raw.ndim == 1 else sw[:, None])
    # One pass per array: weight and scale, cast into the backend's dtype.
    out_g = np.empty_like(raw, dtype=dtype)
    np.multiply(grad, w * scale if sw is not None else scale, out=out_g)
    out_h = np.empty_like(raw, dtype=dtype)
    if hess is None:  # no Hessian: 1 per unit weight
        out_h[...] = w * (scale * hessian_scale)
    else:
        np.multiply(hess, w * (scale * hessian_scale), out=out_h)
    return out_g, out_h


def _loss_value(loss, y, raw, sample_weight=None):
    """Weighted mean of the loss at the raw score (the early-stopping score)."""
    raw = np.asarray(raw, dtype=np.float64)
    values = loss.loss(_labels(y, raw), raw)
    sw = None if sample_weight is None or len(sample_weight) == 0 else sample_weight
    return float(np.average(values, weights=sw))


def _weights_or_none(w):
    return None if w is None or len(w) == 0 else np.asarray(w, dtype=np.float64)


def _unpack(preds, data, weight):
    """``(y, raw, weight, native)`` from either calling convention.

    Both libraries call a custom objective or metric as ``(preds, data)`` with
    a Dataset / DMatrix that carries labels and weights (native API), or as
    ``(y_true, y_pred, weight)`` (scikit-learn API).
    """
    if hasattr(data, "get_label"):
        return data.get_label(), preds, _weights_or_none(data.get_weight()), True
    return preds, data, _weights_or_none(weight), False


class _Objective:
    """Shared parameters and init score of the two objective adapters."""

    def __init__(self, loss, *, scale=1.0, hessian_scale=1.0, hessian_floor="auto"):
        from ..losses import get_loss

        self.loss = get_loss(loss)
        if not self.loss.trainable:
            raise ValueError(
                f"loss={loss!r} cannot be trained (trainable is False); pass a "
                f"loss that defines a gradient."
            )
        for name, value in (("scale", scale), ("hessian_scale", hessian_scale)):
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
        self.scale = float(scale)
        self.hessian_scale = float(hessian_scale)
        self.hessian_floor = _check_floor(hessian_floor)

    def _derivatives(self, y, raw, sw):
        return _loss_derivatives(
            self.loss,
            y,
            raw,
            sw,
            scale=self.scale,
            hessian_scale=self.hessian_scale,
            hessian_floor=self.hessian_floor,
            dtype=np.float32,  # both backends' gradient type
        )

    def init_score(self, y, sample_weight=None, *, n_classes=None):
        """Per-row init score: the loss's optimal constant, repeated.

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Targets (labels 0..n_classes-1 for classification).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples.
        n_classes : int, default=None
            Number of classes of a softmax (K > 2) problem.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            LightGBM's ``init_score`` / XGBoost's ``base_margin``.
        """
        y = np.asarray(y)
        c = self.loss.optimal_constant(y, sample_weight, n_classes=n_classes)
        shape = (len(y),) if np.ndim(c) == 0 else (len(y), len(c))
        return np.broadcast_to(np.asarray(c, dtype=np.float64), shape).copy()

    def __repr__(self):
        return (
            f"{type(self).__name__}({self.loss!r}, scale={self.scale}, "
            f"hessian_scale={self.hessian_scale}, "
            f"hessian_floor={self.hessian_floor!r})"
        )


class LightGBMObjective(_Objective):
    r"""A sklloss loss as a LightGBM custom objective (native and scikit-learn API).

    Per sample, with weight :math:`s_i` and raw score :math:`z_i`:

    .. math::

        g_i = \kappa\, s_i\, \partial_z \ell(y_i, z_i), \qquad
        h_i = \kappa\, \eta\, s_i \max(\partial_z^2 \ell(y_i, z_i), h_{\min}),

    with :math:`\kappa` = ``scale``, :math:`\eta` = ``hessian_scale`` and
    :math:`h_{\min}` the Hessian floor (module notes of
    :mod:`sklloss.boosting`). The native API calls it as
    ``objective(preds, train_data)`` (set ``params["objective"] = obj`` in
    ``lightgbm.train``); the scikit-learn API as
    ``objective(y_true, y_pred, weight)`` (``LGBMRegressor(objective=obj)``).
    A softmax loss gets LightGBM 4's (n, K) raw scores and returns (n, K)
    arrays, stored column-major so that LightGBM's class-major flattening
    does not copy them. LightGBM does not add an init score for a custom
    objective: pass :meth:`init_score` as the Dataset's ``init_score`` (or
    ``init_score=`` of ``fit``) and add the constant to ``predict(...,
    raw_score=True)``.

    Parameters
    ----------
    loss : str or Loss
        A trainable loss: a registry name or an instance, a user's subclass too.
    scale : float, default=1.0
        Factor of both derivatives (0.5 reproduces the native ``l2`` and
        ``poisson`` under an L2 leaf penalty).
    hessian_scale : float, default=1.0
        Extra factor of the Hessian (``K / (K - 1)`` reproduces the native
        ``multiclass``; ``exp(0.7)`` the native ``poisson``).
    hessian_floor : "auto" or float, default="auto"
        Lower bound of the Hessian; "auto" is 0.1 times its weighted mean over
        the positive entries of the iteration.

    See Also
    --------
    LightGBMMetric : The same loss as an evaluation metric.
    XGBoostObjective : The adapter for XGBoost.

    Examples
    --------
    >>> import numpy as np
    >>> import lightgbm as lgb
    >>> from sklloss.boosting import LightGBMObjective
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = X[:, 0] + rng.normal(size=200)
    >>> obj = LightGBMObjective("huber")
    >>> data = lgb.Dataset(X, y, init_score=obj.init_score(y))
    >>> params = {"objective": obj, "verbose": -1, "num_leaves": 4}
    >>> booster = lgb.train(params, data, num_boost_round=5)
    >>> pred = booster.predict(X, raw_score=True) + obj.init_score(y)[0]
    >>> pred.shape
    (200,)
    """

    def __call__(self, preds, train_data, weight=None):
        """Return ``(grad, hess)`` for LightGBM.

        Parameters
        ----------
        preds : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw scores (native API), or the targets (scikit-learn API).
        train_data : lightgbm.Dataset or ndarray
            The training Dataset (native API), or the raw scores
            (scikit-learn API).
        weight : ndarray of shape (n_samples,), default=None
            Sample weights (scikit-learn API only).

        Returns
        -------
        grad, hess : ndarray of the shape of the raw scores
            float32, column-major for (n, K) scores.
        """
        y, raw, weight, _ = _unpack(preds, train_data, weight)
        grad, hess = self._derivatives(y, raw, weight)
        return _as_float32_f(grad), _as_float32_f(hess)


def _as_float32_f(a):
    # LightGBM flattens (n, K) class-major (order "F") and casts to float32:
    # one conversion here makes both of its steps free.
    return np.asarray(a, dtype=np.float32, order="F")


class XGBoostObjective(_Objective):
    r"""A sklloss loss as an XGBoost custom objective (native and scikit-learn API).

    The derivatives are those of :class:`LightGBMObjective`. The native API
    calls it as ``obj(preds, dtrain)`` (``xgb.train(params, dtrain,
    obj=obj)``); the scikit-learn API as ``objective(y_true, y_pred,
    sample_weight=w)`` (``XGBRegressor(objective=obj)``). A softmax loss gets
    XGBoost's (n, K) raw scores (set ``num_class`` in the parameters).
    XGBoost adds ``base_score`` to a custom objective's margin: set
    ``base_score=0`` and pass :meth:`init_score` as the DMatrix's
    ``base_margin`` (also at prediction time, or add the constant to
    ``predict(..., output_margin=True)``).

    Parameters
    ----------
    loss : str or Loss
        A trainable loss: a registry name or an instance, a user's subclass too.
    scale : float, default=1.0
        Factor of both derivatives (0.5 reproduces ``reg:squarederror`` and
        ``count:poisson`` under XGBoost's default ``reg_lambda=1``).
    hessian_scale : float, default=1.0
        Extra factor of the Hessian (2 reproduces ``multi:softprob``;
        ``exp(0.7)`` reproduces ``count:poisson``).
    hessian_floor : "auto" or float, default="auto"
        Lower bound of the Hessian; "auto" is 0.1 times its weighted mean over
        the positive entries of the iteration.

    See Also
    --------
    XGBoostMetric : The same loss as an evaluation metric.
    LightGBMObjective : The adapter for LightGBM.

    Examples
    --------
    >>> import numpy as np
    >>> import xgboost as xgb
    >>> from sklloss.boosting import XGBoostObjective
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3))
    >>> y = (X[:, 0] + rng.normal(size=200) > 0).astype(float)
    >>> obj = XGBoostObjective("focal")
    >>> dtrain = xgb.DMatrix(X, y, base_margin=obj.init_score(y))
    >>> booster = xgb.train({"base_score": 0.0}, dtrain, 5, obj=obj)
    >>> proba = obj.loss.inverse_link(booster.predict(dtrain, output_margin=True))
    >>> bool(((proba > 0) & (proba < 1)).all())
    True
    """

    def __call__(self, preds, dtrain, sample_weight=None):
        """Return ``(grad, hess)`` for XGBoost.

        Parameters
        ----------
        preds : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Raw scores (native API), or the targets (scikit-learn API).
        dtrain : xgboost.DMatrix or ndarray
            The training DMatrix (native API), or the raw scores (scikit-learn
            API).
        sample_weight : ndarray of shape (n_samples,), default=None
            Sample weights (scikit-learn API only).

        Returns
        -------
        grad, hess : ndarray of the shape of the raw scores
            float32 (XGBoost's gradient type).
        """
        y, raw, sample_weight, _ = _unpack(preds, dtrain, sample_weight)
        return self._derivatives(y, raw, sample_weight)


class _Metric:
    def __init__(self, loss, *, name=None):
        from ..losses import get_loss

        self.loss = get_loss(loss)
        self.name = name or (self.loss.name or type(self.loss).__name__)
        self.__name__ = self.name  # XGBoost's scikit-learn API names it so

    def __repr__(self):
        return f"{type(self).__name__}({self.loss!r})"


class LightGBMMetric(_Metric):
    r"""A sklloss loss as a LightGBM evaluation metric on raw scores.

    .. math::

        M = \frac{\sum_i s_i \ell(y_i, z_i)}{\sum_i s_i}

    at the raw scores :math:`z_i` LightGBM passes to a metric of a custom
    objective. Native API: ``feval=metric`` (add the init score to the
    validation Dataset too); scikit-learn API: ``eval_metric=metric``. Lower
    is better.

    Parameters
    ----------
    loss : str or Loss
        The loss to average.
    name : str, default=None
        The metric's name in LightGBM's logs; the loss's name by default.

    See Also
    --------
    LightGBMObjective : The loss as a LightGBM objective.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.boosting import LightGBMMetric
    >>> LightGBMMetric("squared_error")(np.array([1.0, 3.0]), np.array([0.0, 0.0]))
    ('squared_error', 5.0, False)
    """

    def __call__(self, preds, eval_data, weight=None):
        """Return ``(name, value, is_higher_better)``.

        Parameters
        ----------
        preds : ndarray
            Raw scores (native API), or the targets (scikit-learn API).
        eval_data : lightgbm.Dataset or ndarray
            The evaluated Dataset (native API), or the raw scores.
        weight : ndarray of shape (n_samples,), default=None
            Sample weights (scikit-learn API only).

        Returns
        -------
        tuple of (str, float, bool)
            The name, the weighted mean loss, and False.
        """
        y, raw, weight, _ = _unpack(preds, eval_data, weight)
        return self.name, _loss_value(self.loss, y, raw, weight), False


class XGBoostMetric(_Metric):
    r"""A sklloss loss as an XGBoost evaluation metric on raw margins.

    .. math::

        M = \frac{\sum_i s_i \ell(y_i, z_i)}{\sum_i s_i}

    at the raw margins :math:`z_i` XGBoost passes to a metric of a custom
    objective. Native API: ``custom_metric=metric`` (with
    ``disable_default_eval_metric=1``); scikit-learn API:
    ``eval_metric=metric``. Lower is better.

    Parameters
    ----------
    loss : str or Loss
        The loss to average.
    name : str, default=None
        The metric's name in XGBoost's logs; the loss's name by default.

    See Also
    --------
    XGBoostObjective : The loss as an XGBoost objective.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss.boosting import XGBoostMetric
    >>> XGBoostMetric("squared_error")(np.array([0.0, 0.0]), np.array([1.0, 3.0]))
    5.0
    """

    def __call__(self, preds, dmatrix, sample_weight=None):
        """The weighted mean loss: ``(name, value)`` native, a float scikit-learn.

        Parameters
        ----------
        preds : ndarray
            Raw margins (native API), or the targets (scikit-learn API).
        dmatrix : xgboost.DMatrix or ndarray
            The evaluated DMatrix (native API), or the raw margins.
        sample_weight : ndarray of shape (n_samples,), default=None
            Sample weights (scikit-learn API only).

        Returns
        -------
        tuple of (str, float) or float
            ``(name, value)`` for the native API, ``value`` for the
            scikit-learn one.
        """
        y, raw, sample_weight, native = _unpack(preds, dmatrix, sample_weight)
        value = _loss_value(self.loss, y, raw, sample_weight)
        return (self.name, value) if native else value
