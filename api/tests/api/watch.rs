use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Client, problem, spawn};
use crate::tenants::create;

#[derive(Debug)]
struct SseEvent {
    kind: String,
    id: String,
    data: Value,
}

/// Reads server-sent events from a streaming response.
struct EventReader {
    response: reqwest::Response,
    buffer: String,
}

impl EventReader {
    async fn open(client: &Client, path: &str) -> Self {
        let response = client.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments and keep-alives skipped), or a panic after `timeout`.
    async fn next(&mut self, timeout: Duration) -> SseEvent {
        tokio::time::timeout(timeout, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let mut kind = None;
                    let mut id = None;
                    let mut data = String::new();
                    for line in block.lines() {
                        if let Some(value) = line.strip_prefix("event:") {
                            kind = Some(value.trim().to_owned());
                        } else if let Some(value) = line.strip_prefix("id:") {
                            id = Some(value.trim().to_owned());
                        } else if let Some(value) = line.strip_prefix("data:") {
                            data.push_str(value.trim_start());
                        }
                    }
                    if let (Some(kind), Some(id)) = (kind, id) {
                        return SseEvent {
                            kind,
                            id,
                            data: serde_json::from_str(&data).unwrap(),
                        };
                    }
                    continue;
                }
                let chunk = self.response.chunk().await.unwrap().expect("stream ended");
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("no event in time")
    }
}

#[tokio::test]
async fn watch_streams_added_then_modified_and_resumes() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    let bob = app.user("bob@example.test").await;
    let list: Value = alice
        .get("/tenants")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let start = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut stream = EventReader::open(
        &alice,
        &format!("/tenants?watch=true&resourceVersion={start}"),
    )
    .await;
    // Bob's tenant is not Alice's business: her stream must not show it.
    create(&bob, "bob-site").await;
    create(&alice, "acme-blog").await;
    let scaled = alice
        .post("/tenants/acme-blog/scale")
        .json(&json!({"resources": {"cpu": "0.25", "memory": "256Mi"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(scaled.status(), 202);

    let added = stream.next(Duration::from_secs(5)).await;
    assert_eq!(added.kind, "ADDED");
    assert_eq!(added.data["metadata"]["name"], "acme-blog");
    assert_eq!(
        added.id,
        added.data["metadata"]["resourceVersion"].as_str().unwrap()
    );
    assert!(added.data.get("adminPassword").is_none());
    let modified = stream.next(Duration::from_secs(5)).await;
    assert_eq!(modified.kind, "MODIFIED");
    assert_eq!(modified.data["spec"]["resources"]["memory"], "256Mi");
    assert!(modified.id.parse::<i64>().unwrap() > added.id.parse::<i64>().unwrap());
    drop(stream);

    // Resuming after the ADDED event replays only what came after it.
    let mut resumed = EventReader::open(
        &alice,
        &format!("/tenants?watch=true&resourceVersion={}", added.id),
    )
    .await;
    let first = resumed.next(Duration::from_secs(5)).await;
    assert_eq!(first.kind, "MODIFIED");
    assert_eq!(first.id, modified.id);
    drop(resumed);

    // Last-Event-ID works the same way, and deletion shows up as MODIFIED (deletion
    // requested) for a watcher.
    let mut from_now = EventReader::open(&alice, "/tenants?watch=true").await;
    alice.delete("/tenants/acme-blog").send().await.unwrap();
    let deleting = from_now.next(Duration::from_secs(5)).await;
    assert_eq!(deleting.kind, "MODIFIED");
    assert!(deleting.data["metadata"]["deletionTimestamp"].is_string());

    let response = alice
        .get("/tenants?watch=true")
        .header("last-event-id", &added.id)
        .send()
        .await
        .unwrap();
    let mut replay = EventReader {
        response,
        buffer: String::new(),
    };
    assert_eq!(replay.next(Duration::from_secs(5)).await.id, modified.id);

    let bad = alice
        .get("/tenants?watch=true&resourceVersion=abc")
        .send()
        .await
        .unwrap();
    problem(bad, 400, "validation_failed").await;
}

/// Open streams are capped per user (429 naming the limit) without costing anyone else:
/// another user still watches, and the capped user's ordinary requests still answer. All
/// watches of the process share one change-feed poller, so each sees the same change.
#[tokio::test]
async fn streams_beyond_the_cap_are_refused_and_others_carry_on() {
    let Some(app) = crate::helpers::spawn_with(|config| config.streams_per_user = 2).await else {
        return;
    };
    let alice = app.user("alice-streams@example.test").await;
    let bob = app.user("bob-streams@example.test").await;
    let mut first = EventReader::open(&alice, "/tenants?watch=true").await;
    let mut second = EventReader::open(&alice, "/tenants?watch=true").await;
    let third = alice.get("/tenants?watch=true").send().await.unwrap();
    let body = problem(third, 429, "rate_limited").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("at most 2 open streams"),
        "{body}"
    );
    // Log follows count against the same limit.
    create(&alice, "capped-blog").await;
    let follow = alice
        .get("/tenants/capped-blog/logs?follow=true")
        .send()
        .await
        .unwrap();
    assert_eq!(follow.status(), 429);

    let mut bobs = EventReader::open(&bob, "/tenants?watch=true").await;
    let listed = alice.get("/tenants").send().await.unwrap();
    assert_eq!(listed.status(), 200);

    // One change reaches both of alice's watches (one poller, fanned out); bob sees none
    // of alice's tenants.
    let added_first = first.next(Duration::from_secs(5)).await;
    let added_second = second.next(Duration::from_secs(5)).await;
    assert_eq!(added_first.kind, "ADDED");
    assert_eq!(added_first.id, added_second.id);
    create(&bob, "bobs-blog").await;
    let bobs_event = bobs.next(Duration::from_secs(5)).await;
    assert_eq!(bobs_event.data["metadata"]["name"], "bobs-blog");
}
