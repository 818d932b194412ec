"""Faults a memory must survive: kill -9 during ingest, two writers at once, a full disk, a
read-only mount, a damaged table file, damaged media; and forgetting that leaves no trace."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import textwrap
import threading

import pytest
from typer.testing import CliRunner

from mmem.cli import app
from tests.faults.conftest import mount, umount
from tests.faults.tools import (
    CLIPS,
    FAST,
    ROOT,
    TINY,
    damaged_copy,
    entity_vectors,
    env,
    files_holding,
    kill_randomly,
    mmem,
    overlaps,
    start,
    state,
)

runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, words: str) -> None:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], result.stderr


def test_kill_9_at_random_moments_then_rerun_equals_a_clean_run(tmp_path, reference):
    from tests.faults.conftest import WRITING

    db, rng = tmp_path / "db", random.Random(16)
    outcomes = []
    for _ in range(3):  # killed while it writes: within the time a clean run holds the lock
        outcomes.append(kill_randomly(db, [*CLIPS, *FAST], rng, within=0.9 * WRITING["clean"]))
        if (db / "mmem.json").exists():
            state(db)  # readable after every kill
            assert overlaps(db) == 0
    assert "killed" in outcomes
    done = run("ingest", *CLIPS, *FAST, "--db", db)  # the rerun need not be a process: the kills were
    assert done.exit_code == 0, done.output
    assert state(db) == state(reference)
    # and forgetting someone there leaves no byte of them, in any version or file
    vectors = entity_vectors(db, "E1")
    assert vectors and files_holding(db, vectors)
    assert run("entities", "forget", "E1", "--yes", "--db", db).exit_code == 0
    assert files_holding(db, vectors) == []


def _said(proc, words: str, seen: threading.Event) -> None:
    for line in proc.stderr:
        proc.lines.append(line)
        if words in line:
            seen.set()


def test_two_writers_at_once_one_waits_and_no_identity_is_mixed(tmp_path, reference):
    from mmem.store.memory import Memory

    db = tmp_path / "db"
    holder = Memory.open(db, create=True, command="mmem entities merge E1 E2")
    writers = [start("ingest", *CLIPS[:2], *FAST, "--wait", "--db", db),
               start("ingest", CLIPS[2], *FAST, "--wait", "--db", db)]
    waiting = [threading.Event() for _ in writers]
    for proc, seen in zip(writers, waiting):
        proc.lines = []
        threading.Thread(target=_said, args=(proc, "waiting", seen), daemon=True).start()
    refused = mmem("ingest", CLIPS[2], *FAST, "--db", db)
    assert refused.returncode == 2 and f"pid {os.getpid()}" in refused.stderr, refused.stderr
    assert "mmem entities merge E1 E2" in refused.stderr and "--wait" in refused.stderr
    assert all(seen.wait(timeout=300) for seen in waiting)  # both blocked on the lock
    holder.close()  # now both go for it at once
    assert [p.wait(timeout=600) for p in writers] == [0, 0], [p.lines[-3:] for p in writers]
    got, want = state(db), state(reference)
    assert got["sources"] == want["sources"] and got["events"] == want["events"]
    # whoever went first, each clip's face is one entity of its own: no identity mixed
    by_source = {}
    for src, _, ent, _ in got["appearances"]:
        by_source.setdefault(src, set()).add(ent)
    assert all(len(e) == 1 for e in by_source.values())
    assert len(set().union(*by_source.values())) == len(by_source) == 3
    assert len(got["entities"]) == len(want["entities"])


def test_a_full_disk_is_one_line_and_the_rerun_completes(tmp_path, reference):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mount("-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk))
    try:
        db = disk / "db"
        shutil.copytree(reference, db)  # a memory holding the three clips, then one more file
        (db / "writer.lock").unlink(missing_ok=True)
        free = shutil.disk_usage(disk).free
        (disk / "filler").write_bytes(b"\0" * max(0, free - 20_000))
        extra = damaged_copy(CLIPS[0], tmp_path / "other.mpg", size=16)  # new content, new source
        result = run("ingest", extra, *FAST, "--db", db)  # in this process: the error is the CLI's
        assert result.exit_code == 2, result.output
        lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
        assert lines and "disk is full" in lines[0] and "Traceback" not in result.stderr
        assert isinstance(result.exception, SystemExit)  # handled: no exception escaped the command
        before = state(db)
        assert [s for s in before["sources"] if s[0] != "other.mpg"] == state(reference)["sources"]
        (disk / "filler").unlink()
        done = run("ingest", extra, *FAST, "--db", db)
        assert done.exit_code == 0, done.output
        after = state(db)
        assert ("other.mpg", "complete", after["sources"][-1][2]) in after["sources"]
        assert [e for e in after["events"] if e[0] != "other.mpg"] == state(reference)["events"]
    finally:
        umount(disk)


def test_a_read_only_memory_with_a_leftover_journal_answers_and_refuses_writes(tmp_path, reference, copy_of):
    db = copy_of(reference)
    from mmem.store.memory import Memory

    rows = [r.to_dict() for r in Memory.open(db).entity_rows() if r.id == "E1"]
    rows[0]["name"] = "Alice"
    (db / "journal.json").write_text(json.dumps({"op": "name", "rows": rows}))
    want = state(db)
    ro = tmp_path / "ro"
    ro.mkdir()
    mount("--bind", str(db), str(ro))
    try:
        mount("-o", "remount,bind,ro", str(ro))
        if os.access(ro, os.W_OK) and os.geteuid() != 0:
            pytest.skip("the read-only remount did not take")
        for args in (["entities", "--json"], ["events", "--json"], ["ask", "what happened with E1", "--json"],
                     ["entities", "show", "E1", "--json"], ["transcript", "lbax4n.mpg"]):
            result = run(*args, "--db", ro)
            assert result.exit_code == 0, (args, result.output)
        one_line_error(run("entities", "name", "E2", "Bob", "--db", ro), "read-only")
        one_line_error(run("forget", "--source", "lbax4n.mpg", "--yes", "--db", ro), "read-only")
        assert state(ro) == want
    finally:
        umount(ro)
    assert run("entities", "--db", db).exit_code == 0  # the next writer finishes the journal
    assert run("entities", "name", "E2", "Bob", "--db", db).exit_code == 0
    assert not (db / "journal.json").exists()
    names = {r.id: r.name for r in Memory.open(db).entity_rows()}
    assert names["E1"] == "Alice" and names["E2"] == "Bob"


def test_a_truncated_table_file_is_named_and_doctor_repair_restores_the_last_good_version(reference, copy_of):
    db = copy_of(reference)
    data = db / "lance" / "events.lance" / "data"
    newest = max(data.iterdir(), key=lambda p: p.stat().st_mtime)
    os.truncate(newest, newest.stat().st_size // 2)
    one_line_error(run("events", "--db", db), "doctor --repair")
    fixed = run("doctor", "--repair", "--json", "--db", db)
    assert fixed.exit_code == 0, fixed.output
    assert "restored version" in json.loads(fixed.stdout)["repaired"]["events"]
    assert state(db) == state(reference)  # the compaction was lost, no event


def test_damaged_audio_is_counted_and_what_decoded_is_kept(tmp_path):
    bad = damaged_copy(CLIPS[0], tmp_path / "damaged.mpg")
    result = run("ingest", bad, *TINY, "--no-entities", "--json", "--db", tmp_path / "db")
    assert result.exit_code == 0, result.output
    [src] = json.loads(result.stdout)["sources"]
    assert src["damage"]["audio"]["errors"] >= 1 and src["damage"]["audio"]["seconds"] > 0
    assert any("decode error" in w for w in src["warnings"])
    assert src["events"] >= 1 and src["utterances"] >= 1  # the rest of the speech is kept
    from mmem.store.memory import Memory

    [row] = Memory.open(tmp_path / "db").sources()
    assert json.loads(row.damage)["audio"]["errors"] >= 1


def test_forgetting_a_source_leaves_no_byte_of_its_faces_or_keyframes(reference, copy_of):
    db = copy_of(reference)
    from mmem.store.memory import Memory

    m = Memory.open(db)
    sid = next(s.id for s in m.sources() if s.uri.endswith("lbax4n.mpg"))
    ent = next(a.entity_id for a in m.appearances() if a.source_id == sid)
    vectors = entity_vectors(db, ent)
    images = [p.read_bytes() for p in (db / "keyframes" / sid).iterdir()]
    images += [p.read_bytes() for p in (db / "entities" / ent).iterdir()]
    assert vectors and images and files_holding(db, vectors, images)
    done = run("forget", "--source", "lbax4n.mpg", "--yes", "--json", "--db", db)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["entities"] == [ent]
    assert files_holding(db, vectors, images) == []
    left = state(db)
    want = state(reference)
    assert [e for e in want["events"] if e[0] != "lbax4n.mpg"] == left["events"]


# -- the lock, process against process ---------------------------------------------------------
def _other(db, *, wait: bool = False):
    import subprocess

    code = textwrap.dedent(f"""
        from mmem.store.memory import Memory
        from mmem.errors import MmemError
        try:
            Memory.open({str(db)!r}, write=True, wait={wait}, command="mmem other",
                        on_wait=lambda who: print("waiting for", who, flush=True))
        except MmemError as exc:
            print(exc); raise SystemExit(2)
        print("got it")
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env(),
                          timeout=300, cwd=ROOT)


def test_the_lock_names_its_holder_readers_pass_and_wait_waits(tmp_path):
    from mmem.store.memory import Memory

    db = tmp_path / "db"
    first = Memory.open(db, create=True, command="mmem ingest a.mp4")
    refused = _other(db)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"pid {os.getpid()}" in refused.stdout and "mmem ingest a.mp4" in refused.stdout
    assert Memory.open(db).sources() == []  # a reader opens while the writer holds the lock
    threading.Timer(2.0, first.close).start()
    waited = _other(db, wait=True)
    assert waited.returncode == 0 and "waiting for" in waited.stdout and "got it" in waited.stdout


def test_a_writer_killed_holding_the_lock_does_not_block_the_next(tmp_path):
    import subprocess

    from mmem.store.memory import Memory

    db = tmp_path / "db"
    Memory.open(db, create=True).close()
    code = (f"import os; from mmem.store.memory import Memory; Memory.open({str(db)!r}, write=True); "
            "os.kill(os.getpid(), 9)")
    assert subprocess.run([sys.executable, "-c", code], env=env(), timeout=300).returncode == -9
    Memory.open(db, write=True).close()
