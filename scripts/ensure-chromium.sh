#!/usr/bin/env bash
# Usage: scripts/ensure-chromium.sh
# Makes sure Debian's chromium is installed for the console's browser test (playwright-core drives
# it; no browser is downloaded by npm), and prints its path. Installing needs root or passwordless
# sudo; when that is not possible it says why and exits 1, so `make test` stops instead of a test
# skipping.
set -uo pipefail
for p in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$p" ] && [ -x "$p" ]; then echo "$p"; exit 0; fi
done
if [ "$(id -u)" = 0 ]; then as_root=(); elif sudo -n true 2>/dev/null; then as_root=(sudo -n); else
  echo "chromium unavailable: not installed, and installing it needs root or passwordless sudo (apt-get install -y chromium)" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() { "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >"$log" 2>&1; }
if ! install; then
  # An empty or stale package list: refresh it and retry.
  "${as_root[@]}" apt-get update -qq >>"$log" 2>&1
  install || { echo "chromium unavailable: apt-get install chromium failed:" >&2; cat "$log" >&2; exit 1; }
fi
[ -x /usr/bin/chromium ] || { echo "chromium unavailable: installed, but /usr/bin/chromium is missing" >&2; exit 1; }
echo /usr/bin/chromium
