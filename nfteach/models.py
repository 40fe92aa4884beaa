"""Coordinate networks: a plain MLP (optionally behind an encoding) with a zoo of activations, and SIREN."""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from torch import nn

from nfteach import seeding
from nfteach._checks import check_coords, check_memory, check_points, check_positive_int, check_positive_number

class _Shaped(nn.Module):
    """An activation with one shape parameter ``a`` (a width or an inverse width), as in Ramasinghe & Lucey (2022).

    The defaults were picked by a sweep on the 64² camera for :class:`MLP`'s Xavier init and coordinates in [−1, 1]
    (notebook A3); they depend on both, which is the paper's point about sensitivity to a.
    """

    default_a: float = 1.0

    def __init__(self, a: float | None = None):
        super().__init__()
        self.a = check_positive_number(f"{type(self).__name__}: a", self.default_a if a is None else a)

    def extra_repr(self) -> str:
        return f"a={self.a:g}"


EXP_FLOOR = -87.0
"""Where the bumps clamp exp's argument: float32's exp is below its smallest normal number (e^−87.3) past it, so no
value that matters changes, and a CPU's exp stays on its fast path (about 10× slower past it, measured on the
kit's CPU: narrow Gaussians put most pre-activations there)."""


class Gaussian(_Shaped):
    """ψ(x) = exp(−x² / (2a²)): a bump of width a (Ramasinghe & Lucey 2022, Table 1)."""

    default_a = 0.05

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp((-0.5 * (x / self.a) ** 2).clamp(min=EXP_FLOOR))


class SuperGaussian(_Shaped):
    """ψ(x) = exp(−(x² / (2a²))^b): a flat-topped bump of width a; b = 2 here (Ramasinghe & Lucey 2022, Table 1).

    The power sits inside the exponential: [exp(−x²/(2a²))]^b, as the formula is sometimes written, would be only a
    Gaussian of width a/√b.
    """

    default_a = 0.05

    def __init__(self, a: float | None = None, b: float = 2.0):
        super().__init__(a)
        self.b = check_positive_number("SuperGaussian: b", b)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp((-((0.5 * (x / self.a) ** 2) ** self.b)).clamp(min=EXP_FLOOR))


class Quadratic(_Shaped):
    """ψ(x) = 1 / (1 + (a x)²): a Cauchy bump of width 1/a (Ramasinghe & Lucey 2022, Table 1)."""

    default_a = 20.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1 / (1 + (self.a * x) ** 2)


class MultiQuadratic(_Shaped):
    """ψ(x) = 1 / √(1 + (a x)²): a heavier-tailed bump of width 1/a (Ramasinghe & Lucey 2022, Table 1)."""

    default_a = 20.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.rsqrt(1 + (self.a * x) ** 2)


class Laplacian(_Shaped):
    """ψ(x) = exp(−|x| / a): a cusp of width a, not differentiable at 0 (Ramasinghe & Lucey 2022, Table 1)."""

    default_a = 0.05

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp((-x.abs() / self.a).clamp(min=EXP_FLOOR))


class ExpSin(_Shaped):
    """ψ(x) = exp(−sin(a x)): periodic with period 2π/a, but not a sinusoid (Ramasinghe & Lucey 2022, Table 1)."""

    default_a = 4.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(-torch.sin(self.a * x))


ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "gaussian": Gaussian, "super_gaussian": SuperGaussian, "quadratic": Quadratic,
    "multi_quadratic": MultiQuadratic, "laplacian": Laplacian, "exp_sin": ExpSin,
}
"""Hidden activations of :class:`MLP` by name; all but relu and tanh take a shape parameter ``a``."""
OUTPUT_ACTIVATIONS = {None: nn.Identity, "sigmoid": nn.Sigmoid}


