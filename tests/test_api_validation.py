"""Bad input at the public boundary, module by module (issues 13 and 23): each is refused with one message naming
the function and the argument, what was expected and what was got, or it is handled correctly (an assert says
what "correctly" means). Sizes too big for memory are refused before anything is allocated.

The table :data:`CASES` is also what ``bench/api_probe.py`` runs, each case in a child process with a time limit,
to count clear refusals, correct results, unclear errors, silently wrong results and hangs per module."""

from __future__ import annotations

import math
import re
from typing import Callable, NamedTuple

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from torch import nn

import nfteach
from nfteach import data, deepsdf, losses, mesh, metrics, models, mrnet, nerf, pde, primitives, raytrace, seeding, shapes
from nfteach import spectral, viz, viz3d, widgets
from nfteach.encodings import FourierFeatures, HashGrid, PositionalEncoding, spatial_hash
from nfteach.explore import activations, fourier, hash_grid, neural_sdf, projects, siren, spectral_bias
from nfteach.explore import mrnet as explore_mrnet
from nfteach.explore import nerf as explore_nerf
from nfteach.explore import shapes as explore_shapes
from nfteach.models import CPPN, MLP, LipschitzLinear, LipschitzMLP, SineLayer, Siren
from nfteach.train import LiveView, TrainingDiverged, fit, predict


class Case(NamedTuple):
    """``call()`` must raise ``error`` with a message matching ``expected`` (a regex), or, with ``error`` None,
    return a result for which ``expected(result)`` is true."""

    module: str
    function: str
    what: str
    call: Callable[[], object]
    error: type[BaseException] | None
    expected: str | Callable[[object], bool]


CASES: list[Case] = []
_module = ""


def module(name: str) -> None:
    global _module
    _module = name


def refuse(function: str, what: str, call: Callable[[], object], pattern: str, error: type = ValueError) -> None:
    """The message must start with ``function:`` and match ``pattern`` after it."""
    CASES.append(Case(_module, function, what, call, error, rf"^{re.escape(function)}: .*(?:{pattern})"))


def accept(function: str, what: str, call: Callable[[], object], check: Callable[[object], bool]) -> None:
    CASES.append(Case(_module, function, what, call, None, check))


def too_big(function: str, what: str, call: Callable[[], object]) -> None:
    """Refused by the memory check (``_checks.check_memory``) before allocating, saying the size."""
    refuse(function, what, call, r"would need about .* of memory|GiB", MemoryError)


def bad_points(function: str, call: Callable[[object], object], columns: int, *, empty: str = "refuse",
               device: bool = True, name: str = "", any_columns: bool = False) -> None:
    """The typical bad point sets for ``call(points)``: numpy, a list, None, text, integers, booleans, complex
    numbers, the wrong number of columns, a 1D tensor, no points (refused, or ``empty="accept"``: an empty
    result) and points on another device (a ``meta`` tensor stands in for a GPU). With ``any_columns`` the function
    takes any dimension (the model it is given checks its own)."""
    good = torch.rand(5, columns)
    cases = {
        "numpy points": (good.numpy(), r"torch\.Tensor.*numpy\.ndarray.*torch\.as_tensor"),
        "a list of points": (good.tolist(), r"torch\.Tensor.*list"),
        "None for points": (None, r"torch\.Tensor.*NoneType"),
        "text for points": ("points", r"torch\.Tensor.*str"),
        "integer points": (good.long(), r"floating"),
        "boolean points": (good > 0.5, r"floating"),
        "complex points": (good.to(torch.complex64), r"floating.*complex"),
        "points with a column too many": (torch.rand(5, columns + 1), rf"\[N, {columns}\]"),
        "a 1D tensor of points": (torch.rand(5), rf"\[N, {'d' if any_columns else columns}\]"),
    }
    if any_columns:
        del cases["points with a column too many"]
    if device:
        cases["points on another device"] = (good.to("meta"), r"device meta")
    for what, (value, pattern) in cases.items():
        refuse(function, what, lambda value=value: call(value), name + ".*" + pattern if name else pattern)
    if empty == "refuse":
        refuse(function, "no points", lambda: call(torch.rand(0, columns)), r"at least one|non-empty")
    elif empty == "accept":
        accept(function, "no points", lambda: call(torch.rand(0, columns)),
               lambda out: len(out[0] if isinstance(out, tuple) else out) == 0)


torch.manual_seed(0)
COORDS = data.grid(8, 8)  # [64, 2]
TARGET = torch.rand(64, 1)
HUGE = 10**7  # a side that needs far more memory than any machine running the tests has
IMAGE = torch.rand(16, 16, 1)
SPHERE, HEART = shapes.sphere(0.5), shapes.heart()
POINTS = torch.rand(32, 3) * 2 - 1
NAN_POINTS = POINTS.clone().index_fill_(0, torch.tensor([3]), math.nan)


def _fit(**changes):
    arguments = dict(model=MLP(2, 8, 0, 1), coords=COORDS, target=TARGET, steps=2, lr=1e-3, progress=False)
    arguments.update(changes)
    return lambda: fit(**arguments)


class Empty(nn.Module):
    def forward(self, x):
        return x


# --- setup and seeds ---------------------------------------------------------------------------------------
module("setup")
refuse("setup", "a negative seed", lambda: nfteach.setup(seed=-1), r"seed must be an integer in \[0, 2\*\*32\)")
refuse("setup", "a seed of 2**40", lambda: nfteach.setup(seed=2**40), r"seed must be an integer")
refuse("setup", "a text seed", lambda: nfteach.setup(seed="a"), r"seed must be an integer.*'a'")
refuse("setup", "0 CPU threads", lambda: nfteach.setup(cpu_threads=0), r"cpu_threads must be a positive integer")
refuse("FourierFeatures", "a negative seed", lambda: FourierFeatures(2, 4, 1.0, seed=-1), r"seed must be None .* or an integer")
refuse("sinusoids", "a float seed", lambda: data.sinusoids([1.0], seed=0.5), r"seed must be None")
refuse("patches", "a text seed", lambda: metrics.patches(IMAGE, seed="a"), r"seed must be None")
accept("sinusoids", "seed None: the session seed", lambda: data.sinusoids([1.0], n=8, seed=None),
       lambda out: torch.equal(out[1], data.sinusoids([1.0], n=8, seed=seeding.session_seed())[1]))

# --- data --------------------------------------------------------------------------------------------------
module("data")
refuse("grid", "infinite bounds", lambda: data.grid(4, bounds=(-math.inf, 1.0)), r"bounds must be finite numbers with lo < hi, got \(-inf, 1.0\)")
refuse("grid", "NaN bounds", lambda: data.grid(4, bounds=(0.0, math.nan)), r"bounds must be finite.*nan")
refuse("grid", "reversed bounds", lambda: data.grid(4, bounds=(1.0, -1.0)), r"lo < hi")
refuse("grid", "text bounds", lambda: data.grid(4, bounds="ab"), r"bounds must be .*numbers")
refuse("grid", "size 0", lambda: data.grid(0, 4), r"each size must be a positive integer, got 0")
refuse("grid", "a negative size", lambda: data.grid(-3), r"positive integer, got -3")
refuse("grid", "a float size", lambda: data.grid(2.5), r"positive integer, got 2.5")
refuse("grid", "a text size", lambda: data.grid("8"), r"positive integer, got '8'")
refuse("grid", "None for a size", lambda: data.grid(None), r"positive integer, got None")
refuse("grid", "four sizes", lambda: data.grid(2, 2, 2, 2), r"1 to 3 sizes")
too_big("grid", "more memory than the machine has", lambda: data.grid(HUGE, HUGE))
too_big("image", "more memory than the machine has", lambda: data.image("camera", size=HUGE))
refuse("image", "size 0", lambda: data.image("camera", size=0), r"size must be a positive integer")
refuse("image", "an unknown name", lambda: data.image("kitten"), r"unknown image name 'kitten'")
refuse("image", "a missing file", lambda: data.image("/nonexistent/picture.png"), r"no image file at", FileNotFoundError)
refuse("image", "a directory", lambda: data.image("/tmp/"), r"no image file at", FileNotFoundError)
refuse("image", "None for the name", lambda: data.image(None), r"name must be a bundled image name or a path")
refuse("image", "a number for the name", lambda: data.image(3), r"name must be")
too_big("sinusoids", "more memory than the machine has", lambda: data.sinusoids([1.0], n=HUGE * HUGE))
refuse("sinusoids", "NaN frequency", lambda: data.sinusoids([1.0, math.nan]), r"freqs must be finite numbers, got 1 NaN or infinite value\(s\) of 2")
refuse("sinusoids", "inf amplitude", lambda: data.sinusoids([1.0], [math.inf]), r"amps must be finite")
refuse("sinusoids", "inf phase", lambda: data.sinusoids([1.0], [1.0], [math.inf]), r"phases must be finite")
refuse("sinusoids", "no frequency", lambda: data.sinusoids([]), r"at least one frequency")
refuse("sinusoids", "text frequencies", lambda: data.sinusoids("abc"), r"freqs must be real numbers")
refuse("sinusoids", "None for freqs", lambda: data.sinusoids(None), r"freqs must be real numbers")
refuse("sinusoids", "complex frequencies", lambda: data.sinusoids([1j]), r"freqs must be real numbers")
refuse("sinusoids", "one amplitude for two frequencies", lambda: data.sinusoids([1, 2], [1.0]), r"amps must have one value per frequency")
refuse("sinusoids", "n = 1", lambda: data.sinusoids([1.0], n=1), r"n must be at least 2")
refuse("sinusoids", "n = 0", lambda: data.sinusoids([1.0], n=0), r"n must be a positive integer")
accept("sinusoids", "numpy frequencies", lambda: data.sinusoids(np.array([1, 2]), n=8), lambda out: out[1].shape == (8, 1))
accept("sinusoids", "integer tensor frequencies", lambda: data.sinusoids(torch.tensor([1, 2]), n=8), lambda out: out[1].shape == (8, 1))
too_big("text_image", "more memory than the machine has", lambda: data.text_image(size=HUGE))
refuse("text_image", "size 0", lambda: data.text_image(size=0), r"size must be a positive integer")
refuse("text_image", "a string for lines", lambda: data.text_image("hello"), r"lines must be a non-empty list of strings")
refuse("text_image", "no lines", lambda: data.text_image([]), r"lines must be a non-empty list")
refuse("held_out_split", "numpy image", lambda: data.held_out_split(IMAGE.numpy()), r"img must be a tensor")
refuse("held_out_split", "a 2D image", lambda: data.held_out_split(IMAGE[..., 0]), r"img must be a tensor \[H, W, C\]")
refuse("held_out_split", "a 1-pixel image", lambda: data.held_out_split(torch.rand(1, 1, 1)), r"H, W >= 2")
refuse("held_out_split", "an integer image", lambda: data.held_out_split((IMAGE * 255).to(torch.uint8)), r"real floating.*uint8")
refuse("chirp", "NaN seconds", lambda: data.chirp(seconds=math.nan), r"seconds must be a positive finite number")
refuse("chirp", "negative seconds", lambda: data.chirp(seconds=-1.0), r"seconds must be a positive finite number")
refuse("chirp", "rate 0", lambda: data.chirp(rate=0), r"rate must be a positive integer")
refuse("chirp", "a harmonic above Nyquist", lambda: data.chirp(f1=2000.0), r"below the Nyquist frequency")
refuse("chirp", "text f0", lambda: data.chirp(f0="a"), r"f0 must be a finite number")
too_big("chirp", "more memory than the machine has", lambda: data.chirp(seconds=1e12))
refuse("clip", "one frame", lambda: data.clip(frames=1), r"frames must be at least 2")
refuse("clip", "a shift leaving the image", lambda: data.clip(shift=(0.2, 0.2)), r"shift\| must be at most 0.25")
refuse("clip", "NaN turn", lambda: data.clip(turn=math.nan), r"turn must be a finite number")
too_big("clip", "more memory than the machine has", lambda: data.clip(frames=10**6, size=10**4))

