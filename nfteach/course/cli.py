"""The ``nfteach`` command: ``colab`` (badges and install cells), ``links`` (JupyterHub links), ``exercises``
(generate them), ``grade``, ``gradebook`` (Canvas/Moodle import files), ``grade-project`` (projects' rubric
sheets), ``html`` (the course site), ``slides`` (lecture mode), ``workspace`` (a student's working copy)."""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
from pathlib import Path

from nfteach.course import colab


def _log(line: str) -> None:
    print(line, file=sys.stderr)


def _add_root(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="the repository root (default: the current folder)")


def _colab(args: argparse.Namespace) -> int:
    import nbformat

    try:
        colab.github_path()
    except ValueError as error:
        print(f"nfteach colab: {error}", file=sys.stderr)
        return 2
    root = Path(args.root)
    if not root.is_dir():
        print(f"nfteach colab: --root {root} is not a folder: give the repository root", file=sys.stderr)
        return 2
    paths = [Path(p) for p in args.paths] or colab.notebook_paths(root)
    stale = []
    for path in paths:
        if not path.is_file():
            print(f"nfteach colab: no notebook at {path}", file=sys.stderr)
            return 2
        if not path.resolve().is_relative_to(root.resolve()):
            print(f"nfteach colab: {path} is outside --root {root}: its Colab address is made from its place in the "
                  "repository; pass --root", file=sys.stderr)
            return 2
        relative = path.resolve().relative_to(root.resolve()).as_posix()
        try:
            notebook = nbformat.read(path, as_version=4)
        except Exception as error:  # nbformat raises several types for text that is not a notebook
            print(f"nfteach colab: {path} is not a notebook ({type(error).__name__}); nothing was written", file=sys.stderr)
            return 2
        if args.check:
            if not colab.has_header(notebook, relative, args.ref):
                stale.append(relative)
        else:
            try:
                if colab.stamp(path, root, args.ref, force=args.force):
                    print(f"updated the Colab header of {relative}")
            except colab.EditedHeader as error:
                print(f"nfteach colab: skipped {error}", file=sys.stderr)
                stale.append(relative)
    if stale:
        print("missing or stale Colab header (run `nfteach colab`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


def _links(args: argparse.Namespace) -> int:
    root = Path(args.root)
    paths = [p for p in colab.notebook_paths(root) if p.relative_to(root).parts[0] != "solutions"]
    try:
        relatives = [path.relative_to(root).as_posix() for path in paths]
        rows = [f"| {relative} | {colab.hub_url(args.hub, relative, args.ref)} |" for relative in relatives]
    except ValueError as error:
        print(f"nfteach links: {error}", file=sys.stderr)
        return 2
    if not rows:
        print(f"nfteach links: no notebooks under {root}/notebooks or {root}/exercises", file=sys.stderr)
        return 2
    text = "| notebook | open on the hub |\n| --- | --- |\n" + "\n".join(rows) + "\n"
    if args.out:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}: {len(rows)} links")
    else:
        print(text, end="")
    return 0


def _exercises(args: argparse.Namespace) -> int:
    from nfteach.course import exercises

    try:
        outcomes = exercises.generate(Path(args.root), force=args.force, check=args.check)
    except (ValueError, FileNotFoundError) as error:
        print(f"nfteach exercises: {error}; nothing was written", file=sys.stderr)
        return 2
    for outcome in outcomes:
        relative = outcome.path.relative_to(Path(args.root)).as_posix()
        if outcome.action == "written":
            print(f"wrote {relative}")
        elif outcome.action == "skipped":
            print(f"skipped {relative}: edited since it was generated (use --force to overwrite)", file=sys.stderr)
        elif outcome.action == "link":
            print(f"skipped {relative}: a symbolic link, never written through (remove it to regenerate)", file=sys.stderr)
        elif outcome.action == "stale":
            print(f"{relative} differs from what its solution generates (run `nfteach exercises`)", file=sys.stderr)
    return 1 if any(outcome.action in ("skipped", "stale", "link") for outcome in outcomes) else 0


