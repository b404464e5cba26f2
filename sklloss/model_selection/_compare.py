"""The function compare_losses: fits of several losses on the same folds."""

import numbers
import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import indexable
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import _check_sample_weight

from ._engine import _cross_validate_losses, _find_loss_param, _make_folds
from ._paired import _mark_best
from ._scoring import _resolve_losses, _resolve_scoring

COLUMNS = ("loss", "metric", "mean", "std", "best", "p_value", "greater_is_better")


def _check_target(y, classifier):
    """A classifier needs class labels: a continuous target is a ValueError."""
    kind = type_of_target(y, input_name="y")
    if classifier and kind.startswith("continuous"):
        sample = np.asarray(y).ravel()[:3].tolist()
        raise ValueError(
            "y: a classifier needs class labels, got a continuous target "
            f"(first values {sample}); use a regressor, or bin the target"
        )
    return kind


def _compare(records, metrics, folds, significance):
    """Best marks and p-values against the best: ``{metric: (best, p_values)}``."""
    ratio = float(np.mean([len(te) / len(tr) for tr, te in folds]))
    return {
        m.label: _mark_best(
            {r["label"]: r["scores"][m.label] for r in records},
            m.greater_is_better,
            ratio,
            significance,
        )
        for m in metrics
    }


def _table(records, metrics, marks):
    """The plain result: one entry per (loss, metric) row in each column."""
    cols = {name: [] for name in (*COLUMNS, "folds")}
    for r in records:
        rows = [(m.label, r["scores"][m.label], m.greater_is_better) for m in metrics]
        rows.append(("fit_time", r["fit_time"], False))
        for metric, values, greater in rows:
            best, p_values = marks.get(metric, (None, {}))
            has_nan = bool(np.isnan(values).any())
            cols["loss"].append(r["label"])
            cols["metric"].append(metric)
            cols["mean"].append(np.nan if has_nan else float(np.mean(values)))
            cols["std"].append(np.nan if has_nan else float(np.std(values)))
            cols["best"].append(best == r["label"])
            cols["p_value"].append(p_values.get(r["label"], np.nan))
            cols["greater_is_better"].append(greater)
            cols["folds"].append([float(v) for v in values])
    return cols


def _as_frame(cols):
    import pandas as pd

    n_folds = len(cols["folds"][0])
    data = {name: cols[name] for name in COLUMNS}
    folds = np.asarray(cols["folds"], dtype=np.float64).reshape(-1, n_folds)
    for k in range(n_folds):
        data[f"fold_{k}"] = folds[:, k]
    return pd.DataFrame(data).set_index(["loss", "metric"])


def _want_frame(as_frame):
    if as_frame not in ("auto", True, False):
        raise ValueError(f"as_frame: expected 'auto', True or False, got {as_frame!r}")
    try:
        import pandas  # noqa: F401
    except ImportError:
        if as_frame is True:
            raise ImportError(
                "compare_losses(as_frame=True) needs pandas: pip install pandas"
            ) from None
        return False
    return bool(as_frame)


def _reemit(records, n_folds):
    """Warnings of the fits, once per loss and message, with the loss named."""
    for r in records:
        if r["error"]:
            msg = f"loss {r['label']!r}: the fit failed: {r['error']}; scores are NaN"
            warnings.warn(msg, FitFailedWarning, stacklevel=3)
        for (category, text), count in r["warnings"].items():
            msg = f"loss {r['label']!r} ({count} of {n_folds} folds): {text}"
            try:
                warnings.warn(msg, category, stacklevel=3)
            except TypeError:  # a category whose constructor wants more
                warnings.warn(f"{category.__name__}: {msg}", UserWarning, stacklevel=3)


def _check_options(significance, error_score):
    if not (isinstance(significance, numbers.Real) and 0 < significance < 1):
        raise ValueError(
            f"significance: expected a number in (0, 1), got {significance!r}"
        )
    if not (
        error_score == "raise"
        or (isinstance(error_score, numbers.Real) and np.isnan(error_score))
    ):
        raise ValueError(
            f"error_score: expected 'raise' or np.nan, got {error_score!r}"
        )


