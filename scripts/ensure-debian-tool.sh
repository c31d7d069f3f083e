#!/usr/bin/env bash
# Usage: scripts/ensure-debian-tool.sh <debian-package> <program>
# Puts <program> at .cache/bin/<program>, unpacked from Debian's <debian-package> with
# `apt-get download` + `dpkg-deb -x`: nothing is installed and no server is started (e.g.
# amtool from prometheus-alertmanager). Prints the program's path. When it cannot be fetched it
# says why and exits 1, so `make test` stops instead of a test skipping.
set -uo pipefail
pkg=${1:?debian package}
name=${2:?program name}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.cache/bin/$name"
if command -v "$name" >/dev/null 2>&1; then command -v "$name"; exit 0; fi
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
download() { (cd "$tmp" && apt-get download "$pkg") >"$tmp/log" 2>&1; }
if ! download; then
  # An empty or stale package list: refresh it (as root, or with passwordless sudo) and retry.
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >>"$tmp/log" 2>&1; else sudo -n apt-get update -qq >>"$tmp/log" 2>&1; fi
  download || { echo "$name unavailable: \`apt-get download $pkg\` failed:" >&2; cat "$tmp/log" >&2; exit 1; }
fi
dpkg-deb -x "$tmp"/"${pkg}"_*.deb "$tmp/x" || { echo "$name unavailable: cannot unpack ${pkg}" >&2; exit 1; }
found=$(find "$tmp/x" -type f -name "$name" -perm -u+x | head -n 1)
[ -n "$found" ] || { echo "$name unavailable: ${pkg} has no program $name" >&2; exit 1; }
mkdir -p "$(dirname "$bin")" && cp "$found" "$bin" && echo "$bin"
