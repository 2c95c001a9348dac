//! `/admin/rollouts`, `kind: Rollout` manifests and maintenance windows that name a rollout.
//! No controller runs here, so a rollout stays where the API puts it: the state machine's
//! admin transitions can be checked exactly.

use std::time::Duration;

use serde_json::{Value, json};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{RolloutItemState, RolloutState};
use swarmpress_schema::store::NewRolloutItem;

use crate::helpers::{Client, fields, problem, spawn};

async fn create(client: &Client, body: Value) -> Value {
    let response = client
        .post("/admin/rollouts")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn command(client: &Client, id: &str, verb: &str) -> reqwest::Response {
    client
        .post(&format!("/admin/rollouts/{id}/{verb}"))
        .send()
        .await
        .unwrap()
}

async fn state_after(client: &Client, id: &str, verb: &str) -> String {
    let response = command(client, id, verb).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    body["state"].as_str().unwrap().to_owned()
}

async fn apply(client: &Client, dry_run: bool, body: &str) -> Vec<Value> {
    let response = client
        .post(&format!("/apply?dryRun={dry_run}"))
        .header("content-type", "application/yaml")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let body: Value = response.json().await.unwrap();
    body["results"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_list_get_and_the_admin_state_machine() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;

    let created = create(
        &admin,
        json!({"image": "swarmpress/wordpress:6.7", "selector": {"plans": ["business"]},
               "name": "wp-6-7", "batchSize": 3}),
    )
    .await;
    assert_eq!(created["state"], "scheduled");
    assert_eq!(created["name"], "wp-6-7");
    // Defaults of API.md, flattened next to the identity.
    assert_eq!(created["image"], "swarmpress/wordpress:6.7");
    assert_eq!(created["canary"], 1);
    assert_eq!(created["batchSize"], 3);
    assert_eq!(created["failureBudget"], 0);
    assert_eq!(created["healthTimeoutSeconds"], 120);
    assert_eq!(created["forcePull"], false);
    assert_eq!(created["items"], json!([]));
    let id = created["id"].as_str().unwrap().to_owned();

    // By id and by name; unknown ones are 404.
    for reference in [id.as_str(), "wp-6-7"] {
        let one: Value = admin
            .get(&format!("/admin/rollouts/{reference}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(one["id"], id.as_str());
    }
    for missing in ["nope", "00000000-0000-4000-8000-000000000000"] {
        let response = admin
            .get(&format!("/admin/rollouts/{missing}"))
            .send()
            .await
            .unwrap();
        problem(response, 404, "not_found").await;
    }
    // A second rollout with the same name is a conflict.
    let response = admin
        .post("/admin/rollouts")
        .json(&json!({"image": "wordpress:6.7", "selector": {"all": true}, "name": "wp-6-7"}))
        .send()
        .await
        .unwrap();
    problem(response, 409, "conflict").await;

    let unnamed = create(
        &admin,
        json!({"image": "wordpress:6.7", "selector": {"all": true}}),
    )
    .await;
    let listed: Value = admin
        .get("/admin/rollouts")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&id.as_str()) && ids.contains(&unnamed["id"].as_str().unwrap()));

    // scheduled → paused → (never started) scheduled.
    let response = command(&admin, &id, "resume").await;
    let refused = problem(response, 409, "conflict").await;
    assert!(
        refused["detail"].as_str().unwrap().contains("scheduled"),
        "{refused}"
    );
    assert_eq!(state_after(&admin, "wp-6-7", "pause").await, "paused");
    let refused = problem(command(&admin, &id, "pause").await, 409, "conflict").await;
    assert!(refused["detail"].as_str().unwrap().contains("paused"));
    assert_eq!(state_after(&admin, &id, "resume").await, "scheduled");

    // Once the controller has started it, resume goes back to running.
    let uuid = id.parse().unwrap();
    app.state
        .store
        .set_rollout_state(
            uuid,
            &[RolloutState::Scheduled],
            RolloutState::Running,
            None,
        )
        .await
        .unwrap();
    assert_eq!(state_after(&admin, &id, "pause").await, "paused");
    assert_eq!(state_after(&admin, &id, "resume").await, "running");

    // Abort from any non-terminal state; nothing after that.
    assert_eq!(state_after(&admin, &id, "abort").await, "aborted");
    for verb in ["pause", "resume", "abort"] {
        let refused = problem(command(&admin, &id, verb).await, 409, "conflict").await;
        assert!(
            refused["detail"].as_str().unwrap().contains("aborted"),
            "{refused}"
        );
    }
    let aborted: Value = admin
        .get(&format!("/admin/rollouts/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(aborted["state"], "aborted");
    assert!(aborted["finishedAt"].is_string());
    let unnamed_id = unnamed["id"].as_str().unwrap();
    assert_eq!(state_after(&admin, unnamed_id, "abort").await, "aborted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_rollouts_are_refused_with_field_paths() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;

    let response = admin
        .post("/admin/rollouts")
        .json(
            &json!({"image": "Not An/Image::", "selector": {}, "batchSize": 0,
                      "healthTimeoutSeconds": 5, "name": "Bad_Name"}),
        )
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation_failed").await;
    assert_eq!(
        fields(&body),
        [
            "name",
            "image",
            "selector",
            "batchSize",
            "healthTimeoutSeconds"
        ]
    );

    // The grammar, beyond "no spaces": uppercase repositories and empty tags are typos.
    for image in [
        "Swarmpress/WordPress:6.7",
        "wordpress:",
        "wp@sha256:xyz",
        &"a".repeat(256),
    ] {
        let response = admin
            .post("/admin/rollouts")
            .json(&json!({"image": image, "selector": {"all": true}}))
            .send()
            .await
            .unwrap();
        let body = problem(response, 422, "validation_failed").await;
        assert_eq!(fields(&body), ["image"], "{image}: {body}");
    }

    let response = admin
        .post("/admin/rollouts")
        .json(&json!({"image": "wordpress:6.7", "selector": {"plans": ["business", "platinum"]}}))
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["selector.plans[1]"]);

    // Unknown fields, at the top and in the selector, are refused.
    for body in [
        json!({"image": "wordpress:6.7", "selector": {"all": true}, "batchsize": 2}),
        json!({"image": "wordpress:6.7", "selector": {"all": true, "plan": ["x"]}}),
    ] {
        let response = admin
            .post("/admin/rollouts")
            .json(&body)
            .send()
            .await
            .unwrap();
        let refused = problem(response, 400, "validation_failed").await;
        let field = &fields(&refused)[0];
        assert!(field == "batchsize" || field == "plan", "{refused}");
    }
    let response = admin
        .post("/admin/rollouts")
        .json(&json!({"selector": {"all": true}}))
        .send()
        .await
        .unwrap();
    let body = problem(response, 400, "validation_failed").await;
    assert_eq!(fields(&body), ["image"], "{body}");
    let listed: Value = admin
        .get("/admin/rollouts")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]), "nothing invalid was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollouts_are_for_administrators_only() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let user = app.user("mallory@example.test").await;
    let created = create(
        &admin,
        json!({"image": "wordpress:6.7", "selector": {"all": true}, "name": "r1"}),
    )
    .await;
    let id = created["id"].as_str().unwrap();

    let body = json!({"image": "wordpress:6.7", "selector": {"all": true}});
    let attempts = [
        user.get("/admin/rollouts"),
        user.post("/admin/rollouts").json(&body),
        user.get(&format!("/admin/rollouts/{id}")),
        user.get(&format!("/admin/rollouts/{id}?watch=true")),
        user.get("/admin/rollouts/r1/watch"),
        user.post(&format!("/admin/rollouts/{id}/pause")),
        user.post("/admin/rollouts/r1/resume"),
        user.post("/admin/rollouts/r1/abort"),
        user.post("/admin/rollouts/r1/start"),
    ];
    for attempt in attempts {
        let response = attempt.send().await.unwrap();
        problem(response, 403, "forbidden").await;
    }
    let response = app.bare().get("/admin/rollouts").send().await.unwrap();
    problem(response, 401, "unauthorized").await;

    let manifest = "apiVersion: swarmpress.io/v1\nkind: Rollout\nmetadata: { name: sneaky }\n\
                    spec: { image: 'wordpress:6.7', selector: { all: true } }\n";
    let results = apply(&user, false, manifest).await;
    assert_eq!(results[0]["kind"], "Rollout");
    assert_eq!(results[0]["action"], "invalid");
    assert_eq!(results[0]["errors"][0]["field"], "kind");
    let response = admin.get("/admin/rollouts/sneaky").send().await.unwrap();
    problem(response, 404, "not_found").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_manifests_apply_create_unchanged_configured() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let manifest = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests/examples/rollout.yaml"),
    )
    .unwrap();

    // A dry run checks and writes nothing.
    let results = apply(&admin, true, &manifest).await;
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["kind"], "Rollout");
    assert_eq!(results[0]["name"], "wordpress-6-7");
    assert_eq!(results[0]["action"], "created", "{results:?}");
    let response = admin
        .get("/admin/rollouts/wordpress-6-7")
        .send()
        .await
        .unwrap();
    problem(response, 404, "not_found").await;

    let results = apply(&admin, false, &manifest).await;
    assert_eq!(results[0]["action"], "created", "{results:?}");
    let stored: Value = admin
        .get("/admin/rollouts/wordpress-6-7")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored["state"], "scheduled");
    assert_eq!(stored["image"], "swarmpress/wordpress:6.7");
    assert_eq!(stored["batchSize"], 3);
    assert_eq!(stored["selector"]["labels"]["team"], "marketing");
    let id: uuid::Uuid = stored["id"].as_str().unwrap().parse().unwrap();

    let results = apply(&admin, false, &manifest).await;
    assert_eq!(results[0]["action"], "unchanged");

    // A change while scheduled (or paused before starting) is configured; a dry run of it
    // says so without writing.
    let changed = manifest.replace("batchSize: 3", "batchSize: 4");
    let results = apply(&admin, true, &changed).await;
    assert_eq!(results[0]["action"], "configured");
    let stored = app.state.store.get_rollout(id).await.unwrap();
    assert_eq!(stored.spec.batch_size, 3, "the dry run wrote nothing");
    let results = apply(&admin, false, &changed).await;
    assert_eq!(results[0]["action"], "configured");
    assert_eq!(
        app.state
            .store
            .get_rollout(id)
            .await
            .unwrap()
            .spec
            .batch_size,
        4
    );
    assert_eq!(
        state_after(&admin, "wordpress-6-7", "pause").await,
        "paused"
    );
    let results = apply(&admin, false, &manifest).await;
    assert_eq!(results[0]["action"], "configured");
    assert_eq!(
        app.state.store.get_rollout(id).await.unwrap().state,
        RolloutState::Paused,
        "configuring does not resume"
    );

    // Started: the spec can no longer change, but an equal one is still unchanged.
    assert_eq!(
        state_after(&admin, "wordpress-6-7", "resume").await,
        "scheduled"
    );
    app.state
        .store
        .set_rollout_state(id, &[RolloutState::Scheduled], RolloutState::Running, None)
        .await
        .unwrap();
    let results = apply(&admin, false, &manifest).await;
    assert_eq!(results[0]["action"], "unchanged");
    let results = apply(&admin, false, &changed).await;
    assert_eq!(results[0]["action"], "invalid");
    assert_eq!(results[0]["errors"][0]["field"], "spec");
    assert!(
        results[0]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("running"),
        "{results:?}"
    );

    // Rules and the image grammar, with manifest paths.
    let bad = "apiVersion: swarmpress.io/v1\nkind: Rollout\nmetadata: { name: Bad }\n\
               spec: { image: 'UPPER:x', selector: { plans: [gold] }, batchSize: 0 }\n";
    let results = apply(&admin, false, bad).await;
    let paths: Vec<&str> = results[0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "metadata.name",
            "spec.batchSize",
            "spec.image",
            "spec.selector.plans[0]"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_streams_each_change_until_the_rollout_ends() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let created = create(
        &admin,
        json!({"image": "wordpress:6.7", "selector": {"tenants": ["a-site"]}, "name": "watched"}),
    )
    .await;
    let id: uuid::Uuid = created["id"].as_str().unwrap().parse().unwrap();

    for path in [
        "/admin/rollouts/watched?watch=true",
        "/admin/rollouts/watched/watch",
    ] {
        let store = app.state.store.clone();
        let mut response = admin.get(path).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let first = next_rollout(&mut response).await;
        if first["state"] == "scheduled" {
            // What the controller does: plan, start, progress; each is seen.
            store
                .add_rollout_items(
                    id,
                    &[NewRolloutItem {
                        tenant: TenantName::parse("a-site").unwrap(),
                        from_image: None,
                        to_image: "wordpress:6.7".to_owned(),
                        batch: 0,
                    }],
                )
                .await
                .unwrap();
            store
                .set_rollout_state(id, &[RolloutState::Scheduled], RolloutState::Running, None)
                .await
                .unwrap();
            let seen = next_rollout(&mut response).await;
            assert_eq!(seen["state"], "running", "{seen}");
            assert_eq!(seen["items"][0]["tenant"], "a-site");
            store
                .update_rollout_item(
                    id,
                    &TenantName::parse("a-site").unwrap(),
                    RolloutItemState::Healthy,
                    None,
                )
                .await
                .unwrap();
            let seen = next_rollout(&mut response).await;
            assert_eq!(seen["items"][0]["state"], "healthy", "{seen}");
            store
                .set_rollout_state(id, &[RolloutState::Running], RolloutState::Completed, None)
                .await
                .unwrap();
            let seen = next_rollout(&mut response).await;
            assert_eq!(seen["state"], "completed");
        } else {
            // The second watch starts on a finished rollout: one event, then the end.
            assert_eq!(first["state"], "completed");
        }
        // Terminal: the server closes the stream.
        let rest = tokio::time::timeout(Duration::from_secs(5), response.text())
            .await
            .expect("the stream ends after a terminal state")
            .unwrap();
        assert!(!rest.contains("data:"), "{rest}");
    }
}

