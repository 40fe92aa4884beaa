"""Appendix A5's checks: the solutions pass, typical mistakes get their hint."""

import pytest
import torch

from nfteach.course import check


def laplacian(model, coords):
    x = coords.clone().requires_grad_(True)
    out = model(x)
    columns = []
    for c in range(out.shape[1]):
        (grad,) = torch.autograd.grad(out[:, c].sum(), x, create_graph=True)
        columns.append(sum(torch.autograd.grad(grad[:, i].sum(), x, create_graph=True)[0][:, i] for i in range(x.shape[1])))
    return torch.stack(columns, dim=1)


def residual(model, coords, k, source):
    return laplacian(model, coords) + k**2 * model(coords) - source


@pytest.mark.parametrize("task, fn", [("laplacian", laplacian), ("helmholtz_residual", residual)])
def test_the_solutions_pass(task, fn):
    assert getattr(check, task)(fn).status == "passed"


def _detached_laplacian(model, coords):
    return laplacian(model, coords).detach()


def _summed_laplacian(model, coords):
    return laplacian(model, coords).sum(dim=1, keepdim=True)


def _with_mixed(model, coords):  # ∂²/∂x∂y added: the full Hessian summed
    x = coords.clone().requires_grad_(True)
    out = model(x)
    columns = []
    for c in range(out.shape[1]):
        (grad,) = torch.autograd.grad(out[:, c].sum(), x, create_graph=True)
        columns.append(sum(torch.autograd.grad(grad[:, i].sum(), x, create_graph=True)[0].sum(dim=1) for i in range(2)))
    return torch.stack(columns, dim=1)


@pytest.mark.parametrize("task, fn, hint", [
    ("laplacian", _detached_laplacian, "create_graph=True"),
    ("laplacian", _summed_laplacian, "one Laplacian per output channel"),
    ("laplacian", lambda m, c: -laplacian(m, c), "sign is flipped"),
    ("laplacian", _with_mixed, "pure second derivatives"),
    ("helmholtz_residual", lambda m, c, k, s: laplacian(m, c) + k**2 * m(c) + s, "minus sign"),
    ("helmholtz_residual", lambda m, c, k, s: laplacian(m, c) + k**2 * m(c), "source f is missing"),
    ("helmholtz_residual", lambda m, c, k, s: laplacian(m, c) + k * m(c) - s, "k² u, not k u"),
    ("helmholtz_residual", lambda m, c, k, s: laplacian(m, c) - s, "k² u term is missing"),
])
def test_typical_mistakes_get_their_hint(task, fn, hint):
    verdict = getattr(check, task)(fn)
    assert verdict.status == "failed" and hint in verdict.detail, verdict


def test_calling_the_kits_residual_is_refused():
    from nfteach import pde

    verdict = check.helmholtz_residual(lambda m, c, k, s: pde.helmholtz_residual(m, c, k, s, pml_width=0))
    assert verdict.status == "failed" and "nfteach.pde.helmholtz_residual" in verdict.detail


def source(coords, center, sigma, amplitude):
    squared = ((coords - torch.tensor(center, dtype=coords.dtype)) ** 2).sum(dim=1, keepdim=True)
    return torch.exp(-squared / (2 * sigma**2)) / (2 * torch.pi * sigma**2) * torch.tensor([amplitude.real, amplitude.imag],
                                                                                          dtype=coords.dtype)


def test_the_source_solution_passes_and_its_mistakes_get_their_hint():
    assert check.gaussian_source(source).status == "passed"
    mistakes = {
        "1 / (2πσ²)": lambda c, x0, s, a: source(c, x0, s, a) * s,
        "standard deviation": lambda c, x0, s, a: source(c, x0, s**0.5, a),
        "amplitude s is complex": lambda c, x0, s, a: source(c, x0, s, complex(a.real, 0.0)),
        "centred on the source": lambda c, x0, s, a: source(c, (0.0, 0.0), s, a),
    }
    for hint, fn in mistakes.items():
        verdict = check.gaussian_source(fn)
        assert verdict.status == "failed" and hint in verdict.detail, (hint, verdict)
