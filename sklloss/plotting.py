"""Plots of loss functions: :class:`LossDisplay`, in scikit-learn's Display style.

matplotlib is an optional dependency (the ``plot`` extra). It is imported
inside the functions that draw, never at module import, so that
``import sklloss`` and ``import sklloss.plotting`` work without it.
"""

import numbers
import warnings

import numpy as np

from .losses import Loss, get_loss, loss_names

__all__ = ["LossDisplay"]

_CLASSIFICATION_KINDS = ("probabilistic", "margin", "distribution")


def _task_of(loss):
    """'regression' or 'classification', from the loss's ``kind`` flag."""
    return "regression" if loss.kind == "regression" else "classification"


def _label_of(loss):
    """Registry name plus the parameters that differ from their defaults."""
    name = loss.name if loss.name is not None else type(loss).__name__
    changed = loss.get_params(deep=False)
    defaults = (
        type(loss)().get_params(deep=False) if _default_constructible(loss) else {}
    )
    shown = {k: v for k, v in changed.items() if defaults.get(k, object()) != v}
    if not shown:
        return name
    return name + "(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def _default_constructible(loss):
    try:
        type(loss)()
    except Exception:  # a user's loss may have required parameters
        return False
    return True


def _evaluate(loss, x, task):
    """Loss value and derivative along the plotting axis ``x``.

    Regression: ``x`` is the residual in raw-prediction space,
    ``r = link(y0) - raw`` with the reference target ``y0 = inverse_link(0)``
    (0 for identity-link losses, 1 for log-link losses), so ``raw = -x`` and
    ``d loss / d x = -gradient``. For identity-link losses this is the plain
    residual ``y - y_pred``; for log-link losses (Poisson, Gamma, Tweedie) it
    is ``log(y) - log(y_pred)`` at ``y = 1``.

    Classification: ``x`` is the margin ``m = (2y - 1) * raw`` evaluated at
    ``y = 1``, so ``raw = x`` and ``d loss / d x = gradient``. A softmax or
    distribution loss that needs 2-D raw predictions gets the two-class logits
    ``[0, x]`` with label 1, whose margin is again ``x``.
    """
    x = np.asarray(x, dtype=np.float64)
    if task == "regression":
        raw = -x
        y0 = np.asarray(loss.inverse_link(np.zeros(1)), dtype=np.float64)[0]
        y = np.full_like(x, y0)
        sign = -1.0
    else:
        raw = x
        y = np.ones_like(x)
        sign = 1.0
    try:
        value = np.asarray(loss.loss(y, raw), dtype=np.float64)
        two_d = value.shape != x.shape
    except (ValueError, IndexError):
        two_d = True
    if two_d:
        raw = np.column_stack([np.zeros_like(x), x])
        if loss.kind == "distribution":
            y = np.column_stack([np.zeros_like(x), np.ones_like(x)])
        value = np.asarray(loss.loss(y, raw), dtype=np.float64).reshape(len(x), -1)
        value = value[:, 0] if value.shape[1] == 1 else value.sum(axis=1)
    try:
        grad = np.asarray(loss.gradient(y, raw), dtype=np.float64)
    except NotImplementedError:
        grad = None
    if grad is not None and two_d:
        # derivative along x of loss(y, [0, x]) is the gradient's 2nd column
        grad = grad.reshape(len(x), -1)[:, -1]
    derivative = None if grad is None else sign * grad
    return value, derivative


