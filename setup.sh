#!/usr/bin/env bash
# One-step set-up on a fresh Debian 12 / Ubuntu machine, then one of:
#   ./setup.sh simulate [kiosk simulate options]   start the kiosk on simulated devices
#   ./setup.sh test [pytest options]               run the whole test suite, headless
# It installs the system libraries Kivy needs (apt, only when missing), makes .venv,
# installs the kiosk into it and compiles the translations.
set -euo pipefail
cd "$(dirname "$0")"

action="${1:-}"
case "$action" in
  simulate|test) shift ;;
  *) echo "usage: ./setup.sh simulate|test [options]" >&2; exit 2 ;;
esac

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: OpenGL through Mesa (software rendering when there is no GPU or
# screen), EGL, mtdev for touch screens, FriBiDi (Pillow's wheel needs it to enable its
# HarfBuzz text layout, which places stacked Vietnamese and K'Ho marks), Python's venv.
packages=(libgl1 libegl1 libgl1-mesa-dri libegl-mesa0 libmtdev1 libfribidi0)
# PortAudio for the speaker and the studio's microphone (sounddevice loads it; without a
# sound card it still loads, and opening a device reports that there is none).
packages+=(libportaudio2)
# The test suite also runs its own throwaway PostgreSQL cluster (initdb + pg_ctl) unless
# KIOSK_TEST_PG_URL names one, and drives Debian's chromium for the centre's web pages.
# Running unattended (tests/test_lifecycle.py): systemd-analyze checks the unit, Xvfb is a
# bare X server, cage with XWayland the Wayland kiosk compositor.
if [ "$action" = test ]; then
  packages+=(chromium systemd xvfb cage xwayland)
  [ -n "${KIOSK_TEST_PG_URL:-}" ] || packages+=(postgresql)
fi
command -v python3 >/dev/null || packages+=(python3)
python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
fi

python3 - <<'PY' || { echo "setup: Python 3.11 or newer is needed" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
# compat: the checkout goes on sys.path through a plain .pth line. The default editable
# finder costs every Python start ~10 ms (pathlib, urllib) that an installed kiosk never pays.
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]" \
  --config-settings editable_mode=compat
.venv/bin/kiosk i18n compile >/dev/null

if [ "$action" = simulate ]; then
  exec .venv/bin/kiosk simulate "$@"
fi
.venv/bin/ruff check kiosk drivers tests benchmarks assets
exec .venv/bin/python -m pytest "$@"
