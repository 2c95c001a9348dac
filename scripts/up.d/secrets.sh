# shellcheck shell=bash
# Platform credentials, generated once and kept at machine level (mode 0600) so every clone —
# CI's too — finds the same ones. Swarm secrets are made from these files by the stack.
gen_password() { tr -dc 'A-Za-z0-9' </dev/urandom | head -c "${1:-32}" || true; }

SECRETS_DIR="$STATE_DIR/secrets"
mkdir -p "$SECRETS_DIR"; chmod 700 "$SECRETS_DIR"
umask 077
secret_file() { # NAME GENERATOR... — creates the file from the generator when missing
  local f="$SECRETS_DIR/$1"; shift
  [[ -s $f ]] || "$@" >"$f"
}
secret_file mariadb_root_password gen_password 32
secret_file s3_access_key gen_password 20
secret_file s3_secret_key gen_password 40
secret_file admin_password gen_password 20
secret_file db_password gen_password 32
secret_file controller_db_password gen_password 32
secret_file jwt_secret gen_password 64
s3_config() {
  jq -n --arg a "$(cat "$SECRETS_DIR/s3_access_key")" --arg s "$(cat "$SECRETS_DIR/s3_secret_key")" \
    '{identities: [{name: "swarmpress", credentials: [{accessKey: $a, secretKey: $s}], actions: ["Admin", "Read", "List", "Tagging", "Write"]}]}'
}
secret_file s3_config s3_config

ADMIN_EMAIL="${SWARMPRESS_ADMIN_EMAIL:-admin@swarmpress.localhost}"
export ADMIN_EMAIL
{
  echo "SWARMPRESS_ADMIN_EMAIL=$ADMIN_EMAIL"
  echo "SWARMPRESS_ADMIN_PASSWORD=$(cat "$SECRETS_DIR/admin_password")"
} >"$STATE_DIR/admin.env.new" && mv "$STATE_DIR/admin.env.new" "$STATE_DIR/admin.env"
# One file for tools and tests that need the platform's credentials (shell KEY=value lines).
{
  echo "MARIADB_ROOT_PASSWORD=$(cat "$SECRETS_DIR/mariadb_root_password")"
  echo "S3_ACCESS_KEY=$(cat "$SECRETS_DIR/s3_access_key")"
  echo "S3_SECRET_KEY=$(cat "$SECRETS_DIR/s3_secret_key")"
} >"$STATE_DIR/secrets.env.new" && mv "$STATE_DIR/secrets.env.new" "$STATE_DIR/secrets.env"
# The user's copy in the checkout (the lab's platform keeps its own, .platform/lab-admin.env).
ADMIN_ENV_COPY="${SWARMPRESS_ADMIN_ENV_COPY:-$ROOT/.platform/admin.env}"
mkdir -p "$(dirname "$ADMIN_ENV_COPY")"
cp "$STATE_DIR/admin.env" "$ADMIN_ENV_COPY"
umask 022

# Swarm secrets and configs are immutable, so each carries a hash of its content in its name:
# new content makes a new object and a rolling update, never an error.
content_hash() { sha256sum "$1" | cut -c1-10; }
MARIADB_ROOT_SECRET="swarmpress_mariadb_root_$(content_hash "$SECRETS_DIR/mariadb_root_password")"
DB_PASSWORD_SECRET="swarmpress_db_password_$(content_hash "$SECRETS_DIR/db_password")"
CONTROLLER_DB_SECRET="swarmpress_controller_db_$(content_hash "$SECRETS_DIR/controller_db_password")"
JWT_SECRET="swarmpress_jwt_secret_$(content_hash "$SECRETS_DIR/jwt_secret")"
ADMIN_PASSWORD_SECRET="swarmpress_admin_password_$(content_hash "$SECRETS_DIR/admin_password")"
S3_ACCESS_KEY_SECRET="swarmpress_s3_access_key_$(content_hash "$SECRETS_DIR/s3_access_key")"
S3_SECRET_KEY_SECRET="swarmpress_s3_secret_key_$(content_hash "$SECRETS_DIR/s3_secret_key")"
S3_CONFIG_SECRET="swarmpress_s3_config_$(content_hash "$SECRETS_DIR/s3_config")"
PROMETHEUS_CONFIG="swarmpress_prometheus_$(content_hash "$ROOT/manifests/prometheus.yml")"
export JWT_SECRET ADMIN_PASSWORD_SECRET MARIADB_ROOT_SECRET DB_PASSWORD_SECRET CONTROLLER_DB_SECRET S3_ACCESS_KEY_SECRET S3_SECRET_KEY_SECRET S3_CONFIG_SECRET PROMETHEUS_CONFIG SECRETS_DIR
