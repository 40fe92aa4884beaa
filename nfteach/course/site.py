"""The course site, built by Sphinx with myst-nb and sphinx-book-theme (the Jupyter Book 1 stack): what that
builder does not do by itself.

* the table of contents, from the chapter list (:func:`sections`: chapters, projects, appendices, exercises), so a
  new notebook is picked up with no edit here;
* the launch addresses (Colab, Binder, a JupyterHub) from the one repository setting ``nfteach colab`` uses;
* the per-chapter references: each chapter cites the entries of ``docs/references.bib`` whose arXiv number,
  address or title its text names (:func:`cited_keys`);
* three small plugins: plotly figures (``application/vnd.plotly.v1+json``) drawn with the plotly.js that ships in
  the plotly package, widget outputs replaced by a line pointing at the static twin below them, and alt text on
  every figure (the first comment line of the cell that drew it, else the sentence before it);
* MathJax served from the site itself (the ``mathjax`` files of the django-static-mathjax wheel), so math is
  typeset offline.

:func:`build` copies the notebooks into ``build/book/src`` (a file is rewritten only when it changed, so Sphinx
re-reads only what changed), writes ``conf.py`` and ``index.md`` there, and runs ``sphinx-build``. myst-nb
executes in ``cache`` mode (jupyter-cache, keyed by the code cells): editing one chapter re-runs only that one.
The exercises are shown as handed out, not executed (their unfinished tasks stop their cells by design).
Nothing is downloaded; the only folders written are ``build/book`` (or ``book``) and ``out``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from nfteach.course import colab

# (caption, folder, glob) in reading order; each notebook lands in the first section that matches it.
SECTIONS = (
    ("Chapters", "notebooks", "[0-9]*.ipynb"),
    ("Projects", "notebooks/projects", "*.ipynb"),
    ("Appendices", "notebooks", "A*.ipynb"),
    ("Exercises", "exercises", "*.ipynb"),
)
PROJECTS_INTRO = "07_projects"  # the chapter that introduces the projects opens the Projects section
BIBLIOGRAPHY = Path("docs") / "references.bib"
MARK = ".nfteach-book"  # written into ``out`` so that a later build may replace it, and only then
MATHJAX_PARTS = ("tex-mml-chtml.js", "input/tex/extensions", "output/chtml/fonts", "ui", "a11y", "adaptors")


def sections(root: Path | str = ".", paths: list[Path] | None = None) -> list[tuple[str, list[str]]]:
    """The table of contents: ``(caption, [paths relative to root])`` per non-empty section, in reading order.

    Default: every notebook of :data:`SECTIONS`; ``paths`` restricts it to those notebooks (a subset build).
    The projects' introduction chapter opens the Projects section.
    """
    root = Path(root).resolve()
    wanted = None if paths is None else {Path(p).resolve() for p in paths}
    placed: set[Path] = set()
    toc = []
    for caption, folder, pattern in SECTIONS:
        found = [p for p in sorted((root / folder).glob(pattern)) if p.resolve() not in placed]
        if caption == "Chapters":
            intro = [p for p in found if p.stem == PROJECTS_INTRO]
            found = [p for p in found if p.stem != PROJECTS_INTRO]
        elif caption == "Projects":
            found = intro + found
        placed.update(p.resolve() for p in found)
        found = [p for p in found if wanted is None or p.resolve() in wanted]
        if found:
            toc.append((caption, [p.resolve().relative_to(root).as_posix() for p in found]))
    missing = sorted(str(p) for p in (wanted or set()) - placed)
    if missing:
        places = ", ".join(f"{folder}/{pattern}" for _, folder, pattern in SECTIONS)
        raise ValueError(f"site: these notebooks are not in the table of contents ({places}): {missing}")
    return toc


def launch_settings(hub: str | None = None) -> dict:
    """sphinx-book-theme's repository and launch-button settings, from the one ``Repository`` URL in pyproject
    (:func:`nfteach.course.colab.repository_url`) and the release the notebooks name (``v<version>``)."""
    colab.github_path()  # refuses a repository that is not on GitHub, with what to do
    if hub is not None and not hub.startswith(("https://", "http://")):
        raise ValueError(f"site: hub must be the JupyterHub's address, starting with https://, got {hub!r}")
    buttons = {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com",
               "notebook_interface": "jupyterlab"}
    if hub:
        buttons["jupyterhub_url"] = hub.rstrip("/")
    return {"repository_url": colab.repository_url(), "repository_branch": colab.release_ref(), "path_to_docs": "",
            "use_repository_button": True, "use_download_button": True, "launch_buttons": buttons}


# --- references ------------------------------------------------------------------------------------------------

def bib_entries(text: str) -> dict[str, dict[str, str]]:
    """``{key: {field: value}}`` of a BibTeX file, one ``field = {value}`` a line (the ``eprint``, ``url`` and
    ``title`` fields are what :func:`cited_keys` reads; braces inside values are dropped)."""
    entries = {}
    for match in re.finditer(r"@\w+\{([^,\s]+),(.*?)\n\}", text, re.S):
        fields = re.findall(r"(\w+)\s*=\s*\{(.*?)\},?\s*$", match.group(2), re.M)
        entries[match.group(1)] = {name.lower(): value.replace("{", "").replace("}", "") for name, value in fields}
    return entries


def _plain(text: str) -> str:
    return " ".join(re.sub(r"(?m)^\s*>", " ", text).lower().split())


def cited_keys(notebook_text: str, entries: dict[str, dict[str, str]]) -> list[str]:
    """The bibliography keys a notebook cites: those whose arXiv number (``eprint``), address (``url``, without its
    scheme) or title (of four words or more, so that a phrase such as "distance functions" is no citation) its
    markdown names."""
    prose = _plain(" ".join(cell.get("source", "") if isinstance(cell.get("source"), str) else "".join(cell["source"])
                            for cell in json.loads(notebook_text)["cells"] if cell["cell_type"] == "markdown"))

    def names(fields: dict[str, str]) -> bool:
        url = re.sub(r"^https?://", "", fields.get("url", "")).rstrip("/").lower()
        title = _plain(fields.get("title", ""))
        return bool((fields.get("eprint") and fields["eprint"].lower() in prose) or (url and url in prose)
                    or (len(title.split()) >= 4 and title in prose))

    return [key for key, fields in entries.items() if names(fields)]


def arxiv_numbers(notebook_text: str) -> set[str]:
    """Every arXiv number a notebook links to (``arxiv.org/abs/NNNN.NNNNN``)."""
    return set(re.findall(r"arxiv\.org/abs/(\d{4}\.\d{4,5})", notebook_text))


def _staged(notebook_text: str, keys: list[str]) -> str:
    """The notebook as the book shows it: its header cells hidden (the launch buttons replace them) and a last
    markdown cell listing the entries ``keys`` of the one bibliography file."""
    notebook = json.loads(notebook_text)
    for cell in notebook["cells"]:   # the badges and the install cell: the theme's launch buttons replace them
        if colab.HEADER_TAG in cell.get("metadata", {}).get("tags", []):
            cell["metadata"]["tags"] = [*cell["metadata"]["tags"], "remove-cell"]
    if not keys:
        return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
    source = (f"## References\n\n{{cite:empty}}`{','.join(keys)}`\n\n"
              "```{bibliography}\n:filter: docname in docnames\n:list: bullet\n```\n")
    notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": source,
                              **({"id": "nfteach-references"} if notebook.get("nbformat_minor", 0) >= 5 else {})})
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


# --- the staged book -------------------------------------------------------------------------------------------

def _write_if_changed(path: Path, content: str | bytes) -> None:
    data = content.encode() if isinstance(content, str) else content
    if not path.is_file() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def index_page(toc: list[tuple[str, list[str]]]) -> str:
    """The book's front page: a short welcome and one ``toctree`` per section (unnumbered: the chapters' titles
    carry their numbers)."""
    blocks = []
    for caption, relatives in toc:
        entries = "\n".join(relatives)
        blocks.append(f"```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n\n{entries}\n```\n")
    return ("# nfteach: neural fields, hands on\n\n"
            "An open teaching kit on neural fields: every chapter is a Jupyter notebook, shown here with its outputs "
            "(figures, tables, rotatable 3D views with their static twins). Open a chapter with the launch buttons at "
            "the top of its page (Colab, Binder, a JupyterHub) to run it and move its sliders.\n\n"
            "The code is MIT-licensed; the prose and figures are CC BY 4.0 (see *Reuse* in the README, and "
            "`CITATION.cff` to cite the kit). The papers each chapter builds on are listed at its end "
            "and in the {doc}`bibliography`.\n\n" + "\n".join(blocks)
            + "\n```{toctree}\n:caption: Back matter\n:maxdepth: 1\n\nbibliography\n```\n")


CONF = '''\
# Written by nfteach.course.site (`nfteach html`); edits are overwritten. Settings that read the repository are
# passed in as values, so that this folder builds with plain `sphinx-build` too.
import sys

sys.path.insert(0, {ext!r})   # the .dist-info that registers nfteach's myst-nb plugin (see site.py)
project = "nfteach"
author = "the nfteach authors"
copyright = "the nfteach authors; code MIT, prose and figures CC BY 4.0"
extensions = ["myst_nb", "sphinxcontrib.bibtex", "sphinx_book_theme", "nfteach.course.site"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_theme = "sphinx_book_theme"
html_title = "nfteach: neural fields, hands on"
html_theme_options = {theme!r}
html_static_path = ["_static"]
html_last_updated_fmt = None
html_copy_source = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "cache"
nb_execution_cache_path = {cache!r}
nfteach_output_folder = {scratch!r}
nb_execution_timeout = {timeout}
nb_execution_excludepatterns = ["exercises/*"]   # shown as handed out: their tasks are the student's to run
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_ipywidgets_js = {{}}   # no widget manager from a CDN: each slider's static twin is in the page
bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "unsrt"
mathjax_path = "mathjax/tex-mml-chtml.js"
suppress_warnings = {suppress!r}
'''


def _stage_mathjax(static: Path) -> None:
    import mathjax  # django-static-mathjax: the MathJax 3 distribution as package data

    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = static / "mathjax"
    for part in MATHJAX_PARTS:
        if not (target / part).exists():
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if (source / part).is_dir() else shutil.copy2)(source / part, target / part)


def _stage_plugin(ext: Path) -> None:
    """myst-nb finds mime renderers through the ``myst_nb.mime_renderers`` entry point; this .dist-info declares
    nfteach's for the build only, so it works whatever way (or from wherever) nfteach was installed."""
    info = ext / "nfteach_book-0.dist-info"
    _write_if_changed(info / "METADATA", "Metadata-Version: 2.1\nName: nfteach-book\nVersion: 0\n")
    _write_if_changed(info / "entry_points.txt",
                      "[myst_nb.mime_renderers]\nnfteach = nfteach.course.site:NotebookOutputs\n")


