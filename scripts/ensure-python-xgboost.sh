#!/usr/bin/env bash
# Makes Debian's python3-xgboost importable by /usr/bin/python3 (or CTE_PYTHON3), installing it with
# apt-get (through sudo when not root) when it is missing. The XGBoost-against-Python reference test
# and `make train` need it. Idempotent; exits non-zero, saying why, when it cannot install it.
set -euo pipefail
PYTHON3=${CTE_PYTHON3:-/usr/bin/python3}
log() { echo "[python3-xgboost] $*" >&2; }
have() { "$PYTHON3" -c 'import xgboost' >/dev/null 2>&1; }

have && exit 0
if [ "$PYTHON3" != /usr/bin/python3 ]; then
  log "$PYTHON3 cannot import xgboost; install it for that interpreter (apt-get installs it for /usr/bin/python3 only)"
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then log "not root and no sudo: run 'apt-get install -y python3-xgboost' as root"; exit 1; fi
  SUDO="sudo"
fi
log "installing python3-xgboost"
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-xgboost >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-xgboost >/dev/null
fi
have || { log "installed, but $PYTHON3 still cannot import xgboost"; exit 1; }
