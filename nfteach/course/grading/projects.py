"""The projects (``nfteach grade-project``): each submission run in the same sandbox, rendered executed to a
page, its metric set beside the starter's baseline and references, and a rubric sheet for the instructor.

A project starter builds one table, ``results`` (row → metric → number), with the project's metric computed by
the starter's own code: the references and the baseline (:data:`nfteach.explore.project_numbers.NUMBERS`) and
whatever the student adds. The student's rows are those the starter does not have (else the baseline row, as
re-run). The numbers come from the student's kernel: the rubric sheet shows them beside the starter's, and the
page shows how they were made; the marks are the instructor's. ``merge`` adds the marks to a grade report.
"""

from __future__ import annotations

import csv
import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from nfteach.course import sandbox
from nfteach.course.grading.discover import GradingError, _read, name_matches
from nfteach.course.grading.report import KEYS, META, TAIL, clean, csv_cell, layout, read_full
from nfteach.course.grading.run import Settings, in_sandbox

HIGHER_IS_BETTER = {"IoU", "matter", "diversity"}
"""The metrics of the starters where more is better; every other one (distances, errors, distortion,
repetition, drift, flipped %, coverage of the largest hole) is better lower."""
LEVELS = ("pass", "good", "excellent")
POINTS = (6.0, 3.0, 1.0)
"""Default points of each level (a project out of 10); ``--points`` changes them."""
RUBRIC = {
    "p1_correspondence": (
        "explains why the normal flow's error on the exact SDF (about half of not moving's) is the method's limit; "
        "one new family (rotation, bend) measured",
        "a tangential velocity term or a learned velocity field brings the correspondence error below the normal "
        "flow's limit, with drift no larger than the baseline's",
        "Lipschitz vs plain MLP compared on the in-between shapes of two unrelated shapes, with figures and drift; 3D family"),
    "p2_texture_synthesis": (
        "both metrics reported against the references for two textures (gravel, grass or brick); explains why "
        "tiling's patch SWD beats real gravel's",
        "repetition well below the SWD field's (towards real gravel's) at a patch SWD no worse than real gravel's; "
        "the images show structure (stones) the baseline lacks",
        "adds a metric (larger patches, or deep features) that separates the baseline from real gravel where 7×7 "
        "patch SWD cannot, and validates it on the references"),
    "p3_solid_texture": (
        "held-out axis and oblique slices reported against real crops and the extruded exemplar (patch SWD, "
        "repetition, diversity); a figure of slices",
        "training on oblique slices or a noise input brings the held-out repetition towards the real photo's "
        "without losing the patch distance or the diversity",
        "a rendered carved object (sphere tracing, chapter 4) with the solid texture, and a measure of continuity "
        "between neighbouring slices"),
    "p4_surface_parametrisation": (
        "all five metrics reported against latitude–longitude and the flat sheet; one loss weight varied with its effect",
        "an atlas or a free boundary covers the sphere with angle distortion below the baseline's and no flipped "
        "triangles, or a conformal energy lowers angle distortion at a stated cost in area",
        "a second target (torus with a periodic domain, or a learned SDF from chapter 5), and the seam located and "
        "measured (largest hole)"),
    "p5_composing_primitives": (
        "IoU, Chamfer-L1 and primitives that matter against the target, the bounding sphere and the hand-placed "
        "spheres (the representation's ceiling); dead primitives shown in a figure",
        "a revival or coverage strategy closes a stated part of the gap between the smooth-min fit and the "
        "hand-placed ceiling, with every primitive mattering",
        "rounded boxes or superquadrics on a second mesh; how few primitives reach the hand-placed spheres' IoU, "
        "or an animation between two poses"),
}
"""Each project's rubric, pass / good / excellent (the table in docs/instructors.md; a test keeps them equal)."""
SAME = 0.005
"""Two values within 0.5 % of each other are the same (a starter re-run on another machine moves the last digits)."""
SHEET = ["student", "project", "criterion", "level", "points", "measured", "mark", "comment"]


@dataclass
class Project:
    """What a project's submissions are measured against: the starter's rows (its references, the baseline
    last) and the rubric's three levels."""

    name: str
    numbers: dict[str, dict[str, float]]
    rubric: tuple[str, str, str]
    points: tuple[float, float, float] = POINTS

    @property
    def baseline(self) -> str:
        return list(self.numbers)[-1]


def project(name: str, points: tuple[float, float, float] = POINTS) -> Project:
    """A starter of notebooks/projects by name (GradingError listing them for another name)."""
    from nfteach.explore.project_numbers import NUMBERS

    if name not in NUMBERS or name not in RUBRIC:
        raise GradingError(f"--project {name!r}: expected one of {', '.join(sorted(NUMBERS))}")
    return Project(name, NUMBERS[name], RUBRIC[name], points)


@dataclass
class Measured:
    """One submission run: the student's rows, the page, and what went wrong (cells that raised, a stop)."""

    submission: Path
    student: str
    rows: dict[str, dict[str, float]] = field(default_factory=dict)
    errors: int = 0
    ran: bool = False
    page: Path | None = None
    note: str = ""


def run_one(path: Path, settings: Settings, hidden: list[Path], pages: Path | None) -> tuple[dict, int, bool, str, str]:
    """Run a project notebook in a fresh sandbox: its results table, cells that raised, whether it ran to the end,
    the page's HTML (empty without ``pages``) and a note."""
    notebook, problem = _read(path)
    if notebook is None:
        return {}, 0, False, "", problem
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    outcome, _, (executed, rows) = in_sandbox(
        notebook, "project_runner.py", settings, hidden,
        lambda workdir: (_read(workdir / "executed.ipynb")[0], _rows(workdir / "results.json")))
    if executed is None:
        return {}, 0, False, "", f"the notebook did not run (exit code {outcome.returncode})"
    errors = sum(1 for c in executed.cells if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.get("outputs", [])))
    note = "stopped at the time limit" if outcome.timed_out else ""
    return rows, errors, not outcome.timed_out, _html(executed) if pages is not None else "", note


def _rows(path: Path) -> dict[str, dict[str, float]]:
    """The results table the sandbox wrote (untrusted: numbers only, at most 1 MB)."""
    if path.is_symlink() or not path.is_file() or path.stat().st_size > 2**20:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}
    return {str(row)[:80]: {str(k)[:40]: float(v) for k, v in values.items() if isinstance(v, (int, float))}
            for row, values in data.items() if isinstance(values, dict)} if isinstance(data, dict) else {}


CSP = ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
       "style-src 'unsafe-inline'; font-src data:\">")
"""The page's policy: no script runs (the student's HTML outputs, or nbconvert's own MathJax) and nothing is fetched
from the network (an image that phones home): the page is read as it is, offline."""


