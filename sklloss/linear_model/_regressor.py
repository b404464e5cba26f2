"""LossRegressor: a linear model minimising any regression loss exactly."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from .._validation import check_no_datetime
from ..losses import get_loss
from ._base import _is_dask, _LossLinearModel
from ._objective import LinearObjective, column_absmax, scaled_weights, x_dot
from ._plan import SUBSAMPLE_MIN_ROWS
from ._run import lad_fit
from ._scale import (
    _resolve_mode,
    check_representable,
    check_scale,
    fit_scaled,
    rescale,
)

__all__ = ["LossRegressor"]


class LossRegressor(RegressorMixin, _LossLinearModel):
    r"""Linear regression that minimises the loss you choose, to its optimum.

    Fits ``coef_`` (:math:`w`) and ``intercept_`` (:math:`b`) minimising

    .. math::

        \frac{1}{\sum_i s_i} \sum_{i=1}^{n} s_i\, \ell\big(y_i, x_i^\top w + b\big)
        + \alpha \Big(\rho \|w\|_1 + \frac{1 - \rho}{2} \|w\|_2^2\Big)

    where :math:`\ell` is the per-sample loss, :math:`s_i` the sample weights
    and :math:`\rho` = ``l1_ratio``; the intercept is not penalised. The
    prediction is :math:`\ell`'s inverse link of :math:`x^\top w + b`:
    the identity for most losses, :math:`\exp` for poisson, gamma and tweedie.

    The solver follows the loss (``solver="auto"``): the normal equations
    for ``squared_error`` (``"cholesky"``: one pass over X for the Gram
    matrix, checked by one gradient pass), Newton-Cholesky with the
    exact (or generalized, for huber and smooth_l1) Hessian for moderate
    sizes, quasi-Newton from the Hessian of a row sample
    (``"sampled-newton"``) for 50,000 rows or more, L-BFGS-B in implicitly
    standardised coordinates for many features or a loss without a
    Hessian, an exact LP / QP method for the
    piecewise-linear losses (absolute_error, quantile, epsilon_insensitive),
    and for L1 penalties proximal Newton with a KKT stopping rule (exact
    zeros). The solvers converge on badly scaled columns (they work on
    standardised columns internally), but the penalty acts on the
    coefficients of the columns as given: standardise features in mixed
    units. The target needs nothing (see ``scale``). Non-convex losses
    (e.g. cauchy, tukey_biweight) start from the exact
    least-absolute-deviation fit and return a **local optimum**.

    Parameters
    ----------
    loss : str or Loss, default="squared_error"
        A registry name or alias (see :func:`sklloss.available_losses`) or a
        Loss instance of kind ``"regression"`` (never modified: it is cloned
        at fit; its parameters are searchable as ``loss__<name>``).
    alpha : float, default=1e-4
        Penalty strength, >= 0.
    l1_ratio : float, default=0.0
        Share of the L1 norm in the penalty, in [0, 1].
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    scale : {"auto", "mad", "joint"} or float, default="auto"
        The unit :math:`\sigma` in which the model is fitted: the objective
        above is minimised for the target :math:`y / \sigma`, and the
        coefficients are reported in the units of ``y``. The loss's tuning
        constants (``delta``, ``beta``, ``c``, ``epsilon``) are then in units
        of :math:`\sigma` and the penalty weighs :math:`w / \sigma`, so the
        fit does not depend on the units of ``y``: ``a * y`` gives ``a *
        coef_`` (identity link) or ``intercept_ + log(a)`` (log link).

        - ``"mad"``: re-estimated from the residuals, :math:`\sigma =
          \operatorname{median}|r_i| / 0.6745`, alternated with the fit until
          it stops changing, as statsmodels' ``RLM`` and R's ``MASS::rlm``
          (with ``loss=Huber(delta=1.345)`` their default Huber fit, 95%
          efficient at the normal; ``TukeyBiweight(c=4.685)`` likewise).
        - ``"joint"``: the concomitant scale of scikit-learn's
          ``HuberRegressor``, minimising :math:`\sigma \cdot`
          (objective at :math:`\sigma`) :math:`+ \sigma / 2` jointly in
          :math:`(w, b, \sigma)`; convex losses with an identity link.
        - ``"auto"``: ``"mad"`` for a smooth loss whose shape depends on the
          units of ``y`` (``loss.scale_role == "tuning"``: huber, smooth_l1,
          log_cosh, squared_epsilon_insensitive, cauchy, tukey_biweight);
          for the other built-in losses a spread of ``y`` computed once
          (weighted MAD about the median for an identity link, weighted mean of ``|y|``
          for a log link): it normalises the penalty, and is the unit of
          ``epsilon_insensitive``'s epsilon (whose exact LP solution jumps
          with the scale, so re-estimating it need not settle); 1 for a
          user's loss without ``scale_role`` and for a log link without
          intercept.
        - a positive number: that :math:`\sigma`, fixed; ``scale=1.0``
          minimises the objective in the units of ``y``.
    solver : {"auto", "cholesky", "newton-cholesky", "sampled-newton", \
            "trust-ncg", "lbfgs", "exact"}, default="auto"
        Optimisation method; ``"exact"`` only for piecewise-linear losses.
        ``"cholesky"`` (auto for ``squared_error`` with dense in-memory X,
        ``l1_ratio=0`` and at most 2000 features): the normal equations,
        ``n_iter_`` 1 plus any iterative-refinement steps, ``n_evals_`` the
        Gram pass plus the gradient checks.
        ``"sampled-newton"`` (auto for convex, twice differentiable losses
        from 50,000 rows up): quasi-Newton steps started from the exact
        Hessian of a sample of the rows.
    max_iter : int, default=1000
        Maximum number of solver iterations.
    tol : float, default=1e-8
        Stopping tolerance: Newton stops when its step is below ``tol``
        (relative to the coefficients; the error is then about ``tol`` squared),
        L-BFGS-B, sampled-newton and trust-ncg when the largest entry of the
        (projected) gradient, in standardised coordinates, is below ``tol``;
        the normal equations' solution is accepted by that same gradient test.
    warm_start : bool, default=False
        Start from the previous ``coef_`` / ``intercept_`` when refitting.
    verbose : int, default=0
        Print the solver's progress (iteration, objective, gradient norm).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients.
    intercept_ : float
        Intercept (0.0 when ``fit_intercept=False``).
    loss_ : Loss
        The resolved loss the model was trained with.
    solver_ : str
        The solver ``"auto"`` chose.
    scale_ : float
        The scale :math:`\sigma` of the fit (see ``scale``).
    outliers_ : ndarray of shape (n_samples,) of bool, or None
        Samples whose absolute residual exceeds ``loss.outlier_threshold *
        scale_`` (huber, smooth_l1, cauchy, tukey_biweight); None for a loss
        without an outlier threshold.
    n_iter_ : int
        Iterations of the solver (>= 1).
    n_evals_ : int
        Gradient passes (one ``X @ w`` plus one ``X.T @ g`` each) of the fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when X has string column names.

    See Also
    --------
    LossClassifier : The same for classification losses.

    Examples
    --------
    >>> import numpy as np
    >>> from sklloss import LossRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> y = X @ [1.0, -2.0, 0.5] + 3 + rng.standard_t(2, size=1000)
    >>> reg = LossRegressor(loss="huber").fit(X, y)
    >>> np.round(reg.coef_, 1)
    array([ 1. , -2. ,  0.5])
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _loss_kinds = ("regression",)
    _estimator_name = "LossRegressor"

    def __init__(
        self,
        loss="squared_error",
        *,
        alpha=1e-4,
        l1_ratio=0.0,
        fit_intercept=True,
        scale="auto",
        solver="auto",
        max_iter=1000,
        tol=1e-8,
        warm_start=False,
        verbose=0,
    ):
        self.loss = loss
        self.scale = scale
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        try:
            loss = get_loss(self.loss)
        except (TypeError, ValueError):
            return tags
        low = getattr(loss.y_true_domain, "low", -np.inf)
        tags.target_tags.positive_only = bool(low > -np.inf and low >= 0)
        # An extreme quantile (or expectile) is not meant to explain the mean:
        # R^2 > 0.5 on check_regressors_train's data is not its job.
        q = getattr(loss, "quantile", 0.5)
        poor = not 0.25 <= q <= 0.75
        # A log link predicts exp(raw) > 0: on real-valued targets (tweedie
        # with power <= 0) it cannot explain negative values.
        poor = poor or (loss.link == "log" and low == -np.inf)
        tags.regressor_tags.poor_score = poor
        return tags

    def fit(self, X, y, sample_weight=None):
        """Fit the model by minimising the penalised mean loss.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (CSR / CSC sparse matrices are used as they are).
        y : array-like of shape (n_samples,)
            Targets, inside the loss's ``y_true_domain``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; the objective is their weighted mean.

        Returns
        -------
        self : LossRegressor
            The fitted estimator.
        """
        if _is_dask(X):
            from . import _dask

            return _dask.fit(self, X, y, sample_weight)
        loss = self._validated_loss()
        X = check_no_datetime(X)
        y = check_no_datetime(y, "y")
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=("csr", "csc"),
            dtype=[np.float64, np.float32],
            y_numeric=True,
        )
        sw = scaled_weights(  # no overflow in sums of weights (class totals)
            _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        )
        y = np.asarray(y, dtype=np.float64)
        loss.y_true_domain.check(y, name="y", loss_name=loss._display_name)
        # a fixed scale needs the spread of y only for its orders of magnitude
        mode = _resolve_mode(self.scale, loss, self.fit_intercept)[0]
        exact = mode != "fixed"
        spread = check_representable(y, sw, X, loss.link, exact_spread=exact)
        # float32 stays float32: the passes upcast block by block
        plan = _InMemoryPlan(self, X, y, sw, loss)
        return self._fit_data(plan, X.dtype, spread if exact else None)

    def _check_loss(self, loss):
        check_scale(self.scale)

    def _fit_data(self, data, dtype, spread=None):
        """The fit on a data source (in memory or dask); sets the fitted attributes.

        ``data`` is an :class:`_ScaleLoopData`: the scale loop
        (:func:`~._scale.fit_scaled`) runs on it, every fit at one scale
        through :meth:`_solve` (one plan, :mod:`._plan`). ``spread``: the
        spread of y already computed (:func:`~._scale.check_representable`).
        """
        loss = data.loss
        warm = None
        if (
            self.warm_start
            and hasattr(self, "coef_")
            and self.coef_.shape == (data.n_features,)
        ):
            warm = (
                self.coef_[None, :].astype(np.float64),
                np.array([self.intercept_]),
                getattr(self, "scale_", None),
            )
        W, b, sigma, n_iter = fit_scaled(
            data,
            scale=self.scale,
            loss=loss,
            fit_intercept=self.fit_intercept,
            y=data.y,
            sw=data.sw,
            tol=self.tol,
            max_iter=self.max_iter,
            warm=warm,
            spread=spread,
        )
        self._set_fitted(loss, W, b, n_iter, data.n_evals, dtype)
        # the residuals (a pass over X) only where outliers_ needs them
        needed = loss.link == "identity" and loss.outlier_threshold is not None
        self._set_scale(sigma, data.residuals(W, b) if needed else None)
        return self

    def _set_scale(self, sigma, residuals):
        """``scale_`` and ``outliers_`` (None without a threshold or a residual)."""
        self.scale_ = float(sigma)
        threshold = self.loss_.outlier_threshold
        self.outliers_ = None
        if threshold is not None and residuals is not None:
            self.outliers_ = np.abs(residuals) > threshold * self.scale_

    def _set_fitted(self, loss, W, b, n_iter, n_evals, dtype):
        """Fitted attributes from a solution ``W`` (1, p), ``b`` (1,)."""
        dtype = dtype if dtype == np.float32 else np.float64
        self.loss_ = loss
        self.coef_ = np.asarray(W, dtype=dtype).reshape(-1)
        self.intercept_ = float(b[0]) if self.fit_intercept else 0.0
        self.n_iter_ = max(int(n_iter), 1)
        self.n_evals_ = round(n_evals)
        return self

    def _raw(self, X):
        return X @ self.coef_ + self.intercept_

    def predict(self, X):
        """Predict through the loss's inverse link.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            ``inverse_link(X @ coef_ + intercept_)``.
        """
        if _is_dask(X):
            from . import _dask

            return _dask.predict(self, X)
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=("csr", "csc"),
            dtype=[np.float64, np.float32],
            reset=False,
        )
        return self.loss_.inverse_link(np.asarray(self._raw(X)))


