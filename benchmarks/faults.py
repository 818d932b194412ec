"""`make bench-faults`: how a memory survives faults. Prints a table; not a test.

1. SIGKILLs: `mmem ingest` of four short joined clips (faces, --no-audio, no CLIP) is
   killed at a random moment while it writes (uniform over one clean run's writing time), again
   and again on one memory; after every kill the memory must read, with no event repeated or
   overlapping. When a run gets to finish, the memory is compared with a clean run's (sources,
   events, entities with their vectors, appearances) and a new memory starts the next cycle.
2. Two writers: two `mmem ingest --wait` started at the same instant on a fresh memory, each
   with different people; both must finish, every source complete, and no entity may hold two
   people (each clip shows one person) nor a clip two entities.
3. Forget: `entities forget` and `forget --source` on a copy of the clean memory, then every
   file of the memory is scanned for the forgotten vectors, face crops and keyframes.

Every run is a fresh process (model loading included), so the time is mostly start-up; on a
loaded machine pass fewer --kills/--pairs and say so. The runs use the offline default (no CLIP
weights: the vision channel is skipped), not a random tiny CLIP: importing open_clip doubled each
process's start-up and a kill only ever landed after it, so it bought nothing the checks see (the
rows, files and commits written are the same kinds; only the event vectors are null).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from pathlib import Path

import numpy as np

from benchmarks.run import DATA, OUT
from tests.faults.tools import (
    entity_vectors,
    files_holding,
    holds_lock,
    kill_randomly,
    mmem,
    overlaps,
    start,
    state,
)

FAST = ["--no-audio", "--device", "cpu"]  # faces and events, the offline default's vision (none)


def clips() -> list[Path]:
    """Four distinct ~9 s clips, each the three GRID speakers in another order."""
    from benchmarks.media import concat

    root = OUT / "faults"
    root.mkdir(parents=True, exist_ok=True)
    grid = [DATA / "lbax4n.mpg", DATA / "pwij3p.mpg", DATA / "sbwe5n.mpg"]
    out = []
    for i in range(4):
        path = root / f"grid_{i}.mp4"
        if not path.exists():
            order = grid[i % 3:] + grid[:i % 3]
            concat(order if i < 3 else order[::-1], path, size=(360, 288), fps=25)
        out.append(path)
    return out


def writing_seconds(db: Path, inputs: list[Path]) -> float:
    """A clean run, timed from when it holds the writer lock to its end."""
    proc = start("ingest", *inputs, *FAST, "--db", db)
    while not holds_lock(db, proc.pid) and proc.poll() is None:
        time.sleep(0.05)
    t0 = time.monotonic()
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    return time.monotonic() - t0


def kills(n: int, inputs: list[Path], reference: dict, within: float, work: Path, seed: int) -> dict:
    rng = random.Random(seed)
    killed = unreadable = overlapping = cycles = same = 0
    db = work / "killed-0"
    while killed < n:
        outcome = kill_randomly(db, [*inputs, *FAST], rng, within)
        try:
            if (db / "mmem.json").exists():
                state(db)
                overlapping += overlaps(db)
        except Exception:  # noqa: BLE001 - what the benchmark counts
            unreadable += 1
        if outcome == "killed":
            killed += 1
            continue
        cycles += 1
        same += state(db) == reference
        db = work / f"killed-{cycles}"
    done = mmem("ingest", *inputs, *FAST, "--db", db)  # the last cycle, finished
    cycles += 1
    same += done.returncode == 0 and state(db) == reference
    return {"kills": killed, "unreadable": unreadable, "overlapping": overlapping, "cycles": cycles,
            "identical": same}


def pairs(n: int, inputs: list[Path], work: Path) -> dict:
    grid = [DATA / "lbax4n.mpg", DATA / "pwij3p.mpg", DATA / "sbwe5n.mpg"]
    mixed = lost = failed = 0
    for i in range(n):
        db = work / f"pair-{i}"
        a = start("ingest", *grid[:2], *FAST, "--wait", "--db", db)
        b = start("ingest", grid[2], *FAST, "--wait", "--db", db)
        failed += (a.wait() != 0) + (b.wait() != 0)
        a.communicate()
        b.communicate()
        s = state(db)
        lost += 3 - sum(src[1] == "complete" for src in s["sources"])
        by_entity: dict[str, set[str]] = {}
        by_source: dict[str, set[str]] = {}
        for src, _, ent, kind in s["appearances"]:
            by_entity.setdefault(ent, set()).add(src)
            by_source.setdefault(src, set()).add(ent)
        mixed += sum(len(v) > 1 for v in by_entity.values()) + sum(len(v) > 1 for v in by_source.values())
    return {"runs": n, "mixed": mixed, "lost": lost, "failed": failed}


def forgetting(reference_db: Path, work: Path) -> dict:
    db = work / "forget"
    shutil.copytree(reference_db, db)
    (db / "writer.lock").unlink(missing_ok=True)
    vectors = entity_vectors(db, "E1")
    crops = [p.read_bytes() for p in (db / "entities" / "E1").glob("*.jpg")]
    held_before = len(files_holding(db, vectors, crops))
    kf = keyframes_of(db, "E1")
    shown_before = showing(db, kf, vectors)
    old_frames = [(db / rel).read_bytes() for rel in kf]
    assert mmem("entities", "forget", "E1", "--yes", "--db", db).returncode == 0
    after_entity = files_holding(db, vectors, crops)
    from mmem.store.memory import Memory

    m = Memory.open(db)
    src = m.sources()[0]
    # its appearances' vectors, crops and keyframes; the clips share footage, so bytes that
    # another source holds too (the same frame seen twice) are not the forgotten source's own
    mine, theirs = [], set()
    for a in m.appearances(with_embeddings=True):
        vec = np.asarray(a.embedding, np.float32)
        blob = (db / a.thumbnail).read_bytes() if a.thumbnail and (db / a.thumbnail).exists() else b""
        if a.source_id == src.id:
            mine.append((vec, blob))
        else:
            theirs.update({vec.tobytes()[:64], blob})
    frames = {p.read_bytes() for p in (db / "keyframes" / src.id).glob("*.jpg")}
    frames -= {p.read_bytes() for s in m.sources() if s.id != src.id
               for p in (db / "keyframes" / s.id).glob("*.jpg")}
    vecs = [v for v, _ in mine if v.tobytes()[:64] not in theirs]
    blobs = [b for _, b in mine if b and b not in theirs] + sorted(frames)
    after_shown = showing(db, kf, vectors)
    after_old_frames = len(files_holding(db, [], old_frames))
    assert mmem("forget", "--source", src.id, "--yes", "--db", db).returncode == 0
    after_source = files_holding(db, vecs, blobs)
    return {"held_before": held_before, "entity_files": len(after_entity), "source_files": len(after_source),
            "source_items": len(vecs) + len(blobs), "keyframes": len(kf), "showing_before": shown_before,
            "showing_after": after_shown, "old_keyframe_files": after_old_frames}


def keyframes_of(db: Path, entity_id: str) -> list[str]:
    """The keyframes of the events an entity's face appeared in (paths relative to the memory)."""
    from mmem.store.memory import Memory

    m = Memory.open(db)
    events = m.events_by_id(sorted({a.event_id for a in m.appearances([entity_id]) if a.kind == "face"}))
    return sorted({rel for e in events.values() for rel in e.keyframes or []})


