#!/usr/bin/env bash
# Runs the Playwright browser tests inside a private network namespace, so every byte of test
# traffic stays on loopback: the namespace has only `lo`, and everything the tests use (the app
# server, started by playwright.config.ts's webServer; Chromium) runs inside it.
#
#   bash scripts/e2e.sh                   # all specs
#   bash scripts/e2e.sh e2e/chat.spec.ts  # extra arguments go to `playwright test`
#
# As root: `unshare -n`. Otherwise: `unshare -rn` (an unprivileged user namespace), if the kernel
# allows it. Nothing inside the namespace can reach a package registry: install first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-chromium.sh

PLAYWRIGHT="$PWD/node_modules/.bin/playwright"
if [ ! -x "$PLAYWRIGHT" ]; then
  echo "e2e: $PLAYWRIGHT not found: run 'npm install' first (nothing can be installed inside the test network namespace)" >&2
  exit 1
fi
IP="$(command -v ip || true)"
[ -n "$IP" ] || for c in /usr/sbin/ip /sbin/ip; do [ -x "$c" ] && IP="$c" && break; done
UNSHARE="$(command -v unshare || echo /usr/bin/unshare)"

mkdir -p .reports
export NEXT_TELEMETRY_DISABLED=1

# Runs inside the namespace: bring loopback up, refuse to go on if anything but lo is there,
# then become `playwright test ARGS...`.
# shellcheck disable=SC2016 # expanded by the inner bash, not here
INNER='
set -euo pipefail
ip="$1"; playwright="$2"; shift 2
"$ip" link set lo up
others="$("$ip" -o link show | awk -F": " "{print \$2}" | sed "s/@.*//" | grep -vx lo || true)"
if [ -n "$others" ]; then
  echo "e2e: refusing to run: the test network namespace has interfaces besides lo: $others" >&2
  exit 1
fi
echo "e2e: in a private network namespace; interfaces: $("$ip" -o -brief addr show | tr -s " " | paste -sd ";" -)"
exec "$playwright" test "$@"
'

if [ "$(id -u)" -eq 0 ]; then
  exec "$UNSHARE" -n bash -c "$INNER" e2e-netns "$IP" "$PLAYWRIGHT" "$@"
fi

if "$UNSHARE" -rn true >/dev/null 2>&1; then
  exec "$UNSHARE" -rn bash -c "$INNER" e2e-netns "$IP" "$PLAYWRIGHT" "$@"
fi

cat >&2 <<'MSG'
e2e: cannot create a private network namespace.
The browser tests must run in a private network namespace (loopback only) so that no test
traffic leaves this machine. That needs either root (`unshare -n`) or unprivileged user
namespaces (`unshare -rn`; on Debian/Ubuntu: sysctl kernel.unprivileged_userns_clone=1, and
user.max_user_namespaces > 0). Run as root, or enable user namespaces, and try again.
MSG
exit 1
