"""Every link in every notebook leads somewhere, and the course can be walked: from the welcome to every chapter,
project and appendix, and from each chapter to its neighbours."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for folder in ("notebooks", "exercises", "solutions") for p in (ROOT / folder).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
LINK = re.compile(r"\]\(([^)\s]+)\)")
CHAINS = [["01_spectral_bias", "02_fourier_features", "03_siren", "04_occupancy_sdf", "05_neural_sdf", "06_mrnet",
           "07_projects"], ["A1_hash_grid", "A2_tiny_nerf", "A3_activations_cppn",
           "A4_conditional_occupancy", "A5_siren_video_waves", "A6_hybrid_grids"]]


def local_links(path: Path) -> set[Path]:
    """The files the markdown cells of ``path`` link to (web addresses and in-page anchors left out)."""
    notebook = nbformat.read(path, as_version=4)
    targets = set()
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for target in LINK.findall(cell.source):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            targets.add((path.parent / target.split("#")[0]).resolve())
    return targets


def anchored_links(path: Path) -> list[tuple[Path, str]]:
    """(notebook, anchor) for each link of ``path``'s markdown cells to a heading of a notebook (``x.ipynb#A-b``, or
    ``#A-b`` for its own)."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for cell in notebook.cells:
        for target in LINK.findall(cell.source) if cell.cell_type == "markdown" else []:
            file, _, anchor = target.partition("#")
            if anchor and not re.match(r"[a-z]+:", target) and (not file or file.endswith(".ipynb")):
                found.append(((path.parent / file).resolve() if file else path.resolve(), anchor))
    return found


def heading_anchors(path: Path) -> set[str]:
    """The anchors JupyterLab and nbconvert give the markdown headings of ``path``: the text, spaces as hyphens."""
    notebook = nbformat.read(path, as_version=4)
    return {re.sub(r"\s+", "-", line.lstrip("#").strip()) for cell in notebook.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if re.match(r"#{1,6} ", line)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_to_a_heading_finds_it(path):
    missing = [f"{target.name}#{anchor}" for target, anchor in anchored_links(path)
               if target.exists() and anchor not in heading_anchors(target)]
    assert not missing, f"{path.relative_to(ROOT)} links to headings that do not exist: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_local_link_resolves(path):
    missing = [str(t.relative_to(ROOT)) if t.is_relative_to(ROOT) else str(t) for t in local_links(path) if not t.exists()]
    assert not missing, f"{path.relative_to(ROOT)} links to files that do not exist: {missing}"


def test_the_welcome_reaches_every_chapter_project_and_appendix():
    start = (ROOT / "notebooks" / "00_welcome.ipynb").resolve()
    seen, todo = {start}, [start]
    while todo:
        for target in local_links(todo.pop()):
            if target.suffix == ".ipynb" and target.exists() and target not in seen:
                seen.add(target)
                todo.append(target)
    unreachable = [str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").rglob("*.ipynb") if p.resolve() not in seen]
    assert not unreachable, f"not reachable by links from the welcome notebook: {unreachable}"


@pytest.mark.parametrize("before, after", [(a, b) for chain in CHAINS for a, b in zip(chain, chain[1:])])
def test_neighbours_link_both_ways(before, after):
    first, second = ROOT / "notebooks" / f"{before}.ipynb", ROOT / "notebooks" / f"{after}.ipynb"
    assert second.resolve() in local_links(first), f"{before} has no Next link to {after}"
    assert first.resolve() in local_links(second), f"{after} has no Previous link to {before}"


@pytest.mark.parametrize("project", sorted((ROOT / "notebooks" / "projects").glob("p*.ipynb")), ids=lambda p: p.stem)
def test_projects_and_chapter_7_link_each_other(project):
    chapter_7 = (ROOT / "notebooks" / "07_projects.ipynb").resolve()
    assert project.resolve() in local_links(chapter_7) and chapter_7 in local_links(project)


@pytest.mark.parametrize("project", sorted((ROOT / "notebooks" / "projects").glob("p*.ipynb")), ids=lambda p: p.stem)
def test_every_project_links_the_students_rubric(project):
    chapter_7 = (ROOT / "notebooks" / "07_projects.ipynb").resolve()
    assert (chapter_7, "How-projects-are-judged") in anchored_links(project)
    assert "How-projects-are-judged" in heading_anchors(chapter_7)
    text = "".join(cell.source for cell in nbformat.read(project, as_version=4).cells)
    assert "docs/instructors.md" not in text   # the instructor's guide is not where students look
