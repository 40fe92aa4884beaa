"""Appendix A6's checks: the solutions pass, typical mistakes get their hint."""

import math
from pathlib import Path

import nbformat
import pytest
import torch

from nfteach.course import check

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "A6_hybrid_grids.ipynb"


def answers() -> dict:
    """The functions solutions/A6_hybrid_grids.ipynb asks for, defined from its answer cells."""
    namespace = {"torch": torch, "math": math}
    for cell in nbformat.read(SOLUTION, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            exec(cell.source, namespace)
    return namespace


ANSWERS = answers()
TASKS = ["bilinear_lookup", "triplane_lookup", "dense_grid_parameters"]


@pytest.mark.parametrize("task", TASKS)
def test_the_solution_passes(task, capsys):
    assert getattr(check, task)(ANSWERS[task])
    assert capsys.readouterr().out.strip() == f"✓ {task.replace('_', ' ')}: correct"


def hint(task, fn) -> str:
    verdict = getattr(check, task)(fn)
    assert not verdict
    return verdict.detail


def _bilinear_unclamped(grid, position):
    x0, y0 = position[:, 0].floor().long(), position[:, 1].floor().long()
    s, t = position[:, 0] - x0, position[:, 1] - y0
    x1, y1 = (x0 + 1).clamp(max=grid.shape[2] - 1), (y0 + 1).clamp(max=grid.shape[1] - 1)
    return (grid[:, y0, x0] * (1 - s) * (1 - t) + grid[:, y0, x1] * s * (1 - t) + grid[:, y1, x0] * (1 - s) * t
            + grid[:, y1, x1] * s * t).T * torch.where((x0 < grid.shape[2] - 1) & (y0 < grid.shape[1] - 1), 1.0, 0.5)[:, None]


def test_bilinear_mistakes_get_their_hints():
    bilinear = ANSWERS["bilinear_lookup"]
    assert "swapped them" in hint("bilinear_lookup", lambda g, p: bilinear(g.transpose(1, 2), p))
    assert "nearest lower vertex" in hint("bilinear_lookup", lambda g, p: g[:, p[:, 1].floor().long(), p[:, 0].floor().long()].T)
    assert "last row or column" in hint("bilinear_lookup", _bilinear_unclamped)
    flipped = lambda g, p: bilinear(g, p.floor().clamp(max=torch.tensor([g.shape[2] - 2, g.shape[1] - 2])) + 1 - (p - p.floor()))
    assert "weights are swapped" in hint("bilinear_lookup", flipped)


def _triplane(planes, coords, pairs=((0, 1), (0, 2), (1, 2)), scale=True):
    side = planes.shape[-1]
    u = (coords + 1) / 2 * ((side - 1) if scale else 1)
    return sum(ANSWERS["bilinear_lookup"](plane, u[:, list(pair)]) for plane, pair in zip(planes, pairs))


def test_triplane_mistakes_get_their_hints():
    assert "sums the three" in hint("triplane_lookup", lambda p, c: _triplane(p, c) / 3)
    assert "z–x" in hint("triplane_lookup", lambda p, c: _triplane(p, c, ((0, 1), (0, 2), (2, 0))))
    assert "column is axis a" in hint("triplane_lookup", lambda p, c: _triplane(p, c, ((1, 0), (2, 0), (2, 1))))
    assert "vertex units" in hint("triplane_lookup", lambda p, c: _triplane(p, c, scale=False))


def test_dense_grid_parameter_mistakes_get_their_hints():
    def count(d, levels, features, low, high, plus=1, times=True, rounding=math.floor):
        growth = (high / low) ** (1 / max(1, levels - 1))
        return (features if times else 1) * sum((rounding(low * growth**l + 1e-6) + plus) ** d for l in range(levels))

    assert "N_l + 1 vertices" in hint("dense_grid_parameters", lambda *a: count(*a, plus=0))
    assert "F = " in hint("dense_grid_parameters", lambda *a: count(*a, times=False))
    assert "rounds down" in hint("dense_grid_parameters", lambda *a: count(*a, rounding=round))
    assert "as an int" in hint("dense_grid_parameters", lambda *a: "many")
