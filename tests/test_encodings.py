import math

import pytest
import torch

from nfteach.encodings import FourierFeatures, PositionalEncoding


def test_positional_encoding_matches_nerf_formula():
    x = torch.tensor([[0.1, -0.3], [0.7, 0.2]])
    encoding = PositionalEncoding(2, 3)
    assert encoding.out_features == 2 * (1 + 2 * 3)
    expected = [x]
    for i in range(3):
        expected += [torch.sin(2**i * math.pi * x), torch.cos(2**i * math.pi * x)]
    assert torch.allclose(encoding(x), torch.cat(expected, dim=1), atol=1e-6)


def test_positional_encoding_without_input():
    encoding = PositionalEncoding(3, 2, include_input=False)
    assert encoding(torch.zeros(5, 3)).shape == (5, encoding.out_features) == (5, 12)


def test_gaussian_fourier_features_match_formula_and_stay_fixed():
    mapping = FourierFeatures(2, 16, scale=10.0, seed=3)
    v = torch.rand(7, 2)
    projected = 2 * math.pi * v @ mapping.B.T
    assert torch.allclose(mapping(v), torch.cat([torch.cos(projected), torch.sin(projected)], 1), atol=1e-5)
    assert mapping.out_features == 32
    assert "B" in dict(mapping.named_buffers()) and not list(mapping.parameters())
    assert torch.equal(mapping.B, FourierFeatures(2, 16, scale=10.0, seed=3).B)


def test_gaussian_scale_is_the_standard_deviation():
    B = FourierFeatures(1, 20000, scale=7.0).B
    assert abs(B.std().item() - 7.0) < 0.15 and abs(B.mean().item()) < 0.15


def test_basic_and_positional_mappings():
    assert torch.equal(FourierFeatures.basic(3).B, torch.eye(3))
    B = FourierFeatures.positional(2, num_frequencies=4, scale=16.0).B
    assert B.shape == (8, 2)
    assert torch.allclose(B[::2, 0], torch.tensor([1.0, 2.0, 4.0, 8.0]))  # σ^(j/m)
    assert torch.all(B[::2, 1] == 0) and torch.allclose(B[1::2, 1], B[::2, 0])


@pytest.mark.parametrize("encoding", [PositionalEncoding(2, 4), FourierFeatures(2, 8, 1.0)])
def test_encodings_reject_wrong_shapes(encoding):
    with pytest.raises(ValueError, match=r"coords must have shape \[N, 2\], got \[5, 3\]"):
        encoding(torch.zeros(5, 3))
    with pytest.raises(ValueError, match="floating"):
        encoding(torch.zeros(5, 2, dtype=torch.long))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="scale must be > 0"):
        FourierFeatures(2, 8, scale=0)
    with pytest.raises(ValueError, match="mapping_size"):
        FourierFeatures(2, 0, scale=1)
    with pytest.raises(ValueError, match="num_frequencies"):
        PositionalEncoding(2, -1)
