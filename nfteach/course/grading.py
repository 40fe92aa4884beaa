"""Grading submitted exercise notebooks: run each in a fresh kernel and score its check cells.

A task is a check cell: tag ``nfteach-check`` and nbgrader metadata ``{"grade": true, "grade_id", "points"}``.
The task list comes from the solution notebook the submission was generated from (found by its
``metadata.nfteach.exercise`` or its file name), so a deleted check cell is noticed. Each submission runs
from a temporary copy (the file itself is never written) with a per-cell time limit. Before a check cell
runs its source is reset to the solution's, and after it the grader asks the kernel for the verdict that
:mod:`nfteach.course.check` recorded, in a line marked with a random token: printing "✓" does not pass a task.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from nfteach.course.exercises import CHECK_TAG


@dataclass
class Task:
    """One graded task: its nbgrader ``grade_id``, its points and the source of its check cell."""

    id: str
    points: float
    source: str


@dataclass
class Result:
    """The outcome of one task: ``status`` is "passed", "failed", "error" or "missing"."""

    status: str
    message: str = ""

    def __str__(self) -> str:
        if self.status == "passed":
            return "passed"
        if self.status == "missing":
            return "missing check cell"
        return f"{self.status}: {self.message}"


@dataclass
class Report:
    """The grade of one submission; ``note`` says why a whole notebook could not be run, if it could not."""

    submission: str
    tasks: list[Task]
    results: dict[str, Result] = field(default_factory=dict)
    note: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(task.points for task in self.tasks if self.results[task.id].status == "passed")

    @property
    def out_of(self) -> float:
        return sum(task.points for task in self.tasks)


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and CHECK_TAG in cell.metadata.get("tags", []) and "nbgrader" in cell.metadata


def tasks_of(notebook: nbformat.NotebookNode) -> list[Task]:
    """The tasks (check cells) of a notebook, in order."""
    return [
        Task(cell.metadata["nbgrader"]["grade_id"], float(cell.metadata["nbgrader"].get("points", 1)), cell.source)
        for cell in notebook.cells if is_check_cell(cell)
    ]


def find_solution(path: Path, notebook: nbformat.NotebookNode | None, solutions: Path | None) -> Path | None:
    """The solution a submission belongs to: by its metadata, else the solution whose name its file name contains."""
    if solutions is None or not solutions.is_dir():
        return None
    name = (notebook.metadata.get("nfteach", {}).get("exercise") if notebook is not None else None) or ""
    if (solutions / f"{name}.ipynb").is_file():
        return solutions / f"{name}.ipynb"
    matches = [p for p in sorted(solutions.glob("*.ipynb")) if p.stem in path.stem]
    return max(matches, key=lambda p: len(p.stem)) if matches else None


def _read(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The notebook at ``path``, or None and why it could not be read."""
    try:
        notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot read the file: {error}"
    except Exception as error:  # nbformat raises several types for text that is not a notebook
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return None, f"not a valid notebook (bad JSON?): {first_line[:120]}"
    if not isinstance(notebook.get("cells"), list):
        return None, "not a valid notebook: it has no list of cells"
    return notebook, ""


def grade_notebook(path: Path, solutions: Path | None = Path("solutions"), timeout: int = 120) -> Report:
    """Run the submission at ``path`` in a fresh kernel and score every task; never modifies ``path``."""
    path = Path(path)
    start = time.perf_counter()
    notebook, problem = _read(path)
    solution = find_solution(path, notebook, solutions)
    tasks = tasks_of(nbformat.read(solution, as_version=4)) if solution else (tasks_of(notebook) if notebook else [])
    report = Report(str(path), tasks)
    if notebook is None:
        report.note = problem
        report.results = {task.id: Result("error", "the notebook could not be read (see note)") for task in tasks}
    else:
        if not tasks:
            report.note = "no check cells and no matching solution notebook: nothing to grade"
        report.results = _execute(notebook, tasks, timeout)
    report.seconds = time.perf_counter() - start
    return report


