"""bench/claims.py reads every assert's slack, goes on past a failing one, and applies a wrong-method swap."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("claims", ROOT / "bench" / "claims.py")
claims = importlib.util.module_from_spec(spec)
sys.modules["claims"] = claims   # dataclasses look their module up there
spec.loader.exec_module(claims)


@pytest.mark.parametrize("sides, expected", [
    (("cmp", [3.0, 1.0], ["Gt"]), (True, 2.0)),
    (("cmp", [3.0, 1.0], ["Lt"]), (False, -2.0)),
    (("cmp", [0.0, 0.5, 2.0], ["Lt", "LtE"]), (True, 0.5)),
    (("and", [("cmp", [1.0, 4.0], ["Lt"]), ("bool", True)]), (True, 3.0)),
    (("bool", False), (False, None)),
    (("cmp", [float("nan"), 1.0], ["Gt"]), (False, None)),
])
def test_judge_gives_held_and_slack(sides, expected):
    held, slack = claims._judge(sides)
    assert held == expected[0]
    assert (slack is None and expected[1] is None) or slack == pytest.approx(expected[1])


def test_a_notebook_run_records_every_assert_and_the_swap(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import nfteach\nnfteach.setup(seed=0)\nx = 3.0 + nfteach.session_seed()"),
        nbformat.v4.new_code_cell("assert x > 1, x\nassert x < 2   # fails: the run goes on\nassert isinstance(x, float)"),
    ])
    path = tmp_path / "toy.ipynb"
    nbformat.write(notebook, path)
    records = claims.run_once(path, seed=2, wrong=None, timeout=60)["records"]
    assert [(r["cell"], r["held"], r["slack"]) for r in records] == [(1, True, 4.0), (1, False, -3.0), (1, True, None)]
    swap = claims.WrongMethod("x lowered", "import nfteach\nnfteach.session_seed = lambda: -2.7", ("x > 1",))
    swapped = claims.run_once(path, seed=0, wrong=swap, timeout=60)["records"]
    assert swapped[0]["slack"] == pytest.approx(-0.7)
