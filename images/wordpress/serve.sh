#!/bin/bash
# Runs Apache in the foreground as www-data (entrypoint.sh dropped root before this) and hands
# it stop signals gracefully.
set -euo pipefail

export SWARMPRESS_MAX_WORKERS="${SWARMPRESS_MAX_WORKERS:-16}"
# Debian's envvars reads variables it does not define itself.
set +u
# shellcheck source=/dev/null
source /etc/apache2/envvars
set -u

apache2 -D FOREGROUND &
apache=$!

# On stop, keep serving while the edge notices this task is going (it polls Swarm every
# second), then let Apache finish in-flight requests: a rolling update drops no request.
stop() {
  sleep "${SWARMPRESS_DRAIN_SECONDS:-2}"
  kill -WINCH "$apache" 2>/dev/null || true
}
trap stop TERM WINCH INT

# One request before the health check passes compiles WordPress into the shared opcache, so
# the first visitor is not the one who pays for it.
host=${WORDPRESS_URL#*://}
for _ in $(seq 1 50); do
  curl -s -o /dev/null --max-time 10 -H "Host: $host" "http://127.0.0.1${WORDPRESS_PATH_PREFIX:-}/" && break
  sleep 0.1
done

# `wait` returns early when a trapped signal arrives; keep waiting until Apache has exited.
status=0
while kill -0 "$apache" 2>/dev/null; do
  wait "$apache" || status=$?
done
exit "$status"
