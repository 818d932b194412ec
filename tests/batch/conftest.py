"""A folder of real clips (video with and without speech, audio only, a face) plus a corrupt and
a zero-byte file, and helpers to run `mmem batch` as a user does and compare memories."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SAMPLES, models_once

# the offline default, as a user without CLIP weights runs it: the vision channel is skipped with a
# warning and neither open_clip nor torch is imported, so a worker process starts in a few seconds
# instead of ~15 on 2 busy cores (pixel, audio, faces and voices all run). The batch runs here
# check what the workers and the writer do, not CLIP's vectors (the vision channel in a worker
# process: test_batch's test_a_pool_worker_runs_clip...; CLIP in one process: tests/cli)
PLAIN = ["--device", "cpu"]
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


def batch_here(*args: object) -> Any:
    """`mmem batch` in this process, as CliRunner sees it (exit code, stdout, stderr), with the
    models loaded once (models_once). For runs whose process is not what is tested: exit codes
    and JSON are the CLI's own; kills and worker processes need `mmem` as a process. The memory
    it opened is closed after, as the end of its process would (an object store's lease too)."""
    import importlib

    from typer.testing import CliRunner

    from mmem.cli import app

    cli = importlib.import_module("mmem.cli.batch")
    opened: list[Any] = []
    real_open = cli.open_writer

    def open_writer(*a: Any, **kw: Any) -> Any:
        opened.append(real_open(*a, **kw))
        return opened[-1]

    with models_once(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "open_writer", open_writer)
        mp.setenv("MMEM_OFFLINE", "1")
        mp.setenv("COLUMNS", "200")
        try:
            result = CliRunner().invoke(app, ["batch", *map(str, args)])
        finally:
            for memory in opened:
                memory.close()
    if "--json" in args and result.stdout.strip():
        result.report = json.loads(result.stdout)
    return result


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
    """One uninterrupted batch in this process (one worker): the memory every other run must equal.
    Run by CliRunner (its models then serve the other in-process runs); the exit codes of `mmem
    batch` as a process are test_batch's."""
    db = tmp_path_factory.mktemp("baseline") / "db"
    with pytest.MonkeyPatch.context() as mp:  # session fixtures start before the autouse _offline
        mp.setenv("MMEM_HOME", str(tmp_path_factory.getbasetemp() / "mmem-home"))
        result = batch_here(folder, "--db", db, *PLAIN, "--json")
    assert result.exit_code == 1, result.output  # two bad files
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
