"""What the dashboard shows, as plain JSON sections, and which section changed when.

The view reads the assistant's own parts (the instruments' latest validated states, the
dialogue's active alarms, the ledger in SQLite, the turns as they happen); it never writes to
any of them and sends nothing to an instrument: a dashboard can look, not act. Sections are
recomputed on demand; listeners hear only the name of a section that changed, from whatever
thread changed it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wanwan.assistant import Assistant
from wanwan.bus.messages import (
    CompressorState,
    DewarState,
    GasBagState,
    InstrumentState,
    OxygenState,
    StorageState,
    TransferState,
    VesselState,
)
from wanwan.dialogue import Reply, Turn
from wanwan.instruments.gateway import Reading
from wanwan.ledger import PERIODS, LedgerEntry, period_bounds
from wanwan.listeners import Listeners
from wanwan.names import ReplyKind

SECTIONS = ("instruments", "alarms", "conversation", "ledger", "plots")


@dataclass(frozen=True)
class LedgerFilter:
    """Which ledger entries a viewer asked for; empty fields mean all."""

    lab: str | None = None
    dewar: str | None = None
    direction: str | None = None
    period: str | None = None

    def __post_init__(self) -> None:
        if self.period and self.period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}, not "
                             f"{self.period!r}")
        if self.direction and self.direction not in ("dispensed", "recovered"):
            raise ValueError(f"direction must be dispensed or recovered, not "
                             f"{self.direction!r}")

    def bounds(self) -> tuple[float | None, float | None]:
        if not self.period:
            return None, None
        start, end, _ = period_bounds(self.period)
        return start, end


def _age(reading: Reading) -> float | None:
    if reading.state is None:
        return None
    return max(0.0, time.time() - reading.state.ts)


def _month(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m")


def _month_start(month: str) -> float:
    return dt.datetime.strptime(month + "-01", "%Y-%m-%d").astimezone().timestamp()


class DashboardView:
    """The dashboard's sections, read from one running assistant."""

    CONVERSATION_KEPT = 200
    STOCK_KEPT = 7 * 24 * 60  # a week of samples at one a minute

    def __init__(self, assistant: Assistant, *, stock_every_s: float = 60.0) -> None:
        self.assistant = assistant
        self.config = assistant.config
        self._lock = threading.Lock()
        self._conversation: deque[dict[str, Any]] = deque(maxlen=self.CONVERSATION_KEPT)
        self._stock: deque[tuple[float, float]] = deque(maxlen=self.STOCK_KEPT)
        self._stock_every_s = stock_every_s
        self._listeners: Listeners[[str]] = Listeners("dashboard listener")
        self._alarm_ids: frozenset[str] = frozenset()
        self._closed = threading.Event()
        self._removers = [
            assistant.on_turn(self._on_turn),
            assistant.on_reply(self._on_reply),
            assistant.ledger.on_entry(self._on_ledger),
            assistant.instruments.on_state(self._on_state),
            assistant.instruments.on_alarm(lambda alarm: self._changed("alarms")),
        ]
        self._sampler = threading.Thread(target=self._sample_stock, name="wanwan-dash-stock",
                                         daemon=True)
        self._sampler.start()

    def close(self) -> None:
        self._closed.set()
        for remove in self._removers:
            remove()
        self._listeners.clear()

    # -- change feed -------------------------------------------------------------------------
    def listen(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(section)`` whenever a section may have changed (any thread)."""
        return self._listeners.add(listener)

    def _changed(self, section: str) -> None:
        self._listeners.call(section)  # a viewer gone away must not disturb the assistant

    def _on_state(self, state: InstrumentState) -> None:
        self._changed("instruments")
        # alarms are announced by the dialogue after the state that raised them; their
        # acknowledgement changes nothing on the bus, so the list is compared on every state
        ids = frozenset(self.assistant.dialogue.alarms)
        if ids != self._alarm_ids:
            self._alarm_ids = ids
            self._changed("alarms")

    def _on_turn(self, turn: Turn, source: str | None) -> None:
        entry = {"ts": time.time(), "site": turn.site, "source": source, "heard": turn.heard,
                 "intent": turn.intent, "slots": turn.slots,
                 "confidence": round(turn.parse.confidence, 3), "decision": str(turn.decision),
                 "reply": turn.reply, "kind": "turn"}
        with self._lock:
            self._conversation.append(entry)
        self._changed("conversation")
        self._changed("alarms")  # "acknowledge" is a turn

    def _on_reply(self, reply: Reply) -> None:
        if reply.kind not in (ReplyKind.ALARM, ReplyKind.NOTICE):
            return  # answers and read-backs: the turn carries them
        with self._lock:
            self._conversation.append({"ts": time.time(), "site": reply.site,
                                       "reply": reply.text, "kind": str(reply.kind)})
        self._changed("conversation")
        if reply.kind == ReplyKind.ALARM:
            self._changed("alarms")

    def _on_ledger(self, entry: LedgerEntry) -> None:
        self._changed("ledger")

    def _sample_stock(self) -> None:
        while not self._closed.is_set():
            dewars = self.dewars()
            if any(d["content_l"] is not None for d in dewars):
                total = sum(d["content_l"] or 0.0 for d in dewars)
                with self._lock:
                    self._stock.append((time.time(), round(total, 2)))
                self._changed("plots")
            self._closed.wait(self._stock_every_s)

    # -- sections ----------------------------------------------------------------------------
    def snapshot(self, ledger: LedgerFilter | None = None) -> dict[str, Any]:
        return {"site": self.config.name, "ts": time.time(),
                **{name: self.section(name, ledger) for name in SECTIONS}}

    def section(self, name: str, ledger: LedgerFilter | None = None) -> Any:
        if name == "instruments":
            return {"dewars": self.dewars(), "vessels": self.vessels(),
                    "transfers": self.transfers(), "gas": self.gas(),
                    "oxygen": self.oxygen()}
        if name == "alarms":
            return self.alarms()
        if name == "conversation":
            return self.conversation()
        if name == "ledger":
            return self.ledger(ledger or LedgerFilter())
        if name == "plots":
            return self.plots()
        raise KeyError(name)

    def _reading(self, kind: str, ident: str) -> Reading:
        return self.assistant.instruments.reading(kind, ident)

    def dewars(self) -> list[dict[str, Any]]:
        out = []
        for dewar in self.config.dewars:
            reading = self._reading("dewar", dewar.id)
            state = reading.state if isinstance(reading.state, DewarState) else None
            level = state.level_pct if state else None
            capacity = state.capacity_l if state else dewar.capacity_l
            content = state.litres if state else None
            rate = (state.boiloff_pct_per_day if state and state.boiloff_pct_per_day
                    else dewar.boiloff_pct_per_day)
            plausible = state.plausible if state else None
            out.append({
                "id": dewar.id, "room": dewar.room, "capacity_l": capacity,
                "level_pct": level, "content_l": content,
                "pressure_kpa": state.pressure_kpa if state else None,
                "boiloff_pct_per_day": rate,
                "days_left": (level / rate if level is not None and rate > 0 and plausible
                              else None),
                "plausible": plausible, "status": reading.status, "age_s": _age(reading)})
        return out

    def vessels(self) -> list[dict[str, Any]]:
        out = []
        for vessel in self.config.vessels:
            reading = self._reading("vessel", vessel.id)
            state = reading.state if isinstance(reading.state, VesselState) else None
            out.append({
                "id": vessel.id, "name": vessel.name or vessel.id, "room": vessel.room,
                "kind": vessel.kind,
                "capacity_l": state.capacity_l if state else vessel.capacity_l,
                "level_pct": state.level_pct if state else None,
                "content_l": state.litres if state else None,
                "status": reading.status, "age_s": _age(reading)})
        return out

    def transfers(self) -> list[dict[str, Any]]:
        wake = self.config.speech.wake_phrase
        out = []
        for controller in self.config.transfer_controllers:
            reading = self._reading("transfer", controller.id)
            state = reading.state if isinstance(reading.state, TransferState) else None
            out.append({
                "id": controller.id, "room": controller.room,
                "state": state.state if state else None,
                "source": state.source if state else None,
                "target": state.target if state else None,
                "moved_l": state.moved_l if state else None,
                "rate_l_h": state.rate_l_h if state else None,
                "elapsed_s": state.elapsed_s if state else None,
                "site": state.site if state else None,
                "stop_reason": state.stop_reason if state else None,
                "stop_phrase": f"{wake}, stop" if wake else "stop",
                "status": reading.status, "age_s": _age(reading)})
        return out

    def gas(self) -> dict[str, Any]:
        c = self.config
        out: dict[str, Any] = {}
        if c.gas_bag:
            reading = self._reading("gas_bag", c.gas_bag.id)
            state = reading.state if isinstance(reading.state, GasBagState) else None
            out["gas_bag"] = {"id": c.gas_bag.id, "fill_pct": state.fill_pct if state else None,
                              "volume_m3": c.gas_bag.volume_m3, "status": reading.status,
                              "age_s": _age(reading)}
        if c.compressor:
            reading = self._reading("compressor", c.compressor.id)
            state = reading.state if isinstance(reading.state, CompressorState) else None
            out["compressor"] = {"id": c.compressor.id,
                                 "state": state.state if state else None,
                                 "mode": state.mode if state else None,
                                 "flow_m3_h": state.flow_m3_h if state else None,
                                 "status": reading.status, "age_s": _age(reading)}
        if c.storage:
            reading = self._reading("storage", c.storage.id)
            state = reading.state if isinstance(reading.state, StorageState) else None
            out["storage"] = {"id": c.storage.id,
                              "pressure_mpa": state.pressure_mpa if state else None,
                              "max_pressure_mpa": c.storage.max_pressure_mpa,
                              "gas_m3": state.gas_m3 if state else None,
                              "status": reading.status, "age_s": _age(reading)}
        return out

    def oxygen(self) -> list[dict[str, Any]]:
        out = []
        for monitor in self.config.oxygen_monitors:
            reading = self._reading("oxygen", monitor.id)
            state = reading.state if isinstance(reading.state, OxygenState) else None
            out.append({"id": monitor.id, "room": monitor.room,
                        "o2_pct": state.o2_pct if state else None,
                        "level": state.level if state else None,
                        "sensor_ok": state.sensor_ok if state else None,
                        "status": reading.status, "age_s": _age(reading)})
        return out

    def alarms(self) -> list[dict[str, Any]]:
        active = self.assistant.dialogue.active_alarms()
        return sorted(({
            "id": a.alarm.alarm_id, "kind": a.alarm.kind, "severity": a.alarm.severity,
            "room": a.alarm.room, "instrument": a.alarm.instrument, "value": a.alarm.value,
            "message": a.alarm.message, "since": a.alarm.ts, "sites": a.sites,
            "acknowledged": sorted(a.acknowledged)} for a in active),
            key=lambda a: (a["severity"] != "alarm", -a["since"]))

    def conversation(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(reversed(self._conversation))  # newest first

    def ledger(self, which: LedgerFilter, limit: int = 200) -> dict[str, Any]:
        entries = self.ledger_entries(which)
        live = [e for e in entries if not e.undone]
        litres = sum(e.amount for e in live if e.direction == "dispensed" and e.unit == "L")
        recovered = sum(e.amount if e.unit == "m3" else e.amount * self.config.litres_to_m3
                        for e in live if e.direction == "recovered")
        return {"filter": which.__dict__, "count": len(entries),
                "dispensed_l": round(litres, 2), "recovered_m3": round(recovered, 2),
                "entries": [{"id": e.id, "ts": e.ts, "site": e.site, "amount": e.amount,
                             "unit": e.unit, "phase": e.phase, "direction": e.direction,
                             "dewar": e.dewar, "lab": e.lab, "heard": e.heard,
                             "undone": e.undone} for e in reversed(entries[-limit:])],
                "labs": [{"id": lab.id, "name": lab.name or lab.id} for lab in self.config.labs],
                "dewars": [d.id for d in self.config.dewars], "periods": list(PERIODS)}

    def ledger_entries(self, which: LedgerFilter) -> list[LedgerEntry]:
        since, until = which.bounds()
        return self.assistant.ledger.entries(since, until, lab=which.lab, dewar=which.dewar,
                                             direction=which.direction)

    def plots(self, months: int = 12) -> dict[str, Any]:
        """Litres per lab per month, the recovery rate per month, and stock over time."""
        now = dt.datetime.now().astimezone()
        first = (now.replace(day=1) - dt.timedelta(days=31 * (months - 1))).replace(day=1)
        entries = self.assistant.ledger.entries(
            first.replace(hour=0, minute=0, second=0, microsecond=0).timestamp(),
            include_undone=False)
        names = {lab.id: lab.name or lab.id for lab in self.config.labs}
        to_m3 = self.config.litres_to_m3
        # at least the last six months, so that a new ledger draws a time axis, not a dot
        recent = {f"{(now.year * 12 + now.month - 1 - k) // 12:04d}-"
                  f"{(now.month - 1 - k) % 12 + 1:02d}" for k in range(6)}
        month_keys = sorted({_month(e.ts) for e in entries} | recent)
        per_lab: dict[str, dict[str, float]] = {}
        supplied: dict[str, float] = dict.fromkeys(month_keys, 0.0)
        recovered: dict[str, float] = dict.fromkeys(month_keys, 0.0)
        for e in entries:
            month = _month(e.ts)
            m3 = e.amount if e.unit == "m3" else e.amount * to_m3
            if e.direction == "dispensed":
                litres = e.amount if e.unit == "L" else e.amount / to_m3
                lab = names.get(e.lab or "", e.lab or "—")
                per_lab.setdefault(lab, dict.fromkeys(month_keys, 0.0))[month] += litres
                supplied[month] += m3
            else:
                recovered[month] += m3
        with self._lock:
            stock = list(self._stock)
        return {
            "months": [_month_start(m) for m in month_keys],
            "month_names": month_keys,
            "litres_per_lab": {lab: [round(v[m], 2) for m in month_keys]
                               for lab, v in sorted(per_lab.items())},
            "recovery_rate_pct": [round(100 * recovered[m] / supplied[m], 1) if supplied[m]
                                  else None for m in month_keys],
            "stock": {"ts": [t for t, _ in stock], "litres": [v for _, v in stock]},
        }
