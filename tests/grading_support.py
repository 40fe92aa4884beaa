"""Tiny graded notebooks for the course tests: one solution with two quick tasks (psnr, 1 point; sine_layer,
2 points) and submissions that solve both, one, or none."""

from pathlib import Path

import nbformat

from nfteach.course.exercises import BEGIN, CHECK_TAG, END

PSNR = "mse = torch.mean((pred - target) ** 2).item()\n    return 10 * math.log10(data_range**2 / mse)"
SINE = "return torch.sin(omega_0 * linear(x))"
TODO = "raise NotImplementedError()"


def check_cell(task: str, points: int):
    cell = nbformat.v4.new_code_cell(f"check.{task}({task})")
    cell.metadata["tags"] = [CHECK_TAG]
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": f"99-{task}", "points": points, "solution": False,
                                 "locked": True, "schema_version": 3}
    return cell


def notebook(psnr_body: str = PSNR, sine_body: str = SINE, summary: bool = False):
    cells = [nbformat.v4.new_code_cell("import math\nimport torch\nfrom nfteach import check"),
             nbformat.v4.new_code_cell(f"def psnr(pred, target, data_range=1.0):\n    {psnr_body}"),
             check_cell("psnr", 1),
             nbformat.v4.new_code_cell(f"def sine_layer(x, linear, omega_0):\n    {sine_body}"),
             check_cell("sine_layer", 2)]
    if summary:
        cells.append(nbformat.v4.new_code_cell("check.summary()"))
    return nbformat.v4.new_notebook(cells=cells)


def solutions(root: Path) -> Path:
    folder = root / "solutions"
    folder.mkdir(exist_ok=True)
    nbformat.write(notebook(f"{BEGIN}\n    {PSNR}\n    {END}", f"{BEGIN}\n    {SINE}\n    {END}", summary=True),
                   folder / "99_demo.ipynb")
    return folder
