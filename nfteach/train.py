"""One training loop for every chapter: ``fit`` a coordinate network to samples of a signal."""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from nfteach import seeding
from nfteach._checks import check_number, check_positive_int, check_positive_number, check_tensor
from nfteach.encodings import HashGrid
from nfteach.metrics import psnr, psnr_from_mse
from nfteach.models import MLP, Siren

LossFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
"""``loss_fn(model, coords_batch, target_batch) -> scalar loss``; the default is the MSE of model(coords)."""


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite, or grew over :data:`DIVERGED` times its first value."""


DIVERGED = 1e3
"""A loss this many times larger than the first one (or than the target's mean square) means the run diverged."""


@dataclass
class History:
    """What ``fit`` logged: the step, training loss, training PSNR (dB) and wall seconds since the start."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    @property
    def final_psnr(self) -> float:
        return self.psnr[-1] if self.psnr else math.nan

    def seconds_to_psnr(self, threshold: float) -> float:
        """Wall seconds until the logged training PSNR first reached ``threshold`` dB (inf if never)."""
        return next((s for s, p in zip(self.seconds, self.psnr) if p >= threshold), math.inf)


def mse_loss(model: nn.Module, coords: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    output = model(coords)
    _check_output(output, target)
    return torch.mean((output - target) ** 2)


def fit(
    model: nn.Module,
    coords: torch.Tensor,
    target: torch.Tensor,
    *,
    steps: int,
    lr: float,
    batch_size: int | None = None,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    progress: bool = True,
    log_every: int | None = None,
    data_range: float = 1.0,
    loss_fn: LossFn | None = None,
    on_log: Callable[[int, nn.Module], None] | None = None,
    seed: int | None = None,
    final_lr: float | None = None,
    live: bool | LiveView = False,
    stop: Callable[[float], bool] | None = None,
) -> History:
    """Fit ``model`` so that model(coords) ≈ target with Adam; return the logged :class:`History`.

    ``coords [N, d]`` and ``target [N, c]`` are moved to the model's device. ``batch_size=None`` trains on
    all N samples each step (full batch); otherwise each step draws ``batch_size`` random samples.
    ``betas`` and ``eps`` are Adam's (PyTorch's defaults; Instant-NGP uses (0.9, 0.99) and 1e-15).
    Every ``log_every`` steps (default: 100 logs per run) the loss and PSNR (for ``data_range``) are logged
    and ``on_log(step, model)`` is called. A progress bar shows in a terminal or notebook unless
    ``progress=False``. A NaN or infinite loss, or one that grows over 1000 times its first value, raises
    :class:`TrainingDiverged`; NaN or infinity in ``coords`` or ``target`` is refused before training.
    ``final_lr`` decays the learning rate exponentially from ``lr`` at the first step to ``final_lr`` at the last.
    ``live=True`` (or a :class:`LiveView`, e.g. one that previews the current image) redraws the loss and PSNR
    curves in the notebook every few seconds instead of the progress bar, and leaves the final curve as output.
    ``stop(loss)``, if given, sees every step's loss and ends the run early by returning True (MR-Net's
    per-stage tolerances); the last step is then logged.
    """
    steps = check_positive_int("fit: steps", steps)
    check_positive_number("fit: lr", lr)
    check_positive_number("fit: data_range", data_range)
    parameter = _first_parameter(model, "fit")
    _check_samples(coords, target, parameter.dtype)
    if batch_size is not None:
        check_positive_int("fit: batch_size", batch_size)
    log_every = check_positive_int("fit: log_every", max(1, steps // 100) if log_every is None else log_every)
    _check_adam(betas, eps)
    for name, function in (("loss_fn", loss_fn), ("on_log", on_log), ("stop", stop)):
        if function is not None and not callable(function):
            raise ValueError(f"fit: {name} must be a function or None, got {type(function).__name__}")
    if not isinstance(live, (bool, LiveView)):
        raise ValueError(f"fit: live must be True, False or a LiveView, got {type(live).__name__}")
    loss_fn = loss_fn or mse_loss
    device = parameter.device
    coords, target = coords.to(device), target.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=betas, eps=eps)
    decay = 1.0 if final_lr is None else (check_positive_number("fit: final_lr", final_lr) / lr) ** (1 / max(1, steps - 1))
    limit = math.inf
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=decay)
    generator = torch.Generator(device=device).manual_seed(seeding.resolve(seed))
    history = History()
    view = (LiveView() if live is True else live or None)
    if view is not None:
        view.start(steps, show_psnr=loss_fn is mse_loss)
    start = time.perf_counter()
    show_bar = progress and _can_show_progress() and not (view is not None and view.interactive)
    bar = tqdm(range(1, steps + 1), disable=not show_bar, leave=False, desc="fit")
    for step in bar:
        batch_coords, batch_target = coords, target
        if batch_size is not None and batch_size < len(coords):
            index = torch.randint(len(coords), (batch_size,), device=device, generator=generator)
            batch_coords, batch_target = coords[index], target[index]
        loss = loss_fn(model, batch_coords, batch_target)
        value = loss.item()
        if not math.isfinite(value) or value > limit:
            grew = f" (over {DIVERGED:g} times its first value)" if math.isfinite(value) else ""
            raise TrainingDiverged(
                f"fit: the loss became {value:.3g}{grew} at step {step} of {steps} with lr={lr:g}; "
                f"the run diverged: try a lower learning rate, e.g. lr={lr / 10:g}"
            )
        if step == 1:
            limit = DIVERGED * max(value, float(target.detach().double().square().mean()), 1e-12)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        stopping = stop is not None and stop(loss.item())
        if step % log_every == 0 or step == steps or stopping:
            _log(history, step, loss.item(), data_range, time.perf_counter() - start)
            bar.set_postfix(loss=f"{history.loss[-1]:.2e}", psnr=f"{history.psnr[-1]:.1f} dB")
            if on_log is not None:
                on_log(step, model)
            if view is not None:
                view.update(history, model, final=step == steps or stopping)
        if stopping:
            break
    return history


def _check_adam(betas, eps) -> None:
    """Adam's betas (two numbers in [0, 1)) and eps (> 0), refused here rather than by the optimiser."""
    if isinstance(betas, (str, bytes)) or not hasattr(betas, "__len__") or len(betas) != 2:
        raise ValueError(f"fit: betas must be two numbers (β1, β2) in [0, 1), e.g. (0.9, 0.999), got {betas!r}")
    for beta in betas:
        check_number("fit: betas (β1, β2)", beta, 0.0, 1.0, open_high=True)
    check_positive_number("fit: eps", eps)


