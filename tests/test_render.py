"""``nfteach html``: what it refuses to do (the rendering itself is checked in a browser by test_browser.py)."""

from __future__ import annotations

import nbformat
import pytest

from nfteach.course import cli
from nfteach.course import site as render


def _notebook(path, heading="# A chapter"):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(heading)]), path)
    return path


def test_title_is_the_first_heading():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("[badge](x)\n\n# Chapter 1 · Bias\ntext")])
    assert render.title(notebook, "01_bias") == "Chapter 1 · Bias"
    assert render.title(nbformat.v4.new_notebook(), "01_bias") == "01_bias"


def test_refuses_a_file_it_did_not_write(tmp_path):
    source = _notebook(tmp_path / "nb" / "01_a.ipynb")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>the user's own page</p>")
    with pytest.raises(FileExistsError, match="index.html"):
        render.render_site([source], site)
    assert (site / "index.html").read_text() == "<p>the user's own page</p>"
    assert not (site / "01_a.html").exists()


def test_refuses_two_notebooks_with_one_name(tmp_path):
    paths = [_notebook(tmp_path / "a" / "01_x.ipynb"), _notebook(tmp_path / "b" / "01_x.ipynb")]
    with pytest.raises(ValueError, match="distinct file names"):
        render.render_site(paths, tmp_path / "site")


@pytest.mark.parametrize("name", ["missing.ipynb", "notes.txt"])
def test_cli_says_what_is_wrong(tmp_path, capsys, name):
    assert cli.main(["html", "--out", str(tmp_path / "site"), str(tmp_path / name)]) == 2
    assert "nfteach html:" in capsys.readouterr().err
    assert not (tmp_path / "site").exists() or not any((tmp_path / "site").iterdir())
