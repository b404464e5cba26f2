"""Command line: ``python -m sklloss compare`` (console script ``sklloss``).

``compare`` answers the everyday question "which training loss suits my data,
and what does it cost on the metrics I care about?": it fits
:class:`~sklloss.linear_model.LossRegressor` or
:class:`~sklloss.linear_model.LossClassifier` once per training loss under the
same cross-validation folds and prints one row per loss, one column per
evaluation metric (mean ± std over the folds) and the fit time, with the best
value of each column marked.

Conventions, documented in ``--help`` too:

* Features are standardised inside a :class:`~sklearn.pipeline.Pipeline`
  (``StandardScaler`` then the linear model), so every fold scales with its
  own training part.
* Regression targets are fitted in units of a scale
  (:class:`~sklloss.LossRegressor`'s ``scale``, ``--scale``, default
  ``auto``): the thresholds of robust losses (Huber's ``delta``, Tukey's
  ``c``) are in units of the residuals' robust scale, as in statsmodels'
  ``RLM``, and the model is the one the API fits on the same data.
  ``--scale 1`` (or ``--no-scale-target``) fits in the units of the target.
* Default regression data: scikit-learn's diabetes data (442 x 10, shipped,
  no download) where a seeded share (``--outliers``, default 0.1) of the
  targets is shifted upwards by 4 to 8 standard deviations of the target.
  Default classification data: scikit-learn's breast cancer data (569 x 30,
  binary).
* ``--csv`` files must have a header row and numeric feature columns: a
  non-numeric or incomplete column is an error that names it (encode it
  yourself, e.g. with pandas.get_dummies). The classification target may be
  any labels.
* Folds: ``KFold`` (regression) or ``StratifiedKFold`` (classification) with
  ``shuffle=True, random_state=--seed``.
* Progress lines go to stderr, results to stdout. Bad arguments, a missing
  file, an unknown loss or metric and a missing target column exit with
  status 2 and a one-line message; a fit that fails at run time is reported
  in the table as ``failed`` and the exit status is 1.
"""

import argparse
import csv
import json
import math
import sys
import time
import warnings

import numpy as np

__all__ = ["main", "build_parser"]

PROG = "sklloss"

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
_CLASSIFICATION_KINDS = ("probabilistic", "margin")


class UsageError(Exception):
    """A bad argument: reported on one line, exit status 2."""


# --------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text, minimum):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
    return value


def _cv_type(text):
    return _positive_int(text, 2)


def _seed_type(text):
    return _positive_int(text, 0)


def _nonneg_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _fraction(text):
    value = _nonneg_float(text)
    if value >= 0.5:
        raise argparse.ArgumentTypeError(f"must be in [0, 0.5), got {text}")
    return value


