"""Running until told to stop, for the commands that serve."""

from __future__ import annotations

import signal
import threading


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM (Ctrl-C, systemd, docker stop)."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(0.5):
        pass
