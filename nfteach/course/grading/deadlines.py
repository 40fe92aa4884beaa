"""Deadlines: the due time with its zone, a late penalty (per day started, a cap, a grace period), extensions.

A submission is late when it came more than the grace period after its due time (the course's, or the
student's with the roster's ``extension``: a duration such as ``2d`` or ``36h``, or a new due time). Each day
started after the due time then costs ``per_day`` percent of the raw score, at most ``cap`` percent.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from nfteach.course.grading.discover import GradingError

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)\s*d)?\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*(?:m|min))?")


def parse_duration(text: str, what: str) -> dt.timedelta:
    """``2d``, ``36h``, ``15m``, ``1d12h`` (a bare number is days)."""
    text = str(text).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return dt.timedelta(days=float(text))
    match = _DURATION.fullmatch(text)
    if not text or not match or not any(match.groups()):
        raise GradingError(f"{what}: expected a duration such as 2d, 36h, 15m or 1d12h, got {text!r}")
    days, hours, minutes = (float(g) if g else 0.0 for g in match.groups())
    return dt.timedelta(days=days, hours=hours, minutes=minutes)


def parse_due(text: str) -> dt.datetime:
    """``--due``: an ISO time with its offset (``2026-03-01T23:59+01:00``) or followed by a zone name
    (``2026-03-01T23:59 Europe/Berlin``); a time without either is refused (whose midnight would it be?)."""
    text = str(text).strip()
    head, _, tail = text.rpartition(" ")
    zone_name = tail if head and ("/" in tail or tail.upper() == "UTC") else ""
    try:
        when = dt.datetime.fromisoformat((head if zone_name else text).replace("Z", "+00:00"))
    except ValueError:
        raise GradingError(f"--due {text!r}: expected e.g. 2026-03-01T23:59+01:00 or '2026-03-01 23:59 Europe/Berlin'") from None
    if zone_name:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise GradingError(f"--due {text!r}: unknown time zone {zone_name!r} (e.g. Europe/Berlin, America/New_York, UTC)") from None
        if when.tzinfo is not None:
            raise GradingError(f"--due {text!r}: give an offset or a zone name, not both")
        when = when.replace(tzinfo=zone)
    if when.tzinfo is None:
        raise GradingError(f"--due {text!r} has no time zone: add an offset (+01:00) or a zone name "
                           "('2026-03-01 23:59 Europe/Berlin')")
    return when


@dataclass(frozen=True)
class Policy:
    """The due time and the late rule: ``per_day`` and ``cap`` in percent of the raw score."""

    due: dt.datetime
    per_day: float = 10.0
    cap: float = 100.0
    grace: dt.timedelta = dt.timedelta(0)

    def __post_init__(self):
        if not 0 <= self.per_day <= 100 or not 0 <= self.cap <= 100:
            raise GradingError(f"--penalty and --cap are percentages from 0 to 100, got {self.per_day:g} and {self.cap:g}")

    @property
    def zone(self) -> dt.tzinfo:
        return self.due.tzinfo

    def due_for(self, extension: str = "") -> tuple[dt.datetime, str]:
        """The due time of a student with this roster ``extension`` (empty: none), and how it was set."""
        extension = str(extension or "").strip()
        if not extension:
            return self.due, ""
        if re.match(r"\d{4}-\d\d-\d\d", extension):
            try:
                when = dt.datetime.fromisoformat(extension.replace("Z", "+00:00"))
            except ValueError:
                raise GradingError(f"roster extension {extension!r}: expected a duration (2d) or an ISO time") from None
            when = when if when.tzinfo else when.replace(tzinfo=self.zone)
            return when, "extended"
        return self.due + parse_duration(extension, "roster extension"), f"extension {extension}"

    def penalty(self, submitted: dt.datetime | None, extension: str = "", late_flag: bool = False) -> tuple[float, str]:
        """The fraction of the raw score taken off (0 to 1) and why, in words for the report and the student."""
        due, extended = self.due_for(extension)
        rule = f"{self.per_day:g} % a day started, at most {self.cap:g} %" + (f", grace {_duration(self.grace)}" if self.grace else "")
        due_text = f"due {_shown(due, self.zone)}" + (f" ({extended})" if extended else "")
        if submitted is None:
            return 0.0, (("the LMS marked it late but gave no time" if late_flag else "no submission time") +
                         f": no penalty applied ({due_text}; give --timestamps)")
        after = submitted - due
        if after <= dt.timedelta(0):
            return 0.0, f"on time ({due_text})"
        if after <= self.grace:
            return 0.0, f"{_duration(after)} after the due time, within the grace period ({due_text})"
        days = math.ceil(after / dt.timedelta(days=1))
        fraction = min(self.cap, days * self.per_day) / 100
        return fraction, (f"{_duration(after)} late ({due_text}): {days} day{'s' if days > 1 else ''} × "
                          f"{self.per_day:g} % = −{fraction * 100:g} % ({rule})")


def _shown(when: dt.datetime, zone: dt.tzinfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z").strip()


def _duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes or not (days or hours) else ""]
    return " ".join(p for p in parts if p)
