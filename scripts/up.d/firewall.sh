# shellcheck shell=bash
# Containers on overlay networks (every tenant task) leave through docker_gwbridge, to the host
# itself or, routed by it, anywhere the host can reach. Rebuilt on every run, so the rules are
# exactly these (docs/architecture.md, "Networks"):
#  - SWARMPRESS-HOST (INPUT): nothing on the host is theirs to open; replies to connections
#    the host opened (e.g. through a loopback-published port) still pass.
#  - SWARMPRESS-EGRESS (DOCKER-USER, i.e. FORWARD): no private, link-local or shared address
#    space and none of the host's own subnets — the networks the platform and its
#    neighbours live on, and cloud metadata services (169.254.169.254). The public internet
#    stays reachable (WordPress fetches updates and plugins). Traffic between containers on
#    one overlay network never passes here and is unaffected.
command -v iptables >/dev/null || die "iptables is missing (Debian's docker.io depends on it)"
chain() { # NAME — created if missing, emptied
  iptables -N "$1" 2>/dev/null || true
  iptables -F "$1"
}
chain SWARMPRESS-HOST
iptables -A SWARMPRESS-HOST -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -A SWARMPRESS-HOST -j DROP
iptables -C INPUT -i docker_gwbridge -j SWARMPRESS-HOST 2>/dev/null \
  || iptables -I INPUT 1 -i docker_gwbridge -j SWARMPRESS-HOST

chain SWARMPRESS-EGRESS
iptables -A SWARMPRESS-EGRESS -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
# Name resolution: Docker's embedded DNS forwards a container's lookups from the container's
# own network namespace to the host's resolvers, which often sit at private addresses. Those
# resolvers, port 53 only, stay reachable (without them every lookup — WordPress's update
# checks on the dashboard — hangs until it times out).
mapfile -t resolvers < <(awk '$1 == "nameserver" && $2 !~ /^127\./ && $2 !~ /:/ {print $2}' \
  /etc/resolv.conf /run/systemd/resolve/resolv.conf 2>/dev/null | sort -u)
for resolver in "${resolvers[@]}"; do
  for proto in udp tcp; do
    iptables -A SWARMPRESS-EGRESS -d "$resolver" -p "$proto" --dport 53 -j RETURN
  done
done
private=(10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 169.254.0.0/16 100.64.0.0/10 192.0.0.0/24 198.18.0.0/15)
mapfile -t own < <(ip -4 route show scope link | awk '$1 ~ /\// {print $1}')
for net in "${private[@]}" "${own[@]}"; do
  iptables -A SWARMPRESS-EGRESS -d "$net" -j DROP
done
iptables -N DOCKER-USER 2>/dev/null || true
iptables -C DOCKER-USER -i docker_gwbridge -j SWARMPRESS-EGRESS 2>/dev/null \
  || iptables -I DOCKER-USER 1 -i docker_gwbridge -j SWARMPRESS-EGRESS
