"""Work in a background thread: a frame iterator read ahead (decoding overlaps embedding), or
a whole pass (a file's audio pass while its frames are seen).

FFmpeg decodes and swscale converts without holding the GIL, and torch, CTranslate2 and ONNX
Runtime release it during inference, so the two really run at once on a multi-core machine.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

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


class Cancelled(Exception):
    """Raised inside a Background task whose result is no longer wanted."""


def until(items: Iterator[T], stop: threading.Event) -> Iterator[T]:
    """`items` until `stop` is set (then Cancelled is raised at the next item)."""
    for x in items:
        if stop.is_set():
            raise Cancelled
        yield x


def lower_priority(nice: int) -> None:
    """Lower the calling thread's CPU priority by `nice` steps (Linux schedules threads on their
    own, and the threads a thread starts inherit its priority; elsewhere, or where the system
    refuses, nothing changes). A thread can lower its priority but not raise it again."""
    import os
    import sys

    if nice <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
    except OSError:
        pass


class Background(Generic[T]):
    """`work(stop)` started in a daemon thread; `result()` waits for it and returns what it
    returned, or raises what it raised. `cancel()` sets `stop` for a task that should end early
    (one that checks it, e.g. through `until`); a cancelled task's result is never asked for."""

    def __init__(self, work: Callable[[threading.Event], T], name: str = "mmem-background",
                 nice: int = 0) -> None:
        self._stop = threading.Event()
        self._out: list[T] = []
        self._err: list[BaseException] = []

        def run() -> None:
            try:
                lower_priority(nice)
                self._out.append(work(self._stop))
            except Cancelled:
                pass
            except BaseException as exc:  # handed to the caller of result()
                self._err.append(exc)

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def result(self) -> T:
        while self._thread.is_alive():  # in slices, so that Ctrl-C reaches the waiting thread
            self._thread.join(timeout=0.5)
        if self._err:
            raise self._err[0]
        return self._out[0]

    def cancel(self) -> None:
        self._stop.set()
