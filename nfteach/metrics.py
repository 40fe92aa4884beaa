"""Quality measures for fitted signals (PSNR) and shapes (IoU, Chamfer distances, normal consistency)."""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.spatial import cKDTree

from nfteach._checks import check_positive_number


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB: 10 log10(data_range² / MSE).

    ``data_range`` is max − min of the signal's range: 1 for values in [0, 1], 2 for [−1, 1].
    Identical inputs give ``inf``.
    """
    for name, value in (("pred", pred), ("target", target)):
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"psnr: {name} must be a torch.Tensor, got {type(value).__name__}")
    if pred.shape != target.shape:
        raise ValueError(f"psnr: pred and target must have the same shape, got {list(pred.shape)} and {list(target.shape)}")
    check_positive_number("psnr: data_range", data_range)
    mse = torch.mean((pred.detach().double().cpu() - target.detach().double().cpu()) ** 2).item()
    return psnr_from_mse(mse, data_range)


def psnr_from_mse(mse: float, data_range: float = 1.0) -> float:
    """PSNR in dB of a mean squared error."""
    return math.inf if mse == 0 else 10 * math.log10(data_range**2 / mse)


# --- shapes ----------------------------------------------------------------------------------------------
# Conventions differ between papers; each function names the one it follows.
#   metric              paper / official code                         distances   per direction   combined
#   chamfer_l1          Occupancy Networks (Mescheder et al. 2019)    unsquared   mean            ½ (sum)
#   chamfer_l2          DeepSDF (Park et al. 2019)                    squared     mean            sum
#   normal_consistency  Occupancy Networks                            |n_a · n_b| of nearest pairs, ½ (sum)


def _as_numpy(values, name: str, where: str, columns: int | None = None) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    array = np.asarray(values)
    if columns is not None and (array.ndim != 2 or array.shape[1] != columns or len(array) == 0):
        raise ValueError(f"{where}: {name} must be a non-empty array [N, {columns}], got shape {list(array.shape)}")
    return array.astype(np.float64) if columns is not None else array


def iou(pred_occupancy, true_occupancy, threshold: float = 0.5) -> float:
    """Volumetric intersection over union |P ∩ T| / |P ∪ T| of two occupancies sampled at the same points.

    Inputs ``[N]`` or ``[N, 1]``, booleans or values (occupied where ≥ ``threshold``; pass ``logits > 0``
    for logits). ONet evaluates on 100k points uniform in a box of side 1.1. Two empty shapes give 1.
    """
    pred, true = (_as_numpy(v, n, "iou").reshape(-1) for v, n in ((pred_occupancy, "pred"), (true_occupancy, "true")))
    if pred.shape != true.shape:
        raise ValueError(f"iou: pred and true must hold one value per point, got {pred.size} and {true.size} values")
    pred, true = pred >= threshold, true >= threshold
    union = np.count_nonzero(pred | true)
    return 1.0 if union == 0 else float(np.count_nonzero(pred & true) / union)


def _point_sets(a, b, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Two point sets ``[N, d]`` and ``[M, d]`` with the same d as float64 arrays."""
    a = _as_numpy(a, "a", where)
    columns = a.shape[1] if a.ndim == 2 else 3
    return _as_numpy(a, "a", where, columns), _as_numpy(b, "b", where, columns)


def _nearest(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every point of a: the distance to its nearest point in b and that point's index."""
    return cKDTree(b).query(a, k=1)


def chamfer_l1(a, b) -> float:
    """Chamfer-L1 as in Occupancy Networks: ½(mean_a min_b |a − b| + mean_b min_a |b − a|), unsquared
    Euclidean distances (``[N, d]`` and ``[M, d]`` point sets). The ONet paper's tables print it ×10."""
    a, b = _point_sets(a, b, "chamfer_l1")
    return float(0.5 * (_nearest(a, b)[0].mean() + _nearest(b, a)[0].mean()))


def chamfer_l2(a, b) -> float:
    """Chamfer distance as in DeepSDF: mean_a min_b |a − b|² + mean_b min_a |b − a|², squared distances,
    the two directions summed (``[N, d]`` and ``[M, d]`` point sets)."""
    a, b = _point_sets(a, b, "chamfer_l2")
    return float((_nearest(a, b)[0] ** 2).mean() + (_nearest(b, a)[0] ** 2).mean())


def normal_consistency(points_a, normals_a, points_b, normals_b) -> float:
    """Normal consistency as in Occupancy Networks: for each point its nearest neighbour in the other set,
    the mean of |n · n_nearest| (unit normals, sign ignored), the two directions averaged. 1 = all aligned."""
    where = "normal_consistency"
    pa = _as_numpy(points_a, "points_a", where, 3)
    pb = _as_numpy(points_b, "points_b", where, 3)
    na = _as_numpy(normals_a, "normals_a", where, 3)
    nb = _as_numpy(normals_b, "normals_b", where, 3)
    if len(na) != len(pa) or len(nb) != len(pb):
        raise ValueError(f"{where}: one normal per point expected, got {len(na)} for {len(pa)} and {len(nb)} for {len(pb)}")
    na = na / np.linalg.norm(na, axis=1, keepdims=True).clip(1e-12)
    nb = nb / np.linalg.norm(nb, axis=1, keepdims=True).clip(1e-12)
    to_b, to_a = _nearest(pa, pb)[1], _nearest(pb, pa)[1]
    return float(0.5 * (np.abs((na * nb[to_b]).sum(1)).mean() + np.abs((nb * na[to_a]).sum(1)).mean()))
