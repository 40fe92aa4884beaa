"""The course site (``nfteach html``) and lecture mode (``nfteach slides``).

The browser tests build a small book (the welcome chapter and chapter 4) and open it in Chromium with every
request outside the site's folder blocked: math is typeset, chapter 4's plotly views have a WebGL canvas and a
static twin, search finds chapter 4, the table of contents links every page built, each page has its launch
buttons, figures have alt text. Then chapter 0 opens as RISE slides in a throwaway JupyterLab. ``make html``
builds every notebook; the unit tests check that its table of contents and bibliography cover all of them.
The book's execution cache is kept in ``build/test-book`` (git-ignored), so a rerun executes only what changed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from browser_support import REPO, WEBGL_FLAGS, chromium_context, jupyter_lab
from nfteach.course import cli, colab, site, slides

CHAPTERS = ["notebooks/00_welcome.ipynb", "notebooks/04_occupancy_sdf.ipynb"]
HUB = "https://hub.example.edu"
BADGES = ("https://colab.research.google.com/assets/colab-badge.svg", "https://mybinder.org/badge_logo.svg")


# --- the table of contents, the references, the launch addresses ------------------------------------------------

def test_the_table_of_contents_holds_every_notebook_once():
    toc = site.sections(REPO)
    listed = [relative for _, relatives in toc for relative in relatives]
    expected = {p.relative_to(REPO).as_posix() for folder in ("notebooks", "notebooks/projects", "exercises")
                for p in (REPO / folder).glob("*.ipynb")}
    assert sorted(listed) == sorted(expected) and len(set(listed)) == len(listed)
    captions = [caption for caption, _ in toc]
    assert captions == ["Chapters", "Projects", "Appendices", "Exercises"]
    chapters = dict(toc)
    assert chapters["Projects"][0] == "notebooks/07_projects.ipynb"
    assert all(Path(r).name[0] == "A" for r in chapters["Appendices"])
    assert all(Path(r).name[0].isdigit() for r in chapters["Chapters"])


def test_a_subset_keeps_its_sections_and_refuses_a_stranger(tmp_path):
    toc = site.sections(REPO, [REPO / "notebooks" / "04_occupancy_sdf.ipynb", REPO / "exercises" / "01_spectral_bias.ipynb"])
    assert toc == [("Chapters", ["notebooks/04_occupancy_sdf.ipynb"]), ("Exercises", ["exercises/01_spectral_bias.ipynb"])]
    stranger = tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), stranger)
    with pytest.raises(ValueError, match="not in the table of contents"):
        site.sections(REPO, [stranger])


def test_every_arxiv_paper_a_notebook_links_is_in_the_one_bibliography():
    entries = site.bib_entries((REPO / site.BIBLIOGRAPHY).read_text())
    known = {fields.get("eprint") for fields in entries.values()}
    for path in sorted(REPO.glob("notebooks/**/*.ipynb")) + sorted(REPO.glob("exercises/*.ipynb")):
        missing = site.arxiv_numbers(path.read_text()) - known
        assert not missing, (f"{path.relative_to(REPO)} links arXiv {sorted(missing)}: "
                             f"add an entry with that eprint to {site.BIBLIOGRAPHY}")


def test_each_chapter_cites_the_papers_its_text_names():
    entries = site.bib_entries((REPO / site.BIBLIOGRAPHY).read_text())
    cited = {p.stem: site.cited_keys(p.read_text(), entries) for p in sorted((REPO / "notebooks").glob("*.ipynb"))}
    assert cited["04_occupancy_sdf"][:2] == ["mescheder2019occupancy", "park2019deepsdf"]
    assert "hart1996sphere" in cited["04_occupancy_sdf"]   # by its title: no arXiv number
    assert cited["03_siren"] == ["sitzmann2020siren"]
    without = [stem for stem, keys in cited.items() if not keys and stem != site.PROJECTS_INTRO]
    assert not without, f"chapters citing nothing from {site.BIBLIOGRAPHY}: {without}"


def test_launch_addresses_come_from_the_repository_setting():
    settings = site.launch_settings(HUB)
    assert settings["repository_url"] == colab.repository_url()
    assert settings["repository_branch"] == colab.release_ref()
    assert settings["launch_buttons"]["jupyterhub_url"] == HUB
    assert "jupyterhub_url" not in site.launch_settings()["launch_buttons"]
    with pytest.raises(ValueError, match="https://"):
        site.launch_settings("hub.example.edu")


def test_refuses_an_out_folder_it_did_not_write(tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("<p>the user's own page</p>")
    with pytest.raises(FileExistsError, match="not written by `nfteach html`"):
        site.build(REPO, out, book=tmp_path / "book", paths=[REPO / CHAPTERS[0]])
    assert (out / "index.html").read_text() == "<p>the user's own page</p>"


@pytest.mark.parametrize("name", ["missing.ipynb", "notes.txt"])
def test_cli_says_what_is_wrong(tmp_path, capsys, name):
    assert cli.main(["html", "--out", str(tmp_path / "site"), str(tmp_path / name)]) == 2
    assert "nfteach html:" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


# --- lecture mode ---------------------------------------------------------------------------------------------

def test_every_lecture_has_its_slide_metadata():
    stale = [str(p.relative_to(REPO)) for p in slides.lecture_paths(REPO) if slides.stamp(p, check=True)]
    assert not stale, f"run `nfteach slides`: stale slide metadata in {stale}"


def test_slide_types():
    header, install = colab.header_cells("notebooks/x.ipynb")
    cells = [header, install, nbformat.v4.new_markdown_cell("# Chapter 9 · Title\n\nintro"),
             nbformat.v4.new_code_cell("import nfteach"), nbformat.v4.new_markdown_cell("## 1. A section"),
             nbformat.v4.new_markdown_cell("Look at the edges: they ring."), nbformat.v4.new_code_cell("plt.show()")]
    assert [slides.slide_type(c) for c in cells] == ["skip", "skip", "slide", "-", "slide", "subslide", "-"]
    notebook = nbformat.v4.new_notebook(cells=cells)
    assert slides.with_slides(notebook) and not slides.with_slides(notebook)
    assert notebook.metadata["rise"]["theme"] == "white"
    assert colab.has_header(notebook, "notebooks/x.ipynb")   # the slide metadata does not make the header stale


# --- in the browser -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def evidence():
    """Screenshots, outside pytest's temporary folders; kept (and printed) when a test fails."""
    folder = Path(tempfile.mkdtemp(prefix="nfteach-site-"))
    print(f"site screenshots: {folder}")
    yield folder
    if not any(folder.glob("failure*.png")):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    started = time.monotonic()
    index = site.build(REPO, out, book=REPO / "build" / "test-book", paths=[REPO / c for c in CHAPTERS], hub=HUB,
                       timeout=600)
    print(f"built {len(CHAPTERS)} chapters in {time.monotonic() - started:.0f} s")
    return index


