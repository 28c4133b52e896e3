#!/usr/bin/env python3
"""End of speech to the intent on MQTT: the microphone path in real time, engines side by side.

    WANWAN_EXTRAS=test bash scripts/bootstrap.sh && .venv/bin/python scripts/bench_latency.py

Commands from the catalogue, said after the wake phrase by espeak-ng voices (clean, or with
``--snr`` in ../shared/noise's pink noise throughout, silences included), are fed in 32 ms
blocks at the pace a microphone delivers them (a block is fed no earlier than the moment its
last sample would have been captured) through ``LiveHearing``: endpointer, recogniser, wake
phrase, intent engine. Each turn then goes through the dialogue policy and the simulated lab
(a private mosquitto), and the assistant publishes it on ``{prefix}/site/{site}/intent``; a
subscriber on its own connection timestamps each message's arrival.

Measured per engine in three ways: recognition started at the first pause and the turn ended
there when the sentence is complete (endpointing by meaning, the default); started at the first
pause but always waiting out ``end_silence_ms``; and only at the declared end:
- end of speech to MQTT: from the moment the endpointer could declare the end (the block that
  completes ``end_silence_ms`` of silence was captured) to the intent message's arrival;
- from the last sound: the same, from the end of the spoken audio (what the speaker lives
  through), for every command and for the closed ones ("stop", "confirm", "what's the level in
  dewar twelve": ``ParseResult.closed``) apart;
- from the last sound to the first sample of the spoken reply (the site's default voice
  synthesising the reply's first sentence, as the kiosk's speaker does);
- the recogniser's own time per utterance, and how often the early guess was used.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from wanwan.audio.vad import EndpointerSettings  # noqa: E402

SHARED = ROOT.parent / "shared"
VOICES = ["en-us", "en-gb", "en-us+f3", "en-us+m3"]
WAKE = "wan wan, "
SHORT_ANSWERS = ("confirm", "cancel", "stop")
BLOCK = 512  # 32 ms, as the kiosk reads its microphone (wanwan.audio.devices.BLOCK)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] if ordered else 0.0


def build_clips(n: int, seed: int, snr_db: float | None) -> list[dict]:
    """n commands, spoken, each with 0.5 s of silence before and 1.2 s after."""
    from wanwan import load_engine
    from wanwan.audio.io import load_audio
    from wanwan.progress import Progress

    rng = random.Random(seed)
    catalog_engine = load_engine(None, None)
    catalog = catalog_engine.catalog
    cases = [t for i in catalog.intents.values() for t in i.tests]
    rng.shuffle(cases)
    # the short answers of a turn ("stop", "confirm") are a fair share of what is said
    short = [c for c in cases if c.intent in SHORT_ANSWERS]
    # (before session 20 they were shuffled back among the rest: 1 in 40)
    cases = short[:n // 5] + [c for c in cases if c not in short][:n - len(short[:n // 5])]
    rng.shuffle(cases)
    noise = None
    if snr_db is not None and (SHARED / "noise" / "pink_noise.wav").exists():
        noise = load_audio(SHARED / "noise" / "pink_noise.wav").samples.astype(np.float32)
    clips = []
    with tempfile.TemporaryDirectory() as tmp, Progress(n, "synthesising") as bar:
        for k, case in enumerate(cases[:n]):
            wav = Path(tmp) / f"{k}.wav"
            subprocess.run(["espeak-ng", "-v", VOICES[k % len(VOICES)], "-s", "160", "-w",
                            str(wav), WAKE + case.text], check=True, capture_output=True)
            speech = load_audio(wav).samples
            loud = np.flatnonzero(np.abs(speech) > 300)
            speech = speech[loud[0]:loud[-1] + 1]
            stream = np.concatenate([np.zeros(8000), speech, np.zeros(19200)]).astype(np.float32)
            snr = snr_db if noise is not None else None  # a noisy room is noisy throughout
            if snr is not None:
                start = rng.randrange(len(noise) - len(stream))
                segment = noise[start:start + len(stream)]
                gain = np.sqrt(np.mean(speech.astype(np.float32) ** 2)
                               / (np.mean(segment ** 2) * 10 ** (snr / 10)))
                stream = stream + segment * gain
            clips.append({"samples": np.clip(stream, -32768, 32767).astype(np.int16),
                          "speech_end": 8000 + len(speech), "text": case.text, "snr": snr,
                          "intent": case.intent, "slots": case.slots,
                          "closed": catalog_engine.parse(case.text).closed})
            bar.update()
    return clips


def run(engine_name: str, mode: str, clips: list[dict], pause_ms: int, ahead: bool,
        short_pause_ms: int = EndpointerSettings.short_pause_ms) -> dict:
    """``mode``: "meaning" (guess at the first pause, end there when complete), "pause" (guess
    at the first pause, always wait the full silence), "end" (recognise at the end only);
    ``pause_ms``: the pause at which the guess is made (``short_pause_ms`` after a short
    utterance; 0: never sooner); ``ahead``: the voice has made the fixed lines ahead, as a
    kiosk's does."""
    import paho.mqtt.client as mqtt

    from wanwan import load_engine
    from wanwan.asr.factory import make_recognizer
    from wanwan.assistant import Assistant
    from wanwan.audio.vad import chunks
    from wanwan.config import load_config
    from wanwan.messages import messages
    from wanwan.progress import Progress
    from wanwan.tts import site_synthesizer
    from wanwan.voice import LiveHearing, VoicePipeline

    config = load_config(ROOT / "config")
    voice = site_synthesizer(config)
    voice.synthesize("Ready.")  # loaded and warm, as a running kiosk's is
    if ahead:
        voice.prepare(messages(config.language).fixed_sentences())  # as a kiosk does
    engine = load_engine(None, None)
    recognizer = make_recognizer(engine_name, engine, wake=config.speech.wake_phrase)
    pipeline = VoicePipeline(engine, recognizer, wake=config.speech.wake_phrase,
                             endpointing=EndpointerSettings(
                                 end_silence_ms=config.speech.end_silence_ms,
                                 pause_ms=pause_ms, short_pause_ms=short_pause_ms))
    site = "bay-1"
    arrivals: queue.Queue[tuple[float, dict]] = queue.Queue()
    end_to_mqtt, from_sound, asr_ms, misses = [], [], [], 0
    closed_sound, to_audio, closed_audio, early = [], [], [], 0
    short_audio: list[float] = []  # stop, confirm, cancel: the answers that cannot wait
    wrong: list[str] = []  # what was heard where the intent was wrong or missing
    rows: list[dict] = []  # each turn, for --rows: what set the slow ones
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(config, engine, simulate=True, speed=1.0,
                              store_path=Path(tmp) / "bench.sqlite3")
        listener = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-latency")
        listener.on_message = lambda _c, _u, m: arrivals.put(
            (time.perf_counter(), json.loads(m.payload)))
        try:
            assistant.wait_ready(10)
            # the private broker admits only known devices: listen as the assistant does
            listener.username_pw_set(assistant.address.username, assistant.address.password)
            listener.connect("127.0.0.1", assistant.address.port)
            listener.subscribe(f"{config.topic_prefix}/site/{site}/intent", qos=1)
            listener.loop_start()
            time.sleep(0.3)
            label = f"{engine_name} {mode} {pause_ms}/{short_pause_ms}{' ahead' if ahead else ''}"
            speculate = mode != "end"
            with LiveHearing(pipeline, speculate=speculate, by_meaning=mode == "meaning"
                             ) as hearing, \
                    Progress(len(clips), f"{label:>22}") as bar:
                for clip in clips:
                    assistant.dialogue.site_state(site).pending = None  # one turn at a time
                    started = time.perf_counter()
                    heard_texts: list[str] = []
                    for k, block in enumerate(chunks(clip["samples"], BLOCK)):
                        captured = started + (k * BLOCK + len(block)) / 16000
                        time.sleep(max(0.0, captured - time.perf_counter()))
                        for heard in hearing.feed(block):
                            heard_texts.append(heard.transcript.text)
                            asked = time.perf_counter()
                            turn = assistant.ask(heard.command, site, parse=heard.parse)
                            answered = time.perf_counter()
                            voice.synthesize(voice.split(turn.reply)[0])
                            first_audio = time.perf_counter()
                            arrived, message = arrivals.get(timeout=10)
                            last_sound = started + clip["speech_end"] / 16000
                            end_to_mqtt.append((arrived - captured) * 1000)
                            from_sound.append((arrived - last_sound) * 1000)
                            to_audio.append((first_audio - last_sound) * 1000)
                            if clip["closed"]:
                                closed_sound.append(from_sound[-1])
                                closed_audio.append(to_audio[-1])
                            if clip["intent"] in SHORT_ANSWERS:
                                short_audio.append(to_audio[-1])
                            ended_early = "early" in heard.timings_ms
                            early += ended_early
                            asr_ms.append(heard.timings_ms["asr"])
                            notes = heard.transcript.notes or {}
                            rows.append({
                                "text": clip["text"], "heard": heard.transcript.text,
                                "closed": clip["closed"], "early": ended_early,
                                "source": notes.get("source"), "free_text": notes.get("free_text"),
                                "asr_ms": round(heard.timings_ms["asr"]),
                                "dialogue_ms": round((answered - asked) * 1000),
                                "voice_ms": round((first_audio - answered) * 1000),
                                "from_sound_ms": round(from_sound[-1]),
                                "to_audio_ms": round(to_audio[-1])})
                            if message.get("intent") != clip["intent"]:
                                misses += 1
                                wrong.append(f"{clip['text']!r}: heard {heard.transcript.text!r}"
                                             f" -> {message.get('intent')}")
                    if not heard_texts:
                        misses += 1
                        wrong.append(f"{clip['text']!r}: nothing heard")
                    elif len(heard_texts) > 1:  # split by a pause or a burst of noise
                        wrong.append(f"{clip['text']!r}: heard as {len(heard_texts)} "
                                     f"utterances {heard_texts!r}")
                    bar.update()
                used, dropped = hearing.guesses_used, hearing.guesses_dropped
        finally:
            listener.loop_stop()
            listener.disconnect()
            assistant.close()
    return {"engine": recognizer.name, "mode": mode, "pause_ms": pause_ms, "ahead": ahead,
            "short_pause_ms": short_pause_ms,
            "n": len(end_to_mqtt),
            "end_p50": statistics.median(end_to_mqtt), "end_p95": pct(end_to_mqtt, 95),
            "end_max": max(end_to_mqtt), "sound_p50": statistics.median(from_sound),
            "sound_p95": pct(from_sound, 95), "closed_n": len(closed_sound),
            "closed_p50": statistics.median(closed_sound or [0]),
            "closed_p95": pct(closed_sound, 95), "audio_p50": statistics.median(to_audio),
            "audio_p95": pct(to_audio, 95),
            "closed_audio_p50": statistics.median(closed_audio or [0]),
            "closed_audio_p95": pct(closed_audio, 95), "early": early,
            "short_n": len(short_audio), "short_audio_p50": statistics.median(short_audio or [0]),
            "short_audio_p95": pct(short_audio, 95),
            "voice": voice.name, "asr_p50": statistics.median(asr_ms),
            "asr_p95": pct(asr_ms, 95), "used": used, "dropped": dropped, "misses": misses,
            "wrong": wrong, "rows": rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engines", default="whisper,pocketsphinx")
    ap.add_argument("--utterances", type=int, default=40)
    ap.add_argument("--modes", default="meaning,pause,end",
                    help="meaning (end when complete), pause (guess at the first pause), end")
    ap.add_argument("--pauses", default="210",
                    help="pauses (ms) at which the guess is made, side by side: 210,120")
    ap.add_argument("--short-pauses", default=str(EndpointerSettings.short_pause_ms),
                    help="the pause (ms) at which a short utterance is guessed, side by side: "
                    "0,120 (0: at --pauses like the rest)")
    ap.add_argument("--ahead", default="yes", help="yes (the fixed lines made ahead, as a "
                    "kiosk does), no, or yes,no side by side")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--snr", type=float, default=None,
                    help="pink noise throughout, at this SNR (dB) to the speech")
    ap.add_argument("--rows", type=Path, default=None,
                    help="write every turn's timings and what was heard here (JSON)")
    args = ap.parse_args()
    clips = build_clips(args.utterances, args.seed, args.snr)
    seconds = sum(len(c["samples"]) for c in clips) / 16000
    noisy = sum(c["snr"] is not None for c in clips)
    print(f"{len(clips)} commands ({len(clips) - noisy} clean"
          f"{f', {noisy} at {args.snr:g} dB' if noisy else ''}), "
          f"{seconds / 60:.1f} min of audio per run, fed in real time\n", file=sys.stderr)
    modes = args.modes.split(",")
    rows = [run(e, m, clips, int(p), a == "yes", int(q)) for e in args.engines.split(",")
            for m in modes for p in args.pauses.split(",") for a in args.ahead.split(",")
            for q in args.short_pauses.split(",")]
    when = {"meaning": "ends by meaning", "pause": "guess at the pause", "end": "at the end"}
    closed = sum(c["closed"] for c in clips)
    print(f"{closed} of {len(clips)} commands are closed sentences; reply voice: "
          f"{rows[0]['voice']}\n")
    def label(r: dict) -> str:
        ahead = "fixed lines made ahead" if r["ahead"] else "nothing made ahead"
        short = (f", {r['short_pause_ms']} ms after a short one" if r["short_pause_ms"]
                 else "")
        return f"{r['engine']} ({when[r['mode']]}, guess at {r['pause_ms']} ms{short}, {ahead})"

    print("| | " + " | ".join(label(r) for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    lines = [
        ("end of speech to intent on MQTT, p50 / p95",
         lambda r: f"{r['end_p50']:.0f} / {r['end_p95']:.0f} ms"),
        ("  worst", lambda r: f"{r['end_max']:.0f} ms"),
        ("last sound to intent on MQTT, p50 / p95",
         lambda r: f"{r['sound_p50']:.0f} / {r['sound_p95']:.0f} ms"),
        ("  closed commands", lambda r: f"{r['closed_p50']:.0f} / {r['closed_p95']:.0f} ms"),
        ("last sound to first reply audio, p50 / p95",
         lambda r: f"{r['audio_p50']:.0f} / {r['audio_p95']:.0f} ms"),
        ("  closed commands", lambda r: f"{r['closed_audio_p50']:.0f} / "
                                        f"{r['closed_audio_p95']:.0f} ms"),
        ("  stop, confirm, cancel", lambda r: f"{r['short_audio_p50']:.0f} / "
                                              f"{r['short_audio_p95']:.0f} ms ({r['short_n']})"),
        ("turns ended by meaning", lambda r: f"{r['early']} of {r['closed_n']} closed"),
        ("recogniser time, p50 / p95", lambda r: f"{r['asr_p50']:.0f} / {r['asr_p95']:.0f} ms"),
        ("early guesses used / dropped", lambda r: f"{r['used']} / {r['dropped']}"
         if r["mode"] != "end" else "–"),
        ("wrong or missing intent", lambda r: f"{r['misses']} of {len(clips)}"),
    ]
    for name, cell in lines:
        print(f"| {name} | " + " | ".join(cell(r) for r in rows) + " |")
    for r in rows:
        if r["wrong"]:
            print(f"\n{label(r)}, wrong, missing or split:")
            print("\n".join(f"- {line}" for line in r["wrong"]))
    if args.rows:
        args.rows.write_text(json.dumps([{**r, "label": label(r)} for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
