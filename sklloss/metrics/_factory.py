"""What the metric factories of ``_regression.py`` and ``_classification.py`` share.

:func:`metric_mean` is the body of every metric made from a loss: the loss's
input check by kind (the one :meth:`Loss.__call__` runs), then the weighted
mean of its per-sample value. :func:`loss_metric` makes a classification or
distribution metric from its loss class (signature, docstring, body).
"""

import inspect
import re

from ..losses._checks import check_inputs, mean_of


def loss_params_doc(loss_cls):
    """The entries of the Parameters section of `loss_cls`'s docstring.

    Parameters
    ----------
    loss_cls : type
        A Loss subclass with a numpydoc class docstring.

    Returns
    -------
    str
        The section's entries, unindented ("" when it has none).
    """
    doc = inspect.cleandoc(loss_cls.__doc__ or "")
    found = re.search(
        r"^Parameters\n-+\n(.*?)(?=\n\n\S[^\n]*\n-+\n|\Z)", doc, flags=re.S | re.M
    )
    return found.group(1).strip() if found else ""


def metric_mean(
    loss, y_true, y_pred, sample_weight, *, pred_name, read=None, normalize=True
):
    """The metric: the loss's input check, then the weighted mean of its value.

    Parameters
    ----------
    loss : Loss
        The loss object.
    y_true, y_pred : array-like
        The metric's data.
    sample_weight : array-like of shape (n_samples,) or None
        Non-negative weights, not all zero.
    pred_name : str
        The prediction's argument name, for the messages.
    read : callable, default=None
        The metric's reading of ``y_true`` (label encoding), or None.
    normalize : bool, default=True
        The mean; otherwise the weighted sum.

    Returns
    -------
    float
        The weighted mean (or sum) of ``loss.loss_from_prediction``.
    """
    y_true, y_pred, sw = check_inputs(
        loss, y_true, y_pred, sample_weight, pred_name=pred_name, read_targets=read
    )
    return mean_of(
        lambda: loss.loss_from_prediction(y_true, y_pred), sw, normalize=normalize
    )


_PRED_DOC = {
    "y_proba": """y_proba : array-like of shape (n_samples,) or (n_samples, n_classes)
    Predicted probabilities: of the positive (greater) label when 1-D, of
    each class in sorted label order when 2-D. Values outside [0, 1], NaN
    and inf are a ValueError; rows that do not sum to 1 raise a
    UserWarning, as in scikit-learn.""",
    "pred_decision": """pred_decision : array-like of shape (n_samples,) or \
(n_samples, n_classes)
    Decision values (``decision_function``), one column per class (in
    sorted label order) for a multiclass target.""",
    "y_pred": """y_pred : array-like of shape (n_samples, n_classes) or (n_samples,)
    Predicted distributions (rows in [0, 1] summing to 1; 1-D: Bernoulli
    probabilities).""",
}


_SAMPLE_WEIGHT_DOC = """sample_weight : array-like of shape (n_samples,), default=None
    Non-negative weights, not all zero."""

_LABELS_DOC = """labels : array-like, default=None
    All class labels, when ``y_true`` does not contain every class."""

_RETURNS = """Returns
-------
float
    The (weighted) mean loss.

Raises
------
ValueError
    On NaN or infinite input, mismatched shapes or classes, negative or
    all-zero weights, or a value outside the loss's domain; the message
    names the argument and the value."""


def loss_metric(
    name, loss_cls, *, pred_name, read, labels, true_doc, text, example, order=None
):
    """The metric function ``name``: the weighted mean of ``loss_cls``'s loss.

    Parameters
    ----------
    name : str
        The function's name.
    loss_cls : type
        The Loss subclass; its parameters become keyword-only parameters of
        the metric, with the loss's defaults and docstring entries.
    pred_name : {"y_proba", "pred_decision", "y_pred"}
        The prediction's argument name, as scikit-learn's closest sibling.
    read : callable
        ``read(loss, labels)``: the metric's reading of ``y_true`` (see
        ``check_inputs``' ``read_targets``), or None for the loss's own.
    labels : bool
        Whether the metric takes ``labels`` (it encodes labels of any type).
    true_doc : str
        The docstring entry of ``y_true``.
    text : str
        Summary, formula and notes of the docstring.
    example : str
        The doctest lines of the Examples section, after the import.
    order : sequence of str, default=None
        The keyword-only parameters in the order of scikit-learn's sibling;
        None: the loss's, then ``sample_weight``, then ``labels``.

    Returns
    -------
    callable
        The metric, with its signature, name and numpydoc docstring.
    """
    kw, positional = (
        inspect.Parameter.KEYWORD_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )
    loss_params = [
        p.replace(kind=kw) for p in inspect.signature(loss_cls).parameters.values()
    ]
    keywords = {p.name: p for p in loss_params}
    keywords["sample_weight"] = inspect.Parameter("sample_weight", kw, default=None)
    if labels:
        keywords["labels"] = inspect.Parameter("labels", kw, default=None)
    names = list(order or keywords)
    signature = inspect.Signature(
        [
            inspect.Parameter("y_true", positional),
            inspect.Parameter(pred_name, positional),
            *(keywords[n] for n in names),
        ]
    )
    loss_keys = [p.name for p in loss_params]

    def metric(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{name}() {exc}") from None
        bound.apply_defaults()
        a = bound.arguments
        loss = loss_cls(**{k: a[k] for k in loss_keys})
        return metric_mean(
            loss,
            a["y_true"],
            a[pred_name],
            a["sample_weight"],
            pred_name=pred_name,
            read=read(loss, a.get("labels")),
        )

    docs = {
        "sample_weight": _SAMPLE_WEIGHT_DOC,
        "labels": _LABELS_DOC,
        **_split_entries(loss_params_doc(loss_cls)),
    }
    entries = [true_doc, _PRED_DOC[pred_name]]
    entries += [docs[n] for n in names]
    metric.__signature__ = signature
    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = (
        f"{text}\n\nParameters\n----------\n" + "\n".join(entries) + f"\n\n{_RETURNS}"
        f"\n\nExamples\n--------\n>>> from sklloss.metrics import {name}\n{example}\n"
    )
    return metric


def _split_entries(params_doc):
    """``{name: entry}`` of a numpydoc Parameters section's text."""
    out, current = {}, None
    for line in params_doc.splitlines():
        if line and not line.startswith(" "):
            current = line.split(" : ")[0].strip()
            out[current] = line
        elif current is not None:
            out[current] += "\n" + line
    return out
