#!/usr/bin/env bash
# Run wanwan on a fresh machine: sets itself up, then passes its arguments to the CLI.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WANWAN_EXTRAS="${WANWAN_EXTRAS:-tiny}" bash "$root/scripts/bootstrap.sh"
exec "$root/.venv/bin/wanwan" "$@"
