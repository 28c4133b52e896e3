"""The Hermes protocol of Rhasspy (and Snips before it): topics and camelCase payloads.

Only what wanwan speaks: satellites' audio (``hermes/audioServer/{site}/audioFrame``, one WAV
file per chunk) and the replies played back to them (``playBytes/{requestId}``, answered by
``playFinished``); the NLU query and its answers; what a turn publishes for the tools that
follow a Rhasspy session (hotword detected, text captured, intent, session started and ended);
and ``tts/say`` from apps, answered by ``sayFinished``. Shapes follow the rhasspy-hermes
dataclasses (tests/test_hermes.py parses ours with them). docs/mqtt.md says who may publish
what.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

AUDIO_FRAME = "hermes/audioServer/+/audioFrame"
PLAY_FINISHED = "hermes/audioServer/+/playFinished"
NLU_QUERY = "hermes/nlu/query"
NLU_NOT_RECOGNIZED = "hermes/nlu/intentNotRecognized"
TTS_SAY = "hermes/tts/say"
TTS_SAY_FINISHED = "hermes/tts/sayFinished"
ASR_TEXT_CAPTURED = "hermes/asr/textCaptured"
SESSION_STARTED = "hermes/dialogueManager/sessionStarted"
SESSION_ENDED = "hermes/dialogueManager/sessionEnded"
WAKEWORD_ID = "wanwan"  # the "model" that detects the wake phrase: the server's recogniser


def audio_frame(site: str) -> str:
    return f"hermes/audioServer/{site}/audioFrame"


def play_bytes(site: str, request_id: str) -> str:
    return f"hermes/audioServer/{site}/playBytes/{request_id}"


def play_bytes_of(site: str) -> str:
    return f"hermes/audioServer/{site}/playBytes/+"


def play_finished(site: str) -> str:
    return f"hermes/audioServer/{site}/playFinished"


def intent(name: str) -> str:
    return f"hermes/intent/{name}"


def hotword_detected(wakeword_id: str = WAKEWORD_ID) -> str:
    return f"hermes/hotword/{wakeword_id}/detected"


def site_of_audio_topic(topic: str) -> str | None:
    """The site in ``hermes/audioServer/{site}/…``, or None."""
    parts = topic.split("/")
    return parts[2] if len(parts) >= 4 and parts[:2] == ["hermes", "audioServer"] else None


class HermesMessage(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields kept (newer Rhasspy)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    def dump(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class NluQuery(HermesMessage):
    input: str = Field(max_length=2000)
    site_id: str = "default"
    id: str | None = None
    intent_filter: list[str] | None = None
    session_id: str | None = None
    lang: str | None = None
    custom_data: str | None = None


class IntentName(HermesMessage):
    intent_name: str
    confidence_score: float


class SlotRange(HermesMessage):
    start: int
    end: int


class Slot(HermesMessage):
    entity: str
    value: dict[str, Any]  # {"kind": "Number"|"Unknown", "value": …}
    slot_name: str
    raw_value: str
    confidence: float = 1.0
    range: SlotRange | None = None


class NluIntent(HermesMessage):
    input: str
    intent: IntentName
    site_id: str = "default"
    id: str | None = None
    slots: list[Slot] = []
    session_id: str | None = None
    custom_data: str | None = None
    asr_confidence: float | None = None
    raw_input: str | None = None
    wakeword_id: str | None = None
    lang: str | None = None


class NluIntentNotRecognized(HermesMessage):
    input: str
    site_id: str = "default"
    id: str | None = None
    custom_data: str | None = None
    session_id: str | None = None


class TtsSay(HermesMessage):
    text: str = Field(max_length=2000)
    site_id: str = "default"
    lang: str | None = None
    id: str | None = None
    session_id: str | None = None
    volume: float | None = None


class TtsSayFinished(HermesMessage):
    site_id: str = "default"
    id: str | None = None
    session_id: str | None = None


class PlayFinished(HermesMessage):
    id: str | None = None
    site_id: str = "default"
    session_id: str | None = None


class HotwordDetected(HermesMessage):
    model_id: str
    model_version: str = ""
    model_type: str = "universal"
    current_sensitivity: float = 1.0
    site_id: str = "default"
    session_id: str | None = None
    lang: str | None = None


class AsrTextCaptured(HermesMessage):
    text: str
    likelihood: float
    seconds: float
    site_id: str = "default"
    session_id: str | None = None
    wakeword_id: str | None = None
    lang: str | None = None


class SessionStarted(HermesMessage):
    session_id: str
    site_id: str = "default"
    custom_data: str | None = None
    lang: str | None = None


class SessionTermination(HermesMessage):
    # nominal, abortedByUser, intentNotRecognized, timeout, error
    reason: str = "nominal"


class SessionEnded(HermesMessage):
    termination: SessionTermination
    session_id: str
    site_id: str = "default"
    custom_data: str | None = None


def new_session_id() -> str:
    return uuid.uuid4().hex


def slots_of(values: dict[str, Any]) -> list[Slot]:
    """wanwan's slot values as Hermes slots (numbers as kind Number, the rest Unknown)."""
    out = []
    for name, value in values.items():
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        out.append(Slot(entity=name, slot_name=name, raw_value=str(value),
                        value={"kind": "Number" if number else "Unknown", "value": value}))
    return out
