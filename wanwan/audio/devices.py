"""The sound card: a microphone read block by block, and players for what is said back.

sounddevice is imported when a device is opened, not with this module: it loads PortAudio,
which a server without a sound card (a satellite server, CI) need not have.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from wanwan.errors import UserError
from wanwan.queues import drain, wait_idle

log = logging.getLogger(__name__)

RATE = 16000
# 32 ms, one frame of the voice detector: the end of a command (and a closed command's early
# end) is seen within 32 ms of happening, where 100 ms blocks added 50 ms on average
BLOCK = 512


class Microphone:
    """``for block in Microphone().blocks(): ...`` (16 kHz mono int16, 100 ms a block)."""

    def __init__(self, device: str | int | None = None) -> None:
        try:
            import sounddevice as sd  # deferred: loads PortAudio

            info = sd.query_devices(device, kind="input")
        except Exception as exc:
            raise UserError(f"no microphone available ({str(exc).strip() or 'no input device'})"
                            "; try `wanwan parse --audio FILE` for recorded speech") from None
        self.device = device
        self.name = str(info["name"])

    def blocks(self) -> Iterator[np.ndarray]:
        import sounddevice as sd  # deferred: loads PortAudio

        with sd.InputStream(samplerate=RATE, channels=1, dtype="int16", blocksize=BLOCK,
                            device=self.device) as stream:
            while True:
                block, _ = stream.read(BLOCK)
                yield block[:, 0]


class Player:
    """WAV files played one after another on a thread of their own; ``stop()`` cuts the one
    playing and drops the rest (a stop at the site). ``play(wav, done)`` calls ``done()``
    once that file has been played, cut or dropped."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[bytes, Callable[[], None]] | None] = queue.Queue()
        self._cut = threading.Event()
        self.playing = threading.Event()
        self.played = 0
        self._thread = threading.Thread(target=self._run, name="player", daemon=True)
        self._thread.start()

    def play(self, wav: bytes, done: Callable[[], None] = lambda: None) -> None:
        self._queue.put((wav, done))

    def stop(self) -> None:
        dropped = [done for _, done in drain(self._queue)]
        self._cut.set()
        for done in dropped:
            done()

    def wait_idle(self, timeout: float = 30) -> bool:
        return wait_idle(self._queue, self.playing, timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(5)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            wav, done = item
            self._cut.clear()
            self.playing.set()
            try:
                self._output(wav, self._cut)
                self.played += 1
            except Exception:
                log.exception("could not play a reply")
            finally:
                self.playing.clear()
                done()

    def _output(self, wav: bytes, cut: threading.Event) -> None:
        raise NotImplementedError


class SpeakerPlayer(Player):
    """To the sound card (``device``: a name or index; None: the default output)."""

    def __init__(self, device: str | int | None = None) -> None:
        try:
            import sounddevice as sd  # deferred: loads PortAudio

            sd.query_devices(device, kind="output")
        except Exception as exc:
            raise UserError(f"no speaker available ({str(exc).strip() or 'no output device'})"
                            "; use --out DIR to write what is said to WAV files") from None
        self.device = device
        super().__init__()

    def _output(self, wav: bytes, cut: threading.Event) -> None:
        import sounddevice as sd  # deferred: loads PortAudio

        samples, rate = sf.read(io.BytesIO(wav), dtype="int16")
        sd.play(samples, rate, device=self.device)
        while sd.get_stream().active and not cut.is_set():
            time.sleep(0.02)
        sd.stop()


class FilePlayer(Player):
    """Into ``out_dir/reply-NNN.wav`` (a satellite without a speaker, tests, demos). With
    ``realtime`` it then stays busy for as long as the audio lasts, as a speaker would, so a
    stop can cut it; a line cut or dropped by a stop is not written."""

    def __init__(self, out_dir: Path, *, realtime: bool = True) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.realtime = realtime
        self.files: list[Path] = []
        self.cut_short = 0
        super().__init__()

    def _output(self, wav: bytes, cut: threading.Event) -> None:
        if cut.is_set():
            return
        path = self.out_dir / f"reply-{len(self.files) + 1:03d}.wav"
        path.write_bytes(wav)
        self.files.append(path)
        if self.realtime and cut.wait(sf.info(io.BytesIO(wav)).duration):
            self.cut_short += 1
