"""`mmem events --level`: shots, events and episodes of a real clip whose picture cuts in the
middle of a spoken sentence (the sentence stays in one event), and the hierarchy's invariants
(every shot in one event, every event in one episode, each level tiling the source)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.clirun import ingested, run

ROOT = Path(__file__).resolve().parents[2]
LBAX, PWIJ, SBWE = (ROOT / "tests/data" / f"{n}.mpg" for n in ("lbax4n", "pwij3p", "sbwe5n"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, list[float]]:
    """0-1.5 s lbax4n's face, 1.5-3 s pwij3p's face while lbax4n's sentence goes on (a visual cut
    inside "lay blue at x four now"), then sbwe5n picture and sound from 3 s."""
    from benchmarks.media import splice

    out = tmp_path_factory.mktemp("levels") / "cut_in_sentence.mp4"
    cuts = splice([(LBAX, 1.5), (PWIJ, 1.5), (SBWE, 3.0)], [(LBAX, 3.0), (SBWE, 3.0)], out)
    return out, cuts


@pytest.fixture(scope="module")
def db(tmp_path_factory, clip) -> Path:
    return ingested(tmp_path_factory, "levels-db", clip[0])


def level(db: Path, name: str) -> list[dict]:
    r = run("events", "--level", name, "--json", "--db", db)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["level"] == name
    return out["events"]


def tiles(spans: list[dict], start: float, end: float) -> bool:
    return spans[0]["start"] == pytest.approx(start) and spans[-1]["end"] == pytest.approx(end) and all(
        a["end"] == pytest.approx(b["start"]) for a, b in zip(spans, spans[1:]))


def test_the_visual_cut_is_a_shot_but_the_sentence_stays_in_one_event(db, clip):
    _, cuts = clip
    shots, events = level(db, "shot"), level(db, "event")
    starts = [s["start"] for s in shots]
    for c in cuts:  # each visual cut is a shot boundary at the new shot's first frame
        assert min(abs(s - c) for s in starts) <= 1 / 25 + 1e-3
    bounds = [e["start"] for e in events[1:]]
    assert not any(0.8 < b < 2.4 for b in bounds)  # "lay blue at x four now" is not cut
    assert any(abs(b - cuts[1]) <= 1 / 25 + 1e-3 for b in bounds)  # the new sentence's cut is kept


def test_levels_nest_and_tile_the_source(db):
    shots, events, episodes = level(db, "shot"), level(db, "event"), level(db, "episode")
    end = events[-1]["end"]
    for spans in (shots, events, episodes):
        assert tiles(spans, 0.0, end)
    by_id = {e["id"]: e for e in events}
    eps = {p["id"]: p for p in episodes}
    for s in shots:
        parent = by_id[s["parent"]]
        assert parent["start"] - 1e-6 <= s["start"] and s["end"] <= parent["end"] + 1e-6
    for e in events:
        ep = eps[e["parent"]]
        assert ep["start"] - 1e-6 <= e["start"] and e["end"] <= ep["end"] + 1e-6
    assert all(p["parent"] is None for p in episodes)


def test_a_bad_level_is_a_one_line_error(db):
    r = run("events", "--level", "scene", "--db", db)
    assert r.exit_code != 0 and "--level must be one of shot, event, episode" in r.output
