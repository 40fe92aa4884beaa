"""Appendix A6's room: a hash grid, a multiresolution dense grid, one dense grid and a tri-plane at equal parameter
memory (Müller et al. 2022; Chan et al. 2022), fitted to an image over a sweep of memory budgets (the slider and its
static twin) and to a signed distance field (the plotly meshes and their static twin)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
import trimesh
from matplotlib.figure import Figure
from torch import nn
from tqdm.auto import tqdm

from nfteach import seeding, shapes
from nfteach._checks import check_image, check_positive_int
from nfteach.data import grid
from nfteach.encodings import EG3D_RELEASED_AXES, DenseGrid, HashGrid, TriPlane
from nfteach.mesh import marching_cubes, surface_samples
from nfteach.metrics import chamfer_l1, psnr
from nfteach.models import MLP
from nfteach.train import HASH_GRID_DEFAULT, LiveView, Recipe, predict
from nfteach.viz import image_grid
from nfteach.widgets import slider_explorer

GRID_FIT = dataclasses.replace(HASH_GRID_DEFAULT, batch_size=None)
"""Every encoding here trains as Instant-NGP's image recipe (appendix A1): a ReLU MLP of 2 hidden layers × 64 behind
it, Adam lr 1e-2, β = (0.9, 0.99), ε = 1e-15. Only the encoding changes."""
SDF_FIT = dataclasses.replace(GRID_FIT, lr=1e-3)
"""The SDF fits: the official SDF config's lr 1e-4 (``configs/sdf/base.json``, for tens of thousands of steps) raised
10× for a hundred steps; at the image config's 1e-2 the 3D fits of every encoding swung widely with the seed."""
LEVELS, FEATURES, BASE = 16, 2, 16
"""The hash grid's L, F and N_min (the official configs); its N_max is the target's resolution."""
DENSE_LEVELS = 8
"""The official dense baseline's level count (instant-ngp ``configs/nerf/densegrid.json``: 8 levels from 16)."""
TRIPLANE_FEATURES = 32
"""EG3D's channels per plane (its planes are 256² × 32)."""


def image_encodings(log2_table_size: int, side: int) -> dict[str, nn.Module]:
    """A 2D hash grid with T = 2^``log2_table_size`` and N_max = ``side``, and the dense grids of its memory: the
    official 8-level pyramid and one single-resolution grid (the one plane a 2D "tri-plane" would have)."""
    hashed = HashGrid(2, LEVELS, FEATURES, log2_table_size, BASE, side)
    budget = HashGrid.parameter_count(2, LEVELS, FEATURES, log2_table_size, BASE, side)
    return {"hash grid": hashed, "dense, 8 levels": DenseGrid.within(budget, 2, DENSE_LEVELS),
            "dense, 1 level": DenseGrid.within(budget, 2, 1)}


def sdf_encodings(log2_table_size: int, max_resolution: int) -> dict[str, nn.Module]:
    """A 3D hash grid with T = 2^``log2_table_size``, and at its memory the 8-level dense grid and the tri-plane
    (EG3D's 32 channels), once with the planes xy, xz, yz and once with those of EG3D's released code (xy, xz, zx)."""
    budget = HashGrid.parameter_count(3, LEVELS, FEATURES, log2_table_size, BASE, max_resolution)
    return {"hash grid": HashGrid(3, LEVELS, FEATURES, log2_table_size, BASE, max_resolution),
            "dense, 8 levels": DenseGrid.within(budget, 3, DENSE_LEVELS),
            "tri-plane": TriPlane.within(budget, TRIPLANE_FEATURES),
            "tri-plane, EG3D's planes": TriPlane.within(budget, TRIPLANE_FEATURES, EG3D_RELEASED_AXES)}


def finest_resolution(encoding: nn.Module) -> int:
    """The finest grid resolution an encoding stores (its Nyquist limit is half of it, in cycles per unit)."""
    return encoding.resolution if isinstance(encoding, TriPlane) else encoding.resolutions[-1]


def parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@dataclass
class GridRun:
    """One encoding's fit: the model, its encoding's parameters and finest resolution, and the wall seconds per step."""

    model: nn.Module
    encoding_parameters: int
    finest: int
    seconds_per_step: float
    scores: dict[str, float] = field(default_factory=dict)


def fit_encoding(encoding: nn.Module, coords: torch.Tensor, target: torch.Tensor, *, steps: int, seed: int,
                 batch_size: int | None = None, loss_fn=None, live: bool | LiveView = False, device=None,
                 recipe: Recipe = GRID_FIT) -> GridRun:
    """Fit ``encoding`` → MLP(2 × 64) to ``target`` with ``recipe``'s Adam settings for ``steps`` steps."""
    torch.manual_seed(seed)
    model = MLP(encoding.in_features, GRID_FIT.hidden_features, 1, target.shape[1], encoding=encoding).to(device or "cpu")
    history = recipe.fit(model, coords, target, steps=steps, batch_size=batch_size, loss_fn=loss_fn, seed=seed,
                           data_range=2.0, progress=False, live=live)
    return GridRun(model, parameters(encoding), finest_resolution(encoding), history.seconds[-1] / history.step[-1])


