"""Appendix A5's room: SIREN beyond images (Sitzmann et al. 2020) — a video fit f(t, y, x) against ReLU + positional
encoding behind the time slider, the Helmholtz field solved from its PDE behind the wave-number slider, and their
static twins."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from nfteach import seeding
from nfteach._checks import check_number, check_positive_int, check_positive_number
from nfteach.data import grid
from nfteach.encodings import PositionalEncoding
from nfteach.metrics import psnr
from nfteach.models import MLP, Siren
from nfteach.pde import HelmholtzLoss, gaussian_source, helmholtz_residual, reference_field, relative_error, source_disk
from nfteach.train import LiveView, fit, predict
from nfteach.viz import image_grid
from nfteach.widgets import slider_explorer


def network(kind: str, in_features: int, out_features: int, width: int, hidden_layers: int,
            num_frequencies: int) -> nn.Module:
    """A coordinate network of the appendix: ``"SIREN"`` (ω0 = 30, the official init) or ``"ReLU + PE"`` (NeRF's
    positional encoding with ``num_frequencies`` octaves per coordinate, Kaiming init), the same width and depth."""
    if kind == "SIREN":
        return Siren(in_features, width, hidden_layers, out_features)
    if kind == "ReLU + PE":
        return MLP(in_features, width, hidden_layers, out_features, encoding=PositionalEncoding(in_features, num_frequencies))
    raise ValueError(f"network: kind must be 'SIREN' or 'ReLU + PE', got {kind!r}")


def frame_psnr(net: nn.Module, video: torch.Tensor) -> list[float]:
    """The PSNR (dB, on [0, 1]) of each frame of ``video [T, H, W, C]`` rendered by ``net`` (targets in [−1, 1])."""
    frames = video.shape[0]
    rendered = render(net, video.shape[1:3], torch.arange(frames), frames)
    return [psnr(rendered[j], video[j]) for j in range(frames)]


def frame_time(index: float, frames: int) -> float:
    """The time coordinate in [−1, 1] of frame ``index`` (fractional between frames): the centres of
    ``grid(frames, …)``'s first axis."""
    return -1 + (index + 0.5) * 2 / frames


def render(net: nn.Module, shape: Sequence[int], indices, frames: int) -> torch.Tensor:
    """Frames ``[len(indices), H, W, C]`` in [0, 1] of ``net`` at (fractional) frame ``indices`` of a ``frames``-frame clip."""
    height, width = shape
    space = grid(height, width)  # [H·W, 2]: (y, x)
    images = []
    for index in torch.as_tensor(indices, dtype=torch.float32).reshape(-1):
        t = torch.full((len(space), 1), frame_time(float(index), frames))
        values = predict(net, torch.cat([t, space], dim=1))  # [H·W, C]
        images.append(((values + 1) / 2).clamp(0, 1).reshape(height, width, -1))
    return torch.stack(images)


