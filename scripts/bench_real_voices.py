#!/usr/bin/env python3
"""Real voices: 310 crowd-sourced coffee orders (Picovoice's speech-to-intent benchmark, dev
half, 50+ speakers) through wanwan's whole microphone path, clean and in noise.

    WANWAN_EXTRAS=test bash scripts/bootstrap.sh && .venv/bin/python scripts/bench_real_voices.py

The catalogue is ours (``tests/data/coffee``, written from Rhino's context); every utterance
is addressed (``--wake off``, as Rhino hears an order after its wake word). Noise is mixed as
Picovoice mixes it: the noise segment scaled so that the loudest 2048-sample frame of speech and
of noise stand at the SNR, then the sum scaled to half of full scale. An order counts when
exactly one command is understood in its file and its intent and every slot are exact
(Picovoice's scoring); a file where two commands were understood has a *phantom* command.

The files are split in two halves by a hash of their names: half A is where anything is tuned,
half B is reported as the result. Both are printed, labelled.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
ORDERS = SHARED / "speech" / "picovoice-dev"
COFFEE = ROOT / "tests" / "data" / "coffee"
NOISES = ["doing_the_dishes", "running_tap", "exercise_bike", "dude_miaowing", "pink_noise",
          "white_noise"]
SNRS = [6, 12, 18, 24]


def half(name: str) -> str:
    """"A" (tuning) or "B" (held out), fixed by the file's name."""
    return "A" if hashlib.sha1(name.encode()).digest()[0] % 2 == 0 else "B"


def orders(which: str = "AB") -> list[tuple[Path, dict]]:
    labels = json.loads((ORDERS / "labels.json").read_text())
    return [(ORDERS / name, label) for name, label in sorted(labels.items())
            if half(name) in which]


