"""The ONNX sentence encoder is all-MiniLM-L6-v2 as sentence-transformers runs it: same vectors on
real text (so memories whose transcripts were embedded through sentence-transformers keep
answering the same), built from the shipped weights, exported once into the cache."""

from __future__ import annotations

import numpy as np
import pytest

from mmem.perceive.text_export import export
from mmem.perceive.text_onnx import OnnxSentenceEmbedder
from mmem.recall.answer import Recall, ask
from mmem.store.memory import Memory
from mmem.store.rows import SourceRow, UtteranceRow
from mmem.types import EventRecord
from mmem.weights import TEXT_MODEL, resolve_text_model
from mmem.weights_onnx import resolve_text_onnx

GETTYSBURG = (  # public domain; longer than the model's 256 tokens, so truncation is exercised
    "Four score and seven years ago our fathers brought forth on this continent, a new nation, "
    "conceived in Liberty, and dedicated to the proposition that all men are created equal. Now we "
    "are engaged in a great civil war, testing whether that nation, or any nation so conceived and "
    "so dedicated, can long endure. We are met on a great battle-field of that war. We have come to "
    "dedicate a portion of that field, as a final resting place for those who here gave their lives "
    "that that nation might live. It is altogether fitting and proper that we should do this. But, "
    "in a larger sense, we can not dedicate, we can not consecrate, we can not hallow this ground. "
    "The brave men, living and dead, who struggled here, have consecrated it, far above our poor "
    "power to add or detract. The world will little note, nor long remember what we say here, but "
    "it can never forget what they did here. It is for us the living, rather, to be dedicated here "
    "to the unfinished work which they who fought here have thus far so nobly advanced. It is rather "
    "for us to be here dedicated to the great task remaining before us, that from these honored dead "
    "we take increased devotion to that cause for which they gave the last full measure of devotion.")
SAID = [  # (start, end, text): what people say on camera, as Whisper writes it
    (1.0, 4.0, "And so, my fellow Americans, ask not what your country can do for you."),
    (5.0, 7.5, "Place white in J three, please."),
    (9.0, 12.0, "The budget for next quarter is approved, but travel is frozen until March."),
    (14.0, 16.0, "Uh, I think the wizard vanished behind the curtain on the left?"),
    (18.0, 19.0, "OK."),
    (20.0, 23.0, "Das Wetter in München ist heute schön — 23 °C, très agréable !"),
]
TEXTS = [t for _, _, t in SAID] + [GETTYSBURG, "", "  "]


class Reference:
    """The sentence-transformers path mmem used before (a TextEmbedder): the reference."""

    def __init__(self) -> None:
        st = pytest.importorskip("sentence_transformers")
        self.model = st.SentenceTransformer(str(resolve_text_model(TEXT_MODEL)), device="cpu",
                                            local_files_only=True)
        self.dim = 384
        self.model_id = TEXT_MODEL  # the same model as the ONNX encoder's, by another runtime

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True,
                                            show_progress_bar=False), np.float32)


@pytest.fixture(scope="module")
def onnx_text() -> OnnxSentenceEmbedder:
    return OnnxSentenceEmbedder(resolve_text_onnx(TEXT_MODEL, export=export), TEXT_MODEL)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference()


def test_onnx_vectors_equal_sentence_transformers_on_real_text(onnx_text, reference):
    got, ref = onnx_text.embed_texts(TEXTS), reference.embed_texts(TEXTS)
    assert got.shape == ref.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    cosine = (got * ref).sum(axis=1)
    assert cosine.min() >= 0.9999, dict(zip(TEXTS, cosine.round(6)))
    # batching and padding change nothing: one text alone is the same vector as in a batch
    alone = onnx_text.embed_texts([SAID[0][2]])[0]
    assert float(alone @ got[0]) >= 0.99999


def test_the_export_is_cached_and_reused(onnx_text):
    first = resolve_text_onnx(TEXT_MODEL, export=export)
    stamp = first.onnx.stat().st_mtime_ns

    def no_second_export(folder, target):
        raise AssertionError("exported again")

    again = resolve_text_onnx(TEXT_MODEL, export=no_second_export)
    assert again.onnx == first.onnx and again.onnx.stat().st_mtime_ns == stamp


def _memory_embedded_by(root, text) -> Memory:
    """A memory whose transcripts were embedded by `text` (a TextEmbedder) at ingest."""
    mem = Memory.open(root, create=True)
    mem.ensure_dim(4)
    mem.put_source(SourceRow(id="day", uri="/media/day.mp4", kind="file", status="complete", run="r",
                             channels=["asr"], skipped=[], model_ids=[]))
    mem.add_events([EventRecord(id="day-r-00000", source_id="day", seq=0, start=0.0, end=30.0,
                                started_at=None, vector=None, centroids=None,
                                centroid_weights=np.array([1], np.float32),
                                centroid_times=np.array([1.0], np.float32), surprise=0.0, keyframes=[],
                                n_frames=1)], "r")
    vectors = text.embed_texts([t for _, _, t in SAID])
    mem.add_transcripts([UtteranceRow(id=f"day-r-00000-u{i:03d}", source_id="day", event_id="day-r-00000",
                                      start=s, end=e, text=t, norm=t.lower(), language="en", confidence=0.9,
                                      vector=v.tolist())
                         for i, ((s, e, t), v) in enumerate(zip(SAID, vectors))], "r", dim=384)
    mem.bind_text_model(TEXT_MODEL)
    return mem


def test_a_memory_embedded_by_sentence_transformers_answers_the_same_through_onnx(tmp_path, onnx_text,
                                                                                 reference):
    old = _memory_embedded_by(tmp_path / "old", reference)
    for question in ("when was the spending plan for the coming months signed off",
                     "when did the magician disappear"):
        before = ask(old, Recall(text=reference), question)
        after = ask(old, Recall(text=onnx_text), question)
        assert "semantic" in after.channels and after.moments
        assert [(m.start, m.end, m.transcript) for m in after.moments] == \
            [(m.start, m.end, m.transcript) for m in before.moments]
        assert [m.score for m in after.moments] == pytest.approx([m.score for m in before.moments], abs=1e-4)
    top = ask(old, Recall(text=onnx_text), "when was the spending plan for the coming months signed off")
    assert "budget" in (top.moments[0].transcript or "")


def test_the_runtime_copy_answers_as_the_export_and_a_damaged_one_is_not_used(tmp_path):
    """The first session saves the graph as ONNX Runtime runs it (weights mapped from their own
    file); later sessions load that copy, with the export's vectors, bit for bit."""
    import shutil
    from dataclasses import replace

    from mmem.perceive import ort_session

    original = resolve_text_onnx(TEXT_MODEL, export=export)
    own = tmp_path / "model.onnx"
    shutil.copyfile(original.onnx, own)
    weights = replace(original, onnx=own)
    copy = ort_session.runtime_copy(own)
    assert not copy.exists()
    first = OnnxSentenceEmbedder(weights, TEXT_MODEL).embed_texts(TEXTS)  # runs the export, saves the copy
    assert copy.is_file() and (copy.parent / ort_session.WEIGHTS_FILE).stat().st_size > 80e6
    assert copy.stat().st_size < 1e6  # the graph alone: the weights are mapped from the file beside it
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ort-")]  # nothing left aside
    again = OnnxSentenceEmbedder(weights, TEXT_MODEL).embed_texts(TEXTS)  # from the copy
    assert np.array_equal(first, again)
    copy.write_bytes(b"not a model")  # damaged: the export answers, the same
    assert np.array_equal(OnnxSentenceEmbedder(weights, TEXT_MODEL).embed_texts(TEXTS), first)
