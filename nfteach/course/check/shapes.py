"""Chapter 4 (shapes as fields): checks for a box SDF, the smooth union and sphere tracing."""

from __future__ import annotations

import torch

from nfteach.course.check.core import Hint, Verdict, close, drawn, expect_shape, inputs_seed, may_not_call, run, tensor
from nfteach.raytrace import camera_rays, sphere_trace as reference_trace
from nfteach.shapes import box, smooth_min, sphere, union

__all__ = ["box_sdf", "smooth_union", "sphere_trace"]


@may_not_call("nfteach.shapes.box")
def box_sdf(fn) -> Verdict:
    """Check ``fn(points [N, 3], half_sizes [3]) -> [N, 1]`` against :func:`nfteach.shapes.box`."""

    def test(fn):
        torch.manual_seed(inputs_seed(7))
        half = torch.tensor([0.3, 0.5, 0.2])
        points = torch.rand(500, 3) * 2 - 1
        expected = box(half.tolist())(points).double()
        got = tensor(fn(points.clone(), half.clone()), "box_sdf")
        if got.shape == expected.shape[:1]:
            raise Hint("return one value per point as a column [N, 1] (e.g. keepdim=True)")
        expect_shape(got, expected, "one distance per point")
        if close(got, expected):
            return
        q = (points.abs() - half).double()
        outside_only = q.clamp(min=0).norm(dim=-1, keepdim=True)
        if close(got, -expected):
            raise Hint("the sign is flipped: an SDF is negative inside and positive outside")
        if close(got, outside_only):
            raise Hint("inside the box your distance is 0: add the inside part min(max_i q_i, 0)")
        if close(got, q.max(dim=-1, keepdim=True).values):
            raise Hint("max_i q_i is right inside but too small outside near edges and corners: "
                       "outside, the distance is the length of max(q, 0)")
        if close(got, ((points - half).clamp(min=0).norm(dim=-1, keepdim=True)
                       + (points - half).max(dim=-1, keepdim=True).values.clamp(max=0)).double()):
            raise Hint("use the absolute value of the coordinates: q = |p| − b (the box is symmetric)")
        raise Hint(f"values differ from the box's signed distance (largest error {(got - expected).abs().max():.3g})")

    return run("box_sdf", test, fn)


@may_not_call("nfteach.shapes.smooth_min", "nfteach.shapes.union", "nfteach.shapes.smooth_min_all")
def smooth_union(fn) -> Verdict:
    """Check ``fn(a [N, 1], b [N, 1], k) -> [N, 1]`` against :func:`nfteach.shapes.smooth_min`."""

    def test(fn):
        torch.manual_seed(inputs_seed(8))
        a, b, k = torch.randn(400, 1) * 0.3, torch.randn(400, 1) * 0.3, 0.2
        b[0] = a[0]  # where the two shapes' distances are equal
        expected = smooth_min(a, b, k).double()
        got = tensor(fn(a.clone(), b.clone(), k), "smooth_union")
        expect_shape(got, expected, "one value per point, like a and b")
        if not close(got, expected):
            h = (0.5 + 0.5 * (b - a) / k).clamp(0, 1)
            unclamped = 0.5 + 0.5 * (b - a) / k
            if close(got, torch.minimum(a, b)):
                raise Hint("that is the exact min: within k of each other, blend a and b and subtract k·h(1 − h)")
            if close(got, (h * a + (1 - h) * b + k * h * (1 - h)).double()):
                raise Hint("the correction lowers the minimum: subtract k·h(1 − h), do not add it")
            if close(got, (h * b + (1 - h) * a - k * h * (1 - h)).double()):
                raise Hint("a and b are swapped in the mix: h weights a, i.e. h·a + (1 − h)·b")
            if close(got, (unclamped * a + (1 - unclamped) * b - k * unclamped * (1 - unclamped)).double()):
                raise Hint("clamp h to [0, 1]: where |a − b| ≥ k the result must be exactly min(a, b)")
            raise Hint(f"values differ from the smooth minimum (largest error {(got - expected).abs().max():.3g})")
        at_zero = tensor(fn(a.clone(), b.clone(), 0.0), "smooth_union")
        if not close(at_zero, torch.minimum(a, b)):
            raise Hint("k = 0 must give the exact min(a, b) (avoid dividing by k when k is 0)")

    return run("smooth_union", test, fn)


