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
export DOCKER_BUILDKIT=0
# Debian's engine client (API 1.41) when present, so behaviour matches a fresh machine even
# where a newer client sits earlier on PATH.
if [[ -x /usr/bin/docker ]]; then docker() { /usr/bin/docker "$@"; }; fi

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
