"""Coordinate encodings that let an MLP fit high frequencies (Tancik et al. 2020; Mildenhall et al. 2020)."""

from __future__ import annotations

import math

import torch
from torch import nn

from nfteach._checks import check_coords, check_finite, check_positive_int, check_positive_number


class PositionalEncoding(nn.Module):
    """NeRF's positional encoding γ(x) = [x, sin(2^0 πx), cos(2^0 πx), …, sin(2^{L-1} πx), cos(2^{L-1} πx)].

    Applied to each coordinate separately (Mildenhall et al. 2020, eq. 4), L = ``num_frequencies``.
    Input ``[N, in_features]`` → output ``[N, out_features]`` with
    ``out_features = in_features * (include_input + 2 L)``; the blocks are ordered
    ``[x, sin(2^0 π x), cos(2^0 π x), sin(2^1 π x), …]``, each block holding every coordinate.
    """

    def __init__(self, in_features: int, num_frequencies: int, include_input: bool = True):
        super().__init__()
        self.in_features = check_positive_int("in_features", in_features)
        self.num_frequencies = check_positive_int("num_frequencies", num_frequencies, allow_zero=True)
        self.include_input = include_input
        self.register_buffer("frequencies", math.pi * 2.0 ** torch.arange(num_frequencies, dtype=torch.float32))
        self.out_features = in_features * (int(include_input) + 2 * num_frequencies)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        check_coords(coords, self.in_features, type(self).__name__)
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

    def __init__(self, in_features: int, mapping_size: int, scale: float, seed: int = 0):
        super().__init__()
        check_positive_int("in_features", in_features)
        check_positive_int("mapping_size", mapping_size)
        if not 0 < scale < math.inf:
            raise ValueError(f"FourierFeatures: scale must be > 0 and finite, got {scale!r}")
        generator = torch.Generator().manual_seed(seed)
        self.register_buffer("B", scale * torch.randn(mapping_size, in_features, generator=generator))
        self.in_features = in_features
        self.out_features = 2 * mapping_size

    @classmethod
    def from_matrix(cls, B: torch.Tensor) -> "FourierFeatures":
        """A mapping with a given frequency matrix B ``[mapping_size, in_features]``."""
        B = torch.as_tensor(B, dtype=torch.float32)
        if B.ndim != 2:
            raise ValueError(f"FourierFeatures.from_matrix: B must be 2D [mapping_size, in_features], got {tuple(B.shape)}")
        check_finite("FourierFeatures.from_matrix: B", B)
        mapping = cls(B.shape[1], B.shape[0], scale=1.0)
        mapping.B.copy_(B)
        return mapping

    @classmethod
    def basic(cls, in_features: int) -> "FourierFeatures":
        """The paper's basic mapping, B = I: γ(v) = [cos 2πv, sin 2πv]."""
        return cls.from_matrix(torch.eye(check_positive_int("in_features", in_features)))

    @classmethod
    def positional(cls, in_features: int, num_frequencies: int, scale: float) -> "FourierFeatures":
        """The paper's positional mapping: axis-aligned frequencies scale^(j/m), j = 0 … m−1, m = num_frequencies."""
        check_positive_int("num_frequencies", num_frequencies)
        check_positive_number("FourierFeatures.positional: scale", scale)
        frequencies = scale ** (torch.arange(num_frequencies, dtype=torch.float32) / num_frequencies)
        return cls.from_matrix(torch.kron(frequencies[:, None], torch.eye(in_features)))

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        check_coords(coords, self.in_features, type(self).__name__, self.B.dtype)
        projected = 2 * math.pi * coords @ self.B.T  # [N, mapping_size]
        return torch.cat([torch.cos(projected), torch.sin(projected)], dim=1)  # [N, 2 * mapping_size]
