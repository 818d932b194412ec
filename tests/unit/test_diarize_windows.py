"""A file's speech clustered window by window (the CAM++ path of diarize.cluster), on synthetic
192-d window embeddings (CAM++'s size, so its calibration applies): no model."""

from __future__ import annotations

import numpy as np
import pytest

from mmem.perceive.diarize import cluster, split_turns
from mmem.perceive.voice_calibration import CAMPPLUS, calibration

pytestmark = pytest.mark.unit
DIM = 192
HOP, WIN = 0.24, 1.5


def _voices(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _region(seq: list[tuple[int, float]], voices: np.ndarray, start: float = 0.0, seed: int = 1,
            noise: float = 1.0):
    """One region of continuous speech: (speaker, seconds) in order, windows every HOP s, each
    window the voice of whoever speaks at its centre plus noise (same-speaker windows agree at
    about 0.5, as CAM++'s do)."""
    rng = np.random.default_rng(seed)
    end = start + sum(d for _, d in seq)
    bounds = np.cumsum([start] + [d for _, d in seq])
    emb, spans = [], []
    t = start
    while t + WIN <= end + 1e-9:
        mid = t + WIN / 2
        k = seq[min(int(np.searchsorted(bounds, mid, side="right")) - 1, len(seq) - 1)][0]
        x = voices[k] + noise * rng.normal(size=DIM) / np.sqrt(DIM)
        emb.append(x / np.linalg.norm(x))
        spans.append((t, t + WIN))
        t += HOP
    return np.asarray(emb, np.float32), spans, (start, end)


def test_the_calibration_follows_the_vectors_size():
    assert calibration(192) is CAMPPLUS and CAMPPLUS.window is not None
    assert calibration(256).window is None  # Resemblyzer: turns are clustered, not windows


def test_speakers_changing_with_no_pause_are_cut_where_they_change():
    voices = _voices(3)
    seq = [(0, 4.0), (1, 3.0), (2, 5.0), (0, 3.0), (1, 4.0)]
    emb, spans, region = _region(seq, voices)
    turns = cluster(split_turns(emb, spans, region))
    assert len({t.speaker for t in turns}) == 3
    assert [t.speaker for t in turns] == [0, 1, 2, 0, 1]  # numbered by first speech
    truth = np.cumsum([0.0] + [d for _, d in seq])[1:-1]
    cuts = [t.start for t in turns[1:]]
    assert np.abs(np.array(cuts) - truth).max() < 0.5
    assert turns[0].start == region[0] and turns[-1].end == region[1]  # the region stays tiled
    assert all(a.end == b.start for a, b in zip(turns, turns[1:]))


def test_one_voice_talking_on_is_one_speaker_in_one_turn():
    emb, spans, region = _region([(0, 12.0)], _voices(1))
    turns = cluster(split_turns(emb, spans, region))
    assert [(t.start, t.end, t.speaker) for t in turns] == [(region[0], region[1], 0)]


def test_a_few_odd_windows_found_no_speaker_of_their_own():
    """Windows that hear two voices at once (or a cough, a door) sound a little like both
    speakers and like nobody in particular; a second or so of them is no third speaker."""
    voices = _voices(2, seed=3)
    emb, spans, region = _region([(0, 6.0), (1, 6.0)], voices)
    i = len(emb) // 4  # inside the first speaker's turn, away from the change
    odd = _voices(1, seed=99)[0]
    for j in range(i - 3, i + 3):  # six of them in a row (1.4 s)
        noise = np.random.default_rng(j).normal(size=DIM) / np.sqrt(DIM)
        x = 0.2 * (voices[0] + voices[1]) + 0.5 * odd + 0.3 * noise
        emb[j] = x / np.linalg.norm(x)
    sims = emb[i - 3:i + 3] @ np.delete(emb, range(i - 3, i + 3), axis=0).T
    assert CAMPPLUS.distinct < sims.mean() < CAMPPLUS.window  # like both a little, like neither much
    assert len({t.speaker for t in cluster(split_turns(emb, spans, region))}) == 2


def test_a_brief_speaker_unlike_everyone_still_founds_one():
    voices = _voices(3, seed=5)
    emb, spans, region = _region([(0, 8.0), (1, 8.0), (2, 2.4)], voices)  # the third: 7 windows
    turns = cluster(split_turns(emb, spans, region))
    assert len({t.speaker for t in turns}) == 3
    assert turns[-1].speaker == 2 and abs(turns[-1].start - 16.0) < 0.6


def test_the_partition_does_not_depend_on_the_order_regions_arrive_in():
    voices = _voices(3, seed=9)
    a = split_turns(*_region([(0, 4.0), (1, 4.0)], voices, 0.0, seed=1)[:2], (0.0, 8.0))
    b = split_turns(*_region([(2, 5.0), (0, 3.0)], voices, 10.0, seed=2)[:2], (10.0, 18.0))

    def part(ts):
        groups = {t.speaker for t in ts}
        return sorted(sorted(round(t.start, 2) for t in ts if t.speaker == k) for k in groups)

    assert part(cluster(a + b)) == part(cluster(b + a))


def test_a_long_file_is_clustered_in_bounded_memory(monkeypatch):
    from mmem.perceive import diarize

    monkeypatch.setattr(diarize, "MAX_WINDOWS", 40)  # windows pooled in groups before clustering
    voices = _voices(2, seed=11)
    emb, spans, region = _region([(0, 10.0), (1, 10.0), (0, 10.0)], voices)
    turns = cluster(split_turns(emb, spans, region))
    assert [t.speaker for t in turns] == [0, 1, 0]