# --- encodings ---------------------------------------------------------------------------------------------
module("encodings")
refuse("FourierFeatures", "inf scale", lambda: FourierFeatures(2, 4, math.inf), r"scale must be > 0 and finite, got inf")
refuse("FourierFeatures", "NaN scale", lambda: FourierFeatures(2, 4, math.nan), r"scale must be > 0 and finite, got nan")
refuse("FourierFeatures", "text scale", lambda: FourierFeatures(2, 4, "big"), r"scale must be > 0 and finite, got 'big'")
refuse("FourierFeatures", "negative scale", lambda: FourierFeatures(2, 4, -1.0), r"scale must be > 0")
refuse("FourierFeatures", "mapping_size 0", lambda: FourierFeatures(2, 0, 1.0), r"mapping_size must be a positive integer")
refuse("FourierFeatures", "in_features 0", lambda: FourierFeatures(0, 4, 1.0), r"in_features must be a positive integer")
too_big("FourierFeatures", "mapping_size 10**10", lambda: FourierFeatures(2, 10**10, 1.0))
bad_points("FourierFeatures", lambda x: FourierFeatures(5, 4, 1.0)(x), 5, empty="accept")
refuse("FourierFeatures", "float64 coords", lambda: FourierFeatures(2, 4, 1.0)(COORDS.double()), r"coords must have the weights' dtype")
accept("FourierFeatures", "NaN coords propagate to NaN features", lambda: FourierFeatures(3, 4, 1.0)(NAN_POINTS),
       lambda out: bool(out[3].isnan().all()) and bool(out[4:].isfinite().all()))
refuse("FourierFeatures.from_matrix", "NaN in B", lambda: FourierFeatures.from_matrix(torch.tensor([[1.0, math.nan]])), r"B must be finite")
refuse("FourierFeatures.from_matrix", "a 1D B", lambda: FourierFeatures.from_matrix(torch.ones(3)), r"B must be 2D")
refuse("FourierFeatures.from_matrix", "text B", lambda: FourierFeatures.from_matrix("B"), r"B must be real numbers")
refuse("FourierFeatures.from_matrix", "complex B", lambda: FourierFeatures.from_matrix(torch.ones(2, 2, dtype=torch.complex64)), r"B must be real numbers")
accept("FourierFeatures.from_matrix", "a nested list", lambda: FourierFeatures.from_matrix([[1, 0], [0, 1]]), lambda ff: ff.B.shape == (2, 2))
accept("FourierFeatures.from_matrix", "a numpy matrix", lambda: FourierFeatures.from_matrix(np.eye(3)), lambda ff: ff.in_features == 3)
refuse("FourierFeatures.positional", "inf scale", lambda: FourierFeatures.positional(2, 4, math.inf), r"scale must be a positive finite number, got inf")
refuse("FourierFeatures.positional", "in_features 0", lambda: FourierFeatures.positional(0, 4, 10.0), r"in_features must be a positive integer")
refuse("FourierFeatures.positional", "num_frequencies 0", lambda: FourierFeatures.positional(2, 0, 10.0), r"num_frequencies must be a positive integer")
refuse("FourierFeatures.basic", "in_features 0", lambda: FourierFeatures.basic(0), r"in_features must be a positive integer")
refuse("PositionalEncoding", "in_features 0", lambda: PositionalEncoding(0, 4), r"in_features must be a positive integer")
refuse("PositionalEncoding", "negative num_frequencies", lambda: PositionalEncoding(2, -1), r"num_frequencies must be a non-negative integer")
refuse("PositionalEncoding", "num_frequencies that overflow float32", lambda: PositionalEncoding(2, 200), r"at most 126")
bad_points("PositionalEncoding", lambda x: PositionalEncoding(4, 2)(x), 4, empty="accept")
refuse("spatial_hash", "float vertices", lambda: spatial_hash(torch.rand(4, 2), 8), r"vertices must hold integers")
refuse("spatial_hash", "complex vertices", lambda: spatial_hash(torch.ones(4, 2, dtype=torch.complex64), 8), r"vertices must hold integers")
refuse("spatial_hash", "4D vertices", lambda: spatial_hash(torch.ones(4, 4, dtype=torch.long), 8), r"1 ≤ d ≤ 3")
refuse("spatial_hash", "numpy vertices", lambda: spatial_hash(np.ones((4, 2), dtype=np.int64), 8), r"vertices must be an integer tensor")
refuse("spatial_hash", "log2_table_size 33", lambda: spatial_hash(torch.ones(4, 2, dtype=torch.long), 33), r"at most 32")
too_big("HashGrid", "log2_table_size 32 and max_resolution 100000", lambda: HashGrid(log2_table_size=32, max_resolution=100000))
refuse("HashGrid", "log2_table_size 40", lambda: HashGrid(log2_table_size=40, max_resolution=100000), r"log2_table_size must be at most 32")
refuse("HashGrid", "max_resolution below base_resolution", lambda: HashGrid(base_resolution=32, max_resolution=16), r"max_resolution \(16\) must be ≥ base_resolution")
refuse("HashGrid", "4D input", lambda: HashGrid(in_features=4), r"in_features must be 1, 2 or 3")
refuse("HashGrid", "levels 0", lambda: HashGrid(levels=0), r"levels must be a positive integer")
bad_points("HashGrid", lambda x: HashGrid(3, levels=2, log2_table_size=8)(x), 3, empty="accept")

# --- models ------------------------------------------------------------------------------------------------
module("models")
too_big("MLP", "more memory than the machine has", lambda: MLP(2, HUGE, 2, 1))
too_big("Siren", "more memory than the machine has", lambda: Siren(2, HUGE, 2, 1))
refuse("MLP", "hidden_layers -1", lambda: MLP(2, 8, -1, 1), r"hidden_layers must be a non-negative integer, got -1")
refuse("MLP", "hidden_features 0", lambda: MLP(2, 0, 1, 1), r"hidden_features must be a positive integer")
refuse("MLP", "an unknown activation", lambda: MLP(2, 8, 1, 1, activation="swish"), r"activation must be one of")
refuse("MLP", "a shape parameter for ReLU", lambda: MLP(2, 8, 1, 1, a=0.1), r"has no shape parameter")
refuse("MLP", "an encoding that is not a module", lambda: MLP(2, 8, 1, 1, encoding="fourier"), r"encoding must be an nn.Module")
refuse("MLP", "an encoding of another input size", lambda: MLP(2, 8, 1, 1, encoding=FourierFeatures(3, 4, 1.0)), r"encoding takes 3 input features")
refuse("MLP", "numpy coords", lambda: MLP(2, 8, 0, 1)(COORDS.numpy()), r"coords must be a torch.Tensor \[N, 2\], got numpy.ndarray")
bad_points("MLP", lambda x: MLP(2, 8, 0, 1)(x), 2, empty="accept")
refuse("MLP", "float64 coords", lambda: MLP(2, 8, 0, 1)(COORDS.double()), r"coords must have the weights' dtype torch.float32, got torch.float64")
accept("MLP", "NaN coords give NaN in their rows only", lambda: MLP(3, 8, 1, 1)(NAN_POINTS),
       lambda out: bool(out[3].isnan().all()) and bool(out[4:].isfinite().all()))
refuse("Siren", "float64 coords", lambda: Siren(2, 8, 1, 1)(COORDS.double()), r"coords must have the weights' dtype torch.float32, got torch.float64")
bad_points("Siren", lambda x: Siren(2, 8, 1, 1)(x), 2, empty="accept")
refuse("Siren", "inf hidden_omega_0", lambda: Siren(2, 8, 1, 1, hidden_omega_0=math.inf), r"hidden_omega_0 must be a positive finite number, got inf")
refuse("Siren", "hidden_layers -1", lambda: Siren(2, 8, -1, 1), r"hidden_layers must be a non-negative integer")
refuse("Siren", "first_omega_0 0", lambda: Siren(2, 8, 1, 1, first_omega_0=0), r"first_omega_0 must be a positive finite number")
refuse("SineLayer", "inf omega_0", lambda: SineLayer(2, 4, omega_0=math.inf), r"omega_0 must be a positive finite number, got inf")
refuse("SineLayer", "NaN omega_0", lambda: SineLayer(2, 4, omega_0=math.nan), r"omega_0 must be a positive finite number, got nan")
refuse("SineLayer", "in_features 0", lambda: SineLayer(0, 4), r"in_features must be a positive integer")
refuse("Gaussian", "a negative width", lambda: models.Gaussian(-0.1), r"a must be a positive finite number")
refuse("SuperGaussian", "b = 0", lambda: models.SuperGaussian(0.1, 0.0), r"b must be a positive finite number")
refuse("LipschitzLinear", "in_features 0", lambda: LipschitzLinear(0, 4), r"in_features must be a positive integer, got 0")
refuse("LipschitzLinear", "out_features -1", lambda: LipschitzLinear(4, -1), r"out_features must be a positive integer")
refuse("LipschitzMLP", "hidden_layers -1", lambda: LipschitzMLP(2, 8, -1, 1), r"hidden_layers must be a non-negative integer")
bad_points("LipschitzMLP", lambda x: LipschitzMLP(2, 8, 1, 1)(x), 2, empty="accept")
refuse("CPPN", "hidden_layers -1", lambda: CPPN(hidden_layers=-1), r"hidden_layers must be a non-negative integer, got -1")
refuse("CPPN", "an unknown function", lambda: CPPN(functions=("tanh", "relu")), r"functions must be names in")
refuse("CPPN", "a string of functions", lambda: CPPN(functions="tanh"), r"functions must be a list of names")
refuse("CPPN", "scale 0", lambda: CPPN(scale=0), r"scale must be a positive finite number")
too_big("CPPN", "more memory than the machine has", lambda: CPPN(hidden_features=HUGE, hidden_layers=3))
refuse("CPPN", "a z of the wrong size", lambda: CPPN(latent_size=4)(COORDS, torch.zeros(3)), r"z must have shape \[4\]")
refuse("CPPN", "a numpy z", lambda: CPPN(latent_size=4)(COORDS, np.zeros(4)), r"z must be a floating torch.Tensor")
bad_points("CPPN", lambda x: CPPN()(x), 2, empty="accept")
refuse("gradient", "numpy coords", lambda: models.gradient(MLP(2, 8, 0, 1), COORDS.numpy()), r"coords must be a torch.Tensor.*torch.as_tensor")
refuse("gradient", "integer coords", lambda: models.gradient(MLP(2, 8, 0, 1), COORDS.long()), r"coords must be a real floating tensor")
refuse("gradient", "a model with 3 outputs", lambda: models.gradient(MLP(2, 8, 0, 3), COORDS), r"one value per point \[N, 1\], got \[64, 3\]")
refuse("gradient", "a model that is not callable", lambda: models.gradient("net", COORDS), r"model must be a network")
refuse("laplacian", "numpy coords", lambda: models.laplacian(MLP(2, 8, 0, 1), COORDS.numpy()), r"coords must be a torch.Tensor")
refuse("layer_outputs", "a model without net", lambda: models.layer_outputs(Empty(), COORDS), r"nn.Sequential `net`")
refuse("layer_outputs", "numpy coords", lambda: models.layer_outputs(MLP(2, 8, 0, 1), COORDS.numpy()), r"coords must be a torch.Tensor")
refuse("count_parameters", "not a model", lambda: models.count_parameters(3), r"model must be a network")

