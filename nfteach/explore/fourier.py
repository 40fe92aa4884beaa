"""Chapter 2's room: the 1D Fourier-feature fits behind the σ slider (Tancik et al. 2020) and their static twin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from nfteach import seeding
from nfteach._checks import check_positive_int, check_positive_number
from nfteach.data import sinusoids
from nfteach.encodings import FourierFeatures
from nfteach.metrics import psnr
from nfteach.models import MLP
from nfteach.train import fit, predict
from nfteach.viz import plot_sparse_fit
from nfteach.widgets import slider_explorer


@dataclass
class SparseFit:
    """A 1D fit from every ``every``-th sample: the signal, the training mask, the fit and its PSNRs (dB)."""

    t: torch.Tensor  # [n, 1] in [0, 1)
    y: torch.Tensor  # [n, 1]
    train: torch.Tensor  # [n] bool
    prediction: torch.Tensor  # [n, 1]
    train_psnr: float
    test_psnr: float


SPARSE_SIGNAL = {"freqs": (2, 5, 9, 14), "amps": (1.0, 0.7, 0.5, 0.35)}
"""The 1D target of :func:`fourier_1d_run`: its top frequency, 14, is below the training Nyquist frequency 32 (n = 256, every = 4)."""


def fourier_1d_run(sigma: float, *, n: int = 256, every: int = 4, steps: int = 300, width: int = 64,
                   mapping_size: int = 64, lr: float = 1e-3, seed: int | None = None, device=None) -> SparseFit:
    """Fit an MLP behind Gaussian Fourier features of scale ``sigma`` (coordinates in [0, 1), the paper's σ)
    to every ``every``-th of ``n`` samples of a sum of sinusoids; PSNR on the others (data_range 2)."""
    check_positive_int("fourier_1d_run: n", n)
    check_positive_number("fourier_1d_run: sigma", sigma)
    t, y = sinusoids(SPARSE_SIGNAL["freqs"], SPARSE_SIGNAL["amps"], n=n, seed=seed)  # [n, 1] each
    y = y / y.abs().max()
    train = torch.arange(n) % check_positive_int("fourier_1d_run: every", every) == 0  # [n]
    torch.manual_seed(seeding.resolve(seed))
    net = MLP(1, width, 2, 1, encoding=FourierFeatures(1, mapping_size, sigma, seed=seed)).to(device or "cpu")
    fit(net, t[train], y[train], steps=steps, lr=lr, progress=False)
    prediction = predict(net, t)
    return SparseFit(t, y, train, prediction, psnr(prediction[train], y[train], 2.0), psnr(prediction[~train], y[~train], 2.0))


def _sparse_fit_figure(sigma: float, **kwargs) -> Figure:
    run = fourier_1d_run(sigma, **kwargs)
    fig, ax = plt.subplots(figsize=(8.2, 3))  # with the legend beside it, about JupyterLab's ~9.7 in: shown unscaled
    plot_sparse_fit(run.t, run.y, run.train, run.prediction, ax=ax)
    ax.set_title(f"σ = {sigma:g}: training PSNR {run.train_psnr:.1f} dB, held-out PSNR {run.test_psnr:.1f} dB")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the curve, not on it
    fig.tight_layout()
    return fig


def fourier_sigma_explorer(sigmas: Sequence[float] = (0.5, 1, 2, 4, 8, 16, 32, 64, 128), sigma: float = 2,
                           **kwargs) -> widgets.VBox:
    """A ``sigma`` slider refits :func:`fourier_1d_run` (``kwargs`` go to it): small σ underfits, large σ
    interpolates the training samples with noise. Static twin: :func:`fourier_sigma_grid`."""
    if sigma not in sigmas:
        raise ValueError(f"fourier_sigma_explorer: sigma must be one of sigmas={tuple(sigmas)}, got {sigma}")
    slider = widgets.SelectionSlider(options=list(sigmas), value=sigma, description="σ", continuous_update=False)
    return slider_explorer(lambda σ: _sparse_fit_figure(σ, **kwargs), [slider])  # the slider's label names the argument


def fourier_sigma_grid(sigmas: Sequence[float] = (0.5, 2, 32), **kwargs) -> tuple[Figure, dict[float, SparseFit]]:
    """The static twin of :func:`fourier_sigma_explorer`: one panel per σ; returns the figure and the runs."""
    runs = {sigma: fourier_1d_run(sigma, **kwargs) for sigma in sigmas}
    fig, axes = plt.subplots(1, len(runs), figsize=(3.3 * len(runs), 3), sharey=True, squeeze=False)
    for ax, (sigma, run) in zip(axes[0], runs.items()):
        plot_sparse_fit(run.t, run.y, run.train, run.prediction, ax=ax,
                        title=f"σ = {sigma:g}\ntrain {run.train_psnr:.1f} dB, held out {run.test_psnr:.1f} dB")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="lower center", ncol=4, frameon=False)  # below, off the data
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig, runs
