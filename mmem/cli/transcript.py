"""`mmem transcript`: the timed transcript of a source, as text, SRT, WebVTT or JSON."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mmem.cli.common import DbOption, db_path, handles_errors, out, said_briefly, source_ids
from mmem.errors import InputError

if TYPE_CHECKING:
    from mmem.views.speakers import SpeakerTurn
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
    return "\n".join(f"[{_stamp(s.start, '.')}] {s.speaker + ': ' if s.speaker else ''}{s.text}"
                     for s in segments)


def rttm(turns: list[SpeakerTurn], file_id: str) -> str:
    """Speaker turns in NIST RTTM (one SPEAKER line per turn; names without spaces)."""
    fid = "_".join(file_id.split()) or "source"
    return "".join(f"SPEAKER {fid} 1 {t.start:.3f} {t.end - t.start:.3f} <NA> <NA> "
                   f"{'_'.join(t.label.split())} <NA> <NA>\n" for t in turns)


@handles_errors
def transcript(
    source: Annotated[str, typer.Argument(help="The source: path, file name or id.")],
    srt: Annotated[bool, typer.Option("--srt", help="SubRip subtitles.")] = False,
    vtt: Annotated[bool, typer.Option("--vtt", help="WebVTT subtitles.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Segments with word timings and speakers, as JSON.")] = False,
    rttm_out: Annotated[bool, typer.Option("--rttm", help="Who spoke when, as NIST RTTM (score it with "
                                                        "any diarization tool).")] = False,
    db: DbOption = None,
) -> None:
    """Print what was said in a source, with times and who said it."""
    from pathlib import Path

    from mmem.store.memory import Memory
    from mmem.views.speakers import speaker_turns
    from mmem.views.timeline import transcript_view

    if srt + vtt + json_out + rttm_out > 1:
        raise InputError("choose one of --srt, --vtt, --json, --rttm")
    memory = Memory.open(db_path(db))
    ids = source_ids(memory, source)
    if ids is not None and len(ids) > 1:
        raise InputError(f"{source!r} matches {len(ids)} sources: pass a full path or a source id")
    if rttm_out:
        if ids is None:
            raise InputError("--rttm needs one source: pass its path, file name or id")
        turns = speaker_turns(memory, ids)
        if not turns:
            raise InputError(f"no voices were recorded in {source!r}: ingest it with entities on "
                             "(the default; not --no-entities)")
        uri = next((s.uri for s in memory.sources() if s.id == ids[0]), source)
        typer.echo(rttm(turns, Path(uri).stem), nl=False)  # plain: a console would wrap long lines
        return
    view = transcript_view(memory, source, ids)
    if said_briefly(view, json_out, empty=not view.segments, message="no speech was transcribed in this source"):
        return
    out.print(render(view.segments, "srt" if srt else "vtt" if vtt else "text"), markup=False, highlight=False)