def _log(history: History, step: int, loss: float, data_range: float, seconds: float) -> None:
    history.step.append(step)
    history.loss.append(loss)
    history.psnr.append(psnr_from_mse(loss, data_range))
    history.seconds.append(seconds)


def _first_parameter(model: nn.Module, where: str) -> torch.Tensor:
    """The model's first parameter (its device and dtype are the model's), or a ValueError."""
    parameter = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    if parameter is None:
        raise ValueError(f"{where}: model must be an nn.Module with parameters to train, got "
                         f"{type(model).__name__}{' without parameters' if isinstance(model, nn.Module) else ''}")
    return parameter


def _check_samples(coords: torch.Tensor, target: torch.Tensor, dtype: torch.dtype) -> None:
    for name, value in (("coords", coords), ("target", target)):
        check_tensor(value, f"fit: {name}", "[N, features]")
        if value.ndim != 2:
            raise ValueError(f"fit: {name} must be a 2D tensor [N, features], got {list(value.shape)}")
        if value.dtype != dtype:
            raise ValueError(f"fit: {name} must have the model's dtype {dtype}, got {value.dtype}: use {name}.to({dtype})")
        bad = int((~torch.isfinite(value)).sum())
        if bad:
            raise ValueError(f"fit: {name} must be finite numbers, got {bad} NaN or infinite value(s) of "
                             f"{value.numel()}: the data is broken, not the training; check where it came from")
    if len(coords) != len(target):
        raise ValueError(
            f"fit: coords and target must hold the same number of samples, got {len(coords)} and {len(target)}"
        )
    if len(coords) == 0:
        raise ValueError(f"fit: coords and target must hold at least one sample, got none "
                         f"(shapes {list(coords.shape)} and {list(target.shape)})")


def _check_output(output: torch.Tensor, target: torch.Tensor) -> None:
    """The model's output must have the target's shape (no silent broadcasting in the MSE)."""
    if not isinstance(output, torch.Tensor) or output.shape[1:] != target.shape[1:]:
        got = list(output.shape[1:]) if isinstance(output, torch.Tensor) else [type(output).__name__]
        raise ValueError(f"fit: the model's output must have the target's shape [N, {', '.join(map(str, target.shape[1:]))}]"
                         f", got [N, {', '.join(map(str, got))}] per sample: give the model out_features={target.shape[1]}")


def _can_show_progress() -> bool:
    """True in a terminal or a notebook kernel, unless NFTEACH_PROGRESS=0."""
    if os.environ.get("NFTEACH_PROGRESS") == "0":
        return False
    return _in_notebook() or sys.stderr.isatty()


