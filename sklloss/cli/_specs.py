"""``--losses`` and ``--metrics``: 'name:key=value' specs to losses and metrics."""

from ..model_selection._scoring import (
    DEFAULT_LOSSES,
    _loss_label,
    _Metric,
    _metric_from_name,
)
from ._parser import UsageError

_CLASSIFICATION_KINDS = ("probabilistic", "margin")


def _parse_value(text):
    """'2' -> 2, '0.5' -> 0.5, 'true' -> True, 'none' -> None, else the string."""
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_specs(text, option):
    """Split 'a,b:k=v,k2=v2,c' into [('a', {}), ('b', {'k': v, 'k2': v2}), ('c', {})].

    A comma-separated item of the form ``key=value`` belongs to the item
    before it, so parameters can be separated by ',' or ':'.

    Parameters
    ----------
    text : str
        The option's value.
    option : str
        The option's name (e.g. ``"--losses"``), for the error messages.

    Returns
    -------
    list of (str, dict)
        One ``(name, params)`` pair per item; values are parsed into int,
        float, bool or None where they look like one, else kept as str.

    Raises
    ------
    UsageError
        On an empty item, a parameter before any name, or a malformed
        ``key=value``.

    Examples
    --------
    >>> from sklloss.cli import parse_specs
    >>> parse_specs("mse,huber:delta=2", "--losses")
    [('mse', {}), ('huber', {'delta': 2})]
    """
    specs = []
    for token in text.split(","):
        token = token.strip()
        if not token:
            raise UsageError(f"{option}: empty item in {text!r}")
        if "=" in token and ":" not in token:
            if not specs:
                raise UsageError(f"{option}: parameter {token!r} before any name")
            parts = [token]
        else:
            name, *parts = token.split(":")
            specs.append((name.strip(), {}))
        for part in parts:
            key, sep, value = part.partition("=")
            if not sep or not key.strip() or not value.strip():
                raise UsageError(
                    f"{option}: expected key=value, got {part!r} in {token!r}"
                )
            specs[-1][1][key.strip()] = _parse_value(value.strip())
    return specs


def _valid_loss_names(task):
    from ..losses import loss_names

    kinds = ("regression",) if task == "regression" else _CLASSIFICATION_KINDS
    return [n for k in kinds for n in loss_names(kind=k, trainable=True)]


def _unknown_loss(name, task, valid):
    from ..losses import available_losses

    aliases = {a: k for k, info in available_losses().items() for a in info["aliases"]}
    usable = [a for a, k in aliases.items() if k in valid]
    return (
        f"unknown loss {name!r}; valid {task} losses: "
        + ", ".join(valid)
        + (" (aliases: " + ", ".join(usable) + ")" if usable else "")
    )


def _one_loss(name, params, task, valid):
    from ..losses import get_loss

    try:
        loss = get_loss(name, **params)
    except (ValueError, TypeError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "Unknown loss" in msg:
            msg = _unknown_loss(name, task, valid)
        raise UsageError(f"--losses: {msg}") from None
    if loss.name not in valid:
        what = "regression" if loss.kind == "regression" else "classification"
        reason = "cannot be trained" if not loss.trainable else f"is a {what} loss"
        raise UsageError(
            f"--losses: {name!r} {reason}; valid {task} losses: " + ", ".join(valid)
        )
    return _loss_label(loss, params), loss


def _resolve_losses(text, task):
    """``[(label, Loss)]`` for ``--losses``; a UsageError for a bad name."""
    valid = _valid_loss_names(task)
    if text is None:
        specs = [(n, {}) for n in DEFAULT_LOSSES[task] if n in valid]
        if not specs:
            raise UsageError(f"no default {task} loss is available")
    else:
        specs = parse_specs(text, "--losses")
    out = [_one_loss(name, params, task, valid) for name, params in specs]
    labels = [label for label, _ in out]
    dupes = sorted({la for la in labels if labels.count(la) > 1})
    if dupes:
        raise UsageError(f"--losses: listed twice: {', '.join(dupes)}")
    return out


def _loss_metric(name, params):
    """A metric column from a loss spec such as 'huber:delta=2', or None."""
    from ..losses import get_loss
    from ..scorers import make_loss_scorer

    try:
        loss = get_loss(name, **params)
    except (ValueError, TypeError) as exc:
        if params and "Unknown loss" not in str(exc):
            raise UsageError(f"--metrics: {str(exc).splitlines()[0]}") from None
        return None
    label = _loss_label(loss, params).replace(
        loss.name, loss.metric_name or loss.name, 1
    )
    return _Metric(label, make_loss_scorer(loss), False)


def _resolve_metrics(text, task, n_classes=2):
    """The metric columns for ``--metrics``; a UsageError for an unknown name."""
    from ..model_selection._scoring import DEFAULT_METRICS

    if text is None:
        names = list(DEFAULT_METRICS[task])
        if task == "classification" and n_classes > 2:
            names = ["roc_auc_ovr" if n == "roc_auc" else n for n in names]
        specs = [(n, {}) for n in names]
    else:
        specs = parse_specs(text, "--metrics")
    out = []
    for name, params in specs:
        metric = None if params else _metric_from_name(name)
        if metric is None:
            metric = _loss_metric(name, params)
        if metric is None:
            raise UsageError(
                f"--metrics: unknown metric {name!r}; use a metric or scorer name of "
                "sklloss (e.g. mean_huber_loss, neg_log_loss), a loss "
                "(huber:delta=2) or a scikit-learn scorer name (r2, accuracy)"
            )
        out.append(metric)
    labels = [m.label for m in out]
    if len(set(labels)) != len(labels):
        raise UsageError("--metrics: a metric is listed twice")
    return out
