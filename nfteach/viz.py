"""Figures for the chapters: image grids, 1D fits, spectra and heatmaps (matplotlib), and a results table.

Nothing here trains: every function takes tensors or numbers and returns a matplotlib Figure (or a string),
so a notebook decides when to ``plt.show()`` it and a widget can redraw it.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import torch
from matplotlib.figure import Figure

from nfteach._checks import check_positive_int
from nfteach.spectral import spectrum


def _numpy(values, name: str = "values") -> np.ndarray:
    """Real numbers as a float32 array, or a ValueError naming ``name`` (text, None and complex numbers refused)."""
    is_complex = values.is_complex() if isinstance(values, torch.Tensor) else np.iscomplexobj(values)
    if is_complex:
        raise ValueError(f"{name} must be real numbers, got complex ones: take .real or .abs() first")
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().float().numpy()
    try:
        return np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers (a tensor, an array or a list), got {type(values).__name__}") from None


def _curve(values, name: str) -> np.ndarray:
    """A 1D signal given as [N] or [N, 1]."""
    array = _numpy(values, name)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must have shape [N] or [N, 1], got {list(array.shape)}")
    return array


# --- generic helpers, reused by every chapter ---------------------------------------------------------------


def image_grid(
    images: Sequence[torch.Tensor],
    titles: Sequence[str] | None = None,
    ncols: int | None = None,
    size: float = 3.0,
    suptitle: str | None = None,
) -> Figure:
    """Images ``[H, W]`` or ``[H, W, C]`` with values in [0, 1], ``ncols`` per row (default: one row).

    One-channel images are drawn in gray; sizes may differ (each panel has the same size on the page).
    """
    if len(images) == 0:
        raise ValueError("image_grid: images must hold at least one image, got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"image_grid: titles must have one entry per image ({len(images)}), got {len(titles)}")
    ncols = check_positive_int("image_grid: ncols", ncols or len(images))
    nrows = math.ceil(len(images) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= len(images):
            continue
        pixels = _numpy(images[index], f"image_grid: images[{index}]")
        if pixels.ndim == 3 and pixels.shape[-1] == 1:
            pixels = pixels[..., 0]
        if pixels.ndim not in (2, 3):
            raise ValueError(f"image_grid: image {index} must be [H, W] or [H, W, C], got {list(pixels.shape)}")
        ax.imshow(np.clip(pixels, 0, 1), cmap="gray" if pixels.ndim == 2 else None, vmin=0, vmax=1)
        if titles is not None:
            ax.set_title(titles[index])
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def results_table(
    results: Mapping[str, float | Mapping[str, float]],
    paper: Mapping[str, float] | None = None,
    digits: int = 2,
    name: str = "",
) -> str:
    """A plain-text table: one row per key of ``results``.

    A value is a number (one column, ``value``) or a mapping column → number. ``paper`` adds a column of
    published numbers for the rows it names. Works in notebooks, terminals and printouts alike.
    """
    if not results:
        raise ValueError("results_table: results must hold at least one row, got none")
    rows = {key: dict(value) if isinstance(value, Mapping) else {"value": value} for key, value in results.items()}
    columns = list(dict.fromkeys(column for row in rows.values() for column in row))
    if paper:
        columns.append("paper")
        for key, value in paper.items():
            rows.setdefault(key, {})["paper"] = value
    cells = [[name] + columns]
    for key, row in rows.items():
        cells.append([str(key)] + [_format(row.get(column), digits) for column in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths)))
             for line in cells]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _format(value, digits: int) -> str:
    if value is None:
        return "–"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, (float, np.floating)):
        return f"{value:.{digits}f}" if math.isfinite(value) else str(value)
    return str(value)


def show_table(results: Mapping[str, float | Mapping[str, float]], paper: Mapping[str, float] | None = None,
               digits: int = 2, name: str = "") -> None:
    """Print :func:`results_table`."""
    print(results_table(results, paper=paper, digits=digits, name=name))


def plot_signal(t, target, predictions: Mapping[str, torch.Tensor] | None = None, ax=None, title: str | None = None):
    """A 1D target (dots) and any number of predictions (lines) against t; returns the Axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 2.8))
    t = _curve(t, "plot_signal: t")
    ax.plot(t, _curve(target, "plot_signal: target"), ".", color="0.55", markersize=3, label="target")
    for label, values in (predictions or {}).items():
        ax.plot(t, _curve(values, f"plot_signal: predictions[{label!r}]"), lw=1.6, label=label)
    ax.set(xlabel="t", ylabel="y", xlim=(t.min(), t.max()))
    if title:
        ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")  # beside the axes, off the data
    return ax


