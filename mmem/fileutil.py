"""A file (or folder) written aside and renamed into place: a reader, or another process writing
the same file at the same moment, finds the old one or the new one whole, never a part of one."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def write_aside(target: Path, produce: Callable[[Path], None]) -> None:
    """`produce(path)` makes the new `target` at `path`: `target`'s own name (suffix and all: np.savez
    and others add theirs to a name without it) inside a private folder made for this call beside
    `target` (same file system; no other writer shares it), created by the producer as it would
    create `target` (its usual mode). It is then renamed over `target` (os.replace: atomic; a folder
    replaces only a missing or empty one, else OSError). The private folder is removed, whatever
    happened; an error in `produce` or the rename propagates, with `target` as it was."""
    import shutil
    import tempfile

    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        produce(aside / target.name)
        os.replace(aside / target.name, target)
    finally:
        shutil.rmtree(aside, ignore_errors=True)
