"""The memory's table names."""

from __future__ import annotations

SOURCES, EVENTS, TRANSCRIPTS = "sources", "events", "transcripts"
ENTITIES, APPEARANCES = "entities", "appearances"
TABLES = (SOURCES, EVENTS, TRANSCRIPTS, ENTITIES, APPEARANCES)
