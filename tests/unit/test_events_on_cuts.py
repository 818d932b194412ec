"""Events built on the shot pass's cuts (no models): a boundary at the cut's exact time, shots of
one scene joined, an utterance across a cut kept whole, sound cuts in audio alone, and the
hierarchy shots < events < episodes tiling the source."""

from __future__ import annotations

import numpy as np
import pytest

from mmem.config import SegmentConfig, SoundConfig
from mmem.consolidate.hierarchy import Hierarchy
from mmem.segment.segmenter import Segmenter
from mmem.segment.sound import sound_cuts
from mmem.types import Observation
from tests.fakes import FakeSpeech


def unit(v) -> np.ndarray:
    v = np.asarray(v, np.float32)
    return v / np.linalg.norm(v)


def scene(k: int, rng, dim: int = 16, noise: float = 0.02) -> np.ndarray:
    base = np.zeros(dim, np.float32)
    base[k % dim] = 1.0
    return unit(base + noise * rng.normal(size=dim))


def run(frames, cuts, speech=None, cfg=SegmentConfig()):
    """frames: [(t, scene)]; cuts: [(t, kind)]."""
    rng = np.random.default_rng(0)
    seg = Segmenter(cfg, speech=FakeSpeech(speech) if speech is not None else None, cuts=cuts)
    out = []
    for i, (t, k) in enumerate(frames):
        out += seg.push(Observation(i, t, {"pixel": scene(k, rng)}))
    return out + seg.flush(frames[-1][0] + 1.0)


def test_each_cut_closes_an_event_at_its_exact_time():
    # 1 fps plus the first frame after each cut, as the sampler keeps them
    frames = [(0.0, 0), (1.0, 0), (2.0, 0), (2.48, 1), (3.0, 1), (4.0, 1), (5.0, 1), (5.24, 2), (6.0, 2)]
    events = run(frames, [(2.48, "cut"), (5.24, "fade")])
    assert [(e.start, e.end) for e in events] == [(0.0, 2.48), (2.48, 5.24), (5.24, 7.0)]
    assert [e.first for e in events] == [0, 3, 7]


def test_shots_of_one_scene_join_into_one_event():
    frames = [(0.0, 0), (1.0, 0), (2.0, 0), (2.5, 0), (3.0, 0), (4.0, 0)]  # a cut to the same view
    events = run(frames, [(2.5, "cut")])
    assert len(events) == 1


def test_a_sentence_spanning_a_visual_cut_stays_whole():
    frames = [(float(t), 0 if t < 3 else 1) for t in range(7)]
    events = run(frames, [(3.0, "cut")], speech=[(1.0, 5.2)])
    assert len(events) == 1
    # the same cut with the speech ending before it closes the event there
    events = run(frames, [(3.0, "cut")], speech=[(1.0, 2.5)])
    assert [e.start for e in events] == [0.0, 3.0]


def test_a_sound_cut_needs_no_visual_change():
    frames = [(float(t), 0) for t in range(10)]
    events = run(frames, [(4.5, "sound")])
    assert [e.start for e in events] == [0.0, 4.5]


def test_sound_cuts_music_then_speech_then_music():
    hop = 0.5
    loud = np.full(40, -20.0, np.float32)  # 20 s of sound throughout
    speech = [(8.2, 14.9)]  # someone speaks from 8.2 s to 14.9 s over the music's end
    cuts = sound_cuts(np.zeros((40, 24), np.float32), loud, speech, SoundConfig(), hop)
    assert cuts == [8.2, 14.9]  # at the edges of the speech, not inside it


def test_sound_cuts_leave_conversation_with_pauses_alone():
    hop = 0.5
    loud = np.full(60, -25.0, np.float32)
    loud[[10, 11, 25, 40, 41]] = -70.0  # pauses
    speech = [(0.0, 5.0), (6.0, 12.5), (13.0, 20.0), (21.0, 30.0)]
    assert sound_cuts(np.zeros((60, 24), np.float32), loud, speech, SoundConfig(), hop) == []


def tiles(spans, start, end):
    spans = sorted(spans, key=lambda s: s.start)
    return spans[0].start == start and spans[-1].end == end and all(
        a.end == pytest.approx(b.start) for a, b in zip(spans, spans[1:]))


