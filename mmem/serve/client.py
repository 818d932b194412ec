"""`mmem ask` through a running server: find it (`--server URL`, or the discovery file in the
memory directory) and ask over HTTP. Stdlib only, so forwarding loads no model and no lancedb."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from mmem.config import ServeConfig
from mmem.errors import InputError, MmemError


class Unreachable(MmemError):
    """No server answered at the URL."""


def find(db: Path | str, url: str | None) -> tuple[str, str | None] | None:
    """(url, token) of the server to ask: the one named, else the one serving `db`, else None."""
    import os

    if url:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"--server {url}: not an http(s) URL, e.g. http://127.0.0.1:8765")
        return url.rstrip("/"), os.environ.get("MMEM_TOKEN")
    if not isinstance(db, Path):
        return None
    from mmem.serve import discovery

    served = discovery.read(db)
    return (served.url, served.token) if served else None


def ask(url: str, token: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """The server's answer (`mmem ask --json`'s shape); InputError with the server's reason for a
    refused question, Unreachable when nothing answers."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    req = urllib.request.Request(f"{url}/api/ask?{query}", headers={"accept": "application/json"})
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=ServeConfig().forward_timeout) as res:
            return json.loads(res.read())
    except urllib.error.HTTPError as exc:
        detail = _detail(exc)
        if exc.code in (400, 422):
            raise InputError(detail) from None
        raise Unreachable(f"the server at {url} answered {exc.code} ({detail}): "
                          "check --server/MMEM_TOKEN, or drop --server to ask locally") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Unreachable(f"no mmem server answers at {url} ({reason}): start `mmem serve`, "
                          "or drop --server to ask locally") from None


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(exc.read()).get("detail")
    except (ValueError, AttributeError, OSError):
        return exc.reason
    if isinstance(detail, list):
        return "; ".join(f"{'.'.join(str(x) for x in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail)
    return str(detail)
