"""``wanwan say``: speak text, or write the speech to a WAV file."""

from __future__ import annotations

import argparse

from wanwan.commands.options import add_common
from wanwan.config import load_config
from wanwan.errors import UserError
from wanwan.tts import ENGINES, Speaker, require_output_device, site_synthesizer


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("say", help="speak text, or write it to a WAV file")
    add_common(p)
    p.add_argument("text", nargs="+")
    p.add_argument("-o", "--output", default=None, help="write a WAV file")
    p.add_argument("--tts", choices=ENGINES, default=None,
                   help="speech engine (default: speech.tts of the config, auto: Piper when "
                   "installed, else espeak-ng)")
    p.add_argument("--voice", default=None, help="espeak-ng voice (default: speech.voice)")
    p.add_argument("--rate", type=int, default=None, help="words per minute")
    p.set_defaults(run=run, quiet=True)


def run(args: argparse.Namespace) -> int:
    text = " ".join(args.text).strip()
    if not text:
        raise UserError("nothing to say")
    config = load_config(args.config)
    asked = {k: v for k, v in (("tts", args.tts), ("voice", args.voice),
                               ("rate_wpm", args.rate)) if v is not None}
    config = config.model_copy(update={"speech": config.speech.model_copy(update=asked)})
    synth = site_synthesizer(config)
    if args.output:
        print(synth.to_file(text, args.output))
        return 0
    require_output_device()
    speaker = Speaker(synth)
    try:
        speaker.say(text)
        speaker.wait_idle(60)
    finally:
        speaker.close()
    return 0
