"""Options several subcommands share, and the assistant they build from them."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

from wanwan.assistant import Assistant
from wanwan.config import SiteConfig, load_config
from wanwan.dialogue import Reply
from wanwan.engine import load_engine

log = logging.getLogger(__name__)


def add_common(p: argparse.ArgumentParser, *, action: bool = False) -> None:
    """--config and -v; ``action``: on an action of a command ("ledger export"), where they
    may come after it too (their defaults are the command's)."""
    default = argparse.SUPPRESS if action else None
    p.add_argument("--config", type=Path, default=default,
                   help="site configuration file or folder (default: WANWAN_CONFIG, the "
                   "user's config folder, else the example site)")
    p.add_argument("-v", "--verbose", action="store_true",
                   default=argparse.SUPPRESS if action else False, help="debug logging")


def add_actions(p: argparse.ArgumentParser, dest: str) -> argparse._SubParsersAction:
    """A command's actions ("ledger export"), each taking --config and -v as well."""
    actions = p.add_subparsers(dest=dest, required=True, metavar="ACTION")
    add = actions.add_parser

    def add_action(*args, **kwargs) -> argparse.ArgumentParser:
        action = add(*args, **kwargs)
        add_common(action, action=True)
        return action

    actions.add_parser = add_action  # type: ignore[method-assign]
    return actions


def add_intents(p: argparse.ArgumentParser) -> None:
    p.add_argument("--intents", type=Path, default=None,
                   help="intent folder (default: the catalogue of the site's language)")


def add_speech(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", default=None,
                   help="auto, whisper, whisper-free, vosk, pocketsphinx, pocketsphinx-free "
                   "(default: speech.engine of the config, auto)")
    p.add_argument("--model", default=None, help="model folder or name under models/")


def add_lab(p: argparse.ArgumentParser) -> None:
    p.add_argument("--speed", type=float, default=1.0,
                   help="simulated time acceleration (default 1)")
    p.add_argument("--sim", dest="sim", action="store_true", default=None,
                   help="run the simulated lab even with a configured broker")
    p.add_argument("--no-sim", dest="sim", action="store_false",
                   help="do not simulate instruments (real ones or `wanwan sim` answer)")


def speech_choice(args: argparse.Namespace, config: SiteConfig) -> tuple[str, str | None]:
    """(engine, model): the command line's, else the configuration's."""
    return args.engine or config.speech.engine, args.model or config.speech.model


def make_assistant(args: argparse.Namespace,
                   on_reply: Callable[[Reply], None] | None = None) -> Assistant:
    config = load_config(args.config)
    engine = load_engine(getattr(args, "intents", None), args.config)
    assistant = Assistant(config, engine, simulate=args.sim, speed=args.speed,
                          on_reply=on_reply)
    if assistant.simulate and not assistant.wait_ready(5.0):
        log.warning("some simulated instruments have not reported yet")
    return assistant