# --- losses ------------------------------------------------------------------------------------------------
module("losses")
refuse("eikonal_residual", "numpy gradients", lambda: losses.eikonal_residual(np.ones((4, 3))), r"grad must be a torch.Tensor.*torch.as_tensor")
refuse("eikonal_residual", "1D gradients", lambda: losses.eikonal_residual(torch.ones(4)), r"grad must be \[N, d\]")
bad_points("eikonal_loss", lambda x: losses.eikonal_loss(MLP(3, 8, 0, 1), x), 3, device=False, any_columns=True)
refuse("siren_sdf_terms", "numpy surface", lambda: losses.siren_sdf_terms(MLP(3, 8, 0, 1), POINTS.numpy(), POINTS, POINTS), r"surface must be a torch.Tensor")
refuse("siren_sdf_terms", "normals of another shape", lambda: losses.siren_sdf_terms(MLP(3, 8, 0, 1), POINTS, POINTS[:4], POINTS), r"one normal per surface point")
refuse("siren_sdf_terms", "no surface points", lambda: losses.siren_sdf_terms(MLP(3, 8, 0, 1), POINTS[:0], POINTS[:0], POINTS), r"at least one point")
refuse("siren_sdf_terms", "off-surface points of another dimension", lambda: losses.siren_sdf_terms(MLP(3, 8, 0, 1), POINTS, POINTS, COORDS), r"off_surface must have shape \[N, 3\]")
refuse("SirenSdfLoss", "an unknown weight", lambda: losses.SirenSdfLoss(weights={"curvature": 1.0}), r"weights may name")
refuse("SirenSdfLoss", "a negative weight", lambda: losses.SirenSdfLoss(weights={"eikonal": -1.0}), r"weights\['eikonal'\] must be a finite number ≥ 0")
refuse("SirenSdfLoss", "a NaN weight", lambda: losses.SirenSdfLoss(weights={"normal": math.nan}), r"weights\['normal'\] must be a finite number")
refuse("SirenSdfLoss", "bound 0", lambda: losses.SirenSdfLoss(bound=0), r"bound must be a positive finite number")
refuse("clamped_l1", "numpy pred", lambda: losses.clamped_l1(np.zeros((4, 1)), torch.zeros(4, 1)), r"pred must be a torch.Tensor")
refuse("clamped_l1", "shapes that would broadcast", lambda: losses.clamped_l1(torch.zeros(4, 1), torch.zeros(4)), r"same shape")
refuse("clamped_l1", "empty tensors", lambda: losses.clamped_l1(torch.zeros(0, 1), torch.zeros(0, 1)), r"at least one value")
refuse("clamped_l1", "delta 0", lambda: losses.clamped_l1(torch.zeros(4, 1), torch.zeros(4, 1), 0.0), r"delta must be a positive finite number")

# --- metrics -----------------------------------------------------------------------------------------------
module("metrics")
refuse("psnr", "data_range 0", lambda: metrics.psnr(TARGET, TARGET, 0.0), r"data_range must be a positive finite number, got 0.0")
refuse("psnr", "data_range inf", lambda: metrics.psnr(TARGET, TARGET, math.inf), r"data_range must be a positive finite number, got inf")
refuse("psnr", "text data_range", lambda: metrics.psnr(TARGET, TARGET, "1"), r"data_range must be a positive finite number")
refuse("psnr", "empty tensors", lambda: metrics.psnr(torch.zeros(0), torch.zeros(0)), r"at least one value")
refuse("psnr", "complex tensors", lambda: metrics.psnr(torch.ones(4, dtype=torch.complex64), torch.zeros(4, dtype=torch.complex64)), r"pred must be real.*complex64")
refuse("psnr", "NaN in pred", lambda: metrics.psnr(TARGET.clone().fill_(math.nan), TARGET), r"must be finite numbers.*NaN")
refuse("psnr", "numpy pred", lambda: metrics.psnr(TARGET.numpy(), TARGET), r"pred must be a torch.Tensor")
refuse("psnr", "shapes that would broadcast", lambda: metrics.psnr(TARGET, TARGET[:, 0]), r"same shape")
accept("psnr", "uint8 images", lambda: metrics.psnr(torch.zeros(4, dtype=torch.uint8), torch.ones(4, dtype=torch.uint8)), lambda v: v == 0.0)
accept("psnr", "identical inputs give inf", lambda: metrics.psnr(TARGET, TARGET), lambda v: v == math.inf)
refuse("psnr_from_mse", "a negative MSE", lambda: metrics.psnr_from_mse(-1.0), r"mse must be a finite number ≥ 0")
refuse("psnr_from_mse", "NaN MSE", lambda: metrics.psnr_from_mse(math.nan), r"mse must be a finite number")
refuse("iou", "NaN threshold", lambda: metrics.iou(torch.ones(4), torch.ones(4), threshold=math.nan), r"threshold must be a finite number, got nan")
refuse("iou", "two empty lists", lambda: metrics.iou([], []), r"must be a non-empty array")
refuse("iou", "different lengths", lambda: metrics.iou(torch.ones(4), torch.ones(5)), r"one value per point")
refuse("iou", "text occupancies", lambda: metrics.iou(["a", "b"], ["a", "b"]), r"pred must hold real numbers")
refuse("iou", "NaN occupancies", lambda: metrics.iou(torch.tensor([math.nan, 1.0]), torch.ones(2)), r"pred must be finite")
refuse("iou", "complex occupancies", lambda: metrics.iou(np.ones(3) * 1j, np.ones(3)), r"pred must hold real numbers.*complex")
accept("iou", "booleans", lambda: metrics.iou(torch.tensor([True, False]), torch.tensor([True, True])), lambda v: v == 0.5)
accept("iou", "numpy logits > 0", lambda: metrics.iou(np.array([1.0, -1.0]) > 0, np.array([1.0, 1.0]) > 0), lambda v: v == 0.5)
refuse("chamfer_l1", "no points", lambda: metrics.chamfer_l1(np.zeros((0, 3)), POINTS), r"non-empty")
refuse("chamfer_l1", "different dimensions", lambda: metrics.chamfer_l1(POINTS, COORDS), r"b must be a non-empty array \[N, 3\]")
refuse("chamfer_l1", "NaN points", lambda: metrics.chamfer_l1(NAN_POINTS, POINTS), r"a must be finite")
refuse("chamfer_l1", "text", lambda: metrics.chamfer_l1("abc", POINTS), r"a must hold real numbers")
refuse("chamfer_l1", "None", lambda: metrics.chamfer_l1(None, POINTS), r"a must hold real numbers")
accept("chamfer_l1", "numpy and torch mixed", lambda: metrics.chamfer_l1(POINTS.numpy(), POINTS), lambda v: v == 0.0)
accept("chamfer_l2", "a list of points", lambda: metrics.chamfer_l2(POINTS.tolist(), POINTS), lambda v: v == 0.0)
refuse("chamfer_l2", "complex points", lambda: metrics.chamfer_l2(POINTS.to(torch.complex64), POINTS), r"a must hold real numbers")
refuse("normal_consistency", "zero normals", lambda: metrics.normal_consistency(POINTS, torch.zeros(32, 3), POINTS, torch.ones(32, 3)), r"normals_a must be non-zero vectors")
refuse("normal_consistency", "one normal short", lambda: metrics.normal_consistency(POINTS, POINTS[:-1], POINTS, POINTS), r"one normal per point")
refuse("normal_consistency", "2D points", lambda: metrics.normal_consistency(COORDS, COORDS, COORDS, COORDS), r"points_a must be a non-empty array \[N, 3\]")
refuse("patches", "numpy image", lambda: metrics.patches(IMAGE.numpy()), r"image must be a torch.Tensor.*torch.as_tensor")
refuse("patches", "a 4D image", lambda: metrics.patches(IMAGE[None]), r"image must be a tensor \[H, W\] or \[H, W, C\]")
refuse("patches", "a patch larger than the image", lambda: metrics.patches(IMAGE, size=32), r"smaller than a 32×32 patch")
refuse("patches", "count 0", lambda: metrics.patches(IMAGE, count=0), r"count must be a positive integer")
refuse("patches", "a complex image", lambda: metrics.patches(IMAGE.to(torch.complex64)), r"image must be real")
too_big("patches", "count 10**10", lambda: metrics.patches(IMAGE, count=10**10))
refuse("sliced_wasserstein", "empty point clouds", lambda: metrics.sliced_wasserstein(torch.zeros(0, 3), torch.zeros(0, 3)), r"a must hold at least one point")
refuse("sliced_wasserstein", "numpy points", lambda: metrics.sliced_wasserstein(POINTS.numpy(), POINTS), r"a must be a torch.Tensor")
refuse("sliced_wasserstein", "different dimensions", lambda: metrics.sliced_wasserstein(POINTS, COORDS), r"expected \[N, D\] and \[M, D\]")
refuse("sliced_wasserstein", "integer points", lambda: metrics.sliced_wasserstein(POINTS.long(), POINTS), r"a must be a real floating tensor")
refuse("sliced_wasserstein", "projections 0", lambda: metrics.sliced_wasserstein(POINTS, POINTS, projections=0), r"projections must be a positive integer")
too_big("sliced_wasserstein", "projections 10**11", lambda: metrics.sliced_wasserstein(POINTS, POINTS, projections=10**11))
refuse("patch_swd", "more scales than the image halves", lambda: metrics.patch_swd(IMAGE, IMAGE, scales=10), r"halved 9 times is below a 7×7 patch")
refuse("patch_swd", "scales 10**10", lambda: metrics.patch_swd(IMAGE, IMAGE, scales=10**10), r"halved")
refuse("patch_swd", "channels that differ", lambda: metrics.patch_swd(IMAGE, torch.rand(16, 16, 3)), r"same channels")
refuse("patch_swd", "a numpy exemplar", lambda: metrics.patch_swd(IMAGE, IMAGE.numpy()), r"exemplar must be a torch.Tensor")
refuse("repetition_score", "min_shift -1", lambda: metrics.repetition_score(IMAGE, min_shift=-1), r"min_shift must be a positive integer")
refuse("repetition_score", "min_shift beyond half the side", lambda: metrics.repetition_score(IMAGE, min_shift=8), r"below half the image side")
refuse("slice_diversity", "one slice", lambda: metrics.slice_diversity(torch.rand(1, 8, 8)), r"at least 2 slices")
refuse("slice_diversity", "complex slices", lambda: metrics.slice_diversity(torch.ones(2, 8, 8, dtype=torch.complex64)), r"slices must be a real floating tensor")
refuse("jacobian_singular_values", "Jacobians [N, 2, 3]", lambda: metrics.jacobian_singular_values(torch.rand(4, 2, 3)), r"expected Jacobians \[N, 3, 2\]")
refuse("jacobian_singular_values", "integer Jacobians", lambda: metrics.jacobian_singular_values(torch.ones(4, 3, 2, dtype=torch.long)), r"real floating")
refuse("angle_distortion", "singular values [N]", lambda: metrics.angle_distortion(torch.rand(4)), r"singular_values must have shape \[N, 2\]")
refuse("angle_distortion", "no singular values", lambda: metrics.angle_distortion(torch.rand(0, 2)), r"at least one point")
refuse("area_distortion", "numpy singular values", lambda: metrics.area_distortion(np.ones((4, 2))), r"singular_values must be a torch.Tensor")
too_big("grid_triangles", "resolution 10**6", lambda: metrics.grid_triangles(10**6))
refuse("grid_triangles", "resolution 0", lambda: metrics.grid_triangles(0), r"resolution must be a positive integer")
accept("grid_triangles", "resolution 1 has no triangles", lambda: metrics.grid_triangles(1), lambda t: t.shape == (0, 3))
UV = projects.uv_grid(4)
refuse("triangle_jacobians", "triangles out of range", lambda: metrics.triangle_jacobians(UV, torch.rand(16, 3), metrics.grid_triangles(5)), r"must index the 16 vertices")
refuse("triangle_jacobians", "float triangles", lambda: metrics.triangle_jacobians(UV, torch.rand(16, 3), metrics.grid_triangles(4).float()), r"integer vertex indices")
refuse("triangle_jacobians", "numpy uv", lambda: metrics.triangle_jacobians(UV.numpy(), torch.rand(16, 3), metrics.grid_triangles(4)), r"uv must be a torch.Tensor")
refuse("triangle_jacobians", "uv and points of different lengths", lambda: metrics.triangle_jacobians(UV, torch.rand(15, 3), metrics.grid_triangles(4)), r"must index the 15 vertices|uv \[V, 2\] and points \[V, 3\]")
refuse("flipped_fraction", "no triangles", lambda: metrics.flipped_fraction(torch.rand(16, 3), torch.zeros(0, 3, dtype=torch.long), torch.rand(0, 3)), r"T ≥ 1")
refuse("flipped_fraction", "one normal per vertex", lambda: metrics.flipped_fraction(torch.rand(16, 3), metrics.grid_triangles(4), torch.rand(16, 3)), r"one per triangle")
refuse("correspondence_error", "no points", lambda: metrics.correspondence_error(np.zeros((0, 3)), np.zeros((0, 3))), r"non-empty")
refuse("correspondence_error", "NaN points", lambda: metrics.correspondence_error(NAN_POINTS, POINTS), r"transported must be finite")
refuse("correspondence_error", "shapes that differ", lambda: metrics.correspondence_error(POINTS, POINTS[:4]), r"of one shape")
refuse("level_set_drift", "numpy paths", lambda: metrics.level_set_drift(SPHERE, np.zeros((2, 4, 3)), torch.zeros(2)), r"paths must be a torch.Tensor")
refuse("level_set_drift", "a field that is not callable", lambda: metrics.level_set_drift(3, torch.zeros(2, 4, 3), torch.zeros(2)), r"field must be callable")
refuse("level_set_drift", "one time for two steps", lambda: metrics.level_set_drift(SPHERE, torch.zeros(2, 4, 3), torch.zeros(1)), r"expected paths \[T, N, d\] and times \[T\]")
refuse("primitives_that_matter", "NaN tolerance", lambda: metrics.primitives_that_matter(torch.rand(8, 2), lambda v: v.min(1).values, math.nan), r"tolerance must be a finite number in \[0, 1\]")
refuse("primitives_that_matter", "a compose that is not callable", lambda: metrics.primitives_that_matter(torch.rand(8, 2), "min"), r"compose must be callable")
refuse("primitives_that_matter", "numpy values", lambda: metrics.which_primitives_matter(np.ones((8, 2)), lambda v: v.min(1).values), r"values must be a torch.Tensor")

