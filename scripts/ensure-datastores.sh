#!/usr/bin/env bash
# Makes MariaDB (127.0.0.1:3306) and Redis (127.0.0.1:6379) reachable, installing and starting
# them when needed, and creates the application database and user.
#
# A fresh Debian MariaDB lets root log in only over the unix socket, so the app user
# (CTE_DB_USER/CTE_DB_PASSWORD, default cte/cte) is created through the socket when
# root cannot log in over TCP. Idempotent: safe to run before every build or test.
set -euo pipefail

APP_USER=${CTE_DB_USER:-cte}
APP_PASS=${CTE_DB_PASSWORD:-cte}
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi

log() { echo "[datastores] $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 120); do port_open "$1" && return 0; sleep 0.5; done
  log "$2 did not open port $1 within 60 s"; return 1
}

missing=()
if ! port_open 3306 && [ ! -x /usr/sbin/mariadbd ]; then missing+=(mariadb-server); fi
if ! port_open 6379 && ! command -v redis-server >/dev/null 2>&1; then missing+=(redis-server); fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! port_open 3306; then
  log "starting MariaDB"
  $SUDO mkdir -p /run/mysqld
  $SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_port 3306 MariaDB
fi
if ! port_open 6379; then
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_port 6379 Redis
fi

# Root over TCP works on a developer machine set up that way; otherwise use the socket.
if mysql -uroot -h127.0.0.1 -P3306 -e 'SELECT 1' >/dev/null 2>&1; then
  admin=(mysql -uroot -h127.0.0.1 -P3306)
else
  admin=($SUDO mysql -uroot)
fi
"${admin[@]}" <<SQL
CREATE DATABASE IF NOT EXISTS crypto_trading CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '${APP_USER}'@'127.0.0.1' IDENTIFIED BY '${APP_PASS}';
CREATE USER IF NOT EXISTS '${APP_USER}'@'localhost' IDENTIFIED BY '${APP_PASS}';
GRANT ALL PRIVILEGES ON \`crypto\_trading%\`.* TO '${APP_USER}'@'127.0.0.1', '${APP_USER}'@'localhost';
GRANT ALL PRIVILEGES ON \`cte\_test\_%\`.* TO '${APP_USER}'@'127.0.0.1', '${APP_USER}'@'localhost';
FLUSH PRIVILEGES;
SQL
mysql -u"${APP_USER}" -p"${APP_PASS}" -h127.0.0.1 -P3306 -e 'SELECT 1' >/dev/null
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || port_open 6379
log "MariaDB and Redis ready (app user ${APP_USER})"
