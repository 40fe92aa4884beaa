"""Run a student's code in a bubblewrap sandbox, with limits, and kill everything it started afterwards.

``bwrap`` (Debian/Ubuntu package ``bubblewrap``) gives each run: a read-only view of the machine; a private,
empty ``/tmp`` and home; the instructor's solutions, the submissions and the report hidden; no network; new PID,
IPC, UTS and user namespaces (the code runs as ``nobody`` and cannot see or signal the grader); its working
folder as the only writable place. The command itself runs under ``setrlimit`` limits (memory, file size,
processes) and a wall-clock limit; killing bwrap kills the whole PID namespace, so nothing outlives a run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

INSTALL = "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap)"

# Sets the limits, then becomes the command (runs inside the sandbox, before any student code).
_LIMITS = """import os, resource, sys
memory, processes, file_bytes = map(int, sys.argv[1:4])
for limit, value in ((resource.RLIMIT_DATA, memory), (resource.RLIMIT_FSIZE, file_bytes),
                     (resource.RLIMIT_NPROC, processes), (resource.RLIMIT_CORE, 0)):
    resource.setrlimit(limit, (value, value))
os.execv(sys.argv[4], sys.argv[4:])
"""


@dataclass(frozen=True)
class Limits:
    """What one run may use: memory (bytes of data), processes, bytes per file written, wall seconds."""

    memory: int = 4 * 2**30
    processes: int = 512
    file_bytes: int = 256 * 2**20
    seconds: float = 900.0


@dataclass
class Outcome:
    returncode: int
    timed_out: bool
    seconds: float
    stderr: str


@lru_cache(maxsize=1)
def problem() -> str | None:
    """None when bubblewrap works here; otherwise one line saying why not and what to do."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL}, or pass --no-sandbox to run the students' code unconfined"
    trial = subprocess.run([bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev",
                            "--proc", "/proc", "--tmpfs", "/tmp", "true"], capture_output=True, text=True)
    if trial.returncode != 0:
        reason = (trial.stderr.strip().splitlines() or ["no message"])[-1]
        return (f"bubblewrap is installed but cannot create a sandbox here ({reason}): unprivileged user namespaces "
                "may be disabled (sysctl kernel.unprivileged_userns_clone=1), or pass --no-sandbox")
    return None


def _needed_paths() -> list[Path]:
    """Folders the Python running the grader needs: its prefixes, its import path, the kit itself."""
    import nfteach

    paths = [Path(sys.prefix), Path(sys.base_prefix), Path(nfteach.__file__).resolve().parents[1]]
    paths += [Path(entry) for entry in sys.path if entry]
    return [p.resolve() for p in paths if p.exists()]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def bwrap_command(argv: list[str], workdir: Path, hidden: list[Path]) -> list[str]:
    """The bwrap command line that runs ``argv`` with ``workdir`` as its only writable folder.

    ``hidden`` folders (solutions, submissions) become empty; a hidden *file* is replaced by an empty one.
    Folders the grader's Python needs stay readable even inside a hidden folder.
    """
    home = Path(os.path.expanduser("~")).resolve()
    folders = [p for p in {home, Path("/tmp"), *(h.resolve() for h in hidden)} if p.is_dir() and p != Path("/")]
    files = [h for h in hidden if not h.is_symlink() and h.is_file()]
    needed = _needed_paths()
    command = ["bwrap", "--unshare-all", "--uid", "65534", "--gid", "65534", "--die-with-parent", "--new-session",
               "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    for folder in sorted(folders):
        command += ["--tmpfs", str(folder)]
    for path in sorted(set(needed)):
        if any(_inside(path, folder) for folder in folders):
            command += ["--ro-bind", str(path), str(path)]
    for folder in sorted(folders):  # e.g. solutions/ inside the kit's folder that was bound again just above
        if any(_inside(folder, path) and folder != path for path in needed):
            command += ["--tmpfs", str(folder)]
    for path in sorted(files):
        command += ["--ro-bind", "/dev/null", str(path.resolve())]
    command += ["--bind", str(workdir), str(workdir), "--chdir", str(workdir), "--setenv", "HOME", str(home)]
    return command + ["--", *argv]


def environment() -> dict[str, str]:
    """The environment of a graded run: none of the instructor's variables (tokens, keys) but the paths.

    One PyTorch thread per kernel: parallel jobs use the cores, and on a shared machine a kernel's second
    thread slows a small fit several times over.
    """
    keep = {name: os.environ[name] for name in ("PATH", "PYTHONPATH", "VIRTUAL_ENV", "LANG") if name in os.environ}
    return {**keep, "HOME": os.path.expanduser("~"), "TMPDIR": "/tmp", "NFTEACH_PROGRESS": "0", "NFTEACH_STRICT": "0",
            "MPLBACKEND": "agg", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", "JUPYTER_PLATFORM_DIRS": "1"}


def run(argv: list[str], workdir: Path, *, hidden: list[Path], limits: Limits, sandbox: bool = True) -> Outcome:
    """Run ``argv`` (a Python command) in ``workdir``, sandboxed unless ``sandbox=False``; always returns.

    Past ``limits.seconds`` the run is killed (with everything it started: the whole PID namespace in the
    sandbox, the process group without it).
    """
    limited = [sys.executable, "-I", "-c", _LIMITS, str(limits.memory), str(limits.processes), str(limits.file_bytes),
               *argv]
    command = bwrap_command(limited, workdir, hidden) if sandbox else limited
    start = time.monotonic()
    with tempfile.TemporaryFile() as stderr:  # outside the working copy: the run cannot swap it for a link
        process = subprocess.Popen(command, cwd=workdir, env=environment(), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        try:
            process.wait(timeout=limits.seconds)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process)
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - 4000))
        tail = stderr.read().decode("utf-8", "replace")
    return Outcome(process.returncode, timed_out, time.monotonic() - start, tail)


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the run's process group (in the sandbox this ends its PID namespace: every process in it)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
