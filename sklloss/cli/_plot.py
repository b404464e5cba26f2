"""``--plot``: the path checked before any work, then a dot-and-whisker figure."""

import os

import numpy as np

from ._output import _cell, _columns, _title
from ._parser import UsageError


def _check_plot_path(path):
    """matplotlib installed, a supported extension, a writable directory."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise UsageError(
            "--plot needs matplotlib: pip install 'sklloss[plot]'"
        ) from None
    supported = FigureCanvasBase.get_supported_filetypes()
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in supported:
        raise UsageError(
            f"--plot: unsupported file type {('.' + ext) if ext else '(none)'!r} "
            f"of {path}; use one of: " + ", ".join("." + e for e in sorted(supported))
        )
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"--plot: {path} is a directory")
    if not os.path.isdir(directory):
        raise UsageError(f"--plot: no such directory: {directory}")
    if not os.access(directory, os.W_OK):
        raise UsageError(f"--plot: directory not writable: {directory}")


def _metric_panel(ax, results, name, lower, best):
    """Mean ± std and each fold's value; the x-axis spans the values, not 0."""
    ypos = np.arange(len(results))
    for y_, r in zip(ypos, results, strict=True):
        c = _cell(r, name)
        if c["mean"] is None:
            ax.text(
                0.02,
                y_,
                "n/a",
                va="center",
                fontsize=8,
                transform=ax.get_yaxis_transform(),
            )
            continue
        color = "C1" if r["loss"] in best else "C0"
        ax.plot(c["folds"], [y_] * len(c["folds"]), "|", color="0.6", ms=7)
        ax.errorbar(c["mean"], y_, xerr=c["std"], fmt="o", color=color, capsize=3)
    label = "fit time [s]" if name == "fit_time" else name
    ax.set_title(f"{label}\n({'lower' if lower else 'higher'} is better)", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.locator_params(axis="x", nbins=4)
    ax.grid(axis="x", color="0.9")


def _residual_panel(ax, results, task, matplotlib):
    labels = [r["loss"] for r in results]
    data = [r["_residuals"] for r in results]
    if tuple(int(v) for v in matplotlib.__version__.split(".")[:2]) >= (3, 10):
        orient = {"orientation": "horizontal"}
    else:
        orient = {"vert": False}
    ax.boxplot(data, showfliers=True, flierprops={"markersize": 2}, **orient)
    ax.set_yticks(np.arange(1, len(labels) + 1), labels)
    ax.tick_params(labelsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="0.6", lw=0.8)
    if task == "regression":
        ax.set_xlabel("out-of-fold residual y - prediction")
    else:
        ax.set_xlabel("out-of-fold margin (2y - 1) * decision value")
    ax.set_title("distribution over all folds", fontsize=9)


def _save_plot(report, path):
    """One panel per metric (mean ± std, folds as ticks) and the residuals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = [r for r in report["results"] if not r["error"]]
    cols = _columns(report)
    with_res = [r for r in results if r["_residuals"] is not None]
    fig = plt.figure(
        figsize=(2.6 * len(cols) + 1.5, 2.0 + 0.35 * len(results) + 3.0),
        layout="constrained",
    )
    grid = fig.add_gridspec(2 if with_res else 1, len(cols))
    first = None
    for j, (name, lower) in enumerate(cols):
        ax = fig.add_subplot(grid[0, j], sharey=first)
        first = first or ax
        _metric_panel(ax, results, name, lower, report["best"][name])
        if j:
            ax.tick_params(labelleft=False)
    first.set_yticks(np.arange(len(results)), [r["loss"] for r in results])
    first.set_ylim(len(results) - 0.5, -0.5)
    if with_res:
        _residual_panel(
            fig.add_subplot(grid[1, :]), with_res, report["task"], matplotlib
        )
    fig.suptitle(
        _title(report) + "\norange: best, beyond the fold-to-fold noise", fontsize=9
    )
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise UsageError(f"--plot: cannot write {path}: {exc}") from None
    finally:
        plt.close(fig)