class LossDisplay:
    r"""Loss curves, and their first derivatives, for a set of losses.

    Regression losses are drawn against the residual :math:`r = y - \hat y`
    (for log-link losses, :math:`r = \log y - \log \hat y` at :math:`y = 1`),
    classification losses against the margin :math:`m = (2y - 1)\,z` of the raw
    score :math:`z`. The derivative is taken along that axis:

    .. math::

        \frac{d\ell}{dr} = -\frac{\partial \ell}{\partial z}
        \quad\text{(regression)}, \qquad
        \frac{d\ell}{dm} = \frac{\partial \ell}{\partial z}
        \quad\text{(classification, } y = 1\text{)}.

    Build it with :meth:`from_losses`, which computes the curves and draws
    them; the constructor only stores precomputed curves. matplotlib is
    imported when :meth:`plot` runs, never before.

    Parameters
    ----------
    x : ndarray of shape (n_points,)
        Residuals (regression) or margins (classification).
    values : dict of str to ndarray of shape (n_points,)
        Loss value of each curve, keyed by its label.
    derivatives : dict of str to ndarray of shape (n_points,) or None
        First derivative of each curve along ``x``; ``None`` for a loss that
        defines no gradient (e.g. the zero-one loss).
    task : {"regression", "classification"}
        What ``x`` is; sets the axis label.

    Attributes
    ----------
    ax_ : matplotlib Axes
        Axes holding the curves.
    figure_ : matplotlib Figure
        Figure containing ``ax_``.
    lines_ : dict of str to matplotlib Line2D
        One line per drawn curve, keyed by its label.

    See Also
    --------
    sklloss.get_loss : Build one loss from its name and parameters.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklloss.plotting import LossDisplay
    >>> disp = LossDisplay.from_losses(["squared_error", "huber"], x_range=(-2, 2))
    >>> sorted(disp.lines_)
    ['huber', 'squared_error']
    >>> disp.ax_.get_xlabel()
    'residual $y - \\hat{y}$'
    >>> float(disp.values["huber"][0])  # delta * (|r| - delta / 2) at r = -2
    1.5
    """

    def __init__(self, *, x, values, derivatives, task):
        self.x = x
        self.values = values
        self.derivatives = derivatives
        self.task = task

    @classmethod
    def from_losses(
        cls,
        losses=None,
        *,
        derivative=False,
        kind="auto",
        x_range=None,
        n_points=401,
        ax=None,
        clip=None,
        **kwargs,
    ):
        """Compute the curves of `losses` and plot them.

        Parameters
        ----------
        losses : list of (str or Loss), or dict of str to (str or Loss), \
                default=None
            Registry names or aliases (``"huber"``, ``"mae"``), Loss instances
            (``Huber(delta=2)``, or any user-defined subclass of
            :class:`~sklloss.Loss`), or a dict mapping a curve label to one of
            those. ``None`` draws every registry loss of ``kind``.
        derivative : bool, default=False
            Draw the first derivative along the axis instead of the loss.
        kind : {"auto", "regression", "classification"}, default="auto"
            Which family to draw. ``"auto"`` infers it from `losses`
            (``"regression"`` when `losses` is ``None``); mixing regression
            and classification losses is an error, since their axes differ.
        x_range : tuple of float, default=None
            Limits of the axis; ``(-3, 3)`` when ``None``.
        n_points : int, default=401
            Number of evaluation points (odd keeps 0 on the grid).
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when ``None``.
        clip : float, default=None
            Limit of the y axis, to keep fast-growing curves (the
            exponential loss, log-link deviances) from squashing the others:
            curves are cut at ``clip`` (loss values) or at ``±clip``
            (derivatives). ``None`` chooses ``4 * max(|x_range|)`` for loss
            values and ``2.5 * max(|x_range|)`` for derivatives.
        **kwargs : dict
            Passed to every ``ax.plot`` call.

        Returns
        -------
        display : LossDisplay
            The display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        objs = cls._resolve(losses, kind)
        task = _task_of(next(iter(objs.values())))
        if x_range is None:
            x_range = (-3.0, 3.0)
        lo, hi = (float(v) for v in x_range)
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(
                f"x_range must be two finite numbers low < high; got {x_range!r}."
            )
        if not isinstance(n_points, numbers.Integral) or n_points < 2:
            raise ValueError(f"n_points must be an integer >= 2; got {n_points!r}.")
        x = np.linspace(lo, hi, int(n_points))
        values, derivatives = {}, {}
        # The losses are evaluated off their domain edges on purpose (e.g. a
        # margin of -3 for the exponential loss); nothing here may warn.
        with np.errstate(over="ignore"):
            for label, loss in objs.items():
                values[label], derivatives[label] = _evaluate(loss, x, task)
        disp = cls(x=x, values=values, derivatives=derivatives, task=task)
        return disp.plot(ax=ax, derivative=derivative, clip=clip, **kwargs)

    @staticmethod
    def _resolve(losses, kind):
        if kind not in ("auto", "regression", "classification"):
            raise ValueError(
                "kind must be 'auto', 'regression' or 'classification'; "
                f"got kind={kind!r}."
            )
        if losses is None:
            task = "regression" if kind == "auto" else kind
            kinds = ("regression",) if task == "regression" else _CLASSIFICATION_KINDS
            losses = [n for k in kinds for n in loss_names(kind=k)]
        if isinstance(losses, (str, Loss)):
            losses = [losses]
        if isinstance(losses, dict):
            items = [(label, get_loss(spec)) for label, spec in losses.items()]
        else:
            items = []
            for spec in losses:
                obj = get_loss(spec)
                items.append((_label_of(obj), obj))
        if not items:
            raise ValueError("losses must name at least one loss; got an empty list.")
        objs = dict(items)
        if len(objs) != len(items):
            raise ValueError("losses contains the same curve label twice.")
        tasks = {label: _task_of(obj) for label, obj in objs.items()}
        wanted = set(tasks.values()) if kind == "auto" else {kind}
        if len(wanted) > 1 or set(tasks.values()) - wanted:
            reg = [k for k, t in tasks.items() if t == "regression"]
            clf = [k for k, t in tasks.items() if t != "regression"]
            raise ValueError(
                "LossDisplay draws regression losses (against the residual) and "
                "classification losses (against the margin) on different axes; "
                f"got regression losses {reg} and classification losses {clf}"
                + ("" if kind == "auto" else f" with kind={kind!r}")
                + ". Make one display per family."
            )
        return objs

    def plot(self, ax=None, *, derivative=False, clip=None, **kwargs):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when ``None``.
        derivative : bool, default=False
            Draw the derivatives instead of the loss values. A loss without a
            gradient is skipped with a ``UserWarning``.
        clip : float, default=None
            Limit of the y axis (see :meth:`from_losses`).
        **kwargs : dict
            Passed to every ``ax.plot`` call.

        Returns
        -------
        display : LossDisplay
            This display, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots()
        curves = self.derivatives if derivative else self.values
        self.lines_ = {}
        lo, hi = np.inf, -np.inf
        for i, (label, y) in enumerate(curves.items()):
            if y is None:
                warnings.warn(
                    f"loss {label!r} defines no derivative; it is not drawn.",
                    UserWarning,
                    stacklevel=2,
                )
                continue
            style = {"linestyle": ("-", "--", ":", "-.")[(i // 10) % 4], **kwargs}
            (self.lines_[label],) = ax.plot(self.x, y, label=label, **style)
            lo, hi = min(lo, float(np.min(y))), max(hi, float(np.max(y)))
        if self.task == "regression":
            ax.set_xlabel(r"residual $y - \hat{y}$")
        else:
            ax.set_xlabel(r"margin $(2y - 1)\,z$")
        ax.set_ylabel("derivative of the loss" if derivative else "loss")
        # Keep fast-growing curves (exponential, log-link deviances) from
        # squashing the others: clip the y axis at a multiple of the x span.
        span = float(np.max(np.abs(self.x)))
        if clip is None:
            clip = (2.5 if derivative else 4.0) * span
        if np.isfinite(hi) and (hi > clip or (derivative and lo < -clip)):
            bottom = max(lo, -clip) if derivative else min(lo, 0.0)
            top = min(hi, clip)
            pad = 0.05 * (top - bottom)
            ax.set_ylim(bottom - pad, top + pad)
        ax.axhline(0, color="0.7", lw=0.8, zorder=0)
        ax.axvline(0, color="0.7", lw=0.8, zorder=0)
        ax.legend(fontsize="small")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