def stage(root: Path | str = ".", book: Path | str = "build/book", paths: list[Path] | None = None,
          hub: str | None = None, timeout: float = 600.0) -> Path:
    """Write the Sphinx source folder ``book/src`` for the notebooks of :func:`sections`; return it."""
    import plotly

    root, book = Path(root).resolve(), Path(book).resolve()
    src, static = book / "src", book / "src" / "_static"
    toc = sections(root, paths)
    bib_path = root / BIBLIOGRAPHY
    if not bib_path.is_file():
        raise FileNotFoundError(f"site: the bibliography {bib_path} is missing (the book cites its papers from it)")
    bib = bib_path.read_text()
    entries = bib_entries(bib)
    staged = set()
    for _, relatives in toc:
        for relative in relatives:
            text = (root / relative).read_text()
            _write_if_changed(src / relative, _staged(text, cited_keys(text, entries)))
            staged.add(src / relative)
    for old in src.rglob("*.ipynb"):   # a notebook removed from the kit leaves the book too
        if old not in staged:
            old.unlink()
    _write_if_changed(src / "references.bib", bib)
    _write_if_changed(src / "index.md", index_page(toc))
    _write_if_changed(src / "bibliography.md", "# Bibliography\n\nEvery paper the kit cites, in one file "
                      "(`docs/references.bib`).\n\n```{bibliography}\n:all:\n```\n")
    theme = {**launch_settings(hub), "show_toc_level": 2, "home_page_in_toc": True,
             "navigation_with_keys": True}
    # A subset build links to chapters it leaves out: those links are expected to dangle.
    suppress = ["bibtex.duplicate_citation", "mystnb.unknown_mime_type"] + (["myst.xref_missing"] if paths else [])
    conf = CONF.format(ext=str(book / "ext"), theme=theme, cache=str(book / "jupyter_cache"),
                       scratch=str(book / "jupyter_execute"), timeout=int(timeout), suppress=suppress)
    _write_if_changed(src / "conf.py", conf)
    _stage_plugin(book / "ext")
    _stage_mathjax(static)
    _write_if_changed(static / "plotly.min.js", (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes())
    return src


def build(root: Path | str = ".", out: Path | str = "site", book: Path | str | None = None,
          paths: list[Path] | None = None, hub: str | None = None, timeout: float = 600.0,
          log: Callable[[str], None] | None = None) -> Path:
    """Build the book of the notebooks under ``root`` (default all; ``paths``: a subset) into ``out``; return
    ``out/index.html``.

    ``book`` (default ``<root>/build/book``) keeps the staged sources, Sphinx's doctrees and the execution cache
    between builds. Refuses an ``out`` that holds files this function did not write. A failing cell stops the
    build (``subprocess.CalledProcessError``; its traceback is in Sphinx's output and ``book/jupyter_cache``).
    """
    root = Path(root).resolve()
    out = Path(out).resolve()
    book = root / "build" / "book" if book is None else Path(book).resolve()
    if out.exists() and any(out.iterdir()) and not (out / MARK).exists():
        raise FileExistsError(f"site: {out} holds files not written by `nfteach html`; choose another --out or empty it")
    src = stage(root, book, paths, hub, timeout)
    if log:
        log(f"building {src} -> {out} (executing only the notebooks whose code changed)")
    environment = {**os.environ, "NFTEACH_PROGRESS": "0"}
    # Every kernel imports the same nfteach as the builder, even a checkout that is not the installed one.
    kit = str(Path(__file__).resolve().parents[2])
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [kit, os.environ.get("PYTHONPATH")]))
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(book / "doctrees"), str(src), str(out)],
                   check=True, env=environment, cwd=src)
    (out / MARK).write_text("written by nfteach html; the next build replaces this folder's book files\n")
    return out / "index.html"


