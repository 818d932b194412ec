"""The semantic channel's bar: a question is compared with everyday sentences (recall/cohort.py),
whose vectors are computed once per sentence model and kept in mmem's cache directory."""

from __future__ import annotations

import numpy as np

from mmem.recall import calibrate, cohort
from tests.fakes import FakeTextEmbedder


def test_the_cohort_is_embedded_once_per_model_and_kept():
    enc = FakeTextEmbedder(32)
    first = cohort.vectors(enc)
    assert first.shape == (len(cohort.sentences()), 32) and len(enc.calls) == 1
    again = cohort.vectors(FakeTextEmbedder(32))  # a new process: read from the cache, not embedded
    assert np.array_equal(first, again)
    other = FakeTextEmbedder(16)  # another model (another id and width) gets its own vectors
    assert cohort.vectors(other).shape[1] == 16 and len(other.calls) == 1


def test_an_unwritable_cache_only_costs_time(monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("MMEM_HOME", str(blocked))
    enc = FakeTextEmbedder(8)
    assert cohort.vectors(enc).shape[1] == 8 and cohort.vectors(enc).shape[1] == 8
    assert len(enc.calls) == 2


def test_a_question_near_everyday_talk_needs_a_wider_margin():
    enc = FakeTextEmbedder(4096)  # wide: few hash collisions between words
    vectors = cohort.vectors(enc)
    common = enc.embed_texts(["we talked about the meeting next week"])[0]  # words the cohort uses
    rare = enc.embed_texts(["zygomatic quokka xylophone"])[0]
    assert cohort.bar(common, vectors) > cohort.bar(rare, vectors) + 0.2
    # the same cosine is evidence for the rare question and not for the common one
    cos = 0.45
    assert calibrate.semantic(cos, cohort.bar(rare, vectors)) > 0.5
    assert calibrate.semantic(0.35, cohort.bar(common, vectors)) < 0.5
