import math

import pytest
import torch

from nfteach.encodings import HASH_PRIMES, HashGrid, spatial_hash


def reference_hash(vertex: tuple[int, ...], log2_table_size: int) -> int:
    """The official uint32 hash written with Python's exact integers: XOR of x_i·π_i, then mod T."""
    value = 0
    for x, prime in zip(vertex, HASH_PRIMES):
        value ^= (x * prime) % 2**32  # uint32 arithmetic
    return value % 2**log2_table_size


def test_spatial_hash_on_known_inputs():
    # By hand: 1·1 ⊕ 1·2654435761 = 2654435760 (…0110000) → mod 2^4 = 0; π_1 alone: 2654435761 mod 2^8 = 177.
    assert spatial_hash(torch.tensor([[1, 1]]), 4).tolist() == [0]
    assert spatial_hash(torch.tensor([[0, 1]]), 8).tolist() == [2654435761 % 256] == [177]
    assert spatial_hash(torch.tensor([[5, 0, 0]]), 19).tolist() == [5]  # π_0 = 1: the x axis stays coherent
    assert spatial_hash(torch.tensor([[3, 7, 11]]), 19).tolist() == [(3 ^ 7 * 2654435761 ^ 11 * 805459861) % 2**19]


@pytest.mark.parametrize("log2_table_size", [4, 14, 19, 24, 32])
def test_spatial_hash_matches_uint32_reference_past_2_to_31(log2_table_size):
    big = [0, 1, 2**16 + 3, 2**31 - 1, 2**31, 2**31 + 12345, 2**32 - 1, 2**40 + 7]
    vertices = torch.tensor([[a, b, c] for a in big for b in big[::2] for c in big[1::3]])
    # x·π overflows int32 (and for x ≥ 2^32 int64): the masked result must still equal the exact one
    expected = [reference_hash(tuple(v), log2_table_size) for v in vertices.tolist()]
    assert spatial_hash(vertices, log2_table_size).tolist() == expected


def test_spatial_hash_rejects_bad_input():
    with pytest.raises(ValueError, match="integer"):
        spatial_hash(torch.zeros(3, 2), 10)
    with pytest.raises(ValueError, match=r"\[N, d\] with 1 ≤ d ≤ 3, got \[3, 4\]"):
        spatial_hash(torch.zeros(3, 4, dtype=torch.long), 10)


def test_resolutions_grow_geometrically_between_min_and_max():
    grid = HashGrid(2, levels=16, base_resolution=16, max_resolution=256)
    assert grid.resolutions[0] == 16 and grid.resolutions[-1] == 256
    assert math.isclose(grid.growth, 16 ** (1 / 15))
    assert grid.resolutions == [math.floor(16 * grid.growth**l + 1e-6) for l in range(16)]


@pytest.mark.parametrize("in_features, log2_table_size", [(2, 14), (3, 15), (2, 8)])
def test_dense_level_iff_vertices_fit_in_the_table(in_features, log2_table_size):
    grid = HashGrid(in_features, levels=8, log2_table_size=log2_table_size, base_resolution=4, max_resolution=128)
    table_size = 2**log2_table_size
    for n, dense, table in zip(grid.resolutions, grid.dense, grid.tables):
        assert dense == ((n + 1) ** in_features <= table_size)
        assert table.shape == ((n + 1) ** in_features if dense else table_size, 2)
    assert any(grid.dense) and not all(grid.dense)  # both kinds occur in these settings


def test_dense_levels_are_collision_free_and_hashed_levels_use_the_hash():
    grid = HashGrid(2, levels=4, log2_table_size=10, base_resolution=8, max_resolution=64)
    assert grid.dense == [True, True, False, False]
    n = grid.resolutions[1]
    vertices = torch.cartesian_prod(torch.arange(n + 1), torch.arange(n + 1))
    rows = grid.vertex_index(1, vertices)
    assert sorted(rows.tolist()) == list(range((n + 1) ** 2))  # a bijection onto the table
    assert torch.equal(grid.vertex_index(3, vertices), spatial_hash(vertices, 10))


def test_init_is_uniform_plus_minus_1e_minus_4():
    values = torch.cat([t.detach().flatten() for t in HashGrid(2, log2_table_size=12).tables])
    assert values.abs().max() <= 1e-4 and values.std() > 0.5e-4  # U(±1e-4) has std 5.8e-5


