"""Command line: ``python -m sklloss compare`` (console script ``sklloss``).

``compare`` answers the everyday question "which training loss suits my data,
and what does it cost on the metrics I care about?". It is a thin layer over
:func:`sklloss.model_selection.compare_losses` (the same folds, fits, scores
and paired comparison), which adds the options, the data loading, the
formats and the figure:

* ``_parser``: the options; ``_specs``: ``--losses`` / ``--metrics`` specs;
  ``_data``: the shipped datasets and ``--csv`` (pandas, needed only there);
  ``_output``: the report and its formats; ``_plot``: ``--plot``.
* Features are standardised inside a :class:`~sklearn.pipeline.Pipeline`, so
  every fold scales (and, with ``--impute``, imputes) with its own training
  part. Regression losses are fitted in units of a scale (``--scale``).
* Progress lines go to stderr, results to stdout. Every bad argument exits
  with status 2 and a one-line message; a fit that fails at run time is
  reported as ``failed`` and the exit status is 1.
"""

import sys

import numpy as np

from ..model_selection._compare import _check_target
from ..model_selection._compare import _compare as _paired_marks
from ..model_selection._engine import (
    _cross_validate_losses,
    _find_loss_param,
    _make_folds,
)

# re-exported for scripts and tests that read the defaults or parse specs
from ..model_selection._scoring import DEFAULT_LOSSES as DEFAULT_LOSSES
from ._data import _default_classification_data, _default_regression_data, _load_csv
from ._output import _build_report, _render
from ._parser import PROG, UsageError, build_parser
from ._plot import _check_plot_path, _save_plot
from ._specs import _resolve_losses, _resolve_metrics
from ._specs import parse_specs as parse_specs

__all__ = ["main", "build_parser"]

LEVEL = 0.05
_UNIT_PARAMS = ("delta", "beta", "epsilon", "c")


def _make_estimator(
    task,
    loss,
    *,
    alpha,
    scale="auto",
    model="linear",
    backend="lightgbm",
    seed=0,
    impute="none",
):
    """The pipeline ``compare`` cross-validates for one training loss."""
    from sklearn.pipeline import make_pipeline

    steps = []
    if impute in ("mean", "median"):
        from sklearn.impute import SimpleImputer

        steps.append(SimpleImputer(strategy=impute))
    if model == "boosting":
        from ..boosting import LossBoostingClassifier, LossBoostingRegressor

        cls = (
            LossBoostingClassifier
            if task == "classification"
            else LossBoostingRegressor
        )
        est = cls(loss=loss, backend=backend, random_state=seed)
        return make_pipeline(*steps, est) if steps else est
    from sklearn.preprocessing import StandardScaler

    from ..linear_model import LossClassifier, LossRegressor

    if task == "classification":
        est = LossClassifier(loss=loss, alpha=alpha)
    else:
        est = LossRegressor(loss=loss, alpha=alpha, scale=scale)
    return make_pipeline(*steps, StandardScaler(), est)


def _data(args, log):
    if args.csv is not None:
        return _load_csv(
            args.csv,
            args.target,
            args.task,
            sep=args.sep,
            drop=args.drop,
            impute=args.impute,
            log=log,
        )
    for option in ("sep", "drop", "impute"):
        if getattr(args, option) not in (None, ",", "none"):
            raise UsageError(f"--{option} needs --csv")
    if args.task == "regression":
        return _default_regression_data(args.seed, args.outliers)
    return _default_classification_data()


def _check_data(args, X, y, losses):
    try:
        _check_target(y, args.task == "classification")
    except ValueError:
        raise UsageError(
            "--task classification needs class labels; the target is continuous: "
            "use --task regression, or bin it into classes first"
        ) from None
    if args.task == "regression":
        for _, loss in losses:  # e.g. Poisson on negative targets
            try:
                loss.y_true_domain.check(y, name="the target", loss_name=loss.name)
            except ValueError as exc:
                raise UsageError(f"--losses: {exc}") from None
        return 0
    n_classes = len(np.unique(y))
    if n_classes < 2:
        raise UsageError("--target: a classification target needs at least 2 classes")
    return n_classes


