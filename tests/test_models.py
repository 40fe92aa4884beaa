import math

import pytest
import torch

from nfteach.encodings import FourierFeatures
from nfteach.models import MLP, Siren, count_parameters


def official_state_dict(sizes: list[int], seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights under the official SIREN code's parameter names (net.i.linear.*, last net.n.*)."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        prefix = f"net.{i}." if i == len(sizes) - 2 else f"net.{i}.linear."
        state[prefix + "weight"] = torch.randn(fan_out, fan_in, generator=generator) / math.sqrt(fan_in)
        state[prefix + "bias"] = torch.randn(fan_out, generator=generator) * 0.1
    return state


def official_forward(state: dict[str, torch.Tensor], x: torch.Tensor, omega_0: float = 30.0) -> torch.Tensor:
    """The official SIREN's function written out: sin(ω0 (W h + b)) per sine layer, then a linear layer."""
    layers = sorted({key.rsplit(".", 1)[0] for key in state}, key=lambda name: int(name.split(".")[1]))
    h = x
    for name in layers[:-1]:
        h = torch.sin(omega_0 * (h @ state[name + ".weight"].T + state[name + ".bias"]))
    return h @ state[layers[-1] + ".weight"].T + state[layers[-1] + ".bias"]


def test_siren_computes_the_official_function_from_official_weights():
    model = Siren(2, 32, 3, 1)
    state = official_state_dict([2, 32, 32, 32, 32, 1])
    model.load_state_dict(state)  # strict: the parameter names are the official ones
    x = torch.rand(50, 2) * 2 - 1
    assert torch.allclose(model(x), official_forward(state, x), atol=1e-5)


def test_siren_paper_image_network_has_198401_parameters():
    assert count_parameters(Siren(2, 256, 3, 1)) == 198_401


def test_siren_initialisation_ranges():
    torch.manual_seed(0)
    model = Siren(2, 256, 3, 1, first_omega_0=30.0, hidden_omega_0=30.0)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    first, *hidden, final = linears
    assert first.weight.abs().max() <= 1 / 2
    assert first.weight.abs().max() > 0.95 * (1 / 2)  # uniform fills its range
    bound = math.sqrt(6 / 256) / 30
    for layer in hidden + [final]:
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.95 * bound
        assert layer.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)


def test_siren_hidden_omega_scales_the_hidden_init():
    final = Siren(2, 64, 1, 1, hidden_omega_0=10.0).net[-1]
    assert final.weight.abs().max() <= math.sqrt(6 / 64) / 10
    assert final.weight.abs().max() > 0.9 * math.sqrt(6 / 64) / 10


def test_siren_activations_keep_their_distribution_with_depth():
    torch.manual_seed(0)
    model = Siren(2, 256, 6, 1)
    h = torch.rand(4096, 2) * 2 - 1
    stds = []
    for layer in list(model.net)[:-1]:
        h = layer(h)
        stds.append(h.std().item())
    # sin of the principled init is arcsine-distributed: std 1/sqrt(2) in every layer
    assert all(abs(s - 1 / math.sqrt(2)) < 0.05 for s in stds[1:]), stds


def test_siren_outermost_sine():
    model = Siren(1, 16, 1, 2, outermost_linear=False)
    assert model(torch.zeros(3, 1)).abs().max() <= 1


def test_mlp_layout_and_encoding():
    model = MLP(2, 64, 2, 3, encoding=FourierFeatures(2, 32, 1.0), output_activation="sigmoid")
    linears = [m for m in model.net if isinstance(m, torch.nn.Linear)]
    assert [layer.in_features for layer in linears] == [64, 64, 64, 64]
    assert [layer.out_features for layer in linears] == [64, 64, 64, 3]
    y = model(torch.rand(10, 2))
    assert y.shape == (10, 3) and ((0 <= y) & (y <= 1)).all()
    assert count_parameters(MLP(2, 64, 2, 3)) == count_parameters(Siren(2, 64, 2, 3))


def test_mlp_baseline_inits():
    torch.manual_seed(0)
    relu = MLP(256, 256, 1, 1).net[2].weight
    assert relu.std().item() == pytest.approx(math.sqrt(2 / 256), rel=0.05)  # Kaiming normal, fan-in
    tanh = MLP(256, 256, 1, 1, activation="tanh").net[2].weight
    assert tanh.std().item() == pytest.approx(math.sqrt(2 / 512), rel=0.05)  # Xavier normal


def test_model_errors_name_the_argument():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(2, 8, 1, 1, activation="swish")
    with pytest.raises(ValueError, match="hidden_features"):
        Siren(2, 0, 1, 1)
    with pytest.raises(ValueError, match="omega_0"):
        Siren(2, 8, 1, 1, first_omega_0=-1)
    with pytest.raises(ValueError, match="encoding takes 3"):
        MLP(2, 8, 1, 1, encoding=FourierFeatures(3, 4, 1.0))
    with pytest.raises(ValueError, match=r"Siren: coords must have shape \[N, 2\], got \[4\]"):
        Siren(2, 8, 1, 1)(torch.zeros(4))
