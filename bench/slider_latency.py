"""Time how long each explorer takes to redraw when a slider moves: its first draw, then the median of a few moves
to settings it has not drawn before (the slow case: a remembered setting redraws at once).

    .venv/bin/python bench/slider_latency.py              # every explorer below
    .venv/bin/python bench/slider_latency.py A1 A3        # those whose name starts so

Each explorer is built in a fresh Jupyter kernel as its notebook builds it (same image, sizes and steps), so the
figure is rendered to a PNG by the inline backend as in JupyterLab; a move sets the slider's value, which redraws
before it returns. Beside the wall seconds, the kernel's CPU seconds per move: on a busy machine they are close to
what the move takes on an idle one (the fits run on one thread), so they compare versions where wall times cannot.
Left out: the explorers over a model the notebook trains first (chapter 5's latent, chapter 6's
level, A2's view angle), which evaluate a fixed model and train nothing. Times depend on what else runs on the CPU:
give the load beside them (``uptime``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import nbformat

from nfteach.course.site import execute_notebook

ROOT = Path(__file__).resolve().parents[1]

SETUP = """\
import json, time
import nfteach
from nfteach.data import image
device = nfteach.setup(seed=0, cpu_threads=1)

def measure(name, build, moves):
    start = time.perf_counter()
    box = build()
    first = time.perf_counter() - start
    sliders, seconds, cpu = box.children[0].children, [], []
    for index, value in moves:   # (which slider, its new value)
        start, start_cpu = time.perf_counter(), time.process_time()
        sliders[index].value = value   # redraws before it returns
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(json.dumps({"explorer": name, "first": first, "moves": seconds, "cpu": cpu, "status": box.children[1].value}))
"""

EXPLORERS = {
    "01 spectral bias": ("from nfteach.explore.spectral_bias import spectral_bias_explorer",
                         "lambda: spectral_bias_explorer(device=device)", [(0, 12), (1, 6), (0, 20)]),
    "02 Fourier σ": ("from nfteach.explore.fourier import fourier_sigma_explorer",
                     "fourier_sigma_explorer", [(0, 8), (0, 32), (0, 0.5)]),
    "03 SIREN ω0, depth": ("from nfteach.explore.siren import siren_explorer",
                           "lambda: siren_explorer(image('camera', size=48))", [(0, 10), (1, 2), (0, 100)]),
    "04 smooth union k": ("from nfteach.explore import shapes", "shapes.smoothing_explorer", [(0, 0.05), (0, 0.3), (0, 0.5)]),
    "04 TSDF truncation": ("from nfteach.explore import shapes", "shapes.truncation_explorer",
                           [(0, 0.02), (0, 0.2), (0, 0.5)]),
    "A1 table size": ("from nfteach.explore import hash_grid\n"
                      "crop = image('camera', size=256)[64:-64, 64:-64]   # the notebook's 128² centre",
                      "lambda: hash_grid.table_size_explorer(crop, steps=60, device=device)", [(0, 12), (0, 8), (0, 14)]),
    "A1 levels": ("from nfteach.explore import hash_grid\ncrop = image('camera', size=256)[64:-64, 64:-64]",
                  "lambda: hash_grid.levels_explorer(crop, steps=60, device=device)", [(0, 2), (0, 8), (0, 1)]),
    "A3 Gaussian width": ("from nfteach.explore import activations",
                          "lambda: activations.width_explorer(image('camera', size=64), 'gaussian', width=64, "
                          "hidden_layers=2, steps=200, lr=3e-3, device=device)", [(0, 0.02), (0, 0.1), (0, 0.2)]),
    "A1+twin table size": ("from nfteach.explore import hash_grid\ncrop = image('camera', size=256)[64:-64, 64:-64]\n"
                           "known = {}\nhash_grid.table_size_grid(crop, steps=60, known=known, device=device)",
                           "lambda: hash_grid.table_size_explorer(crop, steps=60, known=known, device=device)",
                           [(0, 12), (0, 8), (0, 14)]),
    "A3+twin Gaussian width": ("from nfteach.explore import activations\ncamera, known = image('camera', size=64), {}\n"
                               "settings = dict(width=64, hidden_layers=2, steps=200, lr=3e-3, device=device)\n"
                               "activations.width_grid(camera, 'gaussian', widths=activations.WIDTHS, known=known, **settings)",
                               "lambda: activations.width_explorer(camera, 'gaussian', known=known, **settings)",
                               [(0, 0.02), (0, 0.1), (0, 0.2)]),
    "A3 CPPN": ("from nfteach.explore import activations", "lambda: activations.cppn_explorer(resolution=256)",
                [(0, 0.5), (1, 6), (2, "sin")]),
}
"""name → (imports and data, the explorer as its notebook builds it, moves (slider index, value)). The ``+twin`` rows
build the explorer after its static twin, as Run All does: their moves go to settings the twin has fitted."""


def latency_notebook(names: list[str]) -> nbformat.NotebookNode:
    """A notebook that builds and moves each named explorer, one cell each, printing one JSON line per explorer."""
    cells = [nbformat.v4.new_code_cell(SETUP)]
    for name in names:
        imports, build, moves = EXPLORERS[name]
        cells.append(nbformat.v4.new_code_cell(f"{imports}\nmeasure({name!r}, {build}, {moves!r})"))
    return nbformat.v4.new_notebook(cells=cells)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="explorer names to time, or their beginnings (default: all)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per explorer (default 600)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args = parser.parse_args(argv)
    names = [name for name in EXPLORERS if not args.only or any(name.startswith(start) for start in args.only)]
    if not names:
        print(f"slider_latency: no explorer starts with {args.only}; there are {list(EXPLORERS)}", file=sys.stderr)
        return 2
    notebook = latency_notebook(names)
    execute_notebook(notebook, ROOT / "notebooks", args.timeout)
    results = [json.loads(line) for cell in notebook.cells for output in cell.get("outputs", [])
               if output.get("name") == "stdout" for line in output["text"].splitlines() if line.startswith("{")]
    load = os.getloadavg()[0]
    print(f"{'explorer':22s}  {'first draw s':>12}  {'median move s':>13}  {'CPU s':>5}  moves s   (load {load:.1f} at the end)")
    for result in results:
        moves = ", ".join(f"{s:.1f}" for s in result["moves"])
        print(f"{result['explorer']:22s}  {result['first']:12.1f}  {statistics.median(result['moves']):13.1f}  "
              f"{statistics.median(result['cpu']):5.1f}  {moves}")
        if not result["status"].startswith("drawn in"):
            print(f"  the explorer's status line: {result['status']}")
    if args.json is not None:
        args.json.write_text(json.dumps({"load": load, "results": results}, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
