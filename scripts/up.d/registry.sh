# shellcheck shell=bash
# Pushes every image of images/ the registry does not hold yet (by its content-hash tag, and
# :latest with it), so that any node of the swarm can pull what the stack and the controller
# name. A warm run only asks the registry, one HEAD per image.
# Where curl runs: here, or (scripts/lab) inside the node whose loopback reaches the registry.
read -r -a registry_curl <<<"${SWARMPRESS_REGISTRY_CURL:-curl}"
registry_has() { # REPOSITORY TAG
  "${registry_curl[@]}" -fs -o /dev/null -I --max-time 5 \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/$1/manifests/$2"
}
wait_for 120 registry "${registry_curl[@]}" -fsS -o /dev/null --max-time 2 "http://$REGISTRY/v2/" \
  || die "the registry did not answer at $REGISTRY within 120 s: $(docker service ps --no-trunc --format '{{.Error}}' "${STACK}_registry" | head -n 3)"
for dir in "$ROOT"/images/*/; do
  name=$(basename "$dir")
  var="IMAGE_$(echo "$name" | tr 'a-z-' 'A-Z_')"
  image=${!var}
  tag=${image##*:}
  if ! registry_has "swarmpress/$name" "$tag"; then
    t0=$SECONDS
    docker tag "$image" "$REGISTRY/swarmpress/$name:latest"
    for ref in "$image" "$REGISTRY/swarmpress/$name:latest"; do
      docker push -q "$ref" >"$LOG_DIR/push-$name.log" 2>&1 \
        || { tail -n 10 "$LOG_DIR/push-$name.log" >&2; die "pushing $ref to the registry failed"; }
    done
    log "pushed $image to the registry in $((SECONDS - t0)) s"
  fi
done
