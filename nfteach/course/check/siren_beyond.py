"""Appendix A5 (SIREN beyond images): checks for the Laplacian of a network by autograd, the Helmholtz residual and
its point source."""

from __future__ import annotations

import torch

from nfteach.course.check.core import (Hint, Verdict, call, close, expect_shape, inputs_seed, may_not_call,
                                       reaches_parameters, run, state, tensor, unchanged)
from nfteach.models import Siren

__all__ = ["laplacian", "helmholtz_residual", "gaussian_source"]

_GRAD_HINTS = {"does not require grad": (
    "autograd can only differentiate with respect to coords that require gradients: call requires_grad_() on a copy "
    "of coords before the forward pass, and keep create_graph=True for the second derivative")}


def _problem(seed: int) -> tuple[torch.nn.Module, torch.Tensor]:
    torch.manual_seed(inputs_seed(seed))
    model = Siren(2, 32, 1, 2, first_omega_0=3.0, hidden_omega_0=3.0).double()
    return model, torch.rand(16, 2, dtype=torch.float64) * 2 - 1


def _finite_laplacian(model: torch.nn.Module, coords: torch.Tensor, step: float = 1e-4) -> torch.Tensor:
    """Σ_i (f(x + h e_i) + f(x − h e_i) − 2 f(x)) / h², per output channel ``[N, C]``."""
    with torch.no_grad():
        centre = model(coords)
        return sum(model(coords + step * e) + model(coords - step * e) - 2 * centre
                   for e in torch.eye(coords.shape[1], dtype=coords.dtype)) / step**2


def _graph_checks(got, model: torch.nn.Module, given: torch.Tensor, coords: torch.Tensor, before) -> None:
    if given.requires_grad or not torch.equal(given, coords):
        raise Hint("you changed the coords you were given: call requires_grad_() on a copy, coords.clone()")
    unchanged(model, before, "model")
    if isinstance(got, torch.Tensor) and not got.requires_grad:
        raise Hint("the result has no graph: pass create_graph=True to every torch.autograd.grad, so that a loss on "
                   "it can be trained")
    if isinstance(got, torch.Tensor) and not reaches_parameters(got, model):
        raise Hint("the result's graph does not lead back to the model's weights: take the derivatives with "
                   "torch.autograd.grad(..., create_graph=True), not by finite differences")


@may_not_call("nfteach.models.laplacian", "nfteach.pde.helmholtz_residual")
def laplacian(fn) -> Verdict:
    """Check ``fn(model, coords [N, d]) -> [N, C]`` (Δ of each output channel, graph kept) against finite differences."""

    def test(fn):
        model, coords = _problem(31)
        expected = _finite_laplacian(model, coords)
        before, given = state(model), coords.clone()
        got = call(fn, model, given, hints=_GRAD_HINTS)
        _graph_checks(got, model, given, coords, before)
        got = tensor(got, "laplacian")
        if got.shape == (len(coords), 1) and close(got[:, 0], expected.sum(dim=1), 1e-3):
            raise Hint("one Laplacian per output channel: differentiate each channel separately, not their sum")
        expect_shape(got, expected, "one Laplacian per output channel")
        if close(got, -expected, 1e-3):
            raise Hint("the sign is flipped")
        if not close(got, expected, 1e-3):
            raise Hint(f"differs from finite differences of the model (largest error {(got - expected).abs().max():.3g}): "
                       "the Laplacian sums the pure second derivatives ∂²f/∂x_i², one per coordinate")

    return run("laplacian", test, fn)


