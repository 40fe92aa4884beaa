"""Each analytic SDF against its closed form, CSG against min/max and Quilez's smooth min, derived fields, sampling."""

import math

import pytest
import torch

from nfteach import shapes

torch.manual_seed(0)
P3 = torch.rand(2000, 3) * 2.4 - 1.2
P2 = torch.rand(2000, 2) * 2.4 - 1.2


def unit_gradient_fraction(shape, points, tol=1e-3):
    grad = shapes.gradient(shape, points)
    return ((grad.norm(dim=-1) - 1).abs() < tol).float().mean().item()


def test_sphere_and_circle_are_distance_to_center_minus_radius():
    center = torch.tensor([0.1, -0.2, 0.3])
    expected = (P3 - center).norm(dim=-1, keepdim=True) - 0.5
    torch.testing.assert_close(shapes.sphere(0.5, center=center.tolist())(P3), expected)
    torch.testing.assert_close(shapes.circle(0.4)(P2), P2.norm(dim=-1, keepdim=True) - 0.4)


def test_box_is_exact_outside_and_inside():
    b = shapes.box([0.3, 0.6, 0.2])
    points = torch.tensor([[0.0, 0.0, 0.0], [1.3, 0.0, 0.0], [1.3, 1.6, 0.0], [0.25, 0.0, 0.0], [0.0, 0.5, 0.1]])
    expected = torch.tensor([[-0.2], [1.0], [math.hypot(1.0, 1.0)], [-0.05], [-0.1]])
    torch.testing.assert_close(b(points), expected)
    assert b.dim == 3 and shapes.rectangle([0.3, 0.2]).dim == 2


def test_torus_is_y_up_with_the_closed_form():
    t = shapes.torus(0.6, 0.2)
    ring = (P3[:, [0, 2]].norm(dim=-1) - 0.6)
    torch.testing.assert_close(t(P3)[:, 0], torch.sqrt(ring**2 + P3[:, 1] ** 2) - 0.2)
    torch.testing.assert_close(t(torch.tensor([[0.6, 0.0, 0.0], [0.0, 0.0, 0.6], [0.0, 0.6, 0.0]])),
                               torch.tensor([[-0.2], [-0.2], [math.hypot(0.6, 0.6) - 0.2]]))


def test_capsule_cylinder_and_plane_match_their_closed_forms():
    cap = shapes.capsule([0, -0.5, 0], [0, 0.5, 0], 0.2)
    h = P3[:, 1].clamp(-0.5, 0.5)
    torch.testing.assert_close(cap(P3)[:, 0], (P3 - torch.stack([0 * h, h, 0 * h], -1)).norm(dim=-1) - 0.2)
    cyl = shapes.cylinder(0.3, 0.5)
    points = torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.7, 1.5, 0.0], [0.0, 0.45, 0.0]])
    torch.testing.assert_close(cyl(points), torch.tensor([[-0.3], [0.7], [0.5], [math.hypot(0.4, 1.0)], [-0.05]]))
    torch.testing.assert_close(shapes.plane([0, 2, 0], 0.25)(P3)[:, 0], P3[:, 1] + 0.25)


def test_every_primitive_has_unit_gradient_and_heart_has_its_shape():
    for shape, points in [(shapes.sphere(0.5), P3), (shapes.box([0.3, 0.6, 0.2]), P3), (shapes.torus(0.6, 0.2), P3),
                          (shapes.cylinder(0.3, 0.5), P3), (shapes.capsule([0, 0], [0.5, 0.2], 0.2), P2),
                          (shapes.heart(1.0), P2)]:
        assert unit_gradient_fraction(shape, points) > 0.97, shape
    heart = shapes.heart(1.0)
    assert heart(torch.tensor([[0.0, -0.5]])).abs().item() < 1e-6  # the tip
    assert heart(torch.tensor([[0.0, 0.0]])).item() < 0 < heart(torch.tensor([[0.0, 0.6]])).item()


def test_smooth_min_follows_its_formula_and_tends_to_min():
    a, b = torch.randn(1000), torch.randn(1000)
    k = 0.3
    h = (0.5 + 0.5 * (b - a) / k).clamp(0, 1)
    torch.testing.assert_close(shapes.smooth_min(a, b, k), b + (a - b) * h - k * h * (1 - h))
    assert torch.equal(shapes.smooth_min(a, b, 0), torch.minimum(a, b))
    gap = torch.minimum(a, b) - shapes.smooth_min(a, b, k)
    assert gap.min() >= 0 and gap.max() <= k / 4 + 1e-6
    assert (shapes.smooth_min(a, b, 1e-6) - torch.minimum(a, b)).abs().max() < 1e-6


