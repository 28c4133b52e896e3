"""Start, stop and follow a liquid helium transfer through the bay's transfer controller."""

from __future__ import annotations

from typing import Any

from wanwan.bus.messages import TransferState
from wanwan.skills.base import (
    Question,
    SkillContext,
    SkillResult,
    litres,
    minutes,
    not_answering,
    number,
    percent,
    skill,
)


def controller(ctx: SkillContext):
    return ctx.config.transfer_controller(ctx.site.room)


def vessel_name(ctx: SkillContext, ident: str | None) -> str:
    if not ident:
        return ""
    vessel = ctx.config.vessel(ident)
    if vessel is not None:
        return vessel.name or vessel.id
    return f"dewar {ident}" if ctx.config.dewar(ident) else ident


def check_start(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    """The source dewar is never assumed: a transfer starts from the dewar that was said."""
    if controller(ctx) is None:
        return Question("There is no transfer controller connected here.")
    if not slots.get("source"):
        return Question("From which dewar?", "source")
    if ctx.config.dewars and ctx.config.dewar(slots["source"]) is None:
        return Question(f"There is no dewar {slots['source']} at this site. From which dewar?",
                        "source")
    return None


def transfer_source(ctx: SkillContext) -> str | None:
    """The dewar on this site's transfer line while a transfer runs from it."""
    tc = controller(ctx)
    state = ctx.instruments.reading("transfer", tc.id).state if tc else None
    return state.source if transfer_running(state) else None  # type: ignore[union-attr]


def readback_start(ctx: SkillContext, slots: dict[str, Any]) -> str:
    parts = [f"Start transfer from dewar {slots['source']}"]
    if slots.get("target"):
        parts.append(f" into {vessel_name(ctx, slots['target'])}")
    if slots.get("target_level") is not None:
        parts.append(f", target {number(slots['target_level'])} percent")
    return "".join(parts) + ". Say confirm or cancel."


@skill("start_transfer", readback=readback_start, check=check_start)
def start_transfer(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    tc = controller(ctx)
    args = {k: slots[k] for k in ("source", "target", "target_level") if k in slots}
    record = ctx.send(tc.room, "transfer", tc.id, "start", args)  # type: ignore[union-attr]
    if record.ok is None:
        return SkillResult("The transfer controller did not answer. Nothing was started; "
                           "check it before trying again.", ok=False)
    if not record.ok:
        return SkillResult(f"The transfer controller refused: {record.error}.", ok=False)
    ctx.memory["transfer_target"] = slots.get("target")
    target = f" into {vessel_name(ctx, slots.get('target'))}" if slots.get("target") else ""
    level = (f", stopping at {number(slots['target_level'])} percent"
             if slots.get("target_level") is not None else "")
    return SkillResult(f"Transfer started from dewar {slots['source']}{target}{level}. "
                       "Pressurising now.")


def _transfer_reading(ctx: SkillContext):
    tc = controller(ctx)
    if tc is None:
        return None, None
    return tc, ctx.instruments.reading("transfer", tc.id)


def transfer_running(state: object) -> bool:
    """Whether a transfer controller's state says liquid is (about to be) moving."""
    return isinstance(state, TransferState) and state.state in ("pressurising", "transferring")


@skill("stop_transfer")
def stop_transfer(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    tc = controller(ctx)
    if tc is None:
        return SkillResult("There is no transfer controller connected here.", ok=False)
    running = transfer_running(ctx.instruments.reading("transfer", tc.id).state)
    # When in doubt, stop: the command goes out even if no transfer seems to be running, and
    # the answer comes within a second whatever the controller does.
    record = ctx.send(tc.room, "transfer", tc.id, "stop", {"reason": "stopped by voice"},
                      timeout=ctx.config.timeouts.stop_ack_s)
    ctx.memory.pop("transfer_target", None)
    facts = {"was_running": running, "controller": tc.id}
    if record.ok is None and not record.sent:
        return SkillResult("The broker cannot be reached: the stop was not sent. Close the "
                           "valve by hand.", ok=False, facts=facts)
    if record.ok is None:
        return SkillResult("The transfer controller did not answer the stop. Close the "
                           "valve by hand.", ok=False, facts=facts)
    if not record.ok:
        return SkillResult(f"The transfer controller refused to stop: {record.error}. "
                           "Close the valve by hand.", ok=False, facts=facts)
    state = ctx.instruments.reading("transfer", tc.id).state
    if running and isinstance(state, TransferState) and state.moved_l > 0:
        return SkillResult(f"Transfer stopped. {litres(state.moved_l).capitalize()} moved in "
                           f"{minutes(state.elapsed_s)}.", facts=facts)
    return SkillResult("Transfer stopped.", facts=facts)


@skill("transfer_status")
def transfer_status(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    tc, reading = _transfer_reading(ctx)
    if tc is None:
        return SkillResult("There is no transfer controller connected here.", ok=False)
    if not reading.usable:
        return SkillResult(not_answering("transfer", "this bay", reading), ok=False)
    t: TransferState = reading.state  # type: ignore[assignment]
    if t.state == "idle":
        return SkillResult("No transfer is running.")
    if t.state == "pressurising":
        return SkillResult(f"Pressurising dewar {t.source}; the transfer has not started "
                           "flowing yet.")
    target = ""
    if t.target:
        level = ctx.instruments.reading("vessel", t.target).state
        at = f" at {percent(level.level_pct)}" if level is not None and hasattr(
            level, "level_pct") else ""
        goal = (f", target {number(t.target_level_pct)} percent"
                if t.target_level_pct is not None else "")
        target = f" {vessel_name(ctx, t.target)} is{at}{goal}."
    moved = litres(t.moved_l).capitalize()
    if t.state == "stopped":
        why = f" ({t.stop_reason})" if t.stop_reason else ""
        return SkillResult(f"The transfer has stopped{why}. {moved} moved in "
                           f"{minutes(t.elapsed_s)}.{target}")
    return SkillResult(f"{moved} transferred in {minutes(t.elapsed_s)}, at "
                       f"{number(round(t.rate_l_h))} litres per hour.{target}")
