"""Occupancy Networks (Mescheder et al., CVPR 2019), conditioned on an observation: a point cloud in, a shape out.

The network is f_θ(p, c) = logit P(p is inside), the code c = g_ψ(X) an encoding of an observed point cloud X.
An encoder (PointNet with ResNet blocks, the official ``ResnetPointnet``) turns X into c in one forward pass; the
decoder (ResNet-FC blocks with conditional batch normalisation, the official ``DecoderCBatchNorm``) reads c
through the scale and shift of every normalisation. Both are trained together with binary cross-entropy on
points drawn uniformly in the unit cube padded by 10 % (occupancy 1 = inside):

    net = OccupancyNetwork(hidden=32, code_size=32)
    logits = net(points, cloud)          # points [B, N, 3], cloud [B, T, 3] → logits [B, N]
    loss = occupancy_bce(logits, occ)    # Σ over the N points, mean over the B shapes

Shapes live in the unit cube [−½, ½]³ as in ONet's data. The auto-decoder of DeepSDF (Park et al. 2019) is
the same decoder with a learned code per training shape instead of an encoder: a new shape then needs an
optimisation (:func:`fit_code`) where the encoder needs one forward pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from nfteach import seeding, shapes
from nfteach._checks import check_number, check_positive_int, check_positive_number, check_tensor

PADDING = 0.1
"""ONet's padding: training and IoU points are uniform in the unit cube grown by 10 %, [−0.55, 0.55]³."""


def padded_cube(padding: float = PADDING) -> tuple[float, float]:
    """The box (low, high) of the unit cube [−½, ½]³ padded by ``padding`` × its side, half on each side."""
    check_number("padded_cube: padding", padding, 0.0)
    half = (1 + padding) / 2
    return -half, half