# --- shapes ------------------------------------------------------------------------------------------------
module("shapes")
bad_points("sphere(0.5)", lambda x: SPHERE(x), 3, empty="accept", device=False)
refuse("sphere", "radius 0", lambda: shapes.sphere(0), r"radius must be a positive finite number")
refuse("sphere", "a 2D center", lambda: shapes.sphere(0.5, center=[0, 0]), r"center must have 3 entries")
refuse("sphere", "a NaN center", lambda: shapes.sphere(0.5, center=[0, math.nan, 0]), r"center must be finite")
refuse("sphere", "a text center", lambda: shapes.sphere(0.5, center="origin"), r"center must be real numbers")
refuse("circle", "radius -1", lambda: shapes.circle(-1), r"radius must be a positive finite number")
refuse("box", "a negative size", lambda: shapes.box([0.3, -0.2, 0.3]), r"half_sizes must be 2 or 3 positive numbers")
refuse("box", "4 sizes", lambda: shapes.box([1, 1, 1, 1]), r"2 or 3 positive numbers")
refuse("box", "None", lambda: shapes.box(None), r"half_sizes must be real numbers")
refuse("rectangle", "3 sizes", lambda: shapes.rectangle([1, 1, 1]), r"half_sizes must have 2 entries")
refuse("rectangle", "a number", lambda: shapes.rectangle(0.5), r"half_sizes must have 2 entries")
refuse("torus", "minor_radius NaN", lambda: shapes.torus(0.5, math.nan), r"minor_radius must be a positive finite number")
refuse("capsule", "a and b equal", lambda: shapes.capsule([0, 0, 0], [0, 0, 0], 0.1), r"a and b must differ")
refuse("capsule", "a and b of different dimensions", lambda: shapes.capsule([0, 0], [0, 0, 1], 0.1), r"b must have 2 entries")
refuse("cylinder", "half_height 0", lambda: shapes.cylinder(0.3, 0), r"half_height must be a positive finite number")
refuse("plane", "a zero normal", lambda: shapes.plane([0, 0, 0]), r"non-zero 2D or 3D vector")
refuse("plane", "a NaN offset", lambda: shapes.plane([0, 1, 0], math.nan), r"offset must be a finite number")
refuse("heart", "size 0", lambda: shapes.heart(0), r"size must be a positive finite number")
refuse("smooth_min", "[4, 1] with [1, 4]", lambda: shapes.smooth_min(torch.zeros(4, 1), torch.zeros(1, 4), 0.1), r"same shape.*no broadcasting")
refuse("smooth_min", "k < 0", lambda: shapes.smooth_min(torch.zeros(4, 1), torch.zeros(4, 1), -0.1), r"k .*must be a finite number ≥ 0")
refuse("smooth_min", "k NaN", lambda: shapes.smooth_min(torch.zeros(4, 1), torch.zeros(4, 1), math.nan), r"k .*must be a finite number")
refuse("smooth_min", "numpy values", lambda: shapes.smooth_min(np.zeros((4, 1)), torch.zeros(4, 1), 0.1), r"a must be a torch.Tensor")
refuse("union", "k < 0", lambda: shapes.union(SPHERE, SPHERE, k=-0.1), r"k must be a smoothing radius ≥ 0")
refuse("union", "k inf", lambda: shapes.union(SPHERE, SPHERE, k=math.inf), r"k must be a smoothing radius ≥ 0, finite")
refuse("union", "2D with 3D", lambda: shapes.union(SPHERE, HEART), r"same dimension")
refuse("intersection", "a tensor for a shape", lambda: shapes.intersection(SPHERE, torch.zeros(3)), r"b must be a Shape")
refuse("difference", "text k", lambda: shapes.difference(SPHERE, SPHERE, k="0.1"), r"k must be a smoothing radius")
refuse("translate", "a 2D offset for a 3D shape", lambda: shapes.translate(SPHERE, [0.1, 0.2]), r"offset must have 3 entries")
refuse("translate", "not a shape", lambda: shapes.translate("sphere", [0, 0, 0]), r"shape must be a Shape")
refuse("scale", "factor 0", lambda: shapes.scale(SPHERE, 0), r"factor must be a positive finite number")
refuse("rotate", "a NaN angle", lambda: shapes.rotate(SPHERE, math.nan), r"angle \(radians\) must be a finite number, got nan")
refuse("rotate", "axis x for a 2D shape", lambda: shapes.rotate(HEART, 0.3, axis="x"), r"turns in its plane, about z")
refuse("rotate", "an unknown axis", lambda: shapes.rotate(SPHERE, 0.3, axis="w"), r"axis must be 'x', 'y' or 'z'")
refuse("rotation_matrix", "an infinite angle", lambda: shapes.rotation_matrix(math.inf), r"angle \(radians\) must be a finite number")
refuse("round", "radius -0.1", lambda: shapes.round(SPHERE, -0.1), r"radius must be a positive finite number")
refuse("onion", "not a shape", lambda: shapes.onion(3, 0.1), r"shape must be a Shape")
refuse("occupancy", "not a shape", lambda: shapes.occupancy(lambda p: p), r"shape must be a Shape")
refuse("tsdf", "truncation 0", lambda: shapes.tsdf(SPHERE, 0), r"truncation must be a positive finite number")
refuse("gradient", "numpy points", lambda: shapes.gradient(SPHERE, POINTS.numpy()), r"points must be a torch.Tensor.*torch.as_tensor")
refuse("gradient", "a field that is not callable", lambda: shapes.gradient(3, POINTS), r"field must be callable")
refuse("padded_bounds", "negative padding", lambda: shapes.padded_bounds(SPHERE, -0.5), r"padding must be a finite number ≥ 0")
refuse("sample_uniform", "n = 0", lambda: shapes.sample_uniform(SPHERE, 0), r"n must be a positive integer")
too_big("sample_uniform", "n = 10**11", lambda: shapes.sample_uniform(SPHERE, 10**11))
refuse("sample_uniform", "not a field", lambda: shapes.sample_uniform("sphere", 10), r"field must be a Field")
too_big("surface_points", "n = 10**11", lambda: shapes.surface_points(SPHERE, 10**11))
refuse("surface_points", "eps 0", lambda: shapes.surface_points(SPHERE, 10, eps=0), r"eps must be a positive finite number")
refuse("sample_near_surface", "no sigmas", lambda: shapes.sample_near_surface(SPHERE, 10, sigmas=()), r"at least one noise scale")
refuse("sample_near_surface", "one sigma, not a list", lambda: shapes.sample_near_surface(SPHERE, 10, sigmas=0.05), r"sigmas must be a list of noise scales")
refuse("sample_near_surface", "a negative sigma", lambda: shapes.sample_near_surface(SPHERE, 10, sigmas=(-0.1,)), r"sigmas must be a positive finite number")
refuse("smooth_min_all", "no fields", lambda: shapes.smooth_min_all(torch.zeros(4, 0), 0.1), r"K ≥ 1")
refuse("smooth_min_all", "numpy values", lambda: shapes.smooth_min_all(np.zeros((4, 2)), 0.1), r"values must be a torch.Tensor")
refuse("smooth_min_all", "k < 0 with one field", lambda: shapes.smooth_min_all(torch.zeros(4, 1), -1.0), r"k .*must be a finite number ≥ 0")

