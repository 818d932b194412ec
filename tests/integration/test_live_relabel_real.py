"""A live session's speakers with the real speaker model: a meeting-like recording of real
utterances of four people (benchmarks/speaker_mix.py: LibriSpeech voices in tests/data and JFK in
samples/, laid out with known offsets) played as a live microphone, one second at a time, into a
live session. Matched turn by turn, voices are confused; relabelled with the session in view
(consolidate/relabel.py), the stored speakers are the partition the file clustering gives the
same turns. Scored with pyannote.metrics."""

from __future__ import annotations

import pytest

from benchmarks.live_speakers import SID, hypothesis, play_live
from benchmarks.speaker_mix import build_mix, score
from mmem.consolidate.recorders import LIVE_MIN_TURN
from mmem.perceive.diarize import cluster
from mmem.views.speakers import speaker_turns

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def meeting(tmp_path_factory, people):
    root = tmp_path_factory.mktemp("live-mix")
    reference = build_mix(root / "meeting.wav", seconds=45.0, seed=0)
    online = play_live(root / "meeting.wav", root / "online", people, relabel_every=0)  # never relabelled
    settled = play_live(root / "meeting.wav", root / "settled", people, relabel_every=8)  # the default
    return reference, online, settled


def test_relabelling_corrects_the_speakers_matched_turn_by_turn(meeting):
    reference, (online, _, _), (settled, job, _) = meeting
    before, after = score(reference, hypothesis(online)), score(reference, hypothesis(settled))
    print(f"live, matched alone: {before}\nlive, relabelled ({job.relabelled} turns): {after}")
    assert len({t.speaker for t in reference}) == 4
    assert before["confusion"] > 0.15  # turn by turn, the voices were confused
    assert job.relabelled > 0
    assert after["speakers"] == 4 and after["confusion"] <= 0.10


def test_the_relabelled_session_has_the_file_clusterings_partition(meeting):
    """The turns the session kept, clustered as a file's are (diarize.cluster), and the speakers
    stored for them (what `transcript`, `entities show` and `ask` read) group them alike."""
    _, _, (settled, _, listener) = meeting
    kept = [t for t in listener.track.turns if t.end - t.start >= LIVE_MIN_TURN]
    file_groups: dict[int, set[float]] = {}
    for t in cluster(kept):
        file_groups.setdefault(t.speaker, set()).add(round(t.start, 3))
    live_groups: dict[str, set[float]] = {}
    for t in speaker_turns(settled, [SID]):
        live_groups.setdefault(t.entity, set()).add(round(t.start, 3))
    assert {frozenset(g) for g in live_groups.values()} == {frozenset(g) for g in file_groups.values()}
    voices = {r.id for r in settled.entity_rows() if r.kind == "voice"}
    assert voices == set(live_groups)  # no entity left without a turn, none missing


def test_transcript_exports_the_corrected_speakers(meeting, tmp_path):
    from typer.testing import CliRunner

    from benchmarks.speaker_mix import read_rttm
    from mmem.cli import app

    reference, _, (settled, _, _) = meeting
    res = CliRunner().invoke(app, ["transcript", SID, "--rttm", "--db", str(settled.root)])
    assert res.exit_code == 0, res.output
    (tmp_path / "live.rttm").write_text(res.stdout)
    s = score(reference, read_rttm(tmp_path / "live.rttm"))
    assert s["speakers"] == 4 and s["confusion"] <= 0.10
