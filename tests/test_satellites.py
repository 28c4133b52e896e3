"""Satellites: kiosks and bays that stream what they hear to one server and play its replies.

Real parts throughout: a real mosquitto, the simulated lab over MQTT, Whisper on the server,
speech streamed as Hermes audioFrame WAV chunks by the satellite's own voice gate, replies
synthesised on the server and written by the satellite to WAV files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, SHARED, run_cli, wait_for
from tests.speech import SILENCE, say
from wanwan.assistant import Assistant, address_file
from wanwan.audio.devices import FilePlayer
from wanwan.audio.io import RATE, load_audio, wav_bytes, write_wav
from wanwan.audio.vad import VoiceGate, chunks, split_utterances
from wanwan.broker import remove_stale_folders
from wanwan.bus import hermes
from wanwan.bus.client import BrokerAddress, Bus
from wanwan.bus.topics import Topics
from wanwan.hub import RemoteSpeaker, SatelliteHub
from wanwan.keys import SiteKey
from wanwan.satellite import Satellite
from wanwan.security import key_path, site_user, with_credentials
from wanwan.tts import make_synthesizer

BAY, KIOSK = "bay-1", "kiosk-recovery"
ORDERS = SHARED / "speech" / "picovoice-dev"


def stream(satellite: Satellite, samples: np.ndarray) -> None:
    """Speech as a microphone delivers it (faster than real time), then a quiet room."""
    for block in chunks(np.concatenate([samples, SILENCE, SILENCE]), RATE // 10):
        satellite.feed(block)


def reply_at(satellite: Satellite, since: int, about: str = "", timeout: float = 20.0) -> str:
    """The first reply at the satellite's site after the first ``since`` (containing ``about``)."""
    return wait_for(lambda: next((r.text for r in satellite.replies[since:]
                                  if about in r.text), None), timeout)


@pytest.fixture
def satellites(broker, tmp_path):
    made: list[Satellite] = []

    def make(site: str) -> Satellite:
        satellite = Satellite(BrokerAddress(port=broker.port), site,
                              FilePlayer(tmp_path / site)).start()
        made.append(satellite)
        return satellite

    yield make
    for satellite in made:
        satellite.close()