def _grade(args: argparse.Namespace) -> int:
    from nfteach.course import grading, sandbox
    from nfteach.course.grading import feedback

    try:
        limits = sandbox.Limits(memory=int(args.memory * 2**30), seconds=args.time_limit)
        settings = grading.Settings(args.timeout, limits, args.jobs or grading.default_jobs(limits), not args.no_sandbox)
        shard_of = grading.parse_shard(args.shard) if args.shard else None
        if args.no_sandbox:
            _log("nfteach grade: --no-sandbox: the students' code runs with your permissions")
        elif sandbox.drops_privileges() and sandbox.problem() is None:  # a refusal comes alone, in one line
            _log("nfteach grade: warning: grading as root: each run becomes the user nobody, whose process limit all "
                 "runs (and the host's other nobody processes) share; grade as an ordinary user where you can")
        policy, people = _course(args)
        if args.feedback:
            feedback.check_folder(Path(args.feedback))
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops as Ctrl-C does
        try:
            reports = grading.grade(args.submissions, Path(args.solutions), settings, shard_of=shard_of,
                                    out=Path(args.out) if args.out else None, log=_log, people=people,
                                    policy=policy, only=set(args.only) if args.only else None)
        finally:
            signal.signal(signal.SIGTERM, previous)
        pages = feedback.write_pages(reports, Path(args.feedback)) if args.feedback else []
    except grading.GradingError as error:
        print(f"nfteach grade: {error}", file=sys.stderr)
        return 2
    print(grading.table(reports))
    if args.no_sandbox:
        print("graded WITHOUT a sandbox (--no-sandbox)")
    if args.out:
        print(f"wrote {args.out}")
    if pages:
        print(f"wrote {len(pages)} feedback pages in {args.feedback}")
    return 0


def _course(args: argparse.Namespace):
    """The late rule and who is who, from ``--due``/``--penalty``/``--cap``/``--grace`` and ``--name-pattern``/
    ``--roster``/``--timestamps`` (None where not asked for)."""
    from nfteach.course import grading
    from nfteach.course.grading import roster

    if not args.due and (args.penalty is not None or args.cap != 100 or args.grace != "0"):
        raise grading.GradingError("--penalty, --cap and --grace need --due (the due time, with its zone)")
    policy = (grading.Policy(grading.parse_due(args.due), 10.0 if args.penalty is None else args.penalty, args.cap,
                             grading.parse_duration(args.grace, "--grace")) if args.due else None)
    if not (args.name_pattern or args.roster or args.timestamps):
        return policy, None
    zone = policy.zone if policy is not None else __import__("datetime").timezone.utc
    people = grading.Class(roster.pattern(args.name_pattern) if args.name_pattern else None,
                           grading.read_roster(Path(args.roster)) if args.roster else None,
                           roster.read_timestamps(Path(args.timestamps), zone) if args.timestamps else {},
                           args.timestamp_format, zone)
    return policy, people


def _gradebook(args: argparse.Namespace) -> int:
    from nfteach.course import grading

    try:
        found = grading.read_report(Path(args.report))
        if found is None:
            raise grading.GradingError(f"{args.report} is not a report of `nfteach grade`")
        rows = list(found[1].values())
        if rows and "student" not in rows[0]:
            raise grading.GradingError(f"{args.report} has a row per file: grade with --roster (and --name-pattern) "
                                       "so that its rows are students")
        people = grading.read_roster(Path(args.roster))
        count = grading.gradebook(rows, people, args.lms, args.assignment, Path(args.out))
    except grading.GradingError as error:
        print(f"nfteach gradebook: {error}", file=sys.stderr)
        return 2
    unknown = [r["student"] for r in rows if r.get("student") not in people]
    print(f"wrote {args.out}: {count} students for {args.lms}" + (f"; left out, not in the roster: "
                                                                   f"{', '.join(unknown)}" if unknown else ""))
    return 0


def _merge(args: argparse.Namespace) -> int:
    from nfteach.course import grading

    try:
        count = grading.merge([Path(p) for p in args.reports], Path(args.out))
    except grading.GradingError as error:
        print(f"nfteach grade merge: {error}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {count} submissions from {len(args.reports)} reports")
    return 0


