"""The assistant's view of the instruments: latest validated state of each, online or not, and
commands with acknowledgements. Skills read from here; nothing here knows about dialogue."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from wanwan.bus.client import Bus, CommandTimeout, SendGate
from wanwan.bus.messages import (
    STATE_MODELS,
    Alarm,
    CommandReply,
    InstrumentEvent,
    InstrumentState,
    InstrumentStatus,
)
from wanwan.listeners import Listeners
from wanwan.security import CommandKeys

log = logging.getLogger(__name__)


@dataclass
class Reading:
    state: InstrumentState | None
    status: str  # "fresh", "stale", "offline", "unknown"
    age_s: float | None = None

    @property
    def usable(self) -> bool:
        return self.state is not None and self.status in ("fresh", "stale")


class Instruments:
    """The latest validated state of every instrument, whether it is online, and commands
    sent with their acknowledgements. Listeners hear states, alarms and events as they come."""

    def __init__(self, bus: Bus, stale_after_s: float = 120.0, ack_timeout_s: float = 3.0,
                 keys: CommandKeys | None = None) -> None:
        """``keys``: the commands' authority; each command is signed for its instrument, and
        only answers the instrument signed are believed."""
        self.bus = bus
        self.keys = keys
        self.topics = bus.topics
        self.stale_after_s = stale_after_s
        self.ack_timeout_s = ack_timeout_s
        self._lock = threading.Lock()
        self._states: dict[tuple[str, str], tuple[InstrumentState, float]] = {}
        self._rooms: dict[tuple[str, str], str] = {}
        self._status: dict[tuple[str, str], str] = {}
        self._state_listeners: Listeners[[InstrumentState]] = Listeners("state listener")
        self._alarm_listeners: Listeners[[Alarm]] = Listeners("alarm listener")
        self._event_listeners: Listeners[[InstrumentEvent]] = Listeners("event listener")
        bus.subscribe(self.topics.all_states, None, self._on_state, qos=0)
        bus.subscribe(self.topics.all_statuses, InstrumentStatus, self._on_status, qos=1)
        bus.subscribe(self.topics.all_alarms, Alarm, self._on_alarm, qos=1)
        bus.subscribe(self.topics.all_events, InstrumentEvent, self._on_event, qos=1)

    # -- listeners ---------------------------------------------------------------------------
    def on_state(self, fn: Callable[[InstrumentState], None]) -> Callable[[], None]:
        """Returns the function that removes ``fn`` (so for on_alarm, on_event)."""
        return self._state_listeners.add(fn)

    def on_alarm(self, fn: Callable[[Alarm], None]) -> Callable[[], None]:
        return self._alarm_listeners.add(fn)

    def on_event(self, fn: Callable[[InstrumentEvent], None]) -> Callable[[], None]:
        return self._event_listeners.add(fn)

    def _on_state(self, topic: str, payload: Any) -> None:
        parsed = self.topics.parse_instrument(topic)
        if parsed is None:
            return
        room, kind, ident, _ = parsed
        model = STATE_MODELS.get(kind)
        if model is None:
            self.bus.drop(topic, f"unknown instrument kind {kind!r}")
            return
        try:
            state = model.model_validate(payload)
        except ValidationError as exc:
            first = exc.errors()[0]
            self.bus.drop(topic, f"{'.'.join(map(str, first['loc'])) or 'payload'}: "
                                 f"{first['msg']}")
            return
        if state.id != ident:
            self.bus.drop(topic, f"state of {state.id!r} published under {ident!r}")
            return
        with self._lock:
            self._states[(kind, ident)] = (state, time.monotonic())
            self._rooms[(kind, ident)] = room
        self._state_listeners.call(state)

    def _on_status(self, topic: str, status: InstrumentStatus) -> None:
        parsed = self.topics.parse_instrument(topic)
        if parsed:
            room, kind, ident, _ = parsed
            with self._lock:
                self._status[(kind, ident)] = status.status
                self._rooms[(kind, ident)] = room

    def _on_alarm(self, topic: str, alarm: Alarm) -> None:
        """Only an alarm about the instrument whose topic it came on (the broker lets only
        that instrument publish there) is believed."""
        parsed = self.topics.parse_instrument(topic)
        if parsed is None or (parsed[0], parsed[2]) != (alarm.room, alarm.instrument):
            self.bus.drop(topic, f"an alarm about {alarm.room}/{alarm.instrument} on another "
                                 "instrument's topic")
            return
        self._alarm_listeners.call(alarm)

    def _on_event(self, topic: str, event: InstrumentEvent) -> None:
        self._event_listeners.call(event)

    # -- reading -----------------------------------------------------------------------------
    def reading(self, kind: str, ident: str) -> Reading:
        with self._lock:
            cached = self._states.get((kind, ident))
            status = self._status.get((kind, ident))
        if status == "offline":
            return Reading(cached[0] if cached else None, "offline")
        if cached is None:
            return Reading(None, "unknown")
        state, received = cached
        age = time.monotonic() - received
        return Reading(state, "fresh" if age <= self.stale_after_s else "stale", age)

    def all(self, kind: str) -> list[Reading]:
        with self._lock:
            idents = sorted({i for k, i in list(self._states) + list(self._status) if k == kind})
        return [self.reading(kind, i) for i in idents]

    def room_of(self, kind: str, ident: str, default: str) -> str:
        with self._lock:
            return self._rooms.get((kind, ident), default)

    # -- commands ----------------------------------------------------------------------------
    def command(self, room: str, kind: str, ident: str, command: str,
                args: dict | None = None, *, site: str | None = None,
                timeout: float | None = None, gate: SendGate | None = None) -> CommandReply:
        """Send and wait for the acknowledgement; raises CommandTimeout."""
        keys = self.keys
        reply = self.bus.request(
            self.topics.command(room, kind, ident), command, args,
            timeout=timeout or self.ack_timeout_s, site=site, gate=gate,
            sign=(lambda r: keys.sign(kind, ident, r)) if keys else None,
            verify=(lambda r: keys.valid_reply(kind, ident, r)) if keys else None)
        if reply.state:
            model = STATE_MODELS.get(kind)
            if model is not None:
                try:
                    state = model.model_validate(reply.state)
                    with self._lock:
                        self._states[(kind, ident)] = (state, time.monotonic())
                except ValidationError:
                    log.warning("ack from %s/%s carried an invalid state", kind, ident)
        return reply

    def measure(self, room: str, kind: str, ident: str, *, site: str | None = None
                ) -> Reading:
        """A fresh reading if the instrument answers, else the cached one."""
        if self.reading(kind, ident).status != "offline":
            try:
                self.command(room, kind, ident, "measure", site=site)
            except CommandTimeout:
                log.info("%s %s did not answer a measure request", kind, ident)
        return self.reading(kind, ident)


__all__ = ["CommandTimeout", "Instruments", "Reading"]
