"""One site's voice: audio in, turns with the assistant, replies spoken.

A :class:`Kiosk` is fed blocks of 16 kHz audio as a microphone delivers them. It cuts
utterances and recognises them (:class:`~wanwan.voice.LiveHearing`), decides whether each was
meant for wanwan (:class:`TurnTaking`), hands those to the assistant as a turn at its site, and
speaks every reply, alarm and notice of its site through its speaker, which a stop cuts at once.
``wanwan listen`` feeds it a microphone, the demo synthesised speech, and the satellite server
the audio that satellites stream over MQTT.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass

import numpy as np

from wanwan.assistant import Assistant
from wanwan.dialogue import Reply, Turn
from wanwan.messages import messages
from wanwan.names import STOPS, ReplyKind
from wanwan.tts import Preparation, Speaker
from wanwan.voice import Heard, LiveHearing, VoicePipeline

log = logging.getLogger(__name__)


class TurnTaking:
    """Whether an utterance is addressed to wanwan at one site: a fact of the conversation,
    not of the transcript.

    The wake phrase opens a turn. Without it wanwan still listens to: the answer to a pending
    confirmation, anything within ``follow_up_s`` of its last reply having been said (after
    "Yes?" too), every utterance when the site has no wake phrase (push-to-talk, or an
    external wake-word engine opening the microphone), and "stop" while a transfer runs at the
    site or while it speaks.
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
        if heard.addressed:
            # expected when the speaker stopped; the window closed while it was recognised
            # (a slow machine must not shorten the speaker's follow-up window)
            return True, "expected when said"
        if heard.parse.intent in STOPS and (transfer_running or speaking):
            return True, "stop during a transfer" if transfer_running else "stop while speaking"
        return False, "no wake phrase"


@dataclass
class KioskTurn:
    """What became of one utterance heard at the kiosk. The turn runs on the assistant's lane
    for the site (a stop on a thread of its own), so hearing goes on while an instrument is
    slow to answer; ``turn`` waits for it."""

    heard: Heard
    addressed: bool
    why: str  # why it was (not) taken as addressed
    future: Future[Turn] | None = None  # None: ignored, or a bare wake phrase
    said: str = ""  # what the kiosk answered itself ("Yes?" to a bare wake phrase)

    TURN_WAIT_S = 60.0  # longer than any turn: a stop answers within a second, a command ~3 s

    @property
    def turn(self) -> Turn | None:
        return None if self.future is None else self.future.result(self.TURN_WAIT_S)

    @property
    def reply(self) -> str:
        turn = self.turn
        return turn.reply if turn is not None else self.said

    @property
    def listening(self) -> bool:
        """A bare wake phrase, answered "Yes?": the command may follow without it."""
        return self.addressed and self.future is None and self.heard.bare_wake


