"""The house's rules (docs/architecture.md): arrows point one way, and the slider machinery stays generic."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nfteach"


def imported_modules(path: Path) -> set[str]:
    """Every nfteach module a file imports, at its top level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("nfteach")}


def modules(folder: Path, *, recursive: bool = False) -> list[Path]:
    return sorted(folder.rglob("*.py") if recursive else folder.glob("*.py"))


SCIENCE = [p for p in modules(PACKAGE) if p.name != "__init__.py"]
EXPLORE = modules(PACKAGE / "explore")


@pytest.mark.parametrize("path", SCIENCE + EXPLORE, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_the_science_and_the_rooms_never_import_the_course_wing(path):
    assert not {m for m in imported_modules(path) if m.startswith("nfteach.course")}


@pytest.mark.parametrize("path", SCIENCE, ids=lambda p: p.name)
def test_the_science_never_imports_a_chapter_room(path):
    assert not {m for m in imported_modules(path) if m.startswith("nfteach.explore")}


def test_rooms_do_not_import_each_other():
    for path in EXPLORE:
        others = {m for m in imported_modules(path) if m.startswith("nfteach.explore.")}
        assert not others, f"{path.name} imports {others}: shared code belongs in a science module"


def test_models_never_import_viz_and_widgets_holds_no_experiment():
    assert not {m for m in imported_modules(PACKAGE / "models.py") if m.startswith("nfteach.viz")}
    widget_imports = imported_modules(PACKAGE / "widgets.py")
    assert not widget_imports - {"nfteach._checks", "nfteach._checks.check_positive_int"}, widget_imports


def test_the_package_root_imports_the_course_wing_only_when_check_is_asked_for():
    import nfteach

    assert nfteach.check is __import__("nfteach.course.check").course.check
    from nfteach import check  # the form the exercises handed out before the move use

    assert callable(check.positional_encoding)
