//! The reconcile loop against the real platform (Swarm, MariaDB, S3, Traefik), driven through
//! an in-memory store: a tenant is created, served, reconciled idempotently, scaled, stopped,
//! repaired after an out-of-band scale and removal, and deleted with everything it had.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::memory_store::{MemoryStore, spec};
use swarmpress_controller::adapters::swarm::SwarmClient;
use swarmpress_controller::reconcile::{Action, Context, reconcile};
use swarmpress_controller::runtime::runner::{RunSettings, run};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{ConditionType, Phase, Plan, Tenant, TenantState};
use tokio_util::sync::CancellationToken;

const SITE_TIMEOUT: Duration = Duration::from_secs(240);

fn run_settings(holder: &str) -> RunSettings {
    RunSettings {
        holder: holder.to_owned(),
        lease_ttl: Duration::from_secs(10),
        workers: 2,
        feed_poll: Duration::from_millis(250),
        resync: Duration::from_secs(30),
    }
}

async fn service_version(swarm: &SwarmClient, tenant: &TenantName) -> Option<u64> {
    swarm
        .inspect_service(&tenant.service_name())
        .await
        .unwrap()
        .and_then(|s| s.version)
        .and_then(|v| v.index)
}

async fn wait_status(
    store: &MemoryStore,
    tenant: &TenantName,
    what: &str,
    accept: impl Fn(&Tenant) -> bool,
) -> Tenant {
    common::eventually(what, SITE_TIMEOUT, || {
        let found = store.get(tenant).filter(|t| accept(t));
        async move { found }
    })
    .await
}

