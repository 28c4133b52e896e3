"""The wake phrase as recognisers write it."""

from __future__ import annotations

import pytest

from wanwan.nlu.wake import split_wake


@pytest.mark.parametrize("text,expected", [
    ("When when, what's the level in dewar 12?", (True, "what's the level in dewar 12?")),
    ("1, 1, stop.", (True, "stop.")),
    ("Wanwan log fifty litres", (True, "log fifty litres")),
    # Whisper writes a quick "wan wan" as a stammer
    ("W-w-w", (True, "")),
    ("W-w-w-w-go ahead.", (True, "go ahead.")),
    ("W-w-w-a, proceed.", (True, "proceed.")),
    ("Waa, Waa, quiet.", (True, "quiet.")),
    # a stammered word is not the wake phrase, nor is one word
    ("W-w-what is it", (False, "W-w-what is it")),
    ("What is the level", (False, "What is the level")),
    ("Well, stop", (False, "Well, stop")),
    # in noise tiny.en writes the second "wan" as "land", and runs the two together
    ("Wham land, how full is the gas bag", (True, "how full is the gas bag")),
    ("Wamland, stop transferring.", (True, "stop transferring.")),
    ("Whamwan, how's the gas bag?", (True, "how's the gas bag?")),
    # a word that only begins like the phrase is not it
    ("Wandering around the lab", (False, "Wandering around the lab")),
    ("Wonderful, thanks", (False, "Wonderful, thanks")),
    ("Landlord called", (False, "Landlord called")),
])
def test_wake_phrase_as_recognisers_write_it(engine, text, expected):
    assert split_wake(text, "wan wan", engine) == expected
