"""``wanwan broker acl|passwords|credentials``: what the broker needs to know about devices."""

from __future__ import annotations

import argparse
from pathlib import Path

from wanwan.commands.options import add_actions, add_common
from wanwan.config import load_config
from wanwan.errors import UserError
from wanwan.security import acl, site_key, users, write_password_file


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("broker", help="the broker's access list and every device's password")
    add_common(p)
    bsub = add_actions(p, "broker_command")
    bsub.add_parser("acl", help="print the mosquitto ACL made from the site configuration")
    w = bsub.add_parser("passwords", help="write a mosquitto password file for every device")
    w.add_argument("file", type=Path)
    c = bsub.add_parser("credentials", help="a device's user name and password (for a "
                        "satellite, an instrument bridge or a dashboard on another machine)")
    c.add_argument("user", help="e.g. site-kiosk-recovery, instrument-tc1, viewer-office")
    p.set_defaults(run=run, quiet=True)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.broker_command == "acl":
        print(acl(config))
        return 0
    key = site_key(config)
    if args.broker_command == "passwords":
        print(write_password_file(args.file, key, users(config)))
        return 0
    if args.user not in users(config):
        raise UserError(f"no device {args.user!r} in this configuration (known: "
                        f"{', '.join(users(config))})")
    print(f"{args.user} {key.password(args.user)}")
    return 0
