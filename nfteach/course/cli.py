"""The ``nfteach`` command: ``colab`` (badges and install cells), ``links`` (JupyterHub links), ``exercises``
(generate them), ``grade``, ``html`` (the course site), ``slides`` (lecture mode), ``workspace`` (a student's
working copy)."""

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

    try:
        limits = sandbox.Limits(memory=int(args.memory * 2**30), seconds=args.time_limit)
        settings = grading.Settings(args.timeout, limits, args.jobs or grading.default_jobs(limits), not args.no_sandbox)
        shard_of = grading.parse_shard(args.shard) if args.shard else None
        if args.no_sandbox:
            _log("nfteach grade: --no-sandbox: the students' code runs with your permissions")
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops as Ctrl-C does
        try:
            reports = grading.grade(args.submissions, Path(args.solutions), settings, shard_of=shard_of,
                                    out=Path(args.out) if args.out else None, log=_log)
        finally:
            signal.signal(signal.SIGTERM, previous)
    except grading.GradingError as error:
        print(f"nfteach grade: {error}", file=sys.stderr)
        return 2
    print(grading.table(reports))
    if args.no_sandbox:
        print("graded WITHOUT a sandbox (--no-sandbox)")
    if args.out:
        print(f"wrote {args.out}")
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
    grade.set_defaults(run=_grade)
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
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
