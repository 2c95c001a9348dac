//! Observability through the deployed stack: one running site shared by every assertion
//! (a site takes seconds to come up). Traffic to it must show in live metrics (from the
//! controller's collector, through Prometheus) and history; a log follower sees the access
//! line of its own request; inspect shows no secret; other users see nothing; the summary
//! is the sum of its parts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};
use swarmpress_e2e::{Platform, random_lowercase};

struct User {
    http: reqwest::Client,
    base: String,
    cookies: String,
}

impl User {
    async fn register(platform: &Platform) -> Self {
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!(
            "http://localhost:{}/api/v1",
            platform.config.edge_addr.port()
        );
        let email = format!("obs-{}@example.test", random_lowercase(8).unwrap());
        let response = http
            .post(format!("{base}/auth/register"))
            .json(
                &json!({"email": email, "password": "correct horse battery staple", "name": "Obs"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let cookies = swarmpress_e2e::api::session_cookies(&response);
        Self {
            http,
            base,
            cookies,
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookies)
            .header("X-Requested-With", "swarmpress")
    }

    async fn json(&self, path: &str) -> (StatusCode, Value) {
        let response = self.get(path).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn num(value: &Value, key: &str) -> f64 {
    value[key].as_f64().unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_site_shows_in_metrics_history_logs_and_inspect() {
    let Some(platform) = Platform::connect_or_skip().await else {
        return;
    };
    let alice = User::register(&platform).await;
    let bob = User::register(&platform).await;
    let name = format!("obs-{}", random_lowercase(8).unwrap());
    let response = alice
        .http
        .post(format!("{}/tenants", alice.base))
        .header(COOKIE, &alice.cookies)
        .header("X-Requested-With", "swarmpress")
        .json(&json!({
            "metadata": {"name": name},
            "spec": {"displayName": "Obs", "region": "eu-west",
                     "admin": {"user": "admin", "email": "admin@example.test"}}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let admin_password = created["adminPassword"].as_str().unwrap().to_owned();

    let site = reqwest::Client::builder()
        .resolve(&format!("{name}.localhost"), platform.config.edge_addr)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let url = format!(
        "http://{name}.localhost:{}/",
        platform.config.edge_addr.port()
    );
    let started = Instant::now();
    loop {
        if let Ok(r) = site.get(&url).send().await
            && r.status() == StatusCode::OK
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "{name} never served"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // A log follower sees the access line of a request it made, about at once.
    let mut follower = alice
        .get(&format!("/tenants/{name}/logs?follow=true&tail=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(follower.status(), StatusCode::OK);
    assert!(
        follower.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Give the follower's task streams a moment to attach before the request it must see.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let marker = format!("probe-{}", random_lowercase(10).unwrap());
    site.get(format!("{url}?{marker}")).send().await.unwrap();
    let asked = Instant::now();
    let mut seen = String::new();
    let line = loop {
        let chunk = tokio::time::timeout(Duration::from_secs(10), follower.chunk())
            .await
            .expect("a log line within 10 s")
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(event) = seen
            .lines()
            .find(|l| l.starts_with("data:") && l.contains(&marker))
        {
            break event.to_owned();
        }
    };
    let latency = asked.elapsed();
    let event: Value = serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap();
    assert_eq!(event["stream"], "stdout", "{event}");
    assert_eq!(event["task"], format!("wp_{name}.1"), "{event}");
    assert!(
        event["timestamp"].as_str().unwrap().starts_with("20"),
        "{event}"
    );
    eprintln!("log follower saw its request after {latency:?}");
    assert!(
        latency < Duration::from_secs(2),
        "log line took {latency:?}"
    );
    drop(follower);

    // A snapshot is text with the task named.
    let response = alice
        .get(&format!("/tenants/{name}/logs?tail=20"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(&marker) && text.contains(&format!("wp_{name}.1 stdout")),
        "{text}"
    );

    // Traffic: a few hundred requests, then live figures show CPU and network.
    for _ in 0..300 {
        site.get(&url).send().await.unwrap();
    }
    let started = Instant::now();
    let metrics = loop {
        let (status, metrics) = alice.json(&format!("/monitoring/{name}/metrics")).await;
        assert_eq!(status, StatusCode::OK, "{metrics}");
        assert_eq!(metrics["source"], "prometheus", "{metrics}");
        if num(&metrics, "cpuPercent") > 0.0
            && num(&metrics, "networkRxBytesPerSec") > 0.0
            && num(&metrics, "networkTxBytesPerSec") > 0.0
            && num(&metrics, "memoryBytes") > 0.0
        {
            break metrics;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no traffic seen: {metrics}"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert!(num(&metrics, "memoryPercent") > 0.0, "{metrics}");

    let (status, history) = alice
        .json(&format!("/monitoring/{name}/history?range=1h"))
        .await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["stepSeconds"], 18);
    let points = history["points"].as_array().unwrap();
    assert!(
        points.iter().any(|p| num(p, "cpuPercent") > 0.0),
        "{history}"
    );
    assert!(
        points.iter().any(|p| num(p, "memoryBytes") > 0.0),
        "{history}"
    );

    // The summary over alice's one running site equals that site's figures (both are
    // evaluated at the same 5 s-aligned instant when asked within it; retry across a boundary).
    let mut agreed = false;
    for _ in 0..5 {
        let (_, one) = alice.json(&format!("/monitoring/{name}/metrics")).await;
        let (status, summary) = alice.json("/monitoring/summary").await;
        assert_eq!(status, StatusCode::OK, "{summary}");
        if one["timestamp"] != summary["timestamp"] {
            continue;
        }
        assert_eq!(summary["tenants"], 1, "{summary}");
        for (part, total) in [
            ("cpuCores", "cpuCores"),
            ("memoryBytes", "memoryBytes"),
            ("networkRxBytesPerSec", "networkRxBytesPerSec"),
            ("networkTxBytesPerSec", "networkTxBytesPerSec"),
        ] {
            let (a, b) = (num(&one, part), num(&summary, total));
            assert!(
                (a - b).abs() <= 1e-6 * a.abs().max(1.0),
                "{part}: {one} vs {summary}"
            );
        }
        agreed = true;
        break;
    }
    assert!(
        agreed,
        "summary and metrics never landed in the same instant"
    );

    // Inspect: the service, its task and the wp-content mount, and no secret value.
    let response = alice
        .get(&format!("/tenants/{name}/inspect"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let raw = response.text().await.unwrap();
    let inspect: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(inspect["service"]["name"], format!("wp_{name}"));
    assert_eq!(inspect["tasks"][0]["state"], "running", "{inspect}");
    assert!(
        inspect["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["wpContent"] == true),
        "{inspect}"
    );
    let container = inspect["tasks"][0]["containerId"]
        .as_str()
        .unwrap()
        .to_owned();
    let db_password = Command::new("docker")
        .args(["exec", &container, "cat", "/run/secrets/db_password"])
        .output()
        .unwrap();
    let db_password = String::from_utf8(db_password.stdout)
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        db_password.len() >= 16,
        "read the tenant's database password"
    );
    for secret in [&admin_password, &db_password] {
        assert!(
            !raw.contains(secret.as_str()),
            "inspect leaks a secret: {raw}"
        );
    }

    // Bob sees none of it.
    for path in [
        format!("/monitoring/{name}/metrics"),
        format!("/monitoring/{name}/history"),
        format!("/tenants/{name}/logs"),
        format!("/tenants/{name}/inspect"),
    ] {
        let (status, body) = bob.json(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }

    let response = alice
        .http
        .delete(format!("{}/tenants/{name}", alice.base))
        .header(COOKIE, &alice.cookies)
        .header("X-Requested-With", "swarmpress")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

/// Prometheus runs without its lifecycle API: nothing that reaches it can reload or stop it.
#[tokio::test]
async fn prometheus_has_no_lifecycle_api() {
    let Some(_platform) = Platform::connect_or_skip().await else {
        return;
    };
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let ready = client
        .get("http://127.0.0.1:9090/-/ready")
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK, "Prometheus answers");
    let reload = client
        .post("http://127.0.0.1:9090/-/reload")
        .send()
        .await
        .unwrap();
    assert_eq!(
        reload.status(),
        StatusCode::FORBIDDEN,
        "the lifecycle API is off"
    );
}