def _grade_project(args: argparse.Namespace) -> int:
    from nfteach.course import grading, sandbox
    from nfteach.course.grading import projects

    try:
        points = tuple(float(p) for p in args.points.split(","))
        if len(points) != 3 or min(points) < 0:
            raise grading.GradingError(f"--points must be three numbers ≥ 0 (pass,good,excellent), got {args.points!r}")
        project = projects.project(args.project or _project_of(args.submissions), points)
        limits = sandbox.Limits(memory=int(args.memory * 2**30), seconds=args.time_limit)
        settings = grading.Settings(args.timeout, limits, args.jobs or grading.default_jobs(limits), not args.no_sandbox)
        policy, people = _course(args)
        rubric = Path(args.rubric)
        if rubric.suffix == ".ipynb" or (rubric.exists() and not rubric.is_file()):
            raise grading.GradingError(f"--rubric {rubric}: give a new CSV file name, e.g. rubric.csv")
        if rubric.is_file() and not args.force and projects.marked(rubric):
            raise grading.GradingError(f"--rubric {rubric} already holds marks: merge it first, or give another "
                                       "file (--force overwrites it)")
        measured = projects.grade_projects(args.submissions, project, settings, people=people,
                                           pages=Path(args.pages) if args.pages else None, log=_log)
        projects.write_sheet(rubric, [row for m in measured for row in projects.sheet_rows(project, m)], force=True)
    except grading.GradingError as error:
        print(f"nfteach grade-project: {error}", file=sys.stderr)
        return 2
    print(f"wrote {rubric}: {len(measured)} submissions × {len(projects.LEVELS)} criteria; fill in 'mark' and "
          f"'comment', then `nfteach grade-project merge {rubric} --into grades.csv`")
    if args.pages:
        print(f"wrote {sum(1 for m in measured if m.page)} executed pages in {args.pages}")
    return 0


def _project_of(submissions: list[str]) -> str:
    from nfteach.course import grading
    from nfteach.course.grading.discover import discover, name_matches
    from nfteach.explore.project_numbers import NUMBERS

    found = {m for path in discover(submissions) for m in name_matches(path, NUMBERS)}
    if len(found) != 1:
        raise grading.GradingError("--project is needed: the file names name " + (" and ".join(sorted(found)) or
                                   "no project") + f" (projects: {', '.join(NUMBERS)})")
    return found.pop()


def _merge_rubric(args: argparse.Namespace) -> int:
    from nfteach.course import grading
    from nfteach.course.grading import projects

    try:
        changes = projects.merge(Path(args.rubric), Path(args.into), Path(args.out or args.into))
    except grading.GradingError as error:
        print(f"nfteach grade-project merge: {error}", file=sys.stderr)
        return 2
    for line in changes:
        print(line)
    print(f"wrote {args.out or args.into}: {len(changes)} marks changed")
    return 0


