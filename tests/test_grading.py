"""nfteach grade on real notebooks made here: honest ones (good, unsolved, broken, raising, looping, a deleted
check cell) and the attacks a determined student tried (forged verdicts, tampering with the kit, snooping on
other submissions, killing the grader, runaway processes, memory hogs, hostile file names). All of them are
graded by one command (two in parallel) so the suite pays for the kernel starts once."""

import csv
import hashlib
import os
import sys
from pathlib import Path

import nbformat
import pytest

from grading_support import PSNR, SINE, TODO
from grading_support import check_cell as _check_cell

from nfteach.course import cli, grading, sandbox
from nfteach.course.exercises import BEGIN, CHECK_TAG, END, make_exercise, render

TIMEOUT = 20  # seconds per cell: the looping cases wait this long; at 10 s a cell that imports the kit timed out at load 15
MARK = "987654321"  # in the command line of every process a submission starts: none may outlive grading


def _notebook(psnr_body: str, sine_body: str, *, checks=("psnr", "sine_layer"), first="import math\nimport torch",
              between: str = "", points=(1, 2)):
    cells = [
        nbformat.v4.new_code_cell(f"{first}\nfrom nfteach import check"),
        nbformat.v4.new_code_cell(f"def psnr(pred, target, data_range=1.0):\n    {psnr_body}"),
        _check_cell("psnr", points[0]) if "psnr" in checks else nbformat.v4.new_markdown_cell("(deleted)"),
        nbformat.v4.new_code_cell(between or "pass"),
        nbformat.v4.new_code_cell(f"def sine_layer(x, linear, omega_0):\n    {sine_body}"),
        _check_cell("sine_layer", points[1]) if "sine_layer" in checks else nbformat.v4.new_markdown_cell("(deleted)"),
    ]
    return nbformat.v4.new_notebook(cells=cells)


