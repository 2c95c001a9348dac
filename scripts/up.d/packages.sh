# shellcheck shell=bash
# Debian packages the platform needs on the host. Only missing ones are installed, so a warm
# run never touches apt.
wanted=(docker.io debootstrap python3-venv curl ca-certificates jq iptables)
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOG_DIR/apt.log" 2>&1 \
    || { tail -n 20 "$LOG_DIR/apt.log" >&2; die "apt-get install failed (log: $LOG_DIR/apt.log)"; }
fi
# lib.sh picked the engine's own client only if it existed when it was sourced.
use_engine_client
