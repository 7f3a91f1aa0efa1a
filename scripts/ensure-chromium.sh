#!/usr/bin/env bash
# Makes sure the browser tests' system tools are present:
#   /usr/bin/chromium (Debian package chromium), ip (iproute2), unshare (util-linux), and
#   PostgreSQL's server binaries (postgresql: the database specs also run on a real PostgreSQL),
#   coturn's turnserver (coturn: the TURN video spec starts one on 127.0.0.1), and redis-server
#   (redis-server: the cluster spec runs two nodes over a throwaway Redis).
# As root, installs what is missing with apt-get; otherwise says what to install and exits 1.
# Run it before entering the test network namespace: nothing inside that namespace can reach
# a package registry.
set -euo pipefail

have_ip() { command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; }
have_unshare() { command -v unshare >/dev/null 2>&1 || [ -x /usr/bin/unshare ]; }
have_postgres() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }
have_coturn() { [ -x /usr/bin/turnserver ]; }
have_redis() { command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; }

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
have_ip || missing+=(iproute2)
have_unshare || missing+=(util-linux)
have_postgres || missing+=(postgresql)
have_coturn || missing+=(coturn)
have_redis || missing+=(redis-server)

if [ ${#missing[@]} -eq 0 ]; then
  echo "ensure-chromium: ok (/usr/bin/chromium, ip, unshare, postgresql, coturn, redis-server present)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  echo "ensure-chromium: missing Debian package(s): ${missing[*]}"
  echo "ensure-chromium: running: apt-get update -qq && apt-get install -y --no-install-recommends ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  failed=0
  [ -x /usr/bin/chromium ] || { echo "ensure-chromium: /usr/bin/chromium still missing after install" >&2; failed=1; }
  have_ip || { echo "ensure-chromium: 'ip' still missing after install" >&2; failed=1; }
  have_unshare || { echo "ensure-chromium: 'unshare' still missing after install" >&2; failed=1; }
  have_postgres || { echo "ensure-chromium: PostgreSQL's initdb still missing after install" >&2; failed=1; }
  have_coturn || { echo "ensure-chromium: /usr/bin/turnserver still missing after install" >&2; failed=1; }
  have_redis || { echo "ensure-chromium: redis-server still missing after install" >&2; failed=1; }
  [ "$failed" -eq 0 ] || exit 1
  echo "ensure-chromium: installed ${missing[*]}"
  exit 0
fi

for pkg in "${missing[@]}"; do
  case "$pkg" in
    chromium)
      echo "Chromium is required for the browser tests: install Debian's package 'chromium' (apt-get install chromium)" >&2 ;;
    iproute2)
      echo "'ip' is required for the browser tests (to bring up loopback in their private network namespace): install Debian's package 'iproute2' (apt-get install iproute2)" >&2 ;;
    postgresql)
      echo "PostgreSQL's server binaries are required for the database browser tests: install Debian's package 'postgresql' (apt-get install postgresql)" >&2 ;;
    coturn)
      echo "coturn's turnserver is required for the TURN video browser test: install Debian's package 'coturn' (apt-get install coturn)" >&2 ;;
    redis-server)
      echo "redis-server is required for the cluster browser test: install Debian's package 'redis-server' (apt-get install redis-server)" >&2 ;;
    util-linux)
      echo "'unshare' is required for the browser tests (they run in a private network namespace): install Debian's package 'util-linux' (apt-get install util-linux)" >&2 ;;
  esac
done
exit 1
