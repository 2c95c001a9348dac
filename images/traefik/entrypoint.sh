#!/bin/bash
# Starts Traefik with its own endpoints (ping, metrics: entrypoint "ping") bound to this task's
# address on the control network alone. Traefik is also on the edge network, which every
# tenant task shares; an entrypoint on ":8081" would answer tenants there. The control
# network has a fixed subnet (manifests/stack.yml), named here by SWARMPRESS_CONTROL_PREFIX.
set -euo pipefail
prefix=${SWARMPRESS_CONTROL_PREFIX:?set SWARMPRESS_CONTROL_PREFIX to the control subnet prefix, e.g. 10.213.0.}
address=""
for ip in $(hostname -I); do
  [[ $ip == "$prefix"* ]] && address=$ip
done
[[ -n $address ]] || { echo "swarmpress-traefik: no address in ${prefix}* (have: $(hostname -I))" >&2; exit 1; }
echo "$address:8081" >/run/swarmpress-ping-address
exec /usr/local/bin/traefik "$@" "--entryPoints.ping.address=$address:8081"