def sample_padded_cube(n: int, padding: float = PADDING, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` points uniform in the padded unit cube (ONet's training points) → ``[n, 3]``."""
    n = check_positive_int("sample_padded_cube: n", n)
    low, high = padded_cube(padding)
    return low + (high - low) * torch.rand(n, 3, generator=generator or seeding.generator())


# --- the observation and the labels ----------------------------------------------------------------------------


def random_shape(generator: torch.Generator) -> shapes.Shape:
    """One shape of a procedural family in the unit cube: a box, torus, capsule or cylinder of random proportions
    along a random axis and, half the time, a second such part unioned to it off-centre; the whole then scaled
    so its bounding box spans 0.5 to 0.95 of the cube and moved to a random place inside it.

    The stand-in for ShapeNet: every shape is watertight and its occupancy exact (the SDF's sign); like ShapeNet's
    models the parts are axis-aligned (ShapeNet's are in a canonical pose), unlike them they vary in place and size.
    """
    def uniform(low: float, high: float) -> float:
        return low + (high - low) * float(torch.rand(1, generator=generator))

    def part() -> shapes.Shape:
        kind = int(torch.randint(4, (1,), generator=generator))
        if kind == 0:
            body = shapes.box([uniform(0.1, 0.4), uniform(0.1, 0.4), uniform(0.1, 0.4)])
        elif kind == 1:
            major = uniform(0.2, 0.35)
            body = shapes.torus(major, uniform(0.3, 0.5) * major)
        elif kind == 2:
            half = uniform(0.1, 0.3)
            body = shapes.capsule((-half, 0, 0), (half, 0, 0), uniform(0.08, 0.2))
        else:
            body = shapes.cylinder(uniform(0.1, 0.3), uniform(0.1, 0.35))
        turn = int(torch.randint(3, (1,), generator=generator))                # along x, y or z
        return body if turn == 0 else shapes.rotate(body, math.pi / 2, "xz"[turn - 1])

    shape = part()
    if float(torch.rand(1, generator=generator)) < 0.5:
        offset = [uniform(-0.3, 0.3) for _ in range(3)]
        shape = shapes.union(shape, shapes.translate(part(), offset))
    low, high = shape.bounds
    factor = uniform(0.5, 0.95) / float((high - low).max())
    shape = shapes.scale(shapes.translate(shape, (-(low + high) / 2).tolist()), factor)
    room = 0.5 - factor * (high - low) / 2                                      # how far it may move per axis
    return shapes.translate(shape, [uniform(-r, r) for r in room.tolist()])


def point_cloud(shape: shapes.Shape, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` points about uniform on the shape's surface (before noise) → ``[n, 3]``."""
    seed = int(torch.randint(2**62, (1,), generator=generator))
    return shapes.surface_points(shape, n, iterations=4, seed=seed, seeds=4096)[0]


@dataclass
class ShapeData:
    """A family of shapes as ONet stores it: per shape a pool of surface points, and points uniform in the padded
    cube with their occupancy. Each training step subsamples both (:meth:`observe`, :meth:`labels`), as the
    official data loader does.

    ``surface [S, P, 3]``, ``points [S, M, 3]``, ``occupancy [S, M]`` (1 = inside, 0 = outside).
    """

    surface: torch.Tensor
    points: torch.Tensor
    occupancy: torch.Tensor

    @classmethod
    def generate(cls, count: int, surface: int = 512, points: int = 4096, padding: float = PADDING,
                 seed: int | None = None) -> tuple["ShapeData", list[shapes.Shape]]:
        """``count`` shapes of :func:`random_shape`, their data and the shapes themselves (exact SDFs)."""
        count = check_positive_int("ShapeData.generate: count", count)
        generator = seeding.generator(seed)
        family = [random_shape(generator) for _ in range(count)]
        clouds = torch.stack([point_cloud(shape, surface, generator) for shape in family])   # [S, P, 3]
        where = torch.stack([sample_padded_cube(points, padding, generator) for _ in family])  # [S, M, 3]
        inside = torch.stack([shapes.occupancy(shape)(p)[:, 0] for shape, p in zip(family, where)])  # [S, M]
        return cls(clouds, where, inside), family

    def __len__(self) -> int:
        return len(self.surface)

    def observe(self, index: torch.Tensor, n: int, noise: float, generator: torch.Generator) -> torch.Tensor:
        """The observation: ``n`` of each shape's surface points plus N(0, noise²) → ``[B, n, 3]`` (ONet: 300, 0.005)."""
        pick = torch.rand(len(index), self.surface.shape[1], generator=generator).argsort(1)[:, :n]   # [B, n]
        cloud = torch.gather(self.surface[index], 1, pick[..., None].expand(-1, -1, 3))              # [B, n, 3]
        return cloud + noise * torch.randn(cloud.shape, generator=generator)

    def labels(self, index: torch.Tensor, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` of each shape's labelled points: ``[B, n, 3]`` and their occupancy ``[B, n]`` (ONet: 2048)."""
        pick = torch.rand(len(index), self.points.shape[1], generator=generator).argsort(1)[:, :n]  # [B, n]
        return torch.gather(self.points[index], 1, pick[..., None].expand(-1, -1, 3)), torch.gather(self.occupancy[index], 1, pick)


def occupancy_bce(logits: torch.Tensor, occupancy: torch.Tensor) -> torch.Tensor:
    """ONet's loss: BCE with logits, o = 1 inside, summed over each shape's points and averaged over the shapes:
    L = mean_b Σ_i −[o_bi log σ(f_bi) + (1 − o_bi) log(1 − σ(f_bi))]. ``logits``, ``occupancy`` ``[B, N]``."""
    check_tensor(logits, "occupancy_bce: logits", "[B, N]"), check_tensor(occupancy, "occupancy_bce: occupancy", "[B, N]")
    if logits.ndim != 2 or logits.shape != occupancy.shape:
        raise ValueError(f"occupancy_bce: logits and occupancy must both be [B, N], got {list(logits.shape)} and "
                         f"{list(occupancy.shape)}")
    bce = nn.functional.binary_cross_entropy_with_logits(logits, occupancy.to(logits.dtype), reduction="none")
    return bce.sum(-1).mean()


# --- the encoder -----------------------------------------------------------------------------------------------


class ResnetBlockFC(nn.Module):
    """A fully connected ResNet block: y = S x + W₁ ReLU(W₀ ReLU(x)) + b₁, S the identity or a linear shortcut when
    the widths differ. W₁ starts at zero (official): a block starts as its shortcut plus b₁. ``[..., in] → [..., out]``."""

    def __init__(self, size_in: int, size_out: int):
        super().__init__()
        self.fc_0 = nn.Linear(size_in, min(size_in, size_out))
        self.fc_1 = nn.Linear(min(size_in, size_out), size_out)
        self.shortcut = nn.Linear(size_in, size_out, bias=False) if size_in != size_out else nn.Identity()
        nn.init.zeros_(self.fc_1.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + self.fc_1(torch.relu(self.fc_0(torch.relu(x))))


class PointNetEncoder(nn.Module):
    """ONet's ``ResnetPointnet``: c = W_c ReLU(max_t h_t), h = five ResNet blocks over the points, each block after
    the first seeing [h_t, max_t h_t] (every point's feature next to the cloud's max-pooled one).

    The max over points makes c invariant to their order. ``cloud [B, T, 3] → code [B, code_size]``.
    """

    def __init__(self, code_size: int = 32, hidden: int = 32, blocks: int = 5):
        super().__init__()
        check_positive_int("PointNetEncoder: code_size", code_size), check_positive_int("PointNetEncoder: hidden", hidden)
        self.code_size = code_size
        self.fc_pos = nn.Linear(3, 2 * hidden)
        self.blocks = nn.ModuleList(ResnetBlockFC(2 * hidden, hidden) for _ in range(check_positive_int(
            "PointNetEncoder: blocks", blocks)))
        self.fc_c = nn.Linear(hidden, code_size)

    def forward(self, cloud: torch.Tensor) -> torch.Tensor:
        _check_batch(cloud, "PointNetEncoder", "cloud")
        h = self.blocks[0](self.fc_pos(cloud))                                  # [B, T, hidden]
        for block in self.blocks[1:]:
            pooled = h.max(dim=1, keepdim=True).values.expand_as(h)             # [B, T, hidden]
            h = block(torch.cat([h, pooled], dim=2))                            # [B, T, hidden]
        return self.fc_c(torch.relu(h.max(dim=1).values))                       # [B, code_size]


# --- the decoder -----------------------------------------------------------------------------------------------


class CBatchNorm(nn.Module):
    """Conditional batch normalisation (de Vries et al. 2017, as ONet's decoder uses it):
    CBN(x, c) = γ(c) ⊙ (x − μ) / √(σ² + ε) + β(c), with μ, σ² batch norm's statistics over every point of every
    shape and γ(c) = W_γ c + b_γ, β(c) = W_β c + b_β linear in the code. W_γ = W_β = 0, b_γ = 1, b_β = 0 at the
    start (official): plain batch norm. ``x [B, N, features]``, ``code [B, code_size] → [B, N, features]``.
    """

    def __init__(self, code_size: int, features: int):
        super().__init__()
        self.gamma = nn.Linear(code_size, features)
        self.beta = nn.Linear(code_size, features)
        self.norm = nn.BatchNorm1d(features, affine=False)
        nn.init.zeros_(self.gamma.weight), nn.init.ones_(self.gamma.bias)
        nn.init.zeros_(self.beta.weight), nn.init.zeros_(self.beta.bias)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        normed = self.norm(x.reshape(-1, x.shape[-1])).reshape(x.shape)          # [B, N, features]
        return self.gamma(code)[:, None] * normed + self.beta(code)[:, None]    # γ, β: [B, 1, features]


class CResnetBlock(nn.Module):
    """A ResNet-FC block with CBN before each ReLU: y = x + W₁ ReLU(CBN₁(W₀ ReLU(CBN₀(x, c)), c)) + b₁; W₁ starts
    at zero (official ``CResnetBlockConv1d``). ``x [B, N, hidden]``, ``code [B, code_size] → [B, N, hidden]``."""

    def __init__(self, code_size: int, hidden: int):
        super().__init__()
        self.norm_0, self.norm_1 = CBatchNorm(code_size, hidden), CBatchNorm(code_size, hidden)
        self.fc_0, self.fc_1 = nn.Linear(hidden, hidden), nn.Linear(hidden, hidden)
        nn.init.zeros_(self.fc_1.weight)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        h = self.fc_0(torch.relu(self.norm_0(x, code)))                         # [B, N, hidden]
        return x + self.fc_1(torch.relu(self.norm_1(h, code)))


class CbnDecoder(nn.Module):
    """ONet's ``DecoderCBatchNorm``: f(p, c) = W_out ReLU(CBN(h_K, c)), h_0 = W_p p, h_k = CResnetBlock(h_{k−1}, c).
    The point enters once; the code only through the CBN scales and shifts.
    ``points [B, N, 3]``, ``code [B, code_size] → logits [B, N]``.
    """

    def __init__(self, code_size: int = 32, hidden: int = 32, blocks: int = 5):
        super().__init__()
        self.code_size = check_positive_int("CbnDecoder: code_size", code_size)
        check_positive_int("CbnDecoder: hidden", hidden)
        self.fc_p = nn.Linear(3, hidden)
        self.blocks = nn.ModuleList(CResnetBlock(code_size, hidden) for _ in range(check_positive_int(
            "CbnDecoder: blocks", blocks)))
        self.norm = CBatchNorm(code_size, hidden)
        self.fc_out = nn.Linear(hidden, 1)

    def forward(self, points: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        _check_batch(points, "CbnDecoder", "points")
        check_tensor(code, "CbnDecoder: code", f"[B, {self.code_size}]")
        if code.shape != (len(points), self.code_size):
            raise ValueError(f"CbnDecoder: code must be [B, {self.code_size}] for B = {len(points)} shapes, got "
                             f"{list(code.shape)}")
        h = self.fc_p(points)                                                   # [B, N, hidden]
        for block in self.blocks:
            h = block(h, code)
        return self.fc_out(torch.relu(self.norm(h, code)))[..., 0]              # [B, N]


class OccupancyNetwork(nn.Module):
    """The conditional occupancy network: logits f(p, g(X)) of points ``[B, N, 3]`` given clouds ``[B, T, 3]`` →
    ``[B, N]``. The encoder and the decoder share one code size."""

    def __init__(self, code_size: int = 32, hidden: int = 32, encoder_hidden: int = 64, blocks: int = 5):
        super().__init__()
        self.encoder = PointNetEncoder(code_size, encoder_hidden, blocks)
        self.decoder = CbnDecoder(code_size, hidden, blocks)

    def forward(self, points: torch.Tensor, cloud: torch.Tensor) -> torch.Tensor:
        return self.decoder(points, self.encoder(cloud))                        # [B, N]


class OccupancyAutoDecoder(nn.Module):
    """DeepSDF's auto-decoder with ONet's decoder: one trainable code per training shape (an embedding, codes
    ~ N(0, 1/code_size) at the start as DeepSDF's), no encoder. ``points [B, N, 3]``, ``index [B] → [B, N]``."""

    def __init__(self, num_shapes: int, code_size: int = 32, hidden: int = 32, blocks: int = 5):
        super().__init__()
        self.codes = nn.Embedding(check_positive_int("OccupancyAutoDecoder: num_shapes", num_shapes), code_size)
        nn.init.normal_(self.codes.weight, 0.0, 1 / math.sqrt(code_size))
        self.decoder = CbnDecoder(code_size, hidden, blocks)

    def forward(self, points: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return self.decoder(points, self.codes(index))                          # [B, N]


def _check_batch(x, where: str, name: str) -> None:
    check_tensor(x, f"{where}: {name}", "[B, N, 3]")
    if x.ndim != 3 or x.shape[-1] != 3 or not x.is_floating_point():
        raise ValueError(f"{where}: {name} must be a float tensor [B, N, 3] (a batch of 3D point sets), got "
                         f"{list(x.shape)} of {x.dtype}")


# --- training and inference ----------------------------------------------------------------------------------


@dataclass
class OnetLoss:
    """The training step of either model as a ``loss_fn(model, index [B, 1], _)`` for :func:`nfteach.train.fit`:
    the batch's shapes are rows of ``data``; each step draws ``points`` labelled points and (for the encoder) an
    observation of ``observed`` surface points with ``noise`` (ONet: 2048, 300, 0.005); the loss is
    :func:`occupancy_bce`, plus ``code_reg`` · mean ‖z‖ for an auto-decoder (DeepSDF's official regulariser)."""

    data: ShapeData
    points: int = 512
    observed: int = 300
    noise: float = 0.005
    code_reg: float = 1e-4
    seed: int | None = None

    def __post_init__(self) -> None:
        check_positive_int("OnetLoss: points", self.points), check_positive_int("OnetLoss: observed", self.observed)
        check_number("OnetLoss: noise", self.noise, 0.0), check_number("OnetLoss: code_reg", self.code_reg, 0.0)
        self.generator = seeding.generator(self.seed)

    def __call__(self, model: nn.Module, index: torch.Tensor, _target: torch.Tensor) -> torch.Tensor:
        index = index[:, 0].long().cpu()
        device = next(model.parameters()).device
        points, occupancy = (t.to(device) for t in self.data.labels(index, self.points, self.generator))
        if isinstance(model, OccupancyAutoDecoder):
            codes = model.codes(index.to(device))                               # [B, code_size]
            return occupancy_bce(model.decoder(points, codes), occupancy) + self.code_reg * codes.norm(dim=1).mean()
        cloud = self.data.observe(index, self.observed, self.noise, self.generator).to(device)
        return occupancy_bce(model(points, cloud), occupancy)


def shape_indices(count: int) -> torch.Tensor:
    """The rows ``[count, 1]`` (float shape indices) that :func:`nfteach.train.fit` batches for :class:`OnetLoss`."""
    return torch.arange(check_positive_int("shape_indices: count", count), dtype=torch.float32)[:, None]


class CodeField(nn.Module):
    """One shape: p ↦ f(p, c) for a fixed ``code [code_size]``, the decoder in eval mode (batch norm's running
    statistics), a field ``[N, 3] → [N, 1]`` of logits for :func:`nfteach.mesh.marching_cubes` and IoU."""

    def __init__(self, decoder: CbnDecoder, code: torch.Tensor):
        super().__init__()
        check_tensor(code, "CodeField: code", f"[{decoder.code_size}]")
        if code.shape != (decoder.code_size,):
            raise ValueError(f"CodeField: code must be [{decoder.code_size}], got {list(code.shape)}")
        self.decoder = decoder.eval()
        self.register_buffer("code", code.detach().clone())

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.decoder(points[None], self.code[None])[0, :, None]         # [N, 1]


@torch.no_grad()
def encode(net: OccupancyNetwork, cloud: torch.Tensor) -> torch.Tensor:
    """The code of one observed cloud ``[T, 3]`` → ``[code_size]``: one forward pass, in eval mode."""
    _check_batch(cloud[None] if isinstance(cloud, torch.Tensor) else cloud, "encode", "cloud[None]")
    return net.eval().encoder(cloud[None].to(next(net.parameters()).device))[0]


def fit_code(decoder: CbnDecoder, points: torch.Tensor, occupancy: torch.Tensor, steps: int = 800, lr: float = 5e-3,
             init_std: float = 0.01, code_reg: float = 1e-4, seed: int | None = None) -> torch.Tensor:
    """The auto-decoder's inference: a code for a new shape from labelled points ``[N, 3]``, ``occupancy [N]``,
    the decoder frozen (eval mode). DeepSDF's ``reconstruct.py`` recipe with ONet's loss: the code starts
    ~ N(0, init_std²), Adam at ``lr`` divided by 10 half way, loss the BCE averaged over the points (DeepSDF
    averages its L1) + ``code_reg`` · mean(z²). → ``[code_size]``."""
    steps = check_positive_int("fit_code: steps", steps)
    check_positive_number("fit_code: lr", lr), check_positive_number("fit_code: init_std", init_std)
    device = next(decoder.parameters()).device
    points, occupancy = points[None].to(device), occupancy[None].to(device)
    code = (init_std * torch.randn(decoder.code_size, generator=seeding.generator(seed))).to(device).requires_grad_(True)
    optimizer = torch.optim.Adam([code], lr=lr)
    schedule = torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, steps // 2), gamma=0.1)
    decoder.eval()
    for _ in range(steps):
        loss = occupancy_bce(decoder(points, code[None]), occupancy) / points.shape[1] + code_reg * code.pow(2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward(inputs=[code])                                            # the decoder gets no gradient
        optimizer.step()
        schedule.step()
    return code.detach()
