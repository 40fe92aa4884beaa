"""The generic slider machinery: an explorer that redraws a figure when a slider moves, and a scoped CPU-thread
setting for the small fits behind the sliders.

Each chapter's explorers live in its own room (:mod:`nfteach.explore`). Every explorer has a static twin there:
a function that draws a small grid of the same settings as a plain figure, so printouts, static pages and CI
show what the sliders would. Sliders redraw only when released (``continuous_update=False``); while a figure is
being redrawn the sliders are disabled and a line above the figure says so, then how long the redraw took.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator, Mapping, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import display
from matplotlib.figure import Figure

from nfteach._checks import check_positive_int


def slider_explorer(draw: Callable[..., Figure],
                    sliders: Sequence[widgets.ValueWidget] | Mapping[str, widgets.ValueWidget]) -> widgets.VBox:
    """Sliders above a status line and an ``Output`` holding ``draw(**{name: slider.value})``.

    ``sliders`` maps each argument name of ``draw`` to its widget, whose description is the label a student reads
    (``{"log2_table_size": SelectionSlider(description="log₂ T", …)}``); a list of widgets passes each one under
    its description, for labels that are argument names already (``σ``, ``depth``).
    The first figure is drawn at once; every released slider redraws it. While ``draw`` runs the sliders are
    disabled and the status line reads "busy: redrawing…"; afterwards it gives the seconds taken (or the error).
    Returns the container to display.
    """
    if not callable(draw):
        raise ValueError(f"slider_explorer: draw must be a function of the sliders' values, got {type(draw).__name__}")
    if not sliders:
        raise ValueError("slider_explorer: sliders must hold at least one widget, got none")
    pairs = list(sliders.items()) if isinstance(sliders, Mapping) else [(getattr(s, "description", ""), s) for s in sliders]
    for name, slider in pairs:
        if not isinstance(slider, widgets.ValueWidget) or not slider.description or not name:
            raise ValueError(f"slider_explorer: each slider must be an ipywidgets value widget with a description (its "
                             f"label) and an argument name of draw, got {name!r}: {slider!r:.60}")
    named = dict(pairs)
    if len(named) < len(pairs):
        raise ValueError(f"slider_explorer: each slider must set its own argument of draw, got {[n for n, _ in pairs]}")
    sliders = list(named.values())
    out = widgets.Output()
    status = widgets.HTML()

    def redraw(_change=None) -> None:
        for slider in sliders:
            slider.disabled = True
        status.value = "<b>busy: redrawing…</b> (the figure below is the previous setting)"   # plain text: every font has it
        start = time.perf_counter()
        try:
            with out:
                fig = draw(**{name: slider.value for name, slider in named.items()})
                out.clear_output(wait=True)
                display(fig)  # the inline backend renders it as a PNG inside `out`
                plt.close(fig)
            status.value = f"drawn in {time.perf_counter() - start:.1f} s"
        except Exception as error:  # keep the explorer alive: say what went wrong, keep the old figure
            status.value = f"⚠ could not redraw: {type(error).__name__}: {error}"
        finally:
            for slider in sliders:
                slider.disabled = False

    for slider in sliders:
        slider.observe(redraw, names="value")
    redraw()
    return widgets.VBox([widgets.HBox(list(sliders)), status, out])


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
