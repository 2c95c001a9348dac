#!/bin/bash
# Configures and installs the site, then runs Apache and hands it stop signals gracefully.
set -euo pipefail

php /usr/local/share/swarmpress/render-config.php

# wp-content is the tenant's volume. Keep the bundled themes and plugins linked into it (a new
# image may bring new ones) and make it writable for uploads.
content=/var/lib/wordpress/wp-content
mkdir -p "$content"/{themes,plugins,uploads,upgrade,languages}
for kind in themes plugins; do
  for item in /usr/share/wordpress/wp-content/"$kind"/*; do
    [[ -e $item ]] || continue
    target="$content/$kind/$(basename "$item")"
    [[ -e $target || -L $target ]] || ln -s "$item" "$target"
  done
done
chown www-data:www-data "$content" "$content"/{themes,plugins,uploads,upgrade,languages}

runuser -u www-data -- php /usr/local/share/swarmpress/bootstrap.php

export SWARMPRESS_MAX_WORKERS="${SWARMPRESS_MAX_WORKERS:-16}"
# Debian's envvars reads variables it does not define itself.
set +u
# shellcheck source=/dev/null
source /etc/apache2/envvars
set -u
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR"
rm -f "$APACHE_PID_FILE"

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
