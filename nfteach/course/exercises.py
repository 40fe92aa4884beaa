"""Student notebooks generated from the solution notebooks: ``solutions/NN_x.ipynb`` → ``exercises/NN_x.ipynb``.

A solution is written once, between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's markers);
the exercise replaces each such block by ``# YOUR CODE HERE`` + ``raise NotImplementedError()``, clears the
outputs and tags cells that may raise while a task is unfinished with nbval's ``raises-exception``.
Each exercise stores a hash of its own generated file (``metadata.nfteach.generated_hash``: every cell, tag,
point, output and the kernelspec), so a later run can tell an exercise that a person edited (its hash no longer
matches) and leave it alone unless ``--force``; an exercise that is a link is never written through.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from nfteach.course import colab

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
CHECK_TAG = "nfteach-check"
"""Tag of a check cell (it also carries nbgrader's ``grade: true`` metadata)."""
MAY_RAISE_TAG = "exercise-may-raise"
"""Tag, in a solution, of a cell that uses the student's answers: it becomes ``raises-exception`` in the exercise."""


_MARKER_LIKE = re.compile(r"#+\s*(begin|end)[\s_-]*solution", re.IGNORECASE)
"""A comment that looks like a marker (``## BEGIN SOLUTION``, ``### Begin Solution``…): refused unless exact."""


def strip_solutions(source: str, where: str = "cell") -> tuple[str, bool]:
    """``source`` with each solution block replaced by the stub; also whether it had a block.

    The stub takes the indentation of the ``### BEGIN SOLUTION`` line. An unclosed block, or a line that looks
    like a marker but is not exactly one, is a ValueError: the generator never guesses, so never publishes an answer.
    """
    lines, out, inside, found = source.splitlines(), [], False, False
    for number, line in enumerate(lines, 1):
        marker = line.strip()
        if marker not in (BEGIN, END) and _MARKER_LIKE.match(marker):
            raise ValueError(f"{where}, line {number}: {marker!r} looks like a solution marker but is not "
                             f"{BEGIN!r} or {END!r} exactly")
        if marker == BEGIN:
            if inside:
                raise ValueError(f"{where}: {BEGIN!r} inside another solution block")
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + stub for stub in STUB]
            inside = found = True
        elif marker == END:
            if not inside:
                raise ValueError(f"{where}: {END!r} without a {BEGIN!r} before it")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: {BEGIN!r} without a matching {END!r}")
    return "\n".join(out), found


def content_hash(notebook: nbformat.NotebookNode) -> str:
    """sha256 of everything a person may edit: the whole notebook as written (header cells, tags, nbgrader points,
    kernelspec, outputs), the stored hash itself left out."""
    unhashed = copy.deepcopy(notebook)
    unhashed.metadata.get("nfteach", {}).pop("generated_hash", None)
    return hashlib.sha256(render(unhashed).encode()).hexdigest()


def make_exercise(solution: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The exercise notebook ``exercises/<name>.ipynb`` generated from a solution notebook.

    A ValueError names the solution and its cell (counted from 1, as a reader counts them) when a cell's
    markers cannot be parsed, or when a cell marked as an answer (nbgrader ``solution: true``) has no markers.
    """
    exercise = copy.deepcopy(solution)
    number = {id(cell): index for index, cell in enumerate(exercise.cells, 1)}
    body = [cell for cell in exercise.cells if colab.HEADER_TAG not in cell.metadata.get("tags", [])]
    old_header = [cell for cell in exercise.cells if colab.HEADER_TAG in cell.metadata.get("tags", [])]
    header = colab.header_cells(f"exercises/{name}.ipynb")
    for index, cell in enumerate(header):
        cell.id = old_header[index].id if index < len(old_header) else f"nfteach-colab-{index}"
    for cell in body:
        tags = [tag for tag in cell.metadata.get("tags", []) if tag != MAY_RAISE_TAG]
        may_raise = MAY_RAISE_TAG in cell.metadata.get("tags", [])
        where = f"solutions/{name}.ipynb, cell {number[id(cell)]}"
        if cell.cell_type == "code":
            cell.source, has_solution = strip_solutions(cell.source, where)
            cell.outputs, cell.execution_count = [], None
            may_raise = may_raise or has_solution
            if cell.metadata.get("nbgrader", {}).get("solution") and not has_solution:
                raise ValueError(f"{where}: an answer cell (nbgrader solution: true) without {BEGIN!r} … {END!r} "
                                 "markers: its whole answer would be published")
        elif any(_MARKER_LIKE.match(line.strip()) for line in cell.source.splitlines()):
            raise ValueError(f"{where}: solution markers in a {cell.cell_type} cell: only code cells can hold answers")
        if may_raise and "raises-exception" not in tags:
            tags.append("raises-exception")
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    exercise.cells = header + body
    exercise.metadata["nfteach"] = {"exercise": name, "solution": f"solutions/{name}.ipynb"}
    exercise.metadata["nfteach"]["generated_hash"] = content_hash(exercise)
    return exercise


def render(notebook: nbformat.NotebookNode) -> str:
    """The notebook's file text, exactly as written to disk."""
    return nbformat.writes(notebook) + "\n"


def was_edited(path: Path, generated: str | None = None) -> bool:
    """True when the exercise at ``path`` differs from what was generated into it (or cannot be read).

    An exercise stamped by an older generator (whose hash saw only the cells' sources) counts as unedited only if
    it is, but for that hash, exactly ``generated``.
    """
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:
        return True
    stored = notebook.metadata.get("nfteach", {}).get("generated_hash")
    if stored == content_hash(notebook):
        return False
    if generated is None:
        return True
    fresh = nbformat.reads(generated, as_version=4).metadata["nfteach"]["generated_hash"]
    notebook.metadata.setdefault("nfteach", {})["generated_hash"] = fresh
    return render(notebook) != generated


@dataclass
class Outcome:
    path: Path
    action: str  # "written", "unchanged", "skipped" (edited), "link" (never written through) or "stale"


def generate(root: Path, force: bool = False, check: bool = False) -> list[Outcome]:
    """Regenerate ``root/exercises`` from ``root/solutions``.

    An exercise a person edited since it was generated is skipped unless ``force``. With ``check``
    nothing is written: an exercise that would change is reported "stale". A solution the generator cannot
    parse raises ValueError (see :func:`make_exercise`) before any exercise is written.
    """
    root = Path(root)
    solutions = sorted((root / "solutions").glob("*.ipynb"))
    if not solutions:
        raise FileNotFoundError(f"no solution notebooks in {root / 'solutions'}: run `nfteach exercises` from the repository root")
    texts = {path: render(make_exercise(nbformat.read(path, as_version=4), path.stem)) for path in solutions}
    outcomes = []  # every solution parsed above before anything is written: a bad one writes nothing
    for solution_path, text in texts.items():
        target = root / "exercises" / solution_path.name
        if target.is_symlink():  # never through a link, --force or not
            outcomes.append(Outcome(target, "link"))
        elif target.is_file() and target.read_text(encoding="utf-8") == text:
            outcomes.append(Outcome(target, "unchanged"))
        elif check:
            outcomes.append(Outcome(target, "stale"))
        elif target.exists() and not force and was_edited(target, text):
            outcomes.append(Outcome(target, "skipped"))
        else:
            target.parent.mkdir(exist_ok=True)
            written = target.with_name(f".{target.name}.tmp")
            written.unlink(missing_ok=True)
            written.write_text(text, encoding="utf-8")
            os.replace(written, target)  # replaces the entry itself: a link made meanwhile is not followed
            outcomes.append(Outcome(target, "written"))
    return outcomes
