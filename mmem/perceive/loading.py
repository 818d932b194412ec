"""A model that loads in a background thread while the run starts: the stand-in answers every
attribute of the model, waiting for it the first time. Ingest loads the models a file needs
late (the face model, first used on video frames after the audio pass) this way, so their
loading overlaps the audio pass instead of delaying the first frame."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from mmem.errors import WeightsUnavailable


class Loading:
    """`load()` running in a thread (not a daemon: a process that ends early waits for it rather
    than freeing a half-built model under it). `load` returns (plan, model) as registry.build_one
    does; a model that turned out unusable (None) raises its plan's reason at first use."""

    def __init__(self, name: str, load: Callable[[], tuple[Any, Any]]) -> None:
        self._name = name
        self._done = threading.Event()
        self._model: Any = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(load,), name=f"mmem-load-{name}").start()

    def _run(self, load: Callable[[], tuple[Any, Any]]) -> None:
        try:
            plan, self._model = load()
            if self._model is None:
                self._error = WeightsUnavailable(f"{self._name}: {plan.why}")
        except BaseException as exc:  # handed to the thread that uses the model
            self._error = exc
        finally:
            self._done.set()

    def model(self) -> Any:
        """The loaded model (waits for it); the loader's error if it failed."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._model

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self.model(), attr)

    def __repr__(self) -> str:
        return f"<{self._name} model, {'loaded' if self._done.is_set() else 'loading'}>"
