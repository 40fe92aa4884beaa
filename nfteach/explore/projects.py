"""The projects' room (notebooks/projects/): data, training loops and figures behind the five starters' baselines.

Each section serves one starter; the metrics they report live in :mod:`nfteach.metrics`.
"""

from __future__ import annotations

from typing import Callable, Iterable

import matplotlib.pyplot as plt
import numpy as np
import torch
import trimesh
from matplotlib.lines import Line2D
from scipy.spatial import cKDTree
from tqdm.auto import tqdm

from nfteach import seeding
from nfteach._checks import check_memory, check_number, check_positive_int, check_positive_number, check_tensor, check_vector
from nfteach.data import grid, image
from nfteach.mesh import surface_samples
from nfteach.metrics import patch_swd, which_primitives_matter
from nfteach.primitives import Spheres
from nfteach.shapes import Shape, smooth_min_all, surface_points
from nfteach.train import TrainingDiverged, _can_show_progress


def optimise(loss_fn: Callable[[int], torch.Tensor], parameters: Iterable[torch.nn.Parameter], steps: int,
             lr: float, desc: str = "fit") -> list[float]:
    """Adam on ``loss_fn(step)`` for ``steps`` steps (the loss may draw new samples each step); returns the losses.

    For fits whose loss is not a per-sample regression (:func:`nfteach.train.fit` covers those). A NaN or
    infinite loss raises :class:`~nfteach.train.TrainingDiverged`."""
    if not callable(loss_fn):
        raise ValueError(f"optimise: loss_fn must be a function step → loss, got {type(loss_fn).__name__}")
    check_positive_int("optimise: steps", steps), check_positive_number("optimise: lr", lr)
    optimizer = torch.optim.Adam(list(parameters), lr=lr)
    losses = []
    for step in tqdm(range(steps), desc=desc, leave=False, disable=not _can_show_progress()):
        loss = loss_fn(step)
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"{desc}: the loss became {loss.item()} at step {step} of {steps} with lr={lr:g}; "
                                   f"try a lower learning rate, e.g. lr={lr / 10:g}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# --- project 2: texture synthesis ---------------------------------------------------------------------------


