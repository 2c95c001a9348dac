use serde_json::{Value, json};

use crate::helpers::{Client, fields, problem, spawn, spawn_with};

pub fn tenant_body(name: &str) -> Value {
    json!({
        "metadata": {"name": name, "labels": {"team": "web"}},
        "spec": {
            "displayName": "Acme Blog",
            "region": "eu-west",
            "admin": {"user": "admin", "email": "admin@acme.test"}
        }
    })
}

pub async fn create(client: &Client, name: &str) -> Value {
    let response = client
        .post("/tenants")
        .json(&tenant_body(name))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

#[tokio::test]
async fn create_returns_the_admin_password_once() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    let created = create(&alice, "acme-blog").await;
    let password = created["adminPassword"].as_str().unwrap();
    assert_eq!(password.len(), 20);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(created["apiVersion"], "swarmpress.io/v1");
    assert_eq!(created["kind"], "Tenant");
    assert_eq!(created["metadata"]["name"], "acme-blog");
    assert_eq!(created["metadata"]["generation"], 1);
    assert_eq!(created["metadata"]["labels"]["team"], "web");
    assert_eq!(created["spec"]["replicas"], 1);
    assert_eq!(created["status"]["phase"], "Pending");

    let fetched = alice.get("/tenants/acme-blog").send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    let text = fetched.text().await.unwrap();
    assert!(
        !text.contains(password),
        "GET shows the admin password: {text}"
    );
    assert!(!text.contains("adminPassword"));
    let listed = alice
        .get("/tenants")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(password));

    // The controller's hand-over row holds it.
    let uid: uuid::Uuid = created["metadata"]["uid"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let stored = app.state.store.tenant_admin_password(uid).await.unwrap();
    assert_eq!(stored.as_deref(), Some(password));

    // Names are global: another user cannot take it either.
    let bob = app.user("bob@example.test").await;
    let taken = bob
        .post("/tenants")
        .json(&tenant_body("acme-blog"))
        .send()
        .await
        .unwrap();
    problem(taken, 409, "conflict").await;
}

#[tokio::test]
async fn invalid_specs_name_their_fields() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    let mut body = tenant_body("Bad_Name");
    body["spec"]["region"] = json!("mars");
    body["spec"]["resources"] = json!({"cpu": "99", "memory": "512Mi"});
    let response = alice.post("/tenants").json(&body).send().await.unwrap();
    let problem = problem(response, 422, "validation_failed").await;
    let fields = fields(&problem);
    assert!(fields.contains(&"metadata.name".to_owned()), "{fields:?}");

    let mut body = tenant_body("good-name");
    body["spec"]["region"] = json!("mars");
    body["spec"]["resources"] = json!({"cpu": "99", "memory": "512Mi"});
    let response = alice.post("/tenants").json(&body).send().await.unwrap();
    let problem = crate::helpers::problem(response, 422, "validation_failed").await;
    let fields = crate::helpers::fields(&problem);
    assert!(fields.contains(&"spec.region".to_owned()), "{fields:?}");
    assert!(
        fields.contains(&"spec.resources.cpu".to_owned()),
        "{fields:?}"
    );

    // A typo is refused, not silently dropped.
    let mut body = tenant_body("good-name");
    body["spec"]["replica"] = json!(2);
    let response = alice.post("/tenants").json(&body).send().await.unwrap();
    let problem = crate::helpers::problem(response, 400, "validation_failed").await;
    assert_eq!(crate::helpers::fields(&problem), ["replica"]);

    let mut body = tenant_body("good-name");
    body["spec"]["replicas"] = json!("three");
    let response = alice.post("/tenants").json(&body).send().await.unwrap();
    let problem = crate::helpers::problem(response, 400, "validation_failed").await;
    assert_eq!(crate::helpers::fields(&problem), ["spec.replicas"]);
}

