//! The per-tenant stats collector against the real engine: a container labelled with a
//! tenant gets a stream, its figures reach `/metrics`, and its stream ends with it.

// A test crate: its helpers fail the test the way its assertions do.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use std::process::Command;
use std::time::Duration;

use swarmpress_controller::telemetry::metrics::Metrics;
use swarmpress_controller::telemetry::stats::{self, Collector, HostFiles, StatsState};
use tokio_util::sync::CancellationToken;

use common::{controller_databases, eventually, platform, unique_tenant};

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker").args(args).output().unwrap();
    assert!(output.status.success(), "docker {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Read from the containers' own cgroup and network files (the collector on the host sees
/// them at `/`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn samplers_read_the_files_follow_containers_and_reach_the_exposition() {
    samplers_follow_containers(HostFiles::new("/"), true).await;
}

/// A container whose files are not here (another node's): asked of the engine instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_files_samplers_ask_the_engine() {
    samplers_follow_containers(HostFiles::new("/nonexistent-host-root"), false).await;
}

async fn samplers_follow_containers(host: HostFiles, files_here: bool) {
    let Some(platform) = platform().await else {
        return;
    };
    let databases = controller_databases().await.unwrap();
    let tenant = unique_tenant("stats");
    let metrics = Metrics::new().unwrap();
    let collector = Collector {
        host: host.clone(),
        docker: platform.swarm.docker().clone(),
        state: StatsState::default(),
    };
    collector.register(metrics.registry()).unwrap();
    let state = collector.state.clone();
    // One leader term, ended by hand below.
    let term = CancellationToken::new();
    let running = tokio::spawn(collector.task().run_term(term.clone()));

    // A busy container (half a CPU) labelled as the tenant's, the way Swarm labels tasks.
    let label = format!("swarmpress.tenant={tenant}");
    let id = docker(&[
        "run",
        "-d",
        "--rm",
        "--label",
        &label,
        "--cpus",
        "0.5",
        "--memory",
        "64m",
        "debian:bookworm-slim",
        "sh",
        "-c",
        "while :; do :; done",
    ]);
    let pid: i64 = docker(&["inspect", "-f", "{{.State.Pid}}", &id])
        .parse()
        .unwrap();
    assert_eq!(
        host.locate(pid).await.is_some(),
        files_here,
        "whether the container's files are found"
    );
    let figures = eventually("the container's figures", Duration::from_secs(30), || {
        let state = state.clone();
        let tenant = tenant.to_string();
        async move {
            state
                .tenants()
                .get(&tenant)
                .copied()
                .filter(|f| f.cpu_seconds > 0.0 && f.cores_used > 0.1)
        }
    })
    .await;
    assert_eq!(figures.containers, 1);
    assert!((figures.cpu_limit_cores - 0.5).abs() < 1e-9, "{figures:?}");
    assert_eq!(figures.memory_limit_bytes, 64.0 * 1024.0 * 1024.0);
    assert!(figures.cpu_percent() > 20.0, "{figures:?}");

    let text = metrics.render().unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
    let ours = |metric: &str| {
        scrape
            .samples
            .iter()
            .any(|s| s.metric == metric && s.labels.get("tenant") == Some(tenant.as_str()))
    };
    for metric in [
        stats::CPU_SECONDS,
        stats::CPU_PERCENT,
        stats::MEMORY,
        stats::RX,
        stats::TX,
    ] {
        assert!(ours(metric), "{metric} for {tenant} in\n{text}");
    }

    // The container goes: its stream ends and the tenant's series with it.
    docker(&["rm", "-f", &id]);
    eventually("the stream to end", Duration::from_secs(20), || {
        let state = state.clone();
        let tenant = tenant.to_string();
        async move { (!state.tenants().contains_key(&tenant)).then_some(()) }
    })
    .await;

    // Another container of the tenant, then leadership lost: the term's task ends, every
    // stream with it, and nothing is exported.
    let second = docker(&[
        "run",
        "-d",
        "--rm",
        "--label",
        &label,
        "debian:bookworm-slim",
        "sleep",
        "600",
    ]);
    eventually(
        "the second container's figures",
        Duration::from_secs(20),
        || {
            let state = state.clone();
            let tenant = tenant.to_string();
            async move { state.tenants().get(&tenant).map(|_| ()) }
        },
    )
    .await;
    term.cancel();
    running.await.unwrap();
    assert_eq!(state.streams(), 0);
    assert!(
        state.tenants().is_empty(),
        "a standby exports no tenant series"
    );
    docker(&["rm", "-f", &second]);

    // The database sizes query runs with the controller's grants, for all tenants or one.
    stats::database_sizes(databases.connection(), None)
        .await
        .unwrap();
    let one = stats::database_sizes(databases.connection(), Some(&tenant))
        .await
        .unwrap();
    assert!(one.keys().all(|name| name == tenant.as_str()), "{one:?}");
}
