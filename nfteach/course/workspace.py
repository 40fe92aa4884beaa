"""A student's working copy: the kit's notebooks copied into a folder git does not track (``make lab`` opens it).

JupyterLab autosaves: a chapter that is run, or an exercise solved in place, would otherwise change a tracked
file, fail ``make test``'s committed-outputs checks and make ``git pull`` conflict. So ``nfteach workspace``
copies ``notebooks/`` (with the project starters), ``exercises/`` and ``solutions/`` into ``workspace/`` (in
``.gitignore``), keeping the layout so the links between them still work, and refreshes it after a pull:

* a notebook not there yet is copied;
* a copy the student has not changed since it was written follows the kit's new version;
* a copy the student changed (ran, edited, solved) is never touched: the kit's new version is written beside it
  as ``<name>.updated.ipynb``;
* nothing is deleted.

What was written is remembered in ``workspace/.nfteach-workspace.json`` (a SHA-256 per file).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from nfteach.course import colab

MANIFEST = ".nfteach-workspace.json"


@dataclass
class Refreshed:
    """What happened to one notebook: ``copied``, ``updated``, ``kept`` (the student's, with the new version
    beside it in ``beside``) or ``current``."""

    relative: str
    action: str
    beside: str = ""


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refresh(root: Path | str = ".", into: Path | str = "workspace") -> list[Refreshed]:
    """Copy or refresh the kit's notebooks under ``root`` into ``into``, never overwriting a student's change."""
    root, into = Path(root), Path(into)
    if not (root / "notebooks").is_dir():
        raise FileNotFoundError(f"workspace.refresh: root must be the kit's repository (with notebooks/), got {root}")
    into.mkdir(parents=True, exist_ok=True)
    manifest_path = into / MANIFEST
    written: dict[str, str] = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    outcomes = []
    for source in colab.notebook_paths(root):
        relative = source.relative_to(root).as_posix()
        target = into / relative
        if not target.exists():
            outcome = Refreshed(relative, "copied")
        elif _digest(source) == written.get(relative) or _digest(source) == _digest(target):
            outcome = Refreshed(relative, "current")
        elif _digest(target) == written.get(relative):
            outcome = Refreshed(relative, "updated")
        else:
            beside = target.with_name(target.stem + ".updated.ipynb")
            if not beside.exists() or _digest(beside) != _digest(source):
                shutil.copyfile(source, beside)
            written[relative] = _digest(source)  # this version was offered: don't offer it again
            outcomes.append(Refreshed(relative, "kept", beside.relative_to(into).as_posix()))
            continue
        if outcome.action in ("copied", "updated"):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        written[relative] = _digest(source)
        outcomes.append(outcome)
    manifest_path.write_text(json.dumps(written, indent=1, sort_keys=True))
    return outcomes
