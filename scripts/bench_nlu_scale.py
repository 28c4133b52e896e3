#!/usr/bin/env python3
"""The intent engine as catalogues grow from a hundred sentences to millions.

    .venv/bin/python scripts/bench_nlu_scale.py

Three catalogues, each at several sizes, parse the *same* heard sentences: the helium catalogue
(as shipped), the coffee orders of Picovoice's context (tests/data/coffee), and a home-
automation catalogue with permutations whose sentence count is multiplied by optional
politeness groups (10^2 to 10^7). Heard sentences are sampled from the smallest catalogue's
graph with slot values filled in, then put through a seeded recogniser-error model that knows
nothing of the catalogue (a letter changed, a long word split, a function word dropped, a filler
inserted). Accuracy must not fall as the catalogue grows, and a parse must stay fast.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HOME = """
language:
  code: en
  skip_words: [please, um, uh]
  ignore_words: [the, a]
  negations: [dont, not, never]
  function_words: [the, a, in, "on", to, of, at]
expansion_rules:
  polite: "{polite}"
lists:
  area: {{values: [kitchen, living room, bedroom, bathroom, hallway, garage, office, attic,
                  dining room, laundry]}}
  name: {{values: [ceiling light, desk lamp, fan, heater, television, radio, kettle,
                  dishwasher, reading lamp, floor lamp, coffee machine, air purifier]}}
  brightness: {{range: {{from: 0, to: 100}}}}
  temperature: {{range: {{from: 10, to: 30}}}}
intents:
  turn_on:
    data:
      - sentences:
          - "<polite> (turn|switch) on ([the] {{name}}; [in the] {{area}}) <polite>"
          - "<polite> (turn|switch) [the] {{name}} on [in the {{area}}] <polite>"
  turn_off:
    data:
      - sentences:
          - "<polite> (turn|switch) off ([the] {{name}}; [in the] {{area}}) <polite>"
          - "<polite> (turn|switch) [the] {{name}} off [in the {{area}}] <polite>"
  set_brightness:
    data:
      - sentences:
          - "<polite> (set|dim|change) ([the] {{name}}; [in the] {{area}}; to {{brightness}} percent) <polite>"
  set_temperature:
    data:
      - sentences:
          - "<polite> set [the] (temperature|heating|thermostat) [in the {{area}}] to {{temperature}} degrees <polite>"
  whats_on:
    data:
      - sentences:
          - "<polite> (what is|what's|whats) (on|running) [in the {{area}}]"
"""
POLITE = "[(kindly|now|quickly|gently|also|right away|for me)]"
FILLERS = ["uh", "um", "the", "a", "so"]
FUNCTION = {"the", "a", "to", "of", "in", "on", "me", "with", "and", "i"}


def home_folder(root: Path, groups: int) -> Path:
    folder = root / f"home-{groups}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "home.yaml").write_text(HOME.format(polite=" ".join([POLITE] * groups)))
    return folder


def sample_sentences(engine, n: int, rng: random.Random) -> list[tuple[str, str, dict]]:
    """Sentences a person would say, from the graph, with slot values filled in."""
    out = []
    templates = engine.templates
    while len(out) < n:
        template = rng.choice(templates)
        sentences = template.sentences(200)
        elements = rng.choice(sentences)
        words, slots = [], {}
        for element in elements:
            if isinstance(element, str):
                words.append(element.lstrip("#"))
                continue
            slot_list = engine.lists[element.list_name]
            if slot_list.is_range:
                value = rng.randint(int(slot_list.range_min), int(slot_list.range_max))
                words.append(str(value))
            else:
                phrase, value = rng.choice(list(slot_list.phrases.items()))
                words.append(phrase.replace("#", ""))
            if element.kept:  # a figure asked against is said, not answered with
                slots[element.slot_name] = value
        slots = {**{k: v for k, v in template.fixed_slots.items()}, **slots}
        out.append((" ".join(words), template.intent, slots))
    return out


def corrupt(text: str, rng: random.Random) -> str:
    words = text.split()
    op = rng.choice(["letter", "letter", "split", "drop", "insert"])
    content = [i for i, w in enumerate(words) if len(w) >= 4 and not w.isdigit()]
    if op == "letter" and content:
        i = rng.choice(content)
        w = words[i]
        k = rng.randrange(1, len(w))
        words[i] = w[:k] + rng.choice("aeiourstln") + w[k + 1:]
    elif op == "split" and [i for i in content if len(words[i]) >= 7]:
        i = rng.choice([i for i in content if len(words[i]) >= 7])
        cut = rng.randrange(3, len(words[i]) - 2)
        words[i] = words[i][:cut] + " " + words[i][cut:]
    elif op == "drop" and [i for i, w in enumerate(words) if w in FUNCTION]:
        del words[rng.choice([i for i, w in enumerate(words) if w in FUNCTION])]
    else:
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
    return " ".join(words)


def measure(engine, cases) -> tuple[float, float, float]:
    right, times = 0, []
    engine.parse("warm up")
    for text, intent, slots in cases:
        started = time.perf_counter()
        result = engine.parse(text)
        times.append((time.perf_counter() - started) * 1000)
        right += result.intent == intent and result.slots == slots
    times.sort()
    return 100 * right / len(cases), statistics.median(times), times[int(len(times) * .99)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sentences", type=int, default=300)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    from wanwan import load_engine
    from wanwan.nlu import IntentEngine, load_catalog

    rng = random.Random(args.seed)
    print("| catalogue | sentences it says | compile | clean exact | with errors exact "
          "| parse p50 | parse p99 |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        families = {
            "helium (shipped)": [lambda: load_engine()],
            "coffee (Picovoice context)": [lambda: load_engine(intents=ROOT / "tests" /
                                                               "data" / "coffee")],
            "home, permutations": [lambda g=g: IntentEngine(load_catalog(home_folder(
                Path(tmp), g))) for g in (0, 1, 2, 3, 4)],
        }
        for family, makers in families.items():
            cases = errors = None
            for make in makers:
                started = time.perf_counter()
                engine = make()
                compile_s = time.perf_counter() - started
                if cases is None:  # from the smallest: every size can say them
                    cases = sample_sentences(engine, args.sentences, rng)
                    errors = [(corrupt(t, rng), i, s) for t, i, s in cases]
                clean, _, _ = measure(engine, cases)
                bent, p50, p99 = measure(engine, errors)
                print(f"| {family} | {engine.count_sentences():,} | {compile_s:.2f} s | "
                      f"{clean:.1f} % | {bent:.1f} % | {p50:.2f} ms | {p99:.2f} ms |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
