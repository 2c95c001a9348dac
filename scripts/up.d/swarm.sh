# shellcheck shell=bash
# Swarm mode on this one node, labelled with every configured region so a tenant's region
# placement constraint can always be met locally, and as the node of the stateful services.
if [[ $(docker info --format '{{.Swarm.LocalNodeState}}') != active ]]; then
  log "initialising swarm"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi
REGIONS="${SWARMPRESS_REGIONS:-eu-west us-east ap-south}"
node=$(docker info --format '{{.Swarm.NodeID}}')
have=$(docker node inspect "$node" --format '{{range $k, $v := .Spec.Labels}}{{$k}} {{end}}')
add=()
# The platform's stateful services (MariaDB, S3, Prometheus, the registry) keep their volumes
# on the node with this label.
[[ " $have " == *" swarmpress.stateful "* ]] || add+=(--label-add swarmpress.stateful=true)
# ... and of the edge: Traefik's host port is this node's.
[[ " $have " == *" swarmpress.edge "* ]] || add+=(--label-add swarmpress.edge=true)
for r in $REGIONS; do
  [[ " $have " == *" swarmpress.region.$r "* ]] || add+=(--label-add "swarmpress.region.$r=true")
done
((${#add[@]} == 0)) || docker node update "${add[@]}" "$node" >/dev/null