def _html(notebook: nbformat.NotebookNode) -> str:
    """The executed notebook as one HTML page that runs no script and fetches nothing (see :data:`CSP`)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(embed_images=True).from_notebook_node(notebook)
    head = body.find("<head>")
    return body[:head + 6] + CSP + body[head + 6:] if head >= 0 else CSP + body


def measure(project: Project, rows: dict[str, dict[str, float]]) -> tuple[dict[str, dict[str, float]], list[str]]:
    """The student's rows (those the starter does not have, else the baseline re-run) and, for each of their
    metrics, a line comparing it with the baseline and the references."""
    own = {r: v for r, v in rows.items() if r not in project.numbers} or (
        {project.baseline: rows[project.baseline]} if project.baseline in rows else {})
    lines = []
    same = lambda a, b: abs(a - b) <= SAME * max(abs(b), 1e-12)
    for row, values in own.items():
        for metric, value in values.items():
            base = project.numbers[project.baseline].get(metric)
            refs = ", ".join(f"{r} {v[metric]:.4g}" for r, v in project.numbers.items() if r != project.baseline and metric in v)
            if base is None:
                lines.append(f"{row}: {metric} {value:.4g}")
                continue
            better = value > base if metric in HIGHER_IS_BETTER else value < base
            verdict = "the same as" if same(value, base) else "better than" if better else "worse than"
            lines.append(f"{row}: {metric} {value:.4g}, {verdict} the baseline's {base:.4g}" + (f" (references: {refs})" if refs else ""))
    return own, lines


def sheet_rows(project: Project, measured: Measured) -> list[dict[str, str]]:
    """The rubric sheet's three rows for one submission (the mark and comment left for the instructor)."""
    own, lines = measure(project, measured.rows)
    ran = ("ran top to bottom" if measured.ran else "did not finish") + f", {_raised(measured.errors)}"
    beats = [line for line in lines if "better than the baseline" in line]
    mine = [row for row in own if row not in project.numbers]
    said = [f"{ran}; " + (f"{len(mine)} result rows of its own ({', '.join(mine)})" if mine else
                          "no result row of its own (the baseline as re-run" + (")" if own else ": missing)")),
            "; ".join([*beats, *(line for line in lines if line not in beats)]) or "no numbers to compare",
            "nothing measured: read the page"]
    return [{"student": measured.student, "project": project.name, "criterion": level, "level": text,
             "points": f"{points:g}", "measured": what + (f" [{measured.note}]" if measured.note and level == "pass" else ""),
             "mark": "", "comment": ""}
            for level, text, points, what in zip(LEVELS, project.rubric, project.points, said)]


def marked(path: Path) -> bool:
    """True when the rubric sheet at ``path`` holds a mark or a comment (a person edited it)."""
    return any(r.get("mark") or r.get("comment") for r in read_sheet(path))


def _raised(errors: int) -> str:
    return "no cell raised" if not errors else f"{errors} cell{'s' if errors > 1 else ''} raised"


def write_sheet(path: Path, rows: list[dict[str, str]], force: bool = False) -> None:
    """Write the rubric sheet; an existing one with any mark in it is kept unless ``force`` (a person edited it)."""
    path = Path(path)
    if path.is_file() and not force and marked(path):
        raise GradingError(f"--rubric {path} already holds marks: merge it first, or give another file (--force "
                           "overwrites it)")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, SHEET)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: csv_cell(v) for k, v in row.items()})


def read_sheet(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if [c.strip() for c in reader.fieldnames or []][:len(SHEET)] != SHEET:
            raise GradingError(f"{path} is not a rubric sheet of `nfteach grade-project` (its columns are "
                               f"{reader.fieldnames}; expected {SHEET})")
        return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]


