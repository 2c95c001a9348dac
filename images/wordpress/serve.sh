#!/bin/bash
# Runs Apache in the foreground as www-data (entrypoint.sh dropped root before this), hands it
# stop signals gracefully, and watches that it keeps answering.
set -euo pipefail

export SWARMPRESS_MAX_WORKERS="${SWARMPRESS_MAX_WORKERS:-16}"
# Debian's envvars reads variables it does not define itself.
set +u
# shellcheck source=/dev/null
source /etc/apache2/envvars
set -u

apache2 -D FOREGROUND &
apache=$!

# On stop, keep serving while the edge learns this task is going (the controller publishes
# the change, Traefik asks for it every 500 ms) and while a replacement started alongside it
# (start-first updates) opens its port, then let Apache finish in-flight requests: a rolling
# update drops no request.
stop() {
  sleep "${SWARMPRESS_DRAIN_SECONDS:-3}"
  kill -WINCH "$apache" 2>/dev/null || true
}
trap stop TERM WINCH INT

# One request right away compiles WordPress into the shared opcache, so the first visitor is
# not the one who pays for it.
host=${WORDPRESS_URL#*://}
for _ in $(seq 1 50); do
  curl -s -o /dev/null --max-time 10 -H "Host: $host" "http://127.0.0.1${WORDPRESS_PATH_PREFIX:-}/" && break
  sleep 0.1
done

# One request to Apache and PHP, made by bash itself: no curl to start (a process start per
# probe was most of what a probe cost an idle site).
probe_live() {
  local status="" conn
  { exec {conn}<>/dev/tcp/127.0.0.1/80; } 2>/dev/null || return 1
  printf 'GET /.swarmpress/health?live=1 HTTP/1.0\r\nHost: localhost\r\n\r\n' >&"$conn"
  IFS= read -r -t "${SWARMPRESS_LIVENESS_TIMEOUT:-10}" -u "$conn" status || true
  exec {conn}<&-
  [[ $status == "HTTP/1."?" 200"* ]]
}

# Liveness, in place of an engine HEALTHCHECK (an exec, so a runc start, every interval):
# Apache and PHP must answer (the database is not asked — an outage of it is not this task's
# to cure by restarting). After LIVENESS_FAILURES misses in a row Apache is stopped, the task
# exits non-zero and Swarm starts a new one. The wait between probes is a `read` timing out
# on a pipe nobody writes to: no `sleep` process either.
watch_liveness() {
  local misses=0 idle
  exec {idle}<> <(:)
  while ! read -r -t "${SWARMPRESS_LIVENESS_SECONDS:-30}" -u "$idle"; do
    if probe_live; then
      misses=0
    else
      misses=$((misses + 1))
      echo "swarmpress: liveness probe failed ($misses/${SWARMPRESS_LIVENESS_FAILURES:-3})" >&2
      if ((misses >= ${SWARMPRESS_LIVENESS_FAILURES:-3})); then
        echo "swarmpress: Apache stopped answering; stopping the task so Swarm replaces it" >&2
        kill -TERM "$apache" 2>/dev/null || true
        # A wedged Apache may never act on TERM: after the drain and a grace, it is killed.
        read -r -t "$((${SWARMPRESS_DRAIN_SECONDS:-3} + 10))" -u "$idle" || true
        kill -KILL "$apache" 2>/dev/null || true
        return
      fi
    fi
  done
}
watch_liveness &
watcher=$!

# `wait` returns early when a trapped signal arrives; keep waiting until Apache has exited.
status=0
while kill -0 "$apache" 2>/dev/null; do
  wait "$apache" || status=$?
done
kill "$watcher" 2>/dev/null || true
exit "$status"
