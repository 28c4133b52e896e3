"""``wanwan serve``: the assistant as a service on the broker."""

from __future__ import annotations

import argparse
import sys

from wanwan.commands.options import add_common, add_intents, add_lab, make_assistant
from wanwan.commands.signals import wait_for_signal


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="the assistant service: answers text sent to "
                       "{prefix}/site/SITE/query over MQTT")
    add_common(p)
    add_intents(p)
    add_lab(p)
    p.set_defaults(run=run, quiet=False)


def run(args: argparse.Namespace) -> int:
    assistant = make_assistant(args, on_reply=lambda r: print(f"[{r.site}] {r.text}",
                                                              flush=True))
    print(f"serving on {assistant.address.host}:{assistant.address.port}; send text to "
          f"{assistant.topics.prefix}/site/SITE/query; Ctrl-C stops", file=sys.stderr,
          flush=True)
    try:
        wait_for_signal()
    finally:
        assistant.close()
    return 0
