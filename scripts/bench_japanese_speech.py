#!/usr/bin/env python3
"""Japanese spoken commands: the Japanese catalogue's sentences spoken, heard and understood.

    WANWAN_EXTRAS=test bash scripts/bootstrap.sh
    .venv/bin/python scripts/bench_japanese_speech.py

Sentences: the held-out report set ``tests/data/heldout/ja-report.yaml`` (52 commands, 10
out-of-domain; its sentences never read while tuning) and, labelled apart as training, the
catalogue's own test sentences and the typed tuning set ja-tune.yaml. Voices: Open JTalk at its
own pace and 20 % faster, and Kokoro's jf_alpha and jm_kumo (``--voice`` for the others; no
limit was ever chosen on a Kokoro voice).
Recogniser: the site default for Japanese (Whisper base, multilingual, language ja, prompted
with the catalogue, narrowed by the grammar pass over its morphemes). Clean and with the
noises of ../shared/noise (one per sentence, round robin) at 20, 10 and 5 dB, mixed as
Picovoice mixes. Every utterance is addressed (no wake phrase, as after a push-to-talk).

A command counts when exactly one command was understood with its intent and every slot; an
out-of-domain sentence counts against when anything was understood, and as an actuating false
accept when that acts. Apart: out-of-domain sentences nothing understood that the dialogue
would still take for a stop (a word like a stop word: when in doubt, stop).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_heldout_speech import NOTES  # noqa: E402
from bench_real_voices import NOISES, SHARED, picovoice_mix  # noqa: E402

from wanwan.tts.kokoro import VOICES as KOKORO  # noqa: E402

REPORT = ROOT / "tests" / "data" / "heldout" / "ja-report.yaml"
TUNE = ROOT / "tests" / "data" / "heldout" / "ja-tune.yaml"
CONDITIONS: list[float | None] = [None, 20.0, 10.0, 5.0]


def rows_ok(got: list, intent: str | None, slots: dict) -> bool:
    return [(h.parse.intent, h.parse.slots) for h in got] == [(intent, slots)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="only the first N sentences a set")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--training-only", action="store_true",
                    help="only the catalogue's sentences (to look at what goes wrong)")
    ap.add_argument("--report-only", action="store_true",
                    help="only the held-out report set (the result, not a training score)")
    ap.add_argument("--voice", action="append", choices=("normal", "faster", *KOKORO),
                    help="only these voices (repeat; default: Open JTalk at both paces and "
                    "Kokoro's jf_alpha and jm_kumo)")
    ap.add_argument("--rows", type=Path, help="write every utterance's result and the "
                    "recogniser's notes here (JSON)")
    ap.add_argument("--sentences", type=Path, action="append",
                    help="only these sentence files (repeat; a training set unless it is "
                    "the report set): a new tuning batch heard before it is tuned on")
    ap.add_argument("--show", action="store_true",
                    help="print every utterance understood as something it was not")
    args = ap.parse_args()

    from wanwan import VoicePipeline, load_engine, make_recognizer
    from wanwan.audio.io import load_audio, resample
    from wanwan.config import load_config
    from wanwan.dialogue import means_stop
    from wanwan.progress import Progress
    from wanwan.tts import OpenJTalkSynthesizer
    from wanwan.tts.kokoro import KokoroSynthesizer

    engine = load_engine(ROOT / "intents" / "ja", load_config(ROOT / "config"))
    def held_out(path: Path) -> list[tuple]:
        return [(c["text"], c["intent"], c.get("slots", {}))
                for c in yaml.safe_load(path.read_text())["sentences"]]

    catalogue = [(t.text, t.intent, t.slots) for t in engine.catalog.tests]
    sets = {"report (ja-report.yaml)": held_out(REPORT),
            "training (catalogue tests)": catalogue, "training (ja-tune.yaml)": held_out(TUNE)}
    if args.sentences:
        sets = {f"{'report' if path.resolve() == REPORT.resolve() else 'training'} "
                f"({path.name})": held_out(path) for path in args.sentences}
    if args.training_only:
        sets = {k: v for k, v in sets.items() if k.startswith("training")}
    if args.report_only:
        sets = {k: v for k, v in sets.items() if k.startswith("report")}
    if args.limit:
        sets = {k: v[:args.limit] for k, v in sets.items()}
    recognizer = make_recognizer("auto", engine, wake=None)
    pipeline = VoicePipeline(engine, recognizer, wake=None)
    wanted = args.voice or ["normal", "faster", "jf_alpha", "jm_kumo"]
    voices = {f"open jtalk{'' if pace == 'normal' else ', 20 % faster'}":
              OpenJTalkSynthesizer(rate_wpm=160 if pace == "normal" else 192)
              for pace in ("normal", "faster") if pace in wanted}
    voices |= {f"kokoro {name}": KokoroSynthesizer(name) for name in KOKORO if name in wanted}
    noise = {n: load_audio(SHARED / "noise" / f"{n}.wav").samples for n in NOISES}
    edge = np.zeros(9600, np.int16)
    rng = np.random.default_rng(args.seed)
    rows: list[dict] = []
    latencies: list[float] = []
    total = sum(len(v) for v in sets.values()) * len(voices) * len(CONDITIONS)
    started = time.perf_counter()
    with Progress(total, "japanese speech") as bar:
        for set_name, cases in sets.items():
            for voice_name, voice in voices.items():
                for n, (text, intent, slots) in enumerate(cases):
                    spoken = resample(voice.synthesize(text), voice.sample_rate, 16000)
                    audio = np.concatenate([edge, spoken, edge])
                    for snr in CONDITIONS:
                        mixed = audio if snr is None else picovoice_mix(
                            audio, noise[NOISES[n % len(NOISES)]], snr, rng)
                        t0 = time.perf_counter()
                        heard = pipeline.hear_all(mixed)
                        latencies.append((time.perf_counter() - t0) * 1000)
                        got = [h for h in heard if h.parse.intent]
                        if args.show and got and not rows_ok(got, intent, slots):
                            print(f"\n{voice_name} {snr} dB: {text!r} heard "
                                  f"{[h.transcript.text for h in heard]} as "
                                  f"{[(h.parse.intent, h.parse.slots) for h in got]}",
                                  flush=True)
                        rows.append({"set": set_name, "voice": voice_name, "snr": snr,
                                     "text": text, "want": intent, "slots": slots,
                                     "got": [(h.parse.intent, h.parse.slots) for h in got],
                                     "notes": [{k: h.transcript.notes.get(k) for k in NOTES}
                                               for h in heard],
                                     "ok": [(h.parse.intent, h.parse.slots)
                                            for h in got] == [(intent, slots)],
                                     "taken": bool(got) and intent is None,
                                     "acts": any(h.parse.actuating and h.parse.intent != intent
                                                 for h in got),
                                     # what the dialogue makes of what nothing explains
                                     "stop": any(means_stop(engine, h.parse) for h in heard)})
                        bar.update()
    if args.rows:
        args.rows.write_text(json.dumps(rows, indent=1, ensure_ascii=False))
    print(f"\n{total} utterances, {time.perf_counter() - started:.0f} s, recogniser "
          f"{recognizer.name} ({getattr(recognizer, 'model_path', '')}), per utterance p50 "
          f"{statistics.median(latencies):.0f} ms, peak memory "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB\n")
    print("| set | voice | clean | 20 dB | 10 dB | 5 dB | out-of-domain understood | "
          "actuating false accepts | out-of-domain taken for a stop |")
    print("|---|---|---|---|---|---|---|---|---|")
    for set_name in sets:
        for voice_name in voices:
            mine = [r for r in rows if r["set"] == set_name and r["voice"] == voice_name]
            cells = []
            for snr in CONDITIONS:
                commands = [r for r in mine if r["snr"] == snr and r["want"]]
                cells.append(f"{100 * sum(r['ok'] for r in commands) / max(1, len(commands)):.1f}"
                             " %")
            ood = [r for r in mine if not r["want"]]
            print(f"| {set_name} | {voice_name} | {' | '.join(cells)} | "
                  f"{sum(r['taken'] for r in ood)} of {len(ood)} | "
                  f"{sum(r['acts'] for r in mine)} | "
                  f"{sum(r['stop'] and not r['taken'] for r in ood)} of {len(ood)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
