"""Run a student's code in a bubblewrap sandbox, with limits, and kill everything it started afterwards.

``bwrap`` (Debian/Ubuntu package ``bubblewrap``) gives each run a new root holding only what a kernel needs,
read-only: the system's ``/usr`` (and ``/bin``, ``/lib``… beside it) and ``/etc``, the Python that runs the grader
(its prefixes and ``site-packages``) and the kit's own package folder, not the repository around it (no ``.git``,
no ``solutions/``). Anything else — the submissions, the reports, the home folder, ``/run`` and ``/tmp`` with
their Unix sockets — is simply absent. It adds a private ``/tmp``, ``/dev/shm`` and home, each a tmpfs of at most
``Limits.tmp_bytes``; no network; new PID, IPC, UTS and user namespaces (the code runs as ``nobody`` and cannot see
or signal the grader); its working folder as the only writable place. Run as root, the sandbox has no user
namespace (its ``nobody`` would be root outside): root sets up the mounts, then the first command inside becomes
the real user ``nobody`` (65534) for good, before any student code. The command runs under
``setrlimit`` limits (private memory, file size, processes) and a wall-clock limit; killing bwrap kills the whole
PID namespace, so nothing outlives a run. Shared memory that is neither in a tmpfs nor private (``memfd``) is
bounded only by the machine: this module sets no cgroup.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

INSTALL = "install bubblewrap (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap)"

# Sets the limits, drops root if it is root (the grader ran as root), then becomes the command (runs inside the
# sandbox, before any student code).
_LIMITS = """import os, resource, sys
memory, processes, file_bytes, nobody = map(int, sys.argv[1:5])
for limit, value in ((resource.RLIMIT_DATA, memory), (resource.RLIMIT_FSIZE, file_bytes),
                     (resource.RLIMIT_NPROC, processes), (resource.RLIMIT_CORE, 0)):
    resource.setrlimit(limit, (value, value))
if nobody >= 0 and os.geteuid() == 0:
    os.setgroups([])
    os.setresgid(nobody, nobody, nobody)
    os.setresuid(nobody, nobody, nobody)
    if os.geteuid() == 0 or os.getuid() == 0:
        sys.exit("could not drop root")
os.execv(sys.argv[5], sys.argv[5:])
"""


@dataclass(frozen=True)
class Limits:
    """What one run may use: memory (bytes of data), processes, bytes per file written, wall seconds, and the size
    of each private tmpfs (``/tmp``, ``/dev/shm``, home)."""

    memory: int = 4 * 2**30
    processes: int = 512
    file_bytes: int = 256 * 2**20
    seconds: float = 900.0
    tmp_bytes: int = 512 * 2**20


NOBODY = 65534
"""The user (and group) a graded run is, inside the sandbox and, when the grader runs as root, outside it too."""


@dataclass
class Outcome:
    returncode: int
    timed_out: bool
    seconds: float
    stderr: str


def drops_privileges() -> bool:
    """True when the grader runs as root: each sandboxed run then becomes the real user ``nobody`` before any
    student code runs (see :data:`_LIMITS`)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


@lru_cache(maxsize=1)
def problem() -> str | None:
    """None when bubblewrap works here and a sandboxed Python can import the kit; otherwise one line saying why not
    and what to do."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL}, or pass --no-sandbox to run the students' code unconfined"
    with tempfile.TemporaryDirectory(prefix="nfteach-probe-") as folder:
        workdir = Path(folder)
        _give_to_the_run(workdir)
        probe = [sys.executable, "-I", "-c", _LIMITS, *map(str, (2**30, 64, 2**20, NOBODY)), sys.executable, "-c",
                 "import nfteach.course.recording"]
        trial = subprocess.run(bwrap_command(probe, workdir, Limits()), capture_output=True, text=True, env=environment())
    if trial.returncode != 0:
        reason = (trial.stderr.strip().splitlines() or ["no message"])[-1]
        if not reason.startswith("bwrap") and drops_privileges():
            return (f"grading as root runs the students' code as the user nobody, who cannot use this Python or the "
                    f"kit ({reason}): install them where every user may read them, or grade as an ordinary user")
        return (f"bubblewrap is installed but cannot create a sandbox here ({reason}): unprivileged user namespaces "
                "may be disabled (sysctl kernel.unprivileged_userns_clone=1), or pass --no-sandbox")
    return None


def _needed_paths() -> list[Path]:
    """What the Python running the grader needs, read-only: its prefixes, its import path, the kit's package folder
    (not the folder around it, which may be a repository with its .git and solutions), but not the grader's own
    script folder or working folder. Real paths, parents first."""
    import nfteach

    kit = Path(nfteach.__file__).resolve().parent
    paths = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), kit, Path(sys.executable).resolve().parent]
    prefixes = [Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)]
    paths += [Path(entry) for entry in sys.path if entry and Path(entry).name in ("site-packages", "dist-packages")
              or entry and any(_inside(Path(entry).resolve(), prefix) for prefix in prefixes)]
    real = {path.resolve() for path in paths if path.exists()} - {Path("/")}
    return sorted((p for p in real if not any(_inside(p, q) and p != q for q in real)), key=lambda p: len(p.parts))


def _links_to_needed_paths() -> list[Path]:
    """The prefixes and import paths that are links (e.g. a venv's folder linked elsewhere): kept as links."""
    paths = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), *(Path(e) for e in sys.path if e)]
    return sorted({p.absolute() for p in paths if p.is_symlink()})


SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
"""The system folders a kernel needs (read-only); a link among them (merged /usr) stays a link."""


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _shown() -> list[Path]:
    """Every folder the sandbox shows (read-only)."""
    return [Path(name).resolve() for name in SYSTEM if os.path.isdir(name)] + _needed_paths()


def exposed(paths: list[Path]) -> list[Path]:
    """Those of ``paths`` (submissions, solutions, reports) that lie inside a folder the sandbox must show."""
    shown = _shown()
    return [path for path in paths if any(_inside(Path(path).resolve(), folder) for folder in shown)]


def bwrap_command(argv: list[str], workdir: Path, limits: Limits, hidden: list[Path] = ()) -> list[str]:
    """The bwrap command line that runs ``argv`` with ``workdir`` as its only writable folder.

    Only :data:`SYSTEM` and the Python's own folders are shown; a ``hidden`` folder that lies inside one of them
    becomes an empty tmpfs (a hidden file there cannot be hidden: :func:`exposed` names it for a warning).
    The command's length does not grow with the number of submissions.
    """
    home = Path(os.path.expanduser("~"))
    # As root, no user namespace: it would map the sandbox's nobody to root outside. Root sets up the mounts, then
    # the first command inside (_LIMITS) becomes the real user nobody for good.
    users = (["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
             if drops_privileges() else ["--unshare-all", "--uid", str(NOBODY), "--gid", str(NOBODY)])
    command = ["bwrap", *users, "--die-with-parent", "--new-session", "--dev", "/dev", "--proc", "/proc"]
    for private in ("/tmp", "/dev/shm", str(home)):  # first: the folders shown below may lie inside them
        command += ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", private]
    system = []
    for name in SYSTEM:
        if os.path.islink(name):
            command += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            command += ["--ro-bind", name, name]
            system.append(Path(name))
    needed = [path for path in _needed_paths() if not any(_inside(path, folder) for folder in system)]
    made: set[Path] = set()
    for path in [*needed, Path(workdir)]:
        for parent in reversed(path.parents[:-1]):  # readable by nobody (bwrap run as root makes them 0700)
            if parent not in made and not any(_inside(parent, folder) for folder in system):
                command += ["--perms", "0755", "--dir", str(parent)]
                made.add(parent)
        if path != Path(workdir):
            command += ["--ro-bind", str(path), str(path)]
    for link in _links_to_needed_paths():
        if not any(_inside(link, folder) for folder in [*system, *needed]):
            command += ["--symlink", str(link.resolve()), str(link)]
    for folder in sorted({Path(h).resolve() for h in hidden if Path(h).is_dir()}):
        if any(_inside(folder, path) for path in needed):
            command += ["--tmpfs", str(folder)]
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
               str(NOBODY if sandbox else -1), *argv]
    command = bwrap_command(limited, workdir, limits, hidden) if sandbox else limited
    _give_to_the_run(workdir)
    start = time.monotonic()
    with tempfile.TemporaryFile() as stderr:  # outside the working copy: the run cannot swap it for a link
        with _lock:
            if _stopping.is_set():
                raise RuntimeError("grading was interrupted: not started")
            process = subprocess.Popen(command, cwd=workdir, env=environment(), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
            _running.add(process)
        try:
            process.wait(timeout=limits.seconds)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process)
            with _lock:
                _running.discard(process)
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - 4000))
        tail = stderr.read().decode("utf-8", "replace")
    return Outcome(process.returncode, timed_out, time.monotonic() - start, tail)


def _give_to_the_run(workdir: Path) -> None:
    """Make ``workdir`` (and what the grader put in it) the run's own when the run is nobody."""
    if drops_privileges():
        for folder, _, files in os.walk(workdir):
            for path in [folder, *(os.path.join(folder, name) for name in files)]:
                os.chown(path, NOBODY, NOBODY, follow_symlinks=False)


def remove(workdir: Path) -> None:
    """Delete a run's working folder, whatever it did to it (folders chmod 000, read-only files): nothing stays."""
    tried: set[str] = set()

    def unlock_and_retry(function, path, error):
        if path in tried:
            return
        tried.add(path)
        try:
            for folder in (os.path.dirname(path), path):
                if not os.path.islink(folder):
                    os.chmod(folder, stat.S_IRWXU)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, onerror=unlock_and_retry)
            elif os.path.lexists(path):
                os.unlink(path)
        except OSError:
            pass

    if os.path.lexists(workdir):
        shutil.rmtree(workdir, onerror=unlock_and_retry)


_running: set[subprocess.Popen] = set()
_lock = threading.Lock()
_stopping = threading.Event()


def stop_all() -> None:
    """Kill every run in progress (Ctrl-C in the grader) and start no more."""
    with _lock:
        _stopping.set()
        for process in list(_running):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the run's process group (in the sandbox this ends its PID namespace: every process in it)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
