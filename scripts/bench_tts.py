#!/usr/bin/env python3
"""Replies a technician understands: every reply of the skills, spoken by each voice, heard back.

    WANWAN_EXTRAS=test,bench bash scripts/bootstrap.sh && .venv/bin/python scripts/bench_tts.py

1. The replies: a scripted session through the assistant and its simulated lab (a private
   mosquitto), one or two test sentences of every intent at the bay, the kiosk's reading of
   what is allowed there, every read-back confirmed, transfers stopped, an entry undone, and
   the alarms the simulator raises (oxygen low, gas bag full), so each reply template is said
   once with the values a running lab gives it.
2. The voices, side by side: the default (Piper en_US joe with the lab's lexicon), espeak-ng
   with the lexicon, and both without it; espeak-ng without the lexicon is the voice wanwan
   had before.
3. The listeners: Whisper tiny.en as plain faster-whisper (no prompt, no grammar: a person who
   has not read the catalogue), and Whisper base (multilingual) where installed, on the default
   voice and the one before it, clean and at 10 dB.
4. Clean, and with the compressor-like noises of ../shared/noise (exercise bike, pink noise,
   running tap, white noise) at 10 and 0 dB to the reply's speech.

Word error rate over all words and exact sentences, after the same normalising on both sides
(numbers as numbers, "62 %" as "62 percent", "liters" as "litres", articles dropped).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import string
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"
NOISES = ("exercise_bike", "pink_noise", "running_tap", "white_noise")
SNRS = (10, 0)
DEFAULT, BEFORE = "piper + lexicon (default)", "espeak-ng (before)"
# the same thing written two ways is not an error
# what a session says beyond the catalogue's own test sentences: a transfer from start to stop
SESSION = ["start the transfer from dewar seven into the nmr six hundred", "confirm",
           "how is the transfer going", "stop", "log twelve point five litres to tanaka lab "
           "from dewar twelve", "what is the level in dewar twelve in litres",
           "what is the pressure in dewar three", "log fifty litres to the moon", "what is this"]
EQUIVALENT = {"l": "litres", "litre": "litres", "m3": "cubic metres", "o2": "oxygen",
              "ok": "okay", "kpa": "kilopascals", "mpa": "megapascals"}


def gather_replies() -> list[str]:
    """Every reply template of the skills, said once with the values the simulated lab gives."""
    from wanwan import load_engine
    from wanwan.assistant import Assistant
    from wanwan.config import load_config
    from wanwan.progress import Progress

    config = load_config(ROOT / "config")
    engine = load_engine(None, None)
    said: dict[str, None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        assistant = Assistant(config, engine, simulate=True, speed=60.0,
                              store_path=Path(tmp) / "bench.sqlite3")
        assistant.on_reply(lambda reply: said.setdefault(reply.text))
        try:
            assistant.wait_ready(10)
            intents = [i for i in engine.catalog.intents.values() if i.tests]
            with Progress(len(intents), "replies") as bar:
                for intent in intents:
                    for case in intent.tests[:2]:
                        for site in ("bay-1", "kiosk-recovery"):
                            turn = assistant.ask(case.text, site)
                            said.setdefault(turn.reply)
                            if "confirm" in turn.reply.lower():
                                said.setdefault(assistant.ask("confirm", site).reply)
                            if assistant.transfer_running(site):
                                time.sleep(0.5)  # a few seconds of the lab at speed 60
                                said.setdefault(assistant.ask("stop", site).reply)
                    bar.update()
            for text in SESSION:
                said.setdefault(assistant.ask(text, "bay-1").reply)
                time.sleep(0.3)
            assistant.sim.inject("oxygen_drop", "recovery", value=17.4)
            assistant.sim.inject("bag_full", value=96)
            time.sleep(3)
            assistant.sim.inject("clear")
            time.sleep(2)
        finally:
            assistant.close()
    return [text for text in said if text and text.strip()]


def voices() -> dict[str, object]:
    from wanwan.config import load_config
    from wanwan.tts import Lexicon, load_lexicon, make_synthesizer

    config = load_config(ROOT / "config")
    lexicon = load_lexicon("en").merged(config.speech.pronunciations,
                                        config.speech.digits_after)
    return {DEFAULT: make_synthesizer("piper", lexicon=lexicon),
            "piper": make_synthesizer("piper", lexicon=Lexicon()),
            "espeak-ng + lexicon": make_synthesizer("espeak", lexicon=lexicon),
            BEFORE: make_synthesizer("espeak", lexicon=Lexicon())}


def listeners(with_base: bool) -> dict[str, object]:
    from faster_whisper import WhisperModel

    from wanwan.asr.whisper import bundled_base, bundled_tiny_en

    out = {"whisper tiny.en": WhisperModel(str(bundled_tiny_en()), device="cpu",
                                           compute_type="int8", cpu_threads=2)}
    base = bundled_base() if with_base else None
    if base is not None:
        out["whisper base"] = WhisperModel(str(base), device="cpu", compute_type="int8",
                                           cpu_threads=2)
    return out


def words(text: str, normalise) -> list[str]:
    """The words said, as the intent engine normalises them, with a unit written as a symbol
    counted as its words ("62 %" is "62 percent", "3 m³" "3 cubic metres")."""
    out: list[str] = []
    for token in (t.text for t in normalise(text.replace("³", "3"))):
        if out and out[-1] == "m" and token == "#3":
            out[-1:] = ["cubic", "metres"]
        else:
            out.extend(EQUIVALENT.get(token, token).split())
    return out


def line_patterns() -> dict[str, tuple[re.Pattern, tuple[int, int]]]:
    """Each English message line that is said as a sentence (it ends in . ? or !; "liquid
    helium" and "{n} litres" are parts of others) as a pattern that finds it in a reply, its
    values any text, and its rank among lines found at the same place."""
    from wanwan.messages import messages

    out = {}
    for key, line in messages("en").lines.items():
        if not line.rstrip().endswith((".", "?", "!")):
            continue
        parts = list(string.Formatter().parse(line))
        # most letters first, then fewest blanks: "The transfer has stopped." is
        # transfer.stopped, not "The transfer has stopped{reason}." without a reason
        out[key] = (re.compile("".join(re.escape(literal) + (".*?" if field else "")
                                       for literal, field, _, _ in parts), re.IGNORECASE),
                    (-sum(c.isalpha() for literal, _, _, _ in parts for c in literal),
                     sum(1 for _, field, _, _ in parts if field)))
    return out


def reply_line(text: str, patterns: dict[str, tuple[re.Pattern, tuple[int, int]]]) -> str:
    """The message line a reply was made from: the line found first in it, of those found
    there the one with the most letters of its own ("Please say confirm, or cancel." ends
    read-backs of every kind; "The transfer has stopped." begins "The transfer has stopped
    by a voice command."). A reply no line makes, a device's words, is its own line."""
    found = [(match.start(), rank, key) for key, (pattern, rank) in patterns.items()
             if (match := pattern.search(text))]
    return min(found)[2] if found else text


def reply_half(line: str) -> str:
    """A or B, fixed by the message line a reply was made from (a seeded split that does not
    move as lines are added): changes to the voice and the wording are chosen on A and reported
    on B, and a reworded line moves no reply of the other half. Before session 22 the split
    was by the reply's text, which let a line reworded on A change replies of B."""
    return "AB"[int(hashlib.sha1(line.encode()).hexdigest(), 16) % 2]


def edit_distance(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def with_noise(speech: np.ndarray, noise: np.ndarray, snr_db: float, rng) -> np.ndarray:
    speech = speech.astype(np.float32)
    start = int(rng.integers(0, len(noise) - len(speech)))
    segment = noise[start:start + len(speech)]
    loud = speech[np.abs(speech) > 300]
    gain = np.sqrt(np.mean(loud ** 2) / (np.mean(segment ** 2) * 10 ** (snr_db / 10)))
    return np.clip(speech + segment * gain, -32768, 32767)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-base", action="store_true", help="Whisper tiny.en only")
    ap.add_argument("--default-only", action="store_true",
                    help="the default voice only (with --no-base: about 5 minutes)")
    ap.add_argument("--json", type=Path, help="write every transcript here")
    args = ap.parse_args()

    from wanwan import load_engine
    from wanwan.audio.io import load_audio, resample
    from wanwan.progress import Progress

    normalise = load_engine(None, None).catalog.normalise
    replies = gather_replies()
    print(f"{len(replies)} different replies", file=sys.stderr)
    speakers = voices()
    if args.default_only:
        speakers = {DEFAULT: speakers[DEFAULT]}
    ears = listeners(not args.no_base)
    conditions: list[tuple[str, str | None, float | None]] = [("clean", None, None)]
    if (SHARED / "noise").is_dir():
        conditions += [(f"{n} {snr} dB", n, snr) for snr in SNRS for n in NOISES]
    noise = {n: load_audio(SHARED / "noise" / f"{n}.wav").samples.astype(np.float32)
             for _, n, _ in conditions if n}
    spoken = {}
    with Progress(len(speakers) * len(replies), "speaking") as bar:
        for name, synth in speakers.items():
            for text in replies:
                audio = synth.synthesize(text)
                spoken[name, text] = resample(audio, synth.sample_rate)
                bar.update()
    results: dict[tuple[str, str, str], dict] = {}
    details = []
    rng = np.random.default_rng(7)
    # the second listener hears the default voice and the one before it, clean and at 10 dB
    second = [c for c in conditions if c[2] in (None, 10)]
    jobs = [(ear, voice, cond) for ear in ears for voice in speakers for cond in conditions
            if ear == "whisper tiny.en" or (voice in (DEFAULT, BEFORE) and cond in second)]
    with Progress(len(jobs) * len(replies), "listening") as bar:
        for ear, voice, (label, noise_name, snr) in jobs:
            errors = total = exact = 0
            for text in replies:
                audio = spoken[voice, text].astype(np.float32)
                if noise_name:
                    audio = with_noise(audio, noise[noise_name], snr, rng)  # type: ignore[arg-type]
                segments, _ = ears[ear].transcribe(audio / 32768, language="en", beam_size=5,
                                                   without_timestamps=True,
                                                   condition_on_previous_text=False)
                heard = " ".join(s.text.strip() for s in segments)
                ref, hyp = words(text, normalise), words(heard, normalise)
                wrong = edit_distance(ref, hyp)
                errors += wrong
                total += len(ref)
                exact += ref == hyp
                details.append({"listener": ear, "voice": voice, "condition": label,
                                "said": text, "heard": heard, "errors": wrong})
                bar.update()
            results[ear, voice, label] = {"wer": errors / max(total, 1), "exact": exact}

    names = list(speakers)
    for ear in ears:
        print(f"\n{ear}: word error rate / exact sentences of {len(replies)}\n")
        print("| condition | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for label, _, _ in conditions:
            cells = [f"{results[ear, v, label]['wer']:.1%} / {results[ear, v, label]['exact']}"
                     if (ear, v, label) in results else "–" for v in names]
            print(f"| {label} | " + " | ".join(cells) + " |")
        for snr in SNRS:
            labels = [c[0] for c in conditions if c[2] == snr]
            if labels:
                cells = [f"{np.mean([results[ear, v, x]['wer'] for x in labels]):.1%}"
                         if all((ear, v, x) in results for x in labels) else "–"
                         for v in names]
                print(f"| mean at {snr} dB | " + " | ".join(cells) + " |")
    default = names[0]
    first = next(iter(ears))
    patterns = line_patterns()
    half_of = {text: reply_half(reply_line(text, patterns)) for text in replies}
    # since session 15 the voice and the reply wording are tuned on half A of the replies
    # only; since session 22 the halves are of message lines, not of reply texts
    print(f"\n{default}, {first}: half A (tuned on: training) / half B (held out: report)\n")
    print("| condition | half A | half B |\n|---|---|---|")
    for label, _, _ in conditions:
        cells = []
        for half in "AB":
            rows = [d for d in details if d["listener"] == first and d["voice"] == default
                    and d["condition"] == label and half_of[d["said"]] == half]
            said = sum(len(words(d["said"], normalise)) for d in rows)
            cells.append(f"{sum(d['errors'] for d in rows) / max(said, 1):.1%} / "
                         f"{sum(not d['errors'] for d in rows)} of {len(rows)}")
        print(f"| {label} | " + " | ".join(cells) + " |")
    misses = [d for d in details if d["listener"] == first and d["voice"] == default
              and d["condition"] == "clean" and d["errors"]]
    print(f"\n{default}, clean, {first}: sentences not heard exactly")
    for d in misses:
        print(f"- {d['said']!r} -> {d['heard']!r}")
    if args.json:
        args.json.write_text(json.dumps({"replies": replies, "details": details}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