def _same_point(kept, W, b):
    """Whether ``kept[:2]`` is exactly the point ``(W, b)``."""
    return np.array_equal(kept[0], W) and np.array_equal(kept[1], b)


class _ScaleLoopData:
    """The data steps of :func:`~._scale.fit_scaled`, common to both backends.

    A subclass supplies ``objective(sigma)`` (the objective at scale
    ``sigma``), ``residuals(W, b)``, ``interpolates()``, ``subsample()`` and
    ``_lad_rows()`` (the rows of the least-absolute-deviation start), with
    ``y``, ``sw`` (in memory) and ``n_features``. Every fit runs the
    estimator's one plan (:meth:`_LossLinearModel._solve`).
    """

    step = 1

    def __init__(self, est, loss, y, sw):
        self.est, self.loss, self.y, self.sw = est, loss, y, sw
        self.l2_weight = est.alpha * (1.0 - est.l1_ratio)
        self.n_evals = 0.0
        # (objective, W, b, W in units of y, b in units of y, sigma) of the
        # last fit_at: its last evaluation may hold the residuals' prediction
        self._last_fit = None
        # (W, b, residuals) in units of y, once residuals() has computed them
        self._residuals = None

    def fit_at(self, sigma, warm, tol=None):
        """The fit at scale ``sigma``, in units of y: ``(W, b, n_iter)``.

        Parameters
        ----------
        sigma : float
            The scale.
        warm : tuple (W, b) or None
            A start in units of y.
        tol : float, optional
            This fit's tolerance (default the estimator's).

        Returns
        -------
        tuple
            ``(W, b, n_iter)`` in units of y.
        """
        link = self.loss.link
        # the previous fit's objective (its scaled targets, weights and
        # buffers) is released before the next one is built, not kept beside it
        self._last_fit = self._residuals = None
        objective = self.objective(sigma)
        if warm is not None:
            warm = rescale(*warm, 1.0 / sigma, link)
        W, b, n_iter, n_evals = self.est._solve(
            objective, self.loss, warm=warm, tol=tol
        )
        self.n_evals += n_evals
        W_y, b_y = rescale(W, b, sigma, link)
        self._last_fit = (objective, W, b, W_y, b_y, sigma)
        return W_y, b_y, n_iter

    def lad_start(self, sigma):
        """The least-absolute-deviation fit (same penalty), or None if too large.

        Parameters
        ----------
        sigma : float
            The scale the start is fitted at.

        Returns
        -------
        tuple or None
            ``(W, b, n_iter)`` in units of y.
        """
        est = self.est
        X, y, sw = self._lad_rows()
        start = lad_fit(
            X,
            y / sigma,
            sw,
            alpha=est.alpha,
            l1_ratio=est.l1_ratio,
            fit_intercept=est.fit_intercept,
            tol=est.tol,
            max_iter=est.max_iter,
        )
        if start is None:
            return None
        W, b, n_iter = start
        return (*rescale(W, b, sigma, "identity"), n_iter)


