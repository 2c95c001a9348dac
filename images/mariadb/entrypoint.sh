#!/bin/bash
# Initialises the data directory on first start and (re)asserts the root password from the
# Swarm secret on every start, so the secret stays the single source of truth.
set -euo pipefail
pw_file="${MARIADB_ROOT_PASSWORD_FILE:?MARIADB_ROOT_PASSWORD_FILE is required}"
[[ -r $pw_file ]] || { echo "swarmpress-mariadb: cannot read $pw_file" >&2; exit 64; }

datadir=/var/lib/mysql
chown mysql:mysql "$datadir" /run/mysqld
if [[ ! -d $datadir/mysql ]]; then
  echo "swarmpress-mariadb: initialising $datadir" >&2
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=socket >/dev/null
fi

# The init file holds the password only inside this container's private /run, and the
# password is quoted for SQL by doubling quotes and backslashes.
init=/run/mysqld/init.sql
pw=$(tr -d '\r\n' <"$pw_file")
pw=${pw//\\/\\\\}; pw=${pw//\'/\'\'}
umask 077
cat >"$init" <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('$pw');
CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$pw';
ALTER USER 'root'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
chown mysql:mysql "$init"
exec mariadbd --user=mysql --datadir="$datadir" --init-file="$init"
