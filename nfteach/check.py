"""Inline feedback for the exercises: ``check.<task>(your_function)`` prints one ✓ line or one hint.

Each check runs the student's function on small inputs and compares it numerically with the kit's own
implementation (``nfteach.encodings``, ``nfteach.spectral``, …); it never prints the reference code.
A check returns a :class:`Verdict` (truthy when passed) and keeps it for :mod:`nfteach.grading`, which
reads verdicts from the kernel rather than from printed text. With the environment variable
``NFTEACH_STRICT=1`` (e.g. under nbgrader's autograder) a failed check raises ``AssertionError``.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Callable

import torch

from nfteach import data, metrics, spectral
from nfteach.encodings import FourierFeatures, PositionalEncoding
from nfteach.models import SineLayer, Siren


@dataclass
class Verdict:
    """The outcome of one check: ``status`` is "passed", "failed" (wrong answer) or "error" (it raised)."""

    task: str
    status: str
    detail: str = ""

    @property
    def message(self) -> str:
        name = self.task.replace("_", " ")
        return f"✓ {name}: correct" if self else f"✗ {name}: {self.detail}"

    def __bool__(self) -> bool:
        return self.status == "passed"

    def __repr__(self) -> str:
        return self.message

    def _ipython_display_(self) -> None:
        """The check already printed its line; show nothing more as the cell's value."""


_last: Verdict | None = None


def take_verdict() -> dict | None:
    """The last check's verdict as a dict (then forget it); used by the grader inside the kernel."""
    global _last
    verdict, _last = _last, None
    return None if verdict is None else asdict(verdict)


class Hint(Exception):
    """A wrong answer; the message tells the student what to look at."""


def _run(task: str, test: Callable[[Callable], None], fn) -> Verdict:
    global _last
    try:
        if not callable(fn):
            raise Hint(f"pass your function itself, e.g. check.{task}(my_function); got {type(fn).__name__}")
        test(fn)
        verdict = Verdict(task, "passed")
    except Hint as hint:
        verdict = Verdict(task, "failed", str(hint))
    except NotImplementedError:
        verdict = Verdict(task, "failed", "not done yet: replace `raise NotImplementedError()` with your code")
    except Exception as error:  # the student's code raised: report it, never crash the notebook
        verdict = Verdict(task, "error", f"your function raised {type(error).__name__}: {error}")
    _last = verdict
    print(verdict.message)
    if not verdict and os.environ.get("NFTEACH_STRICT") == "1":
        raise AssertionError(verdict.message)
    return verdict


