"""MR-Net: multiresolution sinusoidal networks (Paz et al., SIBGRAPI 2022; Computers & Graphics 2023).

An MR-Net is a sum of small sine networks, f(x) = Σ_k c_k g_k(x). Stage g_0 fits the coarsest level of a
Gaussian pyramid (Burt & Adelson 1983); each later stage is trained, with the earlier ones frozen, so that the
sum up to it fits the next finer level: stage k learns the detail between two levels (a Laplacian band).
At render time the weights c_k give a continuous level of detail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nfteach._checks import check_coords, check_positive_int, check_positive_number, check_real
from nfteach.data import grid
from nfteach.models import SineLayer, Siren
from nfteach.train import History, fit

PYRAMID_SIGMA = 2 / 3
"""σ (in pixels of the finer level) of the Gaussian applied before each halving: scikit-image's default for a
factor of 2 (2·2/6) and the official MR-Net code's value."""
HIDDEN_OMEGA = 30.0
"""ω of every hidden sine layer (SIREN's ω0, the paper's ω_G)."""
KINDS = ("S", "L", "M")


# ---------------------------------------------------------------------------------------------- pyramids
def gaussian_pyramid(image: torch.Tensor, levels: int, sigma: float = PYRAMID_SIGMA) -> list[torch.Tensor]:
    """The Gaussian pyramid of ``image [H, W, C]``: ``levels`` images, COARSEST FIRST, each twice the size of
    the one before it (H/2^(levels−1) … H), so that ``pyramid[k]`` is the target of MR-Net stage k.

    Each level is the finer one blurred with a Gaussian of standard deviation ``sigma`` pixels and decimated by
    2 (``skimage.transform.pyramid_gaussian``; ``pyramid[-1]`` is the image itself). Borders are reflected,
    as in the official configuration for Kodak photos (``pmode: reflect``); the official default and example
    configuration wrap them (``wrap``), which suits periodic signals.
    """
    from skimage.transform import pyramid_gaussian

    return _pyramid(pyramid_gaussian, image, levels, sigma, "gaussian_pyramid")


def laplacian_pyramid(image: torch.Tensor, levels: int, sigma: float = PYRAMID_SIGMA) -> list[torch.Tensor]:
    """The Laplacian pyramid of ``image [H, W, C]``, coarsest first like :func:`gaussian_pyramid`.

    Level k is a band of detail: the Gaussian level of its size minus that level blurred with ``sigma``
    (``skimage.transform.pyramid_laplacian``); values are centred on 0.
    """
    from skimage.transform import pyramid_laplacian

    return _pyramid(pyramid_laplacian, image, levels, sigma, "laplacian_pyramid")


