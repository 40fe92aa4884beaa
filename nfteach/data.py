"""Signals to fit: coordinate grids, images that ship inside scikit-image, and 1D sums of sinusoids.

Nothing here downloads anything: images come from ``skimage.data`` (bundled with the package) or from a
path the user gives, and 1D signals are generated.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from nfteach import seeding
from nfteach._checks import check_finite, check_memory, check_number, check_positive_int, check_positive_number, check_vector

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
    check_memory("grid", f"sizes {sizes} ({math.prod(sizes):,} points)", 3 * 4 * len(sizes) * math.prod(sizes))
    axes = [lo + (torch.arange(n, dtype=torch.float32) + 0.5) * (hi - lo) / n for n in sizes]
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack(mesh, dim=-1).reshape(-1, len(sizes))  # [prod(sizes), d]


def _check_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"grid: bounds must be a pair (lo, hi) of numbers, got {bounds!r}") from None
    if not -math.inf < lo < hi < math.inf:
        raise ValueError(f"grid: bounds must be finite numbers with lo < hi, got {bounds!r}")
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
        check_memory("image", f"size {size} ({size}² pixels)", 3 * 8 * size * size)
    pixels = _load_pixels(name)
    if pixels.ndim == 3 and pixels.shape[-1] in (2, 4):  # gray + alpha, RGB + alpha: the alpha is dropped
        pixels = pixels[..., :-1]
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if not (pixels.ndim == 2 or (pixels.ndim == 3 and pixels.shape[-1] == 3)):
        raise ValueError(f"image: expected a gray or RGB image (with or without alpha), got pixels of shape "
                         f"{list(pixels.shape)} from {str(name)!r}")
    pixels = util.img_as_float(pixels)
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
    try:
        return io.imread(path)
    except Exception as error:  # imageio and Pillow raise several types for a file that is not an image
        raise ValueError(f"image: cannot read {str(path)!r} as an image ({type(error).__name__}); expected a "
                         "PNG, JPEG, TIFF, BMP or GIF file") from None


def sinusoids(
    freqs: list[float] | torch.Tensor,
    amps: list[float] | torch.Tensor | None = None,
    phases: list[float] | torch.Tensor | None = None,
    n: int = 200,
    seed: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A 1D sum of sinusoids y(t) = Σ_i A_i sin(2π k_i t + φ_i) on n cell centres of [0, 1).

    This is the target of Rahaman et al. (2019), "On the spectral bias of neural networks".
    ``amps`` default to 1; ``phases`` default to draws from U(0, 2π) with ``seed``.
    Returns ``(t, y)``, both of shape ``[n, 1]``.
    """
    k = check_vector(freqs, "sinusoids: freqs", finite=False)
    if k.numel() == 0:
        raise ValueError("sinusoids: freqs must hold at least one frequency, got an empty list")
    check_finite("sinusoids: freqs", k)
    amplitude = _per_frequency("amps", amps, k, default=torch.ones_like(k))
    generator = seeding.generator(seed)
    random_phase = torch.rand(k.shape, generator=generator) * 2 * math.pi
    phase = _per_frequency("phases", phases, k, default=random_phase)
    if check_positive_int("sinusoids: n", n) < 2:
        raise ValueError(f"sinusoids: n must be at least 2, got {n!r}")
    check_memory("sinusoids", f"n={n} samples of {k.numel()} sinusoids", 3 * 4 * n * k.numel())
    t = grid(n, bounds=(0.0, 1.0))  # [n, 1]
    y = (amplitude * torch.sin(2 * math.pi * k * t + phase)).sum(dim=1, keepdim=True)  # [n, 1]
    return t, y


def _per_frequency(name: str, values, freqs: torch.Tensor, default: torch.Tensor) -> torch.Tensor:
    if values is None:
        return default
    values = check_vector(values, f"sinusoids: {name}", finite=False)
    if values.shape != freqs.shape:
        raise ValueError(
            f"sinusoids: {name} must have one value per frequency ({freqs.numel()}), got {values.numel()}"
        )
    check_finite(f"sinusoids: {name}", values)
    return values


TEXT_LINES = ("Neural fields", "fit fine text", "with Fourier", "features 0123", "σ·B·v ≈ 2πk")
"""The default lines of :func:`text_image`."""


