"""Chapter 3's room: the SIREN image fits behind the ω0 and depth sliders (Sitzmann et al. 2020) and their static twin."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from nfteach._checks import check_image
from nfteach import seeding
from nfteach.data import grid
from nfteach.metrics import psnr
from nfteach.models import Siren
from nfteach.train import fit, predict
from nfteach.viz import image_grid
from nfteach.widgets import slider_explorer


def siren_image_run(img: torch.Tensor, omega_0: float = 30.0, hidden_layers: int = 3, *, width: int = 64,
                    steps: int = 120, lr: float = 2e-3, final_lr: float | None = 1e-4, device=None) -> tuple[torch.Tensor, float]:
    """Fit a SIREN with ω0 = ``omega_0`` on every sine layer to a gray image ``[H, W, 1]`` in [0, 1] (targets
    mapped to [−1, 1]); returns the reconstruction ``[H, W, 1]`` in [0, 1] and its PSNR (dB)."""
    check_image(img, "siren_image_run: img", channels=1)
    height, width_px, _ = img.shape
    coords, target = grid(height, width_px), img.reshape(-1, 1) * 2 - 1  # [N, 2], [N, 1]
    torch.manual_seed(seeding.session_seed())
    net = Siren(2, width, hidden_layers, 1, first_omega_0=omega_0, hidden_omega_0=omega_0).to(device or "cpu")
    fit(net, coords, target, steps=steps, lr=lr, final_lr=final_lr, progress=False, data_range=2.0)
    prediction = predict(net, coords)
    return ((prediction + 1) / 2).clamp(0, 1).reshape(img.shape), psnr(prediction, target, 2.0)


def siren_explorer(img: torch.Tensor, omegas: Sequence[float] = (1, 3, 10, 30, 100, 300), depths: tuple[int, int] = (0, 5),
                   *, omega_0: float = 30, depth: int = 3, **kwargs) -> widgets.VBox:
    """Sliders ω0 (of every sine layer) and ``depth`` (hidden sine layers) refit
    :func:`siren_image_run` on ``img``. Static twin: :func:`siren_grid`."""
    sliders = [
        widgets.SelectionSlider(options=list(omegas), value=omega_0, description="ω0", continuous_update=False),
        widgets.IntSlider(depth, *depths, description="depth", continuous_update=False),
    ]

    def draw(ω0: float, depth: int) -> Figure:  # the sliders' labels name the arguments
        reconstruction, value = siren_image_run(img, ω0, depth, **kwargs)
        return image_grid([img, reconstruction], ["target", f"ω0 = {ω0:g}, {depth} hidden: {value:.1f} dB"], size=3.5)

    return slider_explorer(draw, sliders)


def siren_grid(img: torch.Tensor, omegas: Sequence[float] = (3, 30, 300), depths: Sequence[int] = (1, 3),
               **kwargs) -> tuple[Figure, dict[tuple[int, float], float]]:
    """The static twin of :func:`siren_explorer`: depth (rows) × ω0 (columns); returns the figure and the
    PSNR of each (depth, ω0)."""
    images, titles, psnrs = [], [], {}
    for depth in depths:
        for omega in omegas:
            reconstruction, psnrs[depth, omega] = siren_image_run(img, omega, depth, **kwargs)
            images.append(reconstruction)
            titles.append(f"ω0 = {omega:g}, {depth} hidden\n{psnrs[depth, omega]:.1f} dB")
    return image_grid(images, titles, ncols=len(omegas), size=2.6), psnrs
