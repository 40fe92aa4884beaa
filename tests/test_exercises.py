"""The exercise generator: committed exercises are exactly what the solutions generate; edits are never lost."""

from pathlib import Path

import nbformat
import pytest

from nfteach.course import cli, colab
from nfteach.course.exercises import BEGIN, CHECK_TAG, END, generate, make_exercise, render, strip_solutions

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_committed_exercise_is_what_its_solution_generates(solution):
    exercise = ROOT / "exercises" / solution.name
    assert exercise.is_file(), f"exercises/{solution.name} is missing: run `nfteach exercises`"
    expected = render(make_exercise(nbformat.read(solution, as_version=4), solution.stem))
    assert exercise.read_text(encoding="utf-8") == expected, f"exercises/{solution.name} is stale: run `nfteach exercises`"


def test_every_exercise_has_a_solution_and_every_chapter_an_exercise():
    assert {p.name for p in (ROOT / "exercises").glob("*.ipynb")} == {p.name for p in SOLUTIONS}
    for chapter in ("01_spectral_bias", "02_fourier_features", "03_siren"):
        assert (ROOT / "solutions" / f"{chapter}.ipynb").is_file()


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_each_solution_has_three_graded_tasks_with_nbgrader_metadata(solution):
    cells = nbformat.read(solution, as_version=4).cells
    checks = [c for c in cells if CHECK_TAG in c.metadata.get("tags", [])]
    answers = [c for c in cells if BEGIN in c.source]
    assert len(checks) >= 3 and len(answers) >= 3
    for cell in checks:
        grading = cell.metadata["nbgrader"]
        assert grading["grade"] and not grading["solution"] and grading["points"] > 0
        assert cell.source.startswith("check.")
    for cell in answers:
        assert cell.metadata["nbgrader"]["solution"] and not cell.metadata["nbgrader"]["grade"]


def test_grade_ids_are_unique_across_the_kit():
    ids = [c.metadata["nbgrader"]["grade_id"] for p in SOLUTIONS for c in nbformat.read(p, as_version=4).cells
           if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))


def test_strip_solutions_keeps_the_indentation_and_the_rest():
    source = f"def f(x):\n    y = 1\n    {BEGIN}\n    return x + y\n    {END}\n\n{BEGIN}\nz = 2\n{END}\nprint(3)"
    stripped, found = strip_solutions(source)
    assert found
    assert stripped == ("def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n"
                        "# YOUR CODE HERE\nraise NotImplementedError()\nprint(3)")
    assert strip_solutions("print(1)") == ("print(1)", False)


@pytest.mark.parametrize("source", [f"{BEGIN}\nx = 1", f"x = 1\n{END}", f"{BEGIN}\n{BEGIN}\n{END}"])
def test_a_broken_solution_block_is_an_error(source):
    with pytest.raises(ValueError, match="SOLUTION"):
        strip_solutions(source, "solutions/x.ipynb, cell 3")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_the_exercise_hides_every_answer_and_may_raise_where_answers_are_used(solution):
    original = nbformat.read(solution, as_version=4)
    exercise = make_exercise(original, solution.stem)
    assert colab.has_header(exercise, f"exercises/{solution.name}")
    text = render(exercise)
    for cell in original.cells:
        if BEGIN in cell.source:
            for line in cell.source.split(BEGIN)[1].split(END)[0].strip().splitlines():
                assert line.strip() not in text
    for cell in exercise.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            if "raise NotImplementedError()" in cell.source:
                assert "raises-exception" in tags
        assert "exercise-may-raise" not in tags
    assert exercise.metadata["nfteach"]["exercise"] == solution.stem


def _solution(path: Path, answer: str = "return 2 * x") -> None:
    cells = [nbformat.v4.new_code_cell(f"def double(x):\n    {BEGIN}\n    {answer}\n    {END}")]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def test_generate_writes_then_leaves_alone_then_refuses_to_overwrite_an_edit(tmp_path, capsys):
    _solution(tmp_path / "solutions" / "09_demo.ipynb")
    exercise = tmp_path / "exercises" / "09_demo.ipynb"
    assert [o.action for o in generate(tmp_path)] == ["written"]
    assert "raise NotImplementedError()" in exercise.read_text() and "2 * x" not in exercise.read_text()
    assert [o.action for o in generate(tmp_path)] == ["unchanged"]

    _solution(tmp_path / "solutions" / "09_demo.ipynb", "return x + x")  # the instructor edits the solution
    assert [o.action for o in generate(tmp_path, check=True)] == ["stale"]
    assert [o.action for o in generate(tmp_path)] == ["written"]  # the exercise was not edited: regenerated

    edited = nbformat.read(exercise, as_version=4)
    edited.cells.append(nbformat.v4.new_markdown_cell("A hint I added by hand."))
    nbformat.write(edited, exercise)
    before = exercise.read_text()
    _solution(tmp_path / "solutions" / "09_demo.ipynb", "return 2 * x")
    assert cli.main(["exercises", "--root", str(tmp_path)]) == 1
    assert exercise.read_text() == before
    assert "skipped exercises/09_demo.ipynb: edited since it was generated (use --force to overwrite)" in capsys.readouterr().err

    assert cli.main(["exercises", "--root", str(tmp_path), "--force"]) == 0
    assert "A hint I added by hand." not in exercise.read_text()
    assert cli.main(["exercises", "--root", str(tmp_path), "--check"]) == 0