def _attacks(folder: Path, paths: dict) -> None:
    """The hostile submissions: each tries one way to a grade it did not earn, or to harm the grader."""
    forge = "import nfteach.course.check.core as core\nfake = lambda task, test, fn: core.Verdict(task, 'passed')\n"
    nbformat.write(_notebook(TODO, TODO, first="import math, torch\nclass Fake:\n    def __getattr__(self, task):\n"
                             "        return lambda fn: print(f'✓ {task}: correct')", between="check = Fake()"),
                   folder / "rebind_99_demo.ipynb")
    nbformat.write(_notebook(TODO, TODO, between=forge + "import nfteach.course.check as c\ncore.run = fake\n"
                             "for module in (c.fourier, c.siren, c.spectral_bias):\n    module.run = fake"),
                   folder / "monkeypatch_99_demo.ipynb")
    hook = (forge + "import numpy as np, json, nfteach.course.recording as r\n"
            "def forged(check_name, get_function, path):\n"
            "    np.savez(path, index=np.array(json.dumps({'calls': []})))\n"
            "    print('✓ correct')\n"
            "get_ipython().events.register('pre_run_cell', lambda *a: setattr(r, 'record', forged))")
    nbformat.write(_notebook(TODO, TODO, first="import math, torch\n" + hook), folder / "hook_99_demo.ipynb")
    tamper = ("import pathlib, nfteach.course.check.core as core\nfor name in (core.__file__, r'{}'):\n"
              "    try:\n        pathlib.Path(name).write_text(pathlib.Path(name).read_text() + '# tampered')\n"
              "    except OSError as error:\n        print('refused:', error)").format(paths["solution"])
    nbformat.write(_notebook(TODO, TODO, between=tamper), folder / "tamper_99_demo.ipynb")
    snoop = ("import json, os\nfor path in [r'{good}', r'{solution}', *(f'/proc/{{p}}/cmdline' for p in os.listdir('/proc')"
             " if p.isdigit())]:\n    try:\n        cells = json.load(open(path))['cells']\n    except (OSError, ValueError):\n"
             "        continue\n    for cell in cells:\n        source = ''.join(cell['source'])\n"
             "        if 'def psnr' in source or 'def sine_layer' in source:\n"
             "            exec(source.replace('{begin}', '').replace('{end}', ''))").format(
        good=paths["good"], solution=paths["solution"], begin=BEGIN, end=END)
    nbformat.write(_notebook(TODO, TODO, first="import math\nimport torch"), folder / "snoop_99_demo.ipynb")
    snooper = nbformat.read(folder / "snoop_99_demo.ipynb", as_version=4)
    for index in (2, 5):  # the snooping runs after each unsolved definition, just before its check
        snooper.cells.insert(index, nbformat.v4.new_code_cell(snoop))
    nbformat.write(snooper, folder / "snoop_99_demo.ipynb")
    killer = ("import os, signal\nos.kill(os.getppid(), signal.SIGTERM)\nfor pid in os.listdir('/proc'):\n"
              "    if pid.isdigit() and int(pid) != os.getpid():\n        try:\n            os.kill(int(pid), signal.SIGKILL)\n"
              "        except OSError:\n            pass")
    nbformat.write(_notebook(PSNR, SINE, between=killer), folder / "killer_99_demo.ipynb")
    stubborn = "import signal\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass"
    nbformat.write(_notebook(stubborn, SINE), folder / "stubborn_99_demo.ipynb")
    runaway = (f"import subprocess, sys\nfor _ in range(20):\n    subprocess.Popen(['sleep', '{MARK}'], start_new_session=True)\n"
               f"subprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); os.fork() or time.sleep({MARK})'],"
               " start_new_session=True)\ntry:\n    hog = torch.ones(8 * 2**30, dtype=torch.uint8)\n"
               "except (RuntimeError, MemoryError) as error:\n    print('refused:', error)")
    nbformat.write(_notebook(PSNR, SINE, between=runaway), folder / "runaway_99_demo.ipynb")
    escape = ("import os, pathlib, socket\nfor path in [r'{canary}', os.path.expanduser('~/.bashrc')]:\n    try:\n"
              "        pathlib.Path(path).write_text('overwritten')\n    except OSError as error:\n        print(error)\n"
              "try:\n    os.remove(r'{canary}')\nexcept OSError as error:\n    print(error)\ntry:\n"
              "    socket.create_connection(('1.1.1.1', 80), timeout=2)\n    print('ONLINE')\nexcept OSError as error:\n"
              "    print(error)").format(canary=paths["canary"])
    nbformat.write(_notebook(PSNR, SINE, between=escape), folder / "escape_99_demo.ipynb")
    forger = ("import json, os\nline = json.dumps({'recovered': 1, 'action': 'restarted'}) + '\\n'\n"
              "targets = ['events.jsonl', *(f'/proc/{p}/fd/{fd}' for p in os.listdir('/proc')\n"
              "           if p.isdigit() and int(p) != os.getpid() and os.access(f'/proc/{p}/fd', os.R_OK)\n"
              "           for fd in os.listdir(f'/proc/{p}/fd'))]\nfor target in targets:\n    try:\n"
              "        with open(target, 'a') as handle:\n            handle.write(line)\n    except OSError:\n"
              "        pass")  # a note in the runner's own words, on every channel in reach
    nbformat.write(_notebook(PSNR, SINE, between=forger), folder / "forger_99_demo.ipynb")
    selfgrade = _notebook(TODO, TODO, points=(15, 15))
    selfgrade.metadata["nfteach"] = {"exercise": "../submitted/selfgrade"}
    nbformat.write(selfgrade, folder / "selfgrade.ipynb")
    nbformat.write(_notebook(PSNR, SINE, points=(15, 15)), folder / "points_99_demo.ipynb")
    nbformat.write(_notebook(PSNR, SINE), folder / "=HYPERLINK(1)\x1b[31m_99_demo.ipynb")
    (folder / "passwd_99_demo.ipynb").symlink_to("/etc/passwd")
    nbformat.write(_notebook("return reference(pred, target, data_range)", SINE,
                             first="import math, torch\nfrom nfteach.metrics import psnr as reference"),
                   folder / "kitcall_99_demo.ipynb")  # found in the source by the grader
    nbformat.write(_notebook("return resolve('nfteach.metrics.' + 'psnr')(pred, target, data_range)", SINE,
                             first="import math, torch\nfrom nfteach.course.check.core import resolve"),
                   folder / "hiddenkit_99_demo.ipynb")  # seen at run time only


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every submission with one command; return their CSV rows, the printed table and file hashes."""
    if sandbox.problem() is not None:
        pytest.skip(f"no sandbox here: {sandbox.problem()}")
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
    canary = root / "canary.txt"
    canary.write_text("alive")
    kit = Path(grading.__file__).parents[1] / "check" / "core.py"
    paths = {"good": folder / "good.ipynb", "solution": root / "solutions" / "99_demo.ipynb", "canary": canary}
    _attacks(folder, paths)
    digest = lambda: {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in
                      [*folder.iterdir(), kit, paths["solution"]] if not p.is_symlink()}
    before = digest()
    out = root / "report.csv"
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli.main(["grade", str(folder), "--out", str(out), "--timeout", str(TIMEOUT), "--jobs", "2",
                         "--solutions", str(root / "solutions")])
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {row["submission"].rsplit("/", 1)[-1]: row for row in csv.DictReader(handle)}
    survivors = [pid for pid in os.listdir("/proc") if pid.isdigit() and _mentions(pid, MARK)]
    return {"code": code, "rows": rows, "before": before, "after": digest(), "text": out.read_text(),
            "header": out.read_text().splitlines()[0], "table": printed.getvalue(), "canary": canary,
            "survivors": survivors}


def _mentions(pid: str, mark: str) -> bool:
    try:
        return mark in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


# the honest submissions

def test_one_row_per_submission_one_column_per_task_and_a_total(graded):
    assert graded["code"] == 0
    assert graded["header"] == "submission,99-psnr,99-sine_layer,total,out_of,note"
    assert len(graded["rows"]) == 25


def test_submitted_files_the_kit_and_the_solutions_are_never_modified(graded):
    assert graded["before"] == graded["after"]


def test_a_correct_submission_gets_every_point(graded):
    row = graded["rows"]["good.ipynb"]
    assert (row["99-psnr"], row["99-sine_layer"], row["total"], row["out_of"]) == ("passed", "passed", "3", "3")


def test_the_table_is_printed(graded):
    assert "good.ipynb" in graded["table"] and "3/3" in graded["table"] and "99-sine_layer" in graded["table"]


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


def test_check_cells_without_metadata_are_found_by_their_source(graded):
    row = graded["rows"]["stripped_99_demo.ipynb"]
    assert (row["99-psnr"], row["99-sine_layer"], row["total"]) == ("passed", "passed", "3")


# the attacks: forged grades score 0

@pytest.mark.parametrize("name", ["rebind", "monkeypatch", "hook", "tamper", "snoop"])
def test_a_forged_or_stolen_answer_scores_zero(graded, name):
    row = graded["rows"][f"{name}_99_demo.ipynb"]
    assert row["total"] == "0" and row["out_of"] == "3", row
    assert "passed" not in (row["99-psnr"], row["99-sine_layer"]), row


def test_tasks_and_points_come_from_the_solutions_only(graded):
    row = graded["rows"]["points_99_demo.ipynb"]
    assert (row["total"], row["out_of"]) == ("3", "3")
    row = graded["rows"]["selfgrade.ipynb"]
    assert (row["total"], row["out_of"]) == ("0", "0") and "no solution" in row["note"] and "not graded" in row["note"]


@pytest.mark.parametrize("name, how", [("kitcall", "found in its source"), ("hiddenkit", "seen at run time")])
def test_an_answer_calling_the_kits_implementation_scores_zero_naming_it(graded, name, how):
    row = graded["rows"][f"{name}_99_demo.ipynb"]
    assert row["99-psnr"] == "failed: this task asks you to write it yourself; you called nfteach.metrics.psnr", (how, row)
    assert row["99-sine_layer"] == "passed" and row["total"] == "2", row


# the attacks: the grader, the machine and the other submissions are safe

def test_a_submission_that_kills_what_it_can_see_stops_only_itself(graded):
    row = graded["rows"]["killer_99_demo.ipynb"]
    assert row["99-psnr"] == "passed" and row["99-sine_layer"].startswith("error: not run"), row
    assert graded["rows"]["good.ipynb"]["total"] == "3"  # and every other row was written (23 rows above)


def test_a_kernel_that_ignores_interrupts_is_stopped_and_its_remaining_tasks_marked(graded):
    row = graded["rows"]["stubborn_99_demo.ipynb"]
    assert row["99-psnr"] == f"error: cell timed out after {TIMEOUT} s"
    assert row["99-sine_layer"].startswith("error: not run: the kernel ignored the interrupt"), row
    assert "ignored the interrupt" in row["note"]


def test_no_process_outlives_grading_and_memory_is_limited(graded):
    assert graded["survivors"] == []
    assert graded["rows"]["runaway_99_demo.ipynb"]["total"] == "3"  # the 8 GB tensor was refused, the rest ran


def test_the_kernel_cannot_forge_the_runners_events(graded):
    row = graded["rows"]["forger_99_demo.ipynb"]
    assert row["total"] == "3" and "the kernel lost a message" not in row["note"], row


def test_nothing_outside_the_working_copy_is_written_and_there_is_no_network(graded):
    assert graded["canary"].read_text() == "alive"
    assert graded["rows"]["escape_99_demo.ipynb"]["total"] == "3"
    assert not (Path.home() / ".bashrc").is_file() or "overwritten" not in (Path.home() / ".bashrc").read_text()


def test_hostile_file_names_and_links_are_reported_not_followed(graded):
    assert "root:" not in graded["text"]
    assert "a symbolic link: not followed" in graded["rows"]["passwd_99_demo.ipynb"]["note"]
    (name,) = [n for n in graded["rows"] if "HYPERLINK" in n]
    assert graded["rows"][name]["total"] == "3"
    assert "\x1b" not in graded["text"] and "\x1b" not in graded["table"]


# the instructor's mistakes are refused before anything runs

def _solutions(root: Path) -> Path:
    (root / "solutions").mkdir()
    solution = _notebook(f"{BEGIN}\n    {PSNR}\n    {END}", f"{BEGIN}\n    {SINE}\n    {END}")
    nbformat.write(solution, root / "solutions" / "99_demo.ipynb")
    nbformat.write(_notebook(PSNR, SINE), root / "alice_99_demo.ipynb")
    return root / "solutions"


@pytest.mark.parametrize("mistake, message", [
    (["--solutions", "solutionz"], "no solutions folder"),
    (["--out", "missing/folder/grades.csv"], "does not exist"),
])
def test_a_mistake_is_refused_before_grading(tmp_path, capsys, mistake, message):
    _solutions(tmp_path)
    arguments = ["grade", str(tmp_path / "alice_99_demo.ipynb"), "--solutions", str(tmp_path / "solutions")]
    mistake = [str(tmp_path / m) if "/" in m or m == "solutionz" else m for m in mistake]
    assert cli.main(arguments + mistake) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--timeout", "0"], ["--timeout", "-5"], ["--jobs", "0"], ["--shard", "3/2"],
                                    ["--time-limit", "0"]])
def test_bad_options_are_refused(tmp_path, capsys, option):
    _solutions(tmp_path)
    try:
        code = cli.main(["grade", str(tmp_path / "alice_99_demo.ipynb"), "--solutions", str(tmp_path / "solutions"), *option])
    except SystemExit as exit:
        code = exit.code
    assert code == 2 and option[0] in capsys.readouterr().err


def test_a_solution_whose_check_cell_is_not_a_plain_check_call_is_refused(tmp_path):
    solutions = _solutions(tmp_path)
    notebook = nbformat.read(solutions / "99_demo.ipynb", as_version=4)
    notebook.cells[2].source = "import os; check.psnr(psnr)"
    nbformat.write(notebook, solutions / "99_demo.ipynb")
    with pytest.raises(grading.GradingError, match="cell 2: a check cell must be one call"):
        grading.load_solutions(solutions)


def test_without_bubblewrap_grading_refuses_and_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    _solutions(tmp_path)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    sandbox.problem.cache_clear()
    try:
        code = cli.main(["grade", str(tmp_path / "alice_99_demo.ipynb"), "--solutions", str(tmp_path / "solutions")])
    finally:
        monkeypatch.undo()
        sandbox.problem.cache_clear()
    error = capsys.readouterr().err.strip()
    assert code == 2 and len(error.splitlines()) == 1
    assert "apt-get install bubblewrap" in error and "--no-sandbox" in error


def test_without_the_sandbox_grading_still_runs_and_says_so(tmp_path):
    solutions = _solutions(tmp_path)
    settings = grading.Settings(timeout=TIMEOUT, use_sandbox=False)
    (report,) = grading.grade([tmp_path / "alice_99_demo.ipynb"], solutions, settings)
    assert (report.total, report.out_of) == (3, 3) and "without a sandbox" in report.note


# scale: shards and their merge

def test_shards_are_disjoint_cover_everything_and_do_not_depend_on_the_order_given():
    files = [Path(f"s/{name}_99_demo.ipynb") for name in "qwertyuiopasdfg"]
    shards = [grading.shard(files, i, 4) for i in range(1, 5)]
    assert sorted(p for s in shards for p in s) == sorted(files)
    assert grading.shard(files[::-1], 2, 4) == shards[1]
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def _report(path: Path, columns: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["submission", *columns, "total", "out_of", "note"], *rows])
    return path


def test_merge_joins_shards_and_refuses_a_submission_graded_twice(tmp_path, capsys):
    a = _report(tmp_path / "a.csv", ["01-x"], [["b.ipynb", "passed", "1", "1", ""], ["'=evil.ipynb", "failed: no", "0", "1", ""]])
    b = _report(tmp_path / "b.csv", ["02-y"], [["a.ipynb", "passed", "2", "2", ""]])
    assert cli.main(["grade", "merge", str(a), str(b), "--out", str(tmp_path / "all.csv")]) == 0
    with open(tmp_path / "all.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["submission", "01-x", "02-y", "total", "out_of", "note"]
    assert [r[0] for r in rows[1:]] == ["'=evil.ipynb", "a.ipynb", "b.ipynb"]
    assert rows[2] == ["a.ipynb", "", "passed", "2", "2", ""]
    assert cli.main(["grade", "merge", str(a), str(a), "--out", str(tmp_path / "twice.csv")]) == 2
    assert "graded in two reports" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("hello\n")
    assert cli.main(["grade", "merge", str(tmp_path / "notes.txt"), "--out", str(tmp_path / "x.csv")]) == 2


def test_rows_are_written_as_they_come_and_cells_are_made_safe(tmp_path):
    writer = grading.CsvReport(tmp_path / "r.csv", ["99-psnr"])
    report = grading.Report("=cmd|' /C calc'!A0\n\x1b[2J", [grading.Task("99-psnr", 1.0, "", "psnr", "psnr")],
                            {"99-psnr": grading.Result("passed")}, note="@SUM(1)\r\n")
    writer.write(report)
    assert (tmp_path / "r.csv").read_text().count("\n") == 2  # on disk before the report is closed
    writer.close()
    (row,) = list(csv.DictReader(open(tmp_path / "r.csv", newline="", encoding="utf-8")))
    assert row["submission"].startswith("'=cmd") and "\x1b" not in row["submission"] and row["note"] == "'@SUM(1)"


def test_the_slurm_array_recipe_grades_in_separate_processes_and_merges(tmp_path):
    """docs/examples/grade-array.slurm run as two array tasks (separate processes, no sandbox), then the merge."""
    import shutil
    import subprocess

    solutions = _solutions(tmp_path)
    shutil.copy(tmp_path / "alice_99_demo.ipynb", tmp_path / "bob_99_demo.ipynb")
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ("alice_99_demo.ipynb", "bob_99_demo.ipynb"):
        shutil.move(tmp_path / name, folder / name)
    script = Path(__file__).resolve().parents[1] / "docs" / "examples" / "grade-array.slurm"
    nfteach = str(Path(sys.executable).with_name("nfteach"))
    tasks = [subprocess.Popen(["bash", str(script), str(folder), str(solutions), "--no-sandbox", "--timeout", "60"],
                              cwd=tmp_path, env={**os.environ, "SLURM_ARRAY_TASK_ID": str(i), "SLURM_ARRAY_TASK_COUNT": "2",
                                                 "SLURM_CPUS_PER_TASK": "1", "NFTEACH": nfteach},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for i in (1, 2)]
    outputs = [task.communicate(timeout=600)[0].decode() for task in tasks]
    assert [task.returncode for task in tasks] == [0, 0], outputs
    shards = sorted((tmp_path / "grades").glob("shard-*.csv"))
    assert len(shards) == 2
    assert cli.main(["grade", "merge", *map(str, shards), "--out", str(tmp_path / "grades.csv")]) == 0
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["submission"].rsplit("/", 1)[-1] for row in rows) == ["alice_99_demo.ipynb", "bob_99_demo.ipynb"]
    assert all(row["total"] == "3" for row in rows)
