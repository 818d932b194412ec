"""Speech-to-text behind one interface, with two Whisper backends.

`faster-whisper` (CTranslate2; int8 on CPU, fp16 on CUDA) is the default: about 4x faster than
the reference on a CPU. `openai-whisper` is the reference implementation. Both take a model
name or a local path; weights are found by mmem.weights, never here.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import numpy as np

from mmem.errors import InputError
from mmem.sources.audio import SAMPLE_RATE
from mmem.types import Utterance, Word
from mmem.weights import ASRWeights


class Transcriber(Protocol):
    model_id: str

    def transcribe(self, samples: np.ndarray, offset: float, *, quick: bool = False) -> list[Utterance]:
        """16 kHz mono float32 audio starting at `offset` seconds -> utterances on that clock.
        `quick`: one greedy decode, no retries at higher temperatures (a second hearing of a
        stretch the first left out; on noise the fallbacks cost several decodes)."""
        ...


def check_language(language: str | None, model_id: str, english_only: bool) -> None:
    if language is None:
        return
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    if language not in _LANGUAGE_CODES:
        raise InputError(f"--language {language!r} is not a Whisper language code: use e.g. en, de, fr, ja")
    if english_only and language != "en":
        raise InputError(
            f"--language {language}: {model_id} is English-only: use a multilingual model "
            "(e.g. --asr-model small) or --language en"
        )


BEAM = 5  # beam width of the second reading of a window the greedy one read badly
# Tokens a window may be read as: speech runs at 2-5 words a second (~1.3 tokens a word), and
# a reading adds a pair of timestamp tokens per sentence. A decoder caught in a loop ("ha ha ha
# ...", a phrase over and over) otherwise writes until Whisper's 448-token limit, costing
# seconds of CPU for text that is then thrown away as a loop anyway.
TOKENS_PER_SECOND, TOKENS_SLACK, MAX_TOKENS = 8.0, 16, 440
COMPRESSION, LOGPROB, NO_SPEECH = 2.4, -1.0, 0.6  # Whisper's own "read badly" thresholds
FULL_CONTEXT = 30.0  # seconds of audio Whisper's encoder was trained on (3000 mel frames)
FRAMES_PER_SECOND = 100  # mel frames


def context_frames(features: np.ndarray, tail: float) -> int:
    """Mel frames of a (padded) window's encoder input: its audio and `tail` s of the padding
    after it, at most the window (tail <= 0: all of it, Whisper's 30 s). faster-whisper pads
    the log-mel features with exact zeros, which no frame of audio is (the log of its power is
    floored 8 decades below the window's loudest); faster-whisper's own second window, from
    where the first reading stopped, is measured the same way."""
    frames = features.shape[-1]
    if tail <= 0:
        return frames
    heard = np.flatnonzero(np.any(features.reshape(-1, frames) != 0, axis=0))
    content = int(heard[-1]) + 1 if heard.size else 0
    return min(frames, content + int(math.ceil(tail * FRAMES_PER_SECOND)))


def _whisper_model(path: str, **kwargs: Any) -> Any:
    """faster-whisper's WhisperModel whose encoder reads each (padded) 30 s window only up to
    `tail` s after its audio (context_frames), and encodes a window it was just asked for
    once (a window read again by beam search is the same audio)."""
    from faster_whisper import WhisperModel

    class ContextWhisper(WhisperModel):  # type: ignore[misc]
        tail = 0.0  # seconds; set by FasterWhisper for its readings, 0 otherwise (30 s)
        _last: tuple[bytes, Any] | None = None

        def encode(self, features: np.ndarray) -> Any:
            import hashlib

            n = context_frames(features, self.tail)
            if features.shape[-1] > n:
                features = np.ascontiguousarray(features[..., :n])
            key = hashlib.blake2b(features.tobytes(), digest_size=16).digest()
            if self._last is not None and self._last[0] == key:
                return self._last[1]
            out = super().encode(features)
            self._last = (key, out)
            return out

    return ContextWhisper(path, **kwargs)


def _read_badly(segments: list) -> bool:
    """Whisper's fallback test: a loop (text that compresses too well) or a guess (low mean
    log-probability) that is not just silence."""
    return any(s.compression_ratio > COMPRESSION
               or (s.avg_logprob < LOGPROB and s.no_speech_prob <= NO_SPEECH) for s in segments)


def _mean_logprob(segments: list) -> float:
    return float(np.mean([s.avg_logprob for s in segments])) if segments else float("-inf")


def _cpu_threads() -> int:
    """CTranslate2's threads: its default of 4 is twice the cores of a 2-core machine, where the
    extra two only contend (dev day, idle, frames seen beside the audio pass: 2 threads 2-8% less
    wall and 2-7% less CPU than 4, three runs each; the same words with 1, 2 or 4). 0 (its own
    default) where OMP_NUM_THREADS says how many, as a Ray worker's does."""
    import os

    if os.environ.get("OMP_NUM_THREADS"):
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(4, cores))


