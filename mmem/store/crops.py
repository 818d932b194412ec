"""Face crops kept as JPEG files under the memory directory."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def save_crop(root: Path, entity_id: str, appearance_id: str, image: np.ndarray) -> str | None:
    """A face crop as JPEG under entities/<id>/ (forget deletes it); its path relative to root."""
    import cv2

    rel = Path("entities") / entity_id / f"{appearance_id}.jpg"
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        return None
    (root / rel).write_bytes(buf.tobytes())
    return rel.as_posix()
