# shellcheck shell=bash
# The host's way in to MariaDB, S3, Prometheus and the image registry: a plain container on
# the ops network that publishes their ports on 127.0.0.1 only (a stack service's host-mode
# ports would bind every host address). The engine pulls images from 127.0.0.1:5000 through
# it. Replaced when its image or its forwards change; left alone otherwise.
LOOPBACK=swarmpress-loopback
loopback_forwards=(3306:mariadb:3306 8333:s3:8333 9090:prometheus:9090 "$REGISTRY_PORT:registry:5000")
loopback_current() {
  [[ $(docker inspect -f '{{.Config.Image}} {{.State.Running}} {{index .Config.Labels "swarmpress.forwards"}}' "$LOOPBACK" 2>/dev/null) \
    == "$IMAGE_LOOPBACK true ${loopback_forwards[*]}" ]]
}
start_loopback() {
  local publish=() forward
  for forward in "${loopback_forwards[@]}"; do publish+=(-p "127.0.0.1:${forward%%:*}:${forward%%:*}"); done
  docker rm -f "$LOOPBACK" >/dev/null 2>&1 || true
  docker run -d --name "$LOOPBACK" --restart unless-stopped \
    --label swarmpress.component=loopback --label "swarmpress.forwards=${loopback_forwards[*]}" \
    --network "${STACK}_ops" --read-only --cap-drop ALL --security-opt no-new-privileges \
    "${publish[@]}" "$IMAGE_LOOPBACK" "${loopback_forwards[@]}" >/dev/null && loopback_current
}
if ! loopback_current; then
  log "starting the loopback forwarder ($LOOPBACK)"
  # Tasks of an earlier stack version may still hold these ports on every address for a
  # moment while their replacements start.
  wait_for 120 loopback start_loopback || die "the loopback forwarder did not start: $(docker logs --tail 5 "$LOOPBACK" 2>&1)"
fi
