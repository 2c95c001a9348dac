#!/bin/bash
# The image's health check: Traefik's ping, at the address the entrypoint bound it to.
exec /usr/local/bin/traefik healthcheck --ping --ping.entryPoint=ping \
  "--entryPoints.ping.address=$(cat /run/swarmpress-ping-address)"
