"""The checks cannot be passed without doing the task: calling the kit's own implementation, returning NaN,
changing the argument the check hands over, faking a gradient or memorising the answers all fail."""

import math

import numpy as np
import pytest
import torch

from nfteach import data, encodings, losses, metrics, models, mrnet, onet, pde, raytrace, shapes, spectral
from nfteach.course import check
from nfteach.course.check import core

# Each answer hands the task to the kit's reference implementation: the most realistic cheat in a course.
KIT_CHEATS = {
    "sum_of_sinusoids": lambda t, f, a, p: data.sinusoids(f.tolist(), a.tolist(), p.tolist(), n=len(t))[1],
    "spectrum": lambda y: spectral.spectrum(y)[1],
    "frequency_response": lambda y, f, a: spectral.frequency_response(y, f, a),
    "positional_encoding": lambda x, L: encodings.PositionalEncoding(x.shape[1], L)(x),
    "fourier_features": lambda v, B: encodings.FourierFeatures.from_matrix(B)(v),
    "psnr": lambda pred, target, data_range=1.0: metrics.psnr(pred, target, data_range),
    "sine_layer": lambda x, linear, omega_0: models.SineLayer.forward(
        type("Layer", (), {"linear": linear, "omega_0": omega_0})(), x),
    "siren_init": lambda linear, omega_0, is_first: linear.weight.data.copy_(
        models.SineLayer(linear.in_features, linear.out_features, omega_0, is_first).linear.weight),
    "gradient": lambda model, coords: shapes.gradient(model, coords).requires_grad_(),
    "box_sdf": lambda points, half: shapes.box(half.tolist())(points),
    "smooth_union": lambda a, b, k: shapes.smooth_min(a, b, k),
    "sphere_trace": lambda sdf, o, d, steps, eps: _distance_and_hit(raytrace.sphere_trace(sdf, o, d, steps, eps)),
    "eikonal_loss": lambda model, points: losses.eikonal_loss(model, points),
    "clamped_l1": lambda pred, target, delta: losses.clamped_l1(pred, target, delta),
    "lipschitz_linear": lambda x, weight, bias, c: models.LipschitzLinear.forward(_lipschitz(weight, bias, c), x),
    "pyramid_reduce": lambda image: mrnet.gaussian_pyramid(torch.from_numpy(image), 2)[0].numpy(),
    "lod_weights": lambda level, stages: mrnet.lod_weights(level, stages),
    "conditional_batch_norm": lambda x, code, w_gamma, b_gamma, w_beta, b_beta: _cbn(w_gamma, b_gamma, w_beta, b_beta)(x, code),
    "occupancy_bce": lambda logits, occupancy: onet.occupancy_bce(logits, occupancy),
    "bilinear_lookup": lambda grid, position: encodings.grid_lookup(grid, position),
    "triplane_lookup": lambda planes, coords: _triplane(planes)(coords),
    "dense_grid_parameters": lambda *setting: encodings.DenseGrid.parameter_count(*setting),
    "helmholtz_residual": lambda model, coords, k, source: pde.helmholtz_residual(model, coords, k, source, pml_width=0),
    "gaussian_source": lambda coords, center, sigma, amplitude: pde.gaussian_source(coords, center, sigma, amplitude),
}


def _cbn(w_gamma, b_gamma, w_beta, b_beta):
    layer = onet.CBatchNorm(w_gamma.shape[1], w_gamma.shape[0])
    with torch.no_grad():
        layer.gamma.weight.copy_(w_gamma), layer.gamma.bias.copy_(b_gamma)
        layer.beta.weight.copy_(w_beta), layer.beta.bias.copy_(b_beta)
    return layer


def _triplane(planes):
    reference = encodings.TriPlane(planes.shape[-1], planes.shape[1]).double()
    with torch.no_grad():
        reference.planes.copy_(planes)
    return reference