@pytest.mark.skipif(not ORDERS.exists(), reason="shared/speech/picovoice-dev is missing")
def test_the_gate_sends_speech_and_not_the_silence_between():
    """Two real people's orders, three seconds of quiet around each: the satellite sends the
    orders with their edges and little else, and the server's endpointer finds in what was
    sent the same two utterances as in the whole recording."""
    first = load_audio(ORDERS / "0334e17c-b72f-4e1a-ba76-0bb6c110ef94.flac").samples
    second = load_audio(ORDERS / "0493148e-eb66-4e64-984a-8dfb2e41866e.flac").samples
    quiet = np.zeros(3 * RATE, np.int16)
    room = np.concatenate([quiet, first, quiet, second, quiet])
    gate = VoiceGate()
    sent = [c for block in chunks(room, RATE // 10) for c in gate.feed(block)]
    assert gate.sent_samples < 0.6 * len(room)
    whole = split_utterances(room)
    heard = split_utterances(np.concatenate(sent))
    assert len(whole) == len(heard) == 2
    for a, b in zip(whole, heard, strict=True):
        assert abs(a.duration - b.duration) < 0.1


def test_two_satellites_one_server_each_with_its_own_turns(voice_lab, satellites, tmp_path):
    """A bay and a kiosk on one server: a read-back at the bay is not confirmed by the kiosk,
    the bay confirms it, and each hears its own replies, written as speech by the satellite."""
    lab, hub = voice_lab
    bay, kiosk = satellites(BAY), satellites(KIOSK)
    stream(bay, say(tmp_path, "wan wan, start the transfer from dewar seven into the nmr six "
                              "hundred"))
    assert "Please say confirm" in reply_at(bay, 0, "Start transfer from dewar 7")
    stream(kiosk, say(tmp_path, "wan wan, confirm", "en-gb"))
    assert reply_at(kiosk, 0) == "There is nothing to confirm."
    assert lab.dialogue.site_state(BAY).pending is not None
    stream(bay, say(tmp_path, "confirm", "en-us+m3"))  # no wake phrase: the bay's read-back
    assert reply_at(bay, 1).startswith("Transfer started from dewar 7")
    assert lab.transfer_running(BAY)
    assert not any(r.site == BAY for r in kiosk.replies)
    wait_for(lambda: bay.lines_played >= 2 and kiosk.lines_played >= 1, 20)
    for player in (bay.player, kiosk.player):
        for path in player.files:  # type: ignore[attr-defined]
            assert load_audio(path).duration > 0.8  # speech, not an empty file
    assert hub.stats(BAY).turns == 2 and hub.stats(KIOSK).turns == 1


def test_a_stop_at_a_satellite_stops_the_transfer_and_hushes_it(voice_lab, satellites, tmp_path):
    lab, hub = voice_lab
    bay = satellites(BAY)
    wait_for(lambda: hub.serves(BAY))  # known from its presence, before it has said a word
    source = f"satellite/{BAY}"  # the hub's name for the bay: a read-back is confirmed there
    lab.ask("start the transfer from dewar seven into the nmr six hundred", BAY, source=source)
    assert lab.ask("confirm", BAY, source=source).reply.startswith("Transfer started")
    lab.say(BAY, "An announcement long enough to be cut short by a stop: the transfer from "
                 "dewar seven is under way, and the level of the NMR six hundred is rising.")
    wait_for(bay.player.playing.is_set, 20)
    stream(bay, say(tmp_path, "stop"))
    assert "stopped" in reply_at(bay, 0, "stopped").lower()
    assert not lab.transfer_running(BAY)
    wait_for(lambda: bay.player.cut_short >= 1, 5)  # type: ignore[attr-defined]


def test_audio_for_another_site_or_not_audio_is_dropped_with_the_reason(voice_lab, broker):
    lab, hub = voice_lab
    tool = Bus(BrokerAddress(port=broker.port), presence=False).start()
    try:
        tool.publish(hermes.audio_frame("car-park"), wav_bytes(SILENCE), qos=1)
        tool.publish(hermes.audio_frame(BAY), b"not a wav file", qos=1)
        wait_for(lambda: lab.bus.stats.dropped >= 2)
    finally:
        tool.stop()
    reasons = " | ".join(lab.bus.stats.drop_reasons)
    assert "'car-park', which is not a site" in reasons
    assert "hermes/audioServer/bay-1/audioFrame: not a WAV file" in reasons
    assert not hub.serves("car-park")


def test_a_server_closing_does_not_wait_out_a_satellite_that_has_gone(broker):
    """A line half sent to a satellite that has gone (it will never say playFinished): closing
    cuts it and drops what was queued, each line told over, instead of waiting seconds."""
    bus = Bus(BrokerAddress(port=broker.port), presence=False).start()
    over: list[str] = []
    speaker = RemoteSpeaker(bus, Topics(), BAY, make_synthesizer("espeak"))
    try:
        speaker.say("The first sentence. The second one, which is longer than that. A third.",
                    done=lambda: over.append("first line"))
        speaker.say("A line still queued.", done=lambda: over.append("queued line"))
        assert wait_for(lambda: speaker.sent >= 1, 10)
        started = time.monotonic()
        speaker.close()
        assert time.monotonic() - started < 1.0
    finally:
        bus.stop()
    assert sorted(over) == ["first line", "queued line"]
    assert speaker.sent == 1


def test_a_satellite_cannot_speak_for_another_site(site_config, engine, whisper, tmp_path):
    """On the secured private broker, the kiosk's satellite may stream only its own site's
    audio: frames it publishes as the bay are refused by the broker, never heard."""
    lab = Assistant(site_config, engine, store_path=tmp_path / "wanwan.sqlite3", simulate=True)
    hub = SatelliteHub(lab, lambda: whisper, make_synthesizer())
    key = SiteKey.load(key_path(site_config, tmp_path / "wanwan.sqlite3"))
    kiosk = Bus(with_credentials(BrokerAddress(port=lab.broker.port), key, site_user(KIOSK)),
                presence=False).start()
    try:
        assert kiosk.connected
        def send_both() -> bool:
            kiosk.publish(hermes.audio_frame(BAY), wav_bytes(SILENCE), qos=1)
            kiosk.publish(hermes.audio_frame(KIOSK), wav_bytes(SILENCE), qos=1)
            return hub.serves(KIOSK)

        wait_for(send_both, 10, step=0.1)
        for _ in range(5):
            send_both()
        time.sleep(0.3)
        assert not hub.serves(BAY)
    finally:
        kiosk.stop()
        hub.close()
        lab.close()


def test_wanwan_satellite_against_wanwan_serve(tmp_path):
    """The issue's case, as a user runs it: `wanwan serve --sim` on this machine, then
    `wanwan satellite --site kiosk-recovery --audio F --out DIR`, which finds the server's
    private broker, streams the command, prints the reply and writes it as speech. The
    satellite starts once the server says it is serving (its broker's address file comes
    first, and audio sent before the server subscribes is not heard), and waits up to 20 s
    for the server's first word (the lazily loaded recogniser and voice took more than 3 s on
    a busy machine), then exits after 2 s of quiet."""
    env = dict(os.environ, WANWAN_DB=str(tmp_path / "db" / "wanwan.sqlite3"),
               PYTHONUNBUFFERED="1")
    serve = subprocess.Popen([sys.executable, "-m", "wanwan", "serve", "--sim"], cwd=ROOT,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    said: list[str] = []
    threading.Thread(target=lambda: said.extend(serve.stdout), daemon=True).start()
    try:
        wait_for(address_file(tmp_path / "db" / "wanwan.sqlite3").exists, 30)
        # the broker is up before the server hears satellites: "serving on" says it does
        wait_for(lambda: any(line.startswith("serving on") for line in said), 60)
        audio = tmp_path / "order.wav"
        write_wav(audio, say(tmp_path, "wan wan, what is the level in dewar twelve"))
        done = subprocess.run(
            [sys.executable, "-m", "wanwan", "satellite", "--site", KIOSK, "--audio",
             str(audio), "--out", str(tmp_path / "out"), "--fast", "--wait", "20"],
            cwd=ROOT, env=env, capture_output=True, timeout=120, text=True)
    finally:
        serve.terminate()
        serve.wait(20)
    assert done.returncode == 0, done.stderr
    assert "[kiosk-recovery] wanwan: Dewar 12 is at" in done.stdout
    written = sorted((tmp_path / "out").glob("reply-*.wav"))
    assert len(written) == 1 and str(written[0]) in done.stdout
    speech = split_utterances(load_audio(written[0]).samples)
    assert speech and sum(u.duration for u in speech) > 1.0


def test_without_a_server_the_satellite_says_how_to_find_one(tmp_path):
    env_db = str(tmp_path / "none" / "wanwan.sqlite3")
    done = subprocess.run([sys.executable, "-m", "wanwan", "satellite", "--site", KIOSK,
                           "--audio", __file__, "--out", str(tmp_path)], cwd=ROOT,
                          env=dict(os.environ, WANWAN_DB=env_db), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "no running `wanwan serve` found on this machine" in done.stderr
    assert "--broker HOST:PORT" in done.stderr
    assert run_cli("satellite", "--site", "nowhere", "--audio", __file__).returncode == 2


def test_the_broker_dies_with_the_server_even_when_it_is_killed(tmp_path):
    """SIGKILL leaves no time to clean up: the kernel ends the private mosquitto with its
    parent, and the next broker removes the folder it left."""
    script = ("import time\nfrom wanwan.broker import EmbeddedBroker\n"
              "b = EmbeddedBroker().start()\nprint(b.process.pid, b._dir, flush=True)\n"
              "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    pid, folder = parent.stdout.readline().split()  # type: ignore[union-attr]
    parent.kill()
    parent.wait(5)

    def gone() -> bool:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") >= 0

    wait_for(gone, 10)
    remove_stale_folders()
    assert not Path(folder).exists()
