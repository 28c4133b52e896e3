"""``wanwan ledger export``: the ledger of dispensed and recovered helium."""

from __future__ import annotations

import argparse
import sys
import time

from wanwan.bus.outbox import Outbox
from wanwan.bus.topics import Topics
from wanwan.commands.options import add_actions, add_common
from wanwan.config import load_config
from wanwan.errors import UserError
from wanwan.ledger import Ledger
from wanwan.store import Store, default_store_path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ledger", help="the ledger of dispensed and recovered helium")
    add_common(p)
    lsub = add_actions(p, "ledger_command")
    e = lsub.add_parser("export", help="every entry, oldest first (refused if the records were "
                        "changed by hand, unless --force)")
    e.add_argument("--csv", action="store_true", help="CSV with a header row")
    e.add_argument("--force", action="store_true", help="export even a broken record")
    lsub.add_parser("verify", help="check the hash chains and triggers of the ledger and the "
                    "audit log; exit 0 only when nothing was changed by hand")
    p.set_defaults(run=run, quiet=True)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = Store(default_store_path(config.ledger_path))
    try:
        findings = store.verify()
        if args.ledger_command == "verify":
            for finding in findings:
                print(finding)
            verdict = (f"BROKEN: {len(findings)} finding(s)" if findings
                       else "the ledger and the audit log are intact")
            print(f"{store.path}: {verdict}", file=sys.stderr)
            return 1 if findings else 0
        if findings:
            for finding in findings:
                print(f"wanwan: {finding}", file=sys.stderr)
            if not args.force:
                raise UserError(f"{store.path}: the records were changed by hand (see above); "
                                "`wanwan ledger export --force` exports them anyway")
            print("wanwan: exporting a broken record (--force)", file=sys.stderr)
        ledger = Ledger(store, Outbox(store), Topics(config.topic_prefix))
        if args.csv:
            ledger.export_csv(sys.stdout)
            return 0
        for e in ledger.entries():
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.ts))
            undone = "  (undone)" if e.undone else ""
            print(f"{when}  {e.site:<16} {e.amount:>8g} {e.unit:<3} {e.phase:<6} "
                  f"{e.direction:<9} dewar={e.dewar or '-':<4} lab={e.lab or '-'}{undone}")
        return 0
    finally:
        store.close()
