#!/usr/bin/env bash
# Puts Prometheus' promtool at .cache/bin/promtool (from Debian's prometheus package, unpacked
# without installing, so no Prometheus server is started). Prints the path; exits 0 even when
# it cannot be fetched, since the metrics lint test then falls back to its built-in checks.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.cache/bin/promtool"
if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1) && dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"; then
  mkdir -p "$(dirname "$bin")" && cp "$tmp/x/usr/bin/promtool" "$bin" && echo "$bin"
else
  echo "promtool unavailable" >&2
fi
exit 0
