"""What a student's function did, as plain data: recorded inside the sandbox, replayed in the grader.

The grader never trusts a verdict computed next to the student's code. Inside the sandbox, :func:`record` runs
the task's check with a :class:`Recorder` in place of the student's function: every call's output (tensors,
numbers, tuples of them), the state its tensor and module arguments were left in, an exception's type and text,
and the random generator's state after the call are written to an ``.npz`` of plain arrays (an index in JSON).
Outside, :func:`replay` loads that file with ``np.load(allow_pickle=False)`` and runs the *grader's own* copy of
the same check with a :class:`Replay` that hands back the recorded outputs: the check's inputs, its comparison
with the kit's implementation and its hint are all computed in the grader's process. A forged recording can
only claim outputs for the grader's inputs, which is what a correct function produces anyway.
"""

from __future__ import annotations

import builtins
import json
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch

MAX_BYTES = 64 * 2**20
"""A recording larger than this is refused unread: its file, and the arrays its members declare, all together."""
_MAX_ITEMS, _MAX_DEPTH, _MAX_TEXT = 64, 4, 500
_DTYPES = {str(d).removeprefix("torch."): d for d in (torch.float16, torch.float32, torch.float64, torch.complex64,
                                                     torch.complex128, torch.uint8, torch.int8, torch.int16,
                                                     torch.int32, torch.int64, torch.bool, torch.bfloat16)}


class RecordingError(Exception):
    """The recording does not match what the check asks of the function (or cannot be read)."""


def _encode(value, arrays: dict[str, np.ndarray], depth: int = 0) -> dict:
    """``value`` as JSON-able data, its arrays added to ``arrays``."""
    if value is None or isinstance(value, (bool, int, float)):
        return {"kind": "plain", "value": value}
    if isinstance(value, str):
        return {"kind": "plain", "value": value[:_MAX_TEXT]}
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        return {"kind": "plain", "value": value.item()} if value.dtype.kind != "c" else _encode(np.asarray(value), arrays, depth)
    if isinstance(value, torch.Tensor):
        tensor = value.detach().cpu().resolve_conj().resolve_neg()
        if tensor.dtype == torch.bfloat16:
            tensor = tensor.float()
        key = f"a{len(arrays)}"
        arrays[key] = tensor.numpy()
        return {"kind": "tensor", "key": key, "dtype": str(value.dtype).removeprefix("torch."),
                "requires_grad": bool(value.requires_grad)}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"kind": "ndarray", "key": key}
    if isinstance(value, (tuple, list)) and depth < _MAX_DEPTH and len(value) <= _MAX_ITEMS:
        return {"kind": type(value).__name__, "items": [_encode(item, arrays, depth + 1) for item in value]}
    if isinstance(value, torch.nn.Module):
        return {"kind": "module", "state": {name: _encode(t, arrays, depth + 1) for name, t in value.state_dict().items()}}
    return {"kind": "other", "type": type(value).__name__[:80]}


