"""Build-time pages of the sklloss docs: the API tables and the loss catalogue.

Both are generated from the package itself on every build, so they cannot go
stale: the API tables from the ``__all__`` of ``sklloss`` and of every public
subpackage that imports, the catalogue from the loss registry (formula and
parameters from each class's numpydoc docstring, flags from its attributes,
a plot from :class:`sklloss.plotting.LossDisplay`).

Each public object is documented once, under a canonical name (``sklloss.X``
for the names of ``sklloss.__all__``, ``module.X`` otherwise); the
``missing-reference`` handler below maps the other public spellings of the
same object (``sklloss.losses.Loss`` for ``sklloss.Loss``) and members
inherited from a documented base class onto that page.
"""

import importlib
import inspect
import pkgutil
import re
import warnings
from pathlib import Path

from numpydoc.docscrape import NumpyDocString

import sklloss
from sklloss.losses import available_losses, get_loss

# Parameters of the registered losses and what they are measured in. A loss
# sees residuals as they come (the estimators do not rescale y), so the
# thresholds are in the units of y.
PARAM_UNITS = {
    "delta": "units of y (a residual y − z)",
    "beta": "units of y (a residual y − z)",
    "epsilon": "units of y (a residual y − z)",
    "c": "units of y (a residual y − z)",
    "quantile": "a probability in (0, 1), no unit",
    "power": "no unit (the Tweedie power p)",
    "gamma": "no unit (the focusing exponent)",
    "alpha": "class weights, no unit",
}
FLAGS = (
    "kind",
    "link",
    "is_smooth",
    "is_twice_differentiable",
    "has_hessian",
    "is_piecewise_linear",
    "is_convex",
    "trainable",
    "multiclass",
)


# --------------------------------------------------------------- public names
def public_modules():
    """``[(module name, module or None, reason)]``: sklloss and its subpackages.

    Every public (non-underscore) submodule that defines ``__all__``; one that
    fails to import (an optional dependency missing) is listed with the error.
    """
    found = [("sklloss", sklloss, None)]
    for info in pkgutil.iter_modules(sklloss.__path__):
        if info.name.startswith("_"):
            continue
        name = f"sklloss.{info.name}"
        try:
            module = importlib.import_module(name)
        except ImportError as exc:  # an optional subpackage whose deps are absent
            found.append((name, None, f"{type(exc).__name__}: {exc}"))
            continue
        if hasattr(module, "__all__"):
            found.append((name, module, None))
    return found


def canonical_names():
    """``{id(obj): canonical dotted name}`` and ``{alias: canonical}``."""
    canon, alias = {}, {}
    for modname, module, _ in public_modules():
        if module is None:
            continue
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, str):  # __version__
                continue
            full = f"{modname}.{name}"
            canon.setdefault(id(obj), full)
            alias[full] = canon[id(obj)]
    return canon, alias


def write_api(path):
    path = Path(path)
    """The body of the API page: one autosummary table per public module."""
    canon, _ = canonical_names()
    out = []
    for modname, module, reason in public_modules():
        out += [f"``{modname}``", "-" * (len(modname) + 4), ""]
        if module is None:
            out += [
                f"Not importable in this build ({reason}); its install extra",
                "is missing, so its names are not documented here.",
                "",
            ]
            continue
        out += [f".. automodule:: {modname}", ""]
        own, elsewhere, data = [], [], []
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, str):
                data.append(name)
            elif canon[id(obj)] == f"{modname}.{name}":
                own.append(name)
            else:
                elsewhere.append(canon[id(obj)])
        for name in own:
            _write_stub(path.parent / "generated", modname, name, getattr(module, name))
        if own:
            out += [f".. currentmodule:: {modname}", "", ".. autosummary::"]
            out += ["   :toctree: generated", "   :nosignatures:", ""]
            out += [f"   {name}" for name in own] + [""]
        for name in data:
            value = getattr(module, name)
            out += [f"``{modname}.{name}``: the string ``{value!r}``.", ""]
        if elsewhere:
            refs = ", ".join(f":obj:`~{c}` (``{c}``)" for c in elsewhere)
            out += [f"Also exported here, documented above: {refs}.", ""]
    _write(path, "\n".join(out))


