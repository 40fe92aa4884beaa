"""A wave equation solved by a network from the equation alone: the Helmholtz problem of SIREN (Sitzmann et al.
2020, Sec. 4.3; official ``train_helmholtz.py``, ``dataio.SingleHelmholtzSource``, ``loss_functions.helmholtz_pml``).

No sample of the field is shown to the network: only its derivatives are supervised, through the residual of

    Δu + k² u = f,    f(x) = s · N(x; x0, σ²)     (a point source of complex amplitude s, smoothed to a Gaussian)

for a complex field u on [−1, 1]² (the network's two outputs are Re u and Im u). Without a boundary condition
the equation has many solutions; a perfectly matched layer (PML) of width L along the borders picks the
outgoing one by stretching the coordinates into the complex plane, x̃ = ∫ e_x dx with e_x = 1 − i s_x / k and
s_x = k a0 (d/L)² at depth d into the layer. The equation in stretched coordinates, as in the official code:

    ∂x(e_y/e_x ∂x u) + ∂y(e_x/e_y ∂y u) + e_x e_y k² u = f.

Inside the layer-free square it is Δu + k²u = f, and the outgoing field of the source is

    u(x) = s · e^{−k²σ²/2} · (i/4) H0⁽²⁾(k |x − x0|)        (|x − x0| ≫ σ; :func:`reference_field`),

the free-space Green's function (outgoing for a time dependence e^{+iωt}, the one this PML absorbs) times the
Gaussian's Fourier transform at k. Derivatives are taken by autograd with ``create_graph=True`` (a double
backward: it cannot be ``torch.compile``d).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nfteach import seeding
from nfteach._checks import check_coords, check_number, check_positive_int, check_positive_number

OFFICIAL = {"side": 230, "k": 20.0, "sigma": 0.01, "source_samples": 100, "amplitude": 1 + 1j, "pml_width": 0.5,
            "pml_strength": 5.0, "lr": 2e-5, "steps": 50_000, "hidden_features": 256, "hidden_layers": 3}
"""The official Helmholtz run: 230² uniform points a step plus 100 in the source's disk, k = 20, a source of
amplitude 1 + i whose Gaussian has variance 1e-4 (σ = 0.01), a PML 0.5 wide with a0 = 5, SIREN 3 × 256, Adam lr 2e-5
for 50k steps. (The official code writes the variance as ``sigma``; here σ is the standard deviation.)"""


def gaussian_source(coords: torch.Tensor, center: tuple[float, float] = (0.0, 0.0), sigma: float = 0.01,
                    amplitude: complex = 1 + 1j) -> torch.Tensor:
    """f(x) = s · exp(−|x − x0|² / (2σ²)) / (2πσ²): a source of amplitude s whose integral over the plane is s.

    ``coords [N, 2]`` → ``[N, 2]`` (Re f, Im f). As in the official code, values below 1e-5 are set to 0: the
    loss treats a point as a source point where f ≠ 0.
    """
    check_coords(coords, 2, "gaussian_source")
    check_positive_number("gaussian_source: sigma", sigma)
    amplitude = complex(amplitude)
    squared = ((coords - coords.new_tensor(center)) ** 2).sum(dim=1, keepdim=True)  # [N, 1]
    density = torch.exp(-squared / (2 * sigma**2)) / (2 * math.pi * sigma**2)  # [N, 1]
    values = density * coords.new_tensor([amplitude.real, amplitude.imag])  # [N, 2]
    return torch.where(values.abs() < 1e-5, torch.zeros_like(values), values)


def source_disk(n: int, center: tuple[float, float] = (0.0, 0.0), sigma: float = 0.01,
                seed: int | None = None) -> torch.Tensor:
    """``n`` points uniform in the disk of radius 5σ around the source ``[n, 2]`` (the official sampler: r = 5σ√U)."""
    check_positive_int("source_disk: n", n)
    check_positive_number("source_disk: sigma", sigma)
    generator = seeding.generator(seed)
    radius = 5 * sigma * torch.rand(n, 1, generator=generator).sqrt()
    angle = 2 * math.pi * torch.rand(n, 1, generator=generator)
    return torch.cat([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1) + torch.tensor(center)  # [n, 2]


def pml_stretch(coords: torch.Tensor, k: float, width: float = 0.5, strength: float = 5.0) -> tuple[torch.Tensor, ...]:
    """The complex stretch factors e_x = 1 − i s_x/k, e_y = 1 − i s_y/k, s = k a0 (d/L)² at depth d into the layer,
    and their derivatives ∂x e_x, ∂y e_y.

    ``coords [N, 2]`` in [−1, 1]² → ``(e_x, e_y, ∂x e_x, ∂y e_y)``, complex ``[N]`` each; e = 1 and ∂e = 0 outside
    the layer (width L ≤ 1, strength a0). ``width=0`` means no layer.
    """
    check_coords(coords, 2, "pml_stretch")
    check_positive_number("pml_stretch: k", k)
    check_number("pml_stretch: width", width, 0.0, 1.0)
    check_number("pml_stretch: strength", strength, 0.0)
    coords = coords.detach()
    if width == 0:
        one = torch.ones_like(coords)
        stretch, slope = torch.complex(one, 0 * one), torch.complex(0 * one, 0 * one)
    else:
        depth = (coords.abs() - (1 - width)).clamp(min=0) / width  # [N, 2]: d/L per axis
        s = k * strength * depth**2  # [N, 2]
        ds = k * strength * 2 * depth / width * coords.sign()  # [N, 2]: ∂s_x/∂x, ∂s_y/∂y
        stretch, slope = torch.complex(torch.ones_like(s), -s / k), torch.complex(torch.zeros_like(s), -ds / k)
    return stretch[:, 0], stretch[:, 1], slope[:, 0], slope[:, 1]


def helmholtz_residual(model: nn.Module, coords: torch.Tensor, k: float, source: torch.Tensor,
                       pml_width: float = 0.5, pml_strength: float = 5.0) -> torch.Tensor:
    """r = ∂x(e_y/e_x ∂x u) + ∂y(e_x/e_y ∂y u) + e_x e_y k² u − f, by autograd, differentiable (for training).

    ``model`` maps ``coords [N, 2]`` to ``[N, 2]`` = (Re u, Im u); ``source [N, 2]`` is (Re f, Im f) at the coords.
    Returns ``[N, 2]`` = (Re r, Im r). With ``pml_width=0`` it is Δu + k²u − f. The product rule is applied by
    hand, ∂x(a ∂x u) = a ∂²x u + (∂x a) ∂x u with a = e_y/e_x, ∂x a = −e_y ∂x e_x / e_x² (e_x depends on x only):
    the network's derivatives are then taken by autograd alone, u's second derivatives four backward passes.
    """
    check_coords(coords, 2, "helmholtz_residual")
    check_coords(source, 2, "helmholtz_residual", name="source")
    if len(source) != len(coords):
        raise ValueError(f"helmholtz_residual: one source value per point expected, got {len(source)} for {len(coords)} coords")
    x = coords.detach().requires_grad_(True)
    out = model(x)  # [N, 2]
    if out.ndim != 2 or out.shape[1] != 2:
        raise ValueError(f"helmholtz_residual: the model must output (Re u, Im u) per point [N, 2], got {list(out.shape)}")
    first = [_grad(out[:, c], x) for c in range(2)]  # ∇Re u, ∇Im u: [N, 2] each
    second = [[_grad(first[c][:, i], x)[:, i] for i in range(2)] for c in range(2)]  # ∂²_i of Re u, Im u: [N]
    u = torch.complex(out[:, 0], out[:, 1])  # [N]
    du = [torch.complex(first[0][:, i], first[1][:, i]) for i in range(2)]  # ∂x u, ∂y u
    ddu = [torch.complex(second[0][i], second[1][i]) for i in range(2)]  # ∂²x u, ∂²y u
    ex, ey, dex, dey = pml_stretch(x, k, pml_width, pml_strength)
    r = (ey / ex * ddu[0] - ey * dex / ex**2 * du[0] + ex / ey * ddu[1] - ex * dey / ey**2 * du[1]
         + ex * ey * k**2 * u - torch.complex(source[:, 0], source[:, 1]))  # [N]
    return torch.stack([r.real, r.imag], dim=1)  # [N, 2]


def _grad(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """∇ of ``values [N]`` (each depends on its own row of x only) with respect to ``x [N, d]``, graph kept."""
    return torch.autograd.grad(values.sum(), x, create_graph=True)[0]  # [N, d]


SOURCE_WEIGHT = (230 * 230 + 100) / 1e3
"""The official loss's weight of a source point against an off-source one: B / 1000 for its batch B = 230² + 100."""


