import math

import numpy as np
import pytest
import torch
from skimage import io

from nfteach import data


def test_grid_2d_is_row_major_cell_centres():
    coords = data.grid(2, 3)
    assert coords.shape == (6, 2)
    cells = coords.reshape(2, 3, 2)
    assert torch.allclose(cells[:, 0, 0], torch.tensor([-0.5, 0.5]))  # y varies along rows
    assert torch.allclose(cells[0, :, 1], torch.tensor([-2 / 3, 0.0, 2 / 3]))  # x along columns
    assert torch.allclose(cells[1, 2], torch.tensor([0.5, 2 / 3]))


def test_grid_1d_and_3d_and_bounds():
    t = data.grid(4, bounds=(0, 1))
    assert torch.allclose(t[:, 0], torch.tensor([0.125, 0.375, 0.625, 0.875]))
    cube = data.grid(2, 3, 4)
    assert cube.shape == (24, 3)
    assert cube.dtype == torch.float32
    assert (cube.abs() < 1).all()  # centres never touch the border
    assert torch.allclose(cube.reshape(2, 3, 4, 3)[1, 2, 3], torch.tensor([0.5, 2 / 3, 0.75]))


@pytest.mark.parametrize(
    "sizes, kwargs, message",
    [((), {}, "1 to 3 sizes"), ((2, 2, 2, 2), {}, "1 to 3 sizes"), ((0,), {}, "positive integer"),
     ((2.5,), {}, "positive integer"), ((4,), {"bounds": (1, 0)}, "lo < hi"), ((4,), {"bounds": "ab"}, "bounds")],
)
def test_grid_rejects_bad_arguments(sizes, kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.grid(*sizes, **kwargs)


def test_image_gray_and_colour_in_unit_range():
    camera = data.image("camera", size=32)
    assert camera.shape == (32, 32, 1) and camera.dtype == torch.float32
    assert 0 <= camera.min() and camera.max() <= 1 and camera.std() > 0.1
    astronaut = data.image("astronaut", size=16, gray=False)
    assert astronaut.shape == (16, 16, 3)
    assert data.image("astronaut", size=16).shape == (16, 16, 1)


def test_image_keeps_the_crop_size_when_size_is_none():
    assert data.image("coins", size=None).shape == (303, 303, 1)  # coins is 303 x 384


def test_every_bundled_image_loads():
    for name in data.BUNDLED_IMAGES:
        assert data.image(name, size=8).shape[:2] == (8, 8)


def test_image_from_a_user_path(tmp_path):
    pixels = (np.arange(40 * 60 * 3) % 256).astype(np.uint8).reshape(40, 60, 3)
    path = tmp_path / "mine.png"
    io.imsave(path, pixels, check_contrast=False)
    loaded = data.image(path, size=None, gray=False)
    assert loaded.shape == (40, 40, 3)
    assert torch.allclose(loaded * 255, torch.from_numpy(pixels[:, 10:50].astype(np.float32)), atol=1e-3)


def test_image_errors_name_the_argument(tmp_path):
    with pytest.raises(ValueError, match="unknown image name 'lena'.*camera"):
        data.image("lena")
    with pytest.raises(FileNotFoundError, match="no image file"):
        data.image(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="size"):
        data.image("camera", size=0)
    with pytest.raises(ValueError, match="name"):
        data.image(42)


def test_sinusoids_follow_the_formula():
    t, y = data.sinusoids([1, 3], amps=[1.0, 0.5], phases=[0.0, math.pi / 2], n=100)
    assert t.shape == y.shape == (100, 1)
    expected = torch.sin(2 * math.pi * t) + 0.5 * torch.sin(2 * math.pi * 3 * t + math.pi / 2)
    assert torch.allclose(y, expected, atol=1e-5)
    assert torch.allclose(t, data.grid(100, bounds=(0, 1)))


def test_sinusoids_random_phases_are_seeded():
    assert torch.equal(data.sinusoids([5, 10])[1], data.sinusoids([5, 10])[1])
    assert not torch.equal(data.sinusoids([5, 10], seed=1)[1], data.sinusoids([5, 10], seed=2)[1])


def test_sinusoids_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="amps must have one value per frequency"):
        data.sinusoids([5, 10], amps=[1.0])
    with pytest.raises(ValueError, match="n must be at least 2"):
        data.sinusoids([5], n=1)
    with pytest.raises(ValueError, match="at least one frequency"):
        data.sinusoids([])
