#!/bin/bash
# Configures and installs the site as root, then gives root up for good: Apache and
# everything after it run as www-data (serve.sh), with no capability left in the bounding set,
# so not even a setuid binary can bring one back. Docker Engine 20.10's service API has no
# no-new-privileges; an empty bounding set does that job. Port 80 needs no privilege: the
# service sets net.ipv4.ip_unprivileged_port_start=0 in the task's network namespace.
set -euo pipefail
as_www_data=(setpriv --reuid=www-data --regid=www-data --init-groups)

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

# The install loads WordPress: from the opcache file cache the image ships (warm-opcache.php).
"${as_www_data[@]}" -- php -d opcache.enable_cli=1 -d opcache.file_cache=/var/cache/swarmpress/opcache \
  -d opcache.file_cache_only=1 /usr/local/share/swarmpress/bootstrap.php

# Debian's envvars reads variables it does not define itself.
set +u
# shellcheck source=/dev/null
source /etc/apache2/envvars
set -u
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR"
chown www-data:www-data "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR"
rm -f "$APACHE_PID_FILE"
# Apache logs to /proc/self/fd/{1,2}, i.e. opens the task's stdout and stderr pipes anew;
# they belong to root, and www-data may not open them unless they are its own.
chown www-data /proc/self/fd/1 /proc/self/fd/2

exec "${as_www_data[@]}" --inh-caps=-all --bounding-set=-all -- /usr/local/bin/swarmpress-serve
