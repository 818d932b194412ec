"""`mmem serve`'s parts without a model: the discovery file `mmem ask` reads (fresh, stale,
removed only by its owner) and which files the server may send."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from mmem.serve import discovery
from mmem.serve.files import allowed_file


def test_discovery_file_is_found_while_its_process_lives(tmp_path):
    served = discovery.Served("http://127.0.0.1:9999", os.getpid(), socket.gethostname(), "t0k")
    path = discovery.write(tmp_path, served)
    assert path is not None and oct(path.stat().st_mode & 0o777) == "0o600"  # it may hold the token
    assert discovery.read(tmp_path) == served
    discovery.remove(tmp_path, os.getpid() + 1)  # not the writer: left alone
    assert discovery.read(tmp_path) == served
    discovery.remove(tmp_path, os.getpid())
    assert discovery.read(tmp_path) is None and not path.exists()


def test_stale_or_foreign_or_broken_discovery_files_are_ignored(tmp_path):
    def write(**kw):
        data = {"url": "http://127.0.0.1:1", "pid": os.getpid(), "hostname": socket.gethostname(),
                "token": None, **kw}
        discovery.path_for(tmp_path).write_text(json.dumps(data))

    write(pid=2**22 + 4321)  # above Linux's pid_max: no such process
    assert discovery.read(tmp_path) is None
    write(hostname="another-machine")  # the memory dir on a shared disk
    assert discovery.read(tmp_path) is None
    discovery.path_for(tmp_path).write_text("{not json")
    assert discovery.read(tmp_path) is None
    assert discovery.read(tmp_path / "missing") is None


@dataclass
class Src:
    uri: str
    kind: str = "file"


class FakeMemory:
    def __init__(self, root: Path, sources: list[Src]) -> None:
        self.root, self._sources = root, sources

    def sources(self) -> list[Src]:
        return self._sources


def test_only_sources_keyframes_and_crops_are_files_to_send(tmp_path):
    root = tmp_path / "db"
    (root / "keyframes" / "s1").mkdir(parents=True)
    (root / "entities" / "E1").mkdir(parents=True)
    (root / "lance").mkdir()
    key = root / "keyframes" / "s1" / "e0_1.00.jpg"
    crop = root / "entities" / "E1" / "a.jpg"
    table = root / "lance" / "events.lance"
    video = tmp_path / "talk.mp4"
    other = tmp_path / "other.mp4"
    for f in (key, crop, table, video, other, root / "mmem.json"):
        f.write_bytes(b"x")
    (root / "keyframes" / "s1" / "link.jpg").symlink_to(other)
    (tmp_path / "video-link.mp4").symlink_to(video)
    memory = FakeMemory(root, [Src(str(video)), Src("rtsp://cam/1", kind="live")])

    assert allowed_file(memory, str(key)) == key.resolve()
    assert allowed_file(memory, str(crop)) == crop.resolve()
    assert allowed_file(memory, str(video)) == video.resolve()
    assert allowed_file(memory, str(tmp_path / "video-link.mp4")) == video.resolve()  # same file
    refused = [other, table, root / "mmem.json", root / "keyframes" / "s1", root / "keyframes/s1/link.jpg",
               root / "keyframes" / ".." / ".." / "other.mp4", "rtsp://cam/1", "", "keyframes/s1/e0_1.00.jpg",
               str(key) + "\x00.jpg", root / "keyframes" / "missing.jpg"]
    for path in refused:
        assert allowed_file(memory, str(path)) is None, path
