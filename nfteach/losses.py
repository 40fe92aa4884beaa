"""Losses that make a network a signed distance function (SDF): the eikonal term, SIREN's SDF loss, DeepSDF's clamped L1.

An SDF φ has |∇φ| = 1 almost everywhere (the eikonal equation). Fitting only the zero level set leaves the
network free to be any function with that level set; the eikonal term (Gropp et al. 2020, IGR) asks the
gradient to have unit length everywhere, which makes the fit a distance. Gradients are taken by autograd
with ``create_graph=True`` (a double backward: it cannot be ``torch.compile``d).

    loss_fn = SirenSdfLoss()                                   # for nfteach.train.fit
    fit(model, surface_points, surface_normals, loss_fn=loss_fn, steps=..., lr=...)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from nfteach._checks import check_coords, check_number, check_points, check_positive_number, check_tensor
from nfteach.models import gradient


def eikonal_residual(grad: torch.Tensor) -> torch.Tensor:
    """‖∇φ‖ − 1 per point: ``grad [N, d]`` → ``[N, 1]``; 0 everywhere for a true distance."""
    check_tensor(grad, "eikonal_residual: grad", "[N, d]")
    if grad.ndim != 2:
        raise ValueError(f"eikonal_residual: grad must be [N, d] gradients, got shape {list(grad.shape)}")
    return grad.norm(dim=1, keepdim=True) - 1


def eikonal_loss(model: nn.Module, points: torch.Tensor) -> torch.Tensor:
    """mean |‖∇Φ(x)‖ − 1| over ``points [N, d]`` (SIREN's form of the term; IGR squares it). Trainable."""
    check_points(points, "eikonal_loss: points")
    return eikonal_residual(gradient(model, points, create_graph=True)).abs().mean()


SIREN_SDF_WEIGHTS = {"surface": 3e3, "off_surface": 1e2, "normal": 1e2, "eikonal": 5e1}
"""The official SIREN code's weights (the paper writes equal ones; the code's are what reproduce its fits)."""


def siren_sdf_terms(model: nn.Module, surface: torch.Tensor, normals: torch.Tensor,
                    off_surface: torch.Tensor) -> dict[str, torch.Tensor]:
    """The four unweighted terms of SIREN's SDF loss (Sitzmann et al. 2020, eq. 6; official ``loss_functions.sdf``).

    On the ``surface [N, d]`` points with unit ``normals [N, d]``: |Φ| and 1 − cos(∇Φ, n); at the
    ``off_surface [M, d]`` points (no distance known, uniform in the box): exp(−100|Φ|), which keeps the
    zero level set away from where no surface is; at all points |‖∇Φ‖ − 1|. As in the official code each
    term is a mean over ALL N + M points, with zeros where it does not apply.
    """
    check_points(surface, "siren_sdf_terms: surface"), check_points(normals, "siren_sdf_terms: normals")
    if surface.shape != normals.shape:
        raise ValueError(f"siren_sdf_terms: one normal per surface point expected, got surface "
                         f"{list(surface.shape)} and normals {list(normals.shape)}")
    check_coords(off_surface, surface.shape[1], "siren_sdf_terms", name="off_surface")
    points = torch.cat([surface, off_surface])  # [N + M, d]
    on = torch.zeros(len(points), 1, dtype=torch.bool, device=points.device)
    on[: len(surface)] = True
    coords = points.detach().requires_grad_(True)
    values = model(coords)  # [N + M, 1]
    (grad,) = torch.autograd.grad(values.sum(), coords, create_graph=True)  # [N + M, d]
    zero = torch.zeros_like(values)
    padded_normals = torch.cat([normals, torch.zeros_like(off_surface)])
    cosine = nn.functional.cosine_similarity(grad, padded_normals, dim=1)[:, None]  # [N + M, 1]
    return {
        "surface": torch.where(on, values.abs(), zero).mean(),
        "off_surface": torch.where(on, zero, torch.exp(-100 * values.abs())).mean(),
        "normal": torch.where(on, 1 - cosine, zero).mean(),
        "eikonal": eikonal_residual(grad).abs().mean(),
    }


@dataclass
class SirenSdfLoss:
    """SIREN's SDF loss as a ``loss_fn(model, surface, normals)`` for :func:`nfteach.train.fit`.

    Each call draws as many off-surface points as surface points, uniform in [−``bound``, ``bound``]ᵈ (the
    official sampler), and returns Σ weight · term of :func:`siren_sdf_terms`. ``weights`` defaults to
    :data:`SIREN_SDF_WEIGHTS`; set a weight to 0 to drop its term (e.g. ``eikonal`` to see why it is there).
    """

    weights: dict[str, float] | None = None
    bound: float = 1.0

    def __post_init__(self) -> None:
        self.weights = {**SIREN_SDF_WEIGHTS, **(self.weights or {})}
        unknown = set(self.weights) - set(SIREN_SDF_WEIGHTS)
        if unknown:
            raise ValueError(f"SirenSdfLoss: weights may name {sorted(SIREN_SDF_WEIGHTS)}, got {sorted(unknown)}")
        for name, weight in self.weights.items():
            check_number(f"SirenSdfLoss: weights[{name!r}]", weight, 0.0)
        check_positive_number("SirenSdfLoss: bound", self.bound)

    def __call__(self, model: nn.Module, surface: torch.Tensor, normals: torch.Tensor) -> torch.Tensor:
        off_surface = (torch.rand_like(surface) * 2 - 1) * self.bound  # [N, d]
        terms = siren_sdf_terms(model, surface, normals, off_surface)
        return sum(self.weights[name] * term for name, term in terms.items() if self.weights[name])


def clamped_l1(pred: torch.Tensor, target: torch.Tensor, delta: float = 0.1) -> torch.Tensor:
    """DeepSDF's loss (Park et al. 2019, eq. 4): mean |clamp(f, −δ, δ) − clamp(s, −δ, δ)|, δ = 0.1.

    Clamping spends the network's capacity near the surface: beyond δ only the sign is asked for.
    """
    check_tensor(pred, "clamped_l1: pred", "[N, 1]"), check_tensor(target, "clamped_l1: target", "[N, 1]")
    if pred.numel() == 0:
        raise ValueError(f"clamped_l1: pred and target must hold at least one value, got shape {list(pred.shape)}")
    if pred.shape != target.shape:
        raise ValueError(f"clamped_l1: pred and target must have the same shape, got {list(pred.shape)} "
                         f"and {list(target.shape)}")
    check_positive_number("clamped_l1: delta", delta)
    return (pred.clamp(-delta, delta) - target.clamp(-delta, delta)).abs().mean()
