"""The SDF losses against hand computation: the eikonal term, SIREN's SDF loss, DeepSDF's clamped L1."""

import math

import pytest
import torch
from torch import nn

from nfteach import losses, shapes
from nfteach.models import Siren


class Field(nn.Module):
    """An analytic field as a module (the losses take models)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def test_eikonal_is_zero_for_an_analytic_sdf_and_not_for_a_scaled_one():
    points = torch.rand(500, 3) * 2 - 1
    sphere = shapes.sphere(0.5)
    assert losses.eikonal_loss(Field(sphere), points).item() == pytest.approx(0.0, abs=1e-6)
    assert losses.eikonal_loss(Field(lambda p: 3 * sphere(p)), points).item() == pytest.approx(2.0, abs=1e-5)
    assert losses.eikonal_loss(Field(lambda p: 0.5 * sphere(p)), points).item() == pytest.approx(0.5, abs=1e-5)


def test_eikonal_residual_is_the_gradient_norm_minus_one():
    grad = torch.tensor([[3.0, 4.0], [0.0, 1.0], [0.0, 0.0]])
    torch.testing.assert_close(losses.eikonal_residual(grad), torch.tensor([[4.0], [0.0], [-1.0]]))


def test_eikonal_loss_is_trainable():
    torch.manual_seed(0)
    net = Siren(3, 16, 1, 1)
    loss = losses.eikonal_loss(net, torch.rand(64, 3))
    loss.backward()
    weights = [p for name, p in net.named_parameters() if name.endswith("weight")]
    assert all(p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0 for p in weights)


def test_siren_sdf_terms_by_hand_for_a_sphere():
    sphere = shapes.sphere(0.5)
    surface, normals = shapes.surface_points(sphere, 200, seed=1)
    off = torch.tensor([[0.0, 0.0, 0.9], [0.0, 0.2, 0.0]])  # φ = 0.4 and −0.3
    terms = losses.siren_sdf_terms(Field(sphere), surface, normals, off)
    n = len(surface) + len(off)
    assert terms["surface"].item() == pytest.approx(0.0, abs=1e-4)
    assert terms["normal"].item() == pytest.approx(0.0, abs=1e-5)
    assert terms["eikonal"].item() == pytest.approx(0.0, abs=1e-5)
    expected = (math.exp(-40) + math.exp(-30)) / n  # a mean over all points, zeros on the surface (official)
    assert terms["off_surface"].item() == pytest.approx(expected, rel=1e-3)
    flipped = losses.siren_sdf_terms(Field(sphere), surface, -normals, off)
    assert flipped["normal"].item() == pytest.approx(2 * len(surface) / n, rel=1e-4)  # 1 − cos = 2


def test_siren_sdf_loss_uses_the_official_weights_and_can_drop_a_term():
    assert losses.SIREN_SDF_WEIGHTS == {"surface": 3e3, "off_surface": 1e2, "normal": 1e2, "eikonal": 5e1}
    scaled = Field(lambda p: 2 * shapes.sphere(0.5)(p))
    surface, normals = shapes.surface_points(shapes.sphere(0.5), 100)
    torch.manual_seed(0)
    full = losses.SirenSdfLoss()(scaled, surface, normals)
    torch.manual_seed(0)
    without = losses.SirenSdfLoss(weights={"eikonal": 0})(scaled, surface, normals)
    assert (full - without).item() == pytest.approx(5e1 * 1.0, rel=1e-4)  # |‖∇(2φ)‖ − 1| = 1 everywhere
    with pytest.raises(ValueError, match="weights may name"):
        losses.SirenSdfLoss(weights={"normals": 1.0})


def test_clamped_l1_clamps_both_sides_at_delta():
    target = torch.tensor([[0.05], [0.5], [-0.5], [0.0]])
    assert losses.clamped_l1(target, target).item() == 0.0
    far = torch.tensor([[0.05], [3.0], [-7.0], [0.0]])  # beyond δ only the sign matters
    assert losses.clamped_l1(far, target, delta=0.1).item() == 0.0
    wrong_sign = torch.tensor([[0.05], [-3.0], [-0.5], [0.0]])
    assert losses.clamped_l1(wrong_sign, target, delta=0.1).item() == pytest.approx(0.2 / 4)
    near = torch.tensor([[0.08], [0.5], [-0.5], [0.02]])
    assert losses.clamped_l1(near, target, delta=0.1).item() == pytest.approx((0.03 + 0.02) / 4)
    with pytest.raises(ValueError, match="same shape"):
        losses.clamped_l1(near, target[:, 0])
