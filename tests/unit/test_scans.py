"""A memory opened `scans_only` (lancedb's compiled core alone, `mmem.store.scans`) reads exactly
what a memory opened through the lancedb package reads: the same rows, columns, values and order,
for the listings that use it (real LanceDB in tmp dirs, no models)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmem.store.memory import Memory
from mmem.store.rows import SourceRow, SpanRow
from mmem.types import EventRecord
from mmem.views.timeline import events_view

ROOT = Path(__file__).resolve().parents[2]
DIM = 4


def record(source: str, run: str, seq: int) -> EventRecord:
    v = np.asarray([1.0, seq, 0.5, 0.25], np.float32)
    return EventRecord(
        id=f"{source}-{run}-{seq:05d}", source_id=source, seq=seq, start=seq * 7.5, end=seq * 7.5 + 7.5,
        started_at="2026-01-01T00:00:00+00:00" if seq == 1 else None, vector=v / np.linalg.norm(v),
        centroids=None, centroid_weights=np.array([1], np.float32),
        centroid_times=np.array([seq], np.float32), surprise=None if seq == 2 else 0.25 * seq,
        keyframes=[] if seq == 0 else [f"keyframes/{source}/{seq}.jpg"],
        n_frames=seq,
    )


def source(sid: str, run: str, uri: str) -> SourceRow:
    return SourceRow(id=sid, uri=uri, kind="file", duration=30.0, fps=25.0, sample_fps=1.0, width=64,
                     height=36, content_hash=sid * 2, status="complete", run=run,
                     ingested_at="2026-01-01T00:00:00+00:00",
                     model_ids=["m"], channels=["pixel"], skipped=[], n_events=3)


@pytest.fixture
def db(tmp_path) -> Path:
    """Two sources (one with a quote in its path), an old run beside the visible one, spans."""
    root = tmp_path / "db"
    m = Memory.open(root, create=True)
    m.bind_vector_model({"clip_model": "x", "clip_pretrained": "y", "model_id": "x/y"}, DIM)
    m.put_source(source("bbbb", "r2", "/videos/b.mp4"))
    m.put_source(source("aaaa", "r1", "/videos/it's.mp4"))
    m.add_events([record("aaaa", "old", 0)], "old")
    m.add_events([record("aaaa", "r1", i) for i in (2, 0, 1)], "r1")
    m.add_events([record("bbbb", "r2", i) for i in range(2)], "r2")
    m.add_spans([SpanRow("aaaa-r1-s00000", "aaaa", 0, 0.0, 4.0, "shot", "aaaa-r1-00000", "start"),
                 SpanRow("aaaa-r1-p00000", "aaaa", 0, 0.0, 22.5, "episode"),
                 SpanRow("aaaa-r1-00000", "aaaa", 0, 0.0, 7.5, "event", "aaaa-r1-p00000")], "r1")
    m.close()
    return root


def test_a_scanning_reader_reads_what_the_lancedb_reader_reads(db):
    plain, scans = Memory.open(db), Memory.open(db, scans_only=True)
    assert type(scans._db).__module__ == "mmem.store.scans"  # the core path did run
    assert scans.sources() == plain.sources() and len(plain.sources()) == 2
    assert scans.events() == plain.events() and len(plain.events()) == 5
    assert scans.events(["aaaa"]) == plain.events(["aaaa"])
    for level in ("shot", "event", "episode"):
        assert scans.spans(level) == plain.spans(level) != []
        assert events_view(scans, None, level).to_json() == events_view(plain, None, level).to_json()
    assert [s.id for s in scans.find_sources("it's.mp4")] == ["aaaa"]
    assert scans.events(["cccc"]) == []


@pytest.mark.parametrize("where", [None, "seq >= 1", "source_id = 'aaaa' AND run = 'r1'", "run = 'none'"])
@pytest.mark.parametrize("columns", [None, ["id", "keyframes", "surprise"], ["start", "id"]])
@pytest.mark.parametrize("limit", [None, 2, 0])
def test_a_scan_is_lancedbs_plain_search(db, where, columns, limit):
    plain, scans = Memory.open(db)._table("events"), Memory.open(db, scans_only=True)._table("events")
    queries = []
    for table in (plain, scans):
        q = table.search()
        if where is not None:
            q = q.where(where)
        if columns is not None:
            q = q.select(columns)
        queries.append(q.limit(limit))
    expect, got = (q.to_arrow() for q in queries)
    assert got.schema == expect.schema  # the same columns, in the same order, of the same types
    if limit:  # a limit takes whichever rows come first: only the count is lancedb's promise
        assert got.num_rows == expect.num_rows
    else:
        assert sorted(map(repr, got.to_pylist())) == sorted(map(repr, expect.to_pylist()))


def test_a_missing_table_reads_as_none_and_vector_search_is_not_offered(db, tmp_path):
    scans = Memory.open(db, scans_only=True)
    assert scans._table("transcripts") is None
    with pytest.raises(TypeError):  # a scanning memory does plain scans only
        scans._table("events").search([0.0] * DIM)
    with pytest.raises(ValueError, match="internal"):
        Memory.open(db, write=True, scans_only=True)


def test_the_core_alone_then_the_package_share_one_extension(db):
    """A fresh process: a scan loads `lancedb._lancedb` without the package; importing lancedb
    afterwards reuses that module, and lancedb works as usual."""
    code = ("import sys; from mmem.store.memory import Memory\n"
            f"m = Memory.open({str(db)!r}, scans_only=True); n = len(m.events())\n"
            "alone = 'lancedb' not in sys.modules and 'lancedb._lancedb' in sys.modules\n"
            "core = sys.modules['lancedb._lancedb']\n"
            "from mmem.store._lancedb import import_lancedb; lancedb = import_lancedb()\n"
            f"t = lancedb.connect({str(db / 'lance')!r}).open_table('events')\n"
            "print(n, alone, lancedb._lancedb is core, t.count_rows(), 'numpy' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MMEM_PLAIN_LANCEDB", None)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.split()[:4] == ["5", "True", "True", "6"]


@pytest.mark.parametrize("broken", ["connect", "query"])
def test_a_core_that_takes_other_arguments_reads_through_the_package(db, monkeypatch, broken):
    """Another lancedb version's private core calls may differ: the listing still reads the same
    rows, through lancedb's own API."""
    import mmem.store.scans as scans_mod

    plain = Memory.open(db)
    if broken == "connect":
        class OtherCore:
            def connect(self, *args):
                raise TypeError("connect() takes 4 positional arguments")

        monkeypatch.setattr(scans_mod, "native_core", OtherCore)
    else:
        def no_query(self):
            raise AttributeError("'Table' object has no attribute 'query'")

        monkeypatch.setattr(scans_mod.Scan, "_core", no_query)
    scans = Memory.open(db, scans_only=True)
    assert scans.sources() == plain.sources() and scans.events() == plain.events() != []
    assert scans.spans("episode") == plain.spans("episode") != []
