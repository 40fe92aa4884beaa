"""nfteach grade on real notebooks made here: good, fake ✓, bad JSON, raising, looping, check cell deleted."""

import csv
import hashlib
from pathlib import Path

import nbformat
import pytest

from nfteach.course import cli
from nfteach.course.exercises import BEGIN, CHECK_TAG, END, make_exercise, render

PSNR = "mse = torch.mean((pred - target) ** 2).item()\n    return 10 * math.log10(data_range**2 / mse)"
SINE = "return torch.sin(omega_0 * linear(x))"
TIMEOUT = 15  # seconds per cell: the looping case waits this long; generous for a loaded CI machine


def _check_cell(task: str, points: int):
    cell = nbformat.v4.new_code_cell(f"check.{task}({task})")
    cell.metadata["tags"] = [CHECK_TAG]
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"99-{task}", "points": points, "solution": False,
                                 "locked": True, "schema_version": 3}
    return cell


def _notebook(psnr_body: str, sine_body: str, *, checks=("psnr", "sine_layer"), first="import math\nimport torch"):
    cells = [
        nbformat.v4.new_code_cell(f"{first}\nfrom nfteach import check"),
        nbformat.v4.new_code_cell(f"def psnr(pred, target, data_range=1.0):\n    {psnr_body}"),
        _check_cell("psnr", 1) if "psnr" in checks else nbformat.v4.new_markdown_cell("(deleted)"),
        nbformat.v4.new_code_cell(f"def sine_layer(x, linear, omega_0):\n    {sine_body}"),
        _check_cell("sine_layer", 2) if "sine_layer" in checks else nbformat.v4.new_markdown_cell("(deleted)"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade nine submissions with one command; return their CSV rows, the printed table and file hashes."""
    root = tmp_path_factory.mktemp("course")
    (root / "solutions").mkdir()
    solution = _notebook(f"{BEGIN}\n    {PSNR}\n    {END}", f"{BEGIN}\n    {SINE}\n    {END}")
    nbformat.write(solution, root / "solutions" / "99_demo.ipynb")
    exercise = make_exercise(solution, "99_demo")
    folder = root / "submitted"
    folder.mkdir()
    (folder / "untouched_99_demo.ipynb").write_text(render(exercise))
    good = _notebook(PSNR, SINE)
    good.metadata["nfteach"] = {"exercise": "99_demo"}  # found by metadata although the name does not say so
    nbformat.write(good, folder / "good.ipynb")
    faker = _notebook("print('✓ psnr: correct')\n    return 0.0", SINE)
    faker.cells[2].source = "print('✓ psnr: correct')"  # an edited check cell
    nbformat.write(faker, folder / "faker_99_demo.ipynb")
    (folder / "broken_99_demo.ipynb").write_text('{"cells": [ this is not JSON')
    raising = _notebook("raise RuntimeError('boom')", "raise RuntimeError('boom')", first="1 / 0")
    for cell in raising.cells:
        if cell.cell_type == "code" and CHECK_TAG not in cell.metadata.get("tags", []):
            cell.source = "raise RuntimeError('every cell fails')\n" + cell.source
    nbformat.write(raising, folder / "raising_99_demo.ipynb")
    nbformat.write(_notebook("while True:\n        pass", SINE), folder / "looping_99_demo.ipynb")
    nbformat.write(_notebook(PSNR, SINE, checks=("sine_layer",)), folder / "deleted_99_demo.ipynb")
    smuggler = _notebook(PSNR, SINE)
    smuggler.cells[1].source += "\ncheck.psnr(psnr)  # a passing verdict made early\ndel psnr"
    nbformat.write(smuggler, folder / "smuggler_99_demo.ipynb")
    stripped = _notebook(PSNR, SINE)
    for cell in stripped.cells:
        cell.metadata = {}  # as an editor that drops cell metadata would save it
    nbformat.write(stripped, folder / "stripped_99_demo.ipynb")
    digest = lambda: {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    before = digest()
    out = root / "report.csv"
    code = cli.main(["grade", str(folder), "--out", str(out), "--timeout", str(TIMEOUT),
                     "--solutions", str(root / "solutions")])
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {Path(row["submission"]).name: row for row in csv.DictReader(handle)}
    return {"code": code, "rows": rows, "before": before, "after": digest(), "header": out.read_text().splitlines()[0]}


def test_one_row_per_submission_one_column_per_task_and_a_total(graded):
    assert graded["code"] == 0
    assert graded["header"] == "submission,99-psnr,99-sine_layer,total,out_of,note"
    assert len(graded["rows"]) == 9


def test_submitted_files_are_never_modified(graded):
    assert graded["before"] == graded["after"]


def test_a_correct_submission_gets_every_point(graded):
    row = graded["rows"]["good.ipynb"]
    assert (row["99-psnr"], row["99-sine_layer"], row["total"], row["out_of"]) == ("passed", "passed", "3", "3")


def test_the_unchanged_exercise_fails_every_task_politely(graded):
    row = graded["rows"]["untouched_99_demo.ipynb"]
    assert row["99-psnr"].startswith("failed: not done yet") and row["total"] == "0"


def test_printing_a_tick_or_editing_the_check_cell_does_not_pass(graded):
    row = graded["rows"]["faker_99_demo.ipynb"]
    assert row["99-psnr"].startswith("failed: ") and row["99-sine_layer"] == "passed" and row["total"] == "2"


def test_a_verdict_made_before_the_check_cell_does_not_count(graded):
    row = graded["rows"]["smuggler_99_demo.ipynb"]
    assert row["99-psnr"] == "error: NameError: name 'psnr' is not defined" and row["total"] == "2", row


def test_a_file_that_is_not_json_gets_a_clear_row(graded):
    row = graded["rows"]["broken_99_demo.ipynb"]
    assert "not a valid notebook" in row["note"] and row["total"] == "0"
    assert row["99-psnr"].startswith("error: ")


def test_a_notebook_raising_in_every_cell_gets_errors(graded):
    row = graded["rows"]["raising_99_demo.ipynb"]
    assert row["99-psnr"].startswith("error: NameError") and row["99-sine_layer"].startswith("error: ")
    assert row["total"] == "0"


def test_an_endless_loop_times_out_and_grading_goes_on(graded):
    row = graded["rows"]["looping_99_demo.ipynb"]
    assert row["99-psnr"] == f"error: cell timed out after {TIMEOUT} s"
    assert row["99-sine_layer"] == "passed"


def test_a_deleted_check_cell_is_reported_missing(graded):
    row = graded["rows"]["deleted_99_demo.ipynb"]
    assert row["99-psnr"] == "missing check cell" and row["99-sine_layer"] == "passed" and row["total"] == "2"


def test_the_table_is_printed(tmp_path, capsys):
    path = tmp_path / "lonely.ipynb"
    nbformat.write(_notebook(PSNR, SINE), path)
    assert cli.main(["grade", str(path), "--solutions", str(tmp_path / "none")]) == 0
    table = capsys.readouterr().out
    assert "lonely.ipynb" in table and "3/3" in table and "99-sine_layer" in table


def test_check_cells_without_metadata_are_found_by_their_source(graded):
    row = graded["rows"]["stripped_99_demo.ipynb"]
    assert (row["99-psnr"], row["99-sine_layer"], row["total"]) == ("passed", "passed", "3")


def test_a_missing_file_gets_a_row_too(tmp_path):
    from nfteach.course import grading

    (report,) = grading.grade([tmp_path / "nope.ipynb"])
    assert report.note == "no such file" and report.total == 0
