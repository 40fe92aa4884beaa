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

import contextlib
import importlib
import inspect
import os
import sys
import types
from dataclasses import asdict, dataclass
from typing import Callable, Iterable, Iterator

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


class KitCall(Hint):
    """The answer called the kit's own implementation of what the task asks the student to write."""

    def __init__(self, name: str):
        super().__init__(f"your answer switched off the check's watch on what it calls ({name}): not accepted"
                         if name == WATCH else f"this task asks you to write it yourself; you called {name}")
        self.name = name


WATCH = "sys.setprofile"


MAY_NOT_CALL: dict[str, tuple[str, ...]] = {}
"""For each check, the dotted names of what an answer may not call (the kit's reference implementation)."""
also_may_not_call: tuple[str, ...] = ()
"""More such names for the check running now: what the task's solution declares (set by the grader's probe)."""


def may_not_call(*names: str) -> Callable[[Callable], Callable]:
    """Declare, on a check, what the student's function may not call (see :func:`watched`)."""

    def declare(check: Callable) -> Callable:
        MAY_NOT_CALL[check.__name__] = names
        return check

    return declare


def resolve(dotted: str, import_modules: bool = True):
    """The object a dotted name such as ``nfteach.shapes.box`` names (its longest importable module prefix, then
    attributes), or None where there is none; with ``import_modules=False`` only among modules already imported."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if not import_modules and module not in sys.modules:
            continue
        try:
            value = importlib.import_module(module)
        except ImportError:
            continue
        for attribute in parts[cut:]:  # without imports: a module's own names only (no lazy-loading __getattr__)
            lookup = vars(value).get if not import_modules and isinstance(value, types.ModuleType) else None
            value = lookup(attribute) if lookup else getattr(value, attribute, None)
        return value
    return None


def _codes(value) -> list[types.CodeType]:
    """The code objects that run when ``value`` (a function, or a class through its methods) is used, nested
    functions and lambdas included."""
    value = inspect.unwrap(value) if callable(value) else value
    if isinstance(value, type):
        return [code for member in vars(value).values()
                for code in _codes(getattr(member, "__func__", getattr(member, "fget", member)))]
    code = getattr(value, "__code__", None)
    if not isinstance(code, types.CodeType):
        return []
    found, pending = [], [code]
    while pending:
        code = pending.pop()
        found.append(code)
        pending += [const for const in code.co_consts if isinstance(const, types.CodeType)]
    return found


def watched(fn: Callable, names: Iterable[str]) -> Callable:
    """``fn``, wrapped so that a call which runs any of ``names`` (through any alias) raises :class:`KitCall`.

    A profiler (``sys.setprofile``) watches the call and sees every Python function that runs inside it by its
    code, whatever name the answer reached it by. An answer that switches the profiler off fails the same way.
    """
    # Only what is imported already (no check waits for scikit-image to load); an answer that imports a banned
    # module itself is found in its source by the grader (nfteach.course.grading.kitcalls).
    try:
        codes = {code: name for name in names for code in _codes(resolve(name, import_modules=False))}
    except Exception:  # the watch is a courtesy: the grader reads the source all the same
        codes = {}
    if not codes:
        return fn

    def call(*args, **kwargs):
        seen: list[str] = []

        def watch(frame, event, arg):
            if event == "call" and frame.f_code in codes and not seen:
                seen.append(codes[frame.f_code])

        previous = sys.getprofile()
        sys.setprofile(watch)
        try:
            output = fn(*args, **kwargs)
        finally:
            intact = sys.getprofile() is watch
            sys.setprofile(previous)
        if not intact:
            seen.append(WATCH)
        if seen:
            getattr(fn, "kit_called", lambda name: None)(seen[0])  # the recorder notes it for the grader
            raise KitCall(seen[0])
        return output

    return call


def run(task: str, test: Callable[[Callable], None], fn) -> Verdict:
    global _last
    try:
        if not callable(fn):
            raise Hint(f"pass your function itself, e.g. check.{task}(my_function); got {type(fn).__name__}")
        test(watched(fn, (*MAY_NOT_CALL.get(task, ()), *also_may_not_call)))
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


_draw = 0
"""0 in a notebook; in the grader, a number drawn afresh for each run (see :func:`fresh_inputs`)."""


def inputs_seed(base: int) -> int:
    """The seed of a check's inputs: ``base`` in a notebook (the same inputs every time), mixed in the grader with
    the number drawn for the run, so that a table of memorised answers for the usual inputs does not pass."""
    return base if not _draw else (base * 1_000_003 + _draw) % 2**31


def drawn() -> bool:
    """True while a check runs on inputs drawn for this run (the grader's); False in a notebook."""
    return _draw != 0


@contextlib.contextmanager
def fresh_inputs(draw: int) -> Iterator[None]:
    """Run the checks inside on inputs drawn from ``draw`` (≠ 0); the grader and its sandbox use the same number."""
    global _draw
    previous, _draw = _draw, int(draw)
    try:
        yield
    finally:
        _draw = previous


def tensor(value, what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Hint(f"{what} should return a torch.Tensor, got {type(value).__name__}")
    if value.is_complex():
        raise Hint(f"{what} returned complex numbers: take their magnitude with .abs()")
    finite(value, what)
    return value.detach().double().cpu()


def finite(value: torch.Tensor, what: str) -> None:
    """A Hint unless every value is finite: NaN compares False with everything, so each check asks this first."""
    if not bool(torch.isfinite(value.detach()).all()):
        raise Hint(f"{what} gave NaN or infinite values: look for a division by zero or a log of 0")


def state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A copy of a module's parameters and buffers, to tell afterwards whether an answer changed them."""
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def unchanged(module: torch.nn.Module, before: dict[str, torch.Tensor], what: str) -> None:
    """A Hint if the answer changed the module the check handed it (the expected value was computed before)."""
    after = module.state_dict()
    if after.keys() != before.keys() or not all(torch.equal(after[name].detach(), before[name]) for name in before):
        raise Hint(f"your function changed the {what} it was given (its parameters): compute with it, leave it as it was")


def reaches_parameters(output: torch.Tensor, module: torch.nn.Module) -> bool:
    """True when ``output``'s autograd graph leads back to ``module``'s parameters (a gradient computed by
    autograd with ``create_graph=True`` does; finite differences with ``requires_grad_()`` do not).

    In the grader the output is a recorded copy: the sandbox noted the answer to this question beside it.
    """
    recorded = getattr(output, "recorded_reaches_parameters", None)
    if recorded is not None:
        return bool(recorded)
    parameters = [p for p in module.parameters() if p.requires_grad]
    if not isinstance(output, torch.Tensor) or output.grad_fn is None or not parameters:
        return False
    grads = torch.autograd.grad(output.sum(), parameters, allow_unused=True, retain_graph=True)
    return any(g is not None for g in grads)


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
    r"""First line of a cell that uses the student's functions: if one is still the exercise's stub
    (``raise NotImplementedError()``), stop the cell with one line naming it, instead of a traceback here
    and knock-on ``NameError``\ s and empty plots in the cells below."""
    missing = [task.__name__ for task in tasks if _is_stub(task)]
    if missing:
        raise TaskNotDone(f"not yet: this cell needs {', '.join(missing)}: finish {'that task' if len(missing) == 1 else 'those tasks'} "
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
