"""Speaker turns and file-wide speaker clustering, on synthetic embeddings (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from mmem.consolidate.entities import Appearance, EntityIndex
from mmem.perceive.diarize import changes, cluster, speakers, split_turns
from mmem.perceive.voices import VoiceTurn

pytestmark = pytest.mark.unit
DIM = 32


def _voices(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, DIM))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _noisy(v: np.ndarray, rng: np.random.Generator, noise: float = 0.35) -> np.ndarray:
    x = v + noise * rng.normal(size=v.shape) / np.sqrt(DIM)
    return (x / np.linalg.norm(x)).astype(np.float32)


def _windows(seq: list[int], voices: np.ndarray, seed: int = 1):
    """1.6 s windows every 0.5 s; window i spoken by voices[seq[i]]."""
    rng = np.random.default_rng(seed)
    emb = np.stack([_noisy(voices[k], rng) for k in seq])
    spans = [(0.5 * i, 0.5 * i + 1.6) for i in range(len(seq))]
    return emb, spans


def test_a_change_of_speaker_inside_speech_is_found_near_where_it_happens():
    voices = _voices(2)
    emb, spans = _windows([0] * 10 + [1] * 10, voices)  # B's windows start at 5.0 s
    found = changes(emb, spans)
    assert len(found) == 1 and abs(found[0] - 5.3) < 0.8


def test_one_speaker_talking_on_is_not_split():
    emb, spans = _windows([0] * 30, _voices(1))
    assert changes(emb, spans) == []
    turns = split_turns(emb, spans, (0.2, 16.0))
    assert [(t.start, t.end) for t in turns] == [(0.2, 16.0)]


def test_turns_tile_the_region_and_pool_their_own_windows():
    voices = _voices(2)
    emb, spans = _windows([0] * 8 + [1] * 8, voices)
    turns = split_turns(emb, spans, (0.0, 9.1))
    assert len(turns) == 2 and turns[0].start == 0.0 and turns[-1].end == 9.1
    assert turns[0].end == turns[1].start
    assert float(turns[0].embedding @ voices[0]) > 0.9 and float(turns[1].embedding @ voices[1]) > 0.9


def _turns(order: list[int], voices: np.ndarray, lengths: list[float], seed: int = 3) -> list[VoiceTurn]:
    rng = np.random.default_rng(seed)
    out, t = [], 0.0
    for k, n in zip(order, lengths, strict=True):
        out.append(VoiceTurn(t, t + n, _noisy(voices[k], rng, 0.25), windows=3))
        t += n + 0.3
    return out


def test_turns_of_a_file_cluster_into_its_speakers_numbered_by_first_speech():
    voices = _voices(3, seed=5)
    order = [2, 0, 2, 1, 0, 1, 2, 0, 1, 1]
    turns = cluster(_turns(order, voices, [3.0] * len(order)))
    first = {}
    for k, t in zip(order, turns, strict=True):
        first.setdefault(k, t.speaker)
    assert [first[k] for k in order] == [t.speaker for t in turns]  # one label per true speaker
    assert sorted(set(first.values())) == [0, 1, 2] and first[2] == 0 and first[0] == 1


def test_a_short_turn_joins_the_nearest_speaker_and_founds_none():
    voices = _voices(3, seed=7)
    turns = cluster(_turns([0, 1, 0, 1, 2], voices, [3.0, 3.0, 3.0, 3.0, 0.6]))
    assert len({t.speaker for t in turns}) == 2
    assert turns[4].speaker in {turns[0].speaker, turns[1].speaker}


def test_the_partition_does_not_depend_on_the_order_turns_arrive_in():
    voices = _voices(3, seed=9)
    turns = _turns([0, 1, 2, 0, 1, 2, 0, 1], voices, [2.0, 3.0, 4.0, 2.5, 2.0, 3.5, 2.0, 1.5])
    a = cluster(turns)
    b = cluster(list(reversed(turns)))
    def part(ts: list[VoiceTurn]) -> list[list[float]]:
        return sorted(sorted(t.start for t in ts if t.speaker == k) for k in {t.speaker for t in ts})

    assert part(a) == part(b)


def _counter():
    n = iter(range(1, 999))
    return lambda: f"E{next(n)}"


def _apps(turns: list[VoiceTurn], source: str) -> list[Appearance]:
    return [Appearance("voice", t.embedding, t.start, t.end, t.end - t.start, score=1.0,
                       group=f"{source}#{t.speaker}") for t in turns]


def test_speakers_of_a_file_bind_jointly_and_never_share_an_entity():
    voices = _voices(2, seed=11)
    index = EntityIndex([], _counter())
    first = cluster(_turns([0, 1, 0, 1], voices, [3.0] * 4))
    index.bind({f"a#{k}": v for k, (v, _) in speakers(first).items()})
    ents = index.assign(_apps(first, "a"))
    assert len({e.id for e in ents}) == 2
    # a second file with the same two people: each joins the entity of the same voice
    second = cluster(_turns([1, 0, 1], voices, [3.0] * 3, seed=4))
    index.bind({f"b#{k}": v for k, (v, _) in speakers(second).items()})
    again = index.assign(_apps(second, "b"))
    by_voice = {0: ents[0].id, 1: ents[1].id}
    assert [e.id for e in again] == [by_voice[k] for k in (1, 0, 1)]
    assert len(index.entities) == 2


def test_a_voice_close_to_a_known_one_still_gets_its_own_entity_when_the_file_heard_both():
    index = EntityIndex([], _counter())
    v = _voices(1, seed=13)[0].astype(np.float32)
    known = index.assign([Appearance("voice", v, 0, 3, 3.0, score=1.0)])[0]
    near = _noisy(v, np.random.default_rng(0), 0.2)  # would match `known` on its own
    index.bind({"f#0": v, "f#1": near})
    got = index.assign([Appearance("voice", v, 0, 3, 3.0, group="f#0"),
                        Appearance("voice", near, 4, 6, 2.0, group="f#1")])
    assert got[0] is known and got[1] is not known


def test_a_speaker_found_from_two_windows_joins_a_close_one_but_a_distinct_one_stays():
    voices = _voices(3, seed=17)
    rng = np.random.default_rng(2)
    turns = _turns([0, 1, 0, 1], voices, [3.0] * 4)
    stray = (voices[0] + 0.9 * voices[2]) / np.linalg.norm(voices[0] + 0.9 * voices[2])  # ~0.7 to voice 0
    turns.append(VoiceTurn(20.0, 21.2, _noisy(stray, rng, 0.05), windows=2))
    assert len({t.speaker for t in cluster(turns)}) == 2  # weak evidence: not a third speaker
    turns[-1] = VoiceTurn(20.0, 21.2, _noisy(voices[2], rng, 0.05), windows=2)
    assert len({t.speaker for t in cluster(turns)}) == 3  # clearly someone else, however briefly
