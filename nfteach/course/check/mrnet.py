"""Chapter 6 (MR-Net): checks for the level-of-detail weights, a stage's training target and one pyramid step."""

from __future__ import annotations

import math

import numpy as np
import torch

from nfteach.course.check.core import (Hint, Verdict, close, drawn, expect_shape, inputs_seed, may_not_call, run, state,
                                       tensor, unchanged)
from nfteach.mrnet import PYRAMID_SIGMA, MRNet, gaussian_pyramid, lod_weights as reference_weights

__all__ = ["lod_weights", "stage_target", "pyramid_reduce"]


@may_not_call("nfteach.mrnet.lod_weights")
def lod_weights(fn) -> Verdict:
    """Check ``fn(level, stages) -> stages weights`` against :func:`nfteach.mrnet.lod_weights`."""

    def test(fn):
        cases = [(0, 3), (1, 3), (2, 4), (2.25, 4), (0.5, 2), (3.9, 5), (5, 5)]
        if drawn():  # in the grader, two more levels drawn for this run: a table of the usual answers fails
            generator = torch.Generator().manual_seed(inputs_seed(6))
            cases += [(round(float(torch.rand((), generator=generator)) * s, 3), s) for s in (4, 6)]
        for level, stages in cases:
            got = tensor(torch.as_tensor(fn(level, stages), dtype=torch.float64), "lod_weights").reshape(-1)
            expected = torch.tensor(reference_weights(level, stages), dtype=torch.float64)
            if got.shape != expected.shape:
                raise Hint(f"return one weight per stage: {stages} for stages={stages}, got {got.numel()}")
            if close(got, expected, 1e-9):
                continue
            whole = math.floor(level)
            if close(got, torch.tensor([1.0 if s < level else 0.0 for s in range(stages)], dtype=torch.float64), 1e-9):
                raise Hint(f"level={level}: a fractional level fades the next stage in; stage ⌊level⌋ weighs the fraction")
            if whole < stages and level != whole and math.isclose(got[whole].item(), 1 - (level - whole)):
                raise Hint(f"level={level}: stage ⌊level⌋ weighs the fraction level − ⌊level⌋, not 1 minus it")
            if close(got, torch.tensor([1.0 if s <= level else 0.0 for s in range(stages)], dtype=torch.float64), 1e-9):
                raise Hint(f"level={level}: level k means the first k stages (level 1 is stage 0 alone)")
            raise Hint(f"level={level}, stages={stages}: expected {expected.tolist()}, got {got.tolist()}")

    return run("lod_weights", test, fn)


def stage_target(fn) -> Verdict:
    """Check ``fn(net, coords, values, k) -> [N, C]``: what stage k is trained on, the values minus the frozen sum."""

    def test(fn):
        torch.manual_seed(inputs_seed(7))
        net = MRNet("M", 2, 2, 3, [6, 8, 10])
        coords, values = torch.rand(50, 2) * 2 - 1, torch.rand(50, 2)
        for k in (0, 1, 2):
            with torch.no_grad():  # before the call: an answer that changes the network cannot move the target
                expected = (values - net(coords, level=k)).double()
                one_stage_too_many = (values - net(coords, level=k + 1)).double()
            before = state(net)
            got = fn(net, coords.clone(), values.clone(), k)
            unchanged(net, before, "network")
            if isinstance(got, torch.Tensor) and got.requires_grad:
                raise Hint("the frozen stages' sum is a constant: compute it under torch.no_grad() (or .detach() it), "
                           "so no gradient can reach the stages before k")
            got = tensor(got, "stage_target")
            with torch.no_grad():
                expect_shape(got, expected, "one target value per sample and channel")
                if close(got, expected):
                    continue
                if close(got, values.double()):
                    raise Hint(f"k={k}: stage k learns what the stages before it miss: subtract their sum from the values")
                if close(got, one_stage_too_many):
                    raise Hint(f"k={k}: subtract only the frozen stages 0 … k−1 (net(coords, level=k)), not stage k itself")
                if close(got, -expected):
                    raise Hint(f"k={k}: the sign is flipped: values minus the frozen sum")
            raise Hint(f"k={k}: values differ from the expected target (largest error {(got - expected).abs().max():.3g})")

    return run("stage_target", test, fn)


@may_not_call("nfteach.mrnet.gaussian_pyramid",
              "nfteach.mrnet.laplacian_pyramid",
              "skimage.transform.pyramid_reduce",
              "skimage.transform.pyramid_gaussian")
def pyramid_reduce(fn) -> Verdict:
    """Check ``fn(image [H, W, C]) -> [H/2, W/2, C]`` against one level of :func:`nfteach.mrnet.gaussian_pyramid`."""

    def test(fn):
        rng = np.random.default_rng(inputs_seed(8))
        image = np.clip(rng.random((16, 20, 3)) * 0.5 + np.linspace(0, 0.5, 20)[None, :, None], 0, 1)
        got = tensor(torch.as_tensor(np.asarray(fn(image.copy()), dtype=np.float64)), "pyramid_reduce")
        expected = gaussian_pyramid(torch.from_numpy(image), 2)[0].double()
        if got.shape != expected.shape:
            raise Hint(f"halve each side and keep the channels: expected shape {tuple(expected.shape)}, got {tuple(got.shape)}")
        if close(got, expected, 1e-5):
            return
        from skimage.filters import gaussian
        from skimage.transform import resize

        blurred = gaussian(image, sigma=PYRAMID_SIGMA, mode="reflect", channel_axis=-1)
        if close(got, torch.from_numpy(blurred[::2, ::2]), 1e-5):
            raise Hint("taking every other pixel samples the fine pixel centres; a coarse pixel's centre lies between "
                       "two fine ones: resample the blurred image with skimage.transform.resize (order=1)")
        if close(got, torch.from_numpy(resize(image, expected.shape, order=1, anti_aliasing=False)), 1e-5):
            raise Hint(f"blur before you halve: a Gaussian of σ = {PYRAMID_SIGMA:.3g} pixel, or the halving aliases")
        blurred_across = gaussian(image, sigma=PYRAMID_SIGMA, mode="reflect")
        if close(got, torch.from_numpy(resize(blurred_across, expected.shape, order=1, anti_aliasing=False)), 1e-5):
            raise Hint("the blur mixed the colour channels: blur each channel alone (channel_axis=-1)")
        raise Hint(f"values differ from the pyramid's next level (largest error {(got - expected).abs().max():.3g}); "
                   f"blur with σ = {PYRAMID_SIGMA:.3g} pixel (mode='reflect'), then resize to half the size")

    return run("pyramid_reduce", test, fn)
