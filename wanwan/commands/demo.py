"""``wanwan demo``: the whole system on a fresh machine, with nothing to set up.

A private mosquitto and the simulated lab start; a realistic session is spoken by espeak-ng
voices into two kiosks (a transfer bay and the recovery room), 100 ms at a time as a microphone
delivers it: endpointer, recogniser, wake phrase, turn-taking, the dialogue policy, MQTT
commands and acknowledgements, and every reply synthesised to a WAV file. An oxygen alarm
arrives unprompted. In part two the bay and the kiosk are satellites of the same server, as
in a real deployment: each streams what it hears over the broker (Hermes audioFrame), both
speak at once, and each plays its own answer (playBytes). The conversation is printed with
per-stage timings; the exit code is 0 only if every step did what it should.
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wanwan.asr.base import Recognizer
from wanwan.asr.factory import make_recognizer
from wanwan.assistant import Assistant
from wanwan.audio.devices import FilePlayer
from wanwan.audio.io import load_audio
from wanwan.audio.vad import chunks
from wanwan.bus.client import BrokerAddress
from wanwan.bus.messages import TransferState
from wanwan.commands.options import add_common, add_speech, speech_choice
from wanwan.config import load_config
from wanwan.engine import load_engine
from wanwan.hub import SatelliteHub
from wanwan.kiosk import Kiosk
from wanwan.names import Decision, ReplyKind
from wanwan.satellite import Satellite
from wanwan.security import site_user, with_credentials
from wanwan.tts import OpenJTalkSynthesizer, Speaker, site_synthesizer
from wanwan.voice import VoicePipeline

BAY, KIOSK = "bay-1", "kiosk-recovery"
# how long a step may take before it counts as failed: long, as a busy 2-core machine
# recognising two satellites' Japanese at once needs (the times taken are printed anyway)
REPLY_WAIT_S = 120


@dataclass
class Step:
    site: str
    say: str
    intent: str | None
    decision: Decision
    voice: str = ""  # the session's first voice when empty
    before: str = ""  # something to do first: "wait_transfer", "oxygen_drop"
    result: dict = field(default_factory=dict)


def speak_espeak(text: str, voice: str, path: Path) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice or "en-us", "-s", "150", "-w", str(path), text],
                   check=True, capture_output=True)
    return load_audio(path).samples


@functools.cache
def _open_jtalk(rate_wpm: int) -> OpenJTalkSynthesizer:
    return OpenJTalkSynthesizer(rate_wpm=rate_wpm)


def speak_openjtalk(text: str, voice: str, path: Path) -> np.ndarray:
    """Open JTalk's one voice at the pace a voice name asks for ("fast": 20 % faster)."""
    _open_jtalk(192 if voice == "fast" else 160).to_file(text, path)
    return load_audio(path).samples


@dataclass
class Session:
    """One language's demo: what is said where, by which voice, and what must come of it."""

    wake_phrase: str
    steps: list[Step]
    satellite_steps: list[tuple[str, str, str, str]]  # site, said, voice, part of the reply
    speak: Callable[[str, str, Path], np.ndarray]


