"""What the metric factories of ``_regression.py`` and ``_classification.py`` share."""

import inspect
import re


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
