"""Lecture mode: the slide metadata that RISE for JupyterLab (``jupyterlab-rise``) reads, on every chapter and project.

A chapter is a lecture as it stands: its title and each ``##`` section open a slide; each paragraph of prose opens a
sub-slide (the house style puts "what to look for" before the cell that shows it), so a claim, its figure and its
assert, or a slider and its static twin, sit on one sub-slide under the sentence that introduces them; the badges
and the install cell are skipped. ``nfteach slides`` writes the metadata, ``--check`` verifies it; the lecturer
opens a chapter in JupyterLab and presses Alt+R (or opens ``/rise/notebooks/<chapter>.ipynb``).
"""

from __future__ import annotations

from pathlib import Path

from nfteach.course import colab

FOLDERS = ("notebooks", "notebooks/projects")  # the chapters, appendices and projects; exercises are worked, not shown
# Long cells scroll; no animation on a projector; reveal's "white" theme, whose fonts ship with RISE ("simple", its
# default, loads two from Google Fonts, which an offline lecture hall cannot reach).
RISE = {"scroll": True, "transition": "none", "theme": "white"}


def lecture_paths(root: Path | str = ".") -> list[Path]:
    """The notebooks that carry a lecture, in order."""
    return sorted(p for folder in FOLDERS for p in (Path(root) / folder).glob("*.ipynb"))


def slide_type(cell) -> str:
    """RISE's ``slide_type`` for one cell: ``skip`` (header cells), ``slide`` (a ``#``/``##`` heading), ``subslide``
    (other prose) or ``-`` (a code cell: it continues the slide its prose opened)."""
    if colab.HEADER_TAG in cell.get("metadata", {}).get("tags", []):
        return "skip"
    if cell.cell_type != "markdown":
        return "-"
    first = cell.source.lstrip().split("\n", 1)[0]
    return "slide" if first.startswith(("# ", "## ")) else "subslide"


def with_slides(notebook) -> bool:
    """Write the slide metadata into ``notebook`` (an nbformat node) in place; True if anything changed."""
    changed = notebook.metadata.get("rise") != RISE
    notebook.metadata["rise"] = dict(RISE)
    for cell in notebook.cells:
        wanted = {"slide_type": slide_type(cell)}
        if cell.metadata.get("slideshow") != wanted:
            cell.metadata["slideshow"] = wanted
            changed = True
    return changed


def stamp(path: Path, check: bool = False) -> bool:
    """Bring the notebook at ``path`` up to date (or, with ``check``, only say whether it is); True if it was not."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    stale = with_slides(notebook)
    if stale and not check:
        nbformat.write(notebook, path)
    return stale
