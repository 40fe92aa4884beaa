import math

import pytest
import torch

from nfteach.nerf import RadianceField, Rays, composite, nerf_loss, render_rays, render_view, stratified_samples


def test_stratified_samples_fall_one_per_bin():
    t = stratified_samples(500, 2.0, 6.0, 8, generator=torch.Generator().manual_seed(0))
    assert t.shape == (500, 8)
    bins = torch.floor((t - 2.0) / 0.5)
    assert torch.equal(bins, torch.arange(8.0).expand(500, 8))  # sample i lies in bin i
    assert abs((t - 2.0 - 0.5 * torch.arange(8)).std() - 0.5 / math.sqrt(12)) < 0.01  # uniform within each bin
    assert torch.allclose(stratified_samples(3, 2.0, 6.0, 4, perturb=False)[0], torch.tensor([2.5, 3.5, 4.5, 5.5]))


def test_weights_sum_to_one_minus_the_transmittance_past_the_last_sample():
    generator = torch.Generator().manual_seed(0)
    t = torch.sort(torch.rand(64, 16, generator=generator) * 4 + 2, dim=1).values
    sigma = torch.rand(64, 16, generator=generator) * 0.8
    sigma[:, -1] = 0  # the last sample (δ = 1e10) transparent, so light can get through
    _, _, weights = composite(sigma, torch.rand(64, 16, 3), t)
    delta = t[:, 1:] - t[:, :-1]
    transmittance = torch.exp(-(sigma[:, :-1] * delta).sum(dim=1))  # light that passes every sample
    assert torch.allclose(weights.sum(dim=1), 1 - transmittance, atol=1e-5)
    assert (transmittance > 0.05).all() and (transmittance < 0.95).all()  # a non-trivial case


def test_weights_follow_the_quadrature_formula():
    sigma = torch.tensor([[0.5, 1.0, 2.0]])
    t = torch.tensor([[1.0, 1.5, 2.5]])
    alpha = [1 - math.exp(-0.5 * 0.5), 1 - math.exp(-1.0 * 1.0), 1.0]  # last δ = 1e10
    expected = [alpha[0], (1 - alpha[0]) * alpha[1], (1 - alpha[0]) * (1 - alpha[1]) * alpha[2]]
    rgb, depth, weights = composite(sigma, torch.ones(1, 3, 3), t)
    assert torch.allclose(weights[0], torch.tensor(expected), atol=1e-6)
    assert torch.allclose(depth, (weights * t).sum(dim=1)) and torch.allclose(rgb, torch.ones(1, 3), atol=1e-6)


def test_an_opaque_slab_gives_its_front_depth_and_colour():
    t = torch.linspace(1.0, 4.0, 301).expand(2, 301)  # spacing 0.01
    sigma = torch.where(t >= 2.5, 1e4, 0.0)  # empty until 2.5, opaque after
    colour = torch.tensor([0.2, 0.6, 0.9])
    rgb = torch.where((t >= 2.5)[..., None], colour, torch.tensor([1.0, 0.0, 0.0]))  # red in the empty part: unseen
    out_rgb, depth, weights = composite(sigma, rgb, t)
    assert torch.allclose(depth, torch.full((2,), 2.5), atol=0.01)
    assert torch.allclose(out_rgb, colour.expand(2, 3), atol=1e-4)
    assert torch.allclose(weights.sum(dim=1), torch.ones(2), atol=1e-5)


def test_empty_space_renders_black_with_zero_weight():
    t = stratified_samples(4, 1.0, 3.0, 8, perturb=False)
    rgb, depth, weights = composite(torch.zeros(4, 8), torch.rand(4, 8, 3), t)
    assert rgb.abs().max() == 0 and depth.abs().max() == 0 and weights.abs().max() == 0


def test_composite_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"expected sigma \[R, S\], rgb \[R, S, 3\], t \[R, S\]"):
        composite(torch.zeros(4, 8), torch.zeros(4, 8), torch.zeros(4, 8))


def test_render_rays_and_a_training_step_lower_the_loss():
    torch.manual_seed(0)
    field = RadianceField(num_frequencies=2, hidden_features=32, hidden_layers=1)
    origins = torch.zeros(32, 3) + torch.tensor([0.0, 0.0, 3.0])
    directions = torch.nn.functional.normalize(torch.randn(32, 3) * 0.1 + torch.tensor([0.0, 0.0, -1.0]), dim=1)
    rays = Rays(near=1.0, far=5.0, samples=8)
    rgb, depth, weights = render_rays(field, origins, directions, rays)
    assert rgb.shape == (32, 3) and depth.shape == (32,) and weights.shape == (32, 8)
    batch, target = torch.cat([origins, directions], dim=1), torch.full((32, 3), 0.25)
    loss_fn, optimizer = nerf_loss(rays), torch.optim.Adam(field.parameters(), lr=1e-2)
    first = loss_fn(field, batch, target).item()
    for _ in range(20):
        loss = loss_fn(field, batch, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.2 * first
    colours, depths = render_view(field, origins, directions, rays, chunk=10)
    assert colours.shape == (32, 3) and depths.shape == (32,)
