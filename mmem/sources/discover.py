"""Find the media in folders: by extension or by the file's first bytes, with include/exclude
globs, a stable order, and no endless walk through symlink loops."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from pathlib import Path

from mmem.sources.file import AUDIO_SUFFIXES, MEDIA_SUFFIXES

SUFFIXES = MEDIA_SUFFIXES | AUDIO_SUFFIXES


def looks_like_media(path: Path) -> bool:
    """Does the file start like a media container (see `sniff`)?"""
    try:
        with path.open("rb") as f:
            head = f.read(192)
    except OSError:
        return False
    return sniff(head)


def sniff(head: bytes) -> bool:
    """Container signatures FFmpeg reads, in a file's first 192 bytes: MP4/MOV/M4A,
    Matroska/WebM, AVI/WAV, MPEG-PS, MPEG-TS, Ogg, FLAC, MP3, FLV, ASF."""
    if len(head) < 12:
        return False
    return (
        head[4:8] == b"ftyp"
        or head[:4] in (b"\x1aE\xdf\xa3", b"RIFF", b"OggS", b"fLaC", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")
        or head[:3] in (b"ID3", b"FLV")
        or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")
        or head[:4] == b"\x30\x26\xb2\x75"
        or (len(head) > 188 and head[0] == 0x47 and head[188] == 0x47)
    )


def _wanted(rel: str, include: Iterable[str], exclude: Iterable[str]) -> bool:
    name = rel.rsplit("/", 1)[-1]
    inc = list(include)
    if inc and not any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(name, g) for g in inc):
        return False
    return not any(fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(name, g) for g in exclude)


def discover(root: Path, include: Iterable[str] = (), exclude: Iterable[str] = (),
             sniff: bool = True) -> list[Path]:
    """Media files under `root` (following symlinks, each real folder once), sorted by path.

    Globs match the path relative to `root` or the file name (`*.mp4`, `tmp/*`)."""
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[str] = set()
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        st = os.stat(folder)
        if (st.st_dev, st.st_ino) in seen_dirs:  # a symlink loop, or a folder linked twice
            dirs[:] = []
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        dirs.sort()
        for name in files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if not _wanted(rel, include, exclude):
                continue
            by_name = path.suffix.lower() in SUFFIXES
            if not by_name and not (sniff and not path.suffix and looks_like_media(path)):
                continue
            real = os.path.realpath(path)
            if real in seen_files or not os.path.isfile(real):
                continue
            seen_files.add(real)
            found.append((rel, path))
    return [p for _, p in sorted(found)]
