"""The memory's table names."""

from __future__ import annotations

SOURCES, EVENTS, TRANSCRIPTS = "sources", "events", "transcripts"
ENTITIES, APPEARANCES = "entities", "appearances"
SPANS = "spans"  # the hierarchy: shots and episodes, and each event's episode
TABLES = (SOURCES, EVENTS, TRANSCRIPTS, ENTITIES, APPEARANCES, SPANS)