/// Removes whatever a failed run left behind, through the same finalizer the controller runs.
async fn finalize_leftovers(ctx: Arc<Context<MemoryStore>>, tenant: TenantName) {
    if let Some(record) = ctx.store.get(&tenant) {
        if record.metadata.deletion_timestamp.is_none() {
            ctx.store.mark_deleted(&tenant);
        }
        let record = ctx.store.get(&tenant).unwrap();
        if let Err(error) = reconcile(Arc::new(record), Arc::clone(&ctx)).await {
            eprintln!("cleanup of {tenant} failed: {error}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_lifecycle_through_the_controller() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    let tenant = common::unique_tenant("itrec");
    let shutdown = CancellationToken::new();
    let controller = tokio::spawn(run(
        Arc::clone(&ctx),
        run_settings("test-controller"),
        shutdown.clone(),
    ));

    let body_ctx = Arc::clone(&ctx);
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let ctx = body_ctx;
            let tenant = body_tenant;
            let swarm = ctx.swarm.clone();
            let created = store.create(&tenant, spec("Reconciled Site"), "admin-password-1");

            // Created: everything exists, the site answers through Traefik, status is Running.
            let running = wait_status(&store, &tenant, "Running and Available", |t| {
                t.status.phase == Phase::Running && t.status.is_true(ConditionType::Available)
            })
            .await;
            assert_eq!(
                running.status.observed_generation,
                running.metadata.generation
            );
            for condition in [
                ConditionType::DatabaseReady,
                ConditionType::BucketReady,
                ConditionType::ServiceReady,
                ConditionType::Installed,
            ] {
                assert!(
                    running.status.is_true(condition),
                    "{condition:?}: {:?}",
                    running.status
                );
            }
            assert_eq!(running.status.replicas.desired, 1);
            assert_eq!(running.status.replicas.running, 1);
            let url = format!("http://{}.localhost:{}/", tenant, common::edge_port());
            assert_eq!(running.status.url.as_deref(), Some(url.as_str()));
            assert!(ctx.databases.exists(&tenant).await.unwrap());
            assert!(ctx.databases.user_exists(&tenant).await.unwrap());
            assert!(ctx.buckets.exists(&tenant).await.unwrap());
            assert_eq!(ctx.identities.key_ids(&tenant).await.unwrap().len(), 1);
            let secrets = swarm
                .list_secrets_labelled(&format!("swarmpress.tenant={tenant}"))
                .await
                .unwrap();
            assert_eq!(secrets.len(), 3, "db, S3 key and admin secrets");
            assert!(
                !store.has_admin_password(&created),
                "the plain-text admin password is deleted once its secret exists"
            );
            swarm
                .docker()
                .inspect_volume(&tenant.volume_name())
                .await
                .unwrap();

            let client = reqwest::Client::builder()
                .resolve(
                    &format!("{tenant}.localhost"),
                    ([127, 0, 0, 1], common::edge_port()).into(),
                )
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap();
            common::eventually("the site to answer 200", SITE_TIMEOUT, || {
                let request = client.get(&url).send();
                async move {
                    let response = request.await.ok()?;
                    let body = response
                        .status()
                        .is_success()
                        .then_some(response.text().await.ok()?)?;
                    body.contains("Reconciled Site").then_some(())
                }
            })
            .await;

            // Reconciling a converged tenant changes nothing: no service update, no status write.
            let version = service_version(&swarm, &tenant).await;
            let writes = store.status_writes();
            for _ in 0..2 {
                let current = Arc::new(store.get(&tenant).unwrap());
                let action = reconcile(current, Arc::clone(&ctx)).await.unwrap();
                assert!(matches!(action, Action::Requeue(_)));
            }
            assert_eq!(service_version(&swarm, &tenant).await, version);
            assert_eq!(
                store.status_writes(),
                writes,
                "no status write when nothing changed"
            );

            // Scale to 2.
            store.update_spec(&tenant, |spec| spec.replicas = 2);
            let scaled = wait_status(&store, &tenant, "2 replicas running", |t| {
                t.status.replicas.running == 2
                    && t.status.phase == Phase::Running
                    && t.status.observed_generation == t.metadata.generation
            })
            .await;
            assert_eq!(scaled.status.replicas.desired, 2);

            // Scaled behind the controller's back (`docker service scale`): reverted.
            let mut drifted = swarm
                .inspect_service(&tenant.service_name())
                .await
                .unwrap()
                .unwrap()
                .spec
                .unwrap();
            if let Some(replicated) = drifted.mode.as_mut().and_then(|m| m.replicated.as_mut()) {
                replicated.replicas = Some(3);
            }
            swarm.update_service(drifted).await.unwrap();
            common::eventually(
                "the out-of-band scale to be reverted",
                Duration::from_secs(15),
                || {
                    let swarm = swarm.clone();
                    let tenant = tenant.clone();
                    async move {
                        let replicas = swarm
                            .inspect_service(&tenant.service_name())
                            .await
                            .ok()
                            .flatten()?
                            .spec?
                            .mode?
                            .replicated?
                            .replicas?;
                        (replicas == 2).then_some(())
                    }
                },
            )
            .await;

            // Stop: 0 replicas, phase Stopped, not Available.
            store.update_spec(&tenant, |spec| spec.state = TenantState::Stopped);
            let stopped = wait_status(&store, &tenant, "Stopped", |t| {
                t.status.phase == Phase::Stopped
                    && t.status.observed_generation == t.metadata.generation
            })
            .await;
            assert_eq!(stopped.status.replicas.desired, 0);
            assert_eq!(stopped.status.replicas.running, 0);
            assert!(!stopped.status.is_true(ConditionType::Available));

            // Removed behind the controller's back: the Docker event brings it back at once.
            assert!(swarm.remove_service(&tenant.service_name()).await.unwrap());
            let started = tokio::time::Instant::now();
            common::eventually(
                "the service to be recreated",
                Duration::from_secs(15),
                || {
                    let swarm = swarm.clone();
                    let tenant = tenant.clone();
                    async move {
                        swarm
                            .inspect_service(&tenant.service_name())
                            .await
                            .ok()
                            .flatten()
                            .map(drop)
                    }
                },
            )
            .await;
            eprintln!("service recreated {:?} after removal", started.elapsed());

            // Delete: everything goes, then the record.
            store.mark_deleted(&tenant);
            common::eventually("the record to be removed", SITE_TIMEOUT, || {
                let gone = store.get(&tenant).is_none();
                async move { gone.then_some(()) }
            })
            .await;
            assert!(
                swarm
                    .inspect_service(&tenant.service_name())
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(
                swarm
                    .list_secrets_labelled(&format!("swarmpress.tenant={tenant}"))
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert!(
                swarm
                    .docker()
                    .inspect_volume(&tenant.volume_name())
                    .await
                    .is_err()
            );
            assert!(!ctx.databases.exists(&tenant).await.unwrap());
            assert!(!ctx.databases.user_exists(&tenant).await.unwrap());
            assert!(!ctx.buckets.exists(&tenant).await.unwrap());
            assert!(ctx.identities.key_ids(&tenant).await.unwrap().is_empty());
            let reasons: Vec<_> = store
                .events(&tenant)
                .into_iter()
                .map(|e| e.reason)
                .collect();
            for reason in ["ServiceCreated", "ServiceUpdated", "Deleted"] {
                assert!(
                    reasons.iter().any(|r| r == reason),
                    "{reason} in {reasons:?}"
                );
            }
        },
        async {
            shutdown.cancel();
            controller.await.unwrap();
            finalize_leftovers(Arc::clone(&ctx), tenant.clone()).await;
        },
    )
    .await;
}

/// Two controllers on one store: only one leads; when it stops, the other takes over within
/// the lease's lifetime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_controller_leads_and_the_other_takes_over() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let first_ctx = common::context(&platform, store.clone());
    let second_ctx = common::context(&platform, store.clone());
    let first_stop = CancellationToken::new();
    let second_stop = CancellationToken::new();
    let first = tokio::spawn(run(
        Arc::clone(&first_ctx),
        run_settings("first"),
        first_stop.clone(),
    ));
    common::eventually("the first to lead", Duration::from_secs(5), || {
        let leads = first_ctx.metrics.leader.get() == 1;
        async move { leads.then_some(()) }
    })
    .await;
    let second = tokio::spawn(run(
        Arc::clone(&second_ctx),
        run_settings("second"),
        second_stop.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(first_ctx.metrics.leader.get(), 1);
    assert_eq!(second_ctx.metrics.leader.get(), 0, "only one leads");
    assert_eq!(store.lease_holder().as_deref(), Some("first"));

    // Killed: it stops renewing without releasing the lease.
    first.abort();
    let killed = tokio::time::Instant::now();
    common::eventually("the second to take over", Duration::from_secs(15), || {
        let leads = second_ctx.metrics.leader.get() == 1;
        async move { leads.then_some(()) }
    })
    .await;
    let took = killed.elapsed();
    eprintln!("took over {took:?} after the leader died");
    // The lease lasts 10 s from the dead leader's last renewal, which came at most a third of
    // that before the kill; the standby retries every second.
    assert!(took <= Duration::from_secs(11), "{took:?}");
    assert_eq!(store.lease_holder().as_deref(), Some("second"));
    second_stop.cancel();
    second.await.unwrap();
    assert_eq!(second_ctx.metrics.leader.get(), 0);
    drop(first_stop);
}

/// A spec written straight into the store past the API's quota check: the controller reads
/// the owner's plan itself and deploys nothing for it, saying why in the status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spec_over_its_owners_plan_is_not_deployed() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    let tenant = common::unique_tenant("itplan");
    let free = Plan {
        id: "free".to_owned(),
        name: "Free".to_owned(),
        max_instances: Some(1),
        max_replicas: 1,
        max_cpu_millis: 500,
        max_memory_mib: 512,
        storage_mib: 1024,
        bandwidth_gib: 10,
        php_workers_per_replica: 12,
        price_cents: 0,
        currency: "USD".to_owned(),
        features: Vec::new(),
        feature_details: Vec::new(),
    };
    let body_ctx = Arc::clone(&ctx);
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let ctx = body_ctx;
            let tenant = body_tenant;
            // One whole CPU per replica: twice what the Free plan allows.
            let mut too_big = spec("Too Big");
            too_big.resources.cpu = "1".to_owned();
            let created = store.create(&tenant, too_big, "admin-password-1");
            store.set_plan(created.metadata.owner, free);
            let outcome = reconcile(Arc::new(created), Arc::clone(&ctx)).await;
            assert!(outcome.is_err(), "{outcome:?}");
            let recorded = store.get(&tenant).unwrap();
            let condition = recorded
                .status
                .condition(ConditionType::ServiceReady)
                .unwrap();
            assert_eq!(condition.reason, "QuotaExceeded", "{condition:?}");
            assert!(condition.message.contains("CPU"), "{}", condition.message);
            assert!(
                ctx.swarm
                    .inspect_service(&tenant.service_name())
                    .await
                    .unwrap()
                    .is_none(),
                "nothing is deployed for a spec over the plan"
            );
        },
        finalize_leftovers(Arc::clone(&ctx), tenant.clone()),
    )
    .await;
}

/// With one start slot, a second site waits — queued, saying why, nothing deployed — until the
/// first one is up; then it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_waits_for_start_slots() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context_admitting(&platform, store.clone(), |_| {}, 1);
    let (first, second) = (
        common::unique_tenant("itadm"),
        common::unique_tenant("itadq"),
    );
    let (body_ctx, body_first, body_second) = (Arc::clone(&ctx), first.clone(), second.clone());
    common::with_cleanup(
        async move {
            let (ctx, first, second) = (body_ctx, body_first, body_second);
            let a = store.create(&first, spec("First"), "admin-password-1");
            let b = store.create(&second, spec("Second"), "admin-password-2");
            reconcile(Arc::new(a), Arc::clone(&ctx)).await.unwrap();
            reconcile(Arc::new(b), Arc::clone(&ctx)).await.unwrap();
            let queued = store.get(&second).unwrap();
            let condition = queued
                .status
                .condition(ConditionType::ServiceReady)
                .unwrap();
            assert_eq!(condition.reason, "Queued", "{condition:?}");
            assert_eq!(
                queued.status.message.as_deref(),
                Some("queued: 1 sites are starting (at most 1 at once); number 1 in line")
            );
            assert!(
                ctx.swarm
                    .inspect_service(&second.service_name())
                    .await
                    .unwrap()
                    .is_none(),
                "a queued site has no service yet"
            );
            // The first comes up (reconciled as the queue would: again while converging);
            // then the second gets the slot.
            common::eventually("the first site up", SITE_TIMEOUT, || {
                let ctx = Arc::clone(&ctx);
                let store = store.clone();
                let first = first.clone();
                async move {
                    let record = store.get(&first)?;
                    reconcile(Arc::new(record), ctx).await.ok()?;
                    store
                        .get(&first)
                        .filter(|t| t.status.is_true(ConditionType::Available))
                }
            })
            .await;
            // Its slot freed, the site waiting in line is woken for the runner to queue.
            let woken = tokio::time::timeout(Duration::from_secs(5), ctx.admission.woken())
                .await
                .expect("the waiting site is woken when the slot frees");
            assert_eq!(woken, vec![second.clone()]);
            let b = store.get(&second).unwrap();
            reconcile(Arc::new(b), Arc::clone(&ctx)).await.unwrap();
            assert!(
                ctx.swarm
                    .inspect_service(&second.service_name())
                    .await
                    .unwrap()
                    .is_some(),
                "the second site starts once the first is up"
            );
            assert_ne!(
                store
                    .get(&second)
                    .unwrap()
                    .status
                    .condition(ConditionType::ServiceReady)
                    .unwrap()
                    .reason,
                "Queued"
            );
        },
        async {
            finalize_leftovers(Arc::clone(&ctx), first.clone()).await;
            finalize_leftovers(Arc::clone(&ctx), second.clone()).await;
        },
    )
    .await;
}

