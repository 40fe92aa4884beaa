"""Shapes composed of primitives: K spheres whose centres and radii are parameters, joined by a (smooth) union.

    soup = Spheres(8)                                  # K = 8 spheres
    values = soup(points)                              # [N, 3] → [N, K]: each sphere's SDF
    sdf = smooth_min_all(values, k=0.1)                # [N]: the composed shape (nfteach.shapes)

A hard min sends each point's gradient to one sphere only, so a sphere that is nowhere the nearest surface stops
learning (a dead primitive); a smooth min with radius k shares it among the spheres within k (UCSG-Net, CvxNet
and superquadric fits meet the same problem).
"""

from __future__ import annotations

import torch
from torch import nn

from nfteach import seeding
from nfteach._checks import check_coords, check_memory, check_positive_int, check_positive_number


class Spheres(nn.Module):
    """K spheres φ_k(p) = |p − c_k| − r_k with trainable centres c_k and radii r_k = softplus(ρ_k) > 0.

    Centres start uniform in the cube [−``extent``, ``extent``]³, radii at ``radius``.
    Input ``[N, 3]`` → output ``[N, K]`` (one SDF per sphere; compose them with :func:`nfteach.shapes.smooth_min_all`).
    """

    def __init__(self, count: int, extent: float = 0.6, radius: float = 0.15, seed: int | None = None):
        super().__init__()
        count = check_positive_int("Spheres: count", count)
        check_memory("Spheres", f"count={count} spheres", 4 * 4 * 4 * count)
        generator = seeding.generator(seed)
        extent, radius = check_positive_number("Spheres: extent", extent), check_positive_number("Spheres: radius", radius)
        self.centres = nn.Parameter(extent * (2 * torch.rand(count, 3, generator=generator) - 1))  # [K, 3]
        self.rho = nn.Parameter(torch.full((count,), radius).expm1().log())                        # softplus⁻¹(radius)

    @property
    def radii(self) -> torch.Tensor:
        return nn.functional.softplus(self.rho)  # [K]

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        check_coords(points, 3, "Spheres", self.centres.dtype, self.centres.device, name="points")
        return torch.cdist(points, self.centres) - self.radii  # [N, K]
