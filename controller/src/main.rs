//! `swarmpress-controller`: migrates the store, serves `/metrics` and `/healthz`, and runs
//! the leader-only tasks (reconciler, orphan collection, rollouts, stats) while it holds the
//! controller lease.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use secrecy::ExposeSecret as _;
use swarmpress_controller::TenantDatabases;
use swarmpress_controller::adapters::s3::TenantBuckets;
use swarmpress_controller::adapters::s3_identity::TenantIdentities;
use swarmpress_controller::adapters::swarm::{DATA_NETWORK, EDGE_NETWORK, SwarmClient};
use swarmpress_controller::config::Config;
use swarmpress_controller::edge::{self, StoredRoutes};
use swarmpress_controller::orphans::{self, OrphanScope, OrphanSettings};
use swarmpress_controller::reconcile::{Context, Settings};
use swarmpress_controller::rollout::{self, RolloutSettings};
use swarmpress_controller::runtime::cpu_weight;
use swarmpress_controller::runtime::leader::{Elector, LeaseSettings};
use swarmpress_controller::runtime::runner::{RunSettings, reconcile_task};
use swarmpress_controller::telemetry::http;
use swarmpress_controller::telemetry::metrics::Metrics;
use swarmpress_controller::telemetry::stats::{Collector, HostFiles, StatsState};
use swarmpress_controller::usage::Meter;
use swarmpress_controller::views::readiness::Readiness;
use swarmpress_controller::views::snapshot::Observer;
use swarmpress_controller::{actions, billing};
use swarmpress_schema::error_chain::ErrorChain;
use swarmpress_schema::store::Store;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than glibc's malloc: a resync lists and drops thousands of small objects,
/// and glibc's free lists were a third of its CPU (`scripts/bench`, no-op resync profile).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match start().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn start() -> Result<(), String> {
    let config = Config::load().map_err(|e| format!("configuration: {}", ErrorChain(&e)))?;
    tracing::info!(?config, "starting");
    let metrics = Metrics::new().map_err(|e| ErrorChain(&e).to_string())?;
    let (ctx, collector) = connect(&config, &metrics).await?;

    let shutdown = CancellationToken::new();
    let (listener, addr) = http::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {}", config.listen, ErrorChain(&e)))?;
    tracing::info!(%addr, "serving /metrics, /healthz and the edge's routes");
    let routes = StoredRoutes::new(ctx.store.clone());
    let server = tokio::spawn(http::serve(
        listener,
        metrics,
        Some(routes),
        shutdown.clone(),
    ));
    let leader = tokio::spawn(elector(ctx, &config, collector)?.run(shutdown.clone()));

    wait_for_signal().await;
    tracing::info!("stopping");
    shutdown.cancel();
    leader
        .await
        .map_err(|e| format!("leader tasks: {}", ErrorChain(&e)))?;
    server
        .await
        .map_err(|e| format!("HTTP server: {}", ErrorChain(&e)))?
        .map_err(|e| format!("HTTP server: {}", ErrorChain(&e)))
}

/// How long a starting controller waits for its database before it gives up.
const DATABASE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// The store (migrated), MariaDB, Swarm and S3 as the reconciler's context, and the stats
/// collector over the same engine and database, both registered on `metrics`.
async fn connect(
    config: &Config,
    metrics: &Metrics,
) -> Result<(Arc<Context<Store>>, Collector), String> {
    // Patient: the controller may start beside a MariaDB task that is being replaced.
    let store = Store::connect_patiently(config.store_url.expose_secret(), DATABASE_PATIENCE)
        .await
        .map_err(|e| format!("store: {}", ErrorChain(&e)))?;
    store
        .migrate()
        .await
        .map_err(|e| format!("migrations: {}", ErrorChain(&e)))?;
    let databases = TenantDatabases::connect(config.mariadb_admin_url.expose_secret())
        .await
        .map_err(|e| ErrorChain(&e).to_string())?;
    let swarm = SwarmClient::connect_local()
        .await
        .map_err(|e| format!("Docker: {}", ErrorChain(&e)))?;
    // What each resync costs the engine is visible on /metrics.
    let swarm = swarm
        .counting_requests(metrics.registry())
        .map_err(|e| format!("Docker request metric: {}", ErrorChain(&e)))?;
    let collector = Collector {
        docker: swarm.docker().clone(),
        host: HostFiles::new(&config.host_root),
        state: StatsState::default(),
    };
    collector
        .register(metrics.registry())
        .map_err(|e| format!("per-tenant metrics: {}", ErrorChain(&e)))?;
    let ctx = Arc::new(Context {
        store,
        databases,
        buckets: TenantBuckets::new(config.s3.clone()),
        identities: TenantIdentities::new(config.s3.clone())
            .map_err(|e| format!("S3 identities: {}", ErrorChain(&e)))?,
        observer: Observer::new(swarm.clone(), Duration::from_secs(1), EDGE_NETWORK),
        readiness: Readiness::new(edge_prober(config)?),
        swarm,
        metrics: metrics.clone(),
        admission: swarmpress_controller::reconcile::admission::Admission::new(config.max_starting),
        desired: Default::default(),
        database_recovery: Default::default(),
        settings: Settings {
            base_domain: config.base_domain.clone(),
            edge_port: config.edge_port,
            db_host_for_tenants: config.db_host_for_tenants.clone(),
            s3_endpoint_for_tenants: config.s3_endpoint_for_tenants.clone(),
            default_image: config.default_image.clone(),
            network_edge: EDGE_NETWORK.to_owned(),
            network_data: DATA_NETWORK.to_owned(),
            resync: Duration::from_secs(30),
            converging_requeue: Duration::from_secs(2),
            service_gone_timeout: Duration::from_secs(60),
        },
    });
    Ok((ctx, collector))
}

