"""``wanwan parse`` and ``wanwan intents``: the intent engine on its own, acting on nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wanwan.cli import print_json
from wanwan.errors import UserError
from wanwan.nlu import DEFAULT_INTENTS, CatalogErrors, IntentEngine, ParseResult, load_catalog
from wanwan.nlu.check import check_catalog


def load_engine(intents: Path | None, config: Path | None, *, strict: bool = True
                ) -> IntentEngine:
    """The engine for an intent folder, with the site's lists (dewars, labs ...) merged in."""
    from wanwan.config import load_site_lists

    folder = intents or DEFAULT_INTENTS
    extra = load_site_lists(config) if intents is None or config is not None else None
    try:
        catalog = load_catalog(folder, extra, strict=strict)
    except CatalogErrors as exc:
        raise UserError(f"the intent folder has errors:\n{exc}") from None
    return IntentEngine(catalog)


def describe(result: ParseResult) -> str:
    if result.intent is None:
        near = f", closest: {result.near}" if result.near else ""
        return f"(not understood: {result.reason}{near})"
    slots = " ".join(f"{k}={v}" for k, v in result.slots.items())
    return f"{result.intent} {slots}".rstrip() + f"  [{result.confidence:.2f}]"


def run_parse(args: argparse.Namespace) -> int:
    engine = load_engine(args.intents, args.config)
    if args.audio:
        from wanwan.commands.voice import run_parse_audio

        return run_parse_audio(args, engine)

    def emit(text: str) -> None:
        result = engine.parse(text)
        print_json(result.to_json()) if args.json else print(describe(result), flush=True)

    if args.text == ["-"]:
        for line in _stdin_lines():
            emit(line)
        return 0
    if args.text:
        emit(" ".join(args.text))
        return 0
    if not sys.stdin.isatty():
        for line in _stdin_lines():
            emit(line)
        return 0
    print("Type what you would say (empty line or Ctrl-D to quit).", file=sys.stderr)
    while True:
        try:
            line = input("> ")
        except EOFError:
            return 0
        if not line.strip():
            return 0
        emit(line)


def _stdin_lines():
    data = sys.stdin.buffer
    for raw in data:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def run_intents(args: argparse.Namespace) -> int:
    if args.intents_command == "list":
        engine = load_engine(args.intents, args.config)
        for intent in engine.catalog.intents.values():
            mark = " ★" if intent.actuating else ""
            slots = sorted({e.slot_name for t in intent.templates for x in t.expansions
                            for e in x if not isinstance(e, str)})
            example = intent.tests[0].text if intent.tests else ""
            print(f"{intent.name}{mark}  slots: {', '.join(slots) or '-'}  e.g. {example!r}")
        return 0
    folder = args.intents or DEFAULT_INTENTS
    try:
        engine = load_engine(args.intents, args.config, strict=False)
    except CatalogErrors as exc:  # pragma: no cover - strict=False collects instead
        raise UserError(str(exc)) from None
    problems = check_catalog(engine.catalog, engine)
    catalog = engine.catalog
    for problem in problems:
        print(problem)
    n_exp = len(engine.expansions)
    print(f"{folder}: {len(catalog.intents)} intents, {n_exp} expansions, "
          f"{len(catalog.tests)} test sentences, {len(problems)} problem(s)",
          file=sys.stderr)
    return 1 if problems else 0
