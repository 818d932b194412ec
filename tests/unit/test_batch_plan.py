"""Batch planning and ordering without models: what is found, in which order, what is a
duplicate, and how results come back in file order."""

from __future__ import annotations

import os

import pytest

from mmem.batch.plan import plan
from mmem.batch.worker import FileResult
from mmem.batch.writer import in_order
from mmem.errors import InputError
from tests.conftest import SAMPLES


def test_plan_orders_files_finds_duplicates_and_keeps_bad_files_for_reporting(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "a.mp4").write_bytes((SAMPLES / "bikes.mp4").read_bytes())
    (tmp_path / "b" / "same.mp4").write_bytes((SAMPLES / "bikes.mp4").read_bytes())  # same bytes
    (tmp_path / "b" / "noext").write_bytes((SAMPLES / "bbaf2n.mpg").read_bytes())  # found by content
    (tmp_path / "b" / "zero.mp4").write_bytes(b"")
    (tmp_path / "b" / "zero2.mp4").write_bytes(b"")  # empty files are not "duplicates": they fail
    (tmp_path / "readme.txt").write_text("hello")
    os.symlink(tmp_path, tmp_path / "b" / "loop")  # a symlink loop must not hang the walk
    items = plan([str(tmp_path)])
    assert [it.rel for it in items] == ["a.mp4", "b/noext", "b/same.mp4", "b/zero.mp4", "b/zero2.mp4"]
    assert [it.index for it in items] == list(range(5))
    dup = {it.rel: it.duplicate_of for it in items}
    assert dup["b/same.mp4"] == str((tmp_path / "a.mp4").resolve())
    assert dup["a.mp4"] is None and dup["b/zero2.mp4"] is None
    assert plan([str(tmp_path)], include=["b/*"], exclude=["*zero*"])[0].rel == "b/noext"


def test_plan_says_what_is_wrong(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        plan([str(tmp_path / "missing")])
    with pytest.raises(InputError, match="no media files found"):
        plan([str(tmp_path)])
    (tmp_path / "x.mp4").write_bytes(b"")
    with pytest.raises(InputError, match="after --include/--exclude"):
        plan([str(tmp_path)], exclude=["*.mp4"])


def test_results_are_committed_in_file_order_whatever_order_they_finish():
    finished = [FileResult(i, f"f{i}", "ingested") for i in (2, 0, 3, 1, 4)]
    seen = []

    def tracked():
        for r in finished:
            seen.append(("done", r.index))
            yield r

    order = []
    for r in in_order(tracked()):
        order.append(r.index)
        seen.append(("commit", r.index))
    assert order == [0, 1, 2, 3, 4]
    # 0 is committed as soon as it is done, before 3 finishes
    assert seen.index(("commit", 0)) < seen.index(("done", 3))


def test_a_file_that_vanishes_or_is_corrupt_is_a_failed_result_not_an_exception(tmp_path):
    from mmem.batch.plan import Item
    from mmem.batch.worker import Worker
    from mmem.perceive.vision import Vision
    from mmem.store.memory import Memory

    memory = Memory.open(tmp_path / "db", create=True)
    memory.ensure_dim(64)  # as the batch writer does before workers start
    memory.prepare(None)
    vision = Vision(None, None, 64, skipped="test")
    worker = Worker(str(tmp_path / "db"), _pixel_only(), models=(vision, None, None))
    gone = worker.process(Item(0, str(tmp_path / "gone.mp4"), "gone.mp4", 100))
    assert gone.status == "failed" and "disappeared" in gone.error
    (tmp_path / "bad.mp4").write_bytes(b"\x00" * 5000)
    bad = worker.process(Item(1, str(tmp_path / "bad.mp4"), "bad.mp4", 5000))
    assert bad.status == "failed" and "bad.mp4" in bad.error
    ok = worker.process(Item(2, str(SAMPLES / "bikes.mp4"), "bikes.mp4", 1))
    assert ok.status == "ingested" and ok.events >= 1 and ok.source.status == "complete", ok.error
    assert Memory.open(tmp_path / "db").events() == []  # written, but invisible until committed


def _pixel_only():
    import dataclasses

    from mmem.config import AudioConfig, EntityConfig, IngestConfig

    return dataclasses.replace(IngestConfig(), audio=AudioConfig(enabled=False),
                               entities=EntityConfig(enabled=False))
