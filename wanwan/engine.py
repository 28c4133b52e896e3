"""The intent engine of a site: a catalogue with the site's own names merged in.

``load_engine()`` with no arguments gives the English catalogue that ships with wanwan and the
lists (dewars, vessels, labs, rooms) of the configured site, which is what ``wanwan parse``
and the assistant use.
"""

from __future__ import annotations

from pathlib import Path

from wanwan.config import SiteConfig, load_config
from wanwan.data import intents_folder
from wanwan.errors import UserError
from wanwan.nlu import CatalogErrors, IntentEngine, load_catalog


def load_engine(intents: Path | str | None = None, config: SiteConfig | Path | str | None = None,
                *, strict: bool = True) -> IntentEngine:
    """The engine for an intent folder (default: the site's language, shipped with wanwan).

    The site's lists replace the folder's lists of the same name, unless a folder is given
    without a configuration: a catalogue of another domain (coffee orders, a home) keeps its
    own lists. ``strict``: any problem in the folder raises; otherwise the problems are kept in
    ``engine.catalog.errors`` (``wanwan intents check``).
    """
    site = config if isinstance(config, SiteConfig) else (
        load_config(config) if intents is None or config is not None else None)
    folder = Path(intents) if intents is not None else intents_folder(
        site.language if site is not None else "en")
    try:
        catalog = load_catalog(folder, site.slot_lists() if site is not None else None,
                               strict=strict)
    except CatalogErrors as exc:
        raise UserError(f"the intent folder has errors:\n{exc}") from None
    return IntentEngine(catalog)