def text_image(lines: tuple[str, ...] | list[str] = TEXT_LINES, size: int = 128, seed: int | None = None) -> torch.Tensor:
    """Lines of text in random dark colours on white, an RGB image ``[size, size, 3]`` in [0, 1].

    A stand-in for the "text" images of Tancik et al. (2020): sharp edges, hence much high-frequency content.
    The font is DejaVu Sans, which ships with matplotlib, so it renders the same everywhere offline;
    ``seed`` picks the colours.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    check_positive_int("text_image: size", size)
    check_memory("text_image", f"size {size} ({size}² pixels)", 3 * 4 * 4 * size * size)
    if isinstance(lines, str) or not lines or not all(isinstance(line, str) for line in lines):
        raise ValueError(f"text_image: lines must be a non-empty list of strings, got {lines!r}")
    figure = Figure(figsize=(1, 1), dpi=size)
    canvas = FigureCanvasAgg(figure)
    colours = np.random.default_rng(seeding.resolve(seed)).uniform(0.0, 0.7, size=(len(lines), 3))
    points = 72 / len(lines) * 0.7  # the figure is one inch tall: the lines fill it
    for k, (line, colour) in enumerate(zip(lines, colours)):
        figure.text(0.02, 1 - (k + 0.5) / len(lines), line, color=colour, fontsize=points, family="DejaVu Sans", va="center")
    canvas.draw()
    pixels = np.asarray(canvas.buffer_rgba())[..., :3].astype(np.float32) / 255  # [size, size, 3]
    return torch.from_numpy(pixels.copy())


def held_out_split(img: torch.Tensor, bounds: tuple[float, float] = (-1.0, 1.0)) -> tuple[torch.Tensor, ...]:
    """The image-regression protocol of Tancik et al. (2020): train on pixels [::2, ::2], test on [1::2, 1::2].

    ``img [H, W, C]`` → ``(train_xy [n, 2], train_values [n, C], test_xy [m, 2], test_values [m, C])``, with
    coordinates of the full image's pixel centres (:func:`grid` with ``bounds``), so the test pixels sit
    exactly between the training pixels. Each axis has H // 2 training samples: the training Nyquist
    frequency is H / 4 cycles per unit of a [0, 1) axis.
    """
    if not isinstance(img, torch.Tensor) or img.ndim != 3 or min(img.shape[:2]) < 2:
        got = list(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
        raise ValueError(f"held_out_split: img must be a tensor [H, W, C] with H, W >= 2, got {got}")
    if not img.is_floating_point():
        raise ValueError(f"held_out_split: img must be a real floating tensor, got dtype {img.dtype}: use img.float()")
    height, width, channels = img.shape
    xy = grid(height, width, bounds=bounds).reshape(height, width, 2)
    train, test = (slice(0, None, 2), slice(0, None, 2)), (slice(1, None, 2), slice(1, None, 2))
    return (
        xy[train].reshape(-1, 2), img[train].reshape(-1, channels),
        xy[test].reshape(-1, 2), img[test].reshape(-1, channels),
    )


def chirp(seconds: float = 0.5, rate: int = 8000, f0: float = 200.0, f1: float = 800.0) -> tuple[torch.Tensor, torch.Tensor]:
    """An audio-like test signal: a linear chirp from ``f0`` to ``f1`` Hz plus its 2nd and 3rd harmonics.

    Returns ``(t, y)``, both ``[n, 1]`` with n = seconds · rate: t on cell centres of [−1, 1] (SIREN's audio
    convention) and y peaking at 1. Play it with ``IPython.display.Audio(y[:, 0], rate=rate)``.
    """
    check_positive_int("chirp: rate", rate)
    check_positive_number("chirp: seconds", seconds)
    check_number("chirp: f0", f0), check_number("chirp: f1", f1)
    n = check_positive_int("chirp: seconds * rate (samples)", int(round(seconds * rate)))
    check_memory("chirp", f"{n:,} samples", 8 * 4 * n)
    if not (0 < f0 and 0 < f1 and 3 * f1 < rate / 2):
        raise ValueError(f"chirp: need 0 < f0 and 3·f1 (the 3rd harmonic) below the Nyquist frequency {rate / 2} Hz, "
                         f"got f0={f0}, f1={f1}")
    t = grid(n)  # [n, 1] in [−1, 1]
    seconds_elapsed = (t + 1) / 2 * seconds
    phase = 2 * math.pi * (f0 * seconds_elapsed + (f1 - f0) / (2 * seconds) * seconds_elapsed**2)
    y = torch.sin(phase) + 0.5 * torch.sin(2 * phase) + 0.25 * torch.sin(3 * phase)  # [n, 1]
    return t, y / y.abs().max()


def clip(name: str | Path = "astronaut", frames: int = 12, size: int = 32, gray: bool = False, turn: float = 30.0,
         shift: tuple[float, float] = (0.25, 0.0)) -> torch.Tensor:
    """A short procedural video ``[frames, size, size, C]`` in [0, 1]: a camera panning and turning over an image.

    Frame j (time τ = j / (frames − 1) in [0, 1]) shows the centred half of :func:`image` ``name`` (at 2·size, so
    each frame keeps its resolution), turned by τ·``turn`` degrees about its centre and moved by τ·``shift`` (in
    units of the image's half-width, (x, y)), resampled bilinearly. The window stays inside the image for
    |shift| ≤ 0.25 and any turn. A stand-in for the official video experiment's clips (cat, bikes), which are
    downloads. Its pixels line up with ``grid(frames, size, size)``: coordinates (t, y, x) in [−1, 1]³.
    """
    check_positive_int("clip: frames", frames), check_positive_int("clip: size", size)
    if frames < 2:
        raise ValueError(f"clip: frames must be at least 2 (a video moves), got {frames}")
    check_number("clip: turn", turn)
    shift = check_vector(shift, "clip: shift", size=2)
    if float(shift.norm()) > 0.25 + 1e-9:
        raise ValueError(f"clip: |shift| must be at most 0.25 (the window would leave the image), got {shift.tolist()}")
    check_memory("clip", f"{frames} frames of {size}²", 4 * 4 * frames * size * size * 3)
    picture = image(name, size=2 * size, gray=gray).permute(2, 0, 1)[None]  # [1, C, 2S, 2S]
    tau = torch.linspace(0, 1, frames)  # [T]
    angle = torch.deg2rad(tau * turn)
    cos, sin = torch.cos(angle) / 2, torch.sin(angle) / 2  # half the image: the window
    theta = torch.stack([torch.stack([cos, -sin, tau * shift[0]], 1), torch.stack([sin, cos, tau * shift[1]], 1)], 1)
    where = torch.nn.functional.affine_grid(theta, [frames, 1, size, size], align_corners=False)  # [T, S, S, 2]
    frames_ = torch.nn.functional.grid_sample(picture.expand(frames, -1, -1, -1), where, mode="bilinear",
                                              align_corners=False)  # [T, C, S, S]
    return frames_.permute(0, 2, 3, 1).clamp(0, 1).contiguous()  # [T, S, S, C]
