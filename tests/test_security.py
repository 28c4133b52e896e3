"""Who may command the lab: the attacker's side, on a real mosquitto.

Two brokers: the private one the assistant starts (a password for every device, an ACL from
the site configuration), and an open one, as a careless external broker would be, where the
instruments' own checks are all that stands between a device and the lab.
"""

from __future__ import annotations

import json
import threading
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, make_lab, run_cli, wait_for
from wanwan import Assistant
from wanwan.bus.client import BrokerAddress, Bus
from wanwan.bus.messages import Alarm, CommandRequest, TransferState
from wanwan.security import CommandKeys, site_user

BAY, KIOSK = "bay-1", "kiosk-recovery"
TC1 = "wanwan/transfer_bay/transfer/tc1/cmd"


def transfer(lab) -> TransferState:
    return lab.instruments.reading("transfer", "tc1").state


def raw_client(port: int, user: str | None = None, password: str | None = None
               ) -> tuple[mqtt.Client, list]:
    """A plain paho client, as any device on the network could run; returns it and its
    connection result (a reason code)."""
    result: list = []
    client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                         client_id=f"attacker-{uuid.uuid4().hex[:6]}", protocol=mqtt.MQTTv5)
    if user:
        client.username_pw_set(user, password)
    client.on_connect = lambda c, u, f, rc, p: result.append(rc)
    client.connect("127.0.0.1", port)
    client.loop_start()
    wait_for(lambda: result, timeout=5)
    return client, result


def start_command(**overrides) -> dict:
    request = {"request_id": uuid.uuid4().hex, "reply_to": "wanwan/reply/attacker",
               "command": "start", "args": {"source": "7", "target": "nmr600"},
               "deadline": time.time() + 5, "site": BAY}
    return {**request, **overrides}


# --- the private broker: identity and access ---------------------------------------------------

@pytest.fixture
def secured(site_config, engine, tmp_path):
    """The assistant with its own broker, as `wanwan ask` and `serve` start it."""
    lab = Assistant(site_config, engine, simulate=True, speed=60.0,
                    store_path=tmp_path / "db.sqlite3")
    assert lab.broker is not None and lab.broker.secured
    assert lab.wait_ready(10)
    yield lab
    lab.close()


def test_nobody_anonymous_gets_onto_the_private_broker(secured):
    client, result = raw_client(secured.broker.port)
    assert result[0].is_failure  # not authorised
    client.loop_stop()
    client, result = raw_client(secured.broker.port, site_user(KIOSK), "guessed")
    assert result[0].is_failure
    client.loop_stop()


def test_a_kiosk_cannot_command_an_instrument_nor_act_for_another_site(secured):
    kiosk = site_user(KIOSK)
    client, result = raw_client(secured.broker.port, kiosk, secured.key.password(kiosk))
    assert not result[0].is_failure
    client.publish(TC1, json.dumps(start_command()), qos=1).wait_for_publish(2)
    client.publish("wanwan/site/bay-1/query", json.dumps({"text": "confirm"}), qos=1)
    client.publish("wanwan/recovery/oxygen/o2-recovery/alarm", json.dumps(
        {"alarm_id": "x", "kind": "oxygen_alarm", "severity": "alarm", "room": "recovery",
         "instrument": "o2-recovery", "message": "fake", "active": True}), qos=1, retain=True)
    time.sleep(1.0)
    assert transfer(secured).state == "idle"  # the broker never let the command through
    assert secured.audit.records(BAY) == []  # nor the query on another site's topic
    assert not [r for r in secured.replies if r.text == "fake"]
    client.loop_stop()


def test_the_acl_is_made_from_the_configuration():
    proc = run_cli("broker", "acl", "--config", str(ROOT / "config"))
    acl = proc.stdout.decode()
    assert proc.returncode == 0
    kiosk = acl[acl.index(f"user {site_user(KIOSK)}"):].split("\n\n")[0]
    assert "topic write wanwan/site/kiosk-recovery/query" in kiosk
    assert "cmd" not in kiosk and "bay-1" not in kiosk
    tc1 = acl[acl.index("user instrument-tc1"):].split("\n\n")[0]
    assert "topic read wanwan/transfer_bay/transfer/tc1/cmd" in tc1
    assert "topic write wanwan/transfer_bay/transfer/tc1/alarm" in tc1
    assert "o2-recovery" not in tc1