class LiveView:
    """The live training view of :func:`fit`: one output area in the notebook holding the loss and PSNR curves
    (:func:`nfteach.viz.plot_training`), redrawn in place at most every ``every_seconds`` while the fit runs.

    ``preview(model) -> image [H, W(, C)]`` in [0, 1] adds the current reconstruction beside the curves.
    Redraws replace the same display (no flicker, nothing piles up; JupyterLab, Classic and Colab alike). Outside
    a notebook kernel it shows nothing; with progress off (``NFTEACH_PROGRESS=0``, as in CI and static pages)
    only the final curve is drawn, once.
    """

    def __init__(self, preview: Callable[[nn.Module], torch.Tensor] | None = None, every_seconds: float = 2.0,
                 title: str | None = None):
        if preview is not None and not callable(preview):
            raise ValueError(f"LiveView: preview must be a function model → image, or None, got {type(preview).__name__}")
        self.preview, self.title = preview, title
        self.every_seconds = check_positive_number("LiveView: every_seconds", every_seconds)
        self.in_notebook = _in_notebook()
        self.interactive = self.in_notebook and _can_show_progress()
        self._handle, self._last_draw, self._total, self._show_psnr = None, -math.inf, None, True

    def start(self, total_steps: int, show_psnr: bool = True) -> None:
        """Called by :func:`fit`; ``show_psnr=False`` (a custom loss, whose PSNR means nothing) draws the loss alone."""
        self._total, self._show_psnr, self._last_draw = total_steps, show_psnr, time.perf_counter()

    def update(self, history: History, model: nn.Module, final: bool = False) -> None:
        due = time.perf_counter() - self._last_draw >= self.every_seconds
        if not self.in_notebook or not (final or (self.interactive and due)):
            return
        import matplotlib.pyplot as plt
        from IPython.display import display

        from nfteach.viz import plot_training

        image = self.preview(model) if self.preview is not None else None
        fig = plot_training(history.step, history.loss, history.psnr if self._show_psnr else None, self._total, image,
                            self.title)
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
        plt.close(fig)
        self._last_draw = time.perf_counter()


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ in ("ZMQInteractiveShell", "Shell")  # JupyterLab / Classic, Colab


@torch.no_grad()
def predict(model: nn.Module, coords: torch.Tensor, batch_size: int = 65536) -> torch.Tensor:
    """model(coords) without gradients, in chunks of ``batch_size`` rows, returned on the CPU."""
    check_tensor(coords, "predict: coords", "[N, features]")
    check_positive_int("predict: batch_size", batch_size)
    if coords.ndim == 0 or len(coords) == 0:
        raise ValueError(f"predict: coords must hold at least one point [N, features], got shape {list(coords.shape)}")
    device = _first_parameter(model, "predict").device
    was_training = model.training
    model.eval()
    chunks = [model(chunk.to(device)).cpu() for chunk in coords.split(batch_size)]
    model.train(was_training)
    return torch.cat(chunks)


@dataclass(frozen=True)
class Recipe:
    """A named training schedule for :func:`fit`: steps, learning rate (and its decay), batch size, Adam's betas and eps.

    Subclasses add the network's size and build it with ``model()``.
    """

    steps: int = 300
    lr: float = 1e-3
    final_lr: float | None = None
    batch_size: int | None = None
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8

    def model(self, in_features: int = 2, out_features: int = 1) -> nn.Module:
        raise NotImplementedError

    def fit(self, model: nn.Module, coords: torch.Tensor, target: torch.Tensor, **kwargs) -> History:
        """:func:`fit` with this recipe's steps, lr, schedule, batch size and Adam settings (``kwargs`` override or add)."""
        options = dict(steps=self.steps, lr=self.lr, final_lr=self.final_lr, batch_size=self.batch_size,
                       betas=self.betas, eps=self.eps)
        return fit(model, coords, target, **{**options, **kwargs})


@dataclass(frozen=True)
class SirenFit(Recipe):
    """A named recipe for fitting a SIREN to an image: the network's size and the training schedule.

    :data:`SIREN_PAPER` is the official SIREN image notebook (Sitzmann et al. 2020): 3 hidden layers × 256,
    ω0 = 30, full batch, Adam lr 1e-4, 500 steps. :data:`SIREN_DEFAULT` is what nfteach's notebooks run: a
    narrower net, a 20× larger learning rate decayed exponentially to 1e-4, and random mini-batches, which
    reaches 30 dB on a 256² photo tens of times sooner on a CPU (``bench/siren_time_to_psnr.py``). Measured on
    camera 256²: 35.7 dB after its 300 steps against the paper recipe's 34.8 dB after 500; run longer
    (``dataclasses.replace(SIREN_DEFAULT, steps=2000)``) it reaches 44 dB.
    """

    hidden_features: int = 128
    hidden_layers: int = 3
    omega_0: float = 30.0
    steps: int = 300
    lr: float = 2e-3
    final_lr: float | None = 1e-4
    batch_size: int | None = 16384

    def model(self, in_features: int = 2, out_features: int = 1) -> nn.Module:
        """A fresh :class:`~nfteach.models.Siren` of this recipe's size."""
        return Siren(in_features, self.hidden_features, self.hidden_layers, out_features,
                     first_omega_0=self.omega_0, hidden_omega_0=self.omega_0)


