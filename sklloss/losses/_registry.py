"""The registry: loss names and aliases to Loss classes.

A family module registers each class with :func:`register`; the class's
``name`` is its key and ``aliases`` its other names. :func:`get_loss` resolves
a key, an alias or an instance; :func:`available_losses` lists them all.
"""

import inspect

from sklearn.base import clone

from ._base import Loss

__all__ = ["register", "get_loss", "available_losses", "loss_names"]

_REGISTRY = {}  # key -> class
_ALIASES = {}  # alias -> key


def register(cls):
    """Class decorator: add a Loss subclass to the registry under ``cls.name``.

    Parameters
    ----------
    cls : type
        A subclass of :class:`Loss`; its ``aliases`` are registered too.

    Returns
    -------
    type
        ``cls`` itself, unchanged.

    Raises
    ------
    RuntimeError
        If the name or an alias is already registered by another class.
    """
    previous = _REGISTRY.get(cls.name)
    if previous is not None and _same_class(previous, cls):
        # The same module imported twice (pytest's importlib mode): replace.
        for alias in previous.aliases:
            _ALIASES.pop(alias, None)
        del _REGISTRY[cls.name]
    if cls.name in _REGISTRY or cls.name in _ALIASES:
        raise RuntimeError(f"loss name {cls.name!r} registered twice")
    _REGISTRY[cls.name] = cls
    for alias in cls.aliases:
        if alias in _REGISTRY or alias in _ALIASES:
            raise RuntimeError(f"loss alias {alias!r} registered twice")
        _ALIASES[alias] = cls.name
    return cls


def _same_class(a, b):
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def loss_names(*, trainable=None, kind=None):
    """Registry keys, optionally only the trainable ones or one kind.

    Parameters
    ----------
    trainable : bool, default=None
        If given, keep only the losses whose ``trainable`` flag equals it.
    kind : str, default=None
        If given, keep only the losses of this kind: ``"regression"``,
        ``"probabilistic"``, ``"margin"`` or ``"distribution"``.

    Returns
    -------
    list of str
        The keys, in registration order.
    """
    return [
        name
        for name, cls in _REGISTRY.items()
        if (trainable is None or cls.trainable == trainable)
        and (kind is None or cls.kind == kind)
    ]


def get_loss(loss, **params):
    """Resolve a registry key, an alias or a Loss instance to a Loss instance.

    Parameters
    ----------
    loss : str or Loss
        A key of :func:`available_losses`, one of its aliases, or an instance
        (which is cloned, never modified).
    **params
        Hyper-parameters of the loss, e.g. ``delta=2.0`` for ``"huber"``.

    Returns
    -------
    Loss
        A new instance.

    Raises
    ------
    ValueError
        If the name is unknown (the message lists the valid names) or a
        hyper-parameter is invalid.

    Examples
    --------
    >>> from sklloss import get_loss
    >>> get_loss("huber", delta=2.0)
    Huber(delta=2.0)
    >>> get_loss("mse").name
    'squared_error'
    """
    if isinstance(loss, Loss):
        obj = clone(loss)
        if params:
            obj.set_params(**params)
        return obj
    if isinstance(loss, type) and issubclass(loss, Loss):
        return loss(**params)
    if not isinstance(loss, str):
        raise TypeError(
            f"loss must be a string or a Loss instance, got {type(loss).__name__}: "
            f"{loss!r}."
        )
    key = _ALIASES.get(loss, loss)
    if key not in _REGISTRY:
        valid = ", ".join(sorted(_REGISTRY))
        aliases = ", ".join(sorted(_ALIASES))
        raise ValueError(
            f"Unknown loss {loss!r}. Valid losses are: {valid}; aliases: {aliases}."
        )
    cls = _REGISTRY[key]
    try:
        return cls(**params)
    except TypeError:
        accepted = list(inspect.signature(cls).parameters)
        raise ValueError(
            f"Invalid parameters {sorted(params)} for loss {key!r}; it accepts "
            f"{accepted or 'no parameters'}."
        ) from None


def available_losses():
    """List every registry key with its aliases, parameters and flags.

    Returns
    -------
    dict
        ``{key: {"aliases": tuple, "params": dict of defaults, "kind": str,
        "trainable": bool, "metric": str}}`` in registration order.

    Examples
    --------
    >>> from sklloss import available_losses
    >>> info = available_losses()["huber"]
    >>> info["params"], info["kind"], info["trainable"]
    ({'delta': 1.0}, 'regression', True)
    """
    out = {}
    kinds = ("regression", "probabilistic", "margin", "distribution")
    # Grouped by kind, in registration order within a kind (import order of
    # the family modules must not decide what users read first).
    ordered = sorted(
        _REGISTRY.items(),
        key=lambda kv: kinds.index(kv[1].kind) if kv[1].kind in kinds else len(kinds),
    )
    for key, cls in ordered:
        sig = inspect.signature(cls)
        out[key] = {
            "aliases": tuple(cls.aliases),
            "params": {n: p.default for n, p in sig.parameters.items()},
            "kind": cls.kind,
            "trainable": cls.trainable,
            "metric": cls.metric_name,
        }
    return out