def merge(sheet: Path, report: Path, out: Path) -> list[str]:
    """Add each student's marks (a column named after the project, ``mark/points``) to the grade ``report``,
    written to ``out``: totals and out_of grow by them; a merged sheet merged again replaces its column's
    marks. GradingError for a mark that is not a number from 0 to its points, or blank; return what changed."""
    from nfteach.course.grading.report import CsvReport

    CsvReport.check(Path(out), protected=[Path(sheet)])  # never over a file that is not a report
    rows = read_sheet(sheet)
    marks: dict[tuple[str, str], list[float]] = {}
    comments: dict[tuple[str, str], list[str]] = {}
    for number, row in enumerate(rows, 2):
        key = (row["student"].lstrip("'"), row["project"])
        try:
            mark, most = float(row["mark"]), float(row["points"])
        except ValueError:
            raise GradingError(f"{sheet}, line {number}: the mark of {row['student']} ({row['criterion']}) is "
                               f"{row['mark']!r}: give a number from 0 to {row['points']}") from None
        if not 0 <= mark <= most:
            raise GradingError(f"{sheet}, line {number}: mark {mark:g} is outside 0 to {most:g}")
        total, most_sum = marks.get(key, [0.0, 0.0])
        marks[key] = [total + mark, most_sum + most]
        if row.get("comment"):
            comments.setdefault(key, []).append(f"{row['criterion']}: {row['comment']}")
    found = read_full(report) if Path(report).is_file() else None
    if Path(report).is_file() and found is None:
        raise GradingError(f"{report} is not a report of `nfteach grade`")
    tasks, table, header = found if found else ([], {}, layout([], "student"))
    if header[0] != "student":
        raise GradingError(f"{report} has a row per file: grade with --roster so that its rows are students")
    said = []
    projects = list(dict.fromkeys(p for _, p in marks))
    for (student, name), (mark, most) in marks.items():
        row = table.setdefault(student, {"student": student, "total": "0", "out_of": "0", "note": ""})
        old = row.get(name, "")
        old_mark, old_most = (float(x) for x in old.split("/")) if "/" in old else (0.0, 0.0)
        row[name] = f"{mark:g}/{most:g}"
        row["total"] = f"{float(row.get('total') or 0) - old_mark + mark:g}"
        if row.get("raw"):
            row["raw"] = f"{float(row['raw']) - old_mark + mark:g}"
        row["out_of"] = f"{float(row.get('out_of') or 0) - old_most + most:g}"
        if comments.get((student, name)):
            note = [n for n in row.get("note", "").split("; ") if n and not n.startswith(f"{name}: ")]
            row["note"] = "; ".join([*note, f"{name}: " + " | ".join(comments[(student, name)])])
        if old != row[name]:
            said.append(f"{student}: {name} {old or '(none)'} → {row[name]}")
    columns = list(dict.fromkeys([*tasks, *projects]))
    final_header = layout(columns, "student", any(m in header for m in META[1:]))
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(final_header)
        for student in sorted(table):
            writer.writerow([csv_cell(table[student].get(c, "")) for c in final_header])
    return said


def page(measured: Measured, project: Project, body: str) -> str:
    """The executed notebook's page with the measured numbers on top."""
    own, lines = measure(project, measured.rows)
    top = "".join(f"<li>{html.escape(clean(line))}</li>" for line in lines) or "<li>no numbers to compare</li>"
    banner = (f"<div style='border:2px solid #888;padding:.6rem;margin:1rem'><b>{html.escape(clean(measured.student))}"
              f"</b> · {html.escape(project.name)} · {'ran top to bottom' if measured.ran else 'did not finish'}, "
              f"{_raised(measured.errors)}<ul>{top}</ul></div>")
    start = body.find("<body")
    end = body.find(">", start) + 1 if start >= 0 else 0
    return body[:end] + banner + body[end:]


def grade_projects(paths: list[Path], proj: Project, settings: Settings, *, people=None, pages: Path | None = None,
                   log=lambda line: None) -> list[Measured]:
    """Run every project submission (folders: their ``*.ipynb``) in its sandbox, one after another per job."""
    from concurrent.futures import ThreadPoolExecutor

    from nfteach.course.grading.discover import discover

    files = discover(paths)
    if not files:
        raise GradingError(f"no project submissions (*.ipynb) in {', '.join(map(str, paths))}")
    if settings.use_sandbox and sandbox.problem():
        raise GradingError(sandbox.problem())
    if pages is not None:
        Path(pages).mkdir(exist_ok=True)
    hidden = [*{p.parent for p in files}, *([Path(pages)] if pages is not None else [])]
    who = {p: people.identify(p) for p in files} if people is not None else {}

    def one(path: Path) -> Measured:
        student = who[path].student if path in who else path.stem
        rows, errors, ran, body, note = run_one(path, settings, hidden, pages)
        measured = Measured(path, student, rows, errors, ran, note=note)
        if pages is not None and body:
            from nfteach.course.grading.feedback import safe_name

            measured.page = Path(pages) / f"{safe_name(student)}.html"
            measured.page.write_text(page(measured, proj, body), encoding="utf-8")
        log(f"ran {clean(student)}'s {proj.name}: {len(rows)} result rows, {_raised(errors)}" + (f" ({note})" if note else ""))
        return measured

    with ThreadPoolExecutor(max_workers=settings.jobs) as pool:
        return list(pool.map(one, files))
