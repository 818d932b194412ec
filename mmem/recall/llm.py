"""An optional worded answer: one sentence composed by an OpenAI-compatible chat endpoint (a local
llama.cpp or Ollama server) from the top moments, each claim citing its moment as [1], [2], ...

Never required: with no endpoint the answer stays the evidence summary, and a dead endpoint or a
reply that is not a cited sentence gives `(None, warning)` so the caller keeps the summary and
warns once. Standard library only (urllib): no new dependency.
"""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mmem.errors import InputError
from mmem.types import Moment

TIMEOUT = 20.0  # seconds for the whole reply; a local model on a CPU answers one sentence in less
MAX_WORDS = 80  # a "sentence" longer than this is not the one sentence asked for
SYSTEM = (
    "You answer questions about recorded video and audio using only the numbered moments given. "
    "Reply with ONE short sentence. After each claim cite the moment it comes from as [n], e.g. "
    "\"He asked the audience to serve their country [1].\" Give times as they are written. "
    "If the moments do not answer the question, say so and cite the closest moment."
)
_CITE = re.compile(r"\[(\d+)\]")
_THINK = re.compile(r"<think>.*?</think>", re.S)  # reasoning models' scratchpad, not the answer


def endpoint(url: str) -> str:
    """The chat-completions URL of a base URL given with or without /v1 (or the full path).
    InputError when it is not an http(s) URL."""
    raw = url.strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(f"--llm {url!r} is not an http(s) URL: give e.g. http://127.0.0.1:8080")
    path = parts.path.rstrip("/")
    if path.endswith("/chat/completions"):
        path = path[: -len("/chat/completions")]
    if not path.endswith("/v1"):
        path += "/v1"
    return f"{parts.scheme}://{parts.netloc}{path}/chat/completions"


def prompt(question: str, moments: list[Moment]) -> str:
    from mmem.timeutil import clock

    lines = [f"Question: {question.strip()}", "", "Moments:"]
    for i, m in enumerate(moments, 1):
        said = f' said: "{m.transcript.strip()}"' if m.transcript else " (no speech)"
        who = ", ".join(str(e["name"]) for e in m.entities if isinstance(e, dict) and e.get("name"))
        lines.append(f"[{i}] {Path(m.source).name} {clock(m.start)}-{clock(m.end)}{said}"
                     + (f"; present: {who}" if who else ""))
    return "\n".join(lines)


def compose(question: str, moments: list[Moment], url: str, model: str | None = None,
            timeout: float = TIMEOUT) -> tuple[str | None, str | None]:
    """(answer, None) with a one-sentence answer citing moments [1]..[n]; (None, warning) when
    the endpoint cannot be reached or its reply is not such an answer; (None, None) when there
    are no moments to word (the summary already says nothing matches)."""
    if not moments:
        return None, None
    try:
        target = endpoint(url)
    except InputError as exc:
        return None, str(exc)
    body: dict[str, Any] = {
        "messages": [{"role": "system", "content": SYSTEM},
                     {"role": "user", "content": prompt(question, moments)}],
        "temperature": 0, "max_tokens": 160, "stream": False,
    }
    if model:
        body["model"] = model
    reply, problem = _post(target, body, timeout)
    if problem:
        return None, f"no worded answer: {problem}; showing the evidence summary"
    text, problem = _sentence(reply, len(moments))
    if problem:
        return None, f"no worded answer: the LLM at {target} {problem}; showing the evidence summary"
    return text, None


def _post(target: str, body: dict, timeout: float) -> tuple[Any, str | None]:
    req = urllib.request.Request(target, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read(1_000_000)
    except urllib.error.HTTPError as exc:
        return None, f"the LLM at {target} answered HTTP {exc.code} {exc.reason}"
    except (TimeoutError, socket.timeout):
        return None, f"the LLM at {target} did not answer within {timeout:g} s"
    except urllib.error.URLError as exc:
        why = exc.reason
        if isinstance(why, (TimeoutError, socket.timeout)):
            return None, f"the LLM at {target} did not answer within {timeout:g} s"
        return None, f"cannot reach the LLM at {target} ({why})"
    except OSError as exc:
        return None, f"cannot reach the LLM at {target} ({exc})"
    try:
        return json.loads(raw.decode("utf-8")), None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, f"the LLM at {target} did not reply with JSON"


def _sentence(reply: Any, n: int) -> tuple[str | None, str | None]:
    """The reply's text, when it is a short answer citing only moments 1..n."""
    try:
        text = reply["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return None, "replied without choices[0].message.content"
    if not isinstance(text, str) or not text.strip():
        return None, "replied with no text"
    text = " ".join(_THINK.sub(" ", text).split())
    if not text:
        return None, "replied with no text"
    cited = [int(c) for c in _CITE.findall(text)]
    if not cited:
        return None, "cited no moment"
    if any(not 1 <= c <= n for c in cited):
        return None, f"cited a moment that does not exist (there are {n})"
    if len(text.split()) > MAX_WORDS:
        return None, f"replied with more than {MAX_WORDS} words"
    return text, None


def reword(answer: Any, url: str, model: str | None = None, timeout: float = TIMEOUT) -> str | None:
    """Put the LLM's cited sentence in `answer.answer` (an Answer from recall) when it gives one;
    return the one warning to show when it does not. An abstained answer is left as it is."""
    if getattr(answer, "abstained", False) or not answer.moments:
        return None
    text, warning = compose(answer.question, answer.moments, url, model=model, timeout=timeout)
    if text:
        answer.answer = text
    return warning
