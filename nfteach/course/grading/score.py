"""The verdicts: every task's result, computed in the grader by its own checks from a run's recordings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nfteach.course import recording
from nfteach.course.check.core import KitCall
from nfteach.course.grading.kitcalls import forbidden_use
from nfteach.course.grading.discover import Submission, Task
from nfteach.course.grading.run import Run, Settings


@dataclass
class Result:
    """The outcome of one task: ``status`` is "passed", "failed", "error" or "missing"."""

    status: str
    message: str = ""
    printed: str = ""
    """What the student's function printed while the check ran (the sandbox's text: untrusted, shown escaped)."""

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
    student: str = ""
    submitted: str = ""
    """When it was handed in (ISO 8601), if known; ``late`` says what the deadline made of it."""
    late: str = ""
    penalty: float = 0.0
    """The fraction of the raw score the late rule takes off (0 to 1)."""

    @property
    def total(self) -> float:
        """The raw score: the points of every task passed."""
        return sum(task.points for task in self.tasks if self.results.get(task.id, Result("")).status == "passed")

    @property
    def final(self) -> float:
        """The score after the late penalty."""
        return round(self.total * (1 - self.penalty), 4)

    @property
    def out_of(self) -> float:
        return sum(task.points for task in self.tasks)


STOPS = (re.compile(r"the kernel ignored the interrupt after cell \d+ timed out and was stopped"),
          re.compile(r"the kernel died \(out of memory, or the code exited Python\)"))
"""What the runner may say about a stopped run. Its events come on a pipe the kernel cannot write (see
:mod:`nfteach.course.runner`); a note in any other words is still not repeated, should the runner be subverted."""


RECOVERIES = {"woken": "woken from a lost request", "resent": "sent a lost request again",
              "reply-lost": "rebuilt a lost reply", "restarted": "restarted and reran"}
"""What :class:`nfteach.course.execute.RecoveringClient` may have done (a fixed vocabulary, as for ``STOPS``)."""


def recovery_note(events: list[dict]) -> str:
    """One note for the kernel stalls the runner recovered from (ipykernel#1554): the student is not charged."""
    done = [f"cell {e['recovered']}: {RECOVERIES[e.get('action')]}" for e in events
            if isinstance(e.get("recovered"), int) and e.get("action") in RECOVERIES]
    return ("the kernel lost a message and the runner recovered (" + "; ".join(done[:5]) +
            "); the time it took was not the submission's fault") if done else ""


def printed_by(index: dict, limit: int = 2000) -> str:
    """What the student's function printed in the recorded calls (text from the sandbox, at most ``limit``)."""
    calls = index.get("calls") if isinstance(index, dict) else None
    text = "".join(str(c.get("printed", ""))[:limit] for c in calls if isinstance(c, dict)) if isinstance(calls, list) else ""
    return text if len(text) <= limit else text[:limit] + "…"


def stop_reason(stop: dict) -> str:
    reason = str(stop.get("reason", ""))
    return reason if any(pattern.fullmatch(reason) for pattern in STOPS) else "the run stopped"


def score(submission: Submission, run: Run, settings: Settings) -> Report:
    """Every task's result, the verdicts computed here from the recordings by the grader's own checks."""
    from nfteach.course import check

    report = Report(str(submission.path), submission.tasks, note=submission.note)
    errors = {e["cell"]: str(e.get("error", ""))[:500] for e in run.events if isinstance(e.get("cell"), int)}
    stops = [e for e in run.events if isinstance(e.get("stopped"), int)]
    stop = stops[0] if stops else None
    ended = any(e.get("end") for e in run.events)
    where = {task.id: index for index, task in run.cells.items()}
    kit_calls: list[str] = []
    for task in submission.tasks:
        index = where.get(task.id)
        if index is None:
            report.results[task.id] = Result("missing")
            continue
        recorded = run.recordings.get(index)
        banned = forbidden_use([c.source for c in submission.notebook.cells[:index] if c.cell_type == "code"],
                               task.function, task.may_not_call) if submission.notebook is not None else None
        if banned is not None:
            report.results[task.id] = Result("failed", str(KitCall(banned)))
            kit_calls.append(f"{task.id} uses {banned.split(' (')[0]}")
        elif isinstance(recorded, tuple):
            try:
                verdict = recording.replay(getattr(check, task.check), *recorded, may_not_call=task.may_not_call,
                                           draw=run.draw)
                report.results[task.id] = Result(verdict.status, verdict.detail, printed_by(recorded[0]))
            except Exception as error:  # a malformed recording: the student's loss only
                report.results[task.id] = Result("error", f"unreadable recording ({type(error).__name__})")
        elif index in errors:
            report.results[task.id] = Result("error", errors[index])
        elif stop is not None and index > stop["stopped"]:
            report.results[task.id] = Result("error", f"not run: {stop_reason(stop)}")
        elif run.outcome is not None and run.outcome.timed_out:
            report.results[task.id] = Result("error", f"not run: the submission ran past its limit of "
                                                      f"{settings.limits.seconds:g} s and was stopped")
        elif not ended:
            report.results[task.id] = Result("error", "not run: the notebook ended its own grading run "
                                                      f"(exit code {run.outcome.returncode if run.outcome else '?'})")
        else:
            report.results[task.id] = Result("error", f"the check cell ran but reported nothing ({recorded})")
    notes = [report.note] if report.note else []
    if kit_calls:
        notes.append("scored 0 for calling the kit's own implementation: " + ", ".join(kit_calls))
    if stop is not None:
        notes.append(stop_reason(stop))
    if recovery_note(run.events):
        notes.append(recovery_note(run.events))
    if not run.events and run.outcome is not None and not run.outcome.timed_out:
        last = (run.outcome.stderr.strip().splitlines() or ["no message"])[-1]
        notes.append(f"the notebook could not be started (exit code {run.outcome.returncode}): {last[:200]}")
    if run.outcome is not None and run.outcome.timed_out:
        notes.append(f"stopped after the limit of {settings.limits.seconds:g} s per submission")
    if not settings.use_sandbox:
        notes.append("graded without a sandbox")
    report.note = "; ".join(notes)
    return report


