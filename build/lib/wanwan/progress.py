"""A small progress bar for anything that takes more than a few seconds (stderr only)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


class Progress:
    """``with Progress(total, "fetching") as bar: bar.update(n)``; redraws at most 10×/s.

    On a terminal it redraws one line; elsewhere (CI logs) it prints a line every 10 %.
    """

    def __init__(self, total: float | None, label: str, unit: str = "", stream=None) -> None:
        self.total = total
        self.label = label
        self.unit = unit
        self.done = 0.0
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_decile = -1

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, amount: float = 1) -> None:
        self.done += amount
        now = time.monotonic()
        if self.tty and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        self._draw(final=False)

    def _line(self) -> str:
        elapsed = time.monotonic() - self.started
        if self.total:
            frac = min(1.0, self.done / self.total)
            bar = "#" * int(frac * 24)
            eta = (elapsed / frac - elapsed) if frac > 0 else 0
            return (f"{self.label} [{bar:<24}] {frac * 100:5.1f}% {_fmt(self.done)}/"
                    f"{_fmt(self.total)}{self.unit} {elapsed:.0f}s eta {eta:.0f}s")
        return f"{self.label} {_fmt(self.done)}{self.unit} {elapsed:.0f}s"

    def _draw(self, final: bool) -> None:
        if self.tty:
            self.stream.write("\r" + self._line() + ("\n" if final else ""))
            self.stream.flush()
            return
        decile = int(10 * self.done / self.total) if self.total else -1
        if final or decile > self._last_decile:
            self._last_decile = decile
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def close(self) -> None:
        self._draw(final=True)


def track(items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
    seq = list(items) if total is None else items
    with Progress(total if total is not None else len(seq), label) as bar:  # type: ignore[arg-type]
        for item in seq:
            yield item
            bar.update()


def _fmt(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.1f}M"
    if x >= 1e4:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"
