# shellcheck shell=bash
# `services` comes from stack.sh, sourced before this phase.
# shellcheck disable=SC2154
# Waits, bounded, until every service has its replicas running (Swarm counts a task as running
# only once its container's HEALTHCHECK passed) and no rolling update is still going (with
# start-first the old tasks count as running meanwhile, and the update's end changes the
# service once more), then checks each from the host side.
service_ready() {
  local s=$1 want have update
  update=$(docker service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$s")
  [[ $update != updating && $update != rollback_started ]] || return 1
  want=$(docker service inspect -f '{{if .Spec.Mode.Replicated}}{{.Spec.Mode.Replicated.Replicas}}{{else}}1{{end}}' "$s")
  have=$(docker service ps "$s" --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running' || true)
  [[ $have -ge $want ]]
}
explain_failure() {
  local s=$1
  echo "--- tasks of $s:" >&2
  docker service ps --no-trunc --format '{{.Name}} {{.CurrentState}} {{.Error}}' "$s" | head -n 5 >&2
  echo "--- last log lines of $s:" >&2
  docker service logs --tail 20 --raw "$s" 2>&1 | tail -n 20 >&2
}
for s in "${services[@]}"; do
  wait_for "${SWARMPRESS_UP_TIMEOUT:-180}" "$s" service_ready "${STACK}_$s" \
    || { explain_failure "${STACK}_$s"; die "service ${STACK}_$s did not become healthy within ${SWARMPRESS_UP_TIMEOUT:-180} s"; }
done
# The edge's node: this machine, or the lab's edge node (scripts/lab), whose loopback
# forwarder the host cannot reach (so the stateful services are checked on this machine only).
EDGE_HOST="${SWARMPRESS_EDGE_HOST:-127.0.0.1}"
probe_http() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --connect-to "localhost:$EDGE_PORT:$EDGE_HOST:$EDGE_PORT" "$1") == "$2" ]]; }
probe_tcp() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
if [[ $EDGE_HOST == 127.0.0.1 ]]; then
  wait_for 60 mariadb probe_tcp 3306 || { explain_failure "${STACK}_mariadb"; die "MariaDB is not answering on 127.0.0.1:3306"; }
  wait_for 60 s3 probe_http http://127.0.0.1:8333/healthz 200 || { explain_failure "${STACK}_s3"; die "S3 is not answering on 127.0.0.1:8333"; }
  wait_for 60 prometheus probe_http http://127.0.0.1:9090/-/ready 200 || { explain_failure "${STACK}_prometheus"; die "Prometheus is not answering on 127.0.0.1:9090"; }
fi
# Traefik answers 404 for a host it has no route for: that is the edge working.
wait_for 60 traefik probe_http "http://$EDGE_HOST:$EDGE_PORT/" 404 || { explain_failure "${STACK}_traefik"; die "Traefik is not answering on $EDGE_HOST:$EDGE_PORT"; }
# The API through the edge: Traefik learns a new task's route within a second of it turning
# healthy, and "up" means a client can use it.
wait_for 60 api probe_http "http://localhost:$EDGE_PORT/api/v1/health" 200 \
  || { explain_failure "${STACK}_api"; die "the API is not answering at http://localhost:$EDGE_PORT/api/v1/health (edge $EDGE_HOST)"; }
