import nbformat
import pytest

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
    release = colab.release_ref()  # v<version>: a notebook opens and installs the release it belongs to
    colab_address = f"colab.research.google.com/github/nfteach/nfteach/blob/{release}/notebooks/07_demo.ipynb"
    assert colab_address in cells[0].source
    assert f"mybinder.org/v2/gh/nfteach/nfteach/{release}?labpath=notebooks/07_demo.ipynb" in cells[0].source
    assert '"google.colab" in sys.modules' in cells[1].source
    assert f'"nfteach @ git+{colab.repository_url()}@{release}"' in cells[1].source and f"release {release}" in cells[1].source


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
    assert len(cells) == 3 and f"blob/{colab.release_ref()}/solutions/new.ipynb" in cells[0].source


def test_cli_check_reports_missing_headers(tmp_path, capsys):
    make_notebook(tmp_path / "notebooks" / "a.ipynb", "pass")
    assert cli.main(["colab", "--check", "--root", str(tmp_path)]) == 1
    assert "notebooks/a.ipynb" in capsys.readouterr().err
    assert cli.main(["colab", "--root", str(tmp_path)]) == 0
    assert cli.main(["colab", "--check", "--root", str(tmp_path)]) == 0


def test_the_ref_is_configurable_and_check_follows_it(tmp_path):
    path = tmp_path / "notebooks" / "a.ipynb"
    make_notebook(path, "pass")
    assert cli.main(["colab", "--root", str(tmp_path), "--ref", "main"]) == 0
    assert "blob/main/notebooks/a.ipynb" in nbformat.read(path, as_version=4).cells[0].source
    assert cli.main(["colab", "--check", "--root", str(tmp_path), "--ref", "main"]) == 0
    assert cli.main(["colab", "--check", "--root", str(tmp_path)]) == 1  # the default names the release


def test_a_repository_not_on_github_gets_a_clear_message(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(colab, "repository_url", lambda: "https://gitlab.com/course/nfteach")
    with pytest.raises(ValueError, match="must be a GitHub repository .* got 'https://gitlab.com/course/nfteach'"):
        colab.colab_url("notebooks/a.ipynb")
    make_notebook(tmp_path / "notebooks" / "a.ipynb", "pass")
    assert cli.main(["colab", "--root", str(tmp_path)]) == 2
    assert "Colab and the Binder badge open notebooks from GitHub only" in capsys.readouterr().err
    assert colab.github_path("https://github.com/course/nfteach.git") == "course/nfteach"


def test_the_project_starters_are_kit_notebooks_too(tmp_path):
    for name in ("notebooks/07_projects.ipynb", "notebooks/projects/p2_texture.ipynb", "solutions/01_x.ipynb"):
        make_notebook(tmp_path / name, "pass")
    found = [p.relative_to(tmp_path).as_posix() for p in colab.notebook_paths(tmp_path)]
    assert found == ["notebooks/07_projects.ipynb", "notebooks/projects/p2_texture.ipynb", "solutions/01_x.ipynb"]


SIMULATE_COLAB = """
import importlib.util, sys, types
from IPython.core.interactiveshell import InteractiveShell

sys.modules["google"], sys.modules["google.colab"] = types.ModuleType("google"), types.ModuleType("google.colab")
real_find_spec = importlib.util.find_spec
if {hide_kit}:  # as on a fresh Colab VM: the kit is not there until the cell installs it
    importlib.util.find_spec = lambda name, *args: None if name == "nfteach" else real_find_spec(name, *args)
shell = InteractiveShell.instance()
if {fake_pip}:
    shell.register_magic_function(lambda line: print("pip", line), magic_kind="line", magic_name="pip")
result = shell.run_cell({cell!r})
print("ERROR:", result.error_in_exec)
"""


def run_install_cell(source: str, hide_kit: bool, fake_pip: bool) -> str:
    """Run the stamped install cell in a fresh IPython that believes it is Colab; return what it printed."""
    import subprocess
    import sys

    cell = colab.header_cells("notebooks/x.ipynb")[1].source.replace(colab.install_source(), source)
    script = SIMULATE_COLAB.format(hide_kit=hide_kit, fake_pip=fake_pip, cell=cell)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    return done.stdout + done.stderr


def test_in_colab_a_failed_install_stops_the_cell_with_one_message(tmp_path):
    printed = run_install_cell(f"nfteach @ file://{tmp_path}/nowhere", hide_kit=True, fake_pip=False)  # pip really runs
    assert "ERROR: nfteach is not installed in this kernel. `pip install nfteach @ file://" in printed
    assert "check the address and the network" in printed


def test_in_colab_the_install_runs_and_the_import_is_verified():
    printed = run_install_cell("nfteach @ file:///local/clone", hide_kit=False, fake_pip=True)
    assert 'pip install --quiet "nfteach @ file:///local/clone"' in printed and "ERROR: None" in printed


def test_outside_colab_a_missing_kit_says_how_to_install_it():
    import importlib.util

    cell = colab.header_cells("notebooks/x.ipynb")[1].source.replace("%pip", "pass  #")  # plain Python
    real = importlib.util.find_spec
    importlib.util.find_spec = lambda name, *args: None if name == "nfteach" else real(name, *args)
    try:
        exec(cell, {})
    except ModuleNotFoundError as error:
        assert "run `make lab` (or `pip install -e .` here), then restart the kernel" in str(error)
    else:
        raise AssertionError("the install cell did not stop")
    finally:
        importlib.util.find_spec = real


def test_colab_mistakes_get_one_line_not_a_traceback(tmp_path, capsys):
    outside = tmp_path / "outside.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), outside)
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "broken.ipynb").write_text("{ not json")
    for arguments, message in [([str(outside), "--root", str(tmp_path / "root")], "is outside --root"),
                               ([str(tmp_path / "root" / "broken.ipynb"), "--root", str(tmp_path / "root")], "is not a notebook"),
                               (["--root", str(tmp_path / "nonexistent")], "is not a folder")]:
        assert cli.main(["colab", *arguments]) == 2
        error = capsys.readouterr().err
        assert message in error and "Traceback" not in error and len(error.strip().splitlines()) == 1


