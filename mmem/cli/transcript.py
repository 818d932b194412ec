"""`mmem transcript`: the timed transcript of a source, as text, SRT, WebVTT or JSON."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mmem.cli.common import DbOption, db_path, handles_errors, out, print_json, source_ids
from mmem.errors import InputError


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render(rows: list[dict], fmt: str) -> str:
    if fmt == "srt":
        return "\n".join(f"{i}\n{_stamp(r['start'], ',')} --> {_stamp(r['end'], ',')}\n{r['text']}\n"
                         for i, r in enumerate(rows, 1))
    if fmt == "vtt":
        return "WEBVTT\n\n" + "\n".join(
            f"{_stamp(r['start'], '.')} --> {_stamp(r['end'], '.')}\n{r['text']}\n" for r in rows)
    return "\n".join(f"[{_stamp(r['start'], '.')}] {r['text']}" for r in rows)


@handles_errors
def transcript(
    source: Annotated[str, typer.Argument(help="The source: path, file name or id.")],
    srt: Annotated[bool, typer.Option("--srt", help="SubRip subtitles.")] = False,
    vtt: Annotated[bool, typer.Option("--vtt", help="WebVTT subtitles.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Segments with word timings, as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Print what was said in a source, with times."""
    from mmem.store.memory import Memory

    if srt + vtt + json_out > 1:
        raise InputError("choose one of --srt, --vtt, --json")
    memory = Memory.open(db_path(db))
    ids = source_ids(memory, source)
    if ids is not None and len(ids) > 1:
        raise InputError(f"{source!r} matches {len(ids)} sources: pass a full path or a source id")
    rows = memory.transcripts(ids)
    if json_out:
        print_json({"source": source, "segments": [
            {"start": r["start"], "end": r["end"], "text": r["text"], "language": r["language"],
             "confidence": round(float(r["confidence"]), 4), "event_id": r["event_id"],
             "words": [{"word": w, "start": a, "end": b, "prob": p} for w, a, b, p in json.loads(r["words"] or "[]")]}
            for r in rows]})
        return
    if not rows:
        out.print("no speech was transcribed in this source")
        return
    out.print(render(rows, "srt" if srt else "vtt" if vtt else "text"), markup=False, highlight=False)
