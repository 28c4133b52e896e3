"""Load: many satellites streaming to one `wanwan serve` over one mosquitto.

The example site with N satellite sites (half bays, half kiosks) is served by `wanwan serve
--sim` (its own secured broker); N satellites, each with its own broker login, stream spoken
orders as Hermes audioFrame chunks in real time, gated by the satellite's voice detector
exactly as `wanwan satellite` sends them. Two patterns:

- burst: all N start speaking at the same instant (the worst case: a shift change);
- steady: each satellite speaks at random moments, on average once every --every seconds.

Measured from the moment a satellite's last chunk of speech is sent (the end of speech): the
reply's text on the site's reply topic, and the reply's audio arriving as playBytes. The
server's CPU (and mosquitto's) is read from /proc over the run, in cores.

    .venv/bin/python scripts/bench_load.py --satellites 50 --engines whisper,pocketsphinx
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wanwan.assistant import address_file  # noqa: E402
from wanwan.audio.io import RATE, load_audio, wav_bytes  # noqa: E402
from wanwan.audio.vad import VoiceGate  # noqa: E402
from wanwan.broker import read_address_file  # noqa: E402
from wanwan.bus import hermes  # noqa: E402
from wanwan.bus.client import BrokerAddress, Bus  # noqa: E402
from wanwan.bus.messages import ReplyMessage  # noqa: E402
from wanwan.keys import SiteKey  # noqa: E402
from wanwan.progress import Progress  # noqa: E402
from wanwan.security import site_user  # noqa: E402

BLOCK = RATE // 10
ORDERS = [  # read-only orders, so that thousands of them leave the simulated lab as it was
    ("wan wan, what's the level in dewar twelve", "en-us"),
    ("wan wan, how much liquid helium do we have", "en-gb"),
    ("wan wan, how full is the gas bag", "en-us+f3"),
    ("wan wan, what's the level in dewar seven", "en-us+m3"),
    ("wan wan, is the compressor running", "en-gb+f2"),
    ("wan wan, what's the oxygen level in the recovery room", "en-us"),
]


@dataclass
class Spoken:
    """One order as a satellite streams it: the chunks to send at each 100 ms block."""

    text: str
    sends: list[list[bytes]]
    speech_ends_at_block: int


def prepare(tmp: Path) -> list[Spoken]:
    out = []
    for n, (text, voice) in enumerate(ORDERS):
        path = tmp / f"order-{n}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(path), text],
                       check=True, capture_output=True)
        speech = load_audio(path).samples
        loud = np.flatnonzero(np.abs(speech) > 300)
        lead = np.zeros(RATE // 2, np.int16)
        room = np.concatenate([lead, speech, np.zeros(int(RATE * 1.5), np.int16)])
        gate = VoiceGate()
        sends = [[wav_bytes(c) for c in gate.feed(room[i:i + BLOCK])]
                 for i in range(0, len(room), BLOCK)]
        out.append(Spoken(text, sends, (len(lead) + loud[-1]) // BLOCK))
    return out


@dataclass
class Satellite:
    site: str
    bus: Bus
    pending: list[tuple[float, str]] = field(default_factory=list)  # (end of speech, text)
    text_ms: list[float] = field(default_factory=list)
    audio_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    spoken_end: float | None = None
    audio_waiting: float | None = None

    def on_reply(self, topic: str, reply: ReplyMessage) -> None:
        now = time.perf_counter()
        with self.lock:
            if self.spoken_end is not None and reply.kind in ("reply", "readback", "error"):
                self.text_ms.append((now - self.spoken_end) * 1000)
                self.audio_waiting, self.spoken_end = self.spoken_end, None

    def on_play(self, topic: str, wav: bytes) -> None:
        now = time.perf_counter()
        with self.lock:
            if self.audio_waiting is not None:
                self.audio_ms.append((now - self.audio_waiting) * 1000)
                self.audio_waiting = None
        self.bus.publish(hermes.play_finished(self.site),
                         hermes.PlayFinished(id=topic.rsplit("/", 1)[-1], site_id=self.site))


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def run_engine(engine: str, n: int, pattern: str, rounds: int, every: float,
               spoken: list[Spoken], tmp: Path) -> dict:
    config = yaml.safe_load((ROOT / "config" / "site.yaml").read_text())
    bays = [f"bay-{i:02d}" for i in range(1, n // 2 + 1)]
    kiosks = [f"kiosk-{i:02d}" for i in range(1, n - len(bays) + 1)]
    config["sites"] = ([{"id": s, "room": "transfer_bay"} for s in bays]
                       + [{"id": s, "room": "recovery",
                           "denied_intents": ["start_transfer"]} for s in kiosks])
    folder = tmp / engine
    folder.mkdir()
    (folder / "site.yaml").write_text(yaml.safe_dump(config))
    db = folder / "wanwan.sqlite3"
    env = dict(os.environ, WANWAN_DB=str(db), PYTHONUNBUFFERED="1")
    log = (folder / "serve.log").open("w")  # a pipe nobody reads would fill and block
    serve = subprocess.Popen(
        [sys.executable, "-m", "wanwan", "serve", "--sim", "--config", str(folder / "site.yaml"),
         "--engine", engine], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    satellites: list[Satellite] = []
    try:
        deadline = time.monotonic() + 60
        while (found := read_address_file(address_file(db))) is None:
            if time.monotonic() > deadline or serve.poll() is not None:
                raise SystemExit("serve did not start: "
                                 f"{(folder / 'serve.log').read_text()[-2000:]}")
            time.sleep(0.1)
        key = SiteKey.load(db.with_suffix(".key"), create=False)
        for site in bays + kiosks:
            address = BrokerAddress(host=found[0], port=found[1], username=site_user(site),
                                    password=key.password(site_user(site)))
            bus = Bus(address, f"load-{site}", presence=f"wanwan/site/{site}/satellite")
            satellite = Satellite(site, bus)
            bus.subscribe(f"wanwan/site/{site}/reply", ReplyMessage, satellite.on_reply)
            bus.subscribe_raw(hermes.play_bytes_of(site), satellite.on_play, qos=1,
                              max_bytes=8_000_000)
            bus.start()
            satellites.append(satellite)
        # a first order from every satellite loads the recogniser; not measured
        warm = satellites[0]
        for block in spoken[0].sends:
            for chunk in block:
                warm.bus.publish(hermes.audio_frame(warm.site), chunk, qos=0)
        time.sleep(8)
        for s in satellites:
            s.text_ms.clear()
            s.audio_ms.clear()
        broker_pid = next(iter(children(serve.pid)), None)
        cpu0 = cpu_s(serve.pid), cpu_s(broker_pid) if broker_pid else 0.0
        wall0 = time.perf_counter()
        rng = random.Random(7)
        # the schedule: (start time in blocks, satellite, order)
        schedule: list[tuple[int, Satellite, Spoken]] = []
        if pattern == "burst":
            gap = max(len(o.sends) for o in spoken) + 150  # 15 s apart: the queue empties
            for r in range(rounds):
                schedule += [(r * gap, s, spoken[(i + r) % len(spoken)])
                             for i, s in enumerate(satellites)]
        else:
            horizon = int(rounds * every * 10)
            for i, s in enumerate(satellites):
                t = rng.randint(0, int(every * 10))
                while t < horizon:
                    schedule.append((t, s, spoken[(i + t) % len(spoken)]))
                    t += max(len(spoken[0].sends) + 20, int(rng.expovariate(1 / every) * 10))
        total = len(schedule)
        last_block = max(t + len(o.sends) for t, _, o in schedule)
        active: list[tuple[int, Satellite, Spoken]] = []
        schedule.sort(key=lambda item: item[0])
        started = time.perf_counter()
        with Progress(last_block, f"{engine} {pattern}", " blocks") as bar:
            for tick in range(last_block + 1):
                while schedule and schedule[0][0] == tick:
                    active.append(schedule.pop(0))
                still = []
                for begun, satellite, order in active:
                    index = tick - begun
                    for chunk in order.sends[index]:
                        satellite.bus.publish(hermes.audio_frame(satellite.site), chunk, qos=0)
                    if index == order.speech_ends_at_block:
                        with satellite.lock:
                            satellite.spoken_end = time.perf_counter()
                    if index + 1 < len(order.sends):
                        still.append((begun, satellite, order))
                active = still
                bar.update()
                time.sleep(max(0.0, started + (tick + 1) * 0.1 - time.perf_counter()))
        time.sleep(20 if pattern == "burst" else 8)  # the last replies
        wall = time.perf_counter() - wall0
        cpu = cpu_s(serve.pid) - cpu0[0], (cpu_s(broker_pid) - cpu0[1]) if broker_pid else 0.0
    finally:
        for s in satellites:
            s.bus.stop()
        serve.terminate()
        serve.wait(30)
    text = sorted(x for s in satellites for x in s.text_ms)
    audio = sorted(x for s in satellites for x in s.audio_ms)

    def pct(xs: list[float], q: float) -> float:
        return round(xs[min(len(xs) - 1, int(len(xs) * q))], 0) if xs else float("nan")

    return {"engine": engine, "pattern": pattern, "satellites": n, "orders": total,
            "answered": len(text), "text_p50_ms": pct(text, 0.5), "text_p95_ms": pct(text, 0.95),
            "audio_p50_ms": pct(audio, 0.5), "audio_p95_ms": pct(audio, 0.95),
            "server_cores": round(cpu[0] / wall, 2), "broker_cores": round(cpu[1] / wall, 3),
            "seconds": round(wall, 0)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--satellites", type=int, default=50)
    parser.add_argument("--engines", default="whisper,pocketsphinx")
    parser.add_argument("--patterns", default="burst,steady")
    parser.add_argument("--rounds", type=int, default=2, help="bursts, or steady minutes/every")
    parser.add_argument("--every", type=float, default=60.0,
                        help="steady: seconds between one satellite's orders, on average")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="wanwan-load-") as tmp:
        spoken = prepare(Path(tmp))
        for engine in args.engines.split(","):
            for pattern in args.patterns.split(","):
                run_dir = Path(tmp) / f"{engine}-{pattern}"
                run_dir.mkdir()
                results.append(run_engine(engine, args.satellites, pattern, args.rounds,
                                          args.every, spoken, run_dir))
                print(json.dumps(results[-1]), flush=True)
    print(f"\n{'engine':13} {'pattern':7} {'orders':>6} {'answered':>8} {'text p50':>9} "
          f"{'p95':>7} {'audio p50':>9} {'p95':>7} {'server':>7} {'broker':>7}")
    for r in results:
        print(f"{r['engine']:13} {r['pattern']:7} {r['orders']:6} {r['answered']:8} "
              f"{r['text_p50_ms']:7.0f}ms {r['text_p95_ms']:5.0f}ms {r['audio_p50_ms']:7.0f}ms "
              f"{r['audio_p95_ms']:5.0f}ms {r['server_cores']:5.2f}c {r['broker_cores']:6.3f}c")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
