"""nfteach: a teaching kit on neural fields (implicit neural representations).

Start every notebook with ``device = nfteach.setup()``.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from nfteach import data, encodings, metrics, models, seeding, spectral, train
from nfteach._checks import check_positive_int
from nfteach.data import grid, image, sinusoids
from nfteach.encodings import FourierFeatures, PositionalEncoding
from nfteach.metrics import psnr
from nfteach.models import MLP, Siren
from nfteach.seeding import session_seed
from nfteach.train import History, TrainingDiverged, fit, predict

__version__ = "0.1.0"

__all__ = [
    "FourierFeatures", "History", "MLP", "PositionalEncoding", "Siren", "TrainingDiverged",
    "data", "default_cpu_threads", "encodings", "fit", "grid", "image", "metrics", "models", "predict", "psnr",
    "seeding", "session_seed", "setup", "sinusoids", "spectral", "train",
]


def setup(seed: int = 0, cpu_threads: int | None = None) -> torch.device:
    """Seed torch, numpy and random, and return the best device: CUDA, then Apple's MPS, then the CPU.

    ``NFTEACH_SEED`` in the environment overrides ``seed``, so a whole notebook reruns under another draw
    without an edit; the seed chosen becomes :func:`session_seed`, from which the notebook's and the kit's
    draws derive (``seed=None`` arguments, ``SEED + k`` in the notebooks).

    On the CPU this is the one place that decides how many threads PyTorch uses, for every notebook
    (chapters, exercises, solutions): ``cpu_threads`` if given, else :func:`default_cpu_threads`.
    On CUDA, float32 matrix products may use TF32 (about 10 bits of mantissa), which is ample for fitting
    signals and several times faster.
    """
    threads = default_cpu_threads() if cpu_threads is None else check_positive_int("setup: cpu_threads", cpu_threads)
    seed = seeding.seed_from_environment(seed)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise ValueError(f"setup: seed must be an integer in [0, 2**32), got {seed!r}")
    seeding.set_session_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.set_float32_matmul_precision("high")
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    torch.set_num_threads(threads)
    return torch.device("cpu")


def default_cpu_threads(cores: int | None = None, load: float | None = None) -> int:
    """The CPU thread count for the kit's small networks: one on a machine of at most 4 cores, else the idle
    cores (``cores`` minus the 1-minute ``load`` average, both read from the OS when None), at most 4.

    Several threads only pay off on big matrix products; on a shared 2-core CPU PyTorch's default (a thread per
    core) made solutions/02 take 67 s instead of 11 (3.4 against ~115 steps per second on one thread).
    """
    cores = cores if cores is not None else os.cpu_count() or 1
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if cores <= 4:
        return 1
    return max(1, min(4, int(cores - load)))


def __getattr__(name: str):
    """``from nfteach import check`` keeps working for notebooks written before the checks moved to
    :mod:`nfteach.course.check` (imported only when asked for: the science never imports the course wing)."""
    if name == "check":
        from nfteach.course import check

        return check
    raise AttributeError(f"module 'nfteach' has no attribute {name!r}")
