"""The claims harness: run every chapter, project and appendix under several seeds, and once with the method
swapped for its baseline, and record each ``assert``'s value and slack (how far it was from failing).

    .venv/bin/python bench/claims.py                                # every notebook, seeds 0-4, the wrong methods
    .venv/bin/python bench/claims.py notebooks/02_fourier_features.ipynb --seeds 0 1 2 --jobs 2
    .venv/bin/python bench/claims.py --report                       # rewrite docs/claims.md from docs/claims.json

How a claim is read: each ``assert`` in a notebook's code cells is rewritten in the kernel (an IPython AST
transformer) to record, then check, its test. For a comparison ``a > b`` (or ``>=``) the slack is ``a - b``, for
``a < b`` it is ``b - a``; a chain ``a < b < c`` or an ``and`` of comparisons takes the smallest; other asserts
(``all(...)``, a boolean) are recorded as held or not, without slack. In the harness an assert that fails is recorded
and the run goes on, so one run measures every claim of the notebook.

A claim is **robust** when it holds for every seed with a smallest slack larger than the seed-to-seed spread (the
standard deviation of the slack over the seeds): a claim with less room flips on the next CPU or minor version.

The wrong-method runs (``WRONG_METHODS`` below) prepend a cell that swaps the chapter's method for what it is compared
against (SIREN → tanh, Fourier features → none, …); the claims listed there must then fail. Results accumulate in
``docs/claims.json`` (one entry per notebook, seed or swap, with the machine and versions) and ``docs/claims.md`` is
written from it, so a run of one chapter keeps the others' rows.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "claims.json"
REPORT = ROOT / "docs" / "claims.md"
SEEDS = (0, 1, 2, 3, 4)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9A]*.ipynb")) + sorted((ROOT / "notebooks" / "projects").glob("p*.ipynb"))


@dataclass(frozen=True)
class WrongMethod:
    """The method swapped for its baseline: ``code`` runs before the notebook's first cell (it patches the kit's
    modules, so the notebook's own imports pick the swap up); each entry of ``must_fail`` is a piece of an
    assert's source that must then fail."""

    name: str
    code: str
    must_fail: tuple[str, ...]


