"""A neural radiance field at laptop scale (Mildenhall et al. 2020): samples along rays, a field, volume rendering.

A ray r(t) = o + t·d (unit d, so t is a distance) meets S samples t_1 < … < t_S in [near, far]. The field gives a
density σ ≥ 0 and a colour c at each; the quadrature of the volume-rendering integral (the paper's eq. 3)

    α_i = 1 − exp(−σ_i δ_i),  δ_i = t_{i+1} − t_i,   T_i = Π_{j<i} (1 − α_j),   w_i = T_i α_i,
    Ĉ(r) = Σ_i w_i c_i,   depth(r) = Σ_i w_i t_i,

turns them into a pixel. Everything here is batched over rays in torch; cameras and rays come from
:mod:`nfteach.raytrace` (the same pinhole camera that sphere-traces the ground truth).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nfteach._checks import check_coords, check_count_memory, check_number, check_positive_int, check_positive_number, check_tensor
from nfteach.encodings import PositionalEncoding
from nfteach.models import MLP

LAST_DELTA = 1e10
"""δ of the last sample, as in the official code: the last sample absorbs whatever light is left (α_S ≈ 1 if σ_S > 0)."""


def stratified_samples(rays: int, near: float, far: float, samples: int, perturb: bool = True,
                       generator: torch.Generator | None = None, device: torch.device | str = "cpu") -> torch.Tensor:
    """Sample depths ``[rays, samples]``: one uniform draw in each of S equal bins of [near, far] (the paper's eq. 2).

    ``perturb=False`` takes the bin centres instead (deterministic, for evaluation). Training on fresh draws every
    step lets the field see the whole ray rather than S fixed depths.
    """
    check_positive_int("stratified_samples: rays", rays, allow_zero=True)
    check_positive_int("stratified_samples: samples", samples)
    _check_depths(near, far, "stratified_samples")
    check_count_memory("stratified_samples", f"{rays:,} rays × {samples} samples", 2 * rays * samples)
    width = (far - near) / samples
    starts = near + width * torch.arange(samples, dtype=torch.float32, device=device)  # [S]
    offsets = torch.rand(rays, samples, generator=generator, device=device) if perturb else torch.full((rays, samples), 0.5, device=device)
    return starts + width * offsets  # [R, S]


def _check_depths(near: float, far: float, where: str) -> None:
    check_number(f"{where}: near", near, 0.0), check_number(f"{where}: far", far, 0.0)
    if not near < far:
        raise ValueError(f"{where}: need 0 ≤ near < far, got near={near!r}, far={far!r}")


def composite(sigma: torch.Tensor, rgb: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The volume-rendering quadrature: ``sigma [R, S]``, ``rgb [R, S, 3]``, ``t [R, S]`` → (rgb [R, 3], depth [R], weights [R, S]).

    α_i = 1 − exp(−σ_i δ_i) with δ_i = t_{i+1} − t_i and the last δ = 1e10 (official code); T_i = Π_{j<i}(1 − α_j);
    w_i = T_i α_i. So Σ_i w_i = 1 − Π_i (1 − α_i): one minus the light that passes every sample.
    Densities must be ≥ 0 and depths non-decreasing along each ray (else the weights leave [0, 1]); the values are
    checked here, once per call, and not inside :func:`render_rays` (a training step), whose inputs hold both.
    """
    for name, value, shape in (("sigma", sigma, "[R, S]"), ("rgb", rgb, "[R, S, 3]"), ("t", t, "[R, S]")):
        check_tensor(value, f"composite: {name}", shape)
        if not value.is_floating_point():
            raise ValueError(f"composite: {name} must be a real floating tensor, got dtype {value.dtype}")
    _check_shapes(sigma, rgb, t)
    if bool((sigma < 0).any()) or not bool(torch.isfinite(sigma).all()):
        raise ValueError("composite: sigma must be finite densities ≥ 0 (a radiance field puts ReLU or softplus on "
                         "them), got negative, NaN or infinite values")
    if bool((t[:, 1:] < t[:, :-1]).any()) or not bool(torch.isfinite(t).all()):
        raise ValueError("composite: t must be finite depths, non-decreasing along each ray: sort them with t.sort(dim=1)")
    return _composite(sigma, rgb, t)


def _check_shapes(sigma: torch.Tensor, rgb: torch.Tensor, t: torch.Tensor) -> None:
    if sigma.ndim != 2 or t.shape != sigma.shape or rgb.shape != (*sigma.shape, 3):
        raise ValueError(f"composite: expected sigma [R, S], rgb [R, S, 3], t [R, S], got {list(sigma.shape)}, "
                         f"{list(rgb.shape)}, {list(t.shape)}")


def _composite(sigma: torch.Tensor, rgb: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """:func:`composite` without the checks of the values (render_rays' samples are sorted, its densities ReLU'd)."""
    _check_shapes(sigma, rgb, t)
    delta = torch.cat([t[:, 1:] - t[:, :-1], torch.full_like(t[:, :1], LAST_DELTA)], dim=1)  # [R, S]
    alpha = 1 - torch.exp(-sigma * delta)  # [R, S]
    passed = torch.cumprod(1 - alpha + 1e-10, dim=1)  # [R, S]: light left after sample i (+1e-10 as the official code)
    transmittance = torch.cat([torch.ones_like(passed[:, :1]), passed[:, :-1]], dim=1)  # [R, S]: T_i, before sample i
    weights = transmittance * alpha  # [R, S]
    return (weights[..., None] * rgb).sum(dim=1), (weights * t).sum(dim=1), weights


class RadianceField(nn.Module):
    """F(x) = (σ, c): positional encoding γ(x) of the point → MLP → σ = ReLU(·), c = sigmoid(·) (Mildenhall et al. 2020).

    As in the official tiny NeRF, colour does not depend on the viewing direction (the scenes here are diffuse).
    The paper's network is 8 × 256 with a skip connection; ``hidden_layers`` + 1 layers of ``hidden_features`` here.
    ``num_frequencies=0`` feeds the raw xyz (no encoding). Input ``[N, 3]`` → (σ ``[N]``, rgb ``[N, 3]``).
    """

    def __init__(self, num_frequencies: int = 6, hidden_features: int = 64, hidden_layers: int = 3):
        super().__init__()
        check_positive_int("RadianceField: num_frequencies", num_frequencies, allow_zero=True)
        check_positive_int("RadianceField: hidden_features", hidden_features)
        check_positive_int("RadianceField: hidden_layers", hidden_layers, allow_zero=True)
        self.net = MLP(3, hidden_features, hidden_layers, 4, encoding=PositionalEncoding(3, num_frequencies))

    def forward(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weight = self.net.net[0].weight
        check_coords(points, 3, "RadianceField", weight.dtype, weight.device, name="points")
        raw = self.net(points)  # [N, 4]
        return torch.relu(raw[:, 0]), torch.sigmoid(raw[:, 1:])  # [N], [N, 3]


@dataclass(frozen=True)
class Rays:
    """How rays are sampled: S samples between ``near`` and ``far``, stratified while training."""

    near: float = 1.0
    far: float = 4.0
    samples: int = 32

    def __post_init__(self):
        check_positive_int("Rays: samples", self.samples)
        _check_depths(self.near, self.far, "Rays")


def render_rays(field: nn.Module, origins: torch.Tensor, directions: torch.Tensor, rays: Rays = Rays(),
                perturb: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Render ``origins, directions [R, 3]`` (unit directions) through ``field`` → (rgb [R, 3], depth [R], weights [R, S])."""
    if not callable(field):
        raise ValueError(f"render_rays: field must be a radiance field (points → (σ, rgb)), got {type(field).__name__}")
    if not isinstance(rays, Rays):
        raise ValueError(f"render_rays: rays must be a nerf.Rays (near, far, samples), got {type(rays).__name__}")
    check_tensor(origins, "render_rays: origins", "[R, 3]"), check_tensor(directions, "render_rays: directions", "[R, 3]")
    if origins.shape != directions.shape or origins.ndim != 2 or origins.shape[1] != 3:
        raise ValueError(f"render_rays: origins and directions must both be [R, 3], got "
                         f"{list(origins.shape)} and {list(directions.shape)}")
    t = stratified_samples(len(origins), rays.near, rays.far, rays.samples, perturb, device=origins.device)  # [R, S]
    points = origins[:, None, :] + t[..., None] * directions[:, None, :]  # [R, S, 3]
    sigma, rgb = field(points.reshape(-1, 3))
    return _composite(sigma.reshape(t.shape), rgb.reshape(*t.shape, 3), t)


def nerf_loss(rays: Rays = Rays()):
    """The training step's loss for :func:`nfteach.train.fit`: MSE of rendered against true pixel colours.

    ``fit`` draws a random batch of rays; its "coordinates" are rays ``[B, 6]`` (origin, unit direction) and its
    targets their colours ``[B, 3]``; the samples along each ray are drawn afresh (stratified) at every step.
    """

    def loss(field: nn.Module, ray_batch: torch.Tensor, colours: torch.Tensor) -> torch.Tensor:
        rgb, _, _ = render_rays(field, ray_batch[:, :3], ray_batch[:, 3:], rays, perturb=True)
        return torch.mean((rgb - colours) ** 2)

    return loss


@torch.no_grad()
def render_view(field: nn.Module, origins: torch.Tensor, directions: torch.Tensor, rays: Rays = Rays(),
                chunk: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """(rgb [R, 3], depth [R]) of every ray, in chunks, without gradients, on the bin centres; results on the CPU."""
    check_positive_int("render_view: chunk", chunk)
    parameter = next(field.parameters(), None) if isinstance(field, nn.Module) else None
    if parameter is None:
        raise ValueError(f"render_view: field must be an nn.Module with parameters, got {type(field).__name__}")
    check_tensor(origins, "render_view: origins", "[R, 3]"), check_tensor(directions, "render_view: directions", "[R, 3]")
    device = parameter.device
    colours, depths = [], []
    for o, d in zip(origins.split(chunk), directions.split(chunk)):
        rgb, depth, _ = render_rays(field, o.to(device), d.to(device), rays)
        colours.append(rgb.cpu())
        depths.append(depth.cpu())
    return torch.cat(colours), torch.cat(depths)


def ring_eye(angle: float, radius: float = 2.5, height: float = 0.8) -> torch.Tensor:
    """A camera position ``[3]`` on a horizontal circle of ``radius`` around the y axis, ``angle`` degrees from +z."""
    check_positive_number("ring_eye: radius", radius)
    check_number("ring_eye: angle (degrees)", angle), check_number("ring_eye: height", height)
    theta = torch.deg2rad(torch.tensor(float(angle)))
    return torch.stack([radius * torch.sin(theta), torch.tensor(float(height)), radius * torch.cos(theta)])


def ring_cameras(count: int, radius: float = 2.5, height: float = 0.8) -> torch.Tensor:
    """``count`` camera positions ``[count, 3]`` evenly spaced on a horizontal ring (:func:`ring_eye`), looking in."""
    check_positive_int("ring_cameras: count", count)
    check_count_memory("ring_cameras", f"count={count} cameras", 256 * count)  # a few small tensors per camera
    return torch.stack([ring_eye(360.0 * k / count, radius, height) for k in range(count)])
