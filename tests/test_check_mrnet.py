"""Chapter 6's checks: the solutions pass, typical mistakes get their hint."""

from pathlib import Path

import nbformat
import pytest
import torch
from skimage.filters import gaussian
from skimage.transform import resize

from nfteach.course import check
from nfteach.mrnet import PYRAMID_SIGMA

SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "06_mrnet.ipynb"


def answers() -> dict:
    """The functions solutions/06_mrnet.ipynb asks for, defined from its answer cells."""
    namespace = {"torch": torch, "gaussian": gaussian, "resize": resize, "PYRAMID_SIGMA": PYRAMID_SIGMA}
    for cell in nbformat.read(SOLUTION, as_version=4).cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            exec(cell.source, namespace)
    return namespace


ANSWERS = answers()


@pytest.mark.parametrize("task", ["lod_weights", "stage_target", "pyramid_reduce"])
def test_the_solution_passes(task, capsys):
    assert getattr(check, task)(ANSWERS[task])
    assert capsys.readouterr().out.strip() == f"✓ {task.replace('_', ' ')}: correct"


def hint(task, fn) -> str:
    verdict = getattr(check, task)(fn)
    assert not verdict
    return verdict.detail


def test_lod_weights_hints():
    assert "fades the next stage in" in hint("lod_weights", lambda t, n: [1.0 if s < t else 0.0 for s in range(n)])
    assert "not 1 minus it" in hint("lod_weights", lambda t, n: [1.0 if s + 1 <= t else (1 - (t - s) if s < t else 0.0)
                                                                  for s in range(n)])
    assert "first k stages" in hint("lod_weights", lambda t, n: [1.0 if s <= t else 0.0 for s in range(n)])
    assert "not done yet" in hint("lod_weights", lambda t, n: (_ for _ in ()).throw(NotImplementedError()))


def test_stage_target_hints():
    assert "torch.no_grad()" in hint("stage_target", lambda net, x, y, k: y - net(x, level=k))
    assert "subtract their sum" in hint("stage_target", lambda net, x, y, k: y)
    with torch.no_grad():
        assert "not stage k itself" in hint("stage_target", lambda net, x, y, k: y - net(x, level=k + 1))
        assert "sign is flipped" in hint("stage_target", lambda net, x, y, k: net(x, level=k) - y)


def test_pyramid_reduce_hints():
    blur = lambda img: gaussian(img, sigma=PYRAMID_SIGMA, mode="reflect", channel_axis=-1)
    half = lambda img: (img.shape[0] // 2, img.shape[1] // 2, img.shape[2])
    assert "every other pixel" in hint("pyramid_reduce", lambda img: blur(img)[::2, ::2])
    assert "blur before you halve" in hint("pyramid_reduce", lambda img: resize(img, half(img), order=1, anti_aliasing=False))
    assert "colour channels" in hint("pyramid_reduce", lambda img: resize(gaussian(img, sigma=PYRAMID_SIGMA, mode="reflect"),
                                                                          half(img), order=1, anti_aliasing=False))
    assert "expected shape" in hint("pyramid_reduce", lambda img: img)
