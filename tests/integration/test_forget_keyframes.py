"""Forgetting a face takes it out of the keyframes that showed it (real GRID clips, real dlib
faces): the pixels where it was change strongly, no face matching it is found there any more,
the file is rewritten where it lay, and other people's keyframes are untouched."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from mmem.cli import app
from mmem.consolidate.entities import FACE_DISTANCE
from mmem.perceive.models import face_model
from mmem.store.memory import Memory

DATA = Path(__file__).resolve().parents[1] / "data"
CLIPS = [DATA / "lbax4n.mpg", DATA / "pwij3p.mpg", DATA / "sbwe5n.mpg"]  # one face each


def run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def matching_faces(faces, image: np.ndarray, vectors: list[np.ndarray]) -> int:
    known = np.stack(vectors)
    return sum(float(np.linalg.norm(known - faces.embed(image, d), axis=1).min()) < FACE_DISTANCE
               for d in faces.detect(image))


@pytest.fixture(scope="module")
def grid_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("forget-kf") / "db"
    done = run("ingest", *CLIPS, "--no-audio", "--device", "cpu", "--db", db)
    assert done.exit_code == 0, done.output
    return db


def test_a_forgotten_face_is_smeared_out_of_its_keyframes_and_others_are_untouched(grid_db, tmp_path):
    import shutil

    db = tmp_path / "db"
    shutil.copytree(grid_db, db)
    m = Memory.open(db)
    sid = next(s.id for s in m.sources() if s.uri.endswith("lbax4n.mpg"))
    [app_] = [a for a in m.appearances(with_embeddings=True) if a.source_id == sid]
    ent = next(r for r in m.entity_rows() if r.id == app_.entity_id)
    vectors = [np.asarray(v, np.float32) for v in [*(ent.exemplars or []), app_.embedding]]
    mine = sorted((db / "keyframes" / sid).glob("*.jpg"))
    others = sorted(p for p in (db / "keyframes").rglob("*.jpg") if p.parent.name != sid)
    before = {p: p.read_bytes() for p in mine + others}
    faces = face_model()
    assert mine and others and app_.box
    assert all(matching_faces(faces, rgb(p), vectors) == 1 for p in mine)  # the face is there to forget

    done = run("entities", "forget", ent.id, "--yes", "--json", "--db", db)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"forgot": ent.id, "kind": "face", "keyframes_redacted": len(mine)}

    left, top, right, bottom = app_.box
    for p in mine:
        old = cv2.imdecode(np.frombuffer(before[p], np.uint8), cv2.IMREAD_COLOR)
        new = cv2.imread(str(p))
        box = (slice(top, bottom), slice(left, right))
        assert np.abs(old[box].astype(int) - new[box].astype(int)).mean() > 20  # strongly changed
        assert matching_faces(faces, rgb(p), vectors) == 0  # no face of the forgotten person
    for p in others:  # other people's keyframes: the same bytes
        assert p.read_bytes() == before[p]
    # rewritten where they lay: the same files, no copy beside them, no old bytes anywhere
    folders = {p.parent for p in mine + others}
    assert sorted((db / "keyframes").rglob("*")) == sorted({*mine, *others, *folders})
    from tests.faults.tools import files_holding

    assert files_holding(db, [], [before[p] for p in mine]) == []
