"""One canonical spelling for transcripts and questions, so either way of saying a thing finds
the other: "k seven" / "K7" / "k 7" -> "k 7"; "nine" / "9" -> "9"; "twenty one" -> "21".

Applied to transcripts when they are stored (the `norm` column, full-text indexed) and to the
question when it is asked. Words of any script are kept (lower-cased); punctuation is dropped.
"""

from __future__ import annotations

import re

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " \
    "fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SMALL = {w: i for i, w in enumerate(_UNITS)} | {"oh": 0}
_TEN = {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_TOKEN = re.compile(r"[^\W\d_]+|\d+")

# Words that carry no content in a question about memory: function words and the scaffolding of
# "when did someone say ...". A question made only of these has nothing to search for.
STOP_WORDS = frozenset("""
a an the and or but if of at by for with about against between into through during to from in
on off over under again then once here there all any both each few more most other some such no
nor not only own same so than too very can will just should now is are was were be been being
have has had having do does did doing i me my myself we our ours you your yours he him his she
her hers it its they them their theirs what which who whom whose this that these those am when
where why how say said says saying tell told mention mentioned mentions talk talked talks talking
speak spoke speaking someone somebody anyone anybody something anything moment time times part
hear heard show shows shown find there's it's that's what's did didn't does doesn't was wasn't
please could would may might must shall let lets let's ever thing things get got s t
""".split())


def tokens(text: str) -> list[str]:
    """The raw tokens of a text: lower-cased words of any script and digit runs, apart."""
    return _TOKEN.findall(text.lower().replace("-", " "))


def spans(raw: list[str]) -> list[tuple[str, int, int]]:
    """Raw tokens -> canonical tokens, each with the first and last raw token it came from:
    number words become digits ("twenty one" -> "21", spanning both words)."""
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(raw):
        tok, lo = raw[i], i
        if tok in _TEN:
            value = _TEN[tok]
            if i + 1 < len(raw) and raw[i + 1] in _SMALL and 0 < _SMALL[raw[i + 1]] < 10:
                value += _SMALL[raw[i + 1]]
                i += 1
            out.append((str(value), lo, i))
        elif tok in _SMALL and tok != "oh":
            out.append((str(_SMALL[tok]), lo, i))
        elif tok == "hundred" and out and out[-1][0].isdigit():
            out[-1] = (str(int(out[-1][0]) * 100), out[-1][1], i)
        else:
            out.append((tok, lo, i))
        i += 1
    return out


def normalize(text: str) -> str:
    """Lower-case words and numbers, digits split from letters, number words as digits."""
    return " ".join(t for t, _, _ in spans(tokens(text)))


def content_words(text: str) -> list[str]:
    """The canonical tokens of a question that carry content, in order, without repeats;
    spelled letters ("B-I-N", "b i n") are joined into the word they spell."""
    seen: list[str] = []
    for tok in join_letters([t for t, _, _ in spans(tokens(text))]):
        if tok not in STOP_WORDS and tok not in seen:
            seen.append(tok)
    return seen


def join_letters(toks: list[str]) -> list[str]:
    """Runs of three or more single letters are a spelled word: ["b", "i", "n"] -> ["bin"]."""
    out: list[str] = []
    run: list[str] = []
    for tok in [*toks, ""]:
        if len(tok) == 1 and tok.isalpha():
            run.append(tok)
            continue
        out.extend(["".join(run)] if len(run) >= 3 else run)
        run = []
        if tok:
            out.append(tok)
    return out
