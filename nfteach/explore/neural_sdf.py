"""Chapter 5's room: learned SDFs. The measurements behind its sections (Chamfer of a network's zero level set, the
eikonal residual on a slice), the DeepSDF shape family, the latent-interpolation slider and its static twin, and
the interpolation strips of the Lipschitz section."""

from __future__ import annotations

from typing import Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
import trimesh
from matplotlib.figure import Figure
from scipy.spatial import cKDTree
from torch import nn

from nfteach import seeding
from nfteach import shapes
from nfteach._checks import check_memory, check_number, check_positive_int
from nfteach.deepsdf import LatentField, SdfDecoder
from nfteach.losses import eikonal_residual
from nfteach.mesh import field_device, marching_cubes, surface_samples
from nfteach.metrics import chamfer_l1
from nfteach.models import gradient
from nfteach.viz3d import mesh_static
from nfteach.widgets import cpu_threads, slider_explorer

def oriented_point_cloud(mesh: trimesh.Trimesh, n: int, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points uniform by area on the mesh and their unit normals, as float32 tensors ``[n, 3]`` each."""
    points, normals = surface_samples(mesh, n, seed)
    return torch.as_tensor(points, dtype=torch.float32), torch.as_tensor(normals, dtype=torch.float32)


def as_shape(net: nn.Module, name: str = "network") -> shapes.Shape:
    """A network trained as an SDF on [−1, 1]³ as a :class:`nfteach.shapes.Shape` (for slices, CSG and sphere
    tracing), evaluated on the network's own device."""
    if not callable(net):
        raise ValueError(f"as_shape: net must be a network [N, 3] → [N, 1], got {type(net).__name__}")
    device = field_device(net)
    return shapes.Shape(lambda p: net(p.to(device)).cpu(), 3, (torch.full((3,), -1.0), torch.ones(3)), name)


def zero_level_set(field, resolution: int = 64) -> trimesh.Trimesh:
    """The field's zero level set meshed on a ``resolution³`` grid over [−1, 1]³."""
    return marching_cubes(field, resolution, (-1.0, 1.0))


def chamfer_to(mesh: trimesh.Trimesh, reference: np.ndarray | torch.Tensor, n: int = 10_000, seed: int | None = None) -> float:
    """Chamfer-L1 (ONet's, unsquared) between ``n`` area-uniform samples of ``mesh`` and ``reference [M, 3]`` points."""
    points, _ = surface_samples(mesh, n, seed)
    return chamfer_l1(points, reference)


def nearest_other(family: Mapping[str, np.ndarray | torch.Tensor]) -> dict[str, float]:
    """For each shape's surface samples ``[M, 3]``, the Chamfer-L1 to the closest OTHER shape of the family: how
    close a reconstruction must come to be told apart from its neighbours."""
    return {a: min(chamfer_l1(points, family[b]) for b in family if b != a) for a, points in family.items()}


def surface_errors(mesh: trimesh.Trimesh, reference: np.ndarray | torch.Tensor, n: int = 10_000) -> dict[str, float]:
    """Chamfer-L1 and its two halves: **accuracy** (mean distance from the mesh's samples to the true surface:
    spurious pieces raise it) and **completeness** (from the true surface to the mesh: missing or misplaced parts
    raise it); Chamfer-L1 is their average. Also the number of connected ``pieces`` of the mesh."""
    points, _ = surface_samples(mesh, n)
    reference = np.asarray(reference)
    accuracy, completeness = cKDTree(reference).query(points)[0].mean(), cKDTree(points).query(reference)[0].mean()
    return {"Chamfer-L1": float((accuracy + completeness) / 2), "accuracy": float(accuracy),
            "completeness": float(completeness), "pieces": len(mesh.split(only_watertight=False))}


def _slice_points(resolution: int, z: float) -> torch.Tensor:
    """The ``resolution²`` points of the slice z = ``z`` of [−1, 1]³, row by row from y = 1 down → ``[resolution², 3]``."""
    axis = torch.linspace(-1, 1, resolution)
    y, x = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    return torch.stack([x, y, torch.full_like(x, z)], dim=-1).reshape(-1, 3)


def eikonal_map(net: nn.Module, resolution: int = 96, z: float = 0.0) -> torch.Tensor:
    """|‖∇Φ‖ − 1| on the slice z = ``z`` of [−1, 1]³ → ``[resolution, resolution]`` (row 0 at the top, y = 1)."""
    check_positive_int("eikonal_map: resolution", resolution), check_number("eikonal_map: z", z)
    check_memory("eikonal_map", f"resolution {resolution}", 4 * 4 * 3 * resolution**2)
    points = _slice_points(resolution, z).to(field_device(net))
    return eikonal_residual(gradient(net, points)).abs().detach().cpu().reshape(resolution, resolution)


def distance_ratio(net: nn.Module, truth: shapes.Shape, away: float = 0.1, resolution: int = 96, z: float = 0.0) -> float:
    """How far the network's values are from distances: the median of |Φ| / |SDF| over the slice z = ``z`` where
    the true distance exceeds ``away`` (1 for a true SDF; 0.2 means values five times too small)."""
    points = _slice_points(resolution, z)
    with torch.no_grad():
        values = net(points.to(field_device(net))).cpu()  # [resolution², 1]
    distances = truth(points)
    far = distances.abs() > away
    return float((values.abs()[far] / distances.abs()[far]).median())


def plot_eikonal_maps(maps: Mapping[str, torch.Tensor], vmax: float = 1.0, size: float = 3.1) -> Figure:
    """Residual maps side by side on one colour scale, each titled with its mean."""
    fig, axes = plt.subplots(1, len(maps), figsize=(size * len(maps) + 0.6, size), squeeze=False)
    for ax, (title, values) in zip(axes[0], maps.items()):
        image = ax.imshow(values.numpy(), cmap="magma", vmin=0, vmax=vmax, extent=(-1, 1, -1, 1))
        ax.set_title(f"{title}\nmean |‖∇Φ‖ − 1| = {values.mean():.2f}", fontsize=10)
        ax.set_xticks([]), ax.set_yticks([])
    fig.colorbar(image, ax=list(axes[0]), fraction=0.03, pad=0.02)
    return fig


# --- the DeepSDF family ---------------------------------------------------------------------------------------


def shape_family() -> dict[str, shapes.Shape]:
    """Twelve shapes inside the unit sphere: four tori, four rounded boxes, four capsules of different proportions."""
    family: dict[str, shapes.Shape] = {}
    for major, minor in [(0.45, 0.12), (0.55, 0.2), (0.6, 0.1), (0.4, 0.25)]:
        family[f"torus {major:g}/{minor:g}"] = shapes.torus(major, minor)
    for half in [(0.5, 0.3, 0.3), (0.35, 0.5, 0.35), (0.55, 0.2, 0.45), (0.4, 0.4, 0.4)]:
        family["box " + "×".join(f"{h:g}" for h in half)] = shapes.round(shapes.box(half), 0.05)
    for half_length, radius in [(0.4, 0.2), (0.6, 0.15), (0.25, 0.3), (0.5, 0.25)]:
        family[f"capsule {half_length:g}/{radius:g}"] = shapes.capsule((-half_length, 0, 0), (half_length, 0, 0), radius)
    return family


def sdf_samples(shape: shapes.Shape, n: int, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """DeepSDF's sampling at small scale: 47/50 of ``n`` points near the surface (σ = 0.07 and 0.02), 3/50
    uniform in [−1, 1]³, with their true SDF → points ``[n, 3]``, sdf ``[n, 1]``."""
    if not isinstance(shape, shapes.Shape) or shape.dim != 3:
        raise ValueError(f"sdf_samples: shape must be a 3D shapes.Shape, got {shape!r}")
    near = shapes.sample_near_surface(shape, n * 47 // 50, seed=seed)
    uniform = torch.rand(n - len(near), 3, generator=seeding.generator(seed)) * 2 - 1
    points = torch.cat([near, uniform])
    return points, shape(points)


def _interpolate(code_a: torch.Tensor, code_b: torch.Tensor, t: float) -> torch.Tensor:
    return (1 - t) * code_a + t * code_b


def latent_strip(decoder: SdfDecoder, code_a: torch.Tensor, code_b: torch.Tensor,
                 ts: Sequence[float] = (0, 0.25, 0.5, 0.75, 1), resolution: int = 40) -> Figure:
    """The static twin of :func:`latent_explorer`: the meshes of z = (1 − t)·z_a + t·z_b for each t, in a row."""
    with cpu_threads(1):
        meshes = {f"t = {t:g}": zero_level_set(LatentField(decoder, _interpolate(code_a, code_b, t)), resolution)
                  for t in ts}
    return mesh_static(meshes, size=1.9)


def latent_explorer(decoder: SdfDecoder, code_a: torch.Tensor, code_b: torch.Tensor, names: tuple[str, str] = ("a", "b"),
                    resolution: int = 40) -> widgets.VBox:
    """A slider ``t`` from shape a (t = 0) to shape b (t = 1): the decoder at z = (1 − t)·z_a + t·z_b, meshed on a
    ``resolution``³ grid. Static twin: :func:`latent_strip`."""
    slider = widgets.FloatSlider(0.5, min=0, max=1, step=0.05, description="t", continuous_update=False)

    def draw(t: float) -> Figure:
        with cpu_threads(1):
            mesh = zero_level_set(LatentField(decoder, _interpolate(code_a, code_b, t)), resolution)
        return mesh_static({f"{1 - t:.2f}·z({names[0]}) + {t:.2f}·z({names[1]})": mesh}, size=3.6)

    return slider_explorer(draw, [slider])


# --- the Lipschitz section ------------------------------------------------------------------------------------


def interpolation_strips(nets: Mapping[str, nn.Module], ts: Sequence[float] = (0, 0.25, 0.5, 0.75, 1),
                         resolution: int = 100, size: float = 1.9) -> Figure:
    """For each network f(x, y, t) a row of its slices at the given t, with the zero level set in black."""
    fig, axes = plt.subplots(len(nets), len(ts), figsize=(size * len(ts), size * len(nets)), squeeze=False)
    for row, (name, net) in zip(axes, nets.items()):
        for ax, t in zip(row, ts):
            points = _slice_points(resolution, t).to(field_device(net))  # (x, y, t): the slice at this t
            with torch.no_grad():
                values = net(points).cpu().reshape(resolution, resolution).numpy()
            ax.imshow(values, cmap="RdBu", vmin=-0.5, vmax=0.5, extent=(-1, 1, -1, 1))
            ax.contour(values, levels=[0], colors="k", extent=(-1, 1, -1, 1), origin="upper")
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(f"t = {t:g}", fontsize=9)
        row[0].set_ylabel(name, fontsize=10)
    fig.tight_layout()
    return fig

