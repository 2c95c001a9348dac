#!/bin/bash
# Initialises the data directory on first start and (re)asserts the platform's accounts from
# their Swarm secrets on every start, so the secrets stay the single source of truth:
#   root                  MARIADB_ROOT_PASSWORD_FILE: over the socket, and over the network
#                         only from SWARMPRESS_ROOT_HOST (a host pattern: the stack names the
#                         ops network, which only the host's loopback forwarder joins; unset,
#                         root is not reachable over the network at all)
#   swarmpress            SWARMPRESS_DB_PASSWORD_FILE: the control plane's own database only
#   swarmpress_controller SWARMPRESS_CONTROLLER_PASSWORD_FILE: creates tenant databases
#                         (wp_*) and their users, and nothing else
set -euo pipefail

read_secret() { # VAR — prints the SQL-quoted content of the file named by $VAR
  local file=${!1:-}
  [[ -n $file && -r $file ]] || { echo "swarmpress-mariadb: $1 must name a readable file" >&2; exit 64; }
  local v
  v=$(tr -d '\r\n' <"$file")
  v=${v//\\/\\\\}; v=${v//\'/\'\'}
  printf '%s' "$v"
}
root_pw=$(read_secret MARIADB_ROOT_PASSWORD_FILE)

datadir=/var/lib/mysql
chown mysql:mysql "$datadir" /run/mysqld
if [[ ! -d $datadir/mysql ]]; then
  echo "swarmpress-mariadb: initialising $datadir" >&2
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
    --auth-root-authentication-method=socket >/dev/null
fi

# The init file holds the passwords only inside this container's private /run.
init=/run/mysqld/init.sql
umask 077
{
  cat <<SQL
ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('$root_pw');
SQL
  # Every network root account but the one wanted goes (earlier versions made root@'%').
  root_host=${SWARMPRESS_ROOT_HOST:-}
  [[ $root_host =~ ^[0-9a-zA-Z.%_:-]*$ ]] || { echo "swarmpress-mariadb: bad SWARMPRESS_ROOT_HOST" >&2; exit 64; }
  for gone in '%' '::1' '127.0.0.1'; do
    [[ $gone == "$root_host" ]] || echo "DROP USER IF EXISTS 'root'@'$gone';"
  done
  if [[ -n $root_host ]]; then
    cat <<SQL
CREATE USER IF NOT EXISTS 'root'@'$root_host' IDENTIFIED BY '$root_pw';
ALTER USER 'root'@'$root_host' IDENTIFIED BY '$root_pw';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'$root_host' WITH GRANT OPTION;
SQL
  fi
  if [[ -n ${SWARMPRESS_DB_PASSWORD_FILE:-} ]]; then
    pw=$(read_secret SWARMPRESS_DB_PASSWORD_FILE)
    cat <<SQL
CREATE DATABASE IF NOT EXISTS swarmpress CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'swarmpress'@'%' IDENTIFIED BY '$pw';
ALTER USER 'swarmpress'@'%' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON swarmpress.* TO 'swarmpress'@'%';
SQL
  fi
  if [[ -n ${SWARMPRESS_CONTROLLER_PASSWORD_FILE:-} ]]; then
    pw=$(read_secret SWARMPRESS_CONTROLLER_PASSWORD_FILE)
    # Tenant databases are all named wp_<slug> ('_' escaped: it is a wildcard in grants).
    cat <<SQL
CREATE USER IF NOT EXISTS 'swarmpress_controller'@'%' IDENTIFIED BY '$pw';
ALTER USER 'swarmpress_controller'@'%' IDENTIFIED BY '$pw';
GRANT CREATE USER ON *.* TO 'swarmpress_controller'@'%';
GRANT SELECT ON mysql.user TO 'swarmpress_controller'@'%';
GRANT SELECT ON mysql.db TO 'swarmpress_controller'@'%';
GRANT ALL PRIVILEGES ON \`wp\\_%\`.* TO 'swarmpress_controller'@'%' WITH GRANT OPTION;
SQL
  fi
  echo "FLUSH PRIVILEGES;"
} >"$init"
chown mysql:mysql "$init"
exec mariadbd --user=mysql --datadir="$datadir" --init-file="$init"
