"""The microphone path, from audio to intent: endpointing, recognition, wake phrase, intent.

The same code serves a live microphone (``listen``), a file (``parse --audio``) and the demo:
audio arrives in chunks, the endpointer cuts utterances, the recogniser transcribes each, the
wake phrase is found at its start (tolerantly: recognisers write "one one", "when when"), and
the intent engine understands the rest.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wanwan.asr.base import Recognizer, Transcript
from wanwan.audio.vad import Endpointer, EndpointerSettings, Utterance, chunks
from wanwan.config import Speech
from wanwan.nlu import IntentEngine, ParseResult
from wanwan.nlu.wake import split_wake


@dataclass
class Heard:
    utterance: Utterance
    transcript: Transcript
    woke: bool  # the wake phrase was said
    command: str  # the text after the wake phrase
    parse: ParseResult
    timings_ms: dict[str, float] = field(default_factory=dict)
    addressed: bool = False  # heard as meant for wanwan before a word was recognised
    said_at: float | None = None  # time.monotonic() when its end was heard, if heard live

    @property
    def bare_wake(self) -> bool:
        """Only the wake phrase: the command comes in the next breath, without it."""
        return self.woke and not self.command.strip(" ,.?!")

    def to_json(self) -> dict[str, Any]:
        out = self.parse.to_json()
        out["text"] = self.command
        out.update({"transcript": self.transcript.text, "start": round(self.utterance.start, 2),
                    "end": round(self.utterance.end, 2), "wake": self.woke,
                    "addressed": self.addressed or self.woke,
                    "asr_confidence": round(self.transcript.confidence, 3),
                    "engine": self.transcript.engine})
        return out


def interpret(transcript: Transcript, wake: str | None, engine: IntentEngine,
              recognizer: Recognizer | None = None,
              intents: set[str] | None = None) -> tuple[bool, str, ParseResult]:
    """(said the wake phrase, the command text, what it means). A command that acts on the lab
    also needs the recogniser's own confidence to reach its ``min_confidence_actuating``: a
    grammar-bound decoder finds *some* command in any speech."""
    woke, command = split_wake(transcript.text, wake, engine) if wake else (
        False, transcript.text)
    if wake and not woke:
        # "kenji, hold the hose, wanwan, stop the transfer": the name said after a pause
        said = engine.said_to_assistant(transcript.text)
        if said is not None:
            woke, command = True, said
    parse = engine.parse(command, intents)
    floor = getattr(recognizer, "min_confidence_actuating", 0.0)
    if parse.actuating and transcript.confidence < floor:
        parse = ParseResult(command, None, confidence=parse.confidence, near=parse.intent,
                            reason=f"not sure what was heard ({transcript.engine} confidence "
                                   f"{transcript.confidence:.2f} < {floor})")
    return woke, command, parse


class VoicePipeline:
    """Audio to what was meant: the endpointer cuts utterances, the recogniser transcribes
    each, the wake phrase is split off and the intent engine understands the rest.

    ``wake=None``: no wake phrase (push-to-talk, or an external wake-word engine that opens the
    microphone): every utterance is addressed to wanwan."""

    def __init__(self, engine: IntentEngine, recognizer: Recognizer, *,
                 wake: str | None = "wan wan",
                 endpointing: EndpointerSettings | None = None) -> None:
        self.engine = engine
        self.recognizer = recognizer
        self.wake = wake
        self.endpointing = endpointing or EndpointerSettings()

    @classmethod
    def for_speech(cls, engine: IntentEngine, recognizer: Recognizer, speech: Speech
                   ) -> VoicePipeline:
        """With the wake phrase and endpointing of a site's ``speech`` settings."""
        return cls(engine, recognizer, wake=speech.wake_phrase, endpointing=EndpointerSettings(
            end_silence_ms=speech.end_silence_ms, max_utterance_s=speech.max_utterance_s))

    def understand(self, utterance: Utterance, intents: set[str] | None = None, *,
                   addressed: bool = False) -> Heard:
        """``addressed``: the conversation says this utterance is meant for wanwan (see
        :class:`~wanwan.kiosk.TurnTaking`); without a wake phrase every utterance is."""
        addressed = addressed or not self.wake
        started = time.perf_counter()
        transcript = self.recognizer.transcribe(utterance.samples, addressed=addressed)
        recognised = time.perf_counter()
        woke, command, parse = interpret(transcript, self.wake, self.engine, self.recognizer,
                                         intents)
        done = time.perf_counter()
        return Heard(utterance, transcript, woke, command, parse,
                     {"asr": (recognised - started) * 1000, "nlu": (done - recognised) * 1000},
                     addressed)

    def utterances(self, samples: np.ndarray) -> list[Utterance]:
        endpointer = Endpointer(self.endpointing)
        out: list[Utterance] = []
        for chunk in chunks(samples, 1600):  # 100 ms at a time, as a microphone delivers
            out.extend(endpointer.feed(chunk))
        out.extend(endpointer.flush())
        return out

    def hear_all(self, samples: np.ndarray, *, addressed: bool = False) -> list[Heard]:
        return [self.understand(u, addressed=addressed) for u in self.utterances(samples)]


QUICK_GUESS_MS = 400.0  # recognising a guess at most this long (median): guess sooner


