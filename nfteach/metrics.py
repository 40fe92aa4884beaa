"""Quality measures for fitted signals (PSNR), shapes (IoU, Chamfer distances, normal consistency) and the
projects' questions (notebooks/projects/): texture patch statistics and repetition, surface-map distortion and
folds, transported correspondences, primitives that matter. Each says what its floor and ceiling are."""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.spatial import cKDTree

from nfteach import seeding
from nfteach._checks import (check_count_memory, check_number, check_points, check_positive_int, check_positive_number,
                             check_real, check_tensor)


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB: 10 log10(data_range² / MSE).

    ``data_range`` is max − min of the signal's range: 1 for values in [0, 1], 2 for [−1, 1].
    Identical inputs give ``inf``.
    """
    for name, value in (("pred", pred), ("target", target)):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"psnr: {name} must be a torch.Tensor, got {type(value).__name__}")
        if value.is_complex():
            raise ValueError(f"psnr: {name} must be real, got dtype {value.dtype}: take .real or .abs() first")
    if pred.shape != target.shape:
        raise ValueError(f"psnr: pred and target must have the same shape, got {list(pred.shape)} and {list(target.shape)}")
    if pred.numel() == 0:
        raise ValueError(f"psnr: pred and target must hold at least one value, got shape {list(pred.shape)}")
    check_positive_number("psnr: data_range", data_range)
    mse = torch.mean((pred.detach().double().cpu() - target.detach().double().cpu()) ** 2).item()
    if not math.isfinite(mse):
        raise ValueError(f"psnr: pred and target must be finite numbers, got an MSE of {mse}: look for NaN or inf in them")
    return psnr_from_mse(mse, data_range)


def psnr_from_mse(mse: float, data_range: float = 1.0) -> float:
    """PSNR in dB of a mean squared error."""
    check_number("psnr_from_mse: mse", mse, 0.0)
    return math.inf if mse == 0 else 10 * math.log10(data_range**2 / mse)


# --- shapes ----------------------------------------------------------------------------------------------
# Conventions differ between papers; each function names the one it follows.
#   metric              paper / official code                         distances   per direction   combined
#   chamfer_l1          Occupancy Networks (Mescheder et al. 2019)    unsquared   mean            ½ (sum)
#   chamfer_l2          DeepSDF (Park et al. 2019)                    squared     mean            sum
#   normal_consistency  Occupancy Networks                            |n_a · n_b| of nearest pairs, ½ (sum)


def _as_numpy(values, name: str, where: str, columns: int | None = None) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{where}: {name} must hold real numbers, got {array.dtype} values"
                         f"{': take .real or abs() first' if array.dtype.kind == 'c' else ''}")
    if columns is not None and (array.ndim != 2 or array.shape[1] != columns or len(array) == 0):
        raise ValueError(f"{where}: {name} must be a non-empty array [N, {columns}], got shape {list(array.shape)}")
    if array.size == 0:
        raise ValueError(f"{where}: {name} must be a non-empty array, got shape {list(array.shape)}")
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: {name} must be finite, got {np.count_nonzero(~np.isfinite(array))} NaN or "
                         f"infinite value(s) of {array.size}")
    return array.astype(np.float64) if columns is not None else array


def iou(pred_occupancy, true_occupancy, threshold: float = 0.5) -> float:
    """Volumetric intersection over union |P ∩ T| / |P ∪ T| of two occupancies sampled at the same points.

    Inputs ``[N]`` or ``[N, 1]``, booleans or values (occupied where ≥ ``threshold``; pass ``logits > 0``
    for logits). ONet evaluates on 100k points uniform in a box of side 1.1. Two empty shapes give 1.
    """
    check_number("iou: threshold", threshold)
    pred, true = (_as_numpy(v, n, "iou").reshape(-1) for v, n in ((pred_occupancy, "pred"), (true_occupancy, "true")))
    if pred.shape != true.shape:
        raise ValueError(f"iou: pred and true must hold one value per point, got {pred.size} and {true.size} values")
    pred, true = pred >= threshold, true >= threshold
    union = np.count_nonzero(pred | true)
    return 1.0 if union == 0 else float(np.count_nonzero(pred & true) / union)


def _point_sets(a, b, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Two point sets ``[N, d]`` and ``[M, d]`` with the same d as float64 arrays."""
    a = _as_numpy(a, "a", where)
    columns = a.shape[1] if a.ndim == 2 else 3
    return _as_numpy(a, "a", where, columns), _as_numpy(b, "b", where, columns)


