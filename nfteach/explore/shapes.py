"""Chapter 4's room: the smoothing-radius and TSDF-truncation sliders with their static twins, and the
marching-cubes resolution study. Everything here is analytic, so each redraw takes a fraction of a second."""

from __future__ import annotations

import math
import time
from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from nfteach import seeding
from nfteach import shapes
from nfteach._checks import check_positive_number
from nfteach.mesh import marching_cubes, surface_samples
from nfteach.metrics import chamfer_l1
from nfteach.viz3d import field_slice, plot_field_slices
from nfteach.widgets import slider_explorer

BOUNDS = (-1.0, 1.0)


def blend_scene(k: float) -> shapes.Shape:
    """The 2D scene of the smoothing slider: a disc and a bar joined by a union with smoothing radius k."""
    disc = shapes.circle(0.35, center=[-0.25, 0.15])
    bar = shapes.translate(shapes.rotate(shapes.rectangle([0.5, 0.12]), -0.5), [0.25, -0.2])
    return shapes.union(disc, bar, k=k)


def _smoothing_axes(ax, k: float) -> None:
    """The smooth union's SDF with its zero level set (black) over the exact union's (dashed)."""
    values, exact = field_slice(blend_scene(k), BOUNDS).numpy(), field_slice(blend_scene(0.0), BOUNDS).numpy()
    extent = (*BOUNDS, *BOUNDS)
    ax.imshow(values, cmap="RdBu", vmin=-0.8, vmax=0.8, extent=extent)
    ax.contour(values, levels=[-0.2, -0.1, 0.1, 0.2, 0.3], colors="0.4", linewidths=0.5, extent=extent, origin="upper")
    ax.contour(values, levels=[0.0], colors="k", linewidths=1.5, extent=extent, origin="upper")
    ax.contour(exact, levels=[0.0], colors="k", linewidths=1.0, linestyles="--", extent=extent, origin="upper")
    ax.set_title(f"k = {k:g}", fontsize=10)
    ax.set_xticks([]), ax.set_yticks([])


def smoothing_figure(k: float) -> Figure:
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    _smoothing_axes(ax, k)
    ax.set_title(f"smooth union, k = {k:g}: solid = blend, dashed = exact union", fontsize=10)
    return fig


def smoothing_explorer(ks: Sequence[float] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5), k: float = 0.2) -> widgets.VBox:
    """A slider on the smoothing radius ``k`` of :func:`blend_scene`. Static twin: :func:`smoothing_grid`."""
    slider = widgets.SelectionSlider(options=list(ks), value=k, description="k", continuous_update=False)
    return slider_explorer(smoothing_figure, [slider])


def smoothing_grid(ks: Sequence[float] = (0.0, 0.1, 0.3)) -> Figure:
    """The static twin of :func:`smoothing_explorer`: one panel per k."""
    fig, axes = plt.subplots(1, len(ks), figsize=(3.1 * len(ks), 3.1), squeeze=False)
    for ax, k in zip(axes[0], ks):
        _smoothing_axes(ax, k)
    fig.suptitle("smooth union: solid = blend, dashed = exact union, gray = distance contours", fontsize=10)
    fig.tight_layout()
    return fig


def truncation_figure(truncation: float, shape: shapes.Shape | None = None) -> Figure:
    """The TSDF of the heart on the plane and along the line y = 0.1, with the SDF for comparison."""
    shape = shape or shapes.heart(1.2)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.6, 3.4), gridspec_kw={"width_ratios": [1, 1.4]})
    values = field_slice(shapes.tsdf(shape, truncation), BOUNDS).numpy()
    extent = (*BOUNDS, *BOUNDS)
    left.imshow(values, cmap="RdBu", vmin=-1, vmax=1, extent=extent)
    left.contour(values, levels=[0.0], colors="k", linewidths=1.2, extent=extent, origin="upper")
    left.axhline(0.1, color="w", lw=1.0, ls="--")
    left.set_title(f"TSDF, truncation {truncation:g}", fontsize=10)
    left.set_xticks([]), left.set_yticks([])
    x = torch.linspace(*BOUNDS, 400)
    line = torch.stack([x, torch.full_like(x, 0.1)], dim=-1)
    right.plot(x.numpy(), (shape(line)[:, 0] / truncation).numpy(), color="0.7", lw=2, label="SDF / truncation")
    right.plot(x.numpy(), shapes.tsdf(shape, truncation)(line)[:, 0].numpy(), color="C0", lw=1.5, label="TSDF")
    right.set(ylim=(-3, 3), xlabel="x (along the dashed line)", title="a cut through the field")
    right.axhline(0, color="k", lw=0.6)
    right.legend(loc="upper center", fontsize="small", ncol=2)
    fig.tight_layout()
    return fig


def truncation_explorer(truncations: Sequence[float] = (0.02, 0.05, 0.1, 0.2, 0.5), truncation: float = 0.1) -> widgets.VBox:
    """A slider on the TSDF truncation distance. Static twin: :func:`truncation_grid`."""
    slider = widgets.SelectionSlider(options=list(truncations), value=truncation, description="truncation",
                                     continuous_update=False)
    return slider_explorer(truncation_figure, [slider])


def truncation_grid(truncations: Sequence[float] = (0.02, 0.1, 0.5)) -> Figure:
    """The static twin of :func:`truncation_explorer`: the heart's TSDF at a few truncations."""
    heart = shapes.heart(1.2)
    return plot_field_slices({f"TSDF, truncation {t:g}": shapes.tsdf(heart, t) for t in truncations})


def resolution_study(shape: shapes.Shape, volume: float, area: float, resolutions: Sequence[int] = (16, 32, 64, 128),
                     samples: int = 30_000) -> dict[int, dict[str, float]]:
    """Mesh ``shape`` by marching cubes at each resolution over its box padded by 10 %: per resolution the
    faces, the milliseconds taken, whether it is watertight, the relative volume and area errors (%) against
    the analytic ``volume`` and ``area``, the mean |φ| ×1000 over points on the mesh (their exact distance to the
    true surface) and the Chamfer-L1 to the analytic surface (``samples`` points each)."""
    check_positive_number("resolution_study: volume", volume), check_positive_number("resolution_study: area", area)
    low, high = shapes.padded_bounds(shape, 0.1)
    truth, _ = shapes.surface_points(shape, samples, seed=seeding.session_seed() + 1)
    rows = {}
    for resolution in resolutions:
        start = time.perf_counter()
        mesh = marching_cubes(shape, resolution, bounds=(low.numpy(), high.numpy()))
        milliseconds = 1000 * (time.perf_counter() - start)
        points = surface_samples(mesh, samples)[0]
        rows[resolution] = {
            "faces": len(mesh.faces), "ms": milliseconds, "watertight": mesh.is_watertight,
            "volume error %": 100 * (mesh.volume / volume - 1), "area error %": 100 * (mesh.area / area - 1),
            "mean |φ| ×1e3": 1000 * shape(torch.from_numpy(points).float()).abs().mean().item(),
            "Chamfer-L1": chamfer_l1(points, truth),
        }
    return rows


def torus_measures(major_radius: float, minor_radius: float) -> tuple[float, float]:
    """The volume 2π²Rr² and area 4π²Rr of a torus (Pappus)."""
    check_positive_number("torus_measures: major_radius", major_radius)
    check_positive_number("torus_measures: minor_radius", minor_radius)
    return 2 * math.pi**2 * major_radius * minor_radius**2, 4 * math.pi**2 * major_radius * minor_radius
