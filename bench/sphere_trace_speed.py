"""Seconds to sphere-trace chapter 4's analytic scene at 128² and to mesh it by marching cubes at 128³.

    .venv/bin/python bench/sphere_trace_speed.py            # best of 5, one CPU thread

The issue asks for ≤ 1 s per 128² render on a 2-core CPU. Times on a shared CPU are inflated: report `uptime`.
"""

from __future__ import annotations

import time

import nfteach
from nfteach import shapes
from nfteach.mesh import marching_cubes
from nfteach.raytrace import render

SCENE = shapes.union(
    shapes.union(shapes.sphere(0.35, center=[0, 0.15, 0]), shapes.translate(shapes.torus(0.45, 0.12), [0, -0.2, 0]), k=0.1),
    shapes.capsule([-0.5, -0.45, 0], [0.5, 0.45, 0], 0.08), k=0.05)  # as in notebooks/04_occupancy_sdf.ipynb


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


if __name__ == "__main__":
    nfteach.setup(cpu_threads=1)
    rendering = render(SCENE, 128, eye=(0.0, 0.5, 2.2))
    print(f"render 128²: {best_of(5, lambda: render(SCENE, 128, eye=(0.0, 0.5, 2.2))):.3f} s "
          f"(mean {rendering.steps.float().mean():.1f} steps per ray, {int(rendering.steps.max())} at most)")
    print(f"marching cubes 128³: {best_of(5, lambda: marching_cubes(SCENE, 128)):.3f} s")
