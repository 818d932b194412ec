"""People with real models: dlib faces (face-recognition-models + dlib-bin) and Resemblyzer
voices, on real photos, GRID talking-face clips and LibriSpeech utterances."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from mmem.cli import app
from mmem.config import IngestConfig
from mmem.consolidate.entities import EntityIndex
from mmem.perceive.audio_channel import Hearing
from mmem.perceive.vad import build_vad
from mmem.pipeline import ingest_file
from mmem.store.memory import Memory

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
GRID = [SAMPLES / "bbaf2n.mpg", DATA / "lbax4n.mpg", DATA / "pwij3p.mpg", DATA / "sbwe5n.mpg"]


def persons(memory: Memory) -> dict[str, set[tuple[str, str]]]:
    """person id -> {(source file, kind)}"""
    uris = {s.id: Path(s.uri).name for s in memory.sources()}
    ents = {e.id: e for e in memory.entity_rows()}
    out: dict[str, set[tuple[str, str]]] = {}
    for a in memory.appearances():
        out.setdefault(ents[a.entity_id].person, set()).add((uris[a.source_id], a.kind))
    return out


def test_two_photos_of_obama_are_one_entity_and_biden_another(people):
    index = EntityIndex([], iter(f"E{i}" for i in range(1, 99)).__next__)
    found = {}
    for name in ("obama", "obama2", "biden"):
        img = cv2.cvtColor(cv2.imread(str(DATA / "faces" / f"{name}.jpg")), cv2.COLOR_BGR2RGB)
        scale = 256 / min(img.shape[:2])  # the working resolution of sampled frames
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        [det] = people.gate.keep(people.faces.detect(img))
        from mmem.consolidate.entities import Appearance

        app_ = Appearance("face", people.faces.embed(img, det), 0, 1, det.quality, frozenset({0}))
        found[name] = index.assign([app_])[0].id
    assert found["obama"] == found["obama2"] != found["biden"]
    assert len(index.entities) == 2


@pytest.fixture(scope="module")
def grid_memory(tmp_path_factory, tiny_vision, hearing, people):
    memory = Memory.open(tmp_path_factory.mktemp("grid") / "db", create=True)
    for clip in GRID:
        ingest_file(clip, memory, IngestConfig(), tiny_vision, hearing, people)
    return memory


def test_grid_speakers_become_four_people_with_linked_faces_and_voices(grid_memory):
    groups = persons(grid_memory)
    assert len(groups) == 4
    for members in groups.values():
        assert {f for f, _ in members} == {next(iter(members))[0]}  # one clip per person
        assert {k for _, k in members} == {"face", "voice"}  # the face is linked to its voice
    kinds = Counter(e.kind for e in grid_memory.entity_rows())
    assert kinds == {"face": 4, "voice": 4}
    for e in grid_memory.entity_rows():
        if e.kind == "face":
            assert (grid_memory.root / e.thumbnail).read_bytes()[:2] == b"\xff\xd8"


def test_clustering_is_the_same_in_reverse_order(tmp_path, grid_memory, tiny_vision, hearing, people):
    memory = Memory.open(tmp_path / "db", create=True)
    for clip in reversed(GRID):
        ingest_file(clip, memory, IngestConfig(), tiny_vision, hearing, people)
    assert sorted(map(sorted, persons(memory).values())) == sorted(map(sorted, persons(grid_memory).values()))


def test_librispeech_voices_cluster_by_speaker(tmp_path, people):
    from mmem.perceive.vision import Vision

    listen = Hearing(build_vad(), None, None)  # voices need speech regions, not words
    memory = Memory.open(tmp_path / "db", create=True)
    files = sorted((DATA / "voices").glob("*/*.flac"))
    for f in files:
        ingest_file(f, memory, IngestConfig(), Vision(None, None, 64), listen, people)
    uris = {s.id: Path(s.uri).parent.name for s in memory.sources()}
    by_entity: dict[str, Counter] = {}
    for a in memory.appearances():
        by_entity.setdefault(a.entity_id, Counter())[uris[a.source_id]] += 1
    majority = sum(c.most_common(1)[0][1] for c in by_entity.values())
    purity = majority / sum(sum(c.values()) for c in by_entity.values())
    print(f"LibriSpeech: {len(by_entity)} voice entities for 3 speakers, purity {purity:.2f}")
    assert purity == 1.0 and len(by_entity) == 3


def test_entities_cli_and_asking_about_someone(grid_memory):
    runner = CliRunner()
    db = str(grid_memory.root)
    listed = json.loads(runner.invoke(app, ["entities", "--db", db, "--json"]).stdout)["entities"]
    assert len(listed) == 4
    for e in listed:
        assert {"id", "kind", "name", "first_seen", "last_seen", "appearances", "thumbnail"} <= set(e)
        assert e["kind"] == "person" and e["appearances"] == 2
    lay = next(p for p in listed if any(
        a["source"].endswith("lbax4n.mpg") for a in json.loads(runner.invoke(
            app, ["entities", "show", p["id"], "--db", db, "--json"]).stdout)["appearances"]))
    assert runner.invoke(app, ["entities", "name", lay["id"], "Lay Man", "--db", db]).exit_code == 0
    shown = json.loads(runner.invoke(app, ["entities", "show", "lay man", "--db", db, "--json"]).stdout)
    assert shown["entity"]["name"] == "Lay Man"
    assert {(Path(a["source"]).name, a["kind"]) for a in shown["appearances"]} == {
        ("lbax4n.mpg", "face"), ("lbax4n.mpg", "voice")}
    for a in shown["appearances"]:
        assert {"source", "event_id", "start", "end", "score"} <= set(a)
    asked = json.loads(runner.invoke(app, ["ask", "what did Lay Man say", "--db", db, "--json"]).stdout)
    assert {Path(m["source"]).name for m in asked["moments"]} == {"lbax4n.mpg"}
    assert asked["moments"][0]["entities"] == [{"id": lay["id"], "name": "Lay Man", "kind": "person"}]
    bad = runner.invoke(app, ["entities", "merge", lay["id"], lay["id"], "--db", db])
    assert bad.exit_code == 2 and "same entity" in bad.stderr


def test_forget_removes_a_person_biometrics_for_good(tmp_path, tiny_vision, hearing, people):
    memory = Memory.open(tmp_path / "db", create=True)
    ingest_file(GRID[0], memory, IngestConfig(), tiny_vision, hearing, people)
    face = next(e for e in memory.entity_rows() if e.kind == "face")
    crops = list((memory.root / "entities" / face.id).glob("*.jpg"))
    assert crops
    result = CliRunner().invoke(app, ["entities", "forget", face.id, "--yes", "--db", str(memory.root)])
    assert result.exit_code == 0, result.output
    assert face.id not in {e.id for e in memory.entity_rows()}
    assert all(a.entity_id != face.id for a in memory.appearances(with_embeddings=True))
    assert not any(p.exists() for p in crops)
    assert memory.events()  # the event itself is still remembered


def test_no_face_anywhere_makes_no_face_entity(tmp_path, tiny_vision, hearing, people):
    memory = Memory.open(tmp_path / "db", create=True)
    # a cartoon (bikes.mp4 is no good: a passer-by's face, ~50 px at the working resolution,
    # turns up at 1.2 s, found since the detector scales the frame up)
    report = ingest_file(SAMPLES / "bigbuckbunny.mp4", memory, IngestConfig(), tiny_vision, hearing, people)
    assert report.status == "ingested" and report.events >= 1
    assert not [e for e in memory.entity_rows() if e.kind == "face"]


def _wide_shot(face_px: int) -> np.ndarray:
    """A 456x256 frame (the working resolution of a 16:9 video) showing Obama and Biden side by
    side, their faces (dlib's box) about `face_px` tall: a fifth of the picture or less."""
    canvas = np.full((256, 456, 3), 110, np.uint8)
    for x, name in ((20, "obama"), (250, "biden")):
        img = cv2.cvtColor(cv2.imread(str(DATA / "faces" / f"{name}.jpg")), cv2.COLOR_BGR2RGB)
        scale = face_px / 260  # both photos' faces are ~260-310 px tall at full size
        small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)[:200, :200]
        canvas[30:30 + small.shape[0], x:x + small.shape[1]] = small
    return canvas