# --- mesh --------------------------------------------------------------------------------------------------
module("mesh")
BOX_MESH = mesh.box_mesh([0.3, 0.3, 0.3])
too_big("sphere_mesh", "subdivisions 11 (≈ 84M faces)", lambda: mesh.sphere_mesh(0.5, subdivisions=11))
refuse("sphere_mesh", "subdivisions -1", lambda: mesh.sphere_mesh(0.5, subdivisions=-1), r"subdivisions must be a non-negative integer")
refuse("sphere_mesh", "radius 0", lambda: mesh.sphere_mesh(0), r"radius must be a positive finite number")
refuse("box_mesh", "a negative size", lambda: mesh.box_mesh([0.3, -0.2, 0.3]), r"half_sizes must be 3 positive numbers")
refuse("box_mesh", "2 sizes", lambda: mesh.box_mesh([0.3, 0.3]), r"half_sizes must have 3 entries")
refuse("box_mesh", "text", lambda: mesh.box_mesh("big"), r"half_sizes must be real numbers")
refuse("torus_mesh", "sections 0", lambda: mesh.torus_mesh(0.5, 0.2, sections=0), r"sections must be a positive integer")
refuse("torus_mesh", "sections 4", lambda: mesh.torus_mesh(0.5, 0.2, sections=4), r"sections must be at least 6")
refuse("torus_mesh", "a negative radius", lambda: mesh.torus_mesh(-0.5, 0.2), r"major_radius must be a positive finite number")
too_big("torus_mesh", "sections 10**6", lambda: mesh.torus_mesh(0.5, 0.2, sections=10**6))
refuse("marching_cubes", "resolution 1", lambda: mesh.marching_cubes(SPHERE, 1), r"resolution must be at least 2")
refuse("marching_cubes", "resolution 2048", lambda: mesh.marching_cubes(SPHERE, 2048), r"GiB", MemoryError)
refuse("marching_cubes", "reversed bounds", lambda: mesh.marching_cubes(SPHERE, 8, bounds=(1, -1)), r"high > low")
refuse("marching_cubes", "NaN bounds", lambda: mesh.marching_cubes(SPHERE, 8, bounds=(-1, math.nan)), r"bounds must be")
refuse("marching_cubes", "text bounds", lambda: mesh.marching_cubes(SPHERE, 8, bounds=("a", "b")), r"bounds must be \(low, high\)")
refuse("marching_cubes", "a NaN level", lambda: mesh.marching_cubes(SPHERE, 8, level=math.nan), r"level must be a finite number")
refuse("marching_cubes", "a level never crossed", lambda: mesh.marching_cubes(SPHERE, 8, level=5.0), r"never crosses level 5")
refuse("marching_cubes", "a field that is not callable", lambda: mesh.marching_cubes("sphere", 8), r"field must be callable")
refuse("marching_cubes", "a field returning [N]", lambda: mesh.marching_cubes(lambda p: p.norm(dim=1), 8), r"returned \[.*\] \(reshape")
refuse("marching_cubes", "a field returning NaN", lambda: mesh.marching_cubes(lambda p: p[:, :1] * math.nan, 8), r"returned NaN")
too_big("grid_points", "resolution 10**5", lambda: mesh.grid_points(10**5))
refuse("grid_points", "resolution 0", lambda: mesh.grid_points(0), r"resolution must be a positive integer")
refuse("signed_distance", "not a mesh", lambda: mesh.signed_distance(SPHERE), r"mesh must be a trimesh.Trimesh")
refuse("contains", "an open mesh", lambda: mesh.contains(mesh.trimesh.Trimesh(BOX_MESH.vertices, BOX_MESH.faces[:-1])), r"not watertight")
refuse("surface_samples", "n = 0", lambda: mesh.surface_samples(BOX_MESH, 0), r"n must be a positive integer")
too_big("surface_samples", "n = 10**11", lambda: mesh.surface_samples(BOX_MESH, 10**11))
refuse("surface_samples", "not a mesh", lambda: mesh.surface_samples(POINTS, 10), r"mesh must be a trimesh.Trimesh")

# --- raytrace ----------------------------------------------------------------------------------------------
module("raytrace")
too_big("camera_rays", "resolution 100000", lambda: raytrace.camera_rays(100000))
refuse("camera_rays", "resolution 0", lambda: raytrace.camera_rays(0), r"height must be a positive integer")
refuse("camera_rays", "a text resolution", lambda: raytrace.camera_rays("64"), r"resolution must be one side or \(height, width\)")
refuse("camera_rays", "three sides", lambda: raytrace.camera_rays((4, 4, 4)), r"resolution must be one side or \(height, width\)")
refuse("camera_rays", "fov 180", lambda: raytrace.camera_rays(8, fov=180), r"fov \(degrees\) must be a finite number in \(0, 180\)")
refuse("camera_rays", "a text fov", lambda: raytrace.camera_rays(8, fov="wide"), r"fov \(degrees\) must be a finite number")
refuse("camera_rays", "eye at the target", lambda: raytrace.camera_rays(8, eye=(0, 0, 0)), r"eye and target must differ")
refuse("camera_rays", "a NaN eye", lambda: raytrace.camera_rays(8, eye=(0, math.nan, 2)), r"eye must be finite")
refuse("camera_rays", "a 2D eye", lambda: raytrace.camera_rays(8, eye=(0, 2)), r"eye must have 3 entries")
refuse("camera_rays", "up along the view", lambda: raytrace.camera_rays(8, eye=(0, 2, 0), up=(0, 1, 0)), r"up must not be parallel")
accept("camera_rays", "a numpy integer resolution", lambda: raytrace.camera_rays(np.int64(4)), lambda rays: rays[0].shape == (16, 3))
O, D = raytrace.camera_rays(4)
refuse("sphere_trace", "numpy origins", lambda: raytrace.sphere_trace(SPHERE, O.numpy(), D), r"origins must be a torch.Tensor")
refuse("sphere_trace", "NaN directions", lambda: raytrace.sphere_trace(SPHERE, O, D.clone().fill_(math.nan)), r"directions must be finite")
refuse("sphere_trace", "origins and directions of different lengths", lambda: raytrace.sphere_trace(SPHERE, O, D[:3]), r"must both be \[R, 3\]")
refuse("sphere_trace", "max_steps 0", lambda: raytrace.sphere_trace(SPHERE, O, D, max_steps=0), r"max_steps must be a positive integer")
refuse("sphere_trace", "a text far", lambda: raytrace.sphere_trace(SPHERE, O, D, far="10"), r"far must be a positive finite number")
refuse("sphere_trace", "a field that is not callable", lambda: raytrace.sphere_trace(None, O, D), r"field must be callable")
accept("sphere_trace", "no rays", lambda: raytrace.sphere_trace(SPHERE, O[:0], D[:0]), lambda trace: len(trace.hit) == 0)
too_big("render", "resolution 100000", lambda: raytrace.render(SPHERE, 100000))
refuse("render", "an unknown shading", lambda: raytrace.render(SPHERE, 4, shading="phong"), r"shading must be 'lambert' or 'normal'")
refuse("render", "a zero light", lambda: raytrace.render(SPHERE, 4, light=(0, 0, 0)), r"light must be a non-zero direction")
refuse("render", "a NaN background", lambda: raytrace.render(SPHERE, 4, background=math.nan), r"background must be a finite number in \[0, 1\]")
refuse("render", "a field returning [N, 3]", lambda: raytrace.render(lambda p: p, 4), r"a field must map points \[N, 3\] to values \[N, 1\]")
refuse("render", "a field that is not callable", lambda: raytrace.render("sphere", 4), r"field must be callable")

# --- nerf --------------------------------------------------------------------------------------------------
module("nerf")
too_big("stratified_samples", "10**9 rays × 10**3 samples", lambda: nerf.stratified_samples(10**9, 1.0, 4.0, 1000))
refuse("stratified_samples", "near > far", lambda: nerf.stratified_samples(4, 4.0, 1.0, 8), r"need 0 ≤ near < far")
refuse("stratified_samples", "text near", lambda: nerf.stratified_samples(4, "1", 4.0, 8), r"near must be a finite number ≥ 0")
refuse("stratified_samples", "NaN far", lambda: nerf.stratified_samples(4, 1.0, math.nan, 8), r"far must be a finite number")
refuse("stratified_samples", "samples 0", lambda: nerf.stratified_samples(4, 1.0, 4.0, 0), r"samples must be a positive integer")
accept("stratified_samples", "zero rays", lambda: nerf.stratified_samples(0, 1.0, 4.0, 8), lambda t: t.shape == (0, 8))
T = nerf.stratified_samples(4, 1.0, 4.0, 8, perturb=False)
refuse("composite", "negative densities", lambda: nerf.composite(-torch.ones(4, 8), torch.rand(4, 8, 3), T), r"sigma must be finite densities ≥ 0")
refuse("composite", "decreasing depths", lambda: nerf.composite(torch.ones(4, 8), torch.rand(4, 8, 3), T.flip(1)), r"t must be finite depths, non-decreasing")
refuse("composite", "NaN densities", lambda: nerf.composite(torch.full((4, 8), math.nan), torch.rand(4, 8, 3), T), r"sigma must be finite densities")
refuse("composite", "rgb without its colour axis", lambda: nerf.composite(torch.ones(4, 8), torch.rand(4, 8), T), r"expected sigma \[R, S\], rgb \[R, S, 3\]")
refuse("composite", "numpy densities", lambda: nerf.composite(np.ones((4, 8)), torch.rand(4, 8, 3), T), r"sigma must be a torch.Tensor")
refuse("composite", "integer depths", lambda: nerf.composite(torch.ones(4, 8), torch.rand(4, 8, 3), T.long()), r"t must be a real floating tensor")
accept("composite", "weights in [0, 1] for valid input", lambda: nerf.composite(torch.rand(4, 8) * 5, torch.rand(4, 8, 3), T),
       lambda out: bool((out[2] >= 0).all()) and bool((out[2].sum(1) <= 1 + 1e-6).all()) and bool(((out[0] >= 0) & (out[0] <= 1)).all()))
