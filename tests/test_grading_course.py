"""The course around `nfteach grade`: LMS names → students, the roster, deadlines and extensions, gradebook files,
feedback pages, regrading one student, the projects' rubric sheet, and `check.summary()`.

Most tests need no kernel; two grade a few tiny submissions in the sandbox (psnr and sine_layer tasks)."""

import csv
import datetime as dt
import re
from pathlib import Path

import nbformat
import pytest
from grading_support import PSNR, SINE, TODO, notebook, solutions

from nfteach.course import cli, grading, sandbox
from nfteach.course.grading import feedback, projects, roster
from nfteach.course.grading.discover import Task
from nfteach.course.grading.score import Report, Result

BERLIN = "Europe/Berlin"
ROSTER = ("student,name,email,section,canvas_id,sis_login,moodle_id,extension\n"
          "s001,Jane Doe,jane@uni.example,A,1001,jdoe,5001,\n"
          "s002,Ali Ren,ali@uni.example,A,1002,aren,5002,2d\n"
          "s003,Zoë Brun,zoe@uni.example,B,1003,zbrun,5003,\n")


def _roster(tmp_path) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER)
    return path


def _class(tmp_path, pattern, timestamps=None) -> roster.Class:
    return roster.Class(roster.pattern(pattern), roster.read_roster(_roster(tmp_path)), timestamps or {})


# --- who is who -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, student, late", [
    ("doejane_1001_555123_02_fourier_features.ipynb", "s001", False),
    ("renali_late_1002_555124_02_fourier_features-1.ipynb", "s002", True),  # late, resubmitted
    ("brunzoe_LATE_1003_555125_02_fourier_features.ipynb", "s003", True),
    ("nobody_9999_555126_02_fourier_features.ipynb", "unknown: nobody_9999_555126_02_fourier_features.ipynb", False),
    ("doejane_8888_555127_02_fourier_features.ipynb", "s001", False),  # an id not in the roster: the name decides
])
def test_canvas_download_names(tmp_path, name, student, late):
    who = _class(tmp_path, "canvas").identify(tmp_path / "submissions" / name)
    assert (who.student, who.late_flag) == (student, late)


@pytest.mark.parametrize("path, student", [
    ("submissions/Jane Doe_5001_assignsubmission_file_02_fourier_features.ipynb", "s001"),  # flat download
    ("Ali Ren_5002_assignsubmission_file_/my notebook.ipynb", "s002"),  # "in folders"
    ("Zoe Brun_77_assignsubmission_file_/x.ipynb", "s003"),  # participant id unknown: the full name decides
])
def test_moodle_download_names(tmp_path, path, student):
    assert _class(tmp_path, "moodle").identify(tmp_path / path).student == student


def test_gradescope_export_with_its_metadata(tmp_path):
    metadata = tmp_path / "submission_metadata.yml"
    metadata.write_text("submission_4242:\n  :submitters:\n  - :name: Ali Ren\n    :sid: s002\n    :email: ali@uni.example\n"
                        "  :created_at: 2026-03-03 10:30:00.123456789 +01:00\n  :score: 0.0\n")
    people = _class(tmp_path, "gradescope", roster.read_timestamps(metadata, dt.timezone.utc))
    who = people.identify(tmp_path / "assignment_77_export" / "submission_4242" / "02_fourier_features.ipynb")
    assert who.student == "s002"
    assert who.submitted == dt.datetime(2026, 3, 3, 9, 30, 0, 123456, tzinfo=dt.timezone.utc)


def test_a_pattern_of_ones_own_with_a_timestamp(tmp_path):
    people = roster.Class(roster.pattern(r"(?P<email>[^/_]+@[^/_]+)_(?P<timestamp>\d{8}T\d{4})"),
                          roster.read_roster(_roster(tmp_path)), {}, "%Y%m%dT%H%M", dt.timezone.utc)
    who = people.identify(tmp_path / "ali@uni.example_20260302T0815_hw.ipynb")
    assert who.student == "s002" and who.submitted == dt.datetime(2026, 3, 2, 8, 15, tzinfo=dt.timezone.utc)


def test_a_pattern_naming_no_one_and_a_bad_roster_are_refused(tmp_path):
    with pytest.raises(grading.GradingError, match="no group that says who"):
        roster.pattern(r"(?P<timestamp>\d+)")
    bad = tmp_path / "bad.csv"
    bad.write_text("student,name\ns1,A\ns1,B\n")
    with pytest.raises(grading.GradingError, match="line 3: student 's1' is listed twice"):
        roster.read_roster(bad)


