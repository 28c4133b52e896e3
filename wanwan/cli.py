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


def speech_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", default=None,
                   help="auto, whisper, vosk, pocketsphinx, pocketsphinx-free "
                   "(default: speech.engine of the config, auto)")
    p.add_argument("--model", default=None, help="model folder or name under models/")


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
    p.add_argument("--audio", default=None, metavar="FILE",
                   help="recognise speech in a WAV/FLAC file ('-': raw 16-bit PCM on stdin)")
    p.add_argument("--rate", type=int, default=16000, help="sample rate of raw PCM input")
    speech_options(p)

    p = sub.add_parser("intents", help="intent catalogue tools")
    _add_common(p)
    isub = p.add_subparsers(dest="intents_command", required=True, metavar="ACTION")
    c = isub.add_parser("check", help="validate every intent file and run its test sentences")
    c.add_argument("--intents", type=Path, default=None)
    c = isub.add_parser("list", help="the intents, their slots and an example each")
    c.add_argument("--intents", type=Path, default=None)
    def lab_options(q: argparse.ArgumentParser) -> None:
        q.add_argument("--speed", type=float, default=1.0,
                       help="simulated time acceleration (default 1)")
        q.add_argument("--sim", dest="sim", action="store_true", default=None,
                       help="run the simulated lab even with a configured broker")
        q.add_argument("--no-sim", dest="sim", action="store_false",
                       help="do not simulate instruments (real ones or `wanwan sim` answer)")

    p = sub.add_parser("ask", help="one turn at a site: understand, apply the dialogue "
                       "policy, act over MQTT, print the reply")
    _add_common(p)
    p.add_argument("text", nargs="*", help="what is said; '-' reads one turn per line from "
                   "stdin; none starts an interactive session")
    p.add_argument("--site", default=None, help="site id (default: the first configured)")
    p.add_argument("--json", action="store_true",
                   help="intent, slots, reply and the commands sent with their acks")
    p.add_argument("--intents", type=Path, default=None)
    lab_options(p)

    p = sub.add_parser("sim", help="run the simulated instruments against the broker")
    _add_common(p)
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--port", type=int, default=None,
                   help="port for the private broker when none is configured")

    p = sub.add_parser("serve", help="the assistant service: answers text sent to "
                       "{prefix}/site/SITE/query over MQTT")
    _add_common(p)
    p.add_argument("--intents", type=Path, default=None)
    lab_options(p)

    p = sub.add_parser("say", help="speak text, or write it to a WAV file")
    _add_common(p)
    p.add_argument("text", nargs="+")
    p.add_argument("-o", "--output", type=Path, default=None, help="write a WAV file")
    p.add_argument("--voice", default="en-us")
    p.add_argument("--rate", type=int, default=160, help="words per minute")

    p = sub.add_parser("demo", help="zero-set-up spoken session: private broker, simulated "
                       "lab, speech in, replies to WAV files; exit 0 when every step worked")
    _add_common(p)
    p.add_argument("--out", default=None, help="folder for the WAV files (default: a new "
                   "temporary folder)")
    speech_options(p)

    p = sub.add_parser("models", help="speech models: list, fetch NAME, verify")
    _add_common(p)
    msub = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    msub.add_parser("list", help="known and installed models")
    f = msub.add_parser("fetch", help="download, check and unpack a model")
    f.add_argument("name")
    msub.add_parser("verify", help="check every installed model")

    p = sub.add_parser("listen", help="the kiosk: microphone in, speaker out")
    _add_common(p)
    p.add_argument("--site", default=None)
    p.add_argument("--device", default=None, help="input device name or index")
    p.add_argument("--intents", type=Path, default=None)
    speech_options(p)
    lab_options(p)

    p = sub.add_parser("ledger", help="the ledger of dispensed and recovered helium")
    _add_common(p)
    lsub = p.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    e = lsub.add_parser("export", help="every entry, oldest first")
    e.add_argument("--csv", action="store_true", help="CSV with a header row")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # commands whose output is the answer log only warnings
    quiet = args.command in ("parse", "ask", "intents", "ledger", "say", "models", "demo")
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else (
            logging.WARNING if quiet else logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")
    try:
        if getattr(args, "engine", "unset") is None or getattr(args, "model", "unset") is None:
            from wanwan.config import load_config

            speech = load_config(args.config).speech
            if getattr(args, "engine", "unset") is None:
                args.engine = speech.engine
            if getattr(args, "model", "unset") is None:
                args.model = speech.model
        if args.command == "parse":
            from wanwan.commands.parse import run_parse
            return run_parse(args)
        if args.command == "intents":
            from wanwan.commands.parse import run_intents
            return run_intents(args)
        if args.command == "demo":
            from wanwan.demo import main as demo_main
            return demo_main(args)
        if args.command in ("say", "models", "listen"):
            from wanwan.commands import voice
            return getattr(voice, f"run_{args.command}")(args)
        if args.command in ("ask", "sim", "serve", "ledger"):
            from wanwan.commands import lab
            return getattr(lab, f"run_{args.command}")(args)
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
