"""``wanwan satellite``: a kiosk's or bay's microphone and speaker for a running server."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from wanwan.assistant import address_file, broker_address
from wanwan.audio.devices import FilePlayer, Microphone, Player, SpeakerPlayer
from wanwan.audio.io import RATE, load_audio
from wanwan.audio.vad import EndpointerSettings, chunks
from wanwan.broker import read_address_file
from wanwan.bus.client import BrokerAddress
from wanwan.bus.messages import ReplyMessage
from wanwan.bus.topics import Topics
from wanwan.commands.options import add_common
from wanwan.config import SiteConfig, load_config
from wanwan.errors import UserError
from wanwan.keys import SiteKey
from wanwan.satellite import Satellite
from wanwan.security import key_path, site_user
from wanwan.store import default_store_path

BLOCK = RATE // 10  # 100 ms, as a microphone delivers


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("satellite", help="a kiosk or bay for a running `wanwan serve`: streams "
                       "speech over MQTT (Hermes audioFrame) and plays the replies")
    add_common(p)
    p.add_argument("--site", required=True, help="the site this satellite hears for")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--device", default=None, help="input device name or index")
    source.add_argument("--audio", type=Path, default=None,
                        help="play this recording into it as if spoken, then exit")
    p.add_argument("--out", type=Path, default=None,
                   help="write what the server says to DIR/reply-NNN.wav instead of playing it")
    p.add_argument("--broker", default=None, metavar="HOST:PORT",
                   help="the server's broker (default: broker.host of the config, else the "
                   "private broker of a server running on this machine)")
    p.add_argument("--username", default=None, help="default: site-SITE")
    p.add_argument("--password", default=None,
                   help="default: WANWAN_BROKER_PASSWORD, else derived from the site key when "
                   "it is on this machine (`wanwan broker credentials site-SITE` prints it)")
    p.add_argument("--fast", action="store_true",
                   help="with --audio: send it as fast as the server takes it, not in real time")
    p.add_argument("--wait", type=float, default=6.0,
                   help="with --audio: seconds to wait for the server's first word before "
                   "exiting (default 6; a server that loads its recogniser on first use may "
                   "need more)")
    p.add_argument("--settle", type=float, default=2.0,
                   help="with --audio: once the server has spoken, seconds of quiet after its "
                   "last line before exiting (default 2)")
    p.set_defaults(run=run, quiet=False)


def _address(args: argparse.Namespace, config: SiteConfig) -> BrokerAddress:
    if args.broker:
        host, _, port = args.broker.rpartition(":")
        if not host or not port.isdigit():
            raise UserError(f"--broker {args.broker!r}: give HOST:PORT")
        base = BrokerAddress(**{**broker_address(config).__dict__, "host": host,
                                "port": int(port)})
    elif config.broker.host:
        base = broker_address(config)
    else:
        where = address_file(default_store_path(config.ledger_path))
        found = read_address_file(where)
        if found is None:
            raise UserError(f"no running `wanwan serve` found on this machine ({where} says "
                            "none); start one, or give --broker HOST:PORT")
        base = broker_address(config, found[1])
        base.host = found[0]
    user = args.username or config.broker.username or site_user(args.site)
    password = args.password or os.environ.get("WANWAN_BROKER_PASSWORD") or \
        config.broker.password
    if password is None:
        key = SiteKey.load(key_path(config), create=False)
        password = key.password(user)
    return BrokerAddress(**{**base.__dict__, "username": user, "password": password})


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    site = config.site(args.site).id
    microphone = None if args.audio else Microphone(args.device)  # refused now if none
    player: Player = FilePlayer(args.out) if args.out else SpeakerPlayer(
        config.speech.output_device)
    speech = config.speech
    satellite = Satellite(
        _address(args, config), site, player, topics=Topics(config.topic_prefix),
        endpointing=EndpointerSettings(end_silence_ms=speech.end_silence_ms,
                                       max_utterance_s=speech.max_utterance_s),
        on_reply=lambda reply: _print_reply(site, reply))
    satellite.start()
    if not satellite.bus.connected:
        satellite.close()
        raise UserError(f"could not connect to the broker at {satellite.bus.address.host}:"
                        f"{satellite.bus.address.port} as {satellite.bus.address.username}")
    try:
        if args.audio is not None:
            _play_file(satellite, args.audio, fast=args.fast, wait=args.wait,
                       settle=args.settle)
        else:
            assert microphone is not None
            print(f"satellite {site}: listening on {microphone.name!r}; Ctrl-C stops",
                  file=sys.stderr, flush=True)
            for block in microphone.blocks():
                satellite.feed(block)
    except KeyboardInterrupt:
        pass
    finally:
        satellite.close()
    if args.out:
        for path in player.files:  # type: ignore[attr-defined]
            print(f"wrote {path}")
    return 0


def _play_file(satellite: Satellite, path: Path, *, fast: bool, wait: float,
               settle: float) -> None:
    audio = load_audio(path)
    # the room stays quiet after the recording: the end silence that closes its last words
    silence = [np.zeros(BLOCK, np.int16)] * 15
    started = time.monotonic()
    for index, block in enumerate([*chunks(audio.samples, BLOCK), *silence]):
        satellite.feed(block)
        if not fast:  # as a microphone delivers it
            time.sleep(max(0.0, started + (index + 1) * 0.1 - time.monotonic()))
    print(f"satellite {satellite.site}: sent {satellite.frames_sent} chunks "
          f"({satellite.gate.sent_samples / RATE:.1f} s of {satellite.gate.seen_samples / RATE:.1f}"
          " s heard)", file=sys.stderr, flush=True)
    # until the server has had its say: replies come, and are played, then silence (the
    # first word may be long in coming, the next ones follow close on each other)
    satellite.last_play_at = time.monotonic()
    lines_before = satellite.lines_received
    while satellite.player.playing.is_set() or satellite.quiet_for() < (
            settle if satellite.lines_received > lines_before else wait):
        time.sleep(0.1)


def _print_reply(site: str, reply: ReplyMessage) -> None:
    print(f"[{site}] wanwan: {reply.text}", flush=True)