def _check_backend(args):
    if args.model != "boosting":
        return
    try:
        __import__("lightgbm" if args.backend == "lightgbm" else "xgboost")
    except ImportError:
        raise UsageError(
            f"--model boosting --backend {args.backend}: the {args.backend} "
            f"package is not installed (pip install 'sklloss[{args.backend}]')"
        ) from None


def _units(args, losses, metrics):
    """The footnote on loss-parameter units, when a parameter with units was given."""
    if args.task != "regression" or args.model != "linear":
        return None
    given = [la for la, _ in losses] + [m.label for m in metrics]
    if not any(f"({p}=" in la or f",{p}=" in la for la in given for p in _UNIT_PARAMS):
        return None
    if args.scale == 1.0:
        return "loss parameters (delta, beta, epsilon, c): in units of y everywhere"
    return (
        f"loss parameters (delta, beta, epsilon, c): in units of the fit's scale "
        f"(--scale {args.scale}) in --losses, in units of y in --metrics"
    )


def _progress(log, n_losses, n_folds):
    def on_loss(i, record):
        label = record["label"]
        if record["error"]:
            status = "failed: " + record["error"]
        else:
            status = f"{n_folds} folds in {np.sum(record['fit_time']):.2f} s"
        log(f"[{i}/{n_losses}] {label}: {status}")
        for (cat, msg), count in record["warnings"].items():
            log(f"    warning ({count}x): {cat.__name__}: {msg}")

    return on_loss


def _compare(args, log):
    if args.csv is None and args.target is not None:
        raise UsageError("--target needs --csv")
    if args.plot is not None:
        _check_plot_path(args.plot)
    _check_backend(args)
    losses = _resolve_losses(args.losses, args.task)
    X, y, desc = _data(args, log)
    n_classes = _check_data(args, X, y, losses)
    metrics = _resolve_metrics(args.metrics, args.task, n_classes)
    classifier = args.task == "classification"
    try:  # the folds, made once, before any progress line
        folds = _make_folds(args.cv, X, y, None, classifier, args.seed)
    except ValueError as exc:
        raise UsageError(f"--cv: {exc}") from None
    estimator = _make_estimator(
        args.task,
        losses[0][1],
        alpha=args.alpha,
        scale=args.scale,
        model=args.model,
        backend=args.backend,
        seed=args.seed,
        impute=args.impute,
    )
    log(
        f"{PROG} compare: {args.task} on {desc}: {X.shape[0]} x {X.shape[1]}, "
        f"{len(losses)} losses x {args.cv} folds"
    )
    records = _cross_validate_losses(
        estimator,
        X,
        y,
        losses,
        metrics,
        folds,
        loss_param=_find_loss_param(estimator),
        on_loss=_progress(log, len(losses), len(folds)),
    )
    report = _build_report(
        records,
        metrics,
        _paired_marks(records, metrics, folds, LEVEL),
        LEVEL,
        dataset=desc,
        task=args.task,
        n_samples=int(X.shape[0]),
        n_features=int(X.shape[1]),
        cv=args.cv,
        seed=args.seed,
        model="linear" if args.model == "linear" else f"boosting ({args.backend})",
        alpha=args.alpha if args.model == "linear" else None,
        scale=args.scale
        if args.task == "regression" and args.model == "linear"
        else None,
        units=_units(args, losses, metrics),
    )
    sys.stdout.write(_render(report, args.format, sys.stdout))
    sys.stdout.flush()
    if args.plot is not None:
        _save_plot(report, args.plot)
        log(f"wrote {args.plot}")
    return 1 if any(r["error"] for r in report["results"]) else 0


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

        def log(msg):
            if not quiet:
                print(msg, file=sys.stderr, flush=True)

        return _compare(args, log)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
