"""Chapter 5's room: the measurements its claims rest on, against fields whose answer is known."""

import pytest
import torch
from torch import nn

from nfteach import shapes
from nfteach.explore import neural_sdf as room


class Field(nn.Module):
    """An analytic field as a module with one parameter (the room's helpers read the device from it)."""

    def __init__(self, fn):
        super().__init__()
        self.fn, self.anchor = fn, nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.fn(x)


def test_distance_ratio_is_one_for_the_true_sdf_and_the_scale_for_a_scaled_one():
    torus = shapes.torus(0.6, 0.3)
    assert room.distance_ratio(Field(torus), torus) == pytest.approx(1.0, abs=1e-5)
    assert room.distance_ratio(Field(lambda p: 0.2 * torus(p)), torus) == pytest.approx(0.2, abs=1e-5)


def test_nearest_other_is_the_chamfer_to_the_closest_other_shape():
    a, b = torch.zeros(50, 3), torch.zeros(50, 3) + torch.tensor([0.1, 0.0, 0.0])
    c = torch.zeros(50, 3) + torch.tensor([1.0, 0.0, 0.0])
    nearest = room.nearest_other({"a": a, "b": b, "c": c})
    assert nearest == pytest.approx({"a": 0.1, "b": 0.1, "c": 0.9})
