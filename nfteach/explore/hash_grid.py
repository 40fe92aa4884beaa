"""Appendix A1's room: hash-grid image fits behind the table-size and level sliders (Müller et al. 2022), their
static twins, the level table, and a Fourier-feature recipe for the race against SIREN."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from nfteach._checks import check_image
from nfteach import seeding
from nfteach.data import grid
from nfteach.encodings import FourierFeatures, HashGrid
from nfteach.metrics import psnr
from nfteach.models import MLP
from nfteach.train import HASH_GRID_DEFAULT, Recipe, predict
from nfteach.viz import image_grid
from nfteach.widgets import cpu_threads, slider_explorer


@dataclass(frozen=True)
class FourierFit(Recipe):
    """Gaussian Fourier features into a ReLU MLP (Tancik et al. 2020): m = 256 features, σ = 10 for coordinates in
    [0, 1) (5 on the kit's [−1, 1]), Adam lr 1e-3 as the official notebook; the MLP has SIREN_DEFAULT's size
    (3 hidden layers × 128 instead of the paper's 4 × 256) and its random batches of 16384 pixels."""

    mapping_size: int = 256
    scale: float = 5.0
    hidden_features: int = 128
    hidden_layers: int = 3
    steps: int = 300
    lr: float = 1e-3
    batch_size: int | None = 16384

    def model(self, in_features: int = 2, out_features: int = 1) -> MLP:
        encoding = FourierFeatures(in_features, self.mapping_size, self.scale)
        return MLP(in_features, self.hidden_features, self.hidden_layers, out_features, encoding=encoding)


def level_table(encoding: HashGrid) -> dict[str, dict[str, float]]:
    """One row per level: resolution N_l, vertices (N_l + 1)^d, table rows, vertices per row, storage."""
    if not isinstance(encoding, HashGrid):
        raise ValueError(f"level_table: encoding must be a HashGrid, got {type(encoding).__name__}")
    rows = {}
    for level, (n, dense, table) in enumerate(zip(encoding.resolutions, encoding.dense, encoding.tables)):
        vertices = (n + 1) ** encoding.in_features
        rows[f"level {level}"] = {"N_l": n, "vertices": vertices, "rows": len(table),
                                  "vertices/row": vertices / len(table), "hashed": int(not dense)}
    return rows


HashGridRun = tuple[torch.Tensor, float, int]
"""What :func:`hash_grid_run` returns: the reconstruction, its PSNR (dB) and the trainable parameters."""


def hash_grid_run(img: torch.Tensor, log2_table_size: int = 14, levels: int = 16, *, steps: int = 60,
                  device=None) -> HashGridRun:
    """Fit :data:`~nfteach.train.HASH_GRID_DEFAULT` with T = 2^``log2_table_size`` and ``levels`` levels (finest = the
    image side) to a gray image ``[H, W, 1]`` in [0, 1] (targets in [−1, 1]) for ``steps`` full-batch steps.
    Returns the reconstruction ``[H, W, 1]``, its PSNR (dB) and the number of trainable parameters."""
    check_image(img, "hash_grid_run: img", channels=1, square=True)
    side = img.shape[0]
    recipe = dataclasses.replace(HASH_GRID_DEFAULT, log2_table_size=log2_table_size, levels=levels,
                                 max_resolution=side, steps=steps, batch_size=None)
    coords, target = grid(side, side), img.reshape(-1, 1) * 2 - 1  # [N, 2], [N, 1]
    torch.manual_seed(seeding.session_seed())
    net = recipe.model().to(device or "cpu")
    with cpu_threads(1):
        recipe.fit(net, coords, target, progress=False, data_range=2.0)
        prediction = predict(net, coords)
    parameters = sum(p.numel() for p in net.parameters())
    return ((prediction + 1) / 2).clamp(0, 1).reshape(img.shape), psnr(prediction, target, 2.0), parameters


def _runs_figure(img: torch.Tensor, settings: dict, known: dict[tuple[int, int], HashGridRun] | None,
                 ncols: int | None = None, **kwargs) -> tuple[Figure, dict]:
    """Fit each ``key: (title, log2_table_size, levels)`` of ``settings`` (or take it from ``known``, keyed by
    ``(log2_table_size, levels)``, where every new fit is kept); the target, then the fits, ``ncols`` a row."""
    known = {} if known is None else known
    images, titles, psnrs = [img], ["target"], {}
    for key, (title, log2_table_size, levels) in settings.items():
        if (log2_table_size, levels) not in known:
            known[log2_table_size, levels] = hash_grid_run(img, log2_table_size, levels, **kwargs)
        reconstruction, psnrs[key], parameters = known[log2_table_size, levels]
        images.append(reconstruction)
        titles.append(f"{title}\n{psnrs[key]:.1f} dB, {parameters / 1000:.0f}k params")
    return image_grid(images, titles, ncols, size=2.4), psnrs


TABLE_SIZES = (6, 8, 10, 12, 14)
"""log2 T on the table-size slider: each table 4× the last, up to the appendix's 2^14."""
LEVEL_COUNTS = (1, 2, 4, 8, 16)
"""L on the level slider."""


def table_size_explorer(img: torch.Tensor, sizes: Sequence[int] = TABLE_SIZES, log2_table_size: int = 10,
                        known: dict[tuple[int, int], HashGridRun] | None = None, **kwargs) -> widgets.VBox:
    """A slider on log2 T refits :func:`hash_grid_run` (16 levels) on ``img``. Static twin: :func:`table_size_grid`.

    ``known`` maps ``(log2 T, levels)`` to fits already made with the same image and settings: those redraw at once,
    and every new fit is added, so a ``known`` shared with the twins and the level slider saves their refits."""
    slider = widgets.SelectionSlider(options=list(sizes), value=log2_table_size, description="log₂ T",
                                     continuous_update=False)
    known = {} if known is None else known

    def draw(log2_table_size: int) -> Figure:
        return _runs_figure(img, {0: (f"T = 2^{log2_table_size}", log2_table_size, 16)}, known, **kwargs)[0]

    return slider_explorer(draw, {"log2_table_size": slider})


def table_size_grid(img: torch.Tensor, sizes: Sequence[int] = TABLE_SIZES,
                    known: dict[tuple[int, int], HashGridRun] | None = None, ncols: int | None = 3,
                    **kwargs) -> tuple[Figure, dict[int, float]]:
    """The static twin of :func:`table_size_explorer`: one fit per table size (reusing ``known`` ones, and adding the
    new ones, which the slider then redraws at once), the target first, ``ncols`` a row; returns the figure and the
    PSNR per log2 T."""
    return _runs_figure(img, {size: (f"T = 2^{size}", size, 16) for size in sizes}, known, ncols, **kwargs)


def levels_explorer(img: torch.Tensor, choices: Sequence[int] = LEVEL_COUNTS, levels: int = 4,
                    log2_table_size: int = 14, known: dict[tuple[int, int], HashGridRun] | None = None,
                    **kwargs) -> widgets.VBox:
    """A slider on the number of levels L (from N_min = 16 to the image side) refits :func:`hash_grid_run`, reusing
    ``known`` fits as :func:`table_size_explorer` does. Static twin: :func:`levels_grid`."""
    slider = widgets.SelectionSlider(options=list(choices), value=levels, description="levels L", continuous_update=False)
    known = {} if known is None else known

    def draw(levels: int) -> Figure:
        return _runs_figure(img, {0: (f"L = {levels}", log2_table_size, levels)}, known, **kwargs)[0]

    return slider_explorer(draw, {"levels": slider})


def levels_grid(img: torch.Tensor, choices: Sequence[int] = LEVEL_COUNTS, log2_table_size: int = 14,
                known: dict[tuple[int, int], HashGridRun] | None = None, ncols: int | None = 3,
                **kwargs) -> tuple[Figure, dict[int, float]]:
    """The static twin of :func:`levels_explorer`: one fit per level count (reusing and adding to ``known`` as
    :func:`table_size_grid` does), ``ncols`` a row; returns the figure and the PSNR per L."""
    return _runs_figure(img, {levels: (f"L = {levels}", log2_table_size, levels) for levels in choices}, known,
                        ncols, **kwargs)