@pytest.mark.parametrize("in_features, log2_table_size", [(1, 4), (2, 9), (3, 9)])
def test_interpolation_is_exact_at_grid_vertices(in_features, log2_table_size):
    torch.manual_seed(0)
    grid = HashGrid(in_features, levels=5, log2_table_size=log2_table_size, base_resolution=4, max_resolution=40)
    for table in grid.tables:
        torch.nn.init.normal_(table)
    assert any(grid.dense) and not all(grid.dense)
    for level, n in enumerate(grid.resolutions):
        vertices = torch.randint(1, n, (50, in_features))  # interior vertices: p = k lies inside [0.5, N − 0.5]
        coords = (vertices - 0.5) / (n - 1) * 2 - 1  # p = u (N − 1) + 0.5 = k
        features = grid(coords)[:, 2 * level:2 * level + 2]
        expected = grid.tables[level][grid.vertex_index(level, vertices)]
        assert torch.allclose(features, expected, atol=1e-4), level


def test_interpolation_is_linear_between_vertices():
    grid = HashGrid(1, levels=1, log2_table_size=8, base_resolution=8, max_resolution=8)
    torch.nn.init.normal_(grid.tables[0])
    k, t = 3, 0.3
    coords = torch.tensor([[(k + t - 0.5) / 7 * 2 - 1]])
    expected = (1 - t) * grid.tables[0][k] + t * grid.tables[0][k + 1]
    assert torch.allclose(grid(coords)[0], expected, atol=1e-5)


def test_dense_grid_sample_path_equals_the_corner_gather_path():
    torch.manual_seed(1)
    grid = HashGrid(3, levels=3, log2_table_size=12, base_resolution=4, max_resolution=12)
    assert all(grid.dense)
    for table in grid.tables:
        torch.nn.init.normal_(table)
    unit = torch.rand(500, 3)
    for level, n in enumerate(grid.resolutions):
        position = unit * (n - 1) + 0.5
        fast = grid._dense_lookup(level, grid.tables[level], position)
        slow = grid._hashed_lookup(level, grid.tables[level], position)  # the same corners, dense rows
        assert torch.allclose(fast, slow, atol=1e-5)


@pytest.mark.parametrize("in_features", [1, 2, 3])
def test_hashed_level_read_per_vertex_equals_the_corner_gather(in_features):
    # Many points (a whole image): a hashed level reads each vertex's row once and interpolates with grid_sample;
    # the features and the tables' gradients must equal those of gathering every point's 2^d corners.
    torch.manual_seed(2)
    grid = HashGrid(in_features, levels=3, log2_table_size=3, base_resolution=8, max_resolution=12)
    assert not any(grid.dense)
    for table in grid.tables:
        torch.nn.init.normal_(table)
    unit, weights = torch.rand(3000, in_features), torch.randn(3000, grid.features_per_level)
    for level, n in enumerate(grid.resolutions):
        assert (n + 1) ** in_features <= 3000 * 2**in_features  # the forward takes the per-vertex way here
        position = unit * (n - 1) + 0.5
        table = grid.tables[level]
        per_vertex = grid._dense_lookup(level, table[grid.vertex_index(level, grid.vertices(level))], position)
        (per_vertex_grad,) = torch.autograd.grad((per_vertex * weights).sum(), table)
        corners = grid._hashed_lookup(level, table, position)
        (corners_grad,) = torch.autograd.grad((corners * weights).sum(), table)
        assert torch.allclose(per_vertex, corners, atol=1e-5) and torch.allclose(per_vertex_grad, corners_grad, atol=1e-4)
    features = grid(unit * 2 - 1)
    few = torch.cat([grid(point[None] * 2 - 1) for point in unit[:5]])  # one point at a time: the corner gather
    assert torch.allclose(features[:5], few, atol=1e-5)


def test_vertices_are_in_dense_row_order():
    grid = HashGrid(3, levels=1, log2_table_size=12, base_resolution=5, max_resolution=5)
    vertices = grid.vertices(0)
    assert vertices.shape == (6**3, 3) and torch.equal(grid.vertex_index(0, vertices), torch.arange(6**3))


def test_output_shape_gradients_and_errors():
    grid = HashGrid(2, levels=6, features_per_level=4, log2_table_size=10, base_resolution=4, max_resolution=64)
    out = grid(torch.rand(7, 2) * 2 - 1)
    assert out.shape == (7, 24) == (7, grid.out_features)
    out.sum().backward()
    assert all(t.grad is not None and t.grad.abs().sum() > 0 for t in grid.tables)
    with pytest.raises(ValueError, match=r"coords must have shape \[N, 2\], got \[7, 3\]"):
        grid(torch.rand(7, 3))
    with pytest.raises(ValueError, match="max_resolution"):
        HashGrid(2, base_resolution=32, max_resolution=16)
    with pytest.raises(ValueError, match="in_features must be 1, 2 or 3"):
        HashGrid(4)
