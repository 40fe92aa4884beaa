"""How long the course site takes to build: from scratch, again with nothing changed, and after one chapter is edited.

    python bench/site_build.py                                      # every notebook (minutes: each one is executed)
    python bench/site_build.py --only notebooks/00_welcome.ipynb notebooks/03_siren.ipynb   # a quick subset
    python bench/site_build.py --edit notebooks/03_siren.ipynb     # the chapter whose code is edited (default: 01)

It builds from a copy of the kit's notebooks in a temporary folder (the repository is never touched), with a
fresh execution cache: (1) the full build executes every notebook; (2) the rebuild with nothing changed executes
none; (3) one code cell is appended to the edited chapter's copy, and the rebuild executes that chapter alone.
Each line gives the wall seconds and the notebooks executed (counted in the execution cache). Times depend on
the machine and its load: on a shared machine they are indicative only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nfteach.course import site  # noqa: E402  (the checkout's own kit, not an installed one)


def copy_kit(destination: Path) -> Path:
    """The notebooks, exercises and bibliography of the kit, copied to ``destination`` (a build root)."""
    for folder in ("notebooks", "exercises"):
        shutil.copytree(ROOT / folder, destination / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (destination / site.BIBLIOGRAPHY).parent.mkdir(parents=True)
    shutil.copy2(ROOT / site.BIBLIOGRAPHY, destination / site.BIBLIOGRAPHY)
    return destination


def executed(book: Path) -> int:
    """How many notebook executions the build's cache holds (jupyter-cache's table of cached notebooks)."""
    database = book / "jupyter_cache" / "global.db"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT COUNT(*) FROM nbcache").fetchone()[0]


def edit(path: Path) -> None:
    """Append one code cell to the notebook at ``path``: its code changed, so its cached outputs no longer match."""
    notebook = json.loads(path.read_text())
    notebook["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                              "source": "# an edit, as a lecturer would make one\nprint('edited')",
                              **({"id": "bench-edit"} if notebook.get("nbformat_minor", 0) >= 5 else {})})
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", help="build only these notebooks (paths relative to the repository)")
    parser.add_argument("--edit", default="notebooks/01_spectral_bias.ipynb", help="the chapter edited for step 3")
    parser.add_argument("--timeout", type=int, default=600, help="seconds each cell may run (default: 600)")
    args = parser.parse_args()
    if args.only and args.edit not in args.only:
        parser.error(f"--edit {args.edit} must be one of the --only notebooks")
    with tempfile.TemporaryDirectory(prefix="nfteach-site-bench-") as folder:
        root = copy_kit(Path(folder) / "kit")
        paths = [root / p for p in args.only] if args.only else None
        book, out = Path(folder) / "book", Path(folder) / "site"
        count = sum(len(r) for _, r in site.sections(root, paths))
        print(f"{count} notebooks; edited chapter: {args.edit}")
        for step in ("full build", "rebuild, nothing changed", f"rebuild after editing {args.edit}"):
            if step.startswith("rebuild after"):
                edit(root / args.edit)
            before = executed(book)
            started = time.perf_counter()
            site.build(root, out, book=book, paths=paths, timeout=args.timeout)
            seconds = time.perf_counter() - started
            print(f"{step:<50} {seconds:8.1f} s   {executed(book) - before:3d} notebooks executed", flush=True)


if __name__ == "__main__":
    main()