/// Every leader-only task under one lease: they start together when this instance takes it
/// and stop together the moment it is lost.
fn elector(
    ctx: Arc<Context<Store>>,
    config: &Config,
    collector: Collector,
) -> Result<Elector<Store>, String> {
    let holder = format!(
        "{}-{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "controller".to_owned()),
        std::process::id()
    );
    let settings = RunSettings {
        holder: holder.clone(),
        lease_ttl: Duration::from_secs(10),
        workers: config.workers,
        // A new site waits for this poll before anything is made for it; one indexed query
        // ten times a second costs the store next to nothing.
        feed_poll: Duration::from_millis(100),
        resync: Duration::from_secs(30),
    };
    let lease = LeaseSettings {
        holder,
        ttl: settings.lease_ttl,
    };
    let orphans = OrphanSettings {
        every: settings.resync,
        grace: config.orphan_grace,
        scope: OrphanScope::All,
    };
    let rollouts = rollout::driver_task(
        rollout_driver(&ctx, config)?,
        RolloutSettings {
            tick: Duration::from_secs(1),
        },
    );
    let ctx_store = ctx.store.clone();
    let ctx_swarm = ctx.swarm.clone();
    let meter = Meter::new(
        ctx.store.clone(),
        ctx.swarm.docker().clone(),
        ctx.databases.clone(),
        ctx.buckets.clone(),
        Some(collector.state.clone()),
        config.edge_metrics.clone(),
    )
    .map_err(|e| format!("usage meter: {}", ErrorChain(&e)))?;
    Ok(
        Elector::new(ctx.store.clone(), lease, ctx.metrics.leader.clone())
            .with(reconcile_task(Arc::clone(&ctx), settings))
            .with(orphans::collection_task(Arc::clone(&ctx), orphans))
            .with(edge::publisher_task(Arc::clone(&ctx)))
            .with(cpu_weight::cpu_weight_task(ctx, config.startup_boost))
            .with(rollouts)
            .with(actions::actions_task(
                ctx_store.clone(),
                ctx_swarm,
                Some(meter.clone()),
            ))
            .with(meter.task(config.usage_every))
            .with(billing::invoicing_task(
                ctx_store,
                billing::INVOICING_EVERY,
                Utc::now,
            ))
            .with(collector.task()),
    )
}

/// Probes sites through Traefik at the configured `edge_probe_url` (the stack's `traefik`
/// service by default): the reconciler's readiness and the rollout driver's health.
fn edge_prober(config: &Config) -> Result<rollout::Prober, String> {
    rollout::Prober::new(
        &config.edge_probe_url,
        &config.base_domain,
        config.edge_port,
    )
    .map_err(|e| format!("edge probe client: {}", ErrorChain(&e)))
}

/// The rollout driver over the reconciler's store and Swarm client. It probes sites through
/// Traefik at the configured `edge_probe_url` (the stack's `traefik` service by default).
fn rollout_driver(ctx: &Context<Store>, config: &Config) -> Result<rollout::Driver<Store>, String> {
    Ok(rollout::Driver {
        store: ctx.store.clone(),
        swarm: ctx.swarm.clone(),
        prober: edge_prober(config)?,
        metrics: rollout::RolloutMetrics::register(ctx.metrics.registry())
            .map_err(|e| format!("rollout metrics: {}", ErrorChain(&e)))?,
    })
}

/// SIGTERM (what `docker service` sends) or Ctrl-C.
async fn wait_for_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = terminate => {}
        result = tokio::signal::ctrl_c() => {
            if let Err(error) = result {
                tracing::warn!(%error, "cannot listen for Ctrl-C");
            }
        }
    }
}
