"""Who spoke when: speech split at speaker changes, and the speech of a whole file clustered
into speakers.

The cosines that decide come from each speaker model's calibration (mmem.perceive.voice_calibration:
equal-error points of same/different-speaker pairs on the LibriSpeech and JFK recordings in
tests/data, at the scale each decision compares):
- a change inside speech: two windows pooled either side of a point agree less than `change`;
- a file, with a model whose windows tell speakers apart (CAM++: one window of one speaker
  against another of a different one, 0.3% equal error): every window of the file's speech is
  clustered (average linkage, merged while clusters agree at least `window`), so a change of
  speaker inside continuous speech is found by whom each window sounds like, not by a change
  detector; a speaker founded on fewer than MIN_WINDOWS windows (about 3 s of speech) is weak
  evidence and its windows go to the nearest speaker, unless it is as unlike every other as
  different speakers are on average (`distinct`); each turn is then cut where its windows'
  speakers change (`_cluster_windows`);
- a file with the older model (Resemblyzer: 3.6% equal error per window), and a live session's
  turns (which keep no windows): turns are clustered (average linkage over turn embeddings,
  merged while clusters agree at least `cluster`, the equal-error point of turns pooled over 4-5
  windows). The equal-error point falls as less speech is pooled (`pool`): a speaker found from
  only a few windows is weaker evidence, so such a small cluster still joins its nearest neighbour
  when they agree at the point for its own pool size. Turns shorter than MIN_CLUSTER seconds say
  too little to found a speaker: they join the nearest speaker found from the longer ones.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from mmem.perceive.voice_calibration import Calibration, calibration
from mmem.perceive.voices import VoiceTurn

MIN_CLUSTER = 1.0  # seconds: a turn at least this long may found a speaker
MIN_SEGMENT = 1.0  # seconds between two speaker changes (a shorter turn is no evidence)
SIDE = 2  # windows pooled either side of a candidate change
MIN_WINDOWS = 8  # windows (every 0.24 s: about 3 s of speech) that may found a file's speaker
MIN_RUN = 0.5  # seconds: a shorter stretch of one speaker's windows inside a turn is noise
MAX_WINDOWS = 3000  # windows clustered at once (a 3000 x 3000 distance matrix, ~36 MB); beyond,
# neighbouring windows of a turn are pooled in groups first, and every window takes the speaker
# its own embedding is nearest


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / (np.linalg.norm(v) + 1e-9)).astype(np.float32)


def changes(emb: np.ndarray, spans: list[tuple[float, float]], threshold: float | None = None,
            min_gap: float = MIN_SEGMENT) -> list[float]:
    """Times (in the windows' clock) where the speaker changes: at each window start t, the
    SIDE windows that end by t and the SIDE that start at t or later are pooled; where they agree
    less than `threshold`, the speaker changed between them (at most one change per `min_gap`)."""
    if len(emb) < 2:
        return []
    if threshold is None:
        threshold = calibration(emb.shape[1]).change
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
                threshold: float | None = None) -> list[VoiceTurn]:
    """One speech region as speaker turns: cut at the changes, each turn's embedding pooled
    over the windows mostly inside it (which it keeps, with their midpoints, for the file's
    window clustering). Turns tile the region exactly."""
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
        out.append(VoiceTurn(a, b, _unit(emb[inside].mean(axis=0)), windows=int(inside.size),
                             parts=emb[inside].astype(np.float32), part_times=mids[inside]))
    return out


def cluster(turns: list[VoiceTurn], threshold: float | None = None,
            min_len: float = MIN_CLUSTER) -> list[VoiceTurn]:
    """The turns of one file labelled with speakers 0, 1, ... (in order of first speech).
    With a model calibrated per window and turns that kept their windows, the windows are
    clustered and turns re-cut where their speaker changes (`_cluster_windows`); otherwise one
    label per turn (the same turns come back): average-linkage clustering of the turns at least
    `min_len` long, merged while the clusters' mean cosine is at least `threshold` (default: the
    model's); shorter turns join the nearest speaker (weighted by time). Deterministic: the same
    turns give the same labels."""
    if not turns:
        return []
    cal = calibration(turns[0].embedding.shape[0])
    if cal.window is not None and threshold is None and all(t.parts is not None for t in turns):
        return _cluster_windows(turns, cal)
    threshold = cal.cluster if threshold is None else threshold
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
                            np.array([turns[i].windows for i in long_]), cal.pool)
    weights = np.array([turns[i].end - turns[i].start for i in long_])
    centres = np.stack([_unit((x[raw == k] * weights[raw == k, None]).sum(axis=0))
                        for k in range(int(raw.max()) + 1)])
    labels = np.full(len(turns), -1)
    labels[long_] = raw
    for i, t in enumerate(turns):
        if labels[i] < 0:
            labels[i] = int(np.argmax(centres @ t.embedding))
    return _numbered([replace(t, speaker=int(lab)) for t, lab in zip(turns, labels, strict=True)])


def _cluster_windows(turns: list[VoiceTurn], cal: Calibration) -> list[VoiceTurn]:
    """A file's speech clustered window by window: average linkage over all windows, merged
    while clusters agree at least `cal.window`; clusters of fewer than MIN_WINDOWS windows give
    their windows to the nearest speaker (each window then takes the speaker whose centre it is
    nearest); each turn is cut where its windows' speakers change (stretches shorter than MIN_RUN
    go to the speaker before them), and touching turns of one speaker are joined again."""
    x = np.concatenate([t.parts for t in turns if t.parts is not None and len(t.parts)])
    if len(x) == 0:
        return _numbered([replace(t, speaker=0, parts=None, part_times=None) for t in turns])
    centres = _window_speakers(x.astype(np.float64), cal, turns)
    out: list[VoiceTurn] = []
    for t in turns:
        if t.parts is None or len(t.parts) == 0:  # a short stretch: the nearest speaker
            out.append(replace(t, speaker=int(np.argmax(centres @ t.embedding)), parts=None, part_times=None))
            continue
        labels = np.argmax(t.parts.astype(np.float64) @ centres.T, axis=1)
        out.extend(_runs(t, labels))
    return _numbered(_joined(out))


def _window_speakers(x: np.ndarray, cal: Calibration, turns: list[VoiceTurn]) -> np.ndarray:
    """The unit centres of the speakers the windows `x` cluster into (at least one). A cluster of
    fewer than MIN_WINDOWS windows is weak evidence (windows that straddle a change of speaker
    form such clusters): it founds a speaker only when it is as unlike every larger one as
    different speakers' windows are on average (`cal.distinct`); otherwise its windows go to the
    nearest speaker."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    group = max(1, -(-len(x) // MAX_WINDOWS))  # neighbouring windows pooled in groups of this many
    if group > 1:
        pooled = []
        for t in turns:
            if t.parts is not None:
                pooled.extend(_unit(t.parts[i:i + group].astype(np.float64).mean(axis=0))
                              for i in range(0, len(t.parts), group))
        x = np.stack(pooled)
    if len(x) == 1:
        return _unit(x[0])[None].astype(np.float64)
    z = linkage(pdist(x, "cosine").clip(0.0, 2.0), method="average")
    raw = fcluster(z, t=1.0 - (cal.window or 0.0), criterion="distance") - 1
    sizes = np.bincount(raw)
    big = [k for k in range(len(sizes)) if sizes[k] * group >= MIN_WINDOWS] or [int(np.argmax(sizes))]
    # two clusters' mean pairwise cosine is the dot product of their mean vectors: no n x n matrix
    means = np.stack([x[raw == k].mean(axis=0) for k in range(len(sizes))])
    for k in sorted(set(range(len(sizes))) - set(big), key=lambda k: -sizes[k]):
        if all(float(means[k] @ means[j]) < cal.distinct for j in big):
            big.append(k)
    centres = np.stack([_unit(x[raw == k].mean(axis=0)) for k in big]).astype(np.float64)
    # the small clusters' windows go to the nearest big centre: the centres are recomputed once
    # over all windows so that each speaker's centre is the mean of what it was given
    nearest = np.argmax(x @ centres.T, axis=1)
    return np.stack([_unit(x[nearest == k].mean(axis=0)) if (nearest == k).any() else centres[k]
                     for k in range(len(big))]).astype(np.float64)


