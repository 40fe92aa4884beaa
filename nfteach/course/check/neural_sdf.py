"""Chapter 5 (learned SDFs): checks for the eikonal loss, DeepSDF's clamped L1 and the Lipschitz layer."""

from __future__ import annotations

import torch
from torch import nn

from nfteach import losses, shapes
from nfteach.course.check.core import (Hint, Verdict, call, close, expect_shape, inputs_seed, may_not_call,
                                       reaches_parameters, run, state, tensor, unchanged)
from nfteach.models import LipschitzLinear, Siren

__all__ = ["eikonal_loss", "clamped_l1", "lipschitz_linear"]


class _Analytic(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)


@may_not_call("nfteach.losses.eikonal_loss", "nfteach.losses.eikonal_residual", "nfteach.shapes.gradient")
def eikonal_loss(fn) -> Verdict:
    """Check ``fn(model, points [N, 3]) -> mean |‖∇Φ‖ − 1|`` against :func:`nfteach.losses.eikonal_loss`."""

    def test(fn):
        points = torch.rand(300, 3, generator=torch.Generator().manual_seed(inputs_seed(7))) * 2 - 1
        sphere = _Analytic(shapes.sphere(0.5))
        hints = {"does not require grad": "differentiate with respect to a copy of the points that requires grad"}
        on_sdf = tensor(call(fn, sphere, points.clone(), hints=hints), "eikonal_loss")
        if on_sdf.numel() != 1:
            raise Hint(f"return one number (the mean over the points), got a tensor of shape {tuple(on_sdf.shape)}")
        if not abs(on_sdf.item()) <= 1e-4:
            raise Hint(f"a true SDF (a sphere) should give 0, got {on_sdf.item():.3g}")
        torch.manual_seed(inputs_seed(8))
        model = Siren(3, 32, 1, 1)
        expected = losses.eikonal_loss(model, points).detach().double()  # before the call, on the model as given
        grad = shapes.gradient(model, points).detach().double()  # [N, 3]
        before = state(model)
        got = call(fn, model, points.clone(), hints=hints)
        unchanged(model, before, "model")
        if isinstance(got, torch.Tensor) and not got.requires_grad:
            raise Hint("the loss has no graph: take the gradient with create_graph=True so the loss can be trained")
        if isinstance(got, torch.Tensor) and not reaches_parameters(got, model):
            raise Hint("the loss's graph does not lead back to the model's weights: differentiate the model's output "
                       "with torch.autograd.grad(..., create_graph=True)")
        got = tensor(got, "eikonal_loss").reshape(())
        if close(got, expected):
            return
        grad_norm = grad.norm(dim=1)
        if close(got, ((grad_norm - 1) ** 2).mean()):
            raise Hint("that is IGR's squared residual; SIREN's loss (used here) takes the absolute value |‖∇Φ‖ − 1|")
        if close(got, grad_norm.mean()) or close(got, (grad_norm - 1).mean()):
            raise Hint("penalise how far the gradient norm is from 1: |‖∇Φ‖ − 1|, averaged over the points")
        if close(got, (grad.abs().sum(1) - 1).abs().mean()):
            raise Hint("‖∇Φ‖ is the Euclidean norm of the gradient (.norm(dim=1)), not the sum of |components|")
        raise Hint(f"got {got.item():.4g}, expected {expected.item():.4g}")

    return run("eikonal_loss", test, fn)


@may_not_call("nfteach.losses.clamped_l1")
def clamped_l1(fn) -> Verdict:
    """Check ``fn(pred [N, 1], target [N, 1], delta) -> scalar`` against :func:`nfteach.losses.clamped_l1`."""

    def test(fn):
        generator = torch.Generator().manual_seed(inputs_seed(9))
        pred, target = torch.randn(200, 1, generator=generator) * 0.2, torch.randn(200, 1, generator=generator) * 0.2
        got = tensor(fn(pred.clone(), target.clone(), 0.1), "clamped_l1")
        if got.numel() != 1:
            raise Hint(f"return one number (the mean over the samples), got shape {tuple(got.shape)}")
        got = got.reshape(())
        expected = losses.clamped_l1(pred, target, 0.1).double()
        if close(got, expected, 1e-6):
            if not close(tensor(fn(pred.clone(), target.clone(), 0.05), "clamped_l1").reshape(()),
                         losses.clamped_l1(pred, target, 0.05).double(), 1e-6):
                raise Hint("use the delta argument, not a fixed 0.1")
            return
        if close(got, (pred - target).abs().mean().double(), 1e-6):
            raise Hint("clamp both values to [−δ, δ] before the L1 difference")
        if close(got, (pred.clamp(-0.1, 0.1) - target).abs().mean().double(), 1e-6):
            raise Hint("clamp the target too: beyond δ only the sign matters, on both sides")
        if close(got, (pred - target.clamp(-0.1, 0.1)).abs().mean().double(), 1e-6):
            raise Hint("clamp the prediction too")
        if close(got, expected * len(pred), 1e-6):
            raise Hint("take the mean over the samples, not the sum")
        if close(got, ((pred.clamp(-0.1, 0.1) - target.clamp(-0.1, 0.1)) ** 2).mean().double(), 1e-6):
            raise Hint("DeepSDF's loss is an L1 (absolute) difference, not a squared one")
        raise Hint(f"got {got.item():.4g}, expected {expected.item():.4g}")

    return run("clamped_l1", test, fn)


@may_not_call("nfteach.models.LipschitzLinear", "nfteach.models.LipschitzMLP")
def lipschitz_linear(fn) -> Verdict:
    """Check ``fn(x [N, in], weight [out, in], bias [out], c) -> [N, out]`` against :class:`LipschitzLinear`."""

    def test(fn):
        torch.manual_seed(inputs_seed(10))
        layer = LipschitzLinear(6, 5)
        with torch.no_grad():  # weights and bias drawn here, whatever the layer's init: the hints rely on them
            layer.linear.weight.uniform_(-0.4, 0.4)
            layer.linear.bias.uniform_(-0.4, 0.4)
            layer.linear.weight[:2] *= 8  # two rows over the bound, the others under it
            layer.c.fill_(1.0)
        x = torch.randn(30, 6)
        weight, bias = layer.linear.weight.detach(), layer.linear.bias.detach()
        got = tensor(fn(x.clone(), weight.clone(), bias.clone(), layer.c.detach().clone()), "lipschitz_linear")
        expected = layer(x).detach().double()
        expect_shape(got, expected, "one output per row of the weight")
        if close(got, expected):
            return
        bound = nn.functional.softplus(layer.c.detach())
        rows = weight.abs().sum(1)
        if close(got, nn.functional.linear(x, weight * (bound / rows)[:, None], bias).double()):
            raise Hint("only shrink rows: the scale is min(1, softplus(c) / row sum), never above 1")
        if close(got, nn.functional.linear(x, weight * (layer.c.detach() / rows).clamp(max=1)[:, None], bias).double()):
            raise Hint("the bound is softplus(c), which keeps it positive, not c itself")
        columns = (bound / weight.abs().sum(0)).clamp(max=1)
        if close(got, nn.functional.linear(x, weight * columns[None, :], bias).double()):
            raise Hint("sum |W| along each ROW (over the inputs, dim=1): one scale per output")
        if close(got, nn.functional.linear(x, weight, bias).double()):
            raise Hint("the weights are used unchanged: rescale each row by min(1, softplus(c) / Σ_j |W_ij|)")
        raise Hint(f"outputs differ from the expected ones (largest error {(got - expected).abs().max():.3g})")

    return run("lipschitz_linear", test, fn)
