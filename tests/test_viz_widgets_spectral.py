import math

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from nfteach import viz
from nfteach.data import sinusoids
from nfteach.explore.spectral_bias import first_step_reaching, spectral_bias_explorer, spectral_bias_grid, spectral_bias_run
from nfteach.widgets import cpu_threads, slider_explorer


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_image_grid_lays_out_rows_and_accepts_gray_and_colour():
    fig = viz.image_grid([torch.rand(8, 8, 1), torch.rand(8, 8, 3), torch.rand(4, 4)], ["a", "b", "c"], ncols=2)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 4  # 2 × 2, the last one empty
    assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"]


def test_image_grid_errors():
    with pytest.raises(ValueError, match="at least one image"):
        viz.image_grid([])
    with pytest.raises(ValueError, match=r"titles must have one entry per image \(2\), got 1"):
        viz.image_grid([torch.rand(4, 4), torch.rand(4, 4)], ["only one"])
    with pytest.raises(ValueError, match=r"image 0 must be \[H, W\] or \[H, W, C\], got \[4\]"):
        viz.image_grid([torch.rand(4)])


def test_results_table_columns_paper_and_formats():
    table = viz.results_table({"relu": {"psnr": 20.123, "steps": 300}, "siren": {"psnr": math.inf}},
                              paper={"relu": 19.3}, name="model")
    lines = table.splitlines()
    assert lines[0].split() == ["model", "psnr", "steps", "paper"]
    assert set(lines[1]) == {"-"}
    assert lines[2].split() == ["relu", "20.12", "300", "19.30"]
    assert lines[3].split() == ["siren", "inf", "–", "–"]
    assert viz.results_table({"a": 1.5}).splitlines()[0].split() == ["value"]
    with pytest.raises(ValueError, match="at least one row"):
        viz.results_table({})


def test_response_heatmap_clips_to_unit_range_and_checks_shape():
    steps, freqs = [10, 20, 30], [5, 10]
    ax = viz.plot_response_heatmap(steps, torch.tensor([[0.2, -0.1], [0.8, 0.4], [1.3, 0.9]]), freqs)
    data = ax.images[0].get_array()
    assert data.shape == (2, 3)  # frequency on y, iteration on x
    assert data.min() >= 0 and data.max() <= 1
    assert len(ax.figure.axes) == 2  # the colorbar
    with pytest.raises(ValueError, match=r"must be \[len\(steps\), len\(freqs\)\] = \[3, 2\], got \[2, 3\]"):
        viz.plot_response_heatmap(steps, torch.zeros(2, 3), freqs)


def test_signal_figures():
    t, y = sinusoids([3, 7], n=64)
    assert len(viz.plot_signal_and_spectrum(t, y, [3, 7]).axes) == 2
    ax = viz.plot_signal(t, y, {"half": y / 2})
    assert len(ax.lines) == 2
    fig = viz.plot_fit_and_response(t, y, y / 2, [1, 2, 3], torch.tensor([0.1, 0.5, 0.95]))
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match=r"target must have shape \[N\] or \[N, 1\]"):
        viz.plot_signal(t, torch.zeros(64, 2))


def test_fit_grid_shape_and_errors():
    t, y = sinusoids([2], n=32)
    fig = viz.plot_fit_grid(t, [[y, y]], [[y, -y]], ["row"], ["left", "right"])
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match=r"predictions must be a 1 × 2 nested list"):
        viz.plot_fit_grid(t, [[y, y]], [[y]], ["row"], ["left", "right"])


def test_first_step_reaching():
    response = torch.tensor([[0.1, 0.0], [0.95, 0.2], [0.5, 0.3]])
    assert first_step_reaching([100, 200, 300], response) == [200, math.inf]
    assert first_step_reaching([100, 200, 300], response, level=0.25) == [200, 300]
    with pytest.raises(ValueError, match=r"must be \[len\(steps\), K\] = \[2, K\], got \[3, 2\]"):
        first_step_reaching([1, 2], response)


def test_spectral_bias_run_logs_shapes_and_learns_low_frequency_first():
    run = spectral_bias_run([1, 20], depth=4, width=64, steps=200, lr=1e-3, log_every=50, progress=False)
    assert run.steps == [50, 100, 150, 200]
    assert run.response.shape == (4, 2) and run.predictions.shape == (4, 200)
    assert run.t.shape == run.y.shape == (200, 1)
    assert run.response[-1, 0] > 0.8 > 0.2 > run.response[-1, 1]
    with pytest.raises(ValueError, match="depth counts linear layers and must be at least 2, got 1"):
        spectral_bias_run([1], depth=1, steps=1)


