"""Each speaker model's operating points: the cosines at which two stretches of speech count as
one speaker, at the scales diarization and entities compare them. Measured, not guessed:
`python -m benchmarks.voice_calibration <model>` prints the same/different-speaker distributions
on the LibriSpeech speakers in tests/data/voices and JFK, and each point below is the
equal-error point of one row of its table (where as many same-speaker pairs fall below as
different-speaker pairs reach it).

Those recordings were made apart. Inside one file (one room, one microphone) different speakers
sound more alike: on the tight mixes of benchmarks.speakers, near and across a room, the unit
centres of four real speakers' clusters agree at 0.23-0.60 (utterances recorded apart: 0.14, p95
0.27). A rule that compares the clusters of one file must be measured on such files, not
borrowed from the table (a test of "this cluster is two others' overlapped speech" placed from
separate recordings dissolved a real speaker there).

The models are told apart by their vectors' size (CAM++ 192, Resemblyzer 256), the one thing an
entity's stored centre, a live turn and a file's window all carry.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Calibration:
    model: str
    window: float | None  # one window against another; set: a file's windows are clustered directly
    distinct: float  # how much windows of different speakers agree on average
    change: float  # 2 pooled windows either side of a point: below it the speaker changed there
    cluster: float  # turns pooled over about 4 windows: average-linkage merge point
    pool: dict[int, float]  # the equal-error point by windows pooled (weaker evidence, lower point)
    entity: float  # a speaker heard over whole utterances against a voice entity's centre
    live_min_turn: float  # seconds: a live turn matched on its own (no file-wide speaker) needs this


# CAM++ (1.5 s windows every 0.24 s). Table: window same 0.65 (p5 0.50) / different 0.10 (p95
# 0.26), EER 0.3% at 0.348; 2 windows 0.67 / 0.11, 0.1% at 0.372; 4 windows 0.70 / 0.11, 0.1% at
# 0.380; utterances 0.86 (p5 0.77) / 0.14 (p95 0.27), no error between 0.27 and 0.77: 0.53. Live,
# a turn of 1 s (under one window) is matched on its own: on the live bench's five mixes
# (benchmarks.live_speakers) relabelled DER 12-21% with 1.0 s against 20-28% with 1.5 s, the
# same 4 voices and 0-2.5% confusion (0.5 s: 10-17%, but up to 8 voices between relabels)
CAMPPLUS = Calibration("campplus", window=0.35, distinct=0.10, change=0.37, cluster=0.38,
                       pool={1: 0.35, 2: 0.37, 3: 0.38}, entity=0.53, live_min_turn=1.0)
# Resemblyzer (1.6 s windows every 0.5 s). Table: window 0.74 (p5 0.63) / 0.45 (p95 0.61), EER
# 3.6% at 0.619; 2 windows 2.6% at 0.651; 4 windows 1.0% at 0.704 (turns of 4-5 windows, 2-2.5
# s: 0.72); utterances 0.92 (p5 0.89) / 0.57 (p95 0.72): 0.80
RESEMBLYZER = Calibration("resemblyzer", window=None, distinct=0.45, change=0.65, cluster=0.72,
                          pool={1: 0.615, 2: 0.65, 3: 0.685}, entity=0.80, live_min_turn=1.5)
BY_DIM = {192: CAMPPLUS, 256: RESEMBLYZER}


def calibration(dim: int) -> Calibration:
    """The operating points of the model whose vectors have `dim` entries (Resemblyzer's for a
    size no model here makes: the older default)."""
    return BY_DIM.get(int(dim), RESEMBLYZER)