# --- spectral bias (Rahaman et al. 2019) ---------------------------------------------------------------------


def plot_signal_and_spectrum(t, y, freqs: Sequence[int] | None = None) -> Figure:
    """A 1D signal and its spectrum |FFT(y)| / N; the target frequencies ``freqs`` are marked."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3), gridspec_kw={"width_ratios": [3, 2]})
    left.plot(_curve(t, "plot_signal_and_spectrum: t"), _curve(y, "plot_signal_and_spectrum: y"), lw=1.2)
    left.set(xlabel="t", ylabel="y(t)", title="signal")
    frequencies, magnitude = spectrum(torch.as_tensor(_curve(y, "plot_signal_and_spectrum: y")))
    right.stem(frequencies.numpy(), magnitude.numpy(), basefmt=" ", markerfmt=".")
    for k in freqs or []:
        right.axvline(k, color="C3", lw=0.6, alpha=0.4)
    right.set(xlabel="frequency k (cycles on [0, 1))", ylabel="|FFT| / N", title="spectrum",
              xlim=(0, max(freqs or [len(frequencies)]) * 1.2))
    fig.tight_layout()
    return fig


def plot_response_heatmap(steps: Sequence[int], response: torch.Tensor, freqs: Sequence[int], ax=None,
                          title: str | None = None):
    """Heatmap of the normalised response ``[T, K]`` (values in [0, 1]): frequency on y, iteration on x.

    Rahaman et al. (2019), Fig. 1, transposed (the paper puts frequency on x and iterations upwards): the bright
    region grows from the low frequencies upwards.
    Returns the Axes (a colorbar is attached).
    """
    values = _numpy(response, "plot_response_heatmap: response")
    if values.ndim != 2 or values.shape != (len(steps), len(freqs)):
        raise ValueError(f"plot_response_heatmap: response must be [len(steps), len(freqs)] = "
                         f"[{len(steps)}, {len(freqs)}], got {list(values.shape)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    step_size = (steps[1] - steps[0]) if len(steps) > 1 else steps[0]
    freq_size = (freqs[1] - freqs[0]) if len(freqs) > 1 else 1
    extent = (steps[0] - step_size / 2, steps[-1] + step_size / 2, freqs[0] - freq_size / 2, freqs[-1] + freq_size / 2)
    image = ax.imshow(np.clip(values.T, 0, 1), origin="lower", aspect="auto", extent=extent, cmap="inferno",
                      vmin=0, vmax=1, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label=r"learned fraction $2|F(k)|\,/\,(N A_k)$")
    ax.set(xlabel="iteration", ylabel="frequency k", yticks=list(freqs))
    if title:
        ax.set_title(title)
    return ax


def plot_fit_and_response(t, target, prediction, steps: Sequence[int], response, level: float = 0.9,
                          title: str | None = None) -> Figure:
    """Left: a 1D fit against its target. Right: the learned fraction of one frequency against iteration,
    with the ``level`` line it has to cross. The figure of the spectral-bias explorer.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3), gridspec_kw={"width_ratios": [3, 2]})
    plot_signal(t, target, {"network": prediction}, ax=left, title=f"after {steps[-1]} iterations")
    right.plot(steps, _curve(response, "plot_fit_and_response: response"), color="C1", lw=2)
    right.axhline(level, color="0.5", ls="--", lw=1)
    right.set(xlabel="iteration", ylabel="learned fraction", ylim=(0, 1.15), xlim=(0, steps[-1]),
              title=r"learned fraction $2|F(k)|\,/\,(N A_k)$")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_fit_grid(t, targets: Sequence[Sequence], predictions: Sequence[Sequence], row_labels: Sequence[str],
                  col_labels: Sequence[str], titles: Sequence[Sequence[str]] | None = None,
                  suptitle: str | None = None) -> Figure:
    """A rows × columns grid of 1D fits (target dots, prediction line): the static twin of a 1D explorer.

    ``targets[r][c]`` and ``predictions[r][c]`` are signals ``[N]`` or ``[N, 1]`` sampled at ``t``.
    """
    nrows, ncols = len(row_labels), len(col_labels)
    if nrows == 0 or ncols == 0:
        raise ValueError(f"plot_fit_grid: need at least one row and one column, got {nrows} × {ncols}")
    for name, table in (("targets", targets), ("predictions", predictions)):
        if len(table) != nrows or any(len(row) != ncols for row in table):
            raise ValueError(f"plot_fit_grid: {name} must be a {nrows} × {ncols} nested list (rows × columns)")
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.2 * ncols, 2.0 * nrows), sharex=True, squeeze=False)
    x = _curve(t, "plot_fit_grid: t")
    for r in range(nrows):
        for c in range(ncols):
            ax = axes[r, c]
            ax.plot(x, _curve(targets[r][c], "plot_fit_grid: target"), ".", color="0.6", markersize=2)
            ax.plot(x, _curve(predictions[r][c], "plot_fit_grid: prediction"), color="C1", lw=1.3)
            ax.set_yticks([])
            ax.set_title(titles[r][c] if titles else "", fontsize="small")
            if c == 0:
                ax.set_ylabel(row_labels[r])
            if r == 0 and not titles:
                ax.set_title(col_labels[c])
            elif r == 0:
                ax.set_title(f"{col_labels[c]}\n{titles[r][c]}", fontsize="small")
    for ax in axes[-1]:
        ax.set_xlabel("t")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


