"""The recovery side: gas bag, storage, compressor, and the oxygen in the rooms."""

from __future__ import annotations

from typing import Any

from wanwan.bus.messages import CompressorState, GasBagState, OxygenState, StorageState
from wanwan.skills.base import (
    Question,
    SkillContext,
    SkillResult,
    not_answering,
    number,
    percent,
    skill,
)


@skill("gas_status")
def gas_status(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    parts = []
    cfg = ctx.config
    if cfg.gas_bag:
        r = ctx.instruments.reading("gas_bag", cfg.gas_bag.id)
        if r.usable and isinstance(r.state, GasBagState):
            parts.append(f"The gas bag is at {percent(r.state.fill_pct)}.")
        else:
            parts.append(not_answering("gas_bag", "the recovery line", r))
    if cfg.storage:
        r = ctx.instruments.reading("storage", cfg.storage.id)
        if r.usable and isinstance(r.state, StorageState):
            parts.append(f"Storage is at {r.state.pressure_mpa:.1f} megapascals.")
        else:
            parts.append(not_answering("storage", "the recovery line", r))
    if cfg.compressor:
        r = ctx.instruments.reading("compressor", cfg.compressor.id)
        if r.usable and isinstance(r.state, CompressorState):
            running = "running" if r.state.state == "run" else "stopped"
            parts.append(f"The compressor is {running}, in {r.state.mode} mode.")
        else:
            parts.append(not_answering("compressor", "the recovery line", r))
    if not parts:
        return SkillResult("No recovery instruments are configured here.", ok=False)
    return SkillResult(" ".join(parts))


def check_compressor(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    if not ctx.config.compressor:
        return Question("There is no compressor connected here.")
    if slots.get("action") is None:
        return Question("Start or stop the compressor?", "action")
    return None


def readback_compressor(ctx: SkillContext, slots: dict[str, Any]) -> str:
    return f"{slots['action'].capitalize()} the recovery compressor. Say confirm or cancel."


@skill("compressor_control", readback=readback_compressor, check=check_compressor)
def compressor_control(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    comp = ctx.config.compressor
    assert comp is not None
    action = slots["action"]
    record = ctx.send(comp.room, "compressor", comp.id, action)
    if record.ok is None:
        return SkillResult("The recovery compressor did not answer. Nothing was changed.",
                           ok=False)
    if not record.ok:
        return SkillResult(f"The recovery compressor refused: {record.error}.", ok=False)
    return SkillResult("Compressor started." if action == "start" else "Compressor stopped.")


@skill("read_oxygen")
def read_oxygen(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    room_id = slots.get("room") or ctx.site.room
    monitors = [m for m in ctx.config.oxygen_monitors if m.room == room_id]
    room = ctx.config.room(room_id)
    room_name = room.name if room and room.name else room_id.replace("_", " ")
    if not monitors:
        return SkillResult(f"There is no oxygen monitor in the {room_name}.", ok=False)
    parts = []
    for monitor in monitors:
        r = ctx.measure(monitor.room, "oxygen", monitor.id)
        if not r.usable or not isinstance(r.state, OxygenState):
            parts.append(not_answering("oxygen", f"the {room_name}", r))
            continue
        word = {"normal": "normal", "warning": "low: a warning",
                "alarm": "dangerously low: leave the room"}[r.state.level]
        parts.append(f"Oxygen in the {room_name} is {number(round(r.state.o2_pct, 1))} "
                     f"percent, {word}.")
    return SkillResult(" ".join(parts), ok=all("percent" in p for p in parts))
