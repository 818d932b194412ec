"""dlib's HOG face detector read from the copy saved under the model cache finds the same faces,
with the same scores, as the one dlib builds from its compiled-in string (what ingest used to
load at every start), and a damaged or unwritable cache falls back to building it."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from mmem.perceive.faces import frontal_detector

pytestmark = pytest.mark.integration
dlib = pytest.importorskip("dlib")
FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


def _found(detector, image):
    rects, scores, _ = detector.run(image, 0, 0.0)
    return [(r.left(), r.top(), r.right(), r.bottom()) for r in rects], list(scores)


def test_saved_copy_finds_the_same_faces_and_is_reused(tmp_path):
    first = frontal_detector(dlib, tmp_path)  # builds and saves
    [copy] = list(tmp_path.glob("frontal_face_detector-*.svm"))
    saved_at = copy.stat().st_mtime_ns
    again = frontal_detector(dlib, tmp_path)  # reads the copy
    assert copy.stat().st_mtime_ns == saved_at
    built = dlib.get_frontal_face_detector()
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg"):
        img = cv2.cvtColor(cv2.imread(str(FACES / name)), cv2.COLOR_BGR2RGB)
        boxes, scores = _found(built, img)
        assert boxes, name  # a face is there to be found
        assert _found(again, img) == (boxes, scores) == _found(first, img)


def test_damaged_copy_is_replaced(tmp_path):
    frontal_detector(dlib, tmp_path)
    [copy] = list(tmp_path.glob("frontal_face_detector-*.svm"))
    copy.write_bytes(b"not a detector")
    img = cv2.cvtColor(cv2.imread(str(FACES / "biden.jpg")), cv2.COLOR_BGR2RGB)
    assert _found(frontal_detector(dlib, tmp_path), img) == _found(dlib.get_frontal_face_detector(), img)
    assert copy.stat().st_size > 1000  # saved again
    assert [p.name for p in tmp_path.iterdir()] == [copy.name]  # nothing left aside


def test_unwritable_cache_still_gives_the_detector(tmp_path):
    blocked = tmp_path / "dlib"
    blocked.write_text("a file where the cache folder would be")  # no folder can be made there
    img = cv2.cvtColor(cv2.imread(str(FACES / "obama.jpg")), cv2.COLOR_BGR2RGB)
    assert _found(frontal_detector(dlib, blocked), img) == _found(dlib.get_frontal_face_detector(), img)
