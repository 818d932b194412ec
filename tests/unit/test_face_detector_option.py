"""--face-detector: hog (default) or cnn reach the entity config; anything else is refused."""

from __future__ import annotations

import pytest

from mmem.cli.options import ingest_config
from mmem.errors import InputError

pytestmark = pytest.mark.unit
BASE = dict(fps=None, device=None, clip_model=None, clip_pretrained=None, audio=True, asr_model=None,
            asr_backend=None, language=None, entities=True, require=None)


def test_the_detector_is_hog_unless_cnn_is_asked_for():
    assert ingest_config(None, **BASE).entities.face_detector == "hog"
    assert ingest_config(None, **BASE, face_detector="cnn").entities.face_detector == "cnn"


def test_an_unknown_detector_names_the_choices():
    with pytest.raises(InputError, match="hog or cnn"):
        ingest_config(None, **BASE, face_detector="yolo")
