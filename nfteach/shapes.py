"""Shapes as fields: analytic signed distance functions (SDFs), constructive solid geometry, derived fields, sampling.

A signed distance function φ: Rᵈ → R gives the distance to the surface, negative inside, so |∇φ| = 1 almost
everywhere, the outward normal is ∇φ on the surface and p − φ(p)∇φ(p) is the closest surface point.
The formulas follow Inigo Quilez's distance-function articles (iquilezles.org/articles/distfunctions).
Every field here is torch in and out: points ``[N, d]`` → values ``[N, 1]``.

    shape = union(sphere(0.5), box([0.3, 0.6, 0.3]), k=0.1)
    values = shape(points)                                    # [N, 3] → [N, 1]
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch

from nfteach import seeding
from nfteach._checks import check_count_memory, check_number, check_positive_int, check_positive_number, check_tensor, check_vector

Bounds = tuple[torch.Tensor, torch.Tensor]


class Field:
    """A scalar field on Rᵈ: callable ``[N, dim] → [N, 1]``, with a bounding box ``(low, high)`` of its surface.

    ``level`` is the value of its surface (0 for an SDF or a TSDF, 0.5 for an occupancy).
    Calling it checks the points and the returned shape; the formula itself lives in ``fn``.
    """

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], dim: int, bounds: Bounds, name: str,
                 level: float = 0.0) -> None:
        self.fn, self.dim, self.name, self.level = fn, dim, name, level
        self.bounds = (torch.as_tensor(bounds[0], dtype=torch.float32), torch.as_tensor(bounds[1], dtype=torch.float32))

    def __call__(self, points: torch.Tensor) -> torch.Tensor:
        _check_points(points, self.dim, self.name)
        return self.fn(points)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


class Shape(Field):
    """A field that is a signed distance (or a bound on it, after a smooth or set operation): negative inside."""


def _check_points(points, dim: int, where: str) -> None:
    check_tensor(points, f"{where}: points", f"[N, {dim}]")
    if not points.is_floating_point():
        raise ValueError(f"{where}: points must be a real floating torch.Tensor [N, {dim}], got dtype {points.dtype}")
    if points.ndim != 2 or points.shape[1] != dim:
        raise ValueError(f"{where}: points must have shape [N, {dim}] (this field is {dim}D), got {list(points.shape)}")


def _vector(values, name: str, dim: int | None = None) -> torch.Tensor:
    return check_vector(values, name, dim)


def _check_shape(shape, where: str, name: str = "shape", kind: type = None) -> None:
    kind = kind or Field
    if not isinstance(shape, kind):
        raise ValueError(f"{where}: {name} must be a {kind.__name__} (e.g. shapes.sphere(0.5)), got {type(shape).__name__}")


def _length(v: torch.Tensor) -> torch.Tensor:
    return v.norm(dim=-1, keepdim=True)


def _box_of(center: torch.Tensor, half: torch.Tensor | float) -> Bounds:
    return center - half, center + half


# --- primitives --------------------------------------------------------------------------------------------


def _ball(radius: float, center, dim: int, name: str) -> Shape:
    """φ(p) = |p − c| − r."""
    r = check_positive_number(f"{name}: radius", radius)
    c = torch.zeros(dim) if center is None else _vector(center, f"{name}: center", dim)
    return Shape(lambda p: _length(p - c.to(p)) - r, dim, _box_of(c, r), f"{name}({r:g})")


def sphere(radius: float, center: Sequence[float] | None = None) -> Shape:
    """A sphere in 3D: φ(p) = |p − c| − r."""
    return _ball(radius, center, 3, "sphere")


def circle(radius: float, center: Sequence[float] | None = None) -> Shape:
    """A circle (disc) in 2D: φ(p) = |p − c| − r."""
    return _ball(radius, center, 2, "circle")


def box(half_sizes: Sequence[float]) -> Shape:
    """An axis-aligned box centred at 0, in as many dimensions as ``half_sizes`` has entries (Quilez, sdBox).

    With q = |p| − b: φ(p) = |max(q, 0)| + min(max_i q_i, 0) — exact inside and outside.
    """
    b = _vector(half_sizes, "box: half_sizes")
    if b.numel() not in (2, 3) or not (b > 0).all():
        raise ValueError(f"box: half_sizes must be 2 or 3 positive numbers, got {b.tolist()}")

    def fn(p: torch.Tensor) -> torch.Tensor:
        q = p.abs() - b.to(p)
        return _length(q.clamp(min=0)) + q.max(dim=-1, keepdim=True).values.clamp(max=0)

    return Shape(fn, b.numel(), (-b, b), f"box({', '.join(f'{x:g}' for x in b.tolist())})")


def rectangle(half_sizes: Sequence[float]) -> Shape:
    """A 2D axis-aligned rectangle: :func:`box` with two half sizes."""
    _vector(half_sizes, "rectangle: half_sizes", 2)
    return box(half_sizes)


def torus(major_radius: float, minor_radius: float) -> Shape:
    """A torus around the y axis (y up, as Quilez writes it): q = (|p_xz| − R, p_y), φ(p) = |q| − r."""
    big = check_positive_number("torus: major_radius", major_radius)
    small = check_positive_number("torus: minor_radius", minor_radius)

    def fn(p: torch.Tensor) -> torch.Tensor:
        q = torch.stack([p[:, [0, 2]].norm(dim=-1) - big, p[:, 1]], dim=-1)
        return _length(q) - small

    half = torch.tensor([big + small, small, big + small])
    return Shape(fn, 3, (-half, half), f"torus({big:g}, {small:g})")


def capsule(a: Sequence[float], b: Sequence[float], radius: float) -> Shape:
    """The points within ``radius`` of the segment ab (2D or 3D): h = clamp((p−a)·(b−a)/|b−a|², 0, 1),
    φ(p) = |p − a − h(b − a)| − r."""
    a_, b_ = _vector(a, "capsule: a"), _vector(b, "capsule: b", len(a))
    r = check_positive_number("capsule: radius", radius)
    ba = b_ - a_
    if not ba.norm() > 0:
        raise ValueError(f"capsule: a and b must differ, got both {a_.tolist()}")

    def fn(p: torch.Tensor) -> torch.Tensor:
        pa, ba_ = p - a_.to(p), ba.to(p)
        h = ((pa @ ba_) / (ba_ @ ba_)).clamp(0, 1).unsqueeze(-1)
        return _length(pa - h * ba_) - r

    return Shape(fn, a_.numel(), (torch.minimum(a_, b_) - r, torch.maximum(a_, b_) + r), f"capsule(r={r:g})")


def cylinder(radius: float, half_height: float) -> Shape:
    """A capped cylinder around the y axis (Quilez, sdCappedCylinder):
    d = |(|p_xz|, p_y)| − (r, h), φ(p) = min(max(d_x, d_y), 0) + |max(d, 0)|."""
    r = check_positive_number("cylinder: radius", radius)
    h = check_positive_number("cylinder: half_height", half_height)

    def fn(p: torch.Tensor) -> torch.Tensor:
        d = torch.stack([p[:, [0, 2]].norm(dim=-1) - r, p[:, 1].abs() - h], dim=-1)
        return d.max(dim=-1, keepdim=True).values.clamp(max=0) + _length(d.clamp(min=0))

    half = torch.tensor([r, h, r])
    return Shape(fn, 3, (-half, half), f"cylinder({r:g}, {h:g})")


def plane(normal: Sequence[float], offset: float = 0.0) -> Shape:
    """The half-space n·p + offset ≤ 0 (n normalised), in 2D or 3D. Unbounded: its box is [−1, 1]ᵈ."""
    n = _vector(normal, "plane: normal")
    if n.numel() not in (2, 3) or not n.norm() > 0:
        raise ValueError(f"plane: normal must be a non-zero 2D or 3D vector, got {n.tolist()}")
    offset = check_number("plane: offset", offset)
    n = n / n.norm()
    ones = torch.ones(n.numel())
    return Shape(lambda p: (p @ n.to(p)).unsqueeze(-1) + offset, n.numel(), (-ones, ones), "plane")


def heart(size: float = 1.0) -> Shape:
    """A 2D heart (Quilez, sdHeart; exact), tip at (0, −size/2), about ``size`` tall, centred on the y axis.

    In its own units (tip at 0): with x ← |x|, if x + y > 1: |p − (¼, ¾)| − √2/4,
    else sign(x − y)·√min(|p − (0, 1)|², |p − ½ max(x + y, 0)|²).
    """
    s = check_positive_number("heart: size", size)

    def fn(p: torch.Tensor) -> torch.Tensor:
        q = p / s + torch.tensor([0.0, 0.5]).to(p)  # the tip moves to the origin; the heart spans y ∈ [0, 1.1]
        x, y = q[:, 0].abs(), q[:, 1]
        lobe = torch.sqrt((x - 0.25) ** 2 + (y - 0.75) ** 2) - math.sqrt(2) / 4
        m = 0.5 * (x + y).clamp(min=0)
        point = torch.minimum(x**2 + (y - 1) ** 2, (x - m) ** 2 + (y - m) ** 2).sqrt() * torch.sign(x - y)
        return (s * torch.where(x + y > 1, lobe, point)).unsqueeze(-1)

    return Shape(fn, 2, (torch.tensor([-0.61, -0.5]) * s, torch.tensor([0.61, 0.61]) * s), f"heart({s:g})")


# --- composition -------------------------------------------------------------------------------------------


def smooth_min(a: torch.Tensor, b: torch.Tensor, k: float) -> torch.Tensor:
    """Quilez's polynomial smooth minimum with radius k: h = clamp(½ + ½(b − a)/k, 0, 1),
    smin = mix(b, a, h) − k·h(1 − h) = h·a + (1 − h)·b − k·h(1 − h). It is min(a, b) where |a − b| ≥ k,
    at most k/4 below it where they meet, and min(a, b) exactly for k = 0. ``a`` and ``b`` have one shape
    (no broadcasting)."""
    check_tensor(a, "smooth_min: a", "of field values"), check_tensor(b, "smooth_min: b", "of field values")
    if a.shape != b.shape:
        raise ValueError(f"smooth_min: a and b must have the same shape, got {list(a.shape)} and {list(b.shape)} "
                         "(no broadcasting: it would compare every value of one with every value of the other)")
    check_number("smooth_min: k (the smoothing radius; 0 = exact)", k, 0.0)
    if k == 0:
        return torch.minimum(a, b)
    h = (0.5 + 0.5 * (b - a) / k).clamp(0, 1)
    return h * a + (1 - h) * b - k * h * (1 - h)


def _pair(a: Shape, b: Shape, k: float, where: str) -> float:
    for name, shape in (("a", a), ("b", b)):
        if not isinstance(shape, Shape):
            raise ValueError(f"{where}: {name} must be a Shape (e.g. shapes.sphere(0.5)), got {type(shape).__name__}")
    if a.dim != b.dim:
        raise ValueError(f"{where}: both shapes must have the same dimension, got {a.dim}D and {b.dim}D")
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not 0 <= k < math.inf:
        raise ValueError(f"{where}: k must be a smoothing radius ≥ 0, finite (0 = exact), got {k!r}")
    return float(k)


def union(a: Shape, b: Shape, k: float = 0.0) -> Shape:
    """A ∪ B: min(φ_a, φ_b), or the smooth min with radius k (a blend that grows the shape by up to k/4)."""
    k = _pair(a, b, k, "union")
    low, high = torch.minimum(a.bounds[0], b.bounds[0]) - k / 4, torch.maximum(a.bounds[1], b.bounds[1]) + k / 4
    return Shape(lambda p: smooth_min(a(p), b(p), k), a.dim, (low, high), f"union({a.name}, {b.name}, k={k:g})")


def intersection(a: Shape, b: Shape, k: float = 0.0) -> Shape:
    """A ∩ B: max(φ_a, φ_b) = −min(−φ_a, −φ_b), smoothed with radius k."""
    k = _pair(a, b, k, "intersection")
    low, high = torch.maximum(a.bounds[0], b.bounds[0]), torch.minimum(a.bounds[1], b.bounds[1])
    return Shape(lambda p: -smooth_min(-a(p), -b(p), k), a.dim, (low, torch.maximum(high, low)),
                 f"intersection({a.name}, {b.name}, k={k:g})")


def difference(a: Shape, b: Shape, k: float = 0.0) -> Shape:
    """A \\ B: max(φ_a, −φ_b), smoothed with radius k."""
    k = _pair(a, b, k, "difference")
    return Shape(lambda p: -smooth_min(-a(p), b(p), k), a.dim, a.bounds, f"difference({a.name}, {b.name}, k={k:g})")


def translate(shape: Shape, offset: Sequence[float]) -> Shape:
    """The shape moved by ``offset``: φ(p − offset)."""
    _check_shape(shape, "translate", kind=Shape)
    t = _vector(offset, "translate: offset", shape.dim)
    return Shape(lambda p: shape(p - t.to(p)), shape.dim, (shape.bounds[0] + t, shape.bounds[1] + t),
                 f"translate({shape.name})")


def scale(shape: Shape, factor: float) -> Shape:
    """The shape scaled uniformly by ``factor``: s·φ(p / s) (still a distance; a non-uniform scale would not be)."""
    _check_shape(shape, "scale", kind=Shape)
    s = check_positive_number("scale: factor", factor)
    return Shape(lambda p: s * shape(p / s), shape.dim, (shape.bounds[0] * s, shape.bounds[1] * s),
                 f"scale({shape.name}, {s:g})")


def rotation_matrix(angle: float, axis: str = "z") -> torch.Tensor:
    """The 3×3 rotation by ``angle`` radians about the x, y or z axis (right-handed)."""
    c, s = math.cos(check_number("rotation_matrix: angle (radians)", angle)), math.sin(angle)
    matrices = {"x": [[1, 0, 0], [0, c, -s], [0, s, c]], "y": [[c, 0, s], [0, 1, 0], [-s, 0, c]],
                "z": [[c, -s, 0], [s, c, 0], [0, 0, 1]]}
    if axis not in matrices:
        raise ValueError(f"rotation_matrix: axis must be 'x', 'y' or 'z', got {axis!r}")
    return torch.tensor(matrices[axis], dtype=torch.float32)


def rotate(shape: Shape, angle: float, axis: str = "z") -> Shape:
    """The shape rotated by ``angle`` radians (about ``axis`` in 3D): φ(Rᵀp); distances are unchanged."""
    _check_shape(shape, "rotate", kind=Shape)
    check_number("rotate: angle (radians)", angle)
    if axis not in ("x", "y", "z"):
        raise ValueError(f"rotate: axis must be 'x', 'y' or 'z', got {axis!r}")
    if shape.dim == 2 and axis != "z":
        raise ValueError(f"rotate: a 2D shape turns in its plane, about z; got axis={axis!r}")
    rot = rotation_matrix(angle, axis)
    rot = rot[:2, :2] if shape.dim == 2 else rot
    corners = torch.cartesian_prod(*[torch.stack([lo, hi]) for lo, hi in zip(*shape.bounds)]) @ rot.T
    return Shape(lambda p: shape(p @ rot.to(p)), shape.dim, (corners.min(0).values, corners.max(0).values),
                 f"rotate({shape.name})")


def round(shape: Shape, radius: float) -> Shape:  # noqa: A001 (Quilez's name for the operation)
    """The shape grown by ``radius`` with rounded edges: φ − r."""
    _check_shape(shape, "round", kind=Shape)
    r = check_positive_number("round: radius", radius)
    return Shape(lambda p: shape(p) - r, shape.dim, (shape.bounds[0] - r, shape.bounds[1] + r), f"round({shape.name})")


def onion(shape: Shape, thickness: float) -> Shape:
    """A shell of the given thickness around the surface: |φ| − t."""
    _check_shape(shape, "onion", kind=Shape)
    t = check_positive_number("onion: thickness", thickness)
    return Shape(lambda p: shape(p).abs() - t, shape.dim, (shape.bounds[0] - t, shape.bounds[1] + t),
                 f"onion({shape.name})")


# --- derived fields ----------------------------------------------------------------------------------------


def occupancy(shape: Shape) -> Field:
    """o(p) = 1 if φ(p) ≤ 0 else 0 (Occupancy Networks' 1 = inside); its surface is the level 0.5."""
    _check_shape(shape, "occupancy", kind=Shape)
    return Field(lambda p: (shape(p) <= 0).to(p.dtype), shape.dim, shape.bounds, f"occupancy({shape.name})", 0.5)


def tsdf(shape: Shape, truncation: float) -> Field:
    """The truncated SDF clamp(φ / t, −1, 1): the distance near the surface, only the sign beyond ``truncation``."""
    _check_shape(shape, "tsdf", kind=Shape)
    t = check_positive_number("tsdf: truncation", truncation)
    return Field(lambda p: (shape(p) / t).clamp(-1, 1), shape.dim, shape.bounds, f"tsdf({shape.name}, {t:g})")


def gradient(field: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor) -> torch.Tensor:
    """∇field at ``points [N, d]`` → ``[N, d]`` by autograd (the normal direction for an SDF)."""
    if not callable(field):
        raise ValueError(f"gradient: field must be callable [N, d] → [N, 1], got {type(field).__name__}")
    check_tensor(points, "gradient: points", "[N, d]")
    if not points.is_floating_point():
        raise ValueError(f"gradient: points must be a real floating tensor, got dtype {points.dtype}")
    with torch.enable_grad():
        p = points.detach().requires_grad_(True)
        values = field(p)
        if not values.requires_grad:  # a constant field
            return torch.zeros_like(p)
        (grad,) = torch.autograd.grad(values.sum(), p, allow_unused=True)
    return torch.zeros_like(p) if grad is None else grad


# --- sampling ----------------------------------------------------------------------------------------------


def _generator(seed: int) -> torch.Generator:
    return seeding.generator(seed)


def padded_bounds(field: Field, padding: float = 0.1) -> Bounds:
    """The field's box grown by ``padding`` × its largest side, half on each side: ONet's padding 0.1 turns
    the unit cube [−0.5, 0.5]³ into [−0.55, 0.55]³, the box its training and IoU points are drawn from."""
    _check_shape(field, "padded_bounds", "field")
    check_number("padded_bounds: padding", padding, 0.0)
    low, high = field.bounds
    margin = padding / 2 * float((high - low).max())
    return low - margin, high + margin


def sample_uniform(field: Field, n: int, padding: float = 0.1, seed: int | None = None) -> torch.Tensor:
    """``n`` points uniform in the field's bounding box padded by ``padding`` (see :func:`padded_bounds`) → ``[n, d]``."""
    n = check_positive_int("sample_uniform: n", n)
    _check_shape(field, "sample_uniform", "field")
    check_count_memory("sample_uniform", f"n={n} points", 3 * n * field.dim)
    low, high = padded_bounds(field, padding)
    return low + (high - low) * torch.rand(n, field.dim, generator=seeding.generator(seed))


def surface_points(shape: Shape, n: int, eps: float = 1e-4, iterations: int = 8,
                   seed: int | None = None, seeds: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` points on the surface φ = 0 and their unit normals ∇φ/|∇φ|, both ``[n, d]``.

    Seeds are uniform points in a thin shell |φ| < 2 % of the box (so about area-uniform), each projected
    ``iterations`` times to the closest point p ← p − φ(p)∇φ(p)/|∇φ|². Only points that reach |φ| < eps are
    kept; a RuntimeError says how many did if fewer than ``n``. ``seeds`` uniform points are drawn per round
    (default max(4n, 10⁵); a few thousand make hundreds of small shapes' point clouds ten times faster).
    """
    n = check_positive_int("surface_points: n", n)
    seeds = max(4 * n, 10**5) if seeds is None else check_positive_int("surface_points: seeds", seeds)
    check_positive_number("surface_points: eps", eps)
    check_positive_int("surface_points: iterations", iterations, allow_zero=True)
    _check_shape(shape, "surface_points", kind=Shape)
    check_count_memory("surface_points", f"n={n} points", 4 * max(n, seeds) * (shape.dim + 1))
    low, high = padded_bounds(shape, 0.1)
    shell = 0.02 * float((high - low).max())
    generator, kept, tried = seeding.generator(seed), [], 0
    while sum(len(k) for k in kept) < n and tried < 200 * n + 10**6:
        p = low + (high - low) * torch.rand(seeds, shape.dim, generator=generator)
        tried += len(p)
        with torch.no_grad():
            p = p[shape(p)[:, 0].abs() < shell]
        for _ in range(iterations):
            grad = gradient(shape, p)
            with torch.no_grad():
                p = p - shape(p) * grad / (grad**2).sum(-1, keepdim=True).clamp(min=1e-12)
        with torch.no_grad():
            kept.append(p[shape(p)[:, 0].abs() < eps])
    points = torch.cat(kept)
    if len(points) < n:
        raise RuntimeError(f"surface_points: only {len(points)} of {tried} seeds reached |φ| < {eps:g} after "
                           f"{iterations} projections, fewer than the {n} asked for; is {shape.name} a distance "
                           "(|∇φ| ≈ 1) with a surface inside its bounds? Raise iterations or eps.")
    points = points[torch.randperm(len(points), generator=generator)[:n]]
    normals = gradient(shape, points)
    return points, normals / normals.norm(dim=-1, keepdim=True).clamp(min=1e-12)


def sample_near_surface(shape: Shape, n: int, sigmas: Sequence[float] = (0.07, 0.02), seed: int | None = None) -> torch.Tensor:
    """``n`` points: surface points jittered by N(0, σ²) noise, an equal share per σ (DeepSDF, Park et al. 2019,
    uses variances 0.005 and 0.0005, σ ≈ 0.07 and 0.022, for shapes in the unit sphere) → ``[n, d]``."""
    n = check_positive_int("sample_near_surface: n", n)
    if isinstance(sigmas, (int, float, str)) or not hasattr(sigmas, "__len__"):
        raise ValueError(f"sample_near_surface: sigmas must be a list of noise scales, got {sigmas!r}")
    if len(sigmas) == 0:
        raise ValueError("sample_near_surface: sigmas must hold at least one noise scale, got none")
    for sigma in sigmas:
        check_positive_number("sample_near_surface: sigmas", sigma)
    seed = seeding.resolve(seed)
    points, _ = surface_points(shape, n, seed=seed)
    std = torch.tensor(sigmas, dtype=torch.float32).repeat_interleave(math.ceil(n / len(sigmas)))[:n, None]
    return points + std * torch.randn(n, shape.dim, generator=seeding.generator(seed + 1))


def smooth_min_all(values: torch.Tensor, k: float) -> torch.Tensor:
    """The smooth union of K fields' values ``[N, K]`` → ``[N]``: :func:`smooth_min` folded left to right
    (k = 0: the exact min; for k > 0 the fold depends a little on the order where three or more blend)."""
    check_tensor(values, "smooth_min_all: values", "[N, K]")
    check_number("smooth_min_all: k (the smoothing radius; 0 = exact)", k, 0.0)
    if values.ndim != 2 or values.shape[1] == 0:
        raise ValueError(f"smooth_min_all: values must be [N, K] with K ≥ 1, got {list(values.shape)}")
    result = values[:, 0]
    for column in values.unbind(1)[1:]:
        result = smooth_min(result, column, k)
    return result