class MLP(nn.Module):
    """A coordinate MLP: [encoding] → Linear → act → (Linear → act) × hidden_layers → Linear [→ output act].

    ``hidden_layers`` counts the hidden-to-hidden layers, as in :class:`Siren`, so both models with the same
    arguments have the same widths. ``activation`` is a name in :data:`ACTIVATIONS`; ``a`` is the shape parameter
    of the zoo's activations (None: the class default). Weights follow the baselines of the SIREN code:
    Kaiming-normal for ReLU (fan-in), Xavier-normal for every other activation; biases keep PyTorch's default.
    Input ``[N, in_features]`` → output ``[N, out_features]``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        hidden_layers: int,
        out_features: int,
        activation: str = "relu",
        encoding: nn.Module | None = None,
        output_activation: str | None = None,
        a: float | None = None,
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if a is not None and not issubclass(ACTIVATIONS[activation], _Shaped):
            raise ValueError(f"MLP: activation {activation!r} has no shape parameter, got a={a!r}")
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f"MLP: output_activation must be None or 'sigmoid', got {output_activation!r}")
        self.in_features = check_positive_int("MLP: in_features", in_features)
        check_positive_int("MLP: hidden_features", hidden_features)
        check_positive_int("MLP: hidden_layers", hidden_layers, allow_zero=True)
        check_positive_int("MLP: out_features", out_features)
        if encoding is not None and not isinstance(encoding, nn.Module):
            raise ValueError(f"MLP: encoding must be an nn.Module (e.g. FourierFeatures) or None, got {type(encoding).__name__}")
        if encoding is not None and getattr(encoding, "in_features", in_features) != in_features:
            raise ValueError(f"MLP: encoding takes {encoding.in_features} input features, the MLP {in_features}")
        self.encoding = encoding if encoding is not None else nn.Identity()
        widths = [getattr(encoding, "out_features", in_features)] + [hidden_features] * (hidden_layers + 1)
        _check_size("MLP", widths + [out_features])
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            act = ACTIVATIONS[activation](a) if a is not None else ACTIVATIONS[activation]()
            layers += [nn.Linear(fan_in, fan_out), act]
        layers += [nn.Linear(hidden_features, out_features), OUTPUT_ACTIVATIONS[output_activation]()]
        self.net = nn.Sequential(*layers)
        for layer in self.net:
            if isinstance(layer, nn.Linear):
                _baseline_init(layer.weight, activation)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        check_coords(coords, self.in_features, "MLP", self.net[-2].weight.dtype, self.net[-2].weight.device)
        return self.net(self.encoding(coords))  # [N, out_features]


def _check_size(where: str, widths: list[int]) -> None:
    """Refuse widths whose weights (float32) would not fit in this machine's memory."""
    count = sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(widths[:-1], widths[1:]))
    check_memory(where, f"widths {widths} ({count:,} parameters)", 4 * count)


def _baseline_init(weight: torch.Tensor, activation: str) -> None:
    if activation == "relu":
        nn.init.kaiming_normal_(weight, a=0.0, nonlinearity="relu", mode="fan_in")
    else:
        nn.init.xavier_normal_(weight)


class SineLayer(nn.Module):
    """One SIREN layer: y = sin(ω0 · (Wx + b)) (Sitzmann et al. 2020, eq. 1 and Sec. 3.2).

    Initialisation as in the official code: the first layer draws W ~ U(−1/n, 1/n), every later layer
    W ~ U(−√(6/n)/ω0, √(6/n)/ω0), n = fan-in; biases keep PyTorch's default. Then ω0·Wx has unit-ish
    spread and the pre-activations of every layer stay arcsine/normal distributed, whatever the depth.
    """

    def __init__(self, in_features: int, out_features: int, omega_0: float = 30.0, is_first: bool = False):
        super().__init__()
        check_positive_int("SineLayer: in_features", in_features), check_positive_int("SineLayer: out_features", out_features)
        self.omega_0 = check_positive_number("SineLayer: omega_0", omega_0)
        self.is_first = is_first
        self.linear = nn.Linear(in_features, out_features)
        bound = 1 / in_features if is_first else math.sqrt(6 / in_features) / omega_0
        with torch.no_grad():
            self.linear.weight.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.omega_0 * self.linear(x))  # [N, out_features]


