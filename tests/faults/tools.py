"""What the fault tests and `make bench-faults` share: `mmem` as a process (to kill it), a
kill at a random moment of a run, a memory's committed state as comparable data, and a scan of
every file for forgotten vectors."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CLIPS = [DATA / "lbax4n.mpg", DATA / "pwij3p.mpg", DATA / "sbwe5n.mpg"]  # 3 s, one face each
TINY = ["--clip-model", "mmem-tiny", "--clip-pretrained", "random", "--device", "cpu"]
# faces and events, with the offline default's vision (none: CLIP's weights are missing), as
# `make bench-faults` runs them: no ASR model to load, and no open_clip or torch to import, which
# took each `mmem` process ~10 s of start-up on 2 busy cores. What the faults break and the tests
# compare (rows, face vectors, keyframes, locks, journals) does not depend on CLIP's vectors
FAST = ["--no-audio", "--device", "cpu"]
MMEM = [sys.executable, "-c", "from mmem.cli import main; main()"]


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.update(MMEM_OFFLINE="1", PYTHONPATH=str(ROOT), COLUMNS="200")
    return e


def mmem(*args: object, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([*MMEM, *map(str, args)], capture_output=True, text=True, env=env(),
                          timeout=timeout, cwd=ROOT)


def start(*args: object) -> subprocess.Popen:
    return subprocess.Popen([*MMEM, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env(), cwd=ROOT)


def holds_lock(db: Path, pid: int) -> bool:
    try:
        return json.loads((db / "writer.lock").read_text() or "{}").get("pid") == pid
    except (OSError, ValueError):
        return False


def kill_randomly(db: Path, args: list[object], rng: random.Random, within: float) -> str:
    """Run `mmem ingest` and SIGKILL it a random time (up to `within` s) after it took the
    writer lock, i.e. while it writes. 'killed', or 'finished' when it ended first."""
    proc = start("ingest", *args, "--db", db)
    try:
        deadline = time.monotonic() + 300
        while not holds_lock(db, proc.pid) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0, within))
        if proc.poll() is not None:
            return "finished"
        os.kill(proc.pid, signal.SIGKILL)
        return "killed"
    finally:
        proc.communicate(timeout=60)


def state(db: Path) -> dict[str, Any]:
    """The committed memory as a reader sees it, minus wall-clock times: sources, events,
    transcripts, entities (with their vectors) and appearances."""
    from mmem.store.memory import Memory

    m = Memory.open(db)
    names = {s.id: Path(s.uri).name for s in m.sources()}
    return {
        "sources": sorted((names[s.id], s.status, s.n_events) for s in m.sources()),
        "events": [(names[e.source_id], e.id, round(e.start, 3), round(e.end, 3), e.n_frames)
                   for e in m.events()],
        "transcripts": [(names[u.source_id], round(u.start, 3), u.text) for u in m.transcripts()],
        "entities": sorted((r.id, r.kind, r.person, np.round(np.asarray(r.centre), 5).tolist())
                           for r in m.entity_rows()),
        "appearances": sorted((names[a.source_id], a.event_id, a.entity_id, a.kind) for a in m.appearances()),
    }


def overlaps(db: Path) -> int:
    """Events of one source that repeat an id or overlap in time (a half-written run mixed in)."""
    from mmem.store.memory import Memory

    bad = 0
    by_source: dict[str, list] = {}
    for e in Memory.open(db).events():
        by_source.setdefault(e.source_id, []).append(e)
    for events in by_source.values():
        ids = [e.id for e in events]
        bad += len(ids) - len(set(ids))
        events.sort(key=lambda e: e.start)
        bad += sum(b.start < a.end - 1e-6 for a, b in zip(events, events[1:]))
    return bad


def entity_vectors(db: Path, entity_id: str) -> list[np.ndarray]:
    """Every float32 vector the memory holds about an entity: centre, exemplars, appearances."""
    from mmem.store.memory import Memory

    m = Memory.open(db)
    out: list[np.ndarray] = []
    for r in m.entity_rows():
        if r.id == entity_id:
            out += [np.asarray(r.centre, np.float32)] + [np.asarray(x, np.float32) for x in r.exemplars or []]
    out += [np.asarray(a.embedding, np.float32) for a in m.appearances([entity_id], with_embeddings=True)]
    return out


def files_holding(root: Path, vectors: list[np.ndarray], blobs: list[bytes] = ()) -> list[str]:
    """Files of the memory holding any of the vectors (their first 16 float32s) or blobs."""
    needles = [v.tobytes()[:64] for v in vectors] + [b for b in blobs if b]
    hits = []
    for folder, _, files in os.walk(root):
        for f in files:
            data = (Path(folder) / f).read_bytes()
            if any(n in data for n in needles):
                hits.append(str((Path(folder) / f).relative_to(root)))
    return hits


def damaged_copy(src: Path, dst: Path, at: float = 0.5, size: int = 20_000, seed: int = 0) -> Path:
    """A copy of a real clip with `size` bytes in its middle overwritten by noise."""
    data = bytearray(src.read_bytes())
    i = int(len(data) * at)
    data[i:i + size] = np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()
    dst.write_bytes(bytes(data))
    return dst
