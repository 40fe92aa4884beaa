"""Install the PyTorch build the kit was tested with, the CPU build where there is no GPU; keep a torch already there.

    python requirements/install_torch.py            # what `make lab` / `make test` run with .venv's Python
    python requirements/install_torch.py --dry-run  # only say what pip would install

Per platform (PyPI's torch for Linux is the CUDA build: a 500 MB wheel plus several GB of CUDA libraries):

* a torch that imports already (Colab, a conda environment, a venv made with --system-site-packages): kept;
* Linux without an NVIDIA GPU: PyTorch's own CPU wheel index (the one its install selector gives); where that
  index cannot be reached, a CPU wheel (``+cpu``) from the other configured sources (a wheel on local disk);
  neither: stop with a message, never the CUDA build;
* Linux with an NVIDIA GPU: PyPI's build (CUDA); macOS: PyPI's (CPU and MPS); Windows: PyPI's (CPU).

Only the standard library is used, so it runs before anything is installed (Windows included).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys

TORCH_VERSION = "2.13.0"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
FAIL_FAST = ["--timeout", "10", "--retries", "0"]  # an unreachable index fails in seconds, not minutes


def has_nvidia_gpu() -> bool:
    """True when an NVIDIA driver is present (its tool or its /proc entry)."""
    return shutil.which("nvidia-smi") is not None or os.path.exists("/proc/driver/nvidia/version")


def attempts(system: str, nvidia: bool, version: str = TORCH_VERSION) -> list[list[str]]:
    """The ``pip install`` arguments to try in order on ``system`` (platform.system()'s name)."""
    if system == "Linux" and not nvidia:
        return [[f"torch=={version}", "--index-url", CPU_INDEX, *FAIL_FAST], [f"torch=={version}+cpu"]]
    return [[f"torch=={version}"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="pass --dry-run to pip: install nothing")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("torch") is not None:
        print("install_torch: torch is already installed here; it is kept")
        return 0
    system = platform.system()
    tries = attempts(system, system == "Linux" and has_nvidia_gpu())
    for pip_args in tries:
        command = [sys.executable, "-m", "pip", "install", *pip_args] + (["--dry-run"] if args.dry_run else [])
        print("install_torch: " + " ".join(command[1:]), flush=True)
        if subprocess.run(command).returncode == 0:
            return 0
    why = (f"{CPU_INDEX} was not reachable and no CPU wheel is on the other configured sources" if len(tries) > 1
           else "pip failed (its message is above)")
    print(f"install_torch: torch {TORCH_VERSION} could not be installed: {why}. Connect to the internet and rerun "
          "`make`, or install torch yourself into .venv (`make` keeps it).", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
