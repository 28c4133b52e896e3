"""Payloads on the bus (JSON, validated with pydantic on receipt).

Request/response works on MQTT 3.1.1 as well as 5 and on small devices: the reply topic and the
correlation id travel in the JSON payload (``reply_to``, ``request_id``), not in MQTT 5
properties. Unknown extra fields are kept, so newer devices can add readings.
"""

from __future__ import annotations

import math
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wanwan.names import ReplyKind


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    def dump(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


# --- commands -------------------------------------------------------------------------------

class CommandRequest(Message):
    request_id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    reply_to: str
    command: str
    args: dict[str, Any] = {}
    deadline: float  # unix time after which the instrument must not act on it
    sent: float = Field(default_factory=time.time)
    site: str | None = None
    token: str | None = None  # the dialogue's authority (wanwan.security)


class CommandReply(Message):
    request_id: str
    ok: bool
    error: str | None = None
    instrument: str = ""
    state: dict[str, Any] | None = None
    token: str | None = None  # the instrument's signature of its answer


# --- instrument states (retained) -----------------------------------------------------------

class InstrumentState(Message):
    id: str
    kind: str
    room: str = ""
    ts: float = Field(default_factory=time.time)  # wall clock of the reading


class LevelState(InstrumentState):
    """What holds liquid helium and says how full it is (a dewar, a magnet)."""

    capacity_l: float = Field(gt=0)
    level_pct: float  # deliberately unbounded: a faulty meter's 140 % must reach the skill
    content_l: float | None = None

    @property
    def litres(self) -> float:
        """What it holds: as the instrument measures it, else from its level."""
        return self.content_l if self.content_l is not None else (
            self.capacity_l * self.level_pct / 100)


class DewarState(LevelState):
    kind: Literal["dewar"] = "dewar"
    level_cm: float | None = None
    pressure_kpa: float | None = None
    boiloff_pct_per_day: float | None = None

    _check = field_validator("level_pct", "pressure_kpa", "content_l")(_finite)

    @property
    def plausible(self) -> bool:
        return -2.0 <= self.level_pct <= 102.0


class VesselState(LevelState):
    kind: Literal["vessel"] = "vessel"
    name: str = ""


class TransferState(InstrumentState):
    kind: Literal["transfer"] = "transfer"
    state: Literal["idle", "pressurising", "transferring", "stopped"]
    source: str | None = None
    target: str | None = None
    target_level_pct: float | None = None
    rate_l_h: float = 0.0
    moved_l: float = 0.0
    loss_l: float = 0.0
    elapsed_s: float = 0.0
    stop_reason: str | None = None
    site: str | None = None


class GasBagState(InstrumentState):
    kind: Literal["gas_bag"] = "gas_bag"
    fill_pct: float
    volume_m3: float = Field(gt=0)


class CompressorState(InstrumentState):
    kind: Literal["compressor"] = "compressor"
    state: Literal["run", "stop", "fault"]
    mode: Literal["auto", "manual"] = "auto"
    flow_m3_h: float = 0.0
    run_hours: float = 0.0


class StorageState(InstrumentState):
    kind: Literal["storage"] = "storage"
    pressure_mpa: float
    max_pressure_mpa: float
    gas_m3: float


class OxygenState(InstrumentState):
    kind: Literal["oxygen"] = "oxygen"
    o2_pct: float
    level: Literal["normal", "warning", "alarm"]
    sensor_ok: bool = True


STATE_MODELS: dict[str, type[InstrumentState]] = {
    "dewar": DewarState, "vessel": VesselState, "transfer": TransferState,
    "gas_bag": GasBagState, "compressor": CompressorState, "storage": StorageState,
    "oxygen": OxygenState,
}


class InstrumentStatus(Message):
    status: Literal["online", "offline"]
    ts: float = Field(default_factory=time.time)


class InstrumentEvent(Message):
    id: str
    kind: str
    event: str
    detail: dict[str, Any] = {}
    ts: float = Field(default_factory=time.time)


class Alarm(Message):
    alarm_id: str
    kind: str  # oxygen_warning, oxygen_alarm, gas_bag_full, storage_pressure_high
    severity: Literal["warning", "alarm"]
    room: str
    instrument: str
    value: float | None = None
    message: str
    active: bool = True
    ts: float = Field(default_factory=time.time)


# --- dialogue and records -------------------------------------------------------------------

class SiteQuery(Message):
    """Text for a site to act on, from a satellite or a tool (the input side of a turn)."""

    text: str
    site: str | None = None  # must be the topic's site, if given
    confidence: float | None = None
    source: str | None = None  # the satellite or device that heard it


class IntentMessage(Message):
    site: str
    text: str
    intent: str | None
    slots: dict[str, Any] = {}
    confidence: float
    decision: str | None = None  # what the dialogue did (names.Decision)
    reply: str | None = None
    ts: float = Field(default_factory=time.time)


class ReplyMessage(Message):
    site: str
    text: str
    kind: ReplyKind = ReplyKind.REPLY
    intent: str | None = None
    ts: float = Field(default_factory=time.time)


class Presence(Message):
    """Retained on a client's presence topic; its last will says "offline"."""

    status: Literal["online", "offline"]


class Hush(Message):
    """Stop speaking at once, and drop what was to be said (a stop was heard at the site)."""

    site: str
    ts: float = Field(default_factory=time.time)


class LedgerEntryMessage(Message):
    key: str  # idempotency key: consumers keep the first of each
    ts: float
    site: str
    amount: float
    unit: str
    phase: str
    direction: str
    dewar: str | None = None
    lab: str | None = None
    heard: str = ""
    undone: bool = False
    hash: str | None = None  # the row's place in the ledger's chain: consumers can witness it


class AuditMessage(Message):
    key: str
    ts: float
    site: str
    kind: str
    detail: dict[str, Any] = {}
    hash: str | None = None  # the row's place in the audit chain


class SimFault(Message):
    fault: Literal["no_ack", "offline", "oxygen_drop", "bag_full", "level_reading", "clear"]
    target: str | None = None  # instrument id (no_ack, offline) or room (oxygen_drop)
    on: bool = True
    value: float | None = None
