"""The server's side of satellites: their streamed audio heard, their replies sent back.

Each satellite site has a :class:`~wanwan.kiosk.Kiosk` on the server, with its own turn state,
follow-up window and site policy, fed from a queue by a thread of its own: audio arrives on
the MQTT client's network thread, which must never wait (a turn waits for acknowledgements
only that thread delivers). Recognition of every site runs on one shared worker, so the one
recogniser serves one utterance at a time; it is loaded when the first audio arrives, so a
server that only answers text pays nothing for it. Replies are synthesised here and sent as
Hermes ``playBytes`` (:class:`RemoteSpeaker`); a stop heard at the site hushes the satellite.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import soxr

from wanwan.asr.base import Recognizer
from wanwan.assistant import Assistant
from wanwan.audio.io import RATE, AudioError, read_wav_bytes, wav_bytes
from wanwan.bus import hermes
from wanwan.bus.client import Bus
from wanwan.bus.messages import Hush, Presence
from wanwan.bus.topics import Topics
from wanwan.hermes import HermesBridge
from wanwan.kiosk import Kiosk, KioskTurn
from wanwan.queues import drain, wait_idle
from wanwan.tts import Synthesizer
from wanwan.tts.base import join_audio
from wanwan.tts.speaker import line_over
from wanwan.voice import Heard, VoicePipeline

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 512 * 1024  # a chunk is normally 100 ms (3.2 kB)


class RemoteSpeaker:
    """A satellite's loudspeaker, seen from the server (what a Kiosk speaks through).

    Each line is synthesised here and sent as ``playBytes``, a sentence at a time; the speaker
    is ``speaking`` until the satellite says ``playFinished`` for the last (or the audio's
    length and a margin have passed, if it never does). ``interrupt()`` drops what is queued
    and hushes the satellite at once. ``on_played(ref)`` is told when each line is over."""

    MARGIN_S = 3.0

    def __init__(self, bus: Bus, topics: Topics, site: str, synth: Synthesizer, *,
                 on_played: Callable[[str | None], None] = lambda ref: None) -> None:
        self.bus = bus
        self.topics = topics
        self.site = site
        self.synth = synth
        self.on_played = on_played
        self.speaking = threading.Event()
        self.sent = 0
        self._queue: queue.Queue[tuple[str, str | None, Callable[[], None] | None] | None] = \
            queue.Queue()
        self._playing: str | None = None
        self._done = threading.Event()
        self._cut = threading.Event()
        self._maker = ThreadPoolExecutor(1, thread_name_prefix=f"speaker-synth-{site}")
        self.reports_finished = True  # until a line's playFinished fails to come
        self._thread = threading.Thread(target=self._run, name=f"speaker-{site}", daemon=True)
        self._thread.start()

    def say(self, text: str, ref: str | None = None,
            done: Callable[[], None] | None = None) -> None:
        """Queue a line; ``done()`` once the satellite has played it (or it was cut)."""
        self._queue.put((text, ref, done))

    def interrupt(self) -> None:
        self._cut_short(hush=True)

    def finished(self, request_id: str | None) -> None:
        """The satellite's playFinished."""
        if request_id is not None and request_id == self._playing:
            self._done.set()

    def wait_idle(self, timeout: float = 30) -> bool:
        return wait_idle(self._queue, self.speaking, timeout)

    def close(self) -> None:
        """Stop at once, as a stop does but without hushing a satellite that may already be
        gone (rather than waiting it out), and end the sender."""
        self._cut_short(hush=False)
        self._queue.put(None)
        self._thread.join(5)
        self._maker.shutdown(wait=True, cancel_futures=True)

    def _cut_short(self, *, hush: bool) -> None:
        """Cut the line being sent and drop what is queued, each dropped line told over."""
        dropped = drain(self._queue)
        self._cut.set()
        self._done.set()
        if hush:
            self.bus.publish(self.topics.site(self.site, "hush"), Hush(site=self.site))
        for _, ref, done in dropped:
            self.on_played(ref)
            line_over(done)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            text, ref, done = item
            self._cut.clear()
            self.speaking.set()
            try:
                self._say(text)
            except Exception:
                log.exception("could not send %r to the satellite at %s", text, self.site)
            finally:
                self._playing = None
                self.speaking.clear()
                self.on_played(ref)
                line_over(done)

    def _say(self, text: str) -> None:
        """One line, sentence by sentence: each is sent as it is made and the next is made
        while it plays, so a long reply starts as soon as its first sentence is ready."""
        rate = self.synth.sample_rate
        # a satellite that never says playFinished gets whole lines: each sentence would
        # otherwise wait out the margin after it
        parts = self.synth.split(text) if self.reports_finished else [text]
        pending = [self._maker.submit(self.synth.synthesize, part) for part in parts or [text]]
        try:
            waiting = iter(pending)
            for future in waiting:
                samples = future.result()
                if not self.reports_finished:  # learnt in this line: the rest goes as one
                    samples = join_audio([samples, *(f.result() for f in waiting)], rate)
                if self._cut.is_set():
                    return
                self._playing = request_id = uuid.uuid4().hex
                self._done.clear()
                self.bus.publish(hermes.play_bytes(self.site, request_id),
                                 wav_bytes(samples, rate))
                self.sent += 1
                if not self._done.wait(len(samples) / rate + self.MARGIN_S):
                    if self.reports_finished:
                        log.warning("the satellite at %s does not say when it has played a "
                                    "line; sending whole lines", self.site)
                    self.reports_finished = False
                if self._cut.is_set():
                    return
        finally:
            for future in pending:
                future.cancel()


