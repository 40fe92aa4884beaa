"""IoU, Chamfer-L1 (ONet), Chamfer-L2 (DeepSDF) and normal consistency against hand-computed cases."""

import numpy as np
import pytest
import torch

from nfteach import metrics


def test_iou_counts_intersection_over_union():
    pred = torch.tensor([1, 1, 0, 0, 1], dtype=torch.bool)
    true = torch.tensor([1, 0, 0, 1, 1], dtype=torch.bool)
    assert metrics.iou(pred, true) == pytest.approx(2 / 4)
    assert metrics.iou(torch.tensor([[0.9], [0.2]]), torch.tensor([[1.0], [1.0]])) == pytest.approx(1 / 2)
    assert metrics.iou(torch.zeros(3), torch.zeros(3)) == 1.0


def test_chamfer_l1_and_l2_follow_their_papers():
    a = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    b = np.array([[0.0, 0.0, 0.5]])
    # a → b: distances 0.5 and √1.25; b → a: 0.5.
    assert metrics.chamfer_l1(a, b) == pytest.approx(0.5 * ((0.5 + np.sqrt(1.25)) / 2 + 0.5))
    assert metrics.chamfer_l2(a, b) == pytest.approx((0.25 + 1.25) / 2 + 0.25)
    assert metrics.chamfer_l1(torch.tensor(a), torch.tensor(a)) == 0.0
    assert metrics.chamfer_l1(a[:, :2], b[:, :2] + [0.0, 0.5]) > 0  # 2D point sets work too


def test_normal_consistency_ignores_the_sign_and_sees_the_angle():
    points = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    up = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 2.0]])
    assert metrics.normal_consistency(points, up, points, -up) == pytest.approx(1.0)
    tilted = np.array([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    assert metrics.normal_consistency(points, up, points, tilted) == pytest.approx((np.sqrt(0.5) + 1) / 2)


@pytest.mark.parametrize("bad, message", [
    (lambda: metrics.iou(torch.ones(3), torch.ones(4)), "one value per point"),
    (lambda: metrics.chamfer_l1(np.zeros((3, 3)), np.zeros((3, 2))), r"\[N, 3\]"),
    (lambda: metrics.chamfer_l2(np.zeros((0, 3)), np.zeros((3, 3))), "non-empty"),
    (lambda: metrics.normal_consistency(np.zeros((3, 3)), np.zeros((2, 3)), np.zeros((3, 3)), np.zeros((3, 3))),
     "one normal per point"),
])
def test_bad_input_raises_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        bad()
