"""Appendix A3's room: the activation zoo of Ramasinghe & Lucey (2022) — each activation's derivatives, the image
fits behind the width slider and their static twin — and random CPPNs (Stanley 2007) behind the pattern sliders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

from nfteach import seeding
from nfteach._checks import check_image, check_memory, check_number, check_positive_int, check_positive_number
from nfteach.data import grid
from nfteach.metrics import psnr
from nfteach.models import CPPN, MLP, gradient
from nfteach.train import fit, predict
from nfteach.viz import image_grid
from nfteach.widgets import cpu_threads, slider_explorer


def derivatives(activation: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ψ(x), ψ'(x), ψ''(x) of an activation by autograd, each ``[n]`` for ``x [n]``."""
    if not callable(activation):
        raise ValueError(f"derivatives: activation must be a module or function, got {type(activation).__name__}")
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"derivatives: x must be a real floating torch.Tensor, got {getattr(x, 'dtype', type(x).__name__)}")
    x = x.detach().requires_grad_(True)
    y = activation(x)
    (first,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), x, allow_unused=True)
    second = torch.zeros_like(x) if second is None else second  # ReLU: ψ' is piecewise constant, no graph
    return y.detach(), first.detach(), second.detach()


def plot_derivatives(activations: dict[str, torch.nn.Module], span: float = 0.5, ncols: int = 4) -> Figure:
    """ψ, ψ' and ψ'' of each activation on [−span, span], each curve scaled by its largest |value| (so that the
    shapes compare); a curve that is zero stays flat at zero."""
    if not hasattr(activations, "items") or not activations:
        raise ValueError(f"plot_derivatives: activations must be a non-empty mapping name → activation, got {activations!r}")
    check_positive_number("plot_derivatives: span", span), check_positive_int("plot_derivatives: ncols", ncols)
    x = torch.linspace(-span, span, 801)
    nrows = -(-len(activations) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.4 * ncols, 2.0 * nrows + 0.5), sharex=True, squeeze=False)
    for ax, (name, activation) in zip(axes.flat, activations.items()):
        for values, label, style in zip(derivatives(activation, x), ("ψ", "ψ′", "ψ″"), ("-", "--", ":")):
            ax.plot(x, values / values.abs().max().clamp(min=1e-12), style, lw=1.6, label=label)
        ax.set_title(name, fontsize="medium")
        ax.set_ylim(-1.15, 1.15)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(activations):]:
        ax.axis("off")
    fig.legend(*axes.flat[0].get_legend_handles_labels(), loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


@dataclass
class ZooFit:
    """An MLP fitted to an image: the model, the reconstruction and its gradient magnitude ``[H, W, 1]``, its PSNR."""

    model: MLP
    image: torch.Tensor
    gradient: torch.Tensor
    psnr: float


def zoo_run(img: torch.Tensor, activation: str, a: float | None = None, *, width: int = 64, hidden_layers: int = 2,
            steps: int = 200, lr: float = 3e-3, device=None) -> ZooFit:
    """Fit ``MLP(2, width, hidden_layers, 1, activation, a)`` (no encoding) to a gray image ``[H, W, 1]`` in [0, 1]
    (targets in [−1, 1]) with full-batch Adam; the gradient magnitude |∇f| comes from autograd."""
    check_image(img, "zoo_run: img", channels=1, square=True)
    side = img.shape[0]
    coords, target = grid(side, side), img.reshape(-1, 1) * 2 - 1  # [N, 2], [N, 1]
    torch.manual_seed(seeding.session_seed())
    net = MLP(2, width, hidden_layers, 1, activation=activation, a=a).to(device or "cpu")
    with cpu_threads(1):
        fit(net, coords, target, steps=steps, lr=lr, progress=False, data_range=2.0)
        prediction = predict(net, coords)
        slope = gradient(net, coords.to(next(net.parameters()).device)).norm(dim=1).cpu()  # [N]
    reconstruction = ((prediction + 1) / 2).clamp(0, 1).reshape(img.shape)
    return ZooFit(net, reconstruction, slope.reshape(img.shape), psnr(prediction, target, 2.0))


def _fit_for(known: dict[float, ZooFit], img: torch.Tensor, activation: str, a: float, **kwargs) -> ZooFit:
    """``known[a]`` if that width was fitted already, else a new :func:`zoo_run` (kept in ``known``)."""
    if a not in known:
        known[a] = zoo_run(img, activation, a, **kwargs)
    return known[a]


WIDTHS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
"""The Gaussian widths a the width slider offers."""


def width_explorer(img: torch.Tensor, activation: str = "gaussian", widths: Sequence[float] = WIDTHS,
                   a: float = 0.05, known: dict[float, ZooFit] | None = None, **kwargs) -> widgets.VBox:
    """A slider on the activation's parameter ``a`` refits :func:`zoo_run`. Static twin: :func:`width_grid`.

    ``known`` maps widths already fitted (with the same image and settings) to their :class:`ZooFit`: those redraw
    at once, and every new fit is added to it, so a shared ``known`` lets the static twin reuse the slider's fits."""
    slider = widgets.SelectionSlider(options=list(widths), value=a, description="width a", continuous_update=False)
    known = {} if known is None else known

    def draw(a: float) -> Figure:
        run = _fit_for(known, img, activation, a, **kwargs)
        return image_grid([img, run.image], ["target", f"{activation}, a = {a:g}: {run.psnr:.1f} dB"], size=3.2)

    return slider_explorer(draw, {"a": slider})


def width_grid(img: torch.Tensor, activation: str = "gaussian", widths: Sequence[float] = (0.01, 0.05, 0.5),
               known: dict[float, ZooFit] | None = None, ncols: int | None = None,
               **kwargs) -> tuple[Figure, dict[float, float]]:
    """The static twin of :func:`width_explorer`: one fit per ``a`` (reusing ``known`` ones, as the explorer does, and
    adding the new ones, which the explorer then redraws at once), ``ncols`` per row; returns the figure and the
    PSNR per ``a``."""
    known = {} if known is None else known
    runs = {a: _fit_for(known, img, activation, a, **kwargs) for a in widths}
    titles = [f"a = {a:g}\n{run.psnr:.1f} dB" for a, run in runs.items()]
    figure = image_grid([run.image for run in runs.values()], titles, ncols, size=2.6)
    return figure, {a: run.psnr for a, run in runs.items()}


CPPN_MIXES = {"tanh · sin · gaussian": ("tanh", "sin", "gaussian"), "tanh": ("tanh",), "sin": ("sin",),
              "gaussian": ("gaussian",), "abs · sin": ("abs", "sin")}
"""The activation mixes the CPPN sliders offer: each hidden layer takes the next function of its mix."""


def cppn_image(z: float = 0.0, depth: int = 4, mix: str = "tanh · sin · gaussian", resolution: int = 256,
               seed: int | None = None) -> torch.Tensor:
    """A random CPPN's picture ``[resolution, resolution, 3]``: its weights are drawn from ``seed``; its latent input
    walks on a line between two random points as ``z`` goes from −1 to 1."""
    if mix not in CPPN_MIXES:
        raise ValueError(f"cppn_image: mix must be one of {list(CPPN_MIXES)}, got {mix!r}")
    check_number("cppn_image: z", z), check_positive_int("cppn_image: depth", depth, allow_zero=True)
    check_positive_int("cppn_image: resolution", resolution)
    check_memory("cppn_image", f"resolution {resolution}", 4 * 3 * 8 * resolution**2)
    net = CPPN(latent_size=4, hidden_layers=depth, functions=CPPN_MIXES[mix], seed=seed)
    ends = torch.randn(2, 4, generator=seeding.generator(seeding.resolve(seed) + 1))
    latent = ends[0] * (1 - z) / 2 + ends[1] * (1 + z) / 2
    with torch.no_grad(), cpu_threads(1):
        return net(grid(resolution, resolution), latent).reshape(resolution, resolution, 3)


def cppn_explorer(resolution: int = 256, seed: int | None = None) -> widgets.VBox:
    """Sliders on z, depth and the activation mix redraw :func:`cppn_image`. Static twin: :func:`cppn_grid`."""
    sliders = [
        widgets.FloatSlider(0.0, min=-1.0, max=1.0, step=0.1, description="z", continuous_update=False),
        widgets.IntSlider(4, min=1, max=8, description="depth", continuous_update=False),
        widgets.Dropdown(options=list(CPPN_MIXES), value="tanh · sin · gaussian", description="mix"),
    ]

    def draw(z: float, depth: int, mix: str) -> Figure:
        return image_grid([cppn_image(z, depth, mix, resolution, seed)], [f"z = {z:+.1f}, depth {depth}, {mix}"], size=4.2)

    return slider_explorer(draw, sliders)


def cppn_grid(zs: Sequence[float] = (-1.0, 0.0, 1.0), depths: Sequence[int] = (2, 4, 8), mix: str = "tanh · sin · gaussian",
              resolution: int = 128, seed: int | None = None) -> Figure:
    """The static twin of :func:`cppn_explorer`: depth (rows) × z (columns) for one mix."""
    images = [cppn_image(z, depth, mix, resolution, seed) for depth in depths for z in zs]
    titles = [f"depth {depth}, z = {z:+.1f}" for depth in depths for z in zs]
    return image_grid(images, titles, ncols=len(zs), size=2.6, suptitle=mix)

