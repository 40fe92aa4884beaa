"""Coordinate encodings that let an MLP fit high frequencies: positional encoding and Fourier features (Mildenhall et
al. 2020; Tancik et al. 2020), and the feature grids of appendices A1 and A6: the multiresolution hash grid (Müller et
al. 2022), the multiresolution dense grid and the tri-plane (Chan et al. 2022)."""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn

from nfteach import seeding
from nfteach._checks import (check_coords, check_count_memory, check_finite, check_positive_int, check_positive_number,
                             check_vector)


MAX_OCTAVES = 126
"""The most octaves a float32 frequency π·2^(L−1) can hold."""


class PositionalEncoding(nn.Module):
    """NeRF's positional encoding γ(x) = [x, sin(2^0 πx), cos(2^0 πx), …, sin(2^{L-1} πx), cos(2^{L-1} πx)].

    Applied to each coordinate separately (Mildenhall et al. 2020, eq. 4), L = ``num_frequencies``.
    Input ``[N, in_features]`` → output ``[N, out_features]`` with
    ``out_features = in_features * (include_input + 2 L)``; the blocks are ordered
    ``[x, sin(2^0 π x), cos(2^0 π x), sin(2^1 π x), …]``, each block holding every coordinate.
    """

    def __init__(self, in_features: int, num_frequencies: int, include_input: bool = True):
        super().__init__()
        self.in_features = check_positive_int("PositionalEncoding: in_features", in_features)
        self.num_frequencies = check_positive_int("PositionalEncoding: num_frequencies", num_frequencies, allow_zero=True)
        if num_frequencies > MAX_OCTAVES:
            raise ValueError(f"PositionalEncoding: num_frequencies must be at most {MAX_OCTAVES} (π·2^(L−1) overflows "
                             f"float32 beyond), got {num_frequencies}")
        self.include_input = include_input
        self.register_buffer("frequencies", math.pi * 2.0 ** torch.arange(num_frequencies, dtype=torch.float32))
        self.out_features = in_features * (int(include_input) + 2 * num_frequencies)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        check_coords(coords, self.in_features, type(self).__name__, device=self.frequencies.device)
        angles = coords[:, None, :] * self.frequencies[None, :, None]  # [N, L, in]
        waves = torch.stack([torch.sin(angles), torch.cos(angles)], dim=2)  # [N, L, 2, in]
        parts = [coords] if self.include_input else []
        return torch.cat(parts + [waves.flatten(1)], dim=1)  # [N, out_features]


class FourierFeatures(nn.Module):
    """Fourier feature mapping γ(v) = [cos 2πBv, sin 2πBv] (Tancik et al. 2020, eq. 5).

    The default is the Gaussian mapping: B ~ N(0, scale²) of shape ``[mapping_size, in_features]``,
    drawn once from ``seed`` and kept fixed (a buffer, not a parameter). ``scale`` belongs to coordinates
    in [0, 1); for coordinates in [−1, 1] use half the paper's σ. :meth:`basic` and :meth:`positional`
    build the paper's other two mappings from a given B.
    Input ``[N, in_features]`` → output ``[N, 2 * mapping_size]`` (all cosines first, then all sines).
    """

    def __init__(self, in_features: int, mapping_size: int, scale: float, seed: int | None = None):
        super().__init__()
        check_positive_int("FourierFeatures: in_features", in_features)
        check_positive_int("FourierFeatures: mapping_size", mapping_size)
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not 0 < scale < math.inf:
            raise ValueError(f"FourierFeatures: scale must be > 0 and finite, got {scale!r}")
        check_count_memory("FourierFeatures", f"B [{mapping_size}, {in_features}]", mapping_size * in_features)
        generator = seeding.generator(seed)
        self.register_buffer("B", scale * torch.randn(mapping_size, in_features, generator=generator))
        self.in_features = in_features
        self.out_features = 2 * mapping_size

    @classmethod
    def from_matrix(cls, B: torch.Tensor) -> "FourierFeatures":
        """A mapping with a given frequency matrix B ``[mapping_size, in_features]``."""
        B = check_vector(B, "FourierFeatures.from_matrix: B", finite=False).reshape(torch.as_tensor(B).shape)
        if B.ndim != 2 or B.numel() == 0:
            raise ValueError(f"FourierFeatures.from_matrix: B must be 2D [mapping_size, in_features], got {tuple(B.shape)}")
        check_finite("FourierFeatures.from_matrix: B", B)
        mapping = cls(B.shape[1], B.shape[0], scale=1.0)
        mapping.B.copy_(B)
        return mapping

    @classmethod
    def basic(cls, in_features: int) -> "FourierFeatures":
        """The paper's basic mapping, B = I: γ(v) = [cos 2πv, sin 2πv]."""
        return cls.from_matrix(torch.eye(check_positive_int("FourierFeatures.basic: in_features", in_features)))

    @classmethod
    def positional(cls, in_features: int, num_frequencies: int, scale: float) -> "FourierFeatures":
        """The paper's positional mapping: axis-aligned frequencies scale^(j/m), j = 0 … m−1, m = num_frequencies."""
        check_positive_int("FourierFeatures.positional: in_features", in_features)
        check_positive_int("FourierFeatures.positional: num_frequencies", num_frequencies)
        check_positive_number("FourierFeatures.positional: scale", scale)
        check_count_memory("FourierFeatures.positional", "B", num_frequencies * in_features * in_features)
        frequencies = scale ** (torch.arange(num_frequencies, dtype=torch.float32) / num_frequencies)
        return cls.from_matrix(torch.kron(frequencies[:, None], torch.eye(in_features)))

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        check_coords(coords, self.in_features, type(self).__name__, self.B.dtype, self.B.device)
        projected = 2 * math.pi * coords @ self.B.T  # [N, mapping_size]
        return torch.cat([torch.cos(projected), torch.sin(projected)], dim=1)  # [N, 2 * mapping_size]


