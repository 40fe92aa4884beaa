"""A dry run of one assignment for a generated class: Canvas download names, a roster with extensions, a due time,
late and duplicate and unknown submissions; then feedback pages, the Canvas and Moodle gradebook files, a project
rubric sheet (filled in as an instructor would, merged back) and one regrade.

    .venv/bin/python bench/course_dry_run.py                       # 30 students, exercise 02, project 5, --jobs 2
    .venv/bin/python bench/course_dry_run.py --students 6 --out /tmp/dry   # smaller
    .venv/bin/python bench/course_dry_run.py --project-students 0  # the exercise only

Every step is the `nfteach` command an instructor types (printed as it runs, with its wall time); the folder
``--out`` ends up holding what docs/instructors.md walks through: submissions/, roster.csv, timestamps.csv,
grades.csv, feedback/, gradebook-canvas.csv, gradebook-moodle.csv, projects/, rubric.csv, pages/.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
FIRST = ["Jane", "Ali", "Zoë", "Maya", "Tom", "Ines", "Kofi", "Lena", "Ravi", "Sara", "Omar", "Anna", "Yuki", "Paul",
         "Nora", "Ivan", "Chloe", "Sven", "Aisha", "Marco", "Elif", "Jonas", "Priya", "Leo", "Mei", "Hugo", "Lina",
         "Karl", "Rosa", "Ben", "Ada", "Finn"]
LAST = ["Doe", "Ren", "Brun", "Patel", "Berg", "Costa", "Mensah", "Vogel", "Rao", "Haddad", "Nasser", "Nowak",
        "Sato", "Klein", "Dahl", "Petrov", "Martin", "Lind", "Bello", "Rossi", "Kaya", "Weber", "Iyer", "Moreau",
        "Chen", "Roux", "Sousa", "Frank", "Ortiz", "Gray", "Lovel", "Meyer"]


def answered(solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The solution as a student would hand it in: the answers in place, the markers gone."""
    notebook = nbformat.from_dict(solution)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = "\n".join(l for l in cell.source.splitlines() if l.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))
    return notebook