# --- the Sphinx extension and the myst-nb plugin ---------------------------------------------------------------

class NotebookOutputs:
    """myst-nb mime renderer: plotly figures drawn by the site's own plotly.js, and widgets named, not dropped."""

    mime_priority_overrides = [("html", "application/vnd.plotly.v1+json", 5)]

    @staticmethod
    def handle_mime(renderer, data, inline: bool):
        from docutils import nodes

        if data.mime_type == "application/vnd.plotly.v1+json":
            import plotly.io as pio

            figure = dict(data.content)
            title = ((figure.get("layout") or {}).get("title") or {})
            title = title.get("text", "") if isinstance(title, dict) else str(title)
            html = pio.to_html(figure, include_plotlyjs=False, include_mathjax=False, full_html=False, validate=False,
                               config={"responsive": True})
            label = f"A 3D view you can turn: {title}" if title else "A 3D view you can turn"
            return [nodes.raw(text=f'<div class="nfteach-plotly" role="img" aria-label="{_escape(label)}">{html}</div>',
                              format="html", classes=["output", "text_html"])]
        if data.mime_type == "application/vnd.jupyter.widget-view+json":
            return [nodes.paragraph(text="A slider explorer runs here in the notebook (open it with a launch button "
                                         "above); its static twin follows.", classes=["output", "nfteach-widget"])]
        return None


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def _code_comment(cell) -> str:
    """The first comment line of a myst-nb code cell node, else ''."""
    from docutils import nodes

    for block in cell.findall(nodes.literal_block):
        for line in block.astext().splitlines():
            if line.strip().startswith("#"):
                return line.strip().lstrip("#").strip()
        return ""
    return ""


