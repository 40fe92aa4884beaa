"""Argument checks shared by the public functions: each error names the argument, what was expected and what was got."""

from __future__ import annotations

import numbers

import torch


def check_positive_int(name: str, value, allow_zero: bool = False) -> int:
    """``value`` as an int, or a ValueError naming ``name``."""
    lowest = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lowest:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} integer, got {value!r}")
    return int(value)


def check_positive_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_coords(coords, in_features: int, where: str) -> None:
    """Coordinates must be a floating tensor ``[N, in_features]``."""
    if not isinstance(coords, torch.Tensor):
        raise ValueError(f"{where}: coords must be a torch.Tensor [N, {in_features}], got {type(coords).__name__}")
    if coords.ndim != 2 or coords.shape[1] != in_features:
        raise ValueError(f"{where}: coords must have shape [N, {in_features}], got {list(coords.shape)}")
    if not coords.is_floating_point():
        raise ValueError(f"{where}: coords must be a floating tensor, got dtype {coords.dtype}")
