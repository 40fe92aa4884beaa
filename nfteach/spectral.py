"""Spectra of 1D signals and the per-frequency response used for the spectral-bias heatmap (Rahaman et al. 2019)."""

from __future__ import annotations

import torch

from nfteach._checks import check_number, check_real, check_vector


def _as_signal(values: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(values, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor [N] or [N, 1], got {type(values).__name__}")
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"{name} must have shape [N] or [N, 1] with N >= 2, got {list(values.shape)}")
    if values.is_complex():
        raise ValueError(f"{name} must be real, got dtype {values.dtype}: take .real or .abs() first")
    return values.detach().double().cpu()


def spectrum(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """|FFT(values)| / N on the non-negative frequencies of N samples of [0, 1).

    Returns ``(frequencies, magnitude)``, both ``[N // 2 + 1]``; frequency k means k cycles over [0, 1),
    so a pure A sin(2πkt) shows magnitude A/2 at k.
    """
    signal = _as_signal(values, "spectrum: values")
    magnitude = torch.fft.rfft(signal).abs() / len(signal)
    return torch.arange(len(magnitude)), magnitude.float()


def frequency_response(values: torch.Tensor, freqs, amps=None) -> torch.Tensor:
    """The learned fraction of each target component: 2 |F(k_i)| / (N A_i) for integer frequencies k_i.

    1 means the component at k_i has its full amplitude A_i (default 1) in ``values``; 0 means it is absent.
    Returns ``[len(freqs)]``.
    """
    frequencies, magnitude = spectrum(values)
    k = check_vector(freqs, "frequency_response: freqs", finite=False).double()
    if k.numel() == 0 or (k != k.round()).any() or k.min() < 0 or k.max() >= len(frequencies):
        raise ValueError(
            f"frequency_response: freqs must be integers in [0, {len(frequencies) - 1}] for {2 * (len(frequencies) - 1)} samples, "
            f"got {k.tolist()}"
        )
    a = torch.ones(k.shape) if amps is None else check_vector(amps, "frequency_response: amps")
    if a.shape != k.shape:
        raise ValueError(f"frequency_response: amps must have one value per frequency ({k.numel()}), got {a.numel()}")
    return 2 * magnitude[k.long()] / a


def high_frequency_fraction(image: torch.Tensor, cutoff: float) -> float:
    """The share of an image's spectral energy (mean removed) above ``cutoff`` cycles per image side, along x or y.

    ``image`` is ``[H, W]`` or ``[H, W, C]`` (channels averaged). With ``cutoff = 64``, the Nyquist frequency of
    a 128² grid, it measures how much of an upsampled 128² image is detail the 128² grid could not hold.
    """
    if not isinstance(image, torch.Tensor) or image.ndim not in (2, 3):
        got = list(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ValueError(f"high_frequency_fraction: image must be a tensor [H, W] or [H, W, C], got {got}")
    check_real(image, "high_frequency_fraction: image")
    check_number("high_frequency_fraction: cutoff (cycles per image side)", cutoff, 0.0)
    if min(image.shape[:2]) < 2:
        raise ValueError(f"high_frequency_fraction: image must be at least 2×2 pixels, got {list(image.shape)}")
    pixels = image.detach().double().cpu()
    pixels = pixels.mean(dim=-1) if pixels.ndim == 3 else pixels
    energy = torch.fft.fft2(pixels - pixels.mean()).abs() ** 2
    fy, fx = (torch.fft.fftfreq(n, d=1 / n).abs() for n in pixels.shape)
    above = torch.maximum(fy[:, None], fx[None, :]) > cutoff
    return float(energy[above].sum() / energy.sum().clamp_min(1e-300))
