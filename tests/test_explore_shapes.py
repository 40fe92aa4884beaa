"""Chapter 4's room: the two sliders and their static twins draw, and the resolution study converges."""

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets

from nfteach import shapes
from nfteach.explore import shapes as room


def test_sliders_and_static_twins_draw():
    assert isinstance(room.smoothing_explorer(), widgets.VBox)
    assert isinstance(room.truncation_explorer(), widgets.VBox)
    assert len(room.smoothing_grid(ks=(0.0, 0.2)).axes) == 2
    assert len(room.truncation_grid(truncations=(0.05, 0.2)).axes) == 4  # panels and colour bars


def test_blend_scene_at_k_zero_is_the_exact_union():
    assert room.blend_scene(0.0).name.endswith("k=0)")


def test_resolution_study_errors_shrink():
    volume, area = room.torus_measures(0.5, 0.2)
    rows = room.resolution_study(shapes.torus(0.5, 0.2), volume, area, resolutions=(16, 32), samples=2000)
    assert abs(rows[32]["volume error %"]) < abs(rows[16]["volume error %"]) / 2.5
    assert rows[32]["mean |φ| ×1e3"] < rows[16]["mean |φ| ×1e3"] and rows[32]["watertight"]
