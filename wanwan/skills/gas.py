"""The recovery side: gas bag, storage, compressor, and the oxygen in the rooms."""

from __future__ import annotations

from typing import Any

from wanwan.bus.messages import CompressorState, GasBagState, OxygenState, StorageState
from wanwan.skills.base import Question, SkillContext, SkillResult, skill


@skill("gas_status")
def gas_status(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    parts = []
    cfg, say = ctx.config, ctx.say
    line = say("names.recovery_line")
    if cfg.gas_bag:
        r = ctx.instruments.reading("gas_bag", cfg.gas_bag.id)
        if r.usable and isinstance(r.state, GasBagState):
            parts.append(say("gas.bag", percent=say.percent(r.state.fill_pct)))
        else:
            parts.append(ctx.not_answering("gas_bag", line, r))
    if cfg.storage:
        r = ctx.instruments.reading("storage", cfg.storage.id)
        if r.usable and isinstance(r.state, StorageState):
            parts.append(say("gas.storage", mpa=f"{r.state.pressure_mpa:.1f}"))
        else:
            parts.append(ctx.not_answering("storage", line, r))
    if cfg.compressor:
        r = ctx.instruments.reading("compressor", cfg.compressor.id)
        if r.usable and isinstance(r.state, CompressorState):
            running = "running" if r.state.state == "run" else "stopped"
            parts.append(say(f"gas.compressor_{running}", mode=say(f"gas.mode_{r.state.mode}")))
        else:
            parts.append(ctx.not_answering("compressor", line, r))
    if not parts:
        return SkillResult(say("gas.none_configured"), ok=False)
    return SkillResult(say.sentences(*parts))


def check_compressor(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    if not ctx.config.compressor:
        return Question(ctx.say("gas.no_compressor"))
    if slots.get("action") is None:
        return Question(ctx.say("gas.start_or_stop"), "action")
    return None


def readback_compressor(ctx: SkillContext, slots: dict[str, Any]) -> str:
    return ctx.say(f"gas.readback_{slots['action']}")


@skill("compressor_control", readback=readback_compressor, check=check_compressor)
def compressor_control(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    comp = ctx.config.compressor
    assert comp is not None
    action = slots["action"]
    record = ctx.send(comp.room, "compressor", comp.id, action)
    if record.ok is None:
        return SkillResult(ctx.say("gas.no_answer"), ok=False)
    if not record.ok:
        return SkillResult(ctx.say("gas.refused", error=record.error), ok=False)
    return SkillResult(ctx.say("gas.started" if action == "start" else "gas.stopped"))


@skill("read_oxygen")
def read_oxygen(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    room_id = slots.get("room") or ctx.site.room
    monitors = [m for m in ctx.config.oxygen_monitors if m.room == room_id]
    room_name = ctx.room_name(room_id)
    say = ctx.say
    if not monitors:
        return SkillResult(say("gas.no_oxygen_monitor", room=room_name), ok=False)
    parts = []
    ok = True
    for monitor in monitors:
        r = ctx.measure(monitor.room, "oxygen", monitor.id)
        if not r.usable or not isinstance(r.state, OxygenState):
            parts.append(ctx.not_answering("oxygen", say("names.the_room", room=room_name), r))
            ok = False
            continue
        parts.append(say(f"gas.oxygen_{r.state.level}", room=room_name,
                         value=say.number(round(r.state.o2_pct, 1))))
    return SkillResult(say.sentences(*parts), ok=ok)
