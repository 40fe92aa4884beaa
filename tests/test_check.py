"""nfteach.course.check: the solutions pass, typical mistakes get their hint, nothing crashes, no answer is readable."""

import inspect
import math
from pathlib import Path

import nbformat
import pytest
import torch

from nfteach.course import check
from nfteach.course.exercises import BEGIN, END

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def solution_functions() -> dict:
    """Every function the solution notebooks ask the student to write, defined from the notebooks' own code."""
    namespace = {"math": math, "torch": torch}
    for path in SOLUTIONS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                exec(cell.source, namespace)
    return namespace


ANSWERS = solution_functions()
CHECKED = ["sum_of_sinusoids", "spectrum", "frequency_response", "positional_encoding", "fourier_features", "psnr",
           "sine_layer", "siren_init", "gradient"]


@pytest.mark.parametrize("task", CHECKED)
def test_the_solution_passes_with_one_tick_line(task, capsys):
    verdict = getattr(check, task)(ANSWERS[task])
    assert verdict and verdict.status == "passed"
    assert capsys.readouterr().out.strip() == f"✓ {task.replace('_', ' ')}: correct"


def _fourier_cos_only(v, B):
    return torch.cos(2 * math.pi * v @ B.T)


def _fourier_no_two_pi(v, B):
    return torch.cat([torch.cos(v @ B.T), torch.sin(v @ B.T)], dim=1)


def _pe_without_x(x, num_frequencies):
    return ANSWERS["positional_encoding"](x, num_frequencies)[:, x.shape[1]:]


def _pe_grouped(x, num_frequencies):
    angles = [2**i * math.pi * x for i in range(num_frequencies)]
    return torch.cat([x] + [torch.sin(a) for a in angles] + [torch.cos(a) for a in angles], dim=1)


def _fourier_sin_first(v, B):  # the official code's order
    return torch.cat([torch.sin(2 * math.pi * v @ B.T), torch.cos(2 * math.pi * v @ B.T)], dim=1)


def _init_first_hard_coded(linear, omega_0, is_first):  # right only for a first layer of fan-in 2
    bound = 0.5 if is_first else math.sqrt(6 / linear.in_features) / omega_0
    with torch.no_grad():
        linear.weight.uniform_(-bound, bound)


def _init_zero_bias(linear, omega_0, is_first):
    ANSWERS["siren_init"](linear, omega_0, is_first)
    with torch.no_grad():
        linear.bias.zero_()


def _gradient_on_callers_coords(model, coords):
    coords.requires_grad_(True)
    return torch.autograd.grad(model(coords).sum(), coords, create_graph=True)[0]


def _init_not_divided(linear, omega_0, is_first):
    bound = 1 / linear.in_features if is_first else math.sqrt(6 / linear.in_features)
    with torch.no_grad():
        linear.weight.uniform_(-bound, bound)


def _init_normal(linear, omega_0, is_first):
    bound = 1 / linear.in_features if is_first else math.sqrt(6 / linear.in_features) / omega_0
    with torch.no_grad():
        linear.weight.normal_(0, bound / math.sqrt(3))


def _gradient_without_graph(model, coords):
    coords = coords.clone().requires_grad_(True)
    return torch.autograd.grad(model(coords).sum(), coords)[0]


