# shellcheck shell=bash
# Variables here are used by the scripts that source this file.
# shellcheck disable=SC2034
# Shared helpers for scripts/up, scripts/down, scripts/test and scripts/bench.
# Sourced, never run. Everything the platform keeps lives at machine level (not in the
# checkout) so a fresh clone — CI's — reuses the images, the swarm and the data.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${SWARMPRESS_STATE_DIR:-/var/lib/swarmpress}"
LOG_DIR="${SWARMPRESS_LOG_DIR:-/var/log/swarmpress}"
STACK="swarmpress"
BASE_DOMAIN="${SWARMPRESS_BASE_DOMAIN:-localhost}"
EDGE_PORT="${SWARMPRESS_EDGE_PORT:-8080}"
# The overlay networks' subnets (manifests/stack.yml), all under one /16 that nothing else
# here uses; override the /16 where it clashes. control (Traefik binds its own endpoints to
# its address there) and ops (MariaDB's root is limited to it) are /24s; edge and data hold a
# task address for every site replica, so they are /20s (4,093 tasks, where Docker's default
# /24 would stop the platform at about 250 replicas).
SUBNET_BASE="${SWARMPRESS_SUBNET_BASE:-10.213}"
CONTROL_SUBNET="$SUBNET_BASE.0.0/24"
CONTROL_SUBNET_PREFIX="$SUBNET_BASE.0."
OPS_SUBNET="$SUBNET_BASE.1.0/24"
OPS_SUBNET_PATTERN="$SUBNET_BASE.1.%"
EDGE_SUBNET="$SUBNET_BASE.16.0/20"
DATA_SUBNET="$SUBNET_BASE.32.0/20"
# Where every node's engine finds the platform's images: the registry service, forwarded to
# each node's loopback (engines need no TLS and no insecure-registries entry for 127.0.0.1).
REGISTRY_PORT="${SWARMPRESS_REGISTRY_PORT:-5000}"
REGISTRY="127.0.0.1:$REGISTRY_PORT"
# Accounts one client address may create an hour (the API's registration throttle).
REGISTRATIONS_PER_HOUR="${SWARMPRESS_REGISTRATIONS_PER_HOUR:-10}"
export DOCKER_BUILDKIT=0
# Debian's engine client (API 1.41) when present, so behaviour matches a fresh machine even
# where a newer client sits earlier on PATH.
use_engine_client() {
  if [[ -x /usr/bin/docker ]]; then docker() { /usr/bin/docker "$@"; }; fi
}
use_engine_client

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# wait_for SECONDS DESCRIPTION CMD... — polls CMD every 0.5 s until it succeeds.
wait_for() {
  local limit=$1; shift 2  # $2 names what is awaited, for the reader of the call
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# Read one KEY=value from a state file without sourcing it into the caller's environment.
state_get() {
  local file=$1 key=$2
  sed -n "s/^${key}=//p" "$file" | tail -n 1
}

# Installs a pinned PyPI package into the project-local venv (.venv) when it is not there yet.
venv_install() {
  local spec=$1
  [[ -x $ROOT/.venv/bin/pip ]] || python3 -m venv "$ROOT/.venv"
  "$ROOT/.venv/bin/pip" show "${spec%%==*}" 2>/dev/null | grep -qx "Version: ${spec##*==}" \
    || "$ROOT/.venv/bin/pip" install -q "$spec" >&2
}

# Builds a release binary of the workspace into the machine-level Cargo cache (a no-op when
# nothing changed) and prints its path. Cargo's own output goes to stderr.
cargo_release_binary() {
  local package=$1 bin=$2
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/cache/swarmpress/target}"
  (cd "$ROOT" && cargo build --release --locked -q -p "$package" --bin "$bin") >&2
  echo "$CARGO_TARGET_DIR/release/$bin"
}

# npm_ci_when_changed DIR — installs DIR's npm packages with `npm ci` only when its
# package-lock.json changed since the last install (a warm run never touches the registry).
# Playwright never downloads a browser: the tests run Debian's chromium.
npm_ci_when_changed() {
  local dir=$1 lock_hash
  lock_hash=$(sha256sum "$dir/package-lock.json" | cut -c1-16)
  if [[ $(cat "$dir/node_modules/.swarmpress-lock" 2>/dev/null) != "$lock_hash" ]]; then
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) >&2
    echo "$lock_hash" >"$dir/node_modules/.swarmpress-lock"
  fi
}

# Builds the portal into portal/dist when its sources changed since the last build, after
# installing its packages when package-lock.json changed. Output goes to stderr.
portal_build() {
  local dir="$ROOT/portal" src_hash
  npm_ci_when_changed "$dir"
  src_hash=$(cd "$dir" && find src public index.html package-lock.json vite.config.ts tsconfig*.json -type f -print0 2>/dev/null \
    | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  if [[ $(cat "$dir/dist/.swarmpress-source" 2>/dev/null) != "$src_hash" ]]; then
    (cd "$dir" && npm run build --silent) >&2
    echo "$src_hash" >"$dir/dist/.swarmpress-source"
  fi
}
