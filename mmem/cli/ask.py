"""`mmem ask`: answer a question from memory, with times and evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mmem.cli.common import DbOption, JsonOption, db_path, err, handles_errors, out, print_json, source_ids
from mmem.errors import InputError


@handles_errors
def ask(
    question: Annotated[str, typer.Argument(help="What to look for, in words.")],
    k: Annotated[int, typer.Option("-k", "--top", help="How many moments to return.")] = 5,
    source: Annotated[str | None, typer.Option(help="Only search this source: path, file name or id.")] = None,
    min_score: Annotated[float | None, typer.Option(
        help="Keep moments scoring at least this (0-1); default 0.5, the calibrated threshold "
             "below which mmem abstains.")] = None,
    since: Annotated[str | None, typer.Option(help="Only moments after this: a duration ago (10m, 2h) or a time (ISO).")] = None,
    until: Annotated[str | None, typer.Option(help="Only moments before this: a duration ago or a time.")] = None,
    llm: Annotated[str | None, typer.Option(envvar="MMEM_LLM_URL", help="OpenAI-compatible chat endpoint (llama.cpp, Ollama) for a one-sentence cited answer, e.g. http://127.0.0.1:8080.")] = None,
    llm_model: Annotated[str | None, typer.Option(envvar="MMEM_LLM_MODEL", help="Model name the --llm server needs (Ollama).")] = None,
    device: Annotated[str, typer.Option(envvar="MMEM_DEVICE", help="auto | cpu | cuda | cuda:N.")] = "auto",
    server: Annotated[str | None, typer.Option(envvar="MMEM_SERVER", help="Ask this `mmem serve` (http://127.0.0.1:8765); default: the server of this memory when one runs, else ask locally.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Find the moments that match a question; the best evidence first."""
    from mmem.perceive.device import check_device_name

    if not question.strip():
        raise InputError("the question is empty: ask something, e.g. mmem ask \"a red car\"")
    if k < 1:
        raise InputError("-k must be at least 1")
    check_device_name(device)
    from mmem.timeutil import parse_when

    since_t = parse_when(since, "--since") if since else None
    until_t = parse_when(until, "--until") if until else None
    if llm:
        from mmem.recall.llm import endpoint

        endpoint(llm)  # not an http(s) URL: an error before anything is loaded
    served = _from_server(db, server, question, k, source, min_score, since, until)
    if served is not None and json_out and not llm:
        print_json(served)  # the server's `--json`, as is: nothing to load here
        return
    if served is not None:
        from mmem.views.answers import answer_from_json

        result = answer_from_json(served)
    else:
        from mmem.store.memory import Memory

        memory = Memory.open(db_path(db))
        ids = source_ids(memory, source)

        from mmem.recall.answer import build_recall
        from mmem.views.answers import answer_view

        result = answer_view(memory, build_recall(memory, device), question, k=k, source_ids=ids,
                             min_score=min_score, since=since_t, until=until_t)
    if llm:
        from mmem.recall.llm import reword

        if warning := reword(result, llm, model=llm_model):
            err.print(f"[yellow]warning:[/] {escape(warning)}")
    if json_out:
        from mmem.views.answers import answer_json

        print_json(answer_json(result))
        return
    _print(result)


def _from_server(db: str | None, server: str | None, question: str, k: int, source: str | None,
                 min_score: float | None, since: str | None, until: str | None) -> dict | None:
    """The answer (`--json` shape) of a running `mmem serve` (named, or serving this memory),
    or None to ask locally. A named server that does not answer is an error; a discovered one falls back."""
    from mmem.serve import client

    found = client.find(db_path(db), server)
    if found is None:
        return None
    if source is not None and Path(source).exists():
        source = str(Path(source).resolve())  # the server resolves paths from its own directory
    params = {"q": question, "k": k, "source": source, "min_score": min_score, "since": since, "until": until}
    try:
        return client.ask(*found, params)
    except client.Unreachable:
        if server:
            raise
        return None


def _print(result) -> None:
    from rich.table import Table

    from mmem.timeutil import clock

    out.print(result.answer)
    if not result.moments:
        return
    table = Table()
    # the episode (the longer stretch of place, people or topic the moment belongs to: where to
    # look around it) only where the terminal is wide enough not to squeeze what was said
    wide = out.width >= 120
    cols = ("#", "source", "from", "to", *(("episode",) if wide else ()), "score", "said", "keyframe")
    for col in cols:
        table.add_column(col, overflow="fold")
    for i, m in enumerate(result.moments, 1):
        ep = f"{clock(m.episode['start'])}-{clock(m.episode['end'])}" if m.episode else "-"
        table.add_row(str(i), Path(m.source).name, clock(m.start), clock(m.end), *((ep,) if wide else ()),
                      f"{m.score:.3f}",
                      escape((", ".join(m.speakers) + ": " if m.speakers else "") + (m.transcript or "-")),
                      m.keyframe or "-")
    out.print(table)
    if err.is_terminal:
        err.print("[dim]open a keyframe to see the moment; --json for scripts[/]", markup=True)