refuse("RadianceField", "hidden_features 0", lambda: nerf.RadianceField(hidden_features=0), r"hidden_features must be a positive integer")
refuse("RadianceField", "num_frequencies -1", lambda: nerf.RadianceField(num_frequencies=-1), r"num_frequencies must be a non-negative integer")
bad_points("RadianceField", lambda x: nerf.RadianceField(2, 8, 1)(x), 3, empty="accept")
refuse("Rays", "near > far", lambda: nerf.Rays(near=4.0, far=1.0), r"need 0 ≤ near < far")
refuse("Rays", "a negative near", lambda: nerf.Rays(near=-1.0), r"near must be a finite number ≥ 0")
refuse("Rays", "samples 0", lambda: nerf.Rays(samples=0), r"samples must be a positive integer")
refuse("render_rays", "numpy origins", lambda: nerf.render_rays(nerf.RadianceField(2, 8, 1), O.numpy(), D), r"origins must be a torch.Tensor")
refuse("render_rays", "rays that are not Rays", lambda: nerf.render_rays(nerf.RadianceField(2, 8, 1), O, D, rays=32), r"rays must be a nerf.Rays")
refuse("render_rays", "directions [R, 2]", lambda: nerf.render_rays(nerf.RadianceField(2, 8, 1), O, D[:, :2]), r"must both be \[R, 3\]")
refuse("render_view", "a field without parameters", lambda: nerf.render_view(Empty(), O, D), r"field must be an nn.Module with parameters")
refuse("render_view", "chunk 0", lambda: nerf.render_view(nerf.RadianceField(2, 8, 1), O, D, chunk=0), r"chunk must be a positive integer")
refuse("ring_eye", "a NaN angle", lambda: nerf.ring_eye(math.nan), r"angle \(degrees\) must be a finite number")
refuse("ring_eye", "radius 0", lambda: nerf.ring_eye(30.0, radius=0), r"radius must be a positive finite number")
refuse("ring_cameras", "count 0", lambda: nerf.ring_cameras(0), r"count must be a positive integer")
too_big("ring_cameras", "count 10**12", lambda: nerf.ring_cameras(10**12))

# --- spectral ----------------------------------------------------------------------------------------------
module("spectral")
refuse("spectrum", "numpy values", lambda: spectral.spectrum(np.ones(8)), r"values must be a torch.Tensor")
refuse("spectrum", "one sample", lambda: spectral.spectrum(torch.ones(1)), r"N >= 2")
refuse("spectrum", "an image", lambda: spectral.spectrum(torch.ones(8, 8)), r"values must have shape \[N\] or \[N, 1\]")
refuse("spectrum", "complex values", lambda: spectral.spectrum(torch.ones(8, dtype=torch.complex64)), r"values must be real.*complex")
accept("spectrum", "integer values", lambda: spectral.spectrum(torch.ones(8, dtype=torch.long)), lambda out: float(out[1][0]) == 1.0)
refuse("frequency_response", "a fractional frequency", lambda: spectral.frequency_response(torch.rand(16), [1.5]), r"freqs must be integers in \[0, 8\]")
refuse("frequency_response", "a frequency above Nyquist", lambda: spectral.frequency_response(torch.rand(16), [9]), r"freqs must be integers")
refuse("frequency_response", "a NaN frequency", lambda: spectral.frequency_response(torch.rand(16), [math.nan]), r"freqs must be integers")
refuse("frequency_response", "text frequencies", lambda: spectral.frequency_response(torch.rand(16), "12"), r"freqs must be real numbers")
refuse("frequency_response", "one amplitude too many", lambda: spectral.frequency_response(torch.rand(16), [1], [1.0, 1.0]), r"amps must have one value per frequency")
refuse("frequency_response", "NaN amplitudes", lambda: spectral.frequency_response(torch.rand(16), [1], [math.nan]), r"amps must be finite")
refuse("high_frequency_fraction", "cutoff -1", lambda: spectral.high_frequency_fraction(IMAGE, cutoff=-1), r"cutoff .*must be a finite number ≥ 0, got -1")
refuse("high_frequency_fraction", "cutoff NaN", lambda: spectral.high_frequency_fraction(IMAGE, cutoff=math.nan), r"cutoff .*must be a finite number")
refuse("high_frequency_fraction", "a complex image", lambda: spectral.high_frequency_fraction(IMAGE.to(torch.complex64), 4), r"image must be a real floating tensor")
refuse("high_frequency_fraction", "an empty image", lambda: spectral.high_frequency_fraction(torch.zeros(0, 0), 4), r"at least 2×2")
refuse("high_frequency_fraction", "numpy image", lambda: spectral.high_frequency_fraction(IMAGE.numpy(), 4), r"image must be a tensor")

# --- primitives and deepsdf --------------------------------------------------------------------------------
module("primitives")
refuse("Spheres", "count 0", lambda: primitives.Spheres(0), r"count must be a positive integer")
too_big("Spheres", "count 10**11", lambda: primitives.Spheres(10**11))
refuse("Spheres", "a negative extent", lambda: primitives.Spheres(4, extent=-1.0), r"extent must be a positive finite number")
bad_points("Spheres", lambda x: primitives.Spheres(4)(x), 3, empty="accept")

module("deepsdf")
DECODER = deepsdf.SdfDecoder(4, 16, 2)
AUTO = deepsdf.AutoDecoder(3, 4, 16, 2)
SAMPLES = deepsdf.label_samples([POINTS[:4], POINTS[4:8], POINTS[8:12]])
refuse("SdfDecoder", "skip beyond the layers", lambda: deepsdf.SdfDecoder(4, 16, 2, skip=5), r"skip must be a hidden layer in 1..2")
refuse("SdfDecoder", "latent_size 0", lambda: deepsdf.SdfDecoder(0), r"latent_size must be a positive integer")
too_big("SdfDecoder", "hidden_features 10**7", lambda: deepsdf.SdfDecoder(4, HUGE, 2))
bad_points("SdfDecoder", lambda x: DECODER(torch.zeros(5, 4), x), 3, empty="none", name="points")
refuse("SdfDecoder", "one code for many points", lambda: DECODER(torch.zeros(4), POINTS), r"codes must be \[N, 4\].*code.expand\(N, -1\)")
refuse("SdfDecoder", "numpy codes", lambda: DECODER(np.zeros((32, 4)), POINTS), r"codes must be a torch.Tensor")
refuse("SdfDecoder", "float64 codes", lambda: DECODER(torch.zeros(32, 4, dtype=torch.float64), POINTS), r"codes must have the weights' dtype")
refuse("AutoDecoder", "a fractional shape index 0.5", lambda: AUTO(torch.cat([torch.full((4, 1), 0.5), POINTS[:4]], 1)), r"whole numbers in 0..2.*with fractions")
refuse("AutoDecoder", "a shape index too large", lambda: AUTO(deepsdf.label_samples([POINTS[:2]] * 4)), r"whole numbers in 0..2")
refuse("AutoDecoder", "a negative shape index", lambda: AUTO(torch.cat([-torch.ones(4, 1), POINTS[:4]], 1)), r"whole numbers in 0..2")
refuse("AutoDecoder", "samples without the index column", lambda: AUTO(POINTS), r"samples .*must have shape \[N, 4\]")
refuse("AutoDecoder", "num_shapes 0", lambda: deepsdf.AutoDecoder(0), r"num_shapes must be a positive integer")
too_big("AutoDecoder", "num_shapes 10**11", lambda: deepsdf.AutoDecoder(10**11))
accept("AutoDecoder", "whole shape indices", lambda: AUTO(SAMPLES), lambda out: out.shape == (12, 1))
refuse("LatentField", "a code of the wrong size", lambda: deepsdf.LatentField(DECODER, torch.zeros(5)), r"code must be \[4\]")
refuse("LatentField", "a numpy code", lambda: deepsdf.LatentField(DECODER, np.zeros(4)), r"code must be a torch.Tensor")
refuse("LatentField", "not a decoder", lambda: deepsdf.LatentField(MLP(3, 8, 0, 1), torch.zeros(4)), r"decoder must be an SdfDecoder")
refuse("label_samples", "no shapes", lambda: deepsdf.label_samples([]), r"non-empty list of point tensors")
refuse("label_samples", "a tensor, not a list", lambda: deepsdf.label_samples(POINTS), r"non-empty list of point tensors")
refuse("label_samples", "numpy points", lambda: deepsdf.label_samples([POINTS.numpy()]), r"points\[0\] must be a torch.Tensor")
refuse("label_samples", "shapes of different dimensions", lambda: deepsdf.label_samples([POINTS, COORDS]), r"points\[1\] must have shape \[N, 3\]")
refuse("AutoDecoderLoss", "delta 0", lambda: deepsdf.AutoDecoderLoss(delta=0), r"delta must be a positive finite number")
refuse("AutoDecoderLoss", "a negative code_reg", lambda: deepsdf.AutoDecoderLoss(code_reg=-1), r"code_reg must be a finite number ≥ 0")
refuse("reconstruct", "no points", lambda: deepsdf.reconstruct(DECODER, POINTS[:0], torch.zeros(0, 1), steps=2), r"points must hold at least one point")
refuse("reconstruct", "numpy sdf", lambda: deepsdf.reconstruct(DECODER, POINTS, np.zeros((32, 1)), steps=2), r"sdf must be a torch.Tensor")
refuse("reconstruct", "sdf [N]", lambda: deepsdf.reconstruct(DECODER, POINTS, torch.zeros(32), steps=2), r"sdf must have shape \[N, 1\]")
refuse("reconstruct", "one sdf value short", lambda: deepsdf.reconstruct(DECODER, POINTS, torch.zeros(31, 1), steps=2), r"sdf must be \[N, 1\] for N = 32")
refuse("reconstruct", "steps 0", lambda: deepsdf.reconstruct(DECODER, POINTS, torch.zeros(32, 1), steps=0), r"steps must be a positive integer")
refuse("reconstruct", "the auto-decoder instead of its decoder", lambda: deepsdf.reconstruct(AUTO, POINTS, torch.zeros(32, 1), steps=2), r"decoder must be an SdfDecoder \(e.g. model.decoder\)")
refuse("reconstruct", "init_std 0", lambda: deepsdf.reconstruct(DECODER, POINTS, torch.zeros(32, 1), steps=2, init_std=0), r"init_std must be a positive finite number")