def fit_video(net: nn.Module, video: torch.Tensor, *, steps: int, lr: float, final_lr: float | None, batch_size: int,
              live: bool = True, title: str | None = None):
    """Fit ``net`` to ``video [T, H, W, C]`` in [0, 1] (targets mapped to [−1, 1], coordinates ``grid(T, H, W)``)
    with random batches of ``batch_size`` pixels a step (the official ``sample_frac``); the live view previews the
    middle frame. Returns fit's History."""
    frames, height, width, channels = video.shape
    coords, target = grid(frames, height, width), video.reshape(-1, channels) * 2 - 1  # [N, 3], [N, C]
    preview = lambda model: render(model, (height, width), [frames // 2], frames)[0]
    view = LiveView(preview, title=title) if live else False
    return fit(net, coords, target, steps=steps, lr=lr, final_lr=final_lr, batch_size=batch_size, data_range=2.0,
               live=view, progress=not live)


def time_explorer(video: torch.Tensor, nets: Mapping[str, nn.Module], step: float = 0.25) -> widgets.VBox:
    """A slider over time (in frames, fractional between them) renders each fitted net at that time beside the
    nearest frame of the clip. Static twin: :func:`time_grid`."""
    frames = video.shape[0]
    slider = widgets.FloatSlider(value=0.0, min=0.0, max=frames - 1, step=check_positive_number("time_explorer: step", step),
                                 description="frame", continuous_update=False)

    def draw(frame: float) -> Figure:
        return _time_figure(video, nets, [frame])

    return slider_explorer(draw, [slider])


def time_grid(video: torch.Tensor, nets: Mapping[str, nn.Module], times: Sequence[float]) -> Figure:
    """The static twin of :func:`time_explorer`: a row per time (frames, fractional between them)."""
    return _time_figure(video, nets, times)


def _time_figure(video: torch.Tensor, nets: Mapping[str, nn.Module], times: Sequence[float]) -> Figure:
    frames = video.shape[0]
    images, titles = [], []
    for time in times:
        check_number("time_grid: time", time, 0.0, frames - 1)
        nearest = int(round(time))
        images.append(video[nearest])
        titles.append(f"clip, frame {nearest}" if time == nearest else f"t = {time:g}: frame {nearest} nearest")
        for name, net in nets.items():
            rendered = render(net, video.shape[1:3], [time], frames)[0]
            images.append(rendered)
            titles.append(f"{name}: {psnr(rendered, video[nearest]):.1f} dB" if time == nearest else f"{name}, t = {time:g}")
    return image_grid(images, titles, ncols=1 + len(nets), size=2.8)


# --- the Helmholtz problem ------------------------------------------------------------------------------------------


@dataclass
class HelmholtzRun:
    """A field solved from the Helmholtz PDE: the net, its loss curve and its error against the reference."""

    net: nn.Module
    k: float
    loss: list[float]
    error: float
    residual: float


def interior(coords: torch.Tensor, pml_width: float, source_radius: float) -> torch.Tensor:
    """The points inside the PML and at least ``source_radius`` from the source at 0, where the reference holds."""
    return (coords.abs().max(dim=1).values < 1 - pml_width) & (coords.norm(dim=1) > source_radius)


def solve_helmholtz(net: nn.Module, loss: HelmholtzLoss, *, steps: int, lr: float, final_lr: float | None = None,
                    source_points: int = 100, side: int = 64, source_radius: float = 0.15, live: bool = True,
                    title: str | None = None, seed: int | None = None) -> HelmholtzRun:
    """Train ``net`` on the Helmholtz residual alone (:class:`~nfteach.pde.HelmholtzLoss`: ``loss.points`` uniform
    points and ``source_points`` points near the source a step); the live view previews Re u. The error is
    :func:`~nfteach.pde.relative_error` against :func:`~nfteach.pde.reference_field` on the ``side``² grid's
    :func:`interior` points; the residual is the mean |r| / k² there (:func:`residual_map`)."""
    seed = seeding.resolve(seed)
    disk = source_disk(20 * source_points, loss.center, loss.sigma, seed=seed)  # a pool: fit draws a batch a step
    view = LiveView(lambda model: field_image(model, side), title=title) if live else False
    history = fit(net, disk, gaussian_source(disk, loss.center, loss.sigma, loss.amplitude), loss_fn=loss, steps=steps,
                  lr=lr, final_lr=final_lr, batch_size=source_points, live=view, progress=not live, seed=seed)
    coords = grid(side, side)
    inside = interior(coords, loss.pml_width, source_radius)
    reference = reference_field(coords, loss.k, loss.center, loss.sigma, loss.amplitude)
    error = relative_error(predict(net, coords)[inside], reference[inside])
    return HelmholtzRun(net, loss.k, history.loss, error, float(residual_map(net, loss, side).reshape(-1)[inside].mean()))


FIELD_RANGE = 0.25
"""The colour range of Re u in the figures (the reference field is about ±0.2 a wavelength from the source)."""


def field_image(net_or_values, side: int = 64) -> torch.Tensor:
    """Re u on a ``side``² grid mapped to [0, 1] (±:data:`FIELD_RANGE` → 0, 1), from a net or values ``[side², 2]``."""
    values = predict(net_or_values, grid(side, side)) if isinstance(net_or_values, nn.Module) else net_or_values
    return (values[:, 0].reshape(side, side) / FIELD_RANGE / 2 + 0.5).clamp(0, 1)


def residual_map(net: nn.Module, loss: HelmholtzLoss, side: int = 64) -> torch.Tensor:
    """|r| / k² of :func:`~nfteach.pde.helmholtz_residual` (source included) on a ``side``² grid, ``[side, side]``."""
    coords = grid(side, side)
    source = gaussian_source(coords, loss.center, loss.sigma, loss.amplitude)
    r = helmholtz_residual(net, coords, loss.k, source, loss.pml_width, loss.pml_strength).detach()
    return (r.norm(dim=1) / loss.k**2).reshape(side, side)


def plot_helmholtz(fields: Mapping[str, torch.Tensor], residuals: Mapping[str, torch.Tensor], side: int) -> Figure:
    """Re u of each field (a row, reference included) above the residual |r|/k² of each net (log colour scale)."""
    ncols = len(fields)
    fig, axes = plt.subplots(2, ncols, figsize=(2.9 * ncols + 0.6, 5.6), squeeze=False)
    for ax, (title, values) in zip(axes[0], fields.items()):
        image = ax.imshow(values[:, 0].reshape(side, side), cmap="RdBu_r", vmin=-FIELD_RANGE, vmax=FIELD_RANGE,
                          extent=(-1, 1, -1, 1), origin="lower")
        ax.set_title(title, fontsize="small")
        _pml_box(ax)
    fig.colorbar(image, ax=list(axes[0]), fraction=0.02, pad=0.02, label="Re u")
    for ax in axes[1]:
        ax.axis("off")
    for ax, (title, values) in zip(axes[1], residuals.items()):
        ax.axis("on")
        shown = ax.imshow(values.clamp(min=1e-4), cmap="magma", norm=matplotlib_lognorm(1e-3, 10), extent=(-1, 1, -1, 1),
                          origin="lower")
        ax.set_title(title, fontsize="small")
        _pml_box(ax)
    fig.colorbar(shown, ax=list(axes[1]), fraction=0.02, pad=0.02, label="|r| / k²")
    return fig


def matplotlib_lognorm(low: float, high: float):
    from matplotlib.colors import LogNorm

    return LogNorm(low, high)


def _pml_box(ax, width: float = 0.5) -> None:
    edge = 1 - width
    ax.plot([-edge, edge, edge, -edge, -edge], [-edge, -edge, edge, edge, -edge], color="0.3", lw=0.8, ls="--")
    ax.set_xticks([-1, 0, 1]), ax.set_yticks([-1, 0, 1])


def wavenumber_explorer(solved: Mapping[float, HelmholtzRun], loss: HelmholtzLoss, ks: Sequence[float],
                        side: int = 64) -> widgets.VBox:
    """A slider over the wave number k: the reference field for k (computed at once) beside the field SIREN solved
    for the nearest k in ``solved`` (a solve takes far longer than a slider may: the solutions are precomputed).
    Static twin: :func:`wavenumber_grid`."""
    if not solved:
        raise ValueError("wavenumber_explorer: solved must hold at least one solved field {k: HelmholtzRun}, got none")
    slider = widgets.SelectionSlider(options=[float(k) for k in ks], value=float(min(ks, key=lambda k: abs(k - next(iter(solved))))),
                                     description="k", continuous_update=False)

    def draw(k: float) -> Figure:
        return _wavenumber_figure(solved, loss, [k], side)

    return slider_explorer(draw, [slider])


def wavenumber_grid(solved: Mapping[float, HelmholtzRun], loss: HelmholtzLoss, ks: Sequence[float],
                    side: int = 64) -> Figure:
    """The static twin of :func:`wavenumber_explorer`: a row per wave number."""
    return _wavenumber_figure(solved, loss, ks, side)


def _wavenumber_figure(solved: Mapping[float, HelmholtzRun], loss: HelmholtzLoss, ks: Sequence[float], side: int) -> Figure:
    coords = grid(side, side)
    images, titles = [], []
    for k in ks:
        check_positive_number("wavenumber_grid: k", k)
        nearest = min(solved, key=lambda known: abs(known - k))
        reference = reference_field(coords, k, loss.center, loss.sigma, loss.amplitude)
        images += [field_image(reference, side), field_image(solved[nearest].net, side)]
        titles += [f"reference, k = {k:g} (λ = {2 * math.pi / k:.2f})",
                   f"SIREN solved for k = {nearest:g}: error {solved[nearest].error:.2f}"]
    return image_grid(images, titles, ncols=2, size=3.2)
