"""Chapter 5's checks: the solutions pass, typical mistakes get their hint."""

import pytest
import torch
from torch import nn

from nfteach.course import check
from nfteach.models import gradient


def eikonal(model, points):
    return (gradient(model, points, create_graph=True).norm(dim=1) - 1).abs().mean()


def clamped(pred, target, delta):
    return (pred.clamp(-delta, delta) - target.clamp(-delta, delta)).abs().mean()


def lipschitz(x, weight, bias, c):
    return x @ (weight * (nn.functional.softplus(c) / weight.abs().sum(1)).clamp(max=1)[:, None]).T + bias


@pytest.mark.parametrize("task, fn", [("eikonal_loss", eikonal), ("clamped_l1", clamped), ("lipschitz_linear", lipschitz)])
def test_a_right_answer_passes(task, fn, capsys):
    assert getattr(check, task)(fn)
    assert capsys.readouterr().out.strip() == f"✓ {task.replace('_', ' ')}: correct"


WRONG = [
    ("eikonal_loss", lambda m, p: ((gradient(m, p, create_graph=True).norm(dim=1) - 1) ** 2).mean(), "IGR's squared"),
    ("eikonal_loss", lambda m, p: (gradient(m, p).norm(dim=1) - 1).abs().mean(), "create_graph=True"),
    ("clamped_l1", lambda f, s, d: (f - s).abs().mean(), "clamp both"),
    ("clamped_l1", lambda f, s, d: (f.clamp(-d, d) - s).abs().mean(), "clamp the target"),
    ("clamped_l1", lambda f, s, d: (f.clamp(-0.1, 0.1) - s.clamp(-0.1, 0.1)).abs().mean(), "delta argument"),
    ("lipschitz_linear", lambda x, w, b, c: x @ (w * (nn.functional.softplus(c) / w.abs().sum(1))[:, None]).T + b,
     "never above 1"),
    ("lipschitz_linear", lambda x, w, b, c: x @ (w * (c / w.abs().sum(1)).clamp(max=1)[:, None]).T + b, "softplus(c)"),
    ("lipschitz_linear", lambda x, w, b, c: x @ w.T + b, "unchanged"),
]


@pytest.mark.parametrize("task, fn, hint", WRONG)
def test_a_typical_mistake_gets_its_hint(task, fn, hint, capsys):
    verdict = getattr(check, task)(fn)
    assert not verdict and hint in verdict.detail, verdict.detail


def test_a_crash_is_reported_not_raised(capsys):
    verdict = check.clamped_l1(lambda *args: 1 / 0)
    assert verdict.status == "error" and "ZeroDivisionError" in verdict.detail
