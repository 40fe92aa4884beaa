"""Grading submitted exercise notebooks: each runs in its own sandbox; every verdict is computed here.

A task is a check cell of a *solution* notebook (tag ``nfteach-check``, nbgrader metadata ``grade_id`` and
``points``, source ``check.<check>(<function>)``). Tasks, points and exercise names come from the solutions
folder only; a submission is matched to its solution by ``metadata.nfteach.exercise`` (a validated name) or
by its file name. Each submission runs from a copy in a fresh kernel inside :mod:`.sandbox`; its check cells
are replaced by :func:`.recording.record`, which calls the student's function on the check's inputs and hands
back plain data. The grader then runs its own copy of the check on that data (:func:`.recording.replay`): the
comparison and the hint never run next to the student's code. Rows are written as each submission finishes.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import re
import shutil
import stat
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import nbformat

from nfteach.course import recording, sandbox
from nfteach.course.exercises import CHECK_TAG

MAX_SUBMISSION_BYTES = 50 * 2**20
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""An exercise name: a solution's file name without .ipynb (no '/', no '..')."""


class GradingError(Exception):
    """A mistake in the grader's input found before any grading (a missing folder, a bad option)."""


@dataclass
class Task:
    """One graded task: its nbgrader ``grade_id``, points, check cell source, check and function names."""

    id: str
    points: float
    source: str
    check: str
    function: str


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
        return sum(task.points for task in self.tasks if self.results.get(task.id, Result("")).status == "passed")

    @property
    def out_of(self) -> float:
        return sum(task.points for task in self.tasks)


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
            tasks.append(Task(str(grading["grade_id"]), float(grading.get("points", 1)), cell.source, check_name, function))
    return tasks


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


def find_solution(path: Path, notebook: nbformat.NotebookNode | None, names: Iterable[str]) -> str | None:
    """The exercise a submission belongs to: its metadata's name if that is a solution, else the longest
    solution name its file name contains."""
    names = set(names)
    stated = notebook.metadata.get("nfteach", {}).get("exercise") if notebook is not None else None
    if isinstance(stated, str) and NAME.fullmatch(stated) and stated in names:
        return stated
    matches = [name for name in names if name in Path(path).stem]
    return max(matches, key=len) if matches else None


def discover(paths: Iterable[Path]) -> list[Path]:
    """The submissions: each file given, and each ``*.ipynb`` entry of each folder given (links included, to be
    reported), in order."""
    files = []
    for path in map(Path, paths):
        if path.is_dir():  # a folder you name may be a link; links inside it are reported, not followed
            files += sorted(p for p in path.iterdir() if p.name.endswith(".ipynb"))
        else:
            files.append(path)
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
    return notebook, ""


def inspect(path: Path, solutions: dict[str, list[Task]], folder: Path) -> Submission:
    """Read a submission and match it to its solution (without running anything)."""
    notebook, problem = _read(path)
    if problem in ("no such file", "a symbolic link: not followed, not graded", "not a regular file: not graded"):
        return Submission(path, None, [], problem)
    name = find_solution(path, notebook, solutions)
    if name is None:
        stated = notebook.metadata.get("nfteach", {}).get("exercise") if notebook is not None else None
        said = f"metadata.nfteach.exercise = {str(stated)[:60]!r}, " if stated is not None else ""
        return Submission(path, None, [], f"no solution in {folder} matches it ({said}file name {path.name!r}): not graded")
    return Submission(path, notebook, solutions[name], problem)


PROBE = "__import__('nfteach.course.recording').course.recording.record({check!r}, lambda: {function}, {file!r})"


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


def execute(submission: Submission, settings: Settings, hidden: list[Path]) -> Run:
    """Run a submission in a fresh sandbox and collect its recordings and events (no verdicts here)."""
    notebook = submission.notebook
    cells = _check_cells(notebook, submission.tasks)
    for index, task in cells.items():
        notebook.cells[index].source = PROBE.format(check=task.check, function=task.function, file=f"probe-{index}.npz")
        notebook.cells[index].cell_type = "code"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    workdir = Path(tempfile.mkdtemp(prefix="nfteach-grade-"))
    try:
        nbformat.write(notebook, workdir / "submission.ipynb")
        (workdir / "job.json").write_text(json.dumps({"notebook": "submission.ipynb", "timeout": settings.timeout}))
        runner = str(Path(__file__).with_name("runner.py"))  # run as a script: it needs no torch
        outcome = sandbox.run([sys.executable, runner, str(workdir)], workdir, hidden=hidden,
                              limits=settings.limits, sandbox=settings.use_sandbox)
        recordings: dict[int, tuple[dict, dict] | str] = {}
        for index in cells:
            try:
                recordings[index] = recording.load(workdir / f"probe-{index}.npz")
            except recording.RecordingError as error:
                recordings[index] = str(error)
        return Run(cells, recordings, _events(workdir / "events.jsonl"), outcome)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _events(path: Path) -> list[dict]:
    """The runner's events (written inside the sandbox: read as untrusted text, at most 1 MB)."""
    if path.is_symlink() or not path.is_file():
        return []
    events = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle.read(2**20).splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
    return events


