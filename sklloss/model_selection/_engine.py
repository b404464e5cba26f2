"""The fold loop of :func:`compare_losses`: every loss fitted on the same folds.

Kept apart from the public function so that the command line can follow the
fits loss by loss (progress lines, warnings per loss, out-of-fold residuals
for its plot) and still run exactly the code a notebook runs.
"""

import numbers
import time
import warnings

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import KFold, StratifiedKFold, check_cv
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils.parallel import Parallel, delayed


def _find_loss_param(estimator, loss_param=None):
    """The parameter of `estimator` that holds the training loss."""
    params = estimator.get_params(deep=True)
    if loss_param is not None:
        if loss_param not in params:
            raise ValueError(
                f"loss_param: {type(estimator).__name__} has no parameter "
                f"{loss_param!r}"
            )
        return loss_param
    if "loss" in params:
        return "loss"
    keys = [k for k in params if k.endswith("__loss")]
    if len(keys) != 1:
        found = ", ".join(keys) or "none"
        raise ValueError(
            f"estimator: expected one parameter named 'loss' or '<step>__loss' "
            f"in {type(estimator).__name__}, found {found}; pass loss_param"
        )
    return keys[0]


def _make_folds(cv, X, y, groups, classifier, random_state):
    """The (train, test) index pairs, computed once and shared by every loss."""
    if isinstance(cv, numbers.Integral) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv: needs at least 2 folds, got {cv}")
        cls = StratifiedKFold if classifier else KFold
        cv = cls(n_splits=int(cv), shuffle=True, random_state=random_state)
    else:
        cv = check_cv(cv, y, classifier=classifier)
    folds = list(cv.split(X, y, groups))
    if len(folds) < 2:
        raise ValueError(f"cv: needs at least 2 folds, got {len(folds)}")
    return folds


def _fit_kwargs(estimator, sample_weight):
    if sample_weight is None:
        return {}
    if isinstance(estimator, Pipeline):
        return {f"{estimator.steps[-1][0]}__sample_weight": sample_weight}
    return {"sample_weight": sample_weight}


def _margins(estimator, X, y):
    """Out-of-fold margins (2y - 1) z for binary, Crammer-Singer for multiclass."""
    z = np.asarray(estimator.decision_function(X), dtype=np.float64)
    enc = np.searchsorted(estimator.classes_, y)
    if z.ndim == 1:
        return (2 * enc - 1) * z
    rows = np.arange(len(z))
    others = z.copy()
    others[rows, enc] = -np.inf
    return z[rows, enc] - others.max(axis=1)


def _residuals(estimator, X, y):
    if is_classifier(estimator):
        try:
            return _margins(estimator, X, y)
        except AttributeError:  # no decision_function
            return None
    return np.asarray(y, dtype=np.float64) - estimator.predict(X)


def _score_all(estimator, X, y, w, metrics):
    scores = {}
    for m in metrics:
        try:
            scores[m.label] = m(estimator, X, y, w)
        except (AttributeError, NotImplementedError):
            # the model lacks the method the metric needs (log_loss of hinge)
            scores[m.label] = np.nan
    return scores


def _fit_fold(estimator, X, y, sample_weight, train, test, metrics, catch):
    """Fit on `train`, score on `test`; failures and warnings become data."""
    out = {"scores": {}, "fit_time": np.nan, "error": None, "residuals": None}
    w_train = w_test = None
    if sample_weight is not None:
        w_train, w_test = sample_weight[train], sample_weight[test]
    X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            t0 = time.perf_counter()
            estimator.fit(
                _safe_indexing(X, train),
                _safe_indexing(y, train),
                **_fit_kwargs(estimator, w_train),
            )
            out["fit_time"] = time.perf_counter() - t0
            out["scores"] = _score_all(estimator, X_test, y_test, w_test, metrics)
            out["residuals"] = _residuals(estimator, X_test, y_test)
        except Exception as exc:
            if not catch:
                raise
            out["error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    out["warnings"] = [(w.category, str(w.message).splitlines()[0]) for w in rec]
    return out


def _collect(label, loss, runs, metrics):
    """One record per loss from its per-fold runs."""
    error = next((r["error"] for r in runs if r["error"]), None)
    nan = np.full(len(runs), np.nan)
    record = {
        "label": label,
        "loss": loss,
        "error": error,
        "fit_time": nan if error else np.array([r["fit_time"] for r in runs]),
        "scores": {
            m.label: nan if error else np.array([r["scores"][m.label] for r in runs])
            for m in metrics
        },
        "warnings": {},
        "residuals": None,
    }
    for r in runs:
        for key in r["warnings"]:
            record["warnings"][key] = record["warnings"].get(key, 0) + 1
    parts = [r["residuals"] for r in runs]
    if not error and all(p is not None for p in parts):
        record["residuals"] = np.concatenate(parts)
    return record


def _cross_validate_losses(
    estimator,
    X,
    y,
    losses,
    metrics,
    folds,
    *,
    loss_param,
    sample_weight=None,
    n_jobs=None,
    catch=True,
    on_loss=None,
):
    """Fit ``estimator`` with each loss on every fold; one record per loss.

    ``on_loss(i, record)`` is called after the folds of the i-th loss (1-based).
    """
    records = []
    for i, (label, loss) in enumerate(losses, start=1):
        est = clone(estimator).set_params(**{loss_param: loss})
        runs = Parallel(n_jobs=n_jobs)(
            delayed(_fit_fold)(
                clone(est), X, y, sample_weight, train, test, metrics, catch
            )
            for train, test in folds
        )
        records.append(_collect(label, loss, runs, metrics))
        if on_loss is not None:
            on_loss(i, records[-1])
    return records
