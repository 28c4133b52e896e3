#!/usr/bin/env bash
# rhasspy-hermes in an environment of its own (.venv-hermes). It pins paho-mqtt 1.5 and an old
# dataclasses-json, which wanwan (paho 2) cannot share; the tests use it only to build and
# parse Hermes payloads as Rhasspy's own apps do (tests/hermes_peer.py). Quiet when done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
version=0.6.2
if [ ! -f ".venv-hermes/.installed-$version" ]; then
  echo "hermes-env: installing rhasspy-hermes $version into .venv-hermes" >&2
  rm -rf .venv-hermes
  "${PYTHON:-python3}" -m venv .venv-hermes
  .venv-hermes/bin/python -m pip install -q "rhasspy-hermes==$version" 2>&1 \
    | grep -v "^WARNING: Location" >&2 || true
  .venv-hermes/bin/python -c "import rhasspyhermes.nlu" 
  touch ".venv-hermes/.installed-$version"
fi
