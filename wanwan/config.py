"""Site configuration: YAML under ``config/`` validated with pydantic.

A bad file names the file, the key and what is wrong (``config/site.yaml: dewars.2.capacity_l:
Input should be greater than 0``). The site's dewars, vessels, labs and rooms become the slot
lists of the intent engine, so the intents stay the same for every site.
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Literal

from platformdirs import user_config_dir
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from wanwan.data import example_config
from wanwan.errors import UserError
from wanwan.nlu.catalog import ListValue
from wanwan.nlu.yamlfile import LocDict, LocList, YamlError
from wanwan.nlu.yamlfile import load as load_yaml


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Room(_Model):
    id: str
    name: str = ""
    aliases: list[str] = []


class Site(_Model):
    """A kiosk or transfer bay: where speech is heard and what may be done there."""

    id: str
    name: str = ""
    aliases: list[str] = []  # its name in other languages (回収室キオスク)
    room: str
    allowed_intents: list[str] | Literal["all"] = "all"
    denied_intents: list[str] = []

    def allows(self, intent: str) -> bool:
        if intent in self.denied_intents:
            return False
        return self.allowed_intents == "all" or intent in self.allowed_intents


class Dewar(_Model):
    id: str
    capacity_l: float = Field(100, gt=0)
    probe_cm: float = Field(100, gt=0, description="active length of the level probe")
    boiloff_pct_per_day: float = Field(1.0, ge=0, le=50)
    room: str = ""
    initial_level_pct: float = Field(60, ge=0, le=100)
    aliases: list[str] = []


class Vessel(_Model):
    id: str
    name: str = ""
    kind: str = "magnet"
    capacity_l: float = Field(150, gt=0)
    room: str = ""
    initial_level_pct: float = Field(40, ge=0, le=100)
    aliases: list[str] = []


class Lab(_Model):
    id: str
    name: str = ""
    aliases: list[str] = []


class TransferController(_Model):
    """The regulator and valves of a transfer bay: pressurise, transfer, stop."""

    id: str
    room: str
    rate_l_h: float = Field(130, gt=0, le=400, description="litres per hour drawn from supply")
    loss_fraction: float = Field(0.2, ge=0, lt=1, description="share boiling off to the bag")
    pressurise_s: float = Field(30, ge=0)
    min_supply_pct: float = Field(5, ge=0, le=100)


class GasBag(_Model):
    id: str = "bag1"
    room: str = ""
    volume_m3: float = Field(14, gt=0)
    initial_fill_pct: float = Field(20, ge=0, le=100)
    full_alarm_pct: float = Field(90, gt=0, le=100)


class Compressor(_Model):
    id: str = "compressor1"
    room: str = ""
    flow_m3_h: float = Field(14, gt=0)
    start_pct: float = Field(75, gt=0, le=100)
    stop_pct: float = Field(30, ge=0, lt=100)

    @model_validator(mode="after")
    def _hysteresis(self) -> Compressor:
        if self.stop_pct >= self.start_pct:
            raise ValueError("stop_pct must be below start_pct")
        return self


class Storage(_Model):
    id: str = "storage1"
    room: str = ""
    volume_m3: float = Field(0.4, gt=0, description="water volume of the pressure vessels")
    max_pressure_mpa: float = Field(14.7, gt=0)
    initial_pressure_mpa: float = Field(5.0, ge=0)
    high_alarm_mpa: float = Field(14.0, gt=0)


class OxygenMonitor(_Model):
    id: str
    room: str
    warn_pct: float = Field(19.5, gt=0, lt=21)
    alarm_pct: float = Field(18.0, gt=0, lt=21)


class Broker(_Model):
    """No host: wanwan starts and supervises a private mosquitto on a free local port, with a
    password for every device and an ACL made from this configuration (loopback only unless
    ``listen`` says otherwise). With a host: connect there, as ``username`` (default: the
    device's own name, its password derived from the site key), over TLS when ``tls``
    (``ca_file`` for the broker's certificate; ``cert_file`` and ``key_file`` for a client
    certificate)."""

    host: str | None = None
    port: int = Field(1883, gt=0, lt=65536)
    listen: str = "127.0.0.1"  # where a private broker listens
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    username: str | None = None
    password: str | None = None
    client_id: str = ""
    protocol: Literal["3.1.1", "5"] = "5"
    keepalive_s: int = Field(30, ge=5)


class Speech(_Model):
    """Speech in and out at the kiosks."""

    engine: Literal["auto", "whisper", "vosk", "pocketsphinx", "pocketsphinx-free"] = "auto"
    model: str | None = Field(None, description="model folder or name under models/")
    # null: no wake phrase; every utterance is meant for wanwan (push-to-talk, or an external
    # wake-word engine that opens the microphone)
    wake_phrase: str | None = "wan wan"
    end_silence_ms: int = Field(600, ge=100, le=5000)
    max_utterance_s: float = Field(10, gt=0, le=60)
    follow_up_s: float = Field(6, ge=0, le=60)
    # speech out: "auto" is Open JTalk for Japanese, the Piper voice when one is installed
    # for the language, else espeak-ng (through pyttsx3); "kokoro" a clearer Japanese voice.
    # "voice" is espeak-ng's voice name, or Kokoro's (jf_alpha, jf_gongitsune, jf_nezumi,
    # jf_tebukuro, jm_kumo)
    tts: Literal["auto", "piper", "espeak", "openjtalk", "kokoro"] = "auto"
    piper_model: str | None = Field(None, description="a Piper .onnx voice (its .onnx.json "
                                    "beside it); default: the bundled English voice")
    voice: str = "en-us"
    rate_wpm: int = Field(160, ge=60, le=400)
    # how this site's own names are said, on top of the language's lexicon: a respelling, or
    # {say: respelling, phonemes: espeak-ng phonemes}
    pronunciations: dict[str, str | dict[str, str]] = {}
    digits_after: list[str] = []  # identifiers after these words are read digit by digit
    input_device: str | int | None = None
    output_device: str | int | None = None


class Security(_Model):
    """The site key (it signs records and commands and derives every device's password) and
    who may only look."""

    key_file: str | None = None  # default: WANWAN_KEY, else beside the database
    viewers: list[str] = []  # read-only users of the broker (dashboards)
    apps: list[str] = []  # Hermes apps (Node-RED, Home Assistant): NLU queries and tts/say
    command_ahead_s: float = Field(30, gt=0, le=300, description="the furthest ahead a "
                                   "command's deadline may lie")


class Timeouts(_Model):
    confirm_s: float = Field(10, gt=0)
    answer_grace_s: float = Field(20, ge=0, le=120, description="how long past its deadline a "
                                  "read-back waits for an answer said in time that is still "
                                  "being recognised (a loaded machine)")
    ack_s: float = Field(3, gt=0)
    stop_ack_s: float = Field(0.8, gt=0, le=5, description="a stop is answered within about "
                              "this long, acknowledged or not; it is re-sent until acknowledged")
    alarm_repeat_s: float = Field(30, gt=0)
    same_question_s: float = Field(60, ge=0, le=600, description="how long after a question "
                                   "was answered \"and dewar four?\" asks it again of another "
                                   "dewar (questions only: nothing that acts)")
    instrument_stale_s: float = Field(120, gt=0)


class SiteConfig(_Model):
    name: str = "wanwan site"
    topic_prefix: str = "wanwan"
    language: str = "en"
    litres_to_m3: float = Field(0.7, gt=0, le=1, description="m3 of gas per litre of liquid")
    broker: Broker = Broker()
    timeouts: Timeouts = Timeouts()
    speech: Speech = Speech()
    security: Security = Security()
    rooms: list[Room] = []
    sites: list[Site] = []
    dewars: list[Dewar] = []
    vessels: list[Vessel] = []
    labs: list[Lab] = []
    transfer_controllers: list[TransferController] = []
    gas_bag: GasBag | None = None
    compressor: Compressor | None = None
    storage: Storage | None = None
    oxygen_monitors: list[OxygenMonitor] = []
    ledger_path: str | None = None
    outbox_keep_days: float = Field(7, ge=0, description="delivered messages are kept this "
                                    "long in the outbox, then removed (the records stay)")
    # where each top-level key came from (file, its loaded YAML), for errors found later
    _sources: dict[str, tuple[Path, LocDict]] = PrivateAttr(default_factory=dict)

    def where(self, *loc: str | int) -> str:
        """"config/site.yaml:31" for a setting, when it was loaded from a file."""
        if not loc or str(loc[0]) not in self._sources:
            return "the configuration"
        file, data = self._sources[str(loc[0])]
        return f"{file}:{_line_of(data, loc)}"

    def check_intents(self, known: set[str]) -> None:
        """Every intent a site policy names must exist: a typo must not lift a rule."""
        for n, site in enumerate(self.sites):
            for key in ("allowed_intents", "denied_intents"):
                names = getattr(site, key)
                for i, name in enumerate([] if names == "all" else names):
                    if name not in known:
                        close = difflib.get_close_matches(name, sorted(known), n=1)
                        hint = f" (did you mean {close[0]!r}?)" if close else ""
                        raise UserError(f"{self.where('sites', n, key, i)}: {key} of site "
                                        f"{site.id!r} names {name!r}, which is no intent"
                                        f"{hint}")

    @field_validator("topic_prefix")
    @classmethod
    def _topic(cls, v: str) -> str:
        if not v or any(c in v for c in "+#") or v.startswith("/") or v.endswith("/"):
            raise ValueError("must be a plain MQTT topic level without + # or edge slashes")
        return v

    @model_validator(mode="after")
    def _references(self) -> SiteConfig:
        rooms = {r.id for r in self.rooms}
        for group in ("dewars", "vessels", "labs", "sites", "rooms", "oxygen_monitors",
                      "transfer_controllers"):
            ids = [x.id for x in getattr(self, group)]
            dupes = {i for i in ids if ids.count(i) > 1}
            if dupes:
                raise ValueError(f"{group}: duplicate id {sorted(dupes)[0]!r}")
        for site in self.sites:
            if rooms and site.room not in rooms:
                raise ValueError(f"sites: {site.id!r} is in unknown room {site.room!r}")
        for group in ("oxygen_monitors", "transfer_controllers"):
            for item in getattr(self, group):
                if rooms and item.room not in rooms:
                    raise ValueError(f"{group}: {item.id!r} is in unknown room {item.room!r}")
        return self

    def site(self, site_id: str | None) -> Site:
        if site_id is None:
            if not self.sites:
                return Site(id="default", room=self.rooms[0].id if self.rooms else "default")
            return self.sites[0]
        for site in self.sites:
            if site.id == site_id:
                return site
        known = ", ".join(s.id for s in self.sites) or "none"
        raise UserError(f"unknown site {site_id!r} (configured: {known})")

    def dewar(self, dewar_id: str) -> Dewar | None:
        return next((d for d in self.dewars if d.id == dewar_id), None)

    def vessel(self, vessel_id: str) -> Vessel | None:
        return next((v for v in self.vessels if v.id == vessel_id), None)

    def lab(self, lab_id: str) -> Lab | None:
        return next((x for x in self.labs if x.id == lab_id), None)

    def room(self, room_id: str) -> Room | None:
        return next((r for r in self.rooms if r.id == room_id), None)

    def oxygen_monitor(self, monitor_id: str) -> OxygenMonitor | None:
        return next((m for m in self.oxygen_monitors if m.id == monitor_id), None)

    def transfer_controller(self, room: str) -> TransferController | None:
        """The controller of a room, else the only one of the site."""
        found = next((t for t in self.transfer_controllers if t.room == room), None)
        if found is None and len(self.transfer_controllers) == 1:
            found = self.transfer_controllers[0]
        return found

    def sites_in_room(self, room: str) -> list[Site]:
        return [s for s in self.sites if s.room == room]

    def slot_lists(self) -> dict[str, list[ListValue]]:
        """The site's names as intent slot lists: what people say for each id."""
        lists: dict[str, list[ListValue]] = {}
        if self.dewars:
            lists["dewar"] = [ListValue(_alternatives(_id_forms(d.id) + d.aliases), d.id)
                              for d in self.dewars]
        if self.vessels:
            lists["vessel"] = [ListValue(_alternatives([v.id, v.name, *v.aliases]), v.id)
                               for v in self.vessels]
        if self.labs:
            lists["lab"] = [ListValue(_alternatives([lab.id, lab.name, *lab.aliases]), lab.id)
                            for lab in self.labs]
        if self.rooms:
            lists["room"] = [ListValue(_alternatives([r.id, r.name, *r.aliases]), r.id)
                             for r in self.rooms]
        return lists


def _id_forms(ident: str) -> list[str]:
    """Ways to say an id: "12" -> "12", "one two"; "D12" -> "d 12", "12"."""
    forms = [ident]
    digits = re.sub(r"\D", "", ident)
    if digits and digits != ident:
        forms.append(digits)
    if len(digits) > 1:
        forms.append(" ".join(digits))
    return forms


def _alternatives(forms: list[str]) -> str:
    cleaned = []
    for form in forms:
        form = re.sub(r"[()\[\]|{}<>;]", " ", form.replace("_", " ")).strip()
        if form and form not in cleaned:
            cleaned.append(form)
    return "(" + "|".join(cleaned) + ")"


def default_config_path() -> Path:
    """``WANWAN_CONFIG``, else the user's config folder if it exists, else the example site
    that ships with wanwan (the checkout's ``config/``)."""
    env = os.environ.get("WANWAN_CONFIG")
    if env:
        return Path(env)
    user = Path(user_config_dir("wanwan"))
    return user if user.exists() else example_config()


def _read_yaml(path: Path) -> LocDict:
    """One file, with the line of every key; a key given twice is an error with its line."""
    try:
        data = load_yaml(path)
    except YamlError as exc:
        raise UserError(str(exc)) from None
    if data is None:
        return LocDict()
    if not isinstance(data, LocDict):
        raise UserError(f"{path}:1: the top level must be a mapping of keys")
    return data


def _line_of(data: object, loc: tuple) -> int:
    """The line of the deepest key of ``loc`` found in the loaded YAML."""
    line = getattr(data, "line", 1)
    for part in loc:
        in_list = isinstance(data, LocList) and isinstance(part, int) and part < len(data)
        if (isinstance(data, LocDict) and part in data) or in_list:
            line, data = data.line_of(part), data[part]
        else:
            break
    return line


def load_config(path: Path | str | None = None) -> SiteConfig:
    """Load a file, or every ``*.yaml`` of a folder merged by top-level key. Every error names
    the file and line: a key given twice, a key no setting has, a value of the wrong type."""
    path = Path(path) if path is not None else default_config_path()
    if not path.exists():
        raise UserError(f"{path}: configuration not found")
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    merged: dict = {}
    origin: dict[str, tuple[Path, LocDict]] = {}
    for file in files:
        data = _read_yaml(file)
        for key, value in data.items():
            if key in merged:
                raise UserError(f"{file}:{data.line_of(key)}: key {key!r} is also set in "
                                f"{origin[key][0]}")
            merged[key] = value
            origin[key] = (file, data)
    try:
        config = SiteConfig.model_validate(merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        top = str(err["loc"][0]) if err["loc"] else ""
        file, data = origin.get(top, (files[0] if files else path, LocDict()))
        where = f"{loc}: " if loc else ""
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        line = f":{_line_of(data, err['loc'])}" if err["loc"] else ""
        raise UserError(f"{file}{line}: {where}{err['msg']}{more}") from None
    config._sources = {top: (file, data) for top, (file, data) in origin.items()}
    return config
