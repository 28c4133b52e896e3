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

log = logging.getLogger(__name__)

KIND_NAMES = {"transfer": "transfer controller", "compressor": "recovery compressor",
              "gas_bag": "gas bag", "storage": "gas storage", "oxygen": "oxygen monitor",
              "dewar": "level meter", "vessel": "level meter"}


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


# --- spoken numbers -------------------------------------------------------------------------

def _rounded(x: float) -> str:
    """One decimal below ten ("2.5"), whole numbers above ("62"): what a person would say."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if abs(x) < 10 else f"{round(x):d}"


def litres(x: float, exact: bool = False) -> str:
    """Rounded for readings ("about 62 litres"); ``exact`` for what was written down."""
    value = number(x) if exact else _rounded(x)
    return f"{value} {'litre' if value == '1' else 'litres'}"


def cubic_metres(x: float, exact: bool = False) -> str:
    value = number(x) if exact else _rounded(x)
    return f"{value} {'cubic metre' if value == '1' else 'cubic metres'}"


def percent(x: float) -> str:
    return f"{round(x):d} percent"


def number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def minutes(seconds: float) -> str:
    m = round(seconds / 60)
    if m < 1:
        return f"{round(seconds):d} seconds"
    if m < 120:
        return f"{m} {'minute' if m == 1 else 'minutes'}"
    return f"{m / 60:.1f} hours"


def not_answering(kind: str, label: str, reading: Reading) -> str:
    what = KIND_NAMES.get(kind, kind)
    if reading.status == "offline":
        return f"The {what} of {label} is offline."
    return f"The {what} of {label} is not answering."


def stale_note(reading: Reading) -> str:
    if reading.status == "stale" and reading.age_s is not None:
        return f" That reading is {minutes(reading.age_s)} old."
    return ""
