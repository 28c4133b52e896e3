"""Speech for the tests: espeak-ng voices saying what a technician would, as files or samples."""

from __future__ import annotations

import pathlib
import subprocess

import numpy as np

from wanwan.audio.io import load_audio

SILENCE = np.zeros(16000, dtype=np.int16)


def trimmed(samples: np.ndarray) -> np.ndarray:
    """Without the silence espeak-ng puts around what it says."""
    loud = np.flatnonzero(np.abs(samples) > 300)
    return samples[loud[0]:loud[-1] + 1]


def speak(tmp: pathlib.Path, text: str, name: str, voice: str = "en-us",
          rate: int = 150) -> pathlib.Path:
    """``text`` said by an espeak-ng voice, written to ``tmp/name.wav``."""
    path = tmp / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(path), text],
                   check=True, capture_output=True)
    return path


def say(tmp_path: pathlib.Path, text: str, voice: str = "en-us", rate: int = 150
        ) -> np.ndarray:
    """``text`` said, with half a second of silence either side, as 16 kHz samples."""
    samples = load_audio(speak(tmp_path, text, "said", voice, rate)).samples
    return np.concatenate([np.zeros(8000, np.int16), samples, np.zeros(8000, np.int16)])


def with_white_noise(clean: np.ndarray, snr_db: float) -> np.ndarray:
    power = np.mean(clean.astype(float) ** 2) / 10 ** (snr_db / 10)
    noise = np.random.default_rng(0).standard_normal(len(clean)) * np.sqrt(power)
    return np.clip(clean + noise, -32768, 32767).astype(np.int16)


def spy_on_speech(synth) -> list[str]:
    """The sentences the voice makes from now on (the real engine still makes them)."""
    made: list[str] = []
    speak = synth._speak
    synth._speak = lambda sentence: made.append(sentence) or speak(sentence)
    return made
