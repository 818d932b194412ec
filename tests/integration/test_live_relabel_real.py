"""A live session's speakers with the real speaker model: a meeting-like recording of real
utterances of four people (benchmarks/speaker_mix.py: LibriSpeech voices in tests/data and JFK in
samples/, laid out with known offsets) played as a live microphone, one second at a time, into a
live session. With the older speaker model (Resemblyzer), voices matched turn by turn are
confused; relabelled with the session in view (consolidate/relabel.py), the stored speakers are
the partition the file clustering gives the same turns. With the default model (CAM++) the
session's speakers are right. Scored with pyannote.metrics."""

from __future__ import annotations

import pytest

from benchmarks.live_speakers import SID, hypothesis, play_live
from benchmarks.speaker_mix import build_mix, score
from mmem.consolidate.recorders import live_min_turn
from mmem.perceive.diarize import cluster
from mmem.views.speakers import speaker_turns

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def meeting(tmp_path_factory, people, people_resemblyzer):
    root = tmp_path_factory.mktemp("live-mix")
    reference = build_mix(root / "meeting.wav", seconds=45.0, seed=0)
    weak = people_resemblyzer
    online = play_live(root / "meeting.wav", root / "online", weak, relabel_every=0)  # never relabelled
    settled = play_live(root / "meeting.wav", root / "settled", weak, relabel_every=8)  # the default
    default = play_live(root / "meeting.wav", root / "default", people, relabel_every=8)  # CAM++
    return reference, online, settled, default


def test_relabelling_corrects_the_speakers_matched_turn_by_turn(meeting):
    reference, (online, _, _), (settled, job, _), _ = meeting
    before, after = score(reference, hypothesis(online)), score(reference, hypothesis(settled))
    print(f"live, matched alone: {before}\nlive, relabelled ({job.relabelled} turns): {after}")
    assert len({t.speaker for t in reference}) == 4
    assert before["confusion"] > 0.15  # turn by turn, the voices were confused
    assert job.relabelled > 0
    assert after["speakers"] == 4 and after["confusion"] <= 0.10


def test_the_relabelled_session_has_the_file_clusterings_partition(meeting):
    """The turns the session kept, clustered as a file's are (diarize.cluster), and the speakers
    stored for them (what `transcript`, `entities show` and `ask` read) group them alike."""
    _, _, (settled, _, listener), _ = meeting
    kept = [t for t in listener.track.turns if t.end - t.start >= live_min_turn(t)]
    file_groups: dict[int, set[float]] = {}
    for t in cluster(kept):
        file_groups.setdefault(t.speaker, set()).add(round(t.start, 3))
    live_groups: dict[str, set[float]] = {}
    for t in speaker_turns(settled, [SID]):
        live_groups.setdefault(t.entity, set()).add(round(t.start, 3))
    assert {frozenset(g) for g in live_groups.values()} == {frozenset(g) for g in file_groups.values()}
    voices = {r.id for r in settled.entity_rows() if r.kind == "voice"}
    assert voices == set(live_groups)  # no entity left without a turn, none missing


@pytest.mark.parametrize("which", ["settled", "default"])
def test_transcript_exports_the_corrected_speakers(meeting, tmp_path, which):
    """Both models' sessions export speakers that score well: Resemblyzer's once relabelled,
    CAM++'s as they were matched (relabelling finds little to move)."""
    from typer.testing import CliRunner

    from benchmarks.speaker_mix import read_rttm
    from mmem.cli import app

    reference, _, settled, default = meeting
    memory = (settled if which == "settled" else default)[0]
    res = CliRunner().invoke(app, ["transcript", SID, "--rttm", "--db", str(memory.root)])
    assert res.exit_code == 0, res.output
    (tmp_path / "live.rttm").write_text(res.stdout)
    s = score(reference, read_rttm(tmp_path / "live.rttm"))
    assert s["speakers"] == 4 and s["confusion"] <= 0.10
