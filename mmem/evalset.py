"""Question sets with known answers, and how an answer is judged against them (`mmem eval`).

A question file is a JSON list of questions, or an object whose "questions" is that list:

    {"id": "q1", "kind": "quote", "q": "when did someone say ...", "source": "day.mp4",
     "windows": [[34.7, 37.7]]}
    {"id": "a1", "kind": "abstain", "q": "when did someone order a pizza"}

An answer HITs when its top moment is in the question's source (matched by file name) and the
moment's midpoint lies in a truth window +-1 s; a question of kind "abstain" is right when the
answer abstains (says so, or has no moments). Kinds are grouped as LongMemEval groups them:
temporal reasoning, abstention, and extraction for every other kind.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from mmem.errors import InputError

TOLERANCE = 1.0  # seconds either side of a truth window that still count as inside it
ABSTAIN_KINDS = frozenset({"abstain", "abstention", "unanswerable", "no-answer", "none"})
TEMPORAL_KINDS = frozenset({"temporal", "temporal-reasoning", "relation", "before", "after", "order"})
GROUPS = ("extraction", "temporal", "abstention")


@dataclass(frozen=True)
class Question:
    number: int  # 1-based position in the file
    id: str
    q: str
    kind: str
    source: str | None = None
    windows: tuple[tuple[float, float], ...] = ()

    @property
    def group(self) -> str:
        return group_of(self.kind)

    @property
    def answerable(self) -> bool:
        return self.group != "abstention"


@dataclass(frozen=True)
class Span:
    """The part of a returned moment that judging needs."""

    source: str
    start: float
    end: float


@dataclass
class Outcome:
    """One question, answered and judged."""

    question: Question
    abstained: bool
    top: list[Span]  # the returned moments, best first
    seconds: float  # time to answer
    hits: list[bool] = field(default_factory=list)  # per returned moment
    iou: float = 0.0  # top moment vs the best truth window

    @property
    def hit1(self) -> bool:
        return bool(self.hits and self.hits[0])

    @property
    def hitk(self) -> bool:
        return any(self.hits)

    @property
    def correct(self) -> bool:
        return self.abstained if not self.question.answerable else self.hit1


def group_of(kind: str) -> str:
    k = kind.strip().lower().replace("_", "-").replace(" ", "-")
    if k in ABSTAIN_KINDS:
        return "abstention"
    if k in TEMPORAL_KINDS or k.startswith("temporal"):
        return "temporal"
    return "extraction"


# --- the file ----------------------------------------------------------------------------------

def load_questions(path: Path) -> list[Question]:
    """The questions of a file; InputError (one line naming the field and the question) when the
    file is not a question set."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read as text ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    return parse_questions(data, str(path))


def parse_questions(data: Any, name: str = "questions") -> list[Question]:
    if isinstance(data, dict):
        if "questions" not in data:
            raise InputError(f'{name}: an object needs a "questions" list (or give the list itself)')
        data = data["questions"]
    if not isinstance(data, list):
        raise InputError(f'{name}: "questions" must be a list of questions, not {type(data).__name__}')
    if not data:
        raise InputError(f"{name}: there are no questions")
    return [_question(item, i, name) for i, item in enumerate(data, 1)]


def _question(item: Any, number: int, name: str) -> Question:
    def bad(why: str) -> InputError:
        label = item.get("id") if isinstance(item, dict) and isinstance(item.get("id"), str) else None
        return InputError(f"{name}: question {number}{f' ({label})' if label else ''}: {why}")

    if not isinstance(item, dict):
        raise bad(f"must be an object with \"q\", not {type(item).__name__}")
    q = item.get("q")
    if q is None:
        raise bad('"q" (the question) is missing')
    if not isinstance(q, str) or not q.strip():
        raise bad('"q" must be a non-empty string')
    kind = item.get("kind", None)
    if kind is not None and not isinstance(kind, str):
        raise bad('"kind" must be a string')
    qid = item.get("id", f"q{number}")
    if not isinstance(qid, (str, int)):
        raise bad('"id" must be a string')
    has_truth = "windows" in item or "source" in item
    kind = kind if kind and kind.strip() else ("extraction" if has_truth else "abstain")
    if group_of(kind) == "abstention":
        if item.get("windows"):
            raise bad(f'"windows": a question of kind "{kind}" has no answer, so no windows')
        return Question(number, str(qid), q, kind)
    source = item.get("source")
    if source is None:
        raise bad('"source" (the file the answer is in) is missing')
    if not isinstance(source, str) or not source.strip():
        raise bad('"source" must be a file name')
    return Question(number, str(qid), q, kind, source.strip(), _windows(item.get("windows"), bad))


