//! The platform on several real Swarm nodes (issue 19), in the lab `scripts/lab up` makes:
//! three engines of their own (lab-1 and lab-2 in `eu-west`, lab-3 in `us-east`), the whole
//! platform deployed on them from the same stack file, images pulled from the platform's
//! registry. A site stays in its region; a node whose engine dies outright has its sites
//! serving again from another node of their region, and nothing is duplicated when it
//! returns; a node drained through the API moves its sites without a failed request.
//!
//! Runs in `scripts/test`'s lab stage, which exports the lab's addresses (`scripts/lab env`);
//! elsewhere it is skipped, unless `SWARMPRESS_REQUIRE_LAB=1` makes a missing lab a failure.
// A test crate: its helpers fail the test the same way its assertions do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use swarmpress_e2e::Api;
use swarmpress_e2e::api::wait_site;

const CONVERGE: Duration = Duration::from_secs(300);
/// The promise for a node lost outright.
const RECOVERY: Duration = Duration::from_secs(60);

struct Lab {
    docker_host: String,
    api: Api,
}

impl Lab {
    async fn connect() -> Option<Self> {
        let (Ok(edge), Ok(docker_host), Ok(admin_env)) = (
            std::env::var("SWARMPRESS_LAB_EDGE"),
            std::env::var("SWARMPRESS_LAB_DOCKER_HOST"),
            std::env::var("SWARMPRESS_LAB_ADMIN_ENV"),
        ) else {
            assert!(
                std::env::var("SWARMPRESS_REQUIRE_LAB").as_deref() != Ok("1"),
                "SWARMPRESS_REQUIRE_LAB=1 but no lab: run `scripts/lab up` and export `scripts/lab env`"
            );
            eprintln!("no lab (scripts/lab up; scripts/lab env): skipped");
            return None;
        };
        let edge: SocketAddr = edge.parse().expect("SWARMPRESS_LAB_EDGE is ip:port");
        let text = std::fs::read_to_string(&admin_env).unwrap();
        let value = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or_else(|| panic!("{admin_env} has no {key}"))
                .to_owned()
        };
        let api = Api::admin_of(
            edge,
            &value("SWARMPRESS_ADMIN_EMAIL"),
            &value("SWARMPRESS_ADMIN_PASSWORD"),
        )
        .await
        .unwrap();
        Some(Self { docker_host, api })
    }

    /// The docker CLI against the lab's first node (a manager).
    fn docker(&self, args: &[&str]) -> String {
        run(Command::new("docker")
            .env("DOCKER_HOST", &self.docker_host)
            .args(args))
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self.api.request(method, path);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn tenant(&self, name: &str) -> Value {
        let (status, tenant) = self
            .call(Method::GET, &format!("/tenants/{name}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "GET {name}: {tenant}");
        tenant
    }

    /// Polls `name` until `accept` holds for it (within `timeout`); returns it.
    async fn wait_tenant(
        &self,
        name: &str,
        what: &str,
        timeout: Duration,
        accept: impl Fn(&Value) -> bool,
    ) -> Value {
        let started = Instant::now();
        loop {
            let tenant = self.tenant(name).await;
            if accept(&tenant) {
                return tenant;
            }
            assert!(
                started.elapsed() < timeout,
                "{name} never became {what}: {}",
                tenant["status"]
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// `POST /tenants` of a one-replica site labelled `suite=lab` in `region`, titled
    /// `Lab <name>`.
    async fn create_site(&self, name: &str, region: &str) {
        let (status, body) = self
            .call(
                Method::POST,
                "/tenants",
                Some(json!({
                    "metadata": {"name": name, "labels": {"suite": "lab"}},
                    "spec": {"displayName": format!("Lab {name}"), "region": region,
                             "admin": {"user": "admin", "email": "admin@example.test"}}
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create {name}: {body}");
    }

    async fn node_id(&self, hostname: &str) -> String {
        let (status, cluster) = self.call(Method::GET, "/cluster", None).await;
        assert_eq!(status, StatusCode::OK, "{cluster}");
        cluster["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["hostname"] == hostname)
            .and_then(|n| n["id"].as_str())
            .unwrap_or_else(|| panic!("no node {hostname} in {cluster}"))
            .to_owned()
    }

    async fn set_availability(&self, node_id: &str, availability: &str) {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("/cluster/nodes/{node_id}/availability"),
                Some(json!({ "availability": availability })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{availability} {node_id}: {body}");
    }
}

fn run(command: &mut Command) -> String {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The host's engine, where the lab's nodes are containers.
fn host_docker(args: &[&str]) -> String {
    run(Command::new("docker").env_remove("DOCKER_HOST").args(args))
}

/// Brings a killed lab node back whatever happens to the test: the lab outlives it.
struct NodeRevival(&'static str);

impl Drop for NodeRevival {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .env_remove("DOCKER_HOST")
            .args(["start", self.0])
            .output();
    }
}

/// Sets a paused or drained node active again whatever happens to the test.
struct Reactivate {
    docker_host: String,
    hostname: &'static str,
}

impl Drop for Reactivate {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .env("DOCKER_HOST", &self.docker_host)
            .args(["node", "update", "--availability", "active", self.hostname])
            .output();
    }
}

fn available(tenant: &Value) -> bool {
    tenant["status"]["phase"] == "Running"
        && tenant["status"]["conditions"].as_array().is_some_and(|c| {
            c.iter()
                .any(|c| c["type"] == "Available" && c["status"] == "True")
        })
}

fn nodes_of(tenant: &Value) -> Vec<String> {
    tenant["status"]["nodes"]
        .as_array()
        .map(|nodes| {
            nodes
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn random_suffix() -> String {
    swarmpress_e2e::random_lowercase(6).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sites_stay_in_their_region_survive_a_lost_node_and_leave_a_drained_one() {
    let Some(lab) = Lab::connect().await else {
        return;
    };
    // Sites enough for two: the lab's administrator moves to a plan that allows them.
    let (status, body) = lab
        .call(
            Method::POST,
            "/subscription/upgrade",
            Some(json!({"plan": "business"})),
        )
        .await;
    assert!(status.is_success(), "upgrade: {body}");

    // The regions the lab's nodes carry, counted.
    let (_, regions) = lab.call(Method::GET, "/regions", None).await;
    let region = |name: &str| {
        regions["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no region {name}: {regions}"))
    };
    assert_eq!(region("eu-west")["activeNodes"], 2, "{regions}");
    assert_eq!(region("us-east")["activeNodes"], 1, "{regions}");

    // lab-1 holds the platform's stateful services and cannot be the node the test kills:
    // while the sites are placed it takes no new task, so the eu-west site lands on lab-2.
    let lab1 = lab.node_id("lab-1").await;
    lab.set_availability(&lab1, "pause").await;
    let reactivate = Reactivate {
        docker_host: lab.docker_host.clone(),
        hostname: "lab-1",
    };
    let suffix = random_suffix();
    let (east, west) = (format!("east-{suffix}"), format!("west-{suffix}"));
    lab.create_site(&east, "us-east").await;
    lab.create_site(&west, "eu-west").await;
    let east_tenant = lab
        .wait_tenant(&east, "available", CONVERGE, available)
        .await;
    let west_tenant = lab
        .wait_tenant(&west, "available", CONVERGE, available)
        .await;
    lab.set_availability(&lab1, "active").await;
    drop(reactivate);

    // Each on a node of its own region: lab-3 is us-east's only node (it pulled the site's
    // image from the registry: node 1 is the only node it was loaded into).
    assert_eq!(
        nodes_of(&east_tenant),
        ["lab-3"],
        "{}",
        east_tenant["status"]
    );
    assert_eq!(
        nodes_of(&west_tenant),
        ["lab-2"],
        "{}",
        west_tenant["status"]
    );
    for name in [&east, &west] {
        let client = lab.api.site_client(name).unwrap();
        wait_site(
            &client,
            &lab.api.site_url(name),
            &format!("Lab {name}"),
            Duration::from_millis(250),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    }
    let (_, cluster) = lab.call(Method::GET, "/cluster", None).await;
    let sites_on = |hostname: &str| -> Vec<String> {
        cluster["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["hostname"] == hostname)
            .and_then(|n| n["sites"].as_array())
            .map(|s| {
                s.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(sites_on("lab-3").contains(&east), "{cluster}");
    assert!(sites_on("lab-2").contains(&west), "{cluster}");

    // lab-2's engine dies outright (its container is killed, like a machine losing power):
    // the eu-west site serves again from lab-1, the region's other node.
    let revival = NodeRevival("swarmpress-lab-2");
    host_docker(&["kill", "swarmpress-lab-2"]);
    let lost = Instant::now();
    let client = lab.api.site_client(&west).unwrap();
    wait_site(
        &client,
        &lab.api.site_url(&west),
        &format!("Lab {west}"),
        Duration::from_millis(250),
        RECOVERY,
    )
    .await
    .unwrap_or_else(|e| {
        panic!("{west} did not serve again within {RECOVERY:?} of losing lab-2: {e}")
    });
    eprintln!(
        "node loss: {west} served again {:.1} s after lab-2's engine was killed",
        lost.elapsed().as_secs_f64()
    );
    let moved = lab
        .wait_tenant(&west, "on lab-1", Duration::from_secs(60), |t| {
            available(t) && nodes_of(t) == ["lab-1"]
        })
        .await;
    assert_eq!(
        moved["status"]["replicas"]["running"], 1,
        "{}",
        moved["status"]
    );

    // lab-2 comes back: the swarm sees it ready again, and its engine, told the old task is
    // no longer wanted, runs nothing of the site — one task, on lab-1.
    host_docker(&["start", "swarmpress-lab-2"]);
    drop(revival);
    let lab2_engine = "unix:///run/swarmpress-lab/2/docker.sock";
    let service_filter = format!("label=com.docker.swarm.service.name=wp_{west}");
    let started = Instant::now();
    loop {
        let ready = lab.docker(&["node", "inspect", "lab-2", "-f", "{{.Status.State}}"]) == "ready";
        let leftovers = Command::new("docker")
            .env("DOCKER_HOST", lab2_engine)
            .args(["ps", "-q", "--filter", &service_filter])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        if ready && leftovers.as_deref() == Some("") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "lab-2 back: ready {ready}, its containers of {west}: {leftovers:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let running = lab.docker(&[
        "service",
        "ps",
        &format!("wp_{west}"),
        "--filter",
        "desired-state=running",
        "--format",
        "{{.Node}} {{.CurrentState}}",
    ]);
    assert_eq!(running.lines().count(), 1, "{running}");
    assert!(running.starts_with("lab-1 Running"), "{running}");

    // A drain moves a site without one failed request: a site placed on lab-2 (lab-1
    // paused meanwhile), a probe loop through the edge, lab-2 drained through the API.
    let mover = format!("mover-{suffix}");
    lab.set_availability(&lab1, "pause").await;
    let reactivate = Reactivate {
        docker_host: lab.docker_host.clone(),
        hostname: "lab-1",
    };
    lab.create_site(&mover, "eu-west").await;
    let placed = lab
        .wait_tenant(&mover, "available", CONVERGE, available)
        .await;
    lab.set_availability(&lab1, "active").await;
    drop(reactivate);
    assert_eq!(nodes_of(&placed), ["lab-2"], "{}", placed["status"]);
    let client = lab.api.site_client(&mover).unwrap();
    let url = lab.api.site_url(&mover);
    wait_site(
        &client,
        &url,
        &format!("Lab {mover}"),
        Duration::from_millis(250),
        Duration::from_secs(60),
    )
    .await
    .unwrap();

    let probing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let probes = tokio::spawn({
        let (probing, client, url) = (std::sync::Arc::clone(&probing), client.clone(), url.clone());
        async move {
            let (mut sent, mut failed) = (0_u32, Vec::new());
            while probing.load(std::sync::atomic::Ordering::Relaxed) {
                sent += 1;
                match client.get(&url).send().await {
                    Ok(response) if response.status() == StatusCode::OK => {}
                    Ok(response) => failed.push(response.status().to_string()),
                    Err(error) => failed.push(error.to_string()),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (sent, failed)
        }
    });
    let lab2 = lab.node_id("lab-2").await;
    let drain_started = Instant::now();
    lab.set_availability(&lab2, "drain").await;
    let undrain = Reactivate {
        docker_host: lab.docker_host.clone(),
        hostname: "lab-2",
    };
    // Drained: the node says so once no site is left on it.
    loop {
        let (_, cluster) = lab.call(Method::GET, "/cluster", None).await;
        let node = cluster["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["hostname"] == "lab-2")
            .cloned()
            .unwrap();
        if node["availability"] == "drain" && node["draining"] == false {
            assert!(node["sites"].as_array().unwrap().is_empty(), "{node}");
            break;
        }
        assert!(
            drain_started.elapsed() < Duration::from_secs(120),
            "lab-2 never drained: {node}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let drained_after = drain_started.elapsed();
    let moved = lab
        .wait_tenant(&mover, "on lab-1", Duration::from_secs(60), |t| {
            available(t) && nodes_of(t) == ["lab-1"]
        })
        .await;
    // A few more probes at the new task, then the loop ends.
    tokio::time::sleep(Duration::from_secs(1)).await;
    probing.store(false, std::sync::atomic::Ordering::Relaxed);
    let (sent, failed) = probes.await.unwrap();
    eprintln!(
        "drain: lab-2 drained {:.1} s after the request, {sent} probes, {} failed",
        drained_after.as_secs_f64(),
        failed.len()
    );
    assert!(
        failed.is_empty(),
        "failed probes during the drain: {failed:?}"
    );
    assert_eq!(
        moved["status"]["replicas"]["running"], 1,
        "{}",
        moved["status"]
    );
    lab.set_availability(&lab2, "active").await;
    drop(undrain);

    for name in [&east, &west, &mover] {
        lab.api.delete_and_wait(name, CONVERGE).await.unwrap();
    }
}
