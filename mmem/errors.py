"""Typed errors. Every message names the problem and the fix; only the CLI prints them."""

from __future__ import annotations


class MmemError(Exception):
    """Base class for errors a user can act on. ``exit_code`` is what the CLI exits with."""

    exit_code = 2


class InputError(MmemError):
    """The media or argument given cannot be used (missing, not media, wrong kind)."""


class MediaOpenError(InputError):
    """A file exists but no decodable video stream could be read from it."""


class DeviceError(MmemError):
    """The requested compute device is unknown or not available."""


class WeightsUnavailable(MmemError):
    """Model weights are not cached and cannot be downloaded."""


class StoreError(MmemError):
    """The memory directory is unreadable, foreign, or was written by an incompatible mmem."""


class ModelMismatch(StoreError):
    """The memory was built with a different embedding model than the one requested."""
