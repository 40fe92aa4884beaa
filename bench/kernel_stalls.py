"""Count kernel stalls: a cell's reply outstanding for more than ``--stall-after`` seconds while the kernel idles.

    .venv/bin/python bench/kernel_stalls.py                                    # 20 runs of each default notebook
    .venv/bin/python bench/kernel_stalls.py --runs 5 notebooks/01_spectral_bias.ipynb

The stress test of issue 26 (a cell's reply that never reaches the client under load): each notebook (default:
chapter 1, widget-heavy; chapter 7, plain; and ``widget-stress``, 150 generated cells that each show a slider and
print into an Output widget, which stalls within a run or two) runs ``--runs`` times in a fresh kernel with
plain nbclient (no recovery: this counts what the stack does; ``--recovering`` runs the kit's client), while
``--busy`` busy-loop processes keep the CPU full. A stall is a cell whose reply is outstanding after
``--stall-after`` seconds while the kernel process used less than 0.2 s of CPU over the last ``--idle-window``
seconds with every thread asleep at each look (a runnable thread is a kernel starved by the load, not
idle); the run is stopped there and counted, rather than waited out for the cell timeout; the kernel's Python
stacks at that moment go to stderr (faulthandler, on SIGUSR1), and the line says whether the reply was already
waiting in the client's own shell socket (``ZMQ_EVENTS`` has POLLIN: the client missed the socket's wake-up; the
kernel did its part).
Prints one line per run and a summary with the versions of the kernel stack.
Not a test (its times mean nothing on a shared machine, and it takes many minutes); exits 1 if any run stalled.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import deque
from importlib.metadata import version
from pathlib import Path

import nbformat
import zmq
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from nfteach.course.execute import RecoveringClient

ROOT = Path(__file__).resolve().parents[1]
WIDGET_STRESS = "widget-stress"
DEFAULT_NOTEBOOKS = [ROOT / "notebooks" / "01_spectral_bias.ipynb", ROOT / "notebooks" / "07_projects.ipynb",
                     Path(WIDGET_STRESS)]


def widget_stress(cells: int = 150) -> nbformat.NotebookNode:
    """Many short cells, each showing a slider and printing into an Output widget: much IOPub traffic per reply."""
    body = ("out = widgets.Output()\ndisplay(widgets.VBox([widgets.IntSlider(value={i}), out]))\n"
            "with out:\n    for line in range(5):\n        print('line', line, 'of cell', {i})\nprint('cell {i}')")
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import ipywidgets as widgets\nfrom IPython.display import display"),
        *(nbformat.v4.new_code_cell(body.format(i=i)) for i in range(cells))])
IDLE_CPU_SECONDS = 0.2
BUSY_LOOP = "while True: pass"
# Every kernel dumps its threads' Python stacks to its stderr (this script's) on SIGUSR1: sent at a stall.
DUMP_ON_SIGNAL = "--IPKernelApp.exec_lines=['import faulthandler, signal; " \
                 "faulthandler.register(signal.SIGUSR1, all_threads=True)']"


def _stat(path: Path) -> list[str]:
    return path.read_text().rsplit(")", 1)[1].split()  # the fields after the command name


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process (all its threads) has used, from /proc (Linux)."""
    fields = _stat(Path(f"/proc/{pid}/stat"))
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def all_threads_sleeping(pid: int) -> bool:
    """True when every thread of the process sleeps; a runnable thread (R) is a kernel starved of CPU, not idle."""
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            states.append(_stat(task / "stat")[0])
        except OSError:  # the thread just ended
            continue
    return all(state == "S" for state in states)


