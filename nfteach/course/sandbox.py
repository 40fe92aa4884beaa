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
PID namespace, so nothing outlives a run. Where this process may create a memory cgroup (root, or a delegated
cgroup v2 subtree), each run also gets one limited to ``Limits.memory`` with no swap, which bounds what the
rlimits cannot see (shared mappings, ``memfd``, the tmpfs pages): the run is killed at the limit. Where it may not,
:func:`memory_cgroups` says so and that memory is bounded only by the machine (``nfteach grade`` prints it).
Without the sandbox (``sandbox=False``, trusted code only) every process a run started, also one that left the
process group with ``setsid``, is found by a token in its environment and killed when the run ends.
"""

from __future__ import annotations

import os
import secrets
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


def run(argv: list[str], workdir: Path, *, hidden: list[Path], limits: Limits, sandbox: bool = True,
        pass_fds: tuple[int, ...] = ()) -> Outcome:
    """Run ``argv`` (a Python command) in ``workdir``, sandboxed unless ``sandbox=False``; always returns.

    Past ``limits.seconds`` the run is killed, with everything it started: the whole PID namespace in the sandbox;
    without it the process group and every process carrying the run's token. ``pass_fds`` stay open in the command
    (a pipe the grader reads). In a memory cgroup where one can be made (:func:`memory_cgroups`).
    """
    limited = [sys.executable, "-I", "-c", _LIMITS, str(limits.memory), str(limits.processes), str(limits.file_bytes),
               str(NOBODY if sandbox else -1), *argv]
    command = bwrap_command(limited, workdir, limits, hidden) if sandbox else limited
    _give_to_the_run(workdir)
    token = secrets.token_hex(8)
    start = time.monotonic()
    with tempfile.TemporaryFile() as stderr, _MemoryCgroup(limits.memory) as cgroup:
        with _lock:  # stderr: outside the working copy, so the run cannot swap it for a link
            if _stopping.is_set():
                raise RuntimeError("grading was interrupted: not started")
            process = subprocess.Popen(cgroup.wrap(command), cwd=workdir, env={**environment(), RUN_TOKEN: token},
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
                                       start_new_session=True, pass_fds=pass_fds)
            _running.add(process)
        try:
            process.wait(timeout=limits.seconds)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process)
            _kill_carriers(token)
            with _lock:
                _running.discard(process)
        stderr.seek(max(0, stderr.seek(0, os.SEEK_END) - 4000))
        tail = stderr.read().decode("utf-8", "replace")
    return Outcome(process.returncode, timed_out, time.monotonic() - start, tail)


RUN_TOKEN = "NFTEACH_RUN_TOKEN"
"""The environment variable that marks every process of one run (see :func:`_kill_carriers`)."""


def _kill_carriers(token: str) -> None:
    """SIGKILL every process whose environment carries ``token``: what left the run's process group (``setsid``,
    a double fork) without the sandbox's PID namespace to end it. Repeated until none is left (Linux ``/proc``)."""
    marker = f"{RUN_TOKEN}={token}".encode()
    for _ in range(20):
        found = []
        for entry in Path("/proc").glob("[0-9]*"):
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:  # gone, or not ours to read
                continue
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if not found:
            return
        time.sleep(0.05)


def memory_cgroups() -> str | None:
    """None when each run gets a memory cgroup of ``Limits.memory``; otherwise why not, and what that means."""
    return _cgroup_parent()[1]


@lru_cache(maxsize=1)
def _cgroup_parent() -> tuple[tuple[Path, str] | None, str | None]:
    """The memory cgroup folder runs are made in and its version ('v1'/'v2'), or None and the reason."""
    unbounded = ("shared memory that is neither in the private tmpfs nor private memory (memfd, shared mappings) "
                 "is bounded only by the machine")
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None, f"no cgroups on this system: {unbounded}"
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            version, folder, limit = "v1", Path("/sys/fs/cgroup/memory") / path.lstrip("/"), "memory.limit_in_bytes"
        elif controllers == "":
            version, folder, limit = "v2", Path("/sys/fs/cgroup") / path.lstrip("/"), "memory.max"
            try:
                if "memory" not in (folder / "cgroup.subtree_control").read_text().split():
                    continue
            except OSError:
                continue
        else:
            continue
        probe = folder / f"nfteach-probe-{os.getpid()}"
        try:
            probe.mkdir()
            ok = (probe / limit).exists()
            probe.rmdir()
        except OSError:
            continue
        if ok:
            return (folder, version), None
    return None, (f"this user may not create a memory cgroup (grade as root, or in a delegated cgroup v2 "
                  f"subtree, e.g. under systemd-run --user --scope): {unbounded}")


_JOIN = """import os, sys
with open(sys.argv[1], "w") as procs:
    procs.write(str(os.getpid()))
os.execvp(sys.argv[2], sys.argv[2:])
"""
"""Joins the cgroup whose ``cgroup.procs`` is argv[1], then becomes the command (outside the sandbox)."""


class _MemoryCgroup:
    """A memory cgroup for one run, limited to ``memory`` bytes and no swap; nothing where none can be made."""

    def __init__(self, memory: int) -> None:
        self.memory, self.folder, self._procs = memory, None, None

    def __enter__(self) -> "_MemoryCgroup":
        parent, _ = _cgroup_parent()
        if parent is None:
            return self
        folder, version = parent
        self.folder = Path(tempfile.mkdtemp(prefix="nfteach-run-", dir=folder))
        try:
            if version == "v1":
                (self.folder / "memory.limit_in_bytes").write_text(str(self.memory))
                if (self.folder / "memory.memsw.limit_in_bytes").exists():
                    (self.folder / "memory.memsw.limit_in_bytes").write_text(str(self.memory))
            else:
                (self.folder / "memory.max").write_text(str(self.memory))
                (self.folder / "memory.swap.max").write_text("0")
            self._procs = str(self.folder / "cgroup.procs")
        except OSError:
            self.__exit__()
        return self

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` started by a Python that first moves itself into the cgroup (its children follow)."""
        return command if self._procs is None else [sys.executable, "-I", "-c", _JOIN, self._procs, *command]

    def __exit__(self, *_: object) -> None:
        if self.folder is None:
            return
        for _ in range(50):  # empty once the run's processes are reaped; the kernel may take a moment
            try:
                self.folder.rmdir()
                break
            except OSError:
                time.sleep(0.02)
        self.folder, self._procs = None, None


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
