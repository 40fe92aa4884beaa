"""Who is who: LMS download names → students (``--name-pattern``, ``--roster``), submission times, gradebook files.

A name pattern is a regular expression with named groups, searched in ``<folder>/<file name>`` of each
submission. A group named after a roster column (``student``, ``canvas_id``, ``moodle_id``, ``email``, ``name``)
says who submitted it; a group ``timestamp`` when (read with ``--timestamp-format``, in the due date's zone).
The three LMS's own download names have a pattern ready (:data:`PATTERNS`). The roster is a CSV with a
``student`` column (the key of the report and the gradebook's ID) and any of :data:`ROSTER_COLUMNS`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from nfteach.course.grading.discover import GradingError

PATTERNS = {
    # Canvas "Download Submissions": <sortable name, lower case, letters only>_[late_]<Canvas user id>_<submission
    # attachment id>_<the student's file name, "-1", "-2"… added before the extension on a resubmission>; a late
    # one has "LATE" after the name (read in any case). The name carries no time: give --timestamps for penalties.
    "canvas": r"(?i:(?P<name>[^/_]+?)(?:_(?P<late>late))?_(?P<canvas_id>\d+)_(?P<attachment>\d+)_(?P<file>[^/]+))$",
    # Moodle "Download all submissions": <full name>_<participant id>_assignsubmission_file_<file name>, or with
    # "Download submissions in folders" the folder <full name>_<participant id>_assignsubmission_file_/ holding
    # the file as the student named it (pass the folders: `nfteach grade moodle/*/`). No time in the name either.
    "moodle": r"(?P<name>[^/]+)_(?P<moodle_id>\d+)_assignsubmission_file_/?(?P<file>[^/]+)$",
    # Gradescope "Export Submissions": assignment_<id>_export/submission_<submission id>/<file name>, beside a
    # submission_metadata.yml naming each submission's submitters (sid, email) and its created_at time: pass that
    # file as --timestamps (pass the folders: `nfteach grade export/submission_*/`).
    "gradescope": r"submission_(?P<submission>\d+)/(?P<file>[^/]+)$",
}
ROSTER_COLUMNS = ("student", "name", "email", "section", "canvas_id", "sis_login", "moodle_id", "extension")
NOT_WHO = {"timestamp", "file", "late", "attachment", "submission"}
"""Groups that say something about a file, not who sent it (``submission``: Gradescope's, through its metadata)."""


@dataclass
class Person:
    """One row of the roster (every column as text)."""

    student: str
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.columns.get("name", "") or self.student


@dataclass
class Identity:
    """Who sent a file and when: ``student`` is the roster's key (or ``unknown: <file>``), ``problem`` why not."""

    student: str
    submitted: dt.datetime | None = None
    problem: str = ""
    late_flag: bool = False


def pattern(text: str) -> re.Pattern:
    """``--name-pattern``: an LMS's name (canvas, moodle, gradescope) or a regular expression with named groups."""
    source = PATTERNS.get(text.lower(), text)
    try:
        compiled = re.compile(source)
    except re.error as error:
        raise GradingError(f"--name-pattern {text!r} is not a regular expression ({error}): give canvas, moodle, "
                           "gradescope or a pattern with named groups such as (?P<student>\\w+)_") from None
    if not set(compiled.groupindex) - NOT_WHO and "submission" not in compiled.groupindex:
        raise GradingError(f"--name-pattern {text!r} has no group that says who sent a file: name one after a roster "
                           f"column, e.g. (?P<student>…) or (?P<email>…) (columns: {', '.join(ROSTER_COLUMNS)})")
    return compiled


def _norm(text: str) -> str:
    """A name as LMS file names spell it: accents dropped, lower case, letters and digits only."""
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def _spellings(name: str) -> set[str]:
    """How a file name may spell a roster name: as written (Moodle's "Jane Doe") or last name first (Canvas's
    sortable "Doe, Jane"), each as :func:`_norm` writes it."""
    words = str(name).split()
    return {_norm(name), _norm(" ".join(words[-1:] + words[:-1]))}


def read_roster(path: Path) -> dict[str, Person]:
    """The roster by student key; GradingError naming the row for a missing ``student`` column or a repeated key."""
    path = Path(path)
    if not path.is_file():
        raise GradingError(f"--roster {path}: no such file (a CSV with a 'student' column, see docs/examples/roster.csv)")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [str(h).strip() for h in reader.fieldnames or []]
        if "student" not in header:
            raise GradingError(f"--roster {path}: no 'student' column (its columns are {header}); the first row must "
                               f"name the columns, e.g. {','.join(ROSTER_COLUMNS[:4])}")
        people: dict[str, Person] = {}
        for number, row in enumerate(reader, 2):
            row = {str(k).strip(): str(v or "").strip() for k, v in row.items() if k is not None}
            key = row.get("student", "")
            if not key:
                raise GradingError(f"--roster {path}, line {number}: the 'student' value is empty")
            if key in people:
                raise GradingError(f"--roster {path}, line {number}: student {key!r} is listed twice")
            people[key] = Person(key, row)
    return people


def parse_time(text: str, zone: dt.tzinfo, fmt: str | None = None) -> dt.datetime:
    """A time as written in a name or a file (``fmt``: strptime's; default ISO 8601); naive ones are in ``zone``."""
    text = str(text).strip()
    try:
        when = dt.datetime.strptime(text, fmt) if fmt else dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise GradingError(f"cannot read the time {text!r}" + (f" with --timestamp-format {fmt!r}" if fmt else
                           " (expected ISO 8601, e.g. 2026-03-01T23:59:00+01:00; or give --timestamp-format)")) from None
    return when if when.tzinfo else when.replace(tzinfo=zone)


def read_timestamps(path: Path, zone: dt.tzinfo) -> dict[str, dt.datetime | dict]:
    """Submission times: a CSV (``file`` or ``student`` column, and ``submitted``) by file name or student, or a
    Gradescope ``submission_metadata.yml`` by submission id (each: ``{"time", "sid", "email", "name"}``)."""
    path = Path(path)
    if not path.is_file():
        raise GradingError(f"--timestamps {path}: no such file")
    if path.suffix in (".yml", ".yaml"):
        return _gradescope(path, zone)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        key = next((k for k in ("file", "student") if k in (reader.fieldnames or [])), None)
        if key is None or "submitted" not in (reader.fieldnames or []):
            raise GradingError(f"--timestamps {path}: expected the columns file (or student) and submitted, got "
                               f"{reader.fieldnames}")
        return {row[key].strip(): parse_time(row["submitted"], zone) for row in reader if row.get(key)}


def _gradescope(path: Path, zone: dt.tzinfo) -> dict[str, dict]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise GradingError(f"--timestamps {path}: not readable YAML ({str(error).splitlines()[0]})") from None
    found = {}
    for key, entry in data.items() if isinstance(data, dict) else []:
        match = re.fullmatch(r"submission_(\d+)", str(key))
        if not match or not isinstance(entry, dict):
            continue
        get = lambda d, k: d.get(f":{k}", d.get(k)) if isinstance(d, dict) else None
        submitters = get(entry, "submitters") or [{}]
        first = submitters[0] if isinstance(submitters, list) and submitters else {}
        created = get(entry, "created_at")
        when = created if isinstance(created, dt.datetime) else (
            parse_time(re.sub(r"(\.\d{6})\d+", r"\1", str(created)).replace(" -", "-").replace(" +", "+"), zone)
            if created else None)
        found[match[1]] = {"time": when if when is None or when.tzinfo else when.replace(tzinfo=zone),
                           "sid": str(get(first, "sid") or ""), "email": str(get(first, "email") or ""),
                           "name": str(get(first, "name") or "")}
    return found


@dataclass
class Class:
    """What maps files to students: a name pattern, a roster, submission times (any may be absent)."""

    name_pattern: re.Pattern | None = None
    roster: dict[str, Person] | None = None
    timestamps: dict = field(default_factory=dict)
    timestamp_format: str | None = None
    zone: dt.tzinfo = dt.timezone.utc

    def identify(self, path: Path) -> Identity:
        """Who sent ``path`` and when (never raises for a file: a problem is said in ``Identity.problem``)."""
        path = Path(path)
        shown = f"{path.parent.name}/{path.name}"
        groups: dict[str, str] = {}
        if self.name_pattern is not None:
            match = self.name_pattern.search(shown)
            if match is None:
                return Identity(f"unknown: {path.name}", problem=f"its name {shown!r} does not match --name-pattern")
            groups = {k: v for k, v in match.groupdict().items() if v is not None}
        else:
            groups = {"student": path.stem}
        submitted, late_flag = self._time(path, groups), "late" in groups
        if "submission" in groups and isinstance(self.timestamps.get(groups["submission"]), dict):
            meta = self.timestamps[groups["submission"]]
            groups.update({k: v for k, v in (("student", meta["sid"]), ("email", meta["email"])) if v})
        who = {k: v for k, v in groups.items() if k not in NOT_WHO}
        who = dict(sorted(who.items(), key=lambda item: item[0] == "name"))  # an id first; a name only if no id does
        if self.roster is None:
            key = who.get("student") or next(iter(who.values()), path.stem)
            return Identity(key, submitted, late_flag=late_flag)
        for column, value in who.items():
            same = (lambda a, b: _norm(b) in _spellings(a)) if column == "name" else (lambda a, b: a.casefold() == b.casefold())
            found = [p for p in self.roster.values() if same(p.student if column == "student" else p.columns.get(column, ""), value)]
            if len(found) == 1:
                return Identity(found[0].student, submitted, late_flag=late_flag)
        said = ", ".join(f"{k} {v!r}" for k, v in who.items())
        return Identity(f"unknown: {path.name}", submitted, f"no one in the roster has {said or 'its name'}", late_flag)

    def _time(self, path: Path, groups: dict[str, str]) -> dt.datetime | None:
        if "timestamp" in groups:
            return parse_time(groups["timestamp"], self.zone, self.timestamp_format)
        for key in (path.name, groups.get("student", ""), groups.get("submission", "")):
            value = self.timestamps.get(key)
            if isinstance(value, dt.datetime):
                return value
            if isinstance(value, dict) and value.get("time"):
                return value["time"]
        return None


def latest_per_student(identities: dict[Path, Identity], exercise_of: dict[Path, str]) -> tuple[list[Path], list[str]]:
    """The files to grade (a student's latest file per exercise; unknown senders all kept) and what was set aside."""
    chosen: dict[tuple[str, str], Path] = {}
    aside: list[str] = []
    for path, who in identities.items():
        if who.student.startswith("unknown: "):
            chosen[(who.student, str(path))] = path
            continue
        key = (who.student, exercise_of.get(path, ""))
        if key in chosen:
            other = chosen[key]
            order = lambda p: (identities[p].submitted or dt.datetime.min.replace(tzinfo=dt.timezone.utc), p.name)
            newer, older = (path, other) if order(path) > order(other) else (other, path)
            chosen[key] = newer
            aside.append(f"{who.student} sent {newer.name} and {older.name}: the later one ({newer.name}) is graded")
        else:
            chosen[key] = path
    return list(chosen.values()), aside


def gradebook(rows: list[dict[str, str]], roster: dict[str, Person], lms: str, assignment: str, path: Path) -> int:
    """Write the CSV an LMS gradebook imports (``lms``: canvas or moodle); return the number of students in it.

    Canvas: ``Student, ID, SIS User ID, SIS Login ID, Section, <assignment>`` (the assignment column as Canvas
    names it in its own export, ``Name (123456)``, so that the import updates it). Moodle: ``ID number, Email
    address, Full name, <assignment>, Feedback``, mapped in Moodle's "Import grades: CSV file" to the user's ID
    number and the grade item.
    """
    by_student = {row.get("student", ""): row for row in rows}
    if lms == "canvas":
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment]
        line = lambda p, r: [p.columns.get("name", ""), p.columns.get("canvas_id", ""), p.student,
                             p.columns.get("sis_login", ""), p.columns.get("section", ""), r.get("total", "")]
    elif lms == "moodle":
        header = ["ID number", "Email address", "Full name", assignment, "Feedback"]
        line = lambda p, r: [p.student, p.columns.get("email", ""), p.name, r.get("total", ""), _feedback(r)]
    else:
        raise GradingError(f"--lms must be canvas or moodle, got {lms!r}")
    from nfteach.course.grading.report import csv_cell

    path = Path(path)
    if path.suffix == ".ipynb" or (path.exists() and not path.is_file()):
        raise GradingError(f"--out {path}: give a CSV file name, e.g. gradebook-{lms}.csv")
    if path.is_file() and path.stat().st_size:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as handle:
            if next(csv.reader(handle), [])[:3] != header[:3]:  # the columns before the assignment
                raise GradingError(f"--out {path} exists and is not a {lms} gradebook file: it would be overwritten; "
                                   "give another file name")
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for person in roster.values():
            row = by_student.get(person.student)
            if row is not None:
                writer.writerow([csv_cell(value) for value in line(person, row)])
                count += 1
    return count


def _feedback(row: dict[str, str]) -> str:
    """One line for Moodle's feedback column: the score before the penalty and why it changed."""
    parts = [f"raw {row['raw']}/{row.get('out_of', '')}" if row.get("raw") and row.get("raw") != row.get("total") else "",
             row.get("late", "")]
    return "; ".join(p for p in parts if p)
