"""What ships inside the package: the intent catalogues (``intents/<language>/``) and the
example site (``config/site.yaml``). Found with importlib.resources, so an installed wheel has
them as a checkout does (the checkout's ``intents/`` and ``config/`` are links to here)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def _here() -> Path:
    return Path(str(resources.files(__name__)))


def intents_folder(language: str = "en") -> Path:
    """The catalogue of a language that ships with wanwan."""
    return _here() / "intents" / language


def languages() -> list[str]:
    return sorted(p.name for p in (_here() / "intents").iterdir() if p.is_dir())


def example_config() -> Path:
    """The example site: one recovery room with a kiosk, one transfer bay."""
    return _here() / "config"
