"""Small helpers shared by the store modules."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mmem.fileutil import write_aside


def quote(value: str) -> str:
    """A string literal for a LanceDB filter."""
    return "'" + value.replace("'", "''") + "'"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def write_json(path: Any, data: dict[str, Any]) -> None:
    """Atomically: written aside, then renamed over the target (mmem.fileutil; an object-store PUT
    is atomic by itself)."""
    if not isinstance(path, Path):
        path.write_text(json.dumps(data, indent=2))
        return
    write_aside(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2)))
