#!/usr/bin/env python3
"""Intent engine benchmark: wanwan against hassil on the same intents and sentences, one run.

    WANWAN_EXTRAS=test,bench bash scripts/bootstrap.sh && .venv/bin/python scripts/bench_nlu.py

Sentences: every test sentence of the catalogue (clean), the same sentences through a seeded
recogniser-error model (phonetic substitutions, dropped and inserted words, split words), and
the out-of-domain set. hassil gets the same catalogue converted to its own YAML format (same
templates, lists, rules and skip words, list values with their number words) and the same text
clean-up (case, punctuation, spellings) before it parses; numbers are left to its ranges. Each
system runs in its own process so start-up time and peak memory are its own.
Prints a table; ``--markdown`` prints it for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Realistic recogniser confusions (sound-alikes and near-spellings); the matcher does not see
# this list. Only confusions that keep the meaning recoverable are used: a recogniser that
# hears "fifteen" for "fifty" cannot be corrected by any text matcher.
CONFUSIONS = {
    "litres": ["leaders", "liters", "meters", "litter"], "litre": ["leader", "liter"],
    "dewar": ["do are", "doer", "dewer", "dew are", "the war"], "transfer": ["trans fer",
    "transfers", "trance fur"], "log": ["lock", "logs", "flog"], "level": ["label", "levels",
    "lever"], "pressure": ["pressures", "presser"], "oxygen": ["oxygens", "ox a gen"],
    "compressor": ["compresser", "compress or", "compressors"], "recovery": ["recover e",
    "recoveries", "a covery"], "tanaka": ["tonaka", "tanakas", "tana ka"], "sato": ["satoh",
    "sado"], "suzuki": ["susuki", "suzuky"], "yamamoto": ["yama moto"], "watanabe":
    ["watanabi", "wata nabe"], "start": ["starts", "stark"], "stop": ["stops", "stopp"],
    "status": ["statues", "stature"], "to": ["two", "too"], "for": ["four"], "gas": ["gasp",
    "glass"], "bag": ["back", "bags"], "recover": ["recovered", "re cover"], "helium":
    ["helium's", "heelium"], "cubic": ["cubik", "cubics"], "metres": ["meters", "matters"],
    "percent": ["per cent", "percents"], "empty": ["empties"], "alert": ["a lert", "alerts"],
    "confirm": ["conform", "confirmed"], "cancel": ["cancelled", "council"], "repeat":
    ["repeats", "re peat"], "undo": ["un do", "undue"], "entry": ["entree", "entries"],
    "stock": ["stalk", "stocks"], "summary": ["summery"], "convert": ["converts", "convict"],
    "magnet": ["magnets", "magnate"], "filling": ["feeling", "fill in"], "transferred":
    ["transfered", "transfer"], "much": ["match"], "what": ["what's", "watt"], "level's":
    ["levels"], "storage": ["storages"], "alarm": ["a larm", "alarms"],
}
FILLERS = ["uh", "um", "the", "a", "and", "uh huh", "so"]
DROPPABLE = {"the", "a", "to", "of", "in", "is", "from", "me", "what", "please", "our"}


def corrupt(text: str, rng: random.Random) -> str:
    """One or two recogniser errors, chosen by a seeded model."""
    words = [w.rstrip(".,?!") for w in text.lower().split()]
    for _ in range(rng.choice([1, 1, 2])):
        options = []
        subs = [i for i, w in enumerate(words) if w in CONFUSIONS]
        if subs:
            options += ["sub"] * 3
        drops = [i for i, w in enumerate(words) if w in DROPPABLE]
        if drops:
            options.append("drop")
        options.append("insert")
        long_words = [i for i, w in enumerate(words) if len(w) >= 7 and w not in CONFUSIONS]
        if long_words:
            options.append("split")
        op = rng.choice(options)
        if op == "sub":
            i = rng.choice(subs)
            words[i] = rng.choice(CONFUSIONS[words[i]])
        elif op == "drop":
            del words[rng.choice(drops)]
        elif op == "insert":
            words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
        else:
            i = rng.choice(long_words)
            cut = rng.randrange(3, len(words[i]) - 2)
            words[i] = words[i][:cut] + " " + words[i][cut:]
        words = " ".join(words).split()
    return " ".join(words)


def datasets(seed: int, variants: int) -> dict[str, list[dict]]:
    from wanwan import load_engine

    catalog = load_engine(None, None).catalog
    rng = random.Random(seed)
    clean = [{"text": t.text, "intent": t.intent, "slots": t.slots,
              "actuating": catalog.intents[t.intent].actuating}
             for i in catalog.intents.values() for t in i.tests]
    corrupted = []
    for case in clean:
        seen = set()
        for _ in range(variants):
            text = corrupt(case["text"], rng)
            if text not in seen and text != case["text"].lower():
                seen.add(text)
                corrupted.append({**case, "text": text})
    ood = [{"text": t.text, "intent": None, "slots": {}, "actuating": False}
           for t in catalog.reject_tests]
    return {"clean": clean, "corrupted": corrupted, "out_of_domain": ood}


# --- the systems ----------------------------------------------------------------------------

def hassil_catalog_dict(catalog) -> dict:
    """The wanwan catalogue in hassil's YAML structure (same templates, lists, rules)."""

    from num2words import num2words

    def fix(template: str) -> str:
        return template.replace("#", "")

    def with_number_words(template: str) -> str:
        """hassil reads number words only for ranges: give list values like "12" their
        spoken form too ("(12|twelve)"), as wanwan's normaliser does for both sides."""
        import re

        body = fix(template)
        if not re.search(r"\d", body):
            return body
        spoken = re.sub(r"\d+", lambda m: num2words(int(m.group())).replace("-", " "), body)
        return f"({body}|{spoken})"

    lists = {}
    for name, slot_list in catalog.lists.items():
        if slot_list.is_range:
            entry = {"from": int(slot_list.range_min), "to": int(slot_list.range_max)}
            if slot_list.decimals:
                entry["fractions"] = "tenths"
            lists[name] = {"range": entry}
        else:
            lists[name] = {"values": [{"in": with_number_words(v.spoken), "out": v.value}
                                      for v in slot_list.values]}
    intents = {}
    for name, intent in catalog.intents.items():
        blocks: dict[tuple, list[str]] = {}
        for template in intent.templates:
            key = tuple(sorted(template.fixed_slots.items()))
            blocks.setdefault(key, []).append(fix(template.text))
        intents[name] = {"data": [{"sentences": s, **({"slots": dict(k)} if k else {})}
                                  for k, s in blocks.items()]}
    rules = {}
    for path in sorted(catalog.folder.glob("*.yaml")):
        import yaml

        doc = yaml.safe_load(path.read_text()) or {}
        rules.update({k: fix(v) for k, v in (doc.get("expansion_rules") or {}).items()})
    language = catalog.language
    return {"language": language.code, "intents": intents, "lists": lists,
            "expansion_rules": rules,
            "skip_words": sorted(language.skip_words | language.ignore_words)}


