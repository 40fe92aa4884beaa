"""Appendix A2's room: sphere-traced training views of an analytic scene, a tiny NeRF's evaluation against them,
and the camera-angle slider rendering novel views of the trained field (with its static twin)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from nfteach.metrics import psnr
from nfteach.nerf import Rays, render_view, ring_eye
from nfteach.raytrace import camera_rays, render
from nfteach.shapes import Shape
from nfteach.widgets import cpu_threads, slider_explorer


@dataclass
class View:
    """One camera's rays and its sphere-traced ground truth (``resolution²`` pixels, row-major)."""

    angle: float  # degrees around the ring
    origins: torch.Tensor  # [P, 3]
    directions: torch.Tensor  # [P, 3], unit
    rgb: torch.Tensor  # [P, 3]: shading (n + 1)/2 of the hit's normal, black where the ray misses
    depth: torch.Tensor  # [P]: distance along the ray to the surface (meaningful where hit)
    hit: torch.Tensor  # [P] bool


def sphere_traced_view(scene: Shape, angle: float, resolution: int, height: float = 0.8) -> View:
    """The scene seen from :func:`~nfteach.nerf.ring_eye` at ``angle``: colour from the normals (view-independent,
    like the tiny NeRF's field) on black, and the true depth, by sphere tracing (chapter 4)."""
    if not isinstance(scene, Shape) or scene.dim != 3:
        raise ValueError(f"sphere_traced_view: scene must be a 3D shapes.Shape, got {scene!r}")
    eye = ring_eye(angle, height=height).tolist()
    rendering = render(scene, resolution, eye=eye, shading="normal", background=0.0)
    origins, directions = camera_rays(resolution, eye=eye)
    return View(angle, origins, directions, rendering.image.reshape(-1, 3), rendering.trace.distance, rendering.trace.hit)


def _check_views(views, where: str) -> None:
    if isinstance(views, View) or not views or not all(isinstance(view, View) for view in views):
        raise ValueError(f"{where}: views must be a non-empty list of View (from sphere_traced_view), got {views!r:.80}")


def training_rays(views: Sequence[View]) -> tuple[torch.Tensor, torch.Tensor]:
    """All pixels of ``views`` as rays ``[N, 6]`` (origin, direction) and colours ``[N, 3]``, for ``fit``."""
    _check_views(views, "training_rays")
    rays = torch.cat([torch.cat([v.origins, v.directions], dim=1) for v in views])
    return rays, torch.cat([v.rgb for v in views])


def evaluate(field: torch.nn.Module, views: Sequence[View], rays: Rays) -> tuple[float, float]:
    """Mean PSNR (dB) of the field's renderings of ``views`` and its mean |depth error| on the pixels that hit."""
    _check_views(views, "evaluate")
    scores, errors = [], []
    with cpu_threads(1):
        for view in views:
            rgb, depth = render_view(field, view.origins, view.directions, rays)
            scores.append(psnr(rgb, view.rgb))
            errors.append((depth[view.hit] - view.depth[view.hit]).abs().mean().item())
    return sum(scores) / len(scores), sum(errors) / len(errors)


def _novel_view_figure(fields: dict[str, torch.nn.Module], scene: Shape, angle: float, rays: Rays, resolution: int,
                       axes_row) -> None:
    truth = sphere_traced_view(scene, angle, resolution)
    side = (resolution, resolution)
    panels = [("sphere-traced", truth.rgb, truth.depth.where(truth.hit, torch.tensor(0.0)))]  # no surface: 0, as an empty ray
    with cpu_threads(1):
        for name, field in fields.items():
            rgb, depth = render_view(field, truth.origins, truth.directions, rays)
            panels.append((f"{name}: {psnr(rgb, truth.rgb):.1f} dB", rgb, depth))
    for k, (title, rgb, depth) in enumerate(panels):
        axes_row[2 * k].imshow(rgb.reshape(*side, 3).clamp(0, 1))
        axes_row[2 * k].set_title(title, fontsize="small")
        axes_row[2 * k + 1].imshow(depth.reshape(side), cmap="viridis_r", vmin=rays.near, vmax=rays.far)
        axes_row[2 * k + 1].set_title("depth", fontsize="small")
    for ax in axes_row:
        ax.axis("off")


def novel_view_explorer(fields: dict[str, torch.nn.Module], scene: Shape, rays: Rays, resolution: int = 48,
                        angle: float = 22.5) -> widgets.VBox:
    """A slider on the camera angle renders each trained field (colour and expected depth) beside the
    sphere-traced truth, from anywhere on the ring. Static twin: :func:`novel_view_grid`."""
    slider = widgets.FloatSlider(angle, min=0.0, max=360.0, step=7.5, description="angle", continuous_update=False)

    def draw(angle: float) -> Figure:
        fig, axes = plt.subplots(1, 2 + 2 * len(fields), figsize=(1.55 * (2 + 2 * len(fields)), 2.2))
        _novel_view_figure(fields, scene, angle, rays, resolution, axes)
        fig.suptitle(f"camera at {angle:g}°", fontsize="medium")
        fig.tight_layout()
        return fig

    return slider_explorer(draw, [slider])


def novel_view_grid(fields: dict[str, torch.nn.Module], scene: Shape, rays: Rays, angles: Sequence[float] = (22.5, 142.5, 262.5),
                    resolution: int = 48) -> Figure:
    """The static twin of :func:`novel_view_explorer`: one row per camera angle."""
    columns = 2 + 2 * len(fields)
    fig, axes = plt.subplots(len(angles), columns, figsize=(1.55 * columns, 1.9 * len(angles)), squeeze=False)
    for row, angle in zip(axes, angles):
        _novel_view_figure(fields, scene, angle, rays, resolution, row)
        row[0].set_title(f"{angle:g}°: " + row[0].get_title(), fontsize="small")
    fig.tight_layout()
    return fig
