"""Read-only table scans through lancedb's compiled core alone, for listings (`mmem events`).

The reads a listing makes (`table.search().where(...).select([...]).limit(None).to_list()`, the
same calls as on a lancedb table) go straight to the core's query, which is what lancedb's own
sync API ends in for a plain scan; the rows come back as the same pyarrow batches, turned into the
same dicts. What a listing does not do is not here: no vector search, no writes, no versions, and
a call outside that slice is an AttributeError rather than a silent difference. Importing the
lancedb package instead (numpy, pyarrow.dataset and compute, pydantic models) is most of what a
cold listing would wait for.

The core's calls are coroutines; each runs to completion on an event loop of its own
(`asyncio.run`), so a scanning memory belongs to synchronous callers (the CLI), not to a thread
that is running an event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mmem.store._lancedb import native_core

T = TypeVar("T")


def _run(call: Callable[[], Awaitable[T]]) -> T:
    """Await the core's call (it must be made inside a running loop) and return its result."""

    async def awaited() -> T:
        return await call()

    return asyncio.run(awaited())


# what a lancedb whose compiled core takes other arguments raises (its calls are private): the
# scan is then made through lancedb's own API, the same rows a little slower
_MISMATCH = (TypeError, AttributeError)


class ScanConnection:
    """A lancedb database opened for scans only: `open_table` as lancedb's, nothing else."""

    def __init__(self, uri: str, storage_options: dict[str, str] | None = None) -> None:
        self._uri, self._options = uri, storage_options
        self._plain: Any = None
        try:
            core = native_core()
            # the arguments lancedb.connect passes for a local or object-store uri (no cloud, no session)
            self._conn = _run(lambda: core.connect(uri, None, None, None, None, None, None, storage_options,
                                                   None))
        except _MISMATCH:
            self._plain = self.plain()

    def plain(self) -> Any:
        """The same database through the lancedb package (connected once)."""
        if self._plain is None:
            from mmem.store._lancedb import connect

            self._plain = connect(self._uri, self._options)
        return self._plain

    def open_table(self, name: str) -> Any:
        """The table; ValueError when there is none by that name (as lancedb's open_table)."""
        if self._plain is not None:
            return self._plain.open_table(name)
        try:
            inner = _run(lambda: self._conn.open_table(name))
        except _MISMATCH:
            return self.plain().open_table(name)
        return ScanTable(inner, lambda: self.plain().open_table(name))


class ScanTable:
    def __init__(self, inner: Any, plain: Callable[[], Any]) -> None:
        self._inner, self._plain = inner, plain

    def search(self) -> Scan:
        """A plain scan (lancedb's `search()` without a query vector)."""
        return Scan(self._inner, self._plain)


class Scan:
    """lancedb's query builder for a plain scan: where, select, limit, then to_arrow / to_list."""

    def __init__(self, table: Any, plain: Callable[[], Any]) -> None:
        self._table, self._plain = table, plain  # plain: the table through the lancedb package
        self._where: str | None = None
        self._columns: list[str] | None = None
        self._limit: int | None = None  # as lancedb's plain search(): every row

    def where(self, condition: str) -> Scan:
        self._where = condition
        return self

    def select(self, columns: list[str]) -> Scan:
        self._columns = list(columns)
        return self

    def limit(self, limit: int | None) -> Scan:
        self._limit = limit if limit is not None and limit > 0 else None  # None or <= 0: every row
        return self

    def to_arrow(self) -> Any:
        try:
            return self._core()
        except _MISMATCH:
            query = self._plain().search()
            if self._where is not None:
                query = query.where(self._where)
            if self._columns:
                query = query.select(self._columns)
            return query.limit(self._limit).to_arrow()

    def _core(self) -> Any:
        import pyarrow as pa

        query = self._table.query()
        if self._limit is not None:
            query.limit(self._limit)
        if self._columns:
            query.select_columns(self._columns)  # what lancedb's select does with a list of names
        if self._where is not None:
            query.where(self._where)

        async def collect() -> tuple[Any, list[Any]]:
            stream = await query.execute(None, None)
            return stream.schema, [batch async for batch in stream]

        schema, batches = _run(collect)
        return pa.Table.from_batches(batches, schema=schema)

    def to_list(self) -> list[dict[str, Any]]:
        return self.to_arrow().to_pylist()