def _n_distinct(v):
    """The number of distinct values of ``v``, sorting ``v`` in place.

    As ``np.unique(v).size`` without its sorted copy (one n-vector less at
    the peak of the fit).
    """
    if v.size == 0:
        return 0
    v.sort()
    return 1 + int(np.count_nonzero(v[1:] != v[:-1]))


class _InMemoryPlan(_ScaleLoopData):
    """The data steps of :func:`~._scale.fit_scaled` for in-memory X."""

    def __init__(self, est, X, y, sw, loss):
        super().__init__(est, loss, y, sw)
        self.X = X
        self.n_features = X.shape[1]
        self._stats = None  # the column statistics do not depend on y: once

    def objective(self, sigma):
        est = self.est
        objective = LinearObjective(
            self.X,
            # at sigma = 1 (a fixed scale) y itself: objectives never write
            # to their targets, and y / 1 would be one n-vector more
            self.y if sigma == 1.0 else self.y / sigma,
            self.sw,
            self.loss,
            alpha=est.alpha,
            l1_ratio=est.l1_ratio,
            fit_intercept=est.fit_intercept,
            column_stats=self._stats,
        )
        self._stats = (objective.mean, objective.scale)
        if self.loss.link == "identity" and self.loss.outlier_threshold is not None:
            objective.keep_last_raw()  # residuals() without a pass over a dense X
        return objective

    def _lad_rows(self):
        return self.X, self.y, self.sw

    def residuals(self, W, b):
        """``y - X @ W[0] - b[0]``; from the last evaluation if it was at (W, b).

        The fit's last evaluation is usually at the solution it returns (not
        always: a line search can end elsewhere), where its raw prediction,
        recorded by the compiled sweep, saves one pass over X.

        Parameters
        ----------
        W : ndarray of shape (1, n_features)
            Coefficients in units of y.
        b : ndarray of shape (1,)
            Intercept in units of y.

        Returns
        -------
        ndarray of shape (n_samples,)
            The residuals (read-only: the same array may be returned again).
        """
        kept = self._residuals
        if kept is not None and _same_point(kept, W, b):
            return kept[2]  # the final outliers_ asks again
        last = self._last_fit
        if last is not None and _same_point(last[3:5], W, b):
            objective, W_s, b_s, W_y, b_y, sigma = last
            raw = objective.last_raw(W_s, b_s)
            if raw is not None:
                # y - sigma raw, written over the raw buffer; the objective
                # (scaled targets, weights) released
                raw *= -sigma
                raw += self.y
                self._last_fit, self._residuals = None, (W_y, b_y, raw)
                return raw
        # one pass over X, into one n-vector, the last objective released first
        self._last_fit = None
        r = x_dot(self.X, W[0])
        r += b[0]
        np.subtract(self.y, r, out=r)
        self._residuals = (W.copy(), b.copy(), r)
        return r

    def interpolates(self):
        """Whether the rows of positive weight number at most the parameters.

        Distinct rows of ``(X, y)`` (and no row of X with two values of y),
        found by a random projection of each row
        (equal rows project equally; distinct ones collide with probability
        ~0), so that repeated rows count as one, as their weight would.

        Returns
        -------
        bool
            True when a linear model could fit every point.
        """
        n_params = self.X.shape[1] + bool(self.est.fit_intercept)
        keep = self.sw > 0
        rng = np.random.default_rng(0)
        # columns and y on a common footing: a 1e300 column would otherwise
        # absorb every other in rounding, and all rows would look alike
        u = rng.standard_normal(self.X.shape[1]) / column_absmax(self.X)
        y_top = float(np.max(np.abs(self.y))) or 1.0
        every = bool(np.all(keep))
        hx = x_dot(self.X, u)
        if not every:
            hx = hx[keep]
        hxy = self.y if every else self.y[keep]
        hxy = hxy * (rng.standard_normal() / y_top)
        hxy += hx
        # interpolable: few distinct rows, and no x with two different y
        n_xy = _n_distinct(hxy)
        return n_xy <= n_params and _n_distinct(hx) == n_xy

    def subsample(self):
        """The plan on every 10th row, from 50,000 rows (None below).

        Returns
        -------
        _InMemoryPlan or None
            The plan of the row sample (its ``step`` is 10).
        """
        if self.X.shape[0] < SUBSAMPLE_MIN_ROWS:
            return None
        rows = slice(None, None, 10)
        sub = _InMemoryPlan(
            self.est, self.X[rows], self.y[rows], self.sw[rows], self.loss
        )
        sub.step = 10
        return sub