class Siren(nn.Module):
    """SIREN: a sine MLP, Φ(x) = W_n (φ_{n−1} ∘ … ∘ φ_0)(x) + b_n with φ_i(x) = sin(ω0 (W_i x + b_i)).

    Structure and parameter names follow the official code (``net.0.linear.weight`` …), so its state
    dicts load as they are. ``hidden_layers`` counts the hidden-to-hidden sine layers: (2, 256, 3, 1)
    is the paper's image network 2→256→256→256→256→1 with 198,401 parameters. With
    ``outermost_linear=True`` the last layer is linear with the hidden layers' init range.
    Input ``[N, in_features]`` → output ``[N, out_features]``.
    """

    def __init__(
        self,
        in_features: int,
        hidden_features: int,
        hidden_layers: int,
        out_features: int,
        first_omega_0: float = 30.0,
        hidden_omega_0: float = 30.0,
        outermost_linear: bool = True,
    ):
        super().__init__()
        self.in_features = check_positive_int("Siren: in_features", in_features)
        check_positive_int("Siren: hidden_features", hidden_features)
        check_positive_int("Siren: hidden_layers", hidden_layers, allow_zero=True)
        check_positive_int("Siren: out_features", out_features)
        check_positive_number("Siren: first_omega_0", first_omega_0)
        check_positive_number("Siren: hidden_omega_0", hidden_omega_0)
        _check_size("Siren", [in_features] + [hidden_features] * (hidden_layers + 1) + [out_features])
        layers: list[nn.Module] = [SineLayer(in_features, hidden_features, first_omega_0, is_first=True)]
        layers += [SineLayer(hidden_features, hidden_features, hidden_omega_0) for _ in range(hidden_layers)]
        if outermost_linear:
            final = nn.Linear(hidden_features, out_features)
            bound = math.sqrt(6 / hidden_features) / hidden_omega_0
            with torch.no_grad():
                final.weight.uniform_(-bound, bound)
            layers.append(final)
        else:
            layers.append(SineLayer(hidden_features, out_features, hidden_omega_0))
        self.net = nn.Sequential(*layers)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        check_coords(coords, self.in_features, "Siren", self.net[0].linear.weight.dtype, self.net[0].linear.weight.device)
        return self.net(coords)  # [N, out_features]


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    _check_model(model, "count_parameters")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def gradient(model: nn.Module, coords: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    """∇Φ(x) of a scalar field Φ = model by autograd: ``coords [N, d]`` → ``[N, d]``.

    ``create_graph=True`` keeps the graph so that a loss on the gradient can be trained (SIREN's Poisson fit).
    """
    _check_model(model, "gradient"), check_points(coords, "gradient: coords", empty=True)
    coords = coords.detach().requires_grad_(True)
    values = model(coords)  # [N, 1]
    if values.ndim != 2 or values.shape[1] != 1:
        raise ValueError(f"gradient: the model must output one value per point [N, 1], got {list(values.shape)}")
    (grad,) = torch.autograd.grad(values.sum(), coords, create_graph=create_graph)
    return grad  # [N, d]


def laplacian(model: nn.Module, coords: torch.Tensor) -> torch.Tensor:
    """ΔΦ(x) = Σ_i ∂²Φ/∂x_i² of a scalar field by autograd: ``coords [N, d]`` → ``[N, 1]``.

    Zero almost everywhere for a ReLU network (piecewise linear); SIREN's derivatives are SIRENs again.
    """
    _check_model(model, "laplacian"), check_points(coords, "laplacian: coords", empty=True)
    coords = coords.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(coords).sum(), coords, create_graph=True)  # [N, d]
    second = [torch.autograd.grad(grad[:, i].sum(), coords, retain_graph=True)[0][:, i] for i in range(coords.shape[1])]
    return torch.stack(second, dim=1).sum(dim=1, keepdim=True).detach()  # [N, 1]