def test_small_faces_in_a_wide_shot_are_found_and_told_apart(people):
    from mmem.config import EntityConfig
    from mmem.perceive.people_channel import build_people

    full = {}
    for name in ("obama2", "biden"):
        img = cv2.cvtColor(cv2.imread(str(DATA / "faces" / f"{name}.jpg")), cv2.COLOR_BGR2RGB)
        img = cv2.resize(img, None, fx=256 / min(img.shape[:2]), fy=256 / min(img.shape[:2]))
        [det] = people.gate.keep(people.faces.detect(img))
        full[name] = people.faces.embed(img, det)
    frame = _wide_shot(45)
    found = sorted(people.gate.keep(people.faces.detect(frame)), key=lambda d: d.box[0])
    assert len(found) == 2  # both, at the default (the frame scaled up once)
    left, right = (people.faces.embed(frame, d) for d in found)
    # a different photo of the same man is still within dlib's 0.6, the other man is not
    assert np.linalg.norm(left - full["obama2"]) < 0.6 < np.linalg.norm(left - full["biden"])
    assert np.linalg.norm(right - full["biden"]) < 0.6 < np.linalg.norm(right - full["obama2"])
    unscaled = build_people(EntityConfig(face_upsample=0), "cpu", required=True)
    assert unscaled.gate.keep(unscaled.faces.detect(frame)) == []  # what the detector missed before