def _pyramid(build, image: torch.Tensor, levels: int, sigma: float, where: str) -> list[torch.Tensor]:
    check_positive_int(f"{where}: levels", levels)
    check_positive_number(f"{where}: sigma", sigma)
    if not isinstance(image, torch.Tensor) or image.ndim != 3:
        got = list(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ValueError(f"{where}: image must be a tensor [H, W, C], got {got}; add a channel axis with image[..., None]")
    check_real(image, f"{where}: image")
    if min(image.shape[:2]) < 2 ** (levels - 1):
        raise ValueError(f"{where}: a {image.shape[0]}×{image.shape[1]} image halves at most "
                         f"{int(math.log2(min(image.shape[:2])))} times; ask for fewer than {levels} levels")
    pixels = image.detach().cpu().double().numpy()
    finest_first = build(pixels, max_layer=levels - 1, downscale=2, sigma=sigma, mode="reflect", channel_axis=-1)
    return [torch.from_numpy(np.ascontiguousarray(level)).float() for level in reversed(list(finest_first))]


# -------------------------------------------------------------------------------------- level of detail
def lod_weights(level: float, stages: int) -> list[float]:
    """The weights c_s of the stages at a (possibly fractional) level of detail t ∈ [0, stages].

    c_s = 1 if s + 1 ≤ t, else max(t − s, 0), as the official evaluation does: stages below ⌊t⌋ are fully on,
    stage ⌊t⌋ fades in with the fraction t − ⌊t⌋, the rest are off. So t = k gives the sum of the first k
    stages, and between two integers the output is the linear blend of the two neighbouring levels.
    """
    check_positive_int("lod_weights: stages", stages)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 <= level <= stages:
        raise ValueError(f"lod_weights: level must be a number in [0, {stages}] (the number of stages), got {level!r}")
    return [1.0 if s + 1 <= level else max(level - s, 0.0) for s in range(stages)]


# ------------------------------------------------------------------------------------------------ model
class Stage(nn.Module):
    """One MR-Net stage g_k(x) = W_out h(x) + b_out, with h the sine layers of a SIREN.

    The first layer sin(ω_k (W x + b)) draws W ~ U(−1, 1), so stage k's first-layer frequencies lie in
    [−ω_k, ω_k] (the current official code; its 2022 version drew them from the band (ω_{k−1}, ω_k]; SIREN's own
    first layer draws U(−1/n, 1/n)). Hidden sine layers and the
    output layer keep SIREN's init with ω = 30. With ``previous_features > 0`` (M-Net) the first hidden layer
    also takes the previous stage's last hidden features h_{k−1}, concatenated after its own.
    ``coords [N, in_features]`` (and ``previous [N, previous_features]``) → ``(g_k [N, out], h_k [N, hidden])``.
    """

    def __init__(self, in_features: int, hidden_features: int, hidden_layers: int, out_features: int,
                 omega: float, previous_features: int = 0):
        super().__init__()
        siren = Siren(in_features, hidden_features, hidden_layers, out_features,
                      first_omega_0=omega, hidden_omega_0=HIDDEN_OMEGA)
        self.first, *hidden, self.output = siren.net
        if previous_features:
            hidden[0] = SineLayer(hidden_features + previous_features, hidden_features, HIDDEN_OMEGA)
        self.hidden = nn.Sequential(*hidden)
        self.previous_features = previous_features
        with torch.no_grad():
            self.first.linear.weight.uniform_(-1.0, 1.0)

    def forward(self, coords: torch.Tensor, previous: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.first(coords)  # [N, hidden]
        if self.previous_features:
            h = torch.cat([h, previous], dim=-1)  # [N, hidden + previous_features]
        h = self.hidden(h)  # [N, hidden]
        return self.output(h), h  # [N, out], [N, hidden]


class MRNet(nn.Module):
    """f(x) = Σ_k c_k g_k(x): a multiresolution sine network of ``stages`` :class:`Stage` s (Paz et al. 2022).

    ``kind`` picks how the stages relate:
    - ``"S"``: each stage is a first sine layer and a linear output (no hidden block, ``hidden_layers=0``);
    - ``"L"``: independent stages with ``hidden_layers`` hidden sine layers, outputs summed;
    - ``"M"``: as L, but stage k's first hidden layer also takes stage k−1's last hidden features, so later
      stages modulate what earlier ones learned.
    ``hidden_features`` is one width or one per stage; ``omegas`` bounds each stage's first-layer frequencies
    (default 4, 8, 16, … doubling per stage, as the authors' configurations). ``forward(coords, level)`` with
    ``level`` ∈ [0, stages] blends the stages by :func:`lod_weights`; ``level=None`` sums them all.
    Input ``[N, in_features]`` → output ``[N, out_features]``.
    """

    def __init__(self, kind: str, in_features: int, out_features: int, stages: int,
                 hidden_features: int | Sequence[int], hidden_layers: int | None = None,
                 omegas: Sequence[float] | None = None):
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"MRNet: kind must be one of {KINDS} (S-, L- or M-Net), got {kind!r}")
        self.kind = kind
        self.in_features = check_positive_int("MRNet: in_features", in_features)
        self.out_features = check_positive_int("MRNet: out_features", out_features)
        count = check_positive_int("MRNet: stages", stages)
        hidden_layers = _check_hidden_layers(kind, hidden_layers)
        widths = _per_stage("hidden_features", hidden_features, count)
        for width in widths:
            check_positive_int("MRNet: hidden_features", width)
        self.omegas = [float(w) for w in (omegas if omegas is not None else [4 * 2**k for k in range(count)])]
        if len(self.omegas) != count:
            raise ValueError(f"MRNet: omegas must hold one ω per stage ({count}), got {len(self.omegas)}")
        for omega in self.omegas:
            check_positive_number("MRNet: each of omegas", omega)
        self.stages = nn.ModuleList(
            Stage(in_features, width, hidden_layers, out_features, omega,
                  previous_features=widths[k - 1] if kind == "M" and k > 0 else 0)
            for k, (width, omega) in enumerate(zip(widths, self.omegas))
        )

    def forward(self, coords: torch.Tensor, level: float | None = None) -> torch.Tensor:
        weight = self.stages[0].first.linear.weight
        check_coords(coords, self.in_features, "MRNet", weight.dtype, weight.device)
        weights = lod_weights(len(self.stages) if level is None else level, len(self.stages))
        return self.weighted_sum(coords, weights)[0]

    def weighted_sum(self, coords: torch.Tensor, weights: Sequence[float]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Σ_k c_k g_k(coords) over the leading stages with c_k > 0, and the last evaluated stage's hidden
        features (what an M-Net's next stage takes in; None if no stage ran). ``weights`` must not increase."""
        total = coords.new_zeros(len(coords), self.out_features)  # [N, out]
        features = None
        for stage, weight in zip(self.stages, weights):
            if weight == 0:
                break
            out, features = stage(coords, features if self.kind == "M" else None)
            total = total + weight * out
        return total, features


def _check_hidden_layers(kind: str, hidden_layers: int | None) -> int:
    if kind == "S":
        if hidden_layers not in (None, 0):
            raise ValueError(f"MRNet: an S-Net has no hidden layers, got hidden_layers={hidden_layers!r}; "
                             "with hidden layers it is an L-Net (kind='L')")
        return 0
    hidden_layers = 1 if hidden_layers is None else hidden_layers
    if check_positive_int(f"MRNet: hidden_layers of an {kind}-Net", hidden_layers) < 1:
        raise ValueError(f"MRNet: an {kind}-Net needs at least one hidden layer, got {hidden_layers}")
    return hidden_layers


def _per_stage(name: str, value, count: int) -> list:
    if isinstance(value, Sequence):
        if len(value) != count:
            raise ValueError(f"MRNet: {name} must be one value or one per stage ({count}), got {len(value)}")
        return list(value)
    return [value] * count


# --------------------------------------------------------------------------------------------- training
@dataclass
class StageStop:
    """The official rule that ends a stage's training: the loss fell below ``loss_tol``, or it changed by
    less than ``diff_tol`` relative to the step before, |L_t − L_{t−1}| / L_t < diff_tol (or the step cap)."""

    loss_tol: float = 1e-11
    diff_tol: float = 1e-7
    last: float = math.inf

    def __call__(self, loss: float) -> bool:
        stop = loss < self.loss_tol or abs(loss - self.last) / loss < self.diff_tol
        self.last = loss
        return stop


class _Residual(nn.Module):
    """Stage k alone, fed the frozen previous stage's hidden features (a constant) when it is an M-Net stage."""

    def __init__(self, stage: Stage, previous: torch.Tensor | None):
        super().__init__()
        self.stage, self.previous = stage, previous

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        return self.stage(coords, self.previous)[0]


def level_samples(level: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A pyramid level ``[h, w, C]`` as training samples on its own grid: ``(coords [h·w, 2], values [h·w, C])``,
    with coordinates at the level's pixel centres in [−1, 1] (:func:`nfteach.data.grid`). The official code
    samples ``linspace(−1, 1, side)``, endpoints included; pixel centres put a coarse level's samples where
    ``pyramid_gaussian`` resampled them, halfway between two of the finer level's."""
    if not isinstance(level, torch.Tensor) or level.ndim != 3:
        got = list(level.shape) if isinstance(level, torch.Tensor) else type(level).__name__
        raise ValueError(f"level_samples: level must be a tensor [h, w, C], got {got}")
    height, width, channels = level.shape
    return grid(height, width), level.reshape(-1, channels)


def fit_stages(net: MRNet, pyramid: Sequence[torch.Tensor], *, steps: int, lr: float, start: int = 0,
               progress: bool = True, loss_tol: float = 1e-11, diff_tol: float = 1e-7,
               **fit_options) -> list[History]:
    """Train ``net`` coarse to fine: for k = start, …, stages − 1, fit g_0 + … + g_k to ``pyramid[k]``.

    Stages < k are frozen: only stage k's parameters are optimised (Adam, ``lr``), with at most ``steps``
    full-batch steps on the level's own grid (:func:`level_samples`) and the official early stops
    (:class:`StageStop`). Since the frozen sum S_{k−1} is a constant, the loss ‖S_{k−1} + g_k − y_k‖² is
    computed as ‖g_k − (y_k − S_{k−1})‖²: stage k learns the residual, the detail the coarser stages miss.
    ``pyramid`` is coarsest first, one level per stage (:func:`gaussian_pyramid`); ``fit_options`` go to
    :func:`nfteach.train.fit`. Returns one :class:`~nfteach.train.History` per trained stage; its PSNR is
    that of the sum against the level.
    """
    _check_pyramid(net, pyramid)
    if not isinstance(start, int) or not 0 <= start < len(net.stages):
        raise ValueError(f"fit_stages: start must be a stage index in [0, {len(net.stages) - 1}], got {start!r}")
    device = next(net.parameters()).device
    histories = []
    for k in range(start, len(net.stages)):
        coords, target = (t.to(device) for t in level_samples(pyramid[k]))
        with torch.no_grad():
            frozen, previous = net.weighted_sum(coords, [1.0] * k)  # S_{k−1} [N, C], h_{k−1} or None
        stage = _Residual(net.stages[k], previous if net.kind == "M" else None)
        histories.append(fit(stage, coords, target - frozen, steps=steps, lr=lr, progress=progress,
                             stop=StageStop(loss_tol, diff_tol), **fit_options))
    return histories


def _check_pyramid(net: MRNet, pyramid: Sequence[torch.Tensor]) -> None:
    if not isinstance(net, MRNet):
        raise ValueError(f"fit_stages: net must be an MRNet, got {type(net).__name__}")
    if len(pyramid) != len(net.stages):
        raise ValueError(f"fit_stages: the pyramid must have one level per stage ({len(net.stages)}), "
                         f"got {len(pyramid)}; build it with gaussian_pyramid(image, {len(net.stages)})")
    for k, level in enumerate(pyramid):
        if not isinstance(level, torch.Tensor) or level.ndim != 3 or level.shape[-1] != net.out_features:
            got = list(level.shape) if isinstance(level, torch.Tensor) else type(level).__name__
            raise ValueError(f"fit_stages: pyramid[{k}] must be an image [h, w, {net.out_features}], got {got}")


def level_for_size(stages: int, size: int, trained_size: int) -> float:
    """The level of detail whose finest band a ``size``-pixel grid can still hold, for an MR-Net whose finest
    stage was trained on ``trained_size`` pixels: each halving of the grid drops one stage,
    t = stages − log2(trained_size / size), clipped to [0, stages] (the grid's Nyquist frequency is then
    that of the level's own grid)."""
    check_positive_int("level_for_size: size", size)
    check_positive_int("level_for_size: trained_size", trained_size)
    return min(max(check_positive_int("level_for_size: stages", stages) - math.log2(trained_size / size), 0.0), stages)
