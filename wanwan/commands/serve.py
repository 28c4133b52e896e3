"""``wanwan serve``: the assistant as a service on the broker, for text and for satellites."""

from __future__ import annotations

import argparse
import sys

from wanwan.asr.factory import make_recognizer
from wanwan.commands.options import (
    add_common,
    add_intents,
    add_lab,
    add_speech,
    make_assistant,
    speech_choice,
)
from wanwan.commands.signals import catch_stop_signals, wait_for_signal
from wanwan.dashboard import Dashboard, parse_listen
from wanwan.hermes import HermesBridge
from wanwan.hub import SatelliteHub
from wanwan.kiosk import KioskTurn
from wanwan.tts import site_synthesizer


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="the assistant service: text on {prefix}/site/SITE/query, "
                       "satellites' audio on hermes/audioServer/SITE/audioFrame, Hermes NLU "
                       "and TTS")
    add_common(p)
    add_intents(p)
    add_speech(p)
    add_lab(p)
    p.add_argument("--http", metavar="[HOST:]PORT",
                   help="serve the read-only dashboard there (HOST defaults to 127.0.0.1; "
                   "other hosts need viewers in security.viewers)")
    p.add_argument("--no-satellites", dest="satellites", action="store_false",
                   help="answer text only: no recogniser is loaded, satellites' audio is not "
                   "heard")
    p.set_defaults(run=run, quiet=False)


def _print_heard(site: str, said: KioskTurn) -> None:
    if said.addressed:
        print(f"[{site}] heard {said.heard.transcript.text!r}", flush=True)


def run(args: argparse.Namespace) -> int:
    stop = catch_stop_signals()
    assistant = make_assistant(args, on_reply=lambda r: print(f"[{r.site}] {r.text}",
                                                              flush=True))
    bridge = HermesBridge(assistant)
    hub: SatelliteHub | None = None
    if args.satellites:
        speech = assistant.config.speech
        name, model = speech_choice(args, assistant.config)
        hub = SatelliteHub(
            assistant, lambda: make_recognizer(name, assistant.engine, model=model,
                                               wake=speech.wake_phrase,
                                               max_speech_s=speech.max_utterance_s),
            site_synthesizer(assistant.config), bridge=bridge)
        hub.on_turn = _print_heard
    dashboard: Dashboard | None = None
    if args.http:
        try:
            dashboard = Dashboard(assistant, *parse_listen(args.http)).start()
        except BaseException:
            if hub is not None:
                hub.close()
            bridge.close()
            assistant.close()
            raise
        print(f"dashboard on {dashboard.url}"
              + ("" if dashboard.viewers.open else " (each viewer opens it once with "
                 "?token=…, from `wanwan broker credentials viewer-NAME`)"),
              file=sys.stderr, flush=True)
    address = assistant.address
    print(f"serving on {address.host}:{address.port}: text to "
          f"{assistant.topics.prefix}/site/SITE/query"
          + (", satellites' audio to hermes/audioServer/SITE/audioFrame" if hub else "")
          + ", Hermes NLU on hermes/nlu/query; Ctrl-C stops", file=sys.stderr, flush=True)
    try:
        wait_for_signal(stop)
    finally:
        if dashboard is not None:
            dashboard.close()
        if hub is not None:
            hub.close()
        bridge.close()
        assistant.close()
    return 0
