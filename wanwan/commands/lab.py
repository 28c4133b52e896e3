"""``wanwan ask``, ``sim``, ``serve`` and ``ledger``: the lab side from the command line."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time

from wanwan.cli import print_json
from wanwan.commands.parse import load_engine
from wanwan.config import load_config
from wanwan.dialogue import Reply

log = logging.getLogger(__name__)


def _assistant(args: argparse.Namespace, on_reply=None):
    from wanwan.assistant import Assistant

    config = load_config(args.config)
    engine = load_engine(getattr(args, "intents", None), args.config)
    assistant = Assistant(config, engine, simulate=args.sim, speed=args.speed,
                          on_reply=on_reply)
    if assistant.simulate and not assistant.wait_ready(5.0):
        log.warning("some simulated instruments have not reported yet")
    return assistant


def run_ask(args: argparse.Namespace) -> int:
    texts: list[str] | None = None
    if args.text == ["-"]:
        texts = [line.rstrip("\n") for line in sys.stdin]
    elif args.text:
        texts = [" ".join(args.text)]
    interactive = texts is None

    def show(reply: Reply) -> None:
        if reply.kind in ("alarm", "notice") and not args.json:
            print(f"[{reply.site}] ({reply.kind}) {reply.text}", flush=True)

    assistant = _assistant(args, on_reply=show if interactive or not args.json else None)
    try:
        site = assistant.config.site(args.site).id
        if interactive:
            return _repl(assistant, site, args.json)
        for text in texts or []:
            turn = assistant.ask(text, site)
            if args.json:
                print_json(turn.to_json())
            else:
                print(turn.reply, flush=True)
        return 0
    finally:
        assistant.close()


def _repl(assistant, site: str, as_json: bool) -> int:
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


def _wait_for_signal() -> None:
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(0.5):
        pass


def run_sim(args: argparse.Namespace) -> int:
    from wanwan.assistant import broker_address
    from wanwan.broker import EmbeddedBroker
    from wanwan.instruments.sim import LabSimulator

    config = load_config(args.config)
    broker = None
    if config.broker.host is None:
        broker = EmbeddedBroker(port=args.port).start()
        print(f"no broker configured: started mosquitto on 127.0.0.1:{broker.port}",
              file=sys.stderr, flush=True)
    address = broker_address(config, broker.port if broker else None)
    sim = LabSimulator(config, address, speed=args.speed).start()
    print(f"simulating {len(sim.states())} instruments at {args.speed:g}x; Ctrl-C stops",
          file=sys.stderr, flush=True)
    try:
        _wait_for_signal()
    finally:
        sim.stop()
        if broker:
            broker.close()
    return 0


def run_serve(args: argparse.Namespace) -> int:
    assistant = _assistant(args, on_reply=lambda r: print(f"[{r.site}] {r.text}", flush=True))
    print(f"serving on {assistant.address.host}:{assistant.address.port}; send text to "
          f"{assistant.topics.prefix}/site/SITE/query; Ctrl-C stops", file=sys.stderr,
          flush=True)
    try:
        _wait_for_signal()
    finally:
        assistant.close()
    return 0


def run_ledger(args: argparse.Namespace) -> int:
    from wanwan.bus.outbox import Outbox
    from wanwan.bus.topics import Topics
    from wanwan.ledger import Ledger
    from wanwan.store import Store, default_store_path

    config = load_config(args.config)
    store = Store(default_store_path(config.ledger_path))
    ledger = Ledger(store, Outbox(store), Topics(config.topic_prefix))
    if args.csv:
        ledger.export_csv(sys.stdout)
        return 0
    for e in ledger.entries():
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.ts))
        undone = "  (undone)" if e.undone else ""
        print(f"{when}  {e.site:<16} {e.amount:>8g} {e.unit:<3} {e.phase:<6} "
              f"{e.direction:<9} dewar={e.dewar or '-':<4} lab={e.lab or '-'}{undone}")
    return 0
