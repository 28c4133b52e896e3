"""Running until told to stop, for the commands that serve."""

from __future__ import annotations

import signal
import threading


def catch_stop_signals() -> threading.Event:
    """From now on SIGINT and SIGTERM (Ctrl-C, systemd, docker stop) set the event returned
    instead of interrupting. Called first thing by a service: a stop asked for while it
    starts (its lab answering already, its last parts still loading) is then a clean stop
    once started, not a KeyboardInterrupt through the start-up, exit status 130 and nothing
    closed."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def wait_for_signal(stop: threading.Event) -> None:
    """Block until SIGINT or SIGTERM, caught since ``catch_stop_signals`` returned ``stop``."""
    while not stop.wait(0.5):
        pass
