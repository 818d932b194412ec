"""Where in a stretch of audio Whisper heard words, as times: the spans of its words, the stretches
of detected speech no word covers (to be heard again), the utterances a second hearing adds,
and speech regions widened over the words at their edges. Word timings are loose, so each
word counts HEARD_SLACK s either side of where Whisper put it.
"""

from __future__ import annotations

from collections.abc import Collection

from mmem.types import Utterance

HEARD_SLACK = 0.3  # seconds either side of a word that count as heard (word timings are loose)
UNHEARD = 0.5  # seconds of detected speech with no word on them that make the window heard again
GROW = 0.5  # seconds: the most that words heard at a speech region's edge widen its speaker turns


def word_spans(heard: list[Utterance]) -> list[tuple[float, float]]:
    """The times words were heard at (an utterance without word timings: its whole span)."""
    out = []
    for u in heard:
        out.extend([(w.start, w.end) for w in u.words] or [(u.start, u.end)])
    return sorted(out)


def heard_spans(heard: list[Utterance]) -> list[tuple[float, float]]:
    """The times words were heard at, each widened by HEARD_SLACK either side (word timings are
    loose), in order."""
    return [(a - HEARD_SLACK, b + HEARD_SLACK) for a, b in word_spans(heard)]


def spoken(span: tuple[float, float], utterances: list[Utterance]) -> float:
    """Seconds of a span during which the ASR heard words (widened: `heard_spans`; a short
    word is often placed a few hundred ms off the sound, so a region read as one word would
    otherwise seem to hold none). Overlapping words count once."""
    total, cursor = 0.0, span[0]
    for a, b in heard_spans(utterances):
        a, b = max(cursor, a, span[0]), min(span[1], b)
        if b > a:
            total += b - a
            cursor = b
    return total


def unheard(regions: list[tuple[float, float]], heard: list[Utterance]) -> list[tuple[float, float]]:
    """Stretches of detected speech at least UNHEARD long that no heard word is near, in order."""
    spans = heard_spans(heard)
    out = []
    for s, e in regions:
        cursor = s
        for a, b in spans:
            if b <= cursor or a >= e:
                continue
            if a - cursor >= UNHEARD:
                out.append((cursor, a))
            cursor = max(cursor, b)
        if e - cursor >= UNHEARD:
            out.append((cursor, e))
    return out


def last_end(heard: list[Utterance], t: float) -> float:
    """The end of the last word heard before `t` (the new window must not hear it twice)."""
    return max((b for a, b in word_spans(heard) if b <= t + HEARD_SLACK), default=float("-inf"))


def next_start(heard: list[Utterance], t: float) -> float:
    """The start of the first word heard after `t` (inf when none)."""
    return min((a for a, b in word_spans(heard) if a >= t - HEARD_SLACK), default=float("inf"))


def fresh(heard: list[Utterance], more: list[Utterance]) -> list[Utterance]:
    """The utterances of `more` that say something new: most of their words at times where no
    word of `heard` was."""
    spans = word_spans(heard)

    def new(u: Utterance) -> bool:
        mine = [(w.start, w.end) for w in u.words] or [(u.start, u.end)]
        old = sum(any(a < (x + y) / 2 < b for a, b in spans) for x, y in mine)
        return old <= len(mine) / 2

    return [u for u in more if new(u)]


def merge_heard(heard: list[Utterance], more: list[Utterance]) -> list[Utterance]:
    """`heard` and what a second hearing adds to it, in time order."""
    return sorted(heard + fresh(heard, more), key=lambda u: u.start)


def grown_regions(regions: list[tuple[float, float]], words: list[tuple[float, float]],
                  lo: float, hi: float, keep: Collection[tuple[float, float]] = (),
                  ) -> dict[tuple[float, float], tuple[float, float]]:
    """Each region widened over the words heard at its edges: a word that starts or ends within
    HEARD_SLACK of an edge, then the words next to it the same way, at most GROW s each side,
    never into a neighbouring region nor outside [lo, hi] (a region that starts before `lo`, the
    end of the turns before it, starts there). Words away from every region (Whisper's guesses
    in silence) widen nothing, and nor do they widen the regions in `keep`."""
    out = {}
    order = sorted(regions)
    backward = sorted(words, key=lambda w: -w[1])  # latest first: a chain reaches back
    forward = sorted(words)  # earliest first: a chain reaches forward
    for i, (s0, e0) in enumerate(order):
        if (s0, e0) in keep:
            continue
        first = max(lo, s0 - GROW, order[i - 1][1] if i else lo)
        last = min(hi, e0 + GROW, order[i + 1][0] if i + 1 < len(order) else hi)
        s, e = s0, e0
        for a, b in backward:
            if a < s and b >= s - HEARD_SLACK:
                s = a
        for a, b in forward:
            if b > e and a <= e + HEARD_SLACK:
                e = b
        s, e = max(lo, min(s0, max(first, s))), max(e0, min(last, e))
        out[(s0, e0)] = (s, e) if e - s >= 0.1 else (s0, e0)
    return out
