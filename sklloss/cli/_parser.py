"""The argparse parser of ``sklloss compare``: options, types, one-line errors."""

import argparse
import math

from ..model_selection._scoring import DEFAULT_LOSSES, DEFAULT_METRICS

PROG = "sklloss"


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
            "cross-validation folds (sklloss.model_selection.compare_losses); "
            "print one row per loss with each metric's mean ± std over the folds "
            "and the fit time. '*' marks a column's best only where it beats "
            "every other loss in a paired t-test over the folds (Nadeau-Bengio "
            "corrected, p < 0.05). Features are standardised in a Pipeline; "
            "regression losses are fitted in units of a scale (see --scale)."
        ),
        epilog=(
            "Default data: the diabetes data with a seeded share (--outliers) of "
            "targets shifted up by 4-8 standard deviations (regression), the "
            "breast cancer data (classification); both ship with scikit-learn. "
            "--csv needs pandas (pip install 'sklloss[cli]'); its feature columns "
            "must be numeric; NA and empty cells are missing values (--impute). "
            "Loss parameters with units (delta, beta, epsilon, c) are in units "
            "of the scale (--scale) in --losses and in units of the target in "
            "--metrics; with --scale 1 both are in units of the target. Examples: "
            "'sklloss compare --losses mse,mae,huber:delta=0.5 --format markdown'; "
            "'sklloss compare --csv data.csv --target price --plot cmp.png'."
        ),
    )
    _add_data_arguments(cmp)
    _add_loss_arguments(cmp)
    _add_model_arguments(cmp)
    _add_output_arguments(cmp)
    return parser


def _add_data_arguments(cmp):
    """The data: --task, the CSV options, the default data's seed and outliers."""
    cmp.add_argument(
        "--task",
        choices=("regression", "classification"),
        default="regression",
        help="what to predict (default: regression)",
    )
    cmp.add_argument(
        "--csv", metavar="PATH", help="a CSV file with a header row (needs pandas)"
    )
    cmp.add_argument("--target", metavar="COLUMN", help="target column of --csv")
    cmp.add_argument(
        "--sep", default=",", metavar="SEP", help="field separator of --csv (default ,)"
    )
    cmp.add_argument(
        "--drop",
        metavar="COLUMNS",
        help="comma-separated columns of --csv to leave out (ids, leaks)",
    )
    cmp.add_argument(
        "--impute",
        choices=("none", "mean", "median", "drop"),
        default="none",
        help=(
            "missing values (NA, empty cells) of --csv: none (an error, the "
            "default), mean or median of the training fold's feature (a "
            "SimpleImputer in the pipeline), or drop the rows"
        ),
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


def _add_loss_arguments(cmp):
    """What is compared: --losses and --metrics."""
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


def _add_model_arguments(cmp):
    """How each loss is fitted: folds, penalty, model, backend, scale."""
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


def _add_output_arguments(cmp):
    """Where the result goes: --format, --plot, --quiet."""
    cmp.add_argument(
        "--format",
        choices=("table", "csv", "json", "markdown"),
        default="table",
        help="output format on stdout (default table)",
    )
    cmp.add_argument(
        "--plot",
        metavar="PATH",
        help="write a figure of the scores and residuals (.png, .pdf, .svg, ...)",
    )
    cmp.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def _scale_arg(text):
    from ..linear_model._scale import check_scale

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
