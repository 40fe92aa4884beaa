"""Slider explorers: a small fit redrawn as a figure from :mod:`nfteach.viz` whenever a slider moves.

Every explorer has a static twin, a function that draws a small grid of the same settings as a plain
figure, so printouts and CI show what the sliders would. Sliders only redraw when released
(``continuous_update=False``); the figure is a PNG inside an ``ipywidgets.Output``.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display
from matplotlib.figure import Figure

from nfteach._checks import check_positive_int, check_positive_number
from nfteach.data import grid, sinusoids
from nfteach.encodings import FourierFeatures
from nfteach.metrics import psnr
from nfteach.models import MLP, Siren
from nfteach.spectral import frequency_response
from nfteach.train import fit, predict
from nfteach.viz import image_grid, plot_fit_and_response, plot_fit_grid, plot_sparse_fit


def slider_explorer(draw: Callable[..., Figure], sliders: Sequence[widgets.ValueWidget]) -> widgets.VBox:
    """Sliders above an ``Output`` holding ``draw(**{slider.description: slider.value})``.

    The first figure is drawn at once; every released slider redraws it. Returns the container to display.
    """
    if not sliders:
        raise ValueError("slider_explorer: sliders must hold at least one widget, got none")
    out = widgets.Output()

    def redraw(_change=None) -> None:
        with out:
            out.clear_output(wait=True)
            fig = draw(**{slider.description: slider.value for slider in sliders})
            display(fig)  # the inline backend renders it as a PNG inside `out`
            plt.close(fig)

    for slider in sliders:
        slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(list(sliders)), out])


@contextmanager
def cpu_threads(count: int | None) -> Iterator[None]:
    """Run the block with ``count`` PyTorch CPU threads (None: leave the setting alone), then restore it.

    Small fits (a few hundred samples) are fastest on one thread, and far faster than on two when other
    jobs share the cores: measured on a shared 2-core CPU, 7 ms against 99 ms per step of MLP(1, 256, 4, 1).
    """
    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(check_positive_int("cpu_threads: count", count))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# --- spectral bias (Rahaman et al. 2019) ---------------------------------------------------------------------


@dataclass
class SpectralRun:
    """One fit of y(t) = Σ A_i sin(2π k_i t + φ_i), logged every few iterations.

    ``t``, ``y``: ``[N, 1]``; ``steps``: the logged iterations ``[T]``; ``response``: the learned fraction
    2|F(k_i)| / (N A_i) of each frequency ``[T, K]``; ``predictions``: the network's output ``[T, N]``.
    """

    freqs: list[int]
    t: torch.Tensor
    y: torch.Tensor
    steps: list[int]
    response: torch.Tensor
    predictions: torch.Tensor


def first_step_reaching(steps: Sequence[int], response: torch.Tensor, level: float = 0.9) -> list[float]:
    """For each frequency (column of ``response [T, K]``), the first of ``steps`` at which it is ≥ ``level``;
    inf where it never is. Works on one run's response or on an average over runs.
    """
    if response.ndim != 2 or len(response) != len(steps):
        raise ValueError(f"first_step_reaching: response must be [len(steps), K] = [{len(steps)}, K], "
                         f"got {list(response.shape)}")
    reached = response >= level  # [T, K]
    return [int(steps[int(column.nonzero()[0])]) if column.any() else math.inf for column in reached.T]


def spectral_bias_run(
    freqs: Sequence[int],
    amps: Sequence[float] | None = None,
    *,
    depth: int = 6,
    width: int = 256,
    activation: str = "relu",
    steps: int = 1000,
    lr: float = 3e-4,
    log_every: int = 50,
    n: int = 200,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
    threads: int | None = 1,
) -> SpectralRun:
    """Fit an MLP (``depth`` linear layers, ReLU by default) to Σ A_i sin(2π k_i t + φ_i) and log its spectrum.

    The experiment of Rahaman et al. (2019), Sec. 3: φ_i ~ U(0, 2π) drawn with ``seed``, full batch,
    MSE, Adam. Every ``log_every`` iterations the prediction's response 2|F(k_i)| / (N A_i) is recorded.
    On the CPU it trains with ``threads`` threads (see :func:`cpu_threads`; None keeps torch's setting).
    """
    depth = check_positive_int("spectral_bias_run: depth", depth)
    if depth < 2:
        raise ValueError(f"spectral_bias_run: depth counts linear layers and must be at least 2, got {depth}")
    t, y = sinusoids(freqs, amps=amps, n=n, seed=seed)  # [N, 1] each
    torch.manual_seed(seed)
    model = MLP(1, width, depth - 2, 1, activation=activation).to(device or "cpu")
    logged, responses, predictions = [], [], []

    def record(step: int, net: torch.nn.Module) -> None:
        prediction = predict(net, t)  # [N, 1]
        logged.append(step)
        responses.append(frequency_response(prediction, freqs, amps))
        predictions.append(prediction[:, 0])

    with cpu_threads(threads if next(model.parameters()).device.type == "cpu" else None):
        fit(model, t, y, steps=steps, lr=lr, log_every=log_every, on_log=record, progress=progress, seed=seed)
    return SpectralRun([int(k) for k in freqs], t, y, logged, torch.stack(responses), torch.stack(predictions))


def _spectral_bias_figure(frequency: int, depth: int, width: int, steps: int, lr: float, n: int, seed: int,
                          device) -> Figure:
    run = spectral_bias_run([frequency], depth=depth, width=width, steps=steps, lr=lr, log_every=max(1, steps // 25),
                            n=n, seed=seed, device=device, progress=False)
    reached = first_step_reaching(run.steps, run.response)[0]
    verdict = f"90 % learned at iteration {reached:.0f}" if math.isfinite(reached) else f"not learned in {steps} iterations"
    return plot_fit_and_response(run.t, run.y, run.predictions[-1], run.steps, run.response[:, 0],
                                 title=f"sin(2π·{frequency}·t + φ), {depth} layers × {width}: {verdict}")


def spectral_bias_explorer(
    frequencies: tuple[int, int] = (1, 24),
    depths: tuple[int, int] = (2, 8),
    widths: Sequence[int] = (16, 32, 64, 128),
    *,
    frequency: int = 4,
    depth: int = 4,
    width: int = 64,
    steps: int = 400,
    lr: float = 1e-3,
    n: int = 200,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> widgets.VBox:
    """Sliders ``frequency``, ``depth`` (linear layers) and ``width`` retrain a ReLU MLP on sin(2π k t + φ)
    for ``steps`` iterations and redraw the fit and the learned fraction of k against iteration.

    Static twin: :func:`spectral_bias_grid`.
    """
    check_positive_int("spectral_bias_explorer: steps", steps)
    check_positive_number("spectral_bias_explorer: lr", lr)
    if not frequencies[0] <= frequency <= frequencies[1] < n // 2:
        raise ValueError(f"spectral_bias_explorer: frequency must lie in frequencies={frequencies} and below "
                         f"n/2 = {n // 2}, got {frequency}")
    if width not in widths:
        raise ValueError(f"spectral_bias_explorer: width must be one of widths={tuple(widths)}, got {width}")
    sliders = [
        widgets.IntSlider(frequency, *frequencies, description="frequency", continuous_update=False),
        widgets.IntSlider(depth, *depths, description="depth", continuous_update=False),
        widgets.SelectionSlider(options=list(widths), value=width, description="width", continuous_update=False),
    ]
    return slider_explorer(
        lambda frequency, depth, width: _spectral_bias_figure(frequency, depth, width, steps, lr, n, seed, device),
        sliders,
    )


def spectral_bias_grid(
    frequencies: Sequence[int] = (1, 4, 12),
    depths: Sequence[int] = (2, 4, 8),
    width: int = 64,
    *,
    steps: int = 400,
    lr: float = 1e-3,
    n: int = 200,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> Figure:
    """The static twin of :func:`spectral_bias_explorer`: depth (rows) × frequency (columns) after ``steps``
    iterations, each panel titled with the learned fraction of its frequency.
    """
    runs = [[spectral_bias_run([k], depth=d, width=width, steps=steps, lr=lr, log_every=steps, n=n, seed=seed,
                               device=device, progress=False) for k in frequencies] for d in depths]
    return plot_fit_grid(
        runs[0][0].t,
        [[run.y for run in row] for row in runs],
        [[run.predictions[-1] for run in row] for row in runs],
        row_labels=[f"{d} layers" for d in depths],
        col_labels=[f"k = {k}" for k in frequencies],
        titles=[[f"learned {run.response[-1, 0]:.0%}" for run in row] for row in runs],
        suptitle=f"ReLU MLP, width {width}, after {steps} iterations (Adam, lr {lr:g})",
    )


# --- Fourier features and SIREN (Tancik et al. 2020; Sitzmann et al. 2020) ----------------------------------


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
                   mapping_size: int = 64, lr: float = 1e-3, seed: int = 0, device=None) -> SparseFit:
    """Fit an MLP behind Gaussian Fourier features of scale ``sigma`` (coordinates in [0, 1), the paper's σ)
    to every ``every``-th of ``n`` samples of a sum of sinusoids; PSNR on the others (data_range 2)."""
    check_positive_number("fourier_1d_run: sigma", sigma)
    t, y = sinusoids(SPARSE_SIGNAL["freqs"], SPARSE_SIGNAL["amps"], n=n, seed=seed)  # [n, 1] each
    y = y / y.abs().max()
    train = torch.arange(n) % check_positive_int("fourier_1d_run: every", every) == 0  # [n]
    torch.manual_seed(seed)
    net = MLP(1, width, 2, 1, encoding=FourierFeatures(1, mapping_size, sigma, seed=seed)).to(device or "cpu")
    with cpu_threads(1):
        fit(net, t[train], y[train], steps=steps, lr=lr, progress=False)
        prediction = predict(net, t)
    return SparseFit(t, y, train, prediction, psnr(prediction[train], y[train], 2.0), psnr(prediction[~train], y[~train], 2.0))


def _sparse_fit_figure(sigma: float, **kwargs) -> Figure:
    run = fourier_1d_run(sigma, **kwargs)
    fig, ax = plt.subplots(figsize=(8, 3))
    plot_sparse_fit(run.t, run.y, run.train, run.prediction, ax=ax,
                    title=f"σ = {sigma:g}: training PSNR {run.train_psnr:.1f} dB, held-out PSNR {run.test_psnr:.1f} dB")
    ax.legend(loc="upper right", fontsize="small", ncol=4)
    fig.tight_layout()
    return fig


def fourier_sigma_explorer(sigmas: Sequence[float] = (0.5, 1, 2, 4, 8, 16, 32, 64, 128), sigma: float = 2,
                           **kwargs) -> widgets.VBox:
    """A ``sigma`` slider refits :func:`fourier_1d_run` (``kwargs`` go to it): small σ underfits, large σ
    interpolates the training samples with noise. Static twin: :func:`fourier_sigma_grid`."""
    if sigma not in sigmas:
        raise ValueError(f"fourier_sigma_explorer: sigma must be one of sigmas={tuple(sigmas)}, got {sigma}")
    slider = widgets.SelectionSlider(options=list(sigmas), value=sigma, description="sigma", continuous_update=False)
    return slider_explorer(lambda sigma: _sparse_fit_figure(sigma, **kwargs), [slider])


def fourier_sigma_grid(sigmas: Sequence[float] = (0.5, 2, 32), **kwargs) -> tuple[Figure, dict[float, SparseFit]]:
    """The static twin of :func:`fourier_sigma_explorer`: one panel per σ; returns the figure and the runs."""
    runs = {sigma: fourier_1d_run(sigma, **kwargs) for sigma in sigmas}
    fig, axes = plt.subplots(1, len(runs), figsize=(4 * len(runs), 2.8), sharey=True, squeeze=False)
    for ax, (sigma, run) in zip(axes[0], runs.items()):
        plot_sparse_fit(run.t, run.y, run.train, run.prediction, ax=ax,
                        title=f"σ = {sigma:g}\ntrain {run.train_psnr:.1f} dB, held out {run.test_psnr:.1f} dB")
    axes[0, -1].legend(loc="lower right", fontsize="x-small")
    fig.tight_layout()
    return fig, runs


def siren_image_run(img: torch.Tensor, omega_0: float = 30.0, hidden_layers: int = 3, *, width: int = 64,
                    steps: int = 120, lr: float = 2e-3, final_lr: float | None = 1e-4, device=None) -> tuple[torch.Tensor, float]:
    """Fit a SIREN with ω0 = ``omega_0`` on every sine layer to a gray image ``[H, W, 1]`` in [0, 1] (targets
    mapped to [−1, 1]); returns the reconstruction ``[H, W, 1]`` in [0, 1] and its PSNR (dB)."""
    height, width_px, _ = img.shape
    coords, target = grid(height, width_px), img.reshape(-1, 1) * 2 - 1  # [N, 2], [N, 1]
    torch.manual_seed(0)
    net = Siren(2, width, hidden_layers, 1, first_omega_0=omega_0, hidden_omega_0=omega_0).to(device or "cpu")
    with cpu_threads(1):
        fit(net, coords, target, steps=steps, lr=lr, final_lr=final_lr, progress=False, data_range=2.0)
        prediction = predict(net, coords)
    return ((prediction + 1) / 2).clamp(0, 1).reshape(img.shape), psnr(prediction, target, 2.0)


def siren_explorer(img: torch.Tensor, omegas: Sequence[float] = (1, 3, 10, 30, 100, 300), depths: tuple[int, int] = (0, 5),
                   *, omega_0: float = 30, depth: int = 3, **kwargs) -> widgets.VBox:
    """Sliders ``omega_0`` (ω0 of every sine layer) and ``depth`` (hidden sine layers) refit
    :func:`siren_image_run` on ``img``. Static twin: :func:`siren_grid`."""
    sliders = [
        widgets.SelectionSlider(options=list(omegas), value=omega_0, description="omega_0", continuous_update=False),
        widgets.IntSlider(depth, *depths, description="depth", continuous_update=False),
    ]

    def draw(omega_0: float, depth: int) -> Figure:
        reconstruction, value = siren_image_run(img, omega_0, depth, **kwargs)
        return image_grid([img, reconstruction], ["target", f"ω0 = {omega_0:g}, {depth} hidden: {value:.1f} dB"], size=3.5)

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