def compare_losses(
    estimator,
    X,
    y,
    *,
    losses=None,
    scoring=None,
    cv=5,
    groups=None,
    sample_weight=None,
    loss_param=None,
    n_jobs=None,
    random_state=None,
    significance=0.05,
    error_score=np.nan,
    as_frame="auto",
):
    r"""Cross-validate one estimator with several training losses on the same folds.

    Every loss is set on a clone of `estimator` (its ``loss`` parameter, or
    the one ``<step>__loss`` parameter of a pipeline), fitted on the training
    part of each fold and scored on its test part; the folds are made once,
    so every loss sees the same splits. For each loss and metric the result
    holds the per-fold values :math:`s_1, \dots, s_k`, their mean
    :math:`\bar s` and standard deviation
    :math:`\sqrt{\frac{1}{k} \sum_j (s_j - \bar s)^2}`.

    A metric's best mean is marked only where it beats every other loss
    beyond the fold-to-fold noise: for each other loss, the per-fold
    differences :math:`d_j` to the best are tested with a two-sided paired
    t-test whose variance carries the Nadeau-Bengio correction for the
    training sets the folds share,

    .. math::

        t = \frac{\bar d}{\sqrt{\left(\frac{1}{k} + \frac{n_\text{test}}
        {n_\text{train}}\right) s_d^2}}, \qquad \text{df} = k - 1,

    and the best is marked when every p-value is below `significance`. A
    t-test and not a sign or Wilcoxon test: with 5 folds those cannot reach
    a two-sided p-value below 0.0625; and corrected, because the plain
    paired t-test ignores that the folds' scores are correlated and marks
    too much. Fit time is reported, never marked.

    Parameters
    ----------
    estimator : estimator object
        A regressor or classifier with a loss parameter, e.g.
        :class:`~sklloss.LossRegressor` or a pipeline ending in one.
    X : array-like of shape (n_samples, n_features)
        The features.
    y : array-like of shape (n_samples,)
        The target; class labels for a classifier (a continuous target is a
        ValueError).
    losses : list of (str or Loss), or dict of str to (str or Loss), default=None
        The training losses: registry names, aliases or
        :class:`~sklloss.Loss` instances, labelled by name and non-default
        parameters (``"huber(delta=0.5)"``), or a dict ``{label: loss}``.
        None: ``squared_error, absolute_error, huber, log_cosh,
        tukey_biweight`` for a regressor, ``log_loss, focal, hinge,
        squared_hinge, modified_huber`` for a classifier.
    scoring : str, callable, Loss, list or dict, default=None
        The metrics. A name is reported in the metric's own units:
        ``"mean_squared_error"`` or ``"neg_mean_squared_error"`` give the MSE
        (lower is better), ``"r2"`` and ``"accuracy"`` are scikit-learn
        scorers (greater is better), a loss name or :class:`~sklloss.Loss`
        gives its mean value (lower is better). A callable
        ``scorer(estimator, X, y)`` is reported as it returns, greater is
        better. A dict maps column labels to any of these. None:
        ``mean_squared_error, mean_absolute_error, median_absolute_error,
        r2`` for a regressor, ``accuracy, balanced_accuracy, roc_auc,
        log_loss`` for a classifier (``roc_auc_ovr`` beyond two classes).
    cv : int, cross-validation generator or iterable, default=5
        An int gives ``KFold`` (``StratifiedKFold`` for a classifier) with
        ``shuffle=True`` and `random_state`; anything else is passed to
        :func:`sklearn.model_selection.check_cv`. The splits are computed
        once.
    groups : array-like of shape (n_samples,), default=None
        Group labels for a group splitter.
    sample_weight : array-like of shape (n_samples,), default=None
        Passed to ``fit`` (to the last step of a pipeline) on the training
        part and to the scorers on the test part of each fold.
    loss_param : str, default=None
        The name of the loss parameter when it is neither ``loss`` nor the
        only ``<step>__loss`` of `estimator`.
    n_jobs : int, default=None
        Folds fitted in parallel (joblib); None means 1.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffle when `cv` is an int.
    significance : float, default=0.05
        Level of the paired tests behind the best marks.
    error_score : 'raise' or np.nan, default=np.nan
        On a failed fit, raise, or report the loss's values as NaN with a
        ``FitFailedWarning``.
    as_frame : bool or 'auto', default='auto'
        Return a pandas DataFrame (True; 'auto' when pandas is installed) or
        a dict of lists (False).

    Returns
    -------
    result : pandas.DataFrame or dict
        One row per (loss, metric), the metrics in the order given and a
        last ``"fit_time"`` row (seconds) per loss. Columns: ``mean``,
        ``std``, ``best`` (the mark above), ``p_value`` (of the difference to
        the metric's best mean; NaN for the best itself and for fit time),
        ``greater_is_better``, and the per-fold values. As a DataFrame the
        index is (``loss``, ``metric``) and the folds are columns
        ``fold_0`` .. ``fold_{k-1}``; as a dict, each of ``loss``,
        ``metric``, ``mean``, ``std``, ``best``, ``p_value``,
        ``greater_is_better`` and ``folds`` (a list of per-fold values) maps
        to a list with one entry per row, so ``pandas.DataFrame(result)``
        builds the same table. A value is NaN where the fitted model lacks
        the method the metric needs (``log_loss`` of a hinge model) or the
        fit failed.

    See Also
    --------
    sklearn.model_selection.cross_validate : The same loop for one estimator.

    Notes
    -----
    Warnings raised by the fits (e.g. a ``ConvergenceWarning``) are re-issued
    once per loss and message, with the loss and the number of folds named.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklloss import LossRegressor, get_loss
    >>> from sklloss.model_selection import compare_losses
    >>> X, y = load_diabetes(return_X_y=True)
    >>> q90 = get_loss("quantile", quantile=0.9)
    >>> result = compare_losses(
    ...     make_pipeline(StandardScaler(), LossRegressor()), X, y,
    ...     losses={"least squares": "squared_error", "q90": q90},
    ...     scoring={"MSE": "mean_squared_error", "pinball(0.9)": q90},
    ...     random_state=0,
    ... )
    >>> result[["mean", "best"]].round(1)
                                  mean   best
    loss          metric
    least squares MSE           2977.5   True
                  pinball(0.9)    22.2  False
                  fit_time         ...  False
    q90           MSE           8204.0  False
                  pinball(0.9)     9.7   True
                  fit_time         ...  False

    Each fold's value is a column; the frame reshapes as any other:

    >>> result["mean"].unstack()[["MSE", "pinball(0.9)"]].round(1)
    metric            MSE  pinball(0.9)
    loss
    least squares  2977.5          22.2
    q90            8204.0           9.7
    """
    _check_options(significance, error_score)
    frame = _want_frame(as_frame)
    X, y, groups = indexable(X, y, groups)
    classifier = is_classifier(estimator)
    _check_target(y, classifier)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
    task = "classification" if classifier else "regression"
    loss_param = _find_loss_param(estimator, loss_param)
    pairs = _resolve_losses(losses, task)
    n_classes = len(np.unique(y)) if classifier else 0
    metrics = _resolve_scoring(scoring, task, n_classes)
    folds = _make_folds(cv, X, y, groups, classifier, random_state)
    records = _cross_validate_losses(
        estimator,
        X,
        y,
        pairs,
        metrics,
        folds,
        loss_param=loss_param,
        sample_weight=sample_weight,
        n_jobs=n_jobs,
        catch=error_score != "raise",
    )
    _reemit(records, len(folds))
    cols = _table(records, metrics, _compare(records, metrics, folds, significance))
    return _as_frame(cols) if frame else cols
