"""The auto-decoder's shapes and codes, its loss, and reconstruct's frozen decoder."""

import math

import pytest
import torch

from nfteach import deepsdf, shapes
from nfteach.train import fit


def test_decoder_and_auto_decoder_shapes():
    torch.manual_seed(0)
    model = deepsdf.AutoDecoder(num_shapes=5, latent_size=8, hidden_features=32, hidden_layers=3)
    assert model.codes.weight.shape == (5, 8)
    assert model.decoder.layers[model.decoder.skip].in_features == 32 + 8 + 3  # the skip re-enters [z, x]
    samples = deepsdf.label_samples([torch.rand(4, 3), torch.rand(6, 3)])
    assert samples.shape == (10, 4) and samples[:4, 0].eq(0).all() and samples[4:, 0].eq(1).all()
    out = model(samples)
    assert out.shape == (10, 1) and out.abs().max() < 1  # tanh output
    with pytest.raises(ValueError, match="shape indices"):
        model(deepsdf.label_samples([torch.rand(2, 3)] * 6))
    with pytest.raises(ValueError, match=r"codes must be \[N, 8\]"):
        model.decoder(torch.zeros(3, 8), torch.zeros(4, 3))


def test_codes_start_with_variance_one_over_latent_size():
    torch.manual_seed(0)
    model = deepsdf.AutoDecoder(num_shapes=400, latent_size=64)
    assert model.codes.weight.std().item() == pytest.approx(1 / math.sqrt(64), rel=0.05)


def test_latent_field_is_the_decoder_at_one_code():
    torch.manual_seed(0)
    model = deepsdf.AutoDecoder(num_shapes=3, latent_size=4, hidden_features=16, hidden_layers=2)
    points = torch.rand(7, 3)
    field = deepsdf.LatentField(model.decoder, model.codes.weight[2])
    torch.testing.assert_close(field(points), model(deepsdf.label_samples([points[:0], points[:0], points])))


def test_auto_decoder_loss_is_clamped_l1_plus_the_mean_code_norm():
    torch.manual_seed(0)
    model = deepsdf.AutoDecoder(num_shapes=2, latent_size=4, hidden_features=16, hidden_layers=2)
    samples = deepsdf.label_samples([torch.rand(5, 3), torch.rand(3, 3)])
    sdf = torch.rand(8, 1) - 0.5
    expected = (model(samples).clamp(-0.1, 0.1) - sdf.clamp(-0.1, 0.1)).abs().mean()
    expected = expected + 1e-4 * model.codes.weight[samples[:, 0].long()].norm(dim=1).mean()
    torch.testing.assert_close(deepsdf.AutoDecoderLoss()(model, samples, sdf), expected)


def _two_spheres():
    points = [shapes.sample_near_surface(shapes.sphere(r), 500, seed=i) for i, r in enumerate((0.3, 0.6))]
    sdf = [shapes.sphere(r)(p) for r, p in zip((0.3, 0.6), points)]
    return deepsdf.label_samples(points), torch.cat(sdf)


def test_reconstruct_leaves_the_decoder_untouched_and_finds_a_fitting_code():
    torch.manual_seed(0)
    model = deepsdf.AutoDecoder(num_shapes=2, latent_size=4, hidden_features=32, hidden_layers=2)
    samples, sdf = _two_spheres()
    fit(model, samples, sdf, steps=300, lr=3e-3, loss_fn=deepsdf.AutoDecoderLoss(), progress=False)
    before = {k: v.clone() for k, v in model.decoder.state_dict().items()}
    model.zero_grad(set_to_none=True)
    points = shapes.sample_near_surface(shapes.sphere(0.6), 300, seed=5)
    target = shapes.sphere(0.6)(points)
    code = deepsdf.reconstruct(model.decoder, points, target, steps=200)
    assert code.shape == (4,) and not code.requires_grad
    for name, value in model.decoder.state_dict().items():
        assert torch.equal(value, before[name]), name
    assert all(p.grad is None for p in model.decoder.parameters())
    loss = lambda z: deepsdf.clamped_l1(deepsdf.LatentField(model.decoder, z)(points), target).item()
    assert loss(code) < 0.5 * loss(torch.zeros(4))
