"""Chapter 3 (SIREN): checks for the sine layer, its initialisation and the gradient of a network."""

from __future__ import annotations

import math

import torch

from nfteach.course.check.core import (Hint, Verdict, call, close, expect_shape, finite, inputs_seed, may_not_call,
                                       reaches_parameters, run, state, tensor, unchanged)
from nfteach.models import SineLayer, Siren

__all__ = ["sine_layer", "siren_init", "gradient"]

@may_not_call("nfteach.models.SineLayer", "nfteach.models.Siren")
def sine_layer(fn) -> Verdict:
    """Check ``fn(x [N, in], linear, omega_0) -> [N, out]`` against :class:`nfteach.models.SineLayer`."""

    def test(fn):
        torch.manual_seed(inputs_seed(4))
        layer = SineLayer(3, 16, omega_0=30.0)
        x = torch.rand(40, 3) * 2 - 1
        expected, before = layer(x).double(), state(layer.linear)
        got = fn(x.clone(), layer.linear, 30.0)
        unchanged(layer.linear, before, "linear layer")
        got = tensor(got, "sine_layer")
        expect_shape(got, expected, "one output per neuron of the linear layer")
        if close(got, expected):
            return
        without_omega = torch.sin(layer.linear(x)).double()
        if close(got, without_omega):
            raise Hint("the frequency factor ω0 is missing")
        bias_outside = torch.sin(30.0 * (layer.linear(x) - layer.linear.bias) + layer.linear.bias).double()
        if close(got, bias_outside):
            raise Hint("ω0 multiplies the whole pre-activation, bias included")
        raise Hint(f"values differ from the expected activations (largest error {(got - expected).abs().max():.3g})")

    return run("sine_layer", test, fn)


@may_not_call("nfteach.models.SineLayer", "nfteach.models.Siren")
def siren_init(fn) -> Verdict:
    """Check ``fn(linear, omega_0, is_first)`` (in place) against the weights of :class:`nfteach.models.SineLayer`."""

    def test(fn):
        for fan_in, omega_0, is_first in ((2, 30.0, True), (3, 30.0, True), (256, 30.0, False), (64, 10.0, False)):
            torch.manual_seed(inputs_seed(5))
            linear = torch.nn.Linear(fan_in, 4096)
            before, bias_before = linear.weight.detach().clone(), linear.bias.detach().clone()
            call(fn, linear, omega_0, is_first, hints={"leaf Variable": "change the weights inside `with torch.no_grad():`"})
            weight = linear.weight.detach().double()
            finite(weight, "siren_init's weights")
            if torch.equal(weight.float(), before):
                raise Hint("the weights did not change: overwrite linear.weight in place (e.g. .uniform_)")
            if not torch.equal(linear.bias.detach(), bias_before):
                raise Hint("leave the bias alone: the official code keeps PyTorch's default bias")
            reference = SineLayer(fan_in, 4096, omega_0, is_first).linear.weight.detach().double()
            layer = "first" if is_first else f"hidden (fan-in {fan_in}, ω0 = {omega_0:g})"
            spread = float(weight.std() / weight.abs().max())
            centred = abs(float(weight.mean())) <= 0.05 * float(reference.abs().max())
            if not (abs(spread - 1 / math.sqrt(3)) <= 0.05 and centred):  # written so that NaN fails too
                raise Hint(f"{layer} layer: draw the weights from a uniform distribution centred on 0")
            width_ratio = float(weight.abs().max() / reference.abs().max())
            if not abs(width_ratio - 1) <= 0.05:
                if abs(width_ratio - omega_0) < 0.1 * omega_0:
                    raise Hint(f"{layer} layer: weights are ω0 times too wide: divide the range by ω0")
                if abs(width_ratio * omega_0 - 1) < 0.1:
                    raise Hint(f"{layer} layer: weights are ω0 times too narrow: this layer's range has no ω0")
                raise Hint(f"{layer} layer: the largest |w| is {width_ratio:.2f} times what it should be: check the range")

    return run("siren_init", test, fn)


@may_not_call("nfteach.shapes.gradient")
def gradient(fn) -> Verdict:
    """Check ``fn(model, coords [N, d]) -> ∇model [N, d]`` against central finite differences."""

    def test(fn):
        torch.manual_seed(inputs_seed(6))
        model = Siren(2, 32, 1, 1, first_omega_0=5.0, hidden_omega_0=5.0).double()
        coords = torch.rand(20, 2, dtype=torch.float64) * 2 - 1
        with torch.no_grad():  # expected before the call: an answer that changes the model cannot move it
            step = 1e-5 * torch.eye(2, dtype=torch.float64)
            expected = torch.stack([(model(coords + s) - model(coords - s))[:, 0] / 2e-5 for s in step], dim=1)
        before, given = state(model), coords.clone()
        got = call(fn, model, given, hints={"does not require grad": (
            "autograd can only differentiate with respect to coords that require gradients: "
            "call requires_grad_() on a copy of coords before the forward pass")})
        if given.requires_grad or not torch.equal(given, coords):
            raise Hint("you changed the coords you were given (the caller's tensor now requires grad): "
                       "call requires_grad_() on a copy, coords.clone()")
        unchanged(model, before, "model")
        if isinstance(got, torch.Tensor) and not got.requires_grad:
            raise Hint("the gradient has no graph: pass create_graph=True so a loss on it can be trained")
        if isinstance(got, torch.Tensor) and not reaches_parameters(got, model):
            raise Hint("the gradient's graph does not lead back to the model's weights: compute it with "
                       "torch.autograd.grad(..., create_graph=True), not by finite differences")
        got = tensor(got, "gradient")
        expect_shape(got, expected, "one partial derivative per input coordinate")
        if close(got, -expected, 1e-4):
            raise Hint("the sign is flipped")
        if not close(got, expected, 1e-4):
            raise Hint(f"differs from finite differences of the model (largest error {(got - expected).abs().max():.3g})")

    return run("gradient", test, fn)
