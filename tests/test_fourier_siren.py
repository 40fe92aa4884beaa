"""Package code added for chapters 2 (Fourier features) and 3 (SIREN)."""

from __future__ import annotations

import math

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from nfteach import data, models, train, viz  # noqa: E402
from nfteach.explore import fourier, siren  # noqa: E402


def test_text_image_is_rgb_in_unit_range_and_deterministic():
    img = data.text_image(("NeRF", "2020"), size=48, seed=3)
    assert img.shape == (48, 48, 3) and img.dtype == torch.float32
    assert img.min() >= 0 and img.max() <= 1 and img.max() == 1  # a white background
    assert (img < 0.9).any()  # and some ink
    assert torch.equal(img, data.text_image(("NeRF", "2020"), size=48, seed=3))


@pytest.mark.parametrize("lines", ["a string", [], [1, 2]])
def test_text_image_rejects_bad_lines(lines):
    with pytest.raises(ValueError, match="lines"):
        data.text_image(lines)


def test_held_out_split_takes_even_pixels_for_training_and_the_offset_ones_for_testing():
    img = torch.arange(6 * 6 * 1, dtype=torch.float32).reshape(6, 6, 1)
    train_xy, train_v, test_xy, test_v = data.held_out_split(img, bounds=(0, 1))
    assert train_xy.shape == (9, 2) and test_v.shape == (9, 1)
    assert torch.equal(train_v[:, 0], img[::2, ::2].reshape(-1))
    assert torch.equal(test_v[:, 0], img[1::2, 1::2].reshape(-1))
    assert torch.allclose(train_xy[0], torch.tensor([0.5 / 6, 0.5 / 6]))
    assert torch.allclose(test_xy[0], torch.tensor([1.5 / 6, 1.5 / 6]))  # between training pixels
    with pytest.raises(ValueError, match="img"):
        data.held_out_split(torch.zeros(4, 4))


def test_chirp_shapes_range_and_validation():
    t, y = data.chirp(seconds=0.1, rate=8000)
    assert t.shape == y.shape == (800, 1)
    assert -1 < t.min() < t.max() < 1 and math.isclose(y.abs().max().item(), 1.0)
    with pytest.raises(ValueError, match="Nyquist"):
        data.chirp(rate=1000, f1=800)


def test_fit_final_lr_decays_the_learning_rate_exponentially():
    seen = []
    net = torch.nn.Linear(1, 1)
    x = torch.linspace(0, 1, 8)[:, None]
    original_step = torch.optim.Adam.step

    def spy(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return original_step(self, *args, **kwargs)

    torch.optim.Adam.step = spy
    try:
        train.fit(net, x, x, steps=5, lr=1e-2, final_lr=1e-4, progress=False)
    finally:
        torch.optim.Adam.step = original_step
    assert seen[0] == pytest.approx(1e-2) and seen[-1] == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="final_lr"):
        train.fit(net, x, x, steps=2, lr=1e-2, final_lr=-1.0, progress=False)


def test_siren_recipes():
    paper = train.SIREN_PAPER
    assert (paper.hidden_features, paper.hidden_layers, paper.lr, paper.batch_size, paper.steps) == (256, 3, 1e-4, None, 500)
    assert models.count_parameters(paper.model(2, 1)) == 198_401
    net = train.SIREN_DEFAULT.model(2, 1)
    assert isinstance(net, models.Siren) and net.net[0].omega_0 == 30.0
    xy, target = data.grid(8, 8), torch.zeros(64, 1)
    history = train.SIREN_DEFAULT.fit(net, xy, target, steps=3, progress=False)
    assert history.step[-1] == 3


def test_gradient_and_laplacian_of_a_known_field():
    class Field(torch.nn.Module):  # Φ(x, y) = x² + 3y
        def forward(self, xy):
            return (xy[:, :1] ** 2 + 3 * xy[:, 1:])

    xy = data.grid(4, 4)
    grad = models.gradient(Field(), xy)
    assert torch.allclose(grad, torch.stack([2 * xy[:, 0], torch.full((16,), 3.0)], dim=1))
    assert torch.allclose(models.laplacian(Field(), xy), torch.full((16, 1), 2.0))
    relu = models.MLP(2, 16, 1, 1)
    assert models.laplacian(relu, xy).abs().max() < 1e-6
    with pytest.raises(ValueError, match="one value per point"):
        models.gradient(models.MLP(2, 8, 0, 2), xy)


def test_layer_outputs_follow_the_layers():
    net = models.Siren(2, 16, 2, 1)
    outputs = models.layer_outputs(net, data.grid(5, 5))
    assert [o.shape[1] for o in outputs] == [16, 16, 16, 1]
    assert all(o.abs().max() <= 1 for o in outputs[:-1])
    with pytest.raises(ValueError, match="nn.Sequential"):
        models.layer_outputs(torch.nn.Linear(2, 1), data.grid(5, 5))


def test_figures():
    t = torch.linspace(0, 1, 20)[:, None]
    ax = viz.plot_sparse_fit(t, t, torch.arange(20) % 2 == 0, t, title="x")
    assert ax.get_title() == "x"
    fig = viz.plot_layer_histograms({"a": [torch.randn(10, 3), torch.randn(10, 1)], "b": [torch.randn(10, 3)]})
    assert len(fig.axes) == 4
    fig = viz.plot_fields({"f": torch.randn(5, 5), "g": torch.randn(5, 5, 1)})
    assert len(fig.axes) == 4  # two images, two colorbars
    with pytest.raises(ValueError, match="field"):
        viz.plot_fields({"f": torch.randn(5)})


def test_fourier_1d_run_under_and_overfits():
    small = fourier.fourier_1d_run(0.25, steps=150)
    large = fourier.fourier_1d_run(64, steps=150)
    assert small.train.sum() == 64 and small.prediction.shape == (256, 1)
    assert large.train_psnr > small.train_psnr + 10  # a narrow kernel memorises the training samples
    assert large.test_psnr < large.train_psnr - 20  # and does not interpolate between them
    with pytest.raises(ValueError, match="sigma"):
        fourier.fourier_1d_run(0)


def test_explorers_and_their_static_twins_build():
    img = data.image("camera", size=16)
    reconstruction, value = siren.siren_image_run(img, steps=5, width=8)
    assert reconstruction.shape == img.shape and math.isfinite(value)
    assert len(siren.siren_explorer(img, steps=2, width=8).children) == 3
    fig, psnrs = siren.siren_grid(img, omegas=(3, 30), depths=(1,), steps=2, width=8)
    assert set(psnrs) == {(1, 3), (1, 30)}
    assert len(fourier.fourier_sigma_explorer(steps=2).children) == 3
    fig, runs = fourier.fourier_sigma_grid((1, 2), steps=2)
    assert set(runs) == {1, 2}
    with pytest.raises(ValueError, match="sigma"):
        fourier.fourier_sigma_explorer(sigma=3)