# --- mrnet -------------------------------------------------------------------------------------------------
module("mrnet")
NET = mrnet.MRNet("L", 2, 1, 2, 8)
refuse("gaussian_pyramid", "more levels than the image halves", lambda: mrnet.gaussian_pyramid(IMAGE, 6), r"ask for fewer than 6 levels")
refuse("gaussian_pyramid", "a 2D image", lambda: mrnet.gaussian_pyramid(IMAGE[..., 0], 2), r"image must be a tensor \[H, W, C\].*image\[\.\.\., None\]")
refuse("gaussian_pyramid", "a complex image", lambda: mrnet.gaussian_pyramid(IMAGE.to(torch.complex64), 2), r"image must be a real floating tensor")
refuse("laplacian_pyramid", "levels 0", lambda: mrnet.laplacian_pyramid(IMAGE, 0), r"levels must be a positive integer")
refuse("laplacian_pyramid", "sigma NaN", lambda: mrnet.laplacian_pyramid(IMAGE, 2, sigma=math.nan), r"sigma must be a positive finite number")
refuse("lod_weights", "level NaN", lambda: mrnet.lod_weights(math.nan, 3), r"level must be a number in \[0, 3\]")
refuse("lod_weights", "level above the stages", lambda: mrnet.lod_weights(4, 3), r"level must be a number in \[0, 3\]")
refuse("MRNet", "an unknown kind", lambda: mrnet.MRNet("X", 2, 1, 2, 8), r"kind must be one of")
refuse("MRNet", "one ω for two stages", lambda: mrnet.MRNet("L", 2, 1, 2, 8, omegas=[4.0]), r"omegas must hold one ω per stage")
refuse("MRNet", "hidden layers for an S-Net", lambda: mrnet.MRNet("S", 2, 1, 2, 8, hidden_layers=2), r"an S-Net has no hidden layers")
refuse("MRNet", "stages 0", lambda: mrnet.MRNet("L", 2, 1, 0, 8), r"stages must be a positive integer")
bad_points("MRNet", lambda x: NET(x), 2, empty="accept")
refuse("MRNet", "float64 coords", lambda: NET(COORDS.double()), r"coords must have the weights' dtype")
refuse("fit_stages", "a pyramid of the wrong length", lambda: mrnet.fit_stages(NET, [IMAGE], steps=1, lr=1e-3), r"one level per stage \(2\)")
refuse("fit_stages", "not an MR-Net", lambda: mrnet.fit_stages(MLP(2, 8, 0, 1), [IMAGE], steps=1, lr=1e-3), r"net must be an MRNet")
refuse("fit_stages", "a 2D level", lambda: mrnet.fit_stages(NET, [IMAGE[..., 0], IMAGE[..., 0]], steps=1, lr=1e-3), r"pyramid\[0\] must be an image")
refuse("fit_stages", "start beyond the stages", lambda: mrnet.fit_stages(NET, [IMAGE, IMAGE], steps=1, lr=1e-3, start=5), r"start must be a stage index")
refuse("level_samples", "numpy level", lambda: mrnet.level_samples(IMAGE.numpy()), r"level must be a tensor \[h, w, C\]")
refuse("level_for_size", "size 0", lambda: mrnet.level_for_size(3, 0, 128), r"size must be a positive integer")

# --- pde ---------------------------------------------------------------------------------------------------
module("pde")
refuse("gaussian_source", "sigma 0", lambda: pde.gaussian_source(torch.zeros(3, 2), sigma=0.0), r"sigma must be a positive finite number")
refuse("gaussian_source", "3D coords", lambda: pde.gaussian_source(torch.zeros(3, 3)), r"coords must have shape \[N, 2\]")
refuse("pml_stretch", "a layer wider than the half-domain", lambda: pde.pml_stretch(torch.zeros(3, 2), 20.0, width=1.5), r"width must be")
refuse("helmholtz_residual", "a scalar model", lambda: pde.helmholtz_residual(MLP(2, 8, 0, 1), torch.zeros(3, 2), 20.0, torch.zeros(3, 2)), r"\(Re u, Im u\) per point \[N, 2\]")
refuse("helmholtz_residual", "one source value short", lambda: pde.helmholtz_residual(MLP(2, 8, 0, 2), torch.zeros(3, 2), 20.0, torch.zeros(2, 2)), r"one source value per point")
refuse("HelmholtzLoss", "k 0", lambda: pde.HelmholtzLoss(k=0.0), r"k must be a positive finite number")
refuse("relative_error", "shapes differ", lambda: pde.relative_error(torch.zeros(3, 2), torch.zeros(4, 2)), r"same shape")

# --- train -------------------------------------------------------------------------------------------------
module("train")
refuse("fit", "model output 1 value, target 3", _fit(target=torch.rand(64, 3)), r"target's shape \[N, 3\], got \[N, 1\].*out_features=3")
refuse("fit", "model output 3 values, target 1", _fit(model=MLP(2, 8, 0, 3)), r"target's shape \[N, 1\], got \[N, 3\]")
refuse("fit", "NaN in the target", _fit(target=TARGET.clone().index_fill_(0, torch.tensor([3]), math.nan)), r"target must be finite.*1 NaN.*data is broken")
refuse("fit", "inf in the coords", _fit(coords=COORDS.clone().index_fill_(0, torch.tensor([0]), math.inf)), r"coords must be finite.*2 NaN or infinite")
refuse("fit", "zero samples", _fit(coords=COORDS[:0], target=TARGET[:0]), r"at least one sample")
refuse("fit", "data_range 0", _fit(data_range=0), r"data_range must be a positive finite number, got 0")
refuse("fit", "data_range < 0", _fit(data_range=-1.0), r"data_range must be a positive finite number, got -1.0")
refuse("fit", "a model without parameters", _fit(model=Empty()), r"model must be an nn.Module with parameters.*Empty without parameters")
refuse("fit", "not a model", _fit(model=lambda x: x), r"model must be an nn.Module.*got function")
refuse("fit", "log_every 0", _fit(log_every=0), r"log_every must be a positive integer, got 0")
refuse("fit", "final_lr 0", _fit(final_lr=0), r"final_lr must be a positive finite number, got 0")
refuse("fit", "lr inf", _fit(lr=math.inf), r"lr must be a positive finite number, got inf")
refuse("fit", "steps 0", _fit(steps=0), r"steps must be a positive integer, got 0")
refuse("fit", "batch_size 0", _fit(batch_size=0), r"batch_size must be a positive integer, got 0")
refuse("fit", "betas (2, 3)", _fit(betas=(2, 3)), r"betas \(β1, β2\) must be a finite number in \[0, 1\), got 2")
refuse("fit", "one beta", _fit(betas=0.9), r"betas must be two numbers")
refuse("fit", "eps 0", _fit(eps=0), r"eps must be a positive finite number")
refuse("fit", "a loss_fn that is not callable", _fit(loss_fn="mse"), r"loss_fn must be a function or None, got str")
refuse("fit", "an on_log that is not callable", _fit(on_log=5), r"on_log must be a function or None")
refuse("fit", "live as text", _fit(live="yes"), r"live must be True, False or a LiveView")
refuse("fit", "a negative seed", _fit(seed=-1), r"seed must be None")
refuse("fit", "numpy coords", _fit(coords=COORDS.numpy()), r"coords must be a torch.Tensor \[N, features\], got numpy.ndarray: convert it with torch.as_tensor")
refuse("fit", "numpy target", _fit(target=TARGET.numpy()), r"target must be a torch.Tensor.*numpy.ndarray")
refuse("fit", "float64 coords", _fit(coords=COORDS.double()), r"coords must have the model's dtype torch.float32, got torch.float64: use coords.to")
refuse("fit", "integer target", _fit(target=TARGET.long()), r"target must have the model's dtype torch.float32, got torch.int64")
refuse("fit", "complex target", _fit(target=TARGET.to(torch.complex64)), r"target must have the model's dtype")
refuse("fit", "a 1D target", _fit(target=TARGET[:, 0]), r"target must be a 2D tensor")
refuse("fit", "coords and target of different lengths", _fit(target=TARGET[:10]), r"same number of samples, got 64 and 10")
accept("fit", "a batch larger than the data trains on all of it", _fit(batch_size=1000), lambda history: len(history.loss) == 2)
refuse("predict", "batch_size 0", lambda: predict(MLP(2, 8, 0, 1), COORDS, batch_size=0), r"batch_size must be a positive integer, got 0")
refuse("predict", "batch_size < 0", lambda: predict(MLP(2, 8, 0, 1), COORDS, batch_size=-4), r"batch_size must be a positive integer, got -4")
refuse("predict", "numpy coords", lambda: predict(MLP(2, 8, 0, 1), COORDS.numpy()), r"coords must be a torch.Tensor.*numpy.ndarray")
refuse("predict", "no coords", lambda: predict(MLP(2, 8, 0, 1), COORDS[:0]), r"at least one point")
refuse("predict", "a model without parameters", lambda: predict(Empty(), COORDS), r"model must be an nn.Module with parameters")
refuse("MLP", "float64 coords through predict", lambda: predict(MLP(2, 8, 0, 1), COORDS.double()), r"coords must have the weights' dtype torch.float32, got torch.float64")
refuse("LiveView", "every_seconds 0", lambda: LiveView(every_seconds=0), r"every_seconds must be a positive finite number")
refuse("LiveView", "a preview that is not callable", lambda: LiveView(preview="image"), r"preview must be a function")

# --- figures and widgets -----------------------------------------------------------------------------------
module("viz")
refuse("image_grid", "no images", lambda: viz.image_grid([]), r"at least one image")
refuse("image_grid", "one title for two images", lambda: viz.image_grid([IMAGE, IMAGE], ["a"]), r"one entry per image")
refuse("image_grid", "a 4D image", lambda: viz.image_grid([IMAGE[None]]), r"image 0 must be \[H, W\] or \[H, W, C\]")
refuse("image_grid", "a complex image", lambda: viz.image_grid([IMAGE.to(torch.complex64)]), r"images\[0\] must be real numbers")
refuse("image_grid", "text for an image", lambda: viz.image_grid(["camera"]), r"images\[0\] must be numbers")
refuse("image_grid", "ncols 0", lambda: viz.image_grid([IMAGE], ncols=-1), r"ncols must be a positive integer")
refuse("results_table", "no rows", lambda: viz.results_table({}), r"at least one row")
refuse("plot_signal", "an image for t", lambda: viz.plot_signal(torch.rand(4, 4), torch.rand(4)), r"t must have shape \[N\] or \[N, 1\]")
refuse("plot_signal", "text for the target", lambda: viz.plot_signal(torch.rand(4), "abcd"), r"target must be numbers")
refuse("plot_response_heatmap", "a response of the wrong shape", lambda: viz.plot_response_heatmap([1, 2], torch.rand(3, 2), [1, 2]), r"response must be \[len\(steps\), len\(freqs\)\]")
refuse("plot_fit_grid", "no rows", lambda: viz.plot_fit_grid(torch.rand(4), [], [], [], []), r"at least one row")
refuse("plot_fields", "no fields", lambda: viz.plot_fields({}), r"at least one field")
refuse("plot_layer_histograms", "no networks", lambda: viz.plot_layer_histograms({}), r"at least one network")

