"""The report of ``sklloss compare`` and its formats: table, markdown, csv, json."""

import csv
import io
import json
import math

import numpy as np

TEST = "two-sided paired t-test over the folds, Nadeau-Bengio corrected"


def _jsonable(value):
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return repr(value)


def _summary(values, p_value=None):
    """Mean and std (ddof=0, as np.std) over folds; None where not available."""
    folds = [None if math.isnan(v) else float(v) for v in values]
    out = {"mean": None, "std": None, "folds": folds}
    if folds and None not in folds:
        out.update(mean=float(np.mean(folds)), std=float(np.std(folds)))
    if p_value is not None:
        out["p_value"] = p_value
    return out


def _entry(record, metrics, marks):
    loss = record["loss"]
    scores = {}
    for m in metrics:
        p = marks[m.label][1].get(record["label"])
        scores[m.label] = _summary(record["scores"][m.label], p)
    return {
        "loss": record["label"],
        "name": loss.name,
        "params": {k: _jsonable(v) for k, v in loss.get_params(deep=False).items()},
        "scores": scores,
        "fit_time": _summary(record["fit_time"]),
        "warnings": {
            f"{cat.__name__}: {msg}": n for (cat, msg), n in record["warnings"].items()
        },
        "error": record["error"],
        "_residuals": record["residuals"],
    }


def _build_report(records, metrics, marks, level, **info):
    """The dict every format prints: settings, one entry per loss, the marks."""
    best = {m.label: [b] if (b := marks[m.label][0]) else [] for m in metrics}
    best["fit_time"] = []  # a time is a cost, not a score to win on
    return {
        **info,
        "metrics": [
            {"name": m.label, "lower_is_better": not m.greater_is_better}
            for m in metrics
        ],
        "comparison": {"test": TEST, "level": level},
        "results": [_entry(r, metrics, marks) for r in records],
        "best": best,
    }


# -------------------------------------------------------------------- text
def _decimals(values):
    """Decimals that show 4 significant digits of the largest |value|."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return 2
    return int(min(6, max(0, 3 - math.floor(math.log10(max(finite))))))


def _columns(report):
    """``[(name, lower_is_better)]``: the metric columns, then the fit time."""
    cols = [(m["name"], m["lower_is_better"]) for m in report["metrics"]]
    return cols + [("fit_time", True)]


def _cell(result, name):
    """The summary dict of one loss and column."""
    return result["fit_time"] if name == "fit_time" else result["scores"][name]


_ASCII = {"±": "+/-", "↓": "(min)", "↑": "(max)"}


def _sym(report, char):
    return _ASCII[char] if report.get("_ascii") else char


def _text(report, r, c, d, marked, star):
    if r["error"]:
        return "failed"
    if c["mean"] is None:
        return "n/a"
    text = f"{c['mean']:.{d}f} {_sym(report, '±')} {c['std']:.{d}f}"
    return star(text) if marked else text


def _formatted_cells(report, star):
    """Text cells (header row, then one row per loss) with the best marked."""
    header = ["loss"]
    grid = [[r["loss"]] for r in report["results"]]
    for name, lower in _columns(report):
        arrow = _sym(report, "↓" if lower else "↑")
        header.append(f"{name} [s]" if name == "fit_time" else f"{name} {arrow}")
        cells = [_cell(r, name) for r in report["results"]]
        d = _decimals([c["mean"] for c in cells])
        for row, r, c in zip(grid, report["results"], cells, strict=True):
            marked = r["loss"] in report["best"][name]
            row.append(_text(report, r, c, d, marked, star))
    return header, grid


def _title(report):
    """One line: the task, the data, the folds and the model."""
    bits = [
        f"{report['task']} on {report['dataset']}",
        f"{report['n_samples']} samples x {report['n_features']} features",
        f"{report['cv']}-fold CV (seed {report['seed']})",
        f"alpha={report['alpha']:g}"
        if report.get("alpha") is not None
        else str(report.get("model")),
    ]
    return "sklloss compare: " + ", ".join(bits)


def _footer(report):
    level = report["comparison"]["level"]
    return (
        f"mean {_sym(report, '±')} std over folds; * best of the column beyond "
        "the fold-to-fold noise (paired t-test over the folds against every "
        f"other loss, p < {level:g})"
    )


def format_table(report):
    header, grid = _formatted_cells(report, lambda t: t + " *")
    widths = [max(len(r[j]) for r in [header, *grid]) for j in range(len(header))]

    def line(row):
        first = row[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    out = [_title(report), "", line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in grid]
    down, up = _sym(report, "↓"), _sym(report, "↑")
    out += ["", _footer(report), f"{down} lower / {up} higher is better"]
    if report.get("units"):
        out.append(report["units"])
    if any(c["mean"] is None for r in report["results"] for c in r["scores"].values()):
        out.append("n/a: the model does not provide what the metric needs")
    return "\n".join(out) + "\n"


def format_markdown(report):
    header, grid = _formatted_cells(report, lambda t: f"**{t}**")
    out = [f"*{_title(report)}*", ""]
    out.append("| " + " | ".join(header) + " |")
    out.append("| --- |" + " ---: |" * (len(header) - 1))
    out += ["| " + " | ".join(r) + " |" for r in grid]
    out += ["", _footer(report).replace("* best", "**bold**: best") + "."]
    return "\n".join(out) + "\n"


def format_csv(report):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    cols = _columns(report)
    header = ["loss"]
    for name, _ in cols:
        header += [f"{name}_mean", f"{name}_std"]
    writer.writerow([*header, "best_in"])
    for r in report["results"]:
        row = [r["loss"]]
        for name, _ in cols:
            c = _cell(r, name)
            row += ["" if c["mean"] is None else repr(c["mean"])]
            row += ["" if c["std"] is None else repr(c["std"])]
        row.append(";".join(n for n, _ in cols if r["loss"] in report["best"][n]))
        writer.writerow(row)
    return buf.getvalue()


def format_json(report):
    clean = {k: v for k, v in report.items() if not k.startswith("_")}
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


def _render(report, fmt, stream):
    """The report in `fmt`; ASCII stand-ins for ± ↓ ↑ if `stream` cannot encode them."""
    text = FORMATTERS[fmt](report)
    try:
        text.encode(getattr(stream, "encoding", None) or "utf-8")
    except UnicodeEncodeError:
        text = FORMATTERS[fmt]({**report, "_ascii": True})
    return text
