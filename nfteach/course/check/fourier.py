"""Chapter 2 (Fourier features): checks for the positional encoding, Fourier features and PSNR."""

from __future__ import annotations

import math

import torch

from nfteach import metrics
from nfteach.course.check.core import Hint, Verdict, call, close, expect_shape, inputs_seed, may_not_call, run, tensor
from nfteach.encodings import FourierFeatures, PositionalEncoding

__all__ = ["positional_encoding", "fourier_features", "psnr"]


def _same_features_reordered(got: torch.Tensor, expected: torch.Tensor, tol: float = 1e-4) -> bool:
    """True when ``got [N, F]`` holds exactly the columns of ``expected [N, F]`` in some fixed order: for a network
    whose first layer is linear, any consistent order of the features is the same encoding."""
    if got.shape != expected.shape:
        return False
    distance = torch.cdist(got.T.contiguous(), expected.double().T.contiguous())  # [F, F]: column against column
    nearest = distance.min(dim=1)
    return bool((nearest.values < tol * math.sqrt(got.shape[0])).all()) and len(set(nearest.indices.tolist())) == got.shape[1]

@may_not_call("nfteach.encodings.PositionalEncoding")
def positional_encoding(fn) -> Verdict:
    """Check ``fn(x [N, d], num_frequencies) -> [N, d (1 + 2L)]`` against :class:`nfteach.PositionalEncoding`."""

    def test(fn):
        x = torch.rand(50, 2, generator=torch.Generator().manual_seed(inputs_seed(1))) * 2 - 1
        expected = PositionalEncoding(2, 4)(x).double()
        got = tensor(fn(x.clone(), 4), "positional_encoding")
        if got.shape[-1:] == (16,):
            raise Hint("expected 18 features for d=2, L=4, got 16: did you include x itself first?")
        expect_shape(got, expected, "per coordinate: x, then a sin and a cos for each of the L frequencies")
        if close(got, expected):
            return
        if _same_features_reordered(got, expected):
            print("(the same features in another order, which a network cannot tell apart; NeRF writes "
                  "[x, sin(2^0 πx), cos(2^0 πx), sin(2^1 πx), …], each block holding every coordinate)")
            return
        waves, expected_waves = got[:, 2:], expected[:, 2:]
        if close(waves, PositionalEncoding(2, 4)(x / math.pi).double()[:, 2:]):
            raise Hint("the frequencies are 2^i π: the factor π is missing")
        if close(waves.sort(dim=1).values, expected_waves.sort(dim=1).values):
            raise Hint("the right values, but not in the same order for every point: fix one order, e.g. NeRF's "
                       "[x, sin(2^0 πx), cos(2^0 πx), sin(2^1 πx), …], each block holding every coordinate")
        wrong = int(((waves - expected_waves).abs() > 1e-4).any(dim=0).nonzero()[0]) // 2
        raise Hint(f"x is right, the waves are not: the first wrong block is for frequency 2^{wrong // 2} π "
                   f"({'sin' if wrong % 2 == 0 else 'cos'})")

    return run("positional_encoding", test, fn)


@may_not_call("nfteach.encodings.FourierFeatures")
def fourier_features(fn) -> Verdict:
    """Check ``fn(v [N, d], B [m, d]) -> [N, 2m]`` against :class:`nfteach.FourierFeatures`."""

    def test(fn):
        generator = torch.Generator().manual_seed(inputs_seed(2))
        v, B = torch.rand(100, 2, generator=generator), 3 * torch.randn(256, 2, generator=generator)
        expected = FourierFeatures.from_matrix(B)(v).double()
        projection = "v is [N, d] and B is [m, d], so project with v @ B.T ({error})"
        got = tensor(call(fn, v.clone(), B.clone(), hints={"shape": projection, "size": projection}), "fourier_features")
        expect_shape(got, expected, "did you concatenate cos and sin?" if got.shape[-1:] == (256,) else "")
        if close(got, expected, 1e-3):
            return
        if _same_features_reordered(got, expected, 1e-3):
            print("(the same features in another order, which a network cannot tell apart: the paper writes "
                  "[cos 2πBv, sin 2πBv], the official code [sin, cos])")
            return
        if close(got, FourierFeatures.from_matrix(B / (2 * math.pi))(v).double(), 1e-3):
            raise Hint("the angle is 2π B v: the factor 2π is missing")
        raise Hint(f"values differ from γ(v) (largest error {(got - expected).abs().max():.3g})")

    return run("fourier_features", test, fn)


@may_not_call("nfteach.metrics.psnr", "nfteach.metrics.psnr_from_mse", "skimage.metrics.peak_signal_noise_ratio")
def psnr(fn) -> Verdict:
    """Check ``fn(pred, target, data_range=1.0) -> float`` against :func:`nfteach.metrics.psnr`."""

    def test(fn):
        generator = torch.Generator().manual_seed(inputs_seed(3))
        target = torch.rand(32, 32, 1, generator=generator)
        pred = (target + 0.05 * torch.randn(target.shape, generator=generator)).clamp(0, 1)
        for data_range, scale in ((1.0, 1.0), (2.0, 2.0)):
            expected = metrics.psnr(pred * scale, target * scale, data_range)
            got = fn(pred * scale, target * scale, data_range)
            got = float(got.item() if isinstance(got, torch.Tensor) else got)
            if abs(got - expected) < 1e-3:
                continue
            if abs(got + expected) < 1e-3:
                raise Hint("PSNR grows as the error shrinks: check the sign")
            if abs(got - expected / math.log(10)) < 1e-2 or abs(got - expected * math.log(10)) < 1e-2:
                raise Hint("PSNR uses log10, not the natural logarithm")
            if abs(got - 2 * expected) < 1e-2 or abs(got - expected / 2) < 1e-2:
                raise Hint("use 10 log10 of a ratio of squares (peak² / MSE), or 20 log10 of peak / RMSE")
            if data_range != 1.0:
                raise Hint(f"right for data in [0, 1], wrong for data_range={data_range:g}: the peak is data_range")
            raise Hint(f"expected about {expected:.2f} dB for a small test, got {got:.2f} dB: compare with the MSE")

    return run("psnr", test, fn)
