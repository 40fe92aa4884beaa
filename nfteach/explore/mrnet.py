"""Chapter 6's room (MR-Net): the level-of-detail slider and its static twin, and the evaluations of scale
behind the chapter's tables (per-level PSNR, the filtered single-scale baseline, training cost, magnification,
minification)."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from nfteach._checks import check_image, check_memory, check_positive_int
from nfteach.data import grid
from nfteach.metrics import psnr
from nfteach.models import count_parameters
from nfteach.mrnet import MRNet, gaussian_pyramid, level_samples, lod_weights
from nfteach.viz import image_grid
from nfteach.widgets import slider_explorer


@torch.no_grad()
def render(net: nn.Module, size: int, level: float | None = None) -> torch.Tensor:
    """``net`` evaluated at the pixel centres of a ``size``² grid over [−1, 1]² (an MR-Net at ``level``;
    None: every stage), clamped to [0, 1]: ``[size, size, C]`` on the CPU."""
    if not isinstance(net, nn.Module) or next(net.parameters(), None) is None:
        raise ValueError(f"render: net must be a trained nn.Module, got {type(net).__name__}")
    check_positive_int("render: size", size), check_memory("render", f"size {size}", 4 * 8 * size**2)
    device = next(net.parameters()).device
    coords = grid(size, size).to(device)
    values = net(coords) if level is None else net(coords, level=level)
    return values.clamp(0, 1).reshape(size, size, -1).cpu()


def lod_title(net: MRNet, level: float) -> str:
    """The level and its stage weights c_s, e.g. "level 2.50\nc = [1 1 0.5 0 0]"."""
    weights = " ".join(f"{w:.2f}".rstrip("0").rstrip(".") for w in lod_weights(level, len(net.stages)))
    return f"level {level:.2f}\nc = [{weights}]"


def lod_explorer(net: MRNet, size: int = 128, level: float | None = None, step: float = 0.05) -> widgets.VBox:
    """A slider ``level`` ∈ [0, stages] (fractional) redraws the MR-Net ``net`` at that level of detail on a
    ``size``² grid: no retraining, one evaluation. Static twin: :func:`lod_strip`. It starts at level 1, the
    coarsest stage alone, so every move to the right adds detail (at the maximum a first key press did nothing)."""
    stages = len(net.stages)
    slider = widgets.FloatSlider(value=min(1, stages) if level is None else level, min=0, max=stages, step=step,
                                 description="level", continuous_update=False)

    def draw(level: float) -> Figure:
        return image_grid([render(net, size, level)], [lod_title(net, level)], size=4.0)

    return slider_explorer(draw, [slider])


def lod_strip(net: MRNet, levels: Sequence[float], size: int = 128) -> Figure:
    """The static twin of :func:`lod_explorer`: the MR-Net at each of ``levels``, side by side."""
    return image_grid([render(net, size, level) for level in levels], [lod_title(net, level) for level in levels],
                      size=min(2.3, 9.6 / len(levels)))  # fits JupyterLab's ~970 px


@torch.no_grad()
def psnr_by_level(net: nn.Module, pyramid: Sequence[torch.Tensor], levels: Sequence[float] | None = None) -> np.ndarray:
    """PSNR (dB) of ``net`` against every pyramid level, sampled on that level's own grid: ``[len(levels),
    len(pyramid)]``. For an MR-Net row i is level ``levels[i]`` (default 1 … stages); another network
    (``levels`` = [None]) gives one row."""
    if isinstance(pyramid, torch.Tensor) or not pyramid:
        raise ValueError(f"psnr_by_level: pyramid must be a non-empty list of images [h, w, C], got {type(pyramid).__name__}")
    levels = list(range(1, len(pyramid) + 1)) if levels is None else levels
    device = next(net.parameters()).device
    table = np.zeros((len(levels), len(pyramid)))
    for j, image in enumerate(pyramid):
        coords, values = level_samples(image)
        for i, level in enumerate(levels):
            out = net(coords.to(device)) if level is None else net(coords.to(device), level=level)
            table[i, j] = psnr(out.cpu(), values)
    return table


def filtered_pyramid_psnr(net: nn.Module, pyramid: Sequence[torch.Tensor]) -> np.ndarray:
    """The honest single-scale baseline of :func:`psnr_by_level`: ``net`` rendered once on the finest level's grid
    (``H²`` evaluations), filtered down with the same Gaussian pyramid and compared with each level: ``[len(pyramid)]``."""
    filtered = gaussian_pyramid(render(net, pyramid[-1].shape[0]), len(pyramid))
    return np.array([psnr(mine, level) for mine, level in zip(filtered, pyramid)])


def training_cost(parts: Sequence[nn.Module], histories: Sequence, samples: Sequence[int]) -> float:
    """Σ steps × samples × parameters over the trained ``parts`` (an MR-Net's stages, or one network), in
    billions: the multiply-adds of the forward passes, a measure of training compute that no machine's load
    changes (the backward pass costs about twice as much again, for every network alike)."""
    if not len(parts) == len(histories) == len(samples):
        raise ValueError(f"training_cost: give one history and one sample count per part, got {len(parts)} parts, "
                         f"{len(histories)} histories and {len(samples)} sample counts")
    return sum(history.step[-1] * count * count_parameters(part)
               for part, history, count in zip(parts, histories, samples)) / 1e9


def resized(image: torch.Tensor, size: int, order: int = 1, anti_aliasing: bool = False) -> torch.Tensor:
    """``image [H, W, C]`` resampled to ``size``² by ``skimage.transform.resize`` (``order`` 0: nearest, 1:
    bilinear, 3: bicubic; ``anti_aliasing=True`` low-pass filters first, as minification should)."""
    check_image(image, "resized: image"), check_positive_int("resized: size", size)
    check_memory("resized", f"size {size}", 8 * 4 * image.shape[-1] * size**2)
    from skimage.transform import resize

    pixels = resize(image.detach().cpu().double().numpy(), (size, size), order=order, anti_aliasing=anti_aliasing)
    return torch.from_numpy(pixels).float().clamp(0, 1)


def filtered_render(net: nn.Module, size: int, render_size: int, level: float | None = None) -> torch.Tensor:
    """``net`` rendered on a ``render_size``² grid (``render_size²`` evaluations) and low-pass resized to
    ``size``² (``resize(anti_aliasing=True)``): a single-scale network's honest answer on a small grid."""
    return resized(render(net, render_size, level), size, anti_aliasing=True)


def evaluations_to_match(net: nn.Module, size: int, reference: torch.Tensor, target: float, max_size: int) -> float:
    """The fewest evaluations with which ``net``, rendered on a grid ``size``·2^j per side (at most ``max_size``)
    and filtered down to ``size``² (:func:`filtered_render`), reaches ``target`` dB against ``reference``;
    inf if even the ``max_size``² render falls short."""
    render_size = size
    while True:
        render_size = min(render_size, max_size)
        if psnr(filtered_render(net, size, render_size), reference) >= target:
            return float(render_size**2)
        if render_size == max_size:
            return float("inf")
        render_size *= 2


def plot_sweep(sizes: Sequence[int], curves: dict[str, Sequence[float]], trained_size: int) -> Figure:
    """PSNR (dB) against the output grid's side, one curve per method, the legend outside the axes."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullLocator

    fig, ax = plt.subplots(figsize=(9, 3.2))
    for name, values in curves.items():
        ax.plot(sizes, values, "o-", label=name)
    ax.axvline(trained_size, color="gray", lw=0.8, ls=":")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set(xticks=list(sizes) + [trained_size], xticklabels=[str(s) for s in sizes] + [f"{trained_size}\n(trained)"],
           xlabel="output grid side (pixels)", ylabel="PSNR vs filtered photo (dB)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig
