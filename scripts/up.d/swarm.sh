# shellcheck shell=bash
# Swarm mode on this one node, labelled with every configured region so a tenant's region
# placement constraint can always be met locally.
if [[ $(docker info --format '{{.Swarm.LocalNodeState}}') != active ]]; then
  log "initialising swarm"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
fi
REGIONS="${SWARMPRESS_REGIONS:-eu-west us-east ap-south}"
node=$(docker info --format '{{.Swarm.NodeID}}')
have=$(docker node inspect "$node" --format '{{range $k, $v := .Spec.Labels}}{{$k}} {{end}}')
add=()
for r in $REGIONS; do
  [[ " $have " == *" swarmpress.region.$r "* ]] || add+=(--label-add "swarmpress.region.$r=true")
done
((${#add[@]} == 0)) || docker node update "${add[@]}" "$node" >/dev/null
