"""Start, stop and follow a liquid helium transfer through the bay's transfer controller."""

from __future__ import annotations

from typing import Any

from wanwan.bus.messages import TransferState
from wanwan.skills.base import Question, SkillContext, SkillResult, skill


def controller(ctx: SkillContext):
    return ctx.config.transfer_controller(ctx.site.room)


def check_start(ctx: SkillContext, slots: dict[str, Any]) -> Question | None:
    """The source dewar is never assumed: a transfer starts from the dewar that was said."""
    if controller(ctx) is None:
        return Question(ctx.say("transfer.no_controller"))
    if not slots.get("source"):
        return Question(ctx.say("transfer.from_which"), "source")
    if ctx.config.dewars and ctx.config.dewar(slots["source"]) is None:
        return Question(ctx.say("transfer.no_such_source", dewar=slots["source"]), "source")
    return None


def transfer_source(ctx: SkillContext) -> str | None:
    """The dewar on this site's transfer line while a transfer runs from it."""
    tc = controller(ctx)
    state = ctx.instruments.reading("transfer", tc.id).state if tc else None
    return state.source if transfer_running(state) else None  # type: ignore[union-attr]


def _into(ctx: SkillContext, target: str | None) -> str:
    return ctx.say("transfer.into", vessel=ctx.vessel_name(target)) if target else ""


def readback_start(ctx: SkillContext, slots: dict[str, Any]) -> str:
    level = slots.get("target_level")
    return ctx.say("transfer.readback", source=slots["source"],
                   into=_into(ctx, slots.get("target")),
                   target=ctx.say("transfer.target", level=ctx.say.number(level))
                   if level is not None else "")


@skill("start_transfer", readback=readback_start, check=check_start)
def start_transfer(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    tc = controller(ctx)
    args = {k: slots[k] for k in ("source", "target", "target_level") if k in slots}
    record = ctx.send(tc.room, "transfer", tc.id, "start", args)  # type: ignore[union-attr]
    say = ctx.say
    if record.ok is None:
        return SkillResult(say("transfer.no_answer"), ok=False)
    if not record.ok:
        return SkillResult(say("transfer.refused", error=record.error), ok=False)
    ctx.memory["transfer_target"] = slots.get("target")
    level = slots.get("target_level")
    return SkillResult(say("transfer.started", source=slots["source"],
                           into=_into(ctx, slots.get("target")),
                           stopping_at=say("transfer.stopping_at", level=say.number(level))
                           if level is not None else ""))


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
    say = ctx.say
    if tc is None:
        return SkillResult(say("transfer.no_controller"), ok=False)
    running = transfer_running(ctx.instruments.reading("transfer", tc.id).state)
    # When in doubt, stop: the command goes out even if no transfer seems to be running, and
    # the answer comes within a second whatever the controller does.
    record = ctx.send(tc.room, "transfer", tc.id, "stop", {"reason": "stopped by voice"},
                      timeout=ctx.config.timeouts.stop_ack_s)
    ctx.memory.pop("transfer_target", None)
    facts = {"was_running": running, "controller": tc.id}
    if record.ok is None and not record.sent:
        return SkillResult(say("transfer.stop_not_sent"), ok=False, facts=facts)
    if record.ok is None:
        return SkillResult(say("transfer.stop_no_answer"), ok=False, facts=facts)
    if not record.ok:
        return SkillResult(say("transfer.stop_refused", error=record.error), ok=False,
                           facts=facts)
    state = ctx.instruments.reading("transfer", tc.id).state
    if running and isinstance(state, TransferState) and state.moved_l > 0:
        return SkillResult(say("transfer.stopped_moved",
                               litres=say.capital(say.litres(state.moved_l)),
                               time=say.minutes(state.elapsed_s)), facts=facts)
    return SkillResult(say("transfer.stopped"), facts=facts)


@skill("transfer_status")
def transfer_status(ctx: SkillContext, slots: dict[str, Any]) -> SkillResult:
    tc, reading = _transfer_reading(ctx)
    say = ctx.say
    if tc is None:
        return SkillResult(say("transfer.no_controller"), ok=False)
    if not reading.usable:
        return SkillResult(ctx.not_answering("transfer", say("names.this_bay"), reading),
                           ok=False)
    t: TransferState = reading.state  # type: ignore[assignment]
    if t.state == "idle":
        return SkillResult(say("transfer.none_running"))
    if t.state == "pressurising":
        return SkillResult(say("transfer.pressurising", source=t.source))
    vessel = ""
    if t.target:
        level = ctx.instruments.reading("vessel", t.target).state
        at = say("transfer.vessel_at", percent=say.percent(level.level_pct)) \
            if level is not None and hasattr(level, "level_pct") else ""
        goal = say("transfer.target", level=say.number(t.target_level_pct)) \
            if t.target_level_pct is not None else ""
        vessel = say("transfer.vessel", vessel=ctx.vessel_name(t.target), at=at, target=goal)
    moved = say.capital(say.litres(t.moved_l))
    if t.state == "stopped":
        why = say.stop_reason(t.stop_reason) if t.stop_reason else ""
        return SkillResult(say("transfer.has_stopped", reason=why, litres=moved,
                               time=say.minutes(t.elapsed_s), vessel=vessel))
    return SkillResult(say("transfer.running", litres=moved, time=say.minutes(t.elapsed_s),
                           rate=say.number(round(t.rate_l_h)), vessel=vessel))
