"""Object storage in and out: an S3-compatible server (moto) on loopback holds both the videos
and the memory; `mmem batch`, `events`, `ask` and `transcript` work on s3:// URIs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.batch.conftest import GOOD, PLAIN, batch_here, mmem, snapshot

pytestmark = pytest.mark.integration


def start_moto(**env: str) -> tuple[subprocess.Popen, str]:
    """moto's S3 server on a free loopback port (env: e.g. INITIAL_NO_AUTH_ACTION_COUNT=0 to
    make it check credentials)."""
    pytest.importorskip("moto")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).read()
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("moto server did not start")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def s3(folder):
    boto3 = pytest.importorskip("boto3")
    proc, url = start_moto()
    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
             "AWS_ENDPOINT_URL": url}
    client = boto3.client("s3", endpoint_url=url, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
    client.create_bucket(Bucket="home")
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), "home", f"videos/{path.relative_to(folder).as_posix()}")
    saved = {k: os.environ.get(k) for k in creds}
    os.environ.update(creds)
    yield client
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    proc.terminate()
    proc.wait()


def test_a_bucket_in_and_a_bucket_out(s3, baseline):
    """Two workers take the videos from a bucket into a memory in a bucket: nothing is lost (the
    whole memory is the local baseline's), `ask` and `events` work there and a rerun skips every
    file. (Once with two workers, not once with one and once with two: a batch run costs a minute,
    and one worker's run is the baseline's code path. The reads and the rerun run in this process:
    what they show is what they find in the bucket, not how a process starts; a pool rerun would
    spawn two workers and load their models only to skip.)"""
    proc = mmem("batch", "s3://home/videos", "--workers", "2", "--db", "s3://home/mmem", *PLAIN, "--json",
                check_json=True)
    assert proc.returncode == 1, proc.stderr  # the corrupt and the empty file
    assert proc.report["backend"] == "pool" and proc.report["workers"] == 2
    files = {f["uri"]: f for f in proc.report["files"]}
    assert files["s3://home/videos/talk/jfk.flac"]["status"] == "ingested"
    assert files["s3://home/videos/broken.mp4"]["status"] == "failed"
    assert proc.report["summary"]["ingested"] == len(GOOD)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="home", Prefix="mmem/")["Contents"]}
    assert "mmem/mmem.json" in keys and any(k.startswith("mmem/keyframes/") for k in keys)
    assert any(k.startswith("mmem/lance/events.lance/") for k in keys)

    # same ids, times, transcripts and entities as from a local folder; no row lost to the
    # two workers appending to one bucket memory
    assert snapshot("s3://home/mmem") == baseline

    from typer.testing import CliRunner

    from mmem.cli import app

    ask = CliRunner().invoke(app, ["ask", "what can you do for your country", "--db", "s3://home/mmem",
                                   "--json"])
    assert ask.exit_code == 0, ask.output
    best = json.loads(ask.stdout)["moments"][0]
    assert best["source"].endswith("jfk.flac") and "country" in best["transcript"]
    events = CliRunner().invoke(app, ["events", "--db", "s3://home/mmem", "--json"])
    assert events.exit_code == 0, events.output
    keyframes = [k for e in json.loads(events.stdout)["events"] for k in e["keyframes"]]
    assert keyframes and all(k.startswith("s3://home/mmem/keyframes/") for k in keyframes)

    again = batch_here("s3://home/videos", "--db", "s3://home/mmem", *PLAIN, "--json")
    assert again.exit_code == 1, again.output
    assert {f["status"] for f in again.report["files"] if not f["error"]} == {"skipped"}  # not redone
    assert snapshot("s3://home/mmem") == baseline


def test_a_dead_endpoint_is_one_line(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    t0 = time.monotonic()
    for target in (["s3://home/videos", "--db", tmp_path / "db"], [tmp_path, "--db", "s3://home/mmem"]):
        proc = mmem("batch", *target, *PLAIN)
        assert proc.returncode == 2 and proc.stderr.startswith("error:"), proc.stderr
        assert "cannot reach the object store" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert time.monotonic() - t0 < 120
    assert not (tmp_path / "db").exists()


def test_missing_credentials_are_one_line(tmp_path, monkeypatch):
    proc, url = start_moto(INITIAL_NO_AUTH_ACTION_COUNT="0")  # this one checks signatures
    try:
        for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", url)
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        run = mmem("batch", "s3://home/videos", "--db", tmp_path / "db", *PLAIN)
        assert run.returncode == 2 and run.stderr.startswith("error:"), run.stderr
        assert "AWS_ACCESS_KEY_ID" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    finally:
        proc.terminate()
        proc.wait()
