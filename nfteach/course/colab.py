"""The two cells every notebook starts with: an "Open in Colab" badge and a Colab-only install cell.

Both are generated from the one repository URL in pyproject's ``[project.urls]`` (read back from the
installed package's metadata); ``nfteach colab`` writes them into the notebooks and ``--check`` verifies them.
"""

from __future__ import annotations

import re
from importlib.metadata import metadata
from pathlib import Path

import nbformat

HEADER_TAG = "nfteach-colab-header"
NOTEBOOK_FOLDERS = ("notebooks", "notebooks/projects", "solutions", "exercises")


def repository_url() -> str:
    """The ``Repository`` URL from the package metadata (pyproject's ``[project.urls]``)."""
    for entry in metadata("nfteach").get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip().rstrip("/")
    raise RuntimeError("nfteach's metadata has no Project-URL 'Repository': reinstall with `pip install -e .`")


def install_source() -> str:
    """What the Colab cell hands to ``pip install``: the package from the repository's default branch."""
    return f"nfteach @ git+{repository_url()}"


INSTALL_CELL = """\
# In Google Colab this installs the kit; anywhere else it only checks that the kit can be imported.
import importlib.util, sys

if "google.colab" in sys.modules:
    %pip install --quiet "{SOURCE}"
if importlib.util.find_spec("nfteach") is None:   # stop here with one message, not at the next cell's import
    raise ModuleNotFoundError("nfteach is not installed in this kernel. " + (
        "`pip install {SOURCE}` failed (output above): check the address and the network, then rerun this cell."
        if "google.colab" in sys.modules else
        "From a clone of the repository run `make lab` (or `pip install -e .` here), then restart the kernel."))"""
"""The install cell; ``{SOURCE}`` becomes :func:`install_source`."""


def colab_url(relative_path: str) -> str:
    """The Colab address that opens ``relative_path`` (a path inside the repository) from GitHub."""
    github_path = repository_url().split("github.com/", 1)[1]
    return f"https://colab.research.google.com/github/{github_path}/blob/main/{relative_path}"


def header_cells(relative_path: str) -> list[nbformat.NotebookNode]:
    """The badge cell and the install cell for the notebook at ``relative_path``."""
    badge = nbformat.v4.new_markdown_cell(
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(relative_path)})"
    )
    install = nbformat.v4.new_code_cell(INSTALL_CELL.replace("{SOURCE}", install_source()))
    for cell in (badge, install):
        cell.metadata["tags"] = [HEADER_TAG]
    return [badge, install]


def _strip_ids(cells: list) -> list[dict]:
    return [{key: value for key, value in cell.items() if key != "id"} for cell in cells]


def has_header(notebook: nbformat.NotebookNode, relative_path: str) -> bool:
    """True when the notebook starts with exactly the header cells for ``relative_path``."""
    expected = _strip_ids(header_cells(relative_path))
    first = [
        {**cell, "outputs": [], "execution_count": None} if cell.cell_type == "code" else cell
        for cell in notebook.cells[: len(expected)]
    ]
    return _strip_ids(first) == expected


class EditedHeader(Exception):
    """A notebook's header cells were edited by hand: :func:`stamp` leaves them unless ``force``."""


def _generated(cell) -> bool:
    """True when a header cell is as some generation made it (any repository address), not edited by hand."""
    install = re.escape(INSTALL_CELL).replace(re.escape("{SOURCE}"), "[^\"\n]*")
    badge = (re.escape("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]("
                       "https://colab.research.google.com/github/") + r"[^)\s]*\)")
    return bool(re.fullmatch(badge if cell.cell_type == "markdown" else install, cell.source)) and not cell.get("outputs")


def stamp(path: Path, root: Path, force: bool = False) -> bool:
    """Write the header cells into the notebook at ``path``, replacing the old ones at its top; True if the file
    changed. Only the leading cells tagged as the header are replaced (a tagged cell further down is a body cell);
    header cells edited by hand raise :class:`EditedHeader` unless ``force``."""
    relative_path = path.resolve().relative_to(root.resolve()).as_posix()
    notebook = nbformat.read(path, as_version=4)
    if has_header(notebook, relative_path):
        return False
    count = 0
    while (count < len(notebook.cells) and count < len(header_cells(relative_path))
           and HEADER_TAG in notebook.cells[count].metadata.get("tags", [])):
        count += 1
    if not force and not all(_generated(cell) for cell in notebook.cells[:count]):
        raise EditedHeader(f"{relative_path}: its Colab header was edited by hand (use --force to replace it)")
    notebook.cells = header_cells(relative_path) + notebook.cells[count:]
    nbformat.write(notebook, path)
    return True


def notebook_paths(root: Path) -> list[Path]:
    """Every committed notebook of the kit under ``root``."""
    return sorted(p for folder in NOTEBOOK_FOLDERS for p in (root / folder).glob("*.ipynb"))
