"""The MQTT topic scheme (documented in docs/mqtt.md). One place builds every topic.

Instruments live in rooms:   {prefix}/{room}/{kind}/{id}/state|status|cmd|event|alarm
Dialogue lives at sites:     {prefix}/site/{site}/heard|intent|reply|query
Records that must not be lost: {prefix}/ledger/entry, {prefix}/audit/{site}
Presence:                    {prefix}/presence/{client_id}
Command replies:             {prefix}/reply/{client_id}  (named in each request's payload)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topics:
    prefix: str = "wanwan"

    # instruments ---------------------------------------------------------------------------
    def instrument(self, room: str, kind: str, ident: str, leaf: str) -> str:
        return f"{self.prefix}/{room}/{kind}/{ident}/{leaf}"

    def state(self, room: str, kind: str, ident: str) -> str:
        return self.instrument(room, kind, ident, "state")

    def status(self, room: str, kind: str, ident: str) -> str:
        return self.instrument(room, kind, ident, "status")

    def command(self, room: str, kind: str, ident: str) -> str:
        return self.instrument(room, kind, ident, "cmd")

    def event(self, room: str, kind: str, ident: str) -> str:
        return self.instrument(room, kind, ident, "event")

    def alarm(self, room: str, kind: str, ident: str) -> str:
        return self.instrument(room, kind, ident, "alarm")

    @property
    def all_states(self) -> str:
        return f"{self.prefix}/+/+/+/state"

    @property
    def all_statuses(self) -> str:
        return f"{self.prefix}/+/+/+/status"

    @property
    def all_commands(self) -> str:
        return f"{self.prefix}/+/+/+/cmd"

    @property
    def all_events(self) -> str:
        return f"{self.prefix}/+/+/+/event"

    @property
    def all_alarms(self) -> str:
        return f"{self.prefix}/+/+/+/alarm"

    def parse_instrument(self, topic: str) -> tuple[str, str, str, str] | None:
        """(room, kind, id, leaf) of an instrument topic, or None."""
        parts = topic.split("/")
        if len(parts) != 5 or parts[0] != self.prefix or parts[1] in ("site", "ledger",
                                                                      "audit", "presence",
                                                                      "reply", "sim"):
            return None
        return parts[1], parts[2], parts[3], parts[4]

    # dialogue ------------------------------------------------------------------------------
    def site(self, site: str, leaf: str) -> str:
        return f"{self.prefix}/site/{site}/{leaf}"

    @property
    def all_site_queries(self) -> str:
        return f"{self.prefix}/site/+/query"

    # records, presence, replies, simulator control -----------------------------------------
    @property
    def ledger(self) -> str:
        return f"{self.prefix}/ledger/entry"

    def audit(self, site: str) -> str:
        return f"{self.prefix}/audit/{site}"

    def presence(self, client_id: str) -> str:
        return f"{self.prefix}/presence/{client_id}"

    def reply(self, client_id: str) -> str:
        return f"{self.prefix}/reply/{client_id}"

    @property
    def sim_fault(self) -> str:
        return f"{self.prefix}/sim/fault"
