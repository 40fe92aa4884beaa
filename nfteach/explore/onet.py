"""Appendix A4's room: conditional occupancy networks. Scoring a reconstruction (IoU and Chamfer-L1 as ONet's
evaluation computes them, at small scale), the held-out shapes' observations, and the slider on the number of
observed points with its static twin."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import ipywidgets as widgets
import torch
import trimesh
from matplotlib.figure import Figure

from nfteach import metrics, seeding, shapes
from nfteach._checks import check_number, check_positive_int
from nfteach.mesh import evaluate, marching_cubes, surface_samples
from nfteach.onet import CodeField, OccupancyNetwork, ShapeData, encode, padded_cube
from nfteach.viz3d import mesh_static
from nfteach.widgets import cpu_threads, slider_explorer


def logit(threshold: float) -> float:
    """The logit of an occupancy probability: ONet meshes and scores at probability τ, i.e. logit log(τ / (1 − τ))."""
    check_number("logit: threshold", threshold, 0.0, 1.0, open_low=True, open_high=True)
    return math.log(threshold / (1 - threshold))


@dataclass
class HeldOut:
    """Shapes the networks never saw: their data (8,192 labelled points each for IoU, where ONet uses 100k), the
    exact shapes, 4,096 samples of each true surface (for Chamfer), one fixed observation of each (``clouds``) and,
    for the auto-decoder, as many labelled points of its own (``labelled``, apart from those IoU is scored on)."""

    data: ShapeData
    family: list[shapes.Shape]
    clouds: torch.Tensor
    labelled: tuple[torch.Tensor, torch.Tensor]

    @classmethod
    def generate(cls, count: int, observed: int = 300, noise: float = 0.005, seed: int | None = None) -> "HeldOut":
        """``count`` new shapes of the family, observed by ``observed`` points with ``noise``."""
        seed = seeding.resolve(seed)
        data, family = ShapeData.generate(count, surface=4096, points=8192 + observed, seed=seed)
        scored = ShapeData(data.surface, data.points[:, :8192], data.occupancy[:, :8192])
        clouds = data.observe(torch.arange(count), observed, noise, seeding.generator(seed + 1))  # [count, observed, 3]
        return cls(scored, family, clouds, (data.points[:, 8192:], data.occupancy[:, 8192:]))

    def __len__(self) -> int:
        return len(self.family)


def true_mesh(shape: shapes.Shape, resolution: int = 40) -> trimesh.Trimesh:
    """The exact shape's surface meshed on a ``resolution³`` grid over the padded cube."""
    return marching_cubes(shape, resolution, padded_cube())


def mean_code(net: OccupancyNetwork, data: ShapeData, count: int = 32, noise: float = 0.005) -> torch.Tensor:
    """The mean of the codes of ``count`` training shapes' observations: the decoder's guess with no observation."""
    clouds = data.observe(torch.arange(min(count, len(data))), 300, noise, seeding.generator())
    return torch.stack([encode(net, cloud) for cloud in clouds]).mean(0)


def shape_mesh(field, resolution: int = 32, threshold: float = 0.2) -> trimesh.Trimesh | None:
    """The field's surface at probability ``threshold`` (ONet's point-cloud config: 0.2) meshed on a ``resolution³``
    grid over the padded cube, or None when the network predicts no surface there."""
    try:
        return marching_cubes(field, resolution, padded_cube(), level=logit(threshold))
    except ValueError:
        return None


def score(field, held_out: HeldOut, index: int, threshold: float = 0.2, resolution: int = 32) -> dict[str, float]:
    """IoU (the network thresholded at the held-out labelled points, as ONet's validation does) and Chamfer-L1
    (ONet's, unsquared, between 4,096 samples of the mesh and of the true surface; inf when there is no mesh)."""
    values = evaluate(field, held_out.data.points[index], where="score")
    iou = metrics.iou(values > logit(threshold), held_out.data.occupancy[index])
    mesh = shape_mesh(field, resolution, threshold)
    if mesh is None:
        return {"IoU": iou, "Chamfer-L1": math.inf}
    points, _ = surface_samples(mesh, 4096, seed=index)
    return {"IoU": iou, "Chamfer-L1": metrics.chamfer_l1(points, held_out.data.surface[index])}


def mean_scores(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """The mean of each column over the shapes (ONet's tables average over the test shapes)."""
    return {key: sum(row[key] for row in rows) / len(rows) for key in rows[0]}


def _observe(held_out: HeldOut, index: int, count: int) -> torch.Tensor:
    """The first ``count`` points of a fixed draw of the shape's surface, with ONet's noise 0.005 → ``[count, 3]``."""
    surface = held_out.data.surface[index]
    generator = seeding.generator(seeding.session_seed() + index)
    pick = torch.randperm(len(surface), generator=generator)[:count]
    return surface[pick] + 0.005 * torch.randn(count, 3, generator=generator)


def observed_strip(net: OccupancyNetwork, held_out: HeldOut, index: int, counts: Sequence[int] = (10, 30, 300),
                   resolution: int = 32) -> tuple[Figure, dict[int, float]]:
    """The static twin of :func:`observed_explorer`: one held-out shape reconstructed from ``counts`` observed
    points, a mesh per count titled with its IoU; returns the figure and the IoUs."""
    meshes, ious = {"truth": true_mesh(held_out.family[index], resolution)}, {}
    with cpu_threads(1):
        for count in counts:
            field = CodeField(net.decoder, encode(net, _observe(held_out, index, count)))
            ious[count] = score(field, held_out, index, resolution=resolution)["IoU"]
            mesh = shape_mesh(field, resolution)
            if mesh is not None:
                meshes[f"{count} points: IoU {ious[count]:.2f}"] = mesh
    return mesh_static(meshes, size=2.4), ious


def observed_explorer(net: OccupancyNetwork, held_out: HeldOut, resolution: int = 32) -> widgets.VBox:
    """Sliders for a held-out shape and the number of points it is observed by: the encoder's one forward pass
    and the decoder meshed at 0.2, beside the truth. Static twin: :func:`observed_strip`."""
    shape = widgets.IntSlider(0, min=0, max=len(held_out) - 1, description="shape", continuous_update=False)
    points = widgets.SelectionSlider(options=[5, 10, 20, 50, 100, 300, 1000], value=300, description="points",
                                     continuous_update=False)

    def draw(shape: int, points: int) -> Figure:
        with cpu_threads(1):
            field = CodeField(net.decoder, encode(net, _observe(held_out, shape, points)))
            iou = score(field, held_out, shape, resolution=resolution)["IoU"]
            mesh = shape_mesh(field, resolution)
        meshes = {"truth": true_mesh(held_out.family[shape], resolution)}
        if mesh is not None:
            meshes[f"from {points} points: IoU {iou:.2f}"] = mesh
        return mesh_static(meshes, size=3.2)

    check_positive_int("observed_explorer: resolution", resolution)
    return slider_explorer(draw, [shape, points])
