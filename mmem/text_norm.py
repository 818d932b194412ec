"""One canonical spelling for transcripts and questions, so either way of saying a thing finds
the other: "k seven" / "K7" / "k 7" -> "k 7"; "nine" / "9" -> "9"; "twenty one" -> "21".

Applied to transcripts when they are stored (the `norm` column, full-text indexed) and to the
question when it is asked.
"""

from __future__ import annotations

import re

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " \
    "fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SMALL = {w: i for i, w in enumerate(_UNITS)} | {"oh": 0, "a": None}  # type: ignore[dict-item]
_SMALL.pop("a")
_TEN = {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_TOKEN = re.compile(r"[a-z]+|\d+")


def _numbers(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _TEN:
            value = _TEN[tok]
            if i + 1 < len(tokens) and tokens[i + 1] in _SMALL and 0 < _SMALL[tokens[i + 1]] < 10:
                value += _SMALL[tokens[i + 1]]
                i += 1
            out.append(str(value))
        elif tok in _SMALL and tok != "oh":
            out.append(str(_SMALL[tok]))
        elif tok == "hundred" and out and out[-1].isdigit():
            out[-1] = str(int(out[-1]) * 100)
        else:
            out.append(tok)
        i += 1
    return out


def normalize(text: str) -> str:
    """Lower-case words and numbers, digits split from letters, number words as digits."""
    tokens = _TOKEN.findall(text.lower().replace("-", " "))
    return " ".join(_numbers(tokens))
