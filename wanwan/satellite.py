"""A satellite: the microphone and loudspeaker of a kiosk or bay, for a wanwan server.

It hears on its own: a voice detector (Silero, the same as the server's endpointer) decides
when someone speaks, and only the audio around speech goes to the server, as Hermes
``audioFrame`` WAV chunks, so a quiet room costs no bandwidth. Everything else happens on the
server: the wake phrase (found in the streamed audio by the server's grammar-bound recogniser,
which knows "wan wan" and its sound-alikes; a separate wake-word model would need one trained
for "wan wan", and a second opinion that can only disagree), recognition, the dialogue. The
server's replies, alarms included, come back as ``playBytes`` and are played, or written to
WAV files; ``playFinished`` tells the server when a line has been said. A stop heard at the
site hushes the satellite at once.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable

import numpy as np

from wanwan.audio.devices import Player
from wanwan.audio.io import wav_bytes
from wanwan.audio.vad import EndpointerSettings, VoiceGate
from wanwan.bus import hermes
from wanwan.bus.client import BrokerAddress, Bus
from wanwan.bus.messages import Hush, ReplyMessage
from wanwan.bus.topics import Topics

log = logging.getLogger(__name__)

MAX_PLAY_BYTES = 8 * 1024 * 1024  # a minute of 22 kHz speech is 2.6 MB


class Satellite:
    """``Satellite(address, "kiosk-recovery", FilePlayer(out)).start()``, then ``feed()`` it
    microphone blocks (16 kHz mono int16)."""

    def __init__(self, address: BrokerAddress, site: str, player: Player, *,
                 topics: Topics | None = None,
                 endpointing: EndpointerSettings | None = None,
                 on_reply: Callable[[ReplyMessage], None] | None = None,
                 client_id: str | None = None) -> None:
        self.site = site
        self.player = player
        self.topics = topics or Topics()
        self.gate = VoiceGate(endpointing)
        self.on_reply = on_reply
        self.frames_sent = 0
        self.lines_played = 0
        self.lines_received = 0  # sent by the server to be said here, played or not yet
        self.last_play_at = 0.0
        self.replies: list[ReplyMessage] = []
        self._lock = threading.Lock()
        # its presence, retained with a last will, on the site's own topic: the server knows
        # the satellites there (and sends them alarms) before anyone has said a word
        self.bus = Bus(address, client_id or f"satellite-{site}-{uuid.uuid4().hex[:6]}",
                       self.topics, presence=self.topics.site(site, "satellite"))
        self.bus.subscribe_raw(hermes.play_bytes_of(site), self._on_play, qos=1,
                               max_bytes=MAX_PLAY_BYTES)
        self.bus.subscribe(self.topics.site(site, "hush"), Hush, self._on_hush)
        self.bus.subscribe(self.topics.site(site, "reply"), ReplyMessage, self._on_reply)

    def start(self, wait: float = 10.0) -> Satellite:
        self.bus.start(wait)
        return self

    # -- audio to the server -------------------------------------------------------------------
    def feed(self, block: np.ndarray) -> int:
        """A block from the microphone; how many chunks went to the server."""
        chunks = self.gate.feed(block)
        for chunk in chunks:
            self.bus.publish(hermes.audio_frame(self.site), wav_bytes(chunk), qos=0)
        self.frames_sent += len(chunks)
        return len(chunks)

    # -- the server's voice --------------------------------------------------------------------
    def _on_play(self, topic: str, wav: bytes) -> None:
        request_id = topic.rsplit("/", 1)[-1]
        with self._lock:
            self.lines_received += 1
            self.last_play_at = time.monotonic()
        self.player.play(wav, lambda: self._played(request_id))

    def _played(self, request_id: str) -> None:
        with self._lock:
            self.lines_played += 1
            self.last_play_at = time.monotonic()
        self.bus.publish(hermes.play_finished(self.site),
                         hermes.PlayFinished(id=request_id, site_id=self.site))

    def _on_hush(self, topic: str, hush: Hush) -> None:
        log.info("%s: hushed (a stop was heard)", self.site)
        self.player.stop()

    def _on_reply(self, topic: str, reply: ReplyMessage) -> None:
        self.replies.append(reply)
        if self.on_reply is not None:
            self.on_reply(reply)

    def quiet_for(self) -> float:
        """Seconds since the server last sent or this satellite last finished a line."""
        with self._lock:
            return time.monotonic() - self.last_play_at

    def close(self) -> None:
        self.player.close()
        self.bus.stop()

    def __enter__(self) -> Satellite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
