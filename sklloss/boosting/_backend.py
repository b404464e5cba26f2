"""Lazy imports of the boosting libraries: ``import sklloss.boosting`` needs neither."""

import importlib

_EXTRA = {"lightgbm": "lightgbm", "xgboost": "xgboost"}


def _check_backend_name(backend):
    """Raise a ValueError naming ``backend`` unless it is a supported library."""
    if backend not in _EXTRA:
        raise ValueError(
            f"backend must be one of {sorted(_EXTRA)}; got backend={backend!r}."
        )
    return backend


def _import_backend(backend):
    """Import and return the module of ``backend``, or a clear ImportError."""
    _check_backend_name(backend)
    try:
        return importlib.import_module(backend)
    except ImportError as exc:
        raise ImportError(
            f"backend={backend!r} needs the {backend} package, which is not "
            f"installed: pip install 'sklloss[{_EXTRA[backend]}]'."
        ) from exc