def run_system(system: str, data: dict[str, list[dict]]) -> dict:
    """Runs inside the child process: load, compile, parse everything, report."""
    from wanwan.progress import Progress

    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if system == "wanwan":
        from wanwan import load_engine

        engine = load_engine(None, None)

        def parse(text: str) -> tuple[str | None, dict]:
            r = engine.parse(text)
            return r.intent, r.slots
    else:
        from hassil import Intents, recognize_best

        from wanwan import load_engine
        from wanwan.nlu.text import split_words

        catalog = load_engine(None, None).catalog
        hassil_intents = Intents.from_dict(hassil_catalog_dict(catalog))

        def parse(text: str) -> tuple[str | None, dict]:
            # the same text clean-up wanwan does (case, apostrophes, spellings, symbols);
            # numbers are left to hassil's own range matching
            r = recognize_best(" ".join(split_words(text, catalog.language)), hassil_intents)
            if r is None:
                return None, {}
            return r.intent.name, {k: e.value for k, e in r.entities.items()}
    parse("warm up the caches once")  # hassil compiles lazily on first use
    startup = time.perf_counter() - started

    out: dict = {"startup_s": startup, "sets": {}, "latencies_ms": []}
    total = sum(len(v) for v in data.values())
    with Progress(total, f"{system:>7}") as bar:
        for name, cases in data.items():
            right = fa = fa_act = 0
            failures = []
            for case in cases:
                t0 = time.perf_counter()
                intent, slots = parse(case["text"])
                out["latencies_ms"].append((time.perf_counter() - t0) * 1000)
                slots = {k: (int(v) if isinstance(v, float) and v.is_integer() else v)
                         for k, v in slots.items()}
                ok = intent == case["intent"] and (intent is None or slots == case["slots"])
                right += ok
                if case["intent"] is None and intent is not None:
                    fa += 1
                    fa_act += intent in ACTUATING
                if not ok and len(failures) < 400:
                    failures.append([case["text"], case["intent"], intent, slots])
                bar.update()
            out["sets"][name] = {"n": len(cases), "right": right, "false_accepts": fa,
                                 "actuating_false_accepts": fa_act, "failures": failures}
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["base_rss_mb"] = base_rss / 1024
    return out


