"""Which files the server may send: a local source of this memory, or a keyframe or face crop
inside its directory. Anything else (a path outside, `..` however encoded, a symlink that leads
out, a folder) is refused, so the server cannot be used to read other files."""

from __future__ import annotations

from pathlib import Path

from mmem.store.memory import Memory

# the memory's own media, relative to its root: keyframes/<source>/..., entities/<id>/<crop>.jpg
SERVED_DIRS = ("keyframes", "entities")


def allowed_file(memory: Memory, requested: str) -> Path | None:
    """The real file to send for `requested` (an absolute path as the views give it), or None."""
    if not requested or "\x00" in requested or not isinstance(memory.root, Path):
        return None
    try:
        real = Path(requested).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_file():
        return None
    root = memory.root.resolve()
    for d in SERVED_DIRS:
        if real.is_relative_to(root / d):
            return real
    for s in memory.sources():
        if s.kind != "live" and _same(s.uri, real):
            return real
    return None


def _same(uri: str, real: Path) -> bool:
    try:
        return Path(uri).resolve() == real
    except (OSError, RuntimeError):
        return False
