"""How the command line prints results: JSON lines for scripts, one line for people."""

from __future__ import annotations

import json

from wanwan.nlu import ParseResult


def print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def describe(result: ParseResult) -> str:
    """``log_volume amount=50 unit=L  [0.96]`` or ``(not understood: negated, closest: …)``."""
    if result.intent is None:
        near = f", closest: {result.near}" if result.near else ""
        return f"(not understood: {result.reason}{near})"
    slots = " ".join(f"{k}={v}" for k, v in result.slots.items())
    return f"{result.intent} {slots}".rstrip() + f"  [{result.confidence:.2f}]"
