"""The voice from the command line: parse --audio, say, listen, and the whole demo."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import ROOT, run_cli
from tests.speech import SILENCE
from wanwan.audio.io import load_audio, write_wav


def test_parse_audio_json_contract(clips, tmp_path):
    recording = np.concatenate([SILENCE, load_audio(clips["wake_log"]).samples, SILENCE,
                                load_audio(clips["weather"]).samples, SILENCE])
    path = write_wav(tmp_path / "session.wav", recording)
    proc = run_cli("parse", "--audio", str(path), "--json", "--engine", "whisper", timeout=120)
    assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(x) for x in proc.stdout.decode().splitlines())
    assert first["intent"] == "log_volume" and first["wake"] is True
    assert first["slots"] == {"amount": 50, "unit": "L", "lab": "tanaka"}
    assert {"transcript", "start", "end", "text", "confidence"} <= set(first)
    assert 0.5 < first["start"] < 1.5 < first["end"]
    assert second["intent"] is None


def test_parse_audio_bad_input(tmp_path):
    (tmp_path / "x.wav").write_bytes(b"garbage")
    proc = run_cli("parse", "--audio", str(tmp_path / "x.wav"))
    assert proc.returncode == 2 and b"not a readable audio file" in proc.stderr
    assert b"Traceback" not in proc.stderr
    silent = write_wav(tmp_path / "silence.wav", np.zeros(16000 * 3, np.int16))
    proc = run_cli("parse", "--audio", str(silent), "--engine", "pocketsphinx")
    assert proc.returncode == 0 and b"no speech found" in proc.stderr


def test_say_to_file_and_no_speaker(tmp_path):
    proc = run_cli("say", "Dewar twelve is at sixty percent", "-o", str(tmp_path / "s.wav"))
    assert proc.returncode == 0 and load_audio(tmp_path / "s.wav").duration > 1
    proc = run_cli("say", "hello")
    assert proc.returncode == 2 and b"no speaker available" in proc.stderr


def test_listen_without_a_microphone_is_one_sentence():
    proc = run_cli("listen")
    assert proc.returncode == 2 and b"no microphone available" in proc.stderr
    assert b"Traceback" not in proc.stderr


@pytest.mark.whole_system
def test_demo_runs_the_whole_system(tmp_path):
    proc = run_cli("demo", "--out", str(tmp_path), timeout=240)
    out = proc.stdout.decode()
    assert proc.returncode == 0, out + proc.stderr.decode()
    assert "demo: every step did what it should" in out
    assert "(unprompted alarm)" in out and "The transfer has stopped." in out
    replies = sorted(tmp_path.glob("*/reply-*.wav"))  # one folder per site
    assert len(replies) == 10 and all(load_audio(p).duration > 0.4 for p in replies)
    assert "listening" in out  # the bare wake phrase, then the command without it
    # part two: two satellites on one server, speaking at once, each hears its own answer
    assert "part two" in out and "Dewar 7 is at" in out
    assert len(sorted(tmp_path.glob("satellites/*/reply-*.wav"))) == 2


ORDERS = ROOT.parent / "shared" / "speech" / "picovoice-dev"


@pytest.mark.skipif(not ORDERS.exists(), reason="shared/speech/picovoice-dev is missing")
def test_parse_audio_with_the_wake_phrase_off(tmp_path):
    """A real person's order, no wake phrase (push-to-talk): addressed all the same."""
    order = ORDERS / "0493148e-eb66-4e64-984a-8dfb2e41866e.flac"
    proc = run_cli("parse", "--audio", str(order), "--json", "--wake", "off", "--intents",
                   str(ROOT / "tests" / "data" / "coffee"), "--engine", "whisper", timeout=120)
    assert proc.returncode == 0, proc.stderr
    (heard,) = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert heard["addressed"] is True and heard["wake"] is False
    assert (heard["intent"], heard["slots"]) == ("orderDrink", {
        "roast": "light roast", "coffeeDrink": "iced mocha", "sugarAmount": "brown sugar",
        "milkAmount": "soy milk"}), heard["transcript"]


@pytest.mark.whole_system
def test_demo_in_japanese(tmp_path):
    """The same session spoken by Open JTalk at two paces, heard by Whisper base, answered in
    Japanese; the wake phrase said alone (Whisper writes it 「1番」) is heard too."""
    proc = run_cli("demo", "--language", "ja", "--out", str(tmp_path), timeout=300)
    out = proc.stdout.decode()
    assert proc.returncode == 0, out + proc.stderr.decode()
    assert "demo: every step did what it should" in out
    assert "はい？" in out and "酸素濃度警報" in out and "汲み出しを停止しました" in out
    assert len(sorted(tmp_path.glob("*/reply-*.wav"))) == 10
    assert len(sorted(tmp_path.glob("satellites/*/reply-*.wav"))) == 2