def _write_stub(directory, modname, name, obj):
    """The page of one object (what ``autosummary_generate`` would write)."""
    full = f"{modname}.{name}"
    directive = "autoclass" if inspect.isclass(obj) else "autofunction"
    text = "\n".join(
        [full, "=" * len(full), "", f".. currentmodule:: {modname}", ""]
        + [f".. {directive}:: {name}"]
        + (
            ["   :members:", "   :inherited-members:"]
            if directive == "autoclass"
            else []
        )
        + [""]
    )
    _write(Path(directory) / f"{full}.rst", text)


# ------------------------------------------------------------------ catalogue
def _math_blocks(doc):
    """The ``.. math::`` directives of a docstring, as rst lines."""
    lines, blocks, i = doc.splitlines(), [], 0
    while i < len(lines):
        if lines[i].strip().startswith(".. math::"):
            block = [lines[i].strip()]
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i][:1] == " "):
                block.append(lines[i].rstrip())
                i += 1
            while block and not block[-1].strip():
                block.pop()
            blocks.append(block)
        else:
            i += 1
    # ``ndarray of shape (n_features_in_,)``: in a type, a trailing underscore
    # is part of the name, not an rst reference.
    for i, line in enumerate(lines):
        head, sep, kind = line.partition(" : ")
        if sep and re.fullmatch(r"\s*\w+", head):
            lines[i] = head + sep + re.sub(r"(\w)_(?=[,)\s]|$)", r"\1\\_", kind)
    return blocks


def _plot(loss, path):
    import matplotlib.pyplot as plt

    from sklloss.plotting import LossDisplay

    fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 2.6), layout="constrained")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a loss without gradient
        disp = LossDisplay.from_losses([loss], ax=left)
        disp.plot(ax=right, derivative=True)
    left.set_title("loss", fontsize="medium")
    right.set_title("derivative", fontsize="medium")
    for ax in (left, right):
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
    fig.savefig(path, dpi=72)
    plt.close(fig)


def _cell(text):
    return str(text).replace("\n", " ")


def _loss_entry(key, info, image_dir, image_rel):
    from sklloss.scorers import get_scorer_names

    loss = get_loss(key)
    cls = type(loss)
    doc = inspect.getdoc(cls)
    parsed = NumpyDocString(doc)
    title = f"``{key}``"
    out = [f".. _loss-{key}:", "", title, "-" * len(title), ""]
    summary = " ".join(parsed["Summary"])
    out += [f":class:`~sklloss.losses.{cls.__name__}`: {summary}", ""]
    for block in _math_blocks(doc):
        out += block + [""]
    aliases = ", ".join(f"``{a}``" for a in info["aliases"]) or "none"
    metric = info["metric"]
    scorer = f"neg_{metric}"
    assert scorer in get_scorer_names(), scorer  # the docs must not name a ghost
    rows = [
        ("aliases", aliases),
        ("metric", f":func:`sklloss.metrics.{metric}`"),
        ("scorer", f'``get_scorer("{scorer}")`` or ``make_loss_scorer("{key}")``'),
        (
            "domains",
            f"y_true in ``{loss.y_true_domain}``, y_pred in ``{loss.y_pred_domain}``",
        ),
        ("flags", ", ".join(f"``{f}={getattr(loss, f)!r}``" for f in FLAGS)),
    ]
    out += [".. list-table::", "   :widths: 25 75", ""]
    for name, value in rows:
        out += [f"   * - {name}", f"     - {value}"]
    out += [""]
    if parsed["Parameters"]:
        out += [".. list-table:: Parameters", "   :header-rows: 1", ""]
        out += ["   * - name", "     - default", "     - unit", "     - meaning"]
        for p in parsed["Parameters"]:
            default = info["params"].get(p.name, "")
            unit = PARAM_UNITS.get(p.name, "see the meaning")
            out += [f"   * - ``{p.name}``", f"     - ``{default!r}``"]
            out += [f"     - {unit}", f"     - {_cell(' '.join(p.desc))}"]
        out += [""]
    else:
        out += ["No parameters.", ""]
    png = image_dir / f"{key}.png"
    _plot(loss, png)
    out += [f".. image:: {image_rel}/{key}.png", f"   :alt: {key}: loss and derivative"]
    return out + [""]


