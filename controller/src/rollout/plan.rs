//! Planning: which tenants a rollout updates, in which batch, and from which image.

use std::collections::HashMap;

use swarmpress_schema::resource::{RolloutSpec, Tenant};
use swarmpress_schema::store::NewRolloutItem;
use uuid::Uuid;

/// The plan id of users without an active subscription.
pub const DEFAULT_PLAN: &str = swarmpress_schema::resource::Plan::DEFAULT_ID;

/// The items of a rollout of `spec` over `tenants`: the selected ones (never one being
/// deleted) by name, the first `canary` of them in batch 0 and the rest in batches of
/// `batchSize` numbered from 1. `plans` maps owners to their plan id; absent owners are on
/// the default plan. `fromImage` is the tenant's `spec.image` now, what a rollback restores.
pub fn plan(
    spec: &RolloutSpec,
    tenants: &[Tenant],
    plans: &HashMap<Uuid, String>,
) -> Vec<NewRolloutItem> {
    let mut selected: Vec<&Tenant> = tenants
        .iter()
        .filter(|tenant| {
            let plan = plans
                .get(&tenant.metadata.owner)
                .map_or(DEFAULT_PLAN, String::as_str);
            spec.selector.matches(tenant, plan)
        })
        .collect();
    // By name, so that a controller planning again after a crash makes the same batches.
    selected.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let canary = usize::try_from(spec.canary).unwrap_or(usize::MAX);
    let batch_size = usize::try_from(spec.batch_size.max(1)).unwrap_or(usize::MAX);
    selected
        .into_iter()
        .enumerate()
        .map(|(index, tenant)| {
            let batch = if index < canary {
                0
            } else {
                1 + (index - canary) / batch_size
            };
            NewRolloutItem {
                tenant: tenant.metadata.name.clone(),
                from_image: tenant.spec.image.clone(),
                to_image: spec.image.clone(),
                batch: u32::try_from(batch).unwrap_or(u32::MAX),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use swarmpress_schema::TenantName;
    use swarmpress_schema::resource::{
        AdminSpec, Resources, RolloutSelector, TenantSpec, TenantState,
    };

    use crate::store::memory::MemoryStore;

    use super::*;

    fn tenant(name: &str, image: Option<&str>) -> Tenant {
        let spec = TenantSpec {
            display_name: name.to_owned(),
            region: String::new(),
            state: TenantState::Running,
            replicas: 1,
            resources: Resources::default(),
            env: BTreeMap::new(),
            image: image.map(str::to_owned),
            admin: AdminSpec {
                user: "admin".to_owned(),
                email: "admin@example.test".to_owned(),
            },
            path_prefix: None,
            restarted_at: None,
            rebuild_nonce: None,
        };
        MemoryStore::default().create(&TenantName::parse(name).unwrap(), spec, "password")
    }

    fn spec(canary: u32, batch_size: u32) -> RolloutSpec {
        RolloutSpec {
            image: "swarmpress/wordpress:new".to_owned(),
            selector: RolloutSelector {
                all: true,
                ..RolloutSelector::default()
            },
            canary,
            batch_size,
            failure_budget: 0,
            health_timeout_seconds: 60,
            start_at: None,
            force_pull: false,
        }
    }

    #[test]
    fn canaries_first_then_batches_by_name() {
        let tenants: Vec<Tenant> = ["eee", "aaa", "ddd", "bbb", "ccc", "fff"]
            .iter()
            .map(|name| tenant(name, Some("old")))
            .collect();
        let items = plan(&spec(1, 2), &tenants, &HashMap::new());
        let batches: Vec<(&str, u32)> = items
            .iter()
            .map(|item| (item.tenant.as_str(), item.batch))
            .collect();
        assert_eq!(
            batches,
            [
                ("aaa", 0),
                ("bbb", 1),
                ("ccc", 1),
                ("ddd", 2),
                ("eee", 2),
                ("fff", 3)
            ]
        );
        assert!(
            items
                .iter()
                .all(|item| item.from_image.as_deref() == Some("old"))
        );
        assert!(
            items
                .iter()
                .all(|item| item.to_image == "swarmpress/wordpress:new")
        );
    }

    #[test]
    fn no_canary_starts_at_batch_one_and_deleting_tenants_are_left_out() {
        let mut gone = tenant("gone", None);
        gone.metadata.deletion_timestamp = Some(chrono::Utc::now());
        let tenants = vec![tenant("kept", None), gone];
        let items = plan(&spec(0, 3), &tenants, &HashMap::new());
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].batch, 1);
        assert_eq!(items[0].from_image, None);
    }

    #[test]
    fn plans_and_labels_select() {
        let mut labelled = tenant("labelled", None);
        labelled.metadata.labels = BTreeMap::from([("tier".to_owned(), "beta".to_owned())]);
        let owner = Uuid::new_v4();
        labelled.metadata.owner = owner;
        let tenants = vec![labelled, tenant("plain", None)];
        let mut selective = spec(0, 1);
        selective.selector = RolloutSelector {
            plans: vec!["pro".to_owned()],
            labels: BTreeMap::from([("tier".to_owned(), "beta".to_owned())]),
            ..RolloutSelector::default()
        };
        assert!(plan(&selective, &tenants, &HashMap::new()).is_empty());
        let plans = HashMap::from([(owner, "pro".to_owned())]);
        let items = plan(&selective, &tenants, &plans);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].tenant.as_str(), "labelled");
    }
}
