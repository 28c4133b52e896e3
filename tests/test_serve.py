"""`wanwan serve`: turns that arrive over MQTT act on the lab, and a stop always gets through.

Everything goes through a real mosquitto: queries are published as a satellite or a tool would,
replies are read from the site's reply topic, commands are acknowledged by the simulated
controller over MQTT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import yaml

from tests.conftest import ROOT, make_lab, wait_for
from wanwan.bus.client import BrokerAddress, Bus
from wanwan.bus.messages import ReplyMessage, SiteQuery, TransferState
from wanwan.config import Timeouts

BAY, KIOSK = "bay-1", "kiosk-recovery"


class SiteClient:
    """What a satellite or a Node-RED flow does: publish text to a site, read its replies."""

    def __init__(self, port: int, prefix: str = "wanwan") -> None:
        self.prefix = prefix
        self.replies: list[tuple[float, ReplyMessage]] = []
        self.transfer: TransferState | None = None
        self._lock = threading.Lock()
        self.bus = Bus(BrokerAddress(port=port), presence=False)
        self.bus.subscribe(f"{prefix}/site/+/reply", ReplyMessage, self._on_reply)
        self.bus.subscribe(f"{prefix}/+/transfer/tc1/state", TransferState, self._on_transfer)
        self.bus.start()

    def _on_reply(self, topic: str, reply: ReplyMessage) -> None:
        with self._lock:
            self.replies.append((time.monotonic(), reply))

    def _on_transfer(self, topic: str, state: TransferState) -> None:
        self.transfer = state

    def say(self, site: str, text: str) -> float:
        self.bus.publish(f"{self.prefix}/site/{site}/query", SiteQuery(text=text))
        return time.monotonic()

    def reply_after(self, site: str, since: float, timeout: float = 5.0,
                    kinds: tuple[str, ...] = ("reply", "readback"), about: str = ""
                    ) -> tuple[float, str]:
        """(when, text) of the first reply at ``site`` since ``since`` (containing ``about``)."""
        def found():
            with self._lock:
                return next(((t, r.text) for t, r in self.replies
                             if t >= since and r.site == site and r.kind in kinds
                             and about in r.text), None)
        return wait_for(found, timeout)

    def close(self) -> None:
        self.bus.stop()


@pytest.fixture
def client(broker):
    c = SiteClient(broker.port)
    yield c
    c.close()


def test_serve_starts_confirms_and_stops_a_transfer_over_mqtt(broker, client, tmp_path):
    """The issue's case: an external mosquitto, `wanwan serve --sim`, three queries."""
    config = yaml.safe_load((ROOT / "config" / "site.yaml").read_text())
    config["broker"] = {"host": "127.0.0.1", "port": broker.port, "protocol": "5"}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(config))
    env = dict(os.environ, WANWAN_DB=str(tmp_path / "db.sqlite3"), PYTHONUNBUFFERED="1")
    serve = subprocess.Popen([sys.executable, "-m", "wanwan", "serve", "--sim", "--speed", "60",
                              "--config", str(tmp_path / "site.yaml")],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: client.transfer is not None, timeout=20)  # the lab is up
        time.sleep(0.5)  # the assistant subscribes after the simulator
        t0 = client.say(BAY, "start transfer from dewar seven into the nmr six hundred")
        _, readback = client.reply_after(BAY, t0, timeout=10)
        assert readback == "Start transfer from dewar 7 into NMR 600. Please say confirm, or cancel."
        t0 = client.say(BAY, "confirm")
        _, started = client.reply_after(BAY, t0)
        assert started.startswith("Transfer started from dewar 7 into NMR 600"), started
        wait_for(lambda: client.transfer.state == "transferring", timeout=10)
        t0 = client.say(BAY, "stop the transfer")
        answered, stopped = client.reply_after(BAY, t0)
        assert stopped.startswith("The transfer has stopped."), stopped  # said only on the ack
        assert answered - t0 < 1.0
        wait_for(lambda: client.transfer.state == "stopped")
    finally:
        serve.send_signal(signal.SIGINT)
        out, err = serve.communicate(timeout=15)
    assert serve.returncode == 0, err.decode()[-2000:]
    assert b"did not answer" not in out


@pytest.fixture
def slow_lab(broker, site_config, engine, tmp_path):
    """Instruments with the default 3 s acknowledgement time, so a silent one is slow."""
    config = site_config.model_copy(update={"timeouts": Timeouts(ack_s=3.0)})
    lab = make_lab(config, engine, broker.port, tmp_path / "db.sqlite3")
    yield lab
    lab.close()


def start_transfer_over_mqtt(client: SiteClient) -> None:
    client.reply_after(BAY, client.say(BAY, "start transfer from dewar seven"))
    _, started = client.reply_after(BAY, client.say(BAY, "confirm"))
    assert started.startswith("Transfer started"), started
    wait_for(lambda: client.transfer is not None and client.transfer.state in (
        "pressurising", "transferring"))


