"""A real HTTP MJPEG camera on loopback: serves a sample video's frames as multipart JPEG at
its own frame rate, looping. Run as a process: python -m tests.live.mjpeg_server VIDEO PORT FPS [CACHE]

With CACHE (a file), the JPEGs are encoded once and read back on the next start: a camera
restarted in a test comes back at once, whatever the machine's load.
"""

from __future__ import annotations

import pickle
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def load_jpegs(video: Path, fps: float, limit: int = 600, cache: Path | None = None) -> list[bytes]:
    if cache is not None and cache.is_file():
        return pickle.loads(cache.read_bytes())
    import cv2

    cap = cv2.VideoCapture(str(video))
    native = cap.get(cv2.CAP_PROP_FPS) or 25.0
    step = max(1, round(native / fps))
    out, i = [], 0
    while len(out) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        if i % step == 0:
            frame = cv2.resize(frame, (320, int(320 * frame.shape[0] / frame.shape[1])))
            out.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 80])[1].tobytes())
        i += 1
    if cache is not None:
        cache.write_bytes(pickle.dumps(out))
    return out


def serve(video: Path, port: int, fps: float, cache: Path | None = None) -> None:
    frames = load_jpegs(video, fps, cache=cache)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if self.path != "/stream.mjpg":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            i, start = 0, time.monotonic()
            try:
                while True:
                    jpg = frames[i % len(frames)]
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\n"
                                     + f"Content-Length: {len(jpg)}\r\n\r\n".encode() + jpg + b"\r\n")
                    i += 1
                    time.sleep(max(0.0, start + i / fps - time.monotonic()))
            except (BrokenPipeError, ConnectionResetError):
                return

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    cache = Path(sys.argv[4]) if sys.argv[4:] else None
    serve(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), cache)