# --- an open broker: the instruments' own checks ---------------------------------------------------

@pytest.fixture
def open_lab(broker, site_config, engine, tmp_path):
    lab = make_lab(site_config, engine, broker.port, tmp_path / "db.sqlite3")
    yield lab
    lab.close()


def published(port: int, topic: str, payload: dict | bytes, retain: bool = False) -> None:
    client, _ = raw_client(port)
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    client.publish(topic, data, qos=1, retain=retain).wait_for_publish(2)
    client.loop_stop()
    client.disconnect()


def refusals(lab, site: str = BAY) -> list[dict]:
    return lab.audit.records(site, "command_refused")


def test_a_raw_command_without_a_token_moves_nothing_and_is_reported(open_lab, broker):
    published(broker.port, TC1, start_command())
    record = wait_for(lambda: refusals(open_lab), timeout=5)[0]
    assert "valid token" in record["detail"]["reason"]
    notice = wait_for(lambda: [r for r in open_lab.replies_for(BAY, "notice")
                               if "refused" in r.text], timeout=5)
    assert notice[0].text.startswith("The transfer controller refused a start command")
    time.sleep(0.3)
    assert transfer(open_lab).state == "idle"
    # the compressor too: a raw start from anyone but the dialogue is refused
    published(broker.port, "wanwan/recovery/compressor/compressor1/cmd",
              {**start_command(), "args": {}})
    wait_for(lambda: refusals(open_lab, KIOSK), timeout=5)
    assert open_lab.instruments.reading("compressor", "compressor1").state.mode == "auto"


def signed(lab, **overrides) -> dict:
    """A command signed with the site key (as if the dialogue's key had leaked to a tool)."""
    request = CommandRequest(**start_command(**overrides))
    request.token = CommandKeys(lab.key).sign("transfer", "tc1", request)
    return request.model_dump(exclude_none=True)


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"deadline": time.time() + 3600}, "deadline is more than"),
    ({"deadline": time.time() - 5}, "deadline has passed"),
])
def test_a_signed_command_with_a_bad_deadline_is_refused(open_lab, broker, overrides, reason):
    published(broker.port, TC1, signed(open_lab, **overrides))
    record = wait_for(lambda: refusals(open_lab), timeout=5)[0]
    assert reason in record["detail"]["reason"]
    assert transfer(open_lab).state == "idle"


def test_arguments_outside_the_instruments_limits_are_refused(open_lab):
    reply = open_lab.instruments.command("transfer_bay", "transfer", "tc1", "start",
                                         {"source": "7", "target_level": 500})
    assert not reply.ok and "outside 1 to 100 percent" in reply.error
    reply = open_lab.instruments.command("transfer_bay", "transfer", "tc1", "start",
                                         {"source": "99"})
    assert not reply.ok and "dewar 99 is not connected" in reply.error
    assert transfer(open_lab).state == "idle"


def test_a_replayed_command_is_refused(open_lab, broker):
    command = signed(open_lab, command="stop", args={})
    published(broker.port, TC1, command)
    time.sleep(0.3)
    published(broker.port, TC1, command)
    record = wait_for(lambda: refusals(open_lab), timeout=5)[0]
    assert "replayed" in record["detail"]["reason"]


def test_a_forged_acknowledgement_is_not_believed(open_lab, broker):
    """Another client reads the command (an open broker) and answers for the instrument,
    which says nothing: the dialogue must not claim the transfer started."""
    open_lab.sim.inject("no_ack", "tc1")
    forger = Bus(BrokerAddress(port=broker.port), presence=False)

    def forge(topic: str, request: CommandRequest) -> None:
        forger.publish(request.reply_to, {"request_id": request.request_id, "ok": True,
                                          "instrument": "tc1"})

    forger.subscribe(TC1, CommandRequest, lambda t, r: threading.Thread(
        target=forge, args=(t, r)).start())
    forger.start()
    # a command published before the broker has taken the forger's subscription never
    # reaches it, and nothing is forged (failed once on a loaded machine)
    assert forger.wait_subscribed(5)
    try:
        open_lab.ask("start transfer from dewar seven", BAY)
        turn = open_lab.ask("confirm", BAY)
        assert turn.decision == "failed" and turn.commands[0].ok is None
        assert "did not answer" in turn.reply
        assert wait_for(lambda: any("did not sign" in d
                                    for d in open_lab.bus.stats.drop_reasons), timeout=5)
    finally:
        forger.stop()