def _runs(t: VoiceTurn, labels: np.ndarray) -> list[VoiceTurn]:
    """Turn `t` cut where the speakers of its windows (in time order) change: each cut halfway
    between the two windows' midpoints; a stretch shorter than MIN_RUN joins the one before it
    (or after it, at the start)."""
    assert t.parts is not None and t.part_times is not None
    order = np.argsort(t.part_times, kind="stable")
    mids, labels, parts = t.part_times[order], labels[order], t.parts[order]
    runs: list[list[int]] = [[0]]
    for j in range(1, len(labels)):
        if labels[j] == labels[runs[-1][0]]:
            runs[-1].append(j)
        else:
            runs.append([j])
    cuts = [float(np.clip((mids[r[0] - 1] + mids[r[0]]) / 2, t.start, t.end)) for r in runs[1:]]
    bounds = [t.start, *cuts, t.end]
    pieces = [(bounds[i], bounds[i + 1], r) for i, r in enumerate(runs)]
    merged: list[tuple[float, float, list[int]]] = []
    for a, b, r in pieces:
        if merged and (b - a < MIN_RUN or labels[merged[-1][2][0]] == labels[r[0]]):
            merged[-1] = (merged[-1][0], b, merged[-1][2] + r)
        else:
            merged.append((a, b, r))
    if len(merged) > 1 and merged[0][1] - merged[0][0] < MIN_RUN:  # a short first stretch
        (a, _, r0), (_, b, r1) = merged[0], merged[1]
        merged[:2] = [(a, b, r0 + r1)]
    out = []
    for a, b, r in merged:
        mine = parts[r].astype(np.float64)
        k = np.bincount(labels[r]).argmax()
        out.append(VoiceTurn(a, b, _unit(mine.mean(axis=0)), windows=len(r), speaker=int(k),
                             tentative=t.tentative))
    return out


