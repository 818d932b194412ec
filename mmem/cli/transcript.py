"""`mmem transcript`: the timed transcript of a source, as text, SRT, WebVTT or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mmem.cli.common import DbOption, db_path, handles_errors, out, said_briefly, source_ids
from mmem.errors import InputError

if TYPE_CHECKING:
    from mmem.views.timeline import Segment


def _stamp(seconds: float, sep: str) -> str:
    ms = int(round(max(0.0, seconds) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def render(segments: list[Segment], fmt: str) -> str:
    if fmt == "srt":
        return "\n".join(f"{i}\n{_stamp(s.start, ',')} --> {_stamp(s.end, ',')}\n{s.text}\n"
                         for i, s in enumerate(segments, 1))
    if fmt == "vtt":
        return "WEBVTT\n\n" + "\n".join(
            f"{_stamp(s.start, '.')} --> {_stamp(s.end, '.')}\n{s.text}\n" for s in segments)
    return "\n".join(f"[{_stamp(s.start, '.')}] {s.text}" for s in segments)


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
    from mmem.views.timeline import transcript_view

    if srt + vtt + json_out > 1:
        raise InputError("choose one of --srt, --vtt, --json")
    memory = Memory.open(db_path(db))
    ids = source_ids(memory, source)
    if ids is not None and len(ids) > 1:
        raise InputError(f"{source!r} matches {len(ids)} sources: pass a full path or a source id")
    view = transcript_view(memory, source, ids)
    if said_briefly(view, json_out, empty=not view.segments, message="no speech was transcribed in this source"):
        return
    out.print(render(view.segments, "srt" if srt else "vtt" if vtt else "text"), markup=False, highlight=False)