def level_resolutions(levels: int, base_resolution: int, max_resolution: int) -> tuple[float, list[int]]:
    """Instant-NGP's levels (Müller et al. 2022, eqs. 2-3): the growth b = exp((ln N_max − ln N_min) / (L − 1)) and the
    resolutions N_l = ⌊N_min · b^l⌋, l = 0 … L − 1 (one level: b = 1, N_0 = N_min)."""
    growth = math.exp((math.log(max_resolution) - math.log(base_resolution)) / max(1, levels - 1))
    return growth, [int(math.floor(base_resolution * growth**l + 1e-6)) for l in range(levels)]


def grid_lookup(grid: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
    """d-linear interpolation of a grid of F-vectors θ at points given in vertex units (d = 1, 2 or 3):

        f(p) = Σ_{c ∈ {0,1}^d} θ[⌊p⌋ + c] · Π_i w_i(c_i),  w_i(0) = 1 − (p_i − ⌊p_i⌋), w_i(1) = p_i − ⌊p_i⌋,

    the bilinear (d = 2) or trilinear (d = 3) weights of the cell's 2^d corners. ``grid [F, n_{d−1}, …, n_0]`` holds
    vertex (x_0, …, x_{d−1}) at ``grid[:, x_{d−1}, …, x_0]`` (x_0 is the column, as in an image);
    ``position [N, d]`` with p_i in [0, n_i − 1] → ``[N, F]``. Computed by ``grid_sample`` with
    ``align_corners=True`` (vertex k of n sits at 2k / (n − 1) − 1), which is fast on a CPU and differentiable in θ.
    """
    d, features = position.shape[1], grid.shape[0]
    sides = torch.tensor(grid.shape[1:][::-1], dtype=position.dtype, device=position.device)  # [d]: n_0 … n_{d−1}
    where = position * (2 / (sides - 1).clamp_min(1)) - 1  # [N, d] in [−1, 1]
    if d == 1:  # a 1-row image
        grid, where = grid[:, None, :], torch.cat([where, torch.full_like(where, -1.0)], dim=1)
    where = where.reshape(1, *[1] * (max(d, 2) - 1), -1, max(d, 2))  # [1, (1,) 1, N, d]
    sampled = nn.functional.grid_sample(grid[None], where, mode="bilinear", align_corners=True)  # [1, F, (1,) 1, N]
    return sampled.reshape(features, -1).T  # [N, F]


HASH_PRIMES = (1, 2654435761, 805459861)
"""π_i of Instant-NGP's spatial hash, one per coordinate (Müller et al. 2022, eq. 4; π_1 = 1 keeps memory coherent)."""


def spatial_hash(vertices: torch.Tensor, log2_table_size: int) -> torch.Tensor:
    """Instant-NGP's spatial hash h(x) = (⊕_i x_i π_i) mod T with T = 2^log2_table_size (Müller et al. 2022, eq. 4).

    ``vertices [N, d]`` (integers, d ≤ 3) → table rows ``[N]`` in [0, T). The products are taken in int64, where
    they may wrap around: wrapping keeps the low 64 bits exact, and only the low log2 T bits are kept (the mask
    ``& (T − 1)`` is ``mod T`` for a power of two), so the result equals the official code's uint32 arithmetic.
    """
    check_positive_int("spatial_hash: log2_table_size", log2_table_size)
    if log2_table_size > 32:
        raise ValueError(f"spatial_hash: log2_table_size must be at most 32 (the official uint32 hash), got {log2_table_size}")
    if not isinstance(vertices, torch.Tensor) or vertices.ndim != 2 or not 1 <= vertices.shape[1] <= len(HASH_PRIMES):
        got = list(vertices.shape) if isinstance(vertices, torch.Tensor) else type(vertices).__name__
        raise ValueError(f"spatial_hash: vertices must be an integer tensor [N, d] with 1 ≤ d ≤ 3, got {got}")
    if vertices.is_floating_point() or vertices.is_complex():
        raise ValueError(f"spatial_hash: vertices must hold integers (grid vertices), got dtype {vertices.dtype}")
    vertices = vertices.long()
    index = torch.zeros(len(vertices), dtype=torch.int64, device=vertices.device)
    for i in range(vertices.shape[1]):
        index ^= vertices[:, i] * HASH_PRIMES[i]  # int64: overflow wraps, the low bits stay exact
    return index & ((1 << log2_table_size) - 1)  # [N]


class HashGrid(nn.Module):
    """Multiresolution hash encoding (Müller et al. 2022, Sec. 3): L grids of trainable F-vectors, d-linearly interpolated.

    Level l has resolution N_l = ⌊N_min · b^l⌋ with b = exp((ln N_max − ln N_min) / (L − 1)). A point u ∈ [0, 1]^d
    sits at p = u (N_l − 1) + 0.5 in vertex units, as in the official code (the half-cell offset keeps the levels'
    vertices from lining up at the origin), so a level touches the (N_l + 1)^d vertices 0 … N_l per axis.
    Storage per level, as in the paper and the official code: a level with (N_l + 1)^d ≤ T vertices is **dense**
    (one row per vertex, row = Σ_i x_i (N_l + 1)^i, no collisions); a finer level is a table of T rows addressed by
    :func:`spatial_hash`, where vertices collide and the gradients sort it out. Entries start U(±1e-4).
    Dense levels are looked up with ``grid_sample`` (fast on a CPU). A hashed level with fewer vertices than its
    points have corners (2^d per point; a whole image, say) reads each vertex's row through the hash once and is
    interpolated the same way, a quarter of the reads in 2D; otherwise each point gathers its 2^d corners. Both
    ways compute the same features (``tests/test_hash_grid.py``).
    The official code scales by the unrounded N_min · b^l − 1; this class rounds N_l as the paper's equation does.
    Input ``[N, in_features]`` in [−1, 1] (the kit's convention; points outside are clamped onto the border)
    → output ``[N, levels * features_per_level]``, level 0 (coarsest) first.
    """

    def __init__(
        self,
        in_features: int = 2,
        levels: int = 16,
        features_per_level: int = 2,
        log2_table_size: int = 14,
        base_resolution: int = 16,
        max_resolution: int = 256,
    ):
        super().__init__()
        self.in_features = check_positive_int("HashGrid: in_features", in_features)
        if in_features > len(HASH_PRIMES):
            raise ValueError(f"HashGrid: in_features must be 1, 2 or 3, got {in_features}")
        self.levels = check_positive_int("HashGrid: levels", levels)
        self.features_per_level = check_positive_int("HashGrid: features_per_level", features_per_level)
        self.log2_table_size = check_positive_int("HashGrid: log2_table_size", log2_table_size)
        if log2_table_size > 32:
            raise ValueError(f"HashGrid: log2_table_size must be at most 32 (the official uint32 hash), got {log2_table_size}")
        check_positive_int("HashGrid: base_resolution", base_resolution)
        if check_positive_int("HashGrid: max_resolution", max_resolution) < base_resolution:
            raise ValueError(f"HashGrid: max_resolution ({max_resolution}) must be ≥ base_resolution ({base_resolution})")
        self.growth, self.resolutions = level_resolutions(levels, base_resolution, max_resolution)  # b, N_l
        table_size = 2**log2_table_size
        self.dense = [(n + 1) ** in_features <= table_size for n in self.resolutions]
        check_count_memory("HashGrid", f"{levels} tables of up to 2^{log2_table_size} rows × {features_per_level}",
                           self.parameter_count(in_features, levels, features_per_level, log2_table_size,
                                                base_resolution, max_resolution))
        self.tables = nn.ParameterList(
            nn.Parameter(torch.empty((n + 1) ** in_features if dense else table_size, features_per_level).uniform_(-1e-4, 1e-4))
            for n, dense in zip(self.resolutions, self.dense)
        )  # level l: [rows_l, F]
        self.out_features = levels * features_per_level
        self.register_buffer("corners", _unit_cube_corners(in_features), persistent=False)  # [2^d, d] of 0/1

    @staticmethod
    def parameter_count(in_features: int = 2, levels: int = 16, features_per_level: int = 2, log2_table_size: int = 14,
                        base_resolution: int = 16, max_resolution: int = 256) -> int:
        """The encoding's memory in parameters, without building it: Σ_l min((N_l + 1)^d, T) · F."""
        _, resolutions = level_resolutions(levels, base_resolution, max_resolution)
        return sum(min((n + 1) ** in_features, 2**log2_table_size) for n in resolutions) * features_per_level

    def vertex_index(self, level: int, vertices: torch.Tensor) -> torch.Tensor:
        """Table rows of integer ``vertices [N, d]`` at ``level``: a dense index if the level is dense, else the hash."""
        if self.dense[level]:
            strides = (self.resolutions[level] + 1) ** torch.arange(self.in_features, device=vertices.device)
            return (vertices.long() * strides).sum(dim=1)  # [N]
        return spatial_hash(vertices, self.log2_table_size)  # [N]

    def vertices(self, level: int) -> torch.Tensor:
        """All (N_l + 1)^d integer vertices of ``level`` ``[V, d]``, in a dense level's row order (x_0 fastest)."""
        side = self.resolutions[level] + 1
        row = torch.arange(side**self.in_features, device=self.corners.device)
        return row[:, None] // side ** torch.arange(self.in_features, device=row.device) % side  # [V, d]

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        check_coords(coords, self.in_features, type(self).__name__, device=self.tables[0].device)
        unit = ((coords.clamp(-1.0, 1.0) + 1) / 2).to(self.tables[0].dtype)  # [N, d] in [0, 1]
        features = []
        for level, (n, table) in enumerate(zip(self.resolutions, self.tables)):
            position = unit * (n - 1) + 0.5  # [N, d] in vertex units, in [0.5, N_l − 0.5]
            if self.dense[level]:
                features.append(self._dense_lookup(level, table, position))  # [N, F]
            elif (n + 1) ** self.in_features <= len(coords) * len(self.corners):  # fewer vertices than corners
                vertex_features = table[self.vertex_index(level, self.vertices(level))]  # [(N_l + 1)^d, F]
                features.append(self._dense_lookup(level, vertex_features, position))
            else:
                features.append(self._hashed_lookup(level, table, position))
        return torch.cat(features, dim=1)  # [N, L·F]

    def _dense_lookup(self, level: int, table: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        """d-linear interpolation of a level's vertex features ``table [(N_l + 1)^d, F]`` (one row per vertex, in
        dense order, x_0 fastest), read as a grid ``[F, (x_2,) x_1, x_0]`` by :func:`grid_lookup`."""
        side = self.resolutions[level] + 1
        return grid_lookup(table.T.reshape(self.features_per_level, *[side] * self.in_features), position)  # [N, F]

    def _hashed_lookup(self, level: int, table: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        """d-linear interpolation of the 2^d corners of each point's cell, gathered from the level's table."""
        floor = position.floor()
        pairs = torch.stack([1 - (position - floor), position - floor], dim=2)  # [N, d, 2]: weights of x_i and x_i + 1
        weights = pairs[:, 0]  # [N, 2]
        for i in range(1, self.in_features):  # outer products: corner k takes bit i of k along axis i
            weights = (pairs[:, i, :, None] * weights[:, None, :]).flatten(1)  # [N, 2^(i+1)]
        vertices = floor.long()[:, None, :] + self.corners.long()  # [N, 2^d, d]
        rows = self.vertex_index(level, vertices.reshape(-1, self.in_features)).reshape(weights.shape)  # [N, 2^d]
        return (weights[..., None] * table[rows]).sum(dim=1)  # [N, F]


class DenseGrid(nn.Module):
    """Multiresolution dense grid: Instant-NGP's encoding with every level stored densely, no hash (Müller et al.
    2022, Fig. 2; the official ``configs/nerf/densegrid.json``). One level is a plain voxel grid (Plenoxels, DVGO).

    Level l has the resolution N_l = ⌊N_min · b^l⌋ of :func:`level_resolutions`, places a point u ∈ [0, 1]^d at
    p = u (N_l − 1) + 0.5 and interpolates d-linearly, exactly as :class:`HashGrid` does, but stores all of its
    (N_l + 1)^d vertices: memory Σ_l (N_l + 1)^d · F, growing with the d-th power of the finest resolution.
    The defaults are the official dense baseline's: L = 8 levels from N_min = 16, F = 2; entries start U(±1e-4).
    Input ``[N, in_features]`` in [−1, 1] (clamped onto the border) → output ``[N, levels * features_per_level]``.
    """

    def __init__(self, in_features: int = 2, levels: int = 8, features_per_level: int = 2, base_resolution: int = 16,
                 max_resolution: int = 128):
        super().__init__()
        self.in_features = check_positive_int("DenseGrid: in_features", in_features)
        if in_features > 3:
            raise ValueError(f"DenseGrid: in_features must be 1, 2 or 3, got {in_features}")
        self.levels = check_positive_int("DenseGrid: levels", levels)
        self.features_per_level = check_positive_int("DenseGrid: features_per_level", features_per_level)
        check_positive_int("DenseGrid: base_resolution", base_resolution)
        if check_positive_int("DenseGrid: max_resolution", max_resolution) < base_resolution:
            raise ValueError(f"DenseGrid: max_resolution ({max_resolution}) must be ≥ base_resolution ({base_resolution})")
        self.growth, self.resolutions = level_resolutions(levels, base_resolution, max_resolution)  # b, N_l
        check_count_memory("DenseGrid", f"{levels} dense levels up to {max_resolution}^{in_features}",
                           self.parameter_count(in_features, levels, features_per_level, base_resolution, max_resolution))
        self.grids = nn.ParameterList(
            nn.Parameter(torch.empty(features_per_level, *[n + 1] * in_features).uniform_(-1e-4, 1e-4))
            for n in self.resolutions
        )  # level l: [F, (N_l + 1,) N_l + 1, N_l + 1], vertex (x_0, x_1, x_2) at [:, x_2, x_1, x_0]
        self.out_features = levels * features_per_level

    @staticmethod
    def parameter_count(in_features: int = 2, levels: int = 8, features_per_level: int = 2, base_resolution: int = 16,
                        max_resolution: int = 128) -> int:
        """The encoding's memory in parameters, without building it: Σ_l (N_l + 1)^d · F."""
        _, resolutions = level_resolutions(levels, base_resolution, max_resolution)
        return sum((n + 1) ** in_features for n in resolutions) * features_per_level

    @classmethod
    def within(cls, budget: int, in_features: int = 2, levels: int = 8, features_per_level: int = 2,
               base_resolution: int = 16, largest: int = 4096) -> "DenseGrid":
        """The grid with the finest resolution N_max ≤ ``largest`` whose memory fits ``budget`` parameters (an
        equal-memory rival to a hash grid of ``budget`` parameters). With one level, N_min = N_max = that resolution."""
        check_positive_int("DenseGrid.within: budget", budget)

        def count(n: int) -> int:
            return cls.parameter_count(in_features, levels, features_per_level, n if levels == 1 else base_resolution, n)

        low = 1 if levels == 1 else base_resolution
        if count(low) > budget:
            raise ValueError(f"DenseGrid.within: {budget:,} parameters cannot hold even the coarsest grid "
                             f"({count(low):,} parameters at N_max = {low}): give a larger budget or fewer levels")
        n = max(m for m in range(low, max(low, largest) + 1) if count(m) <= budget)
        return cls(in_features, levels, features_per_level, n if levels == 1 else base_resolution, n)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        check_coords(coords, self.in_features, type(self).__name__, device=self.grids[0].device)
        unit = ((coords.clamp(-1.0, 1.0) + 1) / 2).to(self.grids[0].dtype)  # [N, d] in [0, 1]
        features = [grid_lookup(grid, unit * (n - 1) + 0.5) for n, grid in zip(self.resolutions, self.grids)]  # [N, F] each
        return torch.cat(features, dim=1)  # [N, L·F]


TRIPLANE_AXES = ((0, 1), (0, 2), (1, 2))
"""The tri-plane's planes as the pairs of axes (a, b) they span: xy, xz, yz."""
EG3D_RELEASED_AXES = ((0, 1), (0, 2), (2, 0))
"""The planes of EG3D's released code: xy, xz and zx, a transposed copy of xz, so no plane spans y and z
(NVlabs/eg3d issues #30 and #67; kept there so that the trained checkpoints still load)."""


class TriPlane(nn.Module):
    """Tri-plane features (Chan et al. 2022, EG3D, Sec. 4): three axis-aligned planes of C-vectors; a point is projected
    onto each, the planes are sampled bilinearly and the three features aggregated by summation:

        f(x, y, z) = P_xy(x, y) + P_xz(x, z) + P_yz(y, z).

    Memory 3 · N² · C for planes of N × N vertices: quadratic, not cubic, in the resolution; the price is that f is
    a sum of functions of two coordinates each, which the decoder must untangle. (EG3D's code takes the mean, i.e. the
    sum / 3, and its planes are generated by a StyleGAN2; here they are trained directly, entries starting U(±1e-4).)
    A point u ∈ [0, 1]³ sits at u (N − 1) in vertex units: the planes' corner vertices lie on the cube's corners.
    Input ``[N, 3]`` in [−1, 1] (clamped onto the border) → output ``[N, features]``.
    """

    def __init__(self, resolution: int = 64, features: int = 32, axes: tuple[tuple[int, int], ...] = TRIPLANE_AXES):
        super().__init__()
        self.resolution = check_positive_int("TriPlane: resolution", resolution)
        if resolution < 2:
            raise ValueError(f"TriPlane: resolution must be at least 2 vertices per side, got {resolution}")
        self.features = check_positive_int("TriPlane: features", features)
        self.axes = tuple(tuple(pair) for pair in axes)
        if len(self.axes) != 3 or not all(len(p) == 2 and p[0] != p[1] and set(p) <= {0, 1, 2} for p in self.axes):
            raise ValueError(f"TriPlane: axes must be three pairs of distinct axes in 0, 1, 2 such as {TRIPLANE_AXES}, got {axes!r}")
        self.in_features, self.out_features = 3, features
        check_count_memory("TriPlane", f"3 planes of {resolution}² × {features}", self.parameter_count(resolution, features))
        self.planes = nn.Parameter(torch.empty(3, features, resolution, resolution).uniform_(-1e-4, 1e-4))
        # plane k spans the axes self.axes[k] = (a, b): [C, N (along b), N (along a)]

    @staticmethod
    def parameter_count(resolution: int = 64, features: int = 32) -> int:
        """The encoding's memory in parameters: 3 · N² · C."""
        return 3 * resolution**2 * features

    @classmethod
    def within(cls, budget: int, features: int = 32, axes: tuple[tuple[int, int], ...] = TRIPLANE_AXES) -> "TriPlane":
        """The tri-plane of the largest resolution whose memory fits ``budget`` parameters."""
        check_positive_int("TriPlane.within: budget", budget)
        resolution = math.isqrt(budget // (3 * check_positive_int("TriPlane.within: features", features)))
        if resolution < 2:
            raise ValueError(f"TriPlane.within: {budget:,} parameters cannot hold three 2 × 2 planes of {features} "
                             f"features ({cls.parameter_count(2, features):,}): give a larger budget or fewer features")
        return cls(resolution, features, axes)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        check_coords(coords, 3, type(self).__name__, device=self.planes.device)
        position = ((coords.clamp(-1.0, 1.0) + 1) / 2).to(self.planes.dtype) * (self.resolution - 1)  # [N, 3]
        return sum(grid_lookup(plane, position[:, list(axes)]) for plane, axes in zip(self.planes, self.axes))  # [N, C]


def _unit_cube_corners(d: int) -> torch.Tensor:
    """The 2^d corners of the unit cube as 0/1 rows ``[2^d, d]``; bit i of the row number is coordinate i."""
    return torch.tensor([[(k >> i) & 1 for i in range(d)] for k in range(2**d)], dtype=torch.float32)