def texture_crops(name: str = "gravel", exemplar_size: int = 64, output_size: int = 128,
                  resolution: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """A scikit-image texture at ``resolution``²: the exemplar (its top-left ``exemplar_size``² corner) and,
    as the reference a perfect synthesis would match, an ``output_size``² crop from the opposite corner
    (disjoint from the exemplar). Both ``[H, W]`` in [0, 1]."""
    full = image(name, size=resolution)[..., 0]
    if exemplar_size + output_size > resolution:
        raise ValueError(f"texture_crops: exemplar ({exemplar_size}) and reference ({output_size}) must fit side "
                         f"by side in the {resolution}² image")
    return full[:exemplar_size, :exemplar_size], full[-output_size:, -output_size:]


def shuffled(texture: torch.Tensor, seed: int | None = None) -> torch.Tensor:
    """The texture's pixels in random order: the same histogram with no structure (the metrics' ceiling)."""
    check_tensor(texture, "shuffled: texture", "[H, W] or [H, W, C]")
    order = torch.randperm(texture.numel(), generator=seeding.generator(seed))
    return texture.flatten()[order].reshape(texture.shape)


def tiled(exemplar: torch.Tensor, size: int) -> torch.Tensor:
    """The exemplar repeated side by side and cropped to ``size``²: the naive baseline."""
    check_tensor(exemplar, "tiled: exemplar", "[h, w]"), check_positive_int("tiled: size", size)
    check_memory("tiled", f"size {size}", 4 * 4 * size**2)
    reps = -(-size // exemplar.shape[0]), -(-size // exemplar.shape[1])
    return exemplar.repeat(*reps)[:size, :size]


def render_texture(field: torch.nn.Module, size: int, offset: tuple[int, int] = (0, 0),
                   window: int | None = None) -> torch.Tensor:
    """The field on the ``size``² pixel grid over [−1, 1]² (or a ``window``² part of it at pixel ``offset``) → [H, W]."""
    check_positive_int("render_texture: size", size), check_memory("render_texture", f"size {size}", 4 * 8 * size**2)
    xy = grid(size, size).reshape(size, size, 2)
    if window is not None:
        xy = xy[offset[0]:offset[0] + window, offset[1]:offset[1] + window]
    device = next(field.parameters()).device
    return field(xy.reshape(-1, 2).to(device)).reshape(xy.shape[:2])


def fit_texture_field(field: torch.nn.Module, exemplar: torch.Tensor, size: int, steps: int, lr: float = 1e-2,
                      window: int = 64, seed: int | None = None) -> list[float]:
    """Fit a 2D field so that its patches look like the exemplar's: each step renders a random ``window``² part of
    the ``size``² output and takes :func:`~nfteach.metrics.patch_swd` to the exemplar as the loss (new patches and
    projections every step). Returns the losses."""
    check_tensor(exemplar, "fit_texture_field: exemplar", "[h, w]")
    if not 0 < check_positive_int("fit_texture_field: window", window) <= check_positive_int("fit_texture_field: size", size):
        raise ValueError(f"fit_texture_field: window ({window}) must fit in the output size ({size})")
    seed = seeding.resolve(seed)
    generator = seeding.generator(seed)
    exemplar = exemplar.to(next(field.parameters()).device)

    def loss(step: int) -> torch.Tensor:
        offset = torch.randint(0, size - window + 1, (2,), generator=generator).tolist()
        return patch_swd(render_texture(field, size, offset, window), exemplar, count=512, projections=32,
                         seed=seed + 7 * step)

    return optimise(loss, field.parameters(), steps, lr, desc="texture field")


# --- project 4: surface parametrisation ---------------------------------------------------------------------


def uv_grid(resolution: int) -> torch.Tensor:
    """The ``resolution``² vertices of [0, 1]², u along a row, v down the rows (the order of
    :func:`~nfteach.metrics.grid_triangles`) → ``[resolution², 2]``."""
    if check_positive_int("uv_grid: resolution", resolution) < 2:
        raise ValueError(f"uv_grid: resolution must be at least 2 (a vertex at each end), got {resolution}")
    check_memory("uv_grid", f"resolution {resolution}", 4 * 2 * 3 * resolution**2)
    axis = torch.linspace(0, 1, resolution)
    return torch.stack(torch.meshgrid(axis, axis, indexing="xy"), -1).reshape(-1, 2)


def latitude_longitude(uv: torch.Tensor, radius: float, resolution: int) -> torch.Tensor:
    """The classic map of the sphere: longitude 2πu, colatitude θ from v, stopping half a grid row short of
    each pole (at a pole a whole row of the grid would collapse to one point) → ``[N, 3]``."""
    check_tensor(uv, "latitude_longitude: uv", "[N, 2]"), check_positive_number("latitude_longitude: radius", radius)
    if check_positive_int("latitude_longitude: resolution", resolution) < 2:
        raise ValueError(f"latitude_longitude: resolution must be at least 2, got {resolution}")
    margin = 0.5 / (resolution - 1)
    theta, phi = torch.pi * (margin + (1 - 2 * margin) * uv[:, 1]), 2 * torch.pi * uv[:, 0]
    return radius * torch.stack([theta.sin() * phi.cos(), theta.sin() * phi.sin(), theta.cos()], -1)


# --- project 5: composing primitives ------------------------------------------------------------------------


def mesh_sdf(target: trimesh.Trimesh, surface: int = 20000, seed: int | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    """The signed distance of a watertight mesh (negative inside), read from ``surface`` area-uniform samples:
    the magnitude is the distance to the nearest sample q (a KD-tree), the sign that of (p − q)·n_q with n_q the
    face normal at q. Accurate to about the samples' spacing, and in a fraction of a second where ray casting
    (:func:`nfteach.mesh.contains`) takes about a minute per 40,000 points without embreex; the normal's sign
    agrees with ray casting wherever the nearest surface point lies inside a face (any finely tessellated smooth
    mesh; check a sharp-edged one against ``contains``). ``[N, 3]`` → ``[N]``."""
    dense, normals = surface_samples(target, surface, seed=seed)
    tree = cKDTree(dense)

    def field(points: torch.Tensor) -> torch.Tensor:
        where = points.detach().cpu().double().numpy()
        distance, nearest = tree.query(where)
        outward = ((where - dense[nearest]) * normals[nearest]).sum(1) >= 0
        return torch.from_numpy(np.where(outward, distance, -distance)).float().to(points.device)

    return field


def mesh_sdf_samples(target: trimesh.Trimesh, count: int, near: float = 0.05, seed: int | None = None,
                     surface: int = 20000) -> tuple[torch.Tensor, torch.Tensor]:
    """Training samples of a watertight mesh's SDF (:func:`mesh_sdf` with ``surface`` samples): half uniform in
    its box padded by 10 %, half surface points jittered by N(0, ``near``²). Returns ``points [count, 3]``,
    ``sdf [count]``."""
    check_positive_int("mesh_sdf_samples: count", count), check_positive_int("mesh_sdf_samples: surface", surface)
    check_positive_number("mesh_sdf_samples: near", near)
    check_memory("mesh_sdf_samples", f"count={count} samples", 8 * 4 * 4 * count)
    seed = seeding.resolve(seed)
    generator = seeding.generator(seed)
    low, high = (torch.tensor(b, dtype=torch.float32) for b in target.bounds)
    low, high = low - 0.1 * (high - low).max(), high + 0.1 * (high - low).max()
    uniform = low + (high - low) * torch.rand(count // 2, 3, generator=generator)
    on_surface = torch.from_numpy(surface_samples(target, count - count // 2, seed=seed + 1)[0]).float()
    jittered = on_surface + near * torch.randn(on_surface.shape, generator=generator)
    points = torch.cat([uniform, jittered])
    return points, mesh_sdf(target, surface, seed=seed)(points)


def placed_on_circle(count: int, radius: float, sphere_radius: float) -> Spheres:
    """``count`` spheres of radius ``sphere_radius`` evenly spaced on the circle of ``radius`` in the xz plane
    (a torus's core circle around the y axis): a placement by hand, the representation's best case."""
    spheres = Spheres(count, radius=sphere_radius)
    angle = 2 * torch.pi * torch.arange(count) / count
    with torch.no_grad():
        spheres.centres.copy_(torch.stack([radius * angle.cos(), torch.zeros(count), radius * angle.sin()], 1))
    return spheres


def fit_primitives(soup: torch.nn.Module, points: torch.Tensor, sdf: torch.Tensor, k: float, steps: int,
                   lr: float = 1e-2, clamp: float = 0.1) -> list[float]:
    """Fit the primitives' union (smooth min with radius ``k``; 0 = hard min) to SDF samples with DeepSDF's
    clamped L1 loss |clamp(f, ±δ) − clamp(s, ±δ)|, δ = ``clamp``. Returns the losses."""
    device = next(soup.parameters()).device
    points, sdf = points.to(device), sdf.to(device)

    def loss(step: int) -> torch.Tensor:
        composed = smooth_min_all(soup(points), k)
        return (composed.clamp(-clamp, clamp) - sdf.clamp(-clamp, clamp)).abs().mean()

    return optimise(loss, soup.parameters(), steps, lr, desc=f"primitives k={k:g}")


def plot_primitive_slice(ax, soup: torch.nn.Module, target_sdf: Callable[[torch.Tensor], torch.Tensor], k: float,
                         eval_points: torch.Tensor, resolution: int = 200, extent: float = 0.8) -> None:
    """Seen from above (down the y axis): the target's cross-section at y = 0 (grey: ``target_sdf`` ≤ 0, e.g.
    :func:`mesh_sdf`) and every sphere's outline, solid if it matters
    (:func:`~nfteach.metrics.which_primitives_matter` at ``eval_points``), dashed if it is dead."""
    axis = torch.linspace(-extent, extent, resolution)
    x, z = torch.meshgrid(axis, axis, indexing="xy")
    plane = torch.stack([x.flatten(), torch.zeros(x.numel()), z.flatten()], 1)
    inside = (target_sdf(plane) <= 0).reshape(resolution, resolution)
    ax.imshow(inside.numpy(), extent=(-extent, extent, -extent, extent), origin="lower", cmap="Greys", vmin=0, vmax=2)
    with torch.no_grad():
        values, radii, centres = soup(eval_points), soup.radii, soup.centres
        alive = which_primitives_matter(values, lambda v: smooth_min_all(v, k)).tolist()
    for (cx, _, cz), r, live in zip(centres.tolist(), radii.tolist(), alive):
        ax.add_patch(plt.Circle((cx, cz), r, fill=False, lw=1.5, ls="-" if live else "--",
                                color="tab:red" if live else "tab:blue"))
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xlabel="x", ylabel="z", aspect="equal")
    handles = [Line2D([], [], color="tab:red", label="matters"), Line2D([], [], color="tab:blue", ls="--", label="dead")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)


# --- project 3: 2D exemplar → 3D texture --------------------------------------------------------------------


def slice_points(normal, offset: float, size: int) -> torch.Tensor:
    """The ``size``² pixel centres of a planar slice through the cube [−1, 1]³: the plane n·p = ``offset``
    (n = ``normal`` normalised), spanned by two unit vectors orthogonal to n over [−1, 1]² → ``[size², 3]``."""
    if not check_vector(normal, "slice_points: normal", 3).norm() > 0:
        raise ValueError("slice_points: normal must be a non-zero 3D vector, got (0, 0, 0)")
    check_number("slice_points: offset", offset), check_positive_int("slice_points: size", size)
    check_memory("slice_points", f"size {size}", 4 * 3 * 4 * size**2)
    n = torch.nn.functional.normalize(torch.as_tensor(normal, dtype=torch.float32), dim=0)
    helper = torch.tensor([0.0, 0.0, 1.0]) if n[2].abs() < 0.9 else torch.tensor([1.0, 0.0, 0.0])
    e1 = torch.nn.functional.normalize(torch.linalg.cross(helper, n), dim=0)
    e2 = torch.linalg.cross(n, e1)
    st = grid(size, size)  # [size², 2] in [−1, 1]
    return offset * n + st[:, :1] * e1 + st[:, 1:] * e2


def render_slice(field: torch.nn.Module, normal, offset: float, size: int) -> torch.Tensor:
    """The field on a slice (see :func:`slice_points`) → ``[size, size]``."""
    device = next(field.parameters(), torch.empty(0)).device
    return field(slice_points(normal, offset, size).to(device)).reshape(size, size)


AXES = torch.eye(3)


def fit_solid_texture(field: torch.nn.Module, exemplar: torch.Tensor, steps: int, lr: float = 1e-2,
                      seed: int | None = None) -> list[float]:
    """Henzler et al. (2020)'s training signal without VGG: each step renders one random axis-aligned slice (axis
    and offset uniform) at the exemplar's size and takes :func:`~nfteach.metrics.patch_swd` to the exemplar as
    the loss. Returns the losses."""
    seed = seeding.resolve(seed)
    generator = seeding.generator(seed)
    exemplar = exemplar.to(next(field.parameters()).device)

    def loss(step: int) -> torch.Tensor:
        axis = int(torch.randint(3, (1,), generator=generator))
        offset = float(2 * torch.rand(1, generator=generator) - 1)
        texture = render_slice(field, AXES[axis], offset, exemplar.shape[0])
        return patch_swd(texture, exemplar, count=512, projections=32, seed=seed + 7 * step)

    return optimise(loss, field.parameters(), steps, lr, desc="solid texture")


class Extruded(torch.nn.Module):
    """The trivial 3D texture: ξ(x, y, z) = exemplar(x, y), bilinear, constant along z. Every z slice is the
    exemplar; x and y slices are streaks. ``[N, 3]`` → ``[N, 1]``."""

    def __init__(self, exemplar: torch.Tensor):
        super().__init__()
        self.register_buffer("image", exemplar.reshape(1, 1, *exemplar.shape[:2]).float())

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        # a z slice (slice_points) puts column c, row r at (x, y) = (c, −r); grid_sample reads (column, row)
        where = torch.stack([points[:, 0], -points[:, 1]], -1)[None, None]  # [1, 1, N, 2]
        return torch.nn.functional.grid_sample(self.image.to(points), where, align_corners=False)[0, 0, 0][:, None]


# --- project 1: correspondence through a time-conditioned SDF -----------------------------------------------


def growing(shape: Shape, final_scale: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """A family of shapes with a known correspondence: ``shape`` scaled by s(t) = 1 + (final_scale − 1)·t about
    the origin. Its exact SDF is f(x, t) = s(t)·φ(x / s(t)) (a uniform scale keeps distances), ``[N, d + 1]`` (x, t)
    → ``[N, 1]``; the point a of the shape at t = 0 corresponds to s(t)·a at time t."""
    check_positive_number("growing: final_scale", final_scale)
    if not isinstance(shape, Shape):
        raise ValueError(f"growing: shape must be a shapes.Shape, got {type(shape).__name__}")

    def field(xt: torch.Tensor) -> torch.Tensor:
        s = 1 + (final_scale - 1) * xt[:, -1:]  # [N, 1]
        return s * shape(xt[:, :-1] / s)

    return field


def family_samples(shape: Shape, field: Callable[[torch.Tensor], torch.Tensor], count: int, final_scale: float,
                   near: float = 0.05, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """SDF samples (x, t) → f of a :func:`growing` family: t uniform in [0, 1]; half the x uniform in [−1, 1]^d, half
    surface points of the shape at time t jittered by N(0, ``near``²). Returns ``xt [count, d + 1]``, ``f [count, 1]``."""
    if not isinstance(shape, Shape):
        raise ValueError(f"family_samples: shape must be a shapes.Shape, got {type(shape).__name__}")
    if check_positive_int("family_samples: count", count) < 2:
        raise ValueError(f"family_samples: count must be at least 2 (half uniform, half near the surface), got {count}")
    check_positive_number("family_samples: final_scale", final_scale), check_positive_number("family_samples: near", near)
    generator = seeding.generator(seed)
    t = torch.rand(count, 1, generator=generator)
    uniform = 2 * torch.rand(count // 2, shape.dim, generator=generator) - 1
    surface, _ = surface_points(shape, count - count // 2, seed=seed)
    s = 1 + (final_scale - 1) * t[count // 2:]
    near_surface = s * surface + near * torch.randn(surface.shape, generator=generator)
    xt = torch.cat([torch.cat([uniform, near_surface]), t], 1)
    with torch.no_grad():
        return xt, field(xt)