def _windows(raw: Any, bad) -> tuple[tuple[float, float], ...]:
    if raw is None:
        raise bad('"windows" (the true time spans, [[start, end], ...] in seconds) is missing')
    if not isinstance(raw, list) or not raw:
        raise bad('"windows" must be a non-empty list of [start, end] pairs in seconds')
    out = []
    for j, w in enumerate(raw, 1):
        ok = isinstance(w, (list, tuple)) and len(w) == 2 and all(_seconds(x) for x in w)
        if not ok or w[0] < 0 or w[1] < w[0]:
            raise bad(f'"windows" item {j} must be [start, end] with 0 <= start <= end seconds, not {w!r}')
        out.append((float(w[0]), float(w[1])))
    return tuple(out)


def _seconds(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


# --- judging -----------------------------------------------------------------------------------

def same_source(moment_source: str, truth: str) -> bool:
    """A moment's source (a path or URI) is the truth's file when it ends with that name."""
    got = PurePosixPath(str(moment_source).replace("\\", "/")).parts
    want = PurePosixPath(truth.replace("\\", "/")).parts
    return bool(want) and tuple(got[-len(want):]) == tuple(want)


def iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else float(a == b)


def judge(question: Question, spans: list[Span], abstained: bool, seconds: float) -> Outcome:
    out = Outcome(question, abstained, spans, seconds)
    if not question.answerable:
        return out
    for s in spans:
        mid = (s.start + s.end) / 2
        out.hits.append(same_source(s.source, question.source or "") and any(
            lo - TOLERANCE <= mid <= hi + TOLERANCE for lo, hi in question.windows))
    if spans and not abstained and same_source(spans[0].source, question.source or ""):
        out.iou = max(iou((spans[0].start, spans[0].end), w) for w in question.windows)
    return out


# --- metrics -----------------------------------------------------------------------------------

def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    v = sorted(values)
    return v[max(0, min(len(v) - 1, math.ceil(p / 100 * len(v)) - 1))]


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    """hit@1, hit@k and mean IoU over the answerable questions; abstentions right on the
    unanswerable ones and wrong on the answerable ones; latency p50/p95. Counts beside rates;
    a rate is None when no question it is about is in the set."""
    ans = [o for o in outcomes if o.question.answerable]
    una = [o for o in outcomes if not o.question.answerable]
    secs = [o.seconds for o in outcomes]

    def rate(n: int, d: int) -> float | None:
        return round(n / d, 4) if d else None

    h1, hk = sum(o.hit1 for o in ans), sum(o.hitk for o in ans)
    ab_ok, wrong = sum(o.abstained for o in una), sum(o.abstained for o in ans)
    p50, p95 = percentile(secs, 50), percentile(secs, 95)
    return {
        "questions": len(outcomes), "answerable": len(ans), "unanswerable": len(una),
        "hit_at_1": h1, "hit_at_k": hk,
        "hit_at_1_rate": rate(h1, len(ans)), "hit_at_k_rate": rate(hk, len(ans)),
        "mean_iou": round(sum(o.iou for o in ans) / len(ans), 4) if ans else None,
        "abstained": ab_ok, "abstention_accuracy": rate(ab_ok, len(una)),
        "wrong_abstentions": wrong,
        "latency_p50_s": None if p50 is None else round(p50, 4),
        "latency_p95_s": None if p95 is None else round(p95, 4),
    }


def grouped(outcomes: list[Outcome], key, order: tuple[str, ...] = GROUPS) -> dict[str, dict[str, Any]]:
    """metrics per group (or kind): names in `order` first, in that order, then the others as
    first seen."""
    names: list[str] = []
    for o in outcomes:
        if key(o) not in names:
            names.append(key(o))
    names.sort(key=lambda n: order.index(n) if n in order else len(order))
    return {n: metrics([o for o in outcomes if key(o) == n]) for n in names}
