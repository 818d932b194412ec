"""The speech channel: what was said, matched word by word in a way that survives ASR slips.

Each content word of the question is looked for in an utterance: the same word counts 1, the
same stem ("talked" / "talking") 0.85, a near miss (one edit, two for long words, or the same
sound key: "been" / "bin", "read" / "red") 0.7. Numbers and spelled letters meet through
mmem.text_norm ("fifteen" / "15", "K7" / "k seven", "B-I-N" / "bin"). The score, in [0, 1], is
the share of the question's content matched, times a phrase-proximity factor: matched words close
together count fully, one word of several matched alone counts 0.8. The matched words' timings
give the span of the moment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from mmem.store.rows import UtteranceRow
from mmem.text_norm import join_letters, spans, tokens

STEM = 0.85
NEAR = 0.7
LONE = 0.8  # the factor for one matched word of a several-word question (no phrase)
PHRASE = 0.1  # the share of the score that the question's word order decides
CONTEXT = 0.4  # seconds of speech kept either side of the matched words


@dataclass(frozen=True)
class Match:
    score: float  # calibrated, 0..1
    start: float  # span of the matched words (with a little context), on the source clock
    end: float
    core: tuple[float, float] = (0.0, 0.0)  # the matched words alone, without the context


def utterance_tokens(row: UtteranceRow) -> list[tuple[str, float, float]]:
    """Canonical tokens of an utterance, each with its time (word timings when stored, else the
    utterance's span shared out evenly)."""
    words = json.loads(row.words) if row.words else []
    raw: list[str] = []
    at: list[tuple[float, float]] = []
    if words:
        for w in words:
            for t in tokens(str(w[0])):
                raw.append(t)
                at.append((float(w[1]), float(w[2])))
    else:
        raw = tokens(row.text)
        step = (row.end - row.start) / max(1, len(raw))
        at = [(row.start + i * step, row.start + (i + 1) * step) for i in range(len(raw))]
    out = [(t, at[lo][0], at[hi][1]) for t, lo, hi in spans(raw)]
    return _join_spelled(out)


def _join_spelled(toks: list[tuple[str, float, float]]) -> list[tuple[str, float, float]]:
    joined = join_letters([t for t, _, _ in toks])
    if len(joined) == len(toks):
        return toks
    out, i = [], 0
    for word in joined:
        n = len(word) if len(word) > 1 and all(len(t) == 1 for t, _, _ in toks[i:i + len(word)]) \
            and "".join(t for t, _, _ in toks[i:i + len(word)]) == word else 1
        out.append((word, toks[i][1], toks[i + n - 1][2]))
        i += n
    return out


def match(question: list[str], row: UtteranceRow, phrase: list[str] | None = None) -> Match | None:
    """How well an utterance holds the question's content words; None when not at all.
    `phrase`, the question's every token, orders utterances that hold the same content words:
    the share of it found in order (stop words included) is worth the last tenth of the score."""
    if not question:
        return None
    toks = utterance_tokens(row)
    best: list[tuple[float, int]] = []
    for q in question:
        w, pos = 0.0, -1
        for i, (t, _, _) in enumerate(toks):
            s = word_weight(q, t)
            if s > w:
                w, pos = s, i
                if s == 1.0:
                    break
        best.append((w, pos))
    found = [(w, p) for w, p in best if w > 0]
    if not found:
        return None
    coverage = sum(w for w, _ in found) / len(question)
    asked = [phrase.index(q) for (w, _), q in zip(best, question) if w > 0 and phrase and q in phrase]
    spread = max(asked) - min(asked) + 1 if asked else 0  # how far apart the question has them
    score = coverage * _proximity([p for _, p in found], len(question), spread)
    if phrase:
        score *= 1 - PHRASE + PHRASE * _in_order(phrase, [t for t, _, _ in toks]) / len(phrase)
    lo = min(toks[p][1] for _, p in found)
    hi = max(toks[p][2] for _, p in found)
    end = min(row.end, hi + CONTEXT) if row.end > row.start else hi + CONTEXT
    return Match(round(score, 4), max(row.start, lo - CONTEXT), end, (lo, hi))


class Matcher:
    """One question matched against many utterances: an utterance none of whose words could
    match is skipped before its word timings are read (most are, in a large memory)."""

    def __init__(self, words: list[str], phrase: list[str] | None = None):
        self.words, self.phrase = words, phrase
        self._ok: dict[str, bool] = {}
        self._numbers = any(w.isdigit() and int(w) >= 20 for w in words)  # said in several words
        self._initials = {w[0] for w in words if len(w) >= 3}  # a word may be spelled out

    def could(self, token: str) -> bool:
        ok = self._ok.get(token)
        if ok is None:
            canon = spans([token])[0][0]
            ok = (len(token) == 1 and token in self._initials) or (self._numbers and canon.isdigit()) \
                or any(word_weight(q, canon) > 0 for q in self.words)
            self._ok[token] = ok
        return ok

    def match(self, row: UtteranceRow) -> Match | None:
        if not any(self.could(t) for t in _RAW.findall(row.text.lower())):
            return None
        return match(self.words, row, self.phrase)


_RAW = re.compile(r"[^\W\d_]+|\d+")


def _in_order(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def _proximity(positions: list[int], asked: int, spread: int = 0) -> float:
    if asked == 1:
        return 1.0
    if len(positions) == 1:
        return LONE
    window = max(positions) - min(positions) + 1
    # a few words between the matched ones are still a phrase, and as many as the question has
    slack = max(2 * len(positions) + 2, spread + 2)
    return 1.0 if window <= slack else LONE + (1 - LONE) * slack / window


@lru_cache(maxsize=200_000)
def word_weight(q: str, t: str) -> float:
    """How much utterance token `t` counts as question word `q`: 1, STEM, NEAR or 0."""
    if q == t:
        return 1.0
    if q.isdigit() or t.isdigit() or min(len(q), len(t)) < 3:
        return 0.0
    common = 0
    for a, b in zip(q, t):
        if a != b:
            break
        common += 1
    if common >= 4 and common >= max(len(q), len(t)) - 3:
        return STEM
    d = _distance(q, t, 2)
    if (d == 1 and min(len(q), len(t)) >= 4) or (d == 2 and min(len(q), len(t)) >= 7):
        return NEAR
    if q[0] == t[0] and sound_key(q) == sound_key(t) and abs(len(q) - len(t)) <= 2 and _tail(q) == _tail(t):
        return NEAR
    return 0.0


_CODES = {c: d for d, letters in enumerate(("aeiouyhw", "bfpv", "cgjkqsxz", "dt", "l", "mn", "r"))
          for c in letters}


def _tail(word: str) -> int:
    """The sound class of a word's last letter (a silent final e dropped): "white" and "with"
    share a sound key but not an ending; "white" and "weight" share both."""
    w = word[:-1] if len(word) > 3 and word.endswith("e") else word
    return _CODES.get(w[-1], -1) if w[-1] not in "hw" else -2


def sound_key(word: str) -> str:
    """Soundex-like: the first letter, then consonant classes with repeats and vowels dropped."""
    word = word.replace("gh", "").replace("ph", "f") or word
    out, last = word[0], _CODES.get(word[0], -1)
    for c in word[1:]:
        code = _CODES.get(c, -1)
        if code > 0 and code != last:
            out += str(code)
        if c not in "hw":
            last = code
    return out[:5]


def _distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance, or cap + 1 once it exceeds cap."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > cap:
            return cap + 1
        prev = cur
    return prev[-1]
