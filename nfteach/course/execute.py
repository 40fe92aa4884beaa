"""A notebook client that never waits on one long poll of a socket, and recovers from a lost request or reply.

Under load, nbclient's asyncio client can miss the wake-up of a ZeroMQ socket: the kernel has answered, the reply
sits in the client's own shell socket (``ZMQ_EVENTS`` says POLLIN), yet the single poll that waits for it with the
whole cell timeout (~600 s) is never woken. ``bench/kernel_stalls.py`` caught it so with ipykernel 6.31 (issue 26);
ipykernel 7 has a kernel-side relative, a request left unread on the kernel's shell socket
(ipython/ipykernel#1554, #1471), which the kit avoids by pinning ipykernel 6.x (pyproject.toml). This client
waits on the shell and IOPub sockets in slices of ``probe_interval`` seconds, and each new wait looks at the
socket afresh, so a missed wake-up costs at most that long. If the shell stays silent for ``patience``
seconds while a reply is outstanding, it looks at the other channels and acts:

* the kernel published nothing for the request (it never read it) and answers a ``kernel_info`` probe on the
  control channel: send a ``kernel_info`` on the shell channel, which wakes the socket; if that probe is
  answered and the request still was not read, it was lost: send it again (safe: it never started);
* the kernel went idle after running the cell (IOPub said so) but its reply never came: take the reply from
  the cell's outputs (an ``error`` output makes it an error reply);
* a resent request that is not read either, or a shell that answers nothing: restart the kernel and rerun the
  cells executed so far, then the cell (once; a second stall raises :class:`KernelStalled`).

A kernel that is busy (it published for the request) is never disturbed: only the cell timeout applies.
Each action is kept in :attr:`RecoveringClient.recoveries` and passed to ``on_recovery`` as keyword arguments
(``recovered``: the cell index, ``action``, ``detail``). This module imports no torch and no nfteach: the
grader's runner loads it in the sandbox as a plain script's neighbour.
"""

from __future__ import annotations

import asyncio
import datetime
import typing as t
from dataclasses import dataclass, field
from queue import Empty
from time import monotonic

from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.client import timestamp
from nbclient.exceptions import CellExecutionComplete, DeadKernelError
from traitlets import Any, Float, Integer


class KernelStalled(DeadKernelError):
    """The kernel stopped reading requests and a restart did not help."""


@dataclass
class _Wait:
    """What the client knows about one outstanding request."""

    msg_id: str
    output_task: t.Any
    since: float = field(default_factory=monotonic)
    shell_probe: str | None = None
    resent: bool = False
    idle_since: float | None = None


