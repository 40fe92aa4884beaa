"""``check.summary()``, the last cell of every exercise: every task's check run again, before hand-in.

It finds the exercise's tasks from the functions the notebook defines (a chapter's checks are named after the
functions they check, and each chapter module's ``__all__`` lists them), runs each check again quietly and says
which are done, which are still to do, and what the grader will score. It never raises: a cell a grader runs
like any other (it scores nothing; the check cells do).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
from dataclasses import dataclass, field

from nfteach.course.check import core

__all__ = ["summary"]

CHAPTERS = ("spectral_bias", "fourier", "siren", "shapes", "neural_sdf", "mrnet")
"""The chapter modules of :mod:`nfteach.course.check`, whose ``__all__`` are the exercises' tasks."""


@dataclass
class Summary:
    """Each task's state: "done", "to do" (a stub or a wrong answer, with its hint) or "missing" (no function)."""

    states: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def done(self) -> list[str]:
        return [task for task, (state, _) in self.states.items() if state == "done"]

    def _ipython_display_(self) -> None:
        """The lines were printed already."""


def _tasks(namespace: dict) -> list[str]:
    """The tasks of the exercise whose functions ``namespace`` defines: the chapters with at least one of them."""
    import importlib

    tasks = []
    for chapter in CHAPTERS:
        names = importlib.import_module(f"nfteach.course.check.{chapter}").__all__
        if any(_own(namespace.get(name)) for name in names):
            tasks += names
    return tasks


def _own(value) -> bool:
    """True for a function the notebook defined (not one imported from the kit)."""
    return callable(value) and not str(getattr(value, "__module__", "") or "").startswith("nfteach")


def summary(namespace: dict | None = None) -> Summary:
    """Run every task's check again and print what is done, what is missing and what would be graded."""
    from nfteach.course import check

    if namespace is None:
        frame = inspect.currentframe()
        namespace = frame.f_back.f_globals if frame is not None and frame.f_back is not None else {}
    result = Summary()
    strict = os.environ.pop("NFTEACH_STRICT", None)  # a summary reports; it never stops the notebook
    try:
        for task in _tasks(namespace):
            fn = namespace.get(task)
            if not _own(fn):
                result.states[task] = ("missing", f"no function named {task}: run its cell (or restore it)")
            elif core._is_stub(fn):
                result.states[task] = ("to do", "not done yet: replace `raise NotImplementedError()` with your code")
            else:
                with contextlib.redirect_stdout(io.StringIO()):
                    verdict = getattr(check, task)(fn)
                result.states[task] = ("done", "") if verdict else ("to do", verdict.detail)
    except Exception as error:  # the summary must not be what breaks a notebook
        result.states["(summary)"] = ("to do", f"the summary stopped: {type(error).__name__}: {error}")
    finally:
        if strict is not None:
            os.environ["NFTEACH_STRICT"] = strict
    _print(result)
    return result


def _print(result: Summary) -> None:
    if not result.states:
        print("check.summary(): this notebook defines none of the exercises' functions yet")
        return
    marks = {"done": "✓", "to do": "✗", "missing": "?"}
    print(f"Before you hand in: {len(result.done)} of {len(result.states)} tasks done")
    for task, (state, detail) in result.states.items():
        print(f"  {marks[state]} {task.replace('_', ' ')}: {'correct' if state == 'done' else state + ': ' + detail}")
    print("What is graded: each task's check cell, with your notebook run from the top in a fresh kernel on new\n"
          "inputs (a task whose check cell was deleted scores 0). Run Kernel → Restart & Run All, then this cell.")
