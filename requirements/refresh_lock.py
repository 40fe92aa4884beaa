"""Write requirements/lock.txt: the exact versions `make lab`, `make test` and CI install (``pip -c``).

    .venv/bin/python requirements/refresh_lock.py                    # the newest versions pyproject.toml allows
    .venv/bin/python requirements/refresh_lock.py -c old-freeze.txt  # the versions of an environment that passed

pip resolves the kit with every extra (``.[lab,course,test,site]``) in a dry run, nothing is installed; torch is left
out (requirements/install_torch.py pins it, and a torch already installed is kept), and so is the kit itself.
A version that needs a newer Python than the oldest the kit supports carries that Python as a marker, so on
an older Python that package floats within pyproject's range. After a refresh run `rm .venv/.installed;
make test` and commit the lock only if it passes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
LEFT_OUT = {"nfteach", "torch"}
WHY = {"ipykernel": "capped below 7 in pyproject.toml: ipython/ipykernel#1554 (requests left unread under load)"}
HEADER = """\
# The versions nfteach was tested with: `make lab`, `make test` and CI install with `pip install -c` this file.
# Written by requirements/refresh_lock.py (Python {python}, {platform}); torch is pinned by install_torch.py.
# Refresh: .venv/bin/python requirements/refresh_lock.py, then `rm .venv/.installed; make test`, then commit.
"""


def marker(requires_python: str | None) -> str:
    """An environment marker for a release's Requires-Python, or '' when the kit's oldest Python is allowed."""
    from packaging.specifiers import SpecifierSet

    if not requires_python or "3.10" in SpecifierSet(requires_python):
        return ""
    return "; " + " and ".join(f'python_full_version {spec.operator} "{spec.version}"'
                               for spec in SpecifierSet(requires_python))


def resolve(constraints: Path | None) -> list[dict]:
    """pip's dry-run report of installing the kit with every extra into an empty environment."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--report", str(report), f"{ROOT}[lab,course,test,site]"]
        if constraints is not None:
            command += ["-c", str(constraints)]
        subprocess.run(command, check=True)
        return json.loads(report.read_text())["install"]


def lock_text(installs: list[dict]) -> str:
    lines = []
    for item in installs:
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        if name.lower() not in LEFT_OUT:
            why = f"  # {WHY[name.lower()]}" if name.lower() in WHY else ""
            lines.append(f"{name}=={version}{marker(item['metadata'].get('requires_python'))}{why}")
    header = HEADER.format(python=sys.version.split()[0], platform=sys.platform)
    return header + "\n".join(sorted(lines, key=str.lower)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--constraints", type=Path, help="resolve within these versions (e.g. a pip freeze)")
    args = parser.parse_args(argv)
    LOCK.write_text(lock_text(resolve(args.constraints)))
    print(f"wrote {LOCK.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
