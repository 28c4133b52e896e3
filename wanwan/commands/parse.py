"""``wanwan parse``: understand typed text or recorded speech, acting on nothing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator

from wanwan.asr.factory import make_recognizer
from wanwan.audio.io import load_audio, read_pcm
from wanwan.commands.options import add_common, add_intents, add_speech, speech_choice
from wanwan.commands.output import describe, print_json
from wanwan.config import load_config
from wanwan.engine import load_engine
from wanwan.nlu import IntentEngine
from wanwan.voice import VoicePipeline


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("parse", help="understand one utterance, act on nothing")
    add_common(p)
    p.add_argument("text", nargs="*", help="the utterance; '-' reads one per line from stdin; "
                   "none starts an interactive prompt")
    p.add_argument("--json", action="store_true", help="print the JSON of intents.md")
    add_intents(p)
    p.add_argument("--audio", default=None, metavar="FILE",
                   help="recognise speech in a WAV/FLAC file ('-': raw 16-bit PCM on stdin)")
    p.add_argument("--rate", type=int, default=16000, help="sample rate of raw PCM input")
    p.add_argument("--wake", default=None, metavar="PHRASE|off",
                   help="the wake phrase (default: speech.wake_phrase of the config); 'off': "
                   "every utterance is addressed to wanwan, as with push-to-talk")
    add_speech(p)
    p.set_defaults(run=run, quiet=True)


def run(args: argparse.Namespace) -> int:
    engine = load_engine(args.intents, args.config)
    if args.audio:
        return _parse_audio(args, engine)

    def emit(text: str) -> None:
        result = engine.parse(text)
        print_json(result.to_json()) if args.json else print(describe(result), flush=True)

    if args.text == ["-"] or (not args.text and not sys.stdin.isatty()):
        for line in _stdin_lines():
            emit(line)
        return 0
    if args.text:
        emit(" ".join(args.text))
        return 0
    print("Type what you would say (empty line or Ctrl-D to quit).", file=sys.stderr)
    while True:
        try:
            line = input("> ")
        except EOFError:
            return 0
        if not line.strip():
            return 0
        emit(line)


def _stdin_lines() -> Iterator[str]:
    for raw in sys.stdin.buffer:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


def _parse_audio(args: argparse.Namespace, engine: IntentEngine) -> int:
    source = args.audio
    audio = read_pcm(sys.stdin.buffer, args.rate) if source == "-" else load_audio(source)
    if audio.duration > 600:
        print(f"wanwan: {source}: {audio.duration / 60:.0f} minutes of audio; this takes a "
              "while", file=sys.stderr)
    config = load_config(args.config)
    name, model = speech_choice(args, config)
    wake = config.speech.wake_phrase if args.wake is None else (
        None if args.wake.lower() in ("off", "none", "") else args.wake)
    pipeline = VoicePipeline(engine, make_recognizer(name, engine, model=model, wake=wake),
                             wake=wake)
    heard_any = False
    for utterance in pipeline.utterances(audio.samples):
        heard = pipeline.understand(utterance)
        heard_any = True
        if args.json:
            print_json(heard.to_json())
        else:
            print(f"{heard.utterance.start:6.2f}-{heard.utterance.end:6.2f}s "
                  f"{heard.transcript.text!r} -> {describe(heard.parse)}", flush=True)
    if not heard_any:
        why = "silence" if audio.duration > 0 else "no audio"
        print(f"wanwan: {source}: no speech found ({why}, {audio.duration:.1f} s)",
              file=sys.stderr)
    return 0
