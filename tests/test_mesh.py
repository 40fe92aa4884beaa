"""Marching cubes in world units with outward normals; meshes back to fields against trimesh; clear errors."""

import math

import numpy as np
import pytest
import torch
import trimesh

from nfteach import mesh, metrics, shapes


def test_marching_cubes_returns_a_watertight_world_unit_mesh_with_outward_normals():
    sphere = mesh.marching_cubes(shapes.sphere(0.5, center=[0.2, 0.0, 0.0]), 64, bounds=(-1, 1))
    assert isinstance(sphere, trimesh.Trimesh) and sphere.is_watertight
    radii = np.linalg.norm(sphere.vertices - [0.2, 0, 0], axis=1)
    assert np.abs(radii - 0.5).max() < 0.01  # world units, not voxel indices
    assert sphere.volume == pytest.approx(4 / 3 * math.pi * 0.5**3, rel=0.01)
    assert sphere.area == pytest.approx(4 * math.pi * 0.5**2, rel=0.01)
    outward = np.einsum("ij,ij->i", sphere.vertex_normals, sphere.vertices - [0.2, 0, 0])
    assert (outward > 0).all()


def test_marching_cubes_honours_asymmetric_bounds_and_occupancy_levels():
    box = shapes.translate(shapes.box([0.2, 0.3, 0.1]), [1.0, 2.0, 3.0])
    m = mesh.marching_cubes(box, 49, bounds=([0.5, 1.5, 2.5], [1.5, 2.5, 3.5]))
    np.testing.assert_allclose(m.bounds, [[0.8, 1.7, 2.9], [1.2, 2.3, 3.1]], atol=1e-6)
    occupied = mesh.marching_cubes(shapes.occupancy(shapes.sphere(0.5)), 64, level=0.5)
    assert occupied.is_watertight and occupied.volume == pytest.approx(4 / 3 * math.pi * 0.125, rel=0.02)


def test_torus_volume_and_area_converge_with_resolution():
    errors = []
    for resolution in (24, 96):
        m = mesh.marching_cubes(shapes.torus(0.5, 0.2), resolution)
        errors.append(abs(m.volume / (2 * math.pi**2 * 0.5 * 0.2**2) - 1))
    assert errors[1] < 0.01 and errors[1] < errors[0]


def test_analytic_sdf_agrees_with_trimesh_distance_to_its_mesh():
    points = torch.rand(300, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2 - 1
    for analytic, primitive in [(shapes.box([0.3, 0.5, 0.2]), mesh.box_mesh([0.3, 0.5, 0.2])),
                                (shapes.torus(0.5, 0.2), mesh.torus_mesh(0.5, 0.2, sections=128)),
                                (shapes.sphere(0.5), mesh.sphere_mesh(0.5, subdivisions=5))]:
        from_mesh = mesh.signed_distance(primitive)(points)
        np.testing.assert_allclose(from_mesh.numpy(), analytic(points.float()).double().numpy(), atol=2e-3)
        inside = mesh.contains(primitive)(points)[:, 0].bool()
        assert torch.equal(inside, analytic(points.float())[:, 0] <= 0)


def test_mesh_of_a_sphere_is_close_to_the_analytic_surface():
    sphere = shapes.sphere(0.5)
    m = mesh.marching_cubes(sphere, 48)
    samples, normals = mesh.surface_samples(m, 20000)
    truth, true_normals = shapes.surface_points(sphere, 20000)
    floor = metrics.chamfer_l1(shapes.surface_points(sphere, 20000, seed=1)[0], truth)  # two samplings of one surface
    assert metrics.chamfer_l1(samples, truth) < 1.1 * floor
    coarse = mesh.surface_samples(mesh.marching_cubes(sphere, 6), 20000)[0]
    assert metrics.chamfer_l1(coarse, truth) > 1.5 * floor
    assert metrics.normal_consistency(samples, normals, truth, true_normals) > 0.99


def test_marching_cubes_evaluates_a_network_in_chunks():
    net = torch.nn.Sequential(torch.nn.Linear(3, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0, 0.0]]))
        net[0].bias.fill_(-0.25)
    m = mesh.marching_cubes(net, 17, chunk=100)  # the plane x = 0.25, clipped by the box
    np.testing.assert_allclose(m.vertices[:, 0], 0.25, atol=1e-6)


@pytest.mark.parametrize("field, kwargs, error, message", [
    (lambda p: p[:, 0], {}, ValueError, r"values \[N, 1\]"),
    (lambda p: p.norm(dim=-1, keepdim=True) * float("nan"), {}, ValueError, "NaN"),
    (shapes.sphere(0.5), {"level": 5.0}, ValueError, "never crosses level 5"),
    (shapes.sphere(0.5), {"resolution": 1200}, MemoryError, "6.4 GiB"),
    (shapes.sphere(0.5), {"bounds": (1, -1)}, ValueError, "high > low"),
])
def test_marching_cubes_bad_input(field, kwargs, error, message):
    with pytest.raises(error, match=message):
        mesh.marching_cubes(field, kwargs.pop("resolution", 16), **kwargs)


def test_an_open_mesh_is_refused_with_the_repair_hint():
    cut = mesh.marching_cubes(shapes.sphere(0.5), 32, bounds=(0.0, 1.0))  # only one octant: open
    assert not cut.is_watertight
    with pytest.raises(ValueError, match="not watertight.*fill_holes"):
        mesh.signed_distance(cut)
    with pytest.raises(ValueError, match="not watertight"):
        mesh.contains(cut)