class FasterWhisper:
    context_tail = 0.0  # seconds of padding the encoder reads after a window's audio (context_frames)

    def __init__(self, weights: ASRWeights, device: str = "cpu", language: str | None = None,
                 context_tail: float = 0.0) -> None:
        cuda = device.startswith("cuda")
        self.model_id = weights.model_id
        self.context_tail = context_tail
        index = int(device.split(":")[1]) if ":" in device else 0
        self._model = _whisper_model(
            str(weights.path), device="cuda" if cuda else "cpu", device_index=index,
            compute_type="float16" if cuda else "int8", cpu_threads=_cpu_threads(),
        )
        self.english_only = not self._model.model.is_multilingual
        check_language(language, weights.model_id, self.english_only)
        self.language = language or ("en" if self.english_only else None)

    def transcribe(self, samples: np.ndarray, offset: float, *, quick: bool = False) -> list[Utterance]:
        from threadpoolctl import threadpool_limits

        # the mel spectrogram is a numpy matmul: with several BLAS threads its sums (and so,
        # on a borderline window, the words) depend on how many threads the process has, and a
        # Ray worker (OMP_NUM_THREADS=1) would hear a file differently from this process
        with threadpool_limits(limits=1, user_api="blas"):
            segments, info = self._read(samples, 1, self.context_tail)
            # Whisper's own fallback reads a bad window again at rising temperatures by random
            # sampling: the words then change from run to run (ctranslate2 seeds each thread
            # once) and it costs up to five more readings of five samples each. A beam search
            # is the deterministic second reading, over the whole 30 s the encoder was trained
            # on (a decoder that looped on a short context has its usual one); the better-scored
            # of the two is kept.
            if not quick and _read_badly(segments):
                again, info2 = self._read(samples, BEAM, 0.0)
                if _mean_logprob(again) > _mean_logprob(segments):
                    segments, info = again, info2
            return self._utterances(segments, info, offset, quick)

    def _read(self, samples: np.ndarray, beam: int, tail: float) -> tuple[list, Any]:
        seconds = samples.size / SAMPLE_RATE
        self._model.tail = tail
        try:  # the segments are decoded as the generator is read
            segments, info = self._model.transcribe(
                samples, language=self.language, beam_size=beam, word_timestamps=True,
                condition_on_previous_text=False, vad_filter=False, temperature=0.0,
                max_new_tokens=min(MAX_TOKENS, int(TOKENS_PER_SECOND * seconds) + TOKENS_SLACK),
            )
            return list(segments), info
        finally:  # the model read directly (a test's reference pass) reads whole windows
            self._model.tail = 0.0

    @staticmethod
    def _utterances(segments: list, info: Any, offset: float, quick: bool) -> list[Utterance]:
        out = []
        for s in segments:
            if s.no_speech_prob > 0.8 and s.avg_logprob < -1.0:
                continue  # Whisper's own "this was not speech"
            if s.compression_ratio > COMPRESSION:
                continue  # a loop (after both readings when not quick): no one said that
            if quick and s.avg_logprob < LOGPROB:
                continue  # what a fallback would have decoded again: a guess
            text = s.text.strip()
            if not text:
                continue
            words = [
                Word(w.word.strip(), offset + float(w.start), offset + float(w.end), float(w.probability))
                for w in (s.words or [])
            ]
            out.append(Utterance(offset + float(s.start), offset + float(s.end), text, words,
                                 info.language, float(math.exp(min(0.0, s.avg_logprob)))))
        return out


class OpenAIWhisper:
    def __init__(self, weights: ASRWeights, device: str = "cpu", language: str | None = None) -> None:
        import whisper

        self.model_id = weights.model_id
        self._model = whisper.load_model(str(weights.path), device=device)
        self.english_only = not self._model.is_multilingual
        check_language(language, weights.model_id, self.english_only)
        self.language = language or ("en" if self.english_only else None)
        self._fp16 = device.startswith("cuda")

    def transcribe(self, samples: np.ndarray, offset: float, *, quick: bool = False) -> list[Utterance]:
        result = self._model.transcribe(
            samples, language=self.language, word_timestamps=True, fp16=self._fp16,
            condition_on_previous_text=False, temperature=0.0, verbose=None,
        )
        out = []
        for s in result["segments"]:
            text = s["text"].strip()
            if not text or (s["no_speech_prob"] > 0.8 and s["avg_logprob"] < -1.0):
                continue
            if quick and (s["compression_ratio"] > 2.4 or s["avg_logprob"] < -1.0):
                continue
            words = [Word(w["word"].strip(), offset + w["start"], offset + w["end"], float(w["probability"]))
                     for w in s.get("words", [])]
            out.append(Utterance(offset + s["start"], offset + s["end"], text, words,
                                 result.get("language"), float(math.exp(min(0.0, s["avg_logprob"])))))
        return out


def build_transcriber(weights: ASRWeights, device: str, language: str | None,
                      context_tail: float = 0.0) -> Transcriber:
    if weights.backend == "faster-whisper":
        return FasterWhisper(weights, device, language, context_tail)
    return OpenAIWhisper(weights, device, language)