/// Adds (`Some`) or removes (`None`) a label on this engine's own swarm node.
async fn label_own_node(swarm: &SwarmClient, label: &str, value: Option<&str>) {
    let docker = swarm.docker();
    let node_id = docker
        .info()
        .await
        .unwrap()
        .swarm
        .and_then(|s| s.node_id)
        .unwrap();
    // The node's version moves with every update (another test may drain or relabel it):
    // read and write again until one write lands on the version it read.
    for _ in 0..10 {
        let node = docker.inspect_node(&node_id).await.unwrap();
        let mut spec = node.spec.unwrap();
        let labels = spec.labels.get_or_insert_with(Default::default);
        match value {
            Some(value) => labels.insert(label.to_owned(), value.to_owned()),
            None => labels.remove(label),
        };
        let version = node.version.and_then(|v| v.index).unwrap();
        let options = bollard::query_parameters::UpdateNodeOptionsBuilder::new()
            .version(version as i64)
            .build();
        if docker.update_node(&node_id, spec, options).await.is_ok() {
            return;
        }
    }
    panic!("cannot update the node's labels");
}

/// A site in a region no node carries waits Pending, saying so, with nothing deployed and no
/// start slot held; a node joining the region (here: this node labelled with it) wakes it by
/// its node event — the resyncs are ten minutes apart — and it starts there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_waits_for_a_node_of_its_region_and_starts_when_one_joins() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context_admitting(
        &platform,
        store.clone(),
        |settings| settings.resync = Duration::from_secs(600),
        1,
    );
    let tenant = common::unique_tenant("itreg");
    let region = format!("lab-{}", common::random_suffix(8));
    let label = format!("swarmpress.region.{region}");
    let shutdown = CancellationToken::new();
    let mut settings = run_settings("test-controller-region");
    settings.resync = Duration::from_secs(600);
    let controller = tokio::spawn(run(Arc::clone(&ctx), settings, shutdown.clone()));
    let (body_ctx, body_tenant, body_region, body_label) = (
        Arc::clone(&ctx),
        tenant.clone(),
        region.clone(),
        label.clone(),
    );
    common::with_cleanup(
        async move {
            let (ctx, tenant, region, label) = (body_ctx, body_tenant, body_region, body_label);
            let mut wanted = spec("Far Away");
            wanted.region = region.clone();
            store.create(&tenant, wanted, "admin-password-1");
            let waiting = wait_status(&store, &tenant, "waiting for a node", |t| {
                t.status
                    .condition(ConditionType::ServiceReady)
                    .is_some_and(|c| c.reason == "NoNodeInRegion")
            })
            .await;
            assert_eq!(waiting.status.phase, Phase::Pending, "{:?}", waiting.status);
            assert_eq!(
                waiting.status.message.as_deref(),
                Some(
                    format!("no active node in region {region}: the site starts when one is there")
                        .as_str()
                )
            );
            assert!(
                ctx.swarm
                    .inspect_service(&tenant.service_name())
                    .await
                    .unwrap()
                    .is_none(),
                "nothing is deployed for a site no node can run"
            );
            // The only start slot is free: the waiting site does not hold it.
            let probe = common::unique_tenant("itslot");
            assert!(
                ctx.admission.admit(&probe).is_ok(),
                "the waiting site holds no start slot"
            );
            ctx.admission.release(&probe);

            label_own_node(&ctx.swarm, &label, Some("true")).await;
            let running = wait_status(&store, &tenant, "Running once a node joins", |t| {
                t.status.phase == Phase::Running && t.status.is_true(ConditionType::Available)
            })
            .await;
            let hostname = ctx.swarm.docker().info().await.unwrap().name.unwrap();
            assert_eq!(
                running.status.nodes,
                vec![hostname],
                "the status names its node"
            );
        },
        async {
            label_own_node(&ctx.swarm, &label, None).await;
            shutdown.cancel();
            let _ = controller.await;
            finalize_leftovers(Arc::clone(&ctx), tenant.clone()).await;
        },
    )
    .await;
}
