"""A folder of real clips (video with and without speech, audio only, a face) plus a corrupt and
a zero-byte file, and helpers to run `mmem batch` as a user does and compare memories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

TINY = ["--clip-model", "mmem-tiny", "--clip-pretrained", "random", "--device", "cpu"]
MMEM = [sys.executable, "-c", "from mmem.cli import main; main()"]
# video without speech, audio alone, speech with a face (twice): every kind of file a batch meets,
# 27 s in all (the 18 s three_shots.mp4 was here too: every backend's run paid for it, and no
# assertion needs its length; its shots are tested in tests/integration)
GOOD = ["bikes.mp4", "talk/jfk.flac", "talk/grid/lbax4n.mpg", "talk/grid/bbaf2n.mpg"]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.update(MMEM_OFFLINE="1", PYTHONPATH=str(ROOT), COLUMNS="200")
    return e


def mmem(*args, check_json: bool = False, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run([*MMEM, *map(str, args)], capture_output=True, text=True, env=env(),
                          timeout=timeout, cwd=ROOT)
    if check_json:
        proc.report = json.loads(proc.stdout)  # type: ignore[attr-defined]
    return proc


@pytest.fixture(scope="session")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("videos")
    (root / "talk" / "grid").mkdir(parents=True)
    shutil.copy(SAMPLES / "bikes.mp4", root / "bikes.mp4")
    shutil.copy(SAMPLES / "jfk.flac", root / "talk" / "jfk.flac")
    shutil.copy(ROOT / "tests" / "data" / "lbax4n.mpg", root / "talk" / "grid" / "lbax4n.mpg")
    shutil.copy(SAMPLES / "bbaf2n.mpg", root / "talk" / "grid" / "bbaf2n.mpg")
    (root / "broken.mp4").write_bytes((SAMPLES / "three_shots.mp4").read_bytes()[:4000])  # corrupt
    (root / "empty.mkv").write_bytes(b"")  # zero bytes
    (root / "notes.txt").write_text("not media")
    return root


def snapshot(db: Path | str) -> dict[str, list]:
    """What a user can see in a memory, without timestamps of when it was written."""
    from mmem.store.memory import Memory

    m = Memory.open(db)
    return {
        "sources": sorted((s.id, s.status, s.run, s.n_events) for s in m.sources()),
        "events": sorted((e.id, round(e.start, 3), round(e.end, 3), e.transcript or "")
                         for e in m.events()),
        "transcripts": sorted((t.id, t.event_id, t.text) for t in m.transcripts()),
        "appearances": sorted((a.id, a.entity_id, a.kind) for a in m.appearances()),
        "entities": sorted((e.id, e.kind, e.person) for e in m.entity_rows()),
    }


@pytest.fixture(scope="session")
def baseline(folder, tmp_path_factory) -> dict[str, list]:
    """One uninterrupted batch in this process (one worker): the memory every other run must equal."""
    db = tmp_path_factory.mktemp("baseline") / "db"
    proc = mmem("batch", folder, "--db", db, *TINY, "--json", check_json=True)
    assert proc.returncode == 1, proc.stderr  # two bad files
    snap = snapshot(db)
    assert len(snap["sources"]) == len(GOOD)
    return snap


def restricted(snap: dict[str, list], source_ids: set[str]) -> dict[str, list]:
    """The part of a snapshot about these sources (ids are content hashes, so they match across
    memories); entities are left out: their numbers depend on what else the memory holds."""
    return {
        "sources": [s for s in snap["sources"] if s[0] in source_ids],
        "events": [e for e in snap["events"] if e[0].split("-", 1)[0] in source_ids],
        "transcripts": [t for t in snap["transcripts"] if t[1].split("-", 1)[0] in source_ids],
    }
