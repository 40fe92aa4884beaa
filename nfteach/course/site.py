"""Static HTML pages of the chapters, with their outputs, for reading the kit without running it.

Each notebook is executed in a fresh kernel (nbclient) in its own folder, then exported with nbconvert's
``lab`` template; figures are embedded as data URIs so every page is one self-contained file. The only
files written are ``<out>/<chapter>.html`` and ``<out>/index.html``; the notebooks are never modified.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from pathlib import Path

import nbformat

from nfteach._checks import check_positive_number

MARK = '<meta name="generator" content="nfteach html">'


def chapter_paths(root: Path | str = ".") -> list[Path]:
    """The chapters of the kit: ``notebooks/*.ipynb`` under ``root``, in order."""
    return sorted((Path(root) / "notebooks").glob("*.ipynb"))


def execute(path: Path | str, timeout: float = 600.0, kernel_name: str = "python3",
            recoveries: list[dict] | None = None) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` top to bottom in a fresh kernel and return it with its outputs.

    The kernel runs in the notebook's folder with progress bars off (``NFTEACH_PROGRESS=0``);
    ``timeout`` is per cell, in seconds. A failing cell raises ``nbclient.exceptions.CellExecutionError``.
    Recoveries from a lost request or reply go to ``recoveries``, as in :func:`execute_notebook`.
    """
    path = _notebook(path)
    notebook = nbformat.read(path, as_version=4)
    execute_notebook(notebook, path.parent, timeout, kernel_name, recoveries)
    return notebook


def execute_notebook(notebook: nbformat.NotebookNode, folder: Path, timeout: float = 600.0,
                     kernel_name: str = "python3", recoveries: list[dict] | None = None) -> None:
    """Execute ``notebook`` in place, as :func:`execute` does, with ``folder`` as the kernel's working folder.

    The cells executed before a failure keep their outputs, so a failed run can still be looked at. A kernel
    that loses a request or a reply is recovered (:class:`nfteach.course.execute.RecoveringClient`); each
    recovery is appended to ``recoveries`` when a list is given.
    """
    from nfteach.course.execute import RecoveringClient

    check_positive_number("timeout", timeout)
    client = RecoveringClient(notebook, timeout=timeout, kernel_name=kernel_name,
                              resources={"metadata": {"path": str(folder)}},
                              on_recovery=None if recoveries is None else lambda **event: recoveries.append(event))
    client.execute(env={**os.environ, "NFTEACH_PROGRESS": "0"})


def to_html(notebook: nbformat.NotebookNode, page_title: str = "nfteach") -> str:
    """One self-contained HTML page of an executed notebook (images inlined as data URIs)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", embed_images=True)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": page_title}})
    return body.replace("<head>", f"<head>\n{MARK}", 1)


def title(notebook: nbformat.NotebookNode, default: str) -> str:
    """The first markdown ``# heading`` of the notebook, else ``default``."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def render_site(
    paths: list[Path | str] | None = None,
    out: Path | str = "site",
    timeout: float = 600.0,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Execute and export each notebook (default: the chapters) into ``out``; return ``out/index.html``.

    ``out/<stem>.html`` per notebook plus an index linking them. Refuses to overwrite a file in ``out``
    that this function did not write, and two notebooks with the same file name. ``log`` gets a line
    per notebook as it starts.
    """
    paths = [_notebook(p) for p in (chapter_paths() if paths is None else paths)]
    if not paths:
        raise FileNotFoundError("render_site: no notebooks to render (paths is empty and notebooks/ has none)")
    stems = [p.stem for p in paths]
    if len(set(stems)) != len(stems) or "index" in stems:
        raise ValueError(f"render_site: paths must have distinct file names other than index, got {[str(p) for p in paths]}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    targets = [out / f"{stem}.html" for stem in stems] + [out / "index.html"]
    for target in targets:
        if target.exists() and MARK not in target.read_text(errors="replace"):
            raise FileExistsError(f"render_site: {target} exists and was not written by nfteach; choose another out")
    entries = []
    for path, target in zip(paths, targets):
        if log:
            log(f"rendering {path} -> {target}")
        recoveries: list[dict] = []
        notebook = execute(path, timeout=timeout, recoveries=recoveries)
        for event in recoveries if log else []:
            log(f"  cell {event['recovered']}: {event['detail']}")
        name = title(notebook, path.stem)
        target.write_text(to_html(notebook, name))
        entries.append((target.name, name))
    index = out / "index.html"
    index.write_text(_index_page(entries))
    return index


def _index_page(entries: list[tuple[str, str]]) -> str:
    items = "\n".join(f'    <li><a href="{html.escape(href)}">{html.escape(name)}</a></li>' for href, name in entries)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">{MARK}<title>nfteach</title>\n'
        "<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.6}</style></head>\n"
        f"<body>\n  <h1>nfteach: neural fields, hands on</h1>\n  <ol>\n{items}\n  </ol>\n</body>\n</html>\n"
    )


def _notebook(path: Path | str) -> Path:
    path = Path(path)
    if path.suffix != ".ipynb":
        raise ValueError(f"expected a notebook path ending in .ipynb, got {str(path)!r}")
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    return path
