"""Running a live session from the command line: status line, Ctrl-C/SIGTERM, summary."""

from __future__ import annotations

import signal
import threading

from rich.markup import escape

from mmem.cli.common import err, out, print_json


def run_session(spec, memory, cfg, vision, hearing, people, limit, json_out: bool) -> None:
    from mmem.live import run_live

    stop = threading.Event()
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())  # close the session cleanly
    status_line = err.status("starting...", spinner="dots") if not json_out else None

    def show(s: dict) -> None:
        if status_line is not None:
            status_line.update(
                f"live {_hms(s['elapsed'])} | frames in {s['seen']}, kept {s['kept']}, dropped {s['dropped']}"
                f" | lag {s['lag']:.1f}s | {s['events']} events, current {s['current']:.0f}s"
                + (f" | audio backlog {s['audio_backlog']:.0f}s" if s["audio_backlog"] > 2 else "")
                + (f" | reconnects {s['reconnects']}" if s["reconnects"] else ""))

    try:
        if status_line is not None:
            status_line.start()
        report = run_live(spec, memory, cfg, vision, hearing, people, duration=limit, stop=stop, status=show)
    finally:
        if status_line is not None:
            status_line.stop()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, previous)
    lags = sorted(report.lags)
    p95 = lags[int(0.95 * (len(lags) - 1))] if lags else 0.0
    data = {
        "source_id": report.source_id, "uri": report.uri, "seconds": round(report.seconds, 2),
        "events": report.events, "utterances": report.utterances, "frames": report.frames,
        "dropped": report.dropped, "reconnects": report.reconnects,
        "gaps": [[round(a, 2), round(b, 2)] for a, b in report.gaps], "ended_by": report.ended_by,
        "error": report.error, "warnings": report.warnings, "lag_p95": round(p95, 2),
        "relabelled": report.relabelled,
    }
    if json_out:
        print_json({"db": str(memory.root), "live": data})
    else:
        out.print(f"session {report.source_id} ({escape(report.uri)}): {_hms(report.seconds)}, "
                  f"{report.events} events, {report.utterances} utterances, {report.frames} frames "
                  f"({report.dropped} dropped), ended by {report.ended_by}"
                  + (f", {report.reconnects} reconnects" if report.reconnects else "")
                  + (f", {report.relabelled} voice turns relabelled" if report.relabelled else ""))
    for w in report.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}")
    if report.error:
        err.print(f"[bold red]error:[/] {escape(report.error)}")
        import typer

        raise typer.Exit(2)


def _hms(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"
