"""Choose the torch device from --device auto|cpu|cuda[:N]."""

from __future__ import annotations

import re

from mmem.errors import DeviceError

_VALID = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def check_device_name(name: str) -> str:
    """Validate the spelling without importing torch (the CLI calls this first)."""
    if not _VALID.match(name):
        raise DeviceError(f"unknown --device {name!r}: use auto, cpu, cuda or cuda:N")
    return name


def resolve_device(name: str):  # -> torch.device
    import torch

    check_device_name(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(f"--device {name}: no CUDA GPU is available here: use --device cpu or auto")
        dev = torch.device(name)
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceError(
                f"--device {name}: only {torch.cuda.device_count()} GPU(s): use cuda:0..cuda:"
                f"{torch.cuda.device_count() - 1}"
            )
        return dev
    return torch.device("cpu")