MISTAKES = [
    ("fourier_features", _fourier_cos_only, "expected shape (N, 512), got (N, 256): did you concatenate cos and sin?"),
    ("fourier_features", _fourier_no_two_pi, "2π"),
    ("positional_encoding", _pe_without_x, "include x itself"),
    ("sum_of_sinusoids", lambda t, f, a, p: (a * torch.cos(2 * math.pi * f * t + p)).sum(1, keepdim=True), "cosines"),
    ("spectrum", lambda y: torch.fft.rfft(y).abs(), "divide by the number of samples"),
    ("spectrum", lambda y: torch.fft.fft(y).abs() / len(y), "rfft"),
    ("frequency_response", lambda y, k, a: ANSWERS["spectrum"](y)[k] / a, "double it"),
    ("psnr", lambda p, t, r=1.0: -ANSWERS["psnr"](p, t, r), "sign"),
    ("psnr", lambda p, t, r=1.0: ANSWERS["psnr"](p, t, 1.0), "data_range"),
    ("sine_layer", lambda x, linear, omega_0: torch.sin(linear(x)), "ω0 is missing"),
    ("siren_init", _init_not_divided, "divide the range by ω0"),
    ("siren_init", _init_normal, "uniform"),
    ("siren_init", lambda linear, omega_0, is_first: linear.weight.uniform_(-1, 1), "torch.no_grad()"),
    ("siren_init", lambda linear, omega_0, is_first: None, "did not change"),
    ("siren_init", _init_first_hard_coded, "first layer: the largest |w| is 1.50 times"),
    ("siren_init", _init_zero_bias, "leave the bias alone"),
    ("gradient", _gradient_without_graph, "create_graph=True"),
    ("gradient", _gradient_on_callers_coords, "you changed the coords you were given"),
    ("gradient", lambda model, coords: torch.autograd.grad(model(coords).sum(), coords)[0], "requires_grad_"),
]


@pytest.mark.parametrize("task, answer, paper", [("positional_encoding", _pe_grouped, "NeRF writes"),
                                                  ("fourier_features", _fourier_sin_first, "the paper writes")])
def test_the_same_features_in_another_consistent_order_pass_with_a_note(task, answer, paper, capsys):
    assert getattr(check, task)(answer)
    note, verdict = capsys.readouterr().out.strip().splitlines()
    assert paper in note and verdict.startswith("✓ ")


@pytest.mark.parametrize("task, wrong, hint", MISTAKES, ids=[f"{t}-{h[:20]}" for t, _, h in MISTAKES])
def test_a_typical_mistake_gets_its_hint(task, wrong, hint, capsys):
    verdict = getattr(check, task)(wrong)
    assert verdict.status == "failed" and not verdict
    printed = capsys.readouterr().out
    assert printed.startswith("✗ ") and hint in printed and printed.count("\n") == 1


@pytest.mark.parametrize("task", CHECKED)
def test_unfinished_crashing_or_missing_functions_never_raise(task, capsys):
    def unfinished(*args):
        raise NotImplementedError()

    def crashing(*args):
        raise ZeroDivisionError("oops")

    assert getattr(check, task)(unfinished).detail.startswith("not done yet")
    crashed = getattr(check, task)(crashing)
    assert crashed.status == "error" and "ZeroDivisionError: oops" in crashed.detail
    assert getattr(check, task)(42).status == "failed"


def test_a_wrong_return_type_is_explained():
    assert "torch.Tensor" in check.fourier_features(lambda v, B: v.numpy()).detail
    assert "complex" in check.spectrum(lambda y: torch.fft.rfft(y)).detail


def test_the_verdict_is_kept_for_the_grader_once():
    check.psnr(ANSWERS["psnr"])
    assert check.take_verdict() == {"task": "psnr", "status": "passed", "detail": ""}
    assert check.take_verdict() is None


def test_strict_mode_raises_for_nbgrader(monkeypatch):
    monkeypatch.setenv("NFTEACH_STRICT", "1")
    with pytest.raises(AssertionError, match="cos and sin"):
        check.fourier_features(_fourier_cos_only)
    assert check.fourier_features(ANSWERS["fourier_features"])


def test_the_checks_contain_no_line_of_any_solution():
    source = inspect.getsource(check)
    for path in SOLUTIONS:
        for cell in nbformat.read(path, as_version=4).cells:
            if BEGIN not in cell.source:
                continue
            block = cell.source.split(BEGIN, 1)[1].split(END, 1)[0]
            for line in block.splitlines():
                code = line.split("#")[0].strip()
                computes = code.startswith("return ") or " = " in code or "+=" in code
                assert not computes or code not in source, f"{path.name}: check.py contains the answer line {code!r}"


def _unfinished_task(x):
    # YOUR CODE HERE
    raise NotImplementedError()


def test_needs_stops_a_cell_in_one_line_only_while_a_task_is_unfinished():
    check.needs(ANSWERS["psnr"], _pe_grouped)  # written: nothing happens
    with pytest.raises(check.TaskNotDone, match="this cell needs _unfinished_task: finish that task above"):
        check.needs(ANSWERS["psnr"], _unfinished_task)
