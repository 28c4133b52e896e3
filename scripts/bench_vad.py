#!/usr/bin/env python3
"""Endpointing on real voices in noise: every voice detector side by side, in one run.

    WANWAN_EXTRAS=test bash scripts/bootstrap.sh && .venv/bin/python scripts/bench_vad.py

Streams are made of real coffee orders (../shared/speech/picovoice-dev, 50+ speakers), six to a
stream with 1.2-3 s between them, and a noise that runs the whole stream: each of
../shared/noise, and babble (four real voices at once: Debian's asterisk prompts), at 6, 12, 18
and 24 dB (Picovoice's measure: the loudest 2048-sample frames of speech and noise). Where each
order's speech lies is known from its clean recording. An endpointer should find each order as
one utterance, whole:

- cut: an order heard as two utterances or more;
- merged: one utterance holding two orders;
- invented: an utterance with no order in it (a burst of noise);
- missed: an order with no utterance; clipped: an utterance that starts or ends inside the order
  by more than 150 ms (the recogniser then misses a word);
- cost: the endpointer's CPU time per second of audio (one core).

Half A of the orders (scripts/bench_real_voices.py's split) is used for choosing settings,
half B is reported.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_real_voices import NOISES, SHARED, orders  # noqa: E402

DETECTORS = ["silero", "webrtc", "pysilero", "micro"]
SNRS = [6, 12, 18, 24]
ASTERISK = Path("/usr/share/asterisk/sounds/en")
ASTERISK_TEXT = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")


@dataclass
class Stream:
    audio: np.ndarray
    spans: list[tuple[float, float]]  # seconds where each order is spoken
    noise: str
    snr: int | None


def speech_span(samples: np.ndarray) -> tuple[float, float]:
    """First and last 20 ms frame within 20 dB of the loudest (a clean recording)."""
    frames = samples[:len(samples) // 320 * 320].astype(np.float64).reshape(-1, 320)
    rms = np.sqrt((frames ** 2).mean(axis=1))
    loud = np.flatnonzero(rms > rms.max() * 0.1)
    return loud[0] * 0.02, (loud[-1] + 1) * 0.02


def babble(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Four voices at once: one professional speaker's prompts, overlapped (a canteen)."""
    from wanwan.audio.io import load_audio

    prompts = sorted(ASTERISK.glob("*.wav"))[:400]
    total = int(seconds * 16000)
    out = np.zeros(total, np.float64)
    for _ in range(4):
        pos = 0
        while pos < total:
            clip = load_audio(prompts[int(rng.integers(len(prompts)))]).samples
            end = min(total, pos + len(clip))
            out[pos:end] += clip[:end - pos]
            pos = end
    return np.clip(out, -32768, 32767).astype(np.int16)


def make_streams(which: str, noises: list[str], snrs: list[int], seed: int,
                 per_condition: int) -> list[Stream]:
    from wanwan.audio.io import load_audio

    rng = np.random.default_rng(seed)
    todo = orders(which)
    clean = [load_audio(path).samples for path, _ in todo]
    noise_audio = {n: load_audio(SHARED / "noise" / f"{n}.wav").samples for n in noises
                   if n != "babble"}
    streams = []
    conditions = [("clean", None)] + [(n, s) for n in noises for s in snrs]
    for noise, snr in conditions:
        order = rng.permutation(len(clean))[:per_condition]
        for start in range(0, len(order) - 5, 6):
            parts, spans, t = [np.zeros(16000, np.int16)], [], 1.0
            for k in order[start:start + 6]:
                s0, s1 = speech_span(clean[k])
                spans.append((t + s0, t + s1))
                gap = np.zeros(int(rng.uniform(1.2, 3.0) * 16000), np.int16)
                parts += [clean[k], gap]
                t += (len(clean[k]) + len(gap)) / 16000
            speech = np.concatenate(parts)
            if noise == "clean":
                streams.append(Stream(speech, spans, noise, snr))
                continue
            if noise == "babble":
                background = babble(len(speech) / 16000 + 1, rng)
            else:
                source = noise_audio[noise]
                reps = -(-len(speech) // len(source)) + 1
                background = np.tile(source, reps)
            offset = int(rng.integers(0, len(background) - len(speech)))
            segment = background[offset:offset + len(speech)].astype(np.float64)
            scale = np.sqrt(_loudest(speech) / (_loudest(segment) * 10 ** (snr / 10) + 1e-12))
            mixed = speech.astype(np.float64) + scale * segment
            mixed *= 16384 / np.max(np.abs(mixed))
            streams.append(Stream(mixed.astype(np.int16), spans, noise, snr))
    return streams


def _loudest(x: np.ndarray, frame: int = 2048) -> float:
    frames = x[:len(x) // frame * frame].astype(np.float64).reshape(-1, frame)
    return float((frames ** 2).sum(axis=1).max())


def score(stream: Stream, found: list[tuple[float, float]]) -> dict[str, int]:
    def overlap(a, b) -> float:
        return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))

    counts = dict.fromkeys(("orders", "cut", "merged", "invented", "missed", "clipped"), 0)
    counts["orders"] = len(stream.spans)
    holding = [[i for i, span in enumerate(stream.spans)
                if overlap(u, span) > min(0.2, 0.3 * (span[1] - span[0]))] for u in found]
    for held in holding:
        counts["invented"] += not held
        counts["merged"] += len(held) > 1
    for i, span in enumerate(stream.spans):
        mine = [u for u, held in zip(found, holding, strict=True) if i in held]
        counts["missed"] += not mine
        counts["cut"] += len(mine) > 1
        if len(mine) == 1 and (mine[0][0] > span[0] + 0.15 or mine[0][1] < span[1] - 0.15):
            counts["clipped"] += 1
    return counts