def picovoice_mix(speech: np.ndarray, noise: np.ndarray, snr_db: float,
                  rng: np.random.Generator) -> np.ndarray:
    """Picovoice's mixer (benchmark/mixer.py): max frame energies at the SNR, peak at 0.5."""
    clean = speech.astype(np.float64) / 32768
    start = int(rng.integers(0, len(noise) - len(clean)))
    segment = noise[start:start + len(clean)].astype(np.float64) / 32768

    def loudest(x: np.ndarray, frame: int = 2048) -> float:
        frames = x[:len(x) // frame * frame].reshape(-1, frame)
        return float((frames ** 2).sum(axis=1).max()) if len(frames) else float((x ** 2).sum())

    scale = np.sqrt(loudest(clean) / (loudest(segment) * 10 ** (snr_db / 10) + 1e-12))
    mixed = clean + scale * segment
    mixed /= 2 * np.max(np.abs(mixed))
    return (mixed * 32767).astype(np.int16)


def conditions(noises: list[str], snrs: list[int]) -> list[tuple[str, int | None]]:
    return [("clean", None)] + [(n, s) for n in noises for s in snrs]


def run_engine(engine_name: str, which: str, noises: list[str], snrs: list[int],
               seed: int) -> dict:
    """In the child process: every order in every condition through the voice pipeline."""
    from wanwan import VoicePipeline, load_engine, make_recognizer
    from wanwan.audio.io import load_audio
    from wanwan.progress import Progress

    engine = load_engine(intents=COFFEE)
    started = time.perf_counter()
    recognizer = make_recognizer(engine_name, engine, wake=None)
    load_s = time.perf_counter() - started
    pipeline = VoicePipeline(engine, recognizer, wake=None)
    noise_audio = {n: load_audio(SHARED / "noise" / f"{n}.wav").samples for n in noises}
    todo = orders(which)
    rows = []
    latencies = []
    with Progress(len(todo) * len(conditions(noises, snrs)), f"{engine_name:>12}") as bar:
        for c, (noise, snr) in enumerate(conditions(noises, snrs)):
            rng = np.random.default_rng(seed + c)
            for path, label in todo:
                speech = load_audio(path).samples
                audio = speech if noise == "clean" else picovoice_mix(
                    speech, noise_audio[noise], snr, rng)  # type: ignore[arg-type]
                t0 = time.perf_counter()
                heard = pipeline.hear_all(audio)
                latencies.append((time.perf_counter() - t0) * 1000)
                commands = [h for h in heard if h.parse.intent]
                got = [(h.parse.intent, h.parse.slots) for h in commands]
                ok = got == [(label["intent"], label["slots"])]
                rows.append({"file": path.name, "half": half(path.name), "noise": noise,
                             "snr": snr, "ok": ok, "phantom": len(commands) > 1,
                             "utterances": len(heard),
                             "heard": [h.transcript.text for h in heard],
                             # where the grammar's sentence was refused for what it left off
                             "left_off": [h.transcript.notes.get("left_off") for h in heard],
                             # where the grammar's sentence wrote a number none was heard
                             "numbers_unheard": [h.transcript.notes.get("numbers_unheard")
                                                 for h in heard],
                             # where it left out a slot Whisper's own words gave
                             "slots_dropped": [h.transcript.notes.get("slots_dropped")
                                               for h in heard],
                             # what the grammar pass wrote, and how far from what was heard
                             "grammar": [{k: h.transcript.notes.get(k) for k in (
                                 "source", "free_text", "free_logprob", "grammar_text",
                                 "margin", "margin_per_token", "words_heard")}
                                 for h in heard],
                             "got": got, "want": [label["intent"], label["slots"]]})
                bar.update()
    return {"engine": recognizer.name, "rows": rows, "load_s": load_s,
            "latency_p50_ms": statistics.median(latencies),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def summary(result: dict, noises: list[str], snrs: list[int]) -> list[tuple[str, str, str]]:
    """(condition, half A, half B) rows."""
    rows = result["rows"]

    def rate(pick, key="ok") -> tuple[str, str]:
        out = []
        for h in "AB":
            chosen = [r for r in rows if r["half"] == h and pick(r)]
            out.append(f"{100 * sum(r[key] for r in chosen) / len(chosen):.1f} %"
                       if chosen else "–")
        return out[0], out[1]

    table = [("clean", *rate(lambda r: r["noise"] == "clean"))]
    for snr in snrs:
        table.append((f"{snr} dB, all noises", *rate(lambda r, s=snr: r["snr"] == s)))
    run = f"{min(snrs)}-{max(snrs)} dB" if len(snrs) > 1 else f"{snrs[0]} dB"
    for noise in noises:
        table.append((f"{noise}, {run}", *rate(lambda r, n=noise: r["noise"] == n)))
    table.append(("average of 6, 15 and 24 dB" if {6, 15, 24} <= set(snrs)
                  else f"average at {run}",
                  *rate(lambda r: r["snr"] in ((6, 15, 24) if {6, 15, 24} <= set(snrs)
                                               else snrs))))
    table.append(("files with a phantom command", *rate(lambda r: True, "phantom")))
    table.append(("files cut into more than one utterance",
                  *rate(lambda r: True, "utterances_gt1")))
    return table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engines", default="whisper,pocketsphinx")
    ap.add_argument("--halves", default="AB", help="A (tuning), B (held out) or AB")
    ap.add_argument("--noises", default=",".join(NOISES))
    ap.add_argument("--snrs", default=",".join(map(str, SNRS)))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--failures", action="store_true", help="list what was missed (half A)")
    ap.add_argument("--json", type=Path, default=None, help="write every row to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    noises = [n for n in args.noises.split(",") if n]
    snrs = [int(s) for s in args.snrs.split(",") if s]
    if not (ORDERS / "labels.json").exists():
        print(f"{ORDERS} is missing: nothing to measure", file=sys.stderr)
        return 1
    if args.child:
        print(json.dumps(run_engine(args.child, args.halves, noises, snrs, args.seed)))
        return 0
    results = {}
    for engine in args.engines.split(","):
        proc = subprocess.run([sys.executable, __file__, "--child", engine, "--halves",
                               args.halves, "--noises", args.noises, "--snrs", args.snrs,
                               "--seed", str(args.seed)], stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            print(f"{engine}: failed", file=sys.stderr)
            continue
        result = json.loads(proc.stdout)
        for row in result["rows"]:
            row["utterances_gt1"] = row["utterances"] > 1
        results[engine] = result
    if args.json:
        args.json.write_text(json.dumps(results))
    n = {h: len(orders(h)) for h in "AB"}
    print(f"real coffee orders: half A {n['A']} files (tuning), half B {n['B']} (held out); "
          f"noises: {', '.join(noises) or 'none'} at {', '.join(map(str, snrs))} dB\n")
    print("| condition | " + " | ".join(f"{e} A (tuning) | {e} B (held out)" for e in results)
          + " |")
    print("|---|" + "---|---|" * len(results))
    tables = {e: summary(r, noises, snrs) for e, r in results.items()}
    for i, (label, *_rest) in enumerate(next(iter(tables.values()), [])):
        cells = " | ".join(f"{tables[e][i][1]} | {tables[e][i][2]}" for e in results)
        print(f"| {label} | {cells} |")
    for e, r in results.items():
        print(f"\n{e}: model load {r['load_s']:.1f} s, per file p50 {r['latency_p50_ms']:.0f} "
              f"ms, peak {r['peak_rss_mb']:.0f} MB")
    if args.failures:
        for e, r in results.items():
            for row in r["rows"]:
                if row["half"] == "A" and not row["ok"]:
                    print(f"[{e} {row['noise']} {row['snr']}] {row['heard']} -> {row['got']} "
                          f"want {row['want']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
