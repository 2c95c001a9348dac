//! Where sites can run: the swarm's nodes by region, as their labels say.
//!
//! A node belongs to a region by the label `swarmpress.region.<region>=true` (one node may
//! carry several, as the single-node platform does); a site's service is constrained to its
//! region's label. Only a node that is `ready` and `active` takes new tasks: a region without
//! one would leave the site's task pending forever, holding a start slot. The reconciler asks
//! [`Placement::schedulable`] before it starts anything and tells the owner instead.

use std::collections::HashMap;

use bollard::models::{Node, NodeSpecAvailabilityEnum, NodeState};

/// The node label prefix a region is named after.
pub const REGION_LABEL_PREFIX: &str = "swarmpress.region.";

/// The swarm's nodes as placement needs them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Nodes that take new tasks (ready and active), by region.
    schedulable: HashMap<String, u32>,
    /// Every node's hostname, by node id.
    hostnames: HashMap<String, String>,
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
        }
        placement
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
}
