"""Leaf re-estimation for piecewise-linear regression losses (LightGBM).

A piecewise-linear loss has no curvature to give a Newton leaf value: with a
constant Hessian each leaf takes a gradient step bounded by the learning
rate. LightGBM's native ``l1`` / ``quantile`` objectives grow the tree from
the gradient with a Hessian of 1 and then re-estimate each leaf as the
quantile of the residuals of its rows. :class:`_LeafRefit` does the same for
any residual loss, ``l(y, z) = rho(y - z)``: after each round it sets every
leaf of the new tree to ``learning_rate * c`` with ``c`` the loss's
:meth:`~sklloss.losses.Loss.optimal_constant` of the leaf's residuals (the
leaf value that minimises the leaf's weighted loss), through
``Booster.set_leaf_output``.

LightGBM keeps its own running raw scores of the training and validation
rows, computed with the leaf values before re-estimation; they go stale. The
callback therefore keeps the model's raw scores itself (init score plus the
re-estimated trees), the objective is evaluated at them, and early stopping
is done here on the same loss, at the same scores.
"""

import numpy as np

_CHECK_ROWS = 1000


def _is_residual_loss(loss, y):
    """True for a piecewise-linear regression loss of ``y - z`` alone.

    Checked on the data (a user's loss declares no such flag): the loss at a
    few shifted raw scores equals the loss of the residual at 0.
    """
    if not (loss.kind == "regression" and loss.is_piecewise_linear):
        return False
    if loss.link != "identity":
        return False
    y = np.asarray(y[:_CHECK_ROWS], dtype=np.float64)
    z = np.linspace(-1.0, 1.0, len(y)) * (1.0 + np.std(y)) + np.median(y)
    with np.errstate(all="ignore"):
        a = loss.loss(y, z)
        b = loss.loss(y - z, np.zeros_like(z))
    return bool(np.allclose(a, b, rtol=1e-10, atol=1e-12))


def _leaf_constants(loss, leaf, y, raw, weight):
    """Per leaf id: ``argmin_c sum_i s_i l(y_i, raw_i + c)`` over its rows (nan:
    a leaf without weight, which keeps LightGBM's value).

    ``l(y, raw + c) = rho(y - raw - c)``: the loss's optimal constant of the
    leaf's residuals where it is a closed form (a weighted quantile for
    ``quantile`` / ``absolute_error``), else a bisection on the gradient.
    """
    if not loss._has_closed_form_constant():
        return _leaf_constants_bisection(loss, leaf, y, raw, weight)
    r = y - raw
    values = np.full(int(leaf.max()) + 1, np.nan)
    order = np.argsort(leaf, kind="stable")
    ids, starts = np.unique(leaf[order], return_index=True)
    for k, rows in zip(ids, np.split(order, starts[1:]), strict=True):
        w = None if weight is None else weight[rows]
        if w is None or np.any(w > 0):
            values[k] = loss.optimal_constant(r[rows], w)
    return values


def _leaf_constants_bisection(loss, leaf, y, raw, weight, n_steps=40):
    """:func:`_leaf_constants` of a loss without a closed-form constant.

    The mean subgradient of a convex loss is non-decreasing in ``c``: a
    bisection for its sign change, all leaves at once (one gradient pass and
    one ``bincount`` per step), from the bracket [min, max] of each leaf's
    residuals; 40 halvings leave 1e-12 of the bracket. For the
    quantile loss the sign change is the leaf's weighted quantile of the
    residuals, the value LightGBM's native ``quantile`` gives its leaves.
    """
    n_leaves = int(leaf.max()) + 1
    r = y - raw
    lo = np.full(n_leaves, np.inf)
    hi = np.full(n_leaves, -np.inf)
    np.minimum.at(lo, leaf, r)
    np.maximum.at(hi, leaf, r)
    z = np.empty_like(r)  # one buffer: fresh n-arrays per step cost page faults
    for _ in range(n_steps):
        mid = 0.5 * (lo + hi)
        np.take(mid, leaf, out=z)
        z += raw
        g = loss.gradient(y, z)
        if weight is not None:
            g *= weight
        up = np.bincount(leaf, weights=g, minlength=n_leaves) >= 0
        # up: the loss rises at mid, the minimiser is at or below it
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    values = 0.5 * (lo + hi)
    if weight is None:
        return values
    weighted = np.bincount(leaf, weights=weight, minlength=n_leaves) > 0
    return np.where(weighted, values, np.nan)  # nan: the leaf keeps its value