def showing(db: Path, frames: list[str], vectors: list[np.ndarray]) -> int:
    """How many of the keyframes hold a face the face model matches to `vectors`."""
    import cv2

    from mmem.consolidate.entities import FACE_DISTANCE
    from mmem.perceive.models import face_model

    faces, known, n = face_model(), np.stack(vectors), 0
    for rel in frames:
        image = cv2.cvtColor(cv2.imread(str(db / rel)), cv2.COLOR_BGR2RGB)
        n += any(float(np.linalg.norm(known - faces.embed(image, d), axis=1).min()) < FACE_DISTANCE
                 for d in faces.detect(image))
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=50)
    ap.add_argument("--pairs", type=int, default=20)
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    work = OUT / "faults" / "runs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    inputs = clips()
    t0 = time.monotonic()
    ref_db = work / "clean"
    within = writing_seconds(ref_db, inputs)
    reference = state(ref_db)
    k = kills(args.kills, inputs, reference, within, work, args.seed)
    p = pairs(args.pairs, inputs, work)
    f = forgetting(ref_db, work)
    rows = [
        ("SIGKILLs during ingest", "", str(k["kills"])),
        ("  unreadable states", "0", str(k["unreadable"])),
        ("  repeated/overlapping events", "0", str(k["overlapping"])),
        ("  finished memories identical to clean", f"{k['cycles']}/{k['cycles']}",
         f"{k['identical']}/{k['cycles']}"),
        ("2 concurrent writers, runs", "", str(p["runs"])),
        ("  mixed identities", "0", str(p["mixed"])),
        ("  lost sources", "0", str(p["lost"])),
        ("  failed commands", "0", str(p["failed"])),
        ("forget entity: files still holding it", f"0 (of {f['held_before']} before)",
         str(f["entity_files"])),
        (f"forget entity: its {f['keyframes']} keyframes showing its face",
         f"0 (of {f['showing_before']} before)", str(f["showing_after"])),
        ("forget entity: files holding their old bytes", "0", str(f["old_keyframe_files"])),
        ("forget --source: files holding its faces/keyframes", f"0 ({f['source_items']} items)",
         str(f["source_files"])),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\nfaults ({len(inputs)} clips of ~9 s, --no-audio, no CLIP; one clean run writes for "
          f"{within:.1f}s; {time.monotonic() - t0:.0f}s in all)")
    print(f"{'':<{width}}  {'target':>18}  {'measured':>9}")
    for name, target, got in rows:
        print(f"{name:<{width}}  {target:>18}  {got:>9}")
    (OUT / "faults.json").write_text(json.dumps({"kills": k, "pairs": p, "forget": f}, indent=2))


if __name__ == "__main__":
    main()
