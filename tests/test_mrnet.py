import math

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402
import torch  # noqa: E402
from skimage.transform import pyramid_reduce

from nfteach.data import grid, image  # noqa: E402
from nfteach.metrics import psnr  # noqa: E402
from nfteach.explore import mrnet as room  # noqa: E402
from nfteach.models import Siren, count_parameters  # noqa: E402
from nfteach.mrnet import (  # noqa: E402
    HIDDEN_OMEGA, PYRAMID_SIGMA, MRNet, StageStop, fit_stages, gaussian_pyramid, laplacian_pyramid,
    level_for_size, level_samples, lod_weights,
)
from nfteach.spectral import high_frequency_fraction  # noqa: E402
from nfteach.train import fit  # noqa: E402


def small_net(kind: str, widths=(8, 12, 16), seed: int = 0) -> MRNet:
    torch.manual_seed(seed)
    return MRNet(kind, 2, 1, len(widths), list(widths), omegas=[4, 8, 16])


@pytest.fixture(scope="module")
def camera_pyramid() -> list[torch.Tensor]:
    return gaussian_pyramid(image("camera", size=32), 3)


# ---------------------------------------------------------------------------------------------- pyramids
def test_pyramid_sizes_halve_coarsest_first_and_end_with_the_image():
    img = image("astronaut", size=64, gray=False)
    for build in (gaussian_pyramid, laplacian_pyramid):
        levels = build(img, 4)
        assert [tuple(level.shape) for level in levels] == [(8, 8, 3), (16, 16, 3), (32, 32, 3), (64, 64, 3)]
        assert all(level.dtype == torch.float32 for level in levels)
    assert torch.allclose(gaussian_pyramid(img, 4)[-1], img)


def test_gaussian_level_is_the_finer_level_blurred_by_sigma_and_halved():
    img = image("camera", size=64)
    levels = gaussian_pyramid(img, 3)
    expected = pyramid_reduce(levels[-1].double().numpy(), downscale=2, sigma=PYRAMID_SIGMA,
                              mode="reflect", channel_axis=-1)
    assert PYRAMID_SIGMA == pytest.approx(2 / 3)
    assert torch.allclose(levels[-2], torch.from_numpy(expected).float(), atol=1e-6)
    assert levels[0].mean() == pytest.approx(img.mean().item(), abs=0.01)  # blurring keeps the mean


def test_laplacian_levels_are_bands_centred_on_zero():
    for level in laplacian_pyramid(image("camera", size=64), 3):
        assert abs(level.mean().item()) < 0.02
        assert level.abs().max() > 0.05


def test_pyramid_errors_name_what_was_expected():
    with pytest.raises(ValueError, match=r"\[H, W, C\]"):
        gaussian_pyramid(torch.rand(16, 16), 2)
    with pytest.raises(ValueError, match="fewer than 6 levels"):
        gaussian_pyramid(torch.rand(16, 16, 1), 6)


# -------------------------------------------------------------------------------------- level of detail
def test_lod_weights_follow_the_official_rule():
    assert lod_weights(0, 4) == [0.0, 0.0, 0.0, 0.0]
    assert lod_weights(2, 4) == [1.0, 1.0, 0.0, 0.0]
    assert lod_weights(2.25, 4) == [1.0, 1.0, 0.25, 0.0]
    assert lod_weights(4, 4) == [1.0] * 4
    with pytest.raises(ValueError, match=r"\[0, 4\]"):
        lod_weights(4.5, 4)


@pytest.mark.parametrize("kind", ["S", "L", "M"])
def test_level_k_is_the_sum_of_the_first_k_stages(kind):
    net = small_net(kind)
    x = torch.rand(100, 2) * 2 - 1
    with torch.no_grad():
        outputs, features = [], None
        for stage in net.stages:
            out, features = stage(x, features if kind == "M" else None)
            outputs.append(out)
        assert torch.equal(net(x, level=0), torch.zeros(100, 1))
        for k in range(1, 4):
            assert torch.equal(net(x, level=k), sum(outputs[:k], torch.zeros(100, 1)))
        assert torch.equal(net(x), net(x, level=3))


@pytest.mark.parametrize("kind", ["S", "L", "M"])
def test_a_fractional_level_is_the_linear_blend_of_its_neighbours(kind):
    net = small_net(kind)
    x = torch.rand(100, 2) * 2 - 1
    with torch.no_grad():
        for k, fraction in [(0, 0.5), (1, 0.3), (2, 0.75)]:
            blend = (1 - fraction) * net(x, level=k) + fraction * net(x, level=k + 1)
            assert torch.allclose(net(x, level=k + fraction), blend, atol=1e-6)