class StallWatcher(NotebookClient):
    """nbclient as it is, plus a watcher per cell that stops the run when the kernel idles on a pending reply."""

    def __init__(self, *args, stall_after: float, idle_window: float, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stall_after, self.idle_window = stall_after, idle_window
        self.stall: tuple[int, float] | None = None
        self.heard = 0  # IOPub messages of the current request: 0 at a stall means the kernel never read it
        self.waiting = False  # at a stall: the reply sat in the client's own shell socket (a missed wake-up)

    def process_message(self, msg, cell, cell_index):
        self.heard += 1
        return super().process_message(msg, cell, cell_index)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self.heard = 0
        watcher = asyncio.ensure_future(self._watch(cell_index))
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            watcher.cancel()

    async def _watch(self, cell_index: int) -> None:
        pid = self.km.provisioner.process.pid
        start, samples = time.monotonic(), deque()
        while True:
            await asyncio.sleep(1.0)
            now = time.monotonic()
            samples.append((now, cpu_seconds(pid), all_threads_sleeping(pid)))
            while now - samples[0][0] > self.idle_window:
                samples.popleft()
            covered = now - start >= self.idle_window and samples[-1][0] - samples[0][0] >= self.idle_window - 1.5
            idle = samples[-1][1] - samples[0][1] < IDLE_CPU_SECONDS and all(sleeping for *_, sleeping in samples)
            if now - start > self.stall_after and covered and idle:
                self.stall = (cell_index, now - start)
                print(f"--- stall at cell {cell_index}: the kernel's threads ---", file=sys.stderr, flush=True)
                os.kill(pid, signal.SIGUSR1)
                await asyncio.sleep(2.0)
                self.waiting = bool(self.kc.shell_channel.socket.get(zmq.EVENTS) & zmq.POLLIN)
                self.task_poll_for_reply.cancel()  # nbclient turns this into DeadKernelError: the run ends here
                return


class RecoveringStallWatcher(StallWatcher, RecoveringClient):
    """The same watch over the kit's own client (``--recovering``): does it still stall?"""


def run_once(path: Path, stall_after: float, idle_window: float, timeout: int,
             recovering: bool = False) -> tuple[float, str]:
    """One fresh-kernel run of ``path``; (wall seconds, 'ok' / 'STALL at cell N after S s' / the error)."""
    notebook = widget_stress() if path.name == WIDGET_STRESS else nbformat.read(path, as_version=4)
    watcher = RecoveringStallWatcher if recovering else StallWatcher
    client = watcher(notebook, timeout=timeout, kernel_name="python3", stall_after=stall_after,
                     idle_window=idle_window, resources={"metadata": {"path": str(path.parent)}},
                     extra_arguments=[DUMP_ON_SIGNAL])
    start = time.perf_counter()
    try:
        client.execute(env={**os.environ, "NFTEACH_PROGRESS": "0"})
        outcome = "ok" + "".join(f" (recovered cell {r['recovered']}: {r['action']})"
                                 for r in getattr(client, "recoveries", []))
    except DeadKernelError:
        read = f"read: {client.heard} IOPub messages" if client.heard else "never read"
        read += "; the reply was waiting in the client's shell socket" if client.waiting else ""
        outcome = (f"STALL at cell {client.stall[0]} after {client.stall[1]:.0f} s (request {read})" if client.stall
                   else "the kernel died")
    except Exception as error:  # a failing cell: not a stall, but reported
        outcome = f"error: {type(error).__name__}"
    return time.perf_counter() - start, outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, default=DEFAULT_NOTEBOOKS, help="notebooks to run")
    parser.add_argument("--runs", type=int, default=20, help="runs of each notebook (default 20)")
    parser.add_argument("--busy", type=int, default=2, help="busy-loop processes kept running (default 2)")
    parser.add_argument("--stall-after", type=float, default=30.0, help="seconds a reply may be outstanding (30)")
    parser.add_argument("--idle-window", type=float, default=10.0, help="seconds of kernel idleness that count (10)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell before nbclient gives up (600)")
    parser.add_argument("--recovering", action="store_true",
                        help="run the kit's RecoveringClient instead of plain nbclient (is the stall still there?)")
    args = parser.parse_args(argv)
    names = ("ipykernel", "jupyter_client", "nbclient", "pyzmq", "tornado")
    stack = ", ".join(f"{name} {version(name)}" for name in names)
    client = "RecoveringClient" if args.recovering else "plain nbclient"
    print(f"{stack}; {client}; Python {sys.version.split()[0]}; {args.busy} busy loops; {os.cpu_count()} CPUs",
          flush=True)
    loads = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(args.busy)]
    stalls, runs = 0, 0
    try:
        for run in range(1, args.runs + 1):
            for path in args.paths:
                seconds, outcome = run_once(path, args.stall_after, args.idle_window, args.timeout, args.recovering)
                stalls += outcome.startswith("STALL")
                runs += 1
                print(f"run {run:3d}  {path.name:28s} {seconds:7.1f} s  {outcome}", flush=True)
    finally:
        for load in loads:
            load.kill()
            load.wait()
    print(f"{stalls} stalls in {runs} runs ({stack})")
    return 1 if stalls else 0


if __name__ == "__main__":
    sys.exit(main())