def _decode(data: dict, arrays) -> object:
    kind = data["kind"]
    if kind == "plain":
        if data["value"] is not None and not isinstance(data["value"], (bool, int, float, str)):
            raise RecordingError("a plain value of an unexpected type")
        return data["value"]
    if kind in ("tensor", "ndarray"):
        array = np.array(arrays[str(data["key"])])
        if kind == "ndarray":
            return array
        if str(data["dtype"]) not in _DTYPES:
            raise RecordingError(f"a tensor of an unexpected dtype {str(data['dtype'])[:40]!r}")
        tensor = torch.from_numpy(array).to(_DTYPES[str(data["dtype"])])
        if data["requires_grad"] and (tensor.is_floating_point() or tensor.is_complex()):
            tensor.requires_grad_()
        if "reaches_parameters" in data:  # see check.core.reaches_parameters
            tensor.recorded_reaches_parameters = bool(data["reaches_parameters"])
        return tensor
    if kind in ("tuple", "list"):
        items = [_decode(item, arrays) for item in data["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "other":
        return type(str(data["type"]), (), {})()  # an opaque object: its type name is all the check can see
    raise RecordingError(f"unknown kind {kind!r}")


def _exception(info: dict) -> Exception:
    """An exception of the recorded type (a built-in one, or a stand-in of the same name) and message."""
    name, message = str(info["type"])[:80], str(info["message"])[:_MAX_TEXT]
    known = getattr(builtins, name, None)
    if isinstance(known, type) and issubclass(known, Exception):
        try:
            return known(message)
        except TypeError:  # e.g. UnicodeDecodeError takes five arguments
            pass
    base = RuntimeError if "RuntimeError" in info.get("bases", []) else Exception
    return type(name, (base,), {})(message)


class _Tee:
    """A stdout that writes through and keeps the first few thousand characters."""

    def __init__(self, stream):
        self.stream, self.text = stream, ""

    def write(self, text: str) -> int:
        if len(self.text) < _MAX_TEXT * 4:
            self.text += str(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


class Recorder:
    """Stands in for the student's function inside the sandbox: calls it and notes what happened."""

    def __init__(self, fn: Callable):
        self.fn, self.calls, self.arrays = fn, [], {}

    def kit_called(self, name: str) -> None:
        """The check saw the last call run the kit's own implementation ``name`` (see ``check.core.watched``)."""
        self.calls[-1]["kit_call"] = name

    def __call__(self, *args, **kwargs):
        import contextlib
        import sys

        call: dict = {}
        printed = _Tee(sys.stdout)
        try:
            with contextlib.redirect_stdout(printed):  # the student still sees it; the feedback page shows it too
                output = self.fn(*args, **kwargs)
            call["output"] = _encode(output, self.arrays)
            modules = [a for a in [*args, *kwargs.values()] if isinstance(a, torch.nn.Module)]
            if call["output"]["kind"] == "tensor" and modules:  # the grader's copy has no graph: note its answer
                from nfteach.course.check.core import reaches_parameters

                call["output"]["reaches_parameters"] = reaches_parameters(output, modules[0])
            return output
        except Exception as error:  # KeyboardInterrupt (a timed-out cell) passes through unrecorded
            call["raised"] = {"type": type(error).__name__, "message": str(error)[:_MAX_TEXT],
                              "bases": [cls.__name__ for cls in type(error).__mro__]}
            raise
        finally:
            if printed.text:
                call["printed"] = printed.text[:_MAX_TEXT * 4]
            arguments = [*args, *kwargs.values()]
            call["after"] = [_encode(a, self.arrays) if isinstance(a, (torch.Tensor, torch.nn.Module)) else None
                             for a in arguments]
            call["rng"] = _encode(torch.get_rng_state(), self.arrays)
            self.calls.append(call)


def record(check_name: str, get_function: Callable[[], object], path: str, may_not_call: tuple[str, ...] = (),
           draw: int = 0) -> None:
    """Run ``check.<check_name>`` on the student's function (the student sees its line) and save the recording.

    ``may_not_call``: what the task's solution declares the answer may not call, besides the check's own list;
    ``draw``: the grader's number for this run, from which the check draws fresh inputs (0: the usual ones).
    """
    from nfteach.course import check
    from nfteach.course.check import core

    index: dict = {"calls": []}
    arrays: dict[str, np.ndarray] = {}
    try:
        fn = get_function()
    except Exception as error:  # e.g. NameError: the student deleted the function
        index["lookup"] = f"{type(error).__name__}: {error}"[:_MAX_TEXT]
        print(f"✗ {check_name.replace('_', ' ')}: {index['lookup']}")
    else:
        core.also_may_not_call = tuple(may_not_call)
        try:
            with core.fresh_inputs(draw):
                if callable(fn):
                    recorder = Recorder(fn)
                    getattr(check, check_name)(recorder)
                    index["calls"], arrays = recorder.calls, recorder.arrays
                else:
                    index["not_callable"] = type(fn).__name__[:80]
                    getattr(check, check_name)(fn)
        finally:
            core.also_may_not_call = ()
    np.savez(path, index=np.array(json.dumps(index)), **arrays)


def load(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """A recording's index and arrays, read as plain data (no pickles); RecordingError if it is not one."""
    if path.is_symlink() or not path.is_file():
        raise RecordingError("no recording")
    if path.stat().st_size > MAX_BYTES:
        raise RecordingError(f"the recording is larger than {MAX_BYTES // 2**20} MB")
    _check_members(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
        index = json.loads(str(arrays.pop("index")))
    except Exception as error:
        raise RecordingError(f"unreadable recording ({type(error).__name__})") from None
    if not isinstance(index, dict) or not isinstance(index.get("calls", []), list):
        raise RecordingError("unreadable recording (bad index)")
    return index, arrays


def _check_members(path: Path) -> None:
    """Refuse, before inflating anything, an archive that is not what :func:`np.savez` writes: members stored (not
    compressed: a zip bomb of deflated zeros grows a thousandfold) whose arrays declare at most ``MAX_BYTES``."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if any(member.compress_type != zipfile.ZIP_STORED for member in members):
                raise RecordingError("the recording has compressed members (a recording stores its arrays as they are)")
            declared = 0
            for member in members:
                with archive.open(member) as handle:
                    version = np.lib.format.read_magic(handle)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(handle)
                declared += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    except RecordingError:
        raise
    except Exception as error:
        raise RecordingError(f"unreadable recording ({type(error).__name__})") from None
    if declared > MAX_BYTES or sum(member.file_size for member in members) > MAX_BYTES:
        raise RecordingError(f"the recording's arrays are larger than {MAX_BYTES // 2**20} MB")


class Replay:
    """Stands in for the student's function in the grader: returns what it returned in the sandbox, in order."""

    def __init__(self, calls: list[dict], arrays: dict[str, np.ndarray], may_not_call: tuple[str, ...] = ()):
        self.calls, self.arrays, self.next, self.may_not_call = calls, arrays, 0, may_not_call

    def __call__(self, *args, **kwargs):
        if self.next >= len(self.calls):
            raise RecordingError("the check called the function more often than the sandbox recorded")
        call, self.next = self.calls[self.next], self.next + 1
        arguments = [*args, *kwargs.values()]
        after = call.get("after", [])
        if len(after) != len(arguments):
            raise RecordingError("the recorded call has a different number of arguments")
        for argument, state in zip(arguments, after):
            if state is not None:
                self._restore(argument, state)
        if "rng" in call:
            torch.set_rng_state(_decode(call["rng"], self.arrays).to(torch.uint8))
        if "kit_call" in call:  # named from the task's own list only: the recording is untrusted text
            from nfteach.course.check.core import WATCH, KitCall

            named = call["kit_call"] if call["kit_call"] in (*self.may_not_call, WATCH) else "the kit's implementation"
            raise KitCall(named)
        if "raised" in call:
            raise _exception(call["raised"])
        return _decode(call["output"], self.arrays)

    def _restore(self, argument, state: dict) -> None:
        """Leave a tensor or module argument as the student's function left it (in-place changes)."""
        with torch.no_grad():
            if isinstance(argument, torch.Tensor) and state["kind"] == "tensor":
                value = _decode({**state, "requires_grad": False}, self.arrays)
                if value.shape != argument.shape:
                    raise RecordingError(f"an argument changed shape to {list(value.shape)}")
                argument.copy_(value)
            elif isinstance(argument, torch.nn.Module) and state["kind"] == "module":
                loaded = {name: _decode({**s, "requires_grad": False}, self.arrays) for name, s in state["state"].items()}
                try:
                    argument.load_state_dict(loaded)
                except RuntimeError as error:
                    raise RecordingError(f"the module argument changed: {str(error).splitlines()[0]}") from None
            else:
                raise RecordingError("a recorded argument has another type")


def replay(check_fn: Callable, index: dict, arrays: dict[str, np.ndarray], may_not_call: tuple[str, ...] = (),
           draw: int = 0):
    """The check's :class:`~nfteach.course.check.core.Verdict`, computed here from the recording alone.

    ``may_not_call``: every name the task forbids (the check's and the solution's), to name a recorded kit call;
    ``draw``: the number the recording was made with (the same fresh inputs).
    """
    import contextlib
    import io

    from nfteach.course.check import core

    if "lookup" in index:
        return core.Verdict(check_fn.__name__, "error", str(index["lookup"])[:_MAX_TEXT])
    stand_in = type(str(index["not_callable"])[:80], (), {})() if "not_callable" in index else Replay(index["calls"], arrays, may_not_call)
    state = torch.get_rng_state()
    try:
        with contextlib.redirect_stdout(io.StringIO()), core.fresh_inputs(draw):
            check_fn(stand_in)
    except AssertionError:  # NFTEACH_STRICT=1 in the grader's environment: the verdict is kept all the same
        pass
    finally:
        torch.set_rng_state(state)
    return core.Verdict(**core.take_verdict())