def test_the_hierarchy_nests_and_tiles_the_source():
    cfg = SegmentConfig(episode_min=10.0)
    rng = np.random.default_rng(1)
    events = [(0.0, 4.0, 0), (4.0, 9.0, 1), (9.0, 15.0, 2), (15.0, 16.0, 2), (16.0, 30.0, 3)]
    cuts = [(2.0, "cut"), (4.0, "cut"), (6.5, "fade"), (9.0, "cut"), (15.0, "sound"), (16.0, "cut"),
            (22.0, "cut")]
    h = Hierarchy(cfg, "src", "run", cuts)
    index = 0
    for n, (a, b, k) in enumerate(events):
        for t in np.arange(a, b, 1.0):
            h.frame(index, scene(k, rng))
            index += 1
        h.close(f"e{n}", a, b, index)
    rows = h.rows()
    shots = [r for r in rows if r.level == "shot"]
    links = {r.id: r for r in rows if r.level == "event"}
    episodes = {r.id: r for r in rows if r.level == "episode"}
    assert tiles(shots, 0.0, 30.0) and tiles(list(episodes.values()), 0.0, 30.0)
    assert sorted({s.start for s in shots}) == [0.0, 2.0, 4.0, 6.5, 9.0, 15.0, 16.0, 22.0]
    spans = {f"e{n}": (a, b) for n, (a, b, _) in enumerate(events)}
    for s in shots:  # every shot lies in exactly its parent event
        a, b = spans[s.parent]
        assert a <= s.start and s.end <= b
        assert sum(1 for x, y in spans.values() if x <= s.start and s.end <= y) == 1
    assert set(links) == set(spans)
    for eid, link in links.items():  # every event lies in its episode
        ep = episodes[link.parent]
        assert ep.start <= spans[eid][0] and spans[eid][1] <= ep.end
    assert len(episodes) >= 2  # 30 s of four different scenes, episodes of >= 10 s


def test_sound_is_evidence_in_video_and_cuts_alone_in_audio():
    from mmem.segment.cuts import CutTimeline

    sight = [(2.0, "cut"), (9.0, "fade")]
    assert CutTimeline(sight, [2.4, 5.0], 1.0, alone=False).all() == [(2.0, "cut+sound"), (9.0, "fade")]
    both = CutTimeline(sight, [2.4, 5.0], 1.0, alone=True)
    assert both.all() == [(2.0, "cut+sound"), (5.0, "sound"), (9.0, "fade")]
    assert both.between(2.0, 9.0) == [(5.0, "sound"), (9.0, "fade")]  # (t0, t1]
    # a cut the sound confirms is never joined, even when the two shots look alike
    frames = [(0.0, 0), (1.0, 0), (2.0, 0), (2.5, 0), (3.0, 0), (4.0, 0)]
    assert len(run(frames, [(2.5, "cut+sound")])) == 2


def test_a_loud_onset_of_sound_cuts_but_speech_after_a_pause_and_a_crescendo_do_not():
    hop, z = 0.5, np.zeros((40, 24), np.float32)
    room_then_music = np.r_[np.full(20, -45.0), np.full(20, -20.0)].astype(np.float32)
    assert sound_cuts(z, room_then_music, [], SoundConfig(), hop) == [10.0]
    assert sound_cuts(z, room_then_music, [], SoundConfig(onset_db=0), hop) == []  # the rule is what cuts
    talk = np.r_[np.full(10, -60.0), np.full(30, -20.0)].astype(np.float32)
    assert sound_cuts(z, talk, [(5.0, 20.0)], SoundConfig(), hop) == []  # someone starts speaking
    crescendo = np.linspace(-50.0, -10.0, 40).astype(np.float32)  # 40 dB over 20 s, 1 dB a hop
    assert sound_cuts(z, crescendo, [], SoundConfig(), hop) == []


def test_a_new_speaker_taking_the_floor_cuts_in_the_pause_but_a_conversation_does_not():
    hop, loud = 0.5, np.full(80, -25.0, np.float32)
    z = np.zeros((80, 24), np.float32)
    speech = [(0.0, 12.0), (12.6, 40.0)]
    # A reads for 12 s, then B (new) for the rest: one cut, in the pause between them
    turns = [(0.0, 12.0, 0), (12.6, 40.0, 1)]
    assert sound_cuts(z, loud, speech, SoundConfig(), hop, turns) == [pytest.approx(12.3)]
    # A and B take turns every few seconds: one conversation; C joining it changes no scene
    talk = [(i * 4.0, i * 4.0 + 3.8, i % 2) for i in range(10)]
    assert sound_cuts(z, loud, [(s, e) for s, e, _ in talk], SoundConfig(), hop, talk) == []
    joined = talk[:5] + [(s, e, 2 if i % 2 else 0) for i, (s, e, _) in enumerate(talk[5:])]
    assert sound_cuts(z, loud, [(s, e) for s, e, _ in joined], SoundConfig(), hop, joined) == []
    # a one-second interjection by someone new is no change of speaker; unclustered turns say nothing
    brief = [(0.0, 12.0, 0), (12.6, 13.6, 1), (14.0, 40.0, 0)]
    assert sound_cuts(z, loud, speech, SoundConfig(), hop, brief) == []
    assert sound_cuts(z, loud, speech, SoundConfig(), hop, [(s, e, -1) for s, e, _ in turns]) == []
