"""Durations and times as people type them: 90s, 10m, 1h30m, 2d; ISO-8601 timestamps."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from mmem.errors import InputError

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|s|ms)?", re.I)
_UNIT = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, None: 1.0}


def parse_duration(text: str, option: str = "duration") -> float:
    """Seconds in '90', '90s', '10m', '1h30m', '2d'. Raises InputError naming the option."""
    raw = text.strip().lower()
    pos, total = 0, 0.0
    for m in _PART.finditer(raw):
        if m.start() != pos or not m.group(0).strip():
            break
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    if not raw or pos != len(raw) or total <= 0:
        raise InputError(f"{option} {text!r} is not a duration: use e.g. 90s, 10m, 1h30m")
    return total


def parse_when(text: str, option: str, now: datetime | None = None) -> datetime:
    """A point in time: an ISO timestamp, or a duration meaning that long ago."""
    now = now or datetime.now(timezone.utc)
    try:
        when = datetime.fromisoformat(text.strip())
        return when if when.tzinfo else when.astimezone()
    except ValueError:
        pass
    try:
        return now - timedelta(seconds=parse_duration(text, option))
    except InputError:
        raise InputError(f"{option} {text!r}: use a duration (10m, 2h) or a time "
                         "(2026-11-29T14:00)") from None


def clock(seconds: float) -> str:
    """Seconds on a source's clock as h:mm:ss.s (what every listing shows)."""
    s = max(0.0, seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{int(h):d}:{int(m):02d}:{sec:04.1f}"
