"""``wanwan intents check|list``: an intent folder validated, or listed."""

from __future__ import annotations

import argparse
import sys

from wanwan.commands.options import add_actions, add_common, add_intents
from wanwan.data import intents_folder
from wanwan.engine import load_engine
from wanwan.nlu.check import check_catalog


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("intents", help="intent catalogue tools")
    add_common(p)
    isub = add_actions(p, "intents_command")
    add_intents(isub.add_parser("check", help="validate every intent file and run its test "
                                "sentences"))
    add_intents(isub.add_parser("list", help="the intents, their slots and an example each"))
    p.set_defaults(run=run, quiet=True)


def run(args: argparse.Namespace) -> int:
    if args.intents_command == "list":
        engine = load_engine(args.intents, args.config)
        for intent in engine.catalog.intents.values():
            mark = " ★" if intent.actuating else ""
            slots = sorted({ref.slot_name for t in intent.templates if t.graph
                            for ref in t.graph.slot_refs if ref.kept})
            example = intent.tests[0].text if intent.tests else ""
            print(f"{intent.name}{mark}  slots: {', '.join(slots) or '-'}  e.g. {example!r}")
        return 0
    engine = load_engine(args.intents, args.config, strict=False)
    problems = check_catalog(engine.catalog, engine)
    for problem in problems:
        print(problem)
    folder = args.intents or intents_folder(engine.language.code)
    print(f"{folder}: {len(engine.catalog.intents)} intents, {engine.count_sentences()} "
          f"sentences, {len(engine.catalog.tests)} test sentences, {len(problems)} problem(s)",
          file=sys.stderr)
    return 1 if problems else 0
