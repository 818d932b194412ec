"""`mmem batch` as a user runs it: a folder with good and bad files, two workers, a rerun, a
kill in the middle, and Ray; every run must leave the same memory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest

from tests.batch.conftest import GOOD, MMEM, PLAIN, batch_here, env, mmem, restricted, snapshot
from tests.conftest import ROOT, models_once

pytestmark = pytest.mark.integration
PLAN_ONLY = ["--no-audio", "--no-entities"]  # for runs whose checks do not depend on speech or people


def by_name(report: dict) -> dict[str, dict]:
    return {f["uri"].rsplit("/", 1)[-1]: f for f in report["files"]}


def test_two_workers_report_every_file_and_give_the_baseline_memory(folder, baseline, tmp_path):
    db = tmp_path / "db"
    proc = mmem("batch", folder, "--workers", "2", "--db", db, *PLAIN, "--json", check_json=True)
    assert proc.returncode == 1, proc.stderr  # some files failed
    report = proc.report
    files = by_name(report)
    assert report["backend"] == "pool" and report["workers"] == 2
    assert set(files) == {p.rsplit("/", 1)[-1] for p in GOOD} | {"broken.mp4", "empty.mkv"}
    assert "notes.txt" not in files
    for name in GOOD:
        f = files[name.rsplit("/", 1)[-1]]
        assert f["status"] == "ingested" and f["events"] >= 1 and f["duration"] > 0, f
    assert files["broken.mp4"]["status"] == "failed" and "corrupt" in files["broken.mp4"]["error"]
    assert files["empty.mkv"]["status"] == "failed" and "0 bytes" in files["empty.mkv"]["error"]
    assert files["jfk.flac"]["utterances"] >= 1  # speech was heard
    assert report["summary"]["ingested"] == len(GOOD) and report["summary"]["failed"] == 2
    assert snapshot(db) == baseline  # same ids, transcripts, entities as one worker
    # a rerun skips every done file: test_object_store's bucket test reruns its bucket batch;
    # test_a_batch_killed_midway_resumes... shows done files skipped beside new ones


def test_a_batch_killed_midway_resumes_to_the_same_memory(folder, baseline, tmp_path):
    db = tmp_path / "db"
    proc = subprocess.Popen([*MMEM, "batch", str(folder), "--db", str(db), *PLAIN], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, env=env(), cwd=ROOT)
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("ingested") and "jfk.flac" not in line:
            break  # one file committed; the next one is being written now
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = snapshot(db)
    assert 1 <= len(partial["sources"]) < len(GOOD)

    rerun = batch_here(folder, "--db", db, *PLAIN, "--json")  # the resume need not be a process
    assert rerun.exit_code == 1, rerun.output
    statuses = [f["status"] for f in rerun.report["files"]]
    assert "skipped" in statuses and "ingested" in statuses
    assert snapshot(db) == baseline


def test_an_interrupted_commit_is_finished_by_the_next_command(folder, baseline, tmp_path, monkeypatch):
    """Killed inside a file's commit (journal written, source row not yet): the next open
    finishes the commit; nothing is lost or doubled. Both runs are in this process (the death is
    an exception raised mid-commit, not a signal), so the models load once."""
    from mmem.batch.plan import plan
    from mmem.batch.run import run_batch
    from mmem.config import BatchConfig
    from mmem.store import journal
    from mmem.store.rows import EntityRow
    from tests.batch.test_batch import _cfg

    db = tmp_path / "db"
    real_apply = journal.apply
    calls = {"n": 0}

    def dying_apply(memory, op):
        if op["op"] == "ingest":
            calls["n"] += 1
            if calls["n"] == 2:
                memory.put_entities([EntityRow.from_dict(r) for r in op["rows"]])  # halfway through...
                raise KeyboardInterrupt  # ...the power goes
        real_apply(memory, op)

    monkeypatch.setattr(journal, "apply", dying_apply)
    with models_once() as loaded:
        report = run_batch(plan([str(folder)]), str(db), _cfg(), BatchConfig())
        models = set(loaded)
    assert report.interrupted
    monkeypatch.setattr(journal, "apply", real_apply)
    rerun = batch_here(folder, "--db", db, *PLAIN)
    assert rerun.exit_code == 1, rerun.output  # the two bad files
    assert set(loaded) == models  # the same models
    assert snapshot(db) == baseline


def test_a_pool_worker_runs_clip(tmp_path):
    """The vision channel in a worker process (the other batch runs skip it, as offline's default
    does): a pool's worker embeds the frames with tiny CLIP, and what it wrote is found by vector
    once committed. One short clip and nothing else: one worker process with CLIP to start."""
    import dataclasses

    import numpy as np

    from mmem.batch.plan import plan
    from mmem.batch.run import run_batch
    from mmem.config import AudioConfig, BatchConfig, EntityConfig
    from mmem.store.memory import Memory

    cfg = _cfg()
    cfg = dataclasses.replace(cfg, vision=dataclasses.replace(cfg.vision, clip_model="mmem-tiny",
                                                              clip_pretrained="random"),
                              audio=AudioConfig(enabled=False), entities=EntityConfig(enabled=False))
    clip = ROOT / "tests" / "data" / "lbax4n.mpg"
    report = run_batch(plan([str(clip)]), str(tmp_path / "db"), cfg, BatchConfig(workers=2))
    assert report.backend == "pool"
    [res] = report.results
    assert res.status == "ingested" and "vision" in res.channels, (res.error, res.channels, res.skipped)
    memory = Memory.open(tmp_path / "db")
    events = memory.events()
    found = memory.search(np.ones(64, np.float32), limit=len(events))
    assert events and {e.id for e, _ in found} == {e.id for e in events}  # every event has its vector


def _cfg():
    """The configuration PLAIN's flags give (the offline default on the CPU: no CLIP)."""
    import dataclasses

    from mmem.config import IngestConfig

    cfg = IngestConfig()
    return dataclasses.replace(cfg, vision=dataclasses.replace(cfg.vision, device="cpu"))