WRONG_METHODS: dict[str, WrongMethod] = {
    "02_fourier_features.ipynb": WrongMethod(
        "the Gaussian mapping's σ divided by 1000: its features become (nearly) the raw coordinates, i.e. no mapping",
        "import nfteach.encodings as e\n"
        "_init = e.FourierFeatures.__init__\n"
        "def _no_mapping(self, *args, **kwargs):\n"
        "    _init(self, *args, **kwargs)\n"
        "    self.B.mul_(1e-3)   # from_matrix (basic, positional) copies its own B over this afterwards\n"
        "e.FourierFeatures.__init__ = _no_mapping\n",
        ('photos["gaussian"] > photos["basic"] + 0.5', 'held_out[n]["gaussian"] - held_out[n]["none"]'),
    ),
    "01_spectral_bias.ipynb": WrongMethod(
        "the ReLU MLP given Gaussian Fourier features (σ = 20): a network without spectral bias on this signal",
        "import nfteach.explore.spectral_bias as room\n"
        "from nfteach.encodings import FourierFeatures\n"
        "_MLP = room.MLP\n"
        "room.MLP = lambda i, w, d, o, **k: _MLP(i, w, d, o, encoding=FourierFeatures(i, 128, 20.0), **k)\n",
        ("rank_correlation(response_equal[MIDDLE]) < -0.7", "half_equal[0] < half_equal[1] < half_equal[-1]"),
    ),
    "03_siren.ipynb": WrongMethod(
        "SIREN's sine replaced by tanh (SIREN's init and ω0 kept)",
        "import torch, nfteach.models as m\n"
        "m.SineLayer.forward = lambda self, x: torch.tanh(self.omega_0 * self.linear(x))\n",
        ('results["SIREN"] > results["ReLU + PE"] + 3', 'audio_psnr["SIREN"] > audio_psnr["ReLU"] + 10'),
    ),
    "04_occupancy_sdf.ipynb": WrongMethod(
        "near-surface sampling replaced by uniform sampling in the padded box",
        "import nfteach.shapes as s\n"
        "s.sample_near_surface = lambda shape, n, sigmas=None, seed=None: s.sample_uniform(shape, n, 0.1, seed)\n",
        ('near["pieces"] > uniform["pieces"]', 'mixed["IoU"] > uniform["IoU"] + 0.01'),
    ),
    "A1_hash_grid.ipynb": WrongMethod(
        "the hash grid's encoding removed: the same ReLU MLP on raw coordinates (a dense grid of the same memory "
        "instead is as fast at 256², as the notebook says: the race is won by the grid, not by the hash)",
        "import nfteach.train as t\n"
        "from nfteach.models import MLP\n"
        "t.HashGridFit.model = lambda self, i=2, o=1: MLP(i, self.hidden_features, 1, o)\n",
        ("hash_s < siren_s", "size_psnr[6] + 3 < size_psnr[10]", "level_psnr[1] + 5 < level_psnr[4]"),
    ),
    "A6_hybrid_grids.ipynb": WrongMethod(
        "the hash grid's finest level capped at N_min = 16 (its memory budget kept for the others), and the "
        "tri-plane given EG3D's released planes (xy, xz, zx: no yz plane)",
        "import nfteach.encodings as e\n"
        "_hash_init, _plane_init = e.HashGrid.__init__, e.TriPlane.__init__\n"
        "def _capped(self, in_features=2, levels=16, features_per_level=2, log2_table_size=14, base_resolution=16,\n"
        "            max_resolution=256):\n"
        "    _hash_init(self, in_features, levels, features_per_level, log2_table_size, base_resolution,\n"
        "               base_resolution)\n"
        "e.HashGrid.__init__ = _capped\n"
        "e.TriPlane.__init__ = lambda self, resolution=64, features=32, axes=None: _plane_init(\n"
        "    self, resolution, features, e.EG3D_RELEASED_AXES)\n",
        ('hash_small > small["dense, 8 levels"]', 'hashed["SDF error"] < min(', 'planes["IoU"] > eg3d["IoU"] + 0.2'),
    ),
    "A2_tiny_nerf.ipynb": WrongMethod(
        "positional encoding removed (L = 0: raw xyz) for the 'PE' field too",
        "import nfteach.nerf as n\n"
        "_init = n.RadianceField.__init__\n"
        "n.RadianceField.__init__ = lambda self, num_frequencies=6, **k: _init(self, num_frequencies=0, **k)\n",
        ('pe["depth error"] < raw["depth error"]',),
    ),
    "A3_activations_cppn.ipynb": WrongMethod(
        "every activation of the zoo replaced by ReLU (with the zoo's Xavier init)",
        "import torch, nfteach.models as m\n"
        "class _ReLU(torch.nn.ReLU):\n"
        "    def __init__(self, a=None):\n"
        "        super().__init__()\n"
        "for _name in list(m.ACTIVATIONS):\n"
        "    if _name not in ('relu', 'tanh'):\n"
        "        m.ACTIVATIONS[_name] = type(_name, (_ReLU, m._Shaped), {})\n",
        ("fits[name].psnr > baseline + 3", 'unseen["gaussian"] > max(unseen["relu"], unseen["tanh"]) + 3'),
    ),
    "A4_conditional_occupancy.ipynb": WrongMethod(
        "the encoder's code replaced by zeros, in training and at test time: an unconditional decoder that never sees "
        "the observation",
        "import torch, nfteach.onet as o\n"
        "o.PointNetEncoder.forward = lambda self, cloud: torch.zeros(len(cloud), self.code_size, device=cloud.device) "
        "+ 0 * self.fc_c.bias.sum()\n",
        ('iou["encoder (one forward pass)"] > iou["mean code (no observation)"] + 0.1',
         'iou["encoder (one forward pass)"] > 0.4', 'chamfer["encoder (one forward pass)"] < 0.75'),
    ),
    "A5_siren_video_waves.ipynb": WrongMethod(
        "SIREN's sine replaced by tanh (SIREN's init and ω0 kept), in the video fit and the Helmholtz solve",
        "import torch, nfteach.models as m\n"
        "m.SineLayer.forward = lambda self, x: torch.tanh(self.omega_0 * self.linear(x))\n",
        # tanh finds u ≈ 0 with an even lower residual than SIREN's: the residual claim compares SIREN with ReLU + PE
        # only; the field's error tells SIREN from tanh
        ("lead > 10", 'errors["SIREN"] < 0.9'),
    ),
    "05_neural_sdf.ipynb": WrongMethod(
        "SIREN → a ReLU MLP of the same size without positional encoding; the Lipschitz regulariser → inert (its "
        "bound detached, so α shrinks nothing); the held-out shape's code → not optimised (1 step)",
        "import nfteach.deepsdf as d, nfteach.models as m\n"
        "def _relu(in_features, hidden_features, hidden_layers, out_features, **omegas):\n"
        "    return m.MLP(in_features, hidden_features, hidden_layers, out_features)\n"
        "m.Siren = _relu\n"
        "_bound = m.LipschitzMLP.lipschitz_bound\n"
        "m.LipschitzMLP.lipschitz_bound = lambda self: _bound(self).detach()\n"
        "_reconstruct = d.reconstruct\n"
        "d.reconstruct = lambda decoder, points, sdf, steps=800, **options: _reconstruct(decoder, points, sdf, 1, **options)\n",
        # a plain ReLU matches SIREN's completeness and residual on the smooth torus (chapter 5 says so): what
        # must fail is what tells SIREN's ω0 apart, the Lipschitz bound and the optimised code
        ('siren["eikonal residual"] < 0.9 * siren_30', 'siren_30["pieces"]', 'lipschitz["Π softplus(c)"]',
         'held_chamfer["reconstructed code"]'),
    ),
    "p1_correspondence.ipynb": WrongMethod(
        "the normal flow → not moving (∇f = 0), and the Lipschitz term → no gradient (α = 0 in effect)",
        "import torch, nfteach.models as m\n"
        "m.gradient = lambda field, points, *a, **k: torch.zeros_like(points)\n"
        "_bound = m.LipschitzMLP.lipschitz_bound\n"
        "m.LipschitzMLP.lipschitz_bound = lambda self: _bound(self).detach()\n",
        ("< 0.6 * ceiling", "net.lipschitz_bound().item() < 0.1 * initial_bound"),
    ),
    "p2_texture_synthesis.ipynb": WrongMethod(
        "Fourier features → none (every point gets the features of 0: the field is one constant grey)",
        "import nfteach.encodings as e\n"
        "_forward = e.FourierFeatures.forward\n"
        "e.FourierFeatures.forward = lambda self, v: _forward(self, 0 * v)\n",
        ('field_scores["patch SWD"] < 1.1', 'field_scores["repetition"] > real'),
    ),
    "p3_solid_texture.ipynb": WrongMethod(
        "Fourier features → none (every point gets the features of 0: the solid texture is one constant grey)",
        "import nfteach.encodings as e\n"
        "_forward = e.FourierFeatures.forward\n"
        "e.FourierFeatures.forward = lambda self, v: _forward(self, 0 * v)\n",
        ('field_scores["held-out SWD"] < extruded', 'field_scores["diversity"] > 0.8'),
    ),
    "p4_surface_parametrisation.ipynb": WrongMethod(
        "the trained map → the untrained draped sheet (the optimiser takes no step)",
        "import nfteach.explore.projects as room\n"
        "room.optimise = lambda loss_fn, parameters, steps, lr, desc='fit': []\n",
        ('net_scores["SDF error"] < 0.1', 'net_scores["coverage"] < 1.5'),
    ),
    "p5_composing_primitives.ipynb": WrongMethod(
        "the smooth min → the hard min (k ignored)",
        "import nfteach.shapes as s\n"
        "_smooth_min_all = s.smooth_min_all\n"
        "s.smooth_min_all = lambda values, k: _smooth_min_all(values, 0.0)\n",
        ('smooth["IoU"] > hard["IoU"]',),
    ),
    "06_mrnet.ipynb": WrongMethod(
        "M-Net's widths growing per stage → equal widths of the same parameter count",
        "import torch, nfteach.mrnet as mr\n"
        "from nfteach.models import count_parameters\n"
        "_init = mr.MRNet.__init__\n"
        "def _size(*args, **k):\n"
        "    probe = mr.MRNet.__new__(mr.MRNet)\n"
        "    _init(probe, *args, **k)\n"
        "    return count_parameters(probe)\n"
        "def _equal_widths(self, kind, i, o, stages, hidden_features, *a, **k):\n"
        "    if not isinstance(hidden_features, int):\n"
        "        state = torch.random.get_rng_state()\n"
        "        size = _size(kind, i, o, stages, hidden_features, *a, **k)\n"
        "        hidden_features = min(range(1, 300), key=lambda w: abs(_size(kind, i, o, stages, w, *a, **k) - size))\n"
        "        torch.random.set_rng_state(state)\n"
        "    _init(self, kind, i, o, stages, hidden_features, *a, **k)\n"
        "mr.MRNet.__init__ = _equal_widths\n",
        ('grown[-1] > table["M-Net"][-1]', 'grown[-1] > table["SIREN, sampled"][-1]',
         'grown[k] - table["M-Net"][k]'),
    ),
}