module("viz3d")
too_big("field_slice", "resolution 10**6", lambda: viz3d.field_slice(SPHERE, resolution=10**6))
refuse("field_slice", "bounds (1, -1)", lambda: viz3d.field_slice(SPHERE, bounds=(1, -1)), r"bounds must be \(lo, hi\) with lo < hi")
refuse("field_slice", "NaN bounds", lambda: viz3d.field_slice(SPHERE, bounds=(-1, math.nan)), r"bounds must be a finite number")
refuse("field_slice", "one bound", lambda: viz3d.field_slice(SPHERE, bounds=1.0), r"bounds must be a pair")
refuse("field_slice", "a NaN height", lambda: viz3d.field_slice(SPHERE, z=math.nan), r"z must be a finite number")
refuse("field_slice", "a network without .dim", lambda: viz3d.field_slice(MLP(3, 8, 0, 1)), r"field must be a 2D or 3D field with a .dim.*as_shape")
refuse("field_slice", "resolution 0", lambda: viz3d.field_slice(SPHERE, resolution=0), r"resolution must be a positive integer")
refuse("plot_field_slices", "no fields", lambda: viz3d.plot_field_slices({}), r"at least one field")
refuse("plot_field_slices", "a field, not a mapping", lambda: viz3d.plot_field_slices(HEART), r"fields must be a mapping")
refuse("plot_field_slices", "reversed bounds", lambda: viz3d.plot_field_slices({"heart": HEART}, bounds=(1, -1)), r"lo < hi")
refuse("mesh_figure", "an empty mesh", lambda: viz3d.mesh_figure(mesh.trimesh.Trimesh()), r"non-empty trimesh.Trimesh")
refuse("mesh_static", "points instead of a mesh", lambda: viz3d.mesh_static(POINTS), r"meshes must be a mesh or a mapping")
refuse("points_figure", "2D points", lambda: viz3d.points_figure(COORDS), r"points must be \[N, 3\] points")
refuse("points_static", "NaN points", lambda: viz3d.points_static(NAN_POINTS), r"points must be finite real numbers")
refuse("points_figure", "no points", lambda: viz3d.points_figure(POINTS[:0]), r"N ≥ 1")
refuse("plot_rendering", "an image instead of a Rendering", lambda: viz3d.plot_rendering(IMAGE), r"rendering must be a raytrace.Rendering")

module("widgets")
refuse("slider_explorer", "no sliders", lambda: widgets.slider_explorer(lambda: None, []), r"at least one widget")
refuse("slider_explorer", "draw that is not callable", lambda: widgets.slider_explorer("figure", []), r"draw must be a function")
refuse("slider_explorer", "a number as a slider", lambda: widgets.slider_explorer(lambda k: None, [3]), r"each slider must be an ipywidgets value widget")
refuse("cpu_threads", "0 threads", lambda: widgets.cpu_threads(0).__enter__(), r"count must be a positive integer")

# --- the chapters' rooms -----------------------------------------------------------------------------------
module("explore")
refuse("zoo_run", "a colour image", lambda: activations.zoo_run(torch.rand(16, 16, 3), "gaussian", steps=1), r"img must be an image \[H, H, 1\]")
refuse("zoo_run", "a numpy image", lambda: activations.zoo_run(IMAGE.numpy(), "gaussian", steps=1), r"img must be a torch.Tensor")
refuse("zoo_run", "a non-square image", lambda: activations.zoo_run(torch.rand(16, 8, 1), "gaussian", steps=1), r"img must be an image \[H, H, 1\]")
refuse("derivatives", "numpy x", lambda: activations.derivatives(torch.nn.Tanh(), np.linspace(-1, 1, 5)), r"x must be a real floating torch.Tensor")
refuse("plot_derivatives", "no activations", lambda: activations.plot_derivatives({}), r"non-empty mapping")
refuse("cppn_image", "an unknown mix", lambda: activations.cppn_image(mix="relu"), r"mix must be one of")
refuse("cppn_image", "a NaN z", lambda: activations.cppn_image(z=math.nan), r"z must be a finite number")
too_big("cppn_image", "resolution 10**6", lambda: activations.cppn_image(resolution=10**6))
refuse("cppn_image", "depth -1", lambda: activations.cppn_image(depth=-1), r"depth must be a non-negative integer")
refuse("fourier_1d_run", "sigma 0", lambda: fourier.fourier_1d_run(0), r"sigma must be a positive finite number")
refuse("fourier_1d_run", "n 0", lambda: fourier.fourier_1d_run(2.0, n=0), r"n must be a positive integer")
refuse("hash_grid_run", "a 2D image", lambda: hash_grid.hash_grid_run(IMAGE[..., 0], steps=1), r"img must be an image \[H, H, 1\]")
refuse("level_table", "not a hash grid", lambda: hash_grid.level_table(FourierFeatures(2, 4, 1.0)), r"encoding must be a HashGrid")
refuse("siren_image_run", "a colour image", lambda: siren.siren_image_run(torch.rand(16, 16, 3), steps=1), r"img must be an image \[H, W, 1\]")
refuse("siren_image_run", "a uint8 image", lambda: siren.siren_image_run((IMAGE * 255).to(torch.uint8), steps=1), r"img must be a real floating tensor.*uint8")
refuse("first_step_reaching", "a numpy response", lambda: spectral_bias.first_step_reaching([1, 2], np.ones((2, 1))), r"response must be a torch.Tensor")
refuse("first_step_reaching", "a NaN level", lambda: spectral_bias.first_step_reaching([1, 2], torch.ones(2, 1), math.nan), r"level must be a finite number")
refuse("spectral_bias_run", "text frequencies", lambda: spectral_bias.spectral_bias_run("123", steps=1), r"freqs must be real numbers")
refuse("spectral_bias_run", "depth 1", lambda: spectral_bias.spectral_bias_run([1], depth=1, steps=1), r"at least 2")
refuse("render", "an MR-Net without parameters", lambda: explore_mrnet.render(Empty(), 8), r"net must be a trained nn.Module")
too_big("render", "size 10**6", lambda: explore_mrnet.render(NET, 10**6))
refuse("psnr_by_level", "no pyramid", lambda: explore_mrnet.psnr_by_level(NET, []), r"non-empty list of images")
refuse("resized", "size 0", lambda: explore_mrnet.resized(IMAGE, 0), r"size must be a positive integer")
too_big("resized", "size 10**6", lambda: explore_mrnet.resized(IMAGE, 10**6))
refuse("resized", "a numpy image", lambda: explore_mrnet.resized(IMAGE.numpy(), 8), r"image must be a torch.Tensor")
refuse("sphere_traced_view", "a 2D scene", lambda: explore_nerf.sphere_traced_view(HEART, 0.0, 4), r"scene must be a 3D shapes.Shape")
refuse("training_rays", "no views", lambda: explore_nerf.training_rays([]), r"non-empty list of View")
refuse("evaluate", "no views", lambda: explore_nerf.evaluate(nerf.RadianceField(2, 8, 1), [], nerf.Rays()), r"non-empty list of View")
refuse("as_shape", "not a network", lambda: neural_sdf.as_shape("net"), r"net must be a network")
too_big("eikonal_map", "resolution 10**6", lambda: neural_sdf.eikonal_map(MLP(3, 8, 0, 1), resolution=10**6))
refuse("eikonal_map", "a NaN height", lambda: neural_sdf.eikonal_map(MLP(3, 8, 0, 1), z=math.nan), r"z must be a finite number")
refuse("sdf_samples", "a 2D shape", lambda: neural_sdf.sdf_samples(HEART, 10), r"shape must be a 3D shapes.Shape")
refuse("optimise", "a loss that is not callable", lambda: projects.optimise(3.0, [], 1, 1e-2), r"loss_fn must be a function")
refuse("optimise", "steps 0", lambda: projects.optimise(lambda step: torch.zeros(()), [], 0, 1e-2), r"steps must be a positive integer")
refuse("shuffled", "a numpy texture", lambda: projects.shuffled(IMAGE.numpy()), r"texture must be a torch.Tensor")
too_big("tiled", "size 10**6", lambda: projects.tiled(IMAGE[..., 0], 10**6))
refuse("tiled", "size 0", lambda: projects.tiled(IMAGE[..., 0], 0), r"size must be a positive integer")
refuse("uv_grid", "resolution 1", lambda: projects.uv_grid(1), r"resolution must be at least 2")
too_big("uv_grid", "resolution 10**6", lambda: projects.uv_grid(10**6))
refuse("latitude_longitude", "resolution 1", lambda: projects.latitude_longitude(UV, 1.0, 1), r"resolution must be at least 2")
refuse("slice_points", "a zero normal", lambda: projects.slice_points([0, 0, 0], 0.0, 4), r"normal must be a non-zero 3D vector")
refuse("slice_points", "a 2D normal", lambda: projects.slice_points([0, 1], 0.0, 4), r"normal must have 3 entries")
too_big("slice_points", "size 10**6", lambda: projects.slice_points([0, 0, 1], 0.0, 10**6))
refuse("mesh_sdf_samples", "count 0", lambda: projects.mesh_sdf_samples(BOX_MESH, 0), r"count must be a positive integer")
refuse("growing", "not a shape", lambda: projects.growing("sphere", 1.5), r"shape must be a shapes.Shape")
refuse("family_samples", "count 1", lambda: projects.family_samples(SPHERE, projects.growing(SPHERE, 1.5), 1, 1.5), r"count must be at least 2")
refuse("resolution_study", "a negative volume", lambda: explore_shapes.resolution_study(SPHERE, -1.0, 1.0), r"volume must be a positive finite number")
refuse("torus_measures", "a negative radius", lambda: explore_shapes.torus_measures(-0.5, 0.1), r"major_radius must be a positive finite number")
refuse("union", "a negative k behind blend_scene", lambda: explore_shapes.blend_scene(-0.1), r"k must be a smoothing radius ≥ 0")


@pytest.mark.parametrize("case", CASES, ids=[f"{case.module}: {case.function}: {case.what}" for case in CASES])
def test_each_bad_input_is_refused_clearly_or_handled_correctly(case):
    if case.error is None:
        assert case.expected(case.call()), case.what
    else:
        with pytest.raises(case.error, match=case.expected):
            case.call()


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


def test_the_checks_in_a_training_step_read_shapes_not_values():
    """No extra pass over the data inside a step: a forward pass sees NaN coordinates through (NaN out), and
    ``fit`` refuses them once, before the first step."""
    coords = COORDS.clone().index_fill_(0, torch.tensor([5]), math.nan)
    out = MLP(2, 8, 0, 1)(coords)
    assert bool(out[5].isnan().all()) and bool(out[6:].isfinite().all())
    with pytest.raises(ValueError, match=r"fit: coords must be finite"):
        fit(MLP(2, 8, 0, 1), coords, TARGET, steps=1, lr=1e-3, progress=False)
