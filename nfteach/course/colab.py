"""The two cells every notebook starts with: "Open in Colab" and Binder badges, and a Colab-only install cell.

Both are generated from the one repository URL in pyproject's ``[project.urls]`` (read back from the
installed package's metadata) and a release: the tag ``v<version>`` of the installed kit unless another ref
(a tag or a branch) is given, so a notebook opened in Colab installs the release it belongs to, not whatever
the default branch holds that day. ``nfteach colab`` writes them into the notebooks and ``--check`` verifies them.
"""

from __future__ import annotations

import re
from importlib.metadata import metadata, version
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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


def release_ref() -> str:
    """The release the notebooks name by default: the tag ``v<version>`` of the installed kit (e.g. v0.1.0)."""
    return f"v{version('nfteach')}"


def github_path(url: str | None = None) -> str:
    """``owner/name`` of a GitHub repository URL (default: :func:`repository_url`); anything else is refused."""
    url = repository_url() if url is None else url
    owner_name = url.removesuffix(".git").split("github.com/", 1)[-1].strip("/")
    if "github.com/" not in url or owner_name.count("/") != 1:
        raise ValueError("github_path: the Repository URL must be a GitHub repository "
                         "(https://github.com/OWNER/NAME), since Colab and the Binder badge open notebooks from "
                         f"GitHub only; got {url!r}. Set "
                         "[project.urls] Repository in pyproject.toml to a GitHub copy of the course (a mirror will "
                         "do) and reinstall (`pip install -e .`).")
    return owner_name


def install_source(ref: str | None = None) -> str:
    """What the Colab cell hands to ``pip install``: the kit at the release ``ref`` (default :func:`release_ref`)."""
    return f"nfteach @ git+{repository_url()}@{ref or release_ref()}"


INSTALL_CELL = """\
# In Google Colab this installs the kit, release {REF}; anywhere else it only checks that the kit can be imported.
import importlib.util, sys

if "google.colab" in sys.modules:
    %pip install --quiet "{SOURCE}"
if importlib.util.find_spec("nfteach") is None:   # stop here with one message, not at the next cell's import
    raise ModuleNotFoundError("nfteach is not installed in this kernel. " + (
        "`pip install {SOURCE}` failed (output above): check the address and the network, then rerun this cell."
        if "google.colab" in sys.modules else
        "From a clone of the repository run `make lab` (or `pip install -e .` here), then restart the kernel."))"""
"""The install cell; ``{SOURCE}`` becomes :func:`install_source`, ``{REF}`` the release."""


def colab_url(relative_path: str, ref: str | None = None) -> str:
    """The Colab address that opens ``relative_path`` (a path inside the repository) at ``ref`` from GitHub."""
    return f"https://colab.research.google.com/github/{github_path()}/blob/{ref or release_ref()}/{relative_path}"


def binder_url(relative_path: str, ref: str | None = None) -> str:
    """The mybinder.org address that builds the repository at ``ref`` (binder/) and opens ``relative_path``."""
    return f"https://mybinder.org/v2/gh/{github_path()}/{ref or release_ref()}?labpath={relative_path}"


def hub_url(hub: str, relative_path: str, ref: str | None = None) -> str:
    """An nbgitpuller link: the JupyterHub at ``hub`` clones (or updates, keeping a student's changes) the
    repository at ``ref`` into the student's home and opens ``relative_path`` in JupyterLab."""
    from urllib.parse import quote, urlencode

    if not hub.startswith(("https://", "http://")):
        raise ValueError(f"hub_url: hub must be the hub's address, starting with https://, got {hub!r}")
    folder = repository_url().removesuffix(".git").rsplit("/", 1)[-1]
    query = urlencode({"repo": repository_url(), "branch": ref or release_ref(),
                       "urlpath": f"lab/tree/{folder}/{relative_path}"}, quote_via=quote)
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def header_cells(relative_path: str, ref: str | None = None) -> list[nbformat.NotebookNode]:
    """The badge cell and the install cell for the notebook at ``relative_path``, naming the release ``ref``."""
    import nbformat  # the course extra: imported only where a notebook is written or read

    ref = ref or release_ref()
    badge = nbformat.v4.new_markdown_cell(
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(relative_path, ref)})"
        f" [![Launch Binder](https://mybinder.org/badge_logo.svg)]({binder_url(relative_path, ref)})"
    )
    install = nbformat.v4.new_code_cell(INSTALL_CELL.replace("{SOURCE}", install_source(ref)).replace("{REF}", ref))
    for cell in (badge, install):
        cell.metadata["tags"] = [HEADER_TAG]
    return [badge, install]


def _strip_ids(cells: list) -> list[dict]:
    return [{key: value for key, value in cell.items() if key != "id"} for cell in cells]


def has_header(notebook: nbformat.NotebookNode, relative_path: str, ref: str | None = None) -> bool:
    """True when the notebook starts with exactly the header cells for ``relative_path`` at ``ref`` (lecture mode's
    ``slideshow`` metadata, written by ``nfteach slides``, may sit on them)."""
    expected = _strip_ids(header_cells(relative_path, ref))
    first = [
        {**cell, "metadata": {k: v for k, v in cell.get("metadata", {}).items() if k != "slideshow"},
         **({"outputs": [], "execution_count": None} if cell.cell_type == "code" else {})}
        for cell in notebook.cells[: len(expected)]
    ]
    return _strip_ids(first) == expected


class EditedHeader(Exception):
    """A notebook's header cells were edited by hand: :func:`stamp` leaves them unless ``force``."""


def _generated(cell) -> bool:
    """True when a header cell is as some generation made it (any repository address and release), not edited by
    hand."""
    install = (re.escape(INSTALL_CELL).replace(re.escape("{SOURCE}"), "[^\"\n]*")
               .replace(re.escape("{REF}"), "[^\\s;]*"))
    badge = (re.escape("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]("
                       "https://colab.research.google.com/github/") + r"[^)\s]*\)"
             + "(" + re.escape(" [![Launch Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/")
             + r"[^)\s]*\))?")
    return bool(re.fullmatch(badge if cell.cell_type == "markdown" else install, cell.source)) and not cell.get("outputs")


def stamp(path: Path, root: Path, ref: str | None = None, force: bool = False) -> bool:
    """Write the header cells (release ``ref``) into the notebook at ``path``, replacing the old ones at its top;
    True if the file changed. Only the leading cells tagged as the header are replaced (a tagged cell further down
    is a body cell); header cells edited by hand raise :class:`EditedHeader` unless ``force``."""
    import nbformat

    relative_path = path.resolve().relative_to(root.resolve()).as_posix()
    notebook = nbformat.read(path, as_version=4)
    if has_header(notebook, relative_path, ref):
        return False
    count = 0
    while (count < len(notebook.cells) and count < len(header_cells(relative_path, ref))
           and HEADER_TAG in notebook.cells[count].metadata.get("tags", [])):
        count += 1
    if not force and not all(_generated(cell) for cell in notebook.cells[:count]):
        raise EditedHeader(f"{relative_path}: its Colab header was edited by hand (use --force to replace it)")
    notebook.cells = header_cells(relative_path, ref) + notebook.cells[count:]
    nbformat.write(notebook, path)
    return True


def notebook_paths(root: Path) -> list[Path]:
    """Every committed notebook of the kit under ``root``."""
    return sorted(p for folder in NOTEBOOK_FOLDERS for p in (root / folder).glob("*.ipynb"))