# ---- inside the kernel -------------------------------------------------------------------------------------------

class _Recorder(ast.NodeTransformer):
    """``assert test, msg`` → ``_nfteach_claim(cell, line, source, lambda: <sides>)``; the recorder evaluates the
    comparison's sides once, records value and slack, and never raises."""

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        source = ast.unparse(node.test)
        call = ast.parse(f"_nfteach_claim({node.lineno}, {source!r}, lambda: None)").body[0]
        call.value.args[2] = ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[],
                                                          defaults=[]), body=_sides(node.test))
        return ast.copy_location(call, node)


def _sides(test: ast.expr) -> ast.expr:
    """An expression that evaluates to ``("cmp", [operands], [ops])``, ``("and", [parts])`` or ``("bool", value)``."""
    if isinstance(test, ast.Compare) and all(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in test.ops):
        ops = [type(op).__name__ for op in test.ops]
        return ast.Tuple([ast.Constant("cmp"), ast.List([test.left, *test.comparators], ast.Load()),
                          ast.List([ast.Constant(op) for op in ops], ast.Load())], ast.Load())
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return ast.Tuple([ast.Constant("and"), ast.List([_sides(v) for v in test.values], ast.Load())], ast.Load())
    return ast.Tuple([ast.Constant("bool"), test], ast.Load())


