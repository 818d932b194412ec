"""`mmem eval` on a small question set about the project's own samples (JFK's sentence and a GRID
talker), and every way a question file can be wrong."""

from __future__ import annotations

import json

import pytest

from tests.cli.clirun import ingested, run

QUESTIONS = {"questions": [
    {"id": "j1", "kind": "quote", "q": "ask not what your country can do for you", "source": "jfk.flac",
     "windows": [[0.0, 11.0]]},
    {"id": "g1", "kind": "spoken-letters", "q": "bin blue at f two now", "source": "bbaf2n.mpg",
     "windows": [[0.0, 3.0]]},
    # the truth placed in the other file on purpose: the top moment is JFK, so this is a miss
    {"id": "w1", "kind": "quote", "q": "ask what you can do for your country", "source": "bbaf2n.mpg",
     "windows": [[0.0, 3.0]]},
    {"id": "n1", "kind": "temporal", "q": "what was said right after the toast", "source": "wedding.mp4",
     "windows": [[10.0, 12.0]]},
    {"id": "a1", "kind": "abstain", "q": "when did someone order a pizza"},
]}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """jfk.flac and bbaf2n.mpg, ingested once."""
    from tests.conftest import SAMPLES

    return ingested(tmp_path_factory, "eval", SAMPLES / "jfk.flac", SAMPLES / "bbaf2n.mpg")


@pytest.fixture(scope="module")
def questions(tmp_path_factory):
    path = tmp_path_factory.mktemp("q") / "questions.json"
    path.write_text(json.dumps(QUESTIONS))
    return path


def test_eval_prints_each_question_and_the_metrics_per_kind(db, questions):
    result = run("eval", questions, "--db", db, "--device", "cpu")
    assert result.exit_code == 0, result.output
    ids = ("j1", "g1", "w1", "n1", "a1")
    lines = {ln.split()[0]: ln for ln in result.stdout.splitlines() if ln[:2] in ids}
    assert "HIT" in lines["j1"] and "jfk.flac 0:00:0" in lines["j1"]
    assert "HIT" in lines["g1"] and "bbaf2n.mpg" in lines["g1"]
    assert "miss" in lines["w1"] or "hit@3" in lines["w1"]
    assert "wedding.mp4" in lines["n1"] and "HIT" not in lines["n1"]
    cells = [[c.strip() for c in ln.strip("│").split("│")] for ln in result.stdout.splitlines()
             if ln.startswith("│")]
    rows = {c[0]: c[1:] for c in cells}
    assert list(rows) == ["extraction", "temporal", "abstention", "overall"]
    assert rows["extraction"][:2] == ["3", "2/3"]  # n, hit@1
    assert rows["temporal"][:3] == ["1", "0/1", "0/1"]
    assert rows["abstention"][:3] == ["1", "-", "-"]
    assert rows["overall"][:2] == ["5", "2/4"]
    assert "no source in this memory is 'wedding.mp4'" in result.stderr


def test_eval_json_is_per_question_and_per_group(db, questions):
    result = run("eval", questions, "--db", db, "--json", "-k", "2", "--device", "cpu")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"k", "overall", "groups", "kinds", "questions", "notes"} and data["k"] == 2
    assert list(data["groups"]) == ["extraction", "temporal", "abstention"]
    assert list(data["kinds"]) == ["quote", "spoken-letters", "temporal", "abstain"]  # as in the file
    o = data["overall"]
    assert (o["questions"], o["answerable"], o["unanswerable"], o["hit_at_1"]) == (5, 4, 1, 2)
    assert o["abstained"] in (0, 1) and o["abstention_accuracy"] == o["abstained"]
    assert o["wrong_abstentions"] <= 1  # only the question about a file memory lacks may abstain
    assert 0 < o["latency_p50_s"] <= o["latency_p95_s"]
    assert 0.1 <= o["mean_iou"] <= 0.5  # j1 and g1 overlap their windows; w1 and n1 score 0
    by_id = {q["id"]: q for q in data["questions"]}
    assert by_id["j1"]["verdict"] == "HIT" and by_id["j1"]["iou"] > 0.2
    assert by_id["j1"]["moments"][0]["source"].endswith("jfk.flac") and len(by_id["j1"]["moments"]) <= 2
    assert by_id["w1"]["hit_at_1"] is False and by_id["a1"]["group"] == "abstention"
    assert set(by_id["g1"]) >= {"kind", "group", "q", "source", "windows", "verdict", "abstained", "iou",
                                "seconds", "moments"}


@pytest.mark.parametrize("content, says", [
    ("when did he say it", "not JSON (line 1"),
    ('{"q": "a single question"}', 'needs a "questions" list'),
    ('"a string"', "must be a list of questions"),
    ('[{"q": "a", "source": "jfk.flac", "windows": [[0, 1]]}, {"id": "b", "source": "jfk.flac"}]',
     'question 2 (b): "q" (the question) is missing'),
    ('[{"q": "a", "source": "jfk.flac", "windows": [[0, 1]]}, {"q": "b", "kind": "quote", "windows": []}]',
     'question 2: "source"'),
    ('{"questions": [{"q": "a", "source": "jfk.flac", "windows": "0-11"}]}', 'question 1: "windows" must be'),
    ('[{"q": "a", "source": "jfk.flac", "windows": [[0, 1], [5]]}]', 'question 1: "windows" item 2'),
])
def test_a_malformed_question_file_is_one_line_and_exit_2(tmp_path, content, says):
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run("eval", path, "--db", tmp_path / "none")
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and says in lines[0], result.stderr


def test_a_missing_question_file_or_memory(tmp_path, questions):
    result = run("eval", tmp_path / "nope.json", "--db", tmp_path / "db")
    assert result.exit_code == 2 and "no such file" in result.stderr
    result = run("eval", questions, "--db", tmp_path / "db")
    assert result.exit_code == 2 and "no memory at" in result.stderr
