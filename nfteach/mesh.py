"""From fields to meshes and back, with trimesh at the boundary.

``marching_cubes`` (Lorensen & Cline 1987; scikit-image's Lewiner variant) turns any callable field, analytic
or a network, into a ``trimesh.Trimesh`` in world coordinates; ``signed_distance`` and ``contains`` turn a
watertight mesh back into fields; ``sphere_mesh``, ``box_mesh`` and ``torus_mesh`` are trimesh primitives
posed like their analytic twins in :mod:`nfteach.shapes`.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
import trimesh
from skimage import measure

from nfteach import seeding
from nfteach._checks import check_memory, check_number, check_positive_int, check_positive_number, check_tensor, check_vector
from nfteach.shapes import Field, Shape

MAX_GRID_BYTES = 2**30  # a float32 grid larger than 1 GiB is refused, and a mesh that would take as much to build
MESH_BYTES_PER_FACE = 100  # trimesh's working copies while it builds and merges a mesh, a generous estimate


def field_device(field) -> torch.device:
    if isinstance(field, torch.nn.Module):
        return next(field.parameters(), torch.empty(0)).device
    return torch.device("cpu")


def evaluate(field: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor, chunk: int = 2**16,
             where: str = "field") -> torch.Tensor:
    """``field(points)`` in chunks without autograd, on the field's device, checked: ``[N, d] → [N]`` on the CPU.

    A field must return ``[chunk, 1]`` for ``[chunk, d]`` points and no NaN; otherwise a ValueError says so.
    """
    if not callable(field):
        raise ValueError(f"{where}: field must be callable, points [N, d] → values [N, 1], got {type(field).__name__}")
    check_tensor(points, f"{where}: points", "[N, d]")
    if points.ndim != 2 or not points.is_floating_point():
        raise ValueError(f"{where}: points must be a real floating tensor [N, d], got {list(points.shape)} of {points.dtype}")
    check_positive_int(f"{where}: chunk", chunk)
    device, values = field_device(field), []
    with torch.no_grad():
        for start in range(0, len(points), chunk):
            batch = points[start:start + chunk].to(device)
            out = field(batch)
            if not isinstance(out, torch.Tensor) or out.shape != (len(batch), 1):
                got = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                raise ValueError(f"{where}: a field must map points [N, {points.shape[1]}] to values [N, 1]; "
                                 f"for N = {len(batch)} it returned {got} (reshape with .view(-1, 1))")
            values.append(out[:, 0].float().cpu())
    values = torch.cat(values)
    bad = torch.isnan(values)
    if bad.any():
        first = points[bad.nonzero()[0, 0]].tolist()
        raise ValueError(f"{where}: the field returned NaN at {int(bad.sum())} of {len(values)} points "
                         f"(first at {[round(x, 3) for x in first]}); check for 0/0 or sqrt of a negative number")
    return values


def _bounds(bounds, where: str = "marching_cubes") -> tuple[np.ndarray, np.ndarray]:
    try:
        low, high = (np.broadcast_to(np.asarray(b, dtype=np.float64), (3,)) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: bounds must be (low, high), each a number or 3 numbers, got {bounds!r}") from None
    if not (np.isfinite(low).all() and np.isfinite(high).all() and (high > low).all()):
        raise ValueError(f"{where}: bounds must be (low, high) with high > low, got {bounds!r}")
    return low, high


def grid_points(resolution: int, bounds=(-1.0, 1.0)) -> torch.Tensor:
    """The ``resolution³`` grid vertices spanning ``bounds`` (ij order: x slowest) → ``[resolution³, 3]``."""
    check_positive_int("grid_points: resolution", resolution)
    check_memory("grid_points", f"a {resolution}³ grid of points", 2 * 3 * 4 * resolution**3)
    low, high = _bounds(bounds, "grid_points")
    axes = [torch.linspace(float(lo), float(hi), resolution) for lo, hi in zip(low, high)]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, 3)


def marching_cubes(field: Callable[[torch.Tensor], torch.Tensor], resolution: int, bounds=(-1.0, 1.0),
                   level: float = 0.0, chunk: int = 2**16) -> trimesh.Trimesh:
    """The level set ``field = level`` as a triangle mesh with vertices in world coordinates and outward normals.

    The field is sampled on a ``resolution³`` grid spanning ``bounds`` ((low, high), scalars or 3-vectors).
    scikit-image returns vertices in voxel units; they are scaled by the grid spacing and moved to ``low``.
    Which side is inside is read from the grid's border (outside there: below ``level`` inside for an SDF,
    above it for an occupancy or logits), so the faces wind with outward normals either way.
    """
    resolution = check_positive_int("marching_cubes: resolution", resolution)
    if resolution < 2:
        raise ValueError(f"marching_cubes: resolution must be at least 2, got {resolution}")
    grid_bytes = 4 * resolution**3
    if grid_bytes > MAX_GRID_BYTES:
        raise MemoryError(f"marching_cubes: resolution {resolution} needs a {resolution}³ float32 grid of "
                          f"{grid_bytes / 2**30:.1f} GiB (more than {MAX_GRID_BYTES / 2**30:.0f} GiB); use ≤ 512")
    check_number("marching_cubes: level", level)
    low, high = _bounds(bounds)
    volume = evaluate(field, grid_points(resolution, (low, high)), chunk, "marching_cubes")
    volume = volume.reshape(resolution, resolution, resolution).numpy()
    if not volume.min() < level < volume.max():
        raise ValueError(f"marching_cubes: the field never crosses level {level:g} in the box (its values span "
                         f"[{volume.min():.3g}, {volume.max():.3g}]); move the bounds or the level")
    border = np.concatenate([volume[[0, -1]].ravel(), volume[:, [0, -1]].ravel(), volume[:, :, [0, -1]].ravel()])
    inside_below = np.mean(border > level) >= 0.5
    spacing = (high - low) / (resolution - 1)
    verts, faces, _, _ = measure.marching_cubes(volume, level, spacing=tuple(spacing), method="lewiner",
                                                gradient_direction="descent" if inside_below else "ascent")
    return trimesh.Trimesh(verts + low, faces, process=True)


def require_mesh(mesh: trimesh.Trimesh, where: str) -> None:
    """Raise a ValueError unless ``mesh`` is a trimesh.Trimesh with at least one face."""
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        got = "an empty mesh" if isinstance(mesh, trimesh.Trimesh) else type(mesh).__name__
        raise ValueError(f"{where}: mesh must be a trimesh.Trimesh with faces, got {got}")


def require_watertight(mesh: trimesh.Trimesh, where: str) -> None:
    """Raise a ValueError unless the mesh is closed (needed to tell inside from outside)."""
    require_mesh(mesh, where)
    if not mesh.is_watertight:
        raise ValueError(f"{where}: the mesh is not watertight ({len(mesh.faces)} faces, Euler number "
                         f"{mesh.euler_number}), so inside and outside are undefined; try "
                         "trimesh.repair.fill_holes(mesh) or mesh a larger box so the surface does not touch it")


def _numpy_points(p: torch.Tensor) -> np.ndarray:
    return p.detach().cpu().double().numpy()


def signed_distance(mesh: trimesh.Trimesh) -> Shape:
    """The mesh as a shape: its signed distance, negative inside (trimesh's own sign is positive inside).

    Exact but slow (about 0.5 s per 2,000 points): for evaluation and tests, not for training loops.
    """
    require_watertight(mesh, "signed_distance")
    fn = lambda p: -torch.from_numpy(trimesh.proximity.signed_distance(mesh, _numpy_points(p))).to(p)[:, None]
    return Shape(fn, 3, (torch.tensor(mesh.bounds[0]), torch.tensor(mesh.bounds[1])), "mesh")


def contains(mesh: trimesh.Trimesh) -> Field:
    """The mesh's occupancy (1 inside) by ray casting; embreex makes it about 60× faster where installed."""
    require_watertight(mesh, "contains")
    fn = lambda p: torch.from_numpy(mesh.contains(_numpy_points(p))).to(p)[:, None]
    return Field(fn, 3, (torch.tensor(mesh.bounds[0]), torch.tensor(mesh.bounds[1])), "occupancy(mesh)", 0.5)


def surface_samples(mesh: trimesh.Trimesh, n: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform by area on the mesh and their face normals, both ``[n, 3]`` (numpy)."""
    n = check_positive_int("surface_samples: n", n)
    require_mesh(mesh, "surface_samples")
    check_memory("surface_samples", f"n={n} samples", 8 * 3 * 4 * n)
    points, faces = trimesh.sample.sample_surface(mesh, n, seed=seeding.resolve(seed))
    return np.asarray(points), mesh.face_normals[faces]


def sphere_mesh(radius: float, subdivisions: int = 4) -> trimesh.Trimesh:
    """An icosphere centred at 0 (twin of ``shapes.sphere(radius)``): 20 · 4^subdivisions faces."""
    radius = check_positive_number("sphere_mesh: radius", radius)
    subdivisions = check_positive_int("sphere_mesh: subdivisions", subdivisions, allow_zero=True)
    _check_mesh_size("sphere_mesh", f"subdivisions={subdivisions}", 20 * 4**subdivisions)
    return trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)


def _check_mesh_size(where: str, what: str, faces: int) -> None:
    """Refuse a mesh whose building would need more than :data:`MAX_GRID_BYTES` (MESH_BYTES_PER_FACE a face)."""
    nbytes = MESH_BYTES_PER_FACE * faces
    if nbytes > MAX_GRID_BYTES:
        raise MemoryError(f"{where}: {what} means {faces:,} faces, about {nbytes / 2**30:.1f} GiB to build (more "
                          f"than {MAX_GRID_BYTES / 2**30:.0f} GiB, and minutes of work): ask for fewer")
    check_memory(where, f"{what} ({faces:,} faces)", nbytes)


def box_mesh(half_sizes: Sequence[float]) -> trimesh.Trimesh:
    """An axis-aligned box centred at 0 (twin of ``shapes.box(half_sizes)``)."""
    half = check_vector(half_sizes, "box_mesh: half_sizes", 3)
    if not (half > 0).all():
        raise ValueError(f"box_mesh: half_sizes must be 3 positive numbers, got {half.tolist()}")
    return trimesh.creation.box(extents=2 * np.asarray(half_sizes, dtype=np.float64))


def torus_mesh(major_radius: float, minor_radius: float, sections: int = 64) -> trimesh.Trimesh:
    """A torus around the y axis (twin of ``shapes.torus``; trimesh builds it around z, so it is turned)."""
    check_positive_number("torus_mesh: major_radius", major_radius), check_positive_number("torus_mesh: minor_radius", minor_radius)
    if check_positive_int("torus_mesh: sections", sections) < 6:
        raise ValueError(f"torus_mesh: sections must be at least 6 (3 around the tube), got {sections}")
    _check_mesh_size("torus_mesh", f"sections={sections}", sections * (sections // 2) * 2)
    mesh = trimesh.creation.torus(major_radius, minor_radius, major_sections=sections, minor_sections=sections // 2)
    return mesh.apply_transform(trimesh.transformations.rotation_matrix(-np.pi / 2, [1, 0, 0]))
