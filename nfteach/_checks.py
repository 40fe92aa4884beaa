"""Argument checks shared by the public functions: each error names the argument, what was expected and what was got."""

from __future__ import annotations

import math
import numbers
import os

import numpy as np
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


def check_number(name: str, value, low: float = -math.inf, high: float = math.inf, *, open_low: bool = False,
                 open_high: bool = False) -> float:
    """``value`` as a float within [low, high] (an end left open where asked), or a ValueError naming ``name``;
    NaN, infinity, booleans, strings and None are refused."""
    inside = (not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
              and (low < value if open_low else low <= value) and (value < high if open_high else value <= high))
    if not inside:
        raise ValueError(f"{name} must be a finite number{_interval(low, high, open_low, open_high)}, got {value!r}")
    return float(value)


def _interval(low: float, high: float, open_low: bool, open_high: bool) -> str:
    if low == -math.inf and high == math.inf:
        return ""
    if high == math.inf:
        return f" {'>' if open_low else '≥'} {low:g}"
    if low == -math.inf:
        return f" {'<' if open_high else '≤'} {high:g}"
    return f" in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"


def check_tensor(value, name: str, shape: str) -> torch.Tensor:
    """A torch.Tensor, or a ValueError naming ``name`` that says how to convert what was given."""
    if isinstance(value, torch.Tensor):
        return value
    how = ": convert it with torch.as_tensor(x, dtype=torch.float32)" if type(value).__module__ == "numpy" else ""
    raise ValueError(f"{name} must be a torch.Tensor {shape}, got {type(value).__module__}.{type(value).__name__}{how}")


def check_coords(coords, in_features: int, where: str, dtype: torch.dtype | None = None,
                 device: torch.device | None = None, name: str = "coords") -> None:
    """Coordinates must be a floating tensor ``[N, in_features]`` (of the model's ``dtype`` and on its ``device``
    when given). Only the shape, dtype and device are read: no pass over the values."""
    check_tensor(coords, f"{where}: {name}", f"[N, {in_features}]")
    if coords.ndim != 2 or coords.shape[1] != in_features:
        raise ValueError(f"{where}: {name} must have shape [N, {in_features}], got {list(coords.shape)}")
    if not coords.is_floating_point():
        fix = "take .real or .abs() first" if coords.is_complex() else f"use {name}.float()"
        raise ValueError(f"{where}: {name} must be a floating tensor, got dtype {coords.dtype}: {fix}")
    if dtype is not None and coords.dtype != dtype:
        raise ValueError(f"{where}: {name} must have the weights' dtype {dtype}, got {coords.dtype}: "
                         f"use {name}.to({dtype})")
    check_device(coords, device, where, name)


def check_device(value: torch.Tensor, device: torch.device | None, where: str, name: str) -> None:
    """``value`` must sit on ``device`` (the weights' device) when one is given."""
    if device is not None and value.device != device:
        raise ValueError(f"{where}: {name} is on device {value.device}, the weights on {device}: "
                         f"use {name}.to('{device}')")


def check_points(value, name: str, columns: int | None = None, empty: bool = False) -> torch.Tensor:
    """A real floating tensor ``[N, columns]`` (any number of columns when None; N ≥ 1 unless ``empty``), or a
    ValueError naming ``name`` (which starts with the function's name)."""
    check_tensor(value, name, f"[N, {columns if columns is not None else 'd'}]")
    if value.ndim != 2 or (columns is not None and value.shape[1] != columns):
        raise ValueError(f"{name} must have shape [N, {columns if columns is not None else 'd'}], "
                         f"got {list(value.shape)}")
    check_real(value, name)
    if not empty and len(value) == 0:
        raise ValueError(f"{name} must hold at least one point, got none (shape {list(value.shape)})")
    return value


def check_real(value: torch.Tensor, name: str) -> torch.Tensor:
    """A real floating tensor, or a ValueError naming ``name`` (integers, booleans and complex numbers refused)."""
    if not value.is_floating_point():
        fix = ": take .real or .abs() first" if value.is_complex() else ": use .float()"
        raise ValueError(f"{name} must be a real floating tensor, got dtype {value.dtype}{fix}")
    return value


def check_image(value, name: str, channels: int | None = None, square: bool = False) -> torch.Tensor:
    """A real floating image ``[H, W, C]`` with H, W ≥ 2 (C = ``channels`` and H = W when asked), or a ValueError
    naming ``name``."""
    check_tensor(value, name, "[H, W, C]")
    wrong = value.ndim != 3 or min(value.shape[:2]) < 2 or (channels is not None and value.shape[2] != channels)
    if wrong or (square and value.shape[0] != value.shape[1]):
        wanted = f"[H, {'H' if square else 'W'}, {'C' if channels is None else channels}] with H, W ≥ 2"
        hint = ": load one with nfteach.data.image(name, size, gray=True)" if channels == 1 else ""
        raise ValueError(f"{name} must be an image {wanted}, got {list(value.shape)}{hint}")
    return check_real(value, name)


def check_vector(values, name: str, size: int | None = None, finite: bool = True) -> torch.Tensor:
    """Numbers (a list, an array or a tensor) as a flat float32 tensor, or a ValueError naming ``name``:
    text, None, complex numbers, a wrong count (when ``size`` is given) and, if ``finite``, NaN and infinity
    are refused."""
    is_complex = values.is_complex() if isinstance(values, torch.Tensor) else np.iscomplexobj(values)
    if values is None or isinstance(values, (str, bytes)) or is_complex:
        raise ValueError(f"{name} must be real numbers, got {values!r:.80}")
    try:
        vector = torch.as_tensor(values, dtype=torch.float32).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"{name} must be real numbers, got {values!r:.80}") from None
    if size is not None and vector.numel() != size:
        raise ValueError(f"{name} must have {size} entries, got {vector.numel()}")
    if finite and not bool(torch.isfinite(vector).all()):
        raise ValueError(f"{name} must be finite, got {vector.tolist() if vector.numel() <= 8 else vector}")
    return vector


def check_finite(name: str, values) -> None:
    """Every value finite, or a ValueError naming ``name`` and how many are not."""
    values = torch.as_tensor(values)
    if values.is_floating_point() and not bool(torch.isfinite(values).all()):
        bad = int((~torch.isfinite(values)).sum())
        raise ValueError(f"{name} must be finite numbers, got {bad} NaN or infinite value(s) of {values.numel()}")


def check_count_memory(where: str, what: str, count: float, bytes_each: int = 4) -> None:
    """:func:`check_memory` for ``count`` values of ``bytes_each`` bytes (float32 by default)."""
    check_memory(where, f"{what} ({count:,.0f} values)", count * bytes_each)


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