class LiveHearing:
    """Live audio in, block by block as a microphone delivers it; what was heard out, as soon
    as each utterance ends.

    Recognition starts at an utterance's first pause (``EndpointerSettings.pause_ms``, or
    ``short_pause_ms`` after a short one while guesses are quick to recognise and the
    recogniser is not shared), on a worker thread, while the endpointer waits out the rest of
    ``end_silence_ms`` to be sure the speaker has finished. When no voice comes back the
    final utterance is the very same audio, and its result is ready, or nearly, the moment
    the end is declared; when the speaker goes on, the guess is dropped and the whole
    utterance is recognised at its end. Every call into the recogniser runs on that one
    worker, so a recogniser never serves two threads at once.
    ``timings_ms["wait"]`` of each result is what the speaker waited after the end was declared.
    ``addressed()`` says, when recognition starts, whether the conversation expects speech for
    wanwan now (see :meth:`VoicePipeline.understand`).

    Endpointing by meaning (``by_meaning``): when the guess made at the first pause is an
    addressed, complete sentence that nothing more can follow (``ParseResult.closed``: "stop",
    "what's the level in dewar twelve"), the utterance ends there, as soon as that guess is
    ready, instead of after the full ``end_silence_ms``: up to 390 ms sooner (600 - 210; 480
    after a short utterance), when the recogniser is quicker than that (docs/benchmarks.md
    has what it gains). Open sentences ("log fifty litres", which "to tanaka lab" may
    follow) keep the full wait.
    ``timings_ms["early"]`` marks such a turn.
    """

    def __init__(self, pipeline: VoicePipeline, *, speculate: bool = True,
                 by_meaning: bool = True, addressed: Callable[[], bool] = lambda: False,
                 worker: Executor | None = None) -> None:
        """``worker``: a single-threaded executor shared with other hearings of the same
        recogniser (a server's satellites); else this hearing has its own."""
        self.pipeline = pipeline
        self.speculate = speculate
        self.by_meaning = by_meaning and speculate
        self.ended_early = 0
        self.addressed = addressed
        self.endpointer = Endpointer(pipeline.endpointing)
        # one recogniser shared by many sites (a server's satellites): a guess thrown away
        # there holds up the others, so none is made sooner after a short utterance
        self._may_guess_sooner = worker is None
        self.endpointer.short_pauses &= self._may_guess_sooner
        # a guess sooner after a short utterance is worth it while a wrong one costs little:
        # the recogniser's time for the last guesses decides (tiny.en 120-250 ms for "stop";
        # Whisper base over a second for 「止めて」)
        self._guess_ms: deque[float] = deque(maxlen=5)
        self._own_worker = worker is None
        self._worker: Executor = worker or ThreadPoolExecutor(1, thread_name_prefix="wanwan-asr")
        self._guess: tuple[np.ndarray, bool, Future[Heard]] | None = None
        self.guesses_used = 0
        self.guesses_dropped = 0

    def feed(self, block: np.ndarray) -> list[Heard]:
        out = [self._finish(u) for u in self.endpointer.feed(block)]
        pause = self.endpointer.take_pause()
        if pause is not None and self.speculate:
            if self._guess is not None:
                self.guesses_dropped += 1
            addressed = self.addressed()
            self._guess = (pause.samples, addressed, self._worker.submit(
                self.pipeline.understand, pause, addressed=addressed))
        if self._complete_guess():
            utterance = self.endpointer.end_now()
            if utterance is not None:
                heard = self._finish(utterance)
                heard.timings_ms["early"] = 1.0
                self.ended_early += 1
                out.append(heard)
        return out

    def wait_for_guess(self, timeout: float) -> None:
        """Until the recognition started at the latest pause is done (or the timeout): for
        tests and benchmarks that feed audio at another pace than a microphone, so what they
        see does not depend on how fast this machine recognises."""
        guess = self._guess
        if guess is not None:
            with contextlib.suppress(Exception):  # a failed guess is seen when it is used
                guess[2].result(timeout)

    def _complete_guess(self) -> bool:
        """The guess is ready and is an addressed command that nothing more can follow."""
        if not self.by_meaning or self._guess is None or not self._guess[2].done():
            return False
        if self._guess[2].exception() is not None:
            return False
        heard = self._guess[2].result()
        return heard.parse.closed and (heard.woke or heard.addressed) and not heard.bare_wake

    def flush(self) -> list[Heard]:
        return [self._finish(u) for u in self.endpointer.flush()]

    def _finish(self, utterance: Utterance) -> Heard:
        ended = time.perf_counter()
        said_at = time.monotonic()
        guess, self._guess = self._guess, None
        addressed = self.addressed()
        if guess is not None and guess[1] == addressed and np.array_equal(guess[0],
                                                                           utterance.samples):
            heard = guess[2].result()
            self._guess_ms.append(heard.timings_ms.get("asr", 0.0))
            if self._may_guess_sooner and len(self._guess_ms) >= 3:
                self.endpointer.short_pauses = \
                    statistics.median(self._guess_ms) <= QUICK_GUESS_MS
            heard.utterance = utterance
            heard.timings_ms["guessed"] = 1.0
            self.guesses_used += 1
        else:
            if guess is not None:
                self.guesses_dropped += 1
            heard = self._worker.submit(self.pipeline.understand, utterance,
                                        addressed=addressed).result()
        heard.timings_ms["wait"] = (time.perf_counter() - ended) * 1000
        heard.said_at = said_at
        return heard

    def close(self) -> None:
        if self._own_worker:
            self._worker.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> LiveHearing:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