def _stamped(tmp_path):
    path = tmp_path / "notebooks" / "x.ipynb"
    path.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")]), path)
    colab.stamp(path, tmp_path)
    return path


def test_stamp_keeps_a_tagged_body_cell_and_refuses_an_edited_header_without_force(tmp_path, capsys):
    path = _stamped(tmp_path)
    notebook = nbformat.read(path, as_version=4)
    copied = nbformat.v4.new_code_cell(notebook.cells[1].source + "\nprint('my own install check')")
    copied.metadata["tags"] = [colab.HEADER_TAG]
    notebook.cells.append(copied)
    notebook.cells[0].source = notebook.cells[0].source.replace(f"blob/{colab.release_ref()}", "blob/old")  # a stale header: replaced
    nbformat.write(notebook, path)
    assert colab.stamp(path, tmp_path)
    assert "my own install check" in nbformat.read(path, as_version=4).cells[-1].source

    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source += " Ask on the forum if it fails."  # edited by hand
    notebook.cells[0].source = notebook.cells[0].source.replace(f"blob/{colab.release_ref()}", "blob/old")
    nbformat.write(notebook, path)
    before = path.read_text()
    assert cli.main(["colab", str(path), "--root", str(tmp_path)]) == 1
    assert path.read_text() == before and "edited by hand" in capsys.readouterr().err
    assert cli.main(["colab", str(path), "--root", str(tmp_path), "--force"]) == 0
    assert "forum" not in path.read_text()


def test_the_workspace_copies_the_notebooks_and_never_overwrites_a_students_change(tmp_path, capsys):
    from nfteach.course import workspace

    make_notebook(tmp_path / "notebooks" / "01_a.ipynb", "x = 1")
    make_notebook(tmp_path / "exercises" / "01_a.ipynb", "# your answer")
    into = tmp_path / "workspace"
    assert cli.main(["workspace", "--root", str(tmp_path), "--into", str(into)]) == 0
    assert "copied" in capsys.readouterr().out and (into / "exercises" / "01_a.ipynb").is_file()
    solved = into / "exercises" / "01_a.ipynb"
    make_notebook(solved, "answer = 42")  # the student's work (JupyterLab saved it)
    make_notebook(tmp_path / "notebooks" / "01_a.ipynb", "x = 2")  # a pull brings new versions of both
    make_notebook(tmp_path / "exercises" / "01_a.ipynb", "# your answer, better explained")
    actions = {o.relative: o.action for o in workspace.refresh(tmp_path, into)}
    assert actions == {"notebooks/01_a.ipynb": "updated", "exercises/01_a.ipynb": "kept"}
    assert nbformat.read(solved, as_version=4).cells[0].source == "answer = 42"
    assert "better explained" in (into / "exercises" / "01_a.updated.ipynb").read_text()
    assert nbformat.read(into / "notebooks" / "01_a.ipynb", as_version=4).cells[0].source == "x = 2"
    assert {o.action for o in workspace.refresh(tmp_path, into)} == {"current"}  # nothing new: nothing done


def test_hub_links_pull_the_release_and_open_each_chapter_and_exercise(tmp_path, capsys):
    from urllib.parse import parse_qs, urlparse

    for name in ("notebooks/01_a.ipynb", "exercises/01_a.ipynb", "solutions/01_a.ipynb"):
        make_notebook(tmp_path / name, "pass")
    assert cli.main(["links", "--hub", "https://hub.example.edu/", "--root", str(tmp_path)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "git-pull" in line]
    assert [row.split(" | ")[0] for row in rows] == ["| exercises/01_a.ipynb", "| notebooks/01_a.ipynb"]
    link = urlparse(rows[1].split(" | ")[1].rstrip(" |"))
    query = {key: value[0] for key, value in parse_qs(link.query).items()}
    assert link.netloc == "hub.example.edu" and link.path == "/hub/user-redirect/git-pull"
    assert query == {"repo": colab.repository_url(), "branch": colab.release_ref(),
                     "urlpath": "lab/tree/nfteach/notebooks/01_a.ipynb"}
    assert cli.main(["links", "--hub", "hub.example.edu", "--root", str(tmp_path)]) == 2