def test_ray_runs_the_same_job_and_gives_the_same_memory(folder, baseline, tmp_path):
    pytest.importorskip("ray")
    db = tmp_path / "db"
    t0 = time.monotonic()
    proc = mmem("batch", folder, "--ray", "local", "--workers", "2", "--db", db, *PLAIN, "--json",
                check_json=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.report["backend"].startswith("ray") and proc.report["workers"] == 2
    assert proc.report["summary"]["ingested"] == len(GOOD)
    assert snapshot(db) == baseline
    assert time.monotonic() - t0 < 300


def test_nothing_to_do_is_exit_2_with_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("x")
    for target in ("empty", "docs", "missing"):
        proc = mmem("batch", tmp_path / target, "--db", tmp_path / "db", *PLAIN)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error:") and len(proc.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "db").exists()  # nothing written


def test_only_bad_files_is_exit_2(folder, tmp_path):
    # in this process: the other tests here show `mmem batch`'s exit codes from a real process
    from typer.testing import CliRunner

    from mmem.cli import app

    result = CliRunner().invoke(app, ["batch", str(folder / "broken.mp4"), str(folder / "empty.mkv"), "--db",
                                      str(tmp_path / "db"), *PLAIN, *PLAN_ONLY])
    assert result.exit_code == 2, result.output
    assert "2 file(s) failed" in result.stdout


def test_a_ray_address_that_does_not_answer_is_one_clear_line(folder, tmp_path):
    pytest.importorskip("ray")
    t0 = time.monotonic()
    proc = mmem("batch", folder, "--ray", "ray://127.0.0.1:9", "--db", tmp_path / "db", *PLAIN)
    assert proc.returncode == 2
    assert "does not answer" in proc.stderr
    assert time.monotonic() - t0 < 60
    assert not (tmp_path / "db").exists()  # nothing was created


def test_ray_auto_joins_a_running_cluster(folder, baseline, tmp_path):
    """`ray start --head` as on a cluster's head node; `--ray auto` joins it. The two GRID clips
    (speech and a face each) are enough: that Ray's workers give the whole folder's memory is
    test_ray_runs_the_same_job...; here what they remember of these two is the baseline's."""
    import socket
    import sys
    from pathlib import Path

    pytest.importorskip("ray")
    ray_cli = str(Path(sys.executable).parent / "ray")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # `--block`: the head stays this process's child, and ending it stops what it started, and
    # only that (`ray stop` kills every Ray on the machine, and polls seconds more for them)
    log = tmp_path / "head.log"
    with log.open("w") as out:
        head = subprocess.Popen([ray_cli, "start", "--head", "--block", "--port", str(port),
                                 "--num-cpus", "2", "--include-dashboard=false", "--disable-usage-stats"],
                                stdout=out, stderr=subprocess.STDOUT, env=env())
    try:
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in log.read_text():
            assert head.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        proc = mmem("batch", folder / "talk" / "grid", "--ray", "auto", "--db", tmp_path / "db", *PLAIN,
                    "--json", check_json=True)
    finally:
        head.terminate()
        head.wait(timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.report["backend"].startswith("ray: 2 CPUs"), proc.report["backend"]  # joined, not started
    assert proc.report["summary"]["ingested"] == 2
    snap = snapshot(tmp_path / "db")
    assert len(snap["sources"]) == 2 and snap["transcripts"] and snap["appearances"]
    ids = {s[0] for s in snap["sources"]}
    assert restricted(snap, ids) == restricted(baseline, ids)


def test_a_recipe_sets_the_batch_flags_override_it_and_a_channel_without_weights_is_a_warning(
        folder, tmp_path):
    """The recipe asks for two workers and the flags choose the files (one pool run serves both
    checks: each was a pool of two processes loading models). Offline, the default CLIP weights
    are missing: the batch says so once, and the files are still remembered from pixels and
    speech."""
    proc = mmem("batch", folder, "--recipe", ROOT / "pipelines" / "folder_batch.toml", "--include", "*.mpg",
                "--include", "*.flac", "--exclude", "talk/grid/bb*", "--no-entities", "--device", "cpu",
                "--db", tmp_path / "db")
    assert proc.returncode == 0, proc.stderr
    assert "(pool, 2 worker(s))" in proc.stdout, proc.stdout  # from the recipe
    done = re.findall(r"^ingested\s+(\S+):", proc.stderr, re.M)
    assert sorted(done) == ["jfk.flac", "lbax4n.mpg"], proc.stderr  # from the flags
    assert re.search(r"^2 files in", proc.stdout, re.M), proc.stdout  # and nothing else was planned
    assert proc.stderr.count("vision channel skipped") == 1
    assert re.search(r"ingested\W+2\b", proc.stdout), proc.stdout  # the summary table


def test_a_worker_process_that_dies_fails_its_file_and_the_rest_go_on(tmp_path):
    """A crash in native code kills a pool process: the files still open are retried in a fresh
    pool; the one that kills it every time is reported failed, the others are remembered."""
    import dataclasses

    from mmem.batch.plan import Item
    from mmem.batch.runners import run_pool
    from mmem.config import AudioConfig, EntityConfig
    from mmem.store.memory import Memory
    from tests.batch.crashy import CrashingItem
    from tests.conftest import SAMPLES

    memory = Memory.open(tmp_path / "db", create=True)
    memory.ensure_dim(64)
    memory.prepare(None)
    # pixels alone (no CLIP offline, no audio, no people): each of the five worker processes this
    # takes starts without a model to load; what a pool does when one dies does not depend on one
    cfg = dataclasses.replace(_cfg(), audio=AudioConfig(enabled=False), entities=EntityConfig(enabled=False))
    data = ROOT / "tests" / "data"  # three 3 s clips: what a pool does with them does not need length
    items = [Item(0, str(data / "lbax4n.mpg"), "lbax4n.mpg", 1),
             CrashingItem(1, str(SAMPLES / "bbaf2n.mpg"), "bbaf2n.mpg", 1),
             Item(2, str(data / "pwij3p.mpg"), "pwij3p.mpg", 1)]
    results = {r.index: r for r in run_pool(items, str(tmp_path / "db"), cfg, False, workers=2)}
    assert sorted(results) == [0, 1, 2]
    assert results[0].status == "ingested" and results[2].status == "ingested"
    assert results[1].status == "failed" and "crashed" in results[1].error
