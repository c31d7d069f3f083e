#!/usr/bin/env bash
# Usage: scripts/ensure-debian-tool.sh <debian-package> <program>...
# Puts each <program> at .cache/bin/<program>, unpacked from Debian's <debian-package> with
# `apt-get download` + `dpkg-deb -x`: nothing is installed and no server is started (e.g.
# amtool from prometheus-alertmanager). Prints the programs' paths. When one cannot be fetched it
# says why and exits 1, so `make test` stops instead of a test skipping.
set -uo pipefail
pkg=${1:?debian package}
shift
[ $# -gt 0 ] || { echo "usage: $0 <debian-package> <program>..." >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
missing=()
for name in "$@"; do
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"
  elif [ -x "$root/.cache/bin/$name" ]; then echo "$root/.cache/bin/$name"
  else missing+=("$name"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
download() { (cd "$tmp" && apt-get download "$pkg") >"$tmp/log" 2>&1; }
if ! download; then
  # An empty or stale package list: refresh it (as root, or with passwordless sudo) and retry.
  if [ "$(id -u)" = 0 ]; then apt-get update -qq >>"$tmp/log" 2>&1; else sudo -n apt-get update -qq >>"$tmp/log" 2>&1; fi
  download || { echo "${missing[*]} unavailable: \`apt-get download $pkg\` failed:" >&2; cat "$tmp/log" >&2; exit 1; }
fi
dpkg-deb -x "$tmp"/"${pkg}"_*.deb "$tmp/x" || { echo "${missing[*]} unavailable: cannot unpack ${pkg}" >&2; exit 1; }
mkdir -p "$root/.cache/bin"
for name in "${missing[@]}"; do
  found=
  for dir in usr/bin usr/sbin bin sbin; do
    if [ -f "$tmp/x/$dir/$name" ] && [ -x "$tmp/x/$dir/$name" ]; then found="$tmp/x/$dir/$name"; break; fi
  done
  [ -n "$found" ] || { echo "$name unavailable: ${pkg} has no program $name in usr/bin, usr/sbin, bin or sbin" >&2; exit 1; }
  cp "$found" "$root/.cache/bin/$name" && echo "$root/.cache/bin/$name"
done