def _nearest(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every point of a: the distance to its nearest point in b and that point's index."""
    return cKDTree(b).query(a, k=1)


def chamfer_l1(a, b) -> float:
    """Chamfer-L1 as in Occupancy Networks: ½(mean_a min_b |a − b| + mean_b min_a |b − a|), unsquared
    Euclidean distances (``[N, d]`` and ``[M, d]`` point sets). The ONet paper's tables print it ×10."""
    a, b = _point_sets(a, b, "chamfer_l1")
    return float(0.5 * (_nearest(a, b)[0].mean() + _nearest(b, a)[0].mean()))


def chamfer_l2(a, b) -> float:
    """Chamfer distance as in DeepSDF: mean_a min_b |a − b|² + mean_b min_a |b − a|², squared distances,
    the two directions summed (``[N, d]`` and ``[M, d]`` point sets)."""
    a, b = _point_sets(a, b, "chamfer_l2")
    return float((_nearest(a, b)[0] ** 2).mean() + (_nearest(b, a)[0] ** 2).mean())


def normal_consistency(points_a, normals_a, points_b, normals_b) -> float:
    """Normal consistency as in Occupancy Networks: for each point its nearest neighbour in the other set,
    the mean of |n · n_nearest| (unit normals, sign ignored), the two directions averaged. 1 = all aligned."""
    where = "normal_consistency"
    pa = _as_numpy(points_a, "points_a", where, 3)
    pb = _as_numpy(points_b, "points_b", where, 3)
    na = _as_numpy(normals_a, "normals_a", where, 3)
    nb = _as_numpy(normals_b, "normals_b", where, 3)
    if len(na) != len(pa) or len(nb) != len(pb):
        raise ValueError(f"{where}: one normal per point expected, got {len(na)} for {len(pa)} and {len(nb)} for {len(pb)}")
    for name, normals in (("normals_a", na), ("normals_b", nb)):
        if (np.linalg.norm(normals, axis=1) == 0).any():
            raise ValueError(f"{where}: {name} must be non-zero vectors, got {int((np.linalg.norm(normals, axis=1) == 0).sum())} "
                             "of length 0: drop those points or give them a direction")
    na = na / np.linalg.norm(na, axis=1, keepdims=True).clip(1e-12)
    nb = nb / np.linalg.norm(nb, axis=1, keepdims=True).clip(1e-12)
    to_b, to_a = _nearest(pa, pb)[1], _nearest(pb, pa)[1]
    return float(0.5 * (np.abs((na * nb[to_b]).sum(1)).mean() + np.abs((nb * na[to_a]).sum(1)).mean()))


# --- textures (projects 2 and 3) ---------------------------------------------------------------------------
# A texture is judged by the distribution of its small patches, not pixel by pixel (Heitz et al. 2021 use the
# sliced Wasserstein distance; Henzler et al. 2020 a VGG Gram loss). References for a number: the floor is a crop
# of the real texture against the exemplar, the ceiling the exemplar's pixels shuffled (same histogram, no
# structure). Images are [H, W] or [H, W, C] tensors in [0, 1].


def _as_image(image: torch.Tensor, where: str, name: str = "image") -> torch.Tensor:
    """[H, W] or [H, W, C] → [1, C, H, W] (differentiable)."""
    check_tensor(image, f"{where}: {name}", "[H, W] or [H, W, C]")
    if image.ndim not in (2, 3):
        raise ValueError(f"{where}: {name} must be a tensor [H, W] or [H, W, C], got {list(image.shape)}")
    if image.is_complex():
        raise ValueError(f"{where}: {name} must be real, got dtype {image.dtype}: take .real or .abs() first")
    image = image if image.ndim == 3 else image[..., None]
    return image.permute(2, 0, 1)[None].float()


def patches(image: torch.Tensor, size: int = 7, count: int = 1024, seed: int | None = None) -> torch.Tensor:
    """``count`` random ``size``×``size`` patches of an image (positions drawn with ``seed``, with replacement),
    flattened → ``[count, size² · C]``. Differentiable in the image."""
    check_positive_int("patches: size", size)
    check_positive_int("patches: count", count)
    x = _as_image(image, "patches")
    check_count_memory("patches", f"count={count} patches of {size}² × {x.shape[1]}", 2 * count * size * size * x.shape[1])
    if min(x.shape[-2:]) < size:
        raise ValueError(f"patches: the image {list(x.shape[-2:])} is smaller than a {size}×{size} patch")
    columns = torch.nn.functional.unfold(x, size)[0]  # [C·size², positions]
    index = torch.randint(columns.shape[1], (count,), generator=seeding.generator(seed))
    return columns[:, index.to(columns.device)].T


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, projections: int = 64, seed: int | None = None) -> torch.Tensor:
    """Sliced Wasserstein-2 distance between two point clouds ``[N, D]`` and ``[M, D]`` (Rabin et al. 2011):
    project both onto ``projections`` random unit directions, sort, and compare quantiles:
    SW = sqrt(mean_θ mean_i (sort(a·θ)_i − sort(b·θ)_i)²). With N ≠ M, b's quantiles are read at a's ranks.
    Same cloud → 0. Differentiable in both (the sort's gradient flows back to the points)."""
    check_points(a, "sliced_wasserstein: a"), check_points(b, "sliced_wasserstein: b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"sliced_wasserstein: expected [N, D] and [M, D], got {list(a.shape)} and {list(b.shape)}")
    check_count_memory("sliced_wasserstein", f"projections={projections} of {len(a)} + {len(b)} points",
                       2 * (len(a) + len(b) + a.shape[1]) * check_positive_int("sliced_wasserstein: projections", projections))
    generator = seeding.generator(seed)
    theta = torch.randn(a.shape[1], check_positive_int("sliced_wasserstein: projections", projections),
                        generator=generator).to(a)
    theta = theta / theta.norm(dim=0, keepdim=True)
    pa, pb = (a @ theta).sort(dim=0).values, (b.to(a) @ theta).sort(dim=0).values  # [N, P], [M, P]
    if len(pb) != len(pa):
        pb = pb[((torch.arange(len(pa)) + 0.5) * len(pb) / len(pa)).long().to(pb.device)]
    return ((pa - pb) ** 2).mean().sqrt()


def patch_swd(texture: torch.Tensor, exemplar: torch.Tensor, size: int = 7, scales: int = 3, count: int = 1024,
              projections: int = 64, seed: int | None = None) -> torch.Tensor:
    """Multi-scale patch sliced-Wasserstein distance between a texture and an exemplar (any sizes, same channels):
    at each of ``scales`` octaves (2× average pooling between them) compare ``count`` random ``size``² patches of
    each with :func:`sliced_wasserstein`; the mean over scales. In intensity units: 0 = the same patch
    distribution. A texture against itself scores exactly 0 (same seed, same positions). Differentiable
    (a loss as well as a metric): call ``float()`` on it to report."""
    x, y = _as_image(texture, "patch_swd", "texture"), _as_image(exemplar, "patch_swd", "exemplar").to(texture.device)
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"patch_swd: texture and exemplar need the same channels, got {x.shape[1]} and {y.shape[1]}")
    check_positive_int("patch_swd: size", size), check_positive_int("patch_swd: scales", scales)
    smallest = min(*x.shape[-2:], *y.shape[-2:])
    if smallest >> (scales - 1) < size:
        raise ValueError(f"patch_swd: the smaller image side {smallest} halved {scales - 1} times is below a "
                         f"{size}×{size} patch: ask for fewer scales or a smaller size")
    total = 0.0
    seed = seeding.resolve(seed)
    for octave in range(check_positive_int("patch_swd: scales", scales)):
        a = patches(x[0].permute(1, 2, 0), size, count, seed + octave)
        b = patches(y[0].permute(1, 2, 0), size, count, seed + octave)
        total = total + sliced_wasserstein(a, b, projections, seed + octave)
        x, y = torch.nn.functional.avg_pool2d(x, 2), torch.nn.functional.avg_pool2d(y, 2)
    return total / scales


