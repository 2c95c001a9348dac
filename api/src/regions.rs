//! The regions the cluster has: node labels `swarmpress.region.<region>=true` counted, beside
//! the regions the platform offers new sites in (its configuration). The create wizard reads
//! it, so a region whose nodes are all gone is shown as such rather than chosen blindly.
//!
//! The node list is one engine request; it is kept for a few seconds so that a page of
//! wizards (or someone polling it) costs the engine one request per window, not one each.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::{Node, NodeSpecAvailabilityEnum, NodeState};
use bollard::query_parameters::ListNodesOptions;
use poem_openapi::Object;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::docker::DockerHandle;

/// The node label prefix a region is named after (the controller's placement reads the same).
pub const REGION_LABEL_PREFIX: &str = "swarmpress.region.";

/// How long one node listing answers for.
const FRESH_FOR: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, PartialEq, Eq, Object)]
#[oai(rename_all = "camelCase")]
pub struct Region {
    pub name: String,
    /// Nodes labelled with the region, whatever their state; `null` when the engine could
    /// not be asked.
    pub nodes: Option<u32>,
    /// Of those, the ones that take new sites (ready and active); `null` as above.
    pub active_nodes: Option<u32>,
    /// New sites may be created in it (the platform's configured regions).
    pub offered: bool,
}

#[derive(Debug, Clone, Object)]
pub struct RegionList {
    pub items: Vec<Region>,
}

/// The regions a node is in: its `swarmpress.region.<region>=true` labels.
pub fn node_regions(node: &Node) -> impl Iterator<Item = &str> {
    node.spec
        .as_ref()
        .and_then(|spec| spec.labels.as_ref())
        .into_iter()
        .flatten()
        .filter(|(_, value)| value.as_str() == "true")
        .filter_map(|(label, _)| label.strip_prefix(REGION_LABEL_PREFIX))
        .filter(|name| !name.is_empty())
}

/// The configured regions first, in their configured order, then any other region a node
/// carries, by name.
pub fn regions_of(configured: &[String], nodes: Option<&[Node]>) -> Vec<Region> {
    let count = nodes.map(|_| 0);
    let mut regions: Vec<Region> = configured
        .iter()
        .map(|name| Region {
            name: name.clone(),
            nodes: count,
            active_nodes: count,
            offered: true,
        })
        .collect();
    let mut others: BTreeMap<&str, Region> = BTreeMap::new();
    for node in nodes.unwrap_or_default() {
        let spec = node.spec.as_ref();
        let active = node.status.as_ref().and_then(|s| s.state) == Some(NodeState::READY)
            && spec.and_then(|s| s.availability) == Some(NodeSpecAvailabilityEnum::ACTIVE);
        for name in node_regions(node) {
            let region = match regions.iter_mut().find(|r| r.name == name) {
                Some(region) => region,
                None => others.entry(name).or_insert_with(|| Region {
                    name: name.to_owned(),
                    nodes: Some(0),
                    active_nodes: Some(0),
                    offered: false,
                }),
            };
            region.nodes = Some(region.nodes.unwrap_or(0) + 1);
            if active {
                region.active_nodes = Some(region.active_nodes.unwrap_or(0) + 1);
            }
        }
    }
    regions.extend(others.into_values());
    regions
}

/// An answer and when it was made.
type Listed = (Instant, Arc<Vec<Region>>);

/// The last answer. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RegionCache {
    last: Arc<Mutex<Option<Listed>>>,
}

impl RegionCache {
    /// The regions, from a node listing at most [`FRESH_FOR`] old. An engine that cannot be
    /// asked leaves the counts unknown (and is asked again next time) rather than failing the
    /// wizard: the configured regions are still the ones a site may be created in.
    pub async fn get(&self, docker: &DockerHandle, configured: &[String]) -> Arc<Vec<Region>> {
        let mut last = self.last.lock().await;
        if let Some((at, regions)) = last.as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return Arc::clone(regions);
        }
        let nodes = match docker.get().await {
            Ok(docker) => docker
                .list_nodes(None::<ListNodesOptions>)
                .await
                .map_err(|error| tracing::warn!(%error, "cannot list the swarm's nodes"))
                .ok(),
            Err(error) => {
                tracing::warn!(%error, "Docker engine unreachable");
                None
            }
        };
        let regions = Arc::new(regions_of(configured, nodes.as_deref()));
        if nodes.is_some() {
            *last = Some((Instant::now(), Arc::clone(&regions)));
        }
        regions
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::{NodeSpec, NodeStatus};

    use super::*;

    fn node(state: NodeState, availability: NodeSpecAvailabilityEnum, labels: &[&str]) -> Node {
        Node {
            spec: Some(NodeSpec {
                availability: Some(availability),
                labels: Some(
                    labels
                        .iter()
                        .map(|l| ((*l).to_owned(), "true".to_owned()))
                        .collect(),
                ),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                state: Some(state),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn counts_each_regions_nodes_and_the_active_ones_configured_first() {
        let configured = ["eu-west".to_owned(), "ap-south".to_owned()];
        let nodes = [
            node(
                NodeState::READY,
                NodeSpecAvailabilityEnum::ACTIVE,
                &["swarmpress.region.eu-west", "swarmpress.region.us-east"],
            ),
            node(
                NodeState::DOWN,
                NodeSpecAvailabilityEnum::ACTIVE,
                &["swarmpress.region.eu-west"],
            ),
            node(
                NodeState::READY,
                NodeSpecAvailabilityEnum::DRAIN,
                &["swarmpress.region.us-east", "unrelated"],
            ),
            node(
                NodeState::READY,
                NodeSpecAvailabilityEnum::ACTIVE,
                &["swarmpress.region.af-south"],
            ),
        ];
        let regions = regions_of(&configured, Some(&nodes));
        let summary: Vec<(&str, Option<u32>, Option<u32>, bool)> = regions
            .iter()
            .map(|r| (r.name.as_str(), r.nodes, r.active_nodes, r.offered))
            .collect();
        assert_eq!(
            summary,
            [
                ("eu-west", Some(2), Some(1), true),
                ("ap-south", Some(0), Some(0), true),
                ("af-south", Some(1), Some(1), false),
                ("us-east", Some(2), Some(1), false),
            ]
        );
    }

    #[test]
    fn without_the_engine_the_configured_regions_have_unknown_counts() {
        let regions = regions_of(&["eu-west".to_owned()], None);
        assert_eq!(
            regions,
            [Region {
                name: "eu-west".to_owned(),
                nodes: None,
                active_nodes: None,
                offered: true,
            }]
        );
    }
}
