"""One boosting run per backend: train on (X, y, w, init) with a sklloss objective.

Each ``train_*`` returns a ``_Fitted``: the booster, the number of trees to
use (the best iteration under early stopping) and the feature importances
(total gain). The raw score of the model is ``init + trees``: the init score
is the loss's optimal constant, added here at prediction time rather than
stored in the booster (LightGBM does not store a Dataset's init score;
XGBoost's ``base_score`` is set to 0 so that nothing else is added).
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._backend import _import_backend
from ._refit import _LeafRefit


@dataclass
class _Fitted:
    booster: object
    n_trees: int
    backend: str
    n_features: int

    def _raw_trees(self, X):
        """Sum of the trees (without the init score): (n,) or (n, K)."""
        X = _as_csr_matrix(X)
        if self.backend == "lightgbm":
            return self.booster.predict(X, raw_score=True, num_iteration=self.n_trees)
        xgb = _import_backend("xgboost")
        out = self.booster.predict(
            xgb.DMatrix(X), output_margin=True, iteration_range=(0, self.n_trees)
        )
        return out.astype(np.float64)

    def _feature_importances(self):
        """Total gain per feature, normalised to sum to 1 (zeros if no split)."""
        if self.backend == "lightgbm":
            gain = self.booster.feature_importance("gain", iteration=self.n_trees)
        else:
            scores = self.booster.get_score(importance_type="total_gain")
            gain = np.zeros(self.n_features)
            for key, value in scores.items():
                gain[int(key[1:])] = value
        gain = np.asarray(gain, dtype=np.float64)
        total = gain.sum()
        return gain / total if total > 0 else gain


def _as_csr_matrix(X):
    # The backends take scipy's csr_matrix as is and convert (with a warning)
    # the newer sparse arrays.
    return sp.csr_matrix(X) if sp.issparse(X) else X


def _train_lightgbm(
    objective, metric, train, valid, *, n_classes, params, es, refit_loss=None
):
    """``lgb.train`` with the objective; ``train`` / ``valid`` are (X, y, w, init).

    With ``refit_loss``, each tree's leaves are re-estimated (``_refit``),
    which also keeps the raw scores and does the early stopping.
    """
    lgb = _import_backend("lightgbm")
    if refit_loss is not None:
        return _train_lightgbm_refit(
            objective, train, valid, params=params, es=es, loss=refit_loss
        )
    X, y, w, init = train
    X = _as_csr_matrix(X)
    data = lgb.Dataset(X, y, weight=w, init_score=init, free_raw_data=True)
    full = {"verbose": -1, "feature_pre_filter": False, **params}
    full.update(objective=objective, metric="None")
    if n_classes > 2:
        full["num_class"] = n_classes
    kwargs = {}
    if valid is not None:
        Xv, yv, wv, initv = valid
        Xv = _as_csr_matrix(Xv)
        vdata = lgb.Dataset(Xv, yv, weight=wv, init_score=initv, reference=data)
        kwargs = {
            "valid_sets": [vdata],
            "feval": metric,
            "callbacks": [lgb.early_stopping(es, verbose=False)],
        }
    n_rounds = full.pop("num_boost_round")
    booster = lgb.train(full, data, num_boost_round=n_rounds, **kwargs)
    n_trees = booster.best_iteration if valid is not None else n_rounds
    return _Fitted(booster, max(int(n_trees), 1), "lightgbm", X.shape[1])


_THREAD_ALIASES = ("num_threads", "num_thread", "nthread", "nthreads", "n_jobs")


def _train_lightgbm_refit(objective, train, valid, *, params, es, loss):
    lgb = _import_backend("lightgbm")
    train = (_as_csr_matrix(train[0]), *train[1:])
    if valid is not None:
        valid = (_as_csr_matrix(valid[0]), *valid[1:])
    X, y, w, init = train
    full = {"verbose": -1, "feature_pre_filter": False, **params}
    n_rounds = full.pop("num_boost_round")
    for alias in ("shrinkage_rate", "eta"):  # the leaf values need the one rate
        if alias in full:
            raise ValueError(
                f"backend_params={{{alias!r}: ...}}: pass the learning rate as "
                f"learning_rate when the leaves are re-estimated (refit_leaves)."
            )
    threads = [full[k] for k in _THREAD_ALIASES if k in full]
    refit = _LeafRefit(
        loss,
        train,
        valid,
        learning_rate=full["learning_rate"],
        patience=es,
        threads={"num_threads": threads[0]} if threads else {},
    )
    full.update(objective=refit.wrap(objective), metric="None")
    data = lgb.Dataset(X, y, weight=w, init_score=init, free_raw_data=False)
    booster = lgb.train(full, data, num_boost_round=n_rounds, callbacks=[refit])
    n_trees = booster.best_iteration if valid is not None else n_rounds
    return _Fitted(booster, max(int(n_trees), 1), "lightgbm", X.shape[1])


def _train_xgboost(objective, metric, train, valid, *, n_classes, params, es):
    """``xgb.train`` with the objective; ``base_score`` 0, init as base_margin."""
    xgb = _import_backend("xgboost")
    X, y, w, init = train
    X = _as_csr_matrix(X)
    dtrain = xgb.DMatrix(X, y, weight=w, base_margin=init)
    full = {"verbosity": 0, **params, "base_score": 0.0}
    full["disable_default_eval_metric"] = 1
    if n_classes > 2:
        full["num_class"] = n_classes
    n_rounds = full.pop("num_boost_round")
    kwargs = {}
    if valid is not None:
        Xv, yv, wv, initv = valid
        Xv = _as_csr_matrix(Xv)
        dvalid = xgb.DMatrix(Xv, yv, weight=wv, base_margin=initv)
        kwargs = {
            "evals": [(dvalid, "valid")],
            "custom_metric": metric,
            "early_stopping_rounds": es,
            "verbose_eval": False,
        }
    booster = xgb.train(full, dtrain, n_rounds, obj=objective, **kwargs)
    n_trees = booster.best_iteration + 1 if valid is not None else n_rounds
    return _Fitted(booster, int(n_trees), "xgboost", X.shape[1])


TRAIN = {"lightgbm": _train_lightgbm, "xgboost": _train_xgboost}