def _joined(turns: list[VoiceTurn]) -> list[VoiceTurn]:
    """Touching turns of one speaker as one (their embeddings pooled by windows)."""
    out: list[VoiceTurn] = []
    for t in sorted(turns, key=lambda t: t.start):
        p = out[-1] if out else None
        if p is not None and p.speaker == t.speaker and abs(p.end - t.start) < 1e-6:
            e = _unit(p.embedding * p.windows + t.embedding * t.windows)
            out[-1] = VoiceTurn(p.start, t.end, e, windows=p.windows + t.windows, speaker=t.speaker,
                                tentative=p.tentative and t.tentative)
        else:
            out.append(t)
    return out


def confirmed(turns: list[VoiceTurn]) -> list[VoiceTurn]:
    """Clustered turns less the tentative ones whose speaker never speaks in a turn that is not
    (someone heard saying words, or vouched for by the confident detector): a voice is someone
    who talks; music, tones and noise near talk are no one. Speakers renumbered; the tentative
    turns kept still say so."""
    talkers = {t.speaker for t in turns if not t.tentative}
    return _numbered([t for t in turns if not t.tentative or t.speaker in talkers])


def _numbered(turns: list[VoiceTurn]) -> list[VoiceTurn]:
    """Speakers renumbered 0, 1, ... in order of first speech (turns in time order)."""
    order: dict[int, int] = {}
    for t in sorted(turns, key=lambda t: t.start):
        order.setdefault(t.speaker, len(order))
    return [replace(t, speaker=order[t.speaker]) for t in turns]


def _absorb_small(x: np.ndarray, raw: np.ndarray, windows: np.ndarray,
                  pool_cos: dict[int, float]) -> np.ndarray:
    """Clusters pooled over fewer windows than `pool_cos` knows (weak evidence) join the nearest
    cluster (average cosine) when they agree at the equal-error point of their own pool size;
    labels renumbered 0..k-1."""
    raw = raw.copy()
    sim = x @ x.T
    while True:
        labs = sorted(set(raw.tolist()))
        sizes = {k: int(windows[raw == k].sum()) for k in labs}
        small = [k for k in labs if sizes[k] in pool_cos and len(labs) > 1]
        best = None
        for k in small:
            for j in labs:
                if j != k:
                    c = float(sim[np.ix_(raw == k, raw == j)].mean())
                    if c >= pool_cos[sizes[k]] and (best is None or c > best[0]):
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
