"""Feedback pages (``nfteach grade --feedback DIR``): one HTML file per submission, readable offline, to hand back.

Each page shows every task's verdict, points, the check's hint and what the student's function printed while
the check ran, then the score (raw and after a late penalty, and why). It is made from the :class:`Report` only:
the check's inputs, the reference values and the solution never reach it (a hint says what to look at, as the
student saw it in the notebook, less the values it quotes: see :func:`withhold`). No script, no external style sheet, no font: a file that opens anywhere.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from nfteach.course.grading.discover import GradingError
from nfteach.course.grading.report import clean
from nfteach.course.grading.score import Report

STYLE = """body{font:16px/1.45 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;
vertical-align:top}pre{white-space:pre-wrap;background:#f4f4f4;padding:.4rem;margin:0}.passed{color:#176b17}
.failed,.error,.missing{color:#a11}.note{background:#fff6d6;padding:.6rem}@media(prefers-color-scheme:dark){
body{background:#161616;color:#ddd}pre{background:#262626}.note{background:#3a3320}.passed{color:#6c6}
.failed,.error,.missing{color:#f77}}"""
VERDICT = {"passed": "✓ passed", "failed": "✗ not yet right", "error": "✗ raised an error", "missing": "✗ check cell missing"}


_EXPECTED = re.compile(r"\b(expected(?: about)? )(\[[^\]]*\]|-?\d[\d.,e+-]*(?: dB)?)")


_INPUT = re.compile(r"\b([A-Za-z_]\w*)=(-?\d[\d.e+-]*)")


def withhold(hint: str) -> str:
    """A hint without the reference values and inputs some checks quote (``expected 0.25``, ``expected [1, 2]``,
    ``level=2.5``): on a graded run they are the grader's own, which a page handed back never shows."""
    return _INPUT.sub(lambda m: m.group(1) + "=…", _EXPECTED.sub(lambda m: m.group(1) + "(withheld)", hint))


def page_name(report: Report) -> str:
    """The page's file name: the student (or the submission's file name), made safe for any file system."""
    return safe_name(report.student or Path(report.submission).stem)


def safe_name(stem: str) -> str:
    """``stem`` as a file name any file system takes (letters, digits, ``. _ -``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "submission"


def page(report: Report, title: str = "") -> str:
    """The feedback page of one graded submission, as HTML text."""
    e = lambda text: html.escape(clean(text)) if text else ""
    rows = []
    for task in report.tasks:
        result = report.results.get(task.id)
        status = result.status if result is not None else "missing"
        earned = task.points if status == "passed" else 0
        hint = withhold(result.message) if result is not None and status != "passed" else ""
        printed = f"<pre>{html.escape(result.printed)}</pre>" if result is not None and result.printed else ""
        rows.append(f"<tr><td>{e(task.id)}<br><small>check.{e(task.check)}({e(task.function)})</small></td>"
                    f"<td class='{status}'>{VERDICT.get(status, e(status))}</td><td>{earned:g} / {task.points:g}</td>"
                    f"<td>{e(hint)}</td><td>{printed}</td></tr>")
    who = e(report.student) or e(Path(report.submission).name)
    score = f"{report.final:g} / {report.out_of:g}"
    handed = f"Handed in {e(report.submitted.replace('T', ' '))}. " if report.submitted else ""
    late = (f"<p>{handed}Raw score {report.total:g} / {report.out_of:g}; late: {e(report.late)}</p>" if report.penalty
            else f"<p>{handed}{e(report.late)}</p>" if report.late or handed else "")
    note = f"<p class='note'>{e(report.note)}</p>" if report.note else ""
    heading = e(title) or "Feedback"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{heading}: {who}</title><style>{STYLE}</style></head><body>
<h1>{heading}</h1>
<p><b>{who}</b> · file {e(Path(report.submission).name)}</p>
<h2>Score: {score}</h2>{late}{note}
<table><thead><tr><th>task</th><th>verdict</th><th>points</th><th>what to look at</th><th>what your function printed</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<p><small>Each task's check ran again in the grader on fresh inputs, with your notebook run from the top in a fresh
kernel: run <i>Restart &amp; Run All</i> and the last cell, <code>check.summary()</code>, to see the same before you
hand in.</small></p>
</body></html>
"""


def check_folder(folder: Path) -> Path:
    """GradingError unless the pages can go to ``folder`` (checked before any grading)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise GradingError(f"--feedback {folder} is a file: give a folder for the pages")
    if not folder.parent.is_dir():
        raise GradingError(f"--feedback {folder}: the folder {folder.parent} does not exist")
    return folder


def write_pages(reports: list[Report], folder: Path, title: str = "") -> list[Path]:
    """One page per report in ``folder`` (created; a page there already is replaced, nothing else is touched)."""
    folder = check_folder(folder)
    folder.mkdir(exist_ok=True)
    written, names = [], {}
    for report in reports:
        name = page_name(report)
        names[name] = names.get(name, 0) + 1
        path = folder / (f"{name}.html" if names[name] == 1 else f"{name}-{names[name]}.html")
        if path.is_symlink():
            path.unlink()
        path.write_text(page(report, title), encoding="utf-8")
        written.append(path)
    return written
