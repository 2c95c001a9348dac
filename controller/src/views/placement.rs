//! Where sites can run: the swarm's nodes by region, as their labels say.
//!
//! A node belongs to a region by the label `swarmpress.region.<region>=true` (one node may
//! carry several, as the single-node platform does); a site's service is constrained to its
//! region's label. Only a node that is `ready` and `active` takes new tasks: a region without
//! one would leave the site's task pending forever, holding a start slot. The reconciler asks
//! [`Placement::schedulable`] before it starts anything and tells the owner instead.

use std::collections::HashMap;

use bollard::models::{Node, NodeSpecAvailabilityEnum, NodeState};
use swarmpress_schema::labelled_draining;

/// The node label prefix a region is named after.
pub const REGION_LABEL_PREFIX: &str = "swarmpress.region.";

/// The swarm's nodes as placement needs them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Nodes that take new tasks (ready and active), by region.
    schedulable: HashMap<String, u32>,
    /// Every node's hostname, by node id.
    hostnames: HashMap<String, String>,
    /// Nodes being drained (the API's label), by id: `true` once their availability is
    /// Swarm's `drain`, `false` while sites are still being moved off (availability `pause`).
    draining: HashMap<String, bool>,
}

impl Placement {
    pub fn of(nodes: &[Node]) -> Self {
        let mut placement = Self::default();
        for node in nodes {
            let spec = node.spec.as_ref();
            let takes_tasks = node.status.as_ref().and_then(|s| s.state) == Some(NodeState::READY)
                && spec.and_then(|s| s.availability) == Some(NodeSpecAvailabilityEnum::ACTIVE);
            if takes_tasks {
                let labels = spec.and_then(|s| s.labels.as_ref());
                for (label, value) in labels.into_iter().flatten() {
                    if let Some(region) = label.strip_prefix(REGION_LABEL_PREFIX)
                        && value == "true"
                    {
                        *placement.schedulable.entry(region.to_owned()).or_default() += 1;
                    }
                }
            }
            if let (Some(id), Some(hostname)) = (
                node.id.as_ref(),
                node.description.as_ref().and_then(|d| d.hostname.as_ref()),
            ) {
                placement.hostnames.insert(id.clone(), hostname.clone());
            }
            let draining = labelled_draining(spec.and_then(|s| s.labels.as_ref()));
            if let (true, Some(id)) = (draining, node.id.as_ref()) {
                let drained =
                    spec.and_then(|s| s.availability) == Some(NodeSpecAvailabilityEnum::DRAIN);
                placement.draining.insert(id.clone(), drained);
            }
        }
        placement
    }

    /// Whether the node with this id is being drained (or has been): its sites must move.
    pub fn is_draining(&self, node_id: &str) -> bool {
        self.draining.contains_key(node_id)
    }

    /// Nodes being drained whose availability is not yet Swarm's `drain` (sorted).
    pub fn unfinished_drains(&self) -> Vec<&str> {
        let mut nodes: Vec<&str> = self
            .draining
            .iter()
            .filter(|(_, drained)| !**drained)
            .map(|(id, _)| id.as_str())
            .collect();
        nodes.sort_unstable();
        nodes
    }

    /// How many nodes of `region` take new tasks.
    pub fn schedulable(&self, region: &str) -> u32 {
        self.schedulable.get(region).copied().unwrap_or(0)
    }

    /// The hostname of the node with this id, or the id itself for a node not listed (one
    /// that joined since the listing).
    pub fn hostname<'a>(&'a self, node_id: &'a str) -> &'a str {
        self.hostnames.get(node_id).map_or(node_id, String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::{NodeDescription, NodeSpec, NodeStatus};

    use swarmpress_schema::DRAINING_NODE_LABEL;

    use super::*;

    fn node(
        id: &str,
        state: NodeState,
        availability: NodeSpecAvailabilityEnum,
        labels: &[(&str, &str)],
    ) -> Node {
        Node {
            id: Some(id.to_owned()),
            spec: Some(NodeSpec {
                availability: Some(availability),
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                        .collect(),
                ),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                state: Some(state),
                ..Default::default()
            }),
            description: Some(NodeDescription {
                hostname: Some(format!("host-{id}")),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn only_ready_active_nodes_count_for_their_regions() {
        let placement = Placement::of(&[
            node(
                "a",
                NodeState::READY,
                NodeSpecAvailabilityEnum::ACTIVE,
                &[
                    ("swarmpress.region.eu-west", "true"),
                    ("swarmpress.region.us-east", "true"),
                ],
            ),
            node(
                "b",
                NodeState::READY,
                NodeSpecAvailabilityEnum::ACTIVE,
                &[("swarmpress.region.eu-west", "true"), ("other", "true")],
            ),
            node(
                "c",
                NodeState::READY,
                NodeSpecAvailabilityEnum::DRAIN,
                &[("swarmpress.region.ap-south", "true")],
            ),
            node(
                "d",
                NodeState::DOWN,
                NodeSpecAvailabilityEnum::ACTIVE,
                &[("swarmpress.region.ap-south", "true")],
            ),
            node(
                "e",
                NodeState::READY,
                NodeSpecAvailabilityEnum::ACTIVE,
                &[("swarmpress.region.sa-east", "false")],
            ),
        ]);
        assert_eq!(placement.schedulable("eu-west"), 2);
        assert_eq!(placement.schedulable("us-east"), 1);
        assert_eq!(placement.schedulable("ap-south"), 0, "drained and down");
        assert_eq!(placement.schedulable("sa-east"), 0, "label not true");
        assert_eq!(placement.schedulable("nowhere"), 0);
        assert_eq!(placement.hostname("c"), "host-c");
        assert_eq!(placement.hostname("zz"), "zz");
    }

    #[test]
    fn draining_nodes_are_known_until_and_after_their_drain() {
        let placement = Placement::of(&[
            node(
                "moving",
                NodeState::READY,
                NodeSpecAvailabilityEnum::PAUSE,
                &[
                    ("swarmpress.region.eu-west", "true"),
                    (DRAINING_NODE_LABEL, "true"),
                ],
            ),
            node(
                "drained",
                NodeState::READY,
                NodeSpecAvailabilityEnum::DRAIN,
                &[(DRAINING_NODE_LABEL, "true")],
            ),
            node(
                "paused",
                NodeState::READY,
                NodeSpecAvailabilityEnum::PAUSE,
                &[("swarmpress.region.eu-west", "true")],
            ),
        ]);
        assert!(placement.is_draining("moving"));
        assert!(placement.is_draining("drained"));
        assert!(
            !placement.is_draining("paused"),
            "paused by hand: its sites stay"
        );
        assert_eq!(placement.unfinished_drains(), ["moving"]);
        assert_eq!(
            placement.schedulable("eu-west"),
            0,
            "neither takes new tasks"
        );
    }
}