class Kiosk:
    """Hearing, turn-taking and speech out for one site, talking to an assistant.

    ``source``: who hears here (a satellite's name), so that a read-back is confirmed only
    from where it was heard. ``on_heard(heard)``: told of each addressed utterance before its
    turn starts; what it returns is the turn's session (the Hermes bridge's session id).
    ``recognise``: the executor that runs recognition, shared by the kiosks of one server so
    that one recogniser serves one utterance at a time (each kiosk has its own otherwise).
    """

    def __init__(self, assistant: Assistant, pipeline: VoicePipeline, speaker: Speaker,
                 site: str | None = None, *, follow_up_s: float | None = None,
                 speculate: bool = True, source: str | None = None,
                 on_heard: Callable[[Heard], str | None] | None = None,
                 recognise: Executor | None = None) -> None:
        self.assistant = assistant
        self.site = assistant.config.site(site).id
        self.speaker = speaker
        self.say = messages(assistant.config.language)
        self.source = source
        self.on_heard = on_heard
        self.turns = TurnTaking(assistant.config.speech.follow_up_s if follow_up_s is None
                                else follow_up_s, pipeline.wake)
        self.hearing = LiveHearing(pipeline, speculate=speculate, addressed=self._expecting,
                                   worker=recognise)
        self._lock = threading.Lock()  # feed() from one thread, replies from others
        self._in_flight: Future[Turn] | None = None
        # keeps the read-back open while the speech that may answer it is recognised
        self._answer_hold: Callable[[], None] | None = None
        self._unsubscribe = [assistant.on_reply(self._on_reply),
                             assistant.on_stop(self._on_stop)]
        # "The transfer has stopped.", "Please say confirm, or cancel.": said once decided
        self.preparing = Preparation(speaker.synth, self.say.fixed_sentences())

    # -- speech out: everything said at this site ----------------------------------------------
    def _on_reply(self, reply: Reply) -> None:
        if reply.site != self.site:
            return
        if reply.kind == ReplyKind.READBACK:  # the time to confirm starts once it is heard
            self.assistant.dialogue.readback_spoken(self.site, reply.text, finished=False)
        self.speaker.say(reply.text, ref=reply.ref, done=functools.partial(self._said, reply))
        self.turns.replied()

    def _said(self, reply: Reply) -> None:
        """A reply has been said (or cut short): the windows to answer it start now."""
        self.turns.replied()
        if reply.kind == ReplyKind.READBACK:
            self.assistant.dialogue.readback_spoken(self.site, reply.text, finished=True)

    def _on_stop(self, site: str) -> None:
        if site == self.site:
            self.speaker.interrupt()  # "stop" cuts speech at once

    def _expecting(self) -> bool:
        """Called by the hearing as it starts to recognise an utterance (or a guess at one)."""
        dialogue = self.assistant.dialogue
        pending = dialogue.site_state(self.site).pending is not None
        self._release_answer_hold()  # a guess given up, or the same utterance again at its end
        if pending:
            self._answer_hold = dialogue.answer_heard(self.site)
        return self.turns.expecting(pending=pending) is not None

    def _release_answer_hold(self) -> None:
        release, self._answer_hold = self._answer_hold, None
        if release is not None:
            release()

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
        hold, self._answer_hold = self._answer_hold, None  # this utterance's, if any
        taken = self._take_turn(heard)
        if hold is not None:
            if taken.future is None:
                hold()
            else:  # until the dialogue has had its turn
                taken.future.add_done_callback(lambda _: hold())
        return taken

    def _take_turn(self, heard: Heard) -> KioskTurn:
        dialogue = self.assistant.dialogue
        stop = dialogue.means_stop(heard.parse)
        busy = self._in_flight is not None and not self._in_flight.done()
        if busy and not stop:
            # whether this is a follow-up or an answer depends on the turn before it
            with contextlib.suppress(Exception):
                self._in_flight.result(KioskTurn.TURN_WAIT_S)  # type: ignore[union-attr]
            busy = False
        addressed, why = self.turns.addressed(
            heard, pending=dialogue.site_state(self.site).pending is not None,
            transfer_running=self.assistant.transfer_running(self.site) or busy,
            speaking=self.speaker.speaking.is_set())
        if not addressed:
            log.info("%s: ignored %r (%s)", self.site, heard.transcript.text, why)
            return KioskTurn(heard, False, why)
        if heard.bare_wake:  # "wan wan" ... "what's the level in dewar 12"
            if self.on_heard is not None:
                self.on_heard(heard)
            listening = self.say("dialogue.listening")
            self.speaker.say(listening)
            self.turns.replied()
            return KioskTurn(heard, True, why, said=listening)
        log.info("%s: heard (%s) %r", self.site, why, heard.command)
        session = self.on_heard(heard) if self.on_heard is not None else None
        # the parse as heard: it carries the recogniser's own doubt (a command that acts needs
        # the engine's confidence too), which parsing the text again would lose
        future = self.assistant.lanes.submit(self.site, heard.command, self.source,
                                             parse=heard.parse, session=session,
                                             said_at=heard.said_at)
        if not stop:
            self._in_flight = future
        return KioskTurn(heard, True, why, future)

    def close(self) -> None:
        self.preparing.stop()
        self._release_answer_hold()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self._in_flight is not None:
            with contextlib.suppress(Exception):
                self._in_flight.result(KioskTurn.TURN_WAIT_S)
        self.hearing.close()

    def __enter__(self) -> Kiosk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