def _lipschitz(weight, bias, c):
    layer = models.LipschitzLinear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.linear.weight.copy_(weight), layer.linear.bias.copy_(bias), layer.c.copy_(c)
    return layer


@pytest.mark.parametrize("task", sorted(KIT_CHEATS))
def test_an_answer_that_calls_the_kits_implementation_fails_at_once_naming_it(task, capsys):
    verdict = getattr(check, task)(KIT_CHEATS[task])
    assert verdict.status == "failed", verdict
    assert "this task asks you to write it yourself; you called nfteach." in verdict.detail, verdict
    assert capsys.readouterr().out.strip() == verdict.message


def test_every_check_with_a_kit_shortcut_declares_it():
    assert set(KIT_CHEATS) <= set(core.MAY_NOT_CALL)
    for names in core.MAY_NOT_CALL.values():
        assert all(core.resolve(name) is not None for name in names), names


def test_switching_the_watch_off_fails_too():
    import sys

    def answer(points, half):
        sys.setprofile(None)
        return shapes.box(half.tolist())(points)

    verdict = check.box_sdf(answer)
    assert verdict.status == "failed" and "switched off the check's watch" in verdict.detail


def _distance_and_hit(trace):
    return trace.distance.double(), trace.hit


def _solution_answers() -> dict:
    """Every task's answer from the solution notebooks, defined with the notebooks' own imports and constants."""
    import ast
    from pathlib import Path

    import nbformat

    namespace: dict = {}
    answers: list[str] = []  # defined last, so that no notebook's import of a kit function shadows an answer
    for path in sorted((Path(__file__).resolve().parents[1] / "solutions").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                answers.append(cell.source)
            elif cell.cell_type == "code" and "nfteach-check" not in cell.metadata.get("tags", []):
                lines = [line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith(("%", "!")) else line
                         for line in cell.source.splitlines()]
                head = [node for node in ast.parse("\n".join(lines)).body if isinstance(node, (ast.Import, ast.ImportFrom))
                        or isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets)]
                try:
                    exec(compile(ast.Module(head, []), str(path), "exec"), namespace)
                except Exception:  # a constant computed from something this loader does not run
                    pass
    for source in answers:
        exec(source, namespace)
    return namespace


ANSWERS = _solution_answers()
TASKS = sorted(name for name in check.__dict__ if callable(ANSWERS.get(name)) and name in core.MAY_NOT_CALL or name == "stage_target")


def _with_nan(value):
    """The answer's output with one value made NaN (a tuple's first tensor, a list's first number)."""
    if isinstance(value, tuple):
        return (_with_nan(value[0]), *value[1:])
    if isinstance(value, list):
        return [math.nan, *value[1:]]
    if isinstance(value, np.ndarray):
        value = value.copy()
        value.flat[0] = np.nan
        return value
    if isinstance(value, torch.Tensor):
        value = value.clone()
        value.view(-1)[0] = math.nan
        return value
    return math.nan


@pytest.mark.parametrize("task", [t for t in TASKS if t != "siren_init"])
def test_an_answer_with_a_nan_in_its_output_fails(task):
    solution = ANSWERS[task]
    verdict = getattr(check, task)(lambda *args: _with_nan(solution(*args)))
    assert verdict.status == "failed", verdict


def test_nan_weights_do_not_pass_siren_init():
    def answer(linear, omega_0, is_first):
        with torch.no_grad():
            linear.weight.fill_(math.nan)

    verdict = check.siren_init(answer)
    assert verdict.status == "failed" and "NaN" in verdict.detail, verdict


def test_an_eikonal_loss_that_is_nan_on_a_true_sdf_fails():
    calls = []

    def answer(model, points):
        calls.append(1)
        loss = ANSWERS["eikonal_loss"](model, points)
        return loss * math.nan if len(calls) == 1 else loss

    assert check.eikonal_loss(answer).status == "failed"


