#!/usr/bin/env python3
"""Held-out spoken commands: sentences nobody tuned on, in a voice nobody tuned on, in noise.

    WANWAN_EXTRAS=test bash scripts/bootstrap.sh && .venv/bin/python scripts/bench_heldout_speech.py

Sentences: ``tests/data/heldout/en-report.yaml`` (130 commands, 30 out-of-domain), whose
sentences were never read while anything was tuned. Voice: the Piper voice (joe, en-US),
which the recogniser's limits and margins were never tuned on (they were tuned on espeak-ng
voices and on half A of the real coffee orders). Noise: each of ``../shared/noise`` in turn
(one per sentence, round robin), mixed as Picovoice mixes (the loudest 2048-sample frames of
speech and noise at the SNR). Two ways of addressing wanwan, side by side:

- with the wake phrase: "wan wan, " and the sentence said in one breath, as a kiosk hears
  it (one synthesis of both: every sentence gets its own saying of the phrase; a run with one
  saying of it for all sentences measured that one saying);
- addressed without it (``--wake off``: push-to-talk, an external wake-word engine, the
  follow-up after a reply): the sentence alone.

A command counts when exactly one command was understood and its intent and every slot are
exact; an out-of-domain sentence counts against when anything is understood (and is an
actuating false accept when what was understood acts). Apart: out-of-domain sentences nothing
understood that the dialogue would still take for a stop (a word like a stop word: when in
doubt, stop).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_real_voices import NOISES, SHARED, picovoice_mix  # noqa: E402

REPORT = ROOT / "tests" / "data" / "heldout" / "en-report.yaml"
# what the recogniser says about each utterance, kept with --rows
NOTES = ("free_text", "source", "grammar_text", "margin", "margin_per_token", "end_logprob",
         "no_speech", "free_logprob", "words_heard", "wake_from_grammar", "wake_heard",
         "wake_margin", "wake_per_token", "prompt_copy", "plain_text", "prompt_copy_margin",
         "prompt_copy_heard", "values_checked", "value_heard", "left_off",
         "numbers_unheard", "slots_dropped", "yes_unsaid", "chosen_by_sound", "corrected",
         "other_names", "telling_unheard")


def spoken(synth, text: str, rate: int = 16000, cache: Path | None = None) -> np.ndarray:
    """``text`` said by ``synth`` at ``rate``. Piper's voice draws random noise on every call:
    with a ``cache`` folder, each sentence is said once and the same audio is heard by every
    run that shares the folder, so two versions of the code are compared on the same sound."""
    from wanwan.audio.io import load_audio, resample, write_wav

    path = None
    if cache is not None:
        key = hashlib.sha256(f"{synth.name}|{rate}|{text}".encode()).hexdigest()[:20]
        path = cache / f"{key}.wav"
        if path.exists():
            return load_audio(path).samples
    samples = resample(synth.synthesize(text), synth.sample_rate, rate)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_wav(path, samples, rate)
        # what every later run hears: the file as read back, not the samples before writing
        return load_audio(path).samples
    return samples


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--snr", type=float, default=15.0)
    ap.add_argument("--limit", type=int, default=0, help="only the first N sentences")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--sentences", type=Path, default=REPORT,
                    help="a sentence file (default: the report set; a tuning set to look at "
                    "what goes wrong)")
    ap.add_argument("--rows", type=Path, help="write every utterance's result here (JSON)")
    ap.add_argument("--cache", type=Path, help="a folder for the spoken sentences: runs that "
                    "share it hear the same audio (Piper's is random on every call)")
    args = ap.parse_args()

    from wanwan import VoicePipeline, load_engine, make_recognizer
    from wanwan.audio.io import load_audio
    from wanwan.dialogue import means_stop
    from wanwan.progress import Progress
    from wanwan.tts import make_synthesizer

    cases = yaml.safe_load(args.sentences.read_text())["sentences"]
    if args.limit:
        cases = cases[:args.limit]
    engine = load_engine()
    synth = make_synthesizer("piper")
    recognizer = make_recognizer("auto", engine, wake="wan wan")
    noise = {n: load_audio(SHARED / "noise" / f"{n}.wav").samples for n in NOISES}
    edge = np.zeros(int(0.6 * 16000), dtype=np.int16)
    pipelines = {"wake phrase": VoicePipeline(engine, recognizer, wake="wan wan"),
                 "no wake phrase (addressed)": VoicePipeline(engine, recognizer, wake=None)}
    results: dict[tuple[str, str], list[dict]] = {}
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    with Progress(len(cases) * 4, "held-out speech") as bar:
        for n, case in enumerate(cases):
            for way, pipeline in pipelines.items():
                said = f"Wan wan, {case['text']}" if way == "wake phrase" else case["text"]
                audio = np.concatenate([edge, spoken(synth, said, cache=args.cache), edge])
                name = NOISES[n % len(NOISES)]
                for condition, mixed in (("clean", audio), (f"{args.snr:g} dB", picovoice_mix(
                        audio, noise[name], args.snr, rng))):
                    heard = pipeline.hear_all(mixed)
                    commands = [h for h in heard if h.parse.intent]
                    got = [(h.parse.intent, h.parse.slots) for h in commands]
                    results.setdefault((way, condition), []).append({
                        "text": case["text"], "want": case["intent"], "slots": case.get("slots"),
                        "got": got, "heard": [h.transcript.text for h in heard],
                        "notes": [{k: h.transcript.notes.get(k) for k in NOTES}
                                  for h in heard],
                        "actuating": any(h.parse.actuating for h in commands), "noise": name,
                        # what the dialogue makes of what nothing explains
                        "stop": any(means_stop(engine, h.parse) for h in heard)})
                    bar.update()
    if args.rows:
        args.rows.write_text(json.dumps({f"{w} / {c}": r for (w, c), r in results.items()},
                                        indent=1, ensure_ascii=False))
    print(f"\n{len(cases)} sentences from {args.sentences.name}, "
          f"{time.perf_counter() - started:.0f} s, recogniser {recognizer.name}, "
          f"voice {synth.name}\n")
    print("| way | condition | commands exact | out-of-domain understood | of which act | "
          "out-of-domain taken for a stop |")
    print("|---|---|---|---|---|---|")
    for (way, condition), rows in results.items():
        commands = [r for r in rows if r["want"]]
        ood = [r for r in rows if not r["want"]]
        right = sum(r["got"] == [(r["want"], r["slots"])] for r in commands)
        taken = [r for r in ood if r["got"]]
        print(f"| {way} | {condition} | {100 * right / max(1, len(commands)):.1f} % "
              f"({right} of {len(commands)}) | {len(taken)} of {len(ood)} | "
              f"{sum(r['actuating'] for r in taken)} | "
              f"{sum(r['stop'] and not r['got'] for r in ood)} of {len(ood)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
