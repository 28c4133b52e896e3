"""A loudspeaker (or a folder of WAV files) that says lines in order, sentence by sentence.

The first sentence plays while the next is synthesised, so a long reply starts as soon as its
first sentence is ready; ``interrupt()`` (what "stop" does) drops what is queued and cuts what
plays within one 20 ms poll.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from wanwan.audio.io import write_wav
from wanwan.errors import UserError
from wanwan.queues import drain, wait_idle
from wanwan.tts.base import Synthesizer, join_audio

log = logging.getLogger(__name__)

POLL_S = 0.02


def require_output_device() -> None:
    """A UserError saying what to do when there is no speaker to play to."""
    try:
        import sounddevice as sd  # deferred: loads PortAudio

        sd.query_devices(kind="output")
    except Exception as exc:
        raise UserError(f"no speaker available ({str(exc).strip() or 'no device'}); use -o "
                        "FILE.wav to write the speech to a file") from None


def line_over(done: Callable[[], None] | None) -> None:
    """Tell whoever waits on a line that it is over; their failure is not the speaker's."""
    if done is not None:
        try:
            done()
        except Exception:
            log.exception("a line's done callback failed")


class Speaker:
    """A queue of lines, said in order; ``out_dir``: write each line to reply-NNN.wav there
    instead of playing it (``realtime``: taking as long as playing it would, so that a stop
    can cut it; a line cut short is not written). ``first_audio_ms``: how long the last line
    took from being taken up to its first sound being ready; ``last_ms``: to being done."""

    def __init__(self, synth: Synthesizer, *, device: str | int | None = None,
                 out_dir: Path | None = None, realtime: bool = False) -> None:
        self.synth = synth
        self.device = device
        self.out_dir = out_dir
        self.realtime = realtime
        self._queue: queue.Queue[tuple[str, str | None, Callable[[], None] | None] | None] = \
            queue.Queue()
        self._interrupt = threading.Event()
        self.speaking = threading.Event()
        self.files: list[Path] = []
        self.last_ms = 0.0
        self.first_audio_ms = 0.0
        self.first_audio_at = 0.0  # perf_counter() when the last line's first sound was ready
        self._count = 0
        self._synth = ThreadPoolExecutor(1, thread_name_prefix="speaker-synth")
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()

    def say(self, text: str, ref: str | None = None,
            done: Callable[[], None] | None = None) -> None:
        """Queue a line (``ref``: the asker's id; a local speaker has no one to tell);
        ``done()`` is called once it has been said, cut short or dropped."""
        self._queue.put((text, ref, done))

    def interrupt(self) -> None:
        for _, _, done in drain(self._queue):
            line_over(done)
        self._interrupt.set()
        if self.out_dir is None:
            import sounddevice as sd  # deferred: loads PortAudio

            sd.stop()

    def wait_idle(self, timeout: float = 30) -> bool:
        return wait_idle(self._queue, self.speaking, timeout, POLL_S)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(5)
        self._synth.shutdown(wait=False, cancel_futures=True)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            text, _, done = item
            self._interrupt.clear()
            self.speaking.set()
            started = time.perf_counter()
            try:
                self._say(text, started)
            except Exception:
                log.exception("could not speak %r", text)
            finally:
                self.last_ms = (time.perf_counter() - started) * 1000
                self.speaking.clear()
                line_over(done)

    def _say(self, text: str, started: float) -> None:
        sentences = self.synth.split(text) or [text]
        pending: list[Future[np.ndarray]] = [self._synth.submit(self.synth.synthesize, s)
                                             for s in sentences]
        rate = self.synth.sample_rate
        parts: list[np.ndarray] = []
        for index, future in enumerate(pending):
            samples = future.result()
            if index == 0:
                self.first_audio_at = time.perf_counter()
                self.first_audio_ms = (self.first_audio_at - started) * 1000
            if self._interrupt.is_set():
                for rest in pending:
                    rest.cancel()
                return
            if self.out_dir is None:
                self._play(samples, rate)
            else:
                parts.append(samples)
                if self.realtime and self._interrupt.wait(len(samples) / rate):
                    return
        if parts:
            self._count += 1
            joined = join_audio(parts, rate)
            self.files.append(write_wav(self.out_dir / f"reply-{self._count:03d}.wav",  # type: ignore[operator]
                                        joined, rate))

    def _play(self, samples: np.ndarray, rate: int) -> None:
        import sounddevice as sd  # deferred: loads PortAudio

        sd.play(samples, rate, device=self.device)
        while sd.get_stream().active and not self._interrupt.is_set():
            time.sleep(POLL_S)
        sd.stop()
