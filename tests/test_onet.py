"""Occupancy Networks (nfteach.onet): each definition pinned against its formula and the official conventions."""

import math

import pytest
import torch
from torch import nn

from nfteach import onet, shapes


def test_the_padded_cube_is_the_unit_cube_grown_by_ten_percent():
    assert onet.padded_cube() == (-0.55, 0.55)
    points = onet.sample_padded_cube(20_000, generator=torch.Generator().manual_seed(0))
    assert points.shape == (20_000, 3) and points.min() >= -0.55 and points.max() <= 0.55
    assert points.min() < -0.54 and points.max() > 0.54                          # it fills the whole box
    assert abs(points.mean().item()) < 0.01                                      # uniformly
    assert onet.sample_padded_cube(10, padding=0.0, generator=torch.Generator()).abs().max() <= 0.5


def test_bce_is_summed_over_points_and_averaged_over_shapes_with_one_inside():
    logits = torch.tensor([[2.0, -1.0, 0.0], [0.5, 0.5, -3.0]])
    occupancy = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    p = torch.sigmoid(logits)
    expected = (-(occupancy * p.log() + (1 - occupancy) * (1 - p).log())).sum(1).mean()
    assert torch.allclose(onet.occupancy_bce(logits, occupancy), expected)
    # a confident "inside" logit costs little where the label is 1 (inside), much where it is 0
    assert onet.occupancy_bce(torch.tensor([[5.0]]), torch.tensor([[1.0]])) < 0.01
    assert onet.occupancy_bce(torch.tensor([[5.0]]), torch.tensor([[0.0]])) > 4.9
    with pytest.raises(ValueError, match=r"both be \[B, N\]"):
        onet.occupancy_bce(logits, occupancy[:, :2])


def test_cbn_is_gamma_of_c_times_batch_norm_plus_beta_of_c():
    torch.manual_seed(0)
    cbn = onet.CBatchNorm(code_size=4, features=6)
    for layer in (cbn.gamma, cbn.beta):                                          # leave the identity start
        nn.init.normal_(layer.weight), nn.init.normal_(layer.bias)
    x, code = torch.randn(3, 10, 6), torch.randn(3, 4)
    flat = x.reshape(-1, 6)
    normed = (x - flat.mean(0)) / (flat.var(0, unbiased=False) + cbn.norm.eps).sqrt()   # statistics over B·N points
    gamma = code @ cbn.gamma.weight.T + cbn.gamma.bias                           # [B, features]
    beta = code @ cbn.beta.weight.T + cbn.beta.bias
    assert torch.allclose(cbn(x, code), gamma[:, None] * normed + beta[:, None], atol=1e-5)


def test_cbn_starts_as_plain_batch_norm_and_the_code_then_shifts_each_shape():
    cbn = onet.CBatchNorm(code_size=4, features=6)
    x, code = torch.randn(3, 10, 6), torch.randn(3, 4)
    plain = nn.BatchNorm1d(6, affine=False)(x.reshape(-1, 6)).reshape(x.shape)
    assert torch.allclose(cbn(x, code), plain, atol=1e-6)                       # γ = 1, β = 0 at the start (official)
    nn.init.normal_(cbn.beta.weight)
    out = cbn(x, code)
    assert not torch.allclose(out[0] - plain[0], out[1] - plain[1])             # each shape its own shift


def test_resnet_blocks_start_as_their_shortcut():
    block = onet.ResnetBlockFC(8, 8)
    x = torch.randn(5, 8)
    assert torch.allclose(block(x), x + block.fc_1.bias)
    wider = onet.ResnetBlockFC(8, 4)
    assert torch.allclose(wider(x), wider.shortcut(x) + wider.fc_1.bias)
    conditional = onet.CResnetBlock(code_size=3, hidden=8)
    h = torch.randn(2, 5, 8)
    assert torch.allclose(conditional(h, torch.randn(2, 3)), h + conditional.fc_1.bias)


def test_the_encoder_ignores_the_order_of_the_points_but_not_the_points():
    torch.manual_seed(0)
    encoder = onet.PointNetEncoder(code_size=8, hidden=16, blocks=3)
    for block in encoder.blocks:                                                 # leave the zero start
        nn.init.normal_(block.fc_1.weight, std=0.3)
    cloud = torch.rand(2, 50, 3) - 0.5
    shuffled = cloud[:, torch.randperm(50)]
    code = encoder(cloud)
    assert code.shape == (2, 8)
    assert torch.allclose(code, encoder(shuffled), atol=1e-6)
    assert not torch.allclose(code, encoder(cloud * 0.5), atol=1e-3)
    assert torch.allclose(encoder(cloud[:1]), code[:1], atol=1e-6)              # one shape's code is its own


