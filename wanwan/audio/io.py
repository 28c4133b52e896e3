"""Read any WAV/FLAC/OGG file (or raw PCM) as 16 kHz mono 16-bit samples; write WAV files.

Resampling is done properly (soxr, band-limited), never by dropping samples; channels are
averaged. A file that is not audio, empty, or unreadable is refused with the reason.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from wanwan.errors import UserError

RATE = 16_000


class AudioError(UserError):
    """Audio that cannot be used, with the reason."""


@dataclass
class Audio:
    samples: np.ndarray  # int16, mono, RATE
    rate: int = RATE
    source: str = ""
    original_rate: int = RATE
    original_channels: int = 1

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    @property
    def clipped_fraction(self) -> float:
        if not len(self.samples):
            return 0.0
        return float(np.mean(np.abs(self.samples.astype(np.int32)) >= 32000))


def to_int16(x: np.ndarray) -> np.ndarray:
    """Floats at full scale 1.0 to int16 samples. The same scale as reading divides by
    (32768), rounded: a 16-bit recording read and written again is the same recording (it
    lost one step in 32768 and a bit toward zero, and a decoder can hear that)."""
    if x.dtype == np.int16:
        return x
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def resample(samples: np.ndarray, rate: int, target: int = RATE) -> np.ndarray:
    """Band-limited resampling of mono float or int16 samples; always returns int16."""
    if rate == target:
        return to_int16(samples)
    floats = samples.astype(np.float32) / (32768.0 if samples.dtype == np.int16 else 1.0)
    return to_int16(soxr.resample(floats, rate, target, quality="HQ"))


def from_array(data: np.ndarray, rate: int, source: str = "") -> Audio:
    """Any array (frames × channels, float or int) to 16 kHz mono int16."""
    channels = 1 if data.ndim == 1 else data.shape[1]
    if data.ndim == 2:
        data = data.astype(np.float32).mean(axis=1) if data.dtype != np.int16 else (
            data.astype(np.int32).mean(axis=1) / 32768.0).astype(np.float32)
    elif data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    data = np.asarray(data, dtype=np.float32)
    return Audio(resample(data, rate), RATE, source, rate, channels)


def load_audio(path: Path | str) -> Audio:
    path = Path(path)
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: the file is empty")
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(f"{path}: not a readable audio file ({_reason(exc)}); "
                         "use WAV, FLAC or OGG") from None
    if len(data) == 0:
        raise AudioError(f"{path}: the file holds no audio")
    return from_array(data if data.shape[1] > 1 else data[:, 0], rate, str(path))


def read_pcm(stream: io.BufferedIOBase, rate: int = RATE) -> Audio:
    """Raw signed 16-bit little-endian mono PCM (e.g. ``arecord -f S16_LE -r 16000 -c 1``)."""
    raw = stream.read()
    if len(raw) % 2:
        raw = raw[:-1]
    samples = np.frombuffer(raw, dtype="<i2").astype(np.int16)
    return Audio(resample(samples, rate), RATE, "stdin", rate, 1)


def write_wav(path: Path | str, samples: np.ndarray, rate: int = RATE) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(to_int16(samples).tobytes())
    return path


def wav_bytes(samples: np.ndarray, rate: int = RATE) -> bytes:
    """A whole WAV file in memory (Hermes sends audio as one WAV per chunk)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(to_int16(samples).tobytes())
    return out.getvalue()


def read_wav_bytes(data: bytes, source: str = "") -> tuple[np.ndarray, int]:
    """A WAV file held in memory, any width or channels: (mono int16 samples, its rate).
    Resampling is the caller's, with a stream that carries over between chunks."""
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="int16", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioError(f"{source or 'audio'}: not a WAV file ({_reason(exc)})") from None
    if samples.shape[1] > 1:
        samples = samples.astype(np.int32).mean(axis=1).astype(np.int16)[:, None]
    return np.ascontiguousarray(samples[:, 0]), rate


def _reason(exc: Exception) -> str:
    text = str(exc).split(":")[-1].strip() or exc.__class__.__name__
    return text[0].lower() + text[1:] if text else "unknown error"
