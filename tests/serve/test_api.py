"""`mmem serve`'s JSON API through FastAPI's TestClient, over a real small memory: the CLI's
`--json` shapes, files with range requests and nothing else, tokens, writes, bad input."""

from __future__ import annotations

import json
import os
from urllib.parse import quote

import pytest

from tests.cli.clirun import run

QUESTION = "what can you do for your country"


def cli_json(*args):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_read_routes_give_the_cli_json(client, served_db):
    assert client.get("/api/events").json() == cli_json("events", "--db", served_db)
    assert client.get("/api/entities").json() == cli_json("entities", "--db", served_db)
    assert client.get("/api/entities/E1").json() == cli_json("entities", "show", "E1", "--db", served_db)
    assert client.get("/api/transcript", params={"source": "jfk.flac"}).json() == \
        cli_json("transcript", "jfk.flac", "--db", served_db)
    got = client.get("/api/ask", params={"q": QUESTION, "k": 3}).json()
    assert got == cli_json("ask", QUESTION, "-k", 3, "--db", served_db)
    top = got["moments"][0]
    assert top["source"].endswith("jfk.flac") and "your country" in top["transcript"]


def test_sources_say_which_player_each_needs(client):
    by_name = {s["name"]: s for s in client.get("/api/sources").json()["sources"]}
    assert by_name["jfk.flac"]["media"] == "audio" and by_name["bigbuckbunny.mp4"]["media"] == "video"
    assert by_name["jfk.flac"]["duration"] == pytest.approx(11.0, abs=0.1)


