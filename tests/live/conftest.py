"""Loopback servers for live tests: an HTTP MJPEG camera and GStreamer's RTSP server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mjpeg:
    """`python -m tests.live.mjpeg_server` in a process of its own, so it can be killed."""

    def __init__(self, video: Path, fps: float = 10.0, cache: Path | None = None) -> None:
        self.video, self.fps, self.port = video, fps, free_port()
        self.cache = cache  # its JPEGs, so a restart is quick
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def start(self) -> None:
        cache = [str(self.cache)] if self.cache is not None else []
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.live.mjpeg_server", str(self.video),
                                      str(self.port), str(self.fps), *cache], cwd=ROOT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("MJPEG test server did not start")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def mjpeg(tmp_path_factory):
    cache = tmp_path_factory.getbasetemp() / "mjpeg.pickle"
    server = Mjpeg(ROOT / "samples" / "three_shots.mp4", cache=cache)
    server.start()
    yield server
    server.kill()


def _gst_ok() -> bool:
    code = ("import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
            "from gi.repository import GstRtspServer")
    try:
        done = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, timeout=30)
        return done.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="session")
def grid_av(tmp_path_factory) -> Path:
    """The four GRID clips joined into one H.264 + AAC MP4 (speech on every 3 s)."""
    from benchmarks.media import concat

    out = tmp_path_factory.mktemp("rtsp") / "grid_av.mp4"
    data = ROOT / "tests" / "data"
    concat([ROOT / "samples" / "bbaf2n.mpg", data / "lbax4n.mpg", data / "pwij3p.mpg", data / "sbwe5n.mpg"],
           out, size=(640, 360), fps=25, audio=True)
    return out


@pytest.fixture
def rtsp(grid_av):
    if not _gst_ok():
        pytest.skip("GStreamer's RTSP server is not installed (.ci/run installs gstreamer1.0-rtsp)")
    port = free_port()
    proc = subprocess.Popen(["/usr/bin/python3", str(ROOT / "tests" / "live" / "rtsp_server.py"),
                             str(grid_av), str(port)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield f"rtsp://127.0.0.1:{port}/test"
    proc.kill()
    proc.wait()


def wait_for(predicate, timeout: float = 60.0, step: float = 0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


__all__ = ["Mjpeg", "free_port", "wait_for", "urllib"]
