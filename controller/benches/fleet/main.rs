//! `scripts/bench`'s in-process controller benchmarks: the controller's own loop runs in this
//! process against the real MariaDB, S3 and Swarm, so its CPU and Docker requests can be
//! measured apart from everything else on the platform.
//!
//! - `resync`: CPU time and Docker requests of a no-op resync over 500 tenants;
//! - `rollout`: a fleet rollout of 10 running tenants in batches of 3, and failed requests.
//!
//! A release build (`cargo bench` uses the bench profile): a debug build would inflate the
//! CPU figures several times. Entries are merged into `target/bench/report.json` (or
//! `$SWARMPRESS_BENCH_REPORT`); `SWARMPRESS_BENCH_ONLY=resync,…` runs a subset.

mod resync;
mod rollout;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use swarmpress_controller::TenantDatabases;
use swarmpress_controller::adapters::s3::{S3Config, TenantBuckets};
use swarmpress_controller::adapters::s3_identity::TenantIdentities;
use swarmpress_controller::adapters::swarm::{DATA_NETWORK, EDGE_NETWORK, SwarmClient};
use swarmpress_controller::reconcile::Settings;
use swarmpress_testkit::report::{ReportError, report_path, selected, write_entries};

/// The controller binary's allocator: the resync benchmark measures this process's CPU, which
/// depends on the allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_IMAGE: &str = "swarmpress/wordpress:latest";

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },
    #[error("{0}")]
    Setup(String),
}

pub fn setup(message: impl Into<String>) -> BenchError {
    BenchError::Setup(message.into())
}

/// The running platform, through the controller's own adapters.
#[derive(Clone)]
pub struct Platform {
    pub databases: TenantDatabases,
    pub swarm: SwarmClient,
    pub buckets: TenantBuckets,
    pub identities: TenantIdentities,
    /// Traefik's `web` entrypoint on the host; tenants' public URLs use its port.
    pub edge_addr: SocketAddr,
    pub image: String,
}

impl Platform {
    /// Probes sites through the platform's edge, as the deployed controller does.
    pub fn prober(&self) -> Result<swarmpress_controller::rollout::Prober, BenchError> {
        swarmpress_controller::rollout::Prober::new(
            &format!("http://{}", self.edge_addr),
            "localhost",
            self.edge_addr.port(),
        )
        .map_err(|e| setup(e.to_string()))
    }

    async fn connect() -> Result<Self, BenchError> {
        let admin_url = swarmpress_testkit::mariadb_root_url().map_err(setup)?;
        let databases = TenantDatabases::connect(&admin_url)
            .await
            .map_err(|e| setup(e.to_string()))?;
        let swarm = SwarmClient::connect_local()
            .await
            .map_err(|e| setup(e.to_string()))?;
        let edge_addr = format!("127.0.0.1:{}", swarmpress_testkit::edge_port())
            .parse()
            .map_err(|e| setup(format!("edge address: {e}")))?;
        let s3 = S3Config {
            endpoint: swarmpress_testkit::s3_endpoint(),
            region: "us-east-1".to_owned(),
            access_key: secret_value("S3_ACCESS_KEY")?,
            secret_key: secret_value("S3_SECRET_KEY")?.into(),
        };
        let buckets = TenantBuckets::new(s3.clone());
        let identities = TenantIdentities::new(s3).map_err(|e| setup(e.to_string()))?;
        Ok(Self {
            databases,
            swarm,
            buckets,
            identities,
            edge_addr,
            image: std::env::var("SWARMPRESS_WORDPRESS_IMAGE")
                .unwrap_or_else(|_| DEFAULT_IMAGE.to_owned()),
        })
    }
}

impl Platform {
    /// The deployed controller's settings, with the reconciler's periodic resync at `resync`.
    pub fn settings(&self, resync: Duration) -> Settings {
        Settings {
            base_domain: "localhost".to_owned(),
            edge_port: self.edge_addr.port(),
            db_host_for_tenants: "mariadb".to_owned(),
            s3_endpoint_for_tenants: "http://s3:8333".to_owned(),
            default_image: self.image.clone(),
            network_edge: EDGE_NETWORK.to_owned(),
            network_data: DATA_NETWORK.to_owned(),
            resync,
            converging_requeue: Duration::from_secs(2),
            service_gone_timeout: Duration::from_secs(60),
        }
    }
}

/// A value of the state directory's `secrets.env` (shell `KEY=value`).
pub fn secret_value(key: &str) -> Result<String, BenchError> {
    swarmpress_testkit::secrets_env_value(key).map_err(setup)
}

/// A whole number from the environment, or `default`.
pub fn env_count(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench failed: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), BenchError> {
    if !selected("resync") && !selected("rollout") {
        return Ok(());
    }
    let platform = Platform::connect().await?;
    let path = report_path();
    // Each benchmark's entry is written as soon as it finishes, so a later failure keeps the
    // earlier figure.
    if selected("resync") {
        write_entries(&path, vec![resync::run(&platform).await?])?;
    }
    if selected("rollout") {
        write_entries(&path, vec![rollout::run(&platform).await?])?;
    }
    println!("report written to {}", path.display());
    Ok(())
}
