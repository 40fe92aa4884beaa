"""Appendix A4 (conditional occupancy networks): checks for conditional batch normalisation, ONet's BCE and the
PointNet pooling step."""

from __future__ import annotations

import torch
from torch import nn

from nfteach.course.check.core import Hint, Verdict, close, expect_shape, inputs_seed, may_not_call, run, tensor
from nfteach.onet import CBatchNorm, occupancy_bce as reference_bce

__all__ = ["conditional_batch_norm", "occupancy_bce", "pool_and_concat"]


@may_not_call("nfteach.onet.CBatchNorm", "nfteach.onet.CResnetBlock", "nfteach.onet.CbnDecoder")
def conditional_batch_norm(fn) -> Verdict:
    """Check ``fn(x [B, N, F], code [B, C], w_gamma [F, C], b_gamma [F], w_beta [F, C], b_beta [F]) -> [B, N, F]``
    against :class:`nfteach.onet.CBatchNorm` in training mode (batch statistics)."""

    def test(fn):
        generator = torch.Generator().manual_seed(inputs_seed(11))
        x = 2 * torch.randn(3, 8, 5, generator=generator) + torch.randn(5, generator=generator)  # [B, N, F]
        code = torch.randn(3, 4, generator=generator)
        cbn = CBatchNorm(4, 5)
        with torch.no_grad():
            for layer in (cbn.gamma, cbn.beta):
                layer.weight.copy_(torch.randn(5, 4, generator=generator)), layer.bias.copy_(torch.randn(5, generator=generator))
        weights = [t.detach().clone() for t in (cbn.gamma.weight, cbn.gamma.bias, cbn.beta.weight, cbn.beta.bias)]
        got = tensor(fn(x.clone(), code.clone(), *[w.clone() for w in weights]), "conditional_batch_norm")
        expected = cbn(x, code).detach().double()
        expect_shape(got, expected, "one value per input value: [B, N, F]")
        if close(got, expected, 1e-4):
            return
        w_g, b_g, w_b, b_b = (w.double() for w in weights)
        gamma, beta = (code.double() @ w_g.T + b_g)[:, None], (code.double() @ w_b.T + b_b)[:, None]  # [B, 1, F]
        xd = x.double()

        def normed(dims, unbiased=False):
            return (xd - xd.mean(dims, keepdim=True)) / (xd.var(dims, keepdim=True, unbiased=unbiased) + 1e-5).sqrt()

        if close(got, gamma * normed((0, 1), unbiased=True) + beta, 1e-4):
            raise Hint("batch norm divides by the biased variance (mean of squared deviations, unbiased=False)")
        if close(got, gamma * normed(1) + beta, 1e-4):
            raise Hint("normalise each feature over every point of EVERY shape in the batch (dims 0 and 1), not per shape")
        if close(got, gamma * normed(2) + beta, 1e-4):
            raise Hint("normalise each feature over the points (dims 0 and 1), not over the features of one point")
        if close(got, beta * normed((0, 1)) + gamma, 1e-4):
            raise Hint("γ(c) scales and β(c) shifts: γ ⊙ x̂ + β, with γ from w_gamma, b_gamma")
        if close(got, gamma * normed((0, 1)), 1e-4):
            raise Hint("add the shift β(c) = w_beta c + b_beta")
        if close(got, normed((0, 1)), 1e-4):
            raise Hint("that is plain batch norm: scale by γ(c) and shift by β(c), both linear in the code")
        if close(got, gamma * xd + beta, 1e-4):
            raise Hint("normalise x first: (x − μ) / √(σ² + ε), μ and σ² over the batch's points")
        raise Hint(f"outputs differ from the expected ones (largest error {(got - expected).abs().max():.3g})")

    return run("conditional_batch_norm", test, fn)


@may_not_call("nfteach.onet.occupancy_bce")
def occupancy_bce(fn) -> Verdict:
    """Check ``fn(logits [B, N], occupancy [B, N]) -> scalar`` against :func:`nfteach.onet.occupancy_bce`."""

    def test(fn):
        generator = torch.Generator().manual_seed(inputs_seed(12))
        logits = 3 * torch.randn(4, 50, generator=generator)
        occupancy = (torch.rand(4, 50, generator=generator) < 0.3).float()
        got = tensor(fn(logits.clone(), occupancy.clone()), "occupancy_bce")
        if got.numel() != 1:
            raise Hint(f"return one number (the loss of the batch), got a tensor of shape {tuple(got.shape)}")
        got, expected = got.reshape(()), reference_bce(logits, occupancy).double()
        if close(got, expected, 1e-5):
            return
        bce = nn.functional.binary_cross_entropy_with_logits
        if close(got, bce(logits, occupancy).double(), 1e-5):
            raise Hint("ONet sums the BCE over each shape's points, then averages over the shapes (not a mean of all)")
        if close(got, bce(logits, occupancy, reduction="sum").double(), 1e-5):
            raise Hint("sum over the points, but average over the shapes of the batch")
        if close(got, bce(logits, 1 - occupancy, reduction="none").sum(1).mean().double(), 1e-5):
            raise Hint("occupancy 1 means inside: a large logit should be cheap where the label is 1")
        if close(got, bce(-logits, occupancy, reduction="none").sum(1).mean().double(), 1e-5):
            raise Hint("the logit is of P(inside): σ(logit) is the probability of occupancy 1")
        raise Hint(f"got {got.item():.5g}, expected {expected.item():.5g}")

    return run("occupancy_bce", test, fn)


@may_not_call("nfteach.onet.PointNetEncoder")
def pool_and_concat(fn) -> Verdict:
    """Check ``fn(h [B, T, F]) -> [B, T, 2F]``: every point's feature beside the cloud's max-pooled one."""

    def test(fn):
        generator = torch.Generator().manual_seed(inputs_seed(13))
        h = torch.randn(2, 7, 3, generator=generator)
        got = tensor(fn(h.clone()), "pool_and_concat")
        expected = torch.cat([h, h.max(dim=1, keepdim=True).values.expand_as(h)], dim=2).double()
        expect_shape(got, expected, "[B, T, 2F]: each point's F features, then the cloud's F pooled ones")
        if close(got, expected, 1e-6):
            shuffled = tensor(fn(h[:, torch.randperm(7, generator=generator)].clone()), "pool_and_concat")
            if not close(shuffled[..., 3:], expected[..., 3:], 1e-6):
                raise Hint("the pooled half must not depend on the order of the points")
            return
        if close(got, torch.cat([h.max(dim=1, keepdim=True).values.expand_as(h), h], dim=2).double(), 1e-6):
            raise Hint("the point's own features come first, then the pooled ones: cat([h, pooled])")
        if close(got, torch.cat([h, h.mean(dim=1, keepdim=True).expand_as(h)], dim=2).double(), 1e-6):
            raise Hint("ONet pools with the max over the points, not the mean")
        if close(got, torch.cat([h, h.max(dim=2, keepdim=True).values.expand_as(h)], dim=2).double(), 1e-6):
            raise Hint("pool over the points (dim 1), not over the features")
        raise Hint(f"outputs differ from the expected ones (largest error {(got - expected).abs().max():.3g})")

    return run("pool_and_concat", test, fn)
