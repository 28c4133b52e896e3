"""The dialogue policy (contract: shared/spec/safety.md), per site.

1. Actuating intents are read back and wait for ``confirm`` from the same site within the
   time limit; anything else, or the timeout, cancels and says so.
2. ``stop`` and ``stop_transfer`` are never gated. ``stop`` drops a pending confirmation, cuts
   speech and stops a transfer running at the site.
3. A low-confidence actuating request is not guessed: the user is asked to repeat. A
   low-confidence ``stop`` is still acted on.
4. Each site may run only the intents its policy allows; refusals are spoken.
5. Nothing is claimed without an acknowledgement (the skills report silence as such).
6. Alarms are spoken at the sites of their room, repeated until acknowledged there.
7. Heard commands, decisions, commands sent, acknowledgements and alarms go to the audit log.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wanwan.bus.client import SendGate
from wanwan.bus.messages import (
    Alarm,
    GasBagState,
    InstrumentEvent,
    InstrumentState,
    OxygenState,
    StorageState,
)
from wanwan.config import Site, SiteConfig
from wanwan.instruments.gateway import Instruments
from wanwan.ledger import Audit, Ledger
from wanwan.messages import messages
from wanwan.names import STOPS, Decision, IntentName, ReplyKind
from wanwan.nlu import IntentEngine, ParseResult
from wanwan.skills import REGISTRY
from wanwan.skills.base import (
    WITHDRAWN,
    CommandRecord,
    LevelAlert,
    SkillContext,
    SkillResult,
    room_name,
)
from wanwan.skills.transfer import transfer_running

log = logging.getLogger(__name__)

MAX_ALERTS = 20  # level alerts kept per site

ALWAYS_ALLOWED = STOPS | {IntentName.CONFIRM, IntentName.CANCEL, IntentName.REPEAT,
                          IntentName.HELP, IntentName.ACKNOWLEDGE_ALARM}
# a word this alike to a stop word ("stopp", "stob") counts as one when nothing else explains
# the sentence; "how old is this dewar" came within 0.51 of "halt this transfer", and being
# near a stop intent alone made it a stop
STOP_WORD_LIKENESS = 0.8
HELP_ORDER = [IntentName.READ_LEVEL, IntentName.LOG_VOLUME, IntentName.START_TRANSFER,
              IntentName.TRANSFER_STATUS, IntentName.STOCK_QUERY, IntentName.READ_OXYGEN,
              IntentName.GAS_STATUS]


@dataclass
class Reply:
    """One line wanwan says at a site."""

    site: str
    text: str
    kind: ReplyKind = ReplyKind.REPLY
    intent: str | None = None
    ref: str | None = None  # the id of whoever asked for the line (a Hermes tts/say)


@dataclass
class Turn:
    """One utterance and what came of it (the JSON of ``wanwan ask --json``)."""

    site: str
    heard: str
    parse: ParseResult
    reply: str
    decision: Decision
    intent: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    commands: list[CommandRecord] = field(default_factory=list)
    elapsed_ms: float = 0.0
    session: str | None = None  # the Hermes session it belongs to (a satellite's utterance)

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site, "text": self.heard, "intent": self.intent,
                "slots": self.slots, "confidence": round(self.parse.confidence, 3),
                "decision": self.decision, "reply": self.reply,
                "commands": [c.to_json() for c in self.commands],
                "elapsed_ms": round(self.elapsed_ms, 1)}


SPEAKING_AT_MOST_S = 120.0  # the longest a read-back may take to be said aloud


@dataclass
class Pending:
    intent: str
    slots: dict[str, Any]
    readback: str
    deadline: float
    heard: str
    confidence: float
    source: str | None = None  # the satellite or device that heard the request


@dataclass
class Awaiting:
    """A request that asked a question back ("Which dewar?"), waiting for its answer."""

    intent: str
    slots: dict[str, Any]
    slot: str
    deadline: float


@dataclass
class SiteState:
    site: Site
    lock: threading.RLock = field(default_factory=threading.RLock)  # one turn at a time
    # Stops take send_lock only, never ``lock``: a turn waiting on a slow instrument must not
    # hold up a stop. A command of a turn that began before a stop is withdrawn (see gate).
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    stops: int = 0
    stops_at_turn: int = 0  # ``stops`` when the current turn began
    pending: Pending | None = None
    awaiting: Awaiting | None = None
    # speech at the site being recognised now, which may answer the read-back: id -> when said
    answers_heard: dict[int, float] = field(default_factory=dict)
    last_reply: str = ""
    # the question answered last, which "and dewar four?" asks again of another dewar
    last_question: Awaiting | None = None
    memory: dict[str, Any] = field(default_factory=dict)
    alerts: list[LevelAlert] = field(default_factory=list)


@dataclass
class ActiveAlarm:
    alarm: Alarm
    sites: list[str]
    acknowledged: set[str] = field(default_factory=set)
    next_repeat: float = 0.0


def means_stop(engine: IntentEngine, parse: ParseResult) -> bool:
    """``stop``, ``stop_transfer``, or a stop heard unsurely (rule 3: when in doubt, stop):
    a stop word, or a word that sounds like one, in a sentence nothing else explains.
    Without spaces a word the recogniser ran into others counts too: Whisper wrote
    「充填ストップして」 in noise as 「ニューデンストップして」, one word of katakana."""
    if parse.intent in STOPS:
        return True
    if parse.intent is not None or parse.reason == "negated":
        return False
    heard = {t.text for t in engine.catalog.normalise(parse.text)}
    within = not engine.language.spaced
    return any(engine.similarity(word, stop) >= STOP_WORD_LIKENESS
               or (within and len(stop) > 1 and stop in word)
               for word in heard for stop in engine.language.stop_words)


class Dialogue:
    """The safety policy of every site (the rules at the top of this module).

    ``handle()`` runs one turn: it understands the text, decides (answer, read back, act on a
    confirmation, refuse, stop) and says the reply through ``speak``. Turns of one site run one
    at a time; a stop never waits for them. A background thread times out confirmations and
    repeats alarms until acknowledged.
    """

    def __init__(self, config: SiteConfig, engine: IntentEngine, instruments: Instruments,
                 ledger: Ledger, audit: Audit, speak: Callable[[Reply], None],
                 on_stop: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.engine = engine
        self.instruments = instruments
        self.ledger = ledger
        self.audit = audit
        self.speak = speak
        self.say = messages(config.language)  # every line in the site's language
        self.on_stop = on_stop or (lambda site: None)
        self.sites: dict[str, SiteState] = {}
        self.alarms: dict[str, ActiveAlarm] = {}
        self._alarm_lock = threading.Lock()
        self._answer_ids = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        instruments.on_alarm(self._on_alarm)
        instruments.on_state(self._on_state)
        instruments.on_event(self._on_event)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> Dialogue:
        self._thread = threading.Thread(target=self._run, name="dialogue", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(2)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            try:
                self.tick()
            except Exception:
                log.exception("dialogue tick failed")

    def site_state(self, site_id: str | None) -> SiteState:
        site = self.config.site(site_id)
        state = self.sites.get(site.id)
        if state is None:
            state = self.sites.setdefault(site.id, SiteState(site))
        return state

    # -- one turn ----------------------------------------------------------------------------
    def means_stop(self, parse: ParseResult) -> bool:
        return means_stop(self.engine, parse)

    def answer_heard(self, site_id: str | None, said_at: float | None = None
                     ) -> Callable[[], None]:
        """Speech at a site, said at ``said_at`` (``time.monotonic()``, default now), is being
        recognised and may answer the site's read-back: the read-back does not time out under
        it (for at most ``timeouts.answer_grace_s``), since a confirmation counts from when it
        was said, not from when a loaded machine finished recognising it. Returns the release,
        to be called once the turn of that speech has been handled (or it was not a turn)."""
        state = self.site_state(site_id)
        answer = next(self._answer_ids)
        state.answers_heard[answer] = time.monotonic() if said_at is None else said_at
        return lambda: state.answers_heard.pop(answer, None)

    def readback_spoken(self, site_id: str | None, text: str, *, finished: bool) -> None:
        """``text``, which holds the site's read-back, is being said aloud there (queued, or
        playing), or has ``finished``: the time to confirm counts from the end of it, so a
        long read-back, or one queued behind an announcement, does not eat into the
        technician's ``timeouts.confirm_s``. A speaker that never finishes holds it open for
        at most ``SPEAKING_AT_MOST_S``."""
        pending = self.site_state(site_id).pending
        if pending is None or pending.readback not in text:
            return
        ahead = self.config.timeouts.confirm_s + (0 if finished else SPEAKING_AT_MOST_S)
        pending.deadline = time.monotonic() + ahead

    def _answer_in_time(self, deadline: float, said_at: float | None, now: float) -> bool:
        """Whether speech said at ``said_at`` (default: now) answers within ``deadline``; an
        answer said in time but recognised more than ``answer_grace_s`` late is late all the
        same (what was read back may no longer hold)."""
        said = now if said_at is None else said_at
        return said <= deadline and now <= deadline + self.config.timeouts.answer_grace_s

    def handle(self, text: str, site_id: str | None = None, *,
               parse: ParseResult | None = None, source: str | None = None,
               said_at: float | None = None) -> Turn:
        """One turn at a site. Safe to call from several threads: turns of one site run one at
        a time, and a stop never waits for another turn. ``source``: the satellite or device
        that heard it; a read-back is confirmed only from where it was heard. ``said_at``: when
        the speech ended (``time.monotonic()``), if it was spoken; an answer to a read-back or
        a question counts from then, not from when it was recognised."""
        started = time.perf_counter()
        state = self.site_state(site_id)
        site = state.site
        parse = parse if parse is not None else self.engine.parse(text)
        self.audit.record(site.id, "heard", intent=parse.intent, confidence=parse.confidence,
                          text=text, slots=parse.slots or None, reason=parse.reason)
        if self.means_stop(parse):
            turn = self._stop_everything(state, parse)
        else:
            with state.lock:
                turn = self._decide(state, parse, source, said_at)
        turn.elapsed_ms = (time.perf_counter() - started) * 1000
        for record in turn.commands:
            self.audit.record(site.id, "command", intent=turn.intent,
                              instrument=record.instrument, command=record.command,
                              args=record.args, acknowledged=record.ok is not None,
                              ok=record.ok, error=record.error)
        self.audit.record(site.id, "decision", intent=turn.intent, confidence=parse.confidence,
                          decision=turn.decision, reply=turn.reply)
        kind = ReplyKind.READBACK if turn.decision == Decision.READBACK else ReplyKind.REPLY
        if turn.reply:
            state.last_reply = turn.reply
            self.speak(Reply(site.id, turn.reply, kind, turn.intent))
        return turn

    def _decide(self, state: SiteState, parse: ParseResult, source: str | None = None,
                said_at: float | None = None) -> Turn:
        site = state.site
        state.stops_at_turn = state.stops
        awaiting, state.awaiting = state.awaiting, None
        if awaiting is not None and self._answer_in_time(awaiting.deadline, said_at,
                                                         time.monotonic()):
            if parse.intent == IntentName.CANCEL:
                return Turn(site.id, parse.text, parse, self.say("dialogue.cancelled"),
                            Decision.CANCELLED, IntentName.CANCEL)
            answered = self.engine.answer(parse.text, awaiting.intent, awaiting.slot,
                                          awaiting.slots)
            if answered is not None:  # "Which dewar?" - "twelve": the request, completed
                parse = ParseResult(parse.text, awaiting.intent, {**awaiting.slots, **answered},
                                    confidence=parse.confidence if parse.intent else 1.0,
                                    actuating=self.engine.catalog.intents[
                                        awaiting.intent].actuating)
        if parse.intent is None or not (parse.exact or parse.actuating):
            # a bent reading too: "and dewar four" reads tolerantly as a level question, but
            # after "what's the pressure in dewar three" it asks that again
            parse = self._same_question(state, parse) or parse
        intent = parse.intent

        def turn(reply: str, decision: Decision, result: SkillResult | None = None,
                 commands: list[CommandRecord] | None = None) -> Turn:
            return Turn(site.id, parse.text, parse, reply, decision, intent,
                        dict(parse.slots), commands or [])

        if intent is None:
            return turn(self._not_understood(parse), Decision.NOT_UNDERSTOOD)

        prefix = ""
        if state.pending is not None:
            pending = state.pending
            if intent == IntentName.CONFIRM and source != pending.source:
                self.audit.record(site.id, "refused", reason="confirmation from another device",
                                  intent=pending.intent, source=source, expected=pending.source)
                return turn(self.say("dialogue.confirm_elsewhere"), Decision.REFUSED)
            if intent == IntentName.CONFIRM:
                state.pending = None
                if not self._answer_in_time(pending.deadline, said_at, time.monotonic()):
                    return turn(self.say("dialogue.too_late"), Decision.EXPIRED)
                return self._execute(state, pending.intent, pending.slots, parse, turn,
                                     decision=Decision.CONFIRMED)
            state.pending = None
            self.audit.record(site.id, "cancelled", intent=pending.intent, reason=intent)
            if intent == IntentName.CANCEL:
                return turn(self.say("dialogue.cancelled_action",
                                     action=self._action_words(pending)), Decision.CANCELLED)
            prefix = self.say("dialogue.cancelled_pending")

        def after(text: str) -> str:  # what is said after a dropped read-back, if any
            return self.say.sentences(prefix, text)

        if intent == IntentName.CONFIRM:
            return turn(after(self.say("dialogue.nothing_to_confirm")), Decision.NOTHING_PENDING)
        if intent == IntentName.CANCEL:
            return turn(after(self.say("dialogue.nothing_to_cancel")), Decision.NOTHING_PENDING)
        if intent == IntentName.REPEAT:
            return turn(state.last_reply or self.say("dialogue.nothing_said"),
                        Decision.REPEATED)
        if intent == IntentName.HELP:
            return turn(after(self._help(site)), Decision.HELP)
        if intent == IntentName.ACKNOWLEDGE_ALARM:
            return turn(after(self._acknowledge(site)), Decision.ACKNOWLEDGED)

        if intent not in ALWAYS_ALLOWED and not site.allows(intent):
            words = self.say.line_or(f"actions.{intent}", intent.replace("_", " ").capitalize())
            return turn(after(self.say("dialogue.not_allowed_here", action=words,
                                       site=self._site_name(site))), Decision.REFUSED)

        skill = REGISTRY.get(intent)
        if skill is None:
            return turn(after(self.say("dialogue.no_skill")), Decision.NO_SKILL)
        ctx = self._context(state, parse.text)
        if skill.check is not None:
            question = skill.check(ctx, parse.slots)
            if question is not None:
                if question.slot:  # the next turn may answer it
                    state.awaiting = Awaiting(intent, dict(parse.slots), question.slot,
                                              time.monotonic() + self.config.timeouts.confirm_s)
                return turn(after(question.text), Decision.CLARIFY)
        if skill.readback is not None and intent not in STOPS:
            readback = skill.readback(ctx, parse.slots)
            state.pending = Pending(intent, dict(parse.slots), readback,
                                    time.monotonic() + self.config.timeouts.confirm_s,
                                    parse.text, parse.confidence, source)
            return turn(after(readback), Decision.READBACK)
        executed = self._execute(state, intent, parse.slots, parse, turn,
                                 decision=Decision.DONE)
        executed.reply = after(executed.reply)
        return executed

    def _execute(self, state: SiteState, intent: str, slots: dict[str, Any],
                 parse: ParseResult, turn, decision: Decision) -> Turn:
        site = state.site
        if intent not in ALWAYS_ALLOWED and not site.allows(intent):  # policy may have changed
            return turn(self.say("dialogue.not_allowed", site=self._site_name(site)),
                        Decision.REFUSED)
        ctx = self._context(state, parse.text)
        result = REGISTRY[intent].run(ctx, slots)
        out = turn(result.text, decision if result.ok else Decision.FAILED, result, ctx.commands)
        asked = self.engine.catalog.intents[intent].question and result.ok and slots
        state.last_question = Awaiting(intent, dict(slots), "", time.monotonic() +
                                       self.config.timeouts.same_question_s) if asked else None
        if any(c.error == WITHDRAWN for c in ctx.commands):
            out.reply, out.decision = self.say("dialogue.withdrawn"), Decision.WITHDRAWN
        out.intent, out.slots = intent, dict(slots)
        return out

    def _same_question(self, state: SiteState, parse: ParseResult) -> ParseResult | None:
        """What is not understood alone, or only bent, may be the last question asked again of
        another dewar, lab or room ("What's the pressure in dewar three?" ... "and dewar
        four?"): read as the answer to one of that question's slots, with nothing else in it."""
        last = state.last_question
        if last is None or time.monotonic() > last.deadline:
            return None
        for slot, value in last.slots.items():
            others = {k: v for k, v in last.slots.items() if k != slot}
            answered = self.engine.answer(parse.text, last.intent, slot, others)
            if answered and answered.get(slot) != value:
                return ParseResult(parse.text, last.intent, {**others, **answered},
                                   confidence=self.engine.catalog.intents[
                                       last.intent].min_confidence)
        return None

    def _stop_everything(self, state: SiteState, parse: ParseResult) -> Turn:
        """stop, stop_transfer, or a stop heard unsurely. Never waits for the site's turn lock:
        it drops the pending confirmation, withdraws what a turn under way has not yet sent,
        and sends stop to the transfer controller when one may be running or it is this
        site's own (whether or not a reading says a transfer runs)."""
        site = state.site
        self.on_stop(site.id)  # cut speech first
        with state.send_lock:
            state.stops += 1
            dropped, state.pending = state.pending, None
        explicit = parse.intent == IntentName.STOP_TRANSFER
        intent = IntentName.STOP_TRANSFER if explicit else IntentName.STOP
        slots = dict(parse.slots) if explicit else {}

        def turn(reply: str, decision: Decision, commands: list[CommandRecord] | None = None
                 ) -> Turn:
            return Turn(site.id, parse.text, parse, reply, decision, intent, slots,
                        commands or [])

        tc = self.config.transfer_controller(site.room)
        running = self.transfer_running(site.id)
        if tc is None or not (explicit or running or tc.room == site.room):
            if explicit:
                return turn(self.say("transfer.no_controller"), Decision.FAILED)
            return turn(self._stopped(dropped), Decision.STOPPED)
        ctx = self._context(state, parse.text, gated=False)
        result = REGISTRY[IntentName.STOP_TRANSFER].run(ctx, {})
        record = ctx.commands[-1] if ctx.commands else None
        if record is not None and record.ok is None and record.sent:
            self._keep_stopping(state, tc.room, tc.id)
        if explicit:
            return turn(result.text, Decision.DONE if result.ok else Decision.FAILED,
                        ctx.commands)
        if not result.ok:
            if not running:  # a stop of speech at a bay whose controller is quiet
                key = ("dialogue.stopped_unreachable" if record is not None and not record.sent
                       else "dialogue.stopped_unacknowledged")
                return turn(self.say(key), Decision.STOPPED, ctx.commands)
            return turn(result.text, Decision.FAILED, ctx.commands)
        if running:
            return turn(result.text, Decision.STOPPED_TRANSFER, ctx.commands)
        return turn(self._stopped(dropped), Decision.STOPPED, ctx.commands)

    def _stopped(self, dropped: Pending | None) -> str:
        return self.say("dialogue.stopped" if dropped is None else
                        "dialogue.stopped_nothing_done")

    def _site_name(self, site: Site) -> str:
        return self.say.name(site.name or site.id, site.aliases)

    def transfer_running(self, site_id: str) -> bool:
        """Whether the transfer controller serving a site says a transfer is under way."""
        tc = self.config.transfer_controller(self.config.site(site_id).room)
        return tc is not None and transfer_running(
            self.instruments.reading("transfer", tc.id).state)

    def _keep_stopping(self, state: SiteState, room: str, controller: str) -> None:
        """A stop that was not acknowledged is sent again until it is, for up to a minute,
        and the acknowledgement is announced at the site."""
        def again() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not self._stop.is_set():
                ctx = self._context(state, "(stop, sent again)", gated=False)
                record = ctx.send(room, "transfer", controller, "stop",
                                  {"reason": "stopped by voice"},
                                  timeout=self.config.timeouts.stop_ack_s)
                self.audit.record(state.site.id, "command", intent=IntentName.STOP_TRANSFER,
                                  instrument=record.instrument, command="stop",
                                  acknowledged=record.ok is not None, ok=record.ok,
                                  error=record.error, repeat=True)
                if record.ok is not None:
                    text = (self.say("dialogue.stop_acknowledged_late") if record.ok
                            else self.say("dialogue.stop_refused_late", error=record.error))
                    self.speak(Reply(state.site.id, text, ReplyKind.NOTICE,
                                     IntentName.STOP_TRANSFER))
                    return
                if not record.sent:
                    self._stop.wait(1.0)

        threading.Thread(target=again, name=f"stop-{state.site.id}", daemon=True).start()

    def _context(self, state: SiteState, heard: str, *, gated: bool = True) -> SkillContext:
        def add_alert(alert: LevelAlert) -> None:
            # a new alert on the same instrument and side replaces the old one; at most
            # MAX_ALERTS per site (the oldest go): a service runs for months
            state.alerts[:] = [a for a in state.alerts if (a.kind, a.ident, a.direction)
                               != (alert.kind, alert.ident, alert.direction)]
            state.alerts.append(alert)
            del state.alerts[:-MAX_ALERTS]

        gate = None
        if gated:  # what this turn sends is withdrawn once a stop is heard at the site
            began = state.stops_at_turn
            gate = SendGate(state.send_lock, lambda: state.stops == began, "a stop was heard")
        return SkillContext(self.config, state.site, self.instruments, self.ledger, heard,
                            state.memory, add_alert, gate=gate, say=self.say)

    def _not_understood(self, parse: ParseResult) -> str:
        reason = parse.reason or ""
        if reason == "empty":
            return ""
        if reason == "negated":
            return self.say("dialogue.negated")
        if "out of range" in reason:
            return self.say("dialogue.cannot", reason=reason)
        near = self.engine.catalog.intents.get(parse.near or "")
        if near is not None and near.actuating:
            return self.say("dialogue.unclear")
        return self.say("dialogue.not_understood")

    def _action_words(self, pending: Pending) -> str:
        """The read-back's first sentence ("Start transfer from dewar 7 into NMR 600")."""
        return re.split(r"[.。]", pending.readback, maxsplit=1)[0]

    def _help(self, site: Site) -> str:
        examples = []
        intents = self.engine.catalog.intents
        ordered = sorted(intents, key=lambda n: HELP_ORDER.index(n) if n in HELP_ORDER else 99)
        for name in ordered:
            intent = intents[name]
            if name in ALWAYS_ALLOWED or not site.allows(name) or not intent.tests:
                continue
            examples.append(intent.tests[min(1, len(intent.tests) - 1)].text)
        return self.say("dialogue.help",
                        examples=self.say("dialogue.help_joiner").join(examples[:6]))

    # -- time-outs, alerts, alarms -----------------------------------------------------------
    def tick(self) -> None:
        now = time.monotonic()
        for state in list(self.sites.values()):
            expired: Pending | None = None  # by this tick (a turn may take it meanwhile)
            with state.lock:
                pending = state.pending
                if pending is not None and now > pending.deadline and not self._answer_coming(
                        state, pending, now):
                    state.pending, expired = None, pending
                    text = self.say("dialogue.timed_out", action=self._action_words(pending))
                    state.last_reply = text
            if expired is not None:
                self.audit.record(state.site.id, "cancelled", intent=expired.intent,
                                  reason="timeout")
                self.speak(Reply(state.site.id, text, ReplyKind.NOTICE, expired.intent))
        with self._alarm_lock:
            due = [a for a in self.alarms.values() if now >= a.next_repeat]
            for active in due:
                active.next_repeat = now + self.config.timeouts.alarm_repeat_s
        for active in due:
            for site in active.sites:
                if site not in active.acknowledged:
                    self.speak(Reply(site, self._alarm_text(active.alarm), ReplyKind.ALARM))

    def _answer_coming(self, state: SiteState, pending: Pending, now: float) -> bool:
        """Speech said before the read-back's deadline is still being recognised."""
        return any(self._answer_in_time(pending.deadline, said, now)
                   for said in list(state.answers_heard.values()))

    def active_alarms(self) -> list[ActiveAlarm]:
        """The alarms active now, each with the sites that acknowledged it (copies)."""
        with self._alarm_lock:
            return [ActiveAlarm(a.alarm, list(a.sites), set(a.acknowledged), a.next_repeat)
                    for a in self.alarms.values()]

    def _on_alarm(self, alarm: Alarm) -> None:
        sites = [s.id for s in self.config.sites_in_room(alarm.room)] or [
            s.id for s in self.config.sites] or ["default"]
        with self._alarm_lock:
            known = self.alarms.get(alarm.alarm_id)
            if not alarm.active:
                if known is None:
                    return
                doubt = self._clear_contradicted(known.alarm)
                if doubt:
                    self._suspicious_clear(known, doubt)
                    return
                del self.alarms[alarm.alarm_id]
            elif known is not None and known.alarm.severity == alarm.severity:
                return  # a repeat delivery (retained) of an alarm already being announced
            else:
                self.alarms[alarm.alarm_id] = ActiveAlarm(alarm, sites)
        for site in sites:
            self.audit.record(site, "alarm", alarm_id=alarm.alarm_id, kind=alarm.kind,
                              active=alarm.active, value=alarm.value)
        if not alarm.active:
            where = room_name(self.config, self.say, alarm.room)
            for site in sites:
                self.speak(Reply(site, self.say("dialogue.alarm_cleared",
                                                alarm=self._alarm_name(alarm), room=where),
                                 ReplyKind.NOTICE))
        # active alarms are spoken by tick(), at once and then every alarm_repeat_s

    def _alarm_text(self, alarm: Alarm) -> str:
        """An alarm in the site's language, from its kind and value; one of a kind the lines
        do not know, in the instrument's own words."""
        key = f"alarms.{alarm.kind}"
        if not self.say.has(key) or alarm.value is None:
            return alarm.message
        limit = ""
        monitor = self.config.oxygen_monitor(alarm.instrument)
        if monitor is not None:
            limit = f"{monitor.alarm_pct if alarm.severity == 'alarm' else monitor.warn_pct:g}"
        value = {"gas_bag_full": f"{alarm.value:.0f}"}.get(alarm.kind, f"{alarm.value:.1f}")
        return self.say(key, value=value, limit=limit)

    def _alarm_name(self, alarm: Alarm) -> str:
        return self.say.line_or(f"alarm_names.{alarm.kind}", alarm.kind.replace("_", " "))

    def _refused_command(self, event: InstrumentEvent) -> None:
        """An instrument refused a command (no valid token, a replay, a deadline too far,
        arguments outside its limits): recorded, and said at the sites of its room."""
        room = self.instruments.room_of(event.kind, event.id, "")
        sites = [s.id for s in self.config.sites_in_room(room)] or [
            s.id for s in self.config.sites] or ["default"]
        what = self.say.line_or(f"kinds.{event.kind}", event.kind)
        detail = event.detail
        for site in sites:
            self.audit.record(site, "command_refused", instrument=f"{event.kind}/{event.id}",
                              command=detail.get("command"), reason=detail.get("reason"),
                              request_id=detail.get("request_id"))
            self.speak(Reply(site, self.say(
                "dialogue.command_refused", what=what, command=detail.get("command", ""),
                reason=detail.get("reason", self.say("dialogue.no_reason"))), ReplyKind.NOTICE))

    def _clear_contradicted(self, alarm: Alarm) -> str | None:
        """What the instrument's latest reading says against clearing ``alarm``, or None."""
        kind = {"oxygen": "oxygen", "gas": "gas_bag", "storage": "storage"}.get(
            alarm.kind.split("_")[0])
        state = self.instruments.reading(kind, alarm.instrument).state if kind else None
        if isinstance(state, OxygenState):
            monitor = self.config.oxygen_monitor(alarm.instrument)
            warn = monitor.warn_pct if monitor else 19.5
            if state.o2_pct < warn:
                return self.say("dialogue.still_oxygen", value=f"{state.o2_pct:.1f}")
        bag, storage = self.config.gas_bag, self.config.storage
        if isinstance(state, GasBagState) and bag and state.fill_pct >= bag.full_alarm_pct:
            return self.say("dialogue.still_bag", value=f"{state.fill_pct:.0f}")
        if isinstance(state, StorageState) and storage and (
                state.pressure_mpa >= storage.high_alarm_mpa):
            return self.say("dialogue.still_storage", value=f"{state.pressure_mpa:.1f}")
        return None

    def _suspicious_clear(self, active: ActiveAlarm, doubt: str) -> None:
        """A clear the reading contradicts: announced, recorded, and the alarm goes on."""
        name = self._alarm_name(active.alarm)
        for site in active.sites:
            self.audit.record(site, "suspicious_clear", alarm_id=active.alarm.alarm_id,
                              reason=doubt)
            self.speak(Reply(site, self.say("dialogue.suspicious_clear", alarm=name, doubt=doubt),
                             ReplyKind.ALARM))
        active.acknowledged.clear()  # repeated everywhere again

    def _acknowledge(self, site: Site) -> str:
        with self._alarm_lock:
            mine = [a for a in self.alarms.values()
                    if site.id in a.sites and site.id not in a.acknowledged]
            for active in mine:
                active.acknowledged.add(site.id)
        if not mine:
            return self.say("dialogue.no_active_alarm")
        for active in mine:
            self.audit.record(site.id, "alarm_acknowledged", alarm_id=active.alarm.alarm_id)
        return self.say("dialogue.alarm_acknowledged")

    def _on_state(self, state: InstrumentState) -> None:
        level = getattr(state, "level_pct", None)
        if level is None:
            return
        for site_state in list(self.sites.values()):
            fired = [a for a in site_state.alerts
                     if a.kind == state.kind and a.ident == state.id and a.crossed(level)]
            for alert in fired:
                site_state.alerts.remove(alert)
                text = self.say(f"levels.fired_{alert.direction}",
                                label=self.say.capital(alert.label),
                                percent=self.say.percent(level))
                self.audit.record(site_state.site.id, "level_alert", instrument=alert.ident,
                                  level=alert.level, direction=alert.direction, value=level)
                self.speak(Reply(site_state.site.id, text, ReplyKind.NOTICE,
                                 IntentName.SET_LEVEL_ALERT))

    def _on_event(self, event: InstrumentEvent) -> None:
        if event.event == "command_refused":
            self._refused_command(event)
            return
        if event.kind == "transfer" and event.event == "stopped":
            site = event.detail.get("site")
            reason = event.detail.get("reason", "")
            if site in self.sites and reason != "stopped by voice":
                moved = event.detail.get("moved_l")
                text = self.say("dialogue.transfer_stopped_by",
                                 reason=self.say.stop_reason(reason) if reason else "")
                if moved is not None:
                    text = self.say.sentences(text, self.say(
                        "dialogue.litres_moved", litres=self.say("units.litres",
                                                                 n=f"{float(moved):.0f}")))
                self.speak(Reply(site, text, ReplyKind.NOTICE, IntentName.TRANSFER_STATUS))
