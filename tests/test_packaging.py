"""The repository's promises: one dependency list, clean notebooks with Colab headers, two commands."""

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import nbformat
import pytest
import yaml

from nfteach.course import colab

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name
NOT_PACKAGES = {"python", "pip"}


def _normalise(requirement: str) -> tuple[str, str]:
    requirement = requirement.split(";")[0]  # environment markers: conda lists the package for every Python
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement).groups()
    name = name.lower().replace("_", "-")
    return CONDA_NAMES.get(name, name), spec.replace(" ", "")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pyproject = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra
                                           if not r.startswith("nfteach[")]  # an extra naming another extra
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda = [entry for entry in environment if isinstance(entry, str)] + [  # and what only PyPI has, under pip:
        entry for block in environment if isinstance(block, dict) for entry in block.get("pip", []) if entry != "-e ."]
    assert dict(map(_normalise, pyproject)) == {
        name: spec for name, spec in map(_normalise, conda) if name not in NOT_PACKAGES
    }
    python = next(spec for name, spec in map(_normalise, conda) if name == "python")
    assert python == project["requires-python"]


def committed_notebooks() -> list[Path]:
    try:
        listed = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True)
        return [ROOT / line for line in listed.stdout.split()]
    except (OSError, subprocess.CalledProcessError):
        return colab.notebook_paths(ROOT)


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_committed_notebooks_carry_no_outputs(path):
    notebook = json.loads(path.read_text())
    dirty = [i for i, cell in enumerate(notebook["cells"])
             if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; clear them before committing"


@pytest.mark.parametrize("path", colab.notebook_paths(ROOT), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_notebook_starts_with_its_colab_badge_and_install_cell(path):
    relative = path.relative_to(ROOT).as_posix()
    notebook = nbformat.read(path, as_version=4)
    assert colab.has_header(notebook, relative), f"{relative}: run `nfteach colab` to write its Colab header"
    assert colab.colab_url(relative) in notebook.cells[0].source


def test_the_repository_url_lives_in_pyproject():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert colab.repository_url() == urls["Repository"]


def test_readme_names_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(), re.M)
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


COLAB_FREEZE = ROOT / "requirements" / "colab" / "pip-freeze.txt"
COLAB_PYTHON = "3.13"  # requirements/colab/README.md


def runtime_requirements() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def test_only_instructor_tools_sit_in_extras_and_the_kernel_stack_stays_below_ipykernel_7():
    runtime = {_normalise(r)[0]: _normalise(r)[1] for r in runtime_requirements()}
    assert not {"nbformat", "nbclient", "nbconvert", "jupyterlab", "pytest"} & set(runtime)
    assert runtime["ipywidgets"] == ">=7.7" and runtime["ipykernel"] == ">=6.17,<7"  # Colab: 7.7.1 and 6.17.1
    lock = dict(line.split("  #")[0].split(";")[0].split("==") for line in
                (ROOT / "requirements" / "lock.txt").read_text().splitlines() if line and not line.startswith("#"))
    assert lock["ipykernel"].startswith("6.") and "torch" not in lock and "nfteach" not in lock


def _index_unreachable() -> str:
    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=15).close()
    except OSError as error:
        return f"PyPI is unreachable ({error}): the Colab resolution needs the index"
    return ""


def test_the_kit_installs_into_colabs_runtime_without_changing_a_package(tmp_path):
    """pip resolves the runtime dependencies within Colab's freeze (torch is Colab's own: left out)."""
    if reason := _index_unreachable():
        pytest.skip(reason)
    requirements = [r for r in runtime_requirements() if _normalise(r)[0] != "torch"]
    report = tmp_path / "report.json"
    # --ignore-requires-python: pip checks Requires-Python against the running interpreter, not --python-version.
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--target", str(tmp_path / "t"),
               "--only-binary=:all:", "--python-version", COLAB_PYTHON, "--ignore-requires-python",
               "--report", str(report), "-c", str(COLAB_FREEZE), *requirements]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"the kit conflicts with Colab's runtime:\n{done.stderr[-3000:]}"
    colab = dict(_normalise(line.replace("==", " ")) for line in COLAB_FREEZE.read_text().splitlines()
                 if "==" in line and not line.startswith("#"))
    installed = {_normalise(item["metadata"]["name"])[0]: item["metadata"]["version"]
                 for item in json.loads(report.read_text())["install"]}
    changed = {name: (colab[name], version) for name, version in installed.items()
               if colab.get(name, version) != version}
    assert not changed, f"these Colab packages would be replaced (Colab's version, the kit's): {changed}"
    assert "trimesh" in set(installed) - set(colab)  # what the kit adds: trimesh (Colab ships rtree, not trimesh)


def _install_torch():
    sys.path.insert(0, str(ROOT / "requirements"))
    try:
        import install_torch
    finally:
        sys.path.pop(0)
    return install_torch


def test_torch_is_the_cpu_build_on_linux_without_a_gpu_and_never_the_cuda_build_as_a_fallback():
    install_torch = _install_torch()
    first, fallback = install_torch.attempts("Linux", nvidia=False)
    assert first[:3] == [f"torch=={install_torch.TORCH_VERSION}", "--index-url", install_torch.CPU_INDEX]
    assert "--timeout" in first and "--retries" in first  # an unreachable index fails fast (CI has none)
    assert fallback == [f"torch=={install_torch.TORCH_VERSION}+cpu"]  # a CPU wheel on disk, not PyPI's CUDA build
    for system, nvidia in (("Darwin", False), ("Windows", False), ("Linux", True)):
        assert install_torch.attempts(system, nvidia) == [[f"torch=={install_torch.TORCH_VERSION}"]]
    makefile = (ROOT / "Makefile").read_text()
    assert "requirements/install_torch.py" in makefile and "-c $(LOCK)" in makefile


def test_binder_is_slim_cpu_only_and_installs_the_kit_from_the_lock():
    binder = ROOT / "binder"
    requirements = (binder / "requirements.txt").read_text()
    assert f"torch=={_install_torch().TORCH_VERSION}+cpu" in requirements
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in requirements
    post_build = (binder / "postBuild").read_text()
    assert '-c requirements/lock.txt -e ".[lab]"' in post_build and "test]" not in post_build  # no test tools
    assert (binder / "postBuild").stat().st_mode & 0o111, "repo2docker runs postBuild only when it is executable"
    runtime = (binder / "runtime.txt").read_text().strip()
    python = runtime.removeprefix("python-")
    assert re.fullmatch(r"3\.\d+", python) and tuple(map(int, python.split("."))) >= (3, 10)
