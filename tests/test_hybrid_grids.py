"""Appendix A6's encodings: d-linear lookup, the multiresolution dense grid and the tri-plane (each definition pinned)."""

import math

import pytest
import torch

from nfteach.encodings import EG3D_RELEASED_AXES, TRIPLANE_AXES, DenseGrid, HashGrid, TriPlane, grid_lookup, level_resolutions


def _vertices(sides: tuple[int, ...]) -> torch.Tensor:
    """Every vertex (x_0, …, x_{d−1}) of a grid with ``sides`` = (n_0, …, n_{d−1}), as float rows ``[Π n_i, d]``."""
    axes = torch.meshgrid(*[torch.arange(n, dtype=torch.float64) for n in sides[::-1]], indexing="ij")
    return torch.stack(axes[::-1], dim=-1).reshape(-1, len(sides))  # x_0 fastest, as the grid stores it


@pytest.mark.parametrize("sides", [(7,), (5, 9), (4, 6, 3)])
def test_d_linear_lookup_is_exact_on_multilinear_functions(sides):
    # f(x) = a + Σ b_i x_i + c Π x_i is multilinear: its d-linear interpolation from the vertices is f itself
    d = len(sides)
    generator = torch.Generator().manual_seed(0)
    a, b, c = torch.randn(2, generator=generator, dtype=torch.float64), torch.randn(d, 2, generator=generator,
                                                                                 dtype=torch.float64), 0.3
    f = lambda x: a + x @ b + c * x.prod(dim=1, keepdim=True)  # [N, 2]: two features
    grid = f(_vertices(sides)).T.reshape(2, *sides[::-1])  # [F, n_{d−1}, …, n_0]
    points = torch.rand(500, d, generator=generator, dtype=torch.float64) * (torch.tensor(sides) - 1)
    assert torch.allclose(grid_lookup(grid, points), f(points), atol=1e-10)
    assert torch.allclose(grid_lookup(grid, _vertices(sides)), f(_vertices(sides)), atol=1e-10)  # at the vertices


def test_lookup_reads_vertex_x0_as_the_column():
    grid = torch.arange(12.0).reshape(1, 3, 4)  # [F, n_1 = 3, n_0 = 4]: the value is 4 x_1 + x_0
    assert grid_lookup(grid, torch.tensor([[3.0, 0.0], [0.0, 2.0], [1.5, 1.0]])).flatten().tolist() == [3.0, 8.0, 5.5]


def test_dense_grid_parameter_count_is_the_memory_formula():
    for d, levels, n_min, n_max in [(2, 8, 16, 128), (3, 8, 16, 40), (2, 1, 50, 50), (1, 4, 8, 64)]:
        grid = DenseGrid(d, levels, 2, n_min, n_max)
        _, resolutions = level_resolutions(levels, n_min, n_max)
        formula = sum((n + 1) ** d for n in resolutions) * 2  # Σ_l (N_l + 1)^d F
        assert sum(p.numel() for p in grid.parameters()) == formula == DenseGrid.parameter_count(d, levels, 2, n_min, n_max)
        assert [tuple(g.shape) for g in grid.grids] == [(2, *[n + 1] * d) for n in resolutions]


def test_dense_grid_defaults_are_the_official_dense_baseline():
    # instant-ngp configs/nerf/densegrid.json: 8 levels from 16, 2 features per level (tiny-cuda-nn's default)
    grid = DenseGrid()
    assert (grid.levels, grid.features_per_level, grid.resolutions[0]) == (8, 2, 16)
    assert all(-1e-4 <= float(g.detach().min()) and float(g.detach().max()) <= 1e-4 for g in grid.grids)


@pytest.mark.parametrize("in_features", [2, 3])
def test_dense_grid_is_a_hash_grid_whose_table_holds_every_level(in_features):
    dense = DenseGrid(in_features, levels=4, base_resolution=8, max_resolution=20)
    hashed = HashGrid(in_features, levels=4, log2_table_size=16, base_resolution=8, max_resolution=20)
    assert all(hashed.dense) and hashed.resolutions == dense.resolutions
    with torch.no_grad():
        for grid, table in zip(dense.grids, hashed.tables):
            grid.copy_(torch.randn_like(grid))
            table.copy_(grid.reshape(grid.shape[0], -1).T)  # rows x_0 fastest, as the hash grid's dense levels
    coords = torch.rand(300, in_features) * 2 - 1
    assert torch.allclose(dense(coords), hashed(coords), atol=1e-6)
    assert DenseGrid.parameter_count(in_features, 4, 2, 8, 20) == HashGrid.parameter_count(in_features, 4, 2, 16, 8, 20)


@pytest.mark.parametrize("in_features, levels, budget", [(2, 8, 27614), (3, 8, 131072), (2, 1, 27614), (3, 1, 5000)])
def test_equal_memory_dense_grid_is_the_finest_that_fits(in_features, levels, budget):
    grid = DenseGrid.within(budget, in_features, levels)
    n = grid.resolutions[-1]
    base = n if levels == 1 else 16
    assert DenseGrid.parameter_count(in_features, levels, 2, base, n) <= budget
    assert DenseGrid.parameter_count(in_features, levels, 2, n + 1 if levels == 1 else 16, n + 1) > budget
    assert sum(p.numel() for p in grid.parameters()) <= budget