@dataclass
class SatelliteStats:
    frames: int = 0
    dropped_frames: int = 0
    utterances: int = 0
    turns: int = 0
    last_frame_at: float = 0.0
    waits_ms: list[float] = field(default_factory=list)  # end of speech to turn decided


class _Satellite:
    """One satellite site on the server: its queue, its thread, its kiosk and speaker."""

    def __init__(self, site: str, speaker: RemoteSpeaker) -> None:
        self.site = site
        self.speaker = speaker
        self.frames: queue.Queue[tuple[np.ndarray, int] | None] = queue.Queue()
        self.kiosk: Kiosk | None = None
        self.resampler: tuple[int, soxr.ResampleStream] | None = None
        self.stats = SatelliteStats()
        self.thread: threading.Thread | None = None

    def to_rate(self, samples: np.ndarray, rate: int) -> np.ndarray:
        """16 kHz, with one resampling stream per satellite (chunk edges stay seamless)."""
        if rate == RATE:
            return samples
        if self.resampler is None or self.resampler[0] != rate:
            self.resampler = (rate, soxr.ResampleStream(rate, RATE, 1, dtype="int16"))
        return self.resampler[1].resample_chunk(samples)


class SatelliteHub:
    """Every satellite of one server: ``SatelliteHub(assistant, lambda: recogniser, synth)``.

    ``recognizer`` is called once, when the first audio arrives. ``bridge``: the Hermes
    bridge that publishes each turn's session (made here if not given)."""

    MAX_QUEUED_S = 60.0  # a satellite's audio waiting to be heard; beyond it frames are dropped
    IDLE_FLUSH_S = 2.0  # a satellite that stops sending mid-utterance: what it said counts

    def __init__(self, assistant: Assistant, recognizer: Callable[[], Recognizer],
                 synth: Synthesizer, *, bridge: HermesBridge | None = None,
                 speculate: bool = True) -> None:
        self.assistant = assistant
        self.bus = assistant.bus
        self.topics = assistant.topics
        self.synth = synth
        self.speculate = speculate
        self._own_bridge = bridge is None
        self.bridge = bridge or HermesBridge(assistant)
        self.bridge.plays_at = self.serves
        self._make_recognizer = recognizer
        self._pipeline: VoicePipeline | None = None
        self._pipeline_lock = threading.Lock()
        self._recognise = ThreadPoolExecutor(1, thread_name_prefix="wanwan-asr")
        self._sites_configured = {s.id for s in assistant.config.sites}
        self._satellites: dict[str, _Satellite] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.on_turn: Callable[[str, KioskTurn], None] | None = None
        self.bus.subscribe_raw(hermes.AUDIO_FRAME, self._on_frame, qos=0,
                               max_bytes=MAX_FRAME_BYTES)
        self.bus.subscribe(hermes.PLAY_FINISHED, hermes.PlayFinished, self._on_play_finished)
        self.bus.subscribe(self.topics.site("+", "satellite"), Presence, self._on_presence)

    def serves(self, site: str) -> bool:
        with self._lock:
            return site in self._satellites

    @property
    def pipeline(self) -> VoicePipeline:
        with self._pipeline_lock:
            if self._pipeline is None:
                started = time.perf_counter()
                recognizer = self._make_recognizer()
                self._pipeline = VoicePipeline.for_speech(self.assistant.engine, recognizer,
                                                          self.assistant.config.speech)
                log.info("loaded %s for satellites in %.1f s", recognizer.name,
                         time.perf_counter() - started)
            return self._pipeline

    def stats(self, site: str) -> SatelliteStats:
        with self._lock:
            return self._satellites[site].stats

    # -- on paho's network thread: queue and return ----------------------------------------------
    def _on_frame(self, topic: str, payload: bytes) -> None:
        site = hermes.site_of_audio_topic(topic)
        if site is None or site not in self._sites_configured:
            self.bus.drop(topic, f"audio for {site!r}, which is not a site of this "
                                 "configuration")
            return
        try:
            samples, rate = read_wav_bytes(payload, topic)
        except AudioError as exc:
            self.bus.drop(topic, str(exc))
            return
        satellite = self._satellite(site)
        if satellite is None:
            return
        queued_s = satellite.frames.qsize() * max(len(samples), 1) / max(rate, 1)
        if queued_s > self.MAX_QUEUED_S:
            satellite.stats.dropped_frames += 1
            if satellite.stats.dropped_frames % 100 == 1:
                log.warning("%s: %.0f s of audio waiting to be heard; dropping frames",
                            site, queued_s)
            return
        satellite.stats.frames += 1
        satellite.stats.last_frame_at = time.monotonic()
        satellite.frames.put((samples, rate))

    def _on_presence(self, topic: str, presence: Presence) -> None:
        """A satellite came online (or was online before this server started): from now on
        its site's replies and alarms are sent to it."""
        site = topic.split("/")[-2]
        if site not in self._sites_configured:
            self.bus.drop(topic, f"a satellite at {site!r}, which is not a site of this "
                                 "configuration")
        elif presence.status == "online" and self._satellite(site) is not None:
            log.info("satellite at %s: online", site)

    def _on_play_finished(self, topic: str, finished: hermes.PlayFinished) -> None:
        site = hermes.site_of_audio_topic(topic)
        with self._lock:
            satellite = self._satellites.get(site or "")
        if satellite is not None:
            satellite.speaker.finished(finished.id)

    def _satellite(self, site: str) -> _Satellite | None:
        with self._lock:
            if self._closed:
                return None
            satellite = self._satellites.get(site)
            if satellite is None:
                speaker = RemoteSpeaker(self.bus, self.topics, site, self.synth,
                                        on_played=lambda ref, s=site: self._played(s, ref))
                satellite = self._satellites[site] = _Satellite(site, speaker)
                satellite.thread = threading.Thread(target=self._run, args=(satellite,),
                                                    name=f"wanwan-satellite-{site}",
                                                    daemon=True)
                satellite.thread.start()
            return satellite

    def _played(self, site: str, ref: str | None) -> None:
        if ref is not None:
            self.bridge.say_finished(site, ref)

    # -- one thread per satellite: hear, take turns --------------------------------------------
    def _run(self, satellite: _Satellite) -> None:
        try:
            kiosk = satellite.kiosk = Kiosk(
                self.assistant, self.pipeline, satellite.speaker, satellite.site,
                speculate=self.speculate, source=f"satellite/{satellite.site}",
                on_heard=lambda heard: self._heard(satellite, heard),
                recognise=self._recognise)
        except Exception:
            log.exception("%s: could not start hearing", satellite.site)
            return
        while True:
            try:
                item = satellite.frames.get(timeout=self.IDLE_FLUSH_S)
            except queue.Empty:
                if kiosk.hearing.endpointer.in_speech:
                    self._took(satellite, kiosk.flush())
                continue
            if item is None:
                break
            samples, rate = item
            try:
                self._took(satellite, kiosk.feed(satellite.to_rate(samples, rate)))
            except Exception:  # one bad chunk must not deafen the site
                log.exception("%s: could not hear a chunk", satellite.site)
        kiosk.close()

    def _heard(self, satellite: _Satellite, heard: Heard) -> str:
        satellite.stats.utterances += 1
        return self.bridge.heard(satellite.site, heard)

    def _took(self, satellite: _Satellite, turns: list[KioskTurn]) -> None:
        for said in turns:
            satellite.stats.waits_ms.append(said.heard.timings_ms.get("wait", 0.0))
            del satellite.stats.waits_ms[:-1000]
            if said.future is not None:
                satellite.stats.turns += 1
            if self.on_turn is not None:
                self.on_turn(satellite.site, said)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            satellites = list(self._satellites.values())
        for satellite in satellites:
            satellite.frames.put(None)
        for satellite in satellites:
            if satellite.thread is not None:
                satellite.thread.join(10)
            satellite.speaker.close()
        self._recognise.shutdown(wait=True, cancel_futures=True)
        if self._own_bridge:
            self.bridge.close()
