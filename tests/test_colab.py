import nbformat

from nfteach.course import cli, colab


def make_notebook(path, *sources):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def test_stamp_adds_the_header_once_and_keeps_the_body(tmp_path):
    path = tmp_path / "notebooks" / "07_demo.ipynb"
    make_notebook(path, "x = 1")
    assert colab.stamp(path, tmp_path)
    assert not colab.stamp(path, tmp_path)  # already right: the file is left alone
    cells = nbformat.read(path, as_version=4).cells
    assert len(cells) == 3 and cells[2].source == "x = 1"
    assert "colab.research.google.com/github/nfteach/nfteach/blob/main/notebooks/07_demo.ipynb" in cells[0].source
    assert '"google.colab" in sys.modules' in cells[1].source and colab.repository_url() in cells[1].source


def test_stamp_replaces_a_stale_header(tmp_path):
    old = tmp_path / "notebooks" / "old.ipynb"
    make_notebook(old, "y = 2")
    colab.stamp(old, tmp_path)
    moved = tmp_path / "solutions" / "new.ipynb"
    moved.parent.mkdir()
    old.rename(moved)
    assert not colab.has_header(nbformat.read(moved, as_version=4), "solutions/new.ipynb")
    assert colab.stamp(moved, tmp_path)
    cells = nbformat.read(moved, as_version=4).cells
    assert len(cells) == 3 and "blob/main/solutions/new.ipynb" in cells[0].source


def test_cli_check_reports_missing_headers(tmp_path, capsys):
    make_notebook(tmp_path / "notebooks" / "a.ipynb", "pass")
    assert cli.main(["colab", "--check", "--root", str(tmp_path)]) == 1
    assert "notebooks/a.ipynb" in capsys.readouterr().err
    assert cli.main(["colab", "--root", str(tmp_path)]) == 0
    assert cli.main(["colab", "--check", "--root", str(tmp_path)]) == 0


def test_the_project_starters_are_kit_notebooks_too(tmp_path):
    for name in ("notebooks/07_projects.ipynb", "notebooks/projects/p2_texture.ipynb", "solutions/01_x.ipynb"):
        make_notebook(tmp_path / name, "pass")
    found = [p.relative_to(tmp_path).as_posix() for p in colab.notebook_paths(tmp_path)]
    assert found == ["notebooks/07_projects.ipynb", "notebooks/projects/p2_texture.ipynb", "solutions/01_x.ipynb"]