def _check_model(model, where: str) -> None:
    if not callable(model):
        raise ValueError(f"{where}: model must be a network or a callable field, got {type(model).__name__}")


def layer_outputs(model: nn.Module, coords: torch.Tensor) -> list[torch.Tensor]:
    """The output of every layer of ``model.net`` (an ``nn.Sequential``, as in :class:`Siren` and :class:`MLP`).

    Used to look at activation distributions across depth; returns detached ``[N, width]`` tensors.
    """
    if not isinstance(getattr(model, "net", None), nn.Sequential):
        raise ValueError(f"layer_outputs: the model must keep its layers in an nn.Sequential `net`, got {type(model).__name__}")
    check_points(coords, "layer_outputs: coords", empty=True)
    outputs, x = [], coords
    with torch.no_grad():
        for layer in model.net:
            x = layer(x)
            outputs.append(x)
    return outputs


# --- Lipschitz-regularised MLP (Liu et al. 2022), chapter 5 ----------------------------------------------------


class LipschitzLinear(nn.Module):
    """A linear layer with a trainable Lipschitz bound (Liu et al. 2022, eq. 5):
    y = Ŵx + b with Ŵ = W · min(1, softplus(c) / Σ_j |W_ij|) row by row.

    Every row of Ŵ has absolute sum ≤ softplus(c), so ‖y(x) − y(x')‖∞ ≤ softplus(c)·‖x − x'‖∞.
    Initialised as the official demo (``demos/lipschitz_mlp``): W ~ N(0, 2/in_features) (He-normal), b = 0, and
    c = the largest absolute row sum of W, so at the start Ŵ = W. Input ``[N, in_features]`` → output
    ``[N, out_features]``.
    """

    def __init__(self, in_features: int, out_features: int):
        check_positive_int("LipschitzLinear: in_features", in_features), check_positive_int("LipschitzLinear: out_features", out_features)
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        nn.init.kaiming_normal_(self.linear.weight, nonlinearity="relu")  # std √(2 / in_features)
        nn.init.zeros_(self.linear.bias)
        self.c = nn.Parameter(self.linear.weight.detach().abs().sum(dim=1).max())

    def bound(self) -> torch.Tensor:
        """softplus(c): the layer's Lipschitz bound in the ∞-norm (a scalar tensor, differentiable)."""
        return nn.functional.softplus(self.c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.linear.weight  # [out, in]
        scale = (self.bound() / weight.abs().sum(dim=1)).clamp(max=1.0)  # [out]
        return nn.functional.linear(x, weight * scale[:, None], self.linear.bias)  # [N, out]


class LipschitzMLP(nn.Module):
    """An MLP of :class:`LipschitzLinear` layers with ReLU between them (Liu et al. 2022, "Learning Smooth Neural
    Functions via Lipschitz Regularization"). ReLU is 1-Lipschitz, so the network's Lipschitz constant in the
    ∞-norm is at most Π_i softplus(c_i) (:meth:`lipschitz_bound`); training adds α·Π_i softplus(c_i) to the loss
    (α ≈ 1e-6 in the paper) to keep it small. ``hidden_layers`` counts hidden-to-hidden layers, as in :class:`MLP`.
    Input ``[N, in_features]`` → output ``[N, out_features]``.
    """

    def __init__(self, in_features: int, hidden_features: int, hidden_layers: int, out_features: int):
        super().__init__()
        self.in_features = check_positive_int("LipschitzMLP: in_features", in_features)
        check_positive_int("LipschitzMLP: hidden_features", hidden_features)
        check_positive_int("LipschitzMLP: hidden_layers", hidden_layers, allow_zero=True)
        widths = [in_features] + [hidden_features] * (hidden_layers + 1) + [check_positive_int(
            "LipschitzMLP: out_features", out_features)]
        self.layers = nn.ModuleList(LipschitzLinear(a, b) for a, b in zip(widths[:-1], widths[1:]))

    def lipschitz_bound(self) -> torch.Tensor:
        """Π_i softplus(c_i): a bound on the network's Lipschitz constant (∞-norm), and the regulariser's value."""
        return torch.stack([layer.bound() for layer in self.layers]).prod()

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        weight = self.layers[0].linear.weight
        check_coords(coords, self.in_features, "LipschitzMLP", weight.dtype, weight.device)
        x = coords
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))  # [N, hidden]
        return self.layers[-1](x)  # [N, out_features]


