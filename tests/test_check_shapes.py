"""Chapter 4's checks: hand-written right answers pass, typical wrong answers fail with their hint."""

import pytest
import torch

from nfteach.course import check


def box(points, half):
    q = points.abs() - half
    return q.clamp(min=0).norm(dim=-1, keepdim=True) + q.max(dim=-1, keepdim=True).values.clamp(max=0)


def smooth(a, b, k):
    if k == 0:
        return torch.minimum(a, b)
    h = (0.5 + 0.5 * (b - a) / k).clamp(0, 1)
    return h * a + (1 - h) * b - k * h * (1 - h)


def trace(sdf, origins, directions, max_steps, eps, *, hit_test=None):
    t = torch.zeros(len(origins))
    hit = torch.zeros(len(origins), dtype=torch.bool)
    for _ in range(max_steps):
        d = sdf(origins + t[:, None] * directions)[:, 0]
        reached = d.abs() < eps
        hit |= reached
        t = torch.where(hit, t, t + d)
    return t, (hit if hit_test is None else hit_test(t))


@pytest.mark.parametrize("task, fn", [("box_sdf", box), ("smooth_union", smooth), ("sphere_trace", trace)])
def test_a_hand_written_answer_passes(task, fn, capsys):
    assert getattr(check, task)(fn), capsys.readouterr().out


WRONG = [
    ("box_sdf", lambda p, h: -box(p, h), "sign is flipped"),
    ("box_sdf", lambda p, h: (p.abs() - h).clamp(min=0).norm(dim=-1, keepdim=True), "inside the box your distance is 0"),
    ("box_sdf", lambda p, h: (p.abs() - h).max(dim=-1, keepdim=True).values, "near edges and corners"),
    ("box_sdf", lambda p, h: ((p - h).clamp(min=0).norm(dim=-1, keepdim=True)
                              + (p - h).max(dim=-1, keepdim=True).values.clamp(max=0)), "absolute value"),
    ("box_sdf", lambda p, h: box(p, h)[:, 0], "keepdim"),
    ("smooth_union", lambda a, b, k: torch.minimum(a, b), "exact min"),
    ("smooth_union", lambda a, b, k: smooth(a, b, k) + 2 * k * (0.5 + 0.5 * (b - a) / k).clamp(0, 1)
     * (1 - (0.5 + 0.5 * (b - a) / k).clamp(0, 1)), "do not add it"),
    ("smooth_union", lambda a, b, k: (lambda h: h * b + (1 - h) * a - k * h * (1 - h))(
        (0.5 + 0.5 * (b - a) / k).clamp(0, 1)) if k else torch.minimum(a, b), "swapped"),
    ("smooth_union", lambda a, b, k: (lambda h: h * a + (1 - h) * b - k * h * (1 - h))(0.5 + 0.5 * (b - a) / k),
     "clamp h"),
    ("sphere_trace", lambda s, o, d, n, e: trace(s, o, d, n, e, hit_test=lambda t: t < 10.0), "called a hit wrongly"),
    ("sphere_trace", lambda s, o, d, n, e: trace(s, o, d, n, e)[0], "return two things"),
    ("sphere_trace", lambda s, o, d, n, e: (trace(s, o, d, n, e)[0][:, None], trace(s, o, d, n, e)[1]), "one distance per ray"),
    ("sphere_trace", lambda s, o, d, n, e: (torch.zeros(len(o)), torch.zeros(len(o), dtype=torch.bool)), "no ray hit"),
]


@pytest.mark.parametrize("task, fn, hint", WRONG, ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(WRONG)])
def test_a_typical_mistake_fails_with_its_hint(task, fn, hint, capsys):
    verdict = getattr(check, task)(fn)
    assert not verdict, f"{task}: a wrong answer passed"
    assert verdict.detail and (hint is None or hint in verdict.detail), verdict.detail