@dataclass
class HelmholtzLoss:
    """The official Helmholtz loss as a ``loss_fn(model, source_points, source_values)`` for :func:`nfteach.train.fit`.

    Each call draws ``points`` uniform points in [−1, 1]² (fresh every step, as the official sampler) and adds the
    batch of points near the source that ``fit`` hands over (``source_values`` = :func:`gaussian_source` there,
    e.g. ``fit(net, disk, gaussian_source(disk), loss_fn=HelmholtzLoss(), batch_size=100)``). With r the residual
    of :func:`helmholtz_residual` and B the number of points, the official loss is Σ_{f=0} |r|₁ + w Σ_{f≠0} |r|₁
    with w = B / 1000 = 53 for its batch; a smaller batch keeps w = :data:`SOURCE_WEIGHT` (the weight of a source
    point against another point is the loss's definition, the batch size only its cost). Returned divided by B
    (Adam does not see a constant factor; the number stays readable).
    """

    k: float = 20.0
    points: int = 230 * 230
    sigma: float = 0.01
    center: tuple[float, float] = (0.0, 0.0)
    amplitude: complex = 1 + 1j
    pml_width: float = 0.5
    pml_strength: float = 5.0
    source_weight: float = SOURCE_WEIGHT

    def __post_init__(self) -> None:
        check_positive_number("HelmholtzLoss: k", self.k), check_positive_int("HelmholtzLoss: points", self.points)
        check_positive_number("HelmholtzLoss: sigma", self.sigma)
        check_number("HelmholtzLoss: source_weight", self.source_weight, 0.0)

    def __call__(self, model: nn.Module, source_points: torch.Tensor, source_values: torch.Tensor) -> torch.Tensor:
        uniform = torch.rand(self.points, 2, device=source_points.device) * 2 - 1  # [P, 2]
        coords = torch.cat([uniform, source_points])  # [B, 2]
        source = torch.cat([gaussian_source(uniform, self.center, self.sigma, self.amplitude), source_values])  # [B, 2]
        r = helmholtz_residual(model, coords, self.k, source, self.pml_width, self.pml_strength)  # [B, 2]
        on = (source != 0).any(dim=1, keepdim=True)  # [B, 1]
        off_term = torch.where(on, torch.zeros_like(r), r).abs().sum()
        on_term = torch.where(on, r, torch.zeros_like(r)).abs().sum()
        return (off_term + self.source_weight * on_term) / len(coords)