def test_slider_explorer_draws_at_once_and_on_every_change():
    calls = []

    def draw(a, b):
        calls.append((a, b))
        return plt.figure()

    a = widgets.IntSlider(1, 0, 5, description="a", continuous_update=False)
    b = widgets.IntSlider(2, 0, 5, description="b", continuous_update=False)
    box = slider_explorer(draw, [a, b])
    assert calls == [(1, 2)]
    b.value = 4
    assert calls == [(1, 2), (1, 4)]
    assert isinstance(box.children[-1], widgets.Output)
    status = box.children[1]
    assert status.value.startswith("drawn in") and not a.disabled  # the busy line is cleared after the redraw
    with pytest.raises(ValueError, match="at least one widget"):
        slider_explorer(draw, [])


def test_slider_explorer_labels_apart_from_argument_names():
    calls = []

    def draw(log2_table_size):
        calls.append(log2_table_size)
        return plt.figure()

    slider = widgets.IntSlider(10, 6, 15, description="log₂ T", continuous_update=False)
    slider_explorer(draw, {"log2_table_size": slider})
    slider.value = 12
    assert calls == [10, 12] and slider.description == "log₂ T"
    with pytest.raises(ValueError, match="each slider must set its own argument"):
        slider_explorer(draw, [widgets.IntSlider(description="a"), widgets.IntSlider(description="a")])
    with pytest.raises(ValueError, match="an argument name of draw, got ''"):
        slider_explorer(draw, {"": slider})


def test_spectral_bias_explorer_contract():
    box = spectral_bias_explorer(steps=5)
    sliders = {w.description: w for w in box.children[0].children}
    assert set(sliders) == {"frequency", "depth", "width"}
    assert all(not w.continuous_update for w in sliders.values())
    assert isinstance(sliders["frequency"], widgets.IntSlider) and isinstance(sliders["depth"], widgets.IntSlider)
    assert isinstance(sliders["width"], (widgets.IntSlider, widgets.SelectionSlider))
    assert isinstance(box.children[-1], widgets.Output)
    sliders["depth"].value = 3  # redraws without error
    with pytest.raises(ValueError, match=r"frequency must lie in frequencies=\(1, 24\)"):
        spectral_bias_explorer(frequency=30)
    with pytest.raises(ValueError, match=r"width must be one of widths=\(16, 32, 64, 128\), got 48"):
        spectral_bias_explorer(width=48)


def test_spectral_bias_grid_is_depth_by_frequency():
    fig = spectral_bias_grid(frequencies=(1, 6), depths=(2, 3, 4), width=16, steps=5)
    assert len(fig.axes) == 6
    assert fig.axes[0].get_ylabel() == "2 layers"


def test_cpu_threads_sets_and_restores():
    before = torch.get_num_threads()
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with cpu_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="cpu_threads: count must be a positive integer, got 0"):
        with cpu_threads(0):
            pass


def test_slider_explorer_shows_the_busy_sign_while_drawing_and_survives_an_error():
    seen = []

    def draw(a):
        seen.append((box_status().value, slider.disabled))
        if a == 3:
            raise RuntimeError("boom")
        return plt.figure()

    slider = widgets.IntSlider(1, 0, 5, description="a", continuous_update=False)
    box = slider_explorer(draw, [slider])
    box_status = lambda: box.children[1]  # noqa: E731
    slider.value = 3
    assert all("redrawing" in status and disabled for status, disabled in seen)
    assert "could not redraw: RuntimeError: boom" in box_status().value and not slider.disabled


def test_plot_training_draws_curves_and_an_optional_preview():
    fig = viz.plot_training([10, 20], [0.1, 0.01], [10.0, 20.0], total_steps=100, preview=torch.rand(8, 8, 1))
    assert len(fig.axes) == 3 and "step 20 of 100" in fig._suptitle.get_text()
    assert len(viz.plot_training([], [], [], total_steps=5).axes) == 2


def test_plot_training_without_psnr_draws_the_loss_alone():
    fig = viz.plot_training([10, 20], [0.5, 0.2], None, total_steps=50)
    assert len(fig.axes) == 1 and "dB" not in fig._suptitle.get_text()