# --- Fourier features and SIREN (Tancik et al. 2020; Sitzmann et al. 2020) ----------------------------------


def plot_sparse_fit(t, target, train_mask, prediction, ax=None, title: str | None = None):
    """A 1D fit from sparse samples: training samples (dots), held-out samples (crosses), the fit (line)."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 2.8))
    x, y, p = _curve(t, "plot_sparse_fit: t"), _curve(target, "plot_sparse_fit: target"), _curve(prediction, "plot_sparse_fit: prediction")
    mask = _numpy(train_mask).astype(bool).reshape(-1)
    ax.plot(x, y, color="0.8", lw=1, label="signal")
    ax.plot(x[~mask], y[~mask], "x", color="0.5", markersize=3, label="held out")
    ax.plot(x[mask], y[mask], "o", color="k", markersize=3, label="training")
    ax.plot(x, p, color="C1", lw=1.5, label="fit")
    ax.set(xlabel="t", xlim=(x.min(), x.max()))
    if title:
        ax.set_title(title, fontsize="small")
    return ax


def plot_layer_histograms(outputs: Mapping[str, Sequence[torch.Tensor]], bins: int = 60) -> Figure:
    """One row per network (``name → outputs of each layer``), one histogram per layer: how activations evolve
    with depth (SIREN's init keeps them arcsine distributed in [−1, 1]; a naive init does not)."""
    if not outputs:
        raise ValueError("plot_layer_histograms: outputs must name at least one network, got none")
    ncols = max(len(layers) for layers in outputs.values())  # the figure keeps JupyterLab's width, ~9.7 in
    fig, axes = plt.subplots(len(outputs), ncols, figsize=(9.7, 1.6 * len(outputs) + 0.4), squeeze=False)
    for row, (name, layers) in zip(axes, outputs.items()):
        for index, ax in enumerate(row):
            if index >= len(layers):
                ax.axis("off")
                continue
            ax.hist(_numpy(layers[index]).reshape(-1), bins=bins, color=f"C{list(outputs).index(name)}")
            ax.set_yticks([])
            ax.set_xticks([-1, 0, 1] if index < len(layers) - 1 else [])
            ax.set_title(f"layer {index}")
        row[0].set_ylabel(name, fontsize="small")
    fig.tight_layout()
    return fig


def plot_fields(fields: Mapping[str, torch.Tensor], ncols: int | None = None, size: float = 2.6,
                cmap: str = "gray", suptitle: str | None = None) -> Figure:
    """Scalar fields ``[H, W]`` (or ``[H, W, 1]``) of any range side by side, each with its own colorbar.

    For derivatives (gradient magnitude, Laplacian) whose ranges differ from image values.
    """
    if not fields:
        raise ValueError("plot_fields: fields must hold at least one field, got none")
    ncols = check_positive_int("plot_fields: ncols", ncols or len(fields))
    nrows = math.ceil(len(fields) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * 1.2 * ncols, size * nrows), squeeze=False)
    for ax in axes.flat[len(fields):]:
        ax.axis("off")
    for ax, (title, values) in zip(axes.flat, fields.items()):
        pixels = _numpy(values).squeeze()
        if pixels.ndim != 2:
            raise ValueError(f"plot_fields: field {title!r} must be [H, W] or [H, W, 1], got {list(_numpy(values).shape)}")
        lo, hi = np.percentile(pixels, [1, 99])
        image = ax.imshow(pixels, cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1e-6)
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(title, fontsize="small")
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_training(steps: Sequence[int], loss: Sequence[float], psnr: Sequence[float] | None, total_steps: int | None = None,
                  preview: torch.Tensor | None = None, title: str | None = None) -> Figure:
    """A training curve: the loss (log scale) and the training PSNR against the step, side by side, and an
    optional ``preview`` image ``[H, W]`` / ``[H, W, C]`` in [0, 1] (the current reconstruction) on the right.
    ``psnr=None`` leaves the PSNR panel out (a loss that is not an MSE has no PSNR).

    Used by :class:`nfteach.train.LiveView` to redraw a fit while it runs; ``total_steps`` fixes the x range
    so the curve grows from left to right instead of rescaling.
    """
    panels = [(loss, "training loss", True)] + ([(psnr, "training PSNR (dB)", False)] if psnr is not None else [])
    ratios = [1] * len(panels) + ([0.8] if preview is not None else [])
    fig, axes = plt.subplots(1, len(ratios), figsize=(9.5 if len(ratios) > 1 else 6, 2.8), squeeze=False,
                             gridspec_kw={"width_ratios": ratios})
    axes = axes[0]
    x_max = total_steps or (max(steps) if len(steps) else 1)
    for ax, (values, label, log) in zip(axes, panels):
        ax.plot(steps, values, color="C0" if log else "C1", lw=1.5)
        ax.set(xlabel="step", ylabel=label, xlim=(0, x_max))
        if log and len(values) and min(values) > 0:
            ax.set_yscale("log")
            # plain numbers ("4.75", "0.01"), not "4.75×10⁰"; minor ticks labelled only on a range under a decade
            ax.yaxis.set_major_formatter(matplotlib.ticker.LogFormatter(labelOnlyBase=False))
            ax.yaxis.set_minor_formatter(matplotlib.ticker.LogFormatter(labelOnlyBase=False, minor_thresholds=(1, 0.5)))
        ax.grid(alpha=0.3)
    if preview is not None:
        pixels = _numpy(preview).clip(0, 1)
        axes[-1].imshow(pixels.squeeze(), cmap="gray" if pixels.ndim == 2 or pixels.shape[-1] == 1 else None, vmin=0, vmax=1)
        axes[-1].set_title("current fit", fontsize="small")
        axes[-1].axis("off")
    done = f"step {steps[-1]}" + (f" of {total_steps}" if total_steps else "") if len(steps) else "starting"
    last = (f": loss {loss[-1]:.2e}" + (f", {psnr[-1]:.1f} dB" if psnr is not None else "")) if len(steps) else ""
    fig.suptitle(f"{title + ' — ' if title else ''}{done}{last}", fontsize="medium")
    fig.tight_layout()
    return fig


def plot_psnr_vs_time(runs: Mapping[str, "TimedRun"], threshold: float | None = None, ax=None) -> Figure:
    """PSNR (dB) against training seconds, one curve per named :class:`nfteach.train.TimedRun`, with an optional
    dashed line at ``threshold`` dB; the legend sits below the plot, off the data."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(8, 3.6))
    for name, run in runs.items():
        ax.plot(run.seconds, run.psnr, lw=1.8, label=name)
    if threshold is not None:
        ax.axhline(threshold, color="gray", ls="--", lw=1)
        ax.annotate(f"{threshold:g} dB", (0, threshold), xytext=(2, 3), textcoords="offset points", color="gray")
    ax.set(xlabel="training seconds (measuring not counted)", ylabel="PSNR of the whole image (dB)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=len(runs), frameon=False)
    fig.tight_layout()
    return fig