#[tokio::test]
async fn users_see_only_their_tenants_and_admins_see_all() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    let bob = app.user("bob@example.test").await;
    let admin = app.admin().await;
    let created = create(&alice, "alice-site").await;
    create(&bob, "bob-site").await;
    let alice_id = created["metadata"]["owner"].as_str().unwrap().to_owned();

    // Another user's tenant is 404 on every route, never 403.
    for (method, path) in [
        ("GET", "/tenants/alice-site"),
        ("PUT", "/tenants/alice-site"),
        ("PATCH", "/tenants/alice-site"),
        ("DELETE", "/tenants/alice-site"),
        ("POST", "/tenants/alice-site/stop"),
        ("POST", "/tenants/alice-site/scale"),
        ("GET", "/tenants/alice-site/events"),
    ] {
        let request = match method {
            "GET" => bob.get(path),
            "PUT" => bob
                .put(path)
                .json(&json!({"spec": tenant_body("x")["spec"]})),
            "PATCH" => bob.patch(path).json(&json!({"replicas": 1})),
            "DELETE" => bob.delete(path),
            _ => bob.post(path).json(&json!({"replicas": 1})),
        };
        let response = request.send().await.unwrap();
        problem(response, 404, "not_found").await;
    }
    let bob_list: Value = bob
        .get("/tenants")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = bob_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob-site"]);
    let peek = bob
        .get(&format!("/tenants?owner={alice_id}"))
        .send()
        .await
        .unwrap();
    problem(peek, 403, "forbidden").await;

    // Admins see and act on everything, and can filter by owner.
    assert_eq!(
        admin
            .get("/tenants/alice-site")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let all: Value = admin
        .get("/tenants")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    assert!(
        all["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 0
    );
    let only: Value = admin
        .get(&format!("/tenants?owner={alice_id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    let stop = admin.post("/tenants/alice-site/stop").send().await.unwrap();
    assert_eq!(stop.status(), 202);

    // Label selectors.
    let none: Value = admin
        .get("/tenants?labelSelector=team=db")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    let web: Value = admin
        .get("/tenants?labelSelector=team%3Dweb")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(web["items"].as_array().unwrap().len(), 2);

    // No authentication at all: 401.
    problem(
        app.bare().get("/tenants").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
}

/// The site count is checked where the site is written: of six creates sent at once on the
/// Free plan (one site), exactly one succeeds and the others are refused with the quota.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_creates_cannot_exceed_the_plan() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    let requests = (0..6).map(|i| {
        alice
            .post("/tenants")
            .json(&tenant_body(&format!("racing-site-{i}")))
            .send()
    });
    let responses = futures_util::future::join_all(requests).await;
    let mut statuses: Vec<u16> = Vec::new();
    for response in responses {
        let response = response.unwrap();
        statuses.push(response.status().as_u16());
        if response.status() != 201 {
            problem(response, 403, "quota_exceeded").await;
        }
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 403, 403, 403, 403, 403], "{statuses:?}");
    let listed: Value = alice
        .get("/tenants")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn plan_quotas_are_403() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    // The free plan: one site, one replica per site.
    let mut body = tenant_body("too-big");
    body["spec"]["replicas"] = json!(2);
    let response = alice.post("/tenants").json(&body).send().await.unwrap();
    problem(response, 403, "quota_exceeded").await;
    create(&alice, "first-site").await;
    let second = alice
        .post("/tenants")
        .json(&tenant_body("second-site"))
        .send()
        .await
        .unwrap();
    problem(second, 403, "quota_exceeded").await;
    let scale = alice
        .post("/tenants/first-site/scale")
        .json(&json!({"replicas": 3}))
        .send()
        .await
        .unwrap();
    problem(scale, 403, "quota_exceeded").await;
    // CPU and memory per replica are the plan's too (Free: 0.5 CPU, 512Mi); the refusal
    // names the field.
    for (resources, field) in [
        (json!({"cpu": "1", "memory": "512Mi"}), "spec.resources.cpu"),
        (
            json!({"cpu": "0.5", "memory": "1Gi"}),
            "spec.resources.memory",
        ),
    ] {
        let scale = alice
            .post("/tenants/first-site/scale")
            .json(&json!({"resources": resources}))
            .send()
            .await
            .unwrap();
        let problem = problem(scale, 403, "quota_exceeded").await;
        assert_eq!(fields(&problem), [field], "{problem}");
    }
}