# ---- the image: a sweep of memory budgets --------------------------------------------------------------------------

@dataclass
class ImageSweep:
    """PSNR (dB over all pixels, targets in [−1, 1]) and the fits' images per budget (log2 T) and encoding."""

    image: torch.Tensor
    runs: dict[int, dict[str, GridRun]]
    images: dict[int, dict[str, torch.Tensor]]

    def table(self, log2_table_size: int) -> dict[str, dict[str, float]]:
        return {name: {"parameters": run.encoding_parameters, "finest N": run.finest, "PSNR (dB)": run.scores["PSNR"],
                       "ms / step": 1000 * run.seconds_per_step}
                for name, run in self.runs[log2_table_size].items()}

    def psnr(self, name: str) -> list[float]:
        return [runs[name].scores["PSNR"] for runs in self.runs.values()]


def image_sweep(img: torch.Tensor, budgets: Sequence[int] = (8, 9, 10, 11), *, steps: int = 60, seed: int | None = None,
                device=None, progress: bool = True) -> ImageSweep:
    """Fit every encoding of :func:`image_encodings` at each budget (log2 T) to a gray image ``[S, S, 1]`` in [0, 1],
    full batch, ``steps`` steps each. The fits behind :func:`budget_explorer` and :func:`budget_figure`."""
    check_image(img, "image_sweep: img", channels=1, square=True)
    check_positive_int("image_sweep: steps", steps)
    side, seed = img.shape[0], seeding.resolve(seed)
    coords, target = grid(side, side), img.reshape(-1, 1) * 2 - 1  # [S², 2], [S², 1] in [−1, 1]
    runs, images = {}, {}
    for k in tqdm(budgets, desc="budgets", disable=not progress, leave=False):
        runs[k], images[k] = {}, {}
        for name, encoding in image_encodings(k, side).items():
            run = fit_encoding(encoding, coords, target, steps=steps, seed=seed, device=device)
            prediction = predict(run.model, coords)
            run.scores["PSNR"] = psnr(prediction, target, 2.0)
            runs[k][name], images[k][name] = run, ((prediction + 1) / 2).clamp(0, 1).reshape(img.shape)
    return ImageSweep(img, runs, images)


def _budget_row(sweep: ImageSweep, k: int) -> tuple[list[torch.Tensor], list[str]]:
    images, titles = [], []
    for name, run in sweep.runs[k].items():
        images.append(sweep.images[k][name])
        titles.append(f"{name}\nN = {run.finest}, {run.scores['PSNR']:.1f} dB")
    return images, titles


def budget_figure(sweep: ImageSweep, budgets: Sequence[int] | None = None) -> Figure:
    """The static twin of :func:`budget_explorer`: PSNR against memory for each encoding, and the fits at the
    smallest and largest budget, each titled with its finest resolution and PSNR."""
    budgets = list(budgets or [min(sweep.runs), max(sweep.runs)])
    fig = plt.figure(figsize=(9.7, 2.3 * (len(budgets) + 1)))
    ax = fig.add_subplot(len(budgets) + 1, 1, 1)
    memory = [next(iter(runs.values())).encoding_parameters / 1000 for runs in sweep.runs.values()]
    for name in next(iter(sweep.runs.values())):
        ax.plot(memory, sweep.psnr(name), "o-", label=name)
    ax.set(xscale="log", xlabel="parameters of the encoding (thousands)", ylabel="PSNR (dB)")
    ax.set_xticks(memory, [f"{m:.1f}k\n(T = 2^{k})" for m, k in zip(memory, sweep.runs)], minor=False)
    ax.minorticks_off()
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    for row, k in enumerate(budgets):
        images, titles = _budget_row(sweep, k)
        for column, (image, title) in enumerate(zip([sweep.image] + images, ["target"] + titles)):
            cell = fig.add_subplot(len(budgets) + 1, 4, 4 * (row + 1) + column + 1)
            cell.imshow(image.squeeze(-1), cmap="gray", vmin=0, vmax=1)
            cell.set_title(title if column else f"target\nT = 2^{k}", fontsize=9)
            cell.axis("off")
    fig.tight_layout()
    return fig


def budget_explorer(sweep: ImageSweep) -> widgets.VBox:
    """A slider on the memory budget (log2 T of the hash grid; the dense grids get the same parameter count) shows
    the precomputed fits of :func:`image_sweep` at that budget. Static twin: :func:`budget_figure`."""
    slider = widgets.SelectionSlider(options=list(sweep.runs), value=min(sweep.runs), description="log2_table_size",
                                     continuous_update=False, style={"description_width": "initial"})

    def draw(log2_table_size: int) -> Figure:
        images, titles = _budget_row(sweep, log2_table_size)
        budget = next(iter(sweep.runs[log2_table_size].values())).encoding_parameters
        return image_grid([sweep.image] + images, [f"target\n{budget:,} parameters"] + titles, size=2.4)

    return slider_explorer(draw, [slider])


# ---- the signed distance field -------------------------------------------------------------------------------------

