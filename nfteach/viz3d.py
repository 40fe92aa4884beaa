"""Figures for shapes: plotly 3D views (mesh, point cloud) each with a matplotlib static twin, field slices
with their zero level set, and sphere-traced renderings with their step counts.

The sibling of :mod:`nfteach.viz` for 3D (kept apart so each module reads in one sitting). Nothing here
trains or meshes: functions take meshes, points, fields or renderings and return a figure.
"""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np
import plotly.graph_objects as go
import torch
import trimesh
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from nfteach._checks import check_count_memory, check_number, check_positive_int
from nfteach.mesh import evaluate
from nfteach.raytrace import Rendering

LIGHT = np.array([0.6, 0.8, 0.5]) / np.linalg.norm([0.6, 0.8, 0.5])
COLOR = "#7aa6d6"


def _points(values, name: str) -> np.ndarray:
    array = values.detach().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    if array.ndim != 2 or array.shape[1] != 3 or len(array) == 0:
        raise ValueError(f"{name} must be [N, 3] points with N ≥ 1, got shape {list(array.shape)}")
    if array.dtype.kind not in "biuf" or not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite real numbers, got {array.dtype} values with NaN, inf or text")
    return array


def _check_mesh(mesh, where: str) -> None:
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise ValueError(f"{where}: mesh must be a non-empty trimesh.Trimesh, got {type(mesh).__name__}")


def _equal_axes_3d(ax, points: np.ndarray) -> None:
    center, radius = (points.max(0) + points.min(0)) / 2, (points.max(0) - points.min(0)).max() / 2
    for setter, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), center):
        setter(c - radius, c + radius)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(MaxNLocator(4))
    ax.set_box_aspect((1, 1, 1))


# --- plotly views and their static twins ------------------------------------------------------------------


def mesh_figure(mesh: trimesh.Trimesh, title: str = "", color: str = COLOR, height: int = 450) -> go.Figure:
    """The mesh as a lit plotly ``Mesh3d`` with equal axes (y up); drag to turn it. Static twin: :func:`mesh_static`."""
    _check_mesh(mesh, "mesh_figure")
    v, f = mesh.vertices, mesh.faces
    trace = go.Mesh3d(x=v[:, 0], y=v[:, 1], z=v[:, 2], i=f[:, 0], j=f[:, 1], k=f[:, 2], color=color,
                      flatshading=False, lighting=dict(ambient=0.35, diffuse=0.8, specular=0.2, roughness=0.6),
                      lightposition=dict(x=100, y=200, z=150))
    fig = go.Figure(trace)
    fig.update_layout(title=title, height=height, margin=dict(l=0, r=0, t=40 if title else 0, b=0),
                      scene=dict(aspectmode="data", camera=dict(up=dict(x=0, y=1, z=0), eye=dict(x=1.2, y=0.9, z=1.6))))
    return fig


