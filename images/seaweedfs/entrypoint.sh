#!/bin/bash
# Runs SeaweedFS bound to the container's loopback (see the Dockerfile) and forwards the S3
# gateway's HTTP port alone to every interface. The gateway also serves the IAM API (users,
# keys, policies: each site's own identity), which answers only the platform's admin key.
# Stops both on SIGTERM; exits when either ends, so Swarm restarts the task whole.
set -euo pipefail
weed server -dir=/data -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -master.volumeSizeLimitMB=256 -volume.max=4000 -filer \
  -s3 -s3.port=8334 -s3.port.iceberg=0 -s3.port.lance=0 -s3.config=/run/secrets/s3_config \
  -s3.iam.readOnly=false "$@" &
weed=$!
socat TCP-LISTEN:8333,fork,reuseaddr TCP:127.0.0.1:8334 &
forward=$!
trap 'kill -TERM "$weed" "$forward" 2>/dev/null || true' TERM INT
status=0
wait -n || status=$?
kill -TERM "$weed" "$forward" 2>/dev/null || true
wait || true
exit "$status"