ACTUATING = {"start_transfer", "undo_log", "compressor_control"}


def pct(a: float, b: float) -> str:
    return f"{100 * a / b:.1f} %" if b else "–"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--variants", type=int, default=3, help="corrupted variants per sentence")
    ap.add_argument("--systems", default="wanwan,hassil")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--failures", action="store_true", help="list wanwan's misses")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()

    data = datasets(args.seed, args.variants)
    if args.child:
        print(json.dumps(run_system(args.child, data)))
        return 0

    results = {}
    for system in args.systems.split(","):
        proc = subprocess.run([sys.executable, __file__, "--child", system, "--seed",
                               str(args.seed), "--variants", str(args.variants)],
                              stdout=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            print(f"{system}: failed (is it installed? WANWAN_EXTRAS=test,bench)",
                  file=sys.stderr)
            continue
        results[system] = json.loads(proc.stdout)

    rows = [
        ("clean in-domain: intent+slots exact", lambda r: pct(r["sets"]["clean"]["right"],
                                                              r["sets"]["clean"]["n"])),
        ("with recogniser errors: intent+slots exact",
         lambda r: pct(r["sets"]["corrupted"]["right"], r["sets"]["corrupted"]["n"])),
        ("out-of-domain false accepts", lambda r: pct(r["sets"]["out_of_domain"]
                                                      ["false_accepts"],
                                                      r["sets"]["out_of_domain"]["n"])),
        ("  of which actuating", lambda r: str(r["sets"]["out_of_domain"]
                                               ["actuating_false_accepts"])),
        ("parse latency p50", lambda r: f"{statistics.median(r['latencies_ms']):.2f} ms"),
        ("parse latency p99", lambda r: f"{_p(r['latencies_ms'], 99):.2f} ms"),
        ("parse latency max", lambda r: f"{max(r['latencies_ms']):.1f} ms"),
        ("start-up (load + compile)", lambda r: f"{r['startup_s']:.2f} s"),
        ("peak memory (RSS)", lambda r: f"{r['peak_rss_mb']:.0f} MB"),
    ]
    names = list(results)
    n = {k: len(v) for k, v in data.items()}
    title = (f"sentences: {n['clean']} clean, {n['corrupted']} with errors (seed {args.seed}), "
             f"{n['out_of_domain']} out-of-domain")
    if args.markdown:
        print(f"{title}\n\n| measure | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for label, fn in rows:
            print(f"| {label.strip()} | " + " | ".join(fn(results[s]) for s in names) + " |")
    else:
        print(title)
        print(f"{'':46}" + "".join(f"{s:>14}" for s in names))
        for label, fn in rows:
            print(f"{label:46}" + "".join(f"{fn(results[s]):>14}" for s in names))
    if args.failures and "wanwan" in results:
        for name, res in results["wanwan"]["sets"].items():
            for text, want, got, slots in res["failures"]:
                print(f"[{name}] {text!r}: want {want}, got {got} {slots}")
    return 0


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


if __name__ == "__main__":
    sys.exit(main())