def _as_number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, RuntimeError):
        return None
    return number


def _values(sides) -> list:
    """The numbers a claim compared (for the report), flattened."""
    if sides[0] == "cmp":
        return [round(v, 4) if isinstance(v, float) else None for v in map(_as_number, sides[1])]
    if sides[0] == "and":
        return [v for part in sides[1] for v in _values(part)]
    return []


def _judge(sides) -> tuple[bool, float | None]:
    """(held, slack) of what :func:`_sides` evaluated to."""
    kind = sides[0]
    if kind == "bool":
        return bool(sides[1]), None
    if kind == "and":
        judged = [_judge(part) for part in sides[1]]
        slacks = [s for _, s in judged if s is not None]
        return all(held for held, _ in judged), (min(slacks) if slacks else None)
    operands, ops = [_as_number(v) for v in sides[1]], sides[2]
    pairs = list(zip(operands, operands[1:], ops))
    if any(a is None or b is None for a, b, _ in pairs):
        import operator
        table = {"Lt": operator.lt, "LtE": operator.le, "Gt": operator.gt, "GtE": operator.ge}
        return all(table[op](a, b) for a, b, op in zip(sides[1], sides[1][1:], ops)), None
    slack = min((b - a) if op in ("Lt", "LtE") else (a - b) for a, b, op in pairs)
    slack = slack if math.isfinite(slack) else None   # NaN or inf: no room to speak of (and NaN fails below)
    held = all((a < b if op == "Lt" else a <= b if op == "LtE" else a > b if op == "Gt" else a >= b)
               for a, b, op in pairs)
    return held, slack


def install(log_path: str) -> None:
    """Register the assert recorder in the running IPython kernel; records go to ``log_path`` (JSON lines)."""
    import builtins

    from IPython import get_ipython

    state = {"cell": -1}

    def claim(line: int, source: str, sides) -> None:
        try:
            evaluated = sides()
            (held, slack), values, error = _judge(evaluated), _values(evaluated), None
        except Exception as failure:  # the claim's own expression raised: recorded as not holding
            held, slack, values, error = False, None, [], f"{type(failure).__name__}: {failure}"[:200]
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"cell": state["cell"], "line": line, "source": source, "held": held,
                                  "slack": slack, "values": values, "error": error}) + "\n")

    class Transformer(ast.NodeTransformer):
        def visit_Module(self, node):
            return ast.fix_missing_locations(_Recorder().visit(node))

    builtins._nfteach_claim = claim
    builtins._nfteach_claim_state = state
    get_ipython().ast_transformers.append(Transformer())


# ---- one run: a notebook under one seed, or with its method swapped -----------------------------------------------

