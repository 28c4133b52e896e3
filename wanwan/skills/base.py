"""What a skill gets (:class:`SkillContext`) and gives back (:class:`SkillResult`), the registry,
and the number formatting of spoken replies."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from wanwan.bus.client import CommandNotSent, CommandTimeout, CommandWithdrawn, SendGate
from wanwan.config import Site, SiteConfig
from wanwan.instruments.gateway import Instruments, Reading
from wanwan.ledger import Ledger
from wanwan.messages import Messages, messages

log = logging.getLogger(__name__)

NOT_SENT = "not sent: no connection to the broker"
WITHDRAWN = "not sent: a stop was heard"


@dataclass
class CommandRecord:
    instrument: str
    command: str
    args: dict[str, Any]
    ok: bool | None  # None: no acknowledgement
    error: str | None = None
    latency_ms: float = 0.0

    @property
    def sent(self) -> bool:
        return self.error not in (NOT_SENT, WITHDRAWN)

    def to_json(self) -> dict[str, Any]:
        return {"instrument": self.instrument, "command": self.command, "args": self.args,
                "acknowledged": self.ok is not None, "ok": bool(self.ok), "error": self.error,
                "latency_ms": round(self.latency_ms, 1)}


@dataclass(frozen=True)
class LevelAlert:
    """Say something when an instrument's level crosses a value (``set_level_alert``)."""

    kind: str  # "dewar" or "vessel"
    ident: str
    level: float
    direction: Literal["below", "above"]
    label: str  # how the reply names it: "dewar 3", "NMR 600"

    def crossed(self, level_pct: float) -> bool:
        return level_pct <= self.level if self.direction == "below" else level_pct >= self.level


@dataclass
class SkillResult:
    text: str
    commands: list[CommandRecord] = field(default_factory=list)
    ok: bool = True
    facts: dict[str, Any] = field(default_factory=dict)  # what the dialogue may need to know


@dataclass
class SkillContext:
    config: SiteConfig
    site: Site
    instruments: Instruments
    ledger: Ledger
    heard: str
    memory: dict[str, Any]  # per-site conversation memory (last dewar, transfer target)
    add_alert: Callable[[LevelAlert], None]
    commands: list[CommandRecord] = field(default_factory=list)
    gate: SendGate | None = None  # withdraws this turn's commands once a stop is heard
    say: Messages = field(default_factory=messages)  # the lines, in the site's language

    def send(self, room: str, kind: str, ident: str, command: str,
             args: dict[str, Any] | None = None, *, timeout: float | None = None
             ) -> CommandRecord:
        """Send a command and record what came back (ack, refusal, silence, or not sent)."""
        args = args or {}
        started = time.perf_counter()
        try:
            reply = self.instruments.command(room, kind, ident, command, args,
                                             site=self.site.id, timeout=timeout, gate=self.gate)
            record = CommandRecord(f"{kind}/{ident}", command, args, reply.ok, reply.error,
                                   (time.perf_counter() - started) * 1000)
        except CommandWithdrawn:
            record = CommandRecord(f"{kind}/{ident}", command, args, None, WITHDRAWN, 0.0)
        except CommandNotSent:
            record = CommandRecord(f"{kind}/{ident}", command, args, None, NOT_SENT,
                                   (time.perf_counter() - started) * 1000)
        except CommandTimeout:
            record = CommandRecord(f"{kind}/{ident}", command, args, None, "no acknowledgement",
                                   (time.perf_counter() - started) * 1000)
        self.commands.append(record)
        return record

    def measure(self, room: str, kind: str, ident: str) -> Reading:
        return self.instruments.measure(room, kind, ident, site=self.site.id)

    def not_answering(self, kind: str, label: str, reading: Reading) -> str:
        what = self.say.line_or(f"kinds.{kind}", kind)
        key = "instruments.offline" if reading.status == "offline" else \
            "instruments.not_answering"
        return self.say(key, what=what, label=label)

    def stale_note(self, reading: Reading) -> str:
        """"That reading is 5 minutes old." for a stale reading, else nothing."""
        if reading.status == "stale" and reading.age_s is not None:
            return self.say("instruments.stale", age=self.say.minutes(reading.age_s))
        return ""

    def dewar_name(self, ident: str) -> str:
        return self.say("names.dewar", dewar=ident)

    def vessel_name(self, ident: str) -> str:
        vessel = self.config.vessel(ident)
        if vessel is None:
            return self.dewar_name(ident) if self.config.dewar(ident) else ident
        return self.say.name(vessel.name or vessel.id, vessel.aliases)

    def room_name(self, ident: str) -> str:
        return room_name(self.config, self.say, ident)

    def lab_name(self, ident: str | None) -> str:
        if not ident:
            return ""
        lab = self.config.lab(ident)
        if lab is None or not lab.name:
            return self.say("names.lab", lab=ident)
        return self.say.name(lab.name, lab.aliases)


def room_name(config: SiteConfig, say: Messages, ident: str) -> str:
    """How the site's language names a room: its name (or alias), else its id said aloud."""
    room = config.room(ident)
    return say.name(room.name if room and room.name else ident.replace("_", " "),
                    room.aliases if room else ())


@dataclass(frozen=True)
class Question:
    """What a skill asks back before it can run. ``slot``: the slot whose answer, in the
    next turn, completes the request ("Which dewar?" -> "twelve"); None when no answer
    would ("There is no transfer controller connected here.")."""

    text: str
    slot: str | None = None


Run = Callable[[SkillContext, dict[str, Any]], SkillResult]
Check = Callable[[SkillContext, dict[str, Any]], Question | None]


@dataclass
class Skill:
    intent: str
    run: Run
    readback: Callable[[SkillContext, dict[str, Any]], str] | None = None
    check: Check | None = None  # a question back when a slot is missing or wrong


REGISTRY: dict[str, Skill] = {}


def skill(intent: str, *, readback=None, check=None):
    def register(fn: Run) -> Run:
        REGISTRY[intent] = Skill(intent, fn, readback, check)
        return fn
    return register
