"""Choose the device from --device auto|cpu|cuda[:N]."""

from __future__ import annotations

import os
import re
import sys

from mmem.errors import DeviceError

_VALID = re.compile(r"^(auto|cpu|cuda(:\d+)?)$")


def check_device_name(name: str) -> str:
    """Validate the spelling without importing torch (the CLI calls this first)."""
    if not _VALID.match(name):
        raise DeviceError(f"unknown --device {name!r}: use auto, cpu, cuda or cuda:N")
    return name


# where a CUDA driver shows itself (Linux; /dev/dxg: WSL2): with none, CUDA cannot be available
DRIVER_SIGNS = ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/dxg")


def device_name(name: str) -> str:
    """The resolved device as a string ("cpu", "cuda", "cuda:1"), importing torch only when it
    must: `cpu` never, `auto` only on a machine with a CUDA driver (torch then tells whether a GPU
    is usable). So an ingest whose models do not run on torch (speech, faces, voices) never pays
    torch's import; CLIP imports it where it loads."""
    check_device_name(name)
    if name == "cpu":
        return "cpu"
    if name == "auto" and "torch" not in sys.modules and not any(os.path.exists(p) for p in DRIVER_SIGNS):
        return "cpu"
    return str(resolve_device(name))


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