def variant(kind: str, solution: nbformat.NotebookNode, exercise: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """One generated submission: all right, one task left as the stub, a wrong PSNR, or a deleted check cell."""
    notebook = answered(solution)
    if kind == "stub":  # task 2 left undone: its answer cell as the exercise hands it out
        index = next(i for i, c in enumerate(notebook.cells) if c.source.startswith("def fourier_features"))
        notebook.cells[index].source = next(c.source for c in exercise.cells if c.source.startswith("def fourier_features"))
    elif kind == "wrong":
        index = next(i for i, c in enumerate(notebook.cells) if c.source.startswith("def psnr"))
        notebook.cells[index].source = notebook.cells[index].source.replace("10 * math.log10", "20 * math.log10")
    elif kind == "deleted":
        notebook.cells = [c for c in notebook.cells if c.source.strip() != "check.psnr(psnr)"]
    return notebook


def project_variant(kind: str, starter: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A project submission: the starter re-run, a changed smooth radius added as the student's row, or broken."""
    notebook = nbformat.from_dict(starter)
    if kind == "changed":
        notebook.cells.append(nbformat.v4.new_code_cell(
            "# my change: a larger smooth radius\nmine = Spheres(PRIMITIVES).to(device)\n"
            "room.fit_primitives(mine, points, sdf, 0.2, STEPS)\nwith torch.no_grad():\n    mine = mine.cpu()\n"
            "    results['smooth min k=0.2 (mine)'] = scores(mine(eval_points), 0.2, surface_of(mine, 0.2))\n"
            "show_table(results, digits=3)"))
    elif kind == "broken":
        notebook.cells.append(nbformat.v4.new_code_cell("results['mine'] = scores(undefined_name, 0.1, None)"))
    return notebook


def nfteach(*args: str, log: list) -> float:
    """Run one `nfteach` command as an instructor would; return its wall time."""
    command = [sys.executable, "-m", "nfteach.course.cli", *args]
    print("$ nfteach " + " ".join(args), flush=True)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "NFTEACH_PROGRESS": "0"})
    seconds = time.perf_counter() - start
    print(done.stdout[-3000:] + done.stderr[-3000:], flush=True)
    if done.returncode:
        raise SystemExit(f"`nfteach {args[0]}` failed with exit code {done.returncode}")
    log.append((" ".join(args[:1]) + (" " + args[1] if args[0] == "grade-project" and args[1] == "merge" else ""), seconds))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="/tmp/nfteach-dry-run", help="the course folder (replaced)")
    parser.add_argument("--students", type=int, default=30, help="submissions of the exercise (default 30)")
    parser.add_argument("--project-students", type=int, default=30, help="project submissions (default 30; 0: none)")
    parser.add_argument("--exercise", default="02_fourier_features")
    parser.add_argument("--project", default="p5_composing_primitives")
    parser.add_argument("--jobs", default="2")
    args = parser.parse_args()
    rng = random.Random(0)
    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    (out / "submissions").mkdir(parents=True)
    solution = nbformat.read(ROOT / "solutions" / f"{args.exercise}.ipynb", as_version=4)
    exercise = nbformat.read(ROOT / "exercises" / f"{args.exercise}.ipynb", as_version=4)
    n = max(args.students, args.project_students)
    people = [(f"s{i + 1:03d}", f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}", 2000 + i) for i in range(n + 2)]
    with open(out / "roster.csv", "w", newline="") as handle:  # two more students than send anything
        writer = csv.writer(handle)
        writer.writerow(["student", "name", "email", "section", "canvas_id", "sis_login", "extension"])
        for i, (sid, name, canvas) in enumerate(people):
            writer.writerow([sid, name, f"{sid}@uni.example", "AB"[i % 2], canvas, sid.replace("s", "u"),
                             "2d" if i % 10 == 3 else ""])
    times = [["file", "submitted"]]
    kinds = ["right"] * 6 + ["stub", "wrong", "deleted"]
    for i in range(args.students):
        duplicate = i == args.students - 2  # one student who sent twice (as the one before): this is the later
        sid, name, canvas = people[i - 1 if duplicate else i]
        first, last = name.split(" ")
        sortable = (last + first).lower().replace("ë", "e")
        late_days = 0 if duplicate else 1 if i % 5 == 1 or i % 10 == 3 else 3 if i % 7 == 2 else 0  # i % 10 == 3: extended
        unknown = i == args.students - 1  # one file from someone not in the roster
        canvas_id = 9999 if unknown else canvas
        sortable = "visitorvic" if unknown else sortable  # a name the roster does not have either
        stem = f"{sortable}{'_LATE' if late_days else ''}_{canvas_id}_{700000 + i}_{args.exercise}"
        name_on_disk = f"{stem}{'-1' if duplicate else ''}.ipynb"
        nbformat.write(variant(kinds[i % len(kinds)], solution, exercise), out / "submissions" / name_on_disk)
        submitted = f"2026-03-{1 + late_days:02d}T{'22' if not late_days else '10'}:{rng.randrange(60):02d}:00+01:00"
        times.append([name_on_disk, submitted if not duplicate else "2026-03-01T23:30:00+01:00"])  # the resubmission
    with open(out / "timestamps.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(times)
    log: list = []
    common = ["--name-pattern", "canvas", "--roster", str(out / "roster.csv")]
    nfteach("grade", str(out / "submissions"), "--solutions", str(ROOT / "solutions"), "--out", str(out / "grades.csv"),
            "--jobs", args.jobs, *common, "--timestamps", str(out / "timestamps.csv"),
            "--due", "2026-03-01 23:59 Europe/Berlin", "--penalty", "10", "--cap", "50", "--grace", "15m",
            "--feedback", str(out / "feedback"), log=log)
    if args.project_students:
        starter = nbformat.read(ROOT / "notebooks" / "projects" / f"{args.project}.ipynb", as_version=4)
        (out / "projects").mkdir()
        for i in range(args.project_students):
            sid, name, canvas = people[i]
            sortable = "".join(reversed(name.split(" "))).lower().replace("ë", "e")
            kind = ["starter", "changed", "changed", "broken"][i % 4]
            nbformat.write(project_variant(kind, starter), out / "projects" / f"{sortable}_{canvas}_{800000 + i}_{args.project}.ipynb")
        nfteach("grade-project", str(out / "projects"), "--project", args.project, "--rubric", str(out / "rubric.csv"),
                "--pages", str(out / "pages"), "--jobs", args.jobs, *common, log=log)
        rows = list(csv.DictReader(open(out / "rubric.csv", encoding="utf-8")))
        for row in rows:  # the instructor's marks: full pass if it ran, good if it beat the baseline somewhere
            measured = row["measured"]
            row["mark"] = {"pass": "6" if "ran top to bottom" in measured else "3",
                           "good": "3" if "better than the baseline" in measured else "0", "excellent": "0"}[row["criterion"]]
            row["comment"] = "read the page" if row["criterion"] == "pass" and "raised" in measured and "no cell raised" not in measured else ""
        with open(out / "rubric.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        nfteach("grade-project", "merge", str(out / "rubric.csv"), "--into", str(out / "grades.csv"), log=log)
    for lms, assignment in (("canvas", "Exercise 2: Fourier features (123456)"), ("moodle", "Exercise 2: Fourier features")):
        nfteach("gradebook", str(out / "grades.csv"), "--roster", str(out / "roster.csv"), "--lms", lms,
                "--assignment", assignment, "--out", str(out / f"gradebook-{lms}.csv"), log=log)
    print("\nstep                  wall time")
    for step, seconds in log:
        print(f"{step:<22}{seconds:8.0f} s")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"({args.students} exercise and {args.project_students} project submissions, --jobs {args.jobs}; "
          f"load average {load:.1f} at the end; {os.cpu_count()} cores)")
    print(f"feedback pages: {len(list((out / 'feedback').glob('*.html')))}; the course folder: {out}")


if __name__ == "__main__":
    main()
