//! Helpers of the tests that drive a whole controller against the platform and look at the
//! site it serves.

use std::collections::BTreeSet;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::query_parameters::ListTasksOptionsBuilder;
use swarmpress_controller::adapters::swarm::SwarmClient;
use swarmpress_controller::reconcile::{Context, reconcile};
use swarmpress_controller::runtime::runner::RunSettings;
use swarmpress_controller::store::TenantStore;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::Tenant;

use super::memory_store::MemoryStore;

/// How long a new site may take to be installed and served.
pub const SITE_TIMEOUT: Duration = Duration::from_secs(240);

pub fn run_settings(holder: &str, lease_ttl: Duration, resync: Duration) -> RunSettings {
    RunSettings {
        holder: holder.to_owned(),
        lease_ttl,
        workers: 2,
        feed_poll: Duration::from_millis(250),
        resync,
    }
}

/// Waits until the stored tenant satisfies `accept`; returns it.
pub async fn wait_status(
    store: &MemoryStore,
    tenant: &TenantName,
    what: &str,
    accept: impl Fn(&Tenant) -> bool,
) -> Tenant {
    super::eventually(what, SITE_TIMEOUT, || {
        let found = store.get(tenant).filter(|t| accept(t));
        async move { found }
    })
    .await
}

/// `http://<tenant>.localhost:<edge port>/`.
pub fn site_url(tenant: &TenantName) -> String {
    format!("http://{tenant}.localhost:{}/", super::edge_port())
}

/// A client that reaches the tenant's host name through the edge, without redirects.
pub fn site_client(tenant: &TenantName) -> reqwest::Client {
    reqwest::Client::builder()
        .resolve(
            &format!("{tenant}.localhost"),
            ([127, 0, 0, 1], super::edge_port()).into(),
        )
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

/// Waits until `path` of the site answers 200 with a body containing `needle`.
pub async fn wait_page(client: &reqwest::Client, tenant: &TenantName, path: &str, needle: &str) {
    let url = format!("{}{}", site_url(tenant), path.trim_start_matches('/'));
    super::eventually(
        &format!("{url} to answer 200 with {needle:?}"),
        SITE_TIMEOUT,
        || {
            let request = client.get(&url).send();
            async move {
                let response = request.await.ok()?;
                if !response.status().is_success() {
                    return None;
                }
                response.text().await.ok()?.contains(needle).then_some(())
            }
        },
    )
    .await;
}

/// Ids of the tasks Swarm wants running for the tenant's service.
pub async fn running_task_ids(swarm: &SwarmClient, tenant: &TenantName) -> BTreeSet<String> {
    let service = tenant.service_name();
    let filters = HashMap::from([
        ("service", vec![service.as_str()]),
        ("desired-state", vec!["running"]),
    ]);
    let options = ListTasksOptionsBuilder::new().filters(&filters).build();
    swarm
        .docker()
        .list_tasks(Some(options))
        .await
        .unwrap()
        .into_iter()
        .filter(|task| {
            task.status.as_ref().and_then(|s| s.state) == Some(bollard::models::TaskState::RUNNING)
        })
        .filter_map(|task| task.id)
        .collect()
}

/// The service's version index, `None` when there is no service.
pub async fn service_version(swarm: &SwarmClient, tenant: &TenantName) -> Option<u64> {
    swarm
        .inspect_service(&tenant.service_name())
        .await
        .unwrap()
        .and_then(|s| s.version)
        .and_then(|v| v.index)
}

/// Removes whatever a failed run left behind, through the same finalizer the controller runs.
pub async fn finalize_leftovers<S: TenantStore>(
    ctx: Arc<Context<S>>,
    store: &MemoryStore,
    tenant: &TenantName,
) {
    if let Some(record) = store.get(tenant) {
        if record.metadata.deletion_timestamp.is_none() {
            store.mark_deleted(tenant);
        }
        let record = store.get(tenant).unwrap();
        if let Err(error) = reconcile(Arc::new(record), ctx).await {
            eprintln!("cleanup of {tenant} failed: {error}");
        }
    }
}
