"""The ``wanwan`` command line (contract: shared/spec/cli.md)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from wanwan.errors import UserError

log = logging.getLogger("wanwan")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", type=Path, default=None,
                   help="site configuration file or folder (default: config/ of the repo)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wanwan", description="Offline voice assistant for helium recovery labs.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("parse", help="understand one utterance, act on nothing")
    _add_common(p)
    p.add_argument("text", nargs="*", help="the utterance; '-' reads one per line from stdin; "
                   "none starts an interactive prompt")
    p.add_argument("--json", action="store_true", help="print the JSON of intents.md")
    p.add_argument("--intents", type=Path, default=None,
                   help="intent folder (default: intents/en)")

    p = sub.add_parser("intents", help="intent catalogue tools")
    _add_common(p)
    isub = p.add_subparsers(dest="intents_command", required=True, metavar="ACTION")
    c = isub.add_parser("check", help="validate every intent file and run its test sentences")
    c.add_argument("--intents", type=Path, default=None)
    c = isub.add_parser("list", help="the intents, their slots and an example each")
    c.add_argument("--intents", type=Path, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        if args.command == "parse":
            from wanwan.commands.parse import run_parse
            return run_parse(args)
        if args.command == "intents":
            from wanwan.commands.parse import run_intents
            return run_intents(args)
    except UserError as exc:
        print(f"wanwan: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {args.command}")
    return 2


def print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    sys.exit(main())
