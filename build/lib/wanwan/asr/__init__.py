"""Speech recognition: engines behind one interface, grammars from the loaded intents, models."""

from wanwan.asr.base import Recognizer, Transcript, Word

__all__ = ["Recognizer", "Transcript", "Word"]
