"""The Lipschitz-regularised MLP (Liu et al. 2022): the per-layer bound holds on random pairs."""

import math

import pytest
import torch
from torch import nn

from nfteach.models import LipschitzLinear, LipschitzMLP


def test_layer_starts_as_its_linear_layer_with_c_the_largest_row_sum():
    torch.manual_seed(0)
    layer = LipschitzLinear(5, 7)
    assert layer.c.item() == pytest.approx(layer.linear.weight.abs().sum(1).max().item())
    x = torch.randn(10, 5)
    torch.testing.assert_close(layer(x), layer.linear(x))  # softplus(c) > c ≥ every row sum: no rescaling


def test_layer_uses_the_official_init_he_normal_weights_and_zero_bias():
    torch.manual_seed(0)
    layer = LipschitzLinear(200, 300)  # 60,000 weights: their std is within 1 % of √(2 / 200)
    assert layer.linear.weight.std().item() == pytest.approx(math.sqrt(2 / 200), rel=0.01)
    assert layer.linear.weight.mean().item() == pytest.approx(0.0, abs=3e-3)
    assert torch.equal(layer.linear.bias, torch.zeros(300))
    # normal, not PyTorch's uniform default: a normal's mean |w| is √(2/π)·std, a uniform's √3/2·std
    assert layer.linear.weight.abs().mean().item() == pytest.approx(math.sqrt(2 / math.pi) * math.sqrt(2 / 200), rel=0.01)


@pytest.mark.parametrize("c", [-2.0, 0.0, 0.3, 5.0])
def test_layer_bound_holds_on_random_pairs(c):
    torch.manual_seed(1)
    layer = LipschitzLinear(16, 32)
    with torch.no_grad():
        layer.linear.weight.mul_(10)
        layer.c.fill_(c)
    x, y = torch.randn(2000, 16), torch.randn(2000, 16)
    lhs = (layer(x) - layer(y)).abs().max(dim=1).values
    rhs = nn.functional.softplus(torch.tensor(c)) * (x - y).abs().max(dim=1).values
    assert (lhs <= rhs * (1 + 1e-5)).all()
    used = layer.linear.weight * (layer.bound() / layer.linear.weight.abs().sum(1)).clamp(max=1)[:, None]
    assert used.abs().sum(1).max().item() == pytest.approx(layer.bound().item(), rel=1e-5)  # the bound is reached


def test_network_bound_is_the_product_and_holds():
    torch.manual_seed(2)
    net = LipschitzMLP(3, 32, 2, 1)
    with torch.no_grad():
        for layer in net.layers:
            layer.c.fill_(0.5)
    expected = torch.nn.functional.softplus(torch.tensor(0.5)) ** 4
    torch.testing.assert_close(net.lipschitz_bound(), expected)
    x, y = torch.randn(2000, 3), torch.randn(2000, 3)
    lhs = (net(x) - net(y)).abs()[:, 0]
    assert (lhs <= expected * (x - y).abs().max(dim=1).values * (1 + 1e-5)).all()


def test_the_regulariser_is_differentiable_in_c():
    net = LipschitzMLP(2, 8, 1, 1)
    net.lipschitz_bound().backward()
    assert all(layer.c.grad is not None and layer.c.grad > 0 for layer in net.layers)
