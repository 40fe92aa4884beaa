"""Signals to fit: coordinate grids, images that ship inside scikit-image, and 1D sums of sinusoids.

Nothing here downloads anything: images come from ``skimage.data`` (bundled with the package) or from a
path the user gives, and 1D signals are generated.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from nfteach._checks import check_positive_int

BUNDLED_IMAGES = (
    "astronaut", "brick", "camera", "cat", "chelsea", "coffee", "coins", "grass", "gravel",
    "horse", "moon", "page", "rocket", "text",
)
"""Names accepted by :func:`image`: images bundled inside scikit-image (they load offline)."""


def grid(*sizes: int, bounds: tuple[float, float] = (-1.0, 1.0)) -> torch.Tensor:
    """Coordinates of the cell centres of a regular 1D/2D/3D grid, one row per cell.

    ``grid(H, W)`` has shape ``[H * W, 2]`` in row-major order: row ``i * W + j`` holds
    ``(y_i, x_j)``, so ``grid(H, W).reshape(H, W, 2)[i, j]`` is the centre of pixel ``(i, j)`` and an
    image ``img[H, W, C]`` lines up with ``img.reshape(-1, C)``. Along an axis of size n the centres are
    ``lo + (k + 0.5) (hi - lo) / n``: inside ``bounds``, symmetric, and never on the border.
    """
    if not 1 <= len(sizes) <= 3:
        raise ValueError(f"grid: expected 1 to 3 sizes (1D, 2D or 3D), got {len(sizes)}: {sizes}")
    for size in sizes:
        check_positive_int(f"grid: sizes {sizes!r}: each size", size)
    lo, hi = _check_bounds(bounds)
    axes = [lo + (torch.arange(n, dtype=torch.float32) + 0.5) * (hi - lo) / n for n in sizes]
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack(mesh, dim=-1).reshape(-1, len(sizes))  # [prod(sizes), d]


def _check_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"grid: bounds must be a pair (lo, hi) of numbers, got {bounds!r}") from None
    if not lo < hi:
        raise ValueError(f"grid: bounds must satisfy lo < hi, got {bounds!r}")
    return lo, hi


def image(name: str | Path = "camera", size: int | None = 128, gray: bool = True) -> torch.Tensor:
    """An image as a float tensor ``[H, W, C]`` with values in [0, 1].

    ``name`` is one of :data:`BUNDLED_IMAGES` (shipped inside scikit-image) or a path to an image file.
    The image is centre-cropped to a square and resized to ``size`` x ``size`` with anti-aliasing
    (``size=None`` keeps the crop's own size). ``gray=True`` gives one channel; ``gray=False`` keeps the
    image's own channels (3 for colour photos, 1 for gray ones; an alpha channel is dropped).
    """
    from skimage import color, transform, util

    if size is not None:
        check_positive_int("image: size", size)
    pixels = util.img_as_float(_load_pixels(name))
    if pixels.ndim == 3 and pixels.shape[-1] == 4:
        pixels = pixels[..., :3]
    if pixels.ndim == 3 and gray:
        pixels = color.rgb2gray(pixels)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    side = min(pixels.shape[:2])
    top, left = (pixels.shape[0] - side) // 2, (pixels.shape[1] - side) // 2
    pixels = pixels[top:top + side, left:left + side]
    if size is not None and size != side:
        pixels = transform.resize(pixels, (size, size), anti_aliasing=True)
    return torch.from_numpy(np.clip(pixels, 0.0, 1.0).astype(np.float32))


def _load_pixels(name: str | Path) -> np.ndarray:
    from skimage import data, io

    if isinstance(name, str) and name in BUNDLED_IMAGES:
        return getattr(data, name)()
    if not isinstance(name, (str, Path)):
        raise ValueError(f"image: name must be a bundled image name or a path, got {type(name).__name__}")
    path = Path(name).expanduser()
    if path.suffix == "" and not path.exists():
        raise ValueError(
            f"image: unknown image name {str(name)!r}; expected one of {', '.join(BUNDLED_IMAGES)} "
            "or a path to an image file"
        )
    if not path.is_file():
        raise FileNotFoundError(f"image: no image file at {str(path)!r} (name={str(name)!r})")
    return io.imread(path)


def sinusoids(
    freqs: list[float] | torch.Tensor,
    amps: list[float] | torch.Tensor | None = None,
    phases: list[float] | torch.Tensor | None = None,
    n: int = 200,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A 1D sum of sinusoids y(t) = Σ_i A_i sin(2π k_i t + φ_i) on n cell centres of [0, 1).

    This is the target of Rahaman et al. (2019), "On the spectral bias of neural networks".
    ``amps`` default to 1; ``phases`` default to draws from U(0, 2π) with ``seed``.
    Returns ``(t, y)``, both of shape ``[n, 1]``.
    """
    k = torch.as_tensor(freqs, dtype=torch.float32).reshape(-1)
    if k.numel() == 0:
        raise ValueError("sinusoids: freqs must hold at least one frequency, got an empty list")
    amplitude = _per_frequency("amps", amps, k, default=torch.ones_like(k))
    generator = torch.Generator().manual_seed(seed)
    random_phase = torch.rand(k.shape, generator=generator) * 2 * math.pi
    phase = _per_frequency("phases", phases, k, default=random_phase)
    if check_positive_int("sinusoids: n", n) < 2:
        raise ValueError(f"sinusoids: n must be at least 2, got {n!r}")
    t = grid(n, bounds=(0.0, 1.0))  # [n, 1]
    y = (amplitude * torch.sin(2 * math.pi * k * t + phase)).sum(dim=1, keepdim=True)  # [n, 1]
    return t, y


def _per_frequency(name: str, values, freqs: torch.Tensor, default: torch.Tensor) -> torch.Tensor:
    if values is None:
        return default
    values = torch.as_tensor(values, dtype=torch.float32).reshape(-1)
    if values.shape != freqs.shape:
        raise ValueError(
            f"sinusoids: {name} must have one value per frequency ({freqs.numel()}), got {values.numel()}"
        )
    return values
