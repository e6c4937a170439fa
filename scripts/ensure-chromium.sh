#!/usr/bin/env bash
# The demo's browser test drives Debian's Chromium (playwright-core never downloads a browser here).
# Install it when it is missing; quiet and idempotent, so every test run can call it.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is missing: install Debian's 'chromium' package (sudo apt-get install -y chromium)." >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser test…"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version
