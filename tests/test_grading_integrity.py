"""nfteach grade without a kernel: what it reads from a submission's source, its recordings and its file names
cannot be turned against the grade, the grader or the report (the sandboxed runs are in test_grading.py)."""

from pathlib import Path

import nbformat
import pytest

from nfteach.course import grading
from nfteach.course.grading.kitcalls import forbidden_use

ROOT = Path(__file__).resolve().parents[1]
BAN = ("nfteach.shapes.box",)


@pytest.mark.parametrize("cells", [
    ["from nfteach.shapes import box as b", "def box_sdf(p, h):\n    return b(h.tolist())(p)"],
    ["import nfteach.shapes as s", "def box_sdf(p, h):\n    return s.box(h.tolist())(p)"],
    ["import nfteach", "def box_sdf(p, h):\n    return nfteach.shapes.box(h.tolist())(p)"],
    ["from nfteach import shapes", "def box_sdf(p, h):\n    return getattr(shapes, 'box')(h.tolist())(p)"],
    ["from nfteach.shapes import *", "def helper(h):\n    return box(h)", "def box_sdf(p, h):\n    return helper(h.tolist())(p)"],
    ["def box_sdf(p, h):\n    from nfteach import shapes as z\n    return z.box(h.tolist())(p)"],
    ["import nfteach.shapes", "mine = nfteach.shapes.box", "def box_sdf(p, h):\n    return mine(h.tolist())(p)"],
], ids=["alias", "module-alias", "attribute-chain", "getattr", "star-import-and-helper", "local-import", "assignment"])
def test_a_banned_call_is_found_through_imports_aliases_getattr_and_helpers(cells):
    assert forbidden_use(cells, "box_sdf", BAN) == "nfteach.shapes.box"


@pytest.mark.parametrize("body, construct", [
    ("getattr(shapes, 'bo' + 'x')(h.tolist())(p)", "getattr with a computed name"),
    ("importlib.import_module('nfteach.shapes').box(h.tolist())(p)", "import_module"),
    ("__import__('nfteach.shapes').shapes.box(h.tolist())(p)", "__import__"),
    ("eval('shapes.box')(h.tolist())(p)", "eval"),
    ("sys.modules['nfteach.shapes'].box(h.tolist())(p)", "sys.modules"),
])
def test_what_hides_a_name_from_the_grader_is_refused(body, construct):
    cells = ["import importlib, sys\nfrom nfteach import shapes", f"def box_sdf(p, h):\n    return {body}"]
    found = forbidden_use(cells, "box_sdf", BAN)
    assert found is not None and found.startswith(construct), found


def test_the_shipped_solutions_use_nothing_their_tasks_ban():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        tasks = grading.tasks_of(notebook, str(path))
        assert all(task.may_not_call for task in tasks if task.check != "stage_target"), path
        for task in tasks:
            index = next(i for i, c in enumerate(notebook.cells) if c.source == task.source)
            cells = [c.source for c in notebook.cells[:index] if c.cell_type == "code"]
            assert forbidden_use(cells, task.function, task.may_not_call) is None, (path, task.id)


def test_a_solution_may_ban_more_and_a_malformed_ban_is_refused(tmp_path):
    notebook = nbformat.read(ROOT / "solutions" / "04_occupancy_sdf.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.source == "check.box_sdf(box_sdf)")
    cell.metadata["nfteach"] = {"may_not_call": ["nfteach.shapes.sphere"]}
    (task, *_) = grading.tasks_of(notebook)
    assert task.may_not_call == ("nfteach.shapes.box", "nfteach.shapes.sphere")
    cell.metadata["nfteach"] = {"may_not_call": "nfteach.shapes.box; rm -rf"}
    with pytest.raises(grading.GradingError, match="may_not_call must be a list of dotted names"):
        grading.tasks_of(notebook, "sol.ipynb")


def _recorded_verdict(tmp_path, task: str, answer):
    """What the grader concludes from a recording of ``answer`` (made here as the sandbox would make it)."""
    from nfteach.course import check, recording
    from nfteach.course.check import core

    path = tmp_path / f"{task}.npz"
    recording.record(task, lambda: answer, str(path))
    return recording.replay(getattr(check, task), *recording.load(path), may_not_call=core.MAY_NOT_CALL.get(task, ()))


def test_the_grader_sees_a_kit_call_a_changed_argument_and_a_fake_gradient_from_the_recording(tmp_path):
    import torch

    from nfteach.course.check.core import resolve

    def hidden_kit_call(pred, target, data_range=1.0):
        return resolve("nfteach.metrics." + "psnr")(pred, target, data_range)

    def zeroed(net, coords, values, k):
        with torch.no_grad():
            for parameter in net.parameters():
                parameter.zero_()
        return values

    def finite_differences(model, coords):
        step = 1e-5 * torch.eye(coords.shape[1], dtype=coords.dtype)
        with torch.no_grad():
            columns = [(model(coords + s) - model(coords - s))[:, 0] / 2e-5 for s in step]
        return torch.stack(columns, dim=1).requires_grad_()

    def autograd(model, coords):
        coords = coords.clone().requires_grad_(True)
        return torch.autograd.grad(model(coords).sum(), coords, create_graph=True)[0]

    verdict = _recorded_verdict(tmp_path, "psnr", hidden_kit_call)
    assert verdict.status == "failed" and verdict.detail.endswith("you called nfteach.metrics.psnr"), verdict
    verdict = _recorded_verdict(tmp_path, "stage_target", zeroed)
    assert verdict.status == "failed" and "your function changed the network" in verdict.detail, verdict
    verdict = _recorded_verdict(tmp_path, "gradient", finite_differences)
    assert verdict.status == "failed" and "finite differences" in verdict.detail, verdict
    assert _recorded_verdict(tmp_path, "gradient", autograd).status == "passed"


def test_a_recorded_kit_call_is_named_only_from_the_tasks_list(tmp_path):
    import numpy as np

    from nfteach.course import check, recording

    path = tmp_path / "forged.npz"
    forged = {"calls": [{"output": {"kind": "plain", "value": 1.0}, "after": [None, None, None], "kit_call": "=HYPERLINK()"}]}
    np.savez(path, index=np.array(__import__("json").dumps(forged)))
    verdict = recording.replay(check.psnr, *recording.load(path), may_not_call=("nfteach.metrics.psnr",))
    assert verdict.detail == "this task asks you to write it yourself; you called the kit's implementation"
