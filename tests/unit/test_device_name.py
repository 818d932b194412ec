"""--device resolves without importing torch where torch could only answer "cpu": `cpu` always,
`auto` on a machine without a CUDA driver. A bad spelling is still an error naming the fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmem.errors import DeviceError
from mmem.perceive.device import DRIVER_SIGNS, device_name

ROOT = Path(__file__).resolve().parents[2]


def resolve_in_fresh_process(name: str) -> tuple[str, bool]:
    code = (f"import sys; from mmem.perceive.device import device_name; d = device_name({name!r}); "
            "print(d, 'torch' in sys.modules)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert p.returncode == 0, p.stderr[-2000:]
    device, torch_loaded = p.stdout.split()
    return device, torch_loaded == "True"


def test_cpu_never_imports_torch():
    assert resolve_in_fresh_process("cpu") == ("cpu", False)


@pytest.mark.skipif(any(os.path.exists(p) for p in DRIVER_SIGNS), reason="this machine has a CUDA driver")
def test_auto_without_a_cuda_driver_is_the_cpu_without_torch():
    assert resolve_in_fresh_process("auto") == ("cpu", False)


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "CPU", ""])
def test_a_bad_device_names_the_choices(bad):
    with pytest.raises(DeviceError, match="auto, cpu, cuda or cuda:N"):
        device_name(bad)