def test_a_students_later_file_is_graded_and_the_earlier_one_said(tmp_path):
    early, late = tmp_path / "a_1.ipynb", tmp_path / "a_2.ipynb"
    ids = {early: roster.Identity("s1", dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)),
           late: roster.Identity("s1", dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))}
    keep, aside = roster.latest_per_student(ids, {early: "ex", late: "ex"})
    assert keep == [late] and "the later one (a_2.ipynb) is graded" in aside[0]


# --- deadlines ---------------------------------------------------------------------------------------------------

def test_the_due_time_needs_its_zone():
    assert grading.parse_due("2026-03-01 23:59 Europe/Berlin").utcoffset() == dt.timedelta(hours=1)
    assert grading.parse_due("2026-03-01T23:59+01:00") == grading.parse_due("2026-03-01 23:59 Europe/Berlin")
    with pytest.raises(grading.GradingError, match="no time zone"):
        grading.parse_due("2026-03-01 23:59")
    with pytest.raises(grading.GradingError, match="unknown time zone"):
        grading.parse_due("2026-03-01 23:59 Mars/Olympus")


def test_a_late_submission_with_and_without_an_extension():
    policy = grading.Policy(grading.parse_due(f"2026-03-01 23:59 {BERLIN}"), 10, 25, dt.timedelta(minutes=15))
    at = lambda text: dt.datetime.fromisoformat(text)
    assert policy.penalty(at("2026-03-01T23:00+01:00"))[0] == 0
    assert policy.penalty(at("2026-03-02T00:10+01:00"))[1].startswith("11 min after the due time, within the grace")
    fraction, why = policy.penalty(at("2026-03-03T10:00+01:00"))  # 1 d 10 h late: 2 days started
    assert fraction == pytest.approx(0.2) and "2 days × 10 % = −20 %" in why
    assert policy.penalty(at("2026-03-09T10:00+01:00"))[0] == pytest.approx(0.25)  # the cap
    assert policy.penalty(at("2026-03-03T10:00+01:00"), "2d") == (0.0, "on time (due 2026-03-03 23:59 CET (extension 2d))")
    assert policy.penalty(at("2026-03-03T10:00+01:00"), "2026-03-05T12:00")[0] == 0  # a new due time
    assert "no penalty applied" in policy.penalty(None, "", late_flag=True)[1]


# --- pages and files -----------------------------------------------------------------------------------------------

def _report(student="s001", penalty=0.0) -> Report:
    tasks = [Task("02-psnr", 1, "check.psnr(psnr)", "psnr", "psnr"), Task("02-pe", 2, "", "positional_encoding", "pe")]
    report = Report("subs/doejane_1001_1_02.ipynb", tasks, student=student, penalty=penalty, late="1 d late: −10 %")
    report.results = {"02-psnr": Result("passed"), "02-pe": Result(
        "failed", "expected about 23.52 dB for a small test, got 3.10 dB: compare <b>", printed="mse <script>x</script>")}
    return report


def test_a_feedback_page_shows_verdicts_hints_and_prints_never_a_reference(tmp_path):
    (page,) = feedback.write_pages([_report(penalty=0.1)], tmp_path / "feedback")
    text = page.read_text()
    assert page.name == "s001.html" and "✓ passed" in text and "✗ not yet right" in text
    assert "got 3.10 dB" in text and "23.52" not in text and "expected about (withheld)" in text
    assert feedback.withhold("level=2.5, stages=4: expected [1.0, 0.5], got [1.0]") == \
        "level=…, stages=…: expected (withheld), got [1.0]"
    assert "&lt;script&gt;" in text and "<script>" not in text and "http" not in text  # escaped, offline
    assert "Score: 0.9 / 3" in text and "Raw score 1 / 3; late: 1 d late" in text