SESSIONS = {
    "en": Session("wan wan", [
        Step(BAY, "wan wan, what's the level in dewar twelve", "read_level", Decision.DONE),
        Step(BAY, "wan wan, log fifty litres to tanaka lab", "log_volume", Decision.DONE, "en-gb"),
        Step(BAY, "wan wan, start the transfer from dewar seven into the NMR six hundred",
             "start_transfer", Decision.READBACK),
        Step(BAY, "confirm", "start_transfer", Decision.CONFIRMED, "en-us+m3"),
        Step(BAY, "wan wan, how is the transfer going", "transfer_status", Decision.DONE, "en-gb",
             before="wait_transfer"),
        Step(BAY, "stop", "stop", Decision.STOPPED_TRANSFER, "en-us+m3"),
        Step(KIOSK, "wan wan", None, Decision.LISTENING, "en-us+f3"),
        Step(KIOSK, "how much liquid helium do we have", "stock_query", Decision.DONE, "en-us+f3"),
        Step(KIOSK, "wan wan, we heard the alarm", "acknowledge_alarm", Decision.ACKNOWLEDGED,
             "en-us", before="oxygen_drop"),
    ], [
        (BAY, "wan wan, what's the level in dewar seven", "en-gb", "Dewar 7 is at"),
        (KIOSK, "wan wan, how much liquid helium do we have", "en-us+f3",
         "litres of liquid helium"),
    ], speak_espeak),
    # Open JTalk has one voice: the technicians differ in pace
    "ja": Session("ワンワン", [
        Step(BAY, "ワンワン、デュワー12の液面は？", "read_level", Decision.DONE),
        Step(BAY, "ワンワン、田中研に50リットル記録して", "log_volume", Decision.DONE, "fast"),
        Step(BAY, "ワンワン、デュワー7からNMRに移送開始", "start_transfer", Decision.READBACK),
        # at the normal pace: said 20 % faster, Whisper base writes it 「田中人」 in some runs,
        # which is rightly not taken for a yes (a short sentence that acts must sound alike)
        Step(BAY, "確認", "start_transfer", Decision.CONFIRMED),
        Step(BAY, "ワンワン、汲み出しの状況は？", "transfer_status", Decision.DONE,
             before="wait_transfer"),
        Step(BAY, "止めて", "stop", Decision.STOPPED_TRANSFER, "fast"),
        Step(KIOSK, "ワンワン", None, Decision.LISTENING),
        Step(KIOSK, "液体ヘリウムはどれくらいある？", "stock_query", Decision.DONE),
        Step(KIOSK, "ワンワン、警報確認", "acknowledge_alarm", Decision.ACKNOWLEDGED, "fast",
             before="oxygen_drop"),
    ], [
        (BAY, "ワンワン、デュワー7の液面は？", "fast", "デュワー7"),
        (KIOSK, "ワンワン、液体ヘリウムはどれくらいある？", "", "液体ヘリウム"),
    ], speak_openjtalk),
}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="zero-set-up spoken session: private broker, simulated "
                       "lab, speech in, replies to WAV files; exit 0 when every step worked")
    add_common(p)
    p.add_argument("--out", default=None, help="folder for the WAV files (default: a new "
                   "temporary folder)")
    p.add_argument("--language", choices=sorted(SESSIONS), default="en",
                   help="the language spoken and answered (default en)")
    add_speech(p)
    p.set_defaults(run=run, quiet=True)


def column(text: str, width: int) -> str:
    """``text`` cut or padded to ``width`` terminal cells: kanji and kana take two."""
    out, used = "", 0
    for char in text:
        cells = 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used + cells > width:
            break
        out, used = out + char, used + cells
    return out + " " * (width - used)


def _transfer(assistant: Assistant, site: str) -> TransferState | None:
    tc = assistant.config.transfer_controller(assistant.config.site(site).room)
    state = assistant.instruments.reading("transfer", tc.id).state if tc else None
    return state if isinstance(state, TransferState) else None