def reference_field(coords: torch.Tensor, k: float, center: tuple[float, float] = (0.0, 0.0), sigma: float = 0.01,
                    amplitude: complex = 1 + 1j) -> torch.Tensor:
    """The outgoing free-space field of :func:`gaussian_source`: s · e^{−k²σ²/2} · (i/4) H0⁽²⁾(k r), ``[N, 2]``.

    Exact for a point source; for the Gaussian it is exact wherever r ≫ σ (Graf's addition theorem: a radial source
    radiates like a point source of amplitude ∫ f J0(k r') dA = s e^{−k²σ²/2}). It holds in the square inside the
    PML; in the layer the network's field is damped on purpose. (The official ``gt`` has an extra factor h² = (2/230)²,
    a grid delta's weight, although its source, like this one, integrates to s.)
    """
    from scipy.special import hankel2

    check_coords(coords, 2, "reference_field")
    check_positive_number("reference_field: k", k)
    r = (coords.detach().cpu().double() - torch.tensor(center, dtype=torch.float64)).norm(dim=1).numpy()  # [N]
    field = complex(amplitude) * math.exp(-0.5 * (k * sigma) ** 2) * 0.25j * hankel2(0, k * np.maximum(r, 1e-6))
    return torch.from_numpy(np.stack([field.real, field.imag], axis=1)).to(coords.dtype)  # [N, 2]


def relative_error(field: torch.Tensor, reference: torch.Tensor) -> float:
    """‖u − u_ref‖ / ‖u_ref‖ over the given points (both ``[N, 2]`` = Re, Im)."""
    if field.shape != reference.shape:
        raise ValueError(f"relative_error: field and reference must have the same shape, got {list(field.shape)} "
                         f"and {list(reference.shape)}")
    return float((field - reference).norm() / reference.norm())