def build_parser():
    """The argparse parser of the ``sklloss`` command.

    Returns
    -------
    argparse.ArgumentParser
        A parser whose errors raise ``UsageError`` (one line, exit status 2).
    """
    parser = _Parser(
        prog=PROG,
        description="Loss functions as first-class citizens of scikit-learn.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    cmp = sub.add_parser(
        "compare",
        help="cross-validated comparison of training losses on one dataset",
        description=(
            "Fit a linear model once per training loss under the same "
            "cross-validation folds; print one row per loss with each metric's "
            "mean ± std over the folds and the fit time, the best value of each "
            "column marked with '*'. Features are standardised in a Pipeline; "
            "regression losses are fitted in units of a scale (see --scale)."
        ),
        epilog=(
            "Default data: the diabetes data with a seeded share (--outliers) of "
            "targets shifted up by 4-8 standard deviations (regression), the "
            "breast cancer data (classification); both ship with scikit-learn. "
            "CSV feature columns must be numeric. Examples: "
            "'sklloss compare --losses mse,mae,huber:delta=0.5 --format markdown'; "
            "'sklloss compare --csv data.csv --target price --plot cmp.png'."
        ),
    )
    cmp.add_argument(
        "--task",
        choices=("regression", "classification"),
        default="regression",
        help="what to predict (default: regression)",
    )
    cmp.add_argument("--csv", metavar="PATH", help="a CSV file with a header row")
    cmp.add_argument("--target", metavar="COLUMN", help="target column of --csv")
    cmp.add_argument(
        "--losses",
        metavar="LIST",
        help=(
            "comma-separated training losses: registry names or aliases, with "
            "parameters as name:key=value (huber:delta=2, "
            "focal:gamma=2,alpha=0.25); default: "
            + ", ".join(DEFAULT_LOSSES["regression"])
            + " (regression), "
            + ", ".join(DEFAULT_LOSSES["classification"])
            + " (classification)"
        ),
    )
    cmp.add_argument(
        "--metrics",
        metavar="LIST",
        help=(
            "comma-separated evaluation metrics: sklloss metric or scorer names "
            "(mean_huber_loss, neg_log_loss), loss specs (huber:delta=2), or "
            "scikit-learn scorer names (r2, accuracy, roc_auc); default: "
            + ", ".join(DEFAULT_METRICS["regression"])
            + " (regression), "
            + ", ".join(DEFAULT_METRICS["classification"])
            + " (classification)"
        ),
    )
    cmp.add_argument(
        "--cv",
        type=_cv_type,
        default=5,
        metavar="K",
        help="number of folds (default 5)",
    )
    cmp.add_argument(
        "--alpha",
        type=_nonneg_float,
        default=1e-4,
        help="penalty strength of the linear model (default 1e-4)",
    )
    cmp.add_argument(
        "--model",
        choices=("linear", "boosting"),
        default="linear",
        help=(
            "linear (LossRegressor / LossClassifier behind a StandardScaler, the "
            "default) or boosting (LossBoostingRegressor / LossBoostingClassifier)"
        ),
    )
    cmp.add_argument(
        "--backend",
        choices=("lightgbm", "xgboost"),
        default="lightgbm",
        help="gradient-boosting library for --model boosting (default lightgbm)",
    )
    cmp.add_argument(
        "--format",
        choices=("table", "csv", "json", "markdown"),
        default="table",
        help="output format on stdout (default table)",
    )
    cmp.add_argument(
        "--plot", metavar="PATH", help="write a PNG of the scores and residuals"
    )
    cmp.add_argument(
        "--seed",
        type=_seed_type,
        default=0,
        help="seed of the folds and of the injected outliers (default 0)",
    )
    cmp.add_argument(
        "--outliers",
        type=_fraction,
        default=0.1,
        metavar="FRACTION",
        help="share of outlying targets in the default regression data (default 0.1)",
    )
    cmp.add_argument(
        "--scale",
        type=_scale_arg,
        default="auto",
        metavar="SCALE",
        help=(
            "LossRegressor's scale: auto (default), mad, joint or a positive "
            "number; loss thresholds such as huber's delta are in its units"
        ),
    )
    cmp.add_argument(
        "--no-scale-target",
        dest="scale",
        action="store_const",
        const=1.0,
        help="fit regression losses in the units of the target (--scale 1)",
    )
    cmp.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def _scale_arg(text):
    from .linear_model._scale import check_scale

    value = text if text in ("auto", "mad", "joint") else _number(text)
    try:
        check_scale(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be auto, mad, joint or a positive number; got {text!r}"
        ) from None
    return value


def _number(text):
    try:
        return float(text)
    except ValueError:
        return text


# ------------------------------------------------------------------ loss specs
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


def _label(name, params):
    if not params:
        return name
    return name + "(" + ",".join(f"{k}={v}" for k, v in params.items()) + ")"


def _valid_loss_names(task):
    from .losses import loss_names

    kinds = ("regression",) if task == "regression" else _CLASSIFICATION_KINDS
    return [n for k in kinds for n in loss_names(kind=k, trainable=True)]


