"""``wanwan say``: speak text, or write the speech to a WAV file."""

from __future__ import annotations

import argparse

from wanwan.commands.options import add_common
from wanwan.errors import UserError
from wanwan.tts import Speaker, Synthesizer, Voice, require_output_device


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("say", help="speak text, or write it to a WAV file")
    add_common(p)
    p.add_argument("text", nargs="+")
    p.add_argument("-o", "--output", default=None, help="write a WAV file")
    p.add_argument("--voice", default="en-us")
    p.add_argument("--rate", type=int, default=160, help="words per minute")
    p.set_defaults(run=run, quiet=True)


def run(args: argparse.Namespace) -> int:
    text = " ".join(args.text).strip()
    if not text:
        raise UserError("nothing to say")
    synth = Synthesizer(Voice(args.voice, args.rate))
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
