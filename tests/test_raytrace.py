"""Camera rays, sphere tracing against ray–sphere intersection in closed form, shading, clear errors."""

import math

import pytest
import torch

from nfteach import raytrace, shapes


def test_camera_rays_are_unit_and_centred_on_the_target():
    origins, directions = raytrace.camera_rays(5, eye=(0, 0, 3), target=(0, 0, 0), fov=60)
    assert origins.shape == directions.shape == (25, 3)
    torch.testing.assert_close(directions.norm(dim=-1), torch.ones(25))
    torch.testing.assert_close(directions[12], torch.tensor([0.0, 0.0, -1.0]))  # the middle pixel
    top_left = directions[0]
    assert top_left[0] < 0 and top_left[1] > 0  # row 0 is the top, column 0 the left
    corner_angle = math.degrees(math.atan2(top_left[1], -top_left[2]))
    assert corner_angle == pytest.approx(30 * 4 / 5, rel=0.05)  # pixel centres sit inside the fov


def test_sphere_trace_hits_a_sphere_where_the_closed_form_says():
    origins, directions = raytrace.camera_rays(32, eye=(0, 0, 3), fov=30)
    trace = raytrace.sphere_trace(shapes.sphere(0.5), origins, directions, max_steps=100, eps=1e-5)
    b = (origins * directions).sum(-1)
    disc = b**2 - ((origins**2).sum(-1) - 0.25)
    expected_hit = disc > 0
    assert torch.equal(trace.hit, expected_hit)
    t = -b - disc.clamp(min=0).sqrt()
    torch.testing.assert_close(trace.distance[trace.hit], t[trace.hit], atol=1e-4, rtol=0)
    assert (shapes.sphere(0.5)(trace.points[trace.hit]).abs() < 1e-5).all()
    assert trace.steps.min() >= 1 and trace.steps[trace.hit].max() < 100


def test_grazing_rays_take_more_steps_than_head_on_rays():
    origins = torch.tensor([[0.0, 0.0, 3.0], [0.0, 0.49, 3.0]])
    directions = torch.tensor([[0.0, 0.0, -1.0], [0.0, 0.0, -1.0]])
    trace = raytrace.sphere_trace(shapes.sphere(0.5), origins, directions, max_steps=200, eps=1e-4)
    assert trace.hit.all() and trace.steps[1] > 2 * trace.steps[0]


def test_render_shades_hits_and_leaves_the_background():
    rendering = raytrace.render(shapes.sphere(0.5), 48, eye=(0, 0, 3), light=(0, 0, 1), fov=30)
    assert rendering.image.shape == (48, 48, 3) and rendering.steps.shape == (48, 48)
    assert rendering.image[0, 0].tolist() == [1.0, 1.0, 1.0]
    assert rendering.image[24, 24, 0] > 0.95  # facing the light
    assert rendering.image[rendering.hit].min() >= 0.15
    normal = raytrace.render(shapes.sphere(0.5), 48, eye=(0, 0, 3), fov=30, shading="normal")
    torch.testing.assert_close(normal.image[24, 24], torch.tensor([0.5, 0.5, 1.0]), atol=0.05, rtol=0)


def test_render_traces_a_network_too():
    net = torch.nn.Linear(3, 1)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[0.0, 0.0, 1.0]]))
        net.bias.zero_()
    rendering = raytrace.render(net, 16, eye=(0, 0, 3), fov=30)  # the plane z = 0 faces the camera
    assert rendering.hit.all()


@pytest.mark.parametrize("bad, message", [
    (lambda: raytrace.camera_rays(8, eye=(0, 0, 0), target=(0, 0, 0)), "must differ"),
    (lambda: raytrace.camera_rays(8, eye=(0, 3, 0), target=(0, 0, 0)), "parallel"),
    (lambda: raytrace.camera_rays(8, fov=190), "fov"),
    (lambda: raytrace.sphere_trace(shapes.sphere(0.5), torch.zeros(4, 3), torch.zeros(5, 3)), r"\[R, 3\]"),
    (lambda: raytrace.render(lambda p: p.norm(dim=-1) - 0.5, 8), r"values \[N, 1\]"),
    (lambda: raytrace.render(shapes.sphere(0.5), 8, shading="phong"), "shading"),
])
def test_bad_input_raises_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        bad()
