# shellcheck shell=bash
# The host's way in to MariaDB, S3 and Prometheus: a plain container on the ops network that
# publishes their ports on 127.0.0.1 only (a stack service's host-mode ports would bind every
# host address). Replaced when its image changes; left alone otherwise.
LOOPBACK=swarmpress-loopback
loopback_forwards=(3306:mariadb:3306 8333:s3:8333 9090:prometheus:9090)
loopback_current() {
  [[ $(docker inspect -f '{{.Config.Image}} {{.State.Running}}' "$LOOPBACK" 2>/dev/null) == "$IMAGE_LOOPBACK true" ]]
}
start_loopback() {
  docker rm -f "$LOOPBACK" >/dev/null 2>&1 || true
  docker run -d --name "$LOOPBACK" --restart unless-stopped \
    --label swarmpress.component=loopback \
    --network "${STACK}_ops" --read-only --cap-drop ALL --security-opt no-new-privileges \
    -p 127.0.0.1:3306:3306 -p 127.0.0.1:8333:8333 -p 127.0.0.1:9090:9090 \
    "$IMAGE_LOOPBACK" "${loopback_forwards[@]}" >/dev/null && loopback_current
}
if ! loopback_current; then
  log "starting the loopback forwarder ($LOOPBACK)"
  # Tasks of an earlier stack version may still hold these ports on every address for a
  # moment while their replacements start.
  wait_for 120 loopback start_loopback || die "the loopback forwarder did not start: $(docker logs --tail 5 "$LOOPBACK" 2>&1)"
fi
