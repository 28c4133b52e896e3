"""Soak: does `wanwan serve` stay the same size over tens of thousands of turns?

Starts `wanwan serve --sim --no-satellites` as a user would (its own private, secured
mosquitto, a fresh database), then plays the part of two sites' devices: a technician's day
at the bay (levels, logging, start, confirm, status, stop, alerts, things it does not
understand) and a manager's questions at the kiosk, one turn after another, each waiting for
its reply. The server's resident memory (VmRSS) is sampled every 500 turns; the figure that
matters is its growth after warm-up (the first 2,000 turns), which must stay within ±10 MB.

    .venv/bin/python scripts/bench_soak.py --turns 20000 [--json out.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wanwan.assistant import address_file  # noqa: E402
from wanwan.broker import read_address_file  # noqa: E402
from wanwan.bus.client import BrokerAddress, Bus  # noqa: E402
from wanwan.bus.messages import ReplyMessage, SiteQuery  # noqa: E402
from wanwan.keys import SiteKey  # noqa: E402
from wanwan.progress import Progress  # noqa: E402
from wanwan.security import site_user  # noqa: E402

BAY, KIOSK = "bay-1", "kiosk-recovery"
# what a bay hears in a day, in order (a transfer starts, is confirmed, checked and stopped)
BAY_DAY = [
    "what's the level in dewar twelve", "log fifty litres to tanaka lab",
    "start the transfer from dewar seven into the nmr six hundred", "confirm",
    "how is the transfer going", "stop", "undo that", "tell me when dewar three drops below "
    "twenty percent", "what's the pressure in the gas bag", "the weather is nice today",
    "log twelve point five litres to the suzuki lab", "cancel",
]
KIOSK_DAY = [
    "how much liquid helium do we have", "what's the level in dewar twenty",
    "how full is the gas bag", "is the compressor running", "what's the oxygen level",
    "did anyone order pizza",
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


class Device:
    """One site's client: sends a query, waits for the reply that answers it."""

    def __init__(self, address: BrokerAddress, site: str) -> None:
        self.site = site
        self._got = threading.Event()
        self.bus = Bus(address, f"soak-{site}", presence=False)
        self.bus.subscribe(f"wanwan/site/{site}/reply", ReplyMessage, self._on_reply)
        self.bus.start()

    def _on_reply(self, topic: str, reply: ReplyMessage) -> None:
        if reply.kind in ("reply", "readback"):
            self._got.set()

    def turn(self, text: str, timeout: float = 10.0) -> float:
        self._got.clear()
        sent = time.perf_counter()
        self.bus.publish(f"wanwan/site/{self.site}/query", SiteQuery(text=text))
        if not self._got.wait(timeout):
            raise RuntimeError(f"no reply at {self.site} to {text!r}")
        return (time.perf_counter() - sent) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=20000)
    parser.add_argument("--warmup", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wanwan-soak-") as tmp:
        db = Path(tmp) / "wanwan.sqlite3"
        env = dict(os.environ, WANWAN_DB=str(db), PYTHONUNBUFFERED="1")
        log = (Path(tmp) / "serve.log").open("w")  # a pipe nobody reads would fill and block
        serve = subprocess.Popen(
            [sys.executable, "-m", "wanwan", "serve", "--sim", "--speed", "60",
             "--no-satellites"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while (found := read_address_file(address_file(db))) is None:
                if time.monotonic() > deadline or serve.poll() is not None:
                    raise SystemExit("serve did not start: "
                                     f"{(Path(tmp) / 'serve.log').read_text()[-2000:]}")
                time.sleep(0.1)
            time.sleep(1.0)  # the simulated instruments report
            key = SiteKey.load(db.with_suffix(".key"), create=False)
            devices = [Device(BrokerAddress(host=found[0], port=found[1],
                                            username=site_user(site),
                                            password=key.password(site_user(site))), site)
                       for site in (BAY, KIOSK)]
            script = itertools.cycle(
                [(devices[0], t) for t in BAY_DAY] + [(devices[1], t) for t in KIOSK_DAY])
            samples: list[tuple[int, float]] = [(0, rss_mb(serve.pid))]
            latencies: list[float] = []
            started = time.perf_counter()
            with Progress(args.turns, "soak", " turns") as bar:
                for n in range(1, args.turns + 1):
                    device, text = next(script)
                    try:
                        latencies.append(device.turn(text))
                    except RuntimeError:
                        _dump_threads(serve.pid)
                        raise
                    bar.update()
                    if n % 500 == 0:
                        samples.append((n, rss_mb(serve.pid)))
            elapsed = time.perf_counter() - started
            for device in devices:
                device.bus.stop()
        finally:
            serve.terminate()
            serve.wait(30)
        outbox_rows = _count(db, "outbox")
        audit_rows = _count(db, "audit")

    warm = [mb for n, mb in samples if n >= args.warmup]
    latencies.sort()
    result = {
        "turns": args.turns, "seconds": round(elapsed, 1),
        "turns_per_s": round(args.turns / elapsed, 1),
        "rss_start_mb": round(samples[0][1], 1),
        "rss_after_warmup_mb": round(warm[0], 1), "rss_end_mb": round(warm[-1], 1),
        "rss_growth_after_warmup_mb": round(warm[-1] - warm[0], 1),
        "rss_range_after_warmup_mb": round(max(warm) - min(warm), 1),
        "reply_p50_ms": round(latencies[len(latencies) // 2], 1),
        "reply_p95_ms": round(latencies[int(len(latencies) * 0.95)], 1),
        "audit_rows": audit_rows, "outbox_rows": outbox_rows,
        "samples": samples,
    }
    print(f"{args.turns} turns in {elapsed:.0f} s ({result['turns_per_s']}/s); reply p50 "
          f"{result['reply_p50_ms']} ms, p95 {result['reply_p95_ms']} ms")
    print(f"serve RSS: {result['rss_start_mb']} MB at start, {result['rss_after_warmup_mb']} MB "
          f"after {args.warmup} turns, {result['rss_end_mb']} MB at the end: "
          f"{result['rss_growth_after_warmup_mb']:+} MB after warm-up "
          f"(range {result['rss_range_after_warmup_mb']} MB)")
    print(f"database: {audit_rows} audit rows, {outbox_rows} outbox rows")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0 if abs(result["rss_growth_after_warmup_mb"]) <= 10 else 1


def _dump_threads(pid: int) -> None:
    """Where every thread of the server is, when it stopped answering (py-spy, if there)."""
    spy = Path(sys.executable).parent / "py-spy"
    if spy.exists():
        subprocess.run([str(spy), "dump", "--pid", str(pid)], check=False)


def _count(db: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


if __name__ == "__main__":
    sys.exit(main())