CPPN_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh, "sin": torch.sin, "gaussian": lambda x: torch.exp(-x * x), "abs": torch.abs,
}
"""The node functions a :class:`CPPN` mixes, by name (Stanley 2007 used these and a few more)."""


class CPPN(nn.Module):
    """A compositional pattern-producing network (Stanley 2007): RGB = f(x, y, r, z; θ), r = √(x² + y²).

    A coordinate MLP whose hidden layers cycle through ``functions`` (names in :data:`CPPN_FUNCTIONS`) and whose
    input also holds a latent vector z (the same for every pixel). With random weights θ ~ N(0, scale²/fan_in)
    it is a pattern generator: a new seed or z gives a new pattern, at any resolution. Trained, it is the image
    regression of chapter 2. Input coords ``[N, 2]`` and z ``[latent_size]`` → RGB ``[N, 3]`` in (0, 1).
    """

    def __init__(self, latent_size: int = 4, hidden_features: int = 32, hidden_layers: int = 4,
                 functions: Sequence[str] = ("tanh", "sin", "gaussian"), scale: float = 3.0, seed: int | None = None):
        super().__init__()
        if isinstance(functions, str):
            raise ValueError(f"CPPN: functions must be a list of names in {sorted(CPPN_FUNCTIONS)}, got the string {functions!r}")
        unknown = [name for name in functions if name not in CPPN_FUNCTIONS]
        if not functions or unknown:
            raise ValueError(f"CPPN: functions must be names in {sorted(CPPN_FUNCTIONS)}, got {list(functions)}")
        self.latent_size = check_positive_int("CPPN: latent_size", latent_size, allow_zero=True)
        check_positive_number("CPPN: scale", scale)
        check_positive_int("CPPN: hidden_layers", hidden_layers, allow_zero=True)
        _check_size("CPPN", [3 + latent_size] + [check_positive_int("CPPN: hidden_features", hidden_features)] * hidden_layers + [3])
        self.functions = [CPPN_FUNCTIONS[functions[i % len(functions)]] for i in range(hidden_layers)]
        generator = seeding.generator(seed)
        widths = [3 + latent_size] + [check_positive_int("CPPN: hidden_features", hidden_features)] * hidden_layers + [3]
        self.layers = nn.ModuleList(nn.Linear(fan_in, fan_out) for fan_in, fan_out in zip(widths[:-1], widths[1:]))
        with torch.no_grad():
            for layer in self.layers:
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) * scale / math.sqrt(layer.in_features))
                layer.bias.zero_()

    def forward(self, coords: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        check_coords(coords, 2, "CPPN", self.layers[0].weight.dtype, self.layers[0].weight.device)
        if z is not None and not (isinstance(z, torch.Tensor) and z.is_floating_point()):
            got = f"dtype {z.dtype}" if isinstance(z, torch.Tensor) else type(z).__name__
            raise ValueError(f"CPPN: z must be a floating torch.Tensor [{self.latent_size}], got {got}")
        z = torch.zeros(self.latent_size, device=coords.device) if z is None else z.to(coords.device)
        if z.shape != (self.latent_size,):
            raise ValueError(f"CPPN: z must have shape [{self.latent_size}], got {list(z.shape)}")
        radius = coords.norm(dim=1, keepdim=True)  # [N, 1]
        h = torch.cat([coords, radius, z.expand(len(coords), -1)], dim=1)  # [N, 3 + latent]
        for layer, function in zip(self.layers[:-1], self.functions):
            h = function(layer(h))  # [N, hidden]
        return torch.sigmoid(self.layers[-1](h))  # [N, 3]
