"""Inside the sandbox: run one prepared submission cell by cell and note what happened (run as a script).

Reads ``job.json`` from the given folder (the notebook's file name, the per-cell timeout), executes the
notebook in a fresh kernel and writes one JSON line per event to the pipe the grader handed it (its file
descriptor is the second argument): a cell's error, a cell that timed out, a kernel that ignored the interrupt (it
is killed: the rest is not run), a kernel that died, the end. The kernel cannot write to that pipe: it is not
inherited, and the runner makes itself undumpable, so its ``/proc/<pid>/fd`` is closed to the kernel's user.
The check cells were already replaced by the grader with calls to :func:`nfteach.course.recording.record`.
Nothing here decides a grade: the grader reads these files as untrusted data.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat

GRACE = 10
"""Seconds a kernel has at most to answer after a timed-out cell was interrupted, before it is killed."""


def _undumpable() -> None:
    """prctl(PR_SET_DUMPABLE, 0): processes of the same user may no longer open this one's descriptors or ptrace it."""
    import ctypes

    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # 4 = PR_SET_DUMPABLE


def main(folder: Path, events_fd: int) -> None:
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if __package__:
        from nfteach.course.execute import RecoveringClient
    else:  # run as a script, as the grader does: the module beside this file, without nfteach's torch import
        from execute import RecoveringClient

    job = json.loads((folder / "job.json").read_text())
    notebook = nbformat.read(folder / job["notebook"], as_version=4)
    timeout = int(job["timeout"])
    _undumpable()
    os.set_inheritable(events_fd, False)  # the kernel (a child) does not get it
    events = os.fdopen(events_fd, "w", encoding="utf-8")

    def note(**event) -> None:
        events.write(json.dumps(event) + "\n")
        events.flush()

    errors: dict[int, str] = {}

    def on_error(cell, cell_index, execute_reply):
        content = execute_reply["content"]
        ename, evalue = content.get("ename", "Error"), content.get("evalue", "")
        errors[cell_index] = evalue if ename == "Timeout" else f"{ename}: {evalue}".strip()

    client = RecoveringClient(  # a lost request or reply is recovered and noted, not charged as a timeout
        notebook, timeout=timeout, kernel_name="python3", allow_errors=True, interrupt_on_timeout=True,
        error_on_timeout={"ename": "Timeout", "evalue": f"cell timed out after {timeout} s", "traceback": []},
        on_cell_error=on_error, resources={"metadata": {"path": str(folder)}}, iopub_timeout=2, on_recovery=note,
    )
    ping = nbformat.v4.new_code_cell("None")
    cells = list(notebook.cells)
    notebook.cells.append(ping)
    index = -1
    try:
        with client.setup_kernel(cwd=str(folder)):
            for index, cell in enumerate(cells):
                if cell.cell_type != "code":
                    continue
                note(start=index)
                client.execute_cell(cell, index)
                if index in errors:
                    note(cell=index, error=errors[index][:500])
                if errors.get(index, "").startswith("cell timed out"):
                    client.timeout, client.interrupt_on_timeout = min(GRACE, timeout), False
                    try:
                        client.execute_cell(ping, len(notebook.cells) - 1, store_history=False)
                    except CellTimeoutError:
                        note(stopped=index, reason=f"the kernel ignored the interrupt after cell {index} timed out "
                                                   "and was stopped")
                        kernel = getattr(getattr(client.km, "provisioner", None), "process", None)
                        if kernel is not None:
                            kernel.kill()
                        events.close()
                        os._exit(0)  # no shutdown handshake with a kernel that does not answer
                    client.timeout, client.interrupt_on_timeout = timeout, True
    except DeadKernelError:
        note(stopped=index, reason="the kernel died (out of memory, or the code exited Python)")
        return
    finally:
        note(end=True)
        events.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
