"""``wanwan demo``: the whole system on a fresh machine, with nothing to set up.

A private mosquitto and the simulated lab start; a realistic session is spoken by espeak-ng
voices; each utterance goes through the microphone path's code (100 ms chunks into the
endpointer, the wake phrase, the recogniser, the intent engine), then the dialogue policy, MQTT
commands and acknowledgements, and replies synthesised to WAV files. An oxygen alarm arrives
unprompted. The conversation is printed with per-stage timings; the exit code is 0 only if
every step did what it should.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wanwan.audio.io import load_audio
from wanwan.audio.vad import chunks
from wanwan.voice import LiveHearing, TurnTaking, VoicePipeline


@dataclass
class Step:
    site: str
    say: str
    intent: str | None
    decision: str
    voice: str = "en-us"
    before: str = ""  # something to do first: "wait_transfer", "oxygen_drop"
    result: dict = field(default_factory=dict)


SESSION = [
    Step("bay-1", "wan wan, what's the level in dewar twelve", "read_level", "done"),
    Step("bay-1", "wan wan, log fifty litres to tanaka lab", "log_volume", "done", "en-gb"),
    Step("bay-1", "wan wan, start the transfer from dewar seven into the NMR six hundred",
         "start_transfer", "readback"),
    Step("bay-1", "confirm", "start_transfer", "confirmed", "en-us+m3"),
    Step("bay-1", "wan wan, how is the transfer going", "transfer_status", "done", "en-gb",
         before="wait_transfer"),
    Step("bay-1", "stop", "stop", "stopped_transfer", "en-us+m3"),
    Step("kiosk-recovery", "wan wan", None, "listening", "en-us+f3"),
    Step("kiosk-recovery", "how much liquid helium do we have", "stock_query", "done",
         "en-us+f3"),
    Step("kiosk-recovery", "wan wan, we heard the alarm", "acknowledge_alarm",
         "acknowledged", "en-us", before="oxygen_drop"),
]


def synthesise(text: str, voice: str, path: Path, rate: int = 150) -> np.ndarray:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(path), text],
                   check=True, capture_output=True)
    return load_audio(path).samples


def run_demo(assistant, engine, recognizer, out_dir: Path, log=print) -> bool:
    from wanwan.audio.vad import EndpointerSettings
    from wanwan.tts import Speaker, Synthesizer, Voice

    speech = assistant.config.speech
    out_dir.mkdir(parents=True, exist_ok=True)
    speaker = Speaker(Synthesizer(Voice(speech.voice, speech.rate_wpm)), out_dir=out_dir)
    pipeline = VoicePipeline(engine, recognizer, wake=speech.wake_phrase,
                             endpointing=EndpointerSettings(
                                 end_silence_ms=speech.end_silence_ms,
                                 max_utterance_s=speech.max_utterance_s))
    turns = TurnTaking(speech.follow_up_s)
    replies_seen = {site: 0 for site in ("bay-1", "kiosk-recovery")}
    ok_all = True
    log(f"engine: {recognizer.name}; replies are written to {out_dir}/")
    log(f"{'site':15} {'heard':48} {'intent':18} {'decision':17} "
        f"{'asr':>6} {'nlu':>5} {'act':>6} {'tts':>6}  reply")
    silence = np.zeros(16000 // 2, dtype=np.int16)
    for n, step in enumerate(SESSION, 1):
        if step.before == "wait_transfer":
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                state = assistant.instruments.reading("transfer", "tc1").state
                if state is not None and state.state == "transferring" and state.moved_l > 1:
                    break
                time.sleep(0.05)
        if step.before == "oxygen_drop":
            assistant.sim.inject("oxygen_drop", "recovery", value=17.4)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not assistant.replies_for(step.site, "alarm"):
                time.sleep(0.02)
            alarm = assistant.replies_for(step.site, "alarm")
            if alarm:
                t0 = time.perf_counter()
                speaker.say(alarm[0].text)
                speaker.wait_idle(30)
                log(f"{step.site:15} {'(unprompted alarm)':48} {'-':18} {'announced':17} "
                    f"{'':>6} {'':>5} {'':>6} {(time.perf_counter() - t0) * 1000:5.0f}ms  "
                    f"{alarm[0].text}")
            else:
                ok_all = False
                log(f"{step.site:15} FAILED: no oxygen alarm was announced")
        heard_audio = synthesise(step.say, step.voice, out_dir / f"heard-{n:02d}.wav")
        stream = np.concatenate([silence, heard_audio, silence, silence])
        with LiveHearing(pipeline) as hearing:
            heards = [h for c in chunks(stream, 1600) for h in hearing.feed(c)]
            heards += hearing.flush()
        if len(heards) != 1:
            ok_all = False
            log(f"{step.site:15} {step.say!r}: FAILED, endpointer found {len(heards)} "
                "utterances")
            continue
        heard = heards[0]
        state = assistant.dialogue.site_state(step.site)
        transfer = assistant.instruments.reading("transfer", "tc1").state
        running = transfer is not None and transfer.state in ("pressurising", "transferring")
        addressed, why = turns.addressed(heard, step.site, pending=state.pending is not None,
                                         transfer_running=running, speaking=False)
        if not addressed:
            ok_all = False
            log(f"{step.site:15} {heard.transcript.text!r}: ignored ({why})")
            continue
        if heard.bare_wake:  # the command follows in the next breath, without the wake phrase
            t0 = time.perf_counter()
            speaker.say("Yes?")
            speaker.wait_idle(30)
            turns.replied(step.site)
            good = step.intent is None and step.decision == "listening"
            ok_all &= good
            log(f"{step.site:15} {heard.transcript.text[:48]:48} {'-':18} {'listening':17} "
                f"{heard.timings_ms['asr']:5.0f}ms {heard.timings_ms['nlu']:4.0f}ms {'':>6} "
                f"{(time.perf_counter() - t0) * 1000:5.0f}ms  Yes?{'' if good else '  <-- FAILED'}")
            step.result = {"heard": heard.transcript.text, "why": why, "intent": None,
                           "decision": "listening", "reply": "Yes?"}
            continue
        turn = assistant.ask(heard.command, step.site)
        t0 = time.perf_counter()
        speaker.say(turn.reply)
        speaker.wait_idle(30)
        tts_ms = (time.perf_counter() - t0) * 1000
        turns.replied(step.site)
        replies_seen[step.site] = len(assistant.replies_for(step.site))
        good = turn.intent == step.intent and turn.decision == step.decision
        acks = all(c.ok for c in turn.commands)
        ok_all &= good and acks
        mark = "" if good and acks else "  <-- FAILED"
        log(f"{step.site:15} {heard.transcript.text[:48]:48} {turn.intent!s:18} "
            f"{turn.decision:17} {heard.timings_ms['asr']:5.0f}ms {heard.timings_ms['nlu']:4.0f}ms"
            f" {turn.elapsed_ms:5.0f}ms {tts_ms:5.0f}ms  {turn.reply}{mark}")
        step.result = {"heard": heard.transcript.text, "why": why, "intent": turn.intent,
                       "decision": turn.decision, "reply": turn.reply}
    speaker.close()
    wavs = sorted(out_dir.glob("reply-*.wav"))
    log(f"{len(wavs)} spoken replies in {out_dir}/ "
        f"({sum(load_audio(w).duration for w in wavs):.0f} s of speech)")
    log("demo: every step did what it should" if ok_all else "demo: SOME STEPS FAILED")
    return ok_all


def main(args) -> int:
    from wanwan.asr.factory import make_recognizer
    from wanwan.assistant import Assistant
    from wanwan.commands.parse import load_engine
    from wanwan.config import load_config

    config = load_config(args.config)
    config = config.model_copy(update={"broker": config.broker.model_copy(
        update={"host": None})})  # the demo always brings its own broker and lab
    engine = load_engine(None, args.config)
    started = time.perf_counter()
    recognizer = make_recognizer(args.engine, engine, model=args.model,
                                 wake=config.speech.wake_phrase,
                                 max_speech_s=config.speech.max_utterance_s)
    out_dir = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="wanwan-demo-"))
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(config, engine, simulate=True, speed=60.0,
                              store_path=Path(tmp) / "demo.sqlite3")
        try:
            assistant.wait_ready(10)
            print(f"set-up: private mosquitto on port {assistant.address.port}, simulated lab, "
                  f"{recognizer.name} loaded in {time.perf_counter() - started:.1f} s")
            ok = run_demo(assistant, engine, recognizer, out_dir)
        finally:
            assistant.close()
    return 0 if ok else 1
