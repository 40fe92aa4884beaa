"""Appendix A4's checks: the solutions pass, typical mistakes get their hint."""

import pytest
import torch
from torch import nn

from nfteach.course import check


def cbn(x, code, w_gamma, b_gamma, w_beta, b_beta, eps=1e-5, dims=(0, 1), unbiased=False):
    normed = (x - x.mean(dims, keepdim=True)) / (x.var(dims, keepdim=True, unbiased=unbiased) + eps).sqrt()
    return (code @ w_gamma.T + b_gamma)[:, None] * normed + (code @ w_beta.T + b_beta)[:, None]


def bce(logits, occupancy):
    return nn.functional.binary_cross_entropy_with_logits(logits, occupancy, reduction="none").sum(1).mean()


def pool(h):
    return torch.cat([h, h.max(dim=1, keepdim=True).values.expand_as(h)], dim=2)


@pytest.mark.parametrize("task, fn", [("conditional_batch_norm", cbn), ("occupancy_bce", bce), ("pool_and_concat", pool)])
def test_a_right_answer_passes(task, fn, capsys):
    assert getattr(check, task)(fn)
    assert capsys.readouterr().out.strip() == f"✓ {task.replace('_', ' ')}: correct"


WRONG = [
    ("conditional_batch_norm", lambda x, c, wg, bg, wb, bb: cbn(x, c, wg, bg, wb, bb, dims=1), "EVERY shape"),
    ("conditional_batch_norm", lambda x, c, wg, bg, wb, bb: cbn(x, c, wg, bg, wb, bb, unbiased=True), "biased variance"),
    ("conditional_batch_norm", lambda x, c, wg, bg, wb, bb: cbn(x, c, wg, bg, wb, bb, dims=2), "not over the features"),
    ("conditional_batch_norm", lambda x, c, wg, bg, wb, bb: cbn(x, c, wb, bb, wg, bg), "γ(c) scales"),
    ("conditional_batch_norm", lambda x, c, wg, bg, wb, bb: cbn(x, c, wg, bg, wb * 0, bb * 0), "shift β(c)"),
    ("conditional_batch_norm", lambda x, c, wg, bg, wb, bb: cbn(x, c, wg * 0, bg * 0 + 1, wb * 0, bb * 0), "plain batch norm"),
    ("occupancy_bce", lambda f, o: nn.functional.binary_cross_entropy_with_logits(f, o), "sums the BCE over each shape"),
    ("occupancy_bce", lambda f, o: bce(f, 1 - o), "1 means inside"),
    ("occupancy_bce", lambda f, o: nn.functional.binary_cross_entropy_with_logits(f, o, reduction="sum"), "average over the shapes"),
    ("pool_and_concat", lambda h: torch.cat([h, h.mean(dim=1, keepdim=True).expand_as(h)], dim=2), "max over the points"),
    ("pool_and_concat", lambda h: torch.cat([h.max(dim=1, keepdim=True).values.expand_as(h), h], dim=2), "come first"),
]


@pytest.mark.parametrize("task, fn, hint", WRONG)
def test_a_typical_mistake_gets_its_hint(task, fn, hint, capsys):
    verdict = getattr(check, task)(fn)
    assert not verdict and hint in verdict.detail, verdict.detail


def test_the_kits_own_cbn_is_refused():
    from nfteach import onet

    def answer(x, code, w_gamma, b_gamma, w_beta, b_beta):
        layer = onet.CBatchNorm(code.shape[1], x.shape[2])
        return layer(x, code)

    verdict = check.conditional_batch_norm(answer)
    assert not verdict and "nfteach.onet.CBatchNorm" in verdict.detail, verdict.detail
