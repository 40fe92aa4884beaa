"""Execute notebooks top to bottom in a fresh kernel each and print the wall seconds per notebook.

    .venv/bin/python bench/run_notebooks.py                      # every notebook in notebooks/
    .venv/bin/python bench/run_notebooks.py solutions/ notebooks/01_spectral_bias.ipynb --timeout 120

Paths may be notebooks or folders (their ``*.ipynb``). Nothing is written back: outputs stay out of git.
Progress bars are hidden (NFTEACH_PROGRESS=0); ``--save DIR`` keeps executed copies to look at. ``--threads N`` caps the kernel's CPU threads
(OMP_NUM_THREADS / MKL_NUM_THREADS), which helps a lot when other jobs share the CPU. ``--load 4`` times them under
load: it keeps 3 busy-loop processes running beside the notebook's kernel (the fourth), so that a quiet machine's
load average sits near 4, as on a student's laptop with other programs open; each row gives the load average it saw.

    .venv/bin/python bench/run_notebooks.py notebooks notebooks/projects                # idle
    .venv/bin/python bench/run_notebooks.py notebooks notebooks/projects --load 4       # under load ≈ 4
A kernel that loses a request or a reply (ipykernel#1554) is recovered and the status says so.
Exits 1 if a notebook raises or runs out of time, 2 if a path does not exist.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat

from nfteach.course.execute import execute_notebook

ROOT = Path(__file__).resolve().parents[1]


def notebooks_in(paths: list[str]) -> list[Path]:
    """The notebooks named by ``paths`` (files, or folders whose ``*.ipynb`` are taken in order)."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        else:
            raise FileNotFoundError(f"run_notebooks: no notebook or folder at {str(path)!r}")
    return found


def run(path: Path, timeout: int, kernel: str, save_to: Path | None = None,
        recoveries: list[dict] | None = None) -> tuple[float, str]:
    """Execute one notebook in its own folder (a copy with outputs goes to ``save_to``, if given);
    return (wall seconds, '' or the error's last line). A lost request or reply the client recovered from
    is appended to ``recoveries`` (see nfteach.course.execute)."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    try:
        execute_notebook(notebook, path.parent, timeout, kernel, recoveries)
    except Exception as error:  # CellExecutionError, CellTimeoutError, DeadKernelError …
        text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # drop the traceback's terminal colours
        lines = [line for line in text.strip().splitlines() if line.strip()]
        outcome = (lines[-1] if lines else type(error).__name__)[:120]
    else:
        outcome = ""
    seconds = time.perf_counter() - start
    if save_to is not None:
        save_to.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, save_to / path.name)
    return seconds, outcome


@contextmanager
def busy_loops(count: int):
    """``count`` processes that spin on a core each while the block runs (stopped afterwards, whatever happens)."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "notebooks")],
                        help="notebooks or folders of notebooks (default: notebooks/)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel name (default python3)")
    parser.add_argument("--threads", type=int, default=None, help="cap the kernel's CPU threads")
    parser.add_argument("--save", type=Path, default=None, help="folder for executed copies (keep it out of git)")
    parser.add_argument("--load", type=int, default=None, metavar="N",
                        help="run N - 1 busy loops beside the kernel, for a load average near N (e.g. 4)")
    args = parser.parse_args(argv)
    if args.load is not None and args.load < 1:
        print(f"run_notebooks: --load must be at least 1 (the kernel alone), got {args.load}", file=sys.stderr)
        return 2
    if args.threads is not None:
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    try:
        paths = notebooks_in(args.paths)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    if not paths:
        print("run_notebooks: no notebooks found in " + ", ".join(args.paths), file=sys.stderr)
        return 2
    width = max(len(str(p)) for p in paths)
    print(f"{'notebook'.ljust(width)}  {'seconds':>8}  {'load':>5}  status")
    total, failed = 0.0, 0
    with busy_loops(args.load - 1 if args.load else 0):
        for path in paths:
            recoveries: list[dict] = []
            seconds, error = run(path, args.timeout, args.kernel, args.save, recoveries)
            total += seconds
            failed += bool(error)
            recovered = f" (recovered: {', '.join(r['action'] for r in recoveries)})" if recoveries else ""
            status = ("FAILED: " + error if error else "ok") + recovered
            print(f"{str(path).ljust(width)}  {seconds:8.1f}  {os.getloadavg()[0]:5.1f}  {status}", flush=True)
    print(f"{'total'.ljust(width)}  {total:8.1f}  {'':5}  {failed} of {len(paths)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
