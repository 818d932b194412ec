"""Question files for `mmem eval`: what a well-formed one means, and one line naming the field and
the question for each way a file can be wrong."""

from __future__ import annotations

import json

import pytest

from mmem.errors import InputError
from mmem.evalset import Span, grouped, judge, load_questions, metrics, parse_questions, same_source

GOOD = [
    {"id": "j1", "kind": "quote", "q": "ask not what your country", "source": "jfk.flac",
     "windows": [[0, 11]]},
    {"id": "t1", "kind": "temporal", "q": "what was said right after", "source": "jfk.flac",
     "windows": [[2.5, 4], [8, 9.5]]},
    {"id": "x1", "kind": "made-up-kind", "q": "bin blue", "source": "clips/bbaf2n.mpg", "windows": [[0, 3]]},
    {"id": "a1", "kind": "abstain", "q": "when did someone order a pizza"},
]


def test_a_list_or_an_object_with_questions(tmp_path):
    for data in (GOOD, {"sources": {}, "questions": GOOD}):
        path = tmp_path / "q.json"
        path.write_text(json.dumps(data))
        qs = load_questions(path)
        assert [q.id for q in qs] == ["j1", "t1", "x1", "a1"]
        assert [q.group for q in qs] == ["extraction", "temporal", "extraction", "abstention"]
        assert qs[1].windows == ((2.5, 4.0), (8.0, 9.5)) and qs[3].source is None


def test_kind_and_id_are_optional():
    qs = parse_questions([{"q": "a", "source": "x.mp4", "windows": [[1, 2]]}, {"q": "b"}])
    assert [(q.id, q.group) for q in qs] == [("q1", "extraction"), ("q2", "abstention")]


@pytest.mark.parametrize("data, says", [
    ({"items": []}, 'needs a "questions" list'),
    ("just text", "must be a list of questions"),
    ([], "there are no questions"),
    ([GOOD[0], "q?"], "question 2: must be an object"),
    ([GOOD[0], {"id": "b", "kind": "quote", "source": "x.mp4", "windows": [[0, 1]]}], 'question 2 (b): "q"'),
    ([{"q": "   ", "source": "x.mp4", "windows": [[0, 1]]}], 'question 1: "q" must be a non-empty'),
    ([GOOD[0], GOOD[1], {"q": "a", "kind": "quote", "windows": [[0, 1]]}], 'question 3: "source"'),
    ([{"q": "a", "kind": "quote", "source": "x.mp4"}], '"windows" (the true time spans'),
    ([{"q": "a", "source": "x.mp4", "windows": [0, 1]}], '"windows" item 1 must be [start, end]'),
    ([{"q": "a", "source": "x.mp4", "windows": [[3, 1]]}], '"windows" item 1'),
    ([{"q": "a", "source": "x.mp4", "windows": [[0, 1], [1, "2"]]}], '"windows" item 2'),
    ([{"q": "a", "source": "x.mp4", "windows": []}], '"windows" must be a non-empty list'),
    ([{"q": "a", "kind": "abstain", "windows": [[0, 1]]}], 'question 1: "windows": a question of kind'),
    ([{"q": "a", "kind": 3}], '"kind" must be a string'),
])
def test_a_malformed_file_names_the_field_and_the_question(data, says):
    with pytest.raises(InputError) as exc:
        parse_questions(data, "q.json")
    assert says in str(exc.value) and str(exc.value).startswith("q.json") and "\n" not in str(exc.value)


def test_not_json_or_missing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('[{"q": "a",')
    with pytest.raises(InputError, match=r"bad.json: not JSON \(line 1"):
        load_questions(bad)
    with pytest.raises(InputError, match="no such file"):
        load_questions(tmp_path / "none.json")


def test_source_matches_by_file_name():
    assert same_source("/home/me/media/jfk.flac", "jfk.flac")
    assert same_source("s3://bucket/clips/bbaf2n.mpg", "clips/bbaf2n.mpg")
    assert not same_source("/media/not_jfk.flac", "jfk.flac")
    assert not same_source("/other/bbaf2n.mpg", "clips/bbaf2n.mpg")


def test_a_hit_is_the_midpoint_in_a_window_within_a_second():
    q = parse_questions(GOOD)[1]  # windows 2.5-4 and 8-9.5 in jfk.flac
    inside = judge(q, [Span("/m/jfk.flac", 4.0, 6.8)], False, 0.1)  # midpoint 5.4 > 4 + 1
    assert not inside.hit1
    near = judge(q, [Span("/m/jfk.flac", 4.0, 5.8), Span("/m/jfk.flac", 8, 9)], False, 0.1)  # 4.9
    assert near.hit1 and near.hitk and near.correct
    assert near.iou == 0.0  # a hit within the tolerance that overlaps no window
    assert judge(q, [Span("/m/jfk.flac", 3, 5)], False, 0.1).iou == pytest.approx(1 / 2.5)  # vs 2.5-4
    third = judge(q, [Span("/m/bbaf2n.mpg", 8, 9), Span("/m/jfk.flac", 20, 21), Span("/m/jfk.flac", 8, 9)],
                  False, 0.1)
    assert not third.hit1 and third.hitk and third.iou == 0.0  # wrong source at the top


def test_metrics_per_group_and_overall():
    qs = parse_questions(GOOD)
    outcomes = [
        judge(qs[0], [Span("/m/jfk.flac", 0, 11)], False, 0.2),  # hit, IoU 1
        judge(qs[1], [], True, 0.4),  # wrongly abstained
        judge(qs[2], [Span("/m/jfk.flac", 0, 3), Span("/x/clips/bbaf2n.mpg", 0, 3)], False, 0.3),  # hit@2
        judge(qs[3], [], True, 0.1),  # rightly abstained
    ]
    m = metrics(outcomes)
    counts = ("answerable", "hit_at_1", "hit_at_k", "abstained", "wrong_abstentions")
    assert [m[c] for c in counts] == [3, 1, 2, 1, 1]
    assert m["mean_iou"] == pytest.approx(1 / 3, abs=1e-3) and m["abstention_accuracy"] == 1.0
    assert (m["latency_p50_s"], m["latency_p95_s"]) == (0.2, 0.4)
    groups = grouped(outcomes, lambda o: o.question.group)
    assert list(groups) == ["extraction", "temporal", "abstention"]
    assert groups["temporal"]["hit_at_1_rate"] == 0.0 and groups["temporal"]["abstention_accuracy"] is None
    assert groups["abstention"]["hit_at_1_rate"] is None and groups["abstention"]["mean_iou"] is None
