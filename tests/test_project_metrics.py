"""The projects' metrics (notebooks/projects/) pinned on hand-made cases: each reaches its floor on the exact
answer and its ceiling on the trivial one."""

import math

import pytest
import torch

from nfteach import metrics, shapes
from nfteach.data import image


@pytest.fixture(scope="module")
def gravel():
    return image("gravel", size=256)[..., 0]


# --- textures ---


def test_sliced_wasserstein_of_a_shifted_cloud_is_the_shift():
    a = torch.tensor([[0.0], [1.0], [3.0]])
    assert metrics.sliced_wasserstein(a, a).item() == 0.0
    assert metrics.sliced_wasserstein(a, a + 0.5).item() == pytest.approx(0.5)  # in 1D every direction is ±1
    b = torch.tensor([[0.0], [0.0], [1.0], [1.0], [3.0], [3.0]])  # the same distribution, twice the samples
    assert metrics.sliced_wasserstein(a, b).item() == pytest.approx(0.0)


def test_a_texture_against_itself_scores_the_floor_and_shuffled_pixels_the_ceiling(gravel):
    exemplar, elsewhere = gravel[:64, :64], gravel[96:224, 96:224]
    shuffled = elsewhere.flatten()[torch.randperm(128 * 128, generator=torch.Generator().manual_seed(0))]
    assert metrics.patch_swd(exemplar, exemplar).item() == 0.0
    real, noise = metrics.patch_swd(elsewhere, exemplar).item(), metrics.patch_swd(shuffled.reshape(128, 128), exemplar).item()
    assert 0 < real < 0.6 * noise  # another crop of the real texture is far nearer than the same pixels shuffled


def test_patch_swd_is_a_loss_too(gravel):
    texture = torch.rand(64, 64, requires_grad=True)
    metrics.patch_swd(texture, gravel[:64, :64]).backward()
    assert texture.grad is not None and texture.grad.abs().sum() > 0


def test_tiling_is_detected_by_the_repetition_score(gravel):
    tiled = gravel[:64, :64].repeat(2, 2)
    noise = torch.rand(128, 128, generator=torch.Generator().manual_seed(0))
    assert metrics.repetition_score(tiled) > 0.99
    assert metrics.repetition_score(noise) < 0.1
    assert metrics.repetition_score(gravel[96:224, 96:224]) < 0.3  # the real gravel does not repeat


def test_slice_diversity_is_zero_for_identical_slices_and_one_for_independent_ones():
    noise = torch.rand(4, 32, 32, generator=torch.Generator().manual_seed(0))
    assert metrics.slice_diversity(noise[:1].repeat(4, 1, 1)) == pytest.approx(0.0, abs=1e-12)
    assert metrics.slice_diversity(noise) == pytest.approx(1.0, abs=0.05)


# --- surface maps ---


def spherical_map(uv: torch.Tensor, radius: float = 0.5) -> torch.Tensor:
    """Latitude-longitude map of the sphere, poles left out: θ ∈ [0.1π, 0.9π], ϕ ∈ [0, 2π]."""
    theta, phi = math.pi * (0.1 + 0.8 * uv[:, 1]), 2 * math.pi * uv[:, 0]
    return radius * torch.stack([theta.sin() * phi.cos(), theta.sin() * phi.sin(), theta.cos()], -1)


def test_a_perfect_parametrisation_of_the_sphere_has_zero_sdf_error_and_no_flips():
    sphere, r = shapes.sphere(0.5), 9
    uv = torch.stack(torch.meshgrid(torch.linspace(0, 1, r), torch.linspace(0, 1, r), indexing="ij")[::-1], -1)
    points = spherical_map(uv.reshape(-1, 2))
    assert sphere(points).abs().max() < 1e-6
    triangles = metrics.grid_triangles(r)
    normals = shapes.gradient(sphere, points[triangles].mean(1))
    assert metrics.flipped_fraction(points, triangles, normals) == 0.0
    assert metrics.flipped_fraction(points, triangles, -normals) == 0.0  # reversed everywhere: no fold
    folded = points.clone()
    south = folded[:, 2] < -0.2
    folded[south, 2] = -folded[south, 2]  # the southern cap folded up onto the northern one
    fraction = metrics.flipped_fraction(folded, triangles, shapes.gradient(sphere, folded[triangles].mean(1)))
    assert 0.1 < fraction < 0.4


def test_grid_triangles_wind_counter_clockwise_in_the_domain():
    triangles = metrics.grid_triangles(3)
    assert triangles.shape == (8, 3)
    u = torch.tensor([0.0, 1, 2] * 3)
    v = torch.tensor([0.0, 0, 0, 1, 1, 1, 2, 2, 2])
    a, b, c = (torch.stack([u, v], -1)[triangles[:, i]] for i in range(3))
    cross = (b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0]
    assert (cross > 0).all()


def test_distortion_from_singular_values():
    stretch = torch.tensor([[[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]]]).repeat(4, 1, 1)
    values = metrics.jacobian_singular_values(stretch)
    assert values[0].tolist() == pytest.approx([2.0, 1.0])
    assert metrics.angle_distortion(values) == pytest.approx(2.0)
    assert metrics.area_distortion(values) == pytest.approx(1.0)  # every sample scaled alike
    mixed = torch.tensor([[1.0, 1.0], [2.0, 2.0]])  # areas 1 and 4, mean 2.5
    assert metrics.area_distortion(mixed) == pytest.approx((2.5 + 1.6) / 2)
    assert metrics.angle_distortion(mixed) == pytest.approx(1.0)


