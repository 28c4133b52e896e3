"""Natural-language understanding: intent folders (YAML) in, intents with typed slots out."""

from pathlib import Path

from wanwan.nlu.catalog import Catalog, CatalogErrors, ListValue, load_catalog
from wanwan.nlu.matcher import IntentEngine, ParseResult

DEFAULT_INTENTS = Path(__file__).resolve().parents[2] / "intents" / "en"

__all__ = [
    "DEFAULT_INTENTS",
    "Catalog",
    "CatalogErrors",
    "IntentEngine",
    "ListValue",
    "ParseResult",
    "load_catalog",
]
