"""Work queues that a ``None`` closes: what a speaker or player has not started yet."""

from __future__ import annotations

import queue
import threading
import time
from typing import TypeVar

Item = TypeVar("Item")


def drain(work: queue.Queue[Item | None]) -> list[Item]:
    """Take every item waiting in ``work`` without blocking (what a "stop" drops). A ``None``
    met on the way is put back: the consumer must still see that the queue is closed."""
    dropped: list[Item] = []
    while True:
        try:
            item = work.get_nowait()
        except queue.Empty:
            return dropped
        if item is None:
            work.put(None)
            return dropped
        dropped.append(item)


def wait_idle(work: queue.Queue, busy: threading.Event, timeout: float,
              poll_s: float = 0.02) -> bool:
    """Whether, within ``timeout`` seconds, nothing is waiting in ``work`` and the consumer is
    not ``busy`` with an item it took."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if work.empty() and not busy.is_set():
            return True
        time.sleep(poll_s)
    return False