def run_once(notebook: Path, seed: int, wrong: WrongMethod | None, timeout: int) -> dict:
    """Execute ``notebook`` in a fresh kernel with ``NFTEACH_SEED=seed`` (and the swap, if given); the records."""
    import nbformat

    from nfteach.course.execute import RecoveringClient  # a lost request or reply (ipykernel#1554) is recovered

    nb = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "claims.jsonl"
        log.touch()
        prelude = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
                   f"import claims as _claims; _claims.install({str(log)!r})\n")
        cells = [nbformat.v4.new_code_cell(prelude)]
        if wrong is not None:
            cells.append(nbformat.v4.new_code_cell(wrong.code))
        added = len(cells)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and not cell.source.lstrip().startswith("%%"):
                cell.source = f"_nfteach_claim_state['cell'] = {index}\n" + cell.source
            cells.append(cell)
        nb.cells = cells
        env_before = os.environ.get("NFTEACH_SEED")
        os.environ["NFTEACH_SEED"], os.environ["NFTEACH_PROGRESS"] = str(seed), "0"
        client = RecoveringClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                                  resources={"metadata": {"path": str(notebook.parent)}})
        try:
            client.execute()
            failure = None
        except Exception as error:  # a timeout or a dead kernel: keep what was recorded
            failure = f"{type(error).__name__}: {str(error).strip().splitlines()[-1] if str(error).strip() else ''}"[:200]
        finally:
            if env_before is None:
                os.environ.pop("NFTEACH_SEED", None)
            else:
                os.environ["NFTEACH_SEED"] = env_before
        errors = [f"cell {i - added}: {o.get('ename')}: {o.get('evalue', '')[:160]}"
                  for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
                  for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return {"records": records, "errors": errors + ([failure] if failure else [])}


def _worker(arguments: list[str]) -> int:
    """``--worker NOTEBOOK SEED SWAP|- TIMEOUT OUT``: one run in this process (the env var is per process)."""
    notebook, seed, swap, timeout, out = arguments
    wrong = WRONG_METHODS[Path(notebook).name] if swap != "-" else None
    result = run_once(Path(notebook), int(seed), wrong, int(timeout))
    Path(out).write_text(json.dumps(result))
    return 0


def machine() -> dict:
    import numpy
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"date": datetime.date.today().isoformat(), "cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(), "torch": torch.__version__, "numpy": numpy.__version__}


def run_all(notebooks: list[Path], seeds: list[int], swaps: bool, jobs: int, timeout: int) -> None:
    jobs_list = [(nb, seed, "-") for nb in notebooks for seed in seeds]
    if swaps:
        jobs_list += [(nb, 0, "swap") for nb in notebooks if nb.name in WRONG_METHODS]
    where = machine()

    def one(job):
        nb, seed, swap = job
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            out = handle.name
        command = [sys.executable, __file__, "--worker", str(nb), str(seed), swap, str(timeout), out]
        subprocess.run(command, check=False, cwd=ROOT)
        result = json.loads(Path(out).read_text() or "{}") if Path(out).stat().st_size else {"records": [], "errors": ["worker failed"]}
        os.unlink(out)
        key = "swap" if swap == "swap" else f"seed {seed}"
        print(f"{nb.name} {key}: {sum(r['held'] for r in result['records'])}/{len(result['records'])} claims held"
              + (f"; errors: {result['errors']}" if result["errors"] else ""), flush=True)
        return nb, key, result

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for nb, key, result in pool.map(one, jobs_list):
            results = _store(str(nb.relative_to(ROOT)), key, {**result, "machine": where})
    write_report(results)


def _store(notebook: str, key: str, run: dict) -> dict:
    """Add one run to docs/claims.json under a lock (several harness runs may share the file); all results."""
    import fcntl

    with open(RESULTS.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results.setdefault(notebook, {})[key] = run
        RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True))
    return results


# ---- the report ---------------------------------------------------------------------------------------------------

def _claim_rows(runs: dict) -> list[dict]:
    """One row per assert (cell, source), its slack per seed, spread and verdict."""
    rows: dict[tuple, dict] = {}
    for key, run in runs.items():
        if not key.startswith("seed "):
            continue
        seed = int(key.split()[1])
        for record in run["records"]:
            row = rows.setdefault((record["cell"], record["source"]), {"cell": record["cell"], "source": record["source"],
                                                                      "held": {}, "slack": {}})
            # an assert inside a loop records several times: keep its worst case
            row["held"][seed] = row["held"].get(seed, True) and record["held"]
            if record["slack"] is not None:
                row["slack"][seed] = min(row["slack"].get(seed, float("inf")), record["slack"])
    for row in rows.values():
        slacks = list(row["slack"].values())
        row["spread"] = statistics.stdev(slacks) if len(slacks) > 1 else None
        if not all(row["held"].values()):
            row["verdict"] = "FAILS"
        elif row["spread"] is None or not slacks:
            row["verdict"] = "holds" if slacks or row["held"] else "?"
        else:
            row["verdict"] = "robust" if min(slacks) > row["spread"] else "FRAGILE"
    return sorted(rows.values(), key=lambda r: (r["cell"], r["source"]))


