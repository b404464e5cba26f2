"""What LossRegressor and LossClassifier share: parameters, loss, solver choice.

``fit`` of both estimators follows the same four steps, which the dask
helper (``_dask.py``) reuses:

1. validate (``validate_data``, ``_check_sample_weight``) and resolve the
   loss (:meth:`_LossLinearModel._resolve_loss`);
2. encode y (estimator specific);
3. build one :class:`~sklloss.linear_model._objective.LinearObjective` per
   sub-problem (one, or one per class for one-vs-rest);
4. ``self._solve(objective, loss)`` -> ``(W (K, p), b (K,), n_iter)`` and set
   the fitted attributes.

``_solve`` picks the solver from the loss's flags (``solver="auto"``):

=============================================  ===============================
loss                                           solver
=============================================  ===============================
``is_piecewise_linear`` (convex_pieces)        ``"exact"`` (LP / QP, _exact.py)
Hessian, ``n * P**2 <= 1e7`` (P parameters)    ``"newton-cholesky"``
convex, ``is_twice_differentiable``, Hessian,  ``"sampled-newton"`` (subsample
n >= 50,000, dense X, P <= 500, larger         start, Hessian of a row sample)
Hessian, sparse X, larger problems             ``"newton-cg"`` (_newton_cg.py)
Hessian, larger problems                       ``"lbfgs"`` (standardised)
gradient only (a user's loss without Hessian)  ``"lbfgs"``
``l1_ratio > 0``                               proximal Newton, KKT stopping
                                               rule (``_prox_newton.py``)
not ``is_convex``                              least-absolute-deviation start
                                               (identity link), L-BFGS-B,
                                               bounded Newton polish
=============================================  ===============================

Above 50,000 rows L-BFGS-B and sampled-newton start from the solution on
every 10th row (``_subsample_start``): the same optimum in about half the
full passes.
"""

import numbers

import numpy as np
from sklearn.base import BaseEstimator

from ..losses import get_loss, loss_names
from ..losses._base import Loss
from ._plan import ALL_SOLVERS, make_plan, run_plan

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
