#!/bin/bash
# Forwards each PORT:HOST:TARGET given as an argument. The service names resolve through
# Swarm's DNS on every connection (dnsrr: a restarted task has a new address). Exits when any
# forwarder does, so Docker's restart policy brings the whole set back.
set -euo pipefail
(($#)) || { echo "usage: swarmpress-loopback PORT:HOST:TARGET..." >&2; exit 64; }
for forward in "$@"; do
  IFS=: read -r port host target <<<"$forward"
  socat "TCP-LISTEN:$port,fork,reuseaddr" "TCP:$host:$target" &
done
wait -n