def run(detector: str, streams: list[Stream]) -> tuple[dict, float]:
    """``detector``: a name, or name:setting=value,... to try settings ("silero:threshold=0.4")."""
    from wanwan.audio.vad import Endpointer, EndpointerSettings, chunks

    name, _, options = detector.partition(":")
    overrides = {k: type(getattr(EndpointerSettings, k))(v) for k, v in
                 (o.split("=") for o in options.split(",") if o)}
    totals: dict[tuple[str, int | None], dict[str, int]] = {}
    busy = audio = 0.0
    for stream in streams:
        endpointer = Endpointer(EndpointerSettings(detector=name, **overrides))
        started = time.process_time()
        found = []
        for chunk in chunks(stream.audio, 1600):
            found += [(u.start, u.end) for u in endpointer.feed(chunk)]
        found += [(u.start, u.end) for u in endpointer.flush()]
        busy += time.process_time() - started
        audio += len(stream.audio) / 16000
        key = (stream.noise, stream.snr)
        got = score(stream, found)
        totals[key] = {k: totals.get(key, {}).get(k, 0) + v for k, v in got.items()}
    return totals, busy / audio


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--detectors", default=";".join(DETECTORS),
                    help="';'-separated; name:setting=value,... tries settings")
    ap.add_argument("--halves", default="B", help="A (tuning) or B (reported)")
    ap.add_argument("--noises", default=",".join([*NOISES, "babble"]))
    ap.add_argument("--snrs", default=",".join(map(str, SNRS)))
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--orders", type=int, default=48, help="orders per condition")
    args = ap.parse_args()
    noises = [n for n in args.noises.split(",") if n]
    if "babble" in noises and not ASTERISK_TEXT.exists():
        noises.remove("babble")  # Debian asterisk-core-sounds-en is not installed
    snrs = [int(s) for s in args.snrs.split(",") if s]
    streams = make_streams(args.halves, noises, snrs, args.seed, args.orders)
    n_orders = sum(len(s.spans) for s in streams)
    minutes = sum(len(s.audio) for s in streams) / 16000 / 60
    print(f"{len(streams)} streams, {n_orders} orders (half {args.halves}), {minutes:.0f} min "
          f"of audio; noises {', '.join(noises)} at {', '.join(map(str, snrs))} dB\n")
    results = {d: run(d, streams) for d in args.detectors.split(";")}
    names = list(results)
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))

    def row(label: str, pick, keys=("cut", "merged", "invented", "missed", "clipped")) -> None:
        cells = []
        for d in names:
            chosen = [v for k, v in results[d][0].items() if pick(k)]
            total = sum(v["orders"] for v in chosen)
            cells.append(" / ".join(f"{sum(v[k] for v in chosen)}" for k in keys)
                         + f" of {total}")
        print(f"| {label} | " + " | ".join(cells) + " |")

    print("| (cut / merged / invented / missed / clipped) | " + " | ".join("" for _ in names)
          + " |")
    row("clean", lambda k: k[0] == "clean")
    for noise in noises:
        row(noise, lambda k, n=noise: k[0] == n)
    for snr in snrs:
        row(f"all noises at {snr} dB", lambda k, s=snr: k[1] == s)
    row("everything", lambda k: True)
    print("| CPU per second of audio | " + " | ".join(f"{results[d][1] * 1000:.1f} ms"
                                                      for d in names) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