def test_gradebooks_for_canvas_and_moodle(tmp_path):
    people = roster.read_roster(_roster(tmp_path))
    rows = [{"student": "s001", "total": "2.7", "raw": "3", "out_of": "3", "late": "1 d late: −10 %"},
            {"student": "s002", "total": "3", "raw": "3", "out_of": "3", "late": ""}]
    grading.gradebook(rows, people, "canvas", "Exercise 2 (123456)", tmp_path / "canvas.csv")
    grading.gradebook(rows, people, "moodle", "Exercise 2", tmp_path / "moodle.csv")
    canvas = list(csv.reader(open(tmp_path / "canvas.csv")))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Exercise 2 (123456)"]
    assert canvas[1] == ["Jane Doe", "1001", "s001", "jdoe", "A", "2.7"] and len(canvas) == 3
    with pytest.raises(grading.GradingError, match="is not a canvas gradebook file"):
        grading.gradebook(rows, people, "canvas", "Exercise 2 (123456)", _roster(tmp_path))  # never over the roster
    moodle = list(csv.reader(open(tmp_path / "moodle.csv")))
    assert moodle[0] == ["ID number", "Email address", "Full name", "Exercise 2", "Feedback"]
    assert moodle[1] == ["s001", "jane@uni.example", "Jane Doe", "2.7", "raw 3/3; 1 d late: −10 %"]


def test_the_examples_in_the_docs_are_what_the_code_reads_and_writes(tmp_path):
    examples = Path(__file__).parents[1] / "docs" / "examples"
    people = roster.read_roster(examples / "roster.csv")
    for lms in ("canvas", "moodle"):
        header = next(csv.reader(open(examples / f"gradebook-{lms}.csv")))
        grading.gradebook([], people, lms, header[5] if lms == "canvas" else header[3], tmp_path / f"{lms}.csv")
        assert next(csv.reader(open(tmp_path / f"{lms}.csv"))) == header
    assert projects.read_sheet(examples / "rubric.csv")[0]["criterion"] == "pass"


def test_the_rubric_in_the_guide_is_the_one_the_sheet_uses():
    guide = (Path(__file__).parents[1] / "docs" / "instructors.md").read_text()
    for name, levels in projects.RUBRIC.items():
        row = next(line for line in guide.splitlines() if line.startswith(f"| {name[1]} ·"))
        assert [cell.strip().replace("**", "") for cell in row.split("|")[2:5]] == list(levels), name


def test_a_project_rubric_round_trip(tmp_path):
    """Measured numbers → the sheet → the instructor's marks → merged into the report (twice: replaced, not added)."""
    project = projects.Project("p9_demo", {"reference": {"IoU": 1.0}, "baseline": {"IoU": 0.6, "Chamfer-L1": 0.05}},
                               ("runs", "beats the baseline", "more"), (6, 3, 1))
    measured = projects.Measured(Path("s001_p9_demo.ipynb"), "s001", {"baseline": {"IoU": 0.61, "Chamfer-L1": 0.05},
                                                                      "mine": {"IoU": 0.8, "Chamfer-L1": 0.07}}, 0, True)
    sheet = projects.sheet_rows(project, measured)
    assert [r["criterion"] for r in sheet] == ["pass", "good", "excellent"]
    assert "mine: IoU 0.8, better than the baseline's 0.6" in sheet[1]["measured"]
    assert "baseline: IoU 0.61" not in sheet[1]["measured"]  # the starter's own rows are not the student's
    assert "Chamfer-L1 0.07, worse than the baseline's 0.05" in sheet[1]["measured"]
    path = tmp_path / "rubric.csv"
    projects.write_sheet(path, sheet)
    rows = list(csv.DictReader(open(path)))
    for row, mark in zip(rows, ("6", "2", "")):
        row["mark"], row["comment"] = mark, "clear" if mark == "6" else ""
    with pytest.raises(grading.GradingError, match="the mark of s001 \\(excellent\\) is ''"):
        _write(path, rows) or projects.merge(path, tmp_path / "grades.csv", tmp_path / "grades.csv")
    rows[2]["mark"] = "0"
    _write(path, rows)
    report = tmp_path / "grades.csv"
    report.write_text("student,02-psnr,submission,submitted,late,raw,total,out_of,note\ns001,passed,a.ipynb,,,1,1,1,\n")
    assert projects.merge(path, report, report) == ["s001: p9_demo (none) → 8/10"]
    assert projects.merge(path, report, report) == []  # merged again: the same
    row = next(csv.DictReader(open(report)))
    assert (row["p9_demo"], row["raw"], row["total"], row["out_of"]) == ("8/10", "9", "9", "11")
    assert row["note"] == "p9_demo: pass: clear"
    with pytest.raises(grading.GradingError, match="already holds marks"):
        projects.write_sheet(path, sheet)


