"""The ASGI app: the API router, the page and its assets, files with range requests, the live
stream, and what every request passes first (token, host) and how errors become JSON."""

from __future__ import annotations

import hmac
import html
import threading
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse

from mmem.config import ServeConfig
from mmem.errors import InputError, MmemError, StoreError
from mmem.serve.api import Forbidden, router
from mmem.serve.state import ServeState

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
ASSETS = {"app.js": "text/javascript", "style.css": "text/css"}
COOKIE = "mmem_token"


def _asset(name: str) -> str:
    return resources.files("mmem.serve").joinpath("web", name).read_text(encoding="utf-8")


def _token_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return (request.headers.get("x-mmem-token") or request.query_params.get("token")
            or request.cookies.get(COOKIE))


def _host_ok(request: Request) -> bool:
    """Without a token only loopback names are answered (a DNS-rebinding page gets nothing)."""
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in LOOPBACK_NAMES


def _warm(state: ServeState) -> None:
    try:
        state.warm()
    except MmemError:
        pass  # the first question meets the same error and reports it


def create_app(state: ServeState, cfg: ServeConfig | None = None, warm: bool = True) -> FastAPI:
    """The app over `state`; with `warm`, the models load in the background as it starts."""
    cfg = cfg or ServeConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if warm:
            threading.Thread(target=_warm, args=(state,), daemon=True, name="mmem-warm").start()
        yield

    app = FastAPI(title="mmem", summary="A streaming multimodal memory: ask, events, transcripts, people",
                  docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.mmem = state

    @app.middleware("http")
    async def guard(request: Request, call_next):
        if state.token:
            given = _token_of(request)
            if not given or not hmac.compare_digest(given.encode(), state.token.encode()):
                return JSONResponse({"detail": "missing or wrong token: pass ?token=T once, or the "
                                     "header Authorization: Bearer T"}, status_code=401)
        elif not _host_ok(request):
            return JSONResponse({"detail": "this server answers loopback names only: open "
                                 "http://127.0.0.1:PORT/, or serve with --token"}, status_code=403)
        response = await call_next(request)
        if state.token and request.query_params.get("token") and request.url.path == "/":
            response.set_cookie(COOKIE, state.token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(MmemError)
    async def mmem_error(request: Request, exc: MmemError):
        from mmem.store.lock import MemoryBusy

        code = 403 if isinstance(exc, Forbidden) else 422 if isinstance(exc, InputError) \
            else 409 if isinstance(exc, MemoryBusy) else 503 if isinstance(exc, StoreError) else 500
        return JSONResponse({"detail": str(exc)}, status_code=code)

    app.include_router(router)

    @app.get("/", include_in_schema=False)
    def page() -> HTMLResponse:
        meta = f'<meta name="mmem-write-token" content="{html.escape(state.write_token)}">'
        return HTMLResponse(_asset("index.html").replace("<!--mmem-meta-->", meta),
                            headers={"cache-control": "no-store"})

    @app.get("/static/{name}", include_in_schema=False)
    def asset(name: str) -> Response:
        if name not in ASSETS:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        return Response(_asset(name), media_type=ASSETS[name])

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The API reference, rendered from /openapi.json by a small local page (no CDN)."""
        return HTMLResponse(_asset("docs.html"))

    @app.get("/files", summary="A source, keyframe or face crop of this memory (range requests)")
    def files(request: Request,
              path: Annotated[str, Query(min_length=1, description="Absolute path, as the API gives it.")]):
        from mmem.serve.files import allowed_file

        real = allowed_file(state.memory(), path)
        if real is None:
            return JSONResponse({"detail": "not a source, keyframe or face crop of this memory"},
                                status_code=404)
        return FileResponse(real, headers={"cache-control": "private, max-age=60"})

    @app.get("/api/live", summary="Server-sent events: each new event as it closes")
    async def live(request: Request) -> StreamingResponse:
        from mmem.serve.live import stream

        return StreamingResponse(stream(state, cfg.poll_seconds, request.is_disconnected),
                                 media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    return app
