"""Chapter 1 (spectral bias): checks for the sum of sinusoids, the spectrum and the frequency response."""

from __future__ import annotations

import math

import torch

from nfteach import data, spectral
from nfteach.course.check.core import Hint, Verdict, close, expect_shape, may_not_call, ratio, run, tensor

__all__ = ["sum_of_sinusoids", "spectrum", "frequency_response"]

_FREQS, _AMPS, _PHASES = [1.0, 3.0, 7.0], [1.0, 0.5, 0.25], [0.3, 1.0, 2.0]


@may_not_call("nfteach.data.sinusoids")
def sum_of_sinusoids(fn) -> Verdict:
    """Check ``fn(t [n, 1], freqs, amps, phases) -> y [n, 1]`` against :func:`nfteach.data.sinusoids`."""

    def test(fn):
        t, expected = data.sinusoids(_FREQS, _AMPS, _PHASES, n=64)
        got = tensor(fn(t, torch.tensor(_FREQS), torch.tensor(_AMPS), torch.tensor(_PHASES)), "sum_of_sinusoids")
        expect_shape(got, expected, "sum the sinusoids over the frequencies and keep one column")
        if close(got, expected):
            return
        shifted = data.sinusoids(_FREQS, _AMPS, [p + math.pi / 2 for p in _PHASES], n=64)[1]
        if close(got, shifted):
            raise Hint("you used cosines; the signal is a sum of sines")
        if close(got, data.sinusoids([f / (2 * math.pi) for f in _FREQS], _AMPS, _PHASES, n=64)[1]):
            raise Hint("frequency k means k cycles over [0, 1): the angle needs a factor 2π")
        if close(got, data.sinusoids(_FREQS, None, _PHASES, n=64)[1]):
            raise Hint("every component has amplitude 1: multiply each sine by its amplitude")
        if close(got, data.sinusoids(_FREQS, _AMPS, [0.0] * 3, n=64)[1]):
            raise Hint("the phases are missing: add each phase inside its sine")
        raise Hint(f"values differ from the expected signal (largest error {(got - expected).abs().max():.3g})")

    return run("sum_of_sinusoids", test, fn)


@may_not_call("nfteach.spectral.spectrum")
def spectrum(fn) -> Verdict:
    """Check ``fn(y [N]) -> magnitude [N // 2 + 1]`` against :func:`nfteach.spectral.spectrum`."""

    def test(fn):
        y = data.sinusoids(_FREQS, _AMPS, _PHASES, n=64)[1][:, 0] + 0.1
        expected = spectral.spectrum(y)[1].double()
        got = tensor(fn(y.clone()), "spectrum").reshape(-1)
        if got.numel() == len(y):
            raise Hint(f"expected {len(expected)} values, got {len(y)}: a real signal needs only the non-negative "
                       "frequencies (torch.fft.rfft)")
        expect_shape(got, expected)
        if close(got, expected):
            return
        if abs(ratio(got, expected) - len(y)) < 1e-3 * len(y):
            raise Hint("the magnitudes are N times too large: divide by the number of samples")
        raise Hint(f"values differ from the expected spectrum (largest error {(got - expected).abs().max():.3g})")

    return run("spectrum", test, fn)


@may_not_call("nfteach.spectral.frequency_response")
def frequency_response(fn) -> Verdict:
    """Check ``fn(y [N], freqs, amps) -> response [len(freqs)]`` against :func:`nfteach.spectral.frequency_response`."""

    def test(fn):
        y = data.sinusoids(_FREQS, _AMPS, _PHASES, n=64)[1][:, 0]
        y = y - 0.5 * data.sinusoids([3.0], [0.5], [1.0], n=64)[1][:, 0]  # component 3 is half learned
        freqs, amps = torch.tensor([1, 3, 7]), torch.tensor(_AMPS)
        expected = spectral.frequency_response(y, freqs, amps).double()
        got = tensor(fn(y.clone(), freqs, amps), "frequency_response").reshape(-1)
        expect_shape(got, expected, "one value per target frequency")
        if close(got, expected, 1e-3):
            return
        scale = ratio(got, expected)
        if abs(scale - 0.5) < 1e-3:
            raise Hint("half the expected values: a sine of amplitude A shows A/2 in |FFT| / N, so double it")
        if close(got, expected * amps):
            raise Hint("divide by the target amplitudes so that a fully learned component gives 1")
        raise Hint(f"expected a learned fraction per frequency (1 = fully learned); largest error "
                   f"{(got - expected).abs().max():.3g}")

    return run("frequency_response", test, fn)