def score(submission: Submission, run: Run, settings: Settings) -> Report:
    """Every task's result, the verdicts computed here from the recordings by the grader's own checks."""
    from nfteach.course import check

    report = Report(str(submission.path), submission.tasks, note=submission.note)
    errors = {e["cell"]: str(e.get("error", ""))[:500] for e in run.events if isinstance(e.get("cell"), int)}
    stops = [e for e in run.events if isinstance(e.get("stopped"), int)]
    stop = stops[0] if stops else None
    ended = any(e.get("end") for e in run.events)
    where = {task.id: index for index, task in run.cells.items()}
    for task in submission.tasks:
        index = where.get(task.id)
        if index is None:
            report.results[task.id] = Result("missing")
            continue
        recorded = run.recordings.get(index)
        if isinstance(recorded, tuple):
            try:
                verdict = recording.replay(getattr(check, task.check), *recorded)
                report.results[task.id] = Result(verdict.status, verdict.detail)
            except Exception as error:  # a malformed recording: the student's loss only
                report.results[task.id] = Result("error", f"unreadable recording ({type(error).__name__})")
        elif index in errors:
            report.results[task.id] = Result("error", errors[index])
        elif stop is not None and index > stop["stopped"]:
            report.results[task.id] = Result("error", f"not run: {str(stop.get('reason', 'the run stopped'))[:300]}")
        elif run.outcome is not None and run.outcome.timed_out:
            report.results[task.id] = Result("error", f"not run: the submission ran past its limit of "
                                                      f"{settings.limits.seconds:g} s and was stopped")
        elif not ended:
            report.results[task.id] = Result("error", "not run: the notebook ended its own grading run "
                                                      f"(exit code {run.outcome.returncode if run.outcome else '?'})")
        else:
            report.results[task.id] = Result("error", f"the check cell ran but reported nothing ({recorded})")
    notes = [report.note] if report.note else []
    if stop is not None:
        notes.append(str(stop.get("reason", ""))[:300])
    if not run.events and run.outcome is not None and not run.outcome.timed_out:
        last = (run.outcome.stderr.strip().splitlines() or ["no message"])[-1]
        notes.append(f"the notebook could not be started (exit code {run.outcome.returncode}): {last[:200]}")
    if run.outcome is not None and run.outcome.timed_out:
        notes.append(f"stopped after the limit of {settings.limits.seconds:g} s per submission")
    if not settings.use_sandbox:
        notes.append("graded without a sandbox")
    report.note = "; ".join(notes)
    return report


def default_jobs(limits: sandbox.Limits) -> int:
    """As many parallel submissions as there are cores and memory for (each may use ``limits.memory``)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        available = next(int(line.split()[1]) * 1024 for line in open("/proc/meminfo") if line.startswith("MemAvailable"))
    except (OSError, StopIteration):
        available = limits.memory
    return max(1, min(cores, available // limits.memory))


def grade(paths: list[Path], solutions: Path = Path("solutions"), settings: Settings | None = None, *,
          shard_of: tuple[int, int] | None = None, out: Path | None = None,
          log: Callable[[str], None] | None = None) -> list[Report]:
    """Grade every submission in ``paths`` (folders: their ``*.ipynb``), each in its own sandbox.

    Raises GradingError before grading anything if the solutions, ``out`` or the sandbox are not usable.
    With ``out`` each row is written to that CSV as soon as its submission is graded.
    """
    settings = settings or Settings()
    known = load_solutions(solutions)
    if out is not None:
        CsvReport.check(Path(out))
    if settings.use_sandbox and sandbox.problem():
        raise GradingError(sandbox.problem())
    files = discover(paths)
    if shard_of is not None:
        files = shard(files, *shard_of)
    submissions = [inspect(path, known, Path(solutions)) for path in files]
    columns = list(dict.fromkeys(task.id for s in submissions for task in s.tasks))
    writer = CsvReport(Path(out), columns) if out is not None else None
    hidden = [Path(solutions), *{p.parent for p in files}, *files, *([Path(out)] if out is not None else [])]
    reports: dict[int, Report] = {}

    def finish(position: int, report: Report) -> None:
        reports[position] = report
        if writer is not None:
            writer.write(report)
        if log is not None:
            log(f"graded {clean(report.submission)}: {report.total:g}/{report.out_of:g} in {report.seconds:.0f} s"
                + (f" ({clean(report.note)})" if report.note else ""))

    try:
        with ThreadPoolExecutor(max_workers=settings.jobs) as pool:
            running = {}
            for position, submission in enumerate(submissions):
                if submission.notebook is None:
                    report = Report(str(submission.path), submission.tasks, note=submission.note)
                    report.results = {t.id: Result("error", "the notebook could not be read (see note)") for t in submission.tasks}
                    finish(position, report)
                else:
                    running[pool.submit(_timed, execute, submission, settings, hidden)] = position
            for future in as_completed(running):
                position, submission = running[future], submissions[running[future]]
                try:
                    run, seconds = future.result()
                    report = score(submission, run, settings)
                    report.seconds = seconds
                except Exception as error:  # one broken submission must not stop the others
                    report = Report(str(submission.path), submission.tasks, note=f"the grader failed: {type(error).__name__}: {error}")
                    report.results = {t.id: Result("error", "not graded (see note)") for t in submission.tasks}
                finish(position, report)
    finally:
        if writer is not None:
            writer.close()
    return [reports[i] for i in sorted(reports)]


def _timed(fn, *args):
    import time

    start = time.perf_counter()
    return fn(*args), time.perf_counter() - start


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text: str) -> str:
    """``text`` without control characters (terminal escape sequences, line breaks)."""
    return _CONTROL.sub(" ", str(text)).strip()


def csv_cell(text: str) -> str:
    """A CSV value a spreadsheet shows as text: control characters removed, a leading = + - @ escaped with '."""
    text = clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