def thin_shape() -> shapes.Shape:
    """The SDF of appendix A6: a thin torus (tube radius 0.035) linked by a thin capsule (radius 0.03) in the yz plane,
    and a ball: detail finer than a dense grid of the same memory can hold, on a surface that fills little of the cube."""
    ring = shapes.torus(0.5, 0.035)
    rod = shapes.capsule([0.0, -0.6, -0.4], [0.0, 0.6, 0.4], 0.03)
    ball = shapes.translate(shapes.sphere(0.12), [0.55, 0.5, 0.3])
    return shapes.union(shapes.union(ring, rod), ball)


def mape(model: nn.Module, coords: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Instant-NGP's SDF loss (``configs/sdf/base.json``, "MAPE"): mean |f(x) − d| / (|d| + 0.01)."""
    return ((model(coords) - target).abs() / (target.abs() + 1e-2)).mean()


@dataclass
class SdfData:
    """Training points and distances, and the held-out sets that score a fit."""

    shape: shapes.Shape
    points: torch.Tensor  # [N, 3] training points
    sdf: torch.Tensor  # [N, 1]
    near: torch.Tensor  # [M, 3] held-out points within ~0.01 of the surface
    near_sdf: torch.Tensor
    uniform: torch.Tensor  # [K, 3] held-out points uniform in the padded box (IoU)
    uniform_sdf: torch.Tensor
    surface: torch.Tensor  # [S, 3] points on the true surface (Chamfer)


def sdf_data(shape: shapes.Shape, n: int = 40_000, held_out: int = 20_000, seed: int | None = None) -> SdfData:
    """``n`` training points (4/5 near the surface, DeepSDF's σ scaled to the thin parts: 0.02 and 0.005; 1/5
    uniform in [−1, 1]³) and held-out sets drawn from other seeds: ``held_out`` points near the surface, 2.5 times
    as many uniform ones, half as many on the surface."""
    seed, held_out = seeding.resolve(seed), check_positive_int("sdf_data: held_out", held_out)
    near = shapes.sample_near_surface(shape, 4 * n // 5, sigmas=(0.02, 0.005), seed=seed)
    uniform = torch.rand(n - len(near), 3, generator=seeding.generator(seed + 1)) * 2 - 1
    points = torch.cat([near, uniform]).clamp(-1, 1)
    test_near = shapes.sample_near_surface(shape, held_out, sigmas=(0.01,), seed=seed + 2).clamp(-1, 1)
    test_uniform = shapes.sample_uniform(shape, 5 * held_out // 2, seed=seed + 3)
    surface, _ = shapes.surface_points(shape, held_out // 2, seed=seed + 4)
    with torch.no_grad():
        return SdfData(shape, points, shape(points), test_near, shape(test_near), test_uniform, shape(test_uniform),
                       surface)


def sdf_scores(model: nn.Module, data: SdfData, mesh_resolution: int = 64) -> tuple[dict[str, float], trimesh.Trimesh]:
    """IoU of the insides (f ≤ 0) on the uniform points, mean |SDF error| near the surface, and Chamfer-L1 (ONet's,
    unscaled) between the marching-cubes mesh at ``mesh_resolution``³ and the true surface; and that mesh."""
    inside, true_inside = predict(model, data.uniform) <= 0, data.uniform_sdf <= 0
    iou = float((inside & true_inside).sum() / (inside | true_inside).sum().clamp_min(1))
    error = float((predict(model, data.near) - data.near_sdf).abs().mean())
    mesh = marching_cubes(lambda p: model(p), mesh_resolution)
    samples, _ = surface_samples(mesh, len(data.surface), seed=0)
    return {"IoU": iou, "SDF error": error, "Chamfer-L1": chamfer_l1(samples, data.surface)}, mesh


def sdf_runs(data: SdfData, log2_table_size: int = 12, max_resolution: int = 128, *, steps: int = 100,
             batch_size: int = 4096, seed: int | None = None, device=None, mesh_resolution: int = 64,
             progress: bool = True) -> tuple[dict[str, GridRun], dict[str, trimesh.Trimesh]]:
    """Fit every encoding of :func:`sdf_encodings` to ``data`` with the MAPE loss and :data:`SDF_FIT`, ``steps`` steps
    of ``batch_size`` random points; score each (:func:`sdf_scores`) and keep its mesh."""
    seed, runs, meshes = seeding.resolve(seed), {}, {}
    for name, encoding in tqdm(sdf_encodings(log2_table_size, max_resolution).items(), desc="encodings",
                               disable=not progress, leave=False):
        runs[name] = fit_encoding(encoding, data.points, data.sdf, steps=steps, batch_size=batch_size, loss_fn=mape,
                                  seed=seed, device=device, recipe=SDF_FIT)
        runs[name].scores, meshes[name] = sdf_scores(runs[name].model.cpu(), data, mesh_resolution)
    return runs, meshes


def sdf_table(runs: Mapping[str, GridRun]) -> dict[str, dict[str, float]]:
    return {name: {"parameters": run.encoding_parameters, "finest N": run.finest, **run.scores,
                   "ms / step": 1000 * run.seconds_per_step} for name, run in runs.items()}