@may_not_call("nfteach.pde.helmholtz_residual")
def helmholtz_residual(fn) -> Verdict:
    """Check ``fn(model, coords [N, 2], k, source [N, 2]) -> [N, 2]`` = Δu + k²u − f (u = Re + i Im) against the
    kit's :func:`nfteach.pde.helmholtz_residual` without a layer."""

    def test(fn):
        from nfteach.pde import helmholtz_residual as reference

        model, coords = _problem(32)
        k = 6.0
        source = torch.randn(len(coords), 2, dtype=torch.float64, generator=torch.Generator().manual_seed(inputs_seed(33)))
        expected = reference(model, coords, k, source, pml_width=0).detach().double()
        before, given, given_source = state(model), coords.clone(), source.clone()
        got = call(fn, model, given, k, given_source, hints=_GRAD_HINTS)
        if not torch.equal(given_source, source):
            raise Hint("you changed the source you were given: compute with it, leave it as it was")
        _graph_checks(got, model, given, coords, before)
        got = tensor(got, "helmholtz_residual")
        expect_shape(got, expected, "(Re r, Im r) per point")
        with torch.no_grad():
            u = model(coords)
        if close(got, expected + 2 * source):
            raise Hint("the source enters with a minus sign: r = Δu + k²u − f")
        if close(got, expected + source):
            raise Hint("the source f is missing: r = Δu + k²u − f")
        if close(got, expected - (k**2 - k) * u):
            raise Hint("k multiplies u squared: k² u, not k u")
        if close(got, expected - k**2 * u):
            raise Hint("the k² u term is missing")
        if not close(got, expected, 1e-3):
            raise Hint(f"differs from Δu + k²u − f (largest error {(got - expected).abs().max():.3g}); the real and "
                       "imaginary parts do not mix here: each obeys the equation with its own part of f")

    return run("helmholtz_residual", test, fn)


@may_not_call("nfteach.pde.gaussian_source")
def gaussian_source(fn) -> Verdict:
    """Check ``fn(coords [N, 2], center (x0, y0), sigma, amplitude) -> [N, 2]`` = (Re f, Im f) of
    f = s · exp(−|x − x0|² / (2σ²)) / (2πσ²) against :func:`nfteach.pde.gaussian_source`."""

    def test(fn):
        from nfteach.pde import gaussian_source as reference

        generator = torch.Generator().manual_seed(inputs_seed(34))
        coords = (torch.rand(200, 2, generator=generator, dtype=torch.float64) * 2 - 1) * 0.1
        center, sigma = (float(torch.rand(1, generator=generator)) * 0.02, -0.01), 0.02 + 0.01 * float(torch.rand(1, generator=generator))
        amplitude = complex(1.0 + float(torch.rand(1, generator=generator)), -0.5)
        expected = reference(coords, center, sigma, amplitude).double()
        given = coords.clone()
        got = tensor(fn(given, center, sigma, amplitude), "gaussian_source")
        if not torch.equal(given, coords):
            raise Hint("you changed the coords you were given: compute with them, leave them as they were")
        expect_shape(got, expected, "(Re f, Im f) per point")
        scale = expected.abs().max()
        if close(got / scale, expected / scale, 1e-4):
            return
        squared = ((coords - torch.tensor(center, dtype=torch.float64)) ** 2).sum(dim=1, keepdim=True)
        parts = torch.tensor([amplitude.real, amplitude.imag], dtype=torch.float64)
        if close(got / scale, expected * sigma / scale, 1e-4):
            raise Hint("in 2D the Gaussian's normalisation is 1 / (2πσ²), so that f integrates to s over the plane")
        if close(got / scale, torch.exp(-squared / (2 * sigma)) / (2 * torch.pi * sigma) * parts / scale, 1e-4):
            raise Hint("σ is the standard deviation here: exp(−|x − x0|² / (2σ²)) (the official code names the variance sigma)")
        if close(got[:, 1], torch.zeros(len(coords), dtype=torch.float64)) and amplitude.imag:
            raise Hint("the amplitude s is complex: Re f = Re(s)·g and Im f = Im(s)·g, with g the normalised Gaussian")
        if close(got / scale, reference(coords, (0.0, 0.0), sigma, amplitude).double() / scale, 1e-4):
            raise Hint("the Gaussian is centred on the source's position: use |x − x0|², not |x|²")
        raise Hint(f"differs from s · exp(−|x − x0|² / (2σ²)) / (2πσ²) (largest relative error "
                   f"{float((got - expected).abs().max() / scale):.3g})")

    return run("gaussian_source", test, fn)
