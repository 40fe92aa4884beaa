"""Appendix A6 (hybrid grids): checks for bilinear lookup, the tri-plane lookup and a dense grid's memory."""

from __future__ import annotations

import torch

from nfteach.course.check.core import Hint, Verdict, close, drawn, expect_shape, inputs_seed, may_not_call, run, tensor
from nfteach.encodings import EG3D_RELEASED_AXES, DenseGrid, TriPlane, grid_lookup

__all__ = ["bilinear_lookup", "triplane_lookup", "dense_grid_parameters"]


@may_not_call("nfteach.encodings.grid_lookup", "torch.nn.functional.grid_sample", "nfteach.encodings.DenseGrid.forward")
def bilinear_lookup(fn) -> Verdict:
    """Check ``fn(grid [F, H, W], position [N, 2]) -> [N, F]`` (position (x, y) in vertex units, x the column)
    against :func:`nfteach.encodings.grid_lookup`."""

    def test(fn):
        generator = torch.Generator().manual_seed(inputs_seed(21))
        grid = torch.randn(3, 6, 6, generator=generator, dtype=torch.float64)  # [F, H = 6, W = 6]
        position = torch.rand(200, 2, generator=generator, dtype=torch.float64) * 5
        position = torch.cat([position, torch.tensor([[5.0, 5.0], [0.0, 0.0], [5.0, 1.5], [2.5, 5.0]])])  # edges
        expected = grid_lookup(grid, position)
        got = tensor(fn(grid.clone(), position.clone()), "bilinear_lookup")
        expect_shape(got, expected, "one F-vector per point: [N, F]")
        if close(got, expected):
            return
        if close(got, grid_lookup(grid.transpose(1, 2).contiguous(), position)):
            raise Hint("x is the column (the last index of grid[:, y, x]) and y the row: you swapped them")
        if close(got, grid[:, position[:, 1].floor().long(), position[:, 0].floor().long()].T.double()):
            raise Hint("that is the nearest lower vertex: weigh the cell's four corners by the point's offsets in it")
        inner = (position < 5).all(dim=1)
        if close(got[inner], expected[inner]):
            raise Hint("right inside, wrong on the last row or column: there ⌊p⌋ + 1 is outside the grid; "
                       "clamp the cell's lower corner to W − 2 (H − 2), so that its weight t becomes 1")
        flipped = grid_lookup(grid, position.floor() + (1 - (position - position.floor())))
        if close(got[inner], flipped[inner]):
            raise Hint("the weights are swapped: the corner ⌊x⌋ weighs 1 − t and the corner ⌊x⌋ + 1 weighs t, "
                       "t = x − ⌊x⌋")
        raise Hint(f"values differ from bilinear interpolation (largest error {(got - expected).abs().max():.3g})")

    return run("bilinear_lookup", test, fn)


def _planes(planes: torch.Tensor, axes=None) -> TriPlane:
    """The kit's tri-plane holding ``planes [3, C, N, N]`` (float64), with the given axes."""
    reference = TriPlane(planes.shape[-1], planes.shape[1], **({} if axes is None else {"axes": axes})).double()
    with torch.no_grad():
        reference.planes.copy_(planes)
    return reference


@may_not_call("nfteach.encodings.TriPlane", "nfteach.encodings.grid_lookup", "torch.nn.functional.grid_sample")
def triplane_lookup(fn) -> Verdict:
    """Check ``fn(planes [3, C, N, N], coords [M, 3]) -> [M, C]`` against :class:`nfteach.encodings.TriPlane`."""

    def test(fn):
        generator = torch.Generator().manual_seed(inputs_seed(22))
        planes = torch.randn(3, 4, 6, 6, generator=generator, dtype=torch.float64)  # [3, C = 4, N = 6, N]
        coords = torch.rand(300, 3, generator=generator, dtype=torch.float64) * 2 - 1  # [M, 3] in [−1, 1]
        with torch.no_grad():
            expected = _planes(planes)(coords).double()
            got = tensor(fn(planes.clone(), coords.clone()), "triplane_lookup")
            expect_shape(got, expected, "one C-vector per point: the three planes' features summed, [M, C]")
            if close(got, expected):
                return
            if close(got, expected / 3):
                raise Hint("EG3D's paper sums the three planes' features (its code takes the mean); sum them")
            if close(got, _planes(planes, EG3D_RELEASED_AXES)(coords).double()):
                raise Hint("the third plane is y–z: you sampled z–x, a copy of x–z (as EG3D's released code does)")
            if close(got, _planes(planes.transpose(2, 3))(coords).double()):
                raise Hint("plane (a, b) is an image whose column is axis a and whose row is axis b: "
                           "sample it at (u_a, u_b) with u_a as x")
            side = planes.shape[-1]
            if close(got, _planes(planes)((coords + 1) / (side - 1) - 1).double()):  # u = (x + 1) / 2, never scaled
                raise Hint("(x + 1) / 2 is in [0, 1]; in vertex units it is u = (x + 1) / 2 · (N − 1)")
        raise Hint(f"values differ from P_xy(x, y) + P_xz(x, z) + P_yz(y, z) (largest error "
                   f"{(got - expected).abs().max():.3g})")

    return run("triplane_lookup", test, fn)


@may_not_call("nfteach.encodings.DenseGrid", "nfteach.encodings.level_resolutions",
              "nfteach.encodings.HashGrid.parameter_count")
def dense_grid_parameters(fn) -> Verdict:
    """Check ``fn(in_features, levels, features_per_level, base_resolution, max_resolution) -> int`` against
    :meth:`nfteach.encodings.DenseGrid.parameter_count`."""

    def test(fn):
        cases = [(2, 8, 2, 16, 128), (3, 8, 2, 16, 40), (2, 1, 2, 50, 50), (3, 16, 2, 16, 173), (1, 4, 4, 8, 64)]
        if drawn():  # in the grader, two settings drawn for this run: a table of the usual answers fails
            generator = torch.Generator().manual_seed(inputs_seed(23))
            draw = lambda low, high: int(torch.randint(low, high, (), generator=generator))
            cases += [(draw(2, 4), draw(2, 12), draw(1, 5), 16, draw(17, 300)) for _ in range(2)]
        for d, levels, features, low, high in cases:
            expected = DenseGrid.parameter_count(d, levels, features, low, high)
            got = fn(d, levels, features, low, high)
            got = got.item() if isinstance(got, torch.Tensor) else got
            if not isinstance(got, (int, float)) or got != got:
                raise Hint(f"return the number of parameters as an int, got {got!r}")
            if got == expected:
                continue
            setting = f"d={d}, L={levels}, F={features}, N_min={low}, N_max={high}"
            growth = (high / low) ** (1 / max(1, levels - 1))
            resolutions = [int(low * growth**l + 1e-6) for l in range(levels)]
            if got == sum(n**d for n in resolutions) * features:
                raise Hint(f"{setting}: a level of resolution N_l has N_l + 1 vertices per axis, (N_l + 1)^d in all")
            if got == expected // features:
                raise Hint(f"{setting}: each vertex holds F = {features} features")
            if got == sum((round(low * growth**l) + 1) ** d for l in range(levels)) * features:
                raise Hint(f"{setting}: N_l = ⌊N_min · b^l⌋ rounds down (floor), not to the nearest integer")
            raise Hint(f"{setting}: expected {expected:,} parameters, got {got:,}")

    return run("dense_grid_parameters", test, fn)
