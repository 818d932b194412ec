"""Answers find the moment: utterance spans, ASR-proof matching, relations, abstention, bad input.
A small memory written row by row (no models): two sources, their events and utterances with
word timings, as ingest stores them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmem.errors import InputError
from mmem.recall.answer import Recall, ask
from mmem.recall.moments import Hit, merge
from mmem.recall.relations import parse
from mmem.store.memory import Memory
from mmem.store.rows import SourceRow, UtteranceRow
from mmem.text_norm import content_words
from mmem.types import EventRecord

MEETING = [  # (event seq, start, end, text)
    (0, 2.0, 5.0, "Good morning everyone, let us begin."),
    (0, 6.0, 9.5, "The budget for next quarter is fifteen thousand."),
    (0, 10.0, 13.0, "We need 15 hours of design work."),
    (1, 31.0, 34.0, "Place the bin red by K7 now."),
    (1, 35.0, 38.0, "Set weight with E five again."),
    (1, 40.0, 44.0, "The code word is spelled B-R-A-V-O."),
    (2, 61.0, 64.0, "Thanks everyone, that is all for today."),
]
LECTURE = [(0, 5.0, 7.0, "The budget for next quarter is approved.")]
DAY = [(0, 68.7, 70.7, "The horizon seems extremely distant."), (0, 70.76, 70.88, "And..."),
       (0, 75.2, 77.2, "Set blue with E5 now.")]


def _words(text: str, start: float, end: float) -> str:
    parts = text.split()
    step = (end - start) / len(parts)
    return json.dumps([[f" {w}", round(start + i * step, 2), round(start + (i + 1) * step, 2), 0.9]
                       for i, w in enumerate(parts)])


def _add(mem: Memory, sid: str, uri: str, said: list, n_events: int) -> None:
    mem.put_source(SourceRow(id=sid, uri=uri, kind="file", status="complete", run="r",
                             channels=["asr"], skipped=[], model_ids=[]))
    events = [EventRecord(id=f"{sid}-r-{i:05d}", source_id=sid, seq=i, start=30.0 * i, end=30.0 * (i + 1),
                          started_at=None, vector=None, centroids=None,
                          centroid_weights=np.array([1], np.float32),
                          centroid_times=np.array([1.0], np.float32), surprise=0.0, keyframes=[],
                          n_frames=1) for i in range(n_events)]
    mem.add_events(events, "r")
    rows = [UtteranceRow(id=f"{sid}-r-{seq:05d}-u{i:03d}", source_id=sid, event_id=f"{sid}-r-{seq:05d}",
                         start=s, end=e, text=t, norm=t.lower(), words=_words(t, s, e), language="en",
                         confidence=0.9) for i, (seq, s, e, t) in enumerate(said)]
    mem.add_transcripts(rows, "r", dim=4)


@pytest.fixture(scope="module")
def mem(tmp_path_factory):
    memory = Memory.open(tmp_path_factory.mktemp("recall") / "db", create=True)
    memory.ensure_dim(4)
    _add(memory, "meet", "/media/meeting.mp4", MEETING, 3)
    _add(memory, "talk", "/media/lecture.mp4", LECTURE, 1)
    _add(memory, "day", "/media/day.mp4", [(2, *u[1:]) for u in DAY], 3)
    return memory


def top(mem, question, **kw):
    answer = ask(mem, Recall(), question, **kw)
    assert answer.moments, answer.answer
    return answer.moments[0]


def said(m) -> str:
    return m.transcript or ""


def test_a_speech_hit_is_the_utterance_not_the_event(mem):
    m = top(mem, "when did someone need fifteen hours of design work")
    assert m.event_id == "meet-r-00000" and m.source.endswith("meeting.mp4")
    assert 10.0 - 1 <= m.start and m.end <= 13.0 + 1 and m.end - m.start < 30  # not the 30 s event
    assert m.evidence[0]["channel"] == "speech" and 0.5 <= m.evidence[0]["score"] <= 1.0
    assert "design" in m.evidence[0]["text"]


def test_the_span_is_trimmed_to_the_matching_words(mem):
    m = top(mem, "next quarter")
    assert 6.0 <= m.start and m.end <= 9.5 and m.end - m.start < 3.5
    assert "quarter" in said(m)


@pytest.mark.parametrize("question, needle", [
    ("15 hours", "15 hours"), ("fifteen hours of design", "15 hours"),  # numbers both ways
    ("the budget fifteen thousand", "budget"),
    ("bin red by k seven", "K7"), ("place the bin red by K 7", "K7"),
    ("spelled bravo", "B-R-A-V-O"), ("B R A V O", "B-R-A-V-O"),  # spelled letters
])
def test_numbers_and_letters_are_found_either_way(mem, question, needle):
    assert needle in said(top(mem, question))


@pytest.mark.parametrize("question, needle", [
    ("been read by k seven", "K7"),  # "bin red": a near miss by sound
    ("set white with e five", "Set weight"),  # "white" / "weight"
    ("the budgets for next quarter", "budget"),  # a stem
])
def test_near_miss_words_are_found_with_a_penalty(mem, question, needle):
    m = top(mem, question)
    assert needle in said(m) and m.score < 1.0


def test_unrelated_questions_abstain(mem):
    for question in ("a recipe for pancakes", "who won the football match", "東京はどこですか"):
        answer = ask(mem, Recall(), question)
        assert answer.abstained and answer.moments == [] and "Nothing in memory matches" in answer.answer


def test_min_score_overrides_the_threshold(mem):
    weak = "the budget pancakes syrup"  # one content word of three: below the threshold
    assert ask(mem, Recall(), weak).abstained
    assert "budget" in said(top(mem, weak, min_score=0.1))
    assert ask(mem, Recall(), "next quarter", min_score=1.01).abstained


@pytest.mark.parametrize("question, needle", [
    ("what was said right after the budget for next quarter", "15 hours"),
    ("what did they say just before we need 15 hours of design", "budget"),
    ("what came after place the bin red by K7", "Set weight"),
    ("before thanks everyone that is all for today", "B-R-A-V-O"),
])
def test_right_after_and_just_before_return_the_neighbour(mem, question, needle):
    m = top(mem, question)
    assert needle in said(m) and m.source.endswith("meeting.mp4")
    assert m.evidence and m.evidence[0]["text"].startswith(("after", "before"))


def test_first_and_last_time(mem):
    assert top(mem, "the first time the budget for next quarter came up").source.endswith("meeting.mp4")
    assert top(mem, "the last time the budget for next quarter came up").source.endswith("lecture.mp4")


def test_between_two_moments(mem):
    m = top(mem, "what was said between good morning everyone and 15 hours of design")
    assert "budget" in said(m) and 5.0 <= m.start and m.end <= 10.5


def test_start_and_end_of_a_source(mem):
    assert "Good morning" in said(top(mem, "what was said at the start of meeting.mp4"))
    assert "Thanks everyone" in said(top(mem, "what did they say at the end of the meeting"))
    missing = ask(mem, Recall(), "what was said at the end of holiday.mp4")
    assert missing.abstained and "holiday.mp4" in missing.answer


def test_nothing_after_the_last_words_is_said_not_the_words_themselves(mem):
    answer = ask(mem, Recall(), "what was said right after thanks everyone that is all for today")
    assert answer.abstained and answer.moments == []
    assert "last thing remembered" in answer.answer and "Thanks everyone" in answer.answer
    first = ask(mem, Recall(), "what was said just before good morning everyone let us begin")
    assert first.abstained and "first thing remembered" in first.answer


def test_an_anchor_memory_lacks_falls_back_to_plain_search(mem):
    answer = ask(mem, Recall(), "what happened right after the fireworks")
    assert answer.abstained  # nothing about fireworks: no neighbour of noise


@pytest.mark.parametrize("question, match", [
    ("", "empty"), ("   ", "empty"), ("what did he say?", "no word to search for"),
    ("x" * 10_000, "characters long"),
])
def test_bad_questions_are_input_errors(mem, question, match):
    with pytest.raises(InputError, match=match):
        ask(mem, Recall(), question)


def test_a_person_memory_does_not_know_is_not_an_answer(mem):
    assert ask(mem, Recall(), "what did Zebulon Frobisher say").abstained


def test_adjacent_hits_merge_only_when_both_are_relevant():
    def hit(start, score):
        h = Hit("s", "s-e0", start, start + 2.0, text=f"at {start}", speech=True)
        h.add("speech", score)
        return h

    both = merge([hit(0.0, 0.9), hit(2.5, 0.8)], 0.5)
    assert len(both) == 1 and (both[0].start, both[0].end) == (0.0, 4.5)
    one = merge([hit(0.0, 0.9), hit(2.5, 0.3)], 0.5)
    assert len(one) == 2 and one[0].score == 0.9


def test_phrasings_of_relations():
    assert parse("what was said right after the toast").kind == "after"
    assert parse("just before she left?").kind == "before"
    assert parse("the first time someone laughed").kind == "first"
    assert parse("between the toast and the speech").other == "the speech"
    edge = parse("What happened at the end of the video dev_day.mp4?")
    assert (edge.kind, edge.anchor) == ("end", "dev_day.mp4")
    assert parse("what is the capital of France") is None
    assert parse("what came after?") is None  # no anchor of its own


def test_content_words_drop_the_scaffolding():
    assert content_words("When did someone mention the budget?") == ["budget"]
    assert content_words("spelled B-I-N") == ["spelled", "bin"]
    assert content_words("twenty one pilots") == ["21", "pilots"]


def test_a_filler_next_to_the_anchor_joins_the_utterance_beyond_it(mem):
    m = top(mem, "what was said just before set blue with e five now")
    assert m.source.endswith("day.mp4") and "horizon" in said(m) and m.start <= 68.7 and m.end <= 71.0


def test_the_json_contract_says_abstained_and_why_each_moment(mem):
    from mmem.views.answers import answer_json

    none = answer_json(ask(mem, Recall(), "a recipe for pancakes"))
    assert none["abstained"] is True and none["moments"] == [] and "Nothing in memory" in none["answer"]
    found = answer_json(ask(mem, Recall(), "15 hours of design"))
    assert found["abstained"] is False
    m = found["moments"][0]
    assert set(m) == {"event_id", "source", "start", "end", "started_at", "score", "transcript",
                      "entities", "speakers", "keyframe", "evidence", "episode"}
    said = "We need 15 hours of design work."
    assert m["evidence"] == [{"channel": "speech", "score": m["score"], "text": said}]


def test_a_large_memory_is_narrowed_by_full_text_search_first(mem, monkeypatch):
    """Past MAX_SCAN utterances the lexical channel reads only BM25's candidates (the table's
    full-text index), not every utterance: the same moments come back."""
    import mmem.recall.answer as answer

    scanned = {q: top(mem, q) for q in ("when did someone need fifteen hours of design work",
                                         "bin red by k seven")}
    monkeypatch.setattr(answer, "MAX_SCAN", 2)
    read = []
    monkeypatch.setattr(type(mem), "transcripts", lambda self, *a, **k: read.append(1) or [])
    for q, m in scanned.items():
        narrowed = top(mem, q)
        assert (narrowed.source, narrowed.transcript) == (m.source, m.transcript)
        assert abs(narrowed.start - m.start) < 1.0
    assert not read  # no full scan of the transcripts


def test_a_moment_names_the_episode_around_it_and_an_old_source_has_none(mem):
    from mmem.store.rows import SpanRow
    from mmem.views.answers import answer_from_json, answer_json

    # the meeting's hierarchy: events 0-1 in one episode (0-60 s), event 2 in the next
    eps = [SpanRow("meet-r-e0", "meet", 0, 0.0, 60.0, "episode"),
           SpanRow("meet-r-e1", "meet", 1, 60.0, 90.0, "episode")]
    evs = [SpanRow(f"meet-r-{i:05d}", "meet", i, 30.0 * i, 30.0 * (i + 1), "event", f"meet-r-e{int(i == 2)}")
           for i in range(3)]
    mem.add_spans(eps + evs, "r")
    answer = ask(mem, Recall(), "thanks everyone that is all for today")
    m = answer.moments[0]
    assert m.source.endswith("meeting.mp4") and m.episode == {"id": "meet-r-e1", "start": 60.0, "end": 90.0}
    assert answer_from_json(json.loads(json.dumps(answer_json(answer)))).moments[0].episode == m.episode
    lecture = ask(mem, Recall(), "the budget for next quarter is approved", source_ids=["talk"]).moments[0]
    assert lecture.episode is None  # ingested before the hierarchy: no spans
