"""The optional worded answer against a small fake OpenAI-compatible server on loopback: a good
reply is used, anything else (dead port, HTTP 500, malformed reply, timeout) falls back with
one warning."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mmem.errors import InputError
from mmem.recall.llm import compose, endpoint, reword
from mmem.types import Moment

MOMENTS = [
    Moment("e1", "/media/jfk.flac", 0.0, 11.0, None, 0.9, None,
           transcript="ask not what your country can do for you, ask what you can do for your country"),
    Moment("e2", "/media/bbaf2n.mpg", 0.0, 3.0, None, 0.2, None, transcript="bin blue at f two now"),
]
GOOD = "Kennedy asked people to ask what they can do for their country [1]."


class Fake(BaseHTTPRequestHandler):
    mode = "good"
    seen: list[tuple[str, dict]] = []

    def log_message(self, *a):  # keep test output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Fake.seen.append((self.path, body))
        mode = Fake.mode
        if mode == "500":
            self.send_error(500, "model crashed")
            return
        if mode == "slow":
            threading.Event().wait(2.0)
        content = {"good": GOOD, "slow": GOOD, "uncited": "Kennedy spoke about the country.",
                   "badcite": "He said it [7].", "think": "<think>moment 1 has it</think> " + GOOD}.get(mode)
        payload = (b"<html>not json</html>" if mode == "html" else
                   json.dumps({"oops": True} if mode == "shape" else
                              {"choices": [{"message": {"role": "assistant", "content": content}}]}).encode())
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (timeout test)
            pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _reset():
    Fake.mode, Fake.seen = "good", []


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/", "/v1/chat/completions"])
def test_a_good_reply_is_the_answer_whatever_the_base_url(server, suffix):
    text, warning = compose("what did JFK ask", MOMENTS, server + suffix, model="tiny")
    assert (text, warning) == (GOOD, None)
    path, body = Fake.seen[-1]
    assert path == "/v1/chat/completions" and body["model"] == "tiny"
    asked = body["messages"][-1]["content"]
    assert "what did JFK ask" in asked and "[1] jfk.flac 0:00:00.0-0:00:11.0" in asked
    assert "[2] bbaf2n.mpg" in asked and "bin blue at f two now" in asked


def test_a_reasoning_scratchpad_is_not_the_answer(server):
    Fake.mode = "think"
    assert compose("q", MOMENTS, server) == (GOOD, None)
    assert "model" not in Fake.seen[-1][1]  # none given: the server's own


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_dead_endpoint_falls_back_with_one_warning():
    text, warning = compose("q", MOMENTS, f"http://127.0.0.1:{_dead_port()}", timeout=2)
    assert text is None and "cannot reach the LLM" in warning and "evidence summary" in warning
    assert "\n" not in warning


@pytest.mark.parametrize("mode, why", [
    ("500", "HTTP 500"), ("html", "did not reply with JSON"), ("shape", "without choices"),
    ("uncited", "cited no moment"), ("badcite", "does not exist"),
])
def test_a_bad_reply_falls_back(server, mode, why):
    Fake.mode = mode
    text, warning = compose("q", MOMENTS, server, timeout=5)
    assert text is None and why in warning and "evidence summary" in warning


def test_a_slow_endpoint_times_out(server):
    Fake.mode = "slow"
    text, warning = compose("q", MOMENTS, server, timeout=0.5)
    assert text is None and "did not answer within 0.5 s" in warning


def test_no_moments_asks_nothing(server):
    assert compose("q", [], server) == (None, None) and Fake.seen == []


def test_not_a_url_is_bad_input():
    with pytest.raises(InputError, match="not an http"):
        endpoint("ftp://example.org")
    text, warning = compose("q", MOMENTS, "localhost:8080")
    assert text is None and "not an http(s) URL" in warning


def test_reword_replaces_the_summary_or_keeps_it_with_a_warning(server):
    from mmem.recall.answer import Answer

    answer = Answer("what did JFK ask", "Best evidence: jfk.flac ...", list(MOMENTS))
    assert reword(answer, server) is None and answer.answer == GOOD
    Fake.mode = "500"
    kept = Answer("what did JFK ask", "Best evidence: jfk.flac ...", list(MOMENTS))
    assert "HTTP 500" in reword(kept, server) and kept.answer == "Best evidence: jfk.flac ..."
    nothing = Answer("pizza?", "Nothing in memory matches this question.")
    Fake.seen = []
    assert reword(nothing, server) is None and Fake.seen == []
