"""``wanwan ask``: turns typed as if spoken at a site, acted on over MQTT."""

from __future__ import annotations

import argparse
import sys

from wanwan.assistant import Assistant
from wanwan.commands.options import add_common, add_intents, add_lab, make_assistant
from wanwan.commands.output import print_json
from wanwan.dialogue import Reply
from wanwan.names import ReplyKind


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="one turn at a site: understand, apply the dialogue "
                       "policy, act over MQTT, print the reply")
    add_common(p)
    p.add_argument("text", nargs="*", help="what is said; '-' reads one turn per line from "
                   "stdin; none starts an interactive session")
    p.add_argument("--site", default=None, help="site id (default: the first configured)")
    p.add_argument("--json", action="store_true",
                   help="intent, slots, reply and the commands sent with their acks")
    add_intents(p)
    add_lab(p)
    p.set_defaults(run=run, quiet=True)


def run(args: argparse.Namespace) -> int:
    texts: list[str] | None = None
    if args.text == ["-"]:
        texts = [line.rstrip("\n") for line in sys.stdin]
    elif args.text:
        texts = [" ".join(args.text)]
    interactive = texts is None

    def show(reply: Reply) -> None:  # what is said unprompted, between turns
        if reply.kind in (ReplyKind.ALARM, ReplyKind.NOTICE) and not args.json:
            print(f"[{reply.site}] ({reply.kind}) {reply.text}", flush=True)

    assistant = make_assistant(args, on_reply=show if interactive or not args.json else None)
    try:
        site = assistant.config.site(args.site).id
        if interactive:
            return _session(assistant, site, args.json)
        for text in texts or []:
            turn = assistant.ask(text, site)
            print_json(turn.to_json()) if args.json else print(turn.reply, flush=True)
        return 0
    finally:
        assistant.close()


def _session(assistant: Assistant, site: str, as_json: bool) -> int:
    print(f"wanwan at site {site!r}. Type what you would say; 'site NAME' switches site; "
          "empty line or Ctrl-D quits.", file=sys.stderr)
    while True:
        try:
            line = input(f"{site}> ")
        except EOFError:
            return 0
        if not line.strip():
            return 0
        if line.startswith("site "):
            site = assistant.config.site(line.split(None, 1)[1].strip()).id
            continue
        turn = assistant.ask(line, site)
        print_json(turn.to_json()) if as_json else print(turn.reply, flush=True)