# --- correspondence ---


def test_known_correspondence_error_is_zero_for_the_exact_map_and_the_motion_for_identity():
    points = torch.rand(50, 2)
    moved = 1.5 * points + torch.tensor([0.1, 0.0])
    assert metrics.correspondence_error(moved, moved) == 0.0
    assert metrics.correspondence_error(points, moved) == pytest.approx((moved - points).norm(dim=1).mean().item())


def test_level_set_drift_is_zero_on_the_surface():
    growing = lambda xt: xt[:, :2].norm(dim=1, keepdim=True) - (0.5 + 0.2 * xt[:, 2:])  # a circle of radius 0.5 + 0.2t
    times = torch.linspace(0, 1, 5)
    direction = torch.nn.functional.normalize(torch.randn(30, 2), dim=1)
    paths = torch.stack([(0.5 + 0.2 * t) * direction for t in times])
    assert metrics.level_set_drift(growing, paths, times) == pytest.approx(0.0, abs=1e-6)
    assert metrics.level_set_drift(growing, paths * 1.1, times) == pytest.approx(0.1 * 0.6, abs=1e-5)  # 0.1 × the mean radius


# --- primitives ---


def test_iou_of_identical_shapes_is_one_and_a_hidden_primitive_does_not_matter():
    points = torch.rand(20000, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    inside = shapes.sphere(0.5)(points) <= 0
    assert metrics.iou(inside, inside) == 1.0
    balls = [shapes.sphere(0.3, [-0.5, 0, 0]), shapes.sphere(0.3, [0.5, 0, 0]), shapes.sphere(0.1, [0.5, 0, 0])]
    values = torch.cat([ball(points) for ball in balls], 1)  # the third sits inside the second
    assert metrics.primitives_that_matter(values, lambda v: v.min(1).values) == 2
    assert metrics.primitives_that_matter(values[:, :1], lambda v: v.min(1).values) == 1


def test_smooth_min_all_is_the_min_for_k_zero_and_below_it_otherwise():
    values = torch.tensor([[0.3, 0.1, 0.2], [1.0, -1.0, 0.5]])
    assert shapes.smooth_min_all(values, 0.0).tolist() == pytest.approx([0.1, -1.0])
    smooth = shapes.smooth_min_all(values, 0.5)
    assert (smooth <= values.min(1).values).all() and smooth[1] == pytest.approx(-1.0)


def test_spheres_are_the_analytic_spheres():
    from nfteach.primitives import Spheres

    soup = Spheres(3, radius=0.2)
    points = torch.rand(50, 3) * 2 - 1
    values = soup(points)
    assert values.shape == (50, 3) and soup.radii.tolist() == pytest.approx([0.2] * 3)
    ball = shapes.sphere(0.2, soup.centres[1].tolist())
    assert values[:, 1].tolist() == pytest.approx(ball(points)[:, 0].tolist(), abs=1e-5)
    with pytest.raises(ValueError, match=r"\[N, 3\]"):
        soup(torch.rand(5, 2))


def test_triangle_jacobians_recover_a_linear_map():
    linear = torch.tensor([[1.0, 2.0], [0.0, 3.0], [-1.0, 0.5]])  # p = A uv
    uv = torch.stack(torch.meshgrid(torch.linspace(0, 1, 3), torch.linspace(0, 1, 3), indexing="xy"), -1).reshape(-1, 2)
    jac = metrics.triangle_jacobians(uv, uv @ linear.T, metrics.grid_triangles(3))
    assert jac.shape == (8, 3, 2) and torch.allclose(jac, linear.expand(8, 3, 2), atol=1e-5)


def test_a_mesh_sdf_read_from_surface_samples_has_the_signs_of_ray_casting_and_the_analytic_distance():
    from nfteach import mesh
    from nfteach.explore.projects import mesh_sdf

    torus = mesh.torus_mesh(0.5, 0.2)
    points = torch.rand(400, 3, generator=torch.Generator().manual_seed(0)) * 1.6 - 0.8
    values = mesh_sdf(torus, seed=0)(points)
    assert ((values <= 0) == (mesh.contains(torus)(points)[:, 0] > 0.5)).all()
    assert (values - shapes.torus(0.5, 0.2)(points)[:, 0]).abs().max() < 0.03  # the samples' spacing and the facets


def test_spheres_placed_by_hand_on_the_core_circle_make_the_torus():
    from nfteach.explore.projects import placed_on_circle

    points = torch.rand(20000, 3, generator=torch.Generator().manual_seed(0)) * 1.6 - 0.8
    with torch.no_grad():
        composed = shapes.smooth_min_all(placed_on_circle(16, 0.5, 0.2)(points), 0.1)
    assert metrics.iou(composed <= 0, shapes.torus(0.5, 0.2)(points)[:, 0] <= 0) > 0.94  # 0.96 against the faceted mesh


def test_chapter_7_and_the_guide_show_the_numbers_the_starters_printed():
    import importlib.util
    from pathlib import Path

    from nfteach.explore.project_numbers import NUMBERS

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("project_numbers", root / "bench" / "project_numbers.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert list(NUMBERS) == [notebook.stem for notebook in bench.STARTERS]  # every starter, none left behind
    guide = (root / "docs" / "instructors.md").read_text()
    assert f"{bench.BEGIN}\n{bench.markdown_tables(NUMBERS)}\n{bench.END}" in guide, "rerun bench/project_numbers.py"
