"""Which submissions there are and which exercise each belongs to, read without running anything.

A task is a check cell of a *solution* notebook (tag ``nfteach-check``, nbgrader metadata ``grade_id`` and
``points``, source ``check.<check>(<function>)``). Tasks, points and exercise names come from the solutions
folder only; a submission is matched to its solution by ``metadata.nfteach.exercise`` (a validated name) or
by its file name.
"""

from __future__ import annotations

import ast
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import nbformat

from nfteach.course.check.core import MAY_NOT_CALL
from nfteach.course.exercises import CHECK_TAG

MAX_SUBMISSION_BYTES = 50 * 2**20
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""An exercise name: a solution's file name without .ipynb (no '/', no '..')."""
DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+")


class GradingError(Exception):
    """A mistake in the grader's input found before any grading (a missing folder, a bad option)."""


@dataclass
class Task:
    """One graded task: its nbgrader ``grade_id``, points, check cell source, check and function names, and the
    dotted names its answer may not call (the check's own list and what the solution's metadata adds)."""

    id: str
    points: float
    source: str
    check: str
    function: str
    may_not_call: tuple[str, ...] = ()


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and CHECK_TAG in cell.metadata.get("tags", []) and "nbgrader" in cell.metadata


def parse_check(source: str, where: str) -> tuple[str, str]:
    """``(check, function)`` from a check cell ``check.<check>(<function>)``; GradingError for anything else."""
    from nfteach.course import check

    try:
        (statement,) = ast.parse(source).body
        call = statement.value
        assert isinstance(statement, ast.Expr) and isinstance(call, ast.Call) and not call.keywords
        assert isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
        assert call.func.value.id == "check" and len(call.args) == 1 and isinstance(call.args[0], ast.Name)
    except (SyntaxError, ValueError, AssertionError, AttributeError):
        raise GradingError(f"{where}: a check cell must be one call `check.<task>(<function>)`, got {source!r}") from None
    name = call.func.attr
    if not callable(getattr(check, name, None)):
        raise GradingError(f"{where}: nfteach.course.check has no check named {name!r}")
    return name, call.args[0].id


def tasks_of(notebook: nbformat.NotebookNode, where: str = "notebook") -> list[Task]:
    """The tasks (check cells) of a solution notebook, in order."""
    tasks = []
    for index, cell in enumerate(notebook.cells):
        if is_check_cell(cell):
            grading = cell.metadata["nbgrader"]
            check_name, function = parse_check(cell.source, f"{where}, cell {index}")
            banned = (*MAY_NOT_CALL.get(check_name, ()), *_declared_bans(cell, f"{where}, cell {index}"))
            tasks.append(Task(str(grading["grade_id"]), float(grading.get("points", 1)), cell.source, check_name,
                              function, tuple(dict.fromkeys(banned))))
    return tasks


def _declared_bans(cell, where: str) -> list[str]:
    """A solution check cell's ``metadata.nfteach.may_not_call``: dotted names (GradingError for anything else)."""
    declared = cell.metadata.get("nfteach", {}).get("may_not_call", []) if isinstance(cell.metadata.get("nfteach"), dict) else []
    if not isinstance(declared, list) or not all(isinstance(n, str) and DOTTED.fullmatch(n) for n in declared):
        raise GradingError(f"{where}: metadata.nfteach.may_not_call must be a list of dotted names such as "
                           f"'nfteach.shapes.box', got {declared!r}")
    return declared