def write_catalogue(path, image_dir, image_rel):
    """One section per registered loss, in :func:`available_losses` order."""
    image_dir.mkdir(parents=True, exist_ok=True)
    info = available_losses()
    out = [
        f"The registry holds {len(info)} losses; this page is generated from it",
        "when the docs are built.",
        "",
        ".. list-table::",
        "   :header-rows: 1",
        "",
        "   * - key",
        "     - kind",
        "     - metric",
    ]
    for key, entry in info.items():
        kind = entry["kind"] + ("" if entry["trainable"] else " (metric only)")
        out += [f"   * - :ref:`{key} <loss-{key}>`", f"     - {kind}"]
        out += [f"     - ``{entry['metric']}``"]
    out += [""]
    for key, entry in info.items():
        out += _loss_entry(key, entry, image_dir, image_rel)
    _write(path, "\n".join(out))


# ----------------------------------------------------------------- benchmarks
def _inline(text):
    """Markdown inline text to rst: ``code`` kept verbatim, the rest escaped."""
    out = []
    for i, part in enumerate(re.split(r"`([^`]*)`", text)):
        if i % 2:
            out.append(f"``{part}``" if part else "")
            continue
        bold = part.split("**")
        for j, piece in enumerate(bold):
            piece = piece.replace("\\", "\\\\").replace("|", "\\|")
            piece = re.sub(r"(?<!\\)\*", r"\\*", piece)
            piece = re.sub(r"(\w)_(?=\W|$)", r"\1\\_", piece)
            bold[j] = f"**{piece}**" if j % 2 and piece.strip() else piece
        out.append("".join(bold))
    return "".join(out)


def _md_table(rows):
    cells = [[c.strip() for c in row.strip().strip("|").split(" | ")] for row in rows]
    header, body = cells[0], [c for c in cells[2:] if c]
    # markdown tolerates ragged rows (a skipped fit writes one "-" too many)
    body = [(row + [""] * len(header))[: len(header)] for row in body]
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in [header, *body]:
        out.append(f"   * - {_inline(row[0]) or '..'}")
        out += [f"     - {_inline(c) or '..'}" for c in row[1:]]
    return out + [""]


def markdown_results(path, sections=("Results",)):
    """The header bullets and the named sections of a benchmark result file."""
    lines = Path(path).read_text().splitlines()
    out, keep, i = [], True, 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("# "):
            i += 1
            continue
        if line.startswith("## "):
            keep = line[3:].strip() in sections
            i += 1
            continue
        if not keep:
            i += 1
            continue
        if line.startswith("| "):
            j = i
            while j < len(lines) and lines[j].startswith("|"):
                j += 1
            out += _md_table(lines[i:j])
            i = j
            continue
        bullet = line.startswith("- ")
        out.append("- " + _inline(line[2:]) if bullet else _inline(line))
        i += 1
    return out + [""]


