# shellcheck shell=bash
# Deploys manifests/stack.yml. Skipped when the rendered stack is the one already deployed and
# every service exists, so a warm run leaves the services' versions alone.
export EDGE_PORT BASE_DOMAIN REGISTRATIONS_PER_HOUR CONTROL_SUBNET CONTROL_SUBNET_PREFIX OPS_SUBNET OPS_SUBNET_PATTERN EDGE_SUBNET DATA_SUBNET
services=(mariadb s3 prometheus registry traefik docker-proxy api controller)
render_hash=$(
  cd "$ROOT/manifests" || exit 1
  { cat stack.yml prometheus.yml; env | grep -E '^(IMAGE_[A-Z_]+|[A-Z_]+_SECRET|JWT_SECRET|PROMETHEUS_CONFIG|EDGE_PORT|BASE_DOMAIN|REGISTRATIONS_PER_HOUR|ADMIN_EMAIL|SECRETS_DIR|CONTROL_SUBNET|CONTROL_SUBNET_PREFIX|OPS_SUBNET|OPS_SUBNET_PATTERN|EDGE_SUBNET|DATA_SUBNET)=' | sort; } | sha256sum | cut -c1-16
)
deployed=$(cat "$STATE_DIR/stack.hash" 2>/dev/null || true)
all_there=true
for s in "${services[@]}"; do
  docker service inspect "${STACK}_$s" >/dev/null 2>&1 || all_there=false
done
if [[ $render_hash != "$deployed" ]] || ! $all_there; then
  log "deploying stack $STACK"
  (cd "$ROOT/manifests" && docker stack deploy --prune --resolve-image never -c stack.yml "$STACK") >"$LOG_DIR/stack-deploy.log" 2>&1 \
    || { cat "$LOG_DIR/stack-deploy.log" >&2; die "docker stack deploy failed"; }
  echo "$render_hash" >"$STATE_DIR/stack.hash"
  # Networks of earlier versions of the stack (stack deploy keeps them): the backend network
  # once shared by tenants and platform alike.
  docker network rm "${STACK}_backend" >/dev/null 2>&1 || true
  # Superseded secrets and configs (older content hashes) go once nothing uses them.
  for kind in secret config; do
    for old in $(docker "$kind" ls --format '{{.Name}}' | grep -E '^swarmpress_(mariadb_root|db_password|controller_db|jwt_secret|admin_password|s3_access_key|s3_secret_key|s3_config|prometheus)_' || true); do
      case " $JWT_SECRET $ADMIN_PASSWORD_SECRET $MARIADB_ROOT_SECRET $DB_PASSWORD_SECRET $CONTROLLER_DB_SECRET $S3_ACCESS_KEY_SECRET $S3_SECRET_KEY_SECRET $S3_CONFIG_SECRET $PROMETHEUS_CONFIG " in *" $old "*) ;; *) docker "$kind" rm "$old" >/dev/null 2>&1 || true ;; esac
    done
  done
fi
