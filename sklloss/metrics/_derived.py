r"""The metric of every registered loss, and the public names of the package.

``_regression.py`` and ``_classification.py`` write the metrics whose text
or signature is their own (scikit-learn's names and arguments, curated
notes); every other registered loss gets its metric here, made by the
factory of its kind from the class alone: the summary line and the first
``.. math::`` block of the class docstring, the loss's parameters, and an
example evaluated when the package is imported. So a new built-in loss needs
its class, with ``@register`` and a ``metric_name``, and nothing here.
"""

import ast
import inspect
import re

from ..losses._registry import _REGISTRY, available_losses

# Data of the generated examples, by kind: (y_true, y_pred) as written.
_EXAMPLE_DATA = {
    "regression": ("[0.0, 0.0, 1.0]", "[0.5, -2.0, 1.0]"),
    "probabilistic": ("[0, 1, 1]", "[0.2, 0.7, 0.95]"),
    "margin": ("[-1, 1, 1]", "[-2.18, 2.36, 0.09]"),
    "distribution": ("[[0.5, 0.5], [1.0, 0.0]]", "[[0.9, 0.1], [0.5, 0.5]]"),
}


def public_functions(module):
    """``{name: function}`` of the public functions a module defines.

    Parameters
    ----------
    module : module
        A metrics module.

    Returns
    -------
    dict
        Its public functions (made by a factory of this package or written
        there), in definition order; names imported from elsewhere and the
        factories themselves are left out.
    """
    from . import _factory

    shared = set(public(_factory).values())
    return {
        name: obj
        for name, obj in public(module).items()
        if obj.__module__.startswith(__package__) and obj not in shared
    }


def public(module):
    """``{name: function}`` of the public functions in a module's namespace.

    Parameters
    ----------
    module : module
        Any module.

    Returns
    -------
    dict
        Its public names bound to functions, imported ones included.
    """
    return {
        n: f
        for n, f in vars(module).items()
        if not n.startswith("_") and inspect.isfunction(f)
    }


def _summary_and_formula(loss_cls):
    """The summary line and the first math block of `loss_cls`'s docstring."""
    doc = inspect.cleandoc(loss_cls.__doc__ or "")
    summary = doc.splitlines()[0] if doc else loss_cls.__name__
    found = re.search(r"^\.\. math::\n\n((?:    .*\n|\n)+)", doc + "\n", flags=re.M)
    formula = f"\n\n.. math::\n\n{found.group(1).rstrip()}" if found else ""
    return summary, formula


def _example(name, metric, kind):
    """A doctest line of `metric` on small data, with the value it returns."""
    y_true, y_pred = _EXAMPLE_DATA[kind]
    value = repr(metric(ast.literal_eval(y_true), ast.literal_eval(y_pred)))
    shown = value if len(value) <= 6 else value[:6] + "..."
    return f">>> {name}({y_true}, {y_pred})\n{shown}"


def default_metric(loss_cls):
    """The metric function of a loss class, made by the factory of its kind.

    Parameters
    ----------
    loss_cls : type
        A Loss subclass with a ``metric_name`` and a ``kind``.

    Returns
    -------
    callable
        ``loss_cls.metric_name(y_true, y_pred, *, ...)``: the weighted mean
        of the loss, with its numpydoc docstring.
    """
    from . import _classification, _regression

    name, kind = loss_cls.metric_name, loss_cls.kind
    summary, formula = _summary_and_formula(loss_cls)
    text = (
        f"Mean of :class:`~sklloss.losses.{loss_cls.__name__}`: "
        f"{summary}{formula}\n\nThe weighted mean of the loss's per-sample value."
    )
    example = ">>> pass"  # replaced below, once the metric exists
    if kind == "regression":
        make = _regression._mean_metric
        metric = make(name, loss_cls, text, example)
        metric.__doc__ = metric.__doc__.replace(example, _example(name, metric, kind))
        return metric
    reads, pred_name, order = {
        "probabilistic": ("proba_labels", "y_proba", None),
        "margin": ("margin_labels", "pred_decision", None),
        "distribution": ("loss", "y_pred", None),
    }[kind]
    metric = _classification._loss_metric(
        name,
        loss_cls,
        pred_name=pred_name,
        reads=reads,
        text=text,
        example=example,
        order=order,
    )
    metric.__doc__ = metric.__doc__.replace(example, _example(name, metric, kind))
    return metric


def registry_metrics(*modules):
    """Every metric: each registered loss's, then the modules' other ones.

    Parameters
    ----------
    *modules : module
        The metrics modules whose functions are written by hand or by a
        factory call of their own.

    Returns
    -------
    dict
        ``{name: function}``: the metric of every registered loss in the
        order of :func:`~sklloss.available_losses` (from the modules where
        they define it, made by :func:`default_metric` otherwise), then the
        modules' other public functions (``root_mean_squared_error``,
        ``cross_entropy``).
    """
    written = {}
    for module in modules:
        written.update(public_functions(module))
    out = {}
    for key in available_losses():  # grouped by kind, as users read them
        cls = _REGISTRY[key]
        name = cls.metric_name
        if name is not None and name not in out:
            out[name] = written.get(name) or default_metric(cls)
    out.update({n: f for n, f in written.items() if n not in out})
    return out