def resolve_losses(text, task):
    """List of (label, Loss) for ``--losses``; a UsageError for a bad name.

    Parameters
    ----------
    text : str or None
        The value of ``--losses``; None selects the task's default losses.
    task : {"regression", "classification"}
        The kind of problem.

    Returns
    -------
    list of (str, Loss)
        One ``(label, loss)`` pair per loss, the label showing the parameters
        given (e.g. ``"huber(delta=2.0)"``).

    Raises
    ------
    UsageError
        For an unknown name, invalid parameters, a loss that cannot be trained
        or is not of the task's kind, or a loss listed twice.
    """
    from .losses import available_losses, get_loss

    valid = _valid_loss_names(task)
    if text is None:
        specs = [(n, {}) for n in DEFAULT_LOSSES[task] if n in valid]
        if not specs:
            raise UsageError(f"no default {task} loss is available")
    else:
        specs = parse_specs(text, "--losses")
    out = []
    for name, params in specs:
        try:
            loss = get_loss(name, **params)
        except (ValueError, TypeError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if "Unknown loss" in msg:
                aliases = {
                    a: k
                    for k, info in available_losses().items()
                    for a in info["aliases"]
                }
                usable = [a for a, k in aliases.items() if k in valid]
                msg = (
                    f"unknown loss {name!r}; valid {task} losses: "
                    + ", ".join(valid)
                    + (" (aliases: " + ", ".join(usable) + ")" if usable else "")
                )
            raise UsageError(f"--losses: {msg}") from None
        if loss.name not in valid:
            what = "regression" if loss.kind == "regression" else "classification"
            reason = "cannot be trained" if not loss.trainable else f"is a {what} loss"
            raise UsageError(
                f"--losses: {name!r} {reason}; valid {task} losses: " + ", ".join(valid)
            )
        out.append((_label(loss.name, params), loss))
    labels = [label for label, _ in out]
    dupes = sorted({la for la in labels if labels.count(la) > 1})
    if dupes:
        raise UsageError(f"--losses: listed twice: {', '.join(dupes)}")
    return out


# -------------------------------------------------------------------- metrics
class _Metric:
    """An evaluation column: a scorer and whether lower values are better."""

    def __init__(self, label, scorer, lower_is_better):
        self.label = label
        self.scorer = scorer
        self.lower_is_better = lower_is_better

    def __call__(self, estimator, X, y):
        score = self.scorer(estimator, X, y)
        return -score if self.lower_is_better else score


def _lookup_scorer(name):
    """A scorer named `name` from sklloss, then scikit-learn; None if neither."""
    from sklearn.metrics import get_scorer as sk_get_scorer

    try:
        from .scorers import get_scorer
    except ImportError:  # scorers module not available: scikit-learn only
        get_scorer = None
    for getter in (get_scorer, sk_get_scorer):
        if getter is None:
            continue
        try:
            return getter(name)
        except (ValueError, KeyError):
            continue
    return None


def resolve_metrics(text, task, n_classes=2):
    """List of _Metric for ``--metrics``; a UsageError for an unknown name.

    Parameters
    ----------
    text : str or None
        The value of ``--metrics``; None selects the task's default metrics.
    task : {"regression", "classification"}
        The kind of problem.
    n_classes : int, default=2
        Number of classes; with more than two the default ``roc_auc`` becomes
        ``roc_auc_ovr``.

    Returns
    -------
    list of _Metric
        One evaluation column per metric: a scorer and whether lower values
        are better.

    Raises
    ------
    UsageError
        For an unknown metric name or invalid loss parameters.
    """
    if text is None:
        names = list(DEFAULT_METRICS[task])
        if task == "classification" and n_classes > 2:
            names = ["roc_auc_ovr" if n == "roc_auc" else n for n in names]
        specs = [(n, {}) for n in names]
    else:
        specs = parse_specs(text, "--metrics")
    out = []
    for name, params in specs:
        metric = None
        if not params:
            if name.startswith("neg_"):
                scorer = _lookup_scorer(name)
                if scorer is not None:
                    metric = _Metric(name[4:], scorer, True)
            else:
                scorer = _lookup_scorer("neg_" + name)
                if scorer is not None:
                    metric = _Metric(name, scorer, True)
                else:
                    scorer = _lookup_scorer(name)
                    if scorer is not None:
                        metric = _Metric(name, scorer, False)
        if metric is None:
            metric = _loss_metric(name, params)
        if metric is None:
            raise UsageError(
                f"--metrics: unknown metric {name!r}; use a metric or scorer name of "
                "sklloss (e.g. mean_huber_loss, neg_log_loss), a loss "
                "(huber:delta=2) or a scikit-learn scorer name (r2, accuracy)"
            )
        out.append(metric)
    return out


def _loss_metric(name, params):
    """A metric column from a loss spec such as 'huber:delta=2', or None."""
    from .losses import get_loss

    try:
        loss = get_loss(name, **params)
    except (ValueError, TypeError) as exc:
        if params and "Unknown loss" not in str(exc):
            raise UsageError(f"--metrics: {str(exc).splitlines()[0]}") from None
        return None
    try:
        from .scorers import make_loss_scorer
    except ImportError:
        return None
    label = _label(loss.metric_name or loss.name, params)
    return _Metric(label, make_loss_scorer(loss), True)


# ----------------------------------------------------------------------- data
def default_regression_data(seed=0, outliers=0.1):
    """Diabetes data with a seeded share of targets shifted up by 4-8 std.

    Parameters
    ----------
    seed : int, default=0
        Seed of the random choice of the shifted targets and of their shifts.
    outliers : float, default=0.1
        Share of the targets to shift, in [0, 1].

    Returns
    -------
    X : ndarray of shape (442, 10)
        The diabetes features.
    y : ndarray of shape (442,)
        The targets, some shifted up by 4 to 8 standard deviations.
    description : str
        One line describing the data and the shift.
    """
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    rng = np.random.default_rng(seed)
    n_out = int(round(outliers * len(y)))
    y = y.copy()
    if n_out:
        idx = rng.choice(len(y), size=n_out, replace=False)
        y[idx] += rng.uniform(4.0, 8.0, size=n_out) * y.std()
    desc = f"diabetes ({n_out} of {len(y)} targets shifted up by 4-8 std, seed {seed})"
    return X, y, desc


def default_classification_data():
    """Breast cancer data (569 x 30, binary). Returns ``X, y, description``.

    Returns
    -------
    X : ndarray of shape (569, 30)
        The breast cancer features.
    y : ndarray of shape (569,)
        The 0 / 1 labels.
    description : str
        ``"breast_cancer"``.
    """
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X, y, "breast_cancer"


def _float_or_none(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def load_csv(path, target, task):
    """Numeric feature matrix and target from a CSV file with a header row.

    Parameters
    ----------
    path : str
        Path of the CSV file (UTF-8, an optional BOM is skipped).
    target : str or None
        Name of the target column; every other column is a feature.
    task : {"regression", "classification"}
        The kind of problem. A regression target must be numeric; a
        classification target is kept as integers when every value is one,
        else as strings.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The feature columns, float64.
    y : ndarray of shape (n_samples,)
        The target column: float64, int64 or object.
    description : str
        The path and the target column, for the report.

    Raises
    ------
    UsageError
        If the file cannot be read, has no data row, rows of different
        lengths, no or an unknown target, empty cells, non-numeric features,
        or a non-numeric regression target.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except FileNotFoundError:
        raise UsageError(f"--csv: no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--csv: cannot read {path}: {exc}") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise UsageError(f"--csv: {path} needs a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    bad_len = [i + 2 for i, r in enumerate(body) if len(r) != len(header)]
    if bad_len:
        raise UsageError(
            f"--csv: line {bad_len[0]} of {path} has a different number of fields "
            f"than the header ({len(header)})"
        )
    if target is None:
        raise UsageError("--target COLUMN is required with --csv")
    if target not in header:
        raise UsageError(
            f"--target: no column {target!r} in {path}; columns: " + ", ".join(header)
        )
    t = header.index(target)
    columns = list(zip(*body, strict=True))
    features = [j for j in range(len(header)) if j != t]
    if not features:
        raise UsageError(f"--csv: {path} has no feature column besides {target!r}")
    missing, non_numeric, X_cols = [], [], []
    for j in features:
        cells = [c.strip() for c in columns[j]]
        if any(c == "" for c in cells):
            missing.append(header[j])
            continue
        values = [_float_or_none(c) for c in cells]
        if any(v is None or not math.isfinite(v) for v in values):
            non_numeric.append(header[j])
            continue
        X_cols.append(values)
    if non_numeric:
        raise UsageError(
            "--csv: non-numeric feature columns: "
            + ", ".join(non_numeric)
            + " (encode them first, e.g. with pandas.get_dummies)"
        )
    if missing:
        raise UsageError(
            "--csv: feature columns with empty cells: " + ", ".join(missing)
        )
    X = np.array(X_cols, dtype=np.float64).T
    cells = [c.strip() for c in columns[t]]
    if any(c == "" for c in cells):
        raise UsageError(f"--target: column {target!r} has empty cells")
    if task == "regression":
        values = [_float_or_none(c) for c in cells]
        if any(v is None or not math.isfinite(v) for v in values):
            raise UsageError(
                f"--target: column {target!r} is not numeric; use --task "
                "classification for labels"
            )
        y = np.array(values, dtype=np.float64)
    else:
        values = [_float_or_none(c) for c in cells]
        if all(v is not None and float(v).is_integer() for v in values):
            y = np.array(values, dtype=np.float64).astype(np.int64)
        else:
            y = np.array(cells, dtype=object)
    return X, y, f"{path} (target {target!r})"


# ------------------------------------------------------------------- fitting
def make_estimator(
    task, loss, *, alpha, scale="auto", model="linear", backend="lightgbm", seed=0
):
    """The pipeline that ``compare`` cross-validates for one training loss.

    Parameters
    ----------
    task : {"regression", "classification"}
        The kind of problem.
    loss : Loss
        The training loss.
    alpha : float
        Penalty strength of the linear model.
    scale : {"auto", "mad", "joint"} or float, default="auto"
        For regression, :class:`LossRegressor`'s ``scale``.
    model : {"linear", "boosting"}, default="linear"
        The linear models, or gradient-boosted trees driven by the loss
        (:mod:`sklloss.boosting`; ``alpha`` and ``scale`` do not apply).
    backend : {"lightgbm", "xgboost"}, default="lightgbm"
        The boosting library.
    seed : int, default=0
        ``random_state`` of the boosting estimator.

    Returns
    -------
    estimator
        ``StandardScaler`` then :class:`LossClassifier` or
        :class:`LossRegressor`, as a pipeline; or a boosting estimator.
    """
    if model == "boosting":
        from .boosting import LossBoostingClassifier, LossBoostingRegressor

        cls = (
            LossBoostingClassifier
            if task == "classification"
            else LossBoostingRegressor
        )
        return cls(loss=loss, backend=backend, random_state=seed)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .linear_model import LossClassifier, LossRegressor

    if task == "classification":
        return make_pipeline(StandardScaler(), LossClassifier(loss=loss, alpha=alpha))
    model = LossRegressor(loss=loss, alpha=alpha, scale=scale)
    return make_pipeline(StandardScaler(), model)


def make_splitter(task, cv, seed):
    """The folds ``compare`` uses (shuffled, seeded).

    Parameters
    ----------
    task : {"regression", "classification"}
        The kind of problem: stratified folds for classification.
    cv : int
        Number of folds.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    KFold or StratifiedKFold
        The splitter.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    cls = StratifiedKFold if task == "classification" else KFold
    return cls(n_splits=cv, shuffle=True, random_state=seed)


def _margins(estimator, X, y):
    """Out-of-fold margins (2y - 1) z for binary, Crammer-Singer for multiclass."""
    z = np.asarray(estimator.decision_function(X), dtype=np.float64)
    classes = estimator.classes_
    enc = np.searchsorted(classes, y)
    if z.ndim == 1:
        return (2 * enc - 1) * z
    own = z[np.arange(len(z)), enc]
    others = z.copy()
    others[np.arange(len(z)), enc] = -np.inf
    return own - others.max(axis=1)


def run_compare(
    X,
    y,
    losses,
    metrics,
    *,
    task,
    cv,
    alpha,
    seed,
    scale,
    log,
    kind="linear",
    backend="lightgbm",
):
    """Cross-validate every loss on the same folds; return the results dict.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Features.
    y : ndarray of shape (n_samples,)
        Targets.
    losses : list of (str, Loss)
        The training losses and their labels, as from :func:`resolve_losses`.
    metrics : list of _Metric
        The evaluation columns, as from :func:`resolve_metrics`.
    task : {"regression", "classification"}
        The kind of problem.
    cv : int
        Number of folds.
    alpha : float
        Penalty strength of the linear models.
    seed : int
        Seed of the folds' shuffle.
    scale : {"auto", "mad", "joint"} or float
        For regression, :class:`LossRegressor`'s ``scale``.
    log : callable
        Called like ``print`` (it accepts ``end=``) with progress lines.
    kind : {"linear", "boosting"}, default="linear"
        The ``model`` of :func:`make_estimator`.
    backend : {"lightgbm", "xgboost"}, default="lightgbm"
        See :func:`make_estimator`.

    Returns
    -------
    dict
        The report: the task, data size, cv settings, the metrics, one entry
        per loss (scores per fold with mean and std, fit times, warnings,
        error) and the best loss per column.

    Raises
    ------
    UsageError
        If the folds cannot be made (e.g. too many folds for a class).
    """
    from sklearn.base import clone

    splitter = make_splitter(task, cv, seed)
    try:
        folds = list(splitter.split(X, y))
    except ValueError as exc:
        raise UsageError(f"--cv: {exc}") from None
    results = []
    for i, (label, loss) in enumerate(losses, start=1):
        est = make_estimator(
            task,
            loss,
            alpha=alpha,
            scale=scale,
            model=kind,
            backend=backend,
            seed=seed,
        )
        scores = {m.label: [] for m in metrics}
        fit_times, residuals, caught, error = [], [], {}, None
        t_start = time.perf_counter()
        for k, (train, test) in enumerate(folds, start=1):
            log(f"[{i}/{len(losses)}] {label}: fold {k}/{len(folds)}", end="\r")
            model = clone(est)
            try:
                with warnings.catch_warnings(record=True) as rec:
                    warnings.simplefilter("always")
                    t0 = time.perf_counter()
                    model.fit(X[train], y[train])
                    fit_times.append(time.perf_counter() - t0)
                    for m in metrics:
                        try:
                            scores[m.label].append(float(m(model, X[test], y[test])))
                        except (AttributeError, NotImplementedError):
                            # e.g. log_loss of a hinge model: no predict_proba
                            scores[m.label].append(None)
                    if task == "regression":
                        res = y[test] - model.predict(X[test])
                    else:
                        res = _margins(model, X[test], y[test])
                    residuals.append(np.asarray(res, dtype=np.float64))
            except Exception as exc:  # a run-time failure of one loss
                error = f"{type(exc).__name__}: {exc}".splitlines()[0]
                break
            finally:
                for w in rec:
                    key = f"{w.category.__name__}: {str(w.message).splitlines()[0]}"
                    caught[key] = caught.get(key, 0) + 1
        elapsed = time.perf_counter() - t_start
        status = (
            "failed: " + error if error else f"{len(folds)} folds in {elapsed:.2f} s"
        )
        log(f"[{i}/{len(losses)}] {label}: {status}" + " " * 10)
        for msg, count in caught.items():
            log(f"    warning ({count}x): {msg}")
        entry = {
            "loss": label,
            "name": loss.name,
            "params": {k: _jsonable(v) for k, v in loss.get_params(deep=False).items()},
            "scores": {},
            "fit_time": _summary(fit_times) if not error else _summary([]),
            "warnings": caught,
            "error": error,
        }
        for m in metrics:
            entry["scores"][m.label] = _summary([] if error else scores[m.label])
        entry["_residuals"] = None if error else np.concatenate(residuals)
        results.append(entry)
    return {
        "task": task,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "cv": cv,
        "splitter": repr(splitter),
        "seed": seed,
        "model": kind if kind == "linear" else f"boosting ({backend})",
        "alpha": alpha if kind == "linear" else None,
        "scale": scale if task == "regression" and kind == "linear" else None,
        "metrics": [
            {"name": m.label, "lower_is_better": m.lower_is_better} for m in metrics
        ],
        "results": results,
        "best": _best(results, metrics),
    }


def _jsonable(value):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


def _summary(values):
    """Mean and std (ddof=0, as np.std) over folds; None where not available."""
    if not values or any(v is None for v in values):
        return {"mean": None, "std": None, "folds": values}
    arr = np.asarray(values, dtype=np.float64)
    return {"mean": float(arr.mean()), "std": float(arr.std()), "folds": values}


def _best(results, metrics):
    """Column -> list of the loss labels with the best mean (ties all marked)."""
    columns = [(m.label, m.lower_is_better) for m in metrics] + [("fit_time", True)]
    best = {}
    for name, lower in columns:
        means = [
            (
                r["loss"],
                (r["fit_time"] if name == "fit_time" else r["scores"][name])["mean"],
            )
            for r in results
        ]
        means = [(la, v) for la, v in means if v is not None]
        if not means:
            best[name] = []
            continue
        target = min(v for _, v in means) if lower else max(v for _, v in means)
        best[name] = [la for la, v in means if v == target]
    return best


# -------------------------------------------------------------------- output
def _decimals(values):
    """Decimals that show 4 significant digits of the largest |value|."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return 2
    return int(min(6, max(0, 3 - math.floor(math.log10(max(finite))))))


def _columns(report):
    cols = [(m["name"], m["lower_is_better"]) for m in report["metrics"]]
    return cols + [("fit_time", True)]


def _cell_values(report, name):
    out = []
    for r in report["results"]:
        s = r["fit_time"] if name == "fit_time" else r["scores"][name]
        out.append(s)
    return out


_ASCII = {"±": "+/-", "↓": "(min)", "↑": "(max)"}


def _sym(report, char):
    return _ASCII[char] if report.get("_ascii") else char


def _formatted_cells(report, star):
    """Text cells (header row, then one row per loss) with the best marked."""
    header = ["loss"]
    grid = [[r["loss"]] for r in report["results"]]
    for name, lower in _columns(report):
        arrow = _sym(report, "↓" if lower else "↑")
        header.append(
            f"{name} [s] {arrow}" if name == "fit_time" else f"{name} {arrow}"
        )
        cells = _cell_values(report, name)
        d = _decimals([c["mean"] for c in cells])
        for row, r, c in zip(grid, report["results"], cells, strict=True):
            if r["error"]:
                text = "failed"
            elif c["mean"] is None:
                text = "n/a"
            else:
                pm = _sym(report, "±")
                text = f"{c['mean']:.{d}f} {pm} {c['std']:.{d}f}"
                if r["loss"] in report["best"][name]:
                    text = star(text)
            row.append(text)
    return header, grid


def _title(report):
    bits = [
        f"{report['task']} on {report['dataset']}",
        f"{report['n_samples']} samples x {report['n_features']} features",
        f"{report['cv']}-fold CV (seed {report['seed']})",
        f"alpha={report['alpha']:g}"
        if report.get("alpha") is not None
        else str(report.get("model")),
    ]
    return "sklloss compare: " + ", ".join(bits)


def format_table(report):
    header, grid = _formatted_cells(report, lambda t: t + " *")
    widths = [max(len(r[j]) for r in [header, *grid]) for j in range(len(header))]

    def line(row):
        first = row[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    out = [_title(report), "", line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in grid]
    pm, down, up = (_sym(report, c) for c in "±↓↑")
    out += [
        "",
        f"mean {pm} std over folds; * best of the column; "
        f"{down} lower / {up} higher is better",
    ]
    if any(c["mean"] is None for r in report["results"] for c in r["scores"].values()):
        out.append("n/a: the model does not provide what the metric needs")
    return "\n".join(out) + "\n"


def format_markdown(report):
    header, grid = _formatted_cells(report, lambda t: f"**{t}**")
    out = [f"*{_title(report)}*", ""]
    out.append("| " + " | ".join(header) + " |")
    out.append("| --- |" + " ---: |" * (len(header) - 1))
    out += ["| " + " | ".join(r) + " |" for r in grid]
    out += [
        "",
        f"mean {_sym(report, '±')} std over folds; **bold**: best of the column.",
    ]
    return "\n".join(out) + "\n"


def format_csv(report):
    import io

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    cols = _columns(report)
    header = ["loss"]
    for name, _ in cols:
        header += [f"{name}_mean", f"{name}_std"]
    header.append("best_in")
    writer.writerow(header)
    for r, *_ in zip(report["results"], strict=True):
        row = [r["loss"]]
        for name, _ in cols:
            c = r["fit_time"] if name == "fit_time" else r["scores"][name]
            row += ["" if c["mean"] is None else repr(c["mean"])]
            row += ["" if c["std"] is None else repr(c["std"])]
        row.append(";".join(n for n, _ in cols if r["loss"] in report["best"][n]))
        writer.writerow(row)
    return buf.getvalue()


def format_json(report):
    clean = dict(report)
    clean["results"] = [
        {k: v for k, v in r.items() if not k.startswith("_")} for r in report["results"]
    ]
    return json.dumps(clean, indent=2) + "\n"


FORMATTERS = {
    "table": format_table,
    "markdown": format_markdown,
    "csv": format_csv,
    "json": format_json,
}


# ---------------------------------------------------------------------- plot
def save_plot(report, path):
    """PNG: one bar chart per metric (mean ± std) and the residual distributions.

    Parameters
    ----------
    report : dict
        The report of :func:`run_compare`; losses that failed are left out.
    path : str
        Where to write the PNG file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = [r for r in report["results"] if not r["error"]]
    labels = [r["loss"] for r in results]
    cols = _columns(report)
    fig = plt.figure(figsize=(3.2 * len(cols), 3.0 + 0.35 * len(labels) + 3.0))
    grid = fig.add_gridspec(2, len(cols), height_ratios=[1, 1.1])
    ypos = np.arange(len(labels))
    for j, (name, lower) in enumerate(cols):
        ax = fig.add_subplot(grid[0, j])
        cells = [
            r["fit_time"] if name == "fit_time" else r["scores"][name] for r in results
        ]
        means = [np.nan if c["mean"] is None else c["mean"] for c in cells]
        stds = [0.0 if c["std"] is None else c["std"] for c in cells]
        colors = ["C1" if la in report["best"][name] else "C0" for la in labels]
        ax.barh(ypos, means, xerr=stds, color=colors, capsize=3)
        for y_, m in zip(ypos, means, strict=True):
            if np.isnan(m):
                ax.text(0, y_, " n/a", va="center", fontsize=8)
        ax.set_yticks(ypos, labels if j == 0 else [""] * len(labels))
        ax.invert_yaxis()
        title = "fit time [s]" if name == "fit_time" else name
        ax.set_title(
            f"{title} ({'lower' if lower else 'higher'} is better)", fontsize=9
        )
        ax.tick_params(labelsize=8)
        ax.locator_params(axis="x", nbins=4)
    ax = fig.add_subplot(grid[1, :])
    data = [r["_residuals"] for r in results]
    if tuple(int(v) for v in matplotlib.__version__.split(".")[:2]) >= (3, 10):
        orient = {"orientation": "horizontal"}
    else:
        orient = {"vert": False}
    ax.boxplot(data, showfliers=True, flierprops={"markersize": 2}, **orient)
    ax.set_yticks(np.arange(1, len(labels) + 1), labels)
    ax.invert_yaxis()
    ax.axvline(0, color="0.6", lw=0.8)
    if report["task"] == "regression":
        ax.set_xlabel("out-of-fold residual y - prediction")
    else:
        ax.set_xlabel("out-of-fold margin (2y - 1) * decision value")
    ax.set_title("distribution over all folds", fontsize=9)
    fig.suptitle(_title(report), fontsize=10)
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise UsageError(f"--plot: cannot write {path}: {exc}") from None
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------- main
def _compare(args, log):
    if args.csv is None and args.target is not None:
        raise UsageError("--target needs --csv")
    if args.plot is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise UsageError(
                "--plot needs matplotlib: pip install 'sklloss[plot]'"
            ) from None
    losses = resolve_losses(args.losses, args.task)
    if args.csv is not None:
        X, y, desc = load_csv(args.csv, args.target, args.task)
    elif args.task == "regression":
        X, y, desc = default_regression_data(args.seed, args.outliers)
    else:
        X, y, desc = default_classification_data()
    if args.task == "regression":
        for _, loss in losses:  # e.g. Poisson on negative targets
            try:
                loss.y_true_domain.check(y, name="the target", loss_name=loss.name)
            except ValueError as exc:
                raise UsageError(f"--losses: {exc}") from None
    n_classes = len(np.unique(y)) if args.task == "classification" else 0
    if args.task == "classification" and n_classes < 2:
        raise UsageError("--target: a classification target needs at least 2 classes")
    metrics = resolve_metrics(args.metrics, args.task, n_classes)
    labels = [m.label for m in metrics]
    if len(set(labels)) != len(labels):
        raise UsageError("--metrics: a metric is listed twice")
    try:  # check the folds before any progress line is printed
        list(make_splitter(args.task, args.cv, args.seed).split(X, y))
    except ValueError as exc:
        raise UsageError(f"--cv: {exc}") from None
    if args.model == "boosting":
        try:
            __import__("lightgbm" if args.backend == "lightgbm" else "xgboost")
        except ImportError:
            raise UsageError(
                f"--model boosting --backend {args.backend}: the {args.backend} "
                f"package is not installed (pip install 'sklloss[{args.backend}]')"
            ) from None
    log(
        f"{PROG} compare: {args.task} on {desc}: {X.shape[0]} x {X.shape[1]}, "
        f"{len(losses)} losses x {args.cv} folds"
    )
    report = run_compare(
        X,
        y,
        losses,
        metrics,
        task=args.task,
        cv=args.cv,
        alpha=args.alpha,
        seed=args.seed,
        scale=args.scale,
        log=log,
        kind=args.model,
        backend=args.backend,
    )
    report = {"dataset": desc, **report}
    sys.stdout.write(_render(report, args.format, sys.stdout))
    sys.stdout.flush()
    if args.plot is not None:
        save_plot(report, args.plot)
        log(f"wrote {args.plot}")
    return 1 if any(r["error"] for r in report["results"]) else 0


def _render(report, fmt, stream):
    """The report in `fmt`; ASCII stand-ins for ± ↓ ↑ if `stream` cannot encode them."""
    text = FORMATTERS[fmt](report)
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except UnicodeEncodeError:
        text = FORMATTERS[fmt]({**report, "_ascii": True})
    return text


def main(argv=None):
    """Entry point of ``sklloss`` / ``python -m sklloss``; returns the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Arguments without the program name; ``sys.argv[1:]`` when ``None``.

    Returns
    -------
    int
        0 on success, 1 when a fit failed at run time, 2 for a usage error.

    Examples
    --------
    >>> from sklloss.cli import main
    >>> main(["compare", "--cv", "1"])
    2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        quiet = args.quiet

        def log(msg, end="\n"):
            if quiet:
                return
            if end == "\r" and not sys.stderr.isatty():
                return  # transient progress only on a terminal
            print(msg, end=end, file=sys.stderr, flush=True)

        return _compare(args, log)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
