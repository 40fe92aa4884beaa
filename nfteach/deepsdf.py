"""DeepSDF (Park et al., CVPR 2019): one decoder for a family of shapes, one latent code per shape, no encoder.

An **auto-decoder** trains the decoder f(z, x) ≈ SDF and a code z_i for every training shape jointly, by
gradient descent on both. A new shape needs no encoder either: freeze the decoder and optimise a fresh code
until f(z, ·) matches the new shape's samples (:func:`reconstruct`).

    model = AutoDecoder(num_shapes=12, latent_size=16, hidden_features=64, hidden_layers=4)
    fit(model, samples, sdf, loss_fn=AutoDecoderLoss(), ...)      # samples [N, 1 + 3]: shape index, point
    code = reconstruct(model.decoder, points, sdf)                 # [latent_size], decoder untouched

Scaled down from the official 8 × 512 decoder (dropout 0.2, weight norm, code of 256): no dropout and no
weight norm at this size; the code still re-enters half way, the output is still squashed by tanh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from nfteach import seeding
from nfteach._checks import check_coords, check_memory, check_number, check_points, check_positive_int, check_positive_number, check_tensor
from nfteach.losses import clamped_l1


class SdfDecoder(nn.Module):
    """DeepSDF's decoder f(z, x) = tanh(MLP([z, x])): ReLU layers, the input [z, x] concatenated again at the
    input of layer ``skip`` (a skip connection; official: layer 4 of 8), and tanh on the output (official).

    ``hidden_layers`` counts the hidden-to-hidden layers, as in :class:`nfteach.models.MLP`.
    Codes ``[N, latent_size]`` and points ``[N, dim]`` → SDF values ``[N, 1]`` in (−1, 1).
    """

    def __init__(self, latent_size: int, hidden_features: int = 64, hidden_layers: int = 3, dim: int = 3,
                 skip: int | None = None):
        super().__init__()
        self.latent_size = check_positive_int("SdfDecoder: latent_size", latent_size)
        self.dim = check_positive_int("SdfDecoder: dim", dim)
        check_positive_int("SdfDecoder: hidden_features", hidden_features)
        check_positive_int("SdfDecoder: hidden_layers", hidden_layers, allow_zero=True)
        self.skip = (hidden_layers + 1) // 2 if skip is None else skip
        if isinstance(self.skip, bool) or not isinstance(self.skip, int) or not 0 < self.skip <= hidden_layers:
            raise ValueError(f"SdfDecoder: skip must be a hidden layer in 1..{hidden_layers}, got {self.skip}")
        widths = [latent_size + dim] + [hidden_features] * (hidden_layers + 1)
        fan_ins = [w + (latent_size + dim if i == self.skip else 0) for i, w in enumerate(widths[:-1])]
        check_memory("SdfDecoder", f"widths {widths}", 4 * sum((a + 1) * b for a, b in zip(fan_ins, widths[1:])))
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(fan_ins, widths[1:]))
        self.output = nn.Linear(hidden_features, 1)

    def forward(self, codes: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        weight = self.output.weight
        check_coords(points, self.dim, "SdfDecoder", weight.dtype, weight.device, name="points")
        check_tensor(codes, "SdfDecoder: codes", f"[N, {self.latent_size}]")
        if codes.shape != (len(points), self.latent_size):
            raise ValueError(f"SdfDecoder: codes must be [N, {self.latent_size}] for N = {len(points)} points, "
                             f"got {list(codes.shape)} (expand one code with code.expand(N, -1))")
        check_coords(codes, self.latent_size, "SdfDecoder", weight.dtype, weight.device, name="codes")
        inputs = torch.cat([codes, points], dim=1)  # [N, latent + dim]
        x = inputs
        for index, layer in enumerate(self.layers):
            if index == self.skip:
                x = torch.cat([x, inputs], dim=1)  # [N, hidden + latent + dim]
            x = torch.relu(layer(x))  # [N, hidden]
        return torch.tanh(self.output(x))  # [N, 1]


class AutoDecoder(nn.Module):
    """A :class:`SdfDecoder` with one trainable latent code per training shape (``codes``, an embedding table).

    Codes start ~ N(0, 1/latent_size) (official: std 1/√latent_size). Samples of many shapes travel as one
    tensor: ``samples [N, 1 + dim]`` holds the shape's index (as a float) then the point → ``[N, 1]``.
    """

    def __init__(self, num_shapes: int, latent_size: int = 16, hidden_features: int = 64, hidden_layers: int = 3,
                 dim: int = 3):
        super().__init__()
        self.num_shapes = check_positive_int("AutoDecoder: num_shapes", num_shapes)
        check_memory("AutoDecoder", f"{num_shapes:,} codes of {latent_size}", 4 * num_shapes * check_positive_int(
            "AutoDecoder: latent_size", latent_size))
        self.decoder = SdfDecoder(latent_size, hidden_features, hidden_layers, dim)
        self.codes = nn.Embedding(num_shapes, latent_size)
        nn.init.normal_(self.codes.weight, 0.0, 1 / math.sqrt(latent_size))

    def split(self, samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``samples [N, 1 + dim]`` → (shape indices [N] as longs, points [N, dim])."""
        check_coords(samples, 1 + self.decoder.dim, "AutoDecoder", device=self.codes.weight.device,
                     name="samples (shape index, then the point)")
        column = samples[:, 0]
        index = column.long()
        if bool(((column != index) | (index < 0) | (index >= self.num_shapes)).any()):  # one pass over the column
            raise ValueError(f"AutoDecoder: shape indices must be whole numbers in 0..{self.num_shapes - 1}, got values "
                             f"in {float(column.min()):g}..{float(column.max()):g}"
                             f"{' with fractions' if bool((column != index).any()) else ''}: label them with label_samples")
        return index, samples[:, 1:]

    def forward(self, samples: torch.Tensor) -> torch.Tensor:
        index, points = self.split(samples)
        return self.decoder(self.codes(index), points)  # [N, 1]