def _write(path, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, projects.SHEET)
        writer.writeheader()
        writer.writerows(rows)


def test_rerunning_after_a_fixed_check_says_what_changed_row_by_row(tmp_path):
    """The report written again over itself: each row graded again is compared with what it was."""
    path = tmp_path / "grades.csv"
    first = grading.CsvReport(path, ["02-psnr", "02-pe"], keep=set(), key="student")
    for student in ("s001", "s002"):
        first.write(_report(student))
    first.close()
    again = grading.CsvReport(path, ["02-psnr", "02-pe"], keep={"s001", "s002"}, key="student")
    fixed = _report("s001")
    fixed.results["02-pe"] = Result("passed")  # the check was wrong; fixed, it passes this answer
    assert again.changes(fixed).startswith("02-pe: failed: expected about 23.52 dB") and "→ passed; total: 1 → 3" in again.changes(fixed)
    assert again.changes(_report("s002")) == "" and again.changes(_report("s009")) is None  # unchanged; new
    again.close()


# --- check.summary() -----------------------------------------------------------------------------------------------

def test_the_summary_says_what_is_done_what_is_not_and_never_raises(capsys, monkeypatch):
    import math

    import torch

    from nfteach.course import check

    def psnr(pred, target, data_range=1.0):
        return 10 * math.log10(data_range**2 / torch.mean((pred - target) ** 2).item())

    def positional_encoding(x, num_frequencies):
        raise NotImplementedError()

    def fourier_features(v, B):
        return v  # wrong

    monkeypatch.setenv("NFTEACH_STRICT", "1")  # as under nbgrader: a summary still never raises
    result = check.summary({"psnr": psnr, "positional_encoding": positional_encoding, "fourier_features": fourier_features})
    out = capsys.readouterr().out
    assert result.done == ["psnr"] and "1 of 3 tasks done" in out
    assert "✗ positional encoding: to do: not done yet" in out and "✗ fourier features: to do:" in out
    assert "What is graded" in out


def test_every_exercise_ends_with_the_summary():
    for path in sorted((Path(__file__).parents[1] / "exercises").glob("*.ipynb")):
        assert nbformat.read(path, as_version=4).cells[-1].source == "check.summary()", path


# --- in the sandbox --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Three Canvas submissions (one late, one late with an extension), graded with a roster and a due time."""
    if sandbox.problem() is not None:
        pytest.fail(f"these tests grade in the sandbox, which is not usable here: {sandbox.problem()}")
    root = tmp_path_factory.mktemp("course")
    subs = root / "submissions"
    subs.mkdir()
    nbformat.write(notebook(summary=True), subs / "doejane_1001_1_99_demo.ipynb")
    printing = notebook(PSNR, "print('shape', tuple(x.shape))\n    " + SINE, summary=True)
    nbformat.write(printing, subs / "renali_late_1002_2_99_demo.ipynb")
    nbformat.write(notebook(PSNR, TODO, summary=True), subs / "brunzoe_late_1003_3_99_demo.ipynb")
    nbformat.write(notebook(TODO, TODO), subs / "stranger_4004_4_99_demo.ipynb")
    (root / "times.csv").write_text("file,submitted\nrenali_late_1002_2_99_demo.ipynb,2026-03-03T10:00:00+01:00\n"
                                    "brunzoe_late_1003_3_99_demo.ipynb,2026-03-02T09:00:00+01:00\n")
    base = ["grade", str(subs), "--solutions", str(solutions(root)), "--out", str(root / "grades.csv"), "--jobs", "2",
            "--timeout", "60", "--name-pattern", "canvas", "--roster", str(_roster(root)),
            "--timestamps", str(root / "times.csv"), "--due", f"2026-03-01 23:59 {BERLIN}", "--penalty", "10"]
    first = cli.main([*base, "--feedback", str(root / "feedback")])
    rows = {r["student"]: r for r in csv.DictReader(open(root / "grades.csv"))}
    return root, base, first, rows


