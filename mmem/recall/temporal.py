"""Temporal relations resolved: find the anchor moment(s) of X, then return the neighbouring
speech (or event) of the same source. See mmem.recall.relations for the phrasings."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mmem.recall.lexical import utterance_tokens, word_weight
from mmem.recall.moments import MERGE_MARGIN, Hit, merge
from mmem.recall.relations import Relation
from mmem.store.rows import UtteranceRow
from mmem.text_norm import normalize

if TYPE_CHECKING:
    from mmem.recall.answer import Search

MIN_REST = 3  # words left in the anchor's utterance that make the neighbour (else the next one)


def resolve(search: Search, rel: Relation, threshold: float) -> list[Hit] | str | None:
    """Hits for a relation; a string saying what memory lacks; None to fall back to plain search."""
    if rel.kind in ("start", "end"):
        return _edge(search, rel)
    anchors = _anchors(search, rel.anchor, threshold)
    if not anchors:
        return None
    if rel.kind in ("first", "last"):
        order = {s.id: i for i, s in enumerate(search.memory.sources())}
        anchors.sort(key=lambda h: (order.get(h.source_id, 0), h.start))
        pick = anchors[0] if rel.kind == "first" else anchors[-1]
        _label(pick, pick, f"the {rel.kind} of {len(anchors)} times")
        return [pick]
    if rel.kind in ("after", "before"):
        close = [a for a in anchors[:3] if a.score >= anchors[0].score - MERGE_MARGIN]
        out = [n for a in close if (n := _neighbour(search, a, rel)) is not None]
        if out:
            return out
        edge = "last" if rel.kind == "after" else "first"  # X found, but nothing on that side of it
        return f'"{close[0].text or rel.anchor}" is the {edge} thing remembered in its source.'

    others = _anchors(search, rel.other, threshold)
    for x in anchors:
        for y in others:
            first, second = (x, y) if x.start <= y.start else (y, x)
            if first.source_id == second.source_id and first is not second:
                return [_between(search, first, second)]
    return None


def _anchors(search: Search, text: str, threshold: float) -> list[Hit]:
    return [h for h in merge(search.hits(text), threshold) if h.score >= threshold]


def _label(hit: Hit, anchor: Hit, how: str) -> None:
    hit.evidence = {ch: (s, f'{how}: "{t or anchor.text or ch}"') for ch, (s, t) in anchor.evidence.items()}


def _own(search: Search, hit: Hit) -> tuple[list[UtteranceRow], int]:
    """The utterances of the hit's source and the index of the one it lies in (-1: none)."""
    rows = [u for u in search.utterances if u.source_id == hit.source_id]
    mid = (hit.start + hit.end) / 2
    at = next((i for i, u in enumerate(rows) if u.start - 0.05 <= mid <= u.end + 0.05), -1)
    return rows, at


def _neighbour(search: Search, anchor: Hit, rel: Relation) -> Hit | None:
    after = rel.kind == "after"
    rows, at = _own(search, anchor) if anchor.speech else ([], -1)
    if at < 0:
        return _event_neighbour(search, anchor, rel)
    row = rows[at]
    lo, hi = _core(row, rel.anchor) or anchor.core or (anchor.start, anchor.end)
    rest = _next_clause(json.loads(row.words) if row.words else [], lo, hi, after)
    if rest:
        hit = Hit(row.source_id, row.event_id, float(rest[0][1]), float(rest[-1][2]), speech=True,
                  text=" ".join(str(w[0]).strip() for w in rest))
    else:
        step = 1 if after else -1
        taken = []
        j = at + step
        while 0 <= j < len(rows) and sum(len(u.text.split()) for u in taken) < MIN_REST:
            taken.append(rows[j])  # "OK.", "And...": a filler joins the utterance beyond it
            j += step
        if not taken:
            return None
        taken.sort(key=lambda u: u.start)
        hit = Hit(taken[0].source_id, taken[0 if after else -1].event_id, float(taken[0].start),
                  float(taken[-1].end), text=" ".join(u.text for u in taken), speech=True)
    _label(hit, anchor, rel.kind)
    return hit


