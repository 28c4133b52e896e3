"""Turn-taking and the kiosk: whether an utterance is meant for wanwan, and one site's whole
voice loop fed audio as a microphone delivers it."""

from __future__ import annotations

import time

import numpy as np

from wanwan.asr.base import Transcript
from wanwan.audio.vad import Utterance
from wanwan.kiosk import TurnTaking
from wanwan.nlu.wake import split_wake
from wanwan.voice import Heard


def test_turn_taking(engine):
    def heard(text: str) -> Heard:
        woke, command = split_wake(text, "wan wan", engine)
        utterance = Utterance(np.zeros(1600, np.int16), 0.0, 0.1)
        return Heard(utterance, Transcript(text, 0.9), woke, command, engine.parse(command))

    turns = TurnTaking(follow_up_s=0.3)
    idle = {"pending": False, "transfer_running": False, "speaking": False}
    assert turns.addressed(heard("wan wan, what's the level in dewar twelve"), **idle)[0]
    assert not turns.addressed(heard("what's the level in dewar twelve"), **idle)[0]
    assert turns.addressed(heard("yes"), **idle | {"pending": True}) == (
        True, "answering a confirmation")
    assert turns.addressed(heard("stop"), **idle | {"transfer_running": True})[0]
    assert not turns.addressed(heard("stop"), **idle)[0]
    bare = heard("Wan wan.")
    assert bare.bare_wake and turns.addressed(bare, **idle)[0]
    turns.replied()  # "Yes?": the command may follow without the wake phrase
    assert turns.addressed(heard("how much helium do we have"), **idle) == (True, "follow-up")
    assert not TurnTaking(follow_up_s=0.3).addressed(heard("how much helium do we have"),
                                                     **idle)[0]  # another site's
    time.sleep(0.35)
    assert not turns.addressed(heard("how much helium do we have"), **idle)[0]
    # said inside the window, recognised after it closed (a slow machine): still the follow-up
    late = heard("how much helium do we have")
    late.addressed = True
    assert turns.addressed(late, **idle) == (True, "expected when said")
    assert not heard("wan wan, stop").bare_wake
