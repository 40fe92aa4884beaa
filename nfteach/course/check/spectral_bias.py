"""Chapter 1 (spectral bias): checks for the sum of sinusoids, the spectrum and the frequency response."""

from __future__ import annotations

import math

import torch

from nfteach import data, spectral
from nfteach.course.check.core import (Hint, Verdict, close, expect_shape, drawn, inputs_seed, may_not_call, ratio, run,
                                       tensor)

__all__ = ["sum_of_sinusoids", "spectrum", "frequency_response"]

_FREQS = [1.0, 3.0, 7.0]


def _amps_and_phases() -> tuple[list[float], list[float]]:
    """The test signal's amplitudes and phases: fixed in a notebook, drawn afresh for each run in the grader."""
    if not drawn():
        return [1.0, 0.5, 0.25], [0.3, 1.0, 2.0]
    generator = torch.Generator().manual_seed(inputs_seed(0))
    return (0.25 + 0.75 * torch.rand(3, generator=generator)).tolist(), (2 * math.pi * torch.rand(3, generator=generator)).tolist()


@may_not_call("nfteach.data.sinusoids")
def sum_of_sinusoids(fn) -> Verdict:
    """Check ``fn(t [n, 1], freqs, amps, phases) -> y [n, 1]`` against :func:`nfteach.data.sinusoids`."""

    def test(fn):
        amps, phases = _amps_and_phases()
        t, expected = data.sinusoids(_FREQS, amps, phases, n=64)
        got = tensor(fn(t, torch.tensor(_FREQS), torch.tensor(amps), torch.tensor(phases)), "sum_of_sinusoids")
        expect_shape(got, expected, "sum the sinusoids over the frequencies and keep one column")
        if close(got, expected):
            return
        shifted = data.sinusoids(_FREQS, amps, [p + math.pi / 2 for p in phases], n=64)[1]
        if close(got, shifted):
            raise Hint("you used cosines; the signal is a sum of sines")
        if close(got, data.sinusoids([f / (2 * math.pi) for f in _FREQS], amps, phases, n=64)[1]):
            raise Hint("frequency k means k cycles over [0, 1): the angle needs a factor 2π")
        if close(got, data.sinusoids(_FREQS, None, phases, n=64)[1]):
            raise Hint("every component has amplitude 1: multiply each sine by its amplitude")
        if close(got, data.sinusoids(_FREQS, amps, [0.0] * 3, n=64)[1]):
            raise Hint("the phases are missing: add each phase inside its sine")
        raise Hint(f"values differ from the expected signal (largest error {(got - expected).abs().max():.3g})")

    return run("sum_of_sinusoids", test, fn)


@may_not_call("nfteach.spectral.spectrum")
def spectrum(fn) -> Verdict:
    """Check ``fn(y [N]) -> magnitude [N // 2 + 1]`` against :func:`nfteach.spectral.spectrum`."""

    def test(fn):
        amps, phases = _amps_and_phases()
        y = data.sinusoids(_FREQS, amps, phases, n=64)[1][:, 0] + 0.1
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
        amps, phases = _amps_and_phases()
        learned = [1.0, 0.5, 1.0]  # component 3 is half learned; in the grader, fractions drawn for the run
        if drawn():
            learned = (0.2 + 0.8 * torch.rand(3, generator=torch.Generator().manual_seed(inputs_seed(5)))).tolist()
        y = data.sinusoids(_FREQS, [f * a for f, a in zip(learned, amps)], phases, n=64)[1][:, 0]
        freqs, amps = torch.tensor([1, 3, 7]), torch.tensor(amps)
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