def _zero(module: torch.nn.Module) -> None:
    with torch.no_grad():
        for parameter in module.parameters():
            parameter.zero_()


def _eikonal_of_a_zeroed_model(model, points):
    if any(True for _ in model.parameters()):
        _zero(model)  # the gradient of a constant is 0, so |‖∇Φ‖ − 1| = 1 everywhere
        return torch.ones((), requires_grad=True) * 1.0
    return ANSWERS["eikonal_loss"](model, points)


@pytest.mark.parametrize("task, answer", [
    ("eikonal_loss", _eikonal_of_a_zeroed_model),
    ("stage_target", lambda net, coords, values, k: (_zero(net), values)[1]),
    ("gradient", lambda model, coords: (_zero(model), torch.zeros_like(coords).requires_grad_())[1]),
    ("sine_layer", lambda x, linear, omega_0: (_zero(linear), torch.zeros(len(x), linear.out_features))[1]),
], ids=["eikonal_loss", "stage_target", "gradient", "sine_layer"])
def test_changing_the_argument_the_check_hands_over_fails_and_says_so(task, answer):
    verdict = getattr(check, task)(answer)
    assert verdict.status == "failed" and "your function changed the" in verdict.detail, verdict


def _finite_differences(model, coords):
    step = 1e-5 * torch.eye(coords.shape[1], dtype=coords.dtype)
    with torch.no_grad():
        columns = [(model(coords + s) - model(coords - s))[:, 0] / 2e-5 for s in step]
    return torch.stack(columns, dim=1).requires_grad_()


def test_a_finite_difference_gradient_made_to_require_grad_fails():
    verdict = check.gradient(_finite_differences)
    assert verdict.status == "failed" and "finite differences" in verdict.detail, verdict


def test_an_eikonal_loss_from_finite_differences_fails():
    def answer(model, points):
        if not any(True for _ in model.parameters()):
            return ANSWERS["eikonal_loss"](model, points)
        return (_finite_differences(model, points).detach().norm(dim=1) - 1).abs().mean().requires_grad_()

    verdict = check.eikonal_loss(answer)
    assert verdict.status == "failed" and "does not lead back to the model's weights" in verdict.detail, verdict


@pytest.mark.parametrize("task", TASKS)
def test_the_solution_passes_on_fresh_inputs(task):
    for draw in (1, 12345, 2**31 - 2):
        with core.fresh_inputs(draw):
            verdict = getattr(check, task)(ANSWERS[task])
        assert verdict.status == "passed", (draw, verdict)


def _memorised(task: str):
    """An answer that replays, call by call, what the solution returned on the usual inputs (a lookup table)."""
    outputs = []

    def learn(*args):
        outputs.append(ANSWERS[task](*args))
        return outputs[-1]

    assert getattr(check, task)(learn)
    replies = iter(outputs)
    return lambda *args: next(replies)


@pytest.mark.parametrize("task", [t for t in TASKS if t != "siren_init"])  # siren_init draws its own weights
def test_memorised_answers_pass_on_the_usual_inputs_and_fail_on_the_graders(task):
    if task not in ("eikonal_loss", "gradient", "laplacian", "helmholtz_residual"):  # those fail already: a stored
        # graph leads to another model
        assert getattr(check, task)(_memorised(task)).status == "passed"
    table = _memorised(task)  # learnt on the usual inputs
    with core.fresh_inputs(777):
        assert getattr(check, task)(table).status != "passed"


def test_sphere_trace_calls_a_hit_only_on_the_surface():
    def far_hit(sdf, origins, directions, max_steps=64, eps=1e-3):
        t = torch.zeros(len(origins))
        for _ in range(max_steps):
            t = t + sdf(origins + t[:, None] * directions)[:, 0]
        return t, t < 4.0  # "not escaped" is not "hit"

    verdict = check.sphere_trace(far_hit)
    assert verdict.status == "failed" and "hit wrongly" in verdict.detail, verdict
