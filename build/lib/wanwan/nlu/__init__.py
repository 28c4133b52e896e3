"""Natural-language understanding: intent folders (YAML) in, intents with typed slots out."""

from wanwan.nlu.catalog import Catalog, CatalogErrors, ListValue, load_catalog
from wanwan.nlu.matcher import IntentEngine, ParseResult

__all__ = [
    "Catalog",
    "CatalogErrors",
    "IntentEngine",
    "ListValue",
    "ParseResult",
    "load_catalog",
]
