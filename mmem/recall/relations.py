"""Temporal relations in a question, recognised by their wording (see README "Asking about
order"). Anything else is a plain search.

    right after / just after / immediately after / after X      -> the next utterance (or event)
    right before / just before / immediately before / before X  -> the previous one
    the first time X / the last time X                          -> the earliest / latest match of X
    between X and Y                                             -> what lies between X and Y
    at the start / beginning / end of <source>                  -> the first / last utterance of it
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mmem.text_norm import content_words


@dataclass(frozen=True)
class Relation:
    kind: str  # "after" | "before" | "first" | "last" | "between" | "start" | "end"
    anchor: str  # the text of X (or the source name for start / end)
    other: str = ""  # Y, for "between"


_EDGE = re.compile(r"\bat\s+the\s+(start|beginning|end|very start|very end)\s+of\s+(.+)$", re.I)
_BETWEEN = re.compile(r"\bbetween\s+(.+?)\s+and\s+(.+)$", re.I)
_NTH = re.compile(r"\b(?:the\s+)?(first|last)\s+time\s+(.+)$", re.I)
_NEXT = re.compile(r"\b(?:(?:right|just|immediately|directly|straight|shortly|soon)\s+)?"
                   r"(after|before)\s+(.+)$", re.I)
_QUOTES = "\"'“”‘’«»"


def parse(question: str) -> Relation | None:
    """The relation a question asks about, or None for a plain question. The anchor must have
    words of its own ("what came after?" is plain)."""
    q = question.strip().rstrip("?!. ")
    m = _EDGE.search(q)
    if m:
        kind = "start" if m.group(1).lower().endswith(("start", "beginning")) else "end"
        name = m.group(2).strip().strip(_QUOTES)
        name = re.sub(r"^(?:the\s+)?(?:file|video|recording|clip|source)\s+", "", name, flags=re.I)
        return Relation(kind, name)
    m = _BETWEEN.search(q)
    if m and content_words(m.group(1)) and content_words(m.group(2)):
        return Relation("between", _clean(m.group(1)), _clean(m.group(2)))
    m = _NTH.search(q)
    if m and content_words(m.group(2)):
        return Relation(m.group(1).lower(), _clean(m.group(2)))
    m = _NEXT.search(q)
    if m and content_words(m.group(2)):
        return Relation(m.group(1).lower(), _clean(m.group(2)))
    return None


def _clean(text: str) -> str:
    return text.strip().strip(_QUOTES).strip()