def repetition_score(image: torch.Tensor, min_shift: int = 8) -> float:
    """Peak normalised autocorrelation away from zero shift: max over shifts s with min_shift ≤ ‖s‖∞ ≤ side/2 of
    Σ x(p) x(p + s) / (overlap(s) · var x), x the (channel-averaged) image minus its mean.

    1 = the image repeats itself exactly at some shift (a tiled exemplar scores ≈ 1); white noise ≈ 0. A natural
    texture scores its own level (periodic ones such as brick score high): compare with a crop of the real texture."""
    check_positive_int("repetition_score: min_shift", min_shift)
    x = _as_image(image, "repetition_score")[0].mean(0).detach().double().cpu()
    height, width = x.shape
    if min_shift >= min(height, width) // 2:
        raise ValueError(f"repetition_score: min_shift {min_shift} must be below half the image side {min(height, width)}")
    x = x - x.mean()
    spectrum = torch.fft.rfft2(x, s=(2 * height, 2 * width))
    correlation = torch.fft.irfft2(spectrum.abs() ** 2, s=(2 * height, 2 * width))  # [2H, 2W], circular in shift
    dy = torch.fft.fftfreq(2 * height, 1 / (2 * height)).abs()[:, None]
    dx = torch.fft.fftfreq(2 * width, 1 / (2 * width)).abs()[None, :]
    overlap = (height - dy).clamp(min=1) * (width - dx).clamp(min=1)
    normalised = correlation / overlap / x.var(unbiased=False).clamp(min=1e-12)
    keep = (torch.maximum(dy, dx) >= min_shift) & (dy <= height // 2) & (dx <= width // 2)
    return float(normalised[keep].max())


def slice_diversity(slices: torch.Tensor) -> float:
    """How different slices of a 3D texture are from each other: the mean over pairs of the RMS difference,
    divided by √2 × the slices' standard deviation. ``[S, H, W]`` or ``[S, H, W, C]``, S ≥ 2.

    0 = every slice the same (an extruded exemplar along its axis); ≈ 1 = as different as independent images
    with the same statistics (two crops far apart in the real texture)."""
    if not isinstance(slices, torch.Tensor) or slices.ndim not in (3, 4) or len(slices) < 2:
        got = list(slices.shape) if isinstance(slices, torch.Tensor) else type(slices).__name__
        raise ValueError(f"slice_diversity: expected at least 2 slices [S, H, W(, C)], got {got}")
    check_real(slices, "slice_diversity: slices")
    flat = slices.detach().double().reshape(len(slices), -1)
    distance = torch.cdist(flat, flat) / math.sqrt(flat.shape[1])  # RMS difference of each pair
    pairs = len(flat) * (len(flat) - 1)
    return float(distance.sum() / pairs / (math.sqrt(2) * flat.std().clamp(min=1e-12)))


# --- surface maps φ: [0, 1]² → R³ (project 4) ----------------------------------------------------------------
# Neural Surface Maps (Morreale et al. 2021) measure a map by its Jacobian J = ∂φ/∂u (3×2) with singular values
# σ1 ≥ σ2: σ1/σ2 = 1 everywhere is conformal (angles kept), σ1σ2 constant is equiareal (areas kept up to one
# scale). A grid of the domain mapped by φ is a triangle mesh; a triangle whose normal turns against the surface's
# orientation is flipped (a fold). References: 0 SDF error and 0 % flips for an exact parametrisation;
# a sphere cannot be mapped without distortion (an analytic map's numbers are the bar to beat).


def jacobian_singular_values(jacobian: torch.Tensor) -> torch.Tensor:
    """Singular values (σ1 ≥ σ2) of each map Jacobian ``[N, 3, 2]`` → ``[N, 2]``."""
    if not isinstance(jacobian, torch.Tensor) or jacobian.ndim != 3 or jacobian.shape[1:] != (3, 2):
        got = list(jacobian.shape) if isinstance(jacobian, torch.Tensor) else type(jacobian).__name__
        raise ValueError(f"jacobian_singular_values: expected Jacobians [N, 3, 2], got {got}")
    check_real(jacobian, "jacobian_singular_values: jacobian")
    return torch.linalg.svdvals(jacobian.detach().double())


def angle_distortion(singular_values: torch.Tensor) -> float:
    """Mean σ1/σ2 over the samples: 1 = conformal; large = stretched in one direction (inf where σ2 = 0)."""
    _check_singular_values(singular_values, "angle_distortion")
    return float((singular_values[:, 0] / singular_values[:, 1]).mean())


def area_distortion(singular_values: torch.Tensor) -> float:
    """Mean of max(a/ā, ā/a) with a = σ1σ2 the local area scale and ā its mean: 1 = equiareal (up to a global
    scale); 2 = a typical sample is stretched or shrunk by 2× in area relative to the average."""
    _check_singular_values(singular_values, "area_distortion")
    area = singular_values[:, 0] * singular_values[:, 1]
    ratio = area / area.mean()
    return float(torch.maximum(ratio, 1 / ratio.clamp(min=1e-12)).mean())


def _check_singular_values(values, where: str) -> None:
    check_points(values, f"{where}: singular_values", 2)


def grid_triangles(resolution: int) -> torch.Tensor:
    """The two triangles of each cell of a ``resolution``² vertex grid, counter-clockwise in (u, v) → vertex
    indices ``[2 (resolution − 1)², 3]``. Vertex ``row · resolution + column`` sits at u = column, v = row."""
    r = check_positive_int("grid_triangles: resolution", resolution)
    check_count_memory("grid_triangles", f"resolution {r}: {2 * (r - 1) ** 2:,} triangles", 4 * 3 * r * r, 8)
    index = torch.arange(r * r).reshape(r, r)
    a, b, c, d = index[:-1, :-1], index[:-1, 1:], index[1:, :-1], index[1:, 1:]
    return torch.cat([torch.stack([a, b, d], -1).reshape(-1, 3), torch.stack([a, d, c], -1).reshape(-1, 3)])


def triangle_jacobians(uv: torch.Tensor, points: torch.Tensor, triangles: torch.Tensor) -> torch.Tensor:
    """The Jacobian of the piecewise-linear map uv → points on each triangle: J = [p_b − p_a, p_c − p_a] ·
    [uv_b − uv_a, uv_c − uv_a]⁻¹. ``uv [V, 2]``, ``points [V, 3]``, ``triangles [T, 3]`` → ``[T, 3, 2]``
    (differentiable in the points: the distortion of a mapped grid, without autograd through the network)."""
    check_points(uv, "triangle_jacobians: uv", 2), check_points(points, "triangle_jacobians: points", 3)
    _check_triangles(triangles, len(points), "triangle_jacobians")
    if len(uv) != len(points):
        raise ValueError(f"triangle_jacobians: expected uv [V, 2] and points [V, 3], got {list(uv.shape)} and "
                         f"{list(points.shape)}")
    corners_uv, corners = uv[triangles].to(points), points[triangles]  # [T, 3, 2], [T, 3, 3]
    edges_uv = torch.stack([corners_uv[:, 1] - corners_uv[:, 0], corners_uv[:, 2] - corners_uv[:, 0]], -1)  # [T, 2, 2]
    edges = torch.stack([corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]], -1)  # [T, 3, 2]
    return edges @ torch.linalg.inv(edges_uv)