class _LeafRefit:
    """LightGBM callback (after each round): re-estimated leaves, own raw scores.

    Parameters
    ----------
    loss : Loss
        A residual, piecewise-linear regression loss.
    train, valid : tuple of (X, y, w, init)
        The training rows and the early-stopping rows (``valid`` may be None).
    learning_rate : float
        LightGBM's shrinkage: a leaf's stored value is ``learning_rate * c``.
    patience : int
        Rounds without improvement of the validation loss before stopping.
    threads : dict
        ``{"num_threads": n}`` as in the training's parameters, or empty.
    """

    order = 10
    before_iteration = False

    def __init__(self, loss, train, valid, *, learning_rate, patience, threads):
        self.loss = loss
        self.threads = threads
        self.X, self.y, self.w, init = train
        self.raw = np.array(init, dtype=np.float64)
        self.valid = None
        if valid is not None:
            Xv, yv, wv, initv = valid
            self.valid = (Xv, yv, wv)
            self.raw_valid = np.array(initv, dtype=np.float64)
        self.learning_rate = float(learning_rate)
        self.patience = int(patience)
        self.best = (np.inf, -1)
        self._n_trees = 0

    def wrap(self, objective):
        """The objective evaluated at the callback's raw scores, not LightGBM's.

        Parameters
        ----------
        objective : LightGBMObjective
            The adapter, called as ``objective(raw, train_data)``.

        Returns
        -------
        callable
            LightGBM's ``objective(preds, train_data)``, ignoring ``preds``.
        """

        def refit_objective(preds, train_data):
            return objective(self.raw, train_data)

        return refit_objective

    def __call__(self, env):
        booster = env.model
        t = booster.current_iteration() - 1  # the new tree (one per round)
        if t >= self._n_trees:  # LightGBM adds no tree when nothing splits
            self._n_trees = t + 1
            self._refit(booster, t)
        if self.valid is not None:
            self._early_stopping(
                booster, t, last=env.iteration == env.end_iteration - 1
            )

    def _refit(self, booster, t):
        leaf = self._leaves(booster, self.X, t)
        values = _leaf_constants(self.loss, leaf, self.y, self.raw, self.w)
        for k in np.flatnonzero(np.isfinite(values)):
            booster.set_leaf_output(t, int(k), self.learning_rate * float(values[k]))
        self._stored = np.array(
            [booster.get_leaf_output(t, k) for k in range(len(values))], dtype=float
        )
        self.raw += self._stored[leaf]
        if self.valid is not None:
            self.raw_valid += self._stored[self._leaves(booster, self.valid[0], t)]

    def _leaves(self, booster, X, t):
        # The training's thread count: LightGBM's default OpenMP team would
        # spin against the training's own threads (measured: ~20x slower).
        out = booster.predict(
            X, pred_leaf=True, start_iteration=t, num_iteration=1, **self.threads
        )
        return np.asarray(out, dtype=np.intp).reshape(-1)

    def _early_stopping(self, booster, t, *, last):
        import lightgbm as lgb

        _, yv, wv = self.valid
        score = float(np.average(self.loss.loss(yv, self.raw_valid), weights=wv))
        if score < self.best[0]:
            self.best = (score, t)
        if last or t - self.best[1] >= self.patience:
            name = self.loss.name or type(self.loss).__name__
            result = [("valid_0", name, self.best[0], False)]
            raise lgb.callback.EarlyStopException(self.best[1], result)