/// Reads SSE bytes until one `data:` event is complete; returns its JSON.
async fn next_rollout(response: &mut reqwest::Response) -> Value {
    let mut buffer = Vec::new();
    loop {
        if let Some(end) = buffer.windows(2).position(|w| w == b"\n\n") {
            let block = String::from_utf8(buffer[..end].to_vec()).unwrap();
            buffer.drain(..end + 2);
            if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                assert!(buffer.is_empty(), "one event at a time here");
                return serde_json::from_str(data).unwrap();
            }
            continue;
        }
        let chunk = tokio::time::timeout(Duration::from_secs(5), response.chunk())
            .await
            .expect("an event within 5 s")
            .unwrap()
            .expect("the stream is still open");
        buffer.extend_from_slice(&chunk);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_windows_must_name_an_existing_rollout() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let now = chrono::Utc::now();
    let window = |rollout: Value| {
        json!({"start": (now + chrono::Duration::hours(1)).to_rfc3339(),
               "end": (now + chrono::Duration::hours(2)).to_rfc3339(),
               "message": "Fleet upgrade", "rolloutId": rollout})
    };
    let response = admin
        .post("/admin/maintenance-windows")
        .json(&window(json!("00000000-0000-4000-8000-000000000000")))
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["rolloutId"]);

    let rollout = create(
        &admin,
        json!({"image": "wordpress:6.7", "selector": {"all": true}}),
    )
    .await;
    let response = admin
        .post("/admin/maintenance-windows")
        .json(&window(rollout["id"].clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["rolloutId"], rollout["id"]);
    let response = admin
        .put(&format!(
            "/admin/maintenance-windows/{}",
            created["id"].as_str().unwrap()
        ))
        .json(&window(json!("00000000-0000-4000-8000-000000000001")))
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["rolloutId"]);

    // Once the rollout is no longer scheduled a window cannot be made to start it, but the
    // window that named it may still be edited.
    let id = rollout["id"].as_str().unwrap();
    let response = admin
        .post(&format!("/admin/rollouts/{id}/abort"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = admin
        .post("/admin/maintenance-windows")
        .json(&window(rollout["id"].clone()))
        .send()
        .await
        .unwrap();
    let body = problem(response, 422, "validation_failed").await;
    assert_eq!(fields(&body), ["rolloutId"]);
    assert!(
        body.to_string().contains("is aborted"),
        "the problem names the state: {body}"
    );
    let mut edited = window(rollout["id"].clone());
    edited["message"] = json!("Fleet upgrade (moved)");
    let response = admin
        .put(&format!(
            "/admin/maintenance-windows/{}",
            created["id"].as_str().unwrap()
        ))
        .json(&edited)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// A rollout scheduled for later (by time or by its maintenance window) starts now when an
/// administrator says so: its start time becomes now; only a scheduled rollout can.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_rollout_can_be_started_now() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    let created = create(
        &admin,
        json!({"image": "wordpress:6.7", "selector": {"all": true}, "startAt": tomorrow.to_rfc3339()}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let before = chrono::Utc::now();
    let started = command(&admin, id, "start").await;
    assert_eq!(started.status(), 200, "{}", started.text().await.unwrap());
    let started: Value = started.json().await.unwrap();
    assert_eq!(
        started["state"], "scheduled",
        "the controller begins it on its next pass"
    );
    let at: chrono::DateTime<chrono::Utc> = started["startAt"].as_str().unwrap().parse().unwrap();
    assert!(
        at >= before - chrono::Duration::seconds(1) && at <= chrono::Utc::now(),
        "{at}"
    );
    assert_eq!(
        started["image"], "wordpress:6.7",
        "the rest of the spec is kept"
    );

    assert_eq!(state_after(&admin, id, "abort").await, "aborted");
    let body = problem(command(&admin, id, "start").await, 409, "conflict").await;
    assert!(
        body["detail"].as_str().unwrap().contains("aborted"),
        "{body}"
    );
    problem(
        command(&admin, "no-such-rollout", "start").await,
        404,
        "not_found",
    )
    .await;
}
