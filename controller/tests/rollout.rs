//! Fleet rollouts (issue 6) driven by the controller against the real platform: a good image
//! across five tenants with no failed request on the two-replica one and a controller restart
//! in the middle; a broken image rolled back at the canary; pause, resume and abort; a rollout
//! that starts when it is due.
//!
//! The controllers (reconcile runner plus rollout driver) run in this process over a
//! control-plane database of their own, so the deployed controllers, which drive the rollouts
//! of the platform's database, never see these rollouts or tenants.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::collections::{BTreeMap, HashSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use common::memory_store::spec;
use common::site::{run_settings, site_client, site_url};
use swarmpress_controller::reconcile::{Context, reconcile};
use swarmpress_controller::rollout::{self, Driver, Prober, RolloutMetrics, RolloutSettings};
use swarmpress_controller::runtime::leader::{Elector, LeaseSettings};
use swarmpress_controller::runtime::runner::reconcile_task;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{
    ConditionType, MaintenanceWindowInput, Phase, Rollout, RolloutItemState, RolloutSelector,
    RolloutSpec, RolloutState, Tenant,
};
use swarmpress_schema::store::{Store, StoreError};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const LEASE: Duration = Duration::from_secs(10);
const GOOD: &str = "swarmpress/wordpress:rollout-good";
const GOOD_AGAIN: &str = "swarmpress/wordpress:rollout-good-again";
const BROKEN: &str = "swarmpress/wordpress:rollout-broken";
const SITE_TIMEOUT: Duration = Duration::from_secs(300);

fn default_image() -> String {
    std::env::var("SWARMPRESS_WORDPRESS_IMAGE")
        .unwrap_or_else(|_| "swarmpress/wordpress:latest".to_owned())
}

