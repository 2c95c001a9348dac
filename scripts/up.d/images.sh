# shellcheck shell=bash
# Builds every image in images/ that is missing. An image's tag is a hash of its folder and of
# the base image, so an unchanged image is never rebuilt and a changed one gets a new tag (and
# the stack a rolling update). Two optional hooks in a folder:
#   inputs        prints what else the image is made of (e.g. builds a binary, prints its hash);
#                 runs every time, so it must be cheap when nothing changed
#   prepare CTX   adds files the folder does not hold to the build context; runs only to build
base_id=$(docker image inspect -f '{{.Id}}' debian:bookworm-slim)
for dir in "$ROOT"/images/*/; do
  name=$(basename "$dir")
  extra=""
  if [[ -x $dir/inputs ]]; then extra=$("$dir/inputs") || die "computing the inputs of image $name failed"; fi
  hash=$({ echo "$base_id"; echo "$extra"; tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf - .; } | sha256sum | cut -c1-12)
  tag="swarmpress/$name:$hash"
  if ! docker image inspect "$tag" >/dev/null 2>&1; then
    log "building image $tag"
    ctx=$(mktemp -d /var/tmp/swarmpress-build.XXXXXX)
    cp -a "$dir/." "$ctx/"
    if [[ -x $dir/prepare ]]; then "$dir/prepare" "$ctx"; fi
    rm -f "$ctx/prepare" "$ctx/inputs"
    t0=$SECONDS
    if ! docker build --label "swarmpress.input-hash=$hash" -t "$tag" "$ctx" >"$LOG_DIR/build-$name.log" 2>&1; then
      rm -rf "$ctx"; tail -n 25 "$LOG_DIR/build-$name.log" >&2
      die "building image $name failed (log: $LOG_DIR/build-$name.log)"
    fi
    rm -rf "$ctx"
    log "built $tag in $((SECONDS - t0)) s"
  fi
  # :latest is what tenants and tests name; the stack pins the exact tag, by the registry's
  # address (scripts/up.d/registry.sh pushes it there, with the registry's :latest) so that
  # any node can pull it.
  id=$(docker image inspect -f '{{.Id}}' "$tag")
  for name_as in "swarmpress/$name:latest" "$REGISTRY/$tag"; do
    [[ $(docker image inspect -f '{{.Id}}' "$name_as" 2>/dev/null) == "$id" ]] || docker tag "$tag" "$name_as"
  done
  var="IMAGE_$(echo "$name" | tr 'a-z-' 'A-Z_')"
  export "$var=$REGISTRY/$tag"
done
