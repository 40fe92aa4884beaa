"""Chapter 1's room: the spectral-bias runs behind its sliders (Rahaman et al. 2019) and their static twins."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from nfteach import seeding
from nfteach._checks import check_number, check_positive_int, check_positive_number, check_tensor, check_vector
from nfteach.data import sinusoids
from nfteach.models import MLP
from nfteach.spectral import frequency_response
from nfteach.train import fit, predict
from nfteach.viz import plot_fit_and_response, plot_fit_grid
from nfteach.widgets import slider_explorer


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
    check_tensor(response, "first_step_reaching: response", "[len(steps), K]"), check_number("first_step_reaching: level", level)
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
    seed: int | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
    live: bool = False,
) -> SpectralRun:
    """Fit an MLP (``depth`` linear layers, ReLU by default) to Σ A_i sin(2π k_i t + φ_i) and log its spectrum.

    The experiment of Rahaman et al. (2019), Sec. 3: φ_i ~ U(0, 2π) drawn with ``seed``, full batch,
    MSE, Adam. Every ``log_every`` iterations the prediction's response 2|F(k_i)| / (N A_i) is recorded.
    ``progress`` shows a progress bar, ``live`` the live loss and PSNR curves of :func:`~nfteach.train.fit`.
    """
    check_vector(freqs, "spectral_bias_run: freqs"), check_positive_int("spectral_bias_run: n", n)
    depth = check_positive_int("spectral_bias_run: depth", depth)
    if depth < 2:
        raise ValueError(f"spectral_bias_run: depth counts linear layers and must be at least 2, got {depth}")
    t, y = sinusoids(freqs, amps=amps, n=n, seed=seed)  # [N, 1] each
    torch.manual_seed(seeding.resolve(seed))
    model = MLP(1, width, depth - 2, 1, activation=activation).to(device or "cpu")
    logged, responses, predictions = [], [], []

    def record(step: int, net: torch.nn.Module) -> None:
        prediction = predict(net, t)  # [N, 1]
        logged.append(step)
        responses.append(frequency_response(prediction, freqs, amps))
        predictions.append(prediction[:, 0])

    fit(model, t, y, steps=steps, lr=lr, log_every=log_every, on_log=record, progress=progress, live=live, seed=seed,
        data_range=float(y.max() - y.min()))   # the PSNR of a signal spanning ±ΣA_i, not of [0, 1]
    return SpectralRun([int(k) for k in freqs], t, y, logged, torch.stack(responses), torch.stack(predictions))


def _spectral_bias_figure(frequency: int, depth: int, width: int, steps: int, lr: float, n: int, seed: int | None,
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
    seed: int | None = None,
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
    seed: int | None = None,
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