def _tensor(value, what: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise Hint(f"{what} should return a torch.Tensor, got {type(value).__name__}")
    if value.is_complex():
        raise Hint(f"{what} returned complex numbers: take their magnitude with .abs()")
    return value.detach().double().cpu()


def _shape(got: torch.Tensor, expected: torch.Tensor, hint: str = "") -> None:
    if got.shape != expected.shape:
        shown = lambda s: "(N, " + ", ".join(map(str, s[1:])) + ")" if len(s) == 2 and s[0] == expected.shape[0] else tuple(s)
        raise Hint(f"expected shape {shown(expected.shape)}, got {shown(got.shape)}" + (f": {hint}" if hint else ""))


def _close(got: torch.Tensor, expected: torch.Tensor, tol: float = 1e-4) -> bool:
    return got.shape == expected.shape and bool(torch.allclose(got, expected.double(), atol=tol, rtol=tol))


def _ratio(got: torch.Tensor, expected: torch.Tensor) -> float:
    """The scalar c with got ≈ c · expected (least squares)."""
    expected = expected.double()
    return float((got * expected).sum() / (expected * expected).sum().clamp_min(1e-30))


def _call(fn, *args, hints: dict[str, str]):
    """``fn(*args)``; a RuntimeError whose text contains a key of ``hints`` becomes that hint ({error} = its text)."""
    try:
        return fn(*args)
    except RuntimeError as error:
        hint = next((hint for key, hint in hints.items() if key in str(error)), None)
        if hint is None:
            raise
        raise Hint(hint.format(error=error)) from None


# ---- Chapter 1: spectral bias -----------------------------------------------------------------------------

_FREQS, _AMPS, _PHASES = [1.0, 3.0, 7.0], [1.0, 0.5, 0.25], [0.3, 1.0, 2.0]


def sum_of_sinusoids(fn) -> Verdict:
    """Check ``fn(t [n, 1], freqs, amps, phases) -> y [n, 1]`` against :func:`nfteach.data.sinusoids`."""

    def test(fn):
        t, expected = data.sinusoids(_FREQS, _AMPS, _PHASES, n=64)
        got = _tensor(fn(t, torch.tensor(_FREQS), torch.tensor(_AMPS), torch.tensor(_PHASES)), "sum_of_sinusoids")
        _shape(got, expected, "sum the sinusoids over the frequencies and keep one column")
        if _close(got, expected):
            return
        shifted = data.sinusoids(_FREQS, _AMPS, [p + math.pi / 2 for p in _PHASES], n=64)[1]
        if _close(got, shifted):
            raise Hint("you used cosines; the signal is a sum of sines")
        if _close(got, data.sinusoids([f / (2 * math.pi) for f in _FREQS], _AMPS, _PHASES, n=64)[1]):
            raise Hint("frequency k means k cycles over [0, 1): the angle needs a factor 2π")
        if _close(got, data.sinusoids(_FREQS, None, _PHASES, n=64)[1]):
            raise Hint("every component has amplitude 1: multiply each sine by its amplitude")
        if _close(got, data.sinusoids(_FREQS, _AMPS, [0.0] * 3, n=64)[1]):
            raise Hint("the phases are missing: add each phase inside its sine")
        raise Hint(f"values differ from the expected signal (largest error {(got - expected).abs().max():.3g})")

    return _run("sum_of_sinusoids", test, fn)


def spectrum(fn) -> Verdict:
    """Check ``fn(y [N]) -> magnitude [N // 2 + 1]`` against :func:`nfteach.spectral.spectrum`."""

    def test(fn):
        y = data.sinusoids(_FREQS, _AMPS, _PHASES, n=64)[1][:, 0] + 0.1
        expected = spectral.spectrum(y)[1].double()
        got = _tensor(fn(y.clone()), "spectrum").reshape(-1)
        if got.numel() == len(y):
            raise Hint(f"expected {len(expected)} values, got {len(y)}: a real signal needs only the non-negative "
                       "frequencies (torch.fft.rfft)")
        _shape(got, expected)
        if _close(got, expected):
            return
        if abs(_ratio(got, expected) - len(y)) < 1e-3 * len(y):
            raise Hint("the magnitudes are N times too large: divide by the number of samples")
        raise Hint(f"values differ from the expected spectrum (largest error {(got - expected).abs().max():.3g})")

    return _run("spectrum", test, fn)


def frequency_response(fn) -> Verdict:
    """Check ``fn(y [N], freqs, amps) -> response [len(freqs)]`` against :func:`nfteach.spectral.frequency_response`."""

    def test(fn):
        y = data.sinusoids(_FREQS, _AMPS, _PHASES, n=64)[1][:, 0]
        y = y - 0.5 * data.sinusoids([3.0], [0.5], [1.0], n=64)[1][:, 0]  # component 3 is half learned
        freqs, amps = torch.tensor([1, 3, 7]), torch.tensor(_AMPS)
        expected = spectral.frequency_response(y, freqs, amps).double()
        got = _tensor(fn(y.clone(), freqs, amps), "frequency_response").reshape(-1)
        _shape(got, expected, "one value per target frequency")
        if _close(got, expected, 1e-3):
            return
        ratio = _ratio(got, expected)
        if abs(ratio - 0.5) < 1e-3:
            raise Hint("half the expected values: a sine of amplitude A shows A/2 in |FFT| / N, so double it")
        if _close(got, expected * amps):
            raise Hint("divide by the target amplitudes so that a fully learned component gives 1")
        raise Hint(f"expected a learned fraction per frequency (1 = fully learned); largest error "
                   f"{(got - expected).abs().max():.3g}")

    return _run("frequency_response", test, fn)


# ---- Chapter 2: Fourier features --------------------------------------------------------------------------

def positional_encoding(fn) -> Verdict:
    """Check ``fn(x [N, d], num_frequencies) -> [N, d (1 + 2L)]`` against :class:`nfteach.PositionalEncoding`."""

    def test(fn):
        x = torch.rand(50, 2, generator=torch.Generator().manual_seed(1)) * 2 - 1
        expected = PositionalEncoding(2, 4)(x).double()
        got = _tensor(fn(x.clone(), 4), "positional_encoding")
        if got.shape[-1:] == (16,):
            raise Hint("expected 18 features for d=2, L=4, got 16: did you include x itself first?")
        _shape(got, expected, "per coordinate: x, then a sin and a cos for each of the L frequencies")
        if _close(got, expected):
            return
        waves, expected_waves = got[:, 2:], expected[:, 2:]
        if _close(waves, PositionalEncoding(2, 4)(x / math.pi).double()[:, 2:]):
            raise Hint("the frequencies are 2^i π: the factor π is missing")
        if _close(waves.sort(dim=1).values, expected_waves.sort(dim=1).values):
            raise Hint("the right features in another order: expected [x, sin(2^0 πx), cos(2^0 πx), "
                       "sin(2^1 πx), …], each block holding every coordinate")
        wrong = int(((waves - expected_waves).abs() > 1e-4).any(dim=0).nonzero()[0]) // 2
        raise Hint(f"x is right, the waves are not: the first wrong block is for frequency 2^{wrong // 2} π "
                   f"({'sin' if wrong % 2 == 0 else 'cos'})")

    return _run("positional_encoding", test, fn)


def fourier_features(fn) -> Verdict:
    """Check ``fn(v [N, d], B [m, d]) -> [N, 2m]`` against :class:`nfteach.FourierFeatures`."""

    def test(fn):
        generator = torch.Generator().manual_seed(2)
        v, B = torch.rand(100, 2, generator=generator), 3 * torch.randn(256, 2, generator=generator)
        expected = FourierFeatures.from_matrix(B)(v).double()
        projection = "v is [N, d] and B is [m, d], so project with v @ B.T ({error})"
        got = _tensor(_call(fn, v.clone(), B.clone(), hints={"shape": projection, "size": projection}), "fourier_features")
        _shape(got, expected, "did you concatenate cos and sin?" if got.shape[-1:] == (256,) else "")
        if _close(got, expected, 1e-3):
            return
        if _close(got, torch.cat([expected[:, 256:], expected[:, :256]], dim=1), 1e-3):
            raise Hint("cos and sin are swapped: the paper's order is [cos, sin]")
        if _close(got, FourierFeatures.from_matrix(B / (2 * math.pi))(v).double(), 1e-3):
            raise Hint("the angle is 2π B v: the factor 2π is missing")
        raise Hint(f"values differ from γ(v) (largest error {(got - expected).abs().max():.3g})")

    return _run("fourier_features", test, fn)


def psnr(fn) -> Verdict:
    """Check ``fn(pred, target, data_range=1.0) -> float`` against :func:`nfteach.metrics.psnr`."""

    def test(fn):
        generator = torch.Generator().manual_seed(3)
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

    return _run("psnr", test, fn)


# ---- Chapter 3: SIREN -------------------------------------------------------------------------------------

def sine_layer(fn) -> Verdict:
    """Check ``fn(x [N, in], linear, omega_0) -> [N, out]`` against :class:`nfteach.models.SineLayer`."""

    def test(fn):
        torch.manual_seed(4)
        layer = SineLayer(3, 16, omega_0=30.0)
        x = torch.rand(40, 3) * 2 - 1
        expected = layer(x).double()
        got = _tensor(fn(x.clone(), layer.linear, 30.0), "sine_layer")
        _shape(got, expected, "one output per neuron of the linear layer")
        if _close(got, expected):
            return
        without_omega = torch.sin(layer.linear(x)).double()
        if _close(got, without_omega):
            raise Hint("the frequency factor ω0 is missing")
        bias_outside = torch.sin(30.0 * (layer.linear(x) - layer.linear.bias) + layer.linear.bias).double()
        if _close(got, bias_outside):
            raise Hint("ω0 multiplies the whole pre-activation, bias included")
        raise Hint(f"values differ from the expected activations (largest error {(got - expected).abs().max():.3g})")

    return _run("sine_layer", test, fn)


def siren_init(fn) -> Verdict:
    """Check ``fn(linear, omega_0, is_first)`` (in place) against the weights of :class:`nfteach.models.SineLayer`."""

    def test(fn):
        for fan_in, omega_0, is_first in ((2, 30.0, True), (256, 30.0, False), (64, 10.0, False)):
            torch.manual_seed(5)
            linear = torch.nn.Linear(fan_in, 4096)
            before = linear.weight.detach().clone()
            _call(fn, linear, omega_0, is_first, hints={"leaf Variable": "change the weights inside `with torch.no_grad():`"})
            weight = linear.weight.detach().double()
            if torch.equal(weight.float(), before):
                raise Hint("the weights did not change: overwrite linear.weight in place (e.g. .uniform_)")
            reference = SineLayer(fan_in, 4096, omega_0, is_first).linear.weight.detach().double()
            layer = "first" if is_first else f"hidden (fan-in {fan_in}, ω0 = {omega_0:g})"
            spread = float(weight.std() / weight.abs().max())
            if abs(spread - 1 / math.sqrt(3)) > 0.05 or abs(float(weight.mean())) > 0.05 * float(reference.abs().max()):
                raise Hint(f"{layer} layer: draw the weights from a uniform distribution centred on 0")
            ratio = float(weight.abs().max() / reference.abs().max())
            if abs(ratio - 1) > 0.05:
                if abs(ratio - omega_0) < 0.1 * omega_0:
                    raise Hint(f"{layer} layer: weights are ω0 times too wide: divide the range by ω0")
                if abs(ratio * omega_0 - 1) < 0.1:
                    raise Hint(f"{layer} layer: weights are ω0 times too narrow: this layer's range has no ω0")
                raise Hint(f"{layer} layer: the largest |w| is {ratio:.2f} times what it should be: check the range")

    return _run("siren_init", test, fn)


def gradient(fn) -> Verdict:
    """Check ``fn(model, coords [N, d]) -> ∇model [N, d]`` against central finite differences."""

    def test(fn):
        torch.manual_seed(6)
        model = Siren(2, 32, 1, 1, first_omega_0=5.0, hidden_omega_0=5.0).double()
        coords = torch.rand(20, 2, dtype=torch.float64) * 2 - 1
        got = _call(fn, model, coords.clone(), hints={"does not require grad": (
            "autograd can only differentiate with respect to coords that require gradients: "
            "call requires_grad_() on a copy of coords before the forward pass")})
        if isinstance(got, torch.Tensor) and not got.requires_grad:
            raise Hint("the gradient has no graph: pass create_graph=True so a loss on it can be trained")
        got = _tensor(got, "gradient")
        with torch.no_grad():
            step = 1e-5 * torch.eye(2, dtype=torch.float64)
            expected = torch.stack([(model(coords + s) - model(coords - s))[:, 0] / 2e-5 for s in step], dim=1)
        _shape(got, expected, "one partial derivative per input coordinate")
        if _close(got, -expected, 1e-4):
            raise Hint("the sign is flipped")
        if not _close(got, expected, 1e-4):
            raise Hint(f"differs from finite differences of the model (largest error {(got - expected).abs().max():.3g})")

    return _run("gradient", test, fn)
