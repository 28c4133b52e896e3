#!/usr/bin/env python3
"""Bus benchmark: the lab side over a loopback mosquitto, MQTT 3.1.1 and 5 side by side.

    bash scripts/bootstrap.sh && .venv/bin/python scripts/bench_bus.py

For each protocol version, against a fresh private mosquitto and the simulated lab:
- command round trip: request to acknowledgement (the simulator adds no delay of its own);
- utterance to acknowledgement: a whole turn, "stop the transfer" (parse, policy, command,
  ack, audit records, reply), which is never gated, so each turn sends a command;
- sustained turns per second, one site and two sites at once ("what's the level in dewar
  twelve": each turn asks the level meter for a fresh reading);
- outbox drain rate: ledger entries logged while the broker is down, delivered after it
  returns, with a persistent-session consumer counting them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wanwan import load_engine  # noqa: E402
from wanwan.assistant import Assistant  # noqa: E402
from wanwan.broker import EmbeddedBroker  # noqa: E402
from wanwan.bus.client import BrokerAddress, Bus  # noqa: E402
from wanwan.bus.messages import LedgerEntryMessage  # noqa: E402
from wanwan.config import load_config  # noqa: E402
from wanwan.progress import Progress  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


def run(protocol: str, turns: int, backlog: int, seconds: float) -> dict[str, float]:
    config = load_config(ROOT / "config")
    engine = load_engine(None, None)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(persistence=True) as broker:
        address = BrokerAddress(port=broker.port, protocol=protocol)
        lab = Assistant(config, engine, address=address, simulate=True, speed=1.0,
                        store_path=Path(tmp) / "bench.sqlite3")
        lab.wait_ready(10)
        try:
            round_trips, turn_ms = [], []
            with Progress(turns, f"MQTT {protocol:>5} turns") as bar:
                for _ in range(turns):
                    t0 = time.perf_counter()
                    lab.instruments.command("transfer_bay", "transfer", "tc1", "status")
                    round_trips.append((time.perf_counter() - t0) * 1000)
                    turn = lab.ask("stop the transfer", "bay-1")
                    assert turn.commands and turn.commands[0].ok, turn.reply
                    turn_ms.append(turn.elapsed_ms)
                    bar.update()
            out["round trip p50 (ms)"] = statistics.median(round_trips)
            out["round trip p99 (ms)"] = pct(round_trips, 99)
            out["utterance→ack p50 (ms)"] = statistics.median(turn_ms)
            out["utterance→ack p99 (ms)"] = pct(turn_ms, 99)

            def worker(counts: list[int], i: int, site: str, stop_at: float) -> None:
                while time.monotonic() < stop_at:
                    lab.ask("what's the level in dewar twelve", site)
                    counts[i] += 1

            for sites in (["bay-1"], ["bay-1", "kiosk-recovery"]):
                counts = [0] * len(sites)
                stop_at = time.monotonic() + seconds
                threads = [threading.Thread(target=worker, args=(counts, i, s, stop_at))
                           for i, s in enumerate(sites)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                out[f"turns/s, {len(sites)} site{'s' if len(sites) > 1 else ''}"] = (
                    sum(counts) / seconds)

            mirror = Bus(address, client_id=f"bench-mirror-{protocol}",
                         persistent_session=True, presence=False)
            got: set[str] = set()
            mirror.subscribe(f"{config.topic_prefix}/ledger/entry", LedgerEntryMessage,
                             lambda t, m: got.add(m.key))
            mirror.start()
            time.sleep(1.2)  # the broker saves the consumer's session
            broker.stop()
            while lab.bus.connected:
                time.sleep(0.01)
            for n in range(backlog):
                lab.ledger.log(site="bench", amount=n + 1, unit="L", phase="liquid",
                               direction="dispensed")
            t0 = time.perf_counter()
            broker.start()
            lab.outbox.wait_drained(120)
            drained = time.perf_counter() - t0
            while len(got) < backlog and time.perf_counter() - t0 < 120:
                time.sleep(0.005)
            received = time.perf_counter() - t0
            mirror.stop()
            out["outbox drain (entries/s, incl. reconnect)"] = backlog / drained
            out["consumer received all (s)"] = received
            out["consumer received (of backlog)"] = len(got)
        finally:
            lab.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--turns", type=int, default=500)
    ap.add_argument("--backlog", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    results = {p: run(p, args.turns, args.backlog, args.seconds) for p in ("3.1.1", "5")}
    names = list(results)
    rows = list(results[names[0]])
    if args.markdown:
        print("| measure | " + " | ".join(f"MQTT {n}" for n in names) + " |")
        print("|---|" + "---|" * len(names))
        for row in rows:
            print(f"| {row} | " + " | ".join(f"{results[n][row]:.1f}" for n in names) + " |")
    else:
        print(f"{'':44}" + "".join(f"{'MQTT ' + n:>12}" for n in names))
        for row in rows:
            print(f"{row:44}" + "".join(f"{results[n][row]:>12.1f}" for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
