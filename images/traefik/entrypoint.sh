#!/bin/bash
# Starts Traefik with its own endpoints (ping, metrics: entrypoint "ping") bound to this task's
# address on the control network alone. Traefik is also on the edge network, which every
# tenant task shares; an entrypoint on ":8081" would answer tenants there. The control
# network has a fixed subnet (manifests/stack.yml), named here by SWARMPRESS_CONTROL_PREFIX.
#
# Routes come from two providers, neither of which asks the engine (Traefik holds no Docker
# socket): the platform's own route (the API and portal at the base domain), written here
# for the file provider, and every site's, which the controller publishes for the HTTP
# provider (controller/src/edge).
set -euo pipefail
prefix=${SWARMPRESS_CONTROL_PREFIX:?set SWARMPRESS_CONTROL_PREFIX to the control subnet prefix, e.g. 10.213.0.}
domain=${SWARMPRESS_BASE_DOMAIN:?set SWARMPRESS_BASE_DOMAIN to the platform base domain}
api=${SWARMPRESS_API_URL:-http://api:8000}
address=""
for ip in $(hostname -I); do
  [[ $ip == "$prefix"* ]] && address=$ip
done
[[ -n $address ]] || { echo "swarmpress-traefik: no address in ${prefix}* (have: $(hostname -I))" >&2; exit 1; }
[[ $domain =~ ^[a-z0-9.-]+$ ]] || { echo "swarmpress-traefik: bad base domain: $domain" >&2; exit 1; }
echo "$address:8081" >/run/swarmpress-ping-address
# The API's replicas by the service's name: the engine's DNS answers each task's address
# (endpoint mode dnsrr) in turn. The retry re-sends a request whose connection was refused
# by a replica that is stopping during a rolling update.
cat >/run/swarmpress-platform.yml <<YAML
http:
  routers:
    swarmpress-api:
      rule: "Host(\`$domain\`)"
      entryPoints: [web]
      service: swarmpress-api
      middlewares: [platform-retry]
  middlewares:
    platform-retry:
      retry: { attempts: 5, initialInterval: 100ms }
  services:
    swarmpress-api:
      loadBalancer:
        servers: [{ url: "$api" }]
YAML
exec /usr/local/bin/traefik "$@" "--entryPoints.ping.address=$address:8081" \
  --providers.file.filename=/run/swarmpress-platform.yml --providers.file.watch=false
