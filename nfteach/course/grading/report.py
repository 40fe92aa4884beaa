"""The report: a CSV written a row at a time (safe for spreadsheets), the terminal table, the merge of shards."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

from nfteach.course.grading.discover import GradingError
from nfteach.course.grading.score import Report


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text: str) -> str:
    """``text`` with its control characters (terminal escapes, line breaks) written out as escapes (``\\n``,
    ``\\x1b``), so that two names that differ only there stay apart."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), str(text).strip())


def csv_cell(text: str) -> str:
    """A CSV value a spreadsheet shows as text: control characters removed, a leading = + - @ escaped with '."""
    text = clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


HEAD, TAIL = ["submission"], ["total", "out_of", "note"]
KEYS = ("submission", "student")
"""The first column, which names a row: the file (the default) or, with a roster or name pattern, the student."""
META = ("submission", "submitted", "late", "raw")
"""Columns between the tasks and the total that are not tasks: the file (when rows are students), when it was
handed in, what the deadline made of it, and the score before the late penalty (``total`` is after it)."""


def layout(columns: list[str], key: str = "submission", deadline: bool = False) -> list[str]:
    """The header of a report: the key, the task columns, the columns about the file, the total."""
    meta = [m for m in META if (m == "submission" and key == "student") or (m != "submission" and (deadline or key == "student"))]
    return [key, *columns, *meta, *TAIL]


def row_of(report: Report) -> dict[str, str]:
    """A report as the values of its row, by column (not yet made safe for spreadsheets)."""
    values = {task: str(result) for task, result in report.results.items()}
    values.update(submission=report.submission, student=report.student, submitted=report.submitted, late=report.late,
                  raw=f"{report.total:g}", total=f"{report.final:g}", out_of=f"{report.out_of:g}", note=report.note)
    return values