@pytest.fixture(scope="class")
def offline_page(book, tmp_path_factory):
    """A Chromium page that may read the site's folder and nothing else (no network, no other file)."""
    folder = book.parent.as_uri() + "/"
    blocked: list[str] = []

    def inside(url: str) -> bool:
        return url.startswith(folder) or url.split(":", 1)[0] in ("data", "blob", "about")

    with chromium_context(tmp_path_factory.mktemp("chromium-profile"), blocked, inside, WEBGL_FLAGS) as context:
        page = context.new_page()
        page.set_default_timeout(180_000)   # chapter 4's page is a few MB of figures and 3D views: slow on a busy CPU
        yield page, blocked
        page.close()
    assert not blocked, f"the site asked for what is outside its folder: {blocked}"


def _open(page, path: Path, evidence: Path, name: str):
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.screenshot(path=str(evidence / f"{name}.png"))


def _until(page, script: str, timeout: float, evidence: Path, what: str):
    deadline = time.monotonic() + timeout
    while not (value := page.evaluate(script)):
        if time.monotonic() > deadline:
            page.screenshot(path=str(evidence / f"failure-{what}.png"), full_page=True)
            pytest.fail(f"waited {timeout:.0f} s for {what}; screenshot in {evidence}")
        time.sleep(0.5)
    return value


