//! Tenant containers run at a CPU weight below the platform's services: a container already
//! running when a term starts is weighted by its sweep, one started during the term by its
//! start event — each by its CPU limit, on the real engine. Others' containers are left alone.
//! A starting site's container has its CPU limit lifted to the node's cores for the boost's
//! window, then put back to its task's. The term weighs containers of a label of the test's
//! own: the platform's controller weighs every tenant's, and would otherwise do the test's
//! work for it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bollard::query_parameters::InspectContainerOptions;
use common::memory_store::MemoryStore;
use common::{eventually, platform, unique_tenant};
use swarmpress_controller::runtime::cpu_weight::{
    STARTUP_BOOST, cpu_weight_task_for, planned_nano_cpus, shares_for,
};
use tokio_util::sync::CancellationToken;

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn shares(id: &str) -> i64 {
    docker(&["inspect", "-f", "{{.HostConfig.CpuShares}}", id])
        .parse()
        .unwrap()
}

fn run_container(label: Option<&str>, cpus: &str) -> String {
    let mut args = vec!["run", "-d", "--rm", "--cpus", cpus];
    if let Some(label) = label {
        args.extend(["--label", label]);
    }
    args.extend(["debian:bookworm-slim", "sleep", "600"]);
    docker(&args)
}

fn nano_cpus(id: &str) -> i64 {
    docker(&["inspect", "-f", "{{.HostConfig.NanoCpus}}", id])
        .parse()
        .unwrap()
}

async fn limited(id: &str, want: i64, what: &str) {
    let id = id.to_owned();
    eventually(what, Duration::from_secs(30), || {
        let id = id.clone();
        async move { (nano_cpus(&id) == want).then_some(()) }
    })
    .await;
}

async fn weighted(id: &str, want: i64) {
    let id = id.to_owned();
    eventually("the container's weight", Duration::from_secs(20), || {
        let id = id.clone();
        async move { (shares(&id) == want).then_some(()) }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_containers_are_weighted_by_their_limit_and_others_are_not() {
    let Some(platform) = platform().await else {
        return;
    };
    let ctx = common::context(&platform, MemoryStore::default());
    let key: &'static str =
        Box::leak(format!("swarmpress.test-{}", unique_tenant("itcpu")).into_boxed_str());
    let label = format!("{key}=yes");
    let before = run_container(Some(&label), "0.5");
    let outsider = run_container(None, "0.5");
    let term = CancellationToken::new();
    let running = tokio::spawn(
        cpu_weight_task_for(Arc::clone(&ctx), key, STARTUP_BOOST).run_term(term.clone()),
    );
    let (body_before, body_outsider) = (before.clone(), outsider.clone());
    let started = Arc::new(std::sync::Mutex::new(None::<String>));
    let body_started = Arc::clone(&started);
    common::with_cleanup(
        async move {
            weighted(&body_before, shares_for(Some(500_000_000))).await;
            assert_eq!(shares_for(Some(500_000_000)), 128);
            let during = run_container(Some(&label), "2");
            *body_started.lock().unwrap() = Some(during.clone());
            weighted(&during, shares_for(Some(2_000_000_000))).await;
            assert_eq!(shares(&during), 512);
            // No swarm task made these: nothing says what to put back, so no boost.
            assert_eq!(nano_cpus(&body_before), 500_000_000);
            // Both tenants' containers are weighted: the outsider, long since listed and
            // started before the second, has the engine's default still.
            assert_eq!(
                shares(&body_outsider),
                0,
                "a container not a tenant's is untouched"
            );
        },
        async {
            term.cancel();
            running.await.unwrap();
            let mut ids = vec![before.clone(), outsider.clone()];
            ids.extend(started.lock().unwrap().clone());
            for id in ids {
                let _ = Command::new("docker").args(["rm", "-f", &id]).output();
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_starting_site_runs_boosted_for_its_window_then_at_its_plans_limit() {
    let Some(platform) = platform().await else {
        return;
    };
    let ctx = common::context(&platform, MemoryStore::default());
    let key: &'static str =
        Box::leak(format!("swarmpress.test-{}", unique_tenant("itboost")).into_boxed_str());
    let service = unique_tenant("itboost").to_string();
    let node: i64 = docker(&["info", "-f", "{{.NCPU}}"]).parse().unwrap();
    let node = node * 1_000_000_000;
    let half = 500_000_000;
    let cleanup_service = service.clone();
    common::with_cleanup(
        async move {
            // A term whose boost outlasts the test: the start event lifts the limit.
            let first = CancellationToken::new();
            let running = tokio::spawn(
                cpu_weight_task_for(Arc::clone(&ctx), key, Duration::from_secs(600))
                    .run_term(first.clone()),
            );
            docker(&[
                "service",
                "create",
                "-d",
                "--name",
                &service,
                "--container-label",
                &format!("{key}=yes"),
                "--limit-cpu",
                "0.5",
                "--restart-condition",
                "none",
                "debian:bookworm-slim",
                "sleep",
                "600",
            ]);
            let id = eventually("the service's container", Duration::from_secs(60), || {
                let filter = format!("label={key}=yes");
                async move {
                    let id = docker(&["ps", "-q", "--no-trunc", "-f", &filter]);
                    (!id.is_empty()).then_some(id)
                }
            })
            .await;
            limited(&id, node, "the boost on start").await;
            assert_eq!(
                shares(&id),
                128,
                "weighted by the plan's half CPU, not the boost"
            );
            // What the site's CPU use is measured against (the stats collector's figure) is
            // the plan's limit still.
            let engine = ctx.swarm.docker();
            let inspected = engine
                .inspect_container(&id, None::<InspectContainerOptions>)
                .await
                .unwrap();
            assert_eq!(planned_nano_cpus(engine, &inspected).await, Some(half));
            // The leader goes while the site is boosted; the next term's window is already
            // over for it, so the term puts back the task's limit at once.
            first.cancel();
            running.await.unwrap();
            let second = CancellationToken::new();
            let running = tokio::spawn(
                cpu_weight_task_for(Arc::clone(&ctx), key, Duration::from_millis(1))
                    .run_term(second.clone()),
            );
            limited(&id, half, "the plan's limit back after a failover").await;
            second.cancel();
            running.await.unwrap();

            // Within one term: boosted on start, restored when the window ends.
            let boosts = ctx.metrics.cpu_boosts.get();
            let third = CancellationToken::new();
            let running = tokio::spawn(
                cpu_weight_task_for(Arc::clone(&ctx), key, Duration::from_secs(2))
                    .run_term(third.clone()),
            );
            docker(&["service", "update", "-d", "--force", &service]);
            let replaced = eventually("the replacement container", Duration::from_secs(60), || {
                let (filter, old) = (format!("label={key}=yes"), id.clone());
                async move {
                    let id = docker(&["ps", "-q", "--no-trunc", "-f", &filter]);
                    (!id.is_empty() && id != old && !id.contains('\n')).then_some(id)
                }
            })
            .await;
            eventually(
                "the replacement's boost",
                Duration::from_secs(30),
                || async { (ctx.metrics.cpu_boosts.get() > boosts).then_some(()) },
            )
            .await;
            limited(&replaced, half, "the plan's limit at the window's end").await;
            third.cancel();
            running.await.unwrap();
        },
        async move {
            let _ = Command::new("docker")
                .args(["service", "rm", &cleanup_service])
                .output();
        },
    )
    .await;
}