# ------------------------------------------------------------------------------------------------ model
def test_m_net_first_hidden_layer_takes_the_previous_stage_features():
    widths = (8, 12, 16)
    m_net, l_net = small_net("M", widths), small_net("L", widths)
    assert [s.hidden[0].linear.in_features for s in m_net.stages] == [8, 12 + 8, 16 + 12]
    assert [s.hidden[0].linear.in_features for s in l_net.stages] == [8, 12, 16]
    assert count_parameters(m_net) - count_parameters(l_net) == 12 * 8 + 16 * 12


def test_s_net_stage_is_a_sine_layer_and_a_linear_output():
    net = MRNet("S", 2, 3, 2, 10)
    assert all(len(stage.hidden) == 0 for stage in net.stages)
    assert count_parameters(net) == 2 * ((2 * 10 + 10) + (10 * 3 + 3))
    with pytest.raises(ValueError, match="L-Net"):
        MRNet("S", 2, 1, 2, 10, hidden_layers=1)


def test_stage_k_first_layer_frequencies_are_bounded_by_omega_k():
    net = MRNet("L", 2, 1, 3, 256, omegas=[4, 8, 16])
    for stage, omega in zip(net.stages, [4.0, 8.0, 16.0]):
        assert stage.first.omega_0 == omega
        weights = stage.first.linear.weight
        assert weights.abs().max() <= 1.0 and weights.abs().max() > 0.95  # U(−1, 1) · ω_k
        hidden = stage.hidden[0]
        assert hidden.omega_0 == HIDDEN_OMEGA
        assert hidden.linear.weight.abs().max() <= math.sqrt(6 / 256) / HIDDEN_OMEGA
    assert MRNet("L", 2, 1, 4, 8).omegas == [4.0, 8.0, 16.0, 32.0]


def test_mrnet_errors_name_what_was_expected():
    with pytest.raises(ValueError, match="S-, L- or M-Net"):
        MRNet("X", 2, 1, 2, 8)
    with pytest.raises(ValueError, match="one ω per stage"):
        MRNet("L", 2, 1, 3, 8, omegas=[4, 8])
    with pytest.raises(ValueError, match="one per stage"):
        MRNet("L", 2, 1, 3, [8, 8])
    with pytest.raises(ValueError, match=r"\[N, 2\]"):
        small_net("L")(torch.rand(5, 3))


# --------------------------------------------------------------------------------------------- training
def test_level_samples_are_the_level_on_its_own_pixel_centres():
    level = torch.rand(4, 6, 2)
    coords, values = level_samples(level)
    assert torch.equal(coords, grid(4, 6))
    assert torch.equal(values.reshape(4, 6, 2), level)


@pytest.mark.parametrize("kind", ["S", "L", "M"])
def test_fit_stages_leaves_earlier_stages_bit_identical(kind, camera_pyramid):
    net = small_net(kind)
    fit_stages(net, camera_pyramid, steps=5, lr=1e-3, progress=False)
    for k in (2, 1):
        frozen = tuple(f"stages.{i}." for i in range(k))
        before = {name: p.clone() for name, p in net.named_parameters()}
        histories = fit_stages(net, camera_pyramid, steps=5, lr=1e-3, start=k, progress=False)
        assert len(histories) == 3 - k
        for name, p in net.named_parameters():
            if name.startswith(frozen):
                assert torch.equal(p, before[name]), name
            else:
                assert not torch.equal(p, before[name]), f"{name} of a trained stage did not move"


def test_fit_stages_fits_each_level_with_the_sum_up_to_its_stage(camera_pyramid):
    net = small_net("M", widths=(32, 32, 32))
    histories = fit_stages(net, camera_pyramid, steps=150, lr=1e-3, progress=False)
    assert len(histories) == 3
    for k, (level, history) in enumerate(zip(camera_pyramid, histories)):
        coords, values = level_samples(level)
        with torch.no_grad():
            sum_up_to_k = net(coords, level=k + 1)
        mse = torch.mean((sum_up_to_k - values) ** 2).item()
        assert history.loss[-1] == pytest.approx(mse, rel=0.2)  # the logged loss is the sum's, not the stage's
        assert history.psnr[-1] > 24, f"stage {k} reached only {history.psnr[-1]:.1f} dB"


def test_fit_stages_checks_the_pyramid():
    net = small_net("L")
    with pytest.raises(ValueError, match="one level per stage"):
        fit_stages(net, [torch.rand(4, 4, 1)] * 2, steps=1, lr=1e-3)
    with pytest.raises(ValueError, match=r"pyramid\[1\] must be an image \[h, w, 1\]"):
        fit_stages(net, [torch.rand(4, 4, 1), torch.rand(8, 8, 3), torch.rand(16, 16, 1)], steps=1, lr=1e-3)


