"""Quality measures for fitted signals."""

from __future__ import annotations

import math

import torch

from nfteach._checks import check_positive_number


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB: 10 log10(data_range² / MSE).

    ``data_range`` is max − min of the signal's range: 1 for values in [0, 1], 2 for [−1, 1].
    Identical inputs give ``inf``.
    """
    for name, value in (("pred", pred), ("target", target)):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"psnr: {name} must be a torch.Tensor, got {type(value).__name__}")
    if pred.shape != target.shape:
        raise ValueError(f"psnr: pred and target must have the same shape, got {list(pred.shape)} and {list(target.shape)}")
    check_positive_number("psnr: data_range", data_range)
    mse = torch.mean((pred.detach().double().cpu() - target.detach().double().cpu()) ** 2).item()
    return psnr_from_mse(mse, data_range)


def psnr_from_mse(mse: float, data_range: float = 1.0) -> float:
    """PSNR in dB of a mean squared error."""
    return math.inf if mse == 0 else 10 * math.log10(data_range**2 / mse)