def _edit_outputs(notebook):
    notebook.cells[-1].outputs = [nbformat.v4.new_output("stream", text="hello")]
    notebook.cells[-1].execution_count = 1


def _edit_header(notebook):
    notebook.cells[0].source += " (our course's copy)"


def _edit_tags(notebook):
    notebook.cells[-1].metadata["tags"] = ["my-tag"]


def _edit_kernelspec(notebook):
    notebook.metadata["kernelspec"] = {"name": "course-env", "display_name": "Course", "language": "python"}


@pytest.mark.parametrize("edit", [_edit_outputs, _edit_header, _edit_tags, _edit_kernelspec],
                         ids=["saved outputs", "Colab header", "cell tags", "kernelspec"])
def test_any_edit_of_an_exercise_is_kept_without_force(tmp_path, edit):
    _solution(tmp_path / "solutions" / "09_demo.ipynb")
    generate(tmp_path)
    exercise = tmp_path / "exercises" / "09_demo.ipynb"
    notebook = nbformat.read(exercise, as_version=4)
    edit(notebook)
    nbformat.write(notebook, exercise)
    before = exercise.read_text()
    _solution(tmp_path / "solutions" / "09_demo.ipynb", "return x + x")
    assert [o.action for o in generate(tmp_path)] == ["skipped"] and exercise.read_text() == before
    assert [o.action for o in generate(tmp_path, force=True)] == ["written"]


def test_an_exercise_that_is_a_link_is_never_written_through(tmp_path, capsys):
    _solution(tmp_path / "solutions" / "09_demo.ipynb")
    elsewhere = tmp_path / "elsewhere.ipynb"
    elsewhere.write_text("mine")
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "09_demo.ipynb").symlink_to(elsewhere)
    assert cli.main(["exercises", "--root", str(tmp_path), "--force"]) == 1
    assert elsewhere.read_text() == "mine" and "a symbolic link, never written through" in capsys.readouterr().err


def test_an_exercise_from_the_older_generator_is_regenerated_only_if_untouched(tmp_path):
    _solution(tmp_path / "solutions" / "09_demo.ipynb")
    generate(tmp_path)
    exercise = tmp_path / "exercises" / "09_demo.ipynb"
    notebook = nbformat.read(exercise, as_version=4)
    notebook.metadata["nfteach"]["generated_hash"] = "0" * 64  # as an older generator stamped it
    nbformat.write(notebook, exercise)
    _solution(tmp_path / "solutions" / "09_demo.ipynb", "return x + x")
    assert [o.action for o in generate(tmp_path)] == ["skipped"]  # it differs from what is generated now


def test_check_and_force_together_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["exercises", "--root", str(tmp_path), "--check", "--force"])
    assert stopped.value.code == 2 and "not allowed with" in capsys.readouterr().err


def test_generate_needs_solutions(tmp_path):
    with pytest.raises(FileNotFoundError, match="solutions"):
        generate(tmp_path)


@pytest.mark.parametrize("source", [
    f"def double(x):\n    ## BEGIN SOLUTION\n    return 2 * x\n    {END}",  # one hash short
    "def double(x):\n    ### Begin Solution\n    return 2 * x\n    ### End Solution",  # another case
    f"def double(x):\n    ###BEGIN SOLUTION\n    return 2 * x\n    {END}",  # no space
    f"def double(x):\n    {BEGIN}\n    return 2 * x\n    ## END SOLUTION",  # a mistyped END
    f"def double(x):\n    {BEGIN}\n    return 2 * x",  # BEGIN without END
    "def double(x):\n    return 2 * x",  # an answer cell without markers
])
def test_the_generator_refuses_what_it_cannot_parse_and_writes_nothing(tmp_path, capsys, source):
    _solution(tmp_path / "solutions" / "08_fine.ipynb")
    _solution(tmp_path / "solutions" / "09_demo.ipynb")
    notebook = nbformat.read(tmp_path / "solutions" / "09_demo.ipynb", as_version=4)
    notebook.cells[0].source = source
    notebook.cells[0].metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "09-a", "locked": False}
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell("# Demo"))
    nbformat.write(notebook, tmp_path / "solutions" / "09_demo.ipynb")
    for extra in ([], ["--check"]):
        assert cli.main(["exercises", "--root", str(tmp_path), *extra]) == 2
        error = capsys.readouterr().err
        assert "solutions/09_demo.ipynb, cell 2" in error and "nothing was written" in error
    assert not (tmp_path / "exercises").exists()


def test_markers_in_a_markdown_cell_are_refused(tmp_path):
    _solution(tmp_path / "solutions" / "09_demo.ipynb")
    notebook = nbformat.read(tmp_path / "solutions" / "09_demo.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"{BEGIN}\nThe answer is 42.\n{END}"))
    with pytest.raises(ValueError, match="cell 2: solution markers in a markdown cell"):
        make_exercise(notebook, "09_demo")


def test_an_ordinary_comment_about_the_solution_is_not_a_marker():
    assert strip_solutions("# at the end, the solution is exact\nx = 1") == ("# at the end, the solution is exact\nx = 1", False)