def load_solutions(folder: Path) -> dict[str, list[Task]]:
    """Every solution's tasks by exercise name; GradingError if the folder is missing or holds no solution."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradingError(f"no solutions folder at {folder}: pass --solutions DIR (the folder of solution notebooks)")
    solutions = {}
    for path in sorted(folder.glob("*.ipynb")):
        if NAME.fullmatch(path.stem) and path.is_file() and not path.is_symlink():
            solutions[path.stem] = tasks_of(nbformat.read(path, as_version=4), str(path))
    if not solutions:
        raise GradingError(f"no solution notebooks (*.ipynb) in {folder}: pass --solutions DIR")
    return solutions


def stated_exercise(notebook: nbformat.NotebookNode | None):
    """What ``metadata.nfteach.exercise`` says (None when absent, or when ``metadata.nfteach`` is no mapping)."""
    stated = notebook.get("metadata", {}).get("nfteach") if notebook is not None else None
    return stated.get("exercise") if isinstance(stated, dict) else None


def name_matches(path: Path, names: Iterable[str]) -> list[str]:
    """The solution names a file name contains, leaving out a name contained in another that matches too
    (``01_a`` inside ``01_a_extra``): one entry when the file name says which exercise it is."""
    found = sorted(name for name in set(names) if name in Path(path).stem)
    return [name for name in found if not any(name != other and name in other for other in found)]


def find_solution(path: Path, notebook: nbformat.NotebookNode | None, names: Iterable[str]) -> str | None:
    """The exercise a submission belongs to: its metadata's name if that is a solution, else the one solution name
    its file name contains (None when it contains none, or two that neither contains the other)."""
    names = set(names)
    stated = stated_exercise(notebook)
    if isinstance(stated, str) and NAME.fullmatch(stated) and stated in names:
        return stated
    matches = name_matches(path, names)
    return matches[0] if len(matches) == 1 else None


def discover(paths: Iterable[Path]) -> list[Path]:
    """The submissions: each file given, and each ``*.ipynb`` entry of each folder given (links included, to be
    reported), in order, each file once however often it was named."""
    files, seen = [], set()
    for path in map(Path, paths):
        if path.is_dir():  # a folder you name may be a link; links inside it are reported, not followed
            entries = sorted(p for p in path.iterdir() if p.name.endswith(".ipynb"))
        else:
            entries = [path]
        for entry in entries:
            key = os.path.realpath(entry.parent) + os.sep + entry.name  # the file itself, not a link's target
            if key not in seen:
                seen.add(key)
                files.append(entry)
    return files


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` (1 ≤ i ≤ n) as (i, n)."""
    match = re.fullmatch(r"(\d+)/(\d+)", text or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise GradingError(f"--shard must be i/n with 1 <= i <= n (e.g. 2/4), got {text!r}")
    return int(match[1]), int(match[2])


def shard(files: list[Path], index: int, count: int) -> list[Path]:
    """Shard ``index`` of ``count`` (1-based): every count-th submission in sorted order, the same on any machine."""
    ordered = sorted(files, key=lambda p: (p.name, str(p)))
    return ordered[index - 1::count]


@dataclass
class Submission:
    path: Path
    notebook: nbformat.NotebookNode | None
    tasks: list[Task]
    note: str = ""


def _read(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The notebook at ``path`` (never through a link), or None and why it was not read."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None, "no such file"
    except OSError as error:
        return None, f"cannot read the file: {error.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return None, "a symbolic link: not followed, not graded"
    if not stat.S_ISREG(info.st_mode):
        return None, "not a regular file: not graded"
    if info.st_size > MAX_SUBMISSION_BYTES:
        return None, f"larger than {MAX_SUBMISSION_BYTES // 2**20} MB: not graded"
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            text = handle.read(MAX_SUBMISSION_BYTES + 1).decode("utf-8")
        notebook = nbformat.reads(text, as_version=4)
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot read the file: {error}"
    except Exception as error:  # nbformat raises several types for text that is not a notebook
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return None, f"not a valid notebook (bad JSON?): {first_line[:120]}"
    if not isinstance(notebook.get("cells"), list) or not all(isinstance(c, dict) and "source" in c for c in notebook.cells):
        return None, "not a valid notebook: it has no list of cells"
    if not isinstance(notebook.get("metadata"), dict):
        notebook.metadata = nbformat.NotebookNode()
    for cell in notebook.cells:  # what an editor or a hand may leave: read it as Jupyter would show it
        source = cell.source
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            cell.source = "".join(source)
        elif not isinstance(source, str):
            cell.source = "" if source is None else str(source)
        if not isinstance(cell.get("metadata"), dict):
            cell.metadata = nbformat.NotebookNode()
        if not isinstance(cell.metadata.get("tags", []), list):
            cell.metadata.pop("tags")
    return notebook, ""


def inspect(path: Path, solutions: dict[str, list[Task]], folder: Path) -> Submission:
    """Read a submission and match it to its solution (without running anything)."""
    notebook, problem = _read(path)
    if problem in ("no such file", "a symbolic link: not followed, not graded", "not a regular file: not graded"):
        return Submission(path, None, [], problem)
    name = find_solution(path, notebook, solutions)
    if name is None:
        stated, matches = stated_exercise(notebook), name_matches(path, solutions)
        said = f"metadata.nfteach.exercise = {str(stated)[:60]!r}, " if stated is not None else ""
        if len(matches) > 1:
            return Submission(path, None, [], f"its file name {path.name!r} names {' and '.join(matches)}: rename it, "
                                              "or set metadata.nfteach.exercise; not graded")
        return Submission(path, None, [], f"no solution in {folder} matches it ({said}file name {path.name!r}): not graded")
    return Submission(path, notebook, solutions[name], problem)


