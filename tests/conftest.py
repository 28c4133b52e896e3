"""Shared fixtures. Everything runs on real parts: real files, real processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wanwan.commands.parse import load_engine
from wanwan.nlu import IntentEngine

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def engine() -> IntentEngine:
    """The English catalogue with the example site's lists."""
    return load_engine(None, None)


def run_cli(*args: str, stdin: bytes | None = None, timeout: float = 60
            ) -> subprocess.CompletedProcess:
    """The real console entry point in a subprocess (as a user or script would run it)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "wanwan", *args], input=stdin,
                          capture_output=True, timeout=timeout, cwd=ROOT, env=env)