def _check_triangles(triangles, vertices: int, where: str) -> None:
    """Vertex indices ``[T, 3]`` (T ≥ 1) into ``vertices`` vertices."""
    check_tensor(triangles, f"{where}: triangles", "[T, 3] of vertex indices")
    if triangles.ndim != 2 or triangles.shape[1] != 3 or len(triangles) == 0:
        raise ValueError(f"{where}: triangles must be [T, 3] with T ≥ 1, got {list(triangles.shape)}")
    if triangles.is_floating_point() or triangles.is_complex() or triangles.dtype == torch.bool:
        raise ValueError(f"{where}: triangles must hold integer vertex indices, got dtype {triangles.dtype}")
    if int(triangles.min()) < 0 or int(triangles.max()) >= vertices:
        raise ValueError(f"{where}: triangles must index the {vertices} vertices (0..{vertices - 1}), got "
                         f"{int(triangles.min())}..{int(triangles.max())}")


def flipped_fraction(vertices: torch.Tensor, triangles: torch.Tensor, normals: torch.Tensor) -> float:
    """Fraction of triangles whose normal (b − a) × (c − a) points against the surface normal at their centroid,
    counted against the map's majority orientation (a map may reverse orientation everywhere; that is no fold).
    ``vertices [V, 3]``, ``triangles [T, 3]``, ``normals [T, 3]`` (e.g. ∇SDF at the centroids). Degenerate
    triangles (zero area) count as neither. 0 = no folds; ≈ 0.5 = a random map."""
    check_points(vertices, "flipped_fraction: vertices", 3)
    _check_triangles(triangles, len(vertices), "flipped_fraction")
    if check_points(normals, "flipped_fraction: normals", 3).shape != triangles.shape:
        raise ValueError(f"flipped_fraction: normals must be [T, 3], one per triangle, got {list(normals.shape)} for "
                         f"{len(triangles)} triangles")
    a, b, c = (vertices[triangles[:, i]].detach().double() for i in range(3))
    sign = torch.sign((torch.cross(b - a, c - a, dim=-1) * normals.detach().double()).sum(-1))
    majority = 1.0 if (sign > 0).sum() >= (sign < 0).sum() else -1.0
    return float((sign == -majority).double().mean())


