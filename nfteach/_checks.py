"""Argument checks shared by the public functions: each error names the argument, what was expected and what was got."""

from __future__ import annotations

import math
import numbers
import os

import torch


def check_positive_int(name: str, value, allow_zero: bool = False) -> int:
    """``value`` as an int, or a ValueError naming ``name``."""
    lowest = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < lowest:
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} integer, got {value!r}")
    return int(value)


def check_positive_number(name: str, value) -> float:
    """``value`` as a float, or a ValueError naming ``name`` (NaN and infinity are refused too)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def check_tensor(value, name: str, shape: str) -> torch.Tensor:
    """A torch.Tensor, or a ValueError naming ``name`` that says how to convert what was given."""
    if isinstance(value, torch.Tensor):
        return value
    how = ": convert it with torch.as_tensor(x, dtype=torch.float32)" if type(value).__module__ == "numpy" else ""
    raise ValueError(f"{name} must be a torch.Tensor {shape}, got {type(value).__module__}.{type(value).__name__}{how}")


def check_coords(coords, in_features: int, where: str, dtype: torch.dtype | None = None) -> None:
    """Coordinates must be a floating tensor ``[N, in_features]`` (of the model's ``dtype`` when given)."""
    check_tensor(coords, f"{where}: coords", f"[N, {in_features}]")
    if coords.ndim != 2 or coords.shape[1] != in_features:
        raise ValueError(f"{where}: coords must have shape [N, {in_features}], got {list(coords.shape)}")
    if not coords.is_floating_point():
        raise ValueError(f"{where}: coords must be a floating tensor, got dtype {coords.dtype}")
    if dtype is not None and coords.dtype != dtype:
        raise ValueError(f"{where}: coords must have the weights' dtype {dtype}, got {coords.dtype}: "
                         f"use coords.to({dtype})")


def check_finite(name: str, values) -> None:
    """Every value finite, or a ValueError naming ``name`` and how many are not."""
    values = torch.as_tensor(values)
    if values.is_floating_point() and not bool(torch.isfinite(values).all()):
        bad = int((~torch.isfinite(values)).sum())
        raise ValueError(f"{name} must be finite numbers, got {bad} NaN or infinite value(s) of {values.numel()}")


def check_memory(where: str, what: str, nbytes: float) -> None:
    """Refuse (MemoryError, saying the size) what would need more memory than this machine has available."""
    available = available_memory()
    if nbytes > available:
        raise MemoryError(f"{where}: {what} would need about {_size(nbytes)} of memory, more than the "
                          f"{_size(available)} available on this machine: ask for less")


def available_memory() -> int:
    """Bytes of memory available now (Linux: MemAvailable; elsewhere all physical memory)."""
    try:
        with open("/proc/meminfo") as handle:
            return next(int(line.split()[1]) * 1024 for line in handle if line.startswith("MemAvailable"))
    except (OSError, StopIteration, ValueError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _size(nbytes: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if nbytes < 1024 or unit == "TB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return ""
