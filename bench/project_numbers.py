"""Run the five project starters and write down the numbers they print, so that no one types them in.

    .venv/bin/python bench/project_numbers.py            # seed 0: rewrites the two files below
    .venv/bin/python bench/project_numbers.py notebooks/projects/p3_solid_texture.ipynb   # one starter, the others kept
    .venv/bin/python bench/project_numbers.py --seed 3   # the same under NFTEACH_SEED=3 (printed, nothing written)

Each starter ends with a ``results`` table (row → metric → value). This script runs every starter in a fresh kernel
(``NFTEACH_SEED=0``, progress bars off), reads its ``results`` and writes

* ``nfteach/explore/project_numbers.py``: ``NUMBERS`` (starter → its results) and ``MEASURED`` (where and when),
  which chapter 7 shows as the starters' tables;
* the block between the ``project-numbers`` markers in ``docs/instructors.md``: the same tables, which the rubric
  above it refers to.

Rerun it after changing a starter; ``tests/test_project_metrics.py`` checks that the two agree.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import pprint
import sys
from pathlib import Path

import nbformat

from nfteach.course.execute import RecoveringClient

ROOT = Path(__file__).resolve().parents[1]
STARTERS = sorted((ROOT / "notebooks" / "projects").glob("p*.ipynb"))
MODULE = ROOT / "nfteach" / "explore" / "project_numbers.py"
GUIDE = ROOT / "docs" / "instructors.md"
BEGIN, END = "<!-- project-numbers: begin (bench/project_numbers.py) -->", "<!-- project-numbers: end -->"
SENTINEL = "NFTEACH-RESULTS "


def starter_results(notebook: Path, seed: int, timeout: int = 900) -> dict:
    """Execute ``notebook`` under ``NFTEACH_SEED=seed`` and return its ``results`` (rounded to 4 significant digits)."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\n"
        f"print({SENTINEL!r} + _json.dumps(results, default=float))"))
    os.environ["NFTEACH_SEED"], os.environ["NFTEACH_PROGRESS"] = str(seed), "0"
    RecoveringClient(nb, timeout=timeout, kernel_name="python3",  # no stall waits out the timeout (issue 26)
                   resources={"metadata": {"path": str(notebook.parent)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    line = next(line for line in text.splitlines() if line.startswith(SENTINEL))
    results = json.loads(line[len(SENTINEL):])
    round4 = lambda v: v if isinstance(v, int) else float(f"{v:.4g}")
    return {row: {metric: round4(v) for metric, v in values.items()} for row, values in results.items()}


def markdown_tables(numbers: dict) -> str:
    """Each starter's results as a markdown table (its rows and metrics, as the starter prints them)."""
    lines = []
    for starter, results in numbers.items():
        metrics = list(dict.fromkeys(m for row in results.values() for m in row))
        lines += [f"**{starter}**", "", "| | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
        for row, values in results.items():
            lines.append(f"| {row} | " + " | ".join(f"{values[m]:.3g}" if m in values else "–" for m in metrics) + " |")
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def write(numbers: dict, measured: dict) -> None:
    MODULE.write_text(
        '"""The numbers the project starters print (seed 0), written by ``bench/project_numbers.py``: do not edit by\n'
        'hand, rerun it. Chapter 7 shows them; the rubric in ``docs/instructors.md`` carries the same tables."""\n\n'
        f"MEASURED = {pprint.pformat(measured, width=110, sort_dicts=False)}\n\n"
        f"NUMBERS = {pprint.pformat(numbers, width=110, sort_dicts=False)}\n")
    guide = GUIDE.read_text()
    if BEGIN not in guide or END not in guide:
        raise SystemExit(f"project_numbers: {GUIDE} lacks the markers {BEGIN!r} … {END!r}; put them where the tables go")
    head, rest = guide.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    GUIDE.write_text(f"{head}{BEGIN}\n{markdown_tables(numbers)}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("starters", nargs="*", type=Path, help="starters to rerun (default: all five)")
    parser.add_argument("--seed", type=int, default=0, help="NFTEACH_SEED (only seed 0 is written)")
    args = parser.parse_args(argv)
    chosen = [p.resolve() for p in args.starters] or STARTERS
    unknown = [str(p) for p in chosen if p not in STARTERS]
    if unknown:
        raise SystemExit(f"project_numbers: not a starter: {', '.join(unknown)}; pick from notebooks/projects/p*.ipynb")
    numbers = {}
    if len(chosen) < len(STARTERS):
        from nfteach.explore.project_numbers import NUMBERS
        numbers = dict(NUMBERS)
    for notebook in chosen:
        numbers[notebook.stem] = starter_results(notebook, args.seed)
        print(f"{notebook.stem}: {numbers[notebook.stem]}", flush=True)
    if args.seed == 0:
        import torch
        measured = {"date": datetime.date.today().isoformat(), "seed": 0, "python": platform.python_version(),
                    "torch": torch.__version__, "machine": platform.machine()}
        write({n.stem: numbers[n.stem] for n in STARTERS}, measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