HEAD, TAIL = ["submission"], ["total", "out_of", "note"]


class CsvReport:
    """The CSV report, opened (so a bad path fails) before grading and written a row at a time."""

    def __init__(self, path: Path, columns: list[str]):
        self.check(path)
        try:
            self.handle = open(path, "w", newline="", encoding="utf-8")
        except OSError as error:
            raise GradingError(f"--out {path}: cannot write there ({error.strerror})") from None
        self.columns = columns
        self.writer = csv.writer(self.handle)
        self.writer.writerow([csv_cell(c) for c in HEAD + columns + TAIL])
        self.handle.flush()

    @staticmethod
    def check(path: Path) -> None:
        """GradingError unless a report can be written at ``path`` (checked before any grading)."""
        if path.is_dir():
            raise GradingError(f"--out {path} is a folder: give a file name, e.g. {path / 'grades.csv'}")
        if not path.parent.is_dir():
            raise GradingError(f"--out {path}: the folder {path.parent} does not exist")
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise GradingError(f"--out {path}: you may not write there")

    def write(self, report: Report) -> None:
        cells = [str(report.results[c]) if c in report.results else "" for c in self.columns]
        row = [report.submission, *cells, f"{report.total:g}", f"{report.out_of:g}", report.note]
        self.writer.writerow([csv_cell(value) for value in row])
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def write_csv(reports: list[Report], path: Path) -> None:
    """One row per submission: submission, one column per task, total, out_of, note."""
    writer = CsvReport(Path(path), task_columns(reports))
    for report in reports:
        writer.write(report)
    writer.close()


def merge(paths: list[Path], out: Path) -> int:
    """Join the CSVs of several shards into one (columns united, rows sorted); return the number of rows.

    A submission graded in two shards, or a file that is not a grade report, is a GradingError.
    """
    columns: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    for path in map(Path, paths):
        if not path.is_file():
            raise GradingError(f"merge: no report at {path}")
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            if header[:1] != HEAD or header[-3:] != TAIL:
                raise GradingError(f"merge: {path} is not a report of `nfteach grade` (its header is {header[:4]}…)")
            columns += [c for c in header[1:-3] if c not in columns]
            for values in reader:
                row = dict(zip(header, values))
                if row.get("submission") in rows:
                    raise GradingError(f"merge: {row['submission']} is graded in two reports (the second in {path})")
                rows[row.get("submission", "")] = row
    writer = CsvReport(Path(out), columns)
    for name in sorted(rows):
        writer.writer.writerow([csv_cell(rows[name].get(c, "")) for c in HEAD + columns + TAIL])
    writer.close()
    return len(rows)


def task_columns(reports: list[Report]) -> list[str]:
    """Every task id of every report, in order of first appearance."""
    return list(dict.fromkeys(task.id for report in reports for task in report.tasks))


def table(reports: list[Report], width: int = 40) -> str:
    """A plain-text table of the reports for the terminal, long messages cut to ``width`` characters."""
    columns = task_columns(reports)
    short = lambda text: clean(text) if len(clean(text)) <= width else clean(text)[: width - 1] + "…"
    rows = [["submission", *columns, "total"]]
    for report in reports:
        cells = [short(str(report.results[c])) if c in report.results else "" for c in columns]
        rows.append([clean(Path(report.submission).name), *cells, f"{report.total:g}/{report.out_of:g}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(value.ljust(w) for value, w in zip(row, widths)).rstrip() for row in rows]
    notes = [f"{clean(Path(r.submission).name)}: {clean(r.note)}" for r in reports if r.note]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:], *notes])
