"""The JSON API: the read commands' `--json` shapes (from `mmem.views`), and the entity writes
of `mmem entities name/merge/forget` (the same operations, `mmem.consolidate.people`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from mmem.errors import InputError, MmemError
from mmem.serve.state import ServeState


class Forbidden(MmemError):
    """A write the server refuses (read-only memory, no write token)."""

    exit_code = 3


def state(request: Request) -> ServeState:
    return request.app.state.mmem


def _ids(memory: Any, source: str | None) -> list[str] | None:
    from mmem.views.sources import matching_source_ids

    return matching_source_ids(memory, source, "/api/sources")


router = APIRouter(prefix="/api")


@router.get("/info", summary="The memory served and what this server allows")
def info(request: Request) -> dict[str, Any]:
    st = state(request)
    memory = st.memory()
    return {"db": str(memory.root), "read_only": not st.writable(), "warm": st.is_warm,
            "models": {"vision": memory.vector_model, "text": memory.text_model}}


@router.get("/ask", summary="mmem ask --json: the moments that match a question")
def ask(request: Request,
        q: Annotated[str, Query(min_length=1, description="The question, in words.")],
        k: Annotated[int, Query(ge=1, le=100, description="How many moments.")] = 5,
        source: Annotated[str | None, Query(description="Only this source: path, file name or id.")] = None,
        min_score: Annotated[float | None, Query(ge=0.0, le=1.0,
                                                 description="Keep moments scoring at least this.")] = None,
        since: Annotated[str | None, Query(description="Only after this: 10m, 2h, or an ISO time.")] = None,
        until: Annotated[str | None, Query(description="Only before this.")] = None) -> dict[str, Any]:
    from mmem.timeutil import parse_when
    from mmem.views.answers import answer_json, answer_view

    if not q.strip():
        raise InputError("q: the question is empty: ask something, e.g. ?q=a red car")
    since_t = parse_when(since, "since") if since else None
    until_t = parse_when(until, "until") if until else None
    st = state(request)
    memory = st.memory()
    ids = _ids(memory, source)
    recall = st.recall(memory)
    with st.ask_lock:
        result = answer_view(memory, recall, q, k=k, source_ids=ids, min_score=min_score,
                             since=since_t, until=until_t)
    return answer_json(result)


@router.get("/events", summary="mmem events --json: events in time order")
def events(request: Request, source: Annotated[str | None, Query(description="Only this source.")] = None
           ) -> dict[str, Any]:
    from mmem.views.timeline import events_view

    memory = state(request).memory()
    return events_view(memory, _ids(memory, source)).to_json()


@router.get("/transcript", summary="mmem transcript SOURCE --json: what was said, with times")
def transcript(request: Request,
               source: Annotated[str, Query(min_length=1, description="The source: path, file name or id.")]
               ) -> dict[str, Any]:
    from mmem.views.timeline import transcript_view

    memory = state(request).memory()
    ids = _ids(memory, source)
    if ids is not None and len(ids) > 1:
        raise InputError(f"source: {source!r} matches {len(ids)} sources: pass a full path or a source id")
    return transcript_view(memory, source, ids).to_json()


@router.get("/sources", summary="The sources (files, live sessions) this memory holds")
def sources(request: Request) -> dict[str, Any]:
    from mmem.views.sources import sources_view

    return sources_view(state(request).memory()).to_json()


@router.get("/entities", summary="mmem entities --json: people by face and voice")
def entities(request: Request) -> dict[str, Any]:
    from mmem.views.people import people_view

    return people_view(state(request).memory()).to_json()


@router.get("/entities/{ref}", summary="mmem entities show REF --json: where a person appears")
def entity(request: Request, ref: str) -> dict[str, Any]:
    from mmem.views.people import entity_view

    return entity_view(state(request).memory(), ref).to_json()


def _writer(request: Request):
    """The memory opened for a write, after the checks every write passes. Use it in a `with`:
    the writer lock is held for the one operation, so an ingest can run while the server does."""
    st = state(request)
    if not st.writable():
        raise Forbidden("this memory is served read-only: restart `mmem serve` without --read-only "
                        "on a writable --db to change it")
    if request.headers.get("x-mmem-token") != st.write_token:
        raise Forbidden("a write needs the X-Mmem-Token header: use the page this server serves")
    return st.memory(write=True)


@router.post("/entities/{ref}/name", summary="mmem entities name REF NAME")
def name(request: Request, ref: str,
         new_name: Annotated[str, Body(embed=True, alias="name", min_length=1)]) -> dict[str, Any]:
    from mmem.consolidate import people as ops

    with _writer(request) as memory:
        members = ops.name(memory, ref, new_name)
    return {"named": [e.id for e in members], "name": new_name.strip()}


@router.post("/entities/merge", summary="mmem entities merge KEEP OTHER")
def merge(request: Request, keep: Annotated[str, Body(min_length=1)],
          other: Annotated[str, Body(min_length=1)]) -> dict[str, Any]:
    from mmem.consolidate import people as ops

    with _writer(request) as memory:
        ent = ops.merge(memory, keep, other)
    return {"merged": other, "into": ent.id}


@router.post("/entities/{ref}/forget", summary="mmem entities forget REF --yes")
def forget(request: Request, ref: str,
           confirm: Annotated[bool, Body(embed=True, description="Must be true: the data is deleted.")]
           ) -> dict[str, Any]:
    from mmem.consolidate import people as ops
    from mmem.perceive.models import face_model

    if not confirm:
        raise InputError("confirm: pass {\"confirm\": true} to delete this entity's face/voice data")
    with _writer(request) as memory:
        ent, frames = ops.forget(memory, ref, faces=face_model)  # its face is smeared out of keyframes
    return {"forgot": ent.id, "keyframes_redacted": len(frames)}
