# shellcheck shell=bash
# Starts dockerd when no daemon answers. Its data stays in /var/lib/docker, so a restarted
# daemon is still in its swarm with its services, images and volumes.
if ! docker info >/dev/null 2>&1; then
  pidfile=/var/run/docker.pid
  if [[ -f $pidfile ]] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    rm -f "$pidfile"   # left by a daemon that was killed with the session
  fi
  if [[ -f $pidfile ]]; then
    log "dockerd is running but not answering yet; waiting"
  else
    log "starting dockerd (log: $LOG_DIR/dockerd.log)"
    setsid nohup dockerd --log-level=warn >>"$LOG_DIR/dockerd.log" 2>&1 </dev/null 9>&- &
  fi
  wait_for 60 dockerd docker info || { tail -n 30 "$LOG_DIR/dockerd.log" >&2; die "dockerd did not answer within 60 s"; }
fi