def _wait(predicate: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def run_session(assistant: Assistant, recognizer: Recognizer, out_dir: Path, session: Session,
                log: Callable[[str], None] = print, *, finish: bool = True) -> bool:
    """Speak the session into one kiosk per site; True when every step did what it should."""
    speech = assistant.config.speech
    out_dir.mkdir(parents=True, exist_ok=True)
    pipeline = VoicePipeline.for_speech(assistant.engine, recognizer, speech)
    synth = site_synthesizer(assistant.config)
    kiosks = {site: Kiosk(assistant, pipeline, Speaker(synth, out_dir=out_dir / site), site)
              for site in (BAY, KIOSK)}
    ok_all = True
    log(f"engine: {recognizer.name}; replies are written to {out_dir}/SITE/")
    log(f"{'site':15} {'heard':48} {'intent':18} {'decision':17} "
        f"{'asr':>6} {'nlu':>5} {'act':>6} {'tts':>6}  reply")
    silence = np.zeros(16000 // 2, dtype=np.int16)
    try:
        for n, step in enumerate(session.steps, 1):
            kiosk = kiosks[step.site]
            if step.before == "wait_transfer":
                _wait(lambda site=step.site: (t := _transfer(assistant, site)) is not None
                      and t.state == "transferring" and t.moved_l > 1, 10)
            if step.before == "oxygen_drop":
                ok_all &= _oxygen_alarm(assistant, kiosk, log)
            heard_audio = session.speak(step.say, step.voice, out_dir / f"heard-{n:02d}.wav")
            said = []
            for chunk in chunks(np.concatenate([silence, heard_audio, silence, silence]), 1600):
                said += kiosk.feed(chunk)
            said += kiosk.flush()
            if len(said) == 2 and said[0].listening and step.intent is not None:
                # a breath after the wake phrase: it was answered, the command followed
                said = said[1:]
            if len(said) != 1:
                ok_all = False
                log(f"{step.site:15} {step.say!r}: FAILED, endpointer found {len(said)} "
                    "utterances")
                continue
            one = said[0]
            heard = one.heard
            if one.future is not None:  # the turn runs on the site's lane; then it speaks
                one.future.result(60)
            kiosk.speaker.wait_idle(30)
            tts_ms = kiosk.speaker.last_ms
            if not one.addressed:
                ok_all = False
                log(f"{step.site:15} {heard.transcript.text!r}: ignored ({one.why})  <-- FAILED")
                continue
            if one.turn is None:
                intent, decision, act = None, Decision.LISTENING, ""
            else:
                intent, decision = one.turn.intent, one.turn.decision
                act = f"{one.turn.elapsed_ms:5.0f}ms"
            acks = one.turn is None or all(c.ok for c in one.turn.commands)
            good = intent == step.intent and decision == step.decision and acks
            ok_all &= good
            log(f"{step.site:15} {column(heard.transcript.text, 48)} {intent!s:18} {decision:17} "
                f"{heard.timings_ms['asr']:5.0f}ms {heard.timings_ms['nlu']:4.0f}ms {act:>6} "
                f"{tts_ms:5.0f}ms  {one.reply}{'' if good else '  <-- FAILED'}")
            step.result = {"heard": heard.transcript.text, "why": one.why, "intent": intent,
                           "decision": decision, "reply": one.reply}
    finally:
        for kiosk in kiosks.values():
            kiosk.close()
            kiosk.speaker.close()
    wavs = sorted(out_dir.glob("*/reply-*.wav"))
    log(f"{len(wavs)} spoken replies in {out_dir}/ "
        f"({sum(load_audio(w).duration for w in wavs):.0f} s of speech)")
    if finish:
        log("demo: every step did what it should" if ok_all else "demo: SOME STEPS FAILED")
    return ok_all


def _oxygen_alarm(assistant: Assistant, kiosk: Kiosk, log: Callable[[str], None]) -> bool:
    """The simulator's oxygen falls in the kiosk's room: the alarm must be spoken there."""
    assert assistant.sim is not None
    assistant.sim.inject("oxygen_drop", assistant.config.site(kiosk.site).room, value=17.4)
    if not _wait(lambda: assistant.replies_for(kiosk.site, ReplyKind.ALARM), REPLY_WAIT_S):
        log(f"{kiosk.site:15} FAILED: no oxygen alarm was announced")
        return False
    kiosk.speaker.wait_idle(30)
    alarm = assistant.replies_for(kiosk.site, ReplyKind.ALARM)[0]
    log(f"{kiosk.site:15} {'(unprompted alarm)':48} {'-':18} {'announced':17} "
        f"{'':>6} {'':>5} {'':>6} {kiosk.speaker.last_ms:5.0f}ms  {alarm.text}")
    return True


def run_satellites(assistant: Assistant, recognizer: Recognizer, out_dir: Path,
                   session: Session, log: Callable[[str], None] = print) -> bool:
    """Part two: a bay and a kiosk as satellites of this server, over its broker, speaking at
    the same moment; each must hear its own answer, written by the satellite as speech."""
    hub = SatelliteHub(assistant, lambda: recognizer,
                       site_synthesizer(assistant.config))
    base = assistant.address
    satellites = {site: Satellite(with_credentials(
        BrokerAddress(host=base.host, port=base.port, protocol=base.protocol), assistant.key,
        site_user(site)), site, FilePlayer(out_dir / "satellites" / site),
        topics=assistant.topics).start() for site, *_ in session.satellite_steps}
    log("")
    log("part two: a bay and a kiosk as satellites of one server, speaking at once "
        "(Hermes audioFrame in, playBytes out)")
    ok_all = True
    try:
        if not _wait(lambda: all(hub.serves(site) for site in satellites), REPLY_WAIT_S):
            log("FAILED: the satellites were not taken on by the server "
                f"within {REPLY_WAIT_S} s")
            return False
        audio = {site: session.speak(text, voice, out_dir / f"satellite-{site}.wav")
                 for site, text, voice, _ in session.satellite_steps}
        silence = np.zeros(16000, dtype=np.int16)
        ended: dict[str, float] = {}

        def speak(site: str) -> None:
            for chunk in chunks(np.concatenate([silence, audio[site], silence]), 1600):
                satellites[site].feed(chunk)
            ended[site] = time.monotonic()

        talkers = [threading.Thread(target=speak, args=(site,)) for site in satellites]
        for talker in talkers:
            talker.start()
        for talker in talkers:
            talker.join()
        for site, text, _, expected in session.satellite_steps:
            satellite = satellites[site]
            got = _wait(lambda s=satellite, e=expected: any(e in r.text for r in s.replies),
                        REPLY_WAIT_S)
            reply = next((r for r in satellite.replies if expected in r.text), None)
            others = [r.text for r in satellite.replies if r.site != site]
            good = got and reply is not None and not others
            ok_all &= good
            after = (reply.ts - time.time() + time.monotonic() - ended[site]) * 1000 \
                if reply is not None else float("nan")
            log(f"{site:15} {column(text, 48)} reply {after:5.0f}ms after the audio  "
                f"{reply.text if reply else '(none)'}{'' if good else '  <-- FAILED'}")
        ok_all &= _wait(lambda: all(s.lines_played >= 1 for s in satellites.values()),
                        REPLY_WAIT_S)
        files = sorted((out_dir / "satellites").glob("*/reply-*.wav"))
        log(f"{len(files)} replies played by the satellites, in {out_dir}/satellites/SITE/")
    finally:
        for satellite in satellites.values():
            satellite.close()
        hub.close()
    return ok_all


def run(args: argparse.Namespace) -> int:
    session = SESSIONS[args.language]
    config = load_config(args.config)
    config = config.model_copy(update={
        "broker": config.broker.model_copy(update={"host": None}),  # its own broker and lab
        "language": args.language,
        "speech": config.speech.model_copy(update={"wake_phrase": session.wake_phrase})})
    engine = load_engine(None, config)
    started = time.perf_counter()
    name, model = speech_choice(args, config)
    recognizer = make_recognizer(name, engine, model=model, wake=config.speech.wake_phrase,
                                 max_speech_s=config.speech.max_utterance_s)
    out_dir = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="wanwan-demo-"))
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(config, engine, simulate=True, speed=60.0,
                              store_path=Path(tmp) / "demo.sqlite3")
        try:
            assistant.wait_ready(10)
            print(f"set-up: private mosquitto on port {assistant.address.port}, simulated lab, "
                  f"{recognizer.name} loaded in {time.perf_counter() - started:.1f} s")
            ok = run_session(assistant, recognizer, out_dir, session, finish=False)
            ok = run_satellites(assistant, recognizer, out_dir, session) and ok
            print("demo: every step did what it should" if ok else "demo: SOME STEPS FAILED")
        finally:
            assistant.close()
    return 0 if ok else 1
