"""The data of ``sklloss compare``: the shipped defaults and ``--csv`` (pandas)."""

import numpy as np

from ._parser import UsageError


def _default_regression_data(seed=0, outliers=0.1):
    """Diabetes data with a seeded share of targets shifted up by 4-8 std."""
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


def _default_classification_data():
    """Breast cancer data (569 x 30, binary): ``X, y, description``."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X, y, "breast_cancer"


def _pandas():
    try:
        import pandas
    except ImportError:
        raise UsageError(
            "--csv needs pandas, which is not installed: pip install 'sklloss[cli]'"
        ) from None
    return pandas


def _read(path, sep):
    pd = _pandas()
    try:
        frame = pd.read_csv(path, sep=sep, skipinitialspace=True)
    except FileNotFoundError:
        raise UsageError(f"--csv: no such file: {path}") from None
    except pd.errors.EmptyDataError:
        raise UsageError(f"--csv: {path} is empty") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:  # ParserError too
        msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else exc
        raise UsageError(f"--csv: cannot read {path}: {msg}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _drop_index(frame, log):
    """An unnamed first column (as pandas' to_csv writes the index) is the index."""
    unnamed = [c for c in frame.columns if c.startswith("Unnamed: ")]
    if unnamed and frame.columns[0] == unnamed[0]:
        log("--csv: the first column has no name; read as the row index, not a feature")
        frame = frame.drop(columns=unnamed[0])
        unnamed = unnamed[1:]
    if unnamed:
        pos = [int(c.split(": ")[1]) + 1 for c in unnamed]
        raise UsageError(
            "--csv: columns without a name in the header: "
            + ", ".join(f"column {p}" for p in pos)
        )
    return frame


def _drop_columns(frame, drop, target, path):
    names = [c.strip() for c in drop.split(",")] if drop else []
    unknown = [c for c in names if c not in frame.columns]
    if unknown:
        raise UsageError(
            f"--drop: no column {unknown[0]!r} in {path}; columns: "
            + ", ".join(frame.columns)
        )
    if target in names:
        raise UsageError(f"--drop: {target!r} is the target column")
    return frame.drop(columns=names)


def _check_missing(frame, target, features, impute):
    if impute == "drop":
        return frame.dropna(subset=[*features, target]).reset_index(drop=True)
    n_target = int(frame[target].isna().sum())
    if n_target:
        raise UsageError(
            f"--target: column {target!r} has {n_target} missing values (NA or "
            "empty cells); --impute drop leaves those rows out"
        )
    counts = frame[features].isna().sum()
    counts = counts[counts > 0]
    if len(counts) and impute == "none":
        cols = ", ".join(f"{c} ({n} of {len(frame)})" for c, n in counts.items())
        raise UsageError(
            f"--csv: missing values (NA or empty cells) in feature columns: {cols}; "
            "choose --impute mean, median or drop"
        )
    return frame


def _features(frame, features):
    pd = _pandas()
    bad = [c for c in features if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise UsageError(
            "--csv: non-numeric feature columns: "
            + ", ".join(bad)
            + " (encode them first, e.g. with pandas.get_dummies)"
        )
    X = frame[features].to_numpy(dtype=np.float64)
    infinite = [c for c, col in zip(features, X.T, strict=True) if np.isinf(col).any()]
    if infinite:
        raise UsageError(
            "--csv: infinite values in feature columns: " + ", ".join(infinite)
        )
    return X


def _target(column, target, task):
    pd = _pandas()
    numeric = pd.api.types.is_numeric_dtype(column)
    if task == "regression":
        if not numeric or pd.api.types.is_bool_dtype(column):
            raise UsageError(
                f"--target: column {target!r} is not numeric; use --task "
                "classification for labels"
            )
        y = column.to_numpy(dtype=np.float64)
        if not np.isfinite(y).all():
            raise UsageError(f"--target: column {target!r} has infinite values")
        return y
    if not numeric:
        return column.astype(str).to_numpy(dtype=object)
    y = column.to_numpy()
    if np.issubdtype(y.dtype, np.floating) and not np.all(np.mod(y, 1) == 0):
        sample = ", ".join(f"{v:g}" for v in y[:3])
        raise UsageError(
            f"--task classification: column {target!r} is a continuous target "
            f"({len(np.unique(y))} distinct values, e.g. {sample}); use --task "
            "regression, or bin it into classes first"
        )
    return y.astype(np.int64) if np.issubdtype(y.dtype, np.floating) else y


def _load_csv(path, target, task, *, sep=",", drop=None, impute="none", log=print):
    """Features and target of a CSV file with a header row, read by pandas.

    Returns ``X, y, description``; a UsageError names what is wrong (no such
    file, unknown target or --drop column, missing values without --impute,
    non-numeric features, a non-numeric regression target, a continuous
    classification target). With ``--impute mean|median`` the features keep
    their NaN: the pipeline imputes them from each training fold.
    """
    if target is None:
        raise UsageError("--target COLUMN is required with --csv")
    frame = _drop_index(_read(path, sep), log)
    if target not in frame.columns:
        raise UsageError(
            f"--target: no column {target!r} in {path}; columns: "
            + ", ".join(frame.columns)
            + ("" if len(frame.columns) > 1 else f" (is --sep {sep!r} right?)")
        )
    frame = _drop_columns(frame, drop, target, path)
    features = [c for c in frame.columns if c != target]
    if not features:
        raise UsageError(f"--csv: {path} has no feature column besides {target!r}")
    frame = _check_missing(frame, target, features, impute)
    if len(frame) < 1:
        raise UsageError(f"--csv: {path} needs a header row and at least one data row")
    X = _features(frame, features)
    y = _target(frame[target], target, task)
    return X, y, f"{path} (target {target!r})"