def test_the_decoder_maps_points_and_a_code_per_shape_to_logits():
    net = onet.OccupancyNetwork(code_size=8, hidden=16, encoder_hidden=16, blocks=2)
    logits = net(torch.rand(3, 20, 3), torch.rand(3, 40, 3))
    assert logits.shape == (3, 20)
    with pytest.raises(ValueError, match=r"code must be \[B, 8\] for B = 3"):
        net.decoder(torch.rand(3, 20, 3), torch.rand(2, 8))
    with pytest.raises(ValueError, match=r"\[B, N, 3\]"):
        net.encoder(torch.rand(40, 3))


def test_the_family_is_watertight_shapes_inside_the_unit_cube():
    generator = torch.Generator().manual_seed(0)
    for _ in range(10):
        shape = onet.random_shape(generator)
        points = onet.sample_padded_cube(4000, generator=generator)
        inside = shapes.occupancy(shape)(points)[:, 0].bool()
        assert 0.005 < inside.float().mean() < 0.6
        assert points[inside].abs().max() < 0.5                                 # nothing reaches the padding
        low, high = shape.bounds
        assert (high - low).max() > 0.49 and low.min() >= -0.5 - 1e-6 and high.max() <= 0.5 + 1e-6


def test_shape_data_subsamples_points_and_noisy_observations():
    data, family = onet.ShapeData.generate(3, surface=64, points=200, seed=0)
    assert len(data) == 3 and data.surface.shape == (3, 64, 3) and data.points.shape == (3, 200, 3)
    truth = torch.stack([shapes.occupancy(s)(p)[:, 0] for s, p in zip(family, data.points)])
    assert torch.equal(data.occupancy, truth)
    for s, cloud in zip(family, data.surface):
        assert s(cloud).abs().max() < 1e-3                                       # on the surface
    generator = torch.Generator().manual_seed(1)
    index = torch.tensor([2, 0])
    cloud = data.observe(index, 30, 0.005, generator)
    assert cloud.shape == (2, 30, 3)
    assert 0.003 < family[2](cloud[0]).abs().mean() < 0.006                      # the noise, 0.005 (|N| ≈ 0.8σ)
    points, occupancy = data.labels(index, 50, generator)
    assert points.shape == (2, 50, 3) and torch.equal(occupancy[1], shapes.occupancy(family[0])(points[1])[:, 0])


def test_one_training_step_lowers_the_loss_of_either_model():
    data, _ = onet.ShapeData.generate(4, surface=64, points=256, seed=0)
    rows = onet.shape_indices(4)
    for model in (onet.OccupancyNetwork(8, 16, 16, 2), onet.OccupancyAutoDecoder(4, 8, 16, 2)):
        loss_fn = onet.OnetLoss(data, points=128, observed=32, seed=0)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        first = loss_fn(model, rows, rows)
        assert math.isfinite(first.item()) and first.item() > 128 * 0.1         # summed over the 128 points
        for _ in range(20):
            optimizer.zero_grad()
            loss_fn(model, rows, rows).backward()
            optimizer.step()
        assert loss_fn(model, rows, rows).item() < first.item()


def test_fit_code_moves_only_the_code():
    decoder = onet.CbnDecoder(code_size=4, hidden=8, blocks=1)
    nn.init.normal_(decoder.norm.beta.weight)
    decoder(torch.rand(2, 10, 3), torch.rand(2, 4))                              # some running statistics
    before = {k: v.clone() for k, v in decoder.state_dict().items()}
    points = torch.rand(100, 3) - 0.5
    occupancy = (points.norm(dim=1) < 0.3).float()
    code = onet.fit_code(decoder, points, occupancy, steps=30, seed=0)
    assert code.shape == (4,) and code.abs().max() > 0.01
    assert all(torch.equal(before[k], v) for k, v in decoder.state_dict().items())
    assert all(p.grad is None for p in decoder.parameters())


def test_a_code_field_is_one_shape_in_eval_mode():
    decoder = onet.CbnDecoder(code_size=4, hidden=8, blocks=1)
    field = onet.CodeField(decoder, torch.zeros(4))
    assert field(torch.rand(7, 3)).shape == (7, 1) and not decoder.training
    with pytest.raises(ValueError, match=r"code must be \[4\]"):
        onet.CodeField(decoder, torch.zeros(5))