def test_a_stop_is_not_held_up_by_another_sites_slow_instrument(slow_lab, client):
    start_transfer_over_mqtt(client)
    slow_lab.sim.inject("no_ack", "20")  # the kiosk's next question waits 3 s for dewar 20
    asked = client.say(KIOSK, "what's the level in dewar twenty")
    time.sleep(0.2)
    t0 = client.say(BAY, "stop")
    answered, text = client.reply_after(BAY, t0)
    assert text.startswith("The transfer has stopped"), text
    assert answered - t0 < 1.0
    slow, _ = client.reply_after(KIOSK, asked, about="20")
    assert slow > answered  # the kiosk's turn was still waiting when the stop was answered


def test_a_stop_overtakes_its_own_sites_slow_turn(slow_lab, client):
    start_transfer_over_mqtt(client)
    slow_lab.sim.inject("no_ack", "12")
    asked = client.say(BAY, "what's the level in dewar twelve")
    time.sleep(0.2)
    t0 = client.say(BAY, "stop")
    answered, text = client.reply_after(BAY, t0)
    assert text.startswith("The transfer has stopped"), text
    assert answered - t0 < 1.0
    wait_for(lambda: client.transfer.state == "stopped")
    slow, _ = client.reply_after(BAY, asked, about="12")
    assert slow > answered


def test_turns_of_one_site_keep_their_order(slow_lab, client):
    asked = [client.say(KIOSK, f"log {n} litres to tanaka lab") for n in range(1, 11)]
    wait_for(lambda: len(slow_lab.ledger.entries()) == 10)
    assert [e.amount for e in slow_lab.ledger.entries()] == list(range(1, 11))
    assert client.reply_after(KIOSK, asked[-1])


def test_a_confirmed_start_still_queued_when_a_stop_comes_is_not_sent(slow_lab, client):
    """A stop drops what the site was about to do: the confirm behind a slow turn finds
    nothing to confirm, and the controller never sees a start."""
    client.reply_after(BAY, client.say(BAY, "start transfer from dewar seven"))
    slow_lab.sim.inject("no_ack", "12")
    client.say(BAY, "what's the pressure in dewar twelve")  # slow, and cancels the readback
    client.say(BAY, "confirm")
    t0 = client.say(BAY, "stop")
    client.reply_after(BAY, t0)
    time.sleep(3.5)
    assert client.transfer.state == "idle"
    assert not [c for c in slow_lab.audit.records(BAY, "command")
                if c["detail"].get("command") == "start"]


# --- a service that runs for months ------------------------------------------------------------

def test_what_a_server_keeps_per_turn_is_bounded(lab):
    """Hundreds of turns and alerts later, the server holds the latest replies and at most
    one alert per instrument and side, not a list that grows with every turn."""
    for n in range(260):
        lab.ask(f"what's the level in dewar {12 if n % 2 else 20}", BAY)
        lab.ask("how much liquid helium do we have", KIOSK)
    assert len(lab.replies) == lab.REPLIES_KEPT
    for level in range(5, 95, 2):  # the same alert, set again and again
        lab.ask(f"tell me when dewar three drops below {level} percent", BAY)
    alerts = lab.dialogue.site_state(BAY).alerts
    assert len(alerts) == 1 and alerts[0].level == 93
    for dewar in (3, 7, 12, 20, 21, 22, 23, 24, 25, 30) * 3:
        lab.ask(f"tell me when dewar {dewar} drops below ten percent", BAY)
    assert len(lab.dialogue.site_state(BAY).alerts) <= 20


def test_delivered_outbox_rows_are_purged_and_the_records_stay(lab):
    for n in range(20):
        lab.ask(f"log {n + 1} litres to tanaka lab", KIOSK)
    assert lab.outbox.wait_drained(5)
    delivered = lab.outbox.counts()["delivered"]
    assert delivered >= 20
    assert lab.outbox.purge() == 0  # nothing is a week old
    assert lab.outbox.purge(now=time.time() + 8 * 86400) == delivered
    assert lab.outbox.counts() == {"pending": 0, "inflight": 0, "delivered": 0}
    assert len(lab.ledger.entries()) == 20  # the ledger itself is untouched
    assert lab.store.verify() == []


def test_a_stop_signal_while_a_service_starts_is_kept_for_when_it_has_started():
    """`wanwan serve` answered a whole conversation while its main thread was still starting,
    and a Ctrl-C then went through the start-up as a KeyboardInterrupt (exit 130, nothing
    closed). Caught first thing, the signal only sets the stop."""
    from wanwan.commands.signals import catch_stop_signals, wait_for_signal

    kept = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        stop = catch_stop_signals()
        os.kill(os.getpid(), signal.SIGINT)  # no KeyboardInterrupt here...
        time.sleep(0.05)
        assert stop.is_set()
        # ...and the service, once started, stops without another signal (a thread, so that
        # a wait that never ends fails the test instead of hanging the suite)
        waiting = threading.Thread(target=wait_for_signal, args=(stop,), daemon=True)
        waiting.start()
        waiting.join(timeout=10)
        assert not waiting.is_alive()
        os.kill(os.getpid(), signal.SIGTERM)
    finally:
        for s, handler in kept.items():
            signal.signal(s, handler)
