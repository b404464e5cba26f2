"""Metric columns of :func:`compare_losses`: names, scorers and directions.

A column reports a metric in its own units: ``"mean_squared_error"`` (or the
scorer name ``"neg_mean_squared_error"``) is the MSE, lower is better, not the
negated score scikit-learn's scorers return. Names are looked up as sklloss
scorers, then scikit-learn scorers, then loss names (a loss's mean value).
"""

from ..losses import Loss, get_loss

DEFAULT_LOSSES = {
    "regression": [
        "squared_error",
        "absolute_error",
        "huber",
        "log_cosh",
        "tukey_biweight",
    ],
    "classification": [
        "log_loss",
        "focal",
        "hinge",
        "squared_hinge",
        "modified_huber",
    ],
}
DEFAULT_METRICS = {
    "regression": [
        "mean_squared_error",
        "mean_absolute_error",
        "median_absolute_error",
        "r2",
    ],
    "classification": ["accuracy", "balanced_accuracy", "roc_auc", "log_loss"],
}


class _Metric:
    """An evaluation column: a scorer and whether greater values are better."""

    def __init__(self, label, scorer, greater_is_better):
        self.label = label
        self.scorer = scorer
        self.greater_is_better = greater_is_better

    def __call__(self, estimator, X, y, sample_weight=None):
        kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
        score = self.scorer(estimator, X, y, **kwargs)
        return float(score if self.greater_is_better else -score)


def _lookup_scorer(name):
    """A scorer named `name` from sklloss, then scikit-learn; None if neither."""
    from sklearn.metrics import get_scorer as sk_get_scorer

    from ..scorers import get_scorer

    for getter in (get_scorer, sk_get_scorer):
        try:
            return getter(name)
        except (ValueError, KeyError):
            continue
    return None


def _loss_label(loss, params=None):
    """'huber(delta=0.5)': the name and the parameters that differ from the default."""
    if params is None:
        default = type(loss)().get_params(deep=False)
        params = {
            k: v for k, v in loss.get_params(deep=False).items() if default[k] != v
        }
    if not params:
        return loss.name
    return loss.name + "(" + ",".join(f"{k}={v}" for k, v in params.items()) + ")"


def _loss_metric(loss, label=None):
    from ..scorers import make_loss_scorer

    if label is None:
        label = _loss_label(loss).replace(loss.name, loss.metric_name or loss.name, 1)
    return _Metric(label, make_loss_scorer(loss), False)


def _metric_from_name(name):
    """The column of a metric, scorer or loss name; None if the name is unknown."""
    if name.startswith("neg_"):
        scorer = _lookup_scorer(name)
        if scorer is not None:
            return _Metric(name[4:], scorer, False)
    else:
        scorer = _lookup_scorer("neg_" + name)
        if scorer is not None:
            return _Metric(name, scorer, False)
        scorer = _lookup_scorer(name)
        if scorer is not None:
            return _Metric(name, scorer, True)
    try:
        loss = get_loss(name)
    except ValueError:
        return None
    return _loss_metric(loss)


def _one_metric(label, spec):
    if isinstance(spec, _Metric):
        return spec
    if isinstance(spec, Loss):
        return _loss_metric(spec, label)
    if isinstance(spec, str):
        metric = _metric_from_name(spec)
        if metric is None:
            raise ValueError(
                f"scoring: unknown metric {spec!r}; use a metric or scorer name of "
                "sklloss or scikit-learn (mean_huber_loss, neg_log_loss, r2, "
                "accuracy), a loss name, a Loss or a scorer callable"
            )
        if label is not None:
            metric.label = label
        return metric
    if callable(spec):
        # a scorer callable is reported as it returns: greater is better
        return _Metric(label or getattr(spec, "__name__", repr(spec)), spec, True)
    raise ValueError(f"scoring: expected a str, a Loss or a callable, got {spec!r}")


def _resolve_scoring(scoring, task, n_classes=2):
    """The list of metric columns for `scoring` (see :func:`compare_losses`)."""
    if scoring is None:
        names = list(DEFAULT_METRICS[task])
        if task == "classification" and n_classes > 2:
            names = ["roc_auc_ovr" if n == "roc_auc" else n for n in names]
        scoring = names
    if isinstance(scoring, (str, Loss)) or callable(scoring):
        scoring = [scoring]
    if isinstance(scoring, dict):
        metrics = [_one_metric(label, spec) for label, spec in scoring.items()]
    else:
        metrics = [_one_metric(None, spec) for spec in scoring]
    labels = [m.label for m in metrics]
    dupes = sorted({la for la in labels if labels.count(la) > 1})
    if dupes:
        raise ValueError(f"scoring: metric listed twice: {', '.join(dupes)}")
    if "fit_time" in labels:
        raise ValueError("scoring: 'fit_time' is a reserved column name")
    return metrics


def _resolve_losses(losses, task):
    """``[(label, Loss)]`` from a list of names / Loss instances or a dict."""
    if losses is None:
        losses = DEFAULT_LOSSES[task]
    if isinstance(losses, (str, Loss)):
        losses = [losses]
    pairs = losses.items() if isinstance(losses, dict) else [(None, x) for x in losses]
    out = []
    for label, loss in pairs:
        try:
            out.append((label, get_loss(loss)))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"losses: {exc}") from None
    out = [(label or _loss_label(loss), loss) for label, loss in out]
    labels = [la for la, _ in out]
    dupes = sorted({la for la in labels if labels.count(la) > 1})
    if dupes:
        raise ValueError(f"losses: listed twice: {', '.join(dupes)}")
    if not out:
        raise ValueError("losses: no loss given")
    return out
