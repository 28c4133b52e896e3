"""wanwan on the Hermes wire, natively, beside its own topics (docs/mqtt.md).

For the tools people already run with Rhasspy (Node-RED flows, Home Assistant's Rhasspy
integration, rhasspy-hermes apps), the server plays the Hermes roles it has inside it:

- NLU: ``hermes/nlu/query`` is answered with ``hermes/intent/{name}`` or
  ``hermes/nlu/intentNotRecognized``. Understanding only: nothing is done, confirmed or sent
  to an instrument (that takes a turn at a site, through the safety dialogue);
- hotword, ASR and dialogue manager, for each turn: ``hermes/hotword/wanwan/detected`` when a
  satellite's utterance began with the wake phrase, ``hermes/asr/textCaptured`` with what the
  recogniser heard, ``hermes/dialogueManager/sessionStarted``, the intent (or not
  recognised) and ``sessionEnded``, all with one session id;
- TTS: ``hermes/tts/say`` from an app is said at its site (through the satellite there, if any)
  and answered with ``hermes/tts/sayFinished`` once played. wanwan's own replies are not
  published as ``tts/say``: it speaks them itself, and a Rhasspy TTS on the same broker would
  say them twice.

wanwan never acts on a ``hermes/intent/…`` it did not make: the instruments take only commands
the dialogue signed (wanwan.security).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

from wanwan.assistant import Assistant
from wanwan.bus import hermes
from wanwan.dialogue import Turn
from wanwan.voice import Heard

log = logging.getLogger(__name__)


class HermesBridge:
    """Hermes messages in and out for one assistant."""

    SESSIONS_KEPT = 1000

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.bus = assistant.bus
        self.lang = assistant.config.language
        self._sites = {s.id for s in assistant.config.sites}
        self._started: deque[str] = deque(maxlen=self.SESSIONS_KEPT)
        # set by the satellite hub: whether a site's lines are played by a satellite (which
        # then says when each has finished); elsewhere a line is finished once handed over
        self.plays_at: Callable[[str], bool] = lambda site: False
        self.bus.subscribe(hermes.NLU_QUERY, hermes.NluQuery, self._on_nlu_query)
        self.bus.subscribe(hermes.TTS_SAY, hermes.TtsSay, self._on_tts_say)
        self._unsubscribe = assistant.on_turn(self._on_turn)

    # -- in --------------------------------------------------------------------------------------
    def _on_nlu_query(self, topic: str, query: hermes.NluQuery) -> None:
        """Parsing takes milliseconds and waits for nothing: done on the network thread."""
        wanted = set(query.intent_filter) if query.intent_filter else None
        parse = self.assistant.engine.parse(query.input, wanted)
        self._publish_understood(query.input, parse.intent, parse.confidence, parse.slots,
                                 site=query.site_id, session=query.session_id, id=query.id,
                                 custom_data=query.custom_data)

    def _on_tts_say(self, topic: str, say: hermes.TtsSay) -> None:
        if say.site_id not in self._sites:
            self.bus.drop(topic, f"siteId {say.site_id!r} is not a site of this configuration")
            return
        self.assistant.say(say.site_id, say.text, ref=say.id or hermes.new_session_id())
        if not self.plays_at(say.site_id):
            self.say_finished(say.site_id, say.id, say.session_id)

    # -- out -------------------------------------------------------------------------------------
    def heard(self, site: str, heard: Heard) -> str:
        """A satellite's utterance, addressed to wanwan: the session it opens."""
        session = hermes.new_session_id()
        if heard.woke:
            self.bus.publish(hermes.hotword_detected(), hermes.HotwordDetected(
                model_id=hermes.WAKEWORD_ID, site_id=site, session_id=session, lang=self.lang),
                qos=0)
        self.bus.publish(hermes.SESSION_STARTED, hermes.SessionStarted(
            session_id=session, site_id=site, lang=self.lang), qos=0)
        self._started.append(session)
        self.bus.publish(hermes.ASR_TEXT_CAPTURED, hermes.AsrTextCaptured(
            text=heard.transcript.text, likelihood=round(heard.transcript.confidence, 3),
            seconds=round(heard.utterance.duration, 2), site_id=site, session_id=session,
            wakeword_id=hermes.WAKEWORD_ID if heard.woke else None, lang=self.lang), qos=0)
        return session

    def _on_turn(self, turn: Turn, source: str | None) -> None:
        session = turn.session or hermes.new_session_id()
        if session not in self._started:
            self.bus.publish(hermes.SESSION_STARTED, hermes.SessionStarted(
                session_id=session, site_id=turn.site, lang=self.lang), qos=0)
        self._publish_understood(turn.heard, turn.intent, turn.parse.confidence, turn.slots,
                                 site=turn.site, session=session)
        reason = "nominal" if turn.intent else "intentNotRecognized"
        self.bus.publish(hermes.SESSION_ENDED, hermes.SessionEnded(
            termination=hermes.SessionTermination(reason=reason), session_id=session,
            site_id=turn.site), qos=0)

    def say_finished(self, site: str, ref: str | None, session: str | None = None) -> None:
        self.bus.publish(hermes.TTS_SAY_FINISHED, hermes.TtsSayFinished(
            site_id=site, id=ref, session_id=session), qos=0)

    def _publish_understood(self, text: str, intent: str | None, confidence: float,
                            slots: dict, *, site: str, session: str | None,
                            id: str | None = None, custom_data: str | None = None) -> None:
        if intent:
            self.bus.publish(hermes.intent(intent), hermes.NluIntent(
                input=text, raw_input=text, site_id=site, id=id, session_id=session,
                intent=hermes.IntentName(intent_name=intent,
                                         confidence_score=round(confidence, 3)),
                slots=hermes.slots_of(slots), custom_data=custom_data, lang=self.lang), qos=0)
        else:
            self.bus.publish(hermes.NLU_NOT_RECOGNIZED, hermes.NluIntentNotRecognized(
                input=text, site_id=site, id=id, session_id=session,
                custom_data=custom_data), qos=0)

    def close(self) -> None:
        self._unsubscribe()
