"""wanwan: the offline voice assistant of a helium recovery network.

Use it from Python as the command line does::

    import wanwan

    engine = wanwan.load_engine()  # the English catalogue with the example site's names
    result = engine.parse("what is the level in dewar twelve")
    result.intent, result.slots  # ('read_level', {'dewar': '12'})

``load_engine(intents=FOLDER)`` loads any intent folder; ``Assistant`` runs the dialogue
against the lab over MQTT; ``VoicePipeline`` and ``make_recognizer`` turn audio into intents;
``Kiosk`` is one site's whole voice loop.
"""

from importlib.metadata import PackageNotFoundError, version

from wanwan.asr.factory import make_recognizer
from wanwan.assistant import Assistant
from wanwan.config import SiteConfig, load_config
from wanwan.dialogue import Reply, Turn
from wanwan.engine import load_engine
from wanwan.errors import UserError
from wanwan.kiosk import Kiosk
from wanwan.names import Decision, IntentName, ReplyKind
from wanwan.nlu import IntentEngine, ParseResult
from wanwan.voice import VoicePipeline

try:
    __version__ = version("wanwan")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "Assistant",
    "Decision",
    "IntentEngine",
    "IntentName",
    "Kiosk",
    "ParseResult",
    "Reply",
    "ReplyKind",
    "SiteConfig",
    "Turn",
    "UserError",
    "VoicePipeline",
    "__version__",
    "load_config",
    "load_engine",
    "make_recognizer",
]
