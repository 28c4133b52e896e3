"""Faults: the broker dying mid-session, garbage on every topic."""

from __future__ import annotations

import json
import threading

import pytest

from tests.conftest import make_lab, wait_for
from wanwan.assistant import Assistant
from wanwan.broker import EmbeddedBroker
from wanwan.bus.client import BrokerAddress, Bus
from wanwan.bus.messages import LedgerEntryMessage

KIOSK = "kiosk-recovery"


class LedgerMirror:
    """A consumer of ledger entries as a dashboard would be: persistent session, QoS 1,
    one copy per idempotency key."""

    def __init__(self, address: BrokerAddress, prefix: str) -> None:
        self.raw: list[str] = []
        self.entries: dict[str, LedgerEntryMessage] = {}
        self.lock = threading.Lock()
        self.bus = Bus(address, client_id="ledger-mirror", persistent_session=True,
                       presence=False)
        self.bus.subscribe(f"{prefix}/ledger/entry", LedgerEntryMessage, self._on_entry, qos=1)

    def _on_entry(self, topic: str, entry: LedgerEntryMessage) -> None:
        with self.lock:
            self.raw.append(entry.key)
            self.entries.setdefault(entry.key, entry)


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_broker_killed_and_restarted_while_logging_200_entries(site_config, engine, tmp_path,
                                                                protocol):
    broker = EmbeddedBroker(persistence=True).start()
    address = BrokerAddress(port=broker.port, protocol=protocol)
    mirror = LedgerMirror(address, site_config.topic_prefix)
    mirror.bus.start()
    assistant = Assistant(site_config, engine, address=address, simulate=False,
                          store_path=tmp_path / "db.sqlite3")
    try:
        wait_for(lambda: assistant.bus.connected and mirror.bus.connected)
        import time
        time.sleep(1.2)  # the broker saves the mirror's session (autosave every second)
        for n in range(1, 201):
            if n == 61:
                wait_for(lambda: len(mirror.entries) == 60, timeout=10)
                broker.kill()  # SIGKILL: as a crash or a power cut
                wait_for(lambda: not assistant.bus.connected, timeout=10)
            if n == 121:
                broker.start()
            turn = assistant.ask(f"log {n} litres to tanaka lab", KIOSK)
            assert turn.decision == "done", turn.reply
        assert assistant.outbox.wait_drained(30), assistant.outbox.counts()
        try:
            wait_for(lambda: len(mirror.entries) >= 200, timeout=30)
        except AssertionError:  # seen once under a full local run: say what was missing
            missing = sorted({e.amount for e in assistant.ledger.entries()}
                             - {e.amount for e in mirror.entries.values()})
            raise AssertionError(
                f"mirror lacks amounts {missing}; mirror connected {mirror.bus.connected}, "
                f"disconnects {mirror.bus.stats.disconnects}; outbox "
                f"{assistant.outbox.counts()}") from None
        ledger = assistant.ledger.entries()
        assert sorted(e.amount for e in ledger) == list(range(1, 201))
        assert {e.key for e in ledger} == set(mirror.entries)  # each entry reached the bus
        assert len(mirror.entries) == 200  # exactly once per idempotency key
        assert assistant.bus.stats.disconnects >= 1
        print(f"raw deliveries {len(mirror.raw)} for 200 entries "
              f"({len(mirror.raw) - 200} duplicates removed by key)")
    finally:
        assistant.close()
        mirror.bus.stop()
        broker.close()


GARBAGE = [
    b"\xff\xfe\x00 not json",
    b"{",
    b"[1, 2, 3]",
    b'{"id": "12", "capacity_l": "lots", "level_pct": "high"}',
    b'{"id": "12", "capacity_l": 100, "level_pct": NaN}',
    b"",
    b"x" * 1_000_000,
    json.dumps({"text": "x" * 300_000}).encode(),
]


def test_garbage_on_every_subscribed_topic(broker, site_config, engine, tmp_path):
    lab = make_lab(site_config, engine, broker.port, tmp_path / "db.sqlite3")
    try:
        before = lab.ask("what's the level in dewar twelve", "bay-1").reply
        prefix = site_config.topic_prefix
        topics = [f"{prefix}/transfer_bay/{leaf}" for leaf in (
            "dewar/12/state", "dewar/12/status", "dewar/12/cmd", "dewar/12/event",
            "dewar/12/alarm", "transfer/tc1/cmd", "oxygen/o2-bay/alarm")]
        topics += [f"{prefix}/site/bay-1/query", f"{prefix}/sim/fault", lab.bus.reply_topic,
                   lab.sim.bus.reply_topic]
        noise = Bus(BrokerAddress(port=broker.port), presence=False).start()
        for topic in topics:
            for payload in GARBAGE:
                noise.publish(topic, payload, qos=1).wait_for_publish(5)
        dropped = lab.bus.stats.dropped + lab.sim.bus.stats.dropped
        wait_for(lambda: lab.bus.stats.dropped + lab.sim.bus.stats.dropped >= dropped
                 and lab.bus.stats.dropped >= 40, timeout=10)
        noise.stop()
        assert lab.bus.connected and lab.sim.bus.connected
        reasons = " ".join(lab.bus.stats.drop_reasons)
        assert "not JSON" in reasons and "over 262144" in reasons
        assert "Input should be" in reasons or "finite" in reasons
        after = lab.ask("what's the level in dewar twelve", "bay-1").reply
        assert after[:16] == before[:16] == "Dewar 12 is at 6"  # the last good reading stands
        assert lab.ask("start the compressor", KIOSK).decision == "readback"
        assert lab.ask("confirm", KIOSK).commands[0].ok is True
    finally:
        lab.close()


def test_embedded_broker_restarts_on_its_port_and_cleans_up_when_closed():
    broker = EmbeddedBroker().start()
    folder, port = broker._dir, broker.port
    broker.stop()
    assert folder.exists()  # stopped, not closed: it may start again on the same port
    broker.start()
    assert broker.running and broker.port == port
    broker.close()
    assert not broker.running and not folder.exists()


def test_a_subscription_is_known_to_be_taken_before_anyone_publishes(broker):
    """Publishing right after subscribing lost the message on a busy machine: the broker had
    not taken the subscription yet. ``wait_subscribed`` says when it has."""
    got: list[bytes] = []
    listener = Bus(BrokerAddress(port=broker.port), presence=False).start()
    talker = Bus(BrokerAddress(port=broker.port), presence=False).start()
    try:
        for n in range(20):
            listener.subscribe_raw(f"test/sub/{n}", lambda topic, payload: got.append(payload))
            assert listener.wait_subscribed(5)
            talker.publish(f"test/sub/{n}", b"%d" % n, qos=1)
        wait_for(lambda: len(got) == 20)
        assert sorted(got, key=int) == [b"%d" % n for n in range(20)]
    finally:
        listener.stop()
        talker.stop()
