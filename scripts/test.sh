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
exec .venv/bin/python -m pytest "$@"
