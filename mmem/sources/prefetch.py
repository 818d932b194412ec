"""Run a frame iterator in a background thread, so decoding overlaps embedding.

FFmpeg decodes and swscale converts without holding the GIL, and torch releases it during
inference, so the two really run at once on a multi-core machine.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetch(items: Iterator[T], depth: int = 32) -> Iterator[T]:
    """Yield what `items` yields, read ahead by up to `depth` items in a worker thread.

    Errors raised by `items` are re-raised in the consumer. When the consumer stops early
    (break, exception, Ctrl-C), the worker stops and closes `items` in its own thread.
    """
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(x: object) -> bool:
        while not stop.is_set():
            try:
                q.put(x, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for x in items:
                if not put(x):
                    break
            else:
                put(_END)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(_Failure(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name="mmem-decode", daemon=True)
    worker.start()
    try:
        while True:
            x = q.get()
            if x is _END:
                return
            if isinstance(x, _Failure):
                raise x.exc
            yield x  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)
