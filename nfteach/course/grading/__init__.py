"""Grading submitted exercise notebooks (`nfteach grade`): each runs in its own sandbox; every verdict is computed here.

The pipeline, one module a step: :mod:`.discover` (files → submissions, each matched to its solution's tasks),
:mod:`.run` (a submission's check cells swapped for recording probes, run in :mod:`nfteach.course.sandbox`),
:mod:`.score` (the grader's own checks replayed on what came back) and :mod:`.report` (the CSV, the table);
around them the course's side: :mod:`.roster` (file names → students, the LMS gradebooks), :mod:`.deadlines`
(late penalties), :mod:`.feedback` (a page per student) and :mod:`.projects` (the projects' rubric sheets).
:func:`grade` joins them; rows are written as each submission finishes.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable

from nfteach.course import sandbox
from nfteach.course.grading.discover import (MAX_SUBMISSION_BYTES, NAME, GradingError, Submission, Task, discover,
                                             find_solution, inspect, is_check_cell, load_solutions, parse_check,
                                             parse_shard, shard, tasks_of)
from nfteach.course.grading.report import (CsvReport, clean, csv_cell, merge, read_report, table, task_columns,
                                           write_csv)
from nfteach.course.grading.deadlines import Policy, parse_due, parse_duration
from nfteach.course.grading.roster import Class, Identity, gradebook, latest_per_student, read_roster
from nfteach.course.grading.run import Run, Settings, execute
from nfteach.course.grading.score import Report, Result, score


def default_jobs(limits: sandbox.Limits) -> int:
    """As many parallel submissions as there are cores and memory for (each may use ``limits.memory``)."""
    cores = _cores()
    try:
        available = next(int(line.split()[1]) * 1024 for line in open("/proc/meminfo") if line.startswith("MemAvailable"))
    except (OSError, StopIteration):
        available = limits.memory
    return max(1, min(cores, available // limits.memory))


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def grade(paths: list[Path], solutions: Path = Path("solutions"), settings: Settings | None = None, *,
          shard_of: tuple[int, int] | None = None, out: Path | None = None,
          log: Callable[[str], None] | None = None, people: Class | None = None, policy: Policy | None = None,
          only: set[str] | None = None) -> list[Report]:
    """Grade every submission in ``paths`` (folders: their ``*.ipynb``), each in its own sandbox.

    Raises GradingError before grading anything if the solutions, ``out`` or the sandbox are not usable.
    With ``out`` each row is written to that CSV as soon as its submission is graded; a report there already
    keeps its other rows, and ``log`` is told what each row graded again changed. ``people`` maps files to
    students (the rows are then students: a student's latest file per exercise is graded), ``policy`` applies
    the late rule, ``only`` grades just those students (or files).
    """
    log = log or (lambda line: None)
    settings = settings or Settings()
    known = load_solutions(solutions)
    files = discover(paths)
    if not files:
        raise GradingError(f"no submissions (*.ipynb) in {', '.join(map(str, paths))}: nothing to grade")
    if out is not None:
        CsvReport.check(Path(out), protected=[Path(solutions), *files])
    if settings.use_sandbox and sandbox.problem():
        raise GradingError(sandbox.problem())
    if shard_of is not None:
        files = shard(files, *shard_of)
    hidden = [Path(solutions), *{p.parent for p in files}, *([Path(out)] if out is not None else [])]
    for path in sandbox.exposed(hidden) if settings.use_sandbox and log is not None else []:
        log(f"warning: {clean(path)} lies inside a folder the sandbox shows to every kernel: move it elsewhere")
    if sandbox.memory_cgroups() is not None and log is not None:
        log(f"note: {sandbox.memory_cgroups()}")
    if settings.jobs > _cores() and log is not None:
        log(f"warning: --jobs {settings.jobs} is more than the {_cores()} cores here: the submissions will share them")
    submissions = [inspect(path, known, Path(solutions)) for path in files]
    who = _identify(submissions, people, log) if people is not None else {}
    if who:
        submissions = [s for s in submissions if s.path in who]
    if only:
        submissions = [s for s in submissions if (who[s.path].student if who else None) in only
                       or str(s.path) in only or s.path.name in only]
        if not submissions:
            raise GradingError(f"--only {', '.join(sorted(only))}: no submission is from that student (or file)")
    columns = list(dict.fromkeys(task.id for s in submissions for task in s.tasks))
    key = "student" if people is not None else "submission"
    graded_now = {who[s.path].student if who else str(s.path) for s in submissions}
    writer = (CsvReport(Path(out), columns, keep=graded_now, key=key, deadline=policy is not None)
              if out is not None else None)
    reports: dict[int, Report] = {}
    changed = []

    def finish(position: int, report: Report) -> None:
        identity = who.get(submissions[position].path)
        _describe(report, identity, people, policy)
        reports[position] = report
        change = writer.changes(report) if writer is not None else None
        if writer is not None:
            writer.write(report)
        log(f"graded {clean(report.student or report.submission)}: {report.final:g}/{report.out_of:g} in "
            f"{report.seconds:.0f} s" + (f" ({clean(report.note)})" if report.note else "")
            + (f"; changed: {clean(change)}" if change else "; unchanged" if change == "" else ""))
        if change:
            changed.append(report.student or report.submission)

    pool = ThreadPoolExecutor(max_workers=settings.jobs)
    try:
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
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM through the command: stop now, not after the queue
        pool.shutdown(wait=False, cancel_futures=True)
        sandbox.stop_all()  # the runs in progress end; their threads remove their working folders
        pool.shutdown(wait=True)
        kept = f"; the {len(reports)} rows graded are in {out}" if out is not None else ""
        raise GradingError(f"interrupted after {len(reports)} of {len(submissions)} submissions{kept}") from None
    finally:
        pool.shutdown(wait=True)
        if writer is not None:
            writer.close()
    if writer is not None and writer.previous:
        log(f"{len(changed)} of {len(reports)} rows graded again changed"
            + (f" ({', '.join(map(clean, changed))})" if changed else "") + f"; {writer.kept} other rows kept as they were")
    return [reports[i] for i in sorted(reports)]


def _identify(submissions: list[Submission], people: Class, log: Callable[[str], None]) -> dict[Path, Identity]:
    """Who sent each submission (a student's latest file per exercise only), said in ``log``: unknown senders,
    files set aside, and students of the roster who sent nothing."""
    identities = {s.path: people.identify(s.path) for s in submissions}
    exercise = {s.path: ",".join(t.id for t in s.tasks) for s in submissions}
    keep, aside = latest_per_student(identities, exercise)
    for line in aside:
        log(f"duplicate: {clean(line)}")
    for path, identity in identities.items():
        if identity.problem:
            log(f"unknown student: {clean(path)}: {clean(identity.problem)} (graded as {clean(identity.student)!r})")
    if people.roster is not None:
        sent = {i.student for i in identities.values()}
        missing = [p for p in people.roster if p not in sent]
        if missing:
            log(f"no submission from {len(missing)} of the roster: {', '.join(map(clean, missing[:20]))}"
                + (" …" if len(missing) > 20 else ""))
    return {path: identities[path] for path in keep}


def _describe(report: Report, identity: Identity | None, people: Class | None, policy: Policy | None) -> None:
    """Name the student, and apply the late rule (its reason goes into ``report.late``)."""
    submitted = identity.submitted if identity is not None else None
    if identity is not None:
        report.student = identity.student
        report.submitted = submitted.isoformat() if submitted else ""
        if identity.problem:
            report.note = "; ".join(filter(None, [f"unknown student: {identity.problem}", report.note]))
    if policy is not None and report.out_of:
        person = (people.roster or {}).get(report.student) if people is not None else None
        extension = person.columns.get("extension", "") if person is not None else ""
        report.penalty, report.late = policy.penalty(submitted, extension, bool(identity and identity.late_flag))


def _timed(fn, *args):
    import time

    start = time.perf_counter()
    return fn(*args), time.perf_counter() - start


