"""The ledger by voice, stock, recovery figures and unit conversion."""

from __future__ import annotations

from typing import Any

from wanwan.bus.messages import DewarState, GasBagState, StorageState
from wanwan.ledger import period_bounds
from wanwan.skills.base import Question, SkillContext, SkillResult, skill


def describe_entry(ctx: SkillContext, amount: float, unit: str, phase: str, direction: str,
                   lab: str | None, dewar: str | None) -> str:
    say = ctx.say
    quantity = say.litres(amount, exact=True) if unit == "L" else say.cubic_metres(
        amount, exact=True)
    to = "records.to_lab" if direction == "dispensed" else "records.from_lab"
    return say("records.entry", quantity=quantity,
               what=say("records.liquid" if phase == "liquid" else "records.gas"),
               direction=say(f"records.{direction}"),
               lab=say(to, lab=ctx.lab_name(lab)) if lab else "",
               dewar=say("records.from_dewar", dewar=dewar) if dewar else "")


def check_log(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    if slots.get("amount") is None:
        return Question(ctx.say("records.how_much"), "amount")
    return None


@skill("log_volume", check=check_log)
def log_volume(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    unit = slots.get("unit") or "L"  # "log fifty": litres, as nearly every entry is
    phase = slots.get("phase") or ("liquid" if unit == "L" else "gas")
    direction = slots.get("direction") or ("dispensed" if phase == "liquid" else "recovered")
    entry = ctx.ledger.log(site=ctx.site.id, amount=float(slots["amount"]), unit=unit,
                           phase=phase, direction=direction, dewar=slots.get("dewar"),
                           lab=slots.get("lab"), heard=ctx.heard)
    if slots.get("dewar"):
        ctx.memory["dewar"] = slots["dewar"]
    return SkillResult(ctx.say("records.logged", entry=describe_entry(
        ctx, entry.amount, unit, phase, direction, entry.lab, entry.dewar)))


def readback_undo(ctx: SkillContext, slots: dict[str, Any]) -> str:
    last = ctx.ledger.last_live(ctx.site.id)
    if last is None:
        return ""
    return ctx.say("records.readback_undo", entry=describe_entry(
        ctx, last.amount, last.unit, last.phase, last.direction, last.lab, last.dewar))


def check_undo(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    return None if readback_undo(ctx, slots) else Question(ctx.say("records.nothing_to_undo"))


@skill("undo_log", readback=readback_undo, check=check_undo)
def undo_log(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    entry = ctx.ledger.undo_last(ctx.site.id, heard=ctx.heard)
    if entry is None:
        return SkillResult(ctx.say("records.nothing_to_undo"), ok=False)
    return SkillResult(ctx.say("records.undone", entry=describe_entry(
        ctx, entry.amount, entry.unit, entry.phase, entry.direction, entry.lab, entry.dewar)))


@skill("stock_query")
def stock_query(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    phase = slots.get("phase")
    say = ctx.say
    parts: list[str] = []
    ok = True
    if phase in (None, "liquid"):
        total = 0.0
        counted = missing = 0
        for reading in ctx.instruments.all("dewar"):
            state = reading.state
            if not reading.usable or not isinstance(state, DewarState) or not state.plausible:
                missing += 1
                continue
            total += state.litres
            counted += 1
        if counted:
            note = say("records.stock_missing", count=missing) if missing else ""
            parts.append(say("records.stock_liquid_one" if counted == 1 else
                             "records.stock_liquid", litres=say.litres(total), count=counted,
                             missing=note))
        else:
            parts.append(say("records.no_dewar_reporting"))
            ok = False
    if phase in (None, "gas"):
        gas = 0.0
        found = False
        for kind in ("storage", "gas_bag"):
            for reading in ctx.instruments.all(kind):
                state = reading.state
                if reading.usable and isinstance(state, StorageState):
                    gas += state.gas_m3
                    found = True
                elif reading.usable and isinstance(state, GasBagState):
                    gas += state.volume_m3 * state.fill_pct / 100
                    found = True
        if found:
            equivalent = gas / ctx.config.litres_to_m3
            parts.append(say("records.stock_gas", gas=say.capital(say.cubic_metres(gas)),
                             litres=say.litres(equivalent)))
        else:
            parts.append(say("records.gas_not_reporting"))
            ok = False
    return SkillResult(say.sentences(*parts), ok=ok)


@skill("recovery_summary")
def recovery_summary(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    period = slots.get("period", "this_month")
    start, end, _ = period_bounds(period)
    say = ctx.say
    words = say(f"periods.{period}")
    factor = ctx.config.litres_to_m3
    t = ctx.ledger.totals(start, end, factor)
    if t["supplied_l"] == 0 and t["recovered_m3"] == 0:
        return SkillResult(say("records.nothing_logged", period=words))
    text = say("records.recovery", period=say.capital(words),
               gas=say.cubic_metres(t["recovered_m3"]), litres=say.litres(t["supplied_l"]))
    rate = say("records.recovery_rate", percent=say.percent(100 * t["rate"]),
               factor=say.number(factor)) if t["rate"] >= 0 else ""
    return SkillResult(say.sentences(text, rate))


@skill("convert_units")
def convert_units(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    amount, unit, to_unit = float(slots["amount"]), slots["unit"], slots["to_unit"]
    factor = ctx.config.litres_to_m3
    say = ctx.say
    if unit == to_unit:
        return SkillResult(say("records.already_in_unit"))
    if unit == "L":
        return SkillResult(say.capital(say("records.litres_as_gas", litres=say.litres(amount),
                                           gas=say.cubic_metres(amount * factor),
                                           factor=say.number(factor))))
    return SkillResult(say.capital(say("records.gas_as_litres", gas=say.cubic_metres(amount),
                                       litres=say.litres(amount / factor),
                                       factor=say.number(factor))))