def _first_sentence(text: str, limit: int = 200) -> str:
    sentence = re.split(r"(?<=[.:;!?])\s", " ".join(text.split()), maxsplit=1)[0]
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rsplit(" ", 1)[0] + "…"


def _alt_text(app, doctree) -> None:
    """Alt text on every notebook figure that has none: what the cell says it draws (its first comment line), else
    the first sentence of the prose just before it (the house style puts "what to look for" there)."""
    from docutils import nodes

    def is_cell(node) -> bool:
        return isinstance(node, nodes.container) and "cell" in node.get("classes", [])

    prose = ""
    for node in doctree.findall(lambda node: is_cell(node) or isinstance(node, nodes.paragraph)):
        if isinstance(node, nodes.paragraph):
            if not any(is_cell(parent) for parent in _parents(node)):
                prose = node.astext()
            continue
        images = [image for image in node.findall(nodes.image) if not image.get("alt")]
        what = _code_comment(node) or _first_sentence(prose) or "a figure"
        for number, image in enumerate(images, 1):
            image["alt"] = f"Figure: {what}" + (f" ({number} of {len(images)})" if len(images) > 1 else "")


def _parents(node):
    while node.parent is not None:
        node = node.parent
        yield node


def _plotly_js(app, pagename, templatename, context, doctree) -> None:
    """plotly.js only on the pages that draw a plotly figure."""
    if "plotly-graph-div" in context.get("body", ""):
        app.add_js_file("plotly.min.js", priority=400)


