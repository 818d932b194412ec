"""Server-sent events: the memory's tables are polled (their versions, a cheap read) and each
event that closed since the last look is pushed, so a live session or an ingest grows on the
page while it runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from mmem.serve.state import ServeState
from mmem.store.names import EVENTS, SOURCES


class Watcher:
    """What is new in a memory since the last `poll` (the first poll only takes stock)."""

    def __init__(self, state: ServeState) -> None:
        self.state = state
        self.versions: dict[str, int] | None = None
        self.seen: set[str] = set()

    def poll(self) -> list[tuple[str, dict[str, Any]]]:
        """(kind, data) messages: `source` for a new or changed source, `event` per new event."""
        from mmem.views.sources import sources_view
        from mmem.views.timeline import events_view

        memory = self.state.memory()
        versions = memory.versions()
        first = self.versions is None
        changed = first or any(versions.get(t) != self.versions.get(t) for t in (EVENTS, SOURCES))
        self.versions = versions
        if not changed:
            return []
        msgs: list[tuple[str, dict[str, Any]]] = []
        if not first:
            msgs += [("source", s.to_json()) for s in sources_view(memory).sources]
        for e in events_view(memory).events:
            if e.id not in self.seen:
                self.seen.add(e.id)
                if not first:
                    msgs.append(("event", e.to_json()))
        return msgs


def sse(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps(data, default=str)}\n\n"


async def stream(state: ServeState, poll_seconds: float, disconnected) -> AsyncIterator[str]:
    """The event stream of one client, until it goes away."""
    watcher = Watcher(state)
    await asyncio.to_thread(watcher.poll)
    yield sse("hello", {"events": len(watcher.seen)})
    while not await disconnected():
        await asyncio.sleep(poll_seconds)
        for kind, data in await asyncio.to_thread(watcher.poll):
            yield sse(kind, data)
        yield ": keep-alive\n\n"
