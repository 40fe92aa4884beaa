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


class CsvReport:
    """The CSV report, opened (so a bad path fails) before grading and written a row at a time.

    With ``keep`` an existing report at ``path`` loses no row: the rows of submissions not graded again
    (every one but those in ``keep``) are written first, as they were. Rows are written as runs finish (an
    interrupted run keeps what it graded); :meth:`close` puts them in submission order, sorted by path.
    """

    def __init__(self, path: Path, columns: list[str], keep: set[str] | None = None):
        self.check(path)
        self.path = path
        previous_columns, previous = read_report(path) if keep is not None and path.is_file() else ([], {})
        kept = {name: row for name, row in previous.items() if name not in (keep or set())}
        self.columns = list(dict.fromkeys([*previous_columns, *columns])) if kept else columns
        try:
            self.handle = open(path, "w", newline="", encoding="utf-8")
        except OSError as error:
            raise GradingError(f"--out {path}: cannot write there ({error.strerror})") from None
        self.writer = csv.writer(self.handle)
        self.rows: list[list[str]] = []  # as written, for the sorted copy at close
        self._row([csv_cell(c) for c in HEAD + self.columns + TAIL])
        for name in sorted(kept):  # as read: already made safe when they were first written
            self._row([kept[name].get(c, "") for c in HEAD + self.columns + TAIL])

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
        cells = [str(report.results[c]) if c in report.results else "" for c in self.columns]
        row = [report.submission, *cells, f"{report.total:g}", f"{report.out_of:g}", report.note]
        self._row([csv_cell(value) for value in row])

    def close(self) -> None:
        """Close the report and rewrite it with its rows sorted by submission (a copy moved over it at once)."""
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
    """A report's task columns and rows by submission, or None if the file is not a report of `nfteach grade`."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            if header[:1] != HEAD or header[-3:] != TAIL:
                return None
            return header[1:-3], {row[0]: dict(zip(header, row)) for row in reader if row}
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

    A submission graded in two shards, or a file that is not a grade report, is a GradingError.
    """
    columns: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    for path in map(Path, paths):
        if not path.is_file():
            raise GradingError(f"merge: no report at {path}")
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            if header[:1] != HEAD or header[-3:] != TAIL:
                raise GradingError(f"merge: {path} is not a report of `nfteach grade` (its header is {header[:4]}…)")
            columns += [c for c in header[1:-3] if c not in columns]
            for values in reader:
                row = dict(zip(header, values))
                if row.get("submission") in rows:
                    raise GradingError(f"merge: {row['submission']} is graded in two reports (the second in {path})")
                rows[row.get("submission", "")] = row
    writer = CsvReport(Path(out), columns)
    for name in sorted(rows):
        writer.writer.writerow([csv_cell(rows[name].get(c, "")) for c in HEAD + columns + TAIL])
    writer.close()
    return len(rows)


def task_columns(reports: list[Report]) -> list[str]:
    """Every task id of every report, in order of first appearance."""
    return list(dict.fromkeys(task.id for report in reports for task in report.tasks))


def table(reports: list[Report], width: int = 40) -> str:
    """A plain-text table of the reports for the terminal, long messages cut to ``width`` characters."""
    columns = task_columns(reports)
    short = lambda text: clean(text) if len(clean(text)) <= width else clean(text)[: width - 1] + "…"
    rows = [["submission", *columns, "total"]]
    for report in reports:
        cells = [short(str(report.results[c])) if c in report.results else "" for c in columns]
        rows.append([clean(Path(report.submission).name), *cells, f"{report.total:g}/{report.out_of:g}"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(value.ljust(w) for value, w in zip(row, widths)).rstrip() for row in rows]
    notes = [f"{clean(Path(r.submission).name)}: {clean(r.note)}" for r in reports if r.note]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:], *notes])
