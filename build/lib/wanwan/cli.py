"""The ``wanwan`` command line (contract: shared/spec/cli.md): a leaf that nothing imports.

Each subcommand lives in its own module under :mod:`wanwan.commands`, which adds its parser and
runs it; this module only assembles them, sets up logging and turns a :class:`UserError` into
one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys

from wanwan import __version__
from wanwan.commands import (
    ask,
    broker,
    demo,
    intents,
    ledger,
    listen,
    models,
    parse,
    satellite,
    say,
    serve,
    sim,
)
from wanwan.errors import UserError

SUBCOMMANDS = (parse, intents, ask, sim, serve, satellite, say, demo, models, listen, ledger,
               broker)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wanwan", description="Offline voice assistant for helium recovery labs.")
    parser.add_argument("--version", action="version", version=f"wanwan {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in SUBCOMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # commands whose output is the answer log only warnings; services log what they do
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else (logging.WARNING if args.quiet
                                                  else logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        return args.run(args)
    except UserError as exc:
        print(f"wanwan: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `wanwan broker acl | head`: the reader has what it wanted
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
