"""nfteach: a teaching kit on neural fields (implicit neural representations).

Start every notebook with ``device = nfteach.setup()``.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from nfteach import data, encodings, metrics, models, spectral, train
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


def setup(seed: int = 0) -> torch.device:
    """Seed torch, numpy and random, and return the best device: CUDA, then Apple's MPS, then the CPU.

    On CUDA, float32 matrix products may use TF32 (about 10 bits of mantissa), which is ample for fitting
    signals and several times faster.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.set_float32_matmul_precision("high")
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
