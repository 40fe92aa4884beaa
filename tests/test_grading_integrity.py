"""nfteach grade without a kernel: what it reads from a submission's source, its recordings and its file names
cannot be turned against the grade, the grader or the report (the sandboxed runs are in test_grading.py)."""

import json
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


# the grader never fails the class, never loses a row (no kernel runs in these)

def _course(tmp_path: Path) -> Path:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_grading import _solutions

    return _solutions(tmp_path)


def test_a_notebook_whose_metadata_nfteach_is_a_string_is_still_matched_and_read(tmp_path):
    solutions = _course(tmp_path)
    notebook = nbformat.read(tmp_path / "alice_99_demo.ipynb", as_version=4)
    notebook.metadata["nfteach"] = "99_demo"
    nbformat.write(notebook, tmp_path / "bob_99_demo.ipynb")
    submission = grading.inspect(tmp_path / "bob_99_demo.ipynb", grading.load_solutions(solutions), solutions)
    assert submission.notebook is not None and [t.id for t in submission.tasks] == ["99-psnr", "99-sine_layer"]


def test_a_cell_with_a_numeric_source_is_read_as_text(tmp_path):
    solutions = _course(tmp_path)
    text = (tmp_path / "alice_99_demo.ipynb").read_text()

    notebook = json.loads(text)
    notebook["cells"].insert(1, {"cell_type": "markdown", "metadata": {}, "source": 5})
    (tmp_path / "carol_99_demo.ipynb").write_text(json.dumps(notebook))
    submission = grading.inspect(tmp_path / "carol_99_demo.ipynb", grading.load_solutions(solutions), solutions)
    assert submission.note == "" and submission.notebook.cells[1].source == "5"
    assert len(submission.tasks) == 2


def test_a_file_name_naming_two_exercises_is_not_guessed(tmp_path):
    names = {"01_spectral_bias", "02_fourier_features"}
    assert grading.find_solution(Path("alice_01_spectral_bias_02_fourier_features.ipynb"), None, names) is None
    assert grading.find_solution(Path("alice_01_spectral_bias.ipynb"), None, names | {"01_spectral"}) == "01_spectral_bias"
    (tmp_path / "solutions").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "x_01_spectral_bias_02_fourier_features.ipynb")
    submission = grading.inspect(tmp_path / "x_01_spectral_bias_02_fourier_features.ipynb",
                                 {name: [] for name in names}, tmp_path / "solutions")
    assert "names 01_spectral_bias and 02_fourier_features" in submission.note


def test_names_that_differ_only_in_control_characters_stay_apart():
    assert grading.clean("alice\nbob") != grading.clean("alice bob")
    assert grading.clean("alice\nbob") == "alice\\nbob" and "\x1b" not in grading.clean("\x1b[31mred")


@pytest.mark.parametrize("target", ["alice_99_demo.ipynb", "solutions/99_demo.ipynb", "solutions/grades.csv", "notes.txt"])
def test_the_report_never_overwrites_a_submission_a_solution_or_another_file(tmp_path, target):
    solutions = _course(tmp_path)
    (tmp_path / "notes.txt").write_text("my notes\n")
    before = (tmp_path / target).read_bytes() if (tmp_path / target).exists() else None
    with pytest.raises(grading.GradingError, match="--out"):
        grading.grade([tmp_path / "alice_99_demo.ipynb"], solutions, grading.Settings(use_sandbox=False),
                      out=tmp_path / target)
    assert ((tmp_path / target).read_bytes() if (tmp_path / target).exists() else None) == before


def test_regrading_into_the_same_report_keeps_the_other_rows(tmp_path):
    task = grading.Task("99-psnr", 1.0, "", "psnr", "psnr")
    report = lambda name, status: grading.Report(name, [task], {"99-psnr": grading.Result(status)})
    writer = grading.CsvReport(tmp_path / "grades.csv", ["99-psnr"], keep=set())
    for name in ("a.ipynb", "b.ipynb", "c.ipynb"):
        writer.write(report(name, "failed"))
    writer.close()
    writer = grading.CsvReport(tmp_path / "grades.csv", ["99-psnr"], keep={"b.ipynb"})
    writer.write(report("b.ipynb", "passed"))
    writer.close()
    columns, rows = grading.report.read_report(tmp_path / "grades.csv")
    assert sorted(rows) == ["a.ipynb", "b.ipynb", "c.ipynb"] and rows["b.ipynb"]["total"] == "1"


def test_report_rows_end_in_submission_order_not_the_order_runs_finished(tmp_path):
    import csv

    task = grading.Task("99-psnr", 1.0, "", "psnr", "psnr")
    report = lambda name: grading.Report(name, [task], {"99-psnr": grading.Result("passed")})
    writer = grading.CsvReport(tmp_path / "grades.csv", ["99-psnr"], keep=set())
    for name in ("s/carol.ipynb", "s/alice.ipynb", "s/bob.ipynb"):   # as the runs finished
        writer.write(report(name))
    written = (tmp_path / "grades.csv").read_text()
    assert written.index("carol") < written.index("alice")   # each row is on disk as soon as it is graded
    writer.close()
    writer = grading.CsvReport(tmp_path / "grades.csv", ["99-psnr"], keep={"s/aaron.ipynb"})   # regrade one more
    writer.write(report("s/aaron.ipynb"))
    writer.close()
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as handle:
        names = [row[0] for row in csv.reader(handle)]
    assert names == ["submission", "s/aaron.ipynb", "s/alice.ipynb", "s/bob.ipynb", "s/carol.ipynb"]
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]   # no copy left behind


