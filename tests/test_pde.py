"""Appendix A5's science: the Helmholtz residual (autograd derivatives, the PML's stretch), the Gaussian source,
the free-space reference field, the official loss, and the procedural video clip."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nfteach.data import clip, grid, image
from nfteach.pde import (SOURCE_WEIGHT, HelmholtzLoss, gaussian_source, helmholtz_residual, pml_stretch, reference_field,
                         relative_error, source_disk)

K = 7.0


def test_the_residual_without_a_layer_is_the_autograd_laplacian_plus_k_squared_u():
    def field(x):  # Re u = sin 2x cos 3y (Δ = −13 Re u), Im u = x² y (Δ = 2y)
        return torch.stack([torch.sin(2 * x[:, 0]) * torch.cos(3 * x[:, 1]), x[:, 0] ** 2 * x[:, 1]], dim=1)

    coords = torch.rand(50, 2, dtype=torch.float64) * 2 - 1
    source = torch.rand(50, 2, dtype=torch.float64)
    got = helmholtz_residual(field, coords, K, source, pml_width=0)
    x, y = coords[:, 0], coords[:, 1]
    expected = torch.stack([(K**2 - 13) * torch.sin(2 * x) * torch.cos(3 * y), 2 * y + K**2 * x**2 * y], dim=1) - source
    torch.testing.assert_close(got, expected)


def test_the_residual_keeps_a_graph_to_the_weights_for_training():
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    r = helmholtz_residual(net, torch.rand(10, 2), K, torch.zeros(10, 2))
    r.abs().sum().backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0


def _stretched_wave(direction: int, width: float = 0.5, strength: float = 5.0):
    """e^{∓ikx} damped by e^{−∫s_x dx} in the layer, ∫s_x dx = k a0 d³ / (3L²) (d the depth): for the outgoing
    wave (+1) this is e^{−ik x̃} with x̃ = x − (i/k)∫s_x dx, an exact solution of the stretched equation."""
    def field(x):
        depth = (x[:, 0] - (1 - width)).clamp(min=0)
        damping = K * strength * depth**3 / (3 * width**2)
        phase = -direction * K * x[:, 0]
        magnitude = torch.exp(-damping)
        return torch.stack([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=1)
    return field


def test_the_layer_absorbs_the_outgoing_wave_exactly_and_not_the_incoming_one():
    coords = torch.stack([torch.linspace(0.0, 0.99, 60), torch.linspace(-0.4, 0.4, 60)], dim=1).double()
    zero = torch.zeros_like(coords)
    outgoing = helmholtz_residual(_stretched_wave(+1), coords, K, zero)  # e^{−ikx}: outgoing for e^{+iωt}
    assert outgoing.abs().max() < 1e-9
    incoming = helmholtz_residual(_stretched_wave(-1), coords, K, zero)  # a wave coming in would grow instead
    assert incoming[coords[:, 0] > 0.6].abs().max() > 1.0 and incoming[coords[:, 0] < 0.5].abs().max() < 1e-9


def test_the_stretch_is_one_outside_the_layer_and_grows_quadratically_inside():
    coords = torch.tensor([[0.0, 0.3], [0.75, -0.5], [-1.0, 0.9]])
    ex, ey, dex, dey = pml_stretch(coords, k=20.0, width=0.5, strength=5.0)
    assert torch.allclose(ex[0], torch.tensor(1 + 0j)) and torch.allclose(ey[:2], torch.tensor([1 + 0j, 1 + 0j]))
    assert torch.allclose(ex[1], torch.tensor(1 - 5.0 * 0.25j))          # s/k = a0 (d/L)² = 5 · ½²
    assert torch.allclose(ex[2], torch.tensor(1 - 5.0j))                 # at the border: 1 − i a0
    assert torch.allclose(dex[1], torch.tensor(-5.0 * 2 * 0.5 / 0.5 * 1j))   # ∂x(s/k) = 2 a0 d / L², times −i
    assert torch.allclose(ey[2], torch.tensor(1 - 5.0 * 0.64j))
    assert all(torch.equal(e, torch.ones_like(e)) for e in pml_stretch(coords, 20.0, width=0)[:2])


def test_the_gaussian_source_integrates_to_its_amplitude_and_is_zero_far_away():
    n = 400
    cells = grid(n, n, bounds=(-0.2, 0.2)).double()
    values = gaussian_source(cells, center=(0.03, -0.02), sigma=0.02, amplitude=2 - 1j)
    total = values.sum(dim=0) * (0.4 / n) ** 2
    torch.testing.assert_close(total, torch.tensor([2.0, -1.0], dtype=torch.float64), atol=1e-4, rtol=0)
    assert float(values.abs().max()) == pytest.approx(2 / (2 * math.pi * 0.02**2), rel=0.01)   # the peak of Re f
    far = gaussian_source(torch.tensor([[0.5, 0.5]]), sigma=0.02)
    assert torch.equal(far, torch.zeros(1, 2))  # below 1e-5: no source there (the official threshold)


def test_the_source_disk_has_radius_five_sigma():
    points = source_disk(2000, center=(0.1, 0.0), sigma=0.02, seed=0)
    distance = (points - torch.tensor([0.1, 0.0])).norm(dim=1)
    assert points.shape == (2000, 2) and distance.max() <= 0.1 + 1e-6 and distance.max() > 0.099
    assert abs(float((distance < 0.05).float().mean()) - 0.25) < 0.04  # uniform in area: a quarter inside r/2


def test_the_reference_field_solves_helmholtz_away_from_the_source_and_is_outgoing():
    k, h = 15.0, 1e-3
    points = torch.tensor([[0.3, 0.1], [-0.2, 0.4], [0.0, -0.6]], dtype=torch.float64)
    u = lambda p: reference_field(p, k, sigma=0.0 + 1e-9).double()
    lap = sum(u(points + h * e) + u(points - h * e) - 2 * u(points) for e in torch.eye(2, dtype=torch.float64)) / h**2
    assert (lap + k**2 * u(points)).abs().max() < 1e-3 * (k**2 * u(points)).abs().max()
    far = torch.tensor([[2.0, 0.0], [2.01, 0.0]], dtype=torch.float64)
    phase = torch.atan2(u(far)[:, 1], u(far)[:, 0])
    assert float(phase[1] - phase[0]) == pytest.approx(-k * 0.01, rel=0.02)   # e^{−ikr}: H0⁽²⁾


def test_the_reference_field_scales_with_the_amplitude_and_the_gaussians_transform():
    points = torch.tensor([[0.5, 0.0]], dtype=torch.float64)
    point = reference_field(points, 20.0, sigma=1e-9, amplitude=1.0)
    smooth = reference_field(points, 20.0, sigma=0.05, amplitude=1.0)
    torch.testing.assert_close(smooth, point * math.exp(-0.5 * (20 * 0.05) ** 2))
    from scipy.special import hankel2
    expected = 0.25j * hankel2(0, 10.0)
    torch.testing.assert_close(point[0], torch.tensor([expected.real, expected.imag], dtype=torch.float64))
    assert relative_error(2 * point, point) == pytest.approx(1.0)


def test_the_loss_weighs_a_source_point_as_the_official_batch_over_1000():
    assert SOURCE_WEIGHT == 53.0
    zero_field = lambda x: 0 * torch.sin(x)  # u = 0, with derivatives of every order in the graph
    disk = source_disk(50, sigma=0.01, seed=1)
    values = gaussian_source(disk, sigma=0.01)
    loss = HelmholtzLoss(k=K, points=150, sigma=0.01)
    torch.manual_seed(0)
    got = loss(zero_field, disk, values)
    torch.manual_seed(0)
    uniform = torch.rand(150, 2) * 2 - 1
    f = torch.cat([gaussian_source(uniform, sigma=0.01), values])
    assert float(got) == pytest.approx(SOURCE_WEIGHT * float(f.abs().sum()) / 200, rel=1e-5)   # r = −f: all on the source


def test_the_clip_has_its_shape_range_and_motion():
    video = clip("astronaut", frames=6, size=24)
    assert video.shape == (6, 24, 24, 3) and video.dtype == torch.float32
    assert 0 <= float(video.min()) and float(video.max()) <= 1
    first = image("astronaut", size=48, gray=False)[12:36, 12:36]      # frame 0: the centred half, not turned
    assert (video[0] - first).abs().mean() < 0.02
    steps = [(video[j + 1] - video[j]).abs().mean() for j in range(5)]
    assert min(steps) > 0.01                                             # it moves every frame
    assert clip("camera", frames=3, size=8, gray=True).shape == (3, 8, 8, 1)


@pytest.mark.parametrize("kwargs, message", [({"frames": 1}, "at least 2"), ({"shift": (0.3, 0.0)}, "at most 0.25"),
                                             ({"size": 0}, "size must be a positive integer")])
def test_the_clip_refuses_what_it_cannot_make(kwargs, message):
    with pytest.raises(ValueError, match=message):
        clip(**kwargs)


def test_the_clip_lines_up_with_the_time_space_grid():
    video = clip(frames=4, size=8)
    coords = grid(4, 8, 8)
    assert coords.shape == (4 * 64, 3) and video.reshape(-1, 3).shape == (4 * 64, 3)
    assert torch.equal(coords.reshape(4, 8, 8, 3)[2, :, :, 0], torch.full((8, 8), coords.reshape(4, 8, 8, 3)[2, 0, 0, 0]))