def _next_clause(words: list, lo: float, hi: float, after: bool) -> list:
    """The clause (split at . , ; ? !) after the one where the anchor ends, or before the one
    where it starts, inside one utterance; at least MIN_REST words (clauses join); [] if none."""
    clauses: list[list] = [[]]
    for w in words:
        clauses[-1].append(w)
        if str(w[0]).strip()[-1:] in ".,;?!":
            clauses.append([])
    clauses = [c for c in clauses if c]
    if after:
        at = next((i for i, c in enumerate(clauses) if c[-1][2] >= hi - 0.01), len(clauses))
        rest = [w for c in clauses[at + 1:] for w in c]
        return rest[:max(MIN_REST, len(clauses[at + 1]) if at + 1 < len(clauses) else 0)] \
            if len(rest) >= MIN_REST else []
    at = next((i for i, c in enumerate(clauses) if c[-1][2] > lo + 0.01), 0)
    before = clauses[:at]
    out: list = []
    while before and len(out) < MIN_REST:
        out = before.pop() + out
    return out


def _core(row: UtteranceRow, anchor: str) -> tuple[float, float] | None:
    """The times of the anchor's words aligned in the utterance (stop words too), when at least
    half of them line up; None otherwise."""
    want = normalize(anchor).split()
    toks = utterance_tokens(row)
    if not want or not toks:
        return None
    best, at = 0, 0
    for i in range(-len(want) + 1, len(toks)):
        hits = sum(1 for j, w in enumerate(want)
                   if 0 <= i + j < len(toks) and word_weight(w, toks[i + j][0]) > 0)
        if hits > best:
            best, at = hits, i
    if best * 2 < len(want):
        return None
    inside = [toks[i] for i in range(max(0, at), min(len(toks), at + len(want)))]
    return inside[0][1], inside[-1][2]


def _event_neighbour(search: Search, anchor: Hit, rel: Relation) -> Hit | None:
    events = sorted(search.memory.events([anchor.source_id]), key=lambda e: e.seq)
    at = next((i for i, e in enumerate(events) if e.id == anchor.event_id), -1)
    j = at + (1 if rel.kind == "after" else -1)
    if at < 0 or not 0 <= j < len(events):
        return None
    e = events[j]
    hit = Hit(e.source_id, e.id, float(e.start), float(e.end), text=e.transcript)
    _label(hit, anchor, rel.kind)
    return hit


def _between(search: Search, first: Hit, second: Hit) -> Hit:
    """The utterances between the two anchors' utterances; when those are the same or next to
    each other, the words between the anchors."""
    rows, a = _own(search, first)
    _, b = _own(search, second)
    if a >= 0 and b > a + 1:
        inside = rows[a + 1:b]
        lo, hi = float(inside[0].start), float(inside[-1].end)
    else:
        lo = (first.core or (first.start, first.end))[1]
        hi = (second.core or (second.start, second.end))[0]
        inside = [u for u in rows if u.end > lo and u.start < hi]
    text = " ".join(u.text for u in inside) or None
    event = inside[0].event_id if inside else first.event_id
    hit = Hit(first.source_id, event, lo, max(hi, lo), text=text, speech=True)
    _label(hit, first, "between")
    for ch, (s, t) in second.evidence.items():
        hit.add(ch, s, f'between: "{t or second.text or ch}"')
    return hit


def _edge(search: Search, rel: Relation) -> list[Hit] | str:
    """The first / last utterance (else event) of the source the question names."""
    name = rel.anchor.lower().strip()
    runs = search.memory.visible_runs()
    named = [s for s in runs.values() if _names(name, s.uri)]
    if search.source_ids is not None:
        named = [s for s in named if s.id in search.source_ids]
    if not named:
        return f"no source in memory is called {rel.anchor!r}."
    out = []
    for s in named:
        rows = [u for u in search.utterances if u.source_id == s.id]
        if rows:
            u = rows[0] if rel.kind == "start" else max(rows, key=lambda r: r.end)
            hit = Hit(s.id, u.event_id, float(u.start), float(u.end), text=u.text, speech=True)
        else:
            events = sorted(search.memory.events([s.id]), key=lambda e: e.seq)
            if not events:
                continue
            e = events[0] if rel.kind == "start" else events[-1]
            hit = Hit(s.id, e.id, float(e.start), float(e.end), text=e.transcript)
        hit.add("speech" if hit.speech else "vision", 1.0, f"the {rel.kind} of {s.uri.rsplit('/', 1)[-1]}")
        out.append(hit)
    return out or f"{rel.anchor!r} holds nothing to show."


def _names(name: str, uri: str) -> bool:
    """Whether a source's file name is what the question calls it ("jfk.flac", "jfk", "the jfk")."""
    file = uri.rsplit("/", 1)[-1].lower()
    stem = file.rsplit(".", 1)[0]
    name = name.removeprefix("the ").strip()
    return bool(name) and (name in (file, stem) or normalize(name) == normalize(stem))