def test_the_report_is_keyed_by_student_with_raw_and_final_scores(course):
    root, _, first, rows = course
    assert first == 0 and set(rows) == {"s001", "s002", "s003", "unknown: stranger_4004_4_99_demo.ipynb"}
    assert (rows["s001"]["raw"], rows["s001"]["total"], rows["s001"]["late"]) == ("3", "3", rows["s001"]["late"])
    assert "no penalty applied" in rows["s001"]["late"]  # no time known
    assert (rows["s002"]["raw"], rows["s002"]["total"]) == ("3", "3") and "extension 2d" in rows["s002"]["late"]
    assert (rows["s003"]["raw"], rows["s003"]["total"]) == ("1", "0.9") and "1 day × 10 % = −10 %" in rows["s003"]["late"]
    assert "unknown student" in rows["unknown: stranger_4004_4_99_demo.ipynb"]["note"]
    assert rows["s001"]["note"] == "" and rows["s001"]["99-psnr"] == "passed"  # its check.summary() cell changed nothing


def test_feedback_pages_show_what_the_answer_printed(course):
    root = course[0]
    pages = sorted(p.name for p in (root / "feedback").iterdir())
    assert pages == ["s001.html", "s002.html", "s003.html", "unknown_stranger_4004_4_99_demo.ipynb.html"]
    assert "shape (" in (root / "feedback" / "s002.html").read_text()
    assert "not done yet" in (root / "feedback" / "s003.html").read_text()


def test_regrading_one_student_keeps_every_other_row_and_says_what_changed(course, capsys):
    root, base, _, before = course
    subs = root / "submissions"
    nbformat.write(notebook(summary=True), subs / "brunzoe_late_1003_3_99_demo.ipynb")  # fixed by hand, say
    assert cli.main([*base, "--only", "s003"]) == 0
    err = capsys.readouterr().err
    after = {r["student"]: r for r in csv.DictReader(open(root / "grades.csv"))}
    assert {k: v for k, v in after.items() if k != "s003"} == {k: v for k, v in before.items() if k != "s003"}
    assert after["s003"]["total"] == "2.7"
    assert re.search(r"graded s003: .*changed: 99-sine_layer: failed: .* → passed; total: 0.9 → 2.7", err)
    assert "1 of 1 rows graded again changed (s003); 3 other rows kept as they were" in err


def test_a_project_runs_in_the_sandbox_to_a_page_and_a_sheet(tmp_path):
    """A tiny project: the starter's table plus the student's row, and an HTML output that must not run."""
    if sandbox.problem() is not None:
        pytest.fail(f"this test runs a project in the sandbox, which is not usable here: {sandbox.problem()}")
    project = projects.Project("p9_demo", {"reference": {"IoU": 1.0}, "baseline": {"IoU": 0.6}}, ("a", "b", "c"))
    folder = tmp_path / "projects"
    folder.mkdir()
    cells = ["results = {'reference': {'IoU': 1.0}, 'baseline': {'IoU': 0.6}}",
             "from IPython.display import HTML\nHTML('<script>alert(1)</script><b>bold</b>')",
             "import matplotlib.pyplot as plt\nplt.plot([0, 1])\nplt.show()",
             "results['mine'] = {'IoU': 0.75, 'note': 'text is left out'}", "1 / 0"]
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells]), folder / "s001_p9_demo.ipynb")
    (measured,) = projects.grade_projects([folder], project, grading.Settings(timeout=60), pages=tmp_path / "pages")
    assert measured.rows["mine"] == {"IoU": 0.75} and measured.errors == 1 and measured.ran
    text = measured.page.read_text()
    assert "mine: IoU 0.75, better than the baseline&#x27;s 0.6" in text or "mine: IoU 0.75, better than the baseline's 0.6" in text
    assert text.index(projects.CSP) < text.index("<script")  # before any script: none runs, nothing is fetched
    assert "script-src" not in projects.CSP and "default-src 'none'" in projects.CSP and "ZeroDivisionError" in text
    assert "data:image/png;base64" in text  # the figure is in the page
    sheet = projects.sheet_rows(project, measured)
    assert sheet[0]["measured"].startswith("ran top to bottom, 1 cell raised; 1 result rows of its own (mine)")


def test_grade_project_refuses_an_unknown_project(tmp_path, capsys):
    (tmp_path / "x.ipynb").write_text("{}")
    assert cli.main(["grade-project", str(tmp_path), "--project", "p0_nothing", "--rubric", str(tmp_path / "r.csv")]) == 2
    assert "expected one of p1_correspondence" in capsys.readouterr().err