def test_media_is_served_with_range_requests(client):
    uri = next(s["uri"] for s in client.get("/api/sources").json()["sources"] if s["name"] == "jfk.flac")
    size = os.path.getsize(uri)
    whole = client.get("/files", params={"path": uri})
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert len(whole.content) == size
    part = client.get("/files", params={"path": uri}, headers={"range": "bytes=1000-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000-1099/{size}"
    with open(uri, "rb") as f:
        f.seek(1000)
        assert part.content == f.read(100)
    beyond = client.get("/files", params={"path": uri}, headers={"range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416


def test_keyframes_are_served(client):
    event = next(e for e in client.get("/api/events").json()["events"] if e["keyframes"])
    res = client.get("/files", params={"path": event["keyframes"][0]})
    assert res.status_code == 200 and res.headers["content-type"] == "image/jpeg"
    assert res.content[:2] == b"\xff\xd8"


def test_no_other_file_is_served(client_for, db_copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not yours")
    kdir = next((db_copy / "keyframes").iterdir())
    (kdir / "evil.jpg").symlink_to(secret)
    (db_copy / "keyframes" / "evil-dir").symlink_to(tmp_path, target_is_directory=True)
    client = client_for(db_copy)
    refused = [str(secret), "/etc/passwd", str(kdir / "../../../secret.txt"), str(kdir / "evil.jpg"),
               str(db_copy / "keyframes" / "evil-dir" / "secret.txt"), str(db_copy / "mmem.json"),
               str(kdir), "relative/keyframe.jpg", str(kdir / "..%2f..%2f..%2fsecret.txt")]
    for path in refused:
        res = client.get("/files", params={"path": path})
        assert res.status_code == 404, path
        assert b"not yours" not in res.content
    # `..` percent-encoded in the raw URL (decoded once by the server, then refused)
    raw = quote(str(kdir)) + "%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.txt"
    res = client.get("/files?path=" + raw)
    assert res.status_code == 404 and b"not yours" not in res.content
    assert client.get("/files/../../etc/passwd").status_code == 404


def test_unknown_routes_and_malformed_queries(client):
    res = client.get("/api/nothing-here")
    assert res.status_code == 404 and res.headers["content-type"] == "application/json"
    missing = client.get("/api/ask")
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["query", "q"]
    bad_k = client.get("/api/ask", params={"q": "x", "k": "many"})
    assert bad_k.status_code == 422 and bad_k.json()["detail"][0]["loc"] == ["query", "k"]
    assert client.get("/api/ask", params={"q": "x", "since": "yesterday-ish"}).status_code == 422
    assert client.get("/api/transcript").json()["detail"][0]["loc"] == ["query", "source"]
    nosrc = client.get("/api/events", params={"source": "nope.mp4"})
    assert nosrc.status_code == 422 and "nope.mp4" in nosrc.json()["detail"]
    assert client.get("/api/entities/E999").status_code == 422
    assert client.post("/api/ask", params={"q": "x"}).status_code == 405


def test_docs_and_page_work_offline(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    assert "/api/ask" in client.get("/openapi.json").json()["paths"]
    page = client.get("/")
    assert page.status_code == 200 and 'name="mmem-write-token"' in page.text
    assets = [client.get(f"/static/{name}").text for name in ("app.js", "style.css")]
    for text in (page.text, docs.text, *assets):
        assert "http://" not in text and "https://" not in text  # no CDN, nothing fetched from outside
    assert client.get("/static/../serve.json").status_code == 404


def test_a_token_guards_every_request(client_for, served_db):
    client = client_for(served_db, token="s3cret")
    for path in ("/", "/api/events", "/docs", "/openapi.json", "/static/app.js", "/api/live",
                 "/files?path=" + quote(str(served_db / "mmem.json"))):
        res = client.get(path)
        assert res.status_code == 401, path
        assert "events" not in res.text
        assert client.get(path, headers={"authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/api/events", headers={"authorization": "Bearer s3cret"}).status_code == 200
    page = client.get("/", params={"token": "s3cret"})  # the browser's first visit sets a cookie
    assert page.status_code == 200 and "mmem_token" in page.headers["set-cookie"]
    assert client.get("/api/events").status_code == 200  # ...which the page's requests carry


def test_without_a_token_only_loopback_names_are_answered(client):
    assert client.get("/api/events", headers={"host": "evil.example:8765"}).status_code == 403
    assert client.get("/api/events", headers={"host": "localhost:8765"}).status_code == 200


def test_name_merge_forget_are_token_guarded_writes(client_for, db_copy):
    client = client_for(db_copy)
    write = client.get("/").text.split('name="mmem-write-token" content="')[1].split('"')[0]
    ok = {"x-mmem-token": write}
    assert client.post("/api/entities/E1/name", json={"name": "Kennedy"}).status_code == 403
    assert client.post("/api/entities/E1/name", json={"name": "Kennedy"},
                       headers={"x-mmem-token": "guess"}).status_code == 403
    nameless = client.post("/api/entities/E1/name", json={}, headers=ok)
    assert nameless.status_code == 422 and nameless.json()["detail"][0]["loc"] == ["body", "name"]
    # the voice heard in the answer's moment
    who = client.get("/api/ask", params={"q": QUESTION}).json()["moments"][0]["entities"][0]["id"]
    res = client.post(f"/api/entities/{who}/name", json={"name": "Kennedy"}, headers=ok)
    assert res.status_code == 200 and res.json()["named"] == [who]
    named = {e["id"]: e["name"] for e in cli_json("entities", "--db", db_copy)["entities"]}
    assert named[who] == "Kennedy"
    top = client.get("/api/ask", params={"q": QUESTION}).json()["moments"][0]
    assert "Kennedy" in [e["name"] for e in top["entities"]]
    same = client.post("/api/entities/merge", json={"keep": who, "other": "Kennedy"}, headers=ok)
    assert same.status_code == 422 and "same entity" in same.json()["detail"]
    from tests.conftest import ROOT  # a second voice to merge with (a LibriSpeech reader)

    other = ROOT / "tests" / "data" / "voices" / "1688" / "1688-142285-0000.flac"
    assert run("ingest", other, "--db", db_copy, "--device", "cpu").exit_code == 0
    voices = [e["id"] for e in cli_json("entities", "--db", db_copy)["entities"] if e["kind"] == "voice"]
    keep, drop = sorted(voices)[:2]
    merged = client.post("/api/entities/merge", json={"keep": keep, "other": drop}, headers=ok)
    assert merged.status_code == 200 and merged.json() == {"merged": drop, "into": keep}
    assert drop not in {p["id"] for p in client.get("/api/entities").json()["entities"]}
    unconfirmed = client.post(f"/api/entities/{keep}/forget", json={"confirm": False}, headers=ok)
    assert unconfirmed.status_code == 422
    assert client.post(f"/api/entities/{keep}/forget", json={"confirm": True}, headers=ok).status_code == 200
    assert keep not in {p["id"] for p in cli_json("entities", "--db", db_copy)["entities"]}


def test_a_read_only_memory_serves_read_only(client_for, db_copy):
    client = client_for(db_copy, read_only=True)
    write = client.get("/").text.split('name="mmem-write-token" content="')[1].split('"')[0]
    assert client.get("/api/info").json()["read_only"] is True
    res = client.post("/api/entities/E1/name", json={"name": "X"}, headers={"x-mmem-token": write})
    assert res.status_code == 403 and "read-only" in res.json()["detail"]
    assert client.get("/api/entities").json()["entities"][0]["name"] is None
    assert client.get("/api/events").status_code == 200


def test_events_ingested_while_serving_appear(client_for, db_copy):
    from mmem.serve.live import Watcher
    from tests.conftest import SAMPLES

    client = client_for(db_copy)
    watcher = Watcher(client.app.state.mmem)
    assert watcher.poll() == []  # the first look takes stock
    before = client.get("/api/events").json()["events"]
    result = run("ingest", SAMPLES / "bikes.mp4", "--db", db_copy, "--no-audio", "--no-entities",
                 "--clip-model", "mmem-tiny", "--clip-pretrained", "random", "--device", "cpu")
    assert result.exit_code == 0, result.output
    after = client.get("/api/events").json()["events"]
    new = [e for e in after if e["source"].endswith("bikes.mp4")]
    assert new and len(after) == len(before) + len(new)
    pushed = watcher.poll()
    assert sorted(d["id"] for k, d in pushed if k == "event") == sorted(e["id"] for e in new)
    assert any(k == "source" and d["name"] == "bikes.mp4" for k, d in pushed)
    assert watcher.poll() == []


def test_a_write_holds_the_writer_lock_only_while_it_runs(client_for, db_copy):
    """The server takes the memory's writer lock per write: an ingest can run while it serves,
    and a write during someone else's ingest is refused (409) naming the holder."""
    import subprocess
    import sys
    import time

    client = client_for(db_copy)
    write = client.get("/").text.split('name="mmem-write-token" content="')[1].split('"')[0]
    ok = {"x-mmem-token": write}
    assert client.post("/api/entities/E1/name", json={"name": "Kennedy"}, headers=ok).status_code == 200
    take = ("import sys, time; from mmem.store.memory import Memory; "
            "Memory.open(sys.argv[1], write=True, command='mmem ingest'); print('held', flush=True); "
            "time.sleep(float(sys.argv[2]))")
    free = subprocess.run([sys.executable, "-c", take, str(db_copy), "0"], capture_output=True, text=True)
    assert free.returncode == 0, free.stderr  # the server's write let go of the lock
    holder = subprocess.Popen([sys.executable, "-c", take, str(db_copy), "60"], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = client.post("/api/entities/E1/name", json={"name": "Jack"}, headers=ok)
        assert busy.status_code == 409 and "mmem ingest" in busy.json()["detail"]
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert client.post("/api/entities/E1/name", json={"name": "Jack"}, headers=ok).status_code == 200


def test_reads_kept_between_questions_follow_every_commit(db_copy):
    """The server keeps whole-table reads (transcripts, entities, spans) between requests under
    the tables' versions: a commit by anyone shows in the next read, and a caller changing the
    rows it was given changes nothing for the next request."""
    from mmem.consolidate import people as ops
    from mmem.serve.state import ServeState
    from mmem.store.memory import Memory

    st = ServeState(db=db_copy)
    said = st.memory().transcripts()
    assert said and st.memory().transcripts() == said  # the second read is the kept one
    said[0].text = "scribbled over"
    assert st.memory().transcripts()[0].text != "scribbled over"
    [voice, *_] = st.memory().entity_rows()
    assert voice.name != "Ada"
    ops.name(Memory.open(db_copy, write=True), voice.id, "Ada")
    assert {r.name for r in st.memory().entity_rows() if r.id == voice.id} == {"Ada"}
    from mmem.consolidate.forgetting import forget_sources

    writer = Memory.open(db_copy, write=True)
    forget_sources(writer, [s for s in writer.sources() if s.id == said[0].source_id])
    assert all(u.source_id != said[0].source_id for u in st.memory().transcripts())
