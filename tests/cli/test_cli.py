"""The CLI through Typer's runner: the happy path, the JSON contracts, and every bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.cli.clirun import TINY, ingested, run


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """A memory with the three samples, ingested once for the read-only tests."""
    from tests.conftest import SAMPLES

    return ingested(tmp_path_factory, "cli", SAMPLES / "bigbuckbunny.mp4", SAMPLES / "bikes.mp4",
                    SAMPLES / "bbaf2n.mpg")


def n_events(db) -> int:
    result = run("events", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    return len(json.loads(result.stdout)["events"])


def test_ingest_prints_a_summary_and_json(tmp_path, samples):
    result = run("ingest", samples / "bikes.mp4", *TINY, "--db", tmp_path / "db")
    assert result.exit_code == 0, result.output
    assert "bikes.mp4" in result.stdout and "real time" in result.stdout
    again = run("ingest", samples / "bikes.mp4", *TINY, "--db", tmp_path / "db", "--json")
    data = json.loads(again.stdout)
    assert data["sources"][0]["status"] == "skipped" and data["sources"][0]["events"] >= 1


def test_events_json_is_the_timeline(db):
    result = run("events", "--db", db, "--json")
    events = json.loads(result.stdout)["events"]
    assert {tuple(sorted(e)) for e in events} == {
        ("end", "id", "keyframes", "level", "parent", "source", "start", "started_at", "surprise")}
    assert {e["level"] for e in events} == {"event"}
    by_source: dict[str, list] = {}
    for e in events:
        by_source.setdefault(e["source"], []).append(e)
    assert len(by_source) == 3
    for evs in by_source.values():
        assert evs[0]["start"] == 0.0 and [e["start"] for e in evs] == sorted(e["start"] for e in evs)
    one = run("events", "--db", db, "--source", "bikes.mp4", "--json")
    assert {e["source"].rsplit("/", 1)[-1] for e in json.loads(one.stdout)["events"]} == {"bikes.mp4"}
    table = run("events", "--db", db)
    assert "bikes.mp4" in table.stdout and "events" in table.stdout


def test_ask_json_matches_the_contract(db):
    result = run("ask", "a rabbit in a meadow", "-k", "2", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"question", "answer", "abstained", "moments"} and data["abstained"] is False
    assert data["question"] == "a rabbit in a meadow" and isinstance(data["answer"], str)
    assert 1 <= len(data["moments"]) <= 2
    for m in data["moments"]:
        assert set(m) == {"event_id", "source", "start", "end", "started_at", "score",
                          "transcript", "entities", "speakers", "keyframe", "evidence", "episode"}
        assert m["episode"]["start"] <= m["start"] < m["episode"]["end"]  # the stretch around it
        assert m["evidence"] and all(e["channel"] in ("speech", "semantic", "vision", "entity")
                                     and 0.0 <= e["score"] <= 1.0 for e in m["evidence"])
        assert isinstance(m["start"], float) and m["end"] > m["start"]
        assert m["started_at"] is None
        assert all(set(e) == {"id", "name", "kind"} for e in m["entities"])
        assert m["keyframe"].endswith(".jpg")
        said = m["transcript"]
        assert (said is not None) == m["source"].endswith("bbaf2n.mpg")  # the only clip with speech
        if m["source"].endswith("bbaf2n.mpg"):
            assert m["entities"]  # the talking face (and its voice)
        else:  # at most a passer-by's face (bikes.mp4, at 1.2 s): no voice anywhere else
            assert all(e["kind"] == "face" for e in m["entities"])
    table = run("ask", "a rabbit", "--db", db)
    assert table.exit_code == 0 and "Best evidence" in table.stdout


def test_doctor_reports_device_models_and_channels(tmp_path):
    result = run("doctor", "--db", tmp_path / "none", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["channels"]["pixel"]["active"] is True
    assert data["channels"]["vision"]["active"] is False  # no CLIP weights can be had offline
    assert "mmem models pull" in data["channels"]["vision"]["why"]
    assert data["device"]["selected"] in ("cpu", "cuda")
    plan = {p["name"]: p for p in data["plan"]}
    assert list(plan) == ["pixel", "vision", "audio", "asr", "text", "faces", "voices"]
    assert plan["vision"]["runs"] is False and plan["vision"]["why"] == data["channels"]["vision"]["why"]
    assert set(plan["asr"]) == {"name", "runs", "why", "model_id"}
    human = run("doctor", "--db", tmp_path / "none", *TINY[:4])
    assert "vision  active" in human.stdout
    assert "plan      pixel, vision (mmem-tiny/random)" in human.stdout


def test_models_pull_takes_the_asr_model_the_weights_message_names():
    pulled = run("models", "pull", "--asr-model", "tiny.en", "--json")
    assert pulled.exit_code == 0, pulled.output
    assert json.loads(pulled.stdout)["model_id"] == "faster-whisper/tiny.en"  # ships offline
    missing = run("models", "pull", "--asr-model", "small", "--asr-backend", "openai-whisper")
    assert missing.exit_code == 2
    named = "`mmem models pull --asr-model small --asr-backend openai-whisper` on a connected"
    assert named in missing.stderr


def test_missing_weights_skip_vision_with_a_warning_and_ask_says_so(tmp_path, samples):
    result = run("ingest", samples / "bbaf2n.mpg", "--no-audio", "--db", tmp_path / "db")
    assert result.exit_code == 0, result.output
    assert "vision channel skipped" in result.stderr and "mmem models pull" in result.stderr
    assert n_events(tmp_path / "db") == 1
    asked = run("ask", "a man talking", "--db", tmp_path / "db", "--json")
    assert asked.exit_code == 0
    data = json.loads(asked.stdout)
    assert data["moments"] == [] and "No visual index" in data["answer"]


def test_require_vision_turns_missing_weights_into_an_error(tmp_path, samples):
    result = run("ingest", samples / "bbaf2n.mpg", "--require", "vision", "--db", tmp_path / "db")
    assert result.exit_code == 2
    assert "not cached" in result.stderr


@pytest.mark.parametrize(
    "case, match",
    [
        ("missing", "no such file"),
        ("directory", "--recursive"),
        ("empty", "empty"),
        ("not_media", "cannot be opened as media"),
        ("truncated", "truncated"),
        ("garbage_audio", "cannot be opened as media"),
        ("bad_device", "unknown --device"),
        ("db_is_a_file", "is a file"),
        ("foreign_db", "not an mmem memory"),
        ("bad_fps", "--fps must be > 0"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_loses_nothing(tmp_path, samples, db, case, match):
    work = tmp_path / "db"
    shutil.copytree(db, work)
    before = n_events(work)
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(samples / "bikes.mp4", folder)
    args: list = [samples / "bikes.mp4"]
    extra: list = []
    db_arg: object = work
    if case == "missing":
        args = [tmp_path / "nope.mp4"]
    elif case == "directory":
        args = [folder]
    elif case == "empty":
        (tmp_path / "empty.mp4").write_bytes(b"")
        args = [tmp_path / "empty.mp4"]
    elif case == "not_media":
        (tmp_path / "report.mkv").write_text("quarterly numbers\n" * 100)
        args = [tmp_path / "report.mkv"]
    elif case == "truncated":
        (tmp_path / "cut.mp4").write_bytes((samples / "bigbuckbunny.mp4").read_bytes()[:400_000])
        args = [tmp_path / "cut.mp4"]
    elif case == "garbage_audio":
        (tmp_path / "voice.flac").write_bytes(b"fLaC" + bytes(range(256)) * 20)
        args = [tmp_path / "voice.flac"]
    elif case == "bad_device":
        extra = ["--device", "tpu"]
    elif case == "db_is_a_file":
        db_arg = tmp_path / "memory.txt"
        (tmp_path / "memory.txt").write_text("x")
    elif case == "foreign_db":
        db_arg = folder
    elif case == "bad_fps":
        extra = ["--fps", "0"]
    result = run("ingest", *args, *(extra or TINY), "--db", db_arg)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert match in lines[0]
    assert n_events(work) == before


def test_a_folder_ingests_with_recursive(tmp_path, samples):
    folder = tmp_path / "videos" / "day1"
    folder.mkdir(parents=True)
    shutil.copy(samples / "bikes.mp4", folder)
    shutil.copy(samples / "bbaf2n.mpg", folder)
    (folder / "notes.txt").write_text("not a video")
    result = run("ingest", tmp_path / "videos", "-r", *TINY, "--db", tmp_path / "db", "--json")
    assert result.exit_code == 0, result.output
    assert sorted(s["uri"].rsplit("/", 1)[-1] for s in json.loads(result.stdout)["sources"]) == [
        "bbaf2n.mpg", "bikes.mp4"]


def test_read_commands_on_a_missing_memory_or_source(tmp_path, db):
    for args in (["ask", "anything"], ["events"]):
        result = run(*args, "--db", tmp_path / "nothing")
        assert result.exit_code == 2 and "mmem ingest" in result.stderr
    result = run("events", "--source", "nosuch.mp4", "--db", db)
    assert result.exit_code == 2 and "no source matches" in result.stderr
    result = run("ask", "  ", "--db", db)
    assert result.exit_code == 2 and "empty" in result.stderr
    for question, says in (("what did he say?", "no word to search for"), ("x" * 10_000, "characters long")):
        result = run("ask", question, "--db", db)
        assert result.exit_code == 2 and says in result.stderr and len(result.stderr.splitlines()) == 1


def test_cuda_on_a_machine_without_a_gpu_is_a_clear_error(tmp_path, samples):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = run("ingest", samples / "bikes.mp4", *TINY[:4], "--device", "cuda", "--db", tmp_path / "db")
    assert result.exit_code == 2 and "no CUDA GPU" in result.stderr


def test_import_and_help_do_not_load_torch():
    code = ("import sys, mmem, mmem.cli; from typer.testing import CliRunner; "
            "r = CliRunner().invoke(mmem.cli.app, ['--help']); assert r.exit_code == 0; "
            "print(sorted(m for m in ('torch', 'lancedb', 'open_clip', 'av', 'cv2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_models_pull_offline_names_the_fix_and_list_shows_the_cache(tmp_path):
    result = run("models", "pull")
    assert result.exit_code == 2 and "no network" in result.stderr
    listed = run("models", "list", "--json")
    files = json.loads(listed.stdout)["files"]  # nothing downloaded (the text model's ONNX export may
    # be there, with its runtime copy: models/onnx/NAME/model.onnx, ort-VERSION/{model.onnx,weights.bin})
    assert listed.exit_code == 0 and [f for f in files if "/onnx/" not in f["path"]] == []


def test_ask_with_a_dead_llm_endpoint_falls_back_to_the_evidence_with_one_warning(db):
    import socket

    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run("ask", "a rabbit", "--db", db, "--llm", f"http://127.0.0.1:{port}")
    assert result.exit_code == 0, result.output
    assert "Best evidence" in result.stdout and result.stderr.count("warning:") == 1
    bad = run("ask", "a rabbit", "--db", db, "--llm", "localhost:1")
    assert bad.exit_code == 2 and "error:" in bad.stderr


def test_ask_can_be_limited_to_one_source(db):
    result = run("ask", "people", "--source", "bikes.mp4", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    moments = json.loads(result.stdout)["moments"]
    assert moments and {m["source"].rsplit("/", 1)[-1] for m in moments} == {"bikes.mp4"}


def test_transcript_in_every_format(tmp_path):
    from tests.conftest import ROOT

    jfk = ROOT / "samples" / "jfk.flac"
    assert run("ingest", jfk, "--db", tmp_path / "db").exit_code == 0
    text = run("transcript", "jfk.flac", "--db", tmp_path / "db")
    assert text.exit_code == 0 and "country can do for you" in text.stdout
    srt = run("transcript", "jfk.flac", "--srt", "--db", tmp_path / "db").stdout
    assert srt.startswith("1\n00:00:00,") and " --> " in srt
    vtt = run("transcript", "jfk.flac", "--vtt", "--db", tmp_path / "db").stdout
    assert vtt.startswith("WEBVTT\n\n00:00:00.")
    data = json.loads(run("transcript", "jfk.flac", "--json", "--db", tmp_path / "db").stdout)
    seg = data["segments"][0]
    assert seg["language"] == "en" and seg["words"][0]["start"] <= seg["words"][-1]["end"] <= 11.5
    asked = run("ask", "what can you do for your country", "--db", tmp_path / "db", "--json")
    asked = json.loads(asked.stdout)
    assert asked["moments"][0]["start"] < 11 and "country" in asked["moments"][0]["transcript"]
    missing = run("transcript", "nope.wav", "--db", tmp_path / "db")
    assert missing.exit_code == 2 and "no source matches" in missing.stderr


@pytest.mark.parametrize("args, match", [
    (["--language", "fr"], "English-only"),
    (["--language", "xx"], "not a Whisper language"),
    (["--asr-backend", "vosk"], "unknown --asr-backend"),
    (["--asr-model", "small", "--require", "asr"], "not cached"),
])
def test_bad_audio_options_are_exit_2(tmp_path, samples, args, match):
    result = run("ingest", samples / "bbaf2n.mpg", *TINY, *args, "--db", tmp_path / "db")
    assert result.exit_code == 2, result.output
    assert match in result.stderr and result.stderr.count("\n") == 1


def test_a_missing_asr_model_skips_speech_but_keeps_the_video(tmp_path, samples):
    result = run("ingest", samples / "bbaf2n.mpg", *TINY, "--asr-model", "small", "--db", tmp_path / "db",
                 "--json")
    assert result.exit_code == 0, result.output
    assert "asr channel skipped" in result.stderr
    src = json.loads(result.stdout)["sources"][0]
    assert src["events"] == 1 and src["utterances"] == 0 and "asr" not in src["channels"]
    assert any(s.startswith("asr: ") for s in src["skipped"])


def test_recursive_ingest_with_globs_and_an_extensionless_recording(tmp_path, samples):
    folder = tmp_path / "cams"
    (folder / "tmp").mkdir(parents=True)
    shutil.copy(samples / "bbaf2n.mpg", folder / "front_door")  # a camera dump with no extension
    shutil.copy(samples / "bikes.mp4", folder / "tmp" / "partial.mp4")
    result = run("ingest", folder, "-r", "--exclude", "tmp/*", *TINY, "--db", tmp_path / "db", "--json")
    assert result.exit_code == 0, result.output
    assert [s["uri"].rsplit("/", 1)[-1] for s in json.loads(result.stdout)["sources"]] == ["front_door"]
    none = run("ingest", folder, "-r", "--include", "*.mkv", *TINY, "--db", tmp_path / "db")
    assert none.exit_code == 2 and "--include/--exclude" in none.stderr
