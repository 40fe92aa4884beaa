import math

import pytest
import torch

from nfteach.models import (ACTIVATIONS, EXP_FLOOR, MLP, ExpSin, Gaussian, Laplacian, MultiQuadratic, Quadratic,
                            SuperGaussian)


@pytest.mark.parametrize("activation, formula", [
    (Gaussian(0.3), lambda x: math.exp(-x**2 / (2 * 0.3**2))),
    (SuperGaussian(0.3, b=2.0), lambda x: math.exp(-(x**2 / (2 * 0.3**2)) ** 2)),
    (Quadratic(4.0), lambda x: 1 / (1 + (4 * x) ** 2)),
    (MultiQuadratic(4.0), lambda x: 1 / math.sqrt(1 + (4 * x) ** 2)),
    (Laplacian(0.3), lambda x: math.exp(-abs(x) / 0.3)),
    (ExpSin(4.0), lambda x: math.exp(-math.sin(4 * x))),
])
def test_activations_match_the_papers_table(activation, formula):
    x = torch.linspace(-1.5, 1.5, 31)
    assert torch.allclose(activation(x), torch.tensor([formula(v) for v in x.tolist()]), atol=1e-6)


def test_super_gaussian_is_flat_topped_not_a_narrower_gaussian():
    x = torch.tensor([0.05])
    # near 0, exp(−(x²/2a²)²) stays closer to 1 than a Gaussian of the same width a
    assert SuperGaussian(0.1)(x) > Gaussian(0.1)(x)
    assert SuperGaussian(0.1)(torch.tensor([0.3])) < Gaussian(0.1)(torch.tensor([0.3]))


def test_mlp_takes_every_activation_and_its_parameter():
    for name in ACTIVATIONS:
        net = MLP(2, 16, 1, 1, activation=name)
        assert net(torch.rand(5, 2)).shape == (5, 1)
    net = MLP(2, 16, 1, 1, activation="gaussian", a=0.7)
    assert [m.a for m in net.modules() if isinstance(m, Gaussian)] == [0.7, 0.7]
    with pytest.raises(ValueError, match="activation 'relu' has no shape parameter"):
        MLP(2, 16, 1, 1, activation="relu", a=0.5)
    with pytest.raises(ValueError, match="Gaussian: a must be a positive (finite )?number, got -1"):
        Gaussian(-1)


def test_width_grid_reuses_known_fits(monkeypatch):
    from nfteach.explore import activations as room

    calls = []
    monkeypatch.setattr(room, "zoo_run", lambda img, activation, a, **kwargs: calls.append(a) or room.ZooFit(
        None, img, img, float(a)))
    known = {0.05: room.ZooFit(None, torch.zeros(4, 4, 1), torch.zeros(4, 4, 1), 99.0)}
    _, psnrs = room.width_grid(torch.zeros(4, 4, 1), widths=(0.01, 0.05), known=known)
    assert calls == [0.01] and psnrs == {0.01: 0.01, 0.05: 99.0} and set(known) == {0.01, 0.05}


def test_exp_bumps_are_unchanged_by_the_clamp_on_exps_argument():
    # The clamp at EXP_FLOOR only touches values float32 holds as (almost) zero: below its smallest normal number.
    x = torch.linspace(-3, 3, 6001)
    for bump, exact in ((Gaussian(0.01), lambda x: torch.exp(-0.5 * (x / 0.01) ** 2)),
                        (SuperGaussian(0.05), lambda x: torch.exp(-((0.5 * (x / 0.05) ** 2) ** 2))),
                        (Laplacian(0.01), lambda x: torch.exp(-x.abs() / 0.01))):
        values, reference = bump(x), exact(x)
        assert (values - reference).abs().max() <= math.exp(EXP_FLOOR) < torch.finfo(torch.float32).tiny * 1.5
        assert torch.equal(values[reference > math.exp(EXP_FLOOR)], reference[reference > math.exp(EXP_FLOOR)])
