"""Audio in: files of any rate, channels and format, raw PCM, and what is refused."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest

from wanwan.audio.io import AudioError, load_audio, read_pcm, write_wav


def test_any_rate_and_channels_become_16k_mono(clips, tmp_path):
    original = load_audio(clips["level"])
    assert original.rate == 16000 and original.original_rate == 22050  # espeak-ng's rate
    for rate, channels in ((8000, 1), (16000, 1), (48000, 2), (44100, 2)):
        out = tmp_path / f"{rate}-{channels}.flac"
        subprocess.run(["sox", str(clips["level"]), "-r", str(rate), "-c", str(channels),
                        str(out)], check=True)
        audio = load_audio(out)
        assert audio.rate == 16000 and audio.samples.dtype == np.int16
        assert (audio.original_rate, audio.original_channels) == (rate, channels)
        assert np.abs(audio.samples).max() > 1000  # full scale, not floats in [-1, 1]
        assert abs(audio.duration - original.duration) < 0.05


def test_a_16k_wav_reads_back_sample_for_sample(tmp_path):
    """A recording at wanwan's own rate is heard as written: reading and writing it again
    changes no sample (it shrank by one step in 32768 and lost a bit toward zero)."""
    samples = np.random.default_rng(3).normal(0, 6000, 16000).clip(-32768, 32767)
    samples = np.concatenate([samples, [-32768, 32767, -1, 1, 0]]).astype(np.int16)
    write_wav(tmp_path / "a.wav", samples)
    once = load_audio(tmp_path / "a.wav").samples
    assert np.array_equal(once, samples)
    write_wav(tmp_path / "b.wav", once)
    assert np.array_equal(load_audio(tmp_path / "b.wav").samples, samples)
    assert np.array_equal(read_pcm(io.BytesIO(samples.tobytes())).samples, samples)


def test_resampling_keeps_the_tone(tmp_path):
    t = np.arange(48000) / 48000
    write_wav(tmp_path / "tone.wav", (np.sin(2 * np.pi * 1000 * t) * 12000).astype(np.int16),
              48000)
    samples = load_audio(tmp_path / "tone.wav").samples.astype(np.float32)
    spectrum = np.abs(np.fft.rfft(samples))
    assert abs(np.argmax(spectrum) * 16000 / len(samples) - 1000) < 5


@pytest.mark.parametrize("content,reason", [
    (b"", "the file is empty"),
    (b"RIFF\x00\x00junk not a wave file", "not a readable audio file"),
    (b"hello", "not a readable audio file"),
])
def test_bad_audio_is_refused_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=reason):
        load_audio(path)
    with pytest.raises(AudioError, match="no such file"):
        load_audio(tmp_path / "missing.wav")


def test_raw_pcm(clips):
    samples = load_audio(clips["level"]).samples
    audio = read_pcm(io.BytesIO(samples.tobytes() + b"\x01"))  # odd trailing byte dropped
    assert np.array_equal(audio.samples, samples)
