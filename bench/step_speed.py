"""Milliseconds per training step of the kit's models, and the GFLOP/s they reach against a plain matmul.

    .venv/bin/python bench/step_speed.py                         # 128² and 256² batches, width 256, 3 hidden layers
    .venv/bin/python bench/step_speed.py --side 256 --width 128 256 --steps 10 --threads 1

One step = forward + MSE + backward + Adam on a full batch of random 2D coordinates (an image of
``side²`` pixels). The hash grid keeps its recipe's size (16 levels, T = 2^14, MLP 2 × 64) whatever ``--width``. The FLOPs counted are those of the linear layers only: 2·N·fan_in·fan_out forward and
twice that backward, i.e. 6·N·Σ fan_in·fan_out per step (activations, the encoding and Adam are left out, so
the GFLOP/s are a lower bound on the work done). The peak is the best of a few large ``torch.mm`` calls.
Runs on the device from ``nfteach.setup()``.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Callable

import torch
from torch import nn

import nfteach
from nfteach.encodings import FourierFeatures
from nfteach.models import MLP, Siren
from nfteach.train import HASH_GRID_DEFAULT

MODELS: dict[str, Callable[[int, int], nn.Module]] = {
    "MLP relu": lambda width, layers: MLP(2, width, layers, 1),
    "MLP tanh": lambda width, layers: MLP(2, width, layers, 1, activation="tanh"),
    "MLP + FourierFeatures(256, σ=10)": lambda width, layers: MLP(2, width, layers, 1,
                                                                  encoding=FourierFeatures(2, 256, 10.0)),
    "Siren": lambda width, layers: Siren(2, width, layers, 1),
    "HashGrid + MLP 2×64 (A1 recipe)": lambda width, layers: HASH_GRID_DEFAULT.model(),  # its own size
}


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()
    elif device.type == "mps":
        torch.mps.synchronize()


def linear_flops_per_step(model: nn.Module, batch: int) -> int:
    """6 · N · Σ fan_in · fan_out over the model's ``nn.Linear`` layers (forward + backward)."""
    return 6 * batch * sum(m.in_features * m.out_features for m in model.modules() if isinstance(m, nn.Linear))


def seconds_per_step(model: nn.Module, batch: int, steps: int, warmup: int, device: torch.device) -> float:
    """Mean wall seconds of one full-batch Adam step on ``batch`` random coordinates in [−1, 1]²."""
    coords = torch.rand(batch, 2, device=device) * 2 - 1  # [N, 2]
    target = torch.rand(batch, 1, device=device)  # [N, 1]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    for step in range(warmup + steps):
        if step == warmup:
            _sync(device)
            start = time.perf_counter()
        loss = torch.mean((model(coords) - target) ** 2)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    _sync(device)
    return (time.perf_counter() - start) / steps


def matmul_peak(size: int, device: torch.device, repeats: int = 10) -> float:
    """Best GFLOP/s of ``torch.mm`` on two float32 ``size × size`` matrices (2·size³ FLOPs each)."""
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, nargs="+", default=[128, 256],
                        help="image sides: the batch is side² coordinates (default 128 256)")
    parser.add_argument("--width", type=int, nargs="+", default=[256], help="hidden widths (default 256)")
    parser.add_argument("--hidden-layers", type=int, default=3, help="hidden-to-hidden layers (default 3)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default 3 on CPU, 50 on a GPU)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 1 on CPU, 10 on a GPU)")
    parser.add_argument("--matmul", type=int, default=None, help="matmul size for the peak (default 2048 CPU, 8192 GPU)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS), metavar="NAME",
                        help="models to time (default: all of " + ", ".join(MODELS) + ")")
    args = parser.parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = nfteach.setup()
    on_cpu = device.type == "cpu"
    steps = args.steps or (3 if on_cpu else 50)
    warmup = args.warmup if args.warmup is not None else (1 if on_cpu else 10)
    peak = matmul_peak(args.matmul or (2048 if on_cpu else 8192), device)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads; "
          f"{steps} timed steps after {warmup} warm-up; matmul peak {peak:.1f} GFLOP/s")
    header = f"{'model':34} {'batch':>8} {'width':>5} {'params':>9} {'ms/step':>9} {'GFLOP/s':>8} {'% peak':>7}"
    print(header + "\n" + "-" * len(header))
    for side in args.side:
        for width in args.width:
            for name in args.models:
                model = MODELS[name](width, args.hidden_layers).to(device)
                seconds = seconds_per_step(model, side * side, steps, warmup, device)
                gflops = linear_flops_per_step(model, side * side) / seconds / 1e9
                params = sum(p.numel() for p in model.parameters())
                hidden = next(m.out_features for m in model.modules() if isinstance(m, nn.Linear))
                print(f"{name:34} {f'{side}²':>8} {hidden:>5} {params:>9,} {seconds * 1e3:>9.1f} {gflops:>8.1f} "
                      f"{100 * gflops / peak:>6.0f}%", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
