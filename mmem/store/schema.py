"""Table schemas and the on-disk format version."""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = 1
MARKER = "mmem.json"  # identifies a directory as an mmem memory; holds version + vector model


def sources_schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),  # content-hash prefix
            pa.field("uri", pa.string()),
            pa.field("kind", pa.string()),  # file | webcam | stream
            pa.field("duration", pa.float64()),
            pa.field("fps", pa.float64()),  # native frame rate
            pa.field("sample_fps", pa.float64()),  # --fps used
            pa.field("width", pa.int32()),
            pa.field("height", pa.int32()),
            pa.field("content_hash", pa.string()),
            pa.field("status", pa.string()),  # ingesting | incomplete | complete
            pa.field("run", pa.string()),  # the run whose events are visible
            pa.field("ingested_at", pa.string()),
            pa.field("model_ids", pa.list_(pa.string())),
            pa.field("channels", pa.list_(pa.string())),  # channels that ran: vision, pixel
            pa.field("skipped", pa.list_(pa.string())),  # "vision: <why>" for skipped channels
            pa.field("n_events", pa.int32()),
            pa.field("started_at", pa.string()),  # live sessions: wall-clock start (ISO)
            pa.field("gaps", pa.string()),  # live sessions: JSON [[from_s, to_s], ...] with no signal
            pa.field("damage", pa.string()),  # JSON {track: {"errors": n, "seconds": lost}}: decode damage
        ]
    )


def _span(where: pa.Field) -> list[pa.Field]:
    """The first columns of a stretch of one source's time (an event, an utterance): its id, the
    source and run it belongs to, where it sits (`where`), and its start and end in seconds."""
    return [pa.field("id", pa.string(), nullable=False), pa.field("source_id", pa.string()),
            pa.field("run", pa.string()), where, pa.field("start", pa.float64()),
            pa.field("end", pa.float64())]


def events_schema(dim: int) -> pa.Schema:
    vec = pa.list_(pa.float32(), dim)
    return pa.schema(
        [
            *_span(pa.field("seq", pa.int32())),
            pa.field("started_at", pa.string()),  # ISO wall time of start (live), else null
            pa.field("vector", vec, nullable=True),  # null when no embedding channel ran
            pa.field("centroids", pa.list_(vec), nullable=True),
            pa.field("centroid_weights", pa.list_(pa.float32())),
            pa.field("centroid_times", pa.list_(pa.float32())),
            pa.field("surprise", pa.float32()),
            pa.field("keyframes", pa.list_(pa.string())),
            pa.field("n_frames", pa.int32()),
            pa.field("transcript", pa.string()),  # what was said during the event, or null
        ]
    )


def transcripts_schema(dim: int) -> pa.Schema:
    return pa.schema(
        [
            *_span(pa.field("event_id", pa.string())),
            pa.field("text", pa.string()),
            pa.field("norm", pa.string()),  # normalised text (mmem.text_norm): FTS-indexed
            pa.field("words", pa.string()),  # JSON [[word, start, end, prob], ...]
            pa.field("language", pa.string()),
            pa.field("confidence", pa.float32()),
            pa.field("vector", pa.list_(pa.float32(), dim), nullable=True),  # sentence embedding
        ]
    )


def entities_schema() -> pa.Schema:
    vec = pa.list_(pa.float32())  # faces (128-d) and voices (256-d) share the table
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),  # E1, E2, ...
            pa.field("kind", pa.string()),  # face | voice
            pa.field("name", pa.string()),
            pa.field("person", pa.string()),  # linked group (union-find root id)
            pa.field("centre", vec),
            pa.field("exemplars", pa.list_(vec)),  # bounded: <= 10 faces, <= 20 voices
            pa.field("links", pa.string()),  # JSON {entity id: seconds seen/heard together}
            pa.field("created_at", pa.string()),
            pa.field("updated_at", pa.string()),
            pa.field("first_seen", pa.string()),
            pa.field("last_seen", pa.string()),
            pa.field("thumbnail", pa.string()),  # relative to the memory directory
            pa.field("history", pa.string()),  # JSON: merges into this entity, with the rows before
        ]
    )


def appearances_schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("id", pa.string(), nullable=False),
            pa.field("entity_id", pa.string()),
            pa.field("origin_entity", pa.string()),  # the entity it first joined (for split)
            pa.field("source_id", pa.string()),
            pa.field("run", pa.string()),
            pa.field("event_id", pa.string()),
            pa.field("kind", pa.string()),
            pa.field("start", pa.float64()),
            pa.field("end", pa.float64()),
            pa.field("box", pa.list_(pa.int32())),  # faces: left, top, right, bottom
            pa.field("utterance", pa.string()),  # voices: the transcript row spoken, if any
            pa.field("score", pa.float32()),
            pa.field("embedding", pa.list_(pa.float32())),
            pa.field("thumbnail", pa.string()),
        ]
    )


def spans_schema() -> pa.Schema:
    """The hierarchy shots < events < episodes of a run (added after schema 1; a memory without
    this table reads as events with no shots or episodes). Shot and episode rows hold their own
    span; an event's row only links it (its content is in `events`) to its episode."""
    return pa.schema(
        [
            *_span(pa.field("seq", pa.int32())),
            pa.field("level", pa.string()),  # shot | event | episode
            pa.field("parent", pa.string()),  # shot: its event's id; event: its episode's; episode: null
            pa.field("kind", pa.string()),  # what opened it: cut | fade | sound | surprise | start
        ]
    )
