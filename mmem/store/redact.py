"""Redaction of the memory's own images: a forgotten face is smeared out of the keyframes that
showed it, and each file is rewritten where it lies (no clean copy beside a face-bearing one).

`redact` is a step of the journalled forget (mmem.store.journal), so it is idempotent and safe to
interrupt: the redacted image is staged in a sibling `.redacted` file (complete once renamed
from `.part`), the original's bytes are overwritten with zeros, then the staged file is renamed
over it. A rerun after a kill finds the staged file and finishes; an image redacted twice is the
same redaction (its box holds no face any more).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

Box = list[int]  # left, top, right, bottom in the image's pixels

MARGIN = 0.25  # of the box's size, added on every side: hair, chin and ears go too
CELLS = 3  # the box is averaged down to CELLS x CELLS colours, then smoothed back up: no feature survives
STAGED = ".redacted"


def smear(image: Any, boxes: list[Box]) -> Any:
    """`image` (HxWx3 uint8) with every box (grown by MARGIN) replaced by a smooth blend of a few
    of its average colours: a face's shape, eyes and mouth are gone, the scene's colours stay."""
    import cv2

    out = image.copy()
    h, w = out.shape[:2]
    for left, top, right, bottom in boxes:
        mx, my = (right - left) * MARGIN, (bottom - top) * MARGIN
        x0, y0 = max(0, int(left - mx)), max(0, int(top - my))
        x1, y1 = min(w, int(right + mx) + 1), min(h, int(bottom + my) + 1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        cells = cv2.resize(out[y0:y1, x0:x1], (CELLS, CELLS), interpolation=cv2.INTER_AREA)
        out[y0:y1, x0:x1] = cv2.resize(cells, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC)
    return out


def redact(root: Any, plan: dict[str, list[Box]], quality: int = 85) -> list[str]:
    """Smear `plan`'s boxes out of each image (paths relative to `root`); the images rewritten."""
    done = []
    for rel, boxes in sorted(plan.items()):
        if boxes and _redact_one(root / rel, boxes, quality):
            done.append(rel)
    return done


def _redact_one(path: Any, boxes: list[Box], quality: int) -> bool:
    if not isinstance(path, Path):  # an object store: a PUT replaces the object whole
        data = _encoded(path.read_bytes(), boxes, quality) if path.exists() else None
        if data is not None:
            path.write_bytes(data)
        return data is not None
    staged = path.with_name(path.name + STAGED)
    if not staged.exists():  # not staged by an interrupted run: stage it now
        if not path.exists():
            return False
        data = _encoded(path.read_bytes(), boxes, quality)
        if data is None:  # not an image we can read: the face may be in it, so it goes
            path.unlink()
            return True
        part = path.with_name(path.name + ".part")
        _write_synced(part, data)
        os.replace(part, staged)  # staged whole, or not at all
    if path.exists():  # the old bytes are overwritten where they lie, not only unlinked
        _write_synced(path, b"\0" * path.stat().st_size, mode="r+b")
    os.replace(staged, path)
    return True


def _encoded(data: bytes, boxes: list[Box], quality: int) -> bytes | None:
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    ok, buf = cv2.imencode(".jpg", smear(image, boxes), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buf.tobytes() if ok else None


def _write_synced(path: Path, data: bytes, mode: str = "wb") -> None:
    with open(path, mode) as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
