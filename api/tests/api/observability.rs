//! Monitoring, logs, inspect and the cluster, with the in-process API reading the real
//! Docker engine. Prometheus is pointed at a closed port here (the shared one stays up):
//! live metrics must then come from Docker and history must answer 503.

use std::process::Command;

use serde_json::Value;

use crate::helpers::{fields, problem, spawn_with};
use crate::tenants::create;

/// A tenant with a running container on this engine (another suite's, or the e2e one's),
/// if any: the in-process API finds its containers by the `swarmpress.tenant` label.
fn running_tenant() -> Option<String> {
    let output = Command::new("docker")
        .args([
            "ps",
            "--filter",
            "label=swarmpress.tenant",
            "--format",
            "{{.Label \"swarmpress.tenant\"}}",
        ])
        .output()
        .ok()?;
    String::from_utf8(output.stdout)
        .ok()?
        .lines()
        .map(str::trim)
        .find(|name| !name.is_empty())
        .map(str::to_owned)
}

#[tokio::test]
async fn without_prometheus_live_metrics_come_from_docker_and_history_is_503() {
    let Some(app) = spawn_with(|config| {
        // Nothing listens on port 1: connection refused at once.
        config.monitoring.prometheus_url = "http://127.0.0.1:1".to_owned();
    })
    .await
    else {
        return;
    };
    let bob = app.user("bob@example.test").await;
    // The running container is another suite's, which may stop while this reads it (its
    // memory then reads 0, or it is gone): a few tries find one that stays up. Each try is a
    // new user, since a Free plan holds one instance.
    let mut attempt = 0;
    let (alice, name) = loop {
        attempt += 1;
        let alice = app.user(&format!("alice{attempt}@example.test")).await;
        let running = running_tenant();
        let name = running.clone().unwrap_or_else(|| "quiet-site".to_owned());
        create(&alice, &name).await;
        let response = alice
            .get(&format!("/monitoring/{name}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let metrics: Value = response.json().await.unwrap();
        assert_eq!(metrics["source"], "docker", "{metrics}");
        if running.is_none() {
            assert_eq!(metrics["running"], false, "{metrics}");
            break (alice, name);
        }
        let live = metrics["running"] == true
            && metrics["memoryBytes"]
                .as_u64()
                .is_some_and(|bytes| bytes > 0)
            && metrics["memoryPercent"]
                .as_f64()
                .is_some_and(|percent| percent > 0.0);
        if live {
            break (alice, name);
        }
        assert!(
            attempt < 5,
            "no steady running container to read: {metrics}"
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    };

    let response = alice
        .get(&format!("/monitoring/{name}/history?range=1h"))
        .send()
        .await
        .unwrap();
    let body = problem(response, 503, "unavailable").await;
    assert!(
        body["detail"].as_str().unwrap().contains("Prometheus"),
        "{body}"
    );
    let response = alice.get("/monitoring/summary").send().await.unwrap();
    problem(response, 503, "unavailable").await;

    // Another user's tenant does not exist for them, whatever the endpoint.
    for path in [
        format!("/monitoring/{name}/metrics"),
        format!("/monitoring/{name}/history"),
        format!("/tenants/{name}/logs?tail=5"),
        format!("/tenants/{name}/inspect"),
    ] {
        let response = bob.get(&path).send().await.unwrap();
        problem(response, 404, "not_found").await;
    }
}

#[tokio::test]
async fn inputs_are_validated_with_the_field_named() {
    let Some(app) = spawn_with(|_| {}).await else {
        return;
    };
    let alice = app.user("alice@example.test").await;
    create(&alice, "valid-site").await;
    for (path, field) in [
        ("/monitoring/valid-site/history?range=2h", "range"),
        ("/tenants/valid-site/logs?tail=10001", "tail"),
        ("/tenants/valid-site/logs?since=yesterday", "since"),
    ] {
        let response = alice.get(path).send().await.unwrap();
        let body = problem(response, 422, "validation_failed").await;
        assert_eq!(fields(&body), [field], "{path}: {body}");
    }
    let response = alice
        .get("/tenants/valid-site/logs?tail=many")
        .send()
        .await
        .unwrap();
    let body = problem(response, 400, "validation_failed").await;
    assert_eq!(fields(&body), ["tail"], "{body}");
}

#[tokio::test]
async fn the_cluster_is_for_administrators() {
    let Some(app) = spawn_with(|_| {}).await else {
        return;
    };
    let alice = app.user("alice@example.test").await;
    let response = alice.get("/cluster").send().await.unwrap();
    problem(response, 403, "forbidden").await;

    let admin = app.admin().await;
    let response = admin.get("/cluster").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cluster: Value = response.json().await.unwrap();
    let nodes = cluster["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty(), "{cluster}");
    let node = &nodes[0];
    for key in ["hostname", "role", "availability", "state", "engineVersion"] {
        assert!(
            node[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key}: {node}"
        );
    }
    assert!(node["cpus"].as_f64().unwrap() > 0.0);
    // The platform's node carries every configured region; its sites are tenants' names.
    let regions = node["regions"].as_array().unwrap();
    for region in ["ap-south", "eu-west", "us-east"] {
        assert!(regions.iter().any(|r| r == region), "{region}: {node}");
    }
    assert!(
        node["sites"].as_array().unwrap().iter().all(|site| site
            .as_str()
            .is_some_and(|s| swarmpress_schema::TenantName::parse(s).is_ok())),
        "{node}"
    );
    assert!(cluster["totals"]["memoryBytes"].as_i64().unwrap() > 0);
    assert!(
        cluster["services"]["total"].as_u64().unwrap() >= 6,
        "{cluster}"
    );
    let id = node["id"].as_str().unwrap();

    // Active on an active node changes nothing; the only manager is never drained.
    let path = format!("/cluster/nodes/{id}/availability");
    let response = admin
        .post(&path)
        .json(&serde_json::json!({"availability": "active"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["availability"], "active");
    if nodes.len() == 1 {
        let response = admin
            .post(&path)
            .json(&serde_json::json!({"availability": "drain"}))
            .send()
            .await
            .unwrap();
        problem(response, 409, "conflict").await;
    }
    let response = admin
        .post(&path)
        .json(&serde_json::json!({"availability": "asleep"}))
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["availability"]);
    let response = admin
        .post("/cluster/nodes/nosuchnode/availability")
        .json(&serde_json::json!({"availability": "active"}))
        .send()
        .await
        .unwrap();
    problem(response, 404, "not_found").await;
    let response = alice
        .post(&path)
        .json(&serde_json::json!({"availability": "active"}))
        .send()
        .await
        .unwrap();
    problem(response, 403, "forbidden").await;
}
