"""The endpointer: utterances cut from recordings, in silence and in steady loud noise."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import SHARED
from tests.speech import SILENCE, say, trimmed
from wanwan.audio.io import load_audio
from wanwan.audio.vad import Endpointer, chunks, split_utterances


def test_endpointer_splits_a_recording(clips):
    parts = [load_audio(clips[k]).samples for k in ("level", "stock", "wake_log")]
    recording = np.concatenate([SILENCE, parts[0], SILENCE, parts[1], SILENCE, parts[2],
                                SILENCE])
    utterances = split_utterances(recording)
    assert len(utterances) == 3
    expected_start = 1.0
    for utterance, part in zip(utterances, parts, strict=True):
        assert abs(utterance.start - expected_start) < 0.4
        expected_start += len(part) / 16000 + 1.0


def test_endpointer_ignores_silence_and_cuts_long_speech(clips):
    assert split_utterances(np.zeros(16000 * 600, dtype=np.int16)) == []  # 10 min of silence
    speech = load_audio(clips["stock"]).samples
    long_talk = np.concatenate([speech] * 8)  # ~16 s without a pause
    utterances = split_utterances(long_talk)
    assert utterances[0].truncated and utterances[0].duration <= 10.05


@pytest.mark.skipif(not (SHARED / "noise").exists(), reason="shared/noise is missing")
def test_endpointer_in_noise(clips):
    speech = load_audio(clips["level"]).samples.astype(np.float32)
    noise = load_audio(SHARED / "noise" / "running_tap.wav").samples.astype(np.float32)
    recording = np.concatenate([np.zeros(16000), speech, np.zeros(16000)])
    noise = noise[:len(recording)]
    gain = np.sqrt(np.mean(speech ** 2) / (np.mean(noise ** 2) * 10 ** (10 / 10)))  # 10 dB
    mixed = np.clip(recording + noise * gain, -32768, 32767).astype(np.int16)
    utterances = split_utterances(mixed)
    assert len(utterances) >= 1
    assert any(u.start < 1.3 and u.end > 1.0 + len(speech) / 16000 - 0.3 for u in utterances)


@pytest.mark.skipif(not (SHARED / "noise").exists(), reason="shared/noise is missing")
@pytest.mark.parametrize("name", ["running_tap", "exercise_bike", "white_noise", "pink_noise"])
def test_endpointer_ends_utterances_in_steady_loud_noise(clips, name):
    """webrtcvad calls a running tap speech; without the noise floor every utterance in it ran
    to the 10 s cap and the commands ran together."""
    said = [trimmed(load_audio(clips[k]).samples).astype(np.float32)
            for k in ("level", "wake_log")]
    gap = np.zeros(16000 * 2, np.float32)
    stream = np.concatenate([gap, said[0], gap, said[1], gap])
    noise = load_audio(SHARED / "noise" / f"{name}.wav").samples.astype(np.float32)
    noise = np.tile(noise, 1 + len(stream) // len(noise))[:len(stream)]
    gain = np.sqrt(np.mean(np.concatenate(said) ** 2) / (np.mean(noise ** 2) * 10 ** 0.5))
    utterances = split_utterances(np.clip(stream + noise * gain, -32768, 32767)
                                  .astype(np.int16))  # 5 dB SNR, noise throughout
    ends = [2 + len(said[0]) / 16000, 4 + (len(said[0]) + len(said[1])) / 16000]
    assert len(utterances) == 2, [(u.start, u.end) for u in utterances]
    for utterance, end in zip(utterances, ends, strict=True):
        assert not utterance.truncated and abs(utterance.end - end) < 0.5


def test_a_pause_offers_the_final_utterance_early(clips):
    speech = load_audio(clips["level"]).samples
    endpointer = Endpointer()
    pauses, finals = [], []
    for block in chunks(np.concatenate([SILENCE, speech, SILENCE]), 1600):
        finals += endpointer.feed(block)
        if (pause := endpointer.take_pause()) is not None:
            pauses.append((pause, len(finals)))
    assert len(finals) == 1
    # offered before the end was declared, with the very samples of the final utterance
    assert pauses[-1][1] == 0 and np.array_equal(pauses[-1][0].samples, finals[0].samples)


def test_speech_after_a_pause_voids_the_early_utterance(clips):
    level, stock = (trimmed(load_audio(clips[k]).samples) for k in ("level", "stock"))
    gap = np.zeros(16000 * 4 // 10, dtype=np.int16)  # 400 ms: a pause, not an end
    endpointer = Endpointer()
    pauses, finals = [], []
    for block in chunks(np.concatenate([SILENCE, level, gap, stock, SILENCE]), 1600):
        finals += endpointer.feed(block)
        if (pause := endpointer.take_pause()) is not None:
            pauses.append(pause)
    assert len(finals) == 1 and len(pauses) >= 2
    assert len(pauses[0].samples) < len(finals[0].samples)  # the first pause was not the end
    assert np.array_equal(pauses[-1].samples, finals[0].samples)


ORDERS = SHARED / "speech" / "picovoice-dev"


@pytest.mark.skipif(not (ORDERS.exists() and (SHARED / "noise").exists()),
                    reason="shared/speech/picovoice-dev or shared/noise is missing")
@pytest.mark.parametrize("noise", ["doing_the_dishes", "white_noise"])
def test_real_orders_in_kitchen_noise_are_one_utterance_each(noise):
    """Two real people's orders 1.5 s apart, with the noise running throughout at 6 dB
    (Picovoice's measure): two utterances, each holding its order whole. webrtcvad ran such
    orders together or cut them; Silero does not."""
    first = load_audio(ORDERS / "0334e17c-b72f-4e1a-ba76-0bb6c110ef94.flac").samples
    second = load_audio(ORDERS / "0493148e-eb66-4e64-984a-8dfb2e41866e.flac").samples
    gap = np.zeros(24000, np.int16)
    speech = np.concatenate([SILENCE, first, gap, second, SILENCE]).astype(np.float64)
    background = load_audio(SHARED / "noise" / f"{noise}.wav").samples[:len(speech)]

    def loudest(x: np.ndarray) -> float:
        return float((x[:len(x) // 2048 * 2048].reshape(-1, 2048) ** 2).sum(axis=1).max())

    scale = np.sqrt(loudest(speech) / (loudest(background.astype(np.float64)) * 10 ** 0.6))
    mixed = speech + scale * background
    mixed = (mixed * 16384 / np.abs(mixed).max()).astype(np.int16)
    utterances = split_utterances(mixed)
    assert len(utterances) == 2, [(u.start, u.end) for u in utterances]
    offsets = [1.0, 1.0 + (len(first) + len(gap)) / 16000]
    for utterance, offset, order in zip(utterances, offsets, (first, second), strict=True):
        said_from, said_to = spoken(order)
        assert utterance.start <= offset + said_from and utterance.end >= offset + said_to


def spoken(order: np.ndarray) -> tuple[float, float]:
    """Where a clean recording's speech lies: 20 ms frames within 20 dB of the loudest."""
    frames = order[:len(order) // 320 * 320].astype(np.float64).reshape(-1, 320)
    rms = np.sqrt((frames ** 2).mean(axis=1))
    loud = np.flatnonzero(rms > rms.max() * 0.1)
    return loud[0] * 0.02, (loud[-1] + 1) * 0.02


def test_a_short_utterance_is_offered_sooner(tmp_path, clips):
    """"stop" said alone is offered at 120 ms of pause, a question of three seconds at 210:
    fewer words are left to come after a short one, and it is quick to recognise."""
    def offered_after_ms(speech: np.ndarray) -> float:
        """How long after its last sound the utterance was offered."""
        stream = np.concatenate([SILENCE, speech, SILENCE])
        last_sound = np.flatnonzero(np.abs(stream) > 300)[-1]
        endpointer = Endpointer()
        fed = 0
        for block in chunks(stream, 512):  # 32 ms, as the kiosk reads its microphone
            list(endpointer.feed(block))
            fed += len(block)
            if endpointer.take_pause() is not None:
                return (fed - last_sound) * 1000 / 16000
        raise AssertionError("no pause offered")

    stop = say(tmp_path, "stop")
    question = load_audio(clips["level"]).samples
    # 32 ms frames: 120 ms of pause is offered after 128, 210 after 224 (here 149 and 228)
    assert offered_after_ms(stop) < 200 <= offered_after_ms(question)
