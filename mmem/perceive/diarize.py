"""Who spoke when: speech split at speaker changes, and the turns of a whole file clustered
into speakers.

Both thresholds come from the same/different-speaker cosine distributions of Resemblyzer
embeddings on the LibriSpeech and JFK recordings in tests/data (1.6 s windows, 0.5 s hop),
taken where the two kinds of error are equal (equal error rate):
- two windows pooled either side of a point: same speaker mean 0.79 (5th pct 0.68), different
  mean 0.47 (95th pct 0.63): a change where they agree less than CHANGE_COS = 0.65;
- turns of one file: average linkage over turn embeddings, merged while the clusters agree at
  least CLUSTER_COS = 0.72, the equal-error point of turns pooled over 4-5 windows (2-2.5 s, a
  typical turn: same 0.84-0.86, different 0.51, 95th pct 0.66-0.67).
The equal-error point falls as less speech is pooled (POOL_COS): a speaker found from only a few
windows is weaker evidence, so such a small cluster still joins its nearest neighbour when they
agree at the point for its own pool size. Turns shorter than MIN_CLUSTER seconds say too little
to found a speaker: they join the nearest speaker found from the longer ones.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mmem.perceive.voices import VoiceTurn

CHANGE_COS = 0.65
CLUSTER_COS = 0.72
POOL_COS = {1: 0.615, 2: 0.65, 3: 0.685}  # equal-error cosine by windows pooled (measured as above)
MIN_CLUSTER = 1.0  # seconds: a turn at least this long may found a speaker
MIN_SEGMENT = 1.0  # seconds between two speaker changes (a shorter turn is no evidence)
SIDE = 2  # windows pooled either side of a candidate change


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / (np.linalg.norm(v) + 1e-9)).astype(np.float32)


def changes(emb: np.ndarray, spans: list[tuple[float, float]], threshold: float = CHANGE_COS,
            min_gap: float = MIN_SEGMENT) -> list[float]:
    """Times (in the windows' clock) where the speaker changes: at each window start t, the
    SIDE windows that end by t and the SIDE that start at t or later are pooled; where they agree
    less than `threshold`, the speaker changed between them (at most one change per `min_gap`)."""
    if len(emb) < 2:
        return []
    starts = np.array([s for s, _ in spans])
    ends = np.array([e for _, e in spans])
    cands: list[tuple[float, float]] = []  # (time, cosine)
    for t in starts[1:]:
        left = np.flatnonzero(ends <= t + 1e-6)[-SIDE:]
        right = np.flatnonzero(starts >= t - 1e-6)[:SIDE]
        if len(left) == 0 or len(right) == 0:
            continue
        cos = float(_unit(emb[left].mean(axis=0)) @ _unit(emb[right].mean(axis=0)))
        gap = (ends[left[-1]] + starts[right[0]]) / 2 if ends[left[-1]] < starts[right[0]] else t
        cands.append((gap, cos))
    # while the change lies between the pools, consecutive candidates all disagree (for about a
    # window's length): one run of them is one change, placed at its middle
    runs: list[list[float]] = []
    prev_low = False
    for t, c in cands:
        low = c < threshold
        if low and prev_low:
            runs[-1].append(t)
        elif low:
            runs.append([t])
        prev_low = low
    out: list[float] = []
    for run in runs:
        t = (run[0] + run[-1]) / 2
        if not out or t - out[-1] >= min_gap:
            out.append(t)
    return out


def split_turns(emb: np.ndarray, spans: list[tuple[float, float]], region: tuple[float, float],
                threshold: float = CHANGE_COS) -> list[VoiceTurn]:
    """One speech region as speaker turns: cut at the changes, each turn's embedding pooled
    over the windows mostly inside it. Turns tile the region exactly."""
    if len(emb) == 0:
        return []
    s, e = region
    cuts = [t for t in changes(emb, spans, threshold) if s + 0.2 < t < e - 0.2]
    bounds = [s, *cuts, e]
    mids = np.array([(a + b) / 2 for a, b in spans])
    out = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        inside = np.flatnonzero((mids >= a) & (mids < b))
        if inside.size == 0:  # a short stretch: the window nearest it speaks for it
            inside = np.array([int(np.argmin(np.abs(mids - (a + b) / 2)))])
        out.append(VoiceTurn(a, b, _unit(emb[inside].mean(axis=0)), windows=int(inside.size)))
    return out


def cluster(turns: list[VoiceTurn], threshold: float = CLUSTER_COS,
            min_len: float = MIN_CLUSTER) -> list[VoiceTurn]:
    """The turns of one file labelled with speakers 0, 1, ... (in order of first speech):
    average-linkage clustering of the turns at least `min_len` long, merged while the clusters'
    mean cosine is at least `threshold`; shorter turns join the nearest speaker (weighted by
    time). Deterministic: the same turns give the same labels."""
    if not turns:
        return []
    long_ = [i for i, t in enumerate(turns) if t.end - t.start >= min_len] or \
        [max(range(len(turns)), key=lambda i: turns[i].end - turns[i].start)]
    x = np.stack([turns[i].embedding for i in long_]).astype(np.float64)
    if len(long_) == 1:
        raw = np.zeros(1, int)
    else:
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import pdist

        z = linkage(pdist(x, "cosine").clip(0.0, 2.0), method="average")
        raw = _absorb_small(x, fcluster(z, t=1.0 - threshold, criterion="distance") - 1,
                            np.array([turns[i].windows for i in long_]))
    weights = np.array([turns[i].end - turns[i].start for i in long_])
    centres = np.stack([_unit((x[raw == k] * weights[raw == k, None]).sum(axis=0))
                        for k in range(int(raw.max()) + 1)])
    labels = np.full(len(turns), -1)
    labels[long_] = raw
    for i, t in enumerate(turns):
        if labels[i] < 0:
            labels[i] = int(np.argmax(centres @ t.embedding))
    order: dict[int, int] = {}  # speakers numbered by first speech
    for lab in labels:
        order.setdefault(int(lab), len(order))
    return [replace(t, speaker=order[int(lab)]) for t, lab in zip(turns, labels, strict=True)]


def _absorb_small(x: np.ndarray, raw: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Clusters pooled over fewer windows than POOL_COS knows (weak evidence) join the nearest
    cluster (average cosine) when they agree at the equal-error point of their own pool size;
    labels renumbered 0..k-1."""
    raw = raw.copy()
    sim = x @ x.T
    while True:
        labs = sorted(set(raw.tolist()))
        sizes = {k: int(windows[raw == k].sum()) for k in labs}
        small = [k for k in labs if sizes[k] in POOL_COS and len(labs) > 1]
        best = None
        for k in small:
            for j in labs:
                if j != k:
                    c = float(sim[np.ix_(raw == k, raw == j)].mean())
                    if c >= POOL_COS[sizes[k]] and (best is None or c > best[0]):
                        best = (c, k, j)
        if best is None:
            break
        raw[raw == best[1]] = best[2]
    _, out = np.unique(raw, return_inverse=True)
    return out


def speakers(turns: list[VoiceTurn]) -> dict[int, tuple[np.ndarray, float]]:
    """Each labelled speaker's voice (the time-weighted mean of its turns) and seconds spoken."""
    out: dict[int, tuple[np.ndarray, float]] = {}
    for k in sorted({t.speaker for t in turns if t.speaker >= 0}):
        mine = [t for t in turns if t.speaker == k]
        w = np.array([t.end - t.start for t in mine])
        out[k] = (_unit((np.stack([t.embedding for t in mine]) * w[:, None]).sum(axis=0)), float(w.sum()))
    return out
