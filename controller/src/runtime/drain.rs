//! Finishing a drain. The API drains a node by pausing it (no new task) and labelling it
//! draining; the reconciler moves each site off it with a start-first update. Once no site
//! has a task there, the node's availability becomes Swarm's `drain`, which moves whatever
//! else runs on it (platform replicas). Checked when a node changes and whenever a site was
//! reconciled while a drain is unfinished — never by polling an idle platform.

use std::sync::Arc;

use crate::views::snapshot::Snapshot;

use crate::reconcile::Context;

/// The nodes of `snapshot` being drained that no site has a running task on any more.
pub fn finished(snapshot: &Snapshot) -> Vec<String> {
    snapshot
        .placement
        .unfinished_drains()
        .into_iter()
        .filter(|node| {
            !snapshot
                .services
                .values()
                .any(|service| service.nodes.iter().any(|n| n == node))
        })
        .map(str::to_owned)
        .collect()
}

/// Sets every node whose sites have all moved to `drain`. Failures are logged, never the
/// caller's: the next node event or reconcile tries again.
pub async fn finish<S>(ctx: &Context<S>, snapshot: &Arc<Snapshot>) {
    for node in finished(snapshot) {
        let hostname = snapshot.placement.hostname(&node).to_owned();
        match ctx.swarm.finish_drain(&node).await {
            Ok(true) => {
                tracing::info!(node = %hostname, "every site moved off: the node is drained");
                ctx.observer.invalidate_nodes();
            }
            Ok(false) => {}
            Err(error) => tracing::warn!(node = %hostname, %error, "cannot finish the drain"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use bollard::models::{Node, NodeSpec, NodeSpecAvailabilityEnum, NodeState, NodeStatus};
    use swarmpress_schema::{DRAINING_NODE_LABEL, TenantName};

    use super::*;
    use crate::views::placement::Placement;
    use crate::views::snapshot::ServiceView;

    fn node(id: &str, availability: NodeSpecAvailabilityEnum, draining: bool) -> Node {
        let labels =
            draining.then(|| HashMap::from([(DRAINING_NODE_LABEL.to_owned(), "true".to_owned())]));
        Node {
            id: Some(id.to_owned()),
            spec: Some(NodeSpec {
                availability: Some(availability),
                labels,
                ..Default::default()
            }),
            status: Some(NodeStatus {
                state: Some(NodeState::READY),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn site(name: &str, nodes: &[&str]) -> (TenantName, ServiceView) {
        let view = ServiceView {
            id: format!("id-{name}"),
            name: format!("wp_{name}"),
            spec_hash: None,
            restart_token: None,
            rebuild_token: None,
            force_update: 0,
            desired_replicas: nodes.len() as u64,
            running_tasks: nodes.len() as u64,
            running_containers: Vec::new(),
            route_rule: None,
            endpoints: Vec::new(),
            updating: false,
            update_failed: false,
            rolled_back: false,
            image: None,
            task_message: None,
            nodes: nodes.iter().map(|n| (*n).to_owned()).collect(),
        };
        (TenantName::parse(name).unwrap(), view)
    }

    #[test]
    fn a_drain_finishes_once_no_site_runs_on_its_node() {
        let snapshot = Snapshot {
            services: Arc::new(HashMap::from([
                site("moving", &["busy", "other"]),
                site("elsewhere", &["other"]),
            ])),
            placement: Arc::new(Placement::of(&[
                node("busy", NodeSpecAvailabilityEnum::PAUSE, true),
                node("free", NodeSpecAvailabilityEnum::PAUSE, true),
                node("done", NodeSpecAvailabilityEnum::DRAIN, true),
                node("paused", NodeSpecAvailabilityEnum::PAUSE, false),
                node("other", NodeSpecAvailabilityEnum::ACTIVE, false),
            ])),
            ..Default::default()
        };
        assert_eq!(finished(&snapshot), ["free"]);
    }
}
