"""Inside the sandbox: run one project submission top to bottom and keep it executed (run as a script).

Reads ``job.json`` (the notebook's file name, the per-cell timeout, the name of the notebook's results table),
executes the notebook in a fresh kernel (errors do not stop it), then writes ``executed.ipynb`` and
``results.json``: the table the starter builds (``results``: row → metric → number), numbers only. The grader
reads both as untrusted data; nothing here decides a mark.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat

DUMP = """import json as _json, math as _math
_table = globals().get({name!r})
_rows = {{}}
if isinstance(_table, dict):
    for _row, _values in list(_table.items())[:64]:
        if isinstance(_values, dict):
            _rows[str(_row)[:80]] = {{str(k)[:40]: float(v) for k, v in list(_values.items())[:16]
                                     if isinstance(v, (int, float)) and _math.isfinite(float(v))}}
open("results.json", "w").write(_json.dumps(_rows))
"""


def main(folder: Path) -> None:
    if __package__:
        from nfteach.course.execute import RecoveringClient
    else:  # run as a script, as the grader does: the module beside this file
        from execute import RecoveringClient

    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"  # the page shows the figures (the
    # sandbox's environment says agg, right for the exercises' check runs)
    job = json.loads((folder / "job.json").read_text())
    notebook = nbformat.read(folder / job["notebook"], as_version=4)
    dump = nbformat.v4.new_code_cell(DUMP.format(name=str(job.get("table", "results"))))
    notebook.cells.append(dump)
    client = RecoveringClient(notebook, timeout=int(job["timeout"]), kernel_name="python3", allow_errors=True,
                              interrupt_on_timeout=True, resources={"metadata": {"path": str(folder)}})
    try:
        client.execute(cwd=str(folder))
    except Exception as error:  # a dead kernel: keep what ran
        print(f"the run stopped: {type(error).__name__}: {error}", file=sys.stderr)
    finally:
        notebook.cells.remove(dump)
        nbformat.write(notebook, folder / "executed.ipynb")


if __name__ == "__main__":
    main(Path(sys.argv[1]))  # argv[2], the grader's event pipe, is not used: a project run has no verdicts
