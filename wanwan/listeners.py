"""Listeners of an event: added from any thread, each removable, each called in turn, and one
that fails never keeps the others (or whoever raised the event) from going on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")

log = logging.getLogger(__name__)


class Listeners(Generic[P]):
    """``add(fn)`` returns the function that removes ``fn`` (removing twice is harmless:
    closing twice must be); ``call(...)`` calls every listener with the same arguments."""

    def __init__(self, what: str) -> None:
        self.what = what  # for the log: "reply listener"
        self._lock = threading.Lock()
        self._listeners: list[Callable[P, object]] = []

    def add(self, listener: Callable[P, object]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return remove

    def call(self, *args: P.args, **kwargs: P.kwargs) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(*args, **kwargs)
            except Exception:  # an observer must not break what it observes
                log.exception("%s failed on %r", self.what, args[:1])

    def clear(self) -> None:
        with self._lock:
            self._listeners.clear()

    def __len__(self) -> int:
        return len(self._listeners)
