"""Voice activity and endpointing: where an utterance starts and ends in a stream of audio.

webrtcvad classifies 30 ms frames; an utterance starts when most of the last few frames are
voiced (with some audio kept from before, so the first consonant is not cut), and ends after a
configurable stretch of silence or at a maximum length. The same code serves a live microphone
and a file split into utterances.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import webrtcvad

from wanwan.audio.io import RATE

FRAME_MS = 30
FRAME = RATE * FRAME_MS // 1000  # 480 samples


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
    aggressiveness: int = 2  # webrtcvad 0 (lenient) .. 3 (strict)
    start_window: int = 6  # frames looked at to decide speech has started
    start_voiced: int = 4  # voiced frames among them
    end_silence_ms: int = 600
    max_utterance_s: float = 10.0
    min_utterance_ms: int = 200
    pre_roll_ms: int = 300
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


class Endpointer:
    """Utterances cut from a stream of audio: fed 100 ms blocks, it returns each utterance
    when its end silence has passed (or it reached ``max_utterance_s``), with the audio just
    before it; see :class:`EndpointerSettings` for the rules and why they are what they are.
    """

    def __init__(self, settings: EndpointerSettings | None = None) -> None:
        self.settings = settings or EndpointerSettings()
        self.vad = webrtcvad.Vad(self.settings.aggressiveness)
        self._buffer = np.zeros(0, dtype=np.int16)
        self._frames_seen = 0
        self._window: deque[bool] = deque(maxlen=self.settings.start_window)
        self._pre_roll: deque[np.ndarray] = deque(
            maxlen=max(1, self.settings.pre_roll_ms // FRAME_MS))
        self._speech: list[np.ndarray] | None = None
        self._speech_start = 0
        self._silent_frames = 0
        self._paused = False  # a pause of pause_ms has begun in the open utterance, not taken yet
        self._recent_rms: deque[float] = deque(
            maxlen=max(1, int(self.settings.noise_window_s * 1000 / FRAME_MS)))
        end_frames = -(-self.settings.end_silence_ms // FRAME_MS)
        self._stray_allowed = int(end_frames * self.settings.end_tolerance)
        self._tail: deque[bool] = deque(maxlen=end_frames + self._stray_allowed)

    def take_pause(self) -> Utterance | None:
        """The utterance so far, once, when a pause of ``pause_ms`` has just begun in speech
        that has not ended yet: what the final utterance will be if no voice comes back."""
        if not self._paused or self._speech is None:
            return None
        self._paused = False
        # the same cut as _close: it keeps ~90 ms after the last voice however long the silence
        return self._cut(self._speech, self._silent_frames)

    @property
    def in_speech(self) -> bool:
        return self._speech is not None

    def _voiced(self, frame: np.ndarray) -> bool:
        rms = float(np.sqrt(np.mean(frame.astype(np.float32) ** 2)))
        self._recent_rms.append(rms)
        floor = min(self._recent_rms) * self.settings.noise_ratio
        return rms >= max(self.settings.min_rms, floor) and self.vad.is_speech(frame.tobytes(),
                                                                             RATE)

    def feed(self, samples: np.ndarray) -> Iterator[Utterance]:
        """Push audio; yields each utterance as soon as its end is heard."""
        self._buffer = np.concatenate([self._buffer, samples.astype(np.int16)])
        s = self.settings
        while len(self._buffer) >= FRAME:
            frame, self._buffer = self._buffer[:FRAME], self._buffer[FRAME:]
            index = self._frames_seen
            self._frames_seen += 1
            voiced = self._voiced(frame)
            if self._speech is None:
                self._window.append(voiced)
                self._pre_roll.append(frame)
                if sum(self._window) >= s.start_voiced:
                    self._speech = list(self._pre_roll)
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
                self._paused = False  # speech came back: the provisional utterance is void
            elif s.pause_ms and self._silent_frames == -(-s.pause_ms // FRAME_MS) \
                    and s.pause_ms < s.end_silence_ms:
                self._paused = True
            too_long = len(self._speech) * FRAME_MS >= s.max_utterance_s * 1000
            if self._silent_frames * FRAME_MS >= s.end_silence_ms or too_long:
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

    def _close(self, trailing: int, truncated: bool) -> Utterance | None:
        frames = self._speech or []
        self._speech = None
        self._paused = False
        return self._cut(frames, trailing, truncated)

    def _cut(self, frames: list[np.ndarray], trailing: int,
             truncated: bool = False) -> Utterance | None:
        keep = len(frames) - max(0, trailing - 3)  # keep ~90 ms of the trailing silence
        frames = frames[:keep]
        if len(frames) * FRAME_MS < self.settings.min_utterance_ms:
            return None
        start = self._speech_start * FRAME_MS / 1000
        samples = np.concatenate(frames)
        return Utterance(samples, start, start + len(samples) / RATE, truncated)


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