# --- correspondence by a time-conditioned field (project 1) -------------------------------------------------
# Points x(t) transported through a family of shapes f(·, t) are judged against a known correspondence (a shape
# under a known deformation): floor 0 (the exact map), ceiling the error of not moving at all.


def correspondence_error(transported, truth) -> float:
    """Mean Euclidean distance between transported points and their known images, ``[N, d]`` each."""
    a, b = _as_numpy(transported, "transported", "correspondence_error"), _as_numpy(truth, "truth", "correspondence_error")
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"correspondence_error: expected two point sets [N, d] of one shape, got {list(a.shape)} "
                         f"and {list(b.shape)}")
    return float(np.linalg.norm(a - b, axis=1).mean())


def level_set_drift(field, paths: torch.Tensor, times: torch.Tensor) -> float:
    """Mean |f(x(t), t)| along transported paths ``[T, N, d]`` at ``times [T]``: 0 = every point stays on its
    shape's surface the whole way (for an SDF field, in distance units). ``field`` maps ``[N, d + 1]`` (x, t)
    to ``[N, 1]``."""
    check_tensor(paths, "level_set_drift: paths", "[T, N, d]"), check_tensor(times, "level_set_drift: times", "[T]")
    if not callable(field):
        raise ValueError(f"level_set_drift: field must be callable [N, d + 1] → [N, 1], got {type(field).__name__}")
    if paths.ndim != 3 or len(times) != len(paths) or paths.numel() == 0:
        raise ValueError(f"level_set_drift: expected paths [T, N, d] and times [T], got {list(paths.shape)} and "
                         f"{list(times.shape)}")
    with torch.no_grad():
        values = [field(torch.cat([x, torch.full_like(x[:, :1], float(t))], 1)) for x, t in zip(paths, times)]
    return float(torch.cat(values).abs().mean())