def _positive_int(text: str) -> int:
    if not text.lstrip("-").isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"must be a whole number > 0, got {text!r}")
    return int(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def _workspace(args: argparse.Namespace) -> int:
    from nfteach.course import workspace

    try:
        outcomes = workspace.refresh(Path(args.root), Path(args.into))
    except FileNotFoundError as error:
        print(f"nfteach workspace: {error}", file=sys.stderr)
        return 2
    for outcome in outcomes:
        if outcome.action in ("copied", "updated"):
            print(f"{outcome.action} {args.into}/{outcome.relative}")
        elif outcome.action == "kept":
            print(f"kept your {args.into}/{outcome.relative}; the kit's new version is beside it: "
                  f"{args.into}/{outcome.beside}")
    return 0


def _html(args: argparse.Namespace) -> int:
    from subprocess import CalledProcessError

    from nfteach.course import site

    missing = [name for name in ("sphinx", "myst_nb", "sphinx_book_theme", "sphinxcontrib.bibtex", "mathjax")
               if not _importable(name)]
    if missing:
        print(f"nfteach html: the site builder is not installed (missing {', '.join(missing)}): "
              "run `pip install -e '.[site]'` (`make html` does it)", file=sys.stderr)
        return 2
    paths = [Path(p) for p in args.paths] or None
    try:
        for path in paths or []:
            if path.suffix != ".ipynb" or not path.is_file():
                raise FileNotFoundError(f"no notebook at {path} (expected an existing .ipynb file)")
        print(f"wrote {site.build(args.root, args.out, paths=paths, hub=args.hub, timeout=args.timeout, log=_log)}")
    except (FileNotFoundError, FileExistsError, ValueError) as error:
        print(f"nfteach html: {error}", file=sys.stderr)
        return 2
    except CalledProcessError:
        print("nfteach html: the book build failed (a cell raised, or Sphinx stopped): its output is above",
              file=sys.stderr)
        return 1
    return 0


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a dotted name whose parent is missing
        return False


def _slides(args: argparse.Namespace) -> int:
    from nfteach.course import slides

    paths = slides.lecture_paths(args.root)
    if not paths:
        print(f"nfteach slides: no notebooks under {args.root}/notebooks: give the repository root", file=sys.stderr)
        return 2
    stale = [str(path) for path in paths if slides.stamp(path, check=args.check)]
    if args.check and stale:
        print("missing or stale slide metadata (run `nfteach slides`): " + ", ".join(stale), file=sys.stderr)
        return 1
    for path in [] if args.check else stale:
        print(f"wrote the slide metadata of {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nfteach", description="Tools for the nfteach teaching kit.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    stamp = verbs.add_parser("colab", help="write the Colab badge and install cell into every notebook")
    stamp.add_argument("paths", nargs="*", help="notebooks to stamp (default: notebooks/, solutions/, exercises/)")
    _add_root(stamp)
    either = stamp.add_mutually_exclusive_group()
    either.add_argument("--check", action="store_true", help="only check, exit 1 if a header is missing or stale")
    either.add_argument("--force", action="store_true", help="also replace header cells edited by hand")
    stamp.add_argument("--ref", help="the tag or branch the badges open and the install cell installs "
                                     f"(default: v<version of the installed kit>, now {colab.release_ref()})")
    stamp.set_defaults(run=_colab)
    links = verbs.add_parser("links", help="nbgitpuller links that open each chapter and exercise on a JupyterHub")
    links.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example.edu")
    links.add_argument("--ref", help="the tag or branch to pull (default: the release, as for `nfteach colab`)")
    links.add_argument("--out", help="write the Markdown table to this file instead of printing it")
    _add_root(links)
    links.set_defaults(run=_links)
    make = verbs.add_parser("exercises", help="generate exercises/ from solutions/ (solution blocks become stubs)")
    _add_root(make)
    either = make.add_mutually_exclusive_group()
    either.add_argument("--force", action="store_true", help="also overwrite exercises edited since they were generated")
    either.add_argument("--check", action="store_true", help="write nothing, exit 1 if an exercise is out of date")
    make.set_defaults(run=_exercises)
    grade = verbs.add_parser("grade", help="run submitted notebooks in fresh kernels and score their check cells")
    grade.add_argument("submissions", nargs="+", help="submitted notebooks, or folders of them")
    grade.add_argument("--out", help="also write the report as CSV to this file (a row as each submission finishes)")
    grade.add_argument("--timeout", type=_positive_int, default=120, help="seconds each cell may run (default: 120)")
    grade.add_argument("--time-limit", type=_positive_float, default=900,
                       help="seconds each submission may run in all (default: 900)")
    grade.add_argument("--memory", type=_positive_float, default=4, help="GiB of memory per submission (default: 4)")
    grade.add_argument("--solutions", default="solutions", help="folder of solution notebooks (default: solutions)")
    grade.add_argument("--jobs", type=_positive_int, help="submissions graded in parallel (default: what the cores "
                                                          "and memory allow)")
    grade.add_argument("--shard", help="grade only shard i of n (e.g. 2/4); join the CSVs with `nfteach grade merge`")
    grade.add_argument("--no-sandbox", action="store_true", help="run without bubblewrap: the students' code runs "
                                                                 "with your permissions (said in the report)")
    course = grade.add_argument_group("the course: students, deadlines, feedback (see docs/instructors.md)")
    course.add_argument("--feedback", metavar="DIR", help="write one HTML page per submission there, to hand back")
    course.add_argument("--name-pattern", metavar="REGEX", help="canvas, moodle, gradescope, or a regular expression "
                        "with named groups (student or a roster column; timestamp) searched in folder/file name")
    course.add_argument("--roster", metavar="CSV", help="the class: a 'student' column and any of name, email, "
                        "section, canvas_id, sis_login, moodle_id, extension")
    course.add_argument("--timestamps", metavar="FILE", help="submission times: a CSV (file or student, submitted) "
                        "or Gradescope's submission_metadata.yml")
    course.add_argument("--timestamp-format", help="strptime format of the pattern's timestamp group (default ISO 8601)")
    course.add_argument("--due", help="the due time with its zone: '2026-03-01 23:59 Europe/Berlin' or 2026-03-01T23:59+01:00")
    course.add_argument("--penalty", type=float, help="percent of the raw score off per day started late (default 10)")
    course.add_argument("--cap", type=float, default=100, help="the most percent a late penalty takes (default 100)")
    course.add_argument("--grace", default="0", help="how late still counts as on time, e.g. 15m (default 0)")
    course.add_argument("--only", action="append", metavar="STUDENT", help="grade only this student (or file); "
                        "the report's other rows are kept (repeat for several)")
    grade.set_defaults(run=_grade)
    book = verbs.add_parser("gradebook", help="the CSV a Canvas or Moodle gradebook imports, from a report by student")
    book.add_argument("report", help="the report of `nfteach grade --roster …` (after `grade-project merge`, if any)")
    book.add_argument("--roster", required=True, help="the roster CSV the report was graded with")
    book.add_argument("--lms", required=True, choices=["canvas", "moodle"], help="which gradebook")
    book.add_argument("--assignment", required=True, help="the gradebook column: for Canvas as its export names it, "
                      "'Exercise 2 (123456)'; for Moodle the grade item's name")
    book.add_argument("--out", required=True, help="the CSV to import")
    book.set_defaults(run=_gradebook)
    proj = verbs.add_parser("grade-project", help="run project submissions in the sandbox, render them executed, "
                                                  "and write a rubric sheet with their numbers beside the starter's")
    proj.add_argument("submissions", nargs="+", help="submitted project notebooks, or folders of them")
    proj.add_argument("--project", help="the starter's name, e.g. p5_composing_primitives (default: from the file names)")
    proj.add_argument("--rubric", required=True, help="the rubric sheet (CSV) to write")
    proj.add_argument("--pages", metavar="DIR", help="write each executed submission as an HTML page there")
    proj.add_argument("--points", default="6,3,1", help="points of pass, good, excellent (default: 6,3,1)")
    proj.add_argument("--force", action="store_true", help="overwrite a rubric sheet that holds marks")
    proj.add_argument("--timeout", type=_positive_int, default=300, help="seconds each cell may run (default: 300)")
    proj.add_argument("--time-limit", type=_positive_float, default=900, help="seconds each submission may run (default: 900)")
    proj.add_argument("--memory", type=_positive_float, default=4, help="GiB of memory per submission (default: 4)")
    proj.add_argument("--jobs", type=_positive_int, help="submissions run in parallel")
    proj.add_argument("--no-sandbox", action="store_true", help="run without bubblewrap (the code runs as you)")
    proj.add_argument("--name-pattern", help="as for `nfteach grade`")
    proj.add_argument("--roster", help="as for `nfteach grade`")
    proj.add_argument("--timestamps", help="as for `nfteach grade`")
    proj.add_argument("--timestamp-format", help=argparse.SUPPRESS)
    proj.set_defaults(run=_grade_project, due=None, penalty=None, cap=100, grace="0")
    work = verbs.add_parser("workspace", help="copy the notebooks into a git-ignored working folder, or refresh it "
                                              "(a notebook you changed is kept; the new version goes beside it)")
    work.add_argument("--into", default="workspace", help="the working folder (default: workspace)")
    _add_root(work)
    work.set_defaults(run=_workspace)
    page = verbs.add_parser("html", help="build the course site: every chapter, project, appendix and exercise as a "
                                         "book page with its outputs (execution cached in build/book)")
    page.add_argument("paths", nargs="*", help="build only these notebooks (default: all of them)")
    page.add_argument("--out", default="site", help="the output folder (default: site)")
    page.add_argument("--hub", help="a JupyterHub's address for the pages' launch button (default: Colab and Binder only)")
    _add_root(page)
    page.add_argument("--timeout", type=int, default=600, help="seconds each cell may run (default: 600)")
    page.set_defaults(run=_html)
    show = verbs.add_parser("slides", help="write the lecture's slide metadata (RISE) into every chapter and project")
    show.add_argument("--check", action="store_true", help="write nothing, exit 1 if a notebook's metadata is stale")
    _add_root(show)
    show.set_defaults(run=_slides)
    return parser


def merge_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nfteach grade merge", description="Join the CSV reports of several shards.")
    parser.add_argument("reports", nargs="+", help="the shards' CSV reports")
    parser.add_argument("--out", required=True, help="the joined CSV report")
    parser.set_defaults(run=_merge)
    return parser


def rubric_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nfteach grade-project merge",
                                     description="Add the marks of a filled-in rubric sheet to a grade report.")
    parser.add_argument("rubric", help="the rubric sheet, its 'mark' column filled in")
    parser.add_argument("--into", required=True, help="the grade report (by student; created if absent)")
    parser.add_argument("--out", help="write the merged report here instead of over --into")
    parser.set_defaults(run=_merge_rubric)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    missing = [name for name in ("nbformat", "nbclient") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"nfteach: the instructor's tools need {' and '.join(missing)}, which the kit alone does not install: "
              "pip install \"nfteach[course]\" (or `make setup` in a clone)", file=sys.stderr)
        return 2
    if argv[:2] == ["grade", "merge"]:  # `nfteach grade merge a.csv b.csv --out all.csv`
        args = merge_parser().parse_args(argv[2:])
        return args.run(args)
    if argv[:2] == ["grade-project", "merge"]:  # `nfteach grade-project merge rubric.csv --into grades.csv`
        args = rubric_parser().parse_args(argv[2:])
        return args.run(args)
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
