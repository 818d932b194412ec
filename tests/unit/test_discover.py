"""Finding media in folders: extensions and signatures, globs, order, symlink loops."""

from __future__ import annotations

import shutil
from pathlib import Path

from mmem.sources.discover import discover, looks_like_media

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "videos"
    (root / "day2").mkdir(parents=True)
    (root / "day1" / "tmp").mkdir(parents=True)
    shutil.copy(SAMPLES / "bikes.mp4", root / "day2" / "b.mp4")
    shutil.copy(SAMPLES / "bbaf2n.mpg", root / "day1" / "a.mpg")
    shutil.copy(SAMPLES / "jfk.flac", root / "day1" / "tmp" / "talk.flac")
    shutil.copy(SAMPLES / "three_shots.mp4", root / "day1" / "camera_dump")  # no extension
    (root / "day1" / "notes.txt").write_text("not media")
    (root / "day1" / "README").write_text("no extension, not media either")
    (root / "day2" / "loop").symlink_to(root)  # a symlink back up the tree
    return root


def test_finds_media_by_extension_and_signature_in_a_stable_order(tmp_path):
    root = tree(tmp_path)
    rel = [p.relative_to(root).as_posix() for p in discover(root)]
    assert rel == ["day1/a.mpg", "day1/camera_dump", "day1/tmp/talk.flac", "day2/b.mp4"]


def test_include_and_exclude_globs(tmp_path):
    root = tree(tmp_path)
    assert [p.name for p in discover(root, include=["*.mp4", "*.mpg"])] == ["a.mpg", "b.mp4"]
    assert [p.name for p in discover(root, exclude=["day1/tmp/*", "camera_*"])] == ["a.mpg", "b.mp4"]


def test_signatures_of_real_files():
    assert all(looks_like_media(SAMPLES / n) for n in ("bikes.mp4", "bbaf2n.mpg", "jfk.flac"))
    assert not looks_like_media(Path(__file__))