#[tokio::test]
async fn put_with_a_stale_resource_version_is_409() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    let created = create(&alice, "acme-blog").await;
    let version = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut document: Value = alice
        .get("/tenants/acme-blog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    document["spec"]["displayName"] = json!("Renamed");
    let updated = alice
        .put("/tenants/acme-blog")
        .json(&document)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    let updated: Value = updated.json().await.unwrap();
    assert_eq!(updated["metadata"]["generation"], 2);
    assert_ne!(updated["metadata"]["resourceVersion"], version.as_str());

    // The same document again carries the old version now.
    document["spec"]["displayName"] = json!("Renamed again");
    let stale = alice
        .put("/tenants/acme-blog")
        .json(&document)
        .send()
        .await
        .unwrap();
    problem(stale, 409, "conflict").await;
}

#[tokio::test]
async fn merge_patch_actions_events_and_delete() {
    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    create(&alice, "acme-blog").await;

    let patched = alice
        .patch("/tenants/acme-blog")
        .header("content-type", "application/merge-patch+json")
        .body(json!({"displayName": "Patched", "env": {"WP_DEBUG": "true"}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["spec"]["displayName"], "Patched");
    assert_eq!(patched["spec"]["env"]["WP_DEBUG"], "true");
    assert_eq!(
        patched["spec"]["region"], "eu-west",
        "untouched fields stay"
    );

    // null removes; the tenant form patches labels too.
    let patched: Value = alice
        .patch("/tenants/acme-blog")
        .json(&json!({"metadata": {"labels": {"team": null, "tier": "gold"}}, "spec": {"env": {"WP_DEBUG": null}}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patched["spec"]["env"], json!({}));
    assert_eq!(patched["metadata"]["labels"], json!({"tier": "gold"}));

    let bad = alice
        .patch("/tenants/acme-blog")
        .header("content-type", "application/merge-patch+json")
        .body(json!({"replicas": "many"}).to_string())
        .send()
        .await
        .unwrap();
    let body = problem(bad, 400, "validation_failed").await;
    assert_eq!(fields(&body), ["spec.replicas"]);

    for action in ["stop", "start", "restart", "rebuild"] {
        let response = alice
            .post(&format!("/tenants/acme-blog/{action}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{action}");
    }
    let tenant: Value = alice
        .get("/tenants/acme-blog")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tenant["spec"]["state"], "Running");
    assert!(tenant["spec"]["restartedAt"].is_string());
    assert!(tenant["spec"]["rebuildNonce"].is_string());

    let scaled = alice
        .post("/tenants/acme-blog/scale")
        .json(&json!({"resources": {"cpu": "0.25", "memory": "256Mi"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(scaled.status(), 202);
    let scaled: Value = scaled.json().await.unwrap();
    assert_eq!(scaled["spec"]["resources"]["memory"], "256Mi");

    let events: Value = alice
        .get("/tenants/acme-blog/events")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(events.as_array().unwrap().is_empty());

    let deleted = alice.delete("/tenants/acme-blog").send().await.unwrap();
    assert_eq!(deleted.status(), 202);
    let deleted: Value = deleted.json().await.unwrap();
    assert!(deleted["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(deleted["status"]["phase"], "Deleting");
    let stop = alice.post("/tenants/acme-blog/stop").send().await.unwrap();
    problem(stop, 409, "conflict").await;
}

/// Users choose images from the catalogue (`GET /images`); an administrator may name any.
#[tokio::test]
async fn users_choose_images_from_the_catalogue() {
    let Some(app) = crate::helpers::spawn_with(|config| {
        config.images = vec![
            "swarmpress/wordpress:latest".to_owned(),
            "swarmpress/wordpress:6.7".to_owned(),
        ];
    })
    .await
    else {
        return;
    };
    let with_image = |name: &str, image: &str| {
        let mut body = tenant_body(name);
        body["spec"]["image"] = json!(image);
        body
    };
    let user = app.user("images@example.test").await;
    let catalogue: Value = user
        .get("/images")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(catalogue["defaultImage"], "swarmpress/wordpress:latest");
    assert_eq!(
        catalogue["images"],
        json!(["swarmpress/wordpress:latest", "swarmpress/wordpress:6.7"])
    );
    let foreign = user
        .post("/tenants")
        .json(&with_image("own-image", "evil.example/miner:1"))
        .send()
        .await
        .unwrap();
    let body = crate::helpers::problem(foreign, 422, "validation_failed").await;
    assert_eq!(crate::helpers::fields(&body), ["spec.image"]);
    let listed = user
        .post("/tenants")
        .json(&with_image("listed-image", "swarmpress/wordpress:6.7"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 201);
    let admin = app.admin().await;
    let any = admin
        .post("/tenants")
        .json(&with_image("admin-image", "registry.example/wp:custom"))
        .send()
        .await
        .unwrap();
    assert_eq!(any.status(), 201);
}

/// Lists come a page at a time: `limit` and `continue` walk every tenant once, in order; the
/// plain arrays carry the next page's token in `X-Continue`; bad paging parameters are 400s
/// naming them.
#[tokio::test]
async fn lists_are_paged() {
    let Some(app) = spawn().await else { return };
    let admin = app.admin().await;
    app.move_to_plan(&admin, "enterprise").await;
    let names = ["page-a", "page-b", "page-c", "page-d", "page-e"];
    for name in names {
        create(&admin, name).await;
    }
    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut url = "/tenants?limit=2".to_owned();
        if let Some(token) = &token {
            url.push_str(&format!("&continue={token}"));
        }
        let page: Value = admin.get(&url).send().await.unwrap().json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2, "{page}");
        seen.extend(
            items
                .iter()
                .map(|t| t["metadata"]["name"].as_str().unwrap().to_owned()),
        );
        match page["metadata"]["continue"].as_str() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    let ours: Vec<&str> = seen
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with("page-"))
        .collect();
    assert_eq!(ours, names, "every tenant once, in order");

    // Two accounts at least: the admin and this one.
    app.user("pager@example.test").await;
    let users = admin.get("/admin/users?limit=1").send().await.unwrap();
    assert_eq!(users.status(), 200);
    let next = users.headers()["x-continue"].to_str().unwrap().to_owned();
    let first: Value = users.json().await.unwrap();
    let second: Value = admin
        .get(&format!("/admin/users?limit=1&continue={next}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first.as_array().unwrap().len(), 1);
    assert_ne!(first[0]["id"], second[0]["id"]);

    for (url, field) in [
        ("/tenants?limit=0", "limit"),
        ("/tenants?limit=501", "limit"),
        ("/tenants?continue=%21%21", "continue"),
        ("/admin/users?continue=cDE6bm9wZQ", "continue"),
    ] {
        let body = problem(
            admin.get(url).send().await.unwrap(),
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(fields(&body), [field], "{url}");
    }
}

/// A cache purge is asked of the controller and answered with its per-replica report once
/// the controller has it (here a stand-in claims and finishes it through the store, as the
/// controller's leader does); only the site's owner may ask or read it, and not of a stopped
/// site.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cache_purge_is_answered_with_the_controllers_report() {
    use swarmpress_schema::resource::{ActionState, ReplicaReport};

    let Some(app) = spawn().await else { return };
    let alice = app.user("alice@example.test").await;
    let bob = app.user("bob@example.test").await;
    create(&alice, "alice-blog").await;

    let store = app.state.store.clone();
    let controller = tokio::spawn(async move {
        loop {
            if let Some(action) = store.claim_tenant_action().await.unwrap() {
                let report = ReplicaReport {
                    task: "task-1".to_owned(),
                    node: "node-1".to_owned(),
                    ok: true,
                    message: "object cache flushed, 2 transient row(s) deleted, opcache reset"
                        .to_owned(),
                };
                store
                    .finish_tenant_action(action.id, ActionState::Succeeded, &[report], None)
                    .await
                    .unwrap();
                return action.id;
            }
            tokio::task::yield_now().await;
        }
    });
    let purged = alice
        .post("/tenants/alice-blog/purge-cache")
        .send()
        .await
        .unwrap();
    assert_eq!(purged.status(), 200, "{}", purged.text().await.unwrap());
    let purged: Value = purged.json().await.unwrap();
    assert_eq!(purged["kind"], "purgeCache");
    assert_eq!(purged["state"], "succeeded");
    assert_eq!(purged["replicas"][0]["ok"], true);
    let id = controller.await.unwrap().to_string();
    assert_eq!(purged["id"], id);

    let again: Value = alice
        .get(&format!("/tenants/alice-blog/actions/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again, purged);
    for response in [
        bob.post("/tenants/alice-blog/purge-cache")
            .send()
            .await
            .unwrap(),
        bob.get(&format!("/tenants/alice-blog/actions/{id}"))
            .send()
            .await
            .unwrap(),
        alice
            .get(&format!(
                "/tenants/alice-blog/actions/{}",
                uuid::Uuid::new_v4()
            ))
            .send()
            .await
            .unwrap(),
    ] {
        problem(response, 404, "not_found").await;
    }
    alice.post("/tenants/alice-blog/stop").send().await.unwrap();
    let stopped = alice
        .post("/tenants/alice-blog/purge-cache")
        .send()
        .await
        .unwrap();
    problem(stopped, 409, "conflict").await;
}

/// A site's usage against its owner's plan is read by its owner only; a measurement is asked
/// of the controller, and asking again while one waits queues nothing more.
#[tokio::test(flavor = "multi_thread")]
async fn usage_is_read_against_the_plan_and_measured_on_request() {
    use swarmpress_schema::resource::{ActionKind, MeasuredStorage};

    let Some(app) = spawn_with(|config| config.action_wait = std::time::Duration::ZERO).await
    else {
        return;
    };
    let alice = app.user("alice@example.test").await;
    let bob = app.user("bob@example.test").await;
    create(&alice, "alice-blog").await;

    let usage: Value = alice
        .get("/tenants/alice-blog/usage")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(usage["plan"], "free");
    assert_eq!(usage["storage"]["allocationBytes"], 1u64 << 30);
    assert_eq!(usage["storage"]["measuredAt"], Value::Null);
    assert_eq!(usage["bandwidth"]["allocationBytes"], 10u64 << 30);
    assert_eq!(usage["bandwidth"]["state"], "within");

    // What the controller's meter writes, read back against the plan.
    let tenant = app
        .state
        .store
        .get_tenant(&swarmpress_schema::TenantName::parse("alice-blog").unwrap())
        .await
        .unwrap();
    let store = &app.state.store;
    store
        .record_storage(
            &tenant,
            MeasuredStorage {
                volume_bytes: 1100 << 20,
                database_bytes: 3 << 20,
                bucket_bytes: 0,
                measured_at: Some(swarmpress_schema::store::now()),
            },
        )
        .await
        .unwrap();
    store
        .add_bandwidth(tenant.metadata.uid, 4096, swarmpress_schema::store::now())
        .await
        .unwrap();
    let usage: Value = alice
        .get("/tenants/alice-blog/usage")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(usage["storage"]["totalBytes"], 1103u64 << 20);
    assert_eq!(usage["storage"]["state"], "exceeded");
    assert_eq!(usage["bandwidth"]["bytes"], 4096);

    let first = alice
        .post("/tenants/alice-blog/usage/measure")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 202, "no controller here: still pending");
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["kind"], "measureUsage");
    assert_eq!(first["state"], "pending");
    let second: Value = alice
        .post("/tenants/alice-blog/usage/measure")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        second["id"], first["id"],
        "one pending measurement serves both"
    );
    let claimed = store.claim_tenant_action().await.unwrap().unwrap();
    assert_eq!(claimed.kind, ActionKind::MeasureUsage);

    for response in [
        bob.get("/tenants/alice-blog/usage").send().await.unwrap(),
        bob.post("/tenants/alice-blog/usage/measure")
            .send()
            .await
            .unwrap(),
    ] {
        problem(response, 404, "not_found").await;
    }
}