def write_benchmarks(path, results_dir):
    """The measured tables of ``benchmarks/results`` as rst, verbatim."""
    results_dir = Path(results_dir)
    out = []
    for name, title, sections in [
        (
            "fit_key5.md",
            "Key cells after session 10, informative data, 2 and 1 threads",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_key6_quantile.md",
            "Quantile and absolute error after session 11, 2 and 1 threads",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_key5_quantile.md",
            "Quantile and absolute error with the simplex crossover, 2 and 1 threads",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_key5_glum.md",
            "Poisson against PoissonRegressor and glum, 2 and 1 threads",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_key5_1e6.md",
            "Key cells at 1e6 x 20 after session 10, 2 and 1 threads",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_key4.md",
            "Key cells after session 8 (direct squared error, two-row sweeps), "
            "informative data, 2 and 1 threads",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_key4_1e6.md",
            "Key cells at 1e6 x 20 after session 8, informative data, 2 and 1 threads",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_key3.md",
            "Key cells with the compiled kernels, informative data, 2 and 1 threads",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_key2.md",
            "Issue-14 key cells before the compiled kernels, informative data",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_sparse3.md",
            "TF-IDF sparse data after session 11, 2 threads and 1 thread",
            ("Session 11 (2026-12-04, quiet machine)", "Results"),
        ),
        (
            "fit_sparse2.md",
            "TF-IDF sparse data with the compiled CSR passes, 2 threads and 1 thread",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        (
            "fit_sparse.md",
            "TF-IDF sparse data, 2 threads and 1 thread",
            ("Reading this run (note added by hand after the run)", "Results"),
        ),
        ("fit_key.md", "Key cells, all cores", ("Results", "Peer notes")),
        ("fit_key_threads1.md", "Key cells, one thread", ("Results",)),
        ("fit_key_tol1e-5.md", "Key cells, sklloss at tol=1e-5", ("Results",)),
        ("fit.md", "The full grid", ("Results",)),
        ("metrics.md", "Metrics against scikit-learn's", ("Results",)),
    ]:
        heading = f"{title} (``benchmarks/results/{name}``)"
        out += [heading, "-" * len(heading), ""]
        out += markdown_results(results_dir / name, sections)
    _write(path, "\n".join(out))


def _write(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


# ------------------------------------------------------- references, members
_CANON = None


def _resolve_object(dotted):
    """The object a dotted name denotes, or None."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _canonical_target(target):
    """Map another public spelling of a documented object onto its page."""
    canon, alias = _CANON
    parts = target.split(".")
    for k in range(len(parts), 0, -1):
        head = ".".join(parts[:k])
        if head in alias and alias[head] != head:
            return ".".join([alias[head], *parts[k:]])
    # a member inherited from a documented base class
    if len(parts) >= 2:
        owner = _resolve_object(".".join(parts[:-1]))
        if inspect.isclass(owner):
            for base in inspect.getmro(owner):
                if parts[-1] in vars(base) and id(base) in canon:
                    return f"{canon[id(base)]}.{parts[-1]}"
    return None


def missing_reference(app, env, node, contnode):
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    module, cls = node.get("py:module"), node.get("py:class")
    candidates = [target]
    if module:
        candidates.append(f"{module}.{target}")
        if cls:
            candidates.append(f"{module}.{cls}.{target}")
    domain = env.get_domain("py")
    for cand in candidates:
        new = _canonical_target(cand)
        if new is None or new == target:
            continue
        found = domain.resolve_xref(
            env, node["refdoc"], app.builder, node["reftype"], new, node, contnode
        )
        if found is not None:
            return found
    return None


def skip_member(app, what, name, obj, skip, options):
    """Inherited members: only those sklloss defines (not scikit-learn's)."""
    if skip or what != "class":
        return skip
    if re.fullmatch(r"set_\w+_request", name):
        return True
    module = getattr(obj, "__module__", None) or ""
    if callable(obj) and not module.startswith("sklloss"):
        return True
    return None


def join_continued_lines(app, what, name, obj, options, lines):
    """Join a numpydoc type line that ends in a backslash with the next one.

    In a raw docstring (``r\"\"\"``) Python keeps the backslash-newline that
    scikit-learn's style uses to wrap a long ``name : {...}`` line.
    """
    i = 0
    while i < len(lines) - 1:
        if lines[i].endswith("\\"):
            lines[i : i + 2] = [lines[i][:-1].rstrip() + " " + lines[i + 1].strip()]
        else:
            i += 1
    # ``ndarray of shape (n_features_in_,)``: in a type, a trailing underscore
    # is part of the name, not an rst reference.
    for i, line in enumerate(lines):
        head, sep, kind = line.partition(" : ")
        if sep and re.fullmatch(r"\s*\w+", head):
            lines[i] = head + sep + re.sub(r"(\w)_(?=[,)\s]|$)", r"\1\\_", kind)


def setup(app):
    global _CANON
    _CANON = canonical_names()
    app.connect("missing-reference", missing_reference)
    app.connect("autodoc-skip-member", skip_member)
    # before numpydoc parses the docstring (its handler has the default 500)
    app.connect("autodoc-process-docstring", join_continued_lines, priority=400)
    return {"parallel_read_safe": True, "version": sklloss.__version__}