class LatentField(nn.Module):
    """One shape of the family: x ↦ f(z, x) for a fixed ``code [latent_size]``, a field ``[N, dim] → [N, 1]``
    that :func:`nfteach.mesh.marching_cubes` and :func:`nfteach.raytrace.render` take like any other."""

    def __init__(self, decoder: SdfDecoder, code: torch.Tensor):
        super().__init__()
        if not isinstance(decoder, SdfDecoder):
            raise ValueError(f"LatentField: decoder must be an SdfDecoder, got {type(decoder).__name__}")
        check_tensor(code, "LatentField: code", f"[{decoder.latent_size}]")
        if code.shape != (decoder.latent_size,):
            raise ValueError(f"LatentField: code must be [{decoder.latent_size}], got {list(code.shape)}")
        self.decoder = decoder
        self.register_buffer("code", code.detach().clone())
        self.dim = decoder.dim

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.code.expand(len(points), -1), points)  # [N, 1]


def label_samples(points: list[torch.Tensor]) -> torch.Tensor:
    """Each shape's points ``[N_i, dim]`` prefixed with its index i → one tensor ``[Σ N_i, 1 + dim]``."""
    if isinstance(points, torch.Tensor) or not isinstance(points, (list, tuple)) or not points:
        raise ValueError(f"label_samples: points must be a non-empty list of point tensors [N_i, dim], one per shape, "
                         f"got {type(points).__name__}")
    for i, p in enumerate(points):
        check_points(p, f"label_samples: points[{i}]", points[0].shape[1] if isinstance(points[0], torch.Tensor) else None,
                     empty=True)
    return torch.cat([torch.cat([torch.full((len(p), 1), float(i)), p], dim=1) for i, p in enumerate(points)])


@dataclass
class AutoDecoderLoss:
    """DeepSDF's training loss as a ``loss_fn(model, samples, sdf)`` for :func:`nfteach.train.fit`:
    clamped L1 (δ) + ``code_reg`` · mean over the batch of ‖z_i‖.

    The regulariser is the official code's (the plain norm of each sample's code, 1e-4, averaged over the
    samples; its 100-epoch warm-up is left out); the paper writes ‖z‖²/σ². The official code gives the codes
    twice the decoder's learning rate; :func:`nfteach.train.fit` has one learning rate for both.
    """

    delta: float = 0.1
    code_reg: float = 1e-4

    def __post_init__(self) -> None:
        check_positive_number("AutoDecoderLoss: delta", self.delta)
        check_number("AutoDecoderLoss: code_reg", self.code_reg, 0.0)

    def __call__(self, model: AutoDecoder, samples: torch.Tensor, sdf: torch.Tensor) -> torch.Tensor:
        index, points = model.split(samples)
        codes = model.codes(index)  # [B, latent]
        return clamped_l1(model.decoder(codes, points), sdf, self.delta) + self.code_reg * codes.norm(dim=1).mean()


def reconstruct(decoder: SdfDecoder, points: torch.Tensor, sdf: torch.Tensor, steps: int = 800, lr: float = 5e-3,
                init_std: float = 0.01, delta: float = 0.1, code_reg: float = 1e-4, seed: int | None = None) -> torch.Tensor:
    """A code for an unseen shape from its samples ``points [N, dim]``, ``sdf [N, 1]``, with the decoder frozen.

    As the official ``reconstruct.py``: the code starts ~ N(0, init_std²), Adam at ``lr`` divided by 10 half
    way, loss clamped L1 (δ) + ``code_reg`` · mean(z²). Only the code is optimised: the decoder's weights
    and their ``.grad`` are left as they were. Returns the code ``[latent_size]``.
    """
    steps = check_positive_int("reconstruct: steps", steps)
    check_positive_number("reconstruct: lr", lr)
    check_positive_number("reconstruct: init_std", init_std), check_positive_number("reconstruct: delta", delta)
    check_number("reconstruct: code_reg", code_reg, 0.0)
    if not isinstance(decoder, SdfDecoder):
        raise ValueError(f"reconstruct: decoder must be an SdfDecoder (e.g. model.decoder), got {type(decoder).__name__}")
    check_points(points, "reconstruct: points", decoder.dim), check_points(sdf, "reconstruct: sdf", 1)
    if sdf.shape != (len(points), 1):
        raise ValueError(f"reconstruct: sdf must be [N, 1] for N = {len(points)} points, got {list(sdf.shape)}")
    device = next(decoder.parameters()).device
    points, sdf = points.to(device), sdf.to(device)
    generator = seeding.generator(seed)
    code = (init_std * torch.randn(decoder.latent_size, generator=generator)).to(device).requires_grad_(True)
    optimizer = torch.optim.Adam([code], lr=lr)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, steps // 2), gamma=0.1)
    for _ in range(steps):
        pred = decoder(code.expand(len(points), -1), points)  # [N, 1]
        loss = clamped_l1(pred, sdf, delta) + code_reg * code.pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward(inputs=[code])  # the decoder gets no gradient
        optimizer.step()
        schedule.step()
    return code.detach()
