"""`mmem eval`: ask a question set with known answers of a memory and print how well it does."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from mmem.cli.common import DbOption, JsonOption, db_path, err, handles_errors, out, print_json
from mmem.errors import InputError


@handles_errors
def evaluate(
    questions: Annotated[Path, typer.Argument(help="Question set: JSON list of {id, kind, q, source, windows}.",
                                              show_default=False)],
    k: Annotated[int, typer.Option("-k", "--top", help="Moments asked for per question (hit@k).")] = 3,
    device: Annotated[str, typer.Option(envvar="MMEM_DEVICE", help="auto | cpu | cuda | cuda:N.")] = "auto",
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Score this memory on questions with known answers: hit@1, hit@k, mean IoU, abstention
    and latency per kind of question (extraction, temporal, abstention) and overall."""
    from mmem.evalset import load_questions
    from mmem.perceive.device import check_device_name

    if k < 1:
        raise InputError("-k must be at least 1")
    check_device_name(device)
    qs = load_questions(questions)

    from mmem.recall.answer import build_recall
    from mmem.store.memory import Memory
    from mmem.views.evaluation import eval_view

    memory = Memory.open(db_path(db))
    report = eval_view(memory, build_recall(memory, device), qs, k=k)
    for note in report.notes:
        err.print(f"[yellow]warning:[/] {escape(note)}")
    if json_out:
        print_json(report.to_json())
        return
    _print(report)


def _print(report) -> None:
    from rich.table import Table

    from mmem.timeutil import clock
    from mmem.views.evaluation import source_name, verdict

    for o in report.outcomes:
        q = o.question
        top = f"{source_name(o.top[0])} {clock(o.top[0].start)}-{clock(o.top[0].end)}" if o.top else "nothing"
        truth = f" truth {q.source} {', '.join(f'{a:.1f}-{b:.1f}' for a, b in q.windows)}" if q.answerable else ""
        out.print(f"{escape(q.id):6} {escape(q.kind):11} {verdict(o, report.k):9} {escape(top):30}"
                  f"{escape(truth)}  {escape(repr(q.q))}")
    table = Table()
    for col in ("kind", "n", "hit@1", f"hit@{report.k}", "IoU", "abstained", "wrong", "p50", "p95"):
        table.add_column(col, justify="left" if col == "kind" else "right", no_wrap=True)
    for name, m in [*report.groups.items(), ("overall", report.overall)]:
        table.add_row(name, str(m["questions"]), *_cells(m))
    out.print(table)
    out.print("IoU: top moment vs the truth; abstained: right on unanswerable questions; wrong: "
              "abstained on answerable ones; p50/p95: seconds per question, models loaded once")


def _cells(m: dict[str, Any]) -> list[str]:
    ans, una = m["answerable"], m["unanswerable"]

    def frac(n: int, d: int) -> str:
        return f"{n}/{d}" if d else "-"

    secs = lambda s: "-" if s is None else f"{s:.2f} s"  # noqa: E731
    return [frac(m["hit_at_1"], ans), frac(m["hit_at_k"], ans),
            "-" if m["mean_iou"] is None else f"{m['mean_iou']:.2f}", frac(m["abstained"], una),
            str(m["wrong_abstentions"]) if ans else "-", secs(m["latency_p50_s"]), secs(m["latency_p95_s"])]
