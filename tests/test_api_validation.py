"""Bad input at the public boundary: each is refused with one message naming the argument, what was expected
and what was got (issue 13's list: fit / predict / data / encodings / models / metrics)."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from nfteach import data, metrics
from nfteach.encodings import FourierFeatures
from nfteach.models import MLP, SineLayer, Siren
from nfteach.train import TrainingDiverged, fit, predict

torch.manual_seed(0)
COORDS = data.grid(8, 8)  # [64, 2]
TARGET = torch.rand(64, 1)
HUGE = 10**7  # a side that needs far more memory than any machine running the tests has


def _fit(**changes):
    arguments = dict(model=MLP(2, 8, 0, 1), coords=COORDS, target=TARGET, steps=2, lr=1e-3, progress=False)
    arguments.update(changes)
    return lambda: fit(**arguments)


class Empty(nn.Module):
    def forward(self, x):
        return x


BAD = {
    "fit: model output 1 value, target 3": (_fit(target=torch.rand(64, 3)), ValueError, r"target's shape \[N, 3\], got \[N, 1\].*out_features=3"),
    "fit: model output 3 values, target 1": (_fit(model=MLP(2, 8, 0, 3)), ValueError, r"target's shape \[N, 1\], got \[N, 3\]"),
    "fit: NaN in the target": (_fit(target=TARGET.clone().index_fill_(0, torch.tensor([3]), math.nan)), ValueError, r"target must be finite.*1 NaN.*data is broken"),
    "fit: inf in the coords": (_fit(coords=COORDS.clone().index_fill_(0, torch.tensor([0]), math.inf)), ValueError, r"coords must be finite.*2 NaN or infinite"),
    "fit: data_range 0": (_fit(data_range=0), ValueError, r"fit: data_range must be a positive finite number, got 0"),
    "fit: data_range < 0": (_fit(data_range=-1.0), ValueError, r"fit: data_range must be a positive finite number, got -1.0"),
    "fit: a model without parameters": (_fit(model=Empty()), ValueError, r"fit: model must be an nn.Module with parameters.*Empty without parameters"),
    "fit: not a model": (_fit(model=lambda x: x), ValueError, r"fit: model must be an nn.Module.*got function"),
    "fit: log_every 0": (_fit(log_every=0), ValueError, r"fit: log_every must be a positive integer, got 0"),
    "fit: final_lr 0": (_fit(final_lr=0), ValueError, r"fit: final_lr must be a positive finite number, got 0"),
    "fit: lr inf": (_fit(lr=math.inf), ValueError, r"fit: lr must be a positive finite number, got inf"),
    "fit: numpy coords": (_fit(coords=COORDS.numpy()), ValueError, r"fit: coords must be a torch.Tensor \[N, features\], got numpy.ndarray: convert it with torch.as_tensor"),
    "fit: numpy target": (_fit(target=TARGET.numpy()), ValueError, r"fit: target must be a torch.Tensor.*numpy.ndarray"),
    "fit: float64 coords": (_fit(coords=COORDS.double()), ValueError, r"fit: coords must have the model's dtype torch.float32, got torch.float64: use coords.to"),
    "predict: batch_size 0": (lambda: predict(MLP(2, 8, 0, 1), COORDS, batch_size=0), ValueError, r"predict: batch_size must be a positive integer, got 0"),
    "predict: batch_size < 0": (lambda: predict(MLP(2, 8, 0, 1), COORDS, batch_size=-4), ValueError, r"predict: batch_size must be a positive integer, got -4"),
    "predict: numpy coords": (lambda: predict(MLP(2, 8, 0, 1), COORDS.numpy()), ValueError, r"predict: coords must be a torch.Tensor.*numpy.ndarray"),
    "predict: float64 coords": (lambda: predict(MLP(2, 8, 0, 1), COORDS.double()), ValueError, r"MLP: coords must have the weights' dtype torch.float32, got torch.float64"),
    "predict: a model without parameters": (lambda: predict(Empty(), COORDS), ValueError, r"predict: model must be an nn.Module with parameters"),
    "MLP forward: numpy coords": (lambda: MLP(2, 8, 0, 1)(COORDS.numpy()), ValueError, r"MLP: coords must be a torch.Tensor \[N, 2\], got numpy.ndarray"),
    "Siren forward: float64 coords": (lambda: Siren(2, 8, 1, 1)(COORDS.double()), ValueError, r"Siren: coords must have the weights' dtype torch.float32, got torch.float64"),
    "FourierFeatures forward: float64 coords": (lambda: FourierFeatures(2, 4, 1.0)(COORDS.double()), ValueError, r"FourierFeatures: coords must have the weights' dtype"),
    "grid: infinite bounds": (lambda: data.grid(4, bounds=(-math.inf, 1.0)), ValueError, r"grid: bounds must be finite numbers with lo < hi, got \(-inf, 1.0\)"),
    "grid: NaN bounds": (lambda: data.grid(4, bounds=(0.0, math.nan)), ValueError, r"grid: bounds must be finite.*nan"),
    "grid: more memory than the machine has": (lambda: data.grid(HUGE, HUGE), MemoryError, r"grid: sizes \(10000000, 10000000\).*would need about .* of memory, more than the .* available"),
    "image: more memory than the machine has": (lambda: data.image("camera", size=HUGE), MemoryError, r"image: size 10000000.*would need about"),
    "sinusoids: more memory than the machine has": (lambda: data.sinusoids([1.0], n=HUGE * HUGE), MemoryError, r"sinusoids: n=.*would need about"),
    "MLP: more memory than the machine has": (lambda: MLP(2, HUGE, 2, 1), MemoryError, r"MLP: widths .*parameters\) would need about"),
    "Siren: more memory than the machine has": (lambda: Siren(2, HUGE, 2, 1), MemoryError, r"Siren: widths .*would need about"),
    "sinusoids: NaN frequency": (lambda: data.sinusoids([1.0, math.nan]), ValueError, r"sinusoids: freqs must be finite numbers, got 1 NaN or infinite value\(s\) of 2"),
    "sinusoids: inf amplitude": (lambda: data.sinusoids([1.0], [math.inf]), ValueError, r"sinusoids: amps must be finite"),
    "sinusoids: inf phase": (lambda: data.sinusoids([1.0], [1.0], [math.inf]), ValueError, r"sinusoids: phases must be finite"),
    "FourierFeatures: inf scale": (lambda: FourierFeatures(2, 4, math.inf), ValueError, r"FourierFeatures: scale must be > 0 and finite, got inf"),
    "FourierFeatures: NaN scale": (lambda: FourierFeatures(2, 4, math.nan), ValueError, r"FourierFeatures: scale must be > 0 and finite, got nan"),
    "FourierFeatures.from_matrix: NaN in B": (lambda: FourierFeatures.from_matrix(torch.tensor([[1.0, math.nan]])), ValueError, r"from_matrix: B must be finite"),
    "FourierFeatures.positional: inf scale": (lambda: FourierFeatures.positional(2, 4, math.inf), ValueError, r"positional: scale must be a positive finite number, got inf"),
    "SineLayer: inf omega_0": (lambda: SineLayer(2, 4, omega_0=math.inf), ValueError, r"SineLayer: omega_0 must be a positive finite number, got inf"),
    "SineLayer: NaN omega_0": (lambda: SineLayer(2, 4, omega_0=math.nan), ValueError, r"SineLayer: omega_0 must be a positive finite number, got nan"),
    "Siren: inf hidden_omega_0": (lambda: Siren(2, 8, 1, 1, hidden_omega_0=math.inf), ValueError, r"Siren: hidden_omega_0 must be a positive finite number, got inf"),
    "psnr: data_range 0": (lambda: metrics.psnr(TARGET, TARGET, 0.0), ValueError, r"psnr: data_range must be a positive finite number, got 0.0"),
    "psnr: data_range inf": (lambda: metrics.psnr(TARGET, TARGET, math.inf), ValueError, r"psnr: data_range must be a positive finite number, got inf"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_is_refused_with_a_message_naming_it(case):
    call, error, message = BAD[case]
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("lr", [10.0, 1000.0])
def test_a_loss_that_explodes_is_a_diverged_run_not_a_result(lr):
    torch.manual_seed(0)
    with pytest.raises(TrainingDiverged, match=rf"over 1000 times its first value.*lr={lr:g}.*lower learning rate"):
        fit(MLP(2, 32, 1, 1), COORDS, TARGET, steps=200, lr=lr, progress=False)


def test_an_ordinary_fit_is_not_called_diverged():
    torch.manual_seed(0)
    history = fit(MLP(2, 32, 1, 1), COORDS, TARGET, steps=200, lr=1e-2, progress=False, log_every=1)
    assert history.loss[-1] < history.loss[0]


def test_a_gray_and_alpha_png_loses_its_alpha_as_documented(tmp_path):
    from skimage import io

    pixels = np.zeros((20, 30, 2), dtype=np.uint8)
    pixels[..., 0], pixels[..., 1] = 200, 255  # gray 200, opaque
    io.imsave(tmp_path / "la.png", pixels, check_contrast=False)
    for gray in (True, False):
        loaded = data.image(tmp_path / "la.png", size=8, gray=gray)
        assert loaded.shape == (8, 8, 1) and torch.allclose(loaded, torch.full_like(loaded, 200 / 255), atol=1e-3)


def test_a_file_that_is_not_an_image_is_named_with_the_formats(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are my notes, not a picture")
    with pytest.raises(ValueError, match=r"image: cannot read .*notes.png' as an image.*PNG, JPEG"):
        data.image(path)
