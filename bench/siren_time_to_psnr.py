"""Wall seconds for an image fit to reach 30 dB PSNR on ``data.image("camera", size=256)``, three recipes side by side.

The recipes run one after the other in the same process: ``nfteach.train.SIREN_DEFAULT`` (what notebook 03 runs),
``HASH_GRID_DEFAULT`` (Instant-NGP's image recipe scaled to 256², appendix A1) and ``SIREN_PAPER`` (the official
SIREN notebook: 3 × 256 hidden, full batch, Adam lr 1e-4). PSNR is measured over the full 256² image (targets in
[−1, 1], data_range = 2) at the same cadence for every recipe (``--every`` steps, default every step); the time
spent measuring is not counted. Speed must not be bought by memorising the 256² pixels: each recipe's PSNR at the
512² original (scikit-image's camera; the fits only see its 256² reduction) is reported when it first reaches the
threshold, and after all its steps with ``--final``.
The last line reads ``time_to_30dB nfteach=<seconds> hash_grid=<seconds> paper_config=<seconds>``.

    python bench/siren_time_to_psnr.py [--size 256] [--threshold 30] [--every 1] [--final] [--threads N]
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import nfteach
from nfteach import data
from nfteach.metrics import psnr
from nfteach.models import count_parameters
from nfteach.train import HASH_GRID_DEFAULT, SIREN_DEFAULT, SIREN_PAPER, Recipe, TimedRun, predict, timed_fit

RECIPES: dict[str, Recipe] = {"nfteach": SIREN_DEFAULT, "hash_grid": HASH_GRID_DEFAULT, "paper_config": SIREN_PAPER}


@dataclass
class Result:
    seconds: float  # training seconds until the full-image PSNR first reached the threshold
    psnr: float  # last measured PSNR on the fitted image
    psnr_original_at_threshold: float  # PSNR at the 512² original when the threshold was first reached
    psnr_original: float  # … after the last step


def time_to_psnr(recipe: Recipe, size: int, threshold: float, every: int, run_all: bool, threads: int | None) -> Result:
    nfteach.setup(0, cpu_threads=threads)
    coords = data.grid(size, size)  # [size², 2]
    target = data.image("camera", size=size).reshape(-1, 1) * 2 - 1  # [size², 1] in [−1, 1]
    original = data.image("camera", size=None)  # [512, 512, 1]
    original_coords, original_target = data.grid(*original.shape[:2]), original.reshape(-1, 1) * 2 - 1
    model = recipe.model()
    print(f"  {count_parameters(model):,} parameters", flush=True)
    at_threshold = []

    def on_measure(run: TimedRun, model) -> None:
        if run.psnr[-1] >= threshold and not at_threshold:
            at_threshold.append(psnr(predict(model, original_coords), original_target, data_range=2.0))
            print(f"  {threshold:g} dB at step {run.step[-1]}: {run.seconds[-1]:.2f} s; PSNR at the {original.shape[0]}² "
                  f"original then: {at_threshold[0]:.2f} dB", flush=True)

    run = timed_fit(recipe, model, coords, target, every=every, stop_at=None if run_all else threshold,
                    on_measure=on_measure)
    return Result(run.seconds_to(threshold), run.psnr[-1], at_threshold[0] if at_threshold else math.nan,
                  psnr(predict(model, original_coords), original_target, data_range=2.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--threshold", type=float, default=30.0)
    parser.add_argument("--every", type=int, default=1, help="measure the PSNR every this many steps (all recipes)")
    parser.add_argument("--final", action="store_true", help="run every step and report the final PSNR")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    runs = {}
    for name, recipe in RECIPES.items():
        print(f"{name}: {recipe}", flush=True)
        runs[name] = time_to_psnr(recipe, args.size, args.threshold, args.every, args.final, args.threads)
        if args.final:
            print(f"  after {recipe.steps} steps: {runs[name].psnr:.2f} dB at {args.size}², "
                  f"{runs[name].psnr_original:.2f} dB at the 512² original", flush=True)
    paper = runs["paper_config"].seconds
    print(f"speed-up over paper_config on this {nfteach.setup(0).type.upper()}: nfteach {paper / runs['nfteach'].seconds:.1f}x, "
          f"hash_grid {paper / runs['hash_grid'].seconds:.1f}x (compare their PSNR at the 512² original above: "
          "speed bought by memorising the 256² pixels shows there)")
    print(f"time_to_{args.threshold:g}dB " + " ".join(f"{name}={run.seconds:.2f}" for name, run in runs.items()))


if __name__ == "__main__":
    main()
