"""nfteach: a teaching kit on neural fields (implicit neural representations).

Start every notebook with ``device = nfteach.setup()``.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from nfteach import data, encodings, metrics, models, spectral, train
from nfteach._checks import check_positive_int
from nfteach.data import grid, image, sinusoids
from nfteach.encodings import FourierFeatures, PositionalEncoding
from nfteach.metrics import psnr
from nfteach.models import MLP, Siren
from nfteach.train import History, TrainingDiverged, fit, predict

__version__ = "0.1.0"

__all__ = [
    "FourierFeatures", "History", "MLP", "PositionalEncoding", "Siren", "TrainingDiverged",
    "data", "encodings", "fit", "grid", "image", "metrics", "models", "predict", "psnr",
    "setup", "sinusoids", "spectral", "train",
]


def setup(seed: int = 0, cpu_threads: int | None = None) -> torch.device:
    """Seed torch, numpy and random, and return the best device: CUDA, then Apple's MPS, then the CPU.

    On the CPU, ``cpu_threads`` sets how many threads PyTorch uses (None keeps its default, one per core).
    The kit's networks are small: on a 2-core laptop one thread is about as fast, and several times faster
    when other programs share the cores. On CUDA, float32 matrix products may use TF32 (about 10 bits of
    mantissa), which is ample for fitting signals and several times faster.
    """
    if cpu_threads is not None:
        check_positive_int("setup: cpu_threads", cpu_threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.set_float32_matmul_precision("high")
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    if cpu_threads is not None:
        torch.set_num_threads(cpu_threads)
    return torch.device("cpu")


def __getattr__(name: str):
    """``from nfteach import check`` keeps working for notebooks written before the checks moved to
    :mod:`nfteach.course.check` (imported only when asked for: the science never imports the course wing)."""
    if name == "check":
        from nfteach.course import check

        return check
    raise AttributeError(f"module 'nfteach' has no attribute {name!r}")