SIREN_PAPER = SirenFit(hidden_features=256, steps=500, lr=1e-4, final_lr=None, batch_size=None)
"""The official SIREN image-fitting configuration."""
SIREN_DEFAULT = SirenFit()
"""nfteach's default SIREN image fit (notebook 03 and the time-to-30-dB benchmark)."""


@dataclass(frozen=True)
class HashGridFit(Recipe):
    """Instant-NGP's image recipe (Müller et al. 2022): a :class:`~nfteach.encodings.HashGrid` into a ReLU MLP of
    2 hidden layers × 64, Adam lr 1e-2, β = (0.9, 0.99), ε = 1e-15, as in the official ``configs/image/base.json``.

    Scaled to a 256² image: the finest level resolves one pixel (``max_resolution`` = the image side, where the
    official per-level scale 2 over 16 levels serves gigapixel images) and T = 2^14 instead of 2^24, which keeps
    the parameter count near SIREN's paper network (≈ 234k against 198k) and leaves the four finest levels hashed
    (with 2^24 every level of a 256² image would be dense). Random batches of 16384 pixels, as ``SIREN_DEFAULT``.
    """

    levels: int = 16
    features_per_level: int = 2
    log2_table_size: int = 14
    base_resolution: int = 16
    max_resolution: int = 256
    hidden_features: int = 64
    steps: int = 100
    lr: float = 1e-2
    batch_size: int | None = 16384
    betas: tuple[float, float] = (0.9, 0.99)
    eps: float = 1e-15

    def model(self, in_features: int = 2, out_features: int = 1) -> nn.Module:
        """A fresh hash grid + MLP of this recipe's size."""
        grid = HashGrid(in_features, self.levels, self.features_per_level, self.log2_table_size,
                        self.base_resolution, self.max_resolution)
        return MLP(in_features, self.hidden_features, 1, out_features, encoding=grid)  # 2 hidden layers of 64


HASH_GRID_DEFAULT = HashGridFit()
"""nfteach's hash-grid image fit (appendix A1 and the time-to-30-dB benchmark)."""


@dataclass
class TimedRun:
    """A fit timed against the PSNR of its whole signal: at ``step[i]``, ``seconds[i]`` of training (time spent
    measuring left out) had reached ``psnr[i]`` dB."""

    step: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)

    def seconds_to(self, threshold: float) -> float:
        """Training seconds until the PSNR first reached ``threshold`` dB (inf if it never did)."""
        return next((s for s, p in zip(self.seconds, self.psnr) if p >= threshold), math.inf)


class _Stop(Exception):
    """Raised from ``on_log`` to end a timed fit early."""


def timed_fit(recipe: Recipe, model: nn.Module, coords: torch.Tensor, target: torch.Tensor, *, every: int = 1,
              data_range: float = 2.0, stop_at: float | None = None, max_seconds: float | None = None,
              on_measure: Callable[[TimedRun, nn.Module], None] | None = None, progress: bool = False) -> TimedRun:
    """``recipe.fit`` the model, measuring the PSNR of all of ``coords`` every ``every`` steps (untimed).

    Stops after the recipe's steps, or once the PSNR reaches ``stop_at`` dB, or once ``max_seconds`` of training have
    passed. ``on_measure(run, model)`` runs after each measurement, also untimed (e.g. a PSNR elsewhere).
    ``progress=True`` shows the recipe's progress bar (it ends early when the run stops early).
    """
    run = TimedRun([0], [0.0], [psnr(predict(model, coords), target, data_range=data_range)])  # the untrained model
    measuring, start = 0.0, time.perf_counter()

    def on_log(step: int, model: nn.Module) -> None:
        nonlocal measuring
        began = time.perf_counter()
        run.step.append(step)
        run.seconds.append(began - start - measuring)
        run.psnr.append(psnr(predict(model, coords), target, data_range=data_range))
        if on_measure is not None:
            on_measure(run, model)
        measuring += time.perf_counter() - began
        if (stop_at is not None and run.psnr[-1] >= stop_at) or (max_seconds is not None and run.seconds[-1] >= max_seconds):
            raise _Stop

    try:
        recipe.fit(model, coords, target, data_range=data_range, log_every=every, on_log=on_log, progress=progress)
    except _Stop:
        pass
    return run
