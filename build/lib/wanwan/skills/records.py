"""The ledger by voice, stock, recovery figures and unit conversion."""

from __future__ import annotations

from typing import Any

from wanwan.bus.messages import DewarState, GasBagState, StorageState
from wanwan.ledger import period_bounds
from wanwan.skills.base import (
    Question,
    SkillContext,
    SkillResult,
    cubic_metres,
    litres,
    number,
    percent,
    skill,
)


def lab_name(ctx: SkillContext, lab_id: str | None) -> str:
    if not lab_id:
        return ""
    lab = ctx.config.lab(lab_id)
    return lab.name if lab and lab.name else f"{lab_id} lab"


def describe_entry(ctx: SkillContext, amount: float, unit: str, phase: str, direction: str,
                   lab: str | None, dewar: str | None) -> str:
    quantity = litres(amount, exact=True) if unit == "L" else cubic_metres(amount, exact=True)
    what = "liquid helium" if phase == "liquid" else "helium gas"
    to = (" to " if direction == "dispensed" else " from ") + lab_name(ctx, lab) if lab else ""
    source = f", dewar {dewar}" if dewar else ""
    return f"{quantity} of {what} {direction}{to}{source}"


def check_log(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    if slots.get("amount") is None:
        return Question("How much? Say for example: fifty litres.", "amount")
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
    return SkillResult("Logged " + describe_entry(ctx, entry.amount, unit, phase, direction,
                                                  entry.lab, entry.dewar) + ".")


def readback_undo(ctx: SkillContext, slots: dict[str, Any]) -> str:
    last = ctx.ledger.last_live(ctx.site.id)
    if last is None:
        return ""
    return ("Undo the last entry: " + describe_entry(ctx, last.amount, last.unit, last.phase,
                                                     last.direction, last.lab, last.dewar)
            + ". Say confirm or cancel.")


def check_undo(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    return None if readback_undo(ctx, slots) else Question(
        "There is nothing to undo at this site.")


@skill("undo_log", readback=readback_undo, check=check_undo)
def undo_log(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    entry = ctx.ledger.undo_last(ctx.site.id, heard=ctx.heard)
    if entry is None:
        return SkillResult("There is nothing to undo at this site.", ok=False)
    return SkillResult("Undone: " + describe_entry(ctx, entry.amount, entry.unit, entry.phase,
                                                   entry.direction, entry.lab, entry.dewar)
                       + ". The entry is kept, marked as undone.")


@skill("stock_query")
def stock_query(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    phase = slots.get("phase")
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
            total += state.content_l if state.content_l is not None else (
                state.capacity_l * state.level_pct / 100)
            counted += 1
        if counted:
            note = f" ({missing} not reporting)" if missing else ""
            parts.append(f"About {litres(total)} of liquid helium in {counted} "
                         f"{'dewar' if counted == 1 else 'dewars'}{note}.")
        else:
            parts.append("No dewar is reporting its level.")
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
            parts.append(f"{cubic_metres(gas).capitalize()} of gas in storage and the bag, "
                         f"about {litres(equivalent)} as liquid.")
        else:
            parts.append("The gas storage is not reporting.")
            ok = False
    return SkillResult(" ".join(parts), ok=ok)


@skill("recovery_summary")
def recovery_summary(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    period = slots.get("period", "this_month")
    start, end, words = period_bounds(period)
    factor = ctx.config.litres_to_m3
    t = ctx.ledger.totals(start, end, factor)
    if t["supplied_l"] == 0 and t["recovered_m3"] == 0:
        return SkillResult(f"Nothing is logged for {words}.")
    text = (f"{words.capitalize()}: {cubic_metres(t['recovered_m3'])} of gas recovered, "
            f"{litres(t['supplied_l'])} of liquid supplied.")
    if t["rate"] >= 0:
        text += (f" Recovery rate {percent(100 * t['rate'])}: recovered gas divided by supplied "
                 f"litres times {number(factor)}.")
    return SkillResult(text)


@skill("convert_units")
def convert_units(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    amount, unit, to_unit = float(slots["amount"]), slots["unit"], slots["to_unit"]
    factor = ctx.config.litres_to_m3
    if unit == to_unit:
        return SkillResult("That is already in the unit you asked for.")
    if unit == "L":
        result = f"{litres(amount)} of liquid helium is about {cubic_metres(amount * factor)} " \
                 "of gas"
    else:
        result = f"{cubic_metres(amount)} of gas is about {litres(amount / factor)} of liquid"
    return SkillResult(f"{result.capitalize()}, at {number(factor)} cubic metres per litre.")
