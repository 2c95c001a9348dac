//! MariaDB stopped for 30 s under a running controller: reconciles fail, back off per tenant
//! instead of spinning, say in the tenant's status why, and everything converges once the
//! server is back — at once, not after each tenant's grown backoff.
//!
//! The platform's own MariaDB serves every other test, so this one starts a scratch server
//! from the platform's MariaDB image: a plain container on the (attachable) data network,
//! so tenant tasks reach it by its name, with its port published on the loopback for the
//! controller. It is removed whatever happens.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::hooked_store::HookedStore;
use common::memory_store::spec;
use common::site::{finalize_leftovers, run_settings, site_client, wait_page, wait_status};
use sea_orm::{ConnectOptions, Database};
use swarmpress_controller::TenantDatabases;
use swarmpress_controller::adapters::swarm::DATA_NETWORK;
use swarmpress_controller::runtime::runner::run;
use swarmpress_schema::resource::{ConditionType, Phase, Tenant, TenantState};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const OUTAGE: Duration = Duration::from_secs(30);

fn docker_cli() -> &'static str {
    // Debian's engine client where present, as the scripts use.
    if std::path::Path::new("/usr/bin/docker").exists() {
        "/usr/bin/docker"
    } else {
        "docker"
    }
}

fn docker(args: &[&str]) -> Result<String, String> {
    let output = Command::new(docker_cli())
        .args(args)
        .output()
        .map_err(|e| format!("docker {args:?}: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(format!(
            "docker {args:?}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// A throwaway MariaDB container, removed (with its data) on drop.
struct ScratchMariaDb {
    name: String,
    port: u16,
    password: String,
    dir: PathBuf,
}

impl ScratchMariaDb {
    async fn start(image: &str) -> Self {
        let suffix = common::random_suffix(8);
        let name = format!("sp-scratchdb-{suffix}");
        let password = common::random_suffix(24);
        let dir = std::env::temp_dir().join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("root_password"), &password).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let scratch = Self {
            name,
            port,
            password,
            dir,
        };
        let publish = format!("127.0.0.1:{port}:3306");
        let mount = format!("{}:/run/scratch:ro", scratch.dir.display());
        docker(&[
            "run",
            "-d",
            "--name",
            &scratch.name,
            "--label",
            "swarmpress.test=database-outage",
            "--network",
            DATA_NETWORK,
            "-p",
            &publish,
            "-e",
            "MARIADB_ROOT_PASSWORD_FILE=/run/scratch/root_password",
            // The test reaches root through the published port (the platform's own server
            // allows root only from its ops network).
            "-e",
            "SWARMPRESS_ROOT_HOST=%",
            "-v",
            &mount,
            image,
        ])
        .unwrap();
        scratch
    }

    fn admin_url(&self) -> String {
        format!(
            "mysql://root:{}@127.0.0.1:{}/",
            common::percent_encode(&self.password),
            self.port
        )
    }

    /// The controller's adapter on this server. Its pool gives up on a connection after a
    /// second and a statement after two (the controller's own wait ten), so the queue's
    /// backoff, not the adapter's patience, paces the retries this test watches.
    async fn databases(&self) -> Result<TenantDatabases, String> {
        let mut options = ConnectOptions::new(self.admin_url());
        options
            .max_connections(4)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(1))
            .acquire_timeout(Duration::from_secs(1))
            .sqlx_logging(false);
        let connection = Database::connect(options)
            .await
            .map_err(|e| e.to_string())?;
        let databases =
            TenantDatabases::new(connection).with_statement_timeout(Duration::from_secs(2));
        let probe = common::unique_tenant("probe");
        databases
            .user_exists(&probe)
            .await
            .map_err(|e| e.to_string())?;
        Ok(databases)
    }
}

impl Drop for ScratchMariaDb {
    fn drop(&mut self) {
        if let Err(error) = docker(&["rm", "-f", "-v", &self.name]) {
            eprintln!("could not remove the scratch MariaDB: {error}");
        }
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

fn has_unreachable_message(t: &Tenant) -> bool {
    t.status
        .message
        .as_deref()
        .is_some_and(|m| m.starts_with("database server unreachable"))
        && !t.status.is_true(ConditionType::DatabaseReady)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciles_back_off_while_mariadb_is_down_and_converge_when_it_returns() {
    let Some(platform) = common::platform().await else {
        return;
    };
    // The platform's own MariaDB image, whatever its tag.
    let image = platform
        .swarm
        .inspect_service("swarmpress_mariadb")
        .await
        .unwrap()
        .and_then(|s| s.spec)
        .and_then(|s| s.task_template)
        .and_then(|t| t.container_spec)
        .and_then(|c| c.image)
        .expect("the platform's mariadb service names its image");
    let scratch = ScratchMariaDb::start(&image).await;
    let databases = common::eventually(
        "the scratch MariaDB to accept connections",
        Duration::from_secs(120),
        || {
            let connecting = scratch.databases();
            async move { connecting.await.ok() }
        },
    )
    .await;

    let mut on_scratch = platform.clone();
    on_scratch.databases = databases;
    let store = HookedStore::default();
    let host = scratch.name.clone();
    let ctx = common::context_with(&on_scratch, store.clone(), |settings| {
        settings.db_host_for_tenants = host;
    });
    let running = common::unique_tenant("itout");
    let stopped = common::unique_tenant("itouts");
    let shutdown = CancellationToken::new();
    // The periodic resync brings every tenant forward; kept out of the outage so what paces
    // the retries is the backoff alone.
    let controller = tokio::spawn(run(
        Arc::clone(&ctx),
        run_settings("outage", Duration::from_secs(10), Duration::from_secs(300)),
        shutdown.clone(),
    ));

    let body_ctx = Arc::clone(&ctx);
    let body_store = store.clone();
    let (body_running, body_stopped) = (running.clone(), stopped.clone());
    let container = scratch.name.clone();
    common::with_cleanup(
        async move {
            let (ctx, store) = (body_ctx, body_store);
            let (running, stopped) = (body_running, body_stopped);
            let memory = &store.inner;
            memory.create(&running, spec("Outage Site"), "admin-password-1");
            let mut stopped_spec = spec("Stopped Outage Site");
            stopped_spec.state = TenantState::Stopped;
            memory.create(&stopped, stopped_spec, "admin-password-2");
            wait_status(memory, &running, "Running and Available", |t| {
                t.status.phase == Phase::Running && t.status.is_true(ConditionType::Available)
            })
            .await;
            wait_status(memory, &stopped, "Stopped", |t| {
                t.status.phase == Phase::Stopped
            })
            .await;
            let client = site_client(&running);
            wait_page(&client, &running, "/", "Outage Site").await;

            // Stop the server. The converged tenants are next reconciled by their requeue,
            // which now fails: both say why, and the stopped one (no task events) retries only
            // as its backoff allows.
            let failed_before = ctx
                .metrics
                .reconciles
                .with_label_values(&["database"])
                .get();
            docker(&["stop", "-t", "5", &container]).unwrap();
            let down = Instant::now();
            // As the periodic resync would: a bulk view listed before the stop would otherwise
            // let the next reconcile (within the view's ten seconds) skip MariaDB altogether.
            ctx.invalidate_views();
            for tenant in [&running, &stopped] {
                store.inner.update_spec(tenant, |spec| {
                    spec.env.insert("OUTAGE".to_owned(), "1".to_owned());
                });
            }
            for tenant in [&running, &stopped] {
                let seen = common::eventually(
                    "the status to say the database is unreachable",
                    OUTAGE,
                    || {
                        let found = memory.get(tenant).filter(has_unreachable_message);
                        async move { found }
                    },
                )
                .await;
                eprintln!(
                    "{tenant} after {:?}: {:?}",
                    down.elapsed(),
                    seen.status.message
                );
            }
            tokio::time::sleep(OUTAGE.saturating_sub(down.elapsed())).await;
            let attempts: Vec<Duration> = store
                .reads_of(&stopped)
                .into_iter()
                .filter(|at| *at >= down)
                .map(|at| at - down)
                .collect();
            docker(&["start", &container]).unwrap();
            let up = Instant::now();
            let failed = ctx
                .metrics
                .reconciles
                .with_label_values(&["database"])
                .get()
                - failed_before;
            eprintln!("{failed} failed reconciles; attempts on {stopped}: {attempts:?}");
            assert!(failed >= 2, "reconciles kept trying: {failed}");
            // Without backoff a one-second failure would be retried ~30 times in 30 s; with
            // backoff from 0.8 s doubling (and jitter up to as much again) it is a handful.
            assert!(
                (3..=9).contains(&attempts.len()),
                "attempts on the stopped tenant: {attempts:?}"
            );
            let gaps: Vec<Duration> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
            let (first, last) = (gaps[0], gaps[gaps.len() - 1]);
            assert!(
                last >= first * 3 && last >= Duration::from_secs(4),
                "retries grow further apart: gaps {gaps:?}"
            );

            // Back: everything converges at the generation written during the outage. The
            // stopped tenant first: it has no task to restart, so its time is the controller's.
            for tenant in [&stopped, &running] {
                let converged = wait_status(memory, tenant, "converged after the outage", |t| {
                    t.status.observed_generation == t.metadata.generation
                        && t.status.is_true(ConditionType::DatabaseReady)
                        && t.status.message.is_none()
                        && match t.spec.state {
                            TenantState::Running => {
                                t.status.phase == Phase::Running
                                    && t.status.is_true(ConditionType::Available)
                            }
                            TenantState::Stopped => t.status.phase == Phase::Stopped,
                        }
                })
                .await;
                eprintln!(
                    "{tenant} converged {:?} after the server returned",
                    up.elapsed()
                );
                assert!(converged.status.is_true(ConditionType::DatabaseReady));
            }
            // The stopped tenant's backoff had grown past ten seconds by then: what brought it
            // back is the probe seeing the server answer again, not its next retry.
            assert!(
                ctx.metrics.database_recoveries.get() >= 1,
                "the server's return was noticed and the held-back tenants retried at once"
            );
            wait_page(&client, &running, "/", "Outage Site").await;
            eprintln!("site served {:?} after the server returned", up.elapsed());
        },
        async {
            shutdown.cancel();
            controller.await.unwrap();
            // The finalizer needs the server, whatever state the test left it in.
            docker(&["start", &scratch.name]).ok();
            for tenant in [&running, &stopped] {
                finalize_leftovers(Arc::clone(&ctx), &store.inner, tenant).await;
            }
        },
    )
    .await;
    drop(scratch);
}
