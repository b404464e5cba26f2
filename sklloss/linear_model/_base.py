"""What LossRegressor and LossClassifier share: parameters, loss, one solve.

``fit`` of both estimators follows the same steps, in memory and on dask:

1. validate the parameters and resolve the loss
   (:meth:`_LossLinearModel._validated_loss`);
2. build the data source: in memory ``validate_data`` and the weights; on
   dask, :mod:`._dask` persists the blocks and supplies objectives whose
   passes run block by block;
3. build one :class:`~sklloss.linear_model._objective.LinearObjective` per
   sub-problem (one, or one per class for one-vs-rest), at each scale of
   the regressor's scale loop;
4. ``self._solve(objective, loss)``: :func:`~._plan.make_plan` decides the
   fit (solver, start, polish, threads) and :func:`~._run.run_plan` carries
   it out -> ``(W (K, p), b (K,), n_iter, n_evals)``; then the fitted
   attributes are set.

The backend interface: ``_dask.fit`` uses only ``_validated_loss()``,
``_loss_kinds`` (for its message), ``_class_weighted`` (classifier: class
weights of the class totals), ``_fit_data(data, dtype)`` (regressor: the
scale loop on a data source) and ``_fit_classes(classes, problems, loss,
dtype)`` (classifier), plus :func:`~._plan.choose_solver` to refuse the
exact solver before any work.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator

from ..losses import get_loss, loss_names
from ..losses._base import Loss
from ._plan import ALL_SOLVERS, make_plan
from ._run import run_plan

__all__ = ["_LossLinearModel"]


def _is_dask(X):
    return type(X).__module__.split(".")[0] == "dask"


class _LossLinearModel(BaseEstimator):
    """Parameters, loss resolution and solver dispatch of the linear models."""

    _loss_kinds = ()  # set by the subclasses
    _estimator_name = ""

    # ---------------------------------------------------------- validation
    def _check_params(self):
        def real(name, low, high=np.inf, *, low_open=False, high_open=False):
            v = getattr(self, name)
            ok = isinstance(v, numbers.Real) and not isinstance(v, bool)
            ok = ok and bool(np.isfinite(v))
            if ok:
                ok = (v > low if low_open else v >= low) and (
                    v < high if high_open else v <= high
                )
            if not ok:
                lo = "(" if low_open else "["
                hi = ")" if high_open else "]"
                raise ValueError(
                    f"{name} must be a real number in {lo}{low}, {high}{hi}; "
                    f"got {name}={v!r}."
                )

        real("alpha", 0.0)
        real("l1_ratio", 0.0, 1.0)
        real("tol", 0.0, low_open=True)
        if (
            not isinstance(self.max_iter, numbers.Integral)
            or isinstance(self.max_iter, bool)
            or self.max_iter < 1
        ):
            raise ValueError(
                f"max_iter must be an integer >= 1; got max_iter={self.max_iter!r}."
            )
        if self.solver not in ALL_SOLVERS:
            raise ValueError(
                f"solver must be one of {ALL_SOLVERS}; got solver={self.solver!r}."
            )
        for name in ("fit_intercept", "warm_start"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(
                    f"{name} must be a bool; got {name}={getattr(self, name)!r}."
                )

    def _validated_loss(self):
        """Check the parameters; return a fresh, validated Loss for this fit."""
        self._check_params()
        loss = self._resolve_loss()
        self._check_loss(loss)
        return loss

    def _check_loss(self, loss):
        """Checks of the subclass's own parameters against the loss."""

    def _resolve_loss(self):
        """A fresh, validated Loss for this fit (the user's object is cloned)."""
        if isinstance(self.loss, str | Loss) or (
            isinstance(self.loss, type) and issubclass(self.loss, Loss)
        ):
            loss = get_loss(self.loss)
        else:
            raise ValueError(
                f"loss must be a loss name or a Loss instance; got loss={self.loss!r}."
            )
        if not loss.trainable or loss.kind not in self._loss_kinds:
            valid = [
                n for k in self._loss_kinds for n in loss_names(trainable=True, kind=k)
            ]
            why = (
                "cannot be trained"
                if not loss.trainable
                else f"is of kind {loss.kind!r}"
            )
            raise ValueError(
                f"loss={loss._display_name!r} {why}; {self._estimator_name} accepts "
                f"the trainable losses of kind {list(self._loss_kinds)}: "
                f"{', '.join(valid)} (or a Loss instance of those kinds)."
            )
        return loss

    # ---------------------------------------------------------- solving
    def _solve(self, objective, loss, *, warm=None, tol=None):
        """Plan and run one fit of ``objective``; set ``solver_``.

        ``warm`` is an optional ``(W, b)`` start (warm_start), ``tol`` this
        fit's tolerance (default ``self.tol``). Returns ``(W (K, p), b (K,),
        n_iter, n_evals)``.
        """
        plan = make_plan(self, loss, objective, warm=warm, tol=tol)
        self.solver_ = plan.solver
        return run_plan(plan, objective, loss, warm)
