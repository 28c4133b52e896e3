#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: Debian packages (when root and missing), a venv in
# .venv and the package with the extras named in WANWAN_EXTRAS. Quiet when already done.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

debs=(mosquitto espeak-ng libespeak-ng1 libportaudio2 sox pocketsphinx-testdata
      asterisk-core-sounds-en-wav asterisk-core-sounds-en)
# the test suite looks at the dashboard in a real browser (Japanese glyphs for its screenshots)
[[ ",${WANWAN_EXTRAS:-}," == *",test,"* ]] && debs+=(chromium fonts-noto-cjk)
missing=()
for deb in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "install ok installed" || missing+=("$deb")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages (${missing[*]}); install them as root" >&2
  fi
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv" >&2
  "$python" -m venv .venv
fi
extras="${WANWAN_EXTRAS:-}"
spec="."
[ -n "$extras" ] && spec=".[${extras}]"
stamp=".venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)-${extras//,/_}"
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing wanwan${extras:+ [$extras]} into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e "$spec"
  touch "$stamp"
fi
