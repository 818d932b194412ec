"""`mmem serve`: a local web server over one memory (API, page, media), models kept warm."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mmem.cli.common import DbOption, db_path, err, handles_errors
from mmem.config import ServeConfig
from mmem.errors import InputError

_D = ServeConfig()
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@handles_errors
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on; any but loopback needs --token.")] = _D.host,
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = _D.port,
    token: Annotated[str | None, typer.Option(envvar="MMEM_TOKEN", help="Required on every request (?token=T once in the browser, or Authorization: Bearer T) (env MMEM_TOKEN).")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Refuse name/merge/forget.")] = False,
    device: Annotated[str, typer.Option(envvar="MMEM_DEVICE", help="auto | cpu | cuda | cuda:N.")] = "auto",
) -> None:
    """Serve a memory on the web: search, timelines, people, playback; a JSON API at /api (docs at /docs)."""
    from mmem.perceive.device import check_device_name
    from mmem.store.memory import Memory

    check_device_name(device)
    if host not in LOOPBACK and not token:
        raise InputError(f"--host {host} lets other machines in: pass --token T (or set MMEM_TOKEN), "
                         "or serve on 127.0.0.1")
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port}: pick a port between 1 and 65535 (0: any free port)")
    where = db_path(db)
    memory = Memory.open(where)
    sock = _bind(host, port)
    from mmem.serve import discovery
    from mmem.serve.app import create_app
    from mmem.serve.state import ServeState

    state = ServeState(db=where, device=device, token=token, read_only=read_only)
    bound = sock.getsockname()[1]
    here = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # all addresses: loopback is one
    url = f"http://{f'[{here}]' if ':' in here else here}:{bound}"
    found = discovery.write(memory.root, discovery.Served(url, os.getpid(), socket.gethostname(), token)) \
        if isinstance(memory.root, Path) else None
    err.print(f"serving {escape(str(memory.root))} at {url}/"
              f"{'?token=…' if token else ''}{' (read-only)' if not state.writable() else ''}"
              f"; Ctrl-C stops{'' if found else ' (no discovery file: mmem ask will not find it)'}")
    try:
        _run(create_app(state), sock)
    finally:
        if found:
            discovery.remove(memory.root, os.getpid())


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, or one line saying why not (a port in use, a bad address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise InputError(f"--host {host}: not an address of this machine; use 127.0.0.1") from None
    family = infos[0][0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(infos[0][4])
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InputError(f"port {port} on {host} is in use: pass --port N (another `mmem serve`?)") from None
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}): pass another --host/--port") from None
    sock.set_inheritable(True)
    return sock


def _run(app, sock: socket.socket) -> None:
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    uvicorn.Server(config).run(sockets=[sock])