class CsvReport:
    """The CSV report, opened (so a bad path fails) before grading and written a row at a time.

    With ``keep`` an existing report at ``path`` loses no row: the rows not graded again (every key but those in
    ``keep``) are written first, as they were; :meth:`changes` says what a row graded again changed. Rows are
    written as runs finish (an interrupted run keeps what it graded); :meth:`close` puts them in order, sorted by
    their key.
    """

    def __init__(self, path: Path, columns: list[str], keep: set[str] | None = None, key: str = "submission",
                 deadline: bool = False):
        self.check(path)
        self.path = path
        found = read_full(path) if keep is not None and path.is_file() else None
        previous_header, previous = (found[2], found[1]) if found else ([], {})
        if previous and previous_header[0] != key:
            raise GradingError(f"--out {path} has a row per {previous_header[0]}, this run one per {key} (it was "
                               f"{'not ' if key == 'student' else ''}given a roster or name pattern): give a new --out")
        self.previous = previous
        kept = {name: row for name, row in previous.items() if name not in (keep or set())}
        self.kept = len(kept)
        old_tasks = [c for c in previous_header[1:-3] if c not in META] if kept else []
        self.columns = list(dict.fromkeys([*old_tasks, *columns]))
        self.header = layout(self.columns, key, deadline or any(m in previous_header for m in META[1:]))
        try:
            self.handle = open(path, "w", newline="", encoding="utf-8")
        except OSError as error:
            raise GradingError(f"--out {path}: cannot write there ({error.strerror})") from None
        self.writer = csv.writer(self.handle)
        self.rows: list[list[str]] = []  # as written, for the sorted copy at close
        self._row([csv_cell(c) for c in self.header])
        for name in sorted(kept):  # as read: already made safe when they were first written
            self._row([kept[name].get(c, "") for c in self.header])

    @staticmethod
    def check(path: Path, protected: list[Path] = ()) -> None:
        """GradingError unless a report can be written at ``path`` (checked before any grading): never over a
        notebook, a solution, a submission or a file that is not a report."""
        if path.is_dir():
            raise GradingError(f"--out {path} is a folder: give a file name, e.g. {path / 'grades.csv'}")
        if not path.parent.is_dir():
            raise GradingError(f"--out {path}: the folder {path.parent} does not exist")
        if path.suffix == ".ipynb" or any(os.path.realpath(path) == os.path.realpath(p) or
                                          Path(os.path.realpath(path)).is_relative_to(os.path.realpath(p))
                                          for p in protected):
            raise GradingError(f"--out {path} is a notebook, a submission or inside the solutions: give a new file "
                               "name for the report, e.g. grades.csv")
        if path.exists() and (path.is_symlink() or not path.is_file()):
            raise GradingError(f"--out {path} is not a regular file: give a file name, e.g. grades.csv")
        if path.is_file() and path.stat().st_size and read_report(path) is None:
            raise GradingError(f"--out {path} exists and is not a report of `nfteach grade`: it would be overwritten; "
                               "give another file name")
        if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise GradingError(f"--out {path}: you may not write there")

    def _row(self, values: list[str]) -> None:
        try:
            self.writer.writerow(values)
            self.handle.flush()
        except OSError as error:
            raise GradingError(f"--out {self.path}: cannot write the report ({error.strerror})") from None
        self.rows.append(values)

    def write(self, report: Report) -> None:
        values = row_of(report)
        self._row([csv_cell(values.get(c, "")) for c in self.header])

    def changes(self, report: Report) -> str | None:
        """What grading ``report`` again changed in its row, in words (None: it is new; "" unchanged)."""
        old = self.previous.get(csv_cell(row_of(report)[self.header[0]]))
        if old is None:
            return None
        new = {c: csv_cell(v) for c, v in row_of(report).items()}
        said = [f"{c}: {old.get(c, '') or '(none)'} → {new.get(c, '') or '(none)'}" for c in [*self.columns, "late", "total"]
                if c in self.header and old.get(c, "") != new.get(c, "")]
        return "; ".join(said)

    def close(self) -> None:
        """Close the report and rewrite it with its rows sorted by their key (a copy moved over it at once)."""
        try:
            self.handle.close()
        except OSError:  # already reported by the write that failed
            return
        header, *rows = self.rows
        if rows == sorted(rows, key=lambda row: row[0]):
            return
        sorted_copy = self.path.with_name(self.path.name + ".sorting")
        try:
            with open(sorted_copy, "w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows([header, *sorted(rows, key=lambda row: row[0])])
            os.replace(sorted_copy, self.path)
        except OSError:  # the report as written stays: every row is in it, in the order the runs finished
            sorted_copy.unlink(missing_ok=True)


def read_report(path: Path) -> tuple[list[str], dict[str, dict[str, str]]] | None:
    """A report's task columns and rows by their key (the first column), or None if the file is not a report of
    `nfteach grade`."""
    found = read_full(path)
    return None if found is None else found[:2]


def read_full(path: Path) -> tuple[list[str], dict[str, dict[str, str]], list[str]] | None:
    """As :func:`read_report`, with the header too."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            if header[:1] not in ([k] for k in KEYS) or header[-3:] != TAIL:
                return None
            return [c for c in header[1:-3] if c not in META], {row[0]: dict(zip(header, row)) for row in reader if row}, header
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def write_csv(reports: list[Report], path: Path) -> None:
    """One row per submission: submission, one column per task, total, out_of, note."""
    writer = CsvReport(Path(path), task_columns(reports))
    for report in reports:
        writer.write(report)
    writer.close()


def merge(paths: list[Path], out: Path) -> int:
    """Join the CSVs of several shards into one (columns united, rows sorted); return the number of rows.

    A row graded in two shards, reports keyed differently, or a file that is not a grade report is a GradingError.
    """
    columns: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    headers = []
    for path in map(Path, paths):
        if not path.is_file():
            raise GradingError(f"merge: no report at {path}")
        found = read_full(path)
        if found is None:
            with open(path, newline="", encoding="utf-8", errors="replace") as handle:
                header = next(csv.reader(handle), [])
            raise GradingError(f"merge: {path} is not a report of `nfteach grade` (its header is {header[:4]}…)")
        tasks, these, header = found
        if headers and header[0] != headers[0][0]:
            raise GradingError(f"merge: {path} has a row per {header[0]}, {paths[0]} one per {headers[0][0]}")
        headers.append(header)
        columns += [c for c in tasks if c not in columns]
        for name, row in these.items():
            if name in rows:
                raise GradingError(f"merge: {name} is graded in two reports (the second in {path})")
            rows[name] = row
    key = headers[0][0] if headers else "submission"
    writer = CsvReport(Path(out), columns, key=key, deadline=any(m in h for h in headers for m in META[1:]))
    for name in sorted(rows):
        writer.writer.writerow([csv_cell(rows[name].get(c, "")) for c in writer.header])
    writer.close()
    return len(rows)


def task_columns(reports: list[Report]) -> list[str]:
    """Every task id of every report, in order of first appearance."""
    return list(dict.fromkeys(task.id for report in reports for task in report.tasks))


def table(reports: list[Report], width: int = 40) -> str:
    """A plain-text table of the reports for the terminal, long messages cut to ``width`` characters."""
    columns = task_columns(reports)
    short = lambda text: clean(text) if len(clean(text)) <= width else clean(text)[: width - 1] + "…"
    students = any(r.student for r in reports)
    rows = [["student" if students else "submission", *columns, "total"]]
    for report in reports:
        cells = [short(str(report.results[c])) if c in report.results else "" for c in columns]
        late = f" (raw {report.total:g})" if report.penalty else ""
        rows.append([clean(report.student if students else Path(report.submission).name), *cells,
                     f"{report.final:g}/{report.out_of:g}{late}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(value.ljust(w) for value, w in zip(row, widths)).rstrip() for row in rows]
    notes = [f"{clean(r.student or Path(r.submission).name)}: {clean('; '.join(filter(None, (r.late if r.penalty else '', r.note))))}"
             for r in reports if r.note or r.penalty]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:], *notes])
