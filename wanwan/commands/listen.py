"""``wanwan listen``: the kiosk, microphone in and speaker out, until interrupted."""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import Future

from wanwan.asr.factory import make_recognizer
from wanwan.audio.devices import Microphone
from wanwan.commands.options import (
    add_common,
    add_intents,
    add_lab,
    add_speech,
    make_assistant,
    speech_choice,
)
from wanwan.dialogue import Turn
from wanwan.kiosk import Kiosk
from wanwan.tts import Speaker, site_synthesizer
from wanwan.voice import VoicePipeline


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("listen", help="the kiosk: microphone in, speaker out")
    add_common(p)
    p.add_argument("--site", default=None)
    p.add_argument("--device", default=None, help="input device name or index")
    add_intents(p)
    add_speech(p)
    add_lab(p)
    p.set_defaults(run=run, quiet=False)


def _print_turn(site: str, command: str, done: Future[Turn]) -> None:
    reply = done.result().reply if done.exception() is None else f"(failed: {done.exception()})"
    print(f"[{site}] {command!r} -> {reply}", flush=True)


def run(args: argparse.Namespace) -> int:
    microphone = Microphone(args.device)  # refused at once when there is none
    assistant = make_assistant(args)
    speech = assistant.config.speech
    name, model = speech_choice(args, assistant.config)
    pipeline = VoicePipeline.for_speech(
        assistant.engine, make_recognizer(name, assistant.engine, model=model,
                                          wake=speech.wake_phrase,
                                          max_speech_s=speech.max_utterance_s), speech)
    speaker = Speaker(site_synthesizer(assistant.config),
                      device=speech.output_device)
    kiosk = Kiosk(assistant, pipeline, speaker, args.site)
    print(f"listening on {microphone.name!r} at site {kiosk.site} with "
          f"{pipeline.recognizer.name}; say 'wan wan' and a command; Ctrl-C stops",
          file=sys.stderr)
    try:
        for block in microphone.blocks():
            for said in kiosk.feed(block):
                if said.future is not None:  # printed when done: hearing must go on meanwhile
                    said.future.add_done_callback(
                        lambda done, command=said.heard.command: _print_turn(kiosk.site,
                                                                             command, done))
    except KeyboardInterrupt:
        return 0
    finally:
        kiosk.close()
        speaker.close()
        assistant.close()
    return 0