# --- composing primitives (project 5) -----------------------------------------------------------------------


def primitives_that_matter(values: torch.Tensor, compose, tolerance: float = 0.002) -> int:
    """How many of K primitives change the composed shape (see :func:`which_primitives_matter`). A fit with K
    primitives that covers the shape with fewer has dead primitives: K − this number."""
    return int(which_primitives_matter(values, compose, tolerance).sum())


def which_primitives_matter(values: torch.Tensor, compose, tolerance: float = 0.002) -> torch.Tensor:
    """Primitive k matters if removing it flips the occupancy (SDF ≤ 0) of more than ``tolerance`` of the points.
    ``values [N, K]``: each primitive's SDF at N points (e.g. uniform in the box); ``compose`` maps ``[N, K']`` →
    ``[N]`` (e.g. a smooth min over K'). Returns ``[K]`` booleans."""
    check_points(values, "primitives_that_matter: values")
    if not callable(compose):
        raise ValueError(f"primitives_that_matter: compose must be callable [N, K] → [N], got {type(compose).__name__}")
    check_number("primitives_that_matter: tolerance", tolerance, 0.0, 1.0)
    matters = torch.zeros(values.shape[1], dtype=torch.bool)
    with torch.no_grad():
        inside = compose(values) <= 0
        keep = torch.ones(values.shape[1], dtype=torch.bool)
        for k in range(values.shape[1]):
            keep[k] = False
            changed = (compose(values[:, keep]) <= 0) != inside if keep.any() else inside
            matters[k] = changed.double().mean() > tolerance
            keep[k] = True
    return matters
