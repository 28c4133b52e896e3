"""One site's voice: audio in, turns with the assistant, replies spoken.

A :class:`Kiosk` is fed blocks of 16 kHz audio as a microphone delivers them. It cuts
utterances and recognises them (:class:`~wanwan.voice.LiveHearing`), decides whether each was
meant for wanwan (:class:`TurnTaking`), hands those to the assistant as a turn at its site, and
speaks every reply, alarm and notice of its site through its speaker, which a stop cuts at once.
``wanwan listen`` feeds it a microphone, the demo synthesised speech, and the satellite server
the audio that satellites stream over MQTT.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from wanwan.assistant import Assistant
from wanwan.dialogue import Reply, Turn
from wanwan.names import STOPS
from wanwan.tts import Speaker
from wanwan.voice import Heard, LiveHearing, VoicePipeline

log = logging.getLogger(__name__)


class TurnTaking:
    """Whether an utterance is addressed to wanwan at one site: a fact of the conversation,
    not of the transcript.

    The wake phrase opens a turn. Without it wanwan still listens to: the answer to a pending
    confirmation, anything within ``follow_up_s`` of its last reply (after "Yes?" too), every
    utterance when the site has no wake phrase (push-to-talk, or an external wake-word engine
    opening the microphone), and "stop" while a transfer runs at the site or while it speaks.
    All but the wake phrase and the stop are known before a word is recognised (``expecting``),
    so the recogniser can take the utterance as meant for wanwan.
    """

    def __init__(self, follow_up_s: float = 6.0, wake_phrase: str | None = "wan wan") -> None:
        self.follow_up_s = follow_up_s
        self.wake_phrase = wake_phrase
        self.last_reply_at: float | None = None

    def replied(self) -> None:
        self.last_reply_at = time.monotonic()

    def expecting(self, *, pending: bool) -> str | None:
        """Why speech now is meant for wanwan, before it is recognised; None if nothing says so."""
        if not self.wake_phrase:
            return "no wake phrase at this site"
        if pending:
            return "answering a confirmation"
        last = self.last_reply_at
        if last is not None and time.monotonic() - last <= self.follow_up_s:
            return "follow-up"
        return None

    def addressed(self, heard: Heard, *, pending: bool, transfer_running: bool,
                  speaking: bool) -> tuple[bool, str]:
        if heard.woke:
            return True, "wake phrase"
        expected = self.expecting(pending=pending)
        if expected:
            return True, expected
        if heard.parse.intent in STOPS and (transfer_running or speaking):
            return True, "stop during a transfer" if transfer_running else "stop while speaking"
        return False, "no wake phrase"


@dataclass
class KioskTurn:
    """What became of one utterance heard at the kiosk."""

    heard: Heard
    addressed: bool
    why: str  # why it was (not) taken as addressed
    turn: Turn | None = None  # None: ignored, or a bare wake phrase
    reply: str = ""

    @property
    def listening(self) -> bool:
        """A bare wake phrase, answered "Yes?": the command may follow without it."""
        return self.addressed and self.turn is None and self.heard.bare_wake


class Kiosk:
    """Hearing, turn-taking and speech out for one site, talking to an assistant."""

    LISTENING_REPLY = "Yes?"

    def __init__(self, assistant: Assistant, pipeline: VoicePipeline, speaker: Speaker,
                 site: str | None = None, *, follow_up_s: float | None = None,
                 speculate: bool = True) -> None:
        self.assistant = assistant
        self.site = assistant.config.site(site).id
        self.speaker = speaker
        self.turns = TurnTaking(assistant.config.speech.follow_up_s if follow_up_s is None
                                else follow_up_s, pipeline.wake)
        self.hearing = LiveHearing(pipeline, speculate=speculate, addressed=self._expecting)
        self._lock = threading.Lock()  # feed() from one thread, replies from others
        self._unsubscribe = [assistant.on_reply(self._on_reply),
                             assistant.on_stop(self._on_stop)]

    # -- speech out: everything said at this site ----------------------------------------------
    def _on_reply(self, reply: Reply) -> None:
        if reply.site == self.site:
            self.speaker.say(reply.text)
            self.turns.replied()

    def _on_stop(self, site: str) -> None:
        if site == self.site:
            self.speaker.interrupt()  # "stop" cuts speech at once

    def _expecting(self) -> bool:
        pending = self.assistant.dialogue.site_state(self.site).pending is not None
        return self.turns.expecting(pending=pending) is not None

    # -- audio in ------------------------------------------------------------------------------
    def feed(self, block: np.ndarray) -> list[KioskTurn]:
        """A block of 16 kHz mono int16 audio; the turns of the utterances it completed."""
        with self._lock:
            return [self._take(heard) for heard in self.hearing.feed(block)]

    def flush(self) -> list[KioskTurn]:
        """The end of the audio: what was still being said counts as finished."""
        with self._lock:
            return [self._take(heard) for heard in self.hearing.flush()]

    def _take(self, heard: Heard) -> KioskTurn:
        dialogue = self.assistant.dialogue
        addressed, why = self.turns.addressed(
            heard, pending=dialogue.site_state(self.site).pending is not None,
            transfer_running=self.assistant.transfer_running(self.site),
            speaking=self.speaker.speaking.is_set())
        if not addressed:
            log.info("%s: ignored %r (%s)", self.site, heard.transcript.text, why)
            return KioskTurn(heard, False, why)
        if heard.bare_wake:  # "wan wan" ... "what's the level in dewar 12"
            self.speaker.say(self.LISTENING_REPLY)
            self.turns.replied()
            return KioskTurn(heard, True, why, reply=self.LISTENING_REPLY)
        log.info("%s: heard (%s) %r", self.site, why, heard.command)
        # the parse as heard: it carries the recogniser's own doubt (a command that acts needs
        # the engine's confidence too), which parsing the text again would lose
        turn = self.assistant.ask(heard.command, self.site, parse=heard.parse)
        return KioskTurn(heard, True, why, turn, turn.reply)

    def close(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self.hearing.close()

    def __enter__(self) -> Kiosk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
