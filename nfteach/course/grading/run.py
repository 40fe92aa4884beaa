"""One submission in its sandbox: the check cells swapped for recording probes, the run, what came back.

Each submission runs from a copy in a fresh kernel inside :mod:`nfteach.course.sandbox`; its check cells are
replaced by :func:`nfteach.course.recording.record`, which calls the student's function on the check's inputs and
hands back plain data. Nothing here decides a grade (see :mod:`.score`).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

import nbformat

from nfteach.course import recording, sandbox
from nfteach.course.grading.discover import GradingError, Submission, Task, is_check_cell


T = TypeVar("T")

MIN_MEMORY = 2**30
"""The least memory a graded run may be given: below it the kernel cannot start, and the student would be blamed."""


@dataclass
class Settings:
    """How to grade: per-cell timeout, limits per submission, parallel jobs, sandbox or not."""

    timeout: int = 120
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    jobs: int = 1
    use_sandbox: bool = True

    def __post_init__(self):
        if isinstance(self.timeout, bool) or not isinstance(self.timeout, int) or self.timeout <= 0:
            raise GradingError(f"--timeout must be a whole number of seconds > 0, got {self.timeout!r}")
        if self.jobs < 1:
            raise GradingError(f"--jobs must be at least 1, got {self.jobs}")
        if not self.limits.seconds > 0:
            raise GradingError(f"--time-limit must be > 0 seconds, got {self.limits.seconds}")
        if self.limits.memory < MIN_MEMORY:
            raise GradingError(f"--memory must be at least {MIN_MEMORY / 2**30:g} GiB (a kernel with PyTorch needs about "
                               f"that much before any student code runs), got {self.limits.memory / 2**30:g}")


PROBE = ("__import__('nfteach.course.recording').course.recording.record({check!r}, lambda: {function}, {file!r}, "
         "{may_not_call!r}, {draw})")


def _check_cells(notebook: nbformat.NotebookNode, tasks: list[Task]) -> dict[int, Task]:
    """Which cell (by index) is each task's check cell: by its grade_id, else by its unchanged source."""
    by_id = {task.id: task for task in tasks}
    found = {index: by_id[cell.metadata["nbgrader"].get("grade_id")] for index, cell in enumerate(notebook.cells)
             if is_check_cell(cell) and cell.metadata["nbgrader"].get("grade_id") in by_id}
    for task in tasks:  # an editor that drops cell metadata keeps the check cell's source: find it by that
        if task not in found.values():
            same = [i for i, cell in enumerate(notebook.cells) if i not in found and cell.cell_type == "code"
                    and str(cell.source).strip() == task.source.strip()]
            found.update({i: task for i in same[:1]})
    return found


@dataclass
class Run:
    """What came back from one sandboxed run, as plain data."""

    cells: dict[int, Task]
    recordings: dict[int, tuple[dict, dict] | str]
    events: list[dict]
    outcome: sandbox.Outcome | None = None
    draw: int = 0
    """The number the check inputs of this run were drawn from (the replay draws the same)."""


def execute(submission: Submission, settings: Settings, hidden: list[Path]) -> Run:
    """Run a submission in a fresh sandbox and collect its recordings and events (no verdicts here)."""
    notebook = submission.notebook
    cells = _check_cells(notebook, submission.tasks)
    draw = 1 + secrets.randbelow(2**31 - 1)  # fresh check inputs for this run: memorised answers do not pass
    for index, task in cells.items():
        notebook.cells[index].source = PROBE.format(check=task.check, function=task.function, file=f"probe-{index}.npz",
                                                  may_not_call=task.may_not_call, draw=draw)
        notebook.cells[index].cell_type = "code"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    def collect(workdir: Path) -> dict[int, tuple[dict, dict] | str]:
        recordings: dict[int, tuple[dict, dict] | str] = {}
        for index in cells:
            try:
                recordings[index] = recording.load(workdir / f"probe-{index}.npz")
            except recording.RecordingError as error:
                recordings[index] = str(error)
        return recordings

    outcome, events, recordings = in_sandbox(notebook, "runner.py", settings, hidden, collect)
    return Run(cells, recordings, events, outcome, draw)


def in_sandbox(notebook: nbformat.NotebookNode, runner: str, settings: Settings, hidden: list[Path],
               collect: Callable[[Path], T]) -> tuple[sandbox.Outcome, list[dict], T]:
    """Run ``notebook`` with the script ``runner`` (beside this package: it needs no torch) in a fresh working
    folder in the sandbox; return the outcome, the runner's events (from a pipe the kernel cannot write) and what
    ``collect`` read from the folder before it was removed."""
    workdir = Path(tempfile.mkdtemp(prefix="nfteach-grade-"))
    read_end, write_end = os.pipe()
    events: list[dict] = []
    reader = threading.Thread(target=_read_events, args=(read_end, events), daemon=True)
    reader.start()
    try:
        nbformat.write(notebook, workdir / "submission.ipynb")
        (workdir / "job.json").write_text(json.dumps({"notebook": "submission.ipynb", "timeout": settings.timeout}))
        script = str(Path(__file__).parents[1] / runner)
        outcome = sandbox.run([sys.executable, script, str(workdir), str(write_end)], workdir, hidden=hidden,
                              limits=settings.limits, sandbox=settings.use_sandbox, pass_fds=(write_end,))
        os.close(write_end)
        write_end = -1
        reader.join()  # every writer is gone with the run: the pipe is at its end
        return outcome, events, collect(workdir)
    finally:
        if write_end >= 0:
            os.close(write_end)
        reader.join(timeout=5)
        sandbox.remove(workdir)


EVENTS_BYTES = 2**20
"""The most of the runner's events read (the rest is drained and dropped)."""


def _read_events(descriptor: int, events: list[dict]) -> None:
    """Read the runner's JSON lines from the pipe until every writer closed it (at most ``EVENTS_BYTES`` kept)."""
    data = bytearray()
    with os.fdopen(descriptor, "rb") as pipe:
        for chunk in iter(lambda: pipe.read(65536), b""):
            data += chunk[:max(0, EVENTS_BYTES - len(data))]
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