def test_csg_with_k_zero_is_exact_min_and_max():
    a, b = shapes.sphere(0.5), shapes.box([0.3, 0.6, 0.3])
    torch.testing.assert_close(shapes.union(a, b)(P3), torch.minimum(a(P3), b(P3)))
    torch.testing.assert_close(shapes.intersection(a, b)(P3), torch.maximum(a(P3), b(P3)))
    torch.testing.assert_close(shapes.difference(a, b)(P3), torch.maximum(a(P3), -b(P3)))
    smooth = shapes.union(a, b, k=0.1)(P3)
    assert (smooth <= torch.minimum(a(P3), b(P3)) + 1e-7).all()


def test_transforms_move_scale_and_rotate_the_distance():
    s = shapes.sphere(0.3)
    moved = shapes.translate(s, [0.5, 0.0, 0.0])
    assert moved(torch.tensor([[0.5, 0.0, 0.0]])).item() == pytest.approx(-0.3)
    torch.testing.assert_close(shapes.scale(s, 2.0)(P3), shapes.sphere(0.6)(P3))
    turned = shapes.rotate(shapes.box([0.5, 0.1, 0.1]), math.pi / 2, axis="z")
    torch.testing.assert_close(turned(P3), shapes.box([0.1, 0.5, 0.1])(P3), atol=1e-6, rtol=0)
    torch.testing.assert_close(shapes.round(s, 0.1)(P3), shapes.sphere(0.4)(P3))
    torch.testing.assert_close(shapes.onion(s, 0.05)(P3), s(P3).abs() - 0.05)
    assert torch.allclose(moved.bounds[0], torch.tensor([0.2, -0.3, -0.3]))


def test_occupancy_and_tsdf():
    s = shapes.sphere(0.5)
    torch.testing.assert_close(shapes.occupancy(s)(P3), (s(P3) <= 0).float())
    torch.testing.assert_close(shapes.tsdf(s, 0.1)(P3), (s(P3) / 0.1).clamp(-1, 1))
    assert shapes.occupancy(s).level == 0.5 and shapes.tsdf(s, 0.1).level == 0.0


def test_surface_points_lie_on_the_surface_with_unit_outward_normals():
    shape = shapes.union(shapes.sphere(0.5), shapes.box([0.3, 0.6, 0.3]), k=0.1)
    points, normals = shapes.surface_points(shape, 5000, eps=1e-4)
    assert points.shape == normals.shape == (5000, 3)
    assert shape(points).abs().max() < 1e-4
    torch.testing.assert_close(normals.norm(dim=-1), torch.ones(5000))
    assert shape(points + 0.01 * normals).min() > 0  # the normals point outward
    sphere_points, sphere_normals = shapes.surface_points(shapes.sphere(0.5), 2000)
    torch.testing.assert_close(sphere_normals, sphere_points / 0.5, atol=1e-3, rtol=0)


def test_sampling_uniform_box_and_near_surface_spread():
    s = shapes.sphere(0.5)
    uniform = shapes.sample_uniform(s, 10000, padding=0.1)
    assert uniform.shape == (10000, 3) and uniform.abs().max() <= 0.55 and uniform.abs().max() > 0.54  # ONet: side 1.1
    near = shapes.sample_near_surface(s, 10000, sigmas=(0.07, 0.02))
    distance = s(near)[:, 0]
    assert distance.abs().std() < 0.07 and distance.abs().median() < 0.04
    assert (distance < 0).float().mean().item() == pytest.approx(0.5, abs=0.05)


@pytest.mark.parametrize("bad, message", [
    (lambda: shapes.sphere(-1), "radius must be a positive number"),
    (lambda: shapes.box([0.3, 0.2, 0.1, 0.4]), "half_sizes must be 2 or 3"),
    (lambda: shapes.union(shapes.sphere(0.5), shapes.circle(0.5)), "same dimension"),
    (lambda: shapes.union(shapes.sphere(0.5), shapes.sphere(0.2), k=-0.1), "k must be a smoothing radius"),
    (lambda: shapes.sphere(0.5)(torch.zeros(4, 2)), r"points must have shape \[N, 3\]"),
    (lambda: shapes.sphere(0.5)(torch.zeros(4, 3, dtype=torch.long)), "floating"),
    (lambda: shapes.translate(shapes.sphere(0.5), [0.1, 0.2]), "offset must have 3 entries"),
])
def test_bad_input_raises_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        bad()


def test_surface_points_refuses_a_field_without_a_surface():
    empty = shapes.Shape(lambda p: torch.ones(len(p), 1), 3, (-torch.ones(3), torch.ones(3)), "empty")
    with pytest.raises(RuntimeError, match="reached"):
        shapes.surface_points(empty, 100)
