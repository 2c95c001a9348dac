# shellcheck shell=bash
# The base every image builds on: Debian bookworm from debootstrap, imported under the tag
# the Dockerfiles name, since no registry can be pulled from.
if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  log "building base image debian:bookworm-slim with debootstrap (about 30 s)"
  dir=$(mktemp -d /var/tmp/swarmpress-rootfs.XXXXXX)
  trap 'rm -rf "$dir"' EXIT
  debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian >"$LOG_DIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$LOG_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
  cat >"$dir/etc/apt/sources.list" <<'LIST'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
LIST
  # Same trimming as the official slim image: no docs, no apt lists baked in.
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/usr/share/doc/* "$dir"/usr/share/man/*
  tar -C "$dir" -c . | docker import -c 'CMD ["bash"]' - debian:bookworm-slim >/dev/null
  rm -rf "$dir"; trap - EXIT
fi
