"""The ``nfteach`` command: ``nfteach colab`` (badges and install cells)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from nfteach import colab


def _colab(args: argparse.Namespace) -> int:
    root = Path(args.root)
    paths = [Path(p) for p in args.paths] or colab.notebook_paths(root)
    stale = []
    for path in paths:
        if not path.is_file():
            print(f"nfteach colab: no notebook at {path}", file=sys.stderr)
            return 2
        relative = path.resolve().relative_to(root.resolve()).as_posix()
        if args.check:
            if not colab.has_header(nbformat.read(path, as_version=4), relative):
                stale.append(relative)
        elif colab.stamp(path, root):
            print(f"updated the Colab header of {relative}")
    if stale:
        print("missing or stale Colab header (run `nfteach colab`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nfteach", description="Tools for the nfteach teaching kit.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    stamp = verbs.add_parser("colab", help="write the Colab badge and install cell into every notebook")
    stamp.add_argument("paths", nargs="*", help="notebooks to stamp (default: notebooks/, solutions/, exercises/)")
    stamp.add_argument("--root", default=".", help="the repository root (default: the current folder)")
    stamp.add_argument("--check", action="store_true", help="only check, exit 1 if a header is missing or stale")
    stamp.set_defaults(run=_colab)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