def test_too_little_memory_an_empty_folder_and_a_file_named_twice(tmp_path):
    solutions = _course(tmp_path)
    with pytest.raises(grading.GradingError, match="--memory must be at least 1 GiB"):
        grading.Settings(limits=grading.sandbox.Limits(memory=int(0.05 * 2**30)))
    (tmp_path / "empty").mkdir()
    with pytest.raises(grading.GradingError, match="no submissions"):
        grading.grade([tmp_path / "empty"], solutions, grading.Settings(use_sandbox=False))
    alice = tmp_path / "alice_99_demo.ipynb"
    assert grading.discover([alice, tmp_path, Path(str(alice))]) == [alice]


def test_more_jobs_than_cores_is_said(tmp_path, monkeypatch):
    solutions = _course(tmp_path)
    said = []
    monkeypatch.setattr(grading, "execute", lambda *a: (_ for _ in ()).throw(RuntimeError("not run here")))
    grading.grade([tmp_path / "alice_99_demo.ipynb"], solutions, grading.Settings(jobs=64, use_sandbox=False), log=said.append)
    assert any("--jobs 64 is more than the" in line for line in said)


def test_grading_into_a_device_is_refused_in_one_line(tmp_path, capsys):
    from nfteach.course import cli

    solutions = _course(tmp_path)
    code = cli.main(["grade", str(tmp_path / "alice_99_demo.ipynb"), "--solutions", str(solutions), "--out", "/dev/full",
                     "--no-sandbox"])
    error = capsys.readouterr().err
    assert code == 2 and "--out /dev/full is not a regular file" in error and "Traceback" not in error


@pytest.mark.parametrize("root", [True, False])
def test_grading_as_root_is_warned_in_one_line(tmp_path, monkeypatch, capsys, root):
    from nfteach.course import cli

    solutions = _course(tmp_path)
    monkeypatch.setattr(grading.sandbox, "drops_privileges", lambda: root)
    monkeypatch.setattr(grading, "grade", lambda *args, **kwargs: [])   # the warning comes before any grading
    assert cli.main(["grade", str(tmp_path / "alice_99_demo.ipynb"), "--solutions", str(solutions)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "as root" in line]
    assert len(warnings) == int(root) and all("process limit" in line for line in warnings)


def test_ctrl_c_stops_grading_at_once_with_one_line_and_the_rows_done(tmp_path, monkeypatch):
    import os
    import signal
    import threading
    import time

    solutions = _course(tmp_path)
    for name in "bcdefgh":
        (tmp_path / f"{name}_99_demo.ipynb").write_text((tmp_path / "alice_99_demo.ipynb").read_text())
    started = []

    def slow(submission, settings, hidden):
        started.append(submission.path)
        time.sleep(3)
        raise RuntimeError("not run here")

    monkeypatch.setattr(grading, "execute", slow)
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()  # as Ctrl-C does
    begun = time.monotonic()
    with pytest.raises(grading.GradingError, match=r"interrupted after 0 of 8 submissions; the 0 rows graded are in"):
        grading.grade([tmp_path], solutions, grading.Settings(jobs=2, use_sandbox=False), out=tmp_path / "grades.csv")
    assert len(started) == 2 and time.monotonic() - begun < 6  # the queued six never started
    grading.sandbox._stopping.clear()


def test_a_note_forged_in_the_runners_events_is_not_repeated(tmp_path):
    solutions = _course(tmp_path)
    submission = grading.inspect(tmp_path / "alice_99_demo.ipynb", grading.load_solutions(solutions), solutions)
    cells = {2: submission.tasks[0], 5: submission.tasks[1]}
    forged = [{"stopped": 0, "reason": "=HYPERLINK(\"http://x\") teacher: give full marks"}, {"end": True}]
    report = grading.score(submission, grading.Run(cells, {}, forged), grading.Settings())
    assert "HYPERLINK" not in report.note and "full marks" not in str(report.results)
    assert "the run stopped" in report.note


def test_a_recovered_kernel_stall_is_said_in_the_report_in_fixed_words():
    from nfteach.course.grading.score import recovery_note

    events = [{"recovered": 3, "action": "resent", "detail": "anything"}, {"recovered": 4, "action": "forged words"},
              {"recovered": "x", "action": "woken"}]
    note = recovery_note(events)
    assert note.startswith("the kernel lost a message") and "cell 3: sent a lost request again" in note
    assert "forged" not in note and "cell 4" not in note and recovery_note([{"end": True}]) == ""


def test_a_compressed_or_oversized_recording_is_refused_before_it_is_inflated(tmp_path):
    import io
    import zipfile

    import numpy as np

    from nfteach.course import recording

    index = np.array(json.dumps({"calls": []}))
    np.savez(tmp_path / "plain.npz", index=index, a=np.zeros(4))
    assert recording.load(tmp_path / "plain.npz")[0] == {"calls": []}
    np.savez_compressed(tmp_path / "bomb.npz", index=index, a=np.zeros(2**24))  # 128 MB of zeros in 130 kB
    with pytest.raises(recording.RecordingError, match="compressed members"):
        recording.load(tmp_path / "bomb.npz")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (2**30,)})
    with zipfile.ZipFile(tmp_path / "liar.npz", "w") as archive:  # stored, but it declares 8 GB
        archive.writestr("a.npy", header.getvalue() + bytes(64))
    with pytest.raises(recording.RecordingError, match="larger than 64 MB"):
        recording.load(tmp_path / "liar.npz")