@may_not_call("nfteach.raytrace.sphere_trace", "nfteach.raytrace.render")
def sphere_trace(fn) -> Verdict:
    """Check ``fn(sdf, origins [R, 3], directions [R, 3], max_steps, eps) -> (t [R], hit [R])`` against
    :func:`nfteach.raytrace.sphere_trace` on a small scene."""

    def test(fn):
        scene = union(sphere(0.4, center=[-0.3, 0.0, 0.0]), box([0.25, 0.25, 0.25]), k=0.05)
        eye = torch.tensor([0.0, 0.4, 2.5])
        if drawn():  # in the grader, a camera moved a little for this run: a table of the usual answers fails
            eye += 0.2 * torch.rand(3, generator=torch.Generator().manual_seed(inputs_seed(9))) - 0.1
        origins, directions = camera_rays(24, eye=tuple(eye.tolist()))
        reference = reference_trace(scene, origins, directions, max_steps=64, eps=1e-4)
        result = fn(scene, origins.clone(), directions.clone(), 64, 1e-4)
        if not isinstance(result, tuple) or len(result) != 2:
            raise Hint("return two things: (t, hit)")
        t, hit = tensor(result[0], "sphere_trace's t"), result[1]
        if t.shape != (len(origins),):
            raise Hint(f"t must have one distance per ray, shape [{len(origins)}], got {list(t.shape)} "
                       "(take [:, 0] of the SDF's [R, 1] values)")
        if not isinstance(hit, torch.Tensor) or hit.dtype != torch.bool or hit.shape != t.shape:
            raise Hint("hit must be a bool tensor [R]: True where the ray reached |φ| < eps")
        if not torch.isfinite(t).all():
            raise Hint("t is NaN or infinite for some rays: march forward, t ← t + φ(o + t·d)")
        if (t < -1e-6).any():
            raise Hint("t went negative: march forward, t ← t + φ(o + t·d)")
        if not hit.any():
            raise Hint("no ray hit: step each ray by its distance φ(o + t·d) (the largest safe step) "
                       "and call it a hit when |φ| < eps")
        with torch.no_grad():  # a ray that ends within 10 eps of the surface may fairly be called either way
            grazing = scene(reference.points)[:, 0].abs() < 10 * 1e-4
        wrong = (hit != reference.hit) & ~grazing
        if wrong.any():
            said = "a hit" if bool((hit & wrong).any()) else "a miss"
            raise Hint(f"{int(wrong.sum())} rays are called {said} wrongly: a ray hits where |φ(o + t·d)| < eps, "
                       "not where t stays small; march by φ until then or until the steps run out")
        if not bool((scene(origins + t.float()[:, None] * directions)[:, 0].abs()[hit] < 10 * 1e-4).all()):
            raise Hint("some rays called a hit are not on the surface: stop a ray (keep its t) once |φ| < eps")
        few = reference_trace(scene, origins, directions, max_steps=8, eps=1e-4)  # rays still marching
        result = fn(scene, origins.clone(), directions.clone(), 8, 1e-4)
        if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], torch.Tensor):
            if bool(((result[1] != few.hit) & ~(scene(few.points)[:, 0].abs() < 1e-3)).any()):
                raise Hint("with max_steps=8 some rays are called a hit wrongly: a ray still marching when the steps "
                           "run out has not hit; a hit is |φ(o + t·d)| < eps")
        both = hit & reference.hit
        error = (t[both] - reference.distance[both].double()).abs().max().item()
        if error > 1e-3:
            raise Hint(f"t on the hit rays is off by up to {error:.3g}: stop a ray (keep its t) once it has hit")

    return run("sphere_trace", test, fn)
