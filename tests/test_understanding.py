"""Typed commands the catalogue was never tuned on (tests/data/heldout/en.yaml): how many are
understood exactly, and that out-of-domain sentences are not taken as commands, and never as
commands that act. The figure is a result, not a training score: nothing in intents/ was
changed while looking at these sentences (the catalogue's own test sentences are the ones
tuned on)."""

from __future__ import annotations

from pathlib import Path

import yaml

HELDOUT = Path(__file__).parent / "data" / "heldout" / "en.yaml"


def test_held_out_typed_commands(engine):
    cases = yaml.safe_load(HELDOUT.read_text())["sentences"]
    commands = [c for c in cases if c["intent"]]
    other = [c for c in cases if not c["intent"]]
    right = sum(1 for c in commands
                if (lambda r: r.intent == c["intent"] and r.slots == c["slots"])(
                    engine.parse(c["text"])))
    accepted = [engine.parse(c["text"]) for c in other]
    accepted = [r for r in accepted if r.intent is not None]
    # 88.5 % when measured (161 of 182); below 85 % something general broke
    assert right / len(commands) >= 0.85, f"{right} of {len(commands)}"
    assert len(accepted) <= 0.02 * len(other), [(r.text, r.intent) for r in accepted]
    assert not [r for r in accepted if r.actuating]
