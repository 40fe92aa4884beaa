"""3D figures: plotly views with equal axes and their matplotlib static twins; slices with the level set."""

import matplotlib

matplotlib.use("Agg")

import plotly.graph_objects as go
import pytest
import torch

from nfteach import mesh, raytrace, shapes, viz3d


def test_mesh_and_points_figures_and_their_static_twins():
    m = mesh.marching_cubes(shapes.torus(0.5, 0.2), 24)
    fig = viz3d.mesh_figure(m, title="torus")
    assert isinstance(fig.data[0], go.Mesh3d) and fig.layout.scene.aspectmode == "data"
    assert len(fig.data[0].i) == len(m.faces)
    assert len(viz3d.mesh_static({"a": m, "b": m}).axes) == 2
    points = torch.rand(100, 3)
    assert isinstance(viz3d.points_figure(points, values=points[:, 0]).data[0], go.Scatter3d)
    assert viz3d.points_static(points).axes


def test_field_slices_draw_each_level_set():
    heart = shapes.heart(1.0)
    fig = viz3d.plot_field_slices({"SDF": heart, "occupancy": shapes.occupancy(heart), "TSDF": shapes.tsdf(heart, 0.1)},
                                  resolution=64)
    assert len(fig.axes) == 6  # three panels and their colour bars
    values = viz3d.field_slice(shapes.sphere(0.5), resolution=65, z=0.3)
    assert values.shape == (65, 65) and values[32, 32].item() == pytest.approx(-0.2, abs=1e-6)


def test_rendering_figure_shows_image_and_steps():
    rendering = raytrace.render(shapes.sphere(0.5), 16)
    assert len(viz3d.plot_rendering(rendering).axes) == 3


def test_an_empty_mesh_is_refused():
    with pytest.raises(ValueError, match="non-empty trimesh"):
        viz3d.mesh_figure("not a mesh")