def _execute(notebook: nbformat.NotebookNode, tasks: list[Task], timeout: int) -> dict[str, Result]:
    """Execute a copy of ``notebook`` cell by cell and collect one result per task."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    by_id = {task.id: task for task in tasks}
    results = {task.id: Result("missing") for task in tasks}
    present = {id(cell): cell.metadata["nbgrader"]["grade_id"] for cell in notebook.cells
               if is_check_cell(cell) and cell.metadata["nbgrader"].get("grade_id") in by_id}
    for task in tasks:  # an editor that drops cell metadata keeps the check cell's source: find it by that
        if task.id not in present.values():
            same = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip() == task.source.strip()]
            present.update({id(cell): task.id for cell in same[:1]})
    for cell in notebook.cells:
        if id(cell) in present:
            cell.source = by_id[present[id(cell)]].source  # an edited check cell is put back
    token = secrets.token_hex(8)
    ask = nbformat.v4.new_code_cell(f'print("{token}" + __import__("json").dumps(__import__("nfteach.course.check").course.check.take_verdict()))')
    errors: dict[int, str] = {}

    def on_error(cell, cell_index, execute_reply):
        content = execute_reply["content"]
        ename, evalue = content.get("ename", "Error"), content.get("evalue", "")
        errors[cell_index] = evalue if ename == "Timeout" else f"{ename}: {evalue}".strip()

    with tempfile.TemporaryDirectory(prefix="nfteach-grade-") as folder:
        client = NotebookClient(
            notebook, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
            error_on_timeout={"ename": "Timeout", "evalue": f"cell timed out after {timeout} s", "traceback": []},
            on_cell_error=on_error, resources={"metadata": {"path": folder}},
        )
        env = {**os.environ, "NFTEACH_PROGRESS": "0", "NFTEACH_STRICT": "0", "MPLBACKEND": "agg"}
        try:
            with client.setup_kernel(env=env, cwd=folder):
                cells = list(notebook.cells)
                notebook.cells.append(ask)  # nbclient stores each executed cell back at its index
                for index, cell in enumerate(cells):
                    task = by_id.get(present.get(id(cell)))
                    if task is not None:
                        _verdict(client, ask, token, task, None)  # forget any verdict left by the student's own cells
                    if cell.cell_type == "code":
                        client.execute_cell(cell, index)
                    if task is not None:
                        results[task.id] = _verdict(client, ask, token, task, errors.get(index))
        except DeadKernelError:
            dead = Result("error", "the kernel died (out of memory, or the code exited Python)")
            results.update({task_id: dead for task_id in present.values() if results[task_id].status == "missing"})
    return results


def _verdict(client, ask, token: str, task: Task, cell_error: str | None) -> Result:
    """Ask the kernel for (and clear) the verdict of the check that just ran for ``task``."""
    ask.outputs = []
    client.execute_cell(ask, len(client.nb.cells) - 1, store_history=False)
    for output in ask.outputs:
        for line in output.get("text", "").splitlines():
            if line.startswith(token):
                verdict = json.loads(line[len(token):])
                if verdict is not None and f"check.{verdict['task']}(" in task.source:
                    return Result(verdict["status"], verdict["detail"])
    return Result("error", cell_error or "the check cell ran but no check reported a verdict")


def grade(paths: list[Path], solutions: Path | None = Path("solutions"), timeout: int = 120, log=None) -> list[Report]:
    """Grade every submission in ``paths`` (folders: their ``*.ipynb``), one fresh kernel each."""
    files = []
    for path in map(Path, paths):
        files += sorted(path.glob("*.ipynb")) if path.is_dir() else [path]
    reports = []
    for path in files:
        if not path.is_file():
            reports.append(Report(str(path), [], note="no such file"))
            continue
        try:
            reports.append(grade_notebook(path, solutions, timeout))
        except Exception as error:  # one broken submission must not stop the others
            reports.append(Report(str(path), [], note=f"the grader failed: {type(error).__name__}: {error}"))
        if log is not None:
            report = reports[-1]
            log(f"graded {path}: {report.total:g}/{report.out_of:g} in {report.seconds:.0f} s")
    return reports


def task_columns(reports: list[Report]) -> list[str]:
    """Every task id of every report, in order of first appearance."""
    return list(dict.fromkeys(task.id for report in reports for task in report.tasks))


def write_csv(reports: list[Report], path: Path) -> None:
    """One row per submission: submission, one column per task, total, out_of, note."""
    columns = task_columns(reports)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", *columns, "total", "out_of", "note"])
        for report in reports:
            cells = [str(report.results[c]) if c in report.results else "" for c in columns]
            writer.writerow([report.submission, *cells, f"{report.total:g}", f"{report.out_of:g}", report.note])


def table(reports: list[Report], width: int = 40) -> str:
    """A plain-text table of the reports for the terminal, long messages cut to ``width`` characters."""
    columns = task_columns(reports)
    short = lambda text: text if len(text) <= width else text[: width - 1] + "…"
    rows = [["submission", *columns, "total"]]
    for report in reports:
        cells = [short(str(report.results[c])) if c in report.results else "" for c in columns]
        rows.append([Path(report.submission).name, *cells, f"{report.total:g}/{report.out_of:g}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(value.ljust(w) for value, w in zip(row, widths)).rstrip() for row in rows]
    notes = [f"{Path(r.submission).name}: {r.note}" for r in reports if r.note]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:], *notes])