def points_figure(points, values=None, title: str = "", size: float = 2.0, height: int = 450) -> go.Figure:
    """A plotly point cloud ``[N, 3]``, coloured by ``values [N]`` if given. Static twin: :func:`points_static`."""
    p = _points(points, "points_figure: points")
    marker = dict(size=size, color=COLOR if values is None else np.asarray(values).reshape(-1),
                  colorscale="RdBu", showscale=values is not None)
    fig = go.Figure(go.Scatter3d(x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers", marker=marker))
    fig.update_layout(title=title, height=height, margin=dict(l=0, r=0, t=40 if title else 0, b=0),
                      scene=dict(aspectmode="data", camera=dict(up=dict(x=0, y=1, z=0), eye=dict(x=1.2, y=0.9, z=1.6))))
    return fig


def _draw_mesh(ax, mesh: trimesh.Trimesh, title: str) -> None:
    """Faces shaded by Lambert's law from their normals (y up: plotted as matplotlib's z)."""
    swap = [0, 2, 1]
    shade = 0.3 + 0.7 * np.clip(mesh.face_normals @ LIGHT, 0, None)
    colors = plt.matplotlib.colors.to_rgb(COLOR) * shade[:, None]
    ax.add_collection3d(Poly3DCollection(mesh.triangles[:, :, swap], facecolors=colors, edgecolors="none"))
    _equal_axes_3d(ax, mesh.vertices[:, swap])
    ax.view_init(elev=20, azim=-60)
    ax.set_xlabel("x"), ax.set_ylabel("z"), ax.set_zlabel("y")
    ax.tick_params(labelsize=7)
    ax.set_title(title)


def mesh_static(meshes: Mapping[str, trimesh.Trimesh] | trimesh.Trimesh, size: float = 3.2) -> Figure:
    """The static twin of :func:`mesh_figure`: one or more meshes side by side, faces Lambert-shaded."""
    if not isinstance(meshes, (trimesh.Trimesh, Mapping)):
        raise ValueError(f"mesh_static: meshes must be a mesh or a mapping title → mesh, got {type(meshes).__name__}")
    meshes = {"": meshes} if isinstance(meshes, trimesh.Trimesh) else dict(meshes)
    fig = plt.figure(figsize=(size * len(meshes), size))
    for index, (title, mesh) in enumerate(meshes.items()):
        _check_mesh(mesh, "mesh_static")
        _draw_mesh(fig.add_subplot(1, len(meshes), index + 1, projection="3d"), mesh, title)
    fig.tight_layout()
    return fig


def points_static(points, values=None, title: str = "", size: float = 4.0) -> Figure:
    """The static twin of :func:`points_figure`: a matplotlib 3D scatter (y up)."""
    p = _points(points, "points_static: points")
    fig = plt.figure(figsize=(size, size))
    ax = fig.add_subplot(projection="3d")
    if values is None:
        ax.scatter(p[:, 0], p[:, 2], p[:, 1], s=1, c=COLOR)
    else:
        art = ax.scatter(p[:, 0], p[:, 2], p[:, 1], s=1, c=np.asarray(values).reshape(-1), cmap="RdBu")
        fig.colorbar(art, ax=ax, shrink=0.6)
    _equal_axes_3d(ax, p[:, [0, 2, 1]])
    ax.set_xlabel("x"), ax.set_ylabel("z"), ax.set_zlabel("y")
    ax.tick_params(labelsize=7)
    ax.set_title(title)
    return fig


# --- slices and renderings ---------------------------------------------------------------------------------


def field_slice(field, bounds: tuple[float, float] = (-1.0, 1.0), resolution: int = 200,
                z: float = 0.0) -> torch.Tensor:
    """The field on a ``resolution²`` grid over ``bounds``: the plane itself for a 2D field, the slice at
    height ``z`` (the xy plane) for a 3D one → ``[resolution, resolution]``, row 0 at the top (largest y)."""
    resolution = check_positive_int("field_slice: resolution", resolution)
    if getattr(field, "dim", None) not in (2, 3) or not callable(field):
        raise ValueError(f"field_slice: field must be a 2D or 3D field with a .dim (e.g. shapes.heart()), got "
                         f"{type(field).__name__}; wrap a network with explore.neural_sdf.as_shape(net)")
    lo, hi = _slice_bounds(bounds, "field_slice")
    check_number("field_slice: z", z)
    check_count_memory("field_slice", f"resolution {resolution} ({resolution}² points)", 4 * resolution**2 * field.dim)
    axis = torch.linspace(lo, hi, resolution)
    y, x = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    points = torch.stack([x, y] + ([torch.full_like(x, z)] if field.dim == 3 else []), dim=-1).reshape(-1, field.dim)
    return evaluate(field, points, where="field_slice").reshape(resolution, resolution)


def _slice_bounds(bounds, where: str) -> tuple[float, float]:
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise ValueError(f"{where}: bounds must be a pair (lo, hi), got {bounds!r}")
    lo, hi = (check_number(f"{where}: bounds", b) for b in bounds)
    if not lo < hi:
        raise ValueError(f"{where}: bounds must be (lo, hi) with lo < hi, got {bounds!r}")
    return lo, hi


def plot_field_slices(fields: Mapping[str, object], bounds: tuple[float, float] = (-1.0, 1.0),
                      resolution: int = 200, z: float = 0.0, size: float = 3.1) -> Figure:
    """Fields side by side on one slice, each in a diverging colour map centred on its surface level
    (``field.level``: 0 for an SDF or TSDF, 0.5 for an occupancy), with that level set drawn in black.
    Inside is red and outside blue for every field (the outside is read from the slice's border)."""
    if not fields:
        raise ValueError("plot_field_slices: fields must hold at least one field, got none")
    if not hasattr(fields, "items"):
        raise ValueError(f"plot_field_slices: fields must be a mapping title → field, got {type(fields).__name__}")
    _slice_bounds(bounds, "plot_field_slices")
    fig, axes = plt.subplots(1, len(fields), figsize=(size * len(fields), size), squeeze=False)
    for ax, (title, field) in zip(axes[0], fields.items()):
        values = field_slice(field, bounds, resolution, z).numpy()
        level = getattr(field, "level", 0.0)
        spread = max(abs(values.max() - level), abs(values.min() - level), 1e-6)
        extent = (bounds[0], bounds[1], bounds[0], bounds[1])
        border = np.concatenate([values[[0, -1]].ravel(), values[:, [0, -1]].ravel()])
        cmap = "RdBu" if np.mean(border > level) >= 0.5 else "RdBu_r"  # inside red, whichever sign it has
        image = ax.imshow(values, cmap=cmap, vmin=level - spread, vmax=level + spread, extent=extent)
        if values.min() < level < values.max():
            ax.contour(values, levels=[level], colors="k", linewidths=1.2, extent=extent, origin="upper")
        ax.set_title(title, fontsize=10)
        ax.set_xticks([]), ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
    fig.tight_layout()
    return fig


def plot_rendering(rendering: Rendering, title: str = "", size: float = 3.6) -> Figure:
    """A sphere-traced image beside its step count per pixel (bright = slow: rays that graze a surface)."""
    if not isinstance(rendering, Rendering):
        raise ValueError(f"plot_rendering: rendering must be a raytrace.Rendering (from raytrace.render), got "
                         f"{type(rendering).__name__}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(2.35 * size, size))
    left.imshow(rendering.image.clamp(0, 1).numpy())
    left.set_title(title or "sphere traced", fontsize=10)
    steps = right.imshow(rendering.steps.numpy(), cmap="magma")
    right.set_title(f"steps per pixel (mean {rendering.steps.float().mean():.1f})", fontsize=10)
    fig.colorbar(steps, ax=right, fraction=0.046, pad=0.03)
    for ax in (left, right):
        ax.axis("off")
    fig.tight_layout()
    return fig