fn docker(args: &[&str]) {
    let output = Command::new("docker").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The test images, made idempotently without a registry: the good ones are tags of the
/// platform's WordPress image, the broken one is built from it with an entrypoint that exits
/// at once: its tasks never answer, and the rollout gives it up at its health timeout.
fn ensure_images() {
    let base = default_image();
    docker(&["tag", &base, GOOD]);
    docker(&["tag", &base, GOOD_AGAIN]);
    let dir = std::env::temp_dir().join(format!("swarmpress-rollout-broken-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        format!(
            "FROM {GOOD}\nENTRYPOINT [\"/bin/sh\", \"-c\", \"echo this image is broken >&2; exit 1\"]\n"
        ),
    )
    .unwrap();
    docker(&["build", "-q", "-t", BROKEN, dir.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
}

/// A stand-in for the edge in front of the driver's health probe: it forwards every probe to
/// Traefik and answers it unchanged, except for held tenants, which it answers 503. A held
/// tenant's item stays `updating` (well inside the health timeout) until the test releases
/// it, so the test acts while a batch is known to be in flight instead of hoping to catch a
/// state that a fast machine passes through before the test looks.
struct ProbeGate {
    held: Arc<Mutex<HashSet<String>>>,
    url: String,
    server: JoinHandle<()>,
}

impl ProbeGate {
    async fn start() -> Self {
        use poem::http::StatusCode;
        use poem::listener::{Acceptor, Listener, TcpListener};
        use poem::{Request, Response};

        let held: Arc<Mutex<HashSet<String>>> = Arc::default();
        let edge = format!("http://127.0.0.1:{}", common::edge_port());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let gate = Arc::clone(&held);
        let app = poem::endpoint::make(move |request: Request| {
            let (held, client, edge) = (Arc::clone(&gate), client.clone(), edge.clone());
            async move {
                let host = request.header("host").unwrap_or_default().to_owned();
                let tenant = host.split('.').next().unwrap_or_default();
                if held.lock().unwrap().contains(tenant) {
                    return Response::builder()
                        .status(StatusCode::SERVICE_UNAVAILABLE)
                        .body("held by the test");
                }
                let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
                match client
                    .get(format!("{edge}{path}"))
                    .header(reqwest::header::HOST, &host)
                    .send()
                    .await
                {
                    // The body too: the readiness endpoint names the task that answered.
                    Ok(answer) => Response::builder()
                        .status(StatusCode::from_u16(answer.status().as_u16()).unwrap())
                        .body(answer.bytes().await.unwrap_or_default().to_vec()),
                    Err(error) => Response::builder()
                        .status(StatusCode::BAD_GATEWAY)
                        .body(error.to_string()),
                }
            }
        });
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let address = *acceptor.local_addr()[0].as_socket_addr().unwrap();
        let server = tokio::spawn(async move {
            poem::Server::new_with_acceptor(acceptor)
                .run(app)
                .await
                .unwrap();
        });
        Self {
            held,
            url: format!("http://{address}"),
            server,
        }
    }

    fn hold(&self, tenants: &[&TenantName]) {
        let mut held = self.held.lock().unwrap();
        held.extend(tenants.iter().map(ToString::to_string));
    }

    fn release(&self, tenants: &[&TenantName]) {
        let mut held = self.held.lock().unwrap();
        for tenant in tenants {
            held.remove(tenant.as_str());
        }
    }
}

impl Drop for ProbeGate {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A controller as the binary runs it: the reconciler and the rollout driver as leader tasks
/// under one elector, stoppable at once as a killed process would stop. Its health probes go
/// through `edge_url`.
struct Controller {
    token: CancellationToken,
    elector: JoinHandle<()>,
    metrics: RolloutMetrics,
}

fn start_controller(
    ctx: &Arc<Context<Store>>,
    holder: &str,
    edge_url: &str,
    root: &CancellationToken,
) -> Controller {
    let token = root.child_token();
    let settings = run_settings(holder, LEASE, Duration::from_secs(30));
    let metrics = RolloutMetrics::register(&prometheus::Registry::new()).unwrap();
    let driver = Driver {
        store: ctx.store.clone(),
        swarm: ctx.swarm.clone(),
        prober: Prober::new(edge_url, "localhost", common::edge_port()).unwrap(),
        metrics: metrics.clone(),
    };
    let lease = LeaseSettings {
        holder: holder.to_owned(),
        ttl: LEASE,
    };
    let elector = Elector::new(ctx.store.clone(), lease, ctx.metrics.leader.clone())
        .with(reconcile_task(Arc::clone(ctx), settings))
        .with(rollout::driver_task(
            driver,
            RolloutSettings {
                tick: Duration::from_secs(1),
            },
        ));
    Controller {
        token: token.clone(),
        elector: tokio::spawn(elector.run(token)),
        metrics,
    }
}

impl Controller {
    /// Stops both loops the way a crash would: mid-step, with no cleanup and no lease release.
    async fn kill(self) {
        self.token.cancel();
        self.elector.await.unwrap();
    }

    /// Returns once the driver has completed `passes` more passes as leader.
    async fn passes(&self, passes: u64) {
        let until = self.metrics.passes() + passes;
        common::eventually("the rollout driver's passes", LEASE * 3, || {
            let done = self.metrics.passes() >= until;
            async move { done.then_some(()) }
        })
        .await;
    }
}

fn rollout_spec(image: &str, selector: RolloutSelector) -> RolloutSpec {
    RolloutSpec {
        image: image.to_owned(),
        selector,
        canary: 1,
        batch_size: 1,
        failure_budget: 0,
        health_timeout_seconds: 180,
        start_at: None,
        force_pull: false,
    }
}

fn tenants(names: &[&TenantName]) -> RolloutSelector {
    RolloutSelector {
        tenants: names.iter().map(|n| (*n).clone()).collect(),
        ..RolloutSelector::default()
    }
}

async fn wait_rollout(
    store: &Store,
    id: Uuid,
    what: &str,
    timeout: Duration,
    accept: impl Fn(&Rollout) -> bool,
) -> Rollout {
    common::eventually(what, timeout, || {
        let store = store.clone();
        let accept = &accept;
        async move {
            let rollout = store.get_rollout(id).await.unwrap();
            accept(&rollout).then_some(rollout)
        }
    })
    .await
}

fn item_state(rollout: &Rollout, tenant: &TenantName) -> RolloutItemState {
    rollout
        .items
        .iter()
        .find(|i| &i.tenant == tenant)
        .unwrap_or_else(|| panic!("{tenant} is not in {rollout:?}"))
        .state
}

/// Whether `tenant` is an item of `rollout` in `state` (false while it is not planned yet).
fn is(rollout: &Rollout, tenant: &TenantName, state: RolloutItemState) -> bool {
    rollout
        .items
        .iter()
        .any(|i| &i.tenant == tenant && i.state == state)
}

fn available(t: &Tenant) -> bool {
    t.status.phase == Phase::Running
        && t.status.is_true(ConditionType::Available)
        && t.status.observed_generation == t.metadata.generation
}

async fn wait_tenant(
    store: &Store,
    tenant: &TenantName,
    what: &str,
    accept: impl Fn(&Tenant) -> bool,
) -> Tenant {
    common::eventually(&format!("{tenant}: {what}"), SITE_TIMEOUT, || {
        let store = store.clone();
        let accept = &accept;
        async move {
            let found = store.get_tenant(tenant).await.unwrap();
            accept(&found).then_some(found)
        }
    })
    .await
}

/// The image of the service's spec and of each of its running tasks.
async fn swarm_images(ctx: &Context<Store>, tenant: &TenantName) -> (String, Vec<String>) {
    use bollard::query_parameters::ListTasksOptionsBuilder;
    let service = ctx
        .swarm
        .inspect_service(&tenant.service_name())
        .await
        .unwrap()
        .unwrap();
    let image = service
        .spec
        .and_then(|s| s.task_template)
        .and_then(|t| t.container_spec)
        .and_then(|c| c.image)
        .unwrap();
    let name = tenant.service_name();
    let filters = std::collections::HashMap::from([
        ("service", vec![name.as_str()]),
        ("desired-state", vec!["running"]),
    ]);
    let tasks = ctx
        .swarm
        .docker()
        .list_tasks(Some(
            ListTasksOptionsBuilder::new().filters(&filters).build(),
        ))
        .await
        .unwrap()
        .into_iter()
        .filter(|t| {
            t.status.as_ref().and_then(|s| s.state) == Some(bollard::models::TaskState::RUNNING)
        })
        .filter_map(|t| t.spec?.container_spec?.image)
        .collect();
    (image, tasks)
}

/// Probes the site through Traefik every 100 ms: a static file of WordPress on every tick
/// (served by the task's Apache without PHP: does the edge route every request to a live
/// task?) and the front page with at most [`PROBE_IN_FLIGHT`] requests open (is WordPress
/// itself answering?). The front page is capped because on a loaded 2-core machine ten PHP
/// renders a second overload the site itself, which is not what is measured. Each request
/// runs on its own task so a slow answer does not thin the probing out. Counts the requests
/// sent and the failures (anything but 200, a refused or cut connection included).
struct Probe {
    stop: Arc<AtomicBool>,
    task: JoinHandle<(u64, Vec<String>)>,
}

const PROBE_IN_FLIGHT: usize = 3;

fn start_probe(tenant: &TenantName) -> Probe {
    let stop = Arc::new(AtomicBool::new(false));
    let client = site_client(tenant);
    let url = site_url(tenant);
    let asset = format!("{url}wp-includes/css/dashicons.min.css");
    let flag = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        let mut requests = tokio::task::JoinSet::new();
        let mut pages = tokio::task::JoinSet::new();
        let mut failures = Vec::new();
        let mut sent = 0;
        let mut ticker = tokio::time::interval(Duration::from_millis(100));
        let check = |request: reqwest::RequestBuilder| async move {
            let at = Utc::now();
            match request.send().await {
                Ok(response) if response.status() == reqwest::StatusCode::OK => None,
                Ok(response) => Some(format!("{} at {at}", response.status())),
                Err(error) => Some(format!(
                    "{error} (timeout: {}, connect: {}) at {at}",
                    error.is_timeout(),
                    error.is_connect()
                )),
            }
        };
        while !flag.load(Ordering::SeqCst) {
            ticker.tick().await;
            while let Some(done) = requests.try_join_next() {
                failures.extend(done.unwrap());
            }
            while let Some(done) = pages.try_join_next() {
                failures.extend(done.unwrap());
            }
            sent += 1;
            requests.spawn(check(client.get(&asset)));
            if pages.len() < PROBE_IN_FLIGHT {
                sent += 1;
                pages.spawn(check(client.get(&url)));
            }
        }
        failures.extend(requests.join_all().await.into_iter().flatten());
        failures.extend(pages.join_all().await.into_iter().flatten());
        (sent, failures)
    });
    Probe { stop, task }
}

impl Probe {
    async fn finish(self) -> (u64, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.unwrap()
    }
}

/// Removes a tenant through the controller's own finalizer (no controller runs any more).
async fn finalize(ctx: &Arc<Context<Store>>, tenant: &TenantName) {
    match ctx.store.get_tenant(tenant).await {
        Ok(_) => {
            if let Err(error) = ctx.store.mark_deleted(tenant).await {
                eprintln!("cleanup of {tenant}: cannot mark it deleted: {error}");
                return;
            }
            let record = ctx.store.get_tenant(tenant).await.unwrap();
            if let Err(error) = reconcile(Arc::new(record), Arc::clone(ctx)).await {
                eprintln!("cleanup of {tenant} failed: {error}");
            }
        }
        Err(StoreError::NotFound) => {}
        Err(error) => eprintln!("cleanup of {tenant}: cannot read it: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollouts_update_roll_back_resume_pause_and_abort() {
    let Some(platform) = common::platform().await else {
        return;
    };
    ensure_images();
    let database = common::TestDatabase::create().await.unwrap();
    let store = Store::connect(&database.url()).await.unwrap();
    store.migrate().await.unwrap();
    let ctx = common::context(&platform, store.clone());
    // One suffix, letters after it: the plan orders tenants by name, so `a` is the canary.
    let suffix = common::random_suffix(6);
    let names: Vec<TenantName> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|letter| TenantName::parse(format!("itro{suffix}-{letter}")).unwrap())
        .collect();
    let root = CancellationToken::new();
    let gate = ProbeGate::start().await;
    let first = start_controller(&ctx, "rollout-test-1", &gate.url, &root);

    let (body_ctx, body_names, body_root) = (Arc::clone(&ctx), names.clone(), root.clone());
    common::with_cleanup(
        async move {
            body(body_ctx, body_names, body_root, gate, first).await;
        },
        async {
            root.cancel();
            for name in &names {
                finalize(&ctx, name).await;
                common::remove_tenant_objects(&platform, name).await;
            }
        },
    )
    .await;
    drop(ctx);
    drop(store);
    drop(database);
}

async fn body(
    ctx: Arc<Context<Store>>,
    names: Vec<TenantName>,
    root: CancellationToken,
    gate: ProbeGate,
    first: Controller,
) {
    let store = ctx.store.clone();
    let [a, b, c, d, e] = [&names[0], &names[1], &names[2], &names[3], &names[4]];
    for name in &names {
        let mut tenant_spec = spec(&format!("Rollout {name}"));
        let mut owner = Uuid::new_v4();
        // The probed site has two replicas: start-first must keep one serving throughout
        // (on a plan that allows two).
        if name == a {
            tenant_spec.replicas = 2;
            owner = common::owner_on_plan(&store, "starter").await;
        }
        store
            .create_tenant_with_admin_password(
                owner,
                name,
                BTreeMap::from([("suite".to_owned(), "rollout".to_owned())]),
                tenant_spec,
                "rollout-admin-password",
            )
            .await
            .unwrap();
    }
    for name in &names {
        wait_tenant(&store, name, "Running and Available", available).await;
    }

    // 1. A broken image: the canary is rolled back, the rollout fails, the rest never move.
    let mut broken = rollout_spec(BROKEN, tenants(&[b, c]));
    broken.health_timeout_seconds = 40;
    let c_before = store.get_tenant(c).await.unwrap();
    let created = store.create_rollout(None, &broken, None).await.unwrap();
    let failed = wait_rollout(
        &store,
        created.id,
        "the broken rollout to fail",
        Duration::from_secs(150),
        |r| r.state.is_terminal(),
    )
    .await;
    assert_eq!(failed.state, RolloutState::Failed, "{failed:?}");
    let canary = failed.items.iter().find(|i| &i.tenant == b).unwrap();
    assert_eq!(canary.state, RolloutItemState::RolledBack, "{failed:?}");
    assert_eq!(canary.batch, 0);
    let took = canary.finished_at.unwrap() - canary.started_at.unwrap();
    eprintln!(
        "broken canary rolled back after {took} ({:?})",
        canary.reason
    );
    assert!(took <= chrono::Duration::seconds(40 + 30), "{took}");
    assert_eq!(item_state(&failed, c), RolloutItemState::Skipped);
    let c_after = store.get_tenant(c).await.unwrap();
    assert_eq!(
        c_after.metadata.generation, c_before.metadata.generation,
        "c never changed"
    );
    assert_eq!(swarm_images(&ctx, c).await.0, default_image());
    assert_eq!(
        store.get_tenant(b).await.unwrap().spec.image,
        None,
        "b is back at its image"
    );
    common::eventually("b back at the old image", SITE_TIMEOUT, || {
        let ctx = Arc::clone(&ctx);
        async move {
            let (image, tasks) = swarm_images(&ctx, b).await;
            (image == default_image() && !tasks.is_empty() && tasks.iter().all(|t| *t == image))
                .then_some(())
        }
    })
    .await;
    for name in &names {
        wait_tenant(&store, name, "Available again", available).await;
    }

    // 2. A good image across all five, canary then batches of two, with the controller killed
    //    while batch 1 is updating: the next one resumes, and every tenant changes once. The
    //    gate holds every tenant but the canary at its health probe, so batch 1 is in flight
    //    (its specs written, its items `updating`) for as long as the test needs.
    let generations: Vec<i64> = {
        let mut out = Vec::new();
        for name in &names {
            out.push(store.get_tenant(name).await.unwrap().metadata.generation);
        }
        out
    };
    gate.hold(&[b, c, d, e]);
    let probe = start_probe(a);
    let mut good = rollout_spec(
        GOOD,
        RolloutSelector {
            all: true,
            ..RolloutSelector::default()
        },
    );
    good.batch_size = 2;
    let started = Instant::now();
    let created = store.create_rollout(None, &good, None).await.unwrap();
    wait_rollout(
        &store,
        created.id,
        "the canary to be healthy",
        SITE_TIMEOUT,
        |r| is(r, a, RolloutItemState::Healthy),
    )
    .await;
    // The old task drains for a few seconds after the new one is healthy: the probe goes on
    // through the drain (this sleep bounds what is measured; no state is awaited after it).
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (sent, failures) = probe.finish().await;
    eprintln!(
        "canary {a} (2 replicas) updated after {:?}; probe: {sent} requests, {} failed",
        started.elapsed(),
        failures.len()
    );
    assert!(
        sent > 50,
        "the probe ran through the update ({sent} requests)"
    );
    assert!(
        failures.is_empty(),
        "failed requests during the update: {failures:?}"
    );
    let midway = wait_rollout(
        &store,
        created.id,
        "batch 1 to be updating (held at the probe)",
        SITE_TIMEOUT,
        |r| {
            let batch: Vec<_> = r.items.iter().filter(|i| i.batch == 1).collect();
            !batch.is_empty() && batch.iter().all(|i| i.state == RolloutItemState::Updating)
        },
    )
    .await;
    assert_eq!(
        item_state(&midway, a),
        RolloutItemState::Healthy,
        "canary first"
    );
    for name in [d, e] {
        assert_eq!(item_state(&midway, name), RolloutItemState::Pending);
    }
    first.kill().await;
    let killed = store.get_rollout(created.id).await.unwrap();
    for name in [b, c] {
        assert_eq!(
            item_state(&killed, name),
            RolloutItemState::Updating,
            "{name} was in flight when the controller died"
        );
    }
    gate.release(&[b, c, d, e]);
    let second = start_controller(&ctx, "rollout-test-2", &gate.url, &root);
    let done = wait_rollout(
        &store,
        created.id,
        "the good rollout to complete",
        Duration::from_secs(480),
        |r| r.state.is_terminal(),
    )
    .await;
    eprintln!("good rollout of 5 tenants took {:?}", started.elapsed());
    assert_eq!(done.state, RolloutState::Completed, "{done:?}");
    let batches: Vec<u32> = done.items.iter().map(|i| i.batch).collect();
    assert_eq!(batches, [0, 1, 1, 2, 2]);
    for (name, before) in names.iter().zip(&generations) {
        assert_eq!(
            item_state(&done, name),
            RolloutItemState::Healthy,
            "{done:?}"
        );
        let tenant = store.get_tenant(name).await.unwrap();
        assert_eq!(tenant.spec.image.as_deref(), Some(GOOD));
        assert_eq!(
            tenant.metadata.generation,
            before + 1,
            "{name}: exactly one spec change"
        );
        let (image, tasks) = swarm_images(&ctx, name).await;
        assert_eq!(image, GOOD);
        assert!(
            !tasks.is_empty() && tasks.iter().all(|t| t == GOOD),
            "{tasks:?}"
        );
    }

    // 3. Pause finishes the in-flight tenant and starts none; resume goes on; abort stops,
    //    lets the tenant in flight finish and leaves what was done. The gate holds c, then d,
    //    so each is known to be `updating` when the rollout is paused or aborted.
    gate.hold(&[c]);
    let created = store
        .create_rollout(None, &rollout_spec(GOOD_AGAIN, tenants(&[c, d, e])), None)
        .await
        .unwrap();
    wait_rollout(&store, created.id, "c updating", SITE_TIMEOUT, |r| {
        r.state == RolloutState::Running && is(r, c, RolloutItemState::Updating)
    })
    .await;
    store
        .set_rollout_state(
            created.id,
            &[RolloutState::Running],
            RolloutState::Paused,
            None,
        )
        .await
        .unwrap();
    gate.release(&[c]);
    wait_rollout(
        &store,
        created.id,
        "c healthy while paused",
        SITE_TIMEOUT,
        |r| is(r, c, RolloutItemState::Healthy),
    )
    .await;
    // Passes, not seconds: each would have started d had the pause not held.
    second.passes(3).await;
    let paused = store.get_rollout(created.id).await.unwrap();
    assert_eq!(paused.state, RolloutState::Paused);
    assert_eq!(
        item_state(&paused, d),
        RolloutItemState::Pending,
        "nothing new while paused"
    );
    gate.hold(&[d]);
    store
        .set_rollout_state(
            created.id,
            &[RolloutState::Paused],
            RolloutState::Running,
            None,
        )
        .await
        .unwrap();
    wait_rollout(
        &store,
        created.id,
        "d updating after resume",
        SITE_TIMEOUT,
        |r| is(r, d, RolloutItemState::Updating),
    )
    .await;
    store
        .set_rollout_state(
            created.id,
            &[RolloutState::Running, RolloutState::Paused],
            RolloutState::Aborted,
            Some("aborted by the test"),
        )
        .await
        .unwrap();
    // The untouched tenant is skipped at once; the one in flight still ends somewhere.
    let aborting = wait_rollout(&store, created.id, "e skipped", SITE_TIMEOUT, |r| {
        is(r, e, RolloutItemState::Skipped)
    })
    .await;
    assert_eq!(aborting.state, RolloutState::Aborted);
    assert_eq!(
        item_state(&aborting, d),
        RolloutItemState::Updating,
        "the abort does not cut the tenant in flight short"
    );
    gate.release(&[d]);
    let aborted = wait_rollout(
        &store,
        created.id,
        "d settled after the abort",
        SITE_TIMEOUT,
        |r| !is(r, d, RolloutItemState::Updating),
    )
    .await;
    assert_eq!(aborted.state, RolloutState::Aborted);
    assert_eq!(item_state(&aborted, d), RolloutItemState::Healthy);
    assert_eq!(
        store.get_tenant(e).await.unwrap().spec.image.as_deref(),
        Some(GOOD),
        "e never moved to the aborted rollout's image"
    );
    for name in [c, d] {
        assert_eq!(
            store.get_tenant(name).await.unwrap().spec.image.as_deref(),
            Some(GOOD_AGAIN),
            "what was done stays done"
        );
    }
    second.kill().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_rollout_starts_on_time_and_one_for_a_window_waits_for_it() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let database = common::TestDatabase::create().await.unwrap();
    let store = Store::connect(&database.url()).await.unwrap();
    store.migrate().await.unwrap();
    let ctx = common::context(&platform, store.clone());
    let root = CancellationToken::new();
    let edge = format!("http://127.0.0.1:{}", common::edge_port());
    let controller = start_controller(&ctx, "rollout-schedule-test", &edge, &root);
    // Nobody matches: the rollout starts and completes without touching a site.
    let nobody = TenantName::parse("nobody-at-all").unwrap();

    let start_at = Utc::now() + chrono::Duration::seconds(5);
    let mut scheduled = rollout_spec(GOOD, tenants(&[&nobody]));
    scheduled.start_at = Some(start_at);
    let timed = store.create_rollout(None, &scheduled, None).await.unwrap();

    let window_start = Utc::now() + chrono::Duration::seconds(4);
    // A rollout with neither a start time nor a window is due at once, so one meant for a
    // window is created with a later start time; the window's start then starts it earlier.
    let mut for_window = rollout_spec(GOOD, tenants(&[&nobody]));
    for_window.start_at = Some(window_start + chrono::Duration::hours(1));
    let windowed = store.create_rollout(None, &for_window, None).await.unwrap();
    store
        .create_maintenance_window(&MaintenanceWindowInput {
            start: window_start,
            end: window_start + chrono::Duration::minutes(10),
            message: "rollout test".to_owned(),
            rollout_id: Some(windowed.id),
            blocking: false,
        })
        .await
        .unwrap();

    for (id, due) in [(timed.id, start_at), (windowed.id, window_start)] {
        let started = wait_rollout(
            &store,
            id,
            "the rollout to start",
            Duration::from_secs(30),
            |r| r.started_at.is_some(),
        )
        .await;
        let at = started.started_at.unwrap();
        eprintln!("due {due}, started {at}");
        assert!(at >= due, "started early: {at} < {due}");
        assert!(
            at - due <= chrono::Duration::seconds(2),
            "started late: {at} vs {due}"
        );
        let done = wait_rollout(
            &store,
            id,
            "the rollout to complete",
            Duration::from_secs(30),
            |r| r.state.is_terminal(),
        )
        .await;
        assert_eq!(done.state, RolloutState::Completed, "{done:?}");
        assert!(done.items.is_empty());
    }
    controller.kill().await;
    drop(ctx);
    drop(store);
    drop(database);
}