class TestTheSiteOffline:
    """One Chromium for these three (closed before the slides test starts its own: Playwright's sync API runs one
    at a time)."""

    def test_the_table_of_contents_links_every_chapter(self, book, offline_page, evidence):
        page, _ = offline_page
        _open(page, book, evidence, "index")
        links = set(page.evaluate("Array.from(document.querySelectorAll('.toctree-wrapper a')).map(a => a.getAttribute('href'))"))
        assert {c.replace(".ipynb", ".html") for c in CHAPTERS} <= links, links
        assert "bibliography.html" in links


    def test_chapter_4_draws_its_math_its_3d_views_and_their_twins(self, book, offline_page, evidence):
        page, _ = offline_page
        _open(page, book.parent / "notebooks" / "04_occupancy_sdf.html", evidence, "chapter-4")
        assert _until(page, "document.querySelectorAll('mjx-container').length", 60, evidence, "typeset math") > 10
        assert "$\\phi" not in page.inner_text("article"), "raw TeX left on the page"
        canvases = _until(page, """Array.from(document.querySelectorAll('.nfteach-plotly canvas'))
            .filter(c => c.width > 0 && (c.getContext('webgl') || c.getContext('webgl2'))).length""", 60, evidence, "a WebGL canvas")
        assert canvases >= 1
        # Each 3D view and each slider is followed, within two cells, by a figure (its static twin).
        lonely = page.evaluate("""Array.from(document.querySelectorAll('.nfteach-plotly, .nfteach-widget')).filter(view => {
            let cell = view.closest('.cell');
            for (let k = 0; k < 3 && cell; k++, cell = cell.nextElementSibling) if (cell.querySelector('img')) return false;
            return true; }).length""")
        assert lonely == 0, f"{lonely} 3D views or sliders have no static twin after them"
        missing_alt = page.evaluate("Array.from(document.querySelectorAll('article img')).filter(i => !i.alt.trim()).length")
        assert missing_alt == 0
        hrefs = page.evaluate("Array.from(document.querySelectorAll('a')).map(a => a.href)")
        relative = "notebooks/04_occupancy_sdf.ipynb"
        assert colab.colab_url(relative) in hrefs
        assert any(h.startswith(f"https://mybinder.org/v2/gh/{colab.github_path()}/{colab.release_ref()}") for h in hrefs)
        assert any(h.startswith(f"{HUB}/hub/user-redirect/git-pull?") for h in hrefs)
        assert page.locator(".prev-next-area a").count() >= 1, "no previous/next links"
        assert page.locator(".theme-switch-button").count() >= 1, "no light/dark switch"
        references = page.inner_text("section#references")
        assert "Occupancy networks" in references and "Sphere tracing" in references
        page.locator(".nfteach-plotly").first.scroll_into_view_if_needed()
        page.screenshot(path=str(evidence / "chapter-4-plotly.png"))


    def test_search_finds_chapter_4_by_a_word_from_its_text(self, book, offline_page, evidence):
        page, _ = offline_page
        page.goto((book.parent / "search.html").as_uri() + "?q=marching")
        found = _until(page, "Array.from(document.querySelectorAll('#search-results a')).map(a => a.getAttribute('href'))",
                       60, evidence, "search results")
        page.screenshot(path=str(evidence / "search.png"))
        assert any("04_occupancy_sdf.html" in href for href in found), found


def test_a_chapter_opens_as_slides_in_jupyterlab(tmp_path, evidence):
    """Lecture mode: RISE shows chapter 0's title slide, then its next slide, offline but for the two badges."""
    chapter = "notebooks/00_welcome.ipynb"
    work = tmp_path / "work"
    (work / "notebooks").mkdir(parents=True)
    shutil.copy(REPO / chapter, work / chapter)
    notebook = nbformat.read(work / chapter, 4)
    expected = sum(c.metadata["slideshow"]["slide_type"] == "slide" for c in notebook.cells)
    title = next(c.source.split("\n", 1)[0][2:] for c in notebook.cells
                 if c.cell_type == "markdown" and c.source.startswith("# "))
    blocked: list[str] = []
    with chromium_context(tmp_path / "profile", blocked) as context, \
            jupyter_lab(work, tmp_path / "jupyter", evidence / "rise-lab.log") as url:
        page = context.new_page()
        try:
            page.goto(f"{url}/rise/{chapter}")
            present = ("(document.querySelector('.reveal .slides section.present h1, "
                       ".reveal .slides section.present h2') || {}).innerText || ''")
            shown = _until(page, present, 120, evidence, "the first slide")
            page.screenshot(path=str(evidence / "slides-1.png"))
            assert title.lower() in shown.lower()
            assert page.evaluate("document.querySelectorAll('.reveal .slides > section').length") == expected
            page.keyboard.press("ArrowRight")
            _until(page, f"({present}).toLowerCase() !== {shown.lower()!r}", 30, evidence, "the next slide")
            page.screenshot(path=str(evidence / "slides-2.png"))
        except BaseException:
            page.screenshot(path=str(evidence / "failure-slides.png"))
            raise
        finally:
            page.close()
    assert set(blocked) <= set(BADGES), f"the slides asked for the network: {blocked}"
