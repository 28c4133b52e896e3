"""Simulated instruments that speak the same MQTT as real ones (``wanwan sim``).

Physics and numbers from shared/reference/domain-helium.md: dewars boil off about 1 % of
capacity a day; a transfer draws 110–165 L/h from the supply after pressurising, about 20 % of
it boils off into the gas bag; the recovery compressor starts near 75 % bag fill and stops near
30 %, filling the pressure storage; oxygen is 20.9 % nominal with a warning below 19.5 % and an
alarm below 18 %. ``speed`` accelerates simulated time for tests and demos.

Faults can be injected over MQTT (``{prefix}/sim/fault``) or from Python: an instrument that never
acknowledges, an instrument offline, an oxygen drop, a full gas bag.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field

from wanwan.bus.client import BrokerAddress, Bus, reply_to
from wanwan.bus.messages import (
    Alarm,
    CommandRequest,
    CompressorState,
    DewarState,
    GasBagState,
    InstrumentEvent,
    InstrumentState,
    InstrumentStatus,
    OxygenState,
    SimFault,
    StorageState,
    TransferState,
    VesselState,
)
from wanwan.bus.topics import Topics
from wanwan.config import SiteConfig
from wanwan.security import CommandKeys

log = logging.getLogger(__name__)

ATM_MPA = 0.101325
DEFAULT_ROOM = "lab"


# --- instrument models ----------------------------------------------------------------------

@dataclass
class DewarModel:
    id: str
    room: str
    capacity_l: float
    content_l: float
    boiloff_pct_per_day: float
    probe_cm: float
    pressure_kpa: float = 8.0
    reported_level_pct: float | None = None  # a faulty meter's reading, when injected

    def tick(self, dt_s: float, rng: random.Random) -> None:
        self.content_l = max(0.0, self.content_l - self.capacity_l * self.boiloff_pct_per_day
                             / 100 * dt_s / 86400)
        self.pressure_kpa = min(30.0, max(2.0, self.pressure_kpa + rng.gauss(0, 0.02)))

    @property
    def level_pct(self) -> float:
        return 100.0 * self.content_l / self.capacity_l

    def state(self) -> DewarState:
        level = self.reported_level_pct if self.reported_level_pct is not None else self.level_pct
        return DewarState(id=self.id, room=self.room, capacity_l=self.capacity_l,
                          level_pct=round(level, 1), level_cm=round(level * self.probe_cm / 100, 1),
                          content_l=round(self.content_l, 1),
                          pressure_kpa=round(self.pressure_kpa, 1),
                          boiloff_pct_per_day=self.boiloff_pct_per_day)


@dataclass
class VesselModel:
    id: str
    room: str
    name: str
    capacity_l: float
    content_l: float
    boiloff_pct_per_day: float = 1.0

    def tick(self, dt_s: float) -> None:
        self.content_l = max(0.0, self.content_l - self.capacity_l * self.boiloff_pct_per_day
                             / 100 * dt_s / 86400)

    @property
    def level_pct(self) -> float:
        return 100.0 * self.content_l / self.capacity_l

    def state(self) -> VesselState:
        return VesselState(id=self.id, room=self.room, name=self.name,
                           capacity_l=self.capacity_l, level_pct=round(self.level_pct, 1),
                           content_l=round(self.content_l, 1))


@dataclass
class TransferModel:
    id: str
    room: str
    rate_l_h: float
    loss_fraction: float
    pressurise_s: float
    min_supply_pct: float
    state: str = "idle"
    source: str | None = None
    target: str | None = None
    target_level_pct: float | None = None
    moved_l: float = 0.0
    loss_l: float = 0.0
    elapsed_s: float = 0.0
    stop_reason: str | None = None
    site: str | None = None

    def snapshot(self) -> TransferState:
        rate = self.rate_l_h if self.state == "transferring" else 0.0
        return TransferState(id=self.id, room=self.room, state=self.state,  # type: ignore[arg-type]
                             source=self.source, target=self.target,
                             target_level_pct=self.target_level_pct, rate_l_h=rate,
                             moved_l=round(self.moved_l, 2), loss_l=round(self.loss_l, 2),
                             elapsed_s=round(self.elapsed_s, 1), stop_reason=self.stop_reason,
                             site=self.site)


@dataclass
class GasSystem:
    bag_id: str
    bag_room: str
    bag_volume_m3: float
    bag_gas_m3: float
    bag_full_pct: float
    compressor_id: str
    compressor_room: str
    flow_m3_h: float
    start_pct: float
    stop_pct: float
    storage_id: str
    storage_room: str
    storage_volume_m3: float
    storage_gas_m3: float
    storage_max_mpa: float
    storage_high_mpa: float
    compressor_state: str = "stop"
    compressor_mode: str = "auto"
    run_hours: float = 0.0

    @property
    def bag_pct(self) -> float:
        return 100.0 * self.bag_gas_m3 / self.bag_volume_m3

    @property
    def storage_mpa(self) -> float:
        return self.storage_gas_m3 * ATM_MPA / self.storage_volume_m3

    def add_gas(self, m3: float) -> None:
        self.bag_gas_m3 = min(self.bag_volume_m3 * 1.02, self.bag_gas_m3 + m3)

    def tick(self, dt_s: float) -> list[str]:
        events = []
        if self.compressor_mode == "auto":
            if self.compressor_state == "stop" and self.bag_pct >= self.start_pct:
                self.compressor_state = "run"
                events.append("compressor_started")
            elif self.compressor_state == "run" and self.bag_pct <= self.stop_pct:
                self.compressor_state = "stop"
                events.append("compressor_stopped")
        if self.compressor_state == "run":
            moved = min(self.bag_gas_m3, self.flow_m3_h * dt_s / 3600)
            if self.storage_mpa >= self.storage_max_mpa:
                moved = 0.0
                self.compressor_state = "stop"
                events.append("compressor_stopped_storage_full")
            self.bag_gas_m3 -= moved
            self.storage_gas_m3 += moved
            self.run_hours += dt_s / 3600
            if self.bag_gas_m3 <= 0.0 and self.compressor_mode == "manual":
                self.compressor_state = "stop"
                events.append("compressor_stopped_bag_empty")
        return events

    def states(self) -> list[InstrumentState]:
        return [
            GasBagState(id=self.bag_id, room=self.bag_room, fill_pct=round(self.bag_pct, 1),
                        volume_m3=self.bag_volume_m3),
            CompressorState(id=self.compressor_id, room=self.compressor_room,
                            state=self.compressor_state,  # type: ignore[arg-type]
                            mode=self.compressor_mode,  # type: ignore[arg-type]
                            flow_m3_h=self.flow_m3_h if self.compressor_state == "run" else 0.0,
                            run_hours=round(self.run_hours, 2)),
            StorageState(id=self.storage_id, room=self.storage_room,
                         pressure_mpa=round(self.storage_mpa, 2),
                         max_pressure_mpa=self.storage_max_mpa,
                         gas_m3=round(self.storage_gas_m3, 2)),
        ]


@dataclass
class OxygenModel:
    id: str
    room: str
    warn_pct: float
    alarm_pct: float
    o2_pct: float = 20.9
    forced_pct: float | None = None

    def tick(self, dt_s: float, rng: random.Random) -> None:
        if self.forced_pct is not None:
            self.o2_pct = self.forced_pct
            return
        # ventilation pulls the room back to 20.9 % with a time constant of ten minutes
        self.o2_pct += (20.9 - self.o2_pct) * min(1.0, dt_s / 600) + rng.gauss(0, 0.005)

    @property
    def level(self) -> str:
        if self.o2_pct < self.alarm_pct:
            return "alarm"
        if self.o2_pct < self.warn_pct:
            return "warning"
        return "normal"

    def state(self) -> OxygenState:
        return OxygenState(id=self.id, room=self.room, o2_pct=round(self.o2_pct, 2),
                           level=self.level)  # type: ignore[arg-type]


# --- the lab --------------------------------------------------------------------------------

@dataclass
class Faults:
    no_ack: set[str] = field(default_factory=set)
    offline: set[str] = field(default_factory=set)


class LabSimulator:
    """Every configured instrument, one MQTT client, one physics thread."""

    def __init__(self, config: SiteConfig, address: BrokerAddress, *, speed: float = 1.0,
                 tick_s: float = 0.1, publish_every_s: float = 1.0, ack_delay_s: float = 0.0,
                 seed: int = 1, keys: CommandKeys | None = None) -> None:
        """``keys``: the site's command keys; a command without its instrument's valid token
        is refused and reported, as a real instrument bridge must (docs/mqtt.md). None: the
        simulator believes any command (a bench for the bus alone)."""
        self.config = config
        self.keys = keys
        self.ahead_s = config.security.command_ahead_s
        self._seen: dict[str, float] = {}  # request ids acted on, until their deadline
        self.topics = Topics(config.topic_prefix)
        self.speed = speed
        self.tick_s = tick_s
        self.publish_every_s = publish_every_s
        self.ack_delay_s = ack_delay_s
        self.rng = random.Random(seed)
        self.faults = Faults()
        self.lock = threading.RLock()
        self.bus = Bus(address, client_id=f"wanwan-sim-{self.rng.randrange(1 << 30):x}",
                       topics=self.topics)
        self.dewars = {d.id: DewarModel(d.id, d.room or DEFAULT_ROOM, d.capacity_l,
                                        d.capacity_l * d.initial_level_pct / 100,
                                        d.boiloff_pct_per_day, d.probe_cm)
                       for d in config.dewars}
        self.vessels = {v.id: VesselModel(v.id, v.room or DEFAULT_ROOM, v.name or v.id,
                                          v.capacity_l, v.capacity_l * v.initial_level_pct / 100)
                        for v in config.vessels}
        self.transfers = {t.id: TransferModel(t.id, t.room, t.rate_l_h, t.loss_fraction,
                                              t.pressurise_s, t.min_supply_pct)
                          for t in config.transfer_controllers}
        self.gas: GasSystem | None = None
        if config.gas_bag and config.compressor and config.storage:
            bag, comp, store = config.gas_bag, config.compressor, config.storage
            self.gas = GasSystem(
                bag.id, bag.room or DEFAULT_ROOM, bag.volume_m3,
                bag.volume_m3 * bag.initial_fill_pct / 100, bag.full_alarm_pct,
                comp.id, comp.room or DEFAULT_ROOM, comp.flow_m3_h, comp.start_pct,
                comp.stop_pct, store.id, store.room or DEFAULT_ROOM, store.volume_m3,
                store.initial_pressure_mpa / ATM_MPA * store.volume_m3, store.max_pressure_mpa,
                store.high_alarm_mpa)
        self.oxygen = {m.id: OxygenModel(m.id, m.room, m.warn_pct, m.alarm_pct)
                       for m in config.oxygen_monitors}
        self.active_alarms: dict[str, Alarm] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.commands_handled = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LabSimulator:
        self.bus.subscribe(self.topics.all_commands, CommandRequest, self._on_command, qos=1)
        self.bus.subscribe(self.topics.sim_fault, SimFault, self._on_fault, qos=1)
        self.bus.on_connected(self._publish_all)
        self.bus.start()
        self._thread = threading.Thread(target=self._run, name="lab-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        self.bus.stop()

    def __enter__(self) -> LabSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- instruments -------------------------------------------------------------------------
    def _instruments(self) -> list[tuple[str, str, str]]:
        """(room, kind, id) of every simulated instrument."""
        out = [(d.room, "dewar", d.id) for d in self.dewars.values()]
        out += [(v.room, "vessel", v.id) for v in self.vessels.values()]
        out += [(t.room, "transfer", t.id) for t in self.transfers.values()]
        if self.gas:
            out += [(self.gas.bag_room, "gas_bag", self.gas.bag_id),
                    (self.gas.compressor_room, "compressor", self.gas.compressor_id),
                    (self.gas.storage_room, "storage", self.gas.storage_id)]
        out += [(o.room, "oxygen", o.id) for o in self.oxygen.values()]
        return out

    def states(self) -> list[InstrumentState]:
        with self.lock:
            out: list[InstrumentState] = [d.state() for d in self.dewars.values()]
            out += [v.state() for v in self.vessels.values()]
            out += [t.snapshot() for t in self.transfers.values()]
            if self.gas:
                out += self.gas.states()
            out += [o.state() for o in self.oxygen.values()]
        return out

    def _publish_all(self) -> None:
        for room, kind, ident in self._instruments():
            status = "offline" if ident in self.faults.offline else "online"
            self.bus.publish(self.topics.status(room, kind, ident),
                             InstrumentStatus(status=status), retain=True)  # type: ignore[arg-type]
        self._publish_states()

    def _publish_states(self) -> None:
        for state in self.states():
            if state.id in self.faults.offline:
                continue
            self.bus.publish(self.topics.state(state.room, state.kind, state.id), state,
                             qos=0, retain=True)

    def _event(self, room: str, kind: str, ident: str, event: str, **detail: object) -> None:
        log.info("sim %s %s: %s %s", kind, ident, event, detail or "")
        self.bus.publish(self.topics.event(room, kind, ident),
                         InstrumentEvent(id=ident, kind=kind, event=event, detail=detail))

    # -- physics -----------------------------------------------------------------------------
    def _run(self) -> None:
        last = time.monotonic()
        last_publish = 0.0
        while not self._stop.wait(self.tick_s):
            now = time.monotonic()
            dt_s = (now - last) * self.speed
            last = now
            with self.lock:
                self.step(dt_s)
            if now - last_publish >= self.publish_every_s:
                last_publish = now
                self._publish_states()

    def step(self, dt_s: float) -> None:
        """Advance the lab by ``dt_s`` simulated seconds."""
        for dewar in self.dewars.values():
            dewar.tick(dt_s, self.rng)
        for vessel in self.vessels.values():
            vessel.tick(dt_s)
        for transfer in self.transfers.values():
            self._tick_transfer(transfer, dt_s)
        if self.gas:
            for event in self.gas.tick(dt_s):
                self._event(self.gas.compressor_room, "compressor", self.gas.compressor_id,
                            event)
        for monitor in self.oxygen.values():
            monitor.tick(dt_s, self.rng)
        self._check_alarms()

    def _tick_transfer(self, t: TransferModel, dt_s: float) -> None:
        if t.state not in ("pressurising", "transferring"):
            return
        t.elapsed_s += dt_s
        if t.state == "pressurising":
            if t.elapsed_s >= t.pressurise_s:
                t.state = "transferring"
                self._event(t.room, "transfer", t.id, "transferring")
            return
        source = self.dewars.get(t.source or "")
        target = self.vessels.get(t.target or "") or self.dewars.get(t.target or "")
        if source is None:
            self._stop_transfer(t, "supply missing")
            return
        drawn = min(source.content_l, t.rate_l_h * dt_s / 3600)
        source.content_l -= drawn
        landed = drawn * (1 - t.loss_fraction)
        lost = drawn - landed
        t.moved_l += landed
        t.loss_l += lost
        if target is not None:
            target.content_l = min(target.capacity_l, target.content_l + landed)
        if self.gas:
            self.gas.add_gas(lost * self.config.litres_to_m3)
        if target is not None and t.target_level_pct is not None and (
                target.level_pct >= t.target_level_pct):
            self._stop_transfer(t, "target reached")
        elif target is not None and target.level_pct >= 99.5:
            self._stop_transfer(t, "target full")
        elif source.level_pct <= t.min_supply_pct:
            self._stop_transfer(t, "supply low")

    def _stop_transfer(self, t: TransferModel, reason: str) -> None:
        t.state = "stopped"
        t.stop_reason = reason
        self._event(t.room, "transfer", t.id, "stopped", reason=reason,
                    moved_l=round(t.moved_l, 1), loss_l=round(t.loss_l, 1), site=t.site)

    def _check_alarms(self) -> None:
        wanted: dict[str, Alarm] = {}
        for m in self.oxygen.values():
            if m.level != "normal":
                severity = "alarm" if m.level == "alarm" else "warning"
                limit = m.alarm_pct if severity == "alarm" else m.warn_pct
                wanted[f"oxygen:{m.id}"] = Alarm(
                    alarm_id=f"oxygen:{m.id}", kind=f"oxygen_{severity}", severity=severity,
                    room=m.room, instrument=m.id, value=round(m.o2_pct, 1),
                    message=f"Oxygen {severity}: {m.o2_pct:.1f} percent, below {limit:g} "
                            "percent. Leave the room and ventilate.")
        if self.gas and self.gas.bag_pct >= self.gas.bag_full_pct:
            wanted[f"gas_bag_full:{self.gas.bag_id}"] = Alarm(
                alarm_id=f"gas_bag_full:{self.gas.bag_id}", kind="gas_bag_full",
                severity="warning", room=self.gas.bag_room, instrument=self.gas.bag_id,
                value=round(self.gas.bag_pct, 1),
                message=f"Gas bag full: {self.gas.bag_pct:.0f} percent. "
                        "Stop transfers or start the compressor.")
        if self.gas and self.gas.storage_mpa >= self.gas.storage_high_mpa:
            wanted[f"storage_high:{self.gas.storage_id}"] = Alarm(
                alarm_id=f"storage_high:{self.gas.storage_id}", kind="storage_pressure_high",
                severity="warning", room=self.gas.storage_room, instrument=self.gas.storage_id,
                value=round(self.gas.storage_mpa, 2),
                message=f"Storage pressure high: {self.gas.storage_mpa:.1f} megapascals.")
        for alarm_id, alarm in wanted.items():
            previous = self.active_alarms.get(alarm_id)
            if previous is None or previous.severity != alarm.severity:
                self.active_alarms[alarm_id] = alarm
                self._publish_alarm(alarm)
        for alarm_id in list(self.active_alarms):
            if alarm_id not in wanted:
                cleared = self.active_alarms.pop(alarm_id).model_copy(
                    update={"active": False, "ts": time.time()})
                self._publish_alarm(cleared)

    def _publish_alarm(self, alarm: Alarm) -> None:
        """The reading that raised or cleared it first, then the alarm (the contract of
        docs/mqtt.md: a clear is checked against the instrument's latest reading)."""
        kind = alarm.alarm_id.split(":")[0]
        kind = {"oxygen": "oxygen", "gas_bag_full": "gas_bag", "storage_high": "storage"}[kind]
        log.info("sim alarm %s active=%s: %s", alarm.alarm_id, alarm.active, alarm.message)
        for state in self.states():
            if state.id == alarm.instrument and state.kind == kind:
                self.bus.publish(self.topics.state(state.room, kind, state.id), state, qos=1,
                                 retain=True)
        self.bus.publish(self.topics.alarm(alarm.room, kind, alarm.instrument), alarm, qos=1,
                         retain=True)

    # -- commands ----------------------------------------------------------------------------
    def _on_command(self, topic: str, request: CommandRequest) -> None:
        parsed = self.topics.parse_instrument(topic)
        if parsed is None:
            return
        room, kind, ident, _ = parsed
        if ident in self.faults.offline or ident in self.faults.no_ack:
            log.info("sim %s %s: ignoring %r (fault injected)", kind, ident, request.command)
            return
        sign = (lambda r: self.keys.sign_reply(kind, ident, r)) if self.keys else None
        refused = self._refusal(kind, ident, request)
        if refused:
            log.warning("sim %s %s: refused %r: %s", kind, ident, request.command, refused)
            self._event(room, kind, ident, "command_refused", command=request.command,
                        reason=refused, request_id=request.request_id, site=request.site)
            reply_to(self.bus, request, False, error=f"refused: {refused}", instrument=ident,
                     sign=sign)
            return
        if self.ack_delay_s:
            time.sleep(self.ack_delay_s)
        with self.lock:
            ok, error, state = self._execute(room, kind, ident, request)
        self.commands_handled += 1
        reply_to(self.bus, request, ok, error=error, instrument=ident,
                 state=state.model_dump() if state else None, sign=sign)
        if state is not None:
            self.bus.publish(self.topics.state(state.room, state.kind, state.id), state, qos=0,
                             retain=True)

    def _refusal(self, kind: str, ident: str, request: CommandRequest) -> str | None:
        """Why a command must not be acted on, or None."""
        now = time.time()
        if now > request.deadline:
            return "its deadline has passed"
        if self.keys is None:
            return None
        if not self.keys.valid(kind, ident, request):
            return "it does not carry a valid token from the dialogue"
        if request.deadline > now + self.ahead_s:
            return f"its deadline is more than {self.ahead_s:g} s ahead"
        with self.lock:
            self._seen = {r: d for r, d in self._seen.items() if d >= now}
            if request.request_id in self._seen:
                return "it was sent before (a replayed request)"
            self._seen[request.request_id] = request.deadline
        return None

    def _execute(self, room: str, kind: str, ident: str, req: CommandRequest
                 ) -> tuple[bool, str | None, InstrumentState | None]:
        cmd, args = req.command, req.args
        if kind == "dewar" and ident in self.dewars:
            if cmd in ("measure", "status"):
                return True, None, self.dewars[ident].state()
        elif kind == "vessel" and ident in self.vessels:
            if cmd in ("measure", "status"):
                return True, None, self.vessels[ident].state()
        elif kind == "transfer" and ident in self.transfers:
            return self._transfer_command(self.transfers[ident], req)
        elif kind == "compressor" and self.gas and ident == self.gas.compressor_id:
            if cmd in ("start", "stop"):
                self.gas.compressor_mode = "manual"
                self.gas.compressor_state = "run" if cmd == "start" else "stop"
                self._event(room, kind, ident, f"compressor_{cmd}ed_manually")
                return True, None, self.gas.states()[1]
            if cmd == "auto":
                self.gas.compressor_mode = "auto"
                return True, None, self.gas.states()[1]
            if cmd == "status":
                return True, None, self.gas.states()[1]
        elif kind in ("gas_bag", "storage") and self.gas and cmd == "status":
            return True, None, self.gas.states()[0 if kind == "gas_bag" else 2]
        elif kind == "oxygen" and ident in self.oxygen:
            if cmd in ("status", "measure"):
                return True, None, self.oxygen[ident].state()
            if cmd == "silence":
                return True, None, self.oxygen[ident].state()
        else:
            return False, f"no instrument {kind}/{ident} here", None
        return False, f"{kind} does not know the command {cmd!r} (args {args})", None

    def _transfer_command(self, t: TransferModel, req: CommandRequest
                          ) -> tuple[bool, str | None, InstrumentState | None]:
        cmd, args = req.command, req.args
        if cmd == "status":
            return True, None, t.snapshot()
        if cmd == "stop":
            if t.state in ("pressurising", "transferring"):
                self._stop_transfer(t, str(args.get("reason", "stopped by voice")))
            return True, None, t.snapshot()
        if cmd != "start":
            return False, f"transfer controller does not know {cmd!r}", None
        if t.state in ("pressurising", "transferring"):
            return False, f"a transfer from dewar {t.source} is already running", t.snapshot()
        source = self.dewars.get(str(args.get("source")))
        if source is None:
            return False, f"dewar {args.get('source')} is not connected", None
        try:
            level = float(args["target_level"]) if args.get("target_level") is not None else None
        except (TypeError, ValueError):
            return False, f"target level {args.get('target_level')!r} is not a number", None
        if level is not None and not 1 <= level <= 100:
            return False, f"target level {level:g} percent is outside 1 to 100 percent", None
        if source.level_pct <= t.min_supply_pct:
            level = f"{source.level_pct:.0f} percent"
            return False, f"dewar {source.id} is nearly empty ({level})", None
        target_id = str(args.get("target")) if args.get("target") else None
        if target_id and target_id not in self.vessels and target_id not in self.dewars:
            return False, f"{target_id} is not connected", None
        t.state = "pressurising"
        t.source, t.target = source.id, target_id
        t.target_level_pct = level
        t.moved_l = t.loss_l = t.elapsed_s = 0.0
        t.stop_reason = None
        t.site = req.site
        self._event(t.room, "transfer", t.id, "started", source=t.source, target=t.target,
                    target_level=t.target_level_pct, site=t.site)
        return True, None, t.snapshot()

    # -- faults ------------------------------------------------------------------------------
    def _on_fault(self, topic: str, fault: SimFault) -> None:
        self.inject(fault.fault, fault.target, on=fault.on, value=fault.value)

    def inject(self, fault: str, target: str | None = None, *, on: bool = True,
               value: float | None = None) -> None:
        log.info("sim fault %s %s on=%s value=%s", fault, target, on, value)
        with self.lock:
            if fault == "no_ack" and target:
                (self.faults.no_ack.add if on else self.faults.no_ack.discard)(target)
            elif fault == "offline" and target:
                (self.faults.offline.add if on else self.faults.offline.discard)(target)
                for room, kind, ident in self._instruments():
                    if ident == target:
                        self.bus.publish(self.topics.status(room, kind, ident),
                                         InstrumentStatus(status="offline" if on else "online"),
                                         retain=True)
            elif fault == "oxygen_drop":
                for m in self.oxygen.values():
                    if target in (None, m.room, m.id):
                        m.forced_pct = (value if value is not None else 17.5) if on else None
            elif fault == "bag_full" and self.gas:
                self.gas.bag_gas_m3 = self.gas.bag_volume_m3 * (value or 95) / 100
                self.gas.compressor_mode = "manual"  # held off so the bag stays full
                self.gas.compressor_state = "stop"
            elif fault == "level_reading" and target in self.dewars:
                self.dewars[target].reported_level_pct = value if on else None
            elif fault == "clear":
                self.faults = Faults()
                for m in self.oxygen.values():
                    m.forced_pct = None
                for d in self.dewars.values():
                    d.reported_level_pct = None
            self.step(0.0)
        self._publish_all()