def _output_folder(app) -> None:
    """myst-nb writes each executed notebook beside the output folder (``<out>/../jupyter_execute``): keep it in
    the book's folder instead, so that ``--out site`` leaves nothing in the repository root."""
    if app.config.nfteach_output_folder:
        app.env.mystnb_config = app.env.mystnb_config.copy(output_folder=app.config.nfteach_output_folder)


def _recovering_execute(nb, cwd=None, km=None, **kwargs):
    """``nbclient.execute`` with the kit's client: jupyter-cache (myst-nb's cached execution) runs every notebook
    through this, so a missed socket wake-up costs seconds, not the cell timeout (issue 26)."""
    from nfteach.course.execute import RecoveringClient

    resources = {"metadata": {"path": cwd}} if cwd is not None else {}
    return RecoveringClient(nb=nb, resources=resources, km=km, **kwargs).execute()


def setup(app):
    """The Sphinx extension ``conf.py`` names: alt text, plotly.js per page, myst-nb's scratch folder, and the
    kit's recovering notebook client behind myst-nb's cached execution."""
    import jupyter_cache.executors.utils as cache_execution

    cache_execution.executenb = _recovering_execute  # the one name jupyter-cache executes through
    app.add_config_value("nfteach_output_folder", "", "env")
    app.connect("builder-inited", _output_folder, priority=900)
    app.connect("doctree-read", _alt_text)
    app.connect("html-page-context", _plotly_js)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