def test_equal_memory_constructors_refuse_a_budget_too_small():
    with pytest.raises(ValueError, match="cannot hold even the coarsest grid"):
        DenseGrid.within(1000, 3, levels=8)
    with pytest.raises(ValueError, match="cannot hold three 2 × 2 planes"):
        TriPlane.within(100, features=32)


def test_hash_grid_parameter_count_is_the_memory_formula():
    grid = HashGrid(3, levels=16, log2_table_size=12, base_resolution=16, max_resolution=128)
    formula = sum(min((n + 1) ** 3, 2**12) for n in grid.resolutions) * 2  # Σ_l min((N_l + 1)^d, T) F
    assert sum(p.numel() for p in grid.parameters()) == formula == HashGrid.parameter_count(3, 16, 2, 12, 16, 128)


def test_triplane_parameter_count_and_equal_memory_constructor():
    plane = TriPlane(resolution=20, features=8)
    assert sum(p.numel() for p in plane.parameters()) == 3 * 20**2 * 8 == TriPlane.parameter_count(20, 8)
    fitted = TriPlane.within(131072, features=32)
    assert TriPlane.parameter_count(fitted.resolution, 32) <= 131072 < TriPlane.parameter_count(fitted.resolution + 1, 32)
    assert fitted.out_features == 32 and all(-1e-4 <= v <= 1e-4 for v in (fitted.planes.detach().min(), fitted.planes.detach().max()))


def test_triplane_samples_each_axis_aligned_plane_at_the_projection_and_sums():
    n = 9
    plane = TriPlane(resolution=n, features=2)
    coords = torch.rand(400, 3) * 2 - 1
    u = (coords + 1) / 2 * (n - 1)  # [N, 3] in vertex units: the corners of the planes lie on the cube's corners
    with torch.no_grad():
        plane.planes.zero_()
        expected = torch.zeros(400, 2)
        for k, (a, b) in enumerate(TRIPLANE_AXES):  # plane k holds the linear function 1 + (k + 1) u_a − u_b ...
            one_plane = 1 + (k + 1) * _vertices((n, n))[:, 0] - _vertices((n, n))[:, 1]  # [n², ]: vertex (u_a, u_b)
            plane.planes[k, 0] = one_plane.reshape(n, n).float()
            expected[:, 0] += 1 + (k + 1) * u[:, a] - u[:, b]
            plane.planes[k, 1, 0, :] = 0  # ... and, in feature 1, nothing
        assert torch.allclose(plane(coords), expected, atol=1e-4)  # bilinear is exact on linear functions
        for k, (a, b) in enumerate(TRIPLANE_AXES):  # a plane's feature depends on its two axes only
            plane.planes.zero_()
            plane.planes[k] = torch.randn(2, n, n)
            moved = coords.clone()
            moved[:, 3 - a - b] = torch.rand(400) * 2 - 1  # the axis the plane does not span
            assert torch.allclose(plane(coords), plane(moved), atol=1e-6)
    assert TRIPLANE_AXES == ((0, 1), (0, 2), (1, 2))  # xy, xz, yz: no plane twice (EG3D's released zx is xz again)


def test_grids_train_and_reject_wrong_input():
    for encoding, d in [(DenseGrid(2, 2, 2, 4, 8), 2), (DenseGrid(3, 2, 2, 4, 8), 3), (TriPlane(8, 4), 3)]:
        coords = torch.rand(10, d) * 2 - 1
        encoding(coords).square().sum().backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in encoding.parameters())
        with pytest.raises(ValueError, match=f"{d}"):
            encoding(torch.rand(10, d + 1))
    with pytest.raises(ValueError, match="max_resolution"):
        DenseGrid(2, 4, 2, 16, 8)
    with pytest.raises(ValueError, match="in_features must be 1, 2 or 3"):
        DenseGrid(4)
    with pytest.raises(ValueError, match="at least 2"):
        TriPlane(1)
    assert math.isclose(DenseGrid(2, 8, 2, 16, 173).growth, (173 / 16) ** (1 / 7))


def test_eg3d_released_planes_have_no_yz_plane():
    plane = TriPlane(8, 2, axes=EG3D_RELEASED_AXES)
    coords = torch.rand(200, 3) * 2 - 1
    with torch.no_grad():
        plane.planes.copy_(torch.randn_like(plane.planes))
        moved = coords.clone()
        moved[:, 1] = torch.rand(200) * 2 - 1
        # with x fixed, the features change with y and z only through f(x, y) + g(x, z): no plane couples y with z
        lhs = plane(coords) + plane(torch.stack([moved[:, 0], moved[:, 1], torch.zeros(200)], 1))
        rhs = plane(moved) + plane(torch.stack([coords[:, 0], coords[:, 1], torch.zeros(200)], 1))
        assert torch.allclose(lhs, rhs, atol=1e-5)
        proper = TriPlane(8, 2)
        proper.planes.copy_(plane.planes)
        lhs = proper(coords) + proper(torch.stack([moved[:, 0], moved[:, 1], torch.zeros(200)], 1))
        rhs = proper(moved) + proper(torch.stack([coords[:, 0], coords[:, 1], torch.zeros(200)], 1))
        assert not torch.allclose(lhs, rhs, atol=1e-3)  # the yz plane couples them
    with pytest.raises(ValueError, match="three pairs of distinct axes"):
        TriPlane(8, 2, axes=((0, 1), (0, 0), (1, 2)))
