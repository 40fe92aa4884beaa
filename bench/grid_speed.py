"""Time per step and memory of appendix A6's grid encodings at equal parameter memory: hash grid, dense grids, tri-plane.

    .venv/bin/python bench/grid_speed.py                          # 2D at 64² and 256², 3D with 4096 points
    .venv/bin/python bench/grid_speed.py --steps 20 --threads 1

Each encoding sits behind A6's MLP (2 hidden layers × 64) and gets the parameter count of a hash grid of 16 levels,
F = 2, T = 2^k (:func:`nfteach.explore.hybrid_grids.image_encodings` / ``sdf_encodings``). One step = forward, MSE,
backward and Adam on a batch of random coordinates (2D: the image's pixel count; 3D: ``--points``). Memory: the
encoding's parameters, and the training state Adam keeps for them (parameters, gradients and two moments: 4 × 4
bytes per parameter, float32). Time on a loaded machine means little: run it on an idle one.
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from torch import nn

import nfteach
from nfteach.explore.hybrid_grids import image_encodings, parameters, sdf_encodings
from nfteach.models import MLP


def seconds_per_step(encoding: nn.Module, batch: int, steps: int, warmup: int, device: torch.device) -> float:
    """Mean wall seconds of one Adam step of encoding → MLP(2 × 64) on ``batch`` random points in [−1, 1]^d."""
    model = MLP(encoding.in_features, 64, 1, 1, encoding=encoding).to(device)
    coords = torch.rand(batch, encoding.in_features, device=device) * 2 - 1  # [N, d]
    target = torch.rand(batch, 1, device=device)  # [N, 1]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.9, 0.99), eps=1e-15)
    for step in range(warmup + steps):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        loss = torch.mean((model(coords) - target) ** 2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sides", type=int, nargs="+", default=[64, 256], help="2D image sides (default 64 256)")
    parser.add_argument("--log2-table-size", type=int, nargs="+", default=[10, 14], help="2D budgets, log2 T")
    parser.add_argument("--sdf-log2-table-size", type=int, default=12, help="3D budget, log2 T (default 12)")
    parser.add_argument("--points", type=int, default=4096, help="3D batch (default 4096, as A6)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: nfteach.setup's choice)")
    args = parser.parse_args(argv)
    device = nfteach.setup(cpu_threads=args.threads)
    print(f"device {device}, {torch.get_num_threads()} CPU thread(s); ms per step, encoding memory, training state")
    cases = [(f"2D {side}², T = 2^{k}", image_encodings(k, side), side * side)
             for side in args.sides for k in args.log2_table_size]
    cases.append((f"3D, T = 2^{args.sdf_log2_table_size}, finest 128", sdf_encodings(args.sdf_log2_table_size, 128),
                  args.points))
    for title, encodings, batch in cases:
        print(f"\n{title} ({batch:,} points per step)")
        for name, encoding in encodings.items():
            count = parameters(encoding)
            ms = 1000 * seconds_per_step(encoding, batch, args.steps, args.warmup, device)
            print(f"  {name:26s} {ms:8.1f} ms   {count:>10,} parameters = {4 * count / 2**20:6.2f} MiB"
                  f"   Adam state {16 * count / 2**20:6.2f} MiB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