def _fmt(value: float | None) -> str:
    if value is None:
        return "·"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def write_report(results: dict) -> None:
    lines = ["# Claims: every assert of every notebook, per seed", "",
             "Written by `bench/claims.py` (do not edit by hand; rerun it). For each assert that states a result: its",
             "slack (how far the compared quantities were from failing the assert: for `a > b`, a − b) under",
             "`NFTEACH_SEED` = 0…4, the spread (standard deviation of the slack over the seeds) and the verdict:",
             "**robust** = holds for every seed with the smallest slack above the spread; **FRAGILE** = holds, with",
             "less room than the spread; **FAILS** = some seed fails it; *holds* = a yes/no assert (no slack) that",
             "held for every seed. Below each notebook, the wrong-method run: the method swapped for its baseline,",
             "and the claims that must then fail.", ""]
    for name in sorted(results):
        runs = results[name]
        seeds = sorted(int(k.split()[1]) for k in runs if k.startswith("seed "))
        any_run = next(iter(runs.values()))
        m = any_run["machine"]
        lines += [f"## {name}", "", f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
                  f"torch {m['torch']}, numpy {m['numpy']}.", ""]
        header = "| cell | assert | " + " | ".join(f"seed {s}" for s in seeds) + " | spread | verdict |"
        lines += [header, "|" + "---|" * (len(seeds) + 4)]
        for row in _claim_rows(runs):
            cells = [(_fmt(row["slack"].get(s)) if row["slack"].get(s) is not None
                      else ("✓" if row["held"].get(s) else ("✗" if s in row["held"] else "–"))) for s in seeds]
            cells = [c if row["held"].get(s, True) else f"**{c} ✗**" for c, s in zip(cells, seeds)]
            source = row["source"].replace("|", "\\|")
            source = source if len(source) <= 110 else source[:107] + "…"
            lines.append(f"| {row['cell']} | `{source}` | " + " | ".join(cells) + f" | {_fmt(row['spread'])} | {row['verdict']} |")
        errors = sorted({e for k, r in runs.items() if k.startswith("seed ") for e in r["errors"]})
        if errors:
            lines += ["", "Errors in the seed runs: " + "; ".join(f"`{e}`" for e in errors)]
        if "swap" in runs and name.split("/")[-1] in WRONG_METHODS:
            wrong = WRONG_METHODS[name.split("/")[-1]]
            failed = [r for r in runs["swap"]["records"] if not r["held"]]
            lines += ["", f"**Wrong method:** {wrong.name}. Claims that fail then:"]
            lines += [f"- cell {r['cell']}: `{r['source'][:110]}` (slack {_fmt(r['slack'])})" for r in failed] or ["- none (!)"]
            missing = [piece for piece in wrong.must_fail
                       if not any(piece.replace('"', "'") in r["source"] for r in failed)]
            lines.append("- every claim that must fail does." if not missing else
                         f"- **still holding, though it must fail:** {', '.join(missing)}")
        lines.append("")
    REPORT.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return _worker(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: every chapter, project, appendix)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--no-swaps", action="store_true", help="skip the wrong-method runs")
    parser.add_argument("--swaps-only", action="store_true", help="only the wrong-method runs")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once (default 1)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    parser.add_argument("--report", action="store_true", help="only rewrite docs/claims.md from docs/claims.json")
    args = parser.parse_args(argv)
    if args.report:
        write_report(json.loads(RESULTS.read_text()))
        return 0
    notebooks = [p.resolve() for p in args.notebooks] or NOTEBOOKS
    missing = [str(p) for p in notebooks if not p.is_file()]
    if missing:
        print(f"claims: no notebook at {', '.join(missing)}", file=sys.stderr)
        return 2
    run_all(notebooks, [] if args.swaps_only else args.seeds, not args.no_swaps, args.jobs, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
