"""Appendix A4's room: held-out shapes, scoring a reconstruction, and the observed-points explorer's static twin."""

import math

import torch
import matplotlib.pyplot as plt

from nfteach import onet, shapes
from nfteach.explore import onet as room


def test_logit_of_the_thresholds():
    assert room.logit(0.5) == 0 and math.isclose(room.logit(0.2), math.log(0.25))


def test_held_out_shapes_keep_the_auto_decoders_points_apart_from_the_scored_ones():
    held = room.HeldOut.generate(2, observed=40, seed=3)
    assert len(held) == 2 and held.clouds.shape == (2, 40, 3) and held.data.points.shape == (2, 8192, 3)
    points, occupancy = held.labelled
    assert points.shape == (2, 40, 3) and torch.equal(occupancy[0], shapes.occupancy(held.family[0])(points[0])[:, 0])
    assert not torch.isclose(points[0][:, None], held.data.points[0][None]).all(-1).any()


def test_the_true_shape_scores_perfectly_and_an_empty_field_has_no_mesh():
    held = room.HeldOut.generate(1, observed=20, seed=4)
    truth = shapes.Shape(lambda p: -1e4 * held.family[0](p), 3, held.family[0].bounds, "logits")  # > 0 inside
    row = room.score(truth, held, 0, resolution=48)
    assert row["IoU"] == 1.0 and row["Chamfer-L1"] < 0.01
    empty = shapes.Shape(lambda p: -torch.ones(len(p), 1), 3, held.family[0].bounds, "empty")
    assert room.shape_mesh(empty) is None and room.score(empty, held, 0)["Chamfer-L1"] == math.inf
    assert room.mean_scores([{"IoU": 1.0}, {"IoU": 0.5}]) == {"IoU": 0.75}


def test_the_observed_strip_draws_each_count():
    torch.manual_seed(0)
    net = onet.OccupancyNetwork(8, 8, 8, 1)
    torch.nn.init.normal_(net.decoder.fc_out.bias, 1.0)
    held = room.HeldOut.generate(1, observed=20, seed=5)
    fig, ious = room.observed_strip(net.eval(), held, 0, counts=(5, 20), resolution=16)
    assert set(ious) == {5, 20} and all(0 <= v <= 1 for v in ious.values())
    plt.close(fig)
    code = room.mean_code(net, held.data, count=1)
    assert code.shape == (8,)
