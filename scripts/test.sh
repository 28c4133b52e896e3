#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up, lint, then pytest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WANWAN_EXTRAS=test bash "$root/scripts/bootstrap.sh"
bash "$root/scripts/hermes-env.sh"
cd "$root"
.venv/bin/ruff check wanwan tests scripts
.venv/bin/wanwan intents check
.venv/bin/wanwan intents check --intents "$root/intents/ja"
# the tests on every core, then the whole-system ones alone (they run in real time against a
# simulated lab, and must not share the cores with other recognisers); pytest's 5 is "none of
# the tests given was in this part"
part() { .venv/bin/python -m pytest "$@" || { rc=$?; [ "$rc" = 5 ] || exit "$rc"; }; }
part -m "not whole_system" "$@"
part -m whole_system -n 0 "$@"