def test_the_topic_decides_the_site(open_lab, broker):
    published(broker.port, "wanwan/site/kiosk-recovery/query",
              {"text": "start transfer from dewar seven", "site": BAY})
    wait_for(lambda: open_lab.audit.records(KIOSK, "refused"), timeout=5)
    assert open_lab.dialogue.site_state(BAY).pending is None


def test_a_confirmation_counts_only_where_the_read_back_was_heard(open_lab):
    open_lab.ask("start transfer from dewar seven", BAY, source="bay-1-headset")
    refused = open_lab.ask("confirm", BAY, source="someone-else")
    assert refused.decision == "refused" and transfer(open_lab).state == "idle"
    assert open_lab.dialogue.site_state(BAY).pending is not None
    confirmed = open_lab.ask("confirm", BAY, source="bay-1-headset")
    assert confirmed.decision == "confirmed"


def test_a_forged_alarm_clear_contradicted_by_the_reading_keeps_the_alarm(open_lab, broker):
    open_lab.sim.inject("oxygen_drop", "recovery", value=17.0)
    wait_for(lambda: open_lab.replies_for(KIOSK, "alarm"), timeout=5)
    published(broker.port, "wanwan/recovery/oxygen/o2-recovery/alarm", Alarm(
        alarm_id="oxygen:o2-recovery", kind="oxygen_alarm", severity="alarm", room="recovery",
        instrument="o2-recovery", message="", active=False).model_dump(), retain=True)
    warning = wait_for(lambda: [r for r in open_lab.replies_for(KIOSK, "alarm")
                                if "stays on" in r.text], timeout=5)
    assert "still reads 17.0 percent" in warning[0].text
    count = len(open_lab.replies_for(KIOSK, "alarm"))
    wait_for(lambda: len(open_lab.replies_for(KIOSK, "alarm")) > count, timeout=3)  # repeated
    assert not [r for r in open_lab.replies_for(KIOSK, "notice") if "Cleared" in r.text]
    assert open_lab.audit.records(KIOSK, "suspicious_clear")


def test_an_alarm_on_another_instruments_topic_is_not_believed(open_lab, broker):
    published(broker.port, "wanwan/transfer_bay/dewar/12/alarm", Alarm(
        alarm_id="oxygen:o2-recovery", kind="oxygen_alarm", severity="alarm", room="recovery",
        instrument="o2-recovery", message="Leave now", active=True).model_dump())
    time.sleep(0.5)
    assert not open_lab.replies_for(KIOSK, "alarm")


GARBAGE = [b"", b"{", b"null", b"[]", b'{"text": 12}', b"\xff\xfe\x00", b"x" * 300_000,
           json.dumps({"text": "stop " * 50_000}).encode()]


def test_garbage_on_every_topic_is_dropped_and_the_service_goes_on(open_lab, broker):
    topics = ["wanwan/site/bay-1/query", TC1, "wanwan/transfer_bay/dewar/12/state",
              "wanwan/transfer_bay/dewar/12/status", "wanwan/transfer_bay/dewar/12/event",
              "wanwan/recovery/oxygen/o2-recovery/alarm", "wanwan/reply/" +
              open_lab.bus.client_id, "wanwan/sim/fault", "wanwan/ledger/entry"]
    client, _ = raw_client(broker.port)
    for topic in topics:
        for payload in GARBAGE:
            client.publish(topic, payload, qos=1).wait_for_publish(2)
    client.loop_stop()
    time.sleep(1.0)
    assert open_lab.bus.stats.dropped > 0
    assert open_lab.ask("what's the level in dewar twelve", BAY).reply.startswith("Dewar 12")
    assert transfer(open_lab).state == "idle"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_any_text_on_a_query_is_a_turn_that_never_acts_unasked(open_lab, text):
    turn = open_lab.ask(text, BAY)
    assert turn.decision != "confirmed"
    assert all(c.command not in ("start",) for c in turn.commands)
    open_lab.dialogue.site_state(BAY).pending = None
