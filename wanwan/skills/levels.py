"""Levels, pressures and how long a dewar lasts; level alerts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from wanwan.bus.messages import DewarState
from wanwan.instruments.gateway import Reading
from wanwan.skills.base import LevelAlert, Question, SkillContext, SkillResult, skill
from wanwan.skills.transfer import transfer_source


def _dewar(ctx: SkillContext, slots: dict[str, Any]) -> str | None:
    """The dewar asked about: named now, else the one named in an earlier turn here, else the
    one on this site's transfer line while a transfer runs (only questions take a default)."""
    dewar = slots.get("dewar") or ctx.memory.get("dewar") or transfer_source(ctx)
    if dewar:
        ctx.memory["dewar"] = dewar
    return dewar


def ask_dewar(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    if _dewar(ctx, slots) is None:
        return Question(ctx.say("levels.which_dewar"), "dewar")
    if ctx.config.dewars and ctx.config.dewar(_dewar(ctx, slots)) is None:  # type: ignore[arg-type]
        return Question(ctx.say("levels.no_such_dewar", dewar=_dewar(ctx, slots)), "dewar")
    return None


def dewar_reading(ctx: SkillContext, dewar_id: str):
    cfg = ctx.config.dewar(dewar_id)
    room = ctx.instruments.room_of("dewar", dewar_id, cfg.room if cfg else "")
    return ctx.measure(room, "dewar", dewar_id)


DewarAnswer = Callable[[SkillContext, dict[str, Any], str, Reading, DewarState], SkillResult]


def on_live_dewar(answer: DewarAnswer) -> Callable[[SkillContext, dict[str, Any]], SkillResult]:
    """A skill about the dewar asked for, run with a fresh usable reading of it; without one,
    the reply says why and the skill does not run."""

    @functools.wraps(answer)
    def run(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
        dewar_id: str = _dewar(ctx, slots)  # type: ignore[assignment]
        reading = dewar_reading(ctx, dewar_id)
        if not reading.usable:
            return SkillResult(ctx.not_answering("dewar", ctx.dewar_name(dewar_id), reading),
                               ok=False)
        return answer(ctx, slots, dewar_id, reading, reading.state)  # type: ignore[arg-type]

    return run


@skill("read_level", check=ask_dewar)
@on_live_dewar
def read_level(ctx: SkillContext, slots: dict[str, Any], dewar_id: str, reading: Reading,
               state: DewarState) -> SkillResult:
    say = ctx.say
    if not state.plausible:
        return SkillResult(say("levels.implausible", dewar=dewar_id,
                               value=say.number(state.level_pct)), ok=False)
    content = state.litres
    unit = slots.get("unit", "%")
    level = say.percent(state.level_pct)
    if unit == "L":
        text = say("levels.level_litres", dewar=dewar_id, litres=say.litres(content),
                   percent=level)
    elif unit == "cm" and state.level_cm is not None:
        text = say("levels.level_cm", dewar=dewar_id, cm=say.number(round(state.level_cm)),
                   percent=level)
    else:
        text = say("levels.level", dewar=dewar_id, percent=level, litres=say.litres(content))
    return SkillResult(say.sentences(text, ctx.stale_note(reading)))


@skill("read_pressure", check=ask_dewar)
@on_live_dewar
def read_pressure(ctx: SkillContext, slots: dict[str, Any], dewar_id: str, reading: Reading,
                  state: DewarState) -> SkillResult:
    if state.pressure_kpa is None:
        return SkillResult(ctx.say("levels.no_pressure_gauge", dewar=dewar_id), ok=False)
    return SkillResult(ctx.say.sentences(
        ctx.say("levels.pressure", dewar=dewar_id,
                kpa=ctx.say.number(round(state.pressure_kpa, 1))),
        ctx.stale_note(reading)))


@skill("days_until_empty", check=ask_dewar)
@on_live_dewar
def days_until_empty(ctx: SkillContext, slots: dict[str, Any], dewar_id: str, reading: Reading,
                     state: DewarState) -> SkillResult:
    cfg = ctx.config.dewar(dewar_id)  # type: ignore[arg-type]
    rate = state.boiloff_pct_per_day or (cfg.boiloff_pct_per_day if cfg else 1.0)
    say = ctx.say
    if not state.plausible:
        return SkillResult(say("levels.not_plausible", dewar=dewar_id), ok=False)
    if rate <= 0:
        return SkillResult(say("levels.no_boiloff", dewar=dewar_id), ok=False)
    days = state.level_pct / rate
    return SkillResult(say.sentences(
        say("levels.days", dewar=dewar_id, percent=say.percent(state.level_pct),
            rate=say.number(rate), days=f"{round(days):d}"),
        ctx.stale_note(reading)))


def _alert_target(ctx: SkillContext, slots: dict[str, Any]) -> tuple[str, str] | None:
    if slots.get("dewar"):
        ctx.memory["dewar"] = slots["dewar"]
        return "dewar", slots["dewar"]
    running = ctx.memory.get("transfer_target")
    if running:
        return "vessel", running
    if ctx.memory.get("dewar"):
        return "dewar", ctx.memory["dewar"]
    return None


def ask_alert(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    if _alert_target(ctx, slots) is None:
        return Question(ctx.say("levels.which_dewar"), "dewar")
    if slots.get("level") is None:
        return Question(ctx.say("levels.at_what_percent"), "level")
    return None


@skill("set_level_alert", check=ask_alert)
def set_level_alert(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    kind, ident = _alert_target(ctx, slots)  # type: ignore[misc]
    level = float(slots["level"])
    reading = ctx.instruments.reading(kind, ident)
    current = getattr(reading.state, "level_pct", None)
    falling = "drop" in ctx.heard or "fall" in ctx.heard or "below" in ctx.heard or (
        current is not None and current > level and "above" not in ctx.heard)
    direction = "below" if falling else "above"
    label = ctx.dewar_name(ident) if kind == "dewar" else ctx.vessel_name(ident)
    ctx.add_alert(LevelAlert(kind, ident, level, direction, label))
    say = ctx.say
    now = say("levels.alert_now", percent=say.percent(current)) if current is not None else ""
    return SkillResult(say.sentences(say(f"levels.alert_{direction}", label=label,
                                         level=say.number(level)), now))