class RecoveringClient(NotebookClient):
    """:class:`nbclient.NotebookClient` that recovers from a lost request or reply instead of timing out."""

    patience = Float(30.0, help="Seconds the shell may stay silent, the kernel idle, before the client acts.")
    probe_interval = Float(2.0, help="Seconds between looks at the other channels while a reply is outstanding.")
    max_restarts = Integer(1, help="Kernel restarts allowed per notebook before KernelStalled is raised.")
    on_recovery = Any(None, allow_none=True, help="Called as on_recovery(recovered=index, action=..., detail=...).")

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.recoveries: list[dict[str, t.Any]] = []
        self._heard: set[str] = set()
        self._executed: list[tuple[t.Any, int, bool]] = []
        self._request: tuple[int, bool, bool] = (-1, True, True)
        self._restarts = 0

    def _note(self, action: str, detail: str) -> None:
        event = {"recovered": self._request[0], "action": action, "detail": detail}
        self.recoveries.append(event)
        self.log.warning("cell %s: %s (%s)", event["recovered"], detail, action)
        if self.on_recovery is not None:
            self.on_recovery(**event)

    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self._heard, self._executed = set(), []

    def process_message(self, msg: dict[str, t.Any], cell: t.Any, cell_index: int) -> t.Any:
        self._heard.add(msg["parent_header"].get("msg_id"))  # the kernel read this request
        return super().process_message(msg, cell, cell_index)

    async def async_execute_cell(self, cell: t.Any, cell_index: int, execution_count: int | None = None,
                                 store_history: bool = True) -> t.Any:
        allows_errors = (not self.force_raise_errors) and (
            self.allow_errors or "raises-exception" in cell.metadata.get("tags", []))
        self._request = (cell_index, store_history, not allows_errors)
        try:
            done = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except KernelStalled as stall:
            if self._restarts >= self.max_restarts:
                raise
            self._restarts += 1
            self._note("restarted", f"{stall}; restarted the kernel and reran the {len(self._executed)} cells before")
            await ensure_async(self.km.restart_kernel(now=True))
            await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
            executed, self._executed = self._executed, []
            for earlier, index, history in executed:
                await self.async_execute_cell(earlier, index, store_history=history)
            self._request = (cell_index, store_history, not allows_errors)
            done = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        self._executed.append((cell, cell_index, store_history))
        return done

    execute_cell = run_sync(async_execute_cell)  # nbclient binds its own coroutine here: bind ours

    async def _async_poll_for_reply(self, msg_id: str, cell: t.Any, timeout: int | None,
                                    task_poll_output_msg: t.Any, task_poll_kernel_alive: t.Any) -> dict[str, t.Any]:
        """nbclient's wait for the execute reply (same timeout handling); a look around when the shell is silent."""
        wait = _Wait(msg_id, task_poll_output_msg)
        deadline = None if timeout is None else monotonic() + timeout
        timed_out_reply = None
        try:
            while True:
                if timed_out_reply is not None:
                    msg, timed_out_reply = {**timed_out_reply, "parent_header": {"msg_id": wait.msg_id}}, None
                else:
                    left = None if deadline is None else max(0.0, deadline - monotonic())
                    try:
                        msg = await ensure_async(self.kc.shell_channel.get_msg(
                            timeout=self.probe_interval if left is None else min(self.probe_interval, left)))
                    except Empty:
                        if deadline is not None and monotonic() >= deadline:
                            task_poll_kernel_alive.cancel()
                            await self._async_check_alive()
                            timed_out_reply = await self._async_handle_timeout(timeout, cell)
                            deadline = monotonic() + timeout  # interrupted without a stand-in reply: wait once more
                            continue
                        msg = await self._look_around(wait, cell)
                        if msg is None:
                            continue
                parent = msg["parent_header"].get("msg_id")
                if parent == wait.shell_probe:
                    wait.shell_probe = None
                    if wait.msg_id not in self._heard and not wait.output_task.done():
                        await self._resend(wait, cell)
                    continue
                if parent != wait.msg_id:
                    continue
                if self.record_timing:
                    cell["metadata"]["execution"]["shell.execute_reply"] = timestamp(msg)
                try:
                    await asyncio.wait_for(wait.output_task, self.iopub_timeout)
                except (asyncio.TimeoutError, Empty):
                    self.log.warning("Timeout waiting for IOPub output")
                return msg
        finally:
            task_poll_kernel_alive.cancel()
            if wait.output_task is not task_poll_output_msg:
                wait.output_task.cancel()

    async def _async_poll_output_msg(self, parent_msg_id: str, cell: t.Any, cell_index: int) -> None:
        """nbclient's IOPub loop, but in waits of ``probe_interval``: each new wait looks at the socket afresh."""
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.probe_interval))
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    return

    async def _look_around(self, wait: _Wait, cell: t.Any) -> dict[str, t.Any] | None:
        """One look at the other channels while the shell is silent; a stand-in reply when the real one is lost."""
        now = monotonic()
        if wait.output_task.done():  # IOPub said idle for this request: it ran, its reply should be here
            wait.idle_since = wait.idle_since or now
            if now - wait.idle_since < self.patience:
                return None
            self._note("reply-lost", f"the kernel finished the cell but its reply did not come in {self.patience:g} s; "
                                     "the reply was taken from the cell's outputs")
            return _reply_from_outputs(cell, wait.msg_id)
        if wait.msg_id in self._heard or now - wait.since < self.patience:
            return None  # running (busy): only the cell timeout applies
        if wait.shell_probe is not None or wait.resent:
            raise KernelStalled(f"the kernel did not read cell {self._request[0]}'s request "
                                f"{'after it was sent again' if wait.resent else 'nor a kernel_info request'}")
        if not await self._control_answers():
            wait.since = monotonic()  # the whole kernel is busy or hung: not the lost-request case
            return None
        self._note("woken", f"the kernel was idle with the request unread for {self.patience:g} s; "
                            "a kernel_info request on the shell channel woke it")
        wait.shell_probe, wait.since = await ensure_async(self.kc.kernel_info()), monotonic()
        return None

    async def _resend(self, wait: _Wait, cell: t.Any) -> None:
        """Send the lost request again (it never started) and follow the new one."""
        cell_index, store_history, stop_on_error = self._request
        self._note("resent", "the kernel answered a later request but never read this one; it was sent again")
        wait.output_task.cancel()
        wait.msg_id = await ensure_async(self.kc.execute(cell.source, store_history=store_history,
                                                         stop_on_error=stop_on_error))
        wait.output_task = asyncio.ensure_future(self._async_poll_output_msg(wait.msg_id, cell, cell_index))
        wait.resent, wait.since = True, monotonic()

    async def _control_answers(self) -> bool:
        """True when the kernel answers a kernel_info request on the control channel within ``patience``."""
        request = self.kc.session.msg("kernel_info_request")
        self.kc.control_channel.send(request)
        deadline = monotonic() + self.patience
        while monotonic() < deadline:
            try:
                reply = await ensure_async(self.kc.control_channel.get_msg(timeout=max(0.0, deadline - monotonic())))
            except Empty:
                return False
            if reply["parent_header"].get("msg_id") == request["header"]["msg_id"]:
                return True
        return False


def _reply_from_outputs(cell: t.Any, msg_id: str) -> dict[str, t.Any]:
    """An execute reply built from what the cell published: an error reply if it shows a traceback."""
    content: dict[str, t.Any] = {"status": "ok", "execution_count": cell.get("execution_count"),
                                 "payload": [], "user_expressions": {}}
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    if errors:
        content.update(status="error", ename=errors[-1]["ename"], evalue=errors[-1]["evalue"],
                       traceback=errors[-1]["traceback"])
    return {"header": {"msg_type": "execute_reply", "date": datetime.datetime.now(datetime.timezone.utc)},
            "parent_header": {"msg_id": msg_id}, "msg_type": "execute_reply", "metadata": {}, "content": content}


def execute_notebook(notebook: t.Any, folder: t.Any, timeout: float = 600.0, kernel_name: str = "python3",
                     recoveries: list[dict] | None = None) -> None:
    """Run ``notebook`` in place, top to bottom in a fresh kernel whose working folder is ``folder``, progress bars
    off (``NFTEACH_PROGRESS=0``); ``timeout`` is per cell, in seconds.

    A failing cell raises ``nbclient.exceptions.CellExecutionError``; the cells run before it keep their outputs.
    Each recovery from a lost request or reply is appended to ``recoveries`` when a list is given.
    """
    import os

    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    client = RecoveringClient(notebook, timeout=timeout, kernel_name=kernel_name,
                              resources={"metadata": {"path": str(folder)}},
                              on_recovery=None if recoveries is None else lambda **event: recoveries.append(event))
    client.execute(env={**os.environ, "NFTEACH_PROGRESS": "0"})
