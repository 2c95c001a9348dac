//! The controller binary as it is deployed: configured only through its environment, with
//! the platform's least-privilege accounts (`swarmpress` for the control-plane database,
//! `swarmpress_controller` for tenant databases), it creates and deletes a tenant.
//!
//! Ignored by default: it runs against the platform's real control-plane database
//! `swarmpress` (the `swarmpress` account may use no other), which it migrates, and it would
//! compete for the lease with a deployed controller. Run it on purpose:
//! `cargo test -p swarmpress-controller --test binary -- --ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::memory_store::spec;
use swarmpress_controller::reconcile::reconcile;
use swarmpress_schema::resource::{ConditionType, Phase};
use swarmpress_schema::store::{Store, StoreError};

/// Stops the controller on drop: SIGTERM (what Swarm sends) and, if it does not exit in time,
/// SIGKILL; then prints its log.
struct Controller {
    child: Child,
    log: std::path::PathBuf,
}

impl Controller {
    fn stop(&mut self) -> Option<std::process::ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        if sent.is_ok_and(|s| s.success()) {
            for _ in 0..100 {
                if let Ok(Some(status)) = self.child.try_wait() {
                    return Some(status);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        eprintln!("the controller did not stop on SIGTERM; killing it");
        self.child.kill().ok();
        self.child.wait().ok()
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.stop();
        match std::fs::read_to_string(&self.log) {
            Ok(log) => eprintln!("--- controller log ---\n{log}--- end ---"),
            Err(error) => eprintln!("cannot read the controller log: {error}"),
        }
        std::fs::remove_file(&self.log).ok();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "uses the platform's real control-plane database; run with --ignored"]
async fn the_binary_creates_and_deletes_a_tenant_with_least_privilege_accounts() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let secrets = common::state_dir().join("secrets");
    let secret = |name: &str| secrets.join(name).display().to_string();
    let db_password = std::fs::read_to_string(secrets.join("db_password")).unwrap();
    let store = Store::connect(&format!(
        "mysql://swarmpress:{}@{}/swarmpress",
        common::percent_encode(db_password.trim_end()),
        swarmpress_testkit::mariadb_addr()
    ))
    .await
    .unwrap();
    store.migrate().await.unwrap();

    let mariadb = swarmpress_testkit::mariadb_addr();
    let (mariadb_host, mariadb_port) = mariadb.rsplit_once(':').unwrap();
    let port = free_port();
    let log = std::env::temp_dir().join(format!("swarmpress-controller-{port}.log"));
    let log_file = std::fs::File::create(&log).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_swarmpress-controller"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("HOSTNAME", "binary-test")
        .env("SWARMPRESS_DATABASE_HOST", mariadb_host)
        .env("SWARMPRESS_DATABASE_PORT", mariadb_port)
        .env("SWARMPRESS_DATABASE_USER", "swarmpress")
        .env("SWARMPRESS_DATABASE_PASSWORD_FILE", secret("db_password"))
        .env("SWARMPRESS_MARIADB_ADMIN_USER", "swarmpress_controller")
        .env(
            "SWARMPRESS_MARIADB_ADMIN_PASSWORD_FILE",
            secret("controller_db_password"),
        )
        .env("SWARMPRESS_S3_ENDPOINT", swarmpress_testkit::s3_endpoint())
        .env("SWARMPRESS_S3_ACCESS_KEY_FILE", secret("s3_access_key"))
        .env("SWARMPRESS_S3_SECRET_KEY_FILE", secret("s3_secret_key"))
        .env("SWARMPRESS_EDGE_PORT", common::edge_port().to_string())
        .env("SWARMPRESS_CONTROLLER_LISTEN", format!("127.0.0.1:{port}"))
        // Other tests' tenants share the platform but not this database: to this controller
        // they look orphaned. A day's grace keeps its collector from touching them.
        .env("SWARMPRESS_ORPHAN_GRACE_SECONDS", "86400")
        .stdout(Stdio::from(log_file.try_clone().unwrap()))
        .stderr(Stdio::from(log_file))
        .spawn()
        .unwrap();
    let mut controller = Controller { child, log };

    let metrics_url = format!("http://127.0.0.1:{port}/metrics");
    common::eventually(
        "the binary to take the lease",
        Duration::from_secs(30),
        || {
            let request = reqwest::get(metrics_url.clone());
            async move {
                let text = request.await.ok()?.text().await.ok()?;
                text.lines()
                    .any(|line| line == "swarmpress_leader 1")
                    .then_some(())
            }
        },
    )
    .await;

    let tenant = common::unique_tenant("itbin");
    store
        .create_tenant_with_admin_password(
            uuid::Uuid::new_v4(),
            &tenant,
            BTreeMap::new(),
            spec("Binary Site"),
            "admin-password-1",
        )
        .await
        .unwrap();
    let outcome = tokio::spawn({
        let store = store.clone();
        let tenant = tenant.clone();
        let platform = platform.clone();
        async move {
            common::eventually("Running and Available", Duration::from_secs(240), || {
                let store = store.clone();
                let tenant = tenant.clone();
                async move {
                    let t = store.get_tenant(&tenant).await.unwrap();
                    (t.status.phase == Phase::Running
                        && t.status.is_true(ConditionType::Available)
                        && t.status.observed_generation == t.metadata.generation)
                        .then_some(())
                }
            })
            .await;
            store.mark_deleted(&tenant).await.unwrap();
            common::eventually("the record to be removed", Duration::from_secs(240), || {
                let store = store.clone();
                let tenant = tenant.clone();
                async move {
                    matches!(store.get_tenant(&tenant).await, Err(StoreError::NotFound))
                        .then_some(())
                }
            })
            .await;
            assert_eq!(
                common::leftovers(&platform, &tenant).await,
                Vec::<&str>::new()
            );
        }
    })
    .await;

    let status = controller.stop();
    drop(controller);
    if outcome.is_err() {
        // Finalize what the binary left, with the platform's root accounts.
        let ctx = common::context(&platform, store.clone());
        if let Ok(record) = store.get_tenant(&tenant).await {
            if record.metadata.deletion_timestamp.is_none() {
                store.mark_deleted(&tenant).await.ok();
            }
            if let Ok(record) = store.get_tenant(&tenant).await
                && let Err(error) = reconcile(Arc::new(record), Arc::clone(&ctx)).await
            {
                eprintln!("cleanup of {tenant} failed: {error}");
            }
        }
        common::remove_tenant_objects(&platform, &tenant).await;
    }
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("test body did not finish: {error}"),
        }
    }
    assert!(
        status.is_some_and(|s| s.success()),
        "the controller exits cleanly on SIGTERM: {status:?}"
    );
}
