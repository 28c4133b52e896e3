"""Names that several layers share: the intents the code acts on, what the dialogue decided,
and the kinds of things said. One home, so a typo is a NameError, not a silent mismatch.

Intents are data (``intents/<language>/``) and a catalogue may add any; :class:`IntentName`
lists only those the dialogue and the skills have code for (contract: shared/spec/intents.md).
"""

from __future__ import annotations

from enum import StrEnum


class IntentName(StrEnum):
    START_TRANSFER = "start_transfer"
    STOP_TRANSFER = "stop_transfer"
    TRANSFER_STATUS = "transfer_status"
    READ_LEVEL = "read_level"
    READ_PRESSURE = "read_pressure"
    DAYS_UNTIL_EMPTY = "days_until_empty"
    LOG_VOLUME = "log_volume"
    UNDO_LOG = "undo_log"
    STOCK_QUERY = "stock_query"
    RECOVERY_SUMMARY = "recovery_summary"
    GAS_STATUS = "gas_status"
    COMPRESSOR_CONTROL = "compressor_control"
    READ_OXYGEN = "read_oxygen"
    CONVERT_UNITS = "convert_units"
    SET_LEVEL_ALERT = "set_level_alert"
    CONFIRM = "confirm"
    CANCEL = "cancel"
    REPEAT = "repeat"
    HELP = "help"
    STOP = "stop"
    ACKNOWLEDGE_ALARM = "acknowledge_alarm"


#: never gated: no confirmation, no wake phrase while a transfer runs or wanwan speaks
STOPS = frozenset({IntentName.STOP, IntentName.STOP_TRANSFER})


class Decision(StrEnum):
    """What the dialogue did with one turn (``decision`` in ``wanwan ask --json``)."""

    DONE = "done"  # answered or acted on at once
    READBACK = "readback"  # an actuating request read back, waiting for confirm
    CONFIRMED = "confirmed"  # the confirmed action was carried out
    EXPIRED = "expired"  # confirm came after the time limit
    CANCELLED = "cancelled"
    NOTHING_PENDING = "nothing_pending"  # confirm or cancel with nothing to confirm
    REPEATED = "repeated"
    HELP = "help"
    ACKNOWLEDGED = "acknowledged"  # an alarm acknowledged
    REFUSED = "refused"  # not allowed at this site
    NO_SKILL = "no_skill"
    CLARIFY = "clarify"  # a question back: a slot is missing or wrong
    NOT_UNDERSTOOD = "not_understood"
    FAILED = "failed"  # tried, and the instrument refused or did not answer
    WITHDRAWN = "withdrawn"  # a stop came while the turn was being decided: nothing sent
    STOPPED = "stopped"  # a stop with no transfer running
    STOPPED_TRANSFER = "stopped_transfer"  # a stop that stopped a running transfer
    LISTENING = "listening"  # a bare wake phrase: "Yes?"


class ReplyKind(StrEnum):
    """What a spoken line is (``kind`` on a site's reply topic)."""

    REPLY = "reply"  # the answer to a turn
    READBACK = "readback"  # an action read back for confirmation
    ALARM = "alarm"  # an instrument's alarm, repeated until acknowledged
    NOTICE = "notice"  # said unprompted: a time-out, a level alert, a cleared alarm
    ERROR = "error"
