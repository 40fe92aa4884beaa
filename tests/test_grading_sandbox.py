"""The sandbox itself (one bubblewrap run, no kernel): it shows a kernel what it needs and nothing else, drops root,
bounds its private folders, and its working folder is removed whatever the run did to it."""

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import nfteach
from nfteach.course import sandbox

KIT_AROUND = Path(nfteach.__file__).resolve().parents[1]
PROBE = """
import json, os, pathlib, socket, sys
seen = {{}}
seen["git"] = os.path.exists({git!r})
seen["sibling"] = sorted(os.listdir({around!r}))
seen["classmate"] = os.path.exists({classmate!r})
seen["socket"] = os.path.exists({socket!r})
try:
    open("/etc/shadow").read(1)
    seen["shadow"] = True
except OSError:
    seen["shadow"] = False
seen["uid"] = os.getuid()
for folder in ("/tmp", "/dev/shm"):
    try:
        with open(folder + "/big", "wb") as handle:
            for _ in range(40):
                handle.write(b"x" * 2**20)
        seen[folder] = "wrote 40 MB"
    except OSError as error:
        seen[folder] = "refused"
pathlib.Path("made").mkdir()
pathlib.Path("made/inner").mkdir()
os.chmod("made/inner", 0)
os.chmod("made", 0)
print(json.dumps(seen), file=sys.stderr)
"""


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    if sandbox.problem() is not None:
        pytest.skip(f"no sandbox here: {sandbox.problem()}")
    elsewhere = tmp_path_factory.mktemp("class")
    (elsewhere / "bob_01.ipynb").write_text("{}")
    listening = tmp_path_factory.mktemp("sockets") / "host.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(listening))
    workdir = Path(tempfile.mkdtemp(prefix="nfteach-grade-"))
    script = PROBE.format(git=str(KIT_AROUND / ".git"), around=str(KIT_AROUND), classmate=str(elsewhere / "bob_01.ipynb"),
                          socket=str(listening))
    limits = sandbox.Limits(memory=2 * 2**30, seconds=120, tmp_bytes=16 * 2**20)
    outcome = sandbox.run([sys.executable, "-c", script], workdir, hidden=[elsewhere], limits=limits)
    server.close()
    made = (workdir / "made").exists()
    sandbox.remove(workdir)
    assert outcome.returncode == 0, outcome.stderr
    return {**json.loads(outcome.stderr.strip().splitlines()[-1]), "left": workdir.exists(), "made": made}


def test_the_repository_around_the_kit_and_its_git_are_absent(probed):
    # only the kit's package is shown, and the Python environment when it lives inside the repository (.venv)
    python = Path(sys.prefix).resolve()
    root = Path(nfteach.__file__).resolve().parents[1]
    allowed = ["nfteach"] + ([python.relative_to(root).parts[0]] if python.is_relative_to(root) else [])
    assert probed["git"] is False and probed["sibling"] == sorted(allowed)


def test_other_folders_and_host_sockets_are_absent(probed):
    assert probed["classmate"] is False and probed["socket"] is False


def test_the_run_is_nobody_and_cannot_read_root_only_files(probed):
    assert probed["uid"] == sandbox.NOBODY and probed["shadow"] is False


def test_the_private_tmp_and_shared_memory_are_size_limited(probed):
    assert probed["/tmp"] == "refused" and probed["/dev/shm"] == "refused"


def test_the_working_folder_is_removed_even_after_a_chmod_000(probed):
    assert probed["made"] and not probed["left"]


def test_the_command_does_not_grow_with_the_number_of_submissions(tmp_path):
    folder = tmp_path / "submitted"
    folder.mkdir()
    files = [folder / f"student{i:05d}_01_spectral_bias.ipynb" for i in range(17000)]
    command = sandbox.bwrap_command(["true"], tmp_path, sandbox.Limits(), hidden=[folder, *files])
    assert len(command) < 200 and len(" ".join(command)) < 20000


def test_cleanup_removes_a_tree_its_owner_locked():
    tmp_path = Path(tempfile.mkdtemp(prefix="nfteach-test-"))  # in /tmp: nobody can reach it there
    workdir = tmp_path / "run"
    (workdir / "a" / "b").mkdir(parents=True)
    (workdir / "a" / "b" / "data").write_bytes(b"x" * 1000)
    os.chmod(workdir / "a" / "b", 0)
    os.chmod(workdir / "a", 0)
    if os.geteuid() == 0:  # root ignores modes: remove as the tree's owner, an ordinary user, as the guide advises
        for path in [workdir, workdir / "a", workdir / "a" / "b", workdir / "a" / "b" / "data"]:
            os.chown(path, sandbox.NOBODY, sandbox.NOBODY)
        os.chown(tmp_path, sandbox.NOBODY, sandbox.NOBODY)
        code = (f"import os, pathlib; from nfteach.course import sandbox; os.setgid({sandbox.NOBODY}); "
                f"os.setuid({sandbox.NOBODY}); sandbox.remove(pathlib.Path({str(workdir)!r}))")
        subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": str(KIT_AROUND)})
    else:
        sandbox.remove(workdir)
    assert not workdir.exists()
    tmp_path.rmdir()


def test_without_the_sandbox_a_child_that_left_the_process_group_is_killed_too(tmp_path):
    mark = "4321.5"
    escape = f"import subprocess\nsubprocess.Popen(['setsid', 'sleep', '{mark}'], start_new_session=True)"
    outcome = sandbox.run([sys.executable, "-c", escape], tmp_path, hidden=[], limits=sandbox.Limits(seconds=60),
                          sandbox=False)
    assert outcome.returncode == 0, outcome.stderr
    left = subprocess.run(["pgrep", "-f", f"sleep {mark}"], capture_output=True, text=True).stdout.split()
    assert left == []


SHARED_HOG = """
import mmap
shared = mmap.mmap(-1, 3 * 2**29, flags=mmap.MAP_SHARED)  # 1.5 GB that no rlimit counts
for offset in range(0, len(shared), 4096):
    shared[offset] = 1
print("kept 1.5 GB")
"""


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandbox", "no-sandbox"])
def test_shared_memory_past_the_limit_is_killed_where_a_memory_cgroup_can_be_made(tmp_path, sandboxed):
    if sandbox.memory_cgroups() is not None:
        pytest.skip(f"no memory cgroup here: {sandbox.memory_cgroups()}")
    if sandboxed and sandbox.problem() is not None:
        pytest.skip(f"no sandbox here: {sandbox.problem()}")
    os.chmod(tmp_path, 0o777)
    outcome = sandbox.run([sys.executable, "-c", SHARED_HOG], tmp_path, hidden=[],
                          limits=sandbox.Limits(memory=2**30, seconds=120), sandbox=sandboxed)
    assert outcome.returncode == -9 or outcome.returncode == 137, outcome  # the OOM killer, inside the cgroup
    assert "kept" not in outcome.stderr