def test_stage_stop_ends_a_fit_at_the_official_tolerances():
    assert StageStop(loss_tol=0.5)(0.4)
    rule = StageStop(diff_tol=1e-3)
    assert not rule(1.0) and not rule(0.9) and rule(0.9 * (1 - 1e-4))
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    history = fit(model, torch.rand(16, 2), torch.rand(16, 1), steps=500, lr=1e-2, progress=False,
                  stop=StageStop(loss_tol=1.0))
    assert history.step == [1]


# ------------------------------------------------------------------------------------------------ scale
def test_level_for_size_drops_one_stage_per_halving():
    assert level_for_size(5, 128, 128) == 5
    assert level_for_size(5, 32, 128) == 3
    assert level_for_size(5, 24, 128) == pytest.approx(5 - math.log2(128 / 24))
    assert level_for_size(5, 2, 128) == 0 and level_for_size(5, 512, 128) == 5


def test_high_frequency_fraction_measures_energy_above_the_cutoff():
    y, x = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    low, high = torch.sin(2 * math.pi * 4 * x / 64), torch.sin(2 * math.pi * 20 * y / 64)
    assert high_frequency_fraction(low, 10) == pytest.approx(0.0, abs=1e-12)
    assert high_frequency_fraction(high, 10) == pytest.approx(1.0)
    assert high_frequency_fraction((low + high)[..., None], 10) == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"\[H, W\]"):
        high_frequency_fraction(torch.rand(5), 1)


# ------------------------------------------------------------------------------------------------- room
def test_room_renders_levels_and_tabulates_psnr_by_level(camera_pyramid):
    net = small_net("M")
    fit_stages(net, camera_pyramid, steps=20, lr=1e-3, progress=False)
    assert room.render(net, 16).shape == (16, 16, 1)
    assert torch.equal(room.render(net, 8, level=0), torch.zeros(8, 8, 1))
    table = room.psnr_by_level(net, camera_pyramid)
    assert table.shape == (3, 3)
    coords, values = level_samples(camera_pyramid[1])
    with torch.no_grad():
        expected = -10 * math.log10(torch.mean((net(coords, level=1) - values) ** 2).item())
    assert table[0, 1] == pytest.approx(expected, rel=1e-4)
    assert room.psnr_by_level(Siren(2, 8, 1, 1), camera_pyramid, levels=[None]).shape == (1, 3)
    assert room.lod_title(net, 1.5) == "level 1.50\nc = [1 0.5 0]"


def test_lod_explorer_and_its_static_twin_build(camera_pyramid):
    net = small_net("L")
    assert len(room.lod_explorer(net, size=16).children) == 3
    assert len(room.lod_strip(net, [1, 1.5, 3], size=16).axes) == 3
    assert len(room.plot_sweep([8, 16], {"a": [1.0, 2.0]}, 32).axes) == 1
    assert room.resized(camera_pyramid[-1], 8, anti_aliasing=True).shape == (8, 8, 1)


def test_filtered_pyramid_psnr_is_the_full_render_filtered_like_the_pyramid(camera_pyramid):
    net = small_net("L")
    fit_stages(net, camera_pyramid, steps=20, lr=1e-3, progress=False)
    filtered = gaussian_pyramid(room.render(net, 32), 3)
    expected = [psnr(mine, level) for mine, level in zip(filtered, camera_pyramid)]
    assert room.filtered_pyramid_psnr(net, camera_pyramid) == pytest.approx(expected)


def test_training_cost_counts_steps_samples_and_parameters(camera_pyramid):
    net = small_net("M")
    histories = fit_stages(net, camera_pyramid, steps=3, lr=1e-3, progress=False)
    samples = [level.shape[0] * level.shape[1] for level in camera_pyramid]
    expected = sum(3 * n * count_parameters(stage) for stage, n in zip(net.stages, samples)) / 1e9
    assert room.training_cost(net.stages, histories, samples) == pytest.approx(expected)
    with pytest.raises(ValueError, match="one history and one sample count per part"):
        room.training_cost(net.stages, histories[:1], samples)


def test_filtered_render_and_the_evaluations_a_network_needs_to_match_a_psnr():
    torch.manual_seed(0)
    net = Siren(2, 16, 1, 1)
    assert torch.equal(room.filtered_render(net, 8, 8), room.render(net, 8))  # no shrinking, no filter
    assert room.filtered_render(net, 8, 32).shape == (8, 8, 1)
    reference = room.filtered_render(net, 8, 32)
    assert room.evaluations_to_match(net, 8, reference, 200.0, 32) == 32**2  # only the 32² render is exact
    assert room.evaluations_to_match(net, 8, reference, 0.0, 32) == 8**2
    assert room.evaluations_to_match(net, 8, torch.zeros(8, 8, 1) + 2, 10.0, 32) == math.inf
