"""``wanwan sim``: the simulated instruments of the configured site, on the broker."""

from __future__ import annotations

import argparse
import sys

from wanwan.assistant import broker_address
from wanwan.broker import EmbeddedBroker
from wanwan.commands.options import add_common
from wanwan.commands.signals import catch_stop_signals, wait_for_signal
from wanwan.config import load_config
from wanwan.instruments.sim import LabSimulator


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sim", help="run the simulated instruments against the broker")
    add_common(p)
    p.add_argument("--speed", type=float, default=1.0)
    p.add_argument("--port", type=int, default=None,
                   help="port for the private broker when none is configured")
    p.set_defaults(run=run, quiet=False)


def run(args: argparse.Namespace) -> int:
    stop = catch_stop_signals()
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
        wait_for_signal(stop)
    finally:
        sim.stop()
        if broker:
            broker.close()
    return 0
