#!/bin/bash
# Starts the node's engine. Its socket is also in /run/lab (a folder the host bind-mounts), so
# the host drives the node with DOCKER_HOST=unix://.../docker.sock and no TCP port is opened.
# Containers of this engine get cgroups under one parent per node, apart from the host's.
set -euo pipefail
rm -f /var/run/docker.pid /run/lab/docker.sock
exec dockerd --log-level=warn \
  --host=unix:///var/run/docker.sock --host=unix:///run/lab/docker.sock \
  --cgroup-parent="/swarmpress-lab/${SWARMPRESS_LAB_NODE:?}" "$@"
