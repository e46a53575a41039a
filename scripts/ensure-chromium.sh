#!/usr/bin/env bash
# Browser tests drive Debian's chromium through playwright-core (a test tool's own browser download cannot work
# offline). Installs it when missing and we are allowed to; otherwise says exactly what to do.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
# Chinese text in screenshots needs a CJK font (WenQuanYi Zen Hei: small, and in Debian).
have_cjk_font() { fc-list 2>/dev/null | grep -qi 'wqy\|noto sans cjk\|noto serif cjk'; }
if [ -x "$browser" ] && have_cjk_font; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests (one time)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
  exit 0
fi
if [ -x "$browser" ]; then
  echo "No CJK font found: Chinese text in browser screenshots will show as boxes (install fonts-wqy-zenhei)." >&2
  exit 0
fi
echo "Browser tests need Chromium at $browser. Install it (Debian/Ubuntu: sudo apt-get install chromium)" >&2
echo "or set CHROMIUM_PATH to a Chromium/Chrome binary." >&2
exit 1
