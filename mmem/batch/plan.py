"""What a batch will process: media files under folders or object-store prefixes, in a stable
order, with include/exclude globs, and exact duplicates found (same bytes, one ingest)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from mmem.errors import InputError
from mmem.sources.discover import SUFFIXES, _wanted, discover, sniff
from mmem.store.location import ObjectPath, is_uri


@dataclass(frozen=True)
class Item:
    index: int  # position in the batch: entities are matched in this order
    uri: str  # absolute local path, or object URI (s3://bucket/key)
    rel: str  # path below the input folder or prefix
    size: int  # bytes
    duplicate_of: str | None = None  # an earlier item with the same bytes

    @property
    def name(self) -> str:
        return self.uri.rstrip("/").rsplit("/", 1)[-1]

    @property
    def remote(self) -> bool:
        return is_uri(self.uri)


def plan(inputs: Iterable[str], include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[Item]:
    """Every media file the inputs name, each once, numbered in order. Raises InputError when an
    input does not exist or nothing at all is found."""
    include, exclude = list(include), list(exclude)
    found: list[tuple[str, str, int]] = []
    for raw in inputs:
        if is_uri(raw):
            found.extend(_remote(raw, include, exclude))
            continue
        p = Path(raw).expanduser()
        if p.is_dir():
            found.extend((str(f.resolve()), f.relative_to(p).as_posix(), _size(f))
                         for f in discover(p, include, exclude))
        elif p.is_file():
            found.append((str(p.resolve()), p.name, _size(p)))
        else:
            raise InputError(f"no such file or folder: {p}: check the path")
    seen: set[str] = set()
    unique = [(u, r, s) for u, r, s in found if not (u in seen or seen.add(u))]  # type: ignore[func-returns-value]
    if not unique:
        filt = " after --include/--exclude" if include or exclude else ""
        raise InputError(f"no media files found{filt} in {', '.join(map(str, inputs))} "
                         f"(looked for {', '.join(sorted(SUFFIXES))}, and by content)")
    items = [Item(i, u, r, s) for i, (u, r, s) in enumerate(unique)]
    return mark_duplicates(items)


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def _remote(uri: str, include: list[str], exclude: list[str]) -> list[tuple[str, str, int]]:
    import pyarrow.fs as pafs

    root = ObjectPath(uri)
    info = root._info()
    if info.type == pafs.FileType.File:
        return [(str(root), root.name, int(info.size or 0))]
    if info.type == pafs.FileType.NotFound:
        raise InputError(f"nothing at {uri}: check the bucket and prefix")
    sel = pafs.FileSelector(root.key, recursive=True)
    out = []
    for entry in sorted(root.fs.get_file_info(sel), key=lambda e: e.path):
        if entry.type != pafs.FileType.File:
            continue
        rel = entry.path[len(root.key):].lstrip("/")
        if not _wanted(rel, include, exclude):
            continue
        obj = ObjectPath(root.scheme + "://", root.fs, entry.path)
        if Path(rel).suffix.lower() not in SUFFIXES:
            if Path(rel).suffix or not _sniff(obj):
                continue
        out.append((str(obj), rel, int(entry.size or 0)))
    return out


def _sniff(obj: ObjectPath) -> bool:
    with obj.fs.open_input_file(obj.key) as f:
        return sniff(f.read(192))


def digest(uri: str, chunk: int = 1 << 20) -> str:
    """BLAKE2b of a local file's or an object's bytes (the content hash sources are keyed by)."""
    if not is_uri(uri):
        from mmem.sources.file import content_hash

        return content_hash(Path(uri), chunk)
    from mmem.sources.file import stream_hash

    obj = ObjectPath(uri)
    with obj.fs.open_input_stream(obj.key) as f:
        return stream_hash(f, chunk)


def mark_duplicates(items: list[Item]) -> list[Item]:
    """Items whose bytes equal an earlier item's (only same-size files are hashed)."""
    by_size: dict[int, list[Item]] = defaultdict(list)
    for it in items:
        if it.size > 0:
            by_size[it.size].append(it)
    first: dict[str, str] = {}
    dup: dict[int, str] = {}
    for group in by_size.values():
        if len(group) < 2:
            continue
        for it in group:
            try:
                d = digest(it.uri)
            except OSError:
                continue  # unreadable: its worker reports it
            if d in first:
                dup[it.index] = first[d]
            else:
                first[d] = it.uri
    return [replace(it, duplicate_of=dup.get(it.index)) for it in items]
