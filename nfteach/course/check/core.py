"""The machinery of the inline checks: a :class:`Verdict`, the :class:`Hint` a wrong answer raises, :func:`run`,
and the comparisons every chapter's checks share (each chapter's checks live in their own module beside this one).

Each check runs the student's function on small inputs and compares it numerically with the kit's own
implementation (``nfteach.encodings``, ``nfteach.spectral``, …); it never prints the reference code.
A check returns a :class:`Verdict` (truthy when passed). :mod:`nfteach.course.grading` never trusts a verdict
made in the student's kernel: it runs the same check again in its own process on the outputs recorded there.
With the environment variable
``NFTEACH_STRICT=1`` (e.g. under nbgrader's autograder) a failed check raises ``AssertionError``.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import asdict, dataclass
from typing import Callable

import torch



@dataclass
class Verdict:
    """The outcome of one check: ``status`` is "passed", "failed" (wrong answer) or "error" (it raised)."""

    task: str
    status: str
    detail: str = ""

    @property
    def message(self) -> str:
        name = self.task.replace("_", " ")
        return f"✓ {name}: correct" if self else f"✗ {name}: {self.detail}"

    def __bool__(self) -> bool:
        return self.status == "passed"

    def __repr__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        """The check already printed its line; show nothing more as the cell's value."""


_last: Verdict | None = None


def take_verdict() -> dict | None:
    """The last check's verdict as a dict (then forget it); used by the grader inside the kernel."""
    global _last
    verdict, _last = _last, None
    return None if verdict is None else asdict(verdict)


class Hint(Exception):
    """A wrong answer; the message tells the student what to look at."""


def run(task: str, test: Callable[[Callable], None], fn) -> Verdict:
    global _last
    try:
        if not callable(fn):
            raise Hint(f"pass your function itself, e.g. check.{task}(my_function); got {type(fn).__name__}")
        test(fn)
        verdict = Verdict(task, "passed")
    except Hint as hint:
        verdict = Verdict(task, "failed", str(hint))
    except NotImplementedError:
        verdict = Verdict(task, "failed", "not done yet: replace `raise NotImplementedError()` with your code")
    except Exception as error:  # the student's code raised: report it, never crash the notebook
        verdict = Verdict(task, "error", f"your function raised {type(error).__name__}: {error}")
    _last = verdict
    print(verdict.message)
    if not verdict and os.environ.get("NFTEACH_STRICT") == "1":
        raise AssertionError(verdict.message)
    return verdict


def tensor(value, what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Hint(f"{what} should return a torch.Tensor, got {type(value).__name__}")
    if value.is_complex():
        raise Hint(f"{what} returned complex numbers: take their magnitude with .abs()")
    return value.detach().double().cpu()


def expect_shape(got: torch.Tensor, expected: torch.Tensor, hint: str = "") -> None:
    if got.shape != expected.shape:
        shown = lambda s: "(N, " + ", ".join(map(str, s[1:])) + ")" if len(s) == 2 and s[0] == expected.shape[0] else tuple(s)
        raise Hint(f"expected shape {shown(expected.shape)}, got {shown(got.shape)}" + (f": {hint}" if hint else ""))


def close(got: torch.Tensor, expected: torch.Tensor, tol: float = 1e-4) -> bool:
    return got.shape == expected.shape and bool(torch.allclose(got, expected.double(), atol=tol, rtol=tol))


def ratio(got: torch.Tensor, expected: torch.Tensor) -> float:
    """The scalar c with got ≈ c · expected (least squares)."""
    expected = expected.double()
    return float((got * expected).sum() / (expected * expected).sum().clamp_min(1e-30))


def call(fn, *args, hints: dict[str, str]):
    """``fn(*args)``; a RuntimeError whose text contains a key of ``hints`` becomes that hint ({error} = its text)."""
    try:
        return fn(*args)
    except RuntimeError as error:
        hint = next((hint for key, hint in hints.items() if key in str(error)), None)
        if hint is None:
            raise
        raise Hint(hint.format(error=error)) from None


class TaskNotDone(Exception):
    """A cell needs a task that is still the exercise's stub (shown as one line in a notebook, see :func:`needs`)."""


def needs(*tasks: Callable) -> None:
    """First line of a cell that uses the student's functions: if one is still the exercise's stub
    (``raise NotImplementedError()``), stop the cell with one line naming it, instead of a traceback here
    and knock-on ``NameError``\ s and empty plots in the cells below."""
    missing = [task.__name__ for task in tasks if _is_stub(task)]
    if missing:
        raise TaskNotDone(f"⏸ this cell needs {', '.join(missing)}: finish {'that task' if len(missing) == 1 else 'those tasks'} "
                          "above, then run this cell again")


def _is_stub(task: Callable) -> bool:
    try:
        source = inspect.getsource(task)
    except (OSError, TypeError):  # no source to read: assume it is written
        return False
    return "raise NotImplementedError()" in source


def _one_line(shell, etype, value, tb, tb_offset=None) -> list[str]:
    shell._showtraceback(etype, value, [str(value)])  # the cell's whole error output: no traceback
    return [str(value)]


def _show_unfinished_tasks_in_one_line() -> None:
    """In IPython, show a :class:`TaskNotDone` as its message alone (the cell still counts as failed)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((TaskNotDone,), _one_line)


_show_unfinished_tasks_in_one_line()
