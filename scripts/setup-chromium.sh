#!/usr/bin/env bash
# Debian's Chromium for the browser example's tests (examples/browser), which
# drive it headless through playwright-core. Playwright's own browser download
# cannot work here (it fetches from a CDN, not a package registry), so the
# system browser is used. Does nothing when $AIRBENCH_CHROMIUM or
# /usr/bin/chromium is already there; otherwise installs the `chromium` package
# with apt (needs root and Debian's registry).
set -euo pipefail
browser="${AIRBENCH_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$browser" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup-chromium: no Chromium at $browser, and this is not root on Debian/Ubuntu; install Chromium yourself and set AIRBENCH_CHROMIUM to its path." >&2
  exit 1
fi
echo "setup-chromium: installing Debian's chromium (apt-get install chromium)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
"$browser" --version >&2
