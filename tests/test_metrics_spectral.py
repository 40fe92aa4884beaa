import math

import pytest
import torch

from nfteach import data
from nfteach.metrics import psnr
from nfteach.spectral import frequency_response, spectrum


def test_psnr_of_known_arrays():
    target = torch.zeros(10, 3)
    assert psnr(target + 0.1, target) == pytest.approx(20.0)
    assert psnr(target + 0.1, target, data_range=2.0) == pytest.approx(20 + 20 * math.log10(2))
    assert psnr(target, target) == math.inf


def test_psnr_errors():
    with pytest.raises(ValueError, match=r"same shape, got \[2\] and \[3\]"):
        psnr(torch.zeros(2), torch.zeros(3))
    with pytest.raises(ValueError, match="data_range"):
        psnr(torch.zeros(2), torch.zeros(2), data_range=0)
    with pytest.raises(ValueError, match="pred must be a torch.Tensor"):
        psnr([0.0], torch.zeros(1))


def test_spectrum_of_a_pure_sinusoid():
    _, y = data.sinusoids([7], amps=[0.8], phases=[0.3], n=64)
    frequencies, magnitude = spectrum(y)
    assert len(frequencies) == len(magnitude) == 33
    assert magnitude.argmax() == 7 and magnitude[7] == pytest.approx(0.4, abs=1e-5)


def test_frequency_response_is_one_for_the_target_and_zero_elsewhere():
    freqs, amps = [5, 10, 15], [1.0, 0.5, 0.2]
    _, y = data.sinusoids(freqs, amps=amps, n=200)
    assert torch.allclose(frequency_response(y, freqs, amps), torch.ones(3), atol=1e-4)
    assert torch.allclose(frequency_response(0.5 * y, freqs, amps), torch.full((3,), 0.5), atol=1e-4)
    assert frequency_response(y, [20]).item() < 1e-4


def test_frequency_response_errors():
    y = torch.zeros(200, 1)
    with pytest.raises(ValueError, match=r"integers in \[0, 100\]"):
        frequency_response(y, [150])
    with pytest.raises(ValueError, match="amps"):
        frequency_response(y, [5, 10], amps=[1.0])
    with pytest.raises(ValueError, match=r"\[N\] or \[N, 1\]"):
        spectrum(torch.zeros(4, 2))
