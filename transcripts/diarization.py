"""Who speaks when, found offline from the audio: speaker embeddings and clustering.

The embeddings come from resemblyzer's voice encoder, whose weights (``pretrained.pt``, 17 MB) ship inside
the PyPI package: nothing is downloaded at run time. The audio is decoded a window of a few minutes at a
time (``engines.audio.windows``), as for transcription, so memory stays flat on a three-hour file:

1. speech is found with WebRTC's voice activity detector (30 ms frames) and cut into *runs* at pauses, so
   that no embedding spans two people taking turns;
2. each run gets embeddings of 1.6-second partials (the length the encoder was trained on) every
   ``HOP_MS``, one 256-number voice print each (about 1 KB: an hour of speech is about 4 MB of them);
3. the voice prints are clustered (average-linkage agglomerative clustering on cosine distance): into the
   number of people the pages name when there is one (``speakers``), else into as many clusters as lie
   further apart than ``DISTANCE`` (one voice gives one label). Past ``MAX_CLUSTERED`` prints, evenly
   spaced ones are clustered and the rest go to the nearest cluster, so the clustering's memory is bounded
   too;
4. labels ``Speaker 1``, ``Speaker 2``, ... in order of first appearance; a lone partial between two of
   another speaker is smoothed away; consecutive partials of one label make a turn.

``Diarization.speaker_at(ms)`` answers for a word; ``transcripts.speakers`` feeds it to ``split_lines``.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .engines import audio as audio_io

logger = logging.getLogger(__name__)

PACKAGE = "resemblyzer"
SETTING = "TRANSCRIPT_SPEAKERS"

SAMPLING_RATE = audio_io.SAMPLING_RATE
VAD_FRAME_MS = 30
VAD_MODE = 2  # 0 (lenient) .. 3 (strict): 2 keeps soft speech, leaves steady noise out
PAUSE_MS = 240  # this much silence ends a run of speech
MIN_RUN_MS = 300  # shorter runs (a cough, a click) get no voice print of their own
PARTIAL_MS = 1600  # the encoder's partial utterance: 160 mel frames of 10 ms
PARTIAL_FRAMES = 160
MEL_HOP = SAMPLING_RATE // 100  # samples per mel frame (10 ms)
MEL_WINDOW = SAMPLING_RATE * 25 // 1000  # 25 ms
MEL_CHANNELS = 40
# The encoder runs its 160 LSTM steps on one thread: on 2 cores a second thread costs about five times the
# CPU for the same partials (small matrices, synchronised every step), and the worker's other work goes on.
# The same for NumPy's BLAS (the mel spectrograms).
THREADS = 1
HOP_MS = 800  # a voice print every this often within a run
NEAREST_MS = 1500  # a word this far from any turn has no known speaker
DISTANCE = 0.32  # cosine distance between clusters (average linkage) above which they are two voices
MAX_SPEAKERS = 12  # an estimate never exceeds this
MIN_PRINTS, MIN_SHARE = 2, 0.02  # an estimated cluster smaller than this is not a voice of its own
MAX_CLUSTERED = 1500  # at most this many voice prints are clustered (memory n^2); the rest are assigned
BATCH = 64  # partials through the encoder at once


class DiarizationError(Exception):
    """Speakers cannot be found: the model package is missing or broken, or the audio cannot be read."""


@dataclass(frozen=True)
class Turn:
    start_ms: int
    end_ms: int
    label: str


@dataclass
class Diarization:
    """The turns found in one file, and each label's voice print (the mean of its partials' embeddings)."""

    turns: list[Turn] = field(default_factory=list)
    voices: dict[str, list[float]] = field(default_factory=dict)

    def __post_init__(self):
        self._starts = [turn.start_ms for turn in self.turns]

    @property
    def labels(self) -> list[str]:
        return list(self.voices)

    def speaker_at(self, ms: int) -> str | None:
        """The label of the turn at ``ms``, else of the nearest turn within ``NEAREST_MS``, else None."""
        i = bisect.bisect_right(self._starts, ms)
        best, best_gap = None, NEAREST_MS + 1
        for turn in self.turns[max(i - 1, 0) : i + 1]:
            gap = max(turn.start_ms - ms, ms - turn.end_ms, 0)
            if gap < best_gap:
                best, best_gap = turn.label, gap
        return best


# ------------------------------------------------------------------------------------------------ encoder

_encoder = None
_lock = threading.Lock()


def encoder():
    """resemblyzer's ``VoiceEncoder`` on the CPU, loaded once per process. Raises ``DiarizationError``
    naming the package and the setting when it is missing or its weights cannot be read."""
    global _encoder
    with _lock:
        if _encoder is None:
            hint = f"install it with `make install`, or set {SETTING}=False to transcribe without speakers"
            try:
                import warnings

                with warnings.catch_warnings():
                    # resemblyzer imports scipy.ndimage.morphology, deprecated since SciPy 1.8
                    warnings.simplefilter("ignore", DeprecationWarning)
                    from resemblyzer import VoiceEncoder
            except ImportError as error:
                raise DiarizationError(
                    f"Speakers cannot be found: the {PACKAGE} package is not installed ({error}); {hint}."
                ) from error
            try:
                _encoder = VoiceEncoder("cpu", verbose=False)
            except Exception as error:
                raise DiarizationError(
                    f"Speakers cannot be found: the {PACKAGE} package's voice encoder (pretrained.pt) "
                    f"cannot be loaded ({type(error).__name__}: {error}); reinstall it with `make install`, "
                    f"or set {SETTING}=False."
                ) from error
    return _encoder


@functools.cache
def _mel_basis() -> np.ndarray:
    import librosa

    return librosa.filters.mel(sr=SAMPLING_RATE, n_fft=MEL_WINDOW, n_mels=MEL_CHANNELS)


def _mel(samples: np.ndarray) -> np.ndarray:
    """The encoder's input, as resemblyzer's ``wav_to_mel_spectrogram`` makes it (a power mel spectrogram,
    25 ms windows every 10 ms, 40 bands), with a plain matrix product where librosa uses ``einsum``,
    several times slower here."""
    import librosa

    power = np.abs(librosa.stft(samples, n_fft=MEL_WINDOW, hop_length=MEL_HOP)) ** 2
    return (_mel_basis() @ power).astype(np.float32).T


# ------------------------------------------------------------------------------------------- speech runs


def _louder(samples: np.ndarray, target_dbfs: float = -30) -> np.ndarray:
    """``samples`` raised to ``target_dbfs`` RMS if quieter (the level the encoder was trained at, as
    resemblyzer's ``normalize_volume`` does; silence stays silence)."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0
    if rms <= 1e-6:
        return samples
    gain = 10 ** ((target_dbfs - 20 * np.log10(rms)) / 20)
    return (samples * gain).astype(np.float32) if gain > 1 else samples


def speech_runs(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) sample indices of the runs of speech in 16 kHz float ``samples``: voiced 30 ms frames,
    joined across pauses shorter than ``PAUSE_MS``, runs shorter than ``MIN_RUN_MS`` left out."""
    import webrtcvad

    frame = SAMPLING_RATE * VAD_FRAME_MS // 1000
    count = len(samples) // frame
    if not count:
        return []
    pcm = (np.clip(samples[: count * frame], -1, 1) * 32767).astype("<i2").tobytes()
    vad = webrtcvad.Vad(VAD_MODE)
    voiced = [vad.is_speech(pcm[i * frame * 2 : (i + 1) * frame * 2], SAMPLING_RATE) for i in range(count)]
    runs: list[list[int]] = []
    bridge = PAUSE_MS // VAD_FRAME_MS
    for i, is_speech in enumerate(voiced):
        if not is_speech:
            continue
        if runs and i - runs[-1][1] <= bridge:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    shortest = MIN_RUN_MS // VAD_FRAME_MS
    return [(a * frame, b * frame) for a, b in runs if b - a >= shortest]


def _partials(start: int, end: int) -> list[tuple[int, int]]:
    """Sample ranges of the partials of a run: every ``HOP_MS``, the last ending with the run; a run
    shorter than a partial is one partial (padded with silence by the caller)."""
    length, hop = PARTIAL_MS * SAMPLING_RATE // 1000, HOP_MS * SAMPLING_RATE // 1000
    if end - start <= length:
        return [(start, end)]
    starts = list(range(start, end - length + 1, hop))
    if end - (starts[-1] + length) > hop // 2:
        starts.append(end - length)
    return [(s, s + length) for s in starts]


@dataclass
class Prints:
    """Voice prints of a file: each partial's embedding, its span (ms) and the run it belongs to."""

    embeddings: np.ndarray  # (n, 256) float32, L2-normalised
    spans: np.ndarray  # (n, 2) int64 ms: the part of its run the partial stands for
    runs: np.ndarray  # (n,) int64


def voice_prints(path: str, *, window_seconds: float = 300) -> Prints:
    """Embeddings of the speech in the audio at ``path``, a window at a time, on one thread (``THREADS``)."""
    from threadpoolctl import threadpool_limits

    # NumPy's BLAS too: its second thread spins through the mel spectrograms' small matrix products and
    # costs some sixty times their CPU.
    with threadpool_limits(limits=THREADS, user_api="blas"):
        return _voice_prints(path, window_seconds)


def _voice_prints(path: str, window_seconds: float) -> Prints:
    model = encoder()
    import torch

    chunks: list[np.ndarray] = []
    spans: list[tuple[int, int]] = []
    run_ids: list[int] = []
    run_id = 0
    length = PARTIAL_MS * SAMPLING_RATE // 1000
    try:
        for window in audio_io.windows(path, window_seconds=window_seconds):
            samples = _louder(window.samples)
            mels = []
            for start, end in speech_runs(samples):
                pieces = _partials(start, end)
                centres = [(a + b) // 2 for a, b in pieces]
                run = samples[start:end]
                if len(run) < length:  # padded with silence, as resemblyzer pads a short utterance
                    run = np.pad(run, (0, length - len(run)))
                mel = _mel(run)  # once per run: the partials overlap
                for k, (a, _end) in enumerate(pieces):
                    first = (a - start) // MEL_HOP
                    mels.append(mel[first : first + PARTIAL_FRAMES])
                    # The partial stands for its run from half-way to the previous centre to half-way
                    # to the next one.
                    lo = start if k == 0 else (centres[k - 1] + centres[k]) // 2
                    hi = end if k == len(pieces) - 1 else (centres[k] + centres[k + 1]) // 2
                    ms = [window.offset_ms + x * 1000 // SAMPLING_RATE for x in (lo, hi)]
                    spans.append((ms[0], ms[1]))
                    run_ids.append(run_id)
                run_id += 1
            with torch.no_grad(), _threads(torch, THREADS):
                for i in range(0, len(mels), BATCH):
                    batch = torch.from_numpy(np.stack(mels[i : i + BATCH]))
                    chunks.append(model(batch).numpy().astype(np.float32))
    except audio_io.AudioDecodeError as error:
        raise DiarizationError(f"Speakers cannot be found: the audio cannot be read ({error}).") from error
    embeddings = np.concatenate(chunks) if chunks else np.zeros((0, 256), np.float32)
    return Prints(
        embeddings, np.array(spans, dtype=np.int64).reshape(-1, 2), np.array(run_ids, dtype=np.int64)
    )


@contextlib.contextmanager
def _threads(torch, count: int):
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# ------------------------------------------------------------------------------------------- clustering


def cluster(embeddings: np.ndarray, speakers: int | None = None) -> np.ndarray:
    """A cluster number per row of L2-normalised ``embeddings``: ``speakers`` clusters when given, else as
    many as lie further apart than ``DISTANCE`` (at most ``MAX_SPEAKERS``)."""
    from sklearn.cluster import AgglomerativeClustering

    n = len(embeddings)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1 or speakers == 1:
        return np.zeros(n, dtype=np.int64)
    step = -(-n // MAX_CLUSTERED)
    sample = embeddings[::step]
    if speakers:
        model = AgglomerativeClustering(
            n_clusters=min(speakers, len(sample)), metric="cosine", linkage="average"
        )
    else:
        model = AgglomerativeClustering(
            n_clusters=None, distance_threshold=DISTANCE, metric="cosine", linkage="average"
        )
    sampled = model.fit_predict(sample)
    if not speakers and sampled.max() + 1 > MAX_SPEAKERS:
        model = AgglomerativeClustering(n_clusters=MAX_SPEAKERS, metric="cosine", linkage="average")
        sampled = model.fit_predict(sample)
    if not speakers:
        sampled = _absorb_small(sample, sampled)
    if step == 1:
        return sampled.astype(np.int64)
    centroids = _centroids(sample, sampled)
    return np.argmax(embeddings @ centroids.T, axis=1).astype(np.int64)


def _absorb_small(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Clusters of fewer than ``MIN_PRINTS`` prints or ``MIN_SHARE`` of them all (a cough, a laugh, two
    voices at once, a cut mid-word) join the nearest larger cluster: an estimate that splits one voice
    in two is worse for an editor than a rare interjection given to the wrong person."""
    sizes = np.bincount(labels)
    large = np.flatnonzero(sizes >= max(MIN_PRINTS, MIN_SHARE * len(labels)))
    if not len(large):
        large = np.array([int(np.argmax(sizes))])
    if len(large) == len(sizes):
        return labels
    centroids = _centroids(embeddings, labels)[large]
    small = ~np.isin(labels, large)
    out = labels.copy()
    out[small] = large[np.argmax(embeddings[small] @ centroids.T, axis=1)]
    # Numbered 0, 1, ... again.
    return np.unique(out, return_inverse=True)[1]


def _centroids(embeddings: np.ndarray, labels: np.ndarray) -> np.ndarray:
    centroids = np.stack([embeddings[labels == k].mean(axis=0) for k in range(labels.max() + 1)])
    return centroids / np.linalg.norm(centroids, axis=1, keepdims=True)


def _smooth(labels: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """A lone partial between two partials of another label in the same run takes theirs."""
    out = labels.copy()
    for i in range(1, len(labels) - 1):
        if runs[i - 1] == runs[i] == runs[i + 1] and labels[i - 1] == labels[i + 1] != labels[i]:
            out[i] = labels[i - 1]
    return out


def _turns(prints: Prints, labels: np.ndarray, names: list[str]) -> Iterator[Turn]:
    start = end = current = None
    for (lo, hi), label in zip(prints.spans.tolist(), labels.tolist(), strict=True):
        if current == label and lo - end <= PAUSE_MS:
            end = hi
            continue
        if current is not None:
            yield Turn(start, end, names[current])
        start, end, current = lo, hi, label
    if current is not None:
        yield Turn(start, end, names[current])


def label_names(count: int) -> list[str]:
    return [f"Speaker {k}" for k in range(1, count + 1)]


def diarize(path: str, *, speakers: int | None = None, window_seconds: float = 300) -> Diarization:
    """Who speaks when in the audio at ``path``; ``speakers`` is the number of people, when known."""
    prints = voice_prints(path, window_seconds=window_seconds)
    return from_prints(prints, speakers=speakers)


def from_prints(prints: Prints, *, speakers: int | None = None) -> Diarization:
    raw = cluster(prints.embeddings, speakers)
    if not len(raw):
        return Diarization()
    raw = _smooth(raw, prints.runs)
    # Number the clusters in order of first appearance.
    order = {}
    for label in raw.tolist():
        order.setdefault(label, len(order))
    labels = np.array([order[label] for label in raw.tolist()], dtype=np.int64)
    names = label_names(len(order))
    voices = {
        names[k]: [round(float(x), 4) for x in centroid]
        for k, centroid in enumerate(_centroids(prints.embeddings, labels))
    }
    return Diarization(turns=list(_turns(prints, labels, names)), voices=voices)


def similarity(a: Iterable[float], b: Iterable[float]) -> float:
    a, b = np.asarray(list(a), dtype=np.float32), np.asarray(list(b), dtype=np.float32)
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm else 0.0


# ------------------------------------------------------------------------------------------------ scoring


def attribution(reference: Iterable[tuple[int, int, str]], found: Diarization, frame_ms: int = 10) -> float:
    """The share of speech attributed to the right speaker: of the ``frame_ms`` frames in which someone
    speaks by ``reference`` (``(start_ms, end_ms, speaker)``, overlaps allowed), those whose label (as
    ``speaker_at`` gives it to a word there) maps to a speaker of that frame, under the one-to-one mapping
    of labels to speakers that makes this largest. Speech without a label counts as wrong."""
    from scipy.optimize import linear_sum_assignment

    reference = list(reference)
    if not reference:
        return 1.0
    people = sorted({speaker for _, _, speaker in reference})
    labels = found.labels
    frames = -(-max(end for _, end, _ in reference) // frame_ms)
    speaking = np.zeros((len(people), frames), dtype=bool)
    for start, end, speaker in reference:
        speaking[people.index(speaker), start // frame_ms : -(-end // frame_ms)] = True
    said = np.full(frames, -1)
    for i in range(frames):
        label = found.speaker_at(i * frame_ms + frame_ms // 2)
        said[i] = labels.index(label) if label is not None else -1
    speech = speaking.any(axis=0)
    if not labels:
        return 0.0
    # agree[l, p]: frames labelled l in which person p speaks
    agree = np.array(
        [[np.sum((said == k) & speaking[p]) for p in range(len(people))] for k in range(len(labels))]
    )
    rows, cols = linear_sum_assignment(-agree)
    return float(agree[rows, cols].sum() / speech.sum())


def read_rttm(text: str) -> dict[str, list[tuple[int, int, str]]]:
    """Who speaks when by an RTTM file (``SPEAKER file 1 start duration <NA> <NA> speaker ...``), by file."""
    turns: dict[str, list[tuple[int, int, str]]] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[0] == "SPEAKER":
            start, duration = round(float(fields[3]) * 1000), round(float(fields[4]) * 1000)
            turns.setdefault(fields[1], []).append((start, start + duration, fields[7]))
    return turns
